// SMMUv3 Context Descriptor decoding and CD-table indexing, as plain C++: which CD a transaction
// uses (SubstreamID, S1CDMax, S1DSS), where that CD or its level-1 descriptor is, the CD itself
// decoded into a ContextConfig with the two stage-1 walk configurations, and the choice of TTB0 or
// TTB1 for an input address.
//
// Models: the CD table formats of STE.S1Fmt (single CD, linear, 2-level with 4 KiB or 64 KiB
// leaves; SMMUv3 3.3.2, 5.2), the L1CD (5.3), the substream rules (C_BAD_SUBSTREAMID,
// F_STREAM_DISABLED; 5.2 S1CDMax and S1DSS, 7.3.7, 7.3.9), the CD fields (5.4) and the ILLEGAL
// checks of CdIllegal (5.4.2) for a Non-secure stream on an SMMU with the Features of features.h,
// the EPDx and TBI rules for choosing a translation table (3.4.1, 5.4.1.1), HA and HD against
// IDR0.HTTU and into the walk configuration ({HD, HA} == 0b10 behaves as both 0).
// Does not model: VMSAv8-32 LPAE and VMSAv9-128 CDs (AA64 == 0 is ILLEGAL because IDR0.TTF
// advertises AArch64 tables only), 52-bit VAs (IDR5.VAX == 0, DS), small translation tables
// (IDR3.STT), HAD, E0PD, PAN/EPAN, WXN/UWXN and MAIR are decoded for the later stages but not
// checked here, MPAM, permission indirection, the Secure and Realm states.
#pragma once

#include "models/common/bitfield.h"
#include "models/smmuv3/config_outcome.h"
#include "models/smmuv3/features.h"
#include "models/smmuv3/ste.h"
#include "models/smmuv3/vmsa_walk.h"

#include <array>
#include <cstdint>
#include <optional>

