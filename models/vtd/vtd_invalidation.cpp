// Vtd: invalidation, by registers and by the queue, applied to the caches by one function per cache
// (the module is split across files by concern).
#include "models/vtd/vtd.h"

#include "models/common/little_endian.h"
#include "models/common/log.h"
#include "models/vtd/registers.h"

namespace iommu_vp {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;
using namespace vtd;

namespace {

// The ATC invalidation a device-TLB descriptor asks for.
AtcInvalidation atc_request(std::uint16_t source_id, bool has_pasid, std::uint32_t pasid, bool global, bool size,
                            std::uint64_t address) {
    AtcInvalidation request;
    request.requester = source_id;
    request.has_pasid = has_pasid;
    request.pasid = pasid;
    request.global = global;
    const DeviceTlbRange range = device_tlb_range(size, address);
    request.address = range.all ? 0 : range.address;
    request.size = range.all ? AtcInvalidation::kAll : range.bytes;
    return request;
}

}  // namespace

void Vtd::apply(const ContextCacheInvalidation& invalidation) { context_cache_.invalidate(invalidation); }

void Vtd::apply(const IotlbInvalidation& invalidation) {
    iotlb_.invalidate(invalidation);
    paging_structure_cache_.invalidate(invalidation);
}

void Vtd::apply(const PasidCacheInvalidation& invalidation) { pasid_cache_.invalidate(invalidation); }

void Vtd::invalidate_all_caches() {
    context_cache_.invalidate_all();
    pasid_cache_.invalidate_all();
    iotlb_.invalidate_all();
    paging_structure_cache_.invalidate_all();
}

// ---------------------------------------------------------------------------------------------
// Queued invalidation

void Vtd::on_iqt_write(const RegisterWrite& w) {
    if (!gsts(gcmd::QIE)) return;  // the tail is only looked at while the queue is enabled
    if (const QueueError error = check_tail(w.new_value, queue_); error != QueueError::none) {
        queue_error(error);
        return;
    }
    queue_work_.notify(access_offset_);
}

bool Vtd::queue_can_run() const {
    // IQE and ITE both stop the queue until software clears them (VT-d 6.5.2.10).
    const std::uint64_t status = bank_.get("FSTS");
    return gsts(gcmd::QIE) && !fsts::IQE.is_set_in(status) && !fsts::ITE.is_set_in(status) &&
           bank_.get("IQH") != bank_.get("IQT");
}

void Vtd::queue_error(QueueError error) {
    // VT-d 6.5.2.10: the queue stops with IQH at the descriptor in error until software clears IQE.
    // While IQE is set the queue is stopped already: nothing new is recorded.
    const std::uint64_t status = bank_.get("FSTS");
    if (fsts::IQE.is_set_in(status)) return;
    ++descriptor_errors_;
    IVP_LOG(LogCategory::fault, name(), "invalidation queue error IQEI=" << static_cast<unsigned>(error) << " ("
                                                                         << describe_iqei(static_cast<unsigned>(error))
                                                                         << ") at IQH=0x" << std::hex
                                                                         << bank_.get("IQH"));
    bank_.set("IQERCD", iqercd::IQEI.insert(bank_.get("IQERCD"), static_cast<unsigned>(error)));
    bank_.set("FSTS", fsts::IQE.insert(status, 1));
    signal_fault_event(status);
}

void Vtd::queue_processor() {
    const Features& f = params_.features;
    for (;;) {
        while (!queue_can_run()) wait(queue_work_);
        const std::uint64_t generation = queue_generation_;
        const InvalidationQueue queue = queue_;  // as latched when the queue was enabled
        if (const QueueError error = check_tail(bank_.get("IQT"), queue); error != QueueError::none) {
            queue_error(error);
            continue;
        }
        const std::uint32_t head = queue.index_of(bank_.get("IQH"));
        sc_time delay = SC_ZERO_TIME;
        std::uint8_t bytes[32] = {};
        bool fetched = false;
        {
            DownstreamAccess access(downstream, &delay, payloads_);
            fetched = access.read(queue.descriptor_address(head), bytes, queue.descriptor_bytes());
        }
        // The descriptor takes effect once fetched and processed: its invalidation, status write and
        // interrupt all come after the fetch and the processing cost.
        wait(delay + params_.descriptor_latency);
        if (generation != queue_generation_) continue;  // reset, or the queue was disabled meanwhile
        if (!fetched) {
            queue_error(QueueError::fetch_error);
            continue;
        }
        const DecodedDescriptor descriptor =
            decode_descriptor(descriptor_words(bytes, queue.width), queue.width, environment_.mode, f);
        IVP_LOG(LogCategory::cmd, name(), describe(descriptor));
        if (descriptor.is_error()) {
            queue_error(descriptor.error);
            continue;
        }
        ++descriptors_;
        if (Counter* by_type = descriptors_by_type_[descriptor.type]) ++*by_type;
        if (!perform(descriptor, generation)) continue;  // reset, or the queue was disabled meanwhile
        bank_.set("IQH", queue.pointer_register(queue.next_index(head)));
    }
}

bool Vtd::perform(const DecodedDescriptor& descriptor, std::uint64_t generation) {
    switch (descriptor.descriptor_type()) {
    case DescriptorType::context_cache:
        apply(descriptor.context_cache);
        break;
    case DescriptorType::iotlb:
    case DescriptorType::pasid_iotlb:
        apply(descriptor.iotlb);
        break;
    case DescriptorType::pasid_cache:
        apply(descriptor.pasid_cache);
        break;
    case DescriptorType::wait:
        return perform_wait(descriptor.wait, generation);
    case DescriptorType::interrupt_entry_cache:
        // Accepted and completed: interrupt remapping is not modelled, so no entry is cached.
        break;
    case DescriptorType::device_tlb: {
        const DeviceTlbInvalidation& inv = descriptor.device_tlb;
        send_device_tlb_invalidation(inv.source_id, atc_request(inv.source_id, false, 0, false, inv.size, inv.address));
        break;
    }
    case DescriptorType::pasid_device_tlb: {
        const PasidDeviceTlbInvalidation& inv = descriptor.pasid_device_tlb;
        send_device_tlb_invalidation(inv.source_id,
                                     atc_request(inv.source_id, true, inv.pasid, inv.global, inv.size, inv.address));
        break;
    }
    case DescriptorType::page_group_response:
        deliver_page_group_response(descriptor.page_group_response);
        break;
    }
    return true;
}

bool Vtd::perform_wait(const InvalidationWait& wait, std::uint64_t generation) {
    // The wait completes after every device-TLB invalidation before it (VT-d 6.5.2.8).
    const WaitOutcome outcome = complete_device_tlb_invalidations(generation);
    if (outcome == WaitOutcome::abandoned) return false;
    if (outcome == WaitOutcome::timed_out) {
        // ITE: the pending wait is aborted (no status write, no interrupt) and, having been fetched,
        // is behind IQH; nothing more is fetched until ITE is cleared (Linux qi_check_fault: "all
        // pending wait_desc commands are aborted. No new descriptors are fetched until the ITE is
        // cleared"; it reads IQH - 1 as the last descriptor fetched).
        ++waits_aborted_;
        IVP_LOG(LogCategory::fault, name(), "invalidation wait aborted by ITE: " << describe(wait));
        return true;
    }
    if (wait.page_request_drain) drain_page_requests();
    if (generation != queue_generation_) return false;
    execute_wait(wait);
    return true;
}

// ---------------------------------------------------------------------------------------------
// Device TLB (VT-d 6.5.2.5, 6.5.2.6) and page group responses (7.6.1)

AtsEndpointIf* Vtd::ats_endpoint_for(std::uint32_t requester) { return atc_.endpoint_for(requester); }

void Vtd::send_device_tlb_invalidation(std::uint16_t source_id, const AtcInvalidation& request) {
    // Sent at once and not waited for here: a later wait descriptor waits (non-blocking, as on
    // hardware, where the invalidation completion comes back as a message).
    ++device_tlb_invalidations_;
    if (!ats_endpoint_for(source_id)) ++device_tlb_without_endpoint_;
    atc_.send(request, params_.device_tlb_invalidation_timeout);
}

Vtd::WaitOutcome Vtd::complete_device_tlb_invalidations(std::uint64_t generation) {
    // Each invalidation has its own deadline, counted from when it was sent; the first one to miss
    // it names the source-id in IQERCD.ITESID.
    const AtcInvalidator::SyncOutcome outcome = atc_.wait_for_sent();
    if (generation != queue_generation_ || outcome.kind == AtcInvalidator::SyncOutcome::Kind::abandoned)
        return WaitOutcome::abandoned;
    if (outcome.kind == AtcInvalidator::SyncOutcome::Kind::timed_out) {
        invalidation_timeout(static_cast<std::uint16_t>(outcome.requester));
        return WaitOutcome::timed_out;
    }
    return WaitOutcome::completed;
}

void Vtd::invalidation_timeout(std::uint16_t source_id) {
    // VT-d 6.5.2.10 / 11.4.9.9: FSTS.ITE with the source-id in IQERCD.ITESID, a fault event as for
    // the other fault conditions.
    ++device_tlb_timeouts_;
    const std::uint64_t status = bank_.get("FSTS");
    IVP_LOG(LogCategory::fault, name(), "device-TLB invalidation time-out (ITE) for source-id 0x" << std::hex
                                                                                              << source_id);
    bank_.set("IQERCD", iqercd::ITESID.insert(bank_.get("IQERCD"), source_id));
    bank_.set("FSTS", fsts::ITE.insert(status, 1));
    signal_fault_event(status);
}

void Vtd::drain_page_requests() {
    // PD: the page requests received before the wait are in the page-request queue (or answered)
    // before it completes (VT-d 6.5.2.8, 7.10).
    const std::uint64_t received = page_requests_received_;
    while (page_requests_processed_ < received) wait(page_request_processed_);
}

void Vtd::deliver_page_group_response(const PageGroupResponse& response) {
    // Response codes 0 success, 1 invalid request, 0xF response failure; the reserved ones are
    // delivered as response failure (as QEMU does).
    PrgResponseCode code = PrgResponseCode::response_failure;
    if (response.response_code == static_cast<std::uint8_t>(PageResponseCode::success))
        code = PrgResponseCode::success;
    else if (response.response_code == static_cast<std::uint8_t>(PageResponseCode::invalid_request))
        code = PrgResponseCode::invalid_request;
    AtsEndpointIf* endpoint = ats_endpoint_for(response.requester_id);
    if (!endpoint) {
        ++page_group_responses_without_endpoint_;
        IVP_LOG(LogCategory::guest_error, name(), "page group response for requester 0x"
                                                      << std::hex << response.requester_id
                                                      << " that no ATS endpoint serves: dropped");
        return;
    }
    ++page_group_responses_;
    endpoint->pri_response(response.requester_id, response.pasid_present, response.pasid, response.prg_index, code);
}

void Vtd::execute_wait(const InvalidationWait& wait) {
    if (wait.status_write) {
        std::uint8_t data[4];
        store_le(data, sizeof data, wait.status_data);
        sc_time delay = SC_ZERO_TIME;
        DownstreamAccess access(downstream, &delay, payloads_);
        if (!access.write(wait.status_address, data, sizeof data))
            IVP_LOG(LogCategory::guest_error, name(), "invalidation-wait status write to 0x"
                                                          << std::hex << wait.status_address << " aborted");
    }
    if (wait.interrupt && !ics::IWC.is_set_in(bank_.get("ICS"))) {
        // The completion interrupt is signalled when IWC becomes set (VT-d 11.4.9.4).
        bank_.set("ICS", ics::IWC.insert(bank_.get("ICS"), 1));
        signal_event(EventGroup::invalidation);
    }
}

}  // namespace iommu_vp
