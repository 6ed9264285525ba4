// SMMUv3 Stream table lookup, as plain C++: from SMMU_STRTAB_BASE, SMMU_STRTAB_BASE_CFG and a
// StreamID to the address of the STE (linear table) or of the level-1 descriptor (2-level table),
// then from the L1STD to the STE within its level-2 array. The model reads the addresses it is
// given through its downstream socket; this file only does the arithmetic and the range rules.
//
// Models: linear and 2-level tables (SMMUv3 3.3.1), the effective LOG2SIZE capped by IDR1.SIDSIZE
// and the architected base alignment (6.3.24, 6.3.25), reserved FMT and SPLIT values, the L1STD
// (5.1: Span, L2Ptr, reserved and out-of-bounds Span), C_BAD_STREAMID (7.3.3), and fetch addresses
// beyond the OAS (3.4.3).
// Does not model: the Secure and Realm Stream tables, SMMU_CR2.RECINVSID (whether C_BAD_STREAMID
// is recorded is the model's decision), STE.CONT, the fetch itself (an external abort on it is
// F_STE_FETCH, raised by the model).
#pragma once

#include "models/common/bitfield.h"
#include "models/smmuv3/config_outcome.h"
#include "models/smmuv3/features.h"

#include <cstdint>

namespace iommu_vp::smmuv3 {

// SMMU_STRTAB_BASE (SMMUv3 6.3.24).
namespace strtab_base {
inline constexpr BitField kAddr = bits(55, 6);
inline constexpr BitField kRa = bit(62);
}  // namespace strtab_base

// SMMU_STRTAB_BASE_CFG (SMMUv3 6.3.25).
namespace strtab_base_cfg {
inline constexpr BitField kLog2Size = bits(5, 0);
inline constexpr BitField kSplit = bits(10, 6);
inline constexpr BitField kFmt = bits(17, 16);
inline constexpr unsigned kFmtLinear = 0b00;
inline constexpr unsigned kFmtTwoLevel = 0b01;
}  // namespace strtab_base_cfg

// L1STD, the level-1 Stream table descriptor (SMMUv3 5.1).
namespace l1std {
inline constexpr BitField kSpan = bits(4, 0);
inline constexpr BitField kL2Ptr = bits(55, 6);
inline constexpr unsigned kMaxSpan = 11;  // 12..31 are reserved and behave as 0
}  // namespace l1std

inline constexpr unsigned kSteBytes = 64;
inline constexpr unsigned kL1StdBytes = 8;

// The two registers as the Stream table walk uses them.
struct StreamTableConfig {
    std::uint64_t base = 0;         // STRTAB_BASE.ADDR as written (bits [55:6]), before alignment
    bool read_allocate = false;     // STRTAB_BASE.RA
    bool two_level = false;         // effective FMT
    unsigned log2size = 0;          // LOG2SIZE as written (the base alignment uses this value)
    unsigned effective_log2size = 0;  // MIN(LOG2SIZE, IDR1.SIDSIZE): range checks and indexing
    unsigned split = 6;             // effective SPLIT (reserved values behave as 6)
    std::uint64_t effective_base = 0;  // `base` aligned as the SMMU aligns it
};

StreamTableConfig decode_stream_table_config(std::uint64_t strtab_base, std::uint32_t strtab_base_cfg,
                                             const Features& features);

// Where the lookup of one StreamID starts: the STE itself (linear) or the L1STD (2-level).
struct StreamTableStep {
    std::uint64_t address = 0;
    bool is_l1_descriptor = false;
};

// C_BAD_STREAMID when the StreamID is out of range; F_STE_FETCH when the fetch address is beyond
// the OAS (a CONSTRAINED UNPREDICTABLE choice, see the .cpp).
Decoded<StreamTableStep> locate_stream_entry(const StreamTableConfig& table, const Features& features,
                                             std::uint32_t stream_id);

struct L1StreamDescriptor {
    unsigned span = 0;           // as written
    std::uint64_t l2_pointer = 0;  // L2Ptr as written (bits [55:6]), before alignment
};

L1StreamDescriptor decode_l1_stream_descriptor(std::uint64_t descriptor);

// The STE address within the level-2 array that `l1_descriptor` points to: C_BAD_STREAMID when the
// Span is 0, reserved or larger than SPLIT + 1, or when StreamID[SPLIT-1:0] is outside the Span;
// F_STE_FETCH when the address is beyond the OAS.
Decoded<std::uint64_t> locate_ste_in_level2(const StreamTableConfig& table, const Features& features,
                                            std::uint64_t l1_descriptor, std::uint32_t stream_id);

}  // namespace iommu_vp::smmuv3
