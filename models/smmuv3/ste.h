// SMMUv3 Stream Table Entry decoding, as plain C++: eight little-endian 64-bit words in, a
// StreamConfig (and the stage-2 walk configuration) or the architected outcome out.
//
// Models: STE.V and Config (abort, bypass, stage 1, stage 2, nested; SMMUv3 5.2), every field the
// later stages use, and the ILLEGAL checks of SMMUv3 5.2.2 (SteIllegal) for a Non-secure STE on an
// SMMU with the Features of features.h: absent stages, STRW, S1STALLD and S2S against the stall
// model, S1CDMax against SSIDSIZE, S1Fmt against CD2L, S1ContextPtr range, S2AA64, S2HA/S2HD
// against HTTU (and into the stage-2 walk configuration: {S2HA, S2HD} == 0b01 behaves as both 0),
// S2TG, S2TTB range, S2T0SZ range and consistency with S2SL0, S2ENDI against TTENDIAN, S2VMID
// against VMID16, EATS against S2S and Config (when ATS is implemented), PPAR.
// Does not model: Secure and Realm STEs, VMSAv8-32 LPAE and VMSAv9-128 stage 2 (S2AA64 == 0 is
// ILLEGAL because IDR0.TTF advertises AArch64 tables only), small translation tables (IDR3.STT),
// 52-bit IPAs (IDR5.DS, and a 52-bit IPA with the 64 KiB granule: the walker resolves at most 48
// input bits, so such an STE is refused as C_BAD_STE), MPAM, PBHA, FWB, permission indirection
// and overlays, DPT, the attribute overrides' effect (they are decoded and stored only).
#pragma once

#include "models/common/bitfield.h"
#include "models/smmuv3/config_outcome.h"
#include "models/smmuv3/features.h"
#include "models/smmuv3/vmsa_walk.h"

#include <array>
#include <cstdint>

namespace iommu_vp::smmuv3 {

using SteWords = std::array<std::uint64_t, 8>;

// STE fields (SMMUv3 5.2), as {lsb, width} within the 64-bit word that holds them: the
// specification's bit n of the STE is bit (n % 64) of word (n / 64).
namespace ste {
// Word 0.
inline constexpr BitField kV = bit(0);
inline constexpr BitField kConfig = bits(3, 1);
inline constexpr BitField kS1Fmt = bits(5, 4);
inline constexpr BitField kS1ContextPtr = bits(55, 6);
inline constexpr BitField kS1CdMax = bits(63, 59);
// Word 1.
inline constexpr BitField kS1Dss = bits(1, 0);
inline constexpr BitField kS1Cir = bits(3, 2);
inline constexpr BitField kS1Cor = bits(5, 4);
inline constexpr BitField kS1Csh = bits(7, 6);
inline constexpr BitField kCont = bits(16, 13);
inline constexpr BitField kPpar = bit(18);  // STE bit 82 (SMMUv3 5.2)
inline constexpr BitField kMev = bit(19);
inline constexpr BitField kS1StallD = bit(27);
inline constexpr BitField kEats = bits(29, 28);
inline constexpr BitField kStrw = bits(31, 30);
inline constexpr BitField kMemAttr = bits(35, 32);
inline constexpr BitField kMtCfg = bit(36);
inline constexpr BitField kAllocCfg = bits(40, 37);
inline constexpr BitField kShCfg = bits(45, 44);
inline constexpr BitField kNsCfg = bits(47, 46);
inline constexpr BitField kPrivCfg = bits(49, 48);
inline constexpr BitField kInstCfg = bits(51, 50);
// Word 2.
inline constexpr BitField kS2Vmid = bits(15, 0);
inline constexpr BitField kS2T0Sz = bits(37, 32);
inline constexpr BitField kS2Sl0 = bits(39, 38);
inline constexpr BitField kS2Ir0 = bits(41, 40);
inline constexpr BitField kS2Or0 = bits(43, 42);
inline constexpr BitField kS2Sh0 = bits(45, 44);
inline constexpr BitField kS2Tg = bits(47, 46);
inline constexpr BitField kS2Ps = bits(50, 48);
inline constexpr BitField kS2Aa64 = bit(51);
inline constexpr BitField kS2Endi = bit(52);
inline constexpr BitField kS2Affd = bit(53);
inline constexpr BitField kS2Ptw = bit(54);
inline constexpr BitField kS2Hd = bit(55);
inline constexpr BitField kS2Ha = bit(56);
inline constexpr BitField kS2S = bit(57);
inline constexpr BitField kS2R = bit(58);
// Word 3: S2TTB bits [51:4] (SMMUv3.1 and later, VMSAv8-64).
inline constexpr BitField kS2Ttb = bits(51, 4);
}  // namespace ste

// What STE.Config selects (SMMUv3 5.2): 0b0xx abort, 0b100 bypass, 0b101 stage 1 only, 0b110
// stage 2 only, 0b111 both stages.
enum class StreamMode : std::uint8_t { abort, bypass, stage1, stage2, nested };

// STE.S1Fmt, effective: a single CD when substreams are disabled (S1CDMax == 0) or unsupported.
enum class CdTableFormat : std::uint8_t { single, linear, two_level_4k, two_level_64k };

// STE.S1DSS: what a transaction without a SubstreamID does when substreams are enabled.
enum class DefaultSubstream : std::uint8_t { terminate, bypass, substream0 };

// Effective StreamWorld of a Non-secure stream (SMMUv3 5.2 STRW): EL2 needs IDR0.HYP and a
// stage-1-only STE with STRW == 0b10; SMMU_CR2.E2H then picks EL2 or EL2-E2H (see stream_world()).
enum class StreamWorld : std::uint8_t { ns_el1, ns_el2, ns_el2_e2h };

struct StreamConfig {
    bool valid = false;                 // V
    unsigned config = 0;                // Config as written
    StreamMode mode = StreamMode::abort;

