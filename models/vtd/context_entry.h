// VT-d root and context entries, as plain C++: the little-endian 64-bit words of one entry in, the
// decoded fields or the fault reason that replaces them out (VT-d 3.x, 9.1-9.4). Also where each
// entry lives, and describe() strings for the model's logs.
//
// Models: the legacy root entry (RTADDR.TTM = 00) and context entry (TT, AW, DID, SLPTPTR); the
// scalable-mode root entry (lower and upper halves) and context entry (DTE, PASIDE, PRE, PDTS,
// PASIDDIRPTR, RID_PASID, RID_PRIV). Checks, in this order: P, then reserved fields, then invalid
// programming. Reserved fields are the architecture's reserved bits, address bits at or above the
// host address width, and the fields the architecture treats as reserved on a unit without the
// feature. Invalid programming is a field whose value asks for something the unit does not do.
// How this code classes the cases (faults are from fault_reason.h):
//   legacy context, reserved (LCT.3, 0x0B): bits [11:4], [71], [127:88], SLPTPTR bits at or above
//     the host address width, and DID bits above CAP.ND's width. The DID rule follows the VT-d
//     context-entry text, which treats the unused upper DID bits as reserved. VirtualBox's
//     DevIommuIntel builds the same mask from ND. QEMU has no DID check.
//   legacy context, invalid (LCT.4, 0x03): TT = 3 (a reserved encoding), TT = 2 without ECAP.PT,
//     TT = 1 without ECAP.DT, and an AW that SAGAW does not list (TT 0 and 1 only). TT comes
//     first because it decides whether AW is used. QEMU (vtd_ce_type_check,
//     vtd_is_sl_level_supported) and VirtualBox (LCT.4.1 AW, LCT.4.2 TT) agree on the class.
//     With TT = 2 the architecture asks for the largest SAGAW width in AW. It is not a
//     context-entry check: VirtualBox reports a mismatch as LGN.1 on the request, QEMU ignores it.
//   scalable root, reserved (SRT.3, 0x3A): bits [11:1] and pointer bits at or above the host
//     address width, of the half that devfn selects only. Each half has its own P and pointer.
//     QEMU checks both halves.
//   scalable context, reserved (SCT.3, 0x42): bits [8:5], [127:85], words 2 and 3, PASIDDIRPTR
//     bits at or above the host address width. DTE without ECAP.DT, PRE without ECAP.PRS and
//     RID_PRIV without ECAP.RPRIVS are also reserved: the architecture treats a feature's enable
//     as Reserved(0) when the unit does not report the feature. This is confirmed for PASID-entry
//     SRE, AW and PGSNP (Linux commits quoting the specification). For DTE, PRE and RID_PRIV it
//     comes from OpenVMM's spec-derived VT-d formats (unconfirmed). Features has no RPRIVS, so
//     RID_PRIV = 1 is always reserved.
//   scalable context, RID_PASID without ECAP.RPS: not a fault. A unit without RPS uses PASID 0
//     for requests without PASID, whatever the field holds (VT-d 11.4.3 as quoted by a
//     third-party driver; unconfirmed). Hence effective_rid_pasid. No check yields SCT.4 here.
// Not modelled: the extended root/context formats of VT-d 2.x, the 30-bit (AW = 0, SAGAW bit 0)
// width, DID 0 under Caching Mode, which request types TT and DTE admit (LCT.5 / SCT.5 are the
// model's checks), FPD qualification of faults (the model's; FPD is decoded on every outcome).
//
// Reading 128- and 256-bit entries: the model fetches entries as 64-bit single-copy-atomic reads,
// and must read word 0, the word that holds P, first. Linux fills every other field, then issues
// dma_wmb() and sets P last in word 0 (context_set_present, pasid_set_present; upstream commit
// c1e4f1dccbe9, whose message says hardware fetches are not atomic against multiple CPU writes).
// A read of word 0 that sees P = 1 is ordered after the barrier, so later reads of words 1..n see
// the finished entry. Reading word 1 first could pair a stale word 1 with P = 1. When P is clear
// the other words are not needed and may be passed as zero. Teardown is the reverse: Linux clears
// P alone, invalidates, and only then zeroes the rest. A walk that read P = 1 must therefore end
// before the model completes the invalidation that follows. A scalable root entry is two
// independent 64-bit halves: read only the half that devfn selects.
#pragma once

