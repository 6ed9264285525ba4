// SMMUv3 Command queue entries: decoding one 16-byte command (two little-endian 64-bit words) into
// a plain tagged struct, checked against what this SMMU implements (SMMUv3 chapter 4). Plain C++,
// no SystemC; decode_command allocates nothing (describe() does, and is only for the `cmd` log).
//
// Models: every opcode of SMMUv3 4.1.1 is recognised. Fully decoded and acted on by the model:
// CMD_PREFETCH_CONFIG, CMD_PREFETCH_ADDR (4.2), CMD_CFGI_STE, CMD_CFGI_STE_RANGE, CMD_CFGI_ALL
// (= STE_RANGE with Range 31), CMD_CFGI_CD, CMD_CFGI_CD_ALL (4.3), CMD_TLBI_NH_ALL/ASID/VA/VAA,
// CMD_TLBI_EL2_ALL/ASID/VA/VAA (4.4.2.7 .. 4.4.2.10, need IDR0.Hyp), CMD_TLBI_S12_VMALL,
// CMD_TLBI_S2_IPA, CMD_TLBI_NSNH_ALL (4.4), CMD_ATC_INV (4.5.1, needs IDR0.ATS), CMD_PRI_RESP
// (4.5.2, needs IDR0.PRI), CMD_SYNC (4.7.3).
// Range invalidation and the level hint (4.4.1.1, IDR3.RIL): TG, SCALE, NUM and TTL of the
// address-based TLBIs are decoded into TlbiRange, and tlbi_address_range() gives the addresses and
// the granule and level scope a command names. With RIL and TG == 0 they are RES0 and ignored;
// without RIL they are RES0 and ignored, and `range_fields_ignored` says that software set them.
// CMD_RESUME and CMD_STALL_TERM (4.7.1, 4.7.2; need IDR0.STALL_MODEL != 0b01): StreamID, STAG,
// Action (Ac: 1 retry, 0 terminate) and Abort (Ab, IGNORED with Ac == 1, and with IDR0.TERM_MODEL == 1
// where a termination always aborts: resume_abort is the effective value).
// Always CERROR_ILL on this model: reserved and IMPLEMENTATION DEFINED opcodes (none is defined),
// CMD_CFGI_VMS_PIDM (no MPAM), CMD_TLBI_EL3_* and the Secure-only commands (this is the Non-secure
// Command queue; there is no Secure or Realm programming interface), CMD_DPTI_* (no DPT).
//
// IMPLEMENTATION DEFINED choice (4.1.5): RES0 fields are ignored, not checked; only the values the
// specification calls ILLEGAL raise CERROR_ILL. PREFETCH_ADDR's Stride and NS fields are therefore
// ignored (RES0 in SMMUv3.0 and on the Non-secure queue).
#pragma once

#include "models/common/bitfield.h"
#include "models/smmuv3/features.h"
#include "models/smmuv3/queue_pointers.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace iommu_vp::smmuv3 {

// Command opcodes, dw0[7:0] (SMMUv3 4.1.1).
enum class CommandOpcode : std::uint8_t {
    CMD_PREFETCH_CONFIG = 0x01,
    CMD_PREFETCH_ADDR = 0x02,
    CMD_CFGI_STE = 0x03,
    CMD_CFGI_STE_RANGE = 0x04,  // also CMD_CFGI_ALL, with Range == 31
    CMD_CFGI_CD = 0x05,
    CMD_CFGI_CD_ALL = 0x06,
    CMD_CFGI_VMS_PIDM = 0x07,
    CMD_TLBI_NH_ALL = 0x10,
    CMD_TLBI_NH_ASID = 0x11,
    CMD_TLBI_NH_VA = 0x12,
    CMD_TLBI_NH_VAA = 0x13,
    CMD_TLBI_EL3_ALL = 0x18,
    CMD_TLBI_EL3_VA = 0x1A,
    CMD_TLBI_EL2_ALL = 0x20,
    CMD_TLBI_EL2_ASID = 0x21,
    CMD_TLBI_EL2_VA = 0x22,
    CMD_TLBI_EL2_VAA = 0x23,
    CMD_TLBI_S12_VMALL = 0x28,
    CMD_TLBI_S2_IPA = 0x2A,
    CMD_TLBI_NSNH_ALL = 0x30,
    CMD_ATC_INV = 0x40,
    CMD_PRI_RESP = 0x41,
    CMD_RESUME = 0x44,
    CMD_STALL_TERM = 0x45,
    CMD_SYNC = 0x46,
    CMD_TLBI_S_EL2_ALL = 0x50,
    CMD_TLBI_S_EL2_ASID = 0x51,
    CMD_TLBI_S_EL2_VA = 0x52,
    CMD_TLBI_S_EL2_VAA = 0x53,
    CMD_TLBI_S_S12_VMALL = 0x58,
    CMD_TLBI_S_S2_IPA = 0x5A,
    CMD_TLBI_SNH_ALL = 0x60,
    CMD_DPTI_ALL = 0x70,
    CMD_DPTI_PA = 0x73,
};

