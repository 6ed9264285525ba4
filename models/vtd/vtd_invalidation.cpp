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
    return gsts(gcmd::QIE) && !fsts::IQE.is_set_in(bank_.get("FSTS")) && bank_.get("IQH") != bank_.get("IQT");
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
            execute_wait(descriptor.wait);
            break;
        case DescriptorType::interrupt_entry_cache:
            // Accepted and completed: interrupt remapping is not modelled, so no entry is cached.
            break;
        case DescriptorType::device_tlb:
        case DescriptorType::pasid_device_tlb:
        case DescriptorType::page_group_response:
            // Refused by decode_descriptor while ECAP.DT and PRS are off; the seams for the device
            // TLB and page requests (a later issue).
            break;
        }
        bank_.set("IQH", queue.pointer_register(queue.next_index(head)));
    }
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
