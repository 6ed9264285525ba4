// Vtd: page requests (VT-d chapter 7; the module is split across files by concern). A page request
// (a PageRequestMessage on an upstream socket) is accepted at once and processed by the unit's own
// process after `page_request_latency`: the context is checked (scalable mode, root and context
// entries, PRE), then the 32-byte descriptor is written at PQT, PQT advances, PRS.PPR is set and the
// page-request event signalled (page_request.h has the formats).
//
// Choices (labelled, the specification text was not available to confirm them):
// - A page request the unit cannot queue because the queue is full or PRS.PRO is set is lost, and
//   PRO is set; when it is the last of its group (LPIG) the unit answers the group itself with
//   Success, so that the endpoint retries its translation request (VT-d 7.5.x as remembered; SMMUv3
//   and the RISC-V IOMMU specify the same auto-response; QEMU leaves the response to the device).
// - A page request refused by a fault (RTA.3, SCT.8, a context fault) is recorded as a fault with
//   T = page request, and a last request gets Invalid Request. One that arrives while translation is
//   disabled is refused the same way without a record. One whose descriptor write fails gets
//   Response Failure (logged as a guest error: the queue is in memory software chose).
// - A page request on a unit without ECAP.PRS is answered with an error response (a platform error:
//   nothing can answer it).
#include "models/vtd/vtd.h"

#include "models/common/little_endian.h"
#include "models/common/log.h"
#include "models/common/master_attrs.h"
#include "models/common/translated_access.h"
#include "models/vtd/registers.h"

