// AtcInvalidator: an IOMMU's side of ATC invalidation, shared by the SMMUv3 (CMD_ATC_INV completed by
// CMD_SYNC) and VT-d (device-TLB invalidation descriptors completed by a wait descriptor) models.
//
// The IOMMU's `endpoints` port binds to every ATS-capable endpoint's export (any number, including
// none). send() delivers a request to the endpoint that answers for its requester ID and remembers it
// as outstanding until the endpoint completes it, with its own deadline (the time-out counts from
// when it was sent); a request for a requester no endpoint answers for completes at once (nothing can
// cache for it). A synchronisation point (CMD_SYNC, a wait descriptor) calls wait_for_sent(): it
// returns once every request sent before it has completed, or names the first one to miss its
// deadline; that one is given up (its late completion is ignored), as an IOMMU that reports an
// invalidation time-out does, and the ones after it stay for the next synchronisation.
//
// Must be a member of the IOMMU's module (the port is elaborated as its child).
#pragma once

#include "models/common/ats.h"

#include <systemc>

#include <cstdint>
#include <deque>
#include <map>

namespace iommu_vp {

class AtcInvalidator final : public AtcInvalidationCompleter {
public:
    explicit AtcInvalidator(const char* port_name = "ats_endpoints");

    // The IOMMU's port to its endpoints.
    sc_core::sc_port<AtsEndpointIf, 0, sc_core::SC_ZERO_OR_MORE_BOUND> endpoints;

    // The endpoint that answers for `requester`, or nullptr.
    AtsEndpointIf* endpoint_for(std::uint32_t requester);
    // Sends `request` (its tag is chosen here), to complete within `timeout`; returns its sequence
    // number.
    std::uint64_t send(AtcInvalidation request, const sc_core::sc_time& timeout);
    struct SyncOutcome {
        enum class Kind { completed, timed_out, abandoned } kind = Kind::completed;
        std::uint32_t requester = 0;  // the one that timed out
        std::uint64_t completed = 0;  // requests that completed during this wait
    };
    // From an SC_THREAD: waits for every request sent so far, each until its deadline. `abandoned` when
    // reset() ran meanwhile (nothing is outstanding any more).
    SyncOutcome wait_for_sent();
    std::size_t outstanding() const { return outstanding_.size(); }

    // Counters for the IOMMU's statistics.
    std::uint64_t sent() const { return sent_; }
    std::uint64_t completed() const { return completed_; }
    std::uint64_t timed_out() const { return timed_out_; }
    std::uint64_t without_endpoint() const { return without_endpoint_; }

    void reset();

private:
    void atc_invalidation_completed(const AtcInvalidation& request) override;
    // Waits until every request with a sequence number below `sequence` has completed. False when
    // `timeout` passed first; the late ones are then forgotten.
    bool wait_until_completed(std::uint64_t sequence, const sc_core::sc_time& timeout);

    std::map<std::uint32_t, std::uint64_t> outstanding_;  // tag -> sequence
    struct Sent {
        std::uint64_t sequence;
        std::uint32_t requester;
        sc_core::sc_time deadline;  // absolute
    };
    std::deque<Sent> sent_order_;  // not yet waited for by a synchronisation, in order
    std::uint64_t resets_ = 0;
    std::uint64_t next_sequence_ = 0;
    std::uint32_t next_tag_ = 0;
    sc_core::sc_event completion_;
    std::uint64_t sent_ = 0, completed_ = 0, timed_out_ = 0, without_endpoint_ = 0;
};

}  // namespace iommu_vp