    // Stage 1 (meaningful when has_stage1()).
    CdTableFormat s1_format = CdTableFormat::single;
    unsigned s1_fmt = 0;                // S1Fmt as written
    std::uint64_t s1_context_ptr = 0;   // S1ContextPtr, bits [55:6] in place
    unsigned s1_cd_max = 0;             // S1CDMax
    DefaultSubstream s1_dss = DefaultSubstream::terminate;
    unsigned s1_cir = 0, s1_cor = 0, s1_csh = 0;
    bool s1_stall_disable = false;      // S1STALLD
    unsigned strw = 0;                  // STRW as written
    bool el2_stream_world = false;      // effective StreamWorld is EL2 or EL2-E2H

    // Stream attributes and ATS.
    unsigned eats = 0;                  // EATS as written
    unsigned effective_eats = 0;        // 0 when ATS is absent, Config[1:0] == 0 or the encoding is reserved
    bool merge_events = false;          // MEV
    bool ppar = false;                  // PPAR: PASID on PRI overflow auto-responses (RES0 without PRI or substreams)
    unsigned cont = 0;                  // CONT (stored; the contiguous hint is not used)
    unsigned mem_attr = 0;              // MemAttr
    bool mtcfg = false;                 // MTCFG
    unsigned alloccfg = 0, shcfg = 0, nscfg = 0, privcfg = 0, instcfg = 0;

    // Stage 2 (meaningful when has_stage2(); S2VMID also tags stage-1-only EL1 translations).
    unsigned s2_vmid = 0;
    unsigned s2_t0sz = 0, s2_sl0 = 0, s2_tg = 0, s2_ps = 0;  // as written
    unsigned s2_ir0 = 0, s2_or0 = 0, s2_sh0 = 0;
    bool s2_aa64 = false, s2_endi = false, s2_affd = false, s2_ptw = false;
    bool s2_hd = false, s2_ha = false, s2_s = false, s2_r = false;
    std::uint64_t s2_ttb = 0;           // S2TTB, bits [51:4] in place, before alignment
    unsigned s2_output_bits = 0;        // MIN(S2PS, IDR5.OAS) in bits
    vmsa::WalkConfig stage2;            // ready for vmsa::walk(); table_base aligned as the SMMU aligns it

    bool has_stage1() const { return mode == StreamMode::stage1 || mode == StreamMode::nested; }
    bool has_stage2() const { return mode == StreamMode::stage2 || mode == StreamMode::nested; }
};

// Decodes and checks an STE (SMMUv3 5.2, 5.2.2). Outcomes: ok; abort_silently for a valid STE with
// Config == 0b0xx (the value is filled in); bad_ste for V == 0 or an ILLEGAL STE.
Decoded<StreamConfig> decode_ste(const SteWords& words, const Features& features);

// The StreamWorld of a decoded STE given SMMU_CR2.E2H.
StreamWorld stream_world(const StreamConfig& config, bool cr2_e2h);

// Effective address size in bits of an IPS / S2PS encoding capped by the OAS (SMMUv3 5.2 S2PS,
// 5.4 IPS): 0b111 is reserved in SMMUv3.1-3.3 and behaves as 0b110 (52 bits).
unsigned effective_output_bits(unsigned ps_encoding, const Features& features);

// The intermediate address size (SMMUv3 3.4): the OAS, as VMSAv8-32 LPAE is not implemented.
unsigned intermediate_address_bits(const Features& features);

// The granule of a TG0 / S2TG encoding (0b00 4 KiB, 0b01 64 KiB, 0b10 16 KiB) in bits, 0 if reserved.
unsigned tg0_granule_bits(unsigned tg);

// Starting-level table address: TTB with bits below the starting table's size (and below 64 bytes
// with a 52-bit output size) treated as zero (SMMUv3 5.2 S2TTB, 5.4 TTB0).
std::uint64_t aligned_table_base(std::uint64_t ttb, const vmsa::WalkConfig& walk);

}  // namespace iommu_vp::smmuv3