namespace iommu_vp {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;
using namespace vtd;

void Vtd::receive_page_request(tlm::tlm_generic_payload& p, sc_time& delay, const PageRequestMessage& message) {
    const MasterAttrs* attrs = accept_device_transaction(p, name(), traffic_.missing_attributes);
    if (!attrs) return;
    if (!params_.features.page_requests) {
        IVP_LOG(LogCategory::guest_error, name(), "page request from " << attrs->describe()
                                                      << " refused: the unit has no page requests (ECAP.PRS = 0)");
        p.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
        return;
    }
    ++page_requests_;
    ++page_requests_received_;
    PageRequestDescriptor d;
    d.requester_id = static_cast<std::uint16_t>(attrs->stream_id);
    d.pasid_present = attrs->has_substream;
    d.pasid = attrs->has_substream ? attrs->substream_id : 0;
    d.execute = message.execute;
    d.privileged = message.privileged;
    d.read = message.read;
    d.write = message.write;
    d.last = message.last;
    d.group_index = static_cast<std::uint16_t>(message.group_index & low_mask(page_request_field::PRGI.width));
    d.address = align_down(message.address, 4096);
    page_requests_pending_.post(d, sc_core::sc_time_stamp() + delay + params_.page_request_latency);
    p.set_response_status(tlm::TLM_OK_RESPONSE);  // a posted message: accepted
}

void Vtd::page_request_processor() {
    for (;;) {
        process_page_request(page_requests_pending_.take_when_due());
        ++page_requests_processed_;
        page_request_processed_.notify(SC_ZERO_TIME);
    }
}

void Vtd::process_page_request(const PageRequestDescriptor& request) {
    IVP_LOG(LogCategory::cmd, name(), "page request " << describe(request));
    sc_time delay = SC_ZERO_TIME;
    if (!page_request_allowed(request, delay)) {
        ++page_requests_refused_;
        wait(delay);
        auto_respond(request, PrgResponseCode::invalid_request);
        return;
    }
    const QueueOutcome outcome = queue_page_request(request, delay);
    wait(delay);
    // Lost to a full queue: Success, so that the endpoint asks again; lost to a failed write:
    // Response Failure.
    if (outcome == QueueOutcome::overflowed) auto_respond(request, PrgResponseCode::success);
    if (outcome == QueueOutcome::write_failed) auto_respond(request, PrgResponseCode::response_failure);
}

bool Vtd::page_request_allowed(const PageRequestDescriptor& request, sc_time& delay) {
    if (!translation_enabled_) {
        IVP_LOG(LogCategory::guest_error, name(), "page request from 0x" << std::hex << request.requester_id
                                                      << " while translation is disabled: refused");
        return false;
    }
    const PageRequestCheck check = check_page_request_context(request.requester_id, delay);
    if (check.ok()) return true;
    ++traffic_.faults;
    if (Counter* by_reason = faults_by_reason_[static_cast<std::uint8_t>(check.fault)]) ++*by_reason;
    if (!check.record_fault) {
        ++faults_suppressed_;
        IVP_LOG(LogCategory::fault, name(), to_string(check.fault) << " for a page request from 0x" << std::hex
                                                                   << request.requester_id << " not recorded (FPD)");
        return false;
    }
    FaultRecord record;
    record.reason = check.fault;
    record.source_id = request.requester_id;
    record.address = request.address;
    record.type = FaultRequestType::page_request;
    record.pasid_present = request.pasid_present;
    record.pasid = request.pasid;
    record.privileged = request.pasid_present && request.privileged;
    post_fault(record, delay);
    return false;
}

Vtd::QueueOutcome Vtd::queue_page_request(const PageRequestDescriptor& request, sc_time& delay) {
    const std::uint64_t status = bank_.get("PRS");
    const PageRequestQueue queue = PageRequestQueue::from_pqa(bank_.get("PQA"), params_.features);
    const std::uint64_t head = bank_.get("PQH");
    const std::uint64_t tail = bank_.get("PQT");
    if (prs::PRO.is_set_in(status) || queue.is_full(head, tail)) {
        // While PRO is set nothing is queued and no new event raised; a full queue sets PRO.
        ++page_requests_overflowed_;
        IVP_LOG(LogCategory::fault, name(), "page request lost: "
                                                << (prs::PRO.is_set_in(status) ? "PRS.PRO set" : "queue full"));
        if (!prs::PRO.is_set_in(status)) set_page_request_status(prs::PRO);
        return QueueOutcome::overflowed;
    }
    const std::uint32_t index = queue.index_of(tail);
    const PageRequestWords words = encode_page_request(request);
    std::uint8_t bytes[kPageRequestDescriptorBytes];
    for (unsigned i = 0; i < words.size(); ++i) store_le(bytes + 8 * i, 8, words[i]);
    bool written = false;
    {
        DownstreamAccess access(downstream, &delay, payloads_);
        written = access.write(queue.descriptor_address(index), bytes, sizeof bytes);
    }
    // PQT moves, and PPR and the event follow, once the descriptor is in memory.
    const std::uint64_t generation = queue_generation_;
    wait(delay);
    delay = SC_ZERO_TIME;
    if (generation != queue_generation_) return QueueOutcome::abandoned;  // reset meanwhile
    if (!written) {
        IVP_LOG(LogCategory::guest_error, name(), "page-request descriptor write to 0x"
                                                      << std::hex << queue.descriptor_address(index)
                                                      << " aborted: request lost");
        return QueueOutcome::write_failed;
    }
    ++page_requests_queued_;
    bank_.set("PQT", queue.pointer_register(queue.next_index(index)));
    set_page_request_status(prs::PPR);
    return QueueOutcome::queued;
}

void Vtd::set_page_request_status(BitField status_bit) {
    // The page-request event is signalled when PPR or PRO becomes set and neither was set before
    // (VT-d 7.5.2; QEMU vtd_generate_page_request_event).
    const std::uint64_t status = bank_.get("PRS");
    if (status_bit.is_set_in(status)) return;
    bank_.set("PRS", status_bit.insert(status, 1));
    if (!prs::PPR.is_set_in(status) && !prs::PRO.is_set_in(status)) signal_event(EventGroup::page_request);
}

void Vtd::auto_respond(const PageRequestDescriptor& request, PrgResponseCode code) {
    // Only the last request of a group is answered (a group gets one response).
    if (!request.last) return;
    AtsEndpointIf* endpoint = ats_endpoint_for(request.requester_id);
    if (!endpoint) return;
    ++page_request_auto_responses_;
    IVP_LOG(LogCategory::cmd, name(), "page group response by the unit to 0x" << std::hex << request.requester_id
                                                                              << " prgi=0x" << request.group_index
                                                                              << ": " << to_string(code));
    endpoint->pri_response(request.requester_id, request.pasid_present, request.pasid, request.group_index, code);
}

}  // namespace iommu_vp
