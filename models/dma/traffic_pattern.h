// Address and direction generator of a traffic master (pure C++).
//
// Patterns, each over the window [base, base + window_bytes):
//   sequential  consecutive transactions, wrapping to the window's start when the next one would
//               pass its end;
//   strided     like sequential, but each transaction starts `stride_bytes` after the previous one;
//   random      uniformly chosen slots of `transaction_bytes` within the window (offsets are
//               multiples of the transaction size).
// Trace replay is not a pattern: the master issues the records it is given.
//
// 4 KiB boundaries: unless `allow_4k_crossing` is set, a transaction that would cross one is
// shortened to end at the boundary, as a DMA engine on AXI or PCIe splits its bursts; the sequential
// and strided patterns then go on from where the shortened transaction ended or would have.
#pragma once

#include "models/common/random.h"

#include <cstdint>
#include <string_view>

namespace iommu_vp {

enum class AccessPattern { sequential, strided, random, trace };

const char* to_string(AccessPattern pattern);
bool parse_access_pattern(std::string_view name, AccessPattern& pattern);

struct TrafficPatternParams {
    AccessPattern pattern = AccessPattern::sequential;
    std::uint64_t base = 0;
    std::uint64_t window_bytes = 0x10000;
    std::uint64_t stride_bytes = 0;        // strided only
    unsigned transaction_bytes = 64;
    double read_fraction = 1.0;            // probability that a transaction is a read
    bool allow_4k_crossing = false;
};

struct GeneratedAccess {
    std::uint64_t address;
    unsigned size;
    bool is_read;
};

class TrafficPattern {
public:
    static constexpr std::uint64_t kBoundaryBytes = 4096;

    // Throws std::invalid_argument for an empty window, a transaction larger than the window, a
    // strided pattern without a stride, a read fraction outside [0, 1], or the trace pattern.
    TrafficPattern(const TrafficPatternParams& params, std::uint64_t seed);

    GeneratedAccess next();

private:
    std::uint64_t next_offset();
    unsigned clip_to_boundary(std::uint64_t address, unsigned size) const;

    TrafficPatternParams params_;
    RandomStream random_;
    std::uint64_t cursor_ = 0;  // next offset for sequential and strided
};

}  // namespace iommu_vp
