// One record of a DMA trace that a traffic master replays: at `time` after the master starts, issue
// a read or write of `size` bytes at `address` with the given stream (and optional PASID).
// The platform parses trace files; models never read files.
#pragma once

#include <cstdint>

namespace iommu_vp {

struct TraceRecord {
    std::uint64_t time_ps = 0;
    bool is_read = true;
    std::uint64_t address = 0;
    unsigned size = 0;
    std::uint32_t stream_id = 0;
    bool has_pasid = false;
    std::uint32_t pasid = 0;
};

}  // namespace iommu_vp