namespace iommu_vp::smmuv3 {

using CdWords = std::array<std::uint64_t, 8>;

// CD fields (SMMUv3 5.4), as {lsb, width} within their 64-bit word (bit n of the CD is bit n % 64
// of word n / 64).
namespace cd {
// Word 0.
inline constexpr BitField kT0Sz = bits(5, 0);
inline constexpr BitField kTg0 = bits(7, 6);
inline constexpr BitField kIr0 = bits(9, 8);
inline constexpr BitField kOr0 = bits(11, 10);
inline constexpr BitField kSh0 = bits(13, 12);
inline constexpr BitField kEpd0 = bit(14);
inline constexpr BitField kEndi = bit(15);
inline constexpr BitField kT1Sz = bits(21, 16);
inline constexpr BitField kTg1 = bits(23, 22);
inline constexpr BitField kIr1 = bits(25, 24);
inline constexpr BitField kOr1 = bits(27, 26);
inline constexpr BitField kSh1 = bits(29, 28);
inline constexpr BitField kEpd1 = bit(30);
inline constexpr BitField kV = bit(31);
inline constexpr BitField kIps = bits(34, 32);
inline constexpr BitField kAffd = bit(35);
inline constexpr BitField kWxn = bit(36);
inline constexpr BitField kUwxn = bit(37);
inline constexpr BitField kTbi0 = bit(38);
inline constexpr BitField kTbi1 = bit(39);
inline constexpr BitField kPan = bit(40);
inline constexpr BitField kAa64 = bit(41);
inline constexpr BitField kHd = bit(42);
inline constexpr BitField kHa = bit(43);
inline constexpr BitField kS = bit(44);
inline constexpr BitField kR = bit(45);
inline constexpr BitField kA = bit(46);
inline constexpr BitField kAset = bit(47);
inline constexpr BitField kAsid = bits(63, 48);
// Words 1 and 2: TTB0 / TTB1 bits [51:4] (SMMUv3.1 and later, VMSAv8-64), HAD0 / HAD1 at bit 1.
inline constexpr BitField kHad = bit(1);
inline constexpr BitField kTtb = bits(51, 4);
// Word 3: MAIR1:MAIR0.
}  // namespace cd

// L1CD, the level-1 CD table descriptor (SMMUv3 5.3).
namespace l1cd {
inline constexpr BitField kV = bit(0);
inline constexpr BitField kL2Ptr = bits(55, 12);
}  // namespace l1cd

inline constexpr unsigned kCdBytes = 64;
inline constexpr unsigned kL1CdBytes = 8;

// Which CD a transaction uses and where the lookup starts.
struct CdLocation {
    bool stage1_bypass = false;     // no CD: stage 1 disabled, or S1DSS == 0b01 without a SubstreamID
    bool is_l1_descriptor = false;  // `address` is an L1CD (2-level table)
    std::uint64_t address = 0;      // the CD or the L1CD (an IPA when stage 2 is enabled)
    std::uint32_t substream = 0;    // the CD index (0 for the default substream)
};

// The CD for a transaction with or without a SubstreamID, through a valid STE. Outcomes:
// bad_substreamid (a SubstreamID with stage 1 disabled, substreams disabled or unsupported, or
// >= 2^S1CDMax), stream_disabled (no SubstreamID with S1DSS terminate; SubstreamID 0 with S1DSS
// == 0b10).
Decoded<CdLocation> locate_cd(const StreamConfig& ste, const Features& features,
                              std::optional<std::uint32_t> substream_id);

// The CD address within the level-2 table an L1CD points to: bad_substreamid when L1CD.V == 0 or
// L2Ptr is out of range (SMMUv3 5.3.1, 3.4.3).
Decoded<std::uint64_t> locate_cd_in_level2(const StreamConfig& ste, const Features& features,
                                           std::uint64_t l1_descriptor, std::uint32_t substream);

struct ContextConfig {
    bool valid = false;                  // V
    unsigned t0sz = 0, tg0 = 0, t1sz = 0, tg1 = 0;  // as written (TG1 has its own encoding)
    unsigned granule0_bits = 0, granule1_bits = 0;  // 12, 14, 16; 0 for a reserved encoding
    unsigned ir0 = 0, or0 = 0, sh0 = 0, ir1 = 0, or1 = 0, sh1 = 0;
    bool epd0 = false, epd1 = false;     // as written
    bool endi = false;
    unsigned ips = 0;                    // as written
    unsigned output_bits = 0;            // MIN(IPS, IDR5.OAS) in bits
    bool affd = false, wxn = false, uwxn = false, pan = false;
    bool tbi0 = false, tbi1 = false;     // effective (TBI1 is RES0 for an EL2 stream)
    bool aa64 = false;
    bool ha = false, hd = false;
    bool s = false, r = false, a = false;  // fault configuration (SMMUv3 5.5)
    bool aset = false;
    unsigned asid = 0;                   // 16 bits with IDR0.ASID16, else ASID[7:0]
    bool had0 = false, had1 = false;
    std::uint64_t ttb0 = 0, ttb1 = 0;    // TTBx bits [51:4] in place, before alignment
    std::uint64_t mair = 0;              // MAIR1:MAIR0

    // Effective use of each range: TTBx translates unless EPDx == 1; an EL2 (not E2H) stream has
    // only TTB0 and ignores EPD0 (SMMUv3 5.4 EPD0, 5.4.1).
    bool ttb0_enabled = false, ttb1_enabled = false;
    vmsa::WalkConfig ttb0_walk;          // valid when ttb0_enabled; table_base aligned
    vmsa::WalkConfig ttb1_walk;          // valid when ttb1_enabled; upper_range = true
};

// Decodes and checks a CD reached through `ste` for a stream in `world` (SMMUv3 5.4, 5.4.2).
// Outcomes: ok, or bad_cd for V == 0 and every ILLEGAL configuration.
Decoded<ContextConfig> decode_cd(const CdWords& words, const StreamConfig& ste, StreamWorld world,
                                 const Features& features);

// The granule of a CD.TG1 encoding (0b01 16 KiB, 0b10 4 KiB, 0b11 64 KiB) in bits, 0 if reserved.
unsigned tg1_granule_bits(unsigned tg1);

struct TableSelection {
    unsigned ttb = 0;                    // 0 or 1
    vmsa::WalkConfig walk;
    std::uint64_t walk_address = 0;      // the input address with VA[63:56] replaced by VA[55] under TBI
};

// Picks TTB0 (VA[55] == 0) or TTB1 (VA[55] == 1) for `input_address` (SMMUv3 3.4.1): with TBIx
// the top byte is ignored, otherwise VA[63:N-1] must all equal VA[55]. translation_fault
// (F_TRANSLATION) when the address is outside the selected range or the range is disabled.
Decoded<TableSelection> select_translation_table(const ContextConfig& cd, std::uint64_t input_address);

}  // namespace iommu_vp::smmuv3
