// Fault reporting (section 9) and PASID attachments: unrecoverable faults to the domain's or the
// device's handler; recoverable page requests grouped and delivered to the handler of the domain
// attached to their PASID, each group answered exactly once through the driver's page_response.
#include "sw_stack/iommu/core_internal.h"
#include "sw_stack/kernel/errno.h"
#include "sw_stack/kernel/warn.h"

namespace iommu_vp::iommu {
namespace {

std::uint32_t iopf_key(const PageRequest& request) { return request.pasid_valid ? request.pasid : 0; }

// The domain a page request targets: the PASID's attachment, else the RID's current domain. Read
// under the PASID array's lock only: this runs in the fault path, which must not sleep.
IommuDomain* fault_domain(IommuGroup& group, const PageRequest& request) {
    group.pasid_lock.lock();
    IommuDomain* domain = nullptr;
    if (request.pasid_valid) {
        const auto found = group.pasid_array.find(request.pasid);
        if (found != group.pasid_array.end()) domain = found->second;
    } else {
        domain = group.domain;
    }
    group.pasid_lock.unlock();
    return domain;
}

}  // namespace

int report_iommu_fault(IommuDomain& domain, Device& dev, std::uint64_t iova, int flags) {
    FaultCounts& counts = core().faults;
    ++counts.unrecoverable;
    if (domain.cookie_type == IommuDomain::CookieType::fault_handler && domain.fault_handler) {
        ++counts.handled_by_domain;
        return domain.fault_handler(domain, dev, iova, flags);
    }
    if (dev.iommu && dev.iommu->fault_handler) {
        ++counts.handled_by_device;
        return dev.iommu->fault_handler(dev, iova, flags);
    }
    ++counts.unhandled;
    return -ENOSYS;
}

int iommu_report_device_fault(Device& dev, const PageRequest& request) {
    FaultCounts& counts = core().faults;
    ++counts.page_requests;
    if (!dev.iommu || !dev.iommu_group) return -ENODEV;
    if (!request.last_page) {  // held until the group's last request; no answer needed for it
        dev.iommu->partial_iopf[request.grpid].push_back(request);
        return 0;
    }
    auto group = std::make_shared<IopfGroup>();
    group->dev = &dev;
    const auto held = dev.iommu->partial_iopf.find(request.grpid);
    if (held != dev.iommu->partial_iopf.end()) {
        for (const PageRequest& earlier : held->second)
            if (iopf_key(earlier) == iopf_key(request)) group->faults.push_back(earlier);
        held->second.clear();
        dev.iommu->partial_iopf.erase(held);
    }
    group->faults.push_back(request);
    IommuDomain* domain = fault_domain(*dev.iommu_group, request);
    if (!domain || !domain->iopf_handler) return -ENODEV;  // the driver completes it
    group->domain = domain;
    ++dev.iommu->iopf_outstanding[iopf_key(request)];
    ++counts.page_groups_delivered;
    domain->iopf_handler(group);
    return 0;
}

void iopf_group_response(IopfGroup& group, PageResponseCode code) {
    if (kernel::warn_on(group.answered, "iopf_double_response", group.dev->name())) return;
    group.answered = true;
    ++core().faults.page_responses;
    const PageRequest& last = group.last();
    PageResponse response;
    response.grpid = last.grpid;
    response.pasid = last.pasid;
    response.pasid_valid = last.pasid_valid;
    response.code = code;
    Device& dev = *group.dev;
    if (const IommuOps* ops = dev_iommu_ops(dev)) const_cast<IommuOps*>(ops)->page_response(dev, last, response);
    if (dev.iommu) {
        unsigned& outstanding = dev.iommu->iopf_outstanding[iopf_key(last)];
        if (outstanding) --outstanding;
        dev.iommu->iopf_answered.wake_up();
    }
}

int iommu_attach_device_pasid(IommuDomain& domain, Device& dev, std::uint32_t pasid) {
    IommuGroup* group = dev.iommu_group;
    if (!group) return -ENODEV;
    if (!device_iommu_mapped(dev) || dev_iommu_ops(dev) != domain.owner || pasid == 0) return -EINVAL;
    kernel::Guard<kernel::Mutex> guard(group->mutex);
    if (group->recovery_cnt) return -EBUSY;
    for (GroupDevice* gdev : group->devices)
        if (gdev->dev->iommu && gdev->dev->iommu->max_pasids && pasid >= gdev->dev->iommu->max_pasids) return -EINVAL;
    if (group->pasid_array.count(pasid)) return -EBUSY;
    std::vector<Device*> attached;
    for (GroupDevice* gdev : group->devices) {
        if (!gdev->dev->iommu || !gdev->dev->iommu->max_pasids) continue;
        if (const int ret = domain.set_dev_pasid(*gdev->dev, pasid, nullptr)) {
            // Take back what was attached: the blocked domain, as Linux's remove_dev_pasid does.
            for (Device* done : attached)
                if (group->blocking_domain) group->blocking_domain->set_dev_pasid(*done, pasid, &domain);
            return ret;
        }
        attached.push_back(gdev->dev);
    }
    group->pasid_lock.lock();
    group->pasid_array[pasid] = &domain;
    group->pasid_lock.unlock();
    return 0;
}

void iommu_detach_device_pasid(IommuDomain& domain, Device& dev, std::uint32_t pasid) {
    IommuGroup* group = dev.iommu_group;
    if (!group) return;
    // Faults in flight for the PASID are answered before its domain goes (section 9).
    if (dev.iommu) dev.iommu->iopf_answered.wait_event([&] { return !dev.iommu || !dev.iommu->iopf_outstanding[pasid]; });
    kernel::Guard<kernel::Mutex> guard(group->mutex);
    const auto found = group->pasid_array.find(pasid);
    if (kernel::warn_on(found == group->pasid_array.end() || found->second != &domain, "detach_pasid_mismatch",
                        dev.name()))
        return;
    group_alloc_blocking_domain(*group);
    for (GroupDevice* gdev : group->devices)
        if (gdev->dev->iommu && gdev->dev->iommu->max_pasids && group->blocking_domain)
            group->blocking_domain->set_dev_pasid(*gdev->dev, pasid, &domain);
    group->pasid_lock.lock();
    group->pasid_array.erase(pasid);
    group->pasid_lock.unlock();
}

}  // namespace iommu_vp::iommu