// The specification's name of an opcode; "reserved" for a reserved value, "IMPLEMENTATION DEFINED"
// for 0x80..0x8F.
const char* command_opcode_name(std::uint8_t opcode);

// Command fields. dw0 is bits [63:0] of the command, dw1 bits [127:64] (SMMUv3 4.1.6 and the
// layout of each command in 4.2 .. 4.7).
namespace command_field {
// dw0
inline constexpr BitField OPCODE = bits(7, 0);
inline constexpr BitField SSEC = bit(10);              // must be 0 on the Non-secure queue
inline constexpr BitField SSV = bit(11);
inline constexpr BitField SUBSTREAM_ID = bits(31, 12);
inline constexpr BitField STREAM_ID = bits(63, 32);
inline constexpr BitField VMID = bits(47, 32);
inline constexpr BitField ASID = bits(63, 48);
inline constexpr BitField NUM = bits(16, 12);          // range invalidation (IDR3.RIL)
inline constexpr BitField SCALE = bits(24, 20);        // bit 25 is RES0 without IDR5.DS
inline constexpr BitField ATC_GLOBAL = bit(9);
inline constexpr BitField RESUME_AC = bit(12);         // Action: 1 retry, 0 terminate
inline constexpr BitField RESUME_AB = bit(13);         // Abort (for terminate)
inline constexpr BitField SYNC_CS = bits(13, 12);
inline constexpr BitField SYNC_MSH = bits(23, 22);
inline constexpr BitField SYNC_MSIATTR = bits(27, 24);
inline constexpr BitField SYNC_MSIDATA = bits(63, 32);
// dw1
inline constexpr BitField LEAF = bit(0);
inline constexpr BitField STE_RANGE = bits(4, 0);
inline constexpr BitField PREFETCH_SIZE = bits(4, 0);
inline constexpr BitField TTL = bits(9, 8);
inline constexpr BitField TG = bits(11, 10);
inline constexpr BitField VA = bits(63, 12);           // virtual address fields: Address[63:12]
inline constexpr BitField PA = bits(55, 12);           // physical or IPA fields: Address[55:12]
inline constexpr BitField SYNC_MSIADDR = bits(55, 2);  // MSIAddress[55:2]
inline constexpr BitField ATC_SIZE = bits(5, 0);
inline constexpr BitField PRI_PRGINDEX = bits(8, 0);
inline constexpr BitField PRI_RESP = bits(13, 12);
inline constexpr BitField RESUME_STAG = bits(15, 0);
}  // namespace command_field