#include "models/common/bitfield.h"
#include "models/vtd/fault_reason.h"
#include "models/vtd/features.h"

#include <array>
#include <cstdint>
#include <string>

namespace iommu_vp::vtd {

// A decoded entry, or the fault reason that replaces it. `value` is filled with the fields as
// written on every outcome, since FPD applies even to a not-present or faulty entry; use the
// rest only when ok(). `reason` is a static string for the guest-error log.
template <typename T>
struct Decoded {
    FaultReason fault = FaultReason::none;
    const char* reason = "";
    T value{};

    bool ok() const { return fault == FaultReason::none; }
};

// The two outcomes of a decoder.
template <typename T>
Decoded<T> decoded(const T& value) {
    return Decoded<T>{FaultReason::none, "", value};
}
template <typename T>
Decoded<T> refuse(FaultReason reason, const char* why, const T& value) {
    return Decoded<T>{reason, why, value};
}

using RootWords = std::array<std::uint64_t, 2>;
using ContextWords = std::array<std::uint64_t, 2>;
using ScalableContextWords = std::array<std::uint64_t, 4>;

// Table geometry: every table is one 4 KiB page.
inline constexpr std::uint64_t kTableBytes = 4096;
inline constexpr std::uint64_t kRootEntryBytes = 16;           // 256 per table, indexed by bus
inline constexpr std::uint64_t kContextEntryBytes = 16;        // legacy: 256 per table, by devfn
inline constexpr std::uint64_t kScalableContextEntryBytes = 32;  // 128 per table, by devfn[6:0]
inline constexpr unsigned kScalableUpperDevfn = 128;           // devfn 128..255 use the upper half

// Field positions (VT-d 9.1-9.4), as {lsb, width} in the 64-bit word that holds them: the
// specification's bit n of an entry is bit (n % 64) of word (n / 64).
namespace root_entry {
// Word 0; word 1 is reserved.
inline constexpr BitField kPresent = bit(0);
inline constexpr BitField kReserved = bits(11, 1);
inline constexpr BitField kContextTablePointer = bits(63, 12);
}  // namespace root_entry

// One half of a scalable-mode root entry: word 0 holds LP and LCTP (devfn 0..127), word 1 holds
// UP and UCTP (devfn 128..255), each in the same layout.
namespace sm_root_entry {
inline constexpr BitField kPresent = bit(0);
inline constexpr BitField kReserved = bits(11, 1);
inline constexpr BitField kContextTablePointer = bits(63, 12);
}  // namespace sm_root_entry

namespace context_entry {
// Word 0.
inline constexpr BitField kPresent = bit(0);
inline constexpr BitField kFaultProcessingDisable = bit(1);
inline constexpr BitField kTranslationType = bits(3, 2);
inline constexpr BitField kReserved0 = bits(11, 4);
inline constexpr BitField kSecondLevelPointer = bits(63, 12);
// Word 1.
inline constexpr BitField kAddressWidth = bits(2, 0);
inline constexpr BitField kAvailable = bits(6, 3);   // ignored by hardware (software's own)
inline constexpr BitField kReserved1Low = bit(7);
inline constexpr BitField kDomainId = bits(23, 8);
inline constexpr BitField kReserved1High = bits(63, 24);
}  // namespace context_entry

namespace sm_context_entry {
// Word 0.
inline constexpr BitField kPresent = bit(0);
inline constexpr BitField kFaultProcessingDisable = bit(1);
inline constexpr BitField kDeviceTlbEnable = bit(2);
inline constexpr BitField kPasidEnable = bit(3);
inline constexpr BitField kPageRequestEnable = bit(4);
inline constexpr BitField kReserved0 = bits(8, 5);
inline constexpr BitField kPasidDirectorySize = bits(11, 9);
inline constexpr BitField kPasidDirectoryPointer = bits(63, 12);
// Word 1; words 2 and 3 are reserved.
inline constexpr BitField kRidPasid = bits(19, 0);
inline constexpr BitField kRidPrivilege = bit(20);
inline constexpr BitField kReserved1 = bits(63, 21);
}  // namespace sm_context_entry

// Legacy context-entry TT.
enum class TranslationType : std::uint8_t {
    translated = 0,             // untranslated requests through the second-level tables
    translated_device_tlb = 1,  // also translated requests and translation requests (ATS)
    pass_through = 2,           // untranslated requests pass through untranslated
    reserved = 3,
};

struct RootEntry {
    bool present = false;
    std::uint64_t context_table = 0;  // CTP, in place (4 KiB aligned)
};

// The half of a scalable-mode root entry that one devfn uses.
struct ScalableRootHalf {
    bool upper = false;               // UP/UCTP (devfn 128..255) rather than LP/LCTP
    bool present = false;
    std::uint64_t context_table = 0;  // LCTP or UCTP, in place
};

struct ContextEntry {
    bool present = false;
    bool fault_processing_disable = false;
    TranslationType translation_type = TranslationType::translated;
    std::uint64_t second_level_table = 0;  // SLPTPTR, in place
    unsigned address_width = 0;            // AW encoding as written
    unsigned input_bits = 0;               // 39, 48 or 57 for AW 1..3; 0 for other encodings
    unsigned levels = 0;                   // 3, 4 or 5 for AW 1..3; 0 for other encodings
                                           // (both unchecked when TT is pass-through)
    unsigned domain_id = 0;                // DID
    unsigned available = 0;                // AVAIL bits [70:67], software's own
};

struct ScalableContextEntry {
    bool present = false;
    bool fault_processing_disable = false;
    bool device_tlb_enable = false;        // DTE
    bool pasid_enable = false;             // PASIDE: requests with PASID are allowed
    bool page_request_enable = false;      // PRE
    unsigned pasid_directory_size = 0;     // PDTS: the directory has 2^(PDTS + 7) entries
    std::uint64_t pasid_directory = 0;     // PASIDDIRPTR, in place
    std::uint32_t rid_pasid = 0;           // RID_PASID as written
    std::uint32_t effective_rid_pasid = 0; // the PASID requests without PASID use (0 without RPS)
    bool rid_privilege = false;            // RID_PRIV

