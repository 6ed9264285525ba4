// AtcInvalidator: an IOMMU's side of ATC invalidation, shared by the SMMUv3 (CMD_ATC_INV completed by
// CMD_SYNC) and VT-d (device-TLB invalidation descriptors completed by a wait descriptor) models.
//
// The IOMMU's `endpoints` port binds to every ATS-capable endpoint's export (any number, including
// none). send() delivers a request to the endpoint that answers for its requester ID and remembers it
// as outstanding until the endpoint completes it; a request for a requester no endpoint answers for
// completes at once (nothing can cache for it). A synchronisation point (CMD_SYNC, a wait
// descriptor) asks wait_until_completed() for every request sent before it: it returns when they have
// completed, or false once `timeout` has passed with some still outstanding; those are then given up
// (their late completions are ignored), as an IOMMU that reports an invalidation time-out does.
//
// Must be a member of the IOMMU's module (the port is elaborated as its child).
#pragma once

#include "models/common/ats.h"

#include <systemc>

#include <cstdint>
#include <map>

namespace iommu_vp {

class AtcInvalidator final : public AtcInvalidationCompleter {
public:
    explicit AtcInvalidator(const char* port_name = "ats_endpoints");

    // The IOMMU's port to its endpoints.
    sc_core::sc_port<AtsEndpointIf, 0, sc_core::SC_ZERO_OR_MORE_BOUND> endpoints;

    // Sends `request` (its tag is chosen here); returns the sequence number a later wait uses.
    std::uint64_t send(AtcInvalidation request);
    // The sequence number the next send() will get: waiting for everything before it covers every
    // request sent so far.
    std::uint64_t next_sequence() const { return next_sequence_; }
    // From an SC_THREAD: waits until every request with a sequence number below `sequence` has
    // completed. False when `timeout` passed first; the late ones are then forgotten.
    bool wait_until_completed(std::uint64_t sequence, const sc_core::sc_time& timeout);
    std::size_t outstanding() const { return outstanding_.size(); }

    // Counters for the IOMMU's statistics.
    std::uint64_t sent() const { return sent_; }
    std::uint64_t completed() const { return completed_; }
    std::uint64_t timed_out() const { return timed_out_; }
    std::uint64_t without_endpoint() const { return without_endpoint_; }

    void reset();

private:
    void atc_invalidation_completed(const AtcInvalidation& request) override;

    std::map<std::uint32_t, std::uint64_t> outstanding_;  // tag -> sequence
    std::uint64_t next_sequence_ = 0;
    std::uint32_t next_tag_ = 0;
    sc_core::sc_event completion_;
    std::uint64_t sent_ = 0, completed_ = 0, timed_out_ = 0, without_endpoint_ = 0;
};

}  // namespace iommu_vp