// What the model does with a decoded command.
enum class CommandKind : std::uint8_t {
    illegal,       // CERROR_ILL; DecodedCommand::illegal_reason says why
    prefetch_config,
    prefetch_addr,
    cfgi_ste,
    cfgi_ste_range,
    cfgi_all,
    cfgi_cd,
    cfgi_cd_all,
    tlbi_nh_all,
    tlbi_nh_asid,
    tlbi_nh_va,
    tlbi_nh_vaa,
    tlbi_s12_vmall,
    tlbi_s2_ipa,
    tlbi_nsnh_all,
    tlbi_el2_all,
    tlbi_el2_asid,
    tlbi_el2_va,
    tlbi_el2_vaa,
    atc_inv,
    pri_resp,
    resume,        // CMD_RESUME (4.7.1)
    stall_term,    // CMD_STALL_TERM (4.7.2)
    sync,
};
inline constexpr std::size_t kCommandKindCount = static_cast<std::size_t>(CommandKind::sync) + 1;
// Lower-case name of a kind ("cfgi_ste", "sync"), for statistics.
const char* command_kind_name(CommandKind kind);

// CMD_SYNC ComplSignal (SMMUv3 4.7.3). 0b11 is reserved (CERROR_ILL).
enum class SyncSignal : std::uint8_t { SIG_NONE = 0, SIG_IRQ = 1, SIG_SEV = 2 };

// Range invalidation and level hint of an address-based TLBI (SMMUv3 4.4.1.1), as decoded: all zero
// without IDR3.RIL or with TG == 0 (the fields are RES0 then).
struct TlbiRange {
    std::uint8_t num = 0;    // NUM: range is (NUM + 1) * 2^SCALE granules
    std::uint8_t scale = 0;  // SCALE (5 bits: no IDR5.DS)
    std::uint8_t ttl = 0;    // TTL: level hint of the leaf entries (0: any level; TG 16 KiB TTL 1 reads as 0)
    std::uint8_t tg = 0;     // TG: 0 no range/hint, 1 4 KiB, 2 16 KiB, 3 64 KiB
    bool is_range() const { return tg != 0; }
    bool is_zero() const { return num == 0 && scale == 0 && ttl == 0 && tg == 0; }
    // log2 of TG's granule: 12, 14, 16; 0 for TG == 0.
    unsigned granule_bits() const { return tg == 0 ? 0u : 10u + 2u * tg; }
    // Granules covered: (NUM + 1) * 2^SCALE (1 for TG == 0).
    std::uint64_t granules() const { return is_range() ? (std::uint64_t{num} + 1) << scale : 1; }
};

struct DecodedCommand {
    std::uint8_t opcode = 0;                 // dw0[7:0] as written
    CommandKind kind = CommandKind::illegal;
    const char* illegal_reason = nullptr;    // static text when kind == illegal

    // Fields; each is meaningful only for the commands that carry it (see describe()).
    std::uint32_t stream_id = 0;
    std::uint32_t substream_id = 0;
    bool ssv = false;
    bool ssec = false;
    bool leaf = false;
    std::uint8_t ste_range = 0;              // CFGI_STE_RANGE: 2^(Range + 1) StreamIDs
    std::uint16_t vmid = 0;
    std::uint16_t asid = 0;
    std::uint64_t address = 0;               // VA, IPA or PA with the ignored low bits zero
    TlbiRange range;                         // NH_VA, NH_VAA, S2_IPA, EL2_VA, EL2_VAA (with IDR3.RIL)
    bool range_fields_ignored = false;       // IDR3.RIL == 0 and software set NUM/SCALE/TTL/TG
    std::uint8_t size = 0;                   // PREFETCH_ADDR Size, ATC_INV Size
    // CMD_SYNC
    SyncSignal completion_signal = SyncSignal::SIG_NONE;  // CS as written
    SyncSignal effective_signal = SyncSignal::SIG_NONE;   // SEV without IDR0.SEV is SIG_NONE
    std::uint8_t msh = 0;                    // MSI shareability as written (0b01 reads as 0b00)
    std::uint8_t msi_attr = 0;
    std::uint32_t msi_data = 0;
    std::uint64_t msi_address = 0;
    bool sends_msi = false;                  // SIG_IRQ, IDR0.MSI and MSIAddress != 0
    // CMD_ATC_INV (Global as written: IGNORED when SSV == 0) and CMD_PRI_RESP
    bool atc_global = false;
    std::uint16_t prg_index = 0;
    std::uint8_t pri_response = 0;           // Resp: 0b00 ResponseFailure, 0b01 InvalidRequest, 0b10 Success
    // CMD_RESUME: Ac == 1 (retry); for a termination, whether it aborts (Ab, or 1 with
    // IDR0.TERM_MODEL == 1) or completes as RAZ/WI.
    bool resume_retry = false;
    bool resume_abort = false;
    std::uint16_t stag = 0;
    // StreamID beyond IDR1.SIDSIZE, or SubstreamID (with SSV, or of CFGI_CD) beyond IDR1.SSIDSIZE.
    // CONSTRAINED UNPREDICTABLE (SMMUv3 4.1.7); this model's choice: the command has no effect.
    bool out_of_range = false;