    std::uint32_t directory_entries() const { return std::uint32_t{1} << (pasid_directory_size + 7); }
};

Decoded<RootEntry> decode_root_entry(const RootWords& words, const Features& features);

// Decodes the half of `words` that `devfn` selects; the other word is not consulted.
Decoded<ScalableRootHalf> decode_sm_root_entry(const RootWords& words, unsigned devfn, const Features& features);

Decoded<ContextEntry> decode_context_entry(const ContextWords& words, const Features& features);

Decoded<ScalableContextEntry> decode_sm_context_entry(const ScalableContextWords& words, const Features& features);

// Where entries live. `root_table` is RTADDR.RTA, `context_table` a root entry's (L/U)CTP.
std::uint64_t root_entry_address(std::uint64_t root_table, unsigned bus);
// The 64-bit half of the scalable-mode root entry for bus/devfn: +8 for the upper half.
std::uint64_t sm_root_half_address(std::uint64_t root_table, unsigned bus, unsigned devfn);
std::uint64_t context_entry_address(std::uint64_t context_table, unsigned devfn);
// Scalable mode: the lower and upper tables each hold devfn[6:0]'s 32-byte entries.
std::uint64_t sm_context_entry_address(std::uint64_t context_table, unsigned devfn);

// "translated", "translated+dev-tlb", "pass-through", "reserved".
const char* translation_type_name(TranslationType type);

// The fields by name, for the model's logs: "P=1 FPD=0 TT=translated AW=48-bit DID=0x5 ...".
std::string describe(const RootEntry& entry);
std::string describe(const ScalableRootHalf& entry);
std::string describe(const ContextEntry& entry);
std::string describe(const ScalableContextEntry& entry);

}  // namespace iommu_vp::vtd
