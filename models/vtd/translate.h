// One VT-d DMA-remapping translation from the tables in memory (VT-d 3.4-3.8): find the context
// (legacy root and context entries, or scalable-mode root and context entries, the PASID directory
// and the PASID-table entry), walk first level, second level or both, check the access, and either
// produce the output address or the architected fault with what its fault record needs. Plain C++:
// the model supplies a TableMemory backed by its downstream socket and acts on the result (forward,
// terminate, record).
//
// Models: every check of context_entry.h, pasid_entry.h and page_walk.h with their fault reasons;
// RTADDR.TTM (legacy, scalable; other values fault with RTA.1); requests with PASID in legacy mode
// (RTA.2); PASIDE, the directory size and RID_PASID; SRE and ERE; TT and DTE against ATS requests
// (translation requests and translated requests need legacy TT = 01 or scalable DTE = 1, else
// LCT.5 / SCT.5; a translation request is then walked like an untranslated request and returns the
// rights it found, a translated request passes through with its address unchanged after the context
// checks only); pass-through (legacy TT = 2, PGTT = 4); output addresses in the interrupt range
// (LGN.4 / SGN.8); fault processing disable for qualified faults (faults found before the entry that
// holds FPD, and errors reading a root, context or PASID structure, are always recorded; errors
// reading paging entries are qualified, as QEMU's table of qualified faults has it). With caches (caches.h), contexts, PASID entries and translations come from them when
// present; an IOTLB hit still checks the access, and a write through a translation whose dirty
// bit is not yet set walks again so the walk sets it.
// Entries wider than 64 bits are read as 64-bit single-copy-atomic words, the word holding P first
// (context_entry.h explains why this order makes a driver's "P last" update safe).
// Also the context checks of a page request (check_page_request: scalable mode, root and context
// entries, PRE) and how a translation request's fault is answered (translation_request_answer).
// Does not model: interrupt remapping, requests with PASID that carry no privilege or execute bits
// beyond what MasterAttrs has, the PASID-table checks for translated requests and page requests
// (only the context entry decides them).
#pragma once

#include "models/common/fault_response.h"
#include "models/common/translation_work.h"
#include "models/vtd/caches.h"
#include "models/vtd/fault_reason.h"
#include "models/vtd/features.h"
#include "models/vtd/invalidation.h"
#include "models/vtd/page_walk.h"

#include <cstdint>
#include <optional>

namespace iommu_vp::vtd {

// The address range untranslated requests use for interrupts (VT-d 3.14, 5.1).
inline constexpr std::uint64_t kInterruptRangeFirst = 0xfee0'0000;
inline constexpr std::uint64_t kInterruptRangeLast = 0xfeef'ffff;
constexpr bool in_interrupt_range(std::uint64_t address) {
    return address >= kInterruptRangeFirst && address <= kInterruptRangeLast;
}

enum class RequestKind : std::uint8_t { untranslated, translation_request, translated };

struct TranslationRequest {
    std::uint16_t source_id = 0;             // bus << 8 | device << 3 | function
    std::optional<std::uint32_t> pasid;
    std::uint64_t address = 0;
    Access access;                           // execute and supervisor only count with a PASID
    RequestKind kind = RequestKind::untranslated;
};

// Unit-wide state a translation depends on: latched by SRTP, and the model's parameters.
struct TranslationEnvironment {
    Features features;
    std::uint64_t root_table = 0;            // RTADDR.RTA as latched
    TranslationTableMode mode = TranslationTableMode::legacy;
    bool cache_faults = false;               // caching mode: keep faulting entries in the caches
};

struct TranslationResult {
    enum class Kind { translated, faulted };
    Kind kind = Kind::faulted;
    std::uint64_t output_address = 0;
    unsigned size_bits = 12;                 // the page the translation covers
    bool pass_through = false;
    // The rights of the translation (from the walk or the IOTLB entry; everything for pass-through
    // and translated requests), for a translation request's completion.
    Permissions permissions;
    // Faults.
    FaultReason fault = FaultReason::none;
    bool record_fault = false;               // false: FPD suppressed a qualified fault
    FaultResponse response = FaultResponse::abort;
    const char* reason = "";                 // for the log
    // The PASID the request used (its own, or RID_PASID), for the fault record's PP/PV fields.
    std::optional<std::uint32_t> pasid;
    TranslationWork work;
};

TranslationResult translate(const TranslationRequest& request, const TranslationEnvironment& environment,
                            TableMemory& memory, const TranslationCaches& caches = {});

// How a translation request that met `reason` is answered (VT-d 4.2.3; see COMPLIANCE.md, the
// classes are the model's reading): a not-present or not-permitted page (a walk fault of the
// leaf-level kind: not present, read/write/execute/user denied, non-canonical or beyond the width)
// is a successful completion with R = W = 0 and no fault record; a request the context does not
// allow (TT/DTE, a structure not present, PASIDE, the PASID beyond the directory, SRE/ERE, the
// output in the interrupt range) is Unsupported Request with a fault record; an error reading a
// structure, reserved bits or invalid programming is Completer Abort with a fault record.
enum class TranslationRequestAnswer : std::uint8_t { no_translation, unsupported_request, completer_abort };
TranslationRequestAnswer translation_request_answer(FaultReason reason);

// The checks a page request meets before it is queued: scalable mode (RTA.3 in legacy mode), the
// scalable-mode root and context entries (through the context cache), and PRE (SCT.8). `fault` is
// none when it may be queued; `record_fault` is false when FPD suppresses a qualified fault.
struct PageRequestCheck {
    FaultReason fault = FaultReason::none;
    bool record_fault = true;
    const char* reason = "";
    TranslationWork work;
    bool ok() const { return fault == FaultReason::none; }
};
PageRequestCheck check_page_request(std::uint16_t source_id, const TranslationEnvironment& environment,
                                    TableMemory& memory, const TranslationCaches& caches = {});

// Whether fault processing disable may suppress a fault (a qualified fault). Not qualified: faults
// found before the FPD field is known and errors reading a root, context or PASID structure.
bool is_qualified(FaultReason reason);
// Errors reading a root, context or PASID structure: never kept in a cache (caching mode caches
// entries that were read and found wrong, not reads that failed).
bool is_access_error(FaultReason reason);

}  // namespace iommu_vp::vtd