    bool is_illegal() const { return kind == CommandKind::illegal; }
    CommandError error() const { return is_illegal() ? CommandError::ill : CommandError::none; }
    std::uint8_t effective_msh() const { return msh == 0b01 ? 0b00 : msh; }
    // CFGI_STE_RANGE / CFGI_ALL: the aligned range of StreamIDs covered, inclusive.
    std::uint64_t first_stream_id() const { return align_down(stream_id, std::uint64_t{1} << (ste_range + 1)); }
    std::uint64_t last_stream_id() const { return first_stream_id() + (std::uint64_t{1} << (ste_range + 1)) - 1; }
    // CMD_ATC_INV: the span, 4096 * 2^Size bytes (Size 52 and above: every address), and its start,
    // Address aligned down to the span (SMMUv3 4.5.1).
    bool atc_invalidates_all() const { return size >= 52; }
    std::uint64_t atc_span_bytes() const { return atc_invalidates_all() ? 0 : std::uint64_t{4096} << size; }
    std::uint64_t atc_address() const { return atc_invalidates_all() ? 0 : align_down(address, atc_span_bytes()); }
};

// What an address-based TLBI (CMD_TLBI_NH_VA/VAA, CMD_TLBI_EL2_VA/VAA, CMD_TLBI_S2_IPA) names
// (SMMUv3 4.4.1.1): with TG == 0 the single address (every entry that translates it, whatever its
// size); with TG != 0 the addresses A with Address <= A < Address + (NUM + 1) * 2^SCALE * granule,
// not wrapping at the top of the address space (`last` saturates), and only the entries inserted
// with TG's granule and, with TTL != 0, leaf entries from level TTL (the minimum scope the
// specification requires: this model invalidates no more). Address is used as given: the
// UNPREDICTABLE ranges of a misaligned Address are this model's choice of [Address, ...).
struct TlbiAddressRange {
    std::uint64_t first = 0;
    std::uint64_t last = 0;     // inclusive
    unsigned granule_bits = 0;  // 0: entries of any granule
    unsigned leaf_level = 0;    // 0: leaf entries of any level
    // Whether [base, base + 2^size_bits) meets the range (size_bits >= 64: the whole space).
    bool intersects(std::uint64_t base, unsigned size_bits) const {
        const std::uint64_t end = size_bits >= 64 ? ~std::uint64_t{0} : base + low_mask(size_bits);
        return base <= last && end >= first;
    }
};
TlbiAddressRange tlbi_address_range(const DecodedCommand& command);

// CMD_PRI_RESP Resp encodings (SMMUv3 4.5.2).
inline constexpr std::uint8_t kPriRespResponseFailure = 0b00, kPriRespInvalidRequest = 0b01, kPriRespSuccess = 0b10;

// Decodes one command. `features` is what this SMMU implements: commands for absent features are
// CERROR_ILL as SMMUv3 4.1.3 and the individual commands say.
DecodedCommand decode_command(std::uint64_t dw0, std::uint64_t dw1, const Features& features);

// The two words of a command read from memory (16 bytes, little-endian).
std::array<std::uint64_t, 2> command_words(const std::uint8_t* bytes16);

// "CMD_TLBI_NH_VA vmid=0x1 asid=0x2 addr=0x... leaf=1" for the `cmd` log category.
std::string describe(const DecodedCommand& command);

}  // namespace iommu_vp::smmuv3
