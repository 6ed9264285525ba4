// PCIe Address Translation Services between an IOMMU and its endpoints, as both IOMMU models and the
// endpoint models speak them (PCIe Base Specification chapter 10: ATS, ATC invalidation, PRI).
//
// Three exchanges, each a TLM-2.0 construct an integrator can bind:
//
//   Translation request (endpoint -> IOMMU): a read transaction on the IOMMU's upstream socket whose
//     MasterAttrs say AtsState::translation_request, at the untranslated address, carrying an
//     AtsTranslation extension the IOMMU fills in (the Translation Completion). Nothing reaches
//     memory. A completion with neither read nor write permission is "no translation": the endpoint
//     may ask for the page with a page request and try again once it is answered.
//   Translated request (endpoint -> IOMMU): an ordinary read or write whose MasterAttrs say
//     AtsState::translated; its address is already an output address.
//   ATC invalidation (IOMMU -> endpoint) and page requests' responses: the IOMMU's port
//     `sc_port<AtsEndpointIf>` is bound to each ATS-capable endpoint's export. The IOMMU starts an
//     invalidation with atc_invalidate(); the endpoint completes it later, from its own process, by
//     calling the completer back (the Invalidation Completion message), or never when it is broken.
//   Page request (endpoint -> IOMMU): a transaction on the IOMMU's upstream socket carrying a
//     PageRequestMessage extension (PCIe Page Request Message); nothing reaches memory. The IOMMU
//     answers a page-request group with pri_response() on the endpoint's interface (PRG Response).
//
// Not modelled: the translation request's multiple-translation completions (one translation per
// request), Relaxed Ordering and No Snoop attributes, invalidation tag exhaustion (the requester
// bounds its outstanding invalidations itself), ATS memory attributes (AMA).
#pragma once

#include <systemc>
#include <tlm>

#include <cstdint>

namespace iommu_vp {

struct Counter;

// The Translation Completion: what the IOMMU answers to a translation request.
class AtsTranslation : public tlm::tlm_extension<AtsTranslation> {
public:
    enum class Status : std::uint8_t {
        success,              // Successful Completion: the fields below hold the translation
        unsupported_request,  // UR: ATS not enabled for the requester (or a malformed request)
        completer_abort,      // CA: the IOMMU could not complete it (a configuration error)
    };

    // ---- request (set by the endpoint) ----
    bool no_write = false;  // NW: the endpoint asks for read-only access

    // ---- completion (set by the IOMMU) ----
    Status status = Status::success;
    std::uint64_t translated_address = 0;  // output address of the start of the range
    std::uint64_t range_bytes = 4096;      // size of the translated range: a power of two >= 4 KiB
    bool read = false;                     // R
    bool write = false;                    // W
    bool execute = false;                  // Exe (with PASID)
    bool privileged = false;               // Priv (with PASID)
    bool global = false;                   // Global: valid for every PASID of the function
    bool untranslated_only = false;        // U: use untranslated requests for this range

    // Success without any permission: the page is not there (PRI may ask for it).
    bool no_translation() const { return status == Status::success && !read && !write; }
    // The completion as an Unsupported Request leaves it, before an IOMMU fills it in; the request's
    // NW is kept.
    void reset_completion() {
        status = Status::unsupported_request;
        translated_address = 0;
        range_bytes = 4096;
        read = write = execute = false;
        privileged = global = untranslated_only = false;
    }

    tlm::tlm_extension_base* clone() const override { return new AtsTranslation(*this); }
    void copy_from(const tlm::tlm_extension_base& other) override {
        *this = static_cast<const AtsTranslation&>(other);
    }
};

// One ATC invalidation request (Invalidate Request Message), by requester and address range.
struct AtcInvalidation {
    std::uint32_t requester = 0;       // the endpoint function's StreamID / requester ID
    bool has_pasid = false;
    std::uint32_t pasid = 0;
    bool global = false;               // also entries marked global (every PASID)
    std::uint64_t address = 0;         // start of the range, aligned to its size
    std::uint64_t size = 0;            // bytes: a power of two >= 4 KiB, or kAll
    std::uint32_t tag = 0;             // ITag, chosen by the IOMMU, echoed by the completion

    static constexpr std::uint64_t kAll = ~0ull;
    bool covers(std::uint64_t start, std::uint64_t bytes) const {
        if (size == kAll) return true;
        return start < address + size && address < start + bytes;
    }
};

// A page request (PCIe Page Request Message), the last of its group when `last` is set.
class PageRequestMessage : public tlm::tlm_extension<PageRequestMessage> {
public:
    std::uint64_t address = 0;         // page-aligned untranslated address
    std::uint32_t group_index = 0;     // Page Request Group Index (9 bits)
    bool last = false;                 // L
    bool read = false;
    bool write = false;
    bool execute = false;
    bool privileged = false;

    tlm::tlm_extension_base* clone() const override { return new PageRequestMessage(*this); }
    void copy_from(const tlm::tlm_extension_base& other) override {
        *this = static_cast<const PageRequestMessage&>(other);
    }
};

// An IOMMU's first step with a translation request: the payload's AtsTranslation, reset and the
// payload answered OK (the completion's status says the rest); or nullptr when the initiator attached
// none (a platform error: counted in `aborted`, logged and aborted).
AtsTranslation* accept_translation_request(tlm::tlm_generic_payload& payload, const char* owner, Counter& aborted);

// PRG Response Code.
enum class PrgResponseCode : std::uint8_t {
    success,               // the pages are there: try the translation again
    invalid_request,       // the request was wrong: do not retry
    response_failure,      // the host cannot serve page requests: stop using PRI
};
const char* to_string(PrgResponseCode code);

// The IOMMU's side of an invalidation, called by the endpoint when it has completed one.
class AtcInvalidationCompleter {
public:
    virtual ~AtcInvalidationCompleter() = default;
    virtual void atc_invalidation_completed(const AtcInvalidation& request) = 0;
};

// What an ATS-capable endpoint offers its IOMMU.
class AtsEndpointIf : public virtual sc_core::sc_interface {
public:
    // Whether this endpoint is the function with that requester ID / StreamID.
    virtual bool ats_serves(std::uint32_t requester) const = 0;
    // Starts an invalidation; returns at once. The endpoint calls completer.atc_invalidation_completed
    // once no entry it holds (and no translation it has in flight) covers the range any more.
    virtual void atc_invalidate(const AtcInvalidation& request, AtcInvalidationCompleter& completer) = 0;
    // The answer to a page-request group.
    virtual void pri_response(std::uint32_t requester, bool has_pasid, std::uint32_t pasid,
                              std::uint32_t group_index, PrgResponseCode code) = 0;
};

}  // namespace iommu_vp
