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
    auto group = std::make_shared<IopfGroup>();
    {
        kernel::Guard<kernel::Mutex> guard(dev.iommu->lock);
        if (!request.last_page) {  // held until the group's last request; no answer needed for it
            dev.iommu->partial_iopf[request.grpid].push_back(request);
            return 0;
        }
        auto held = dev.iommu->partial_iopf.find(request.grpid);
        if (held != dev.iommu->partial_iopf.end()) {
            std::vector<PageRequest>& requests = held->second;
            for (auto it = requests.begin(); it != requests.end();) {
                if (iopf_key(*it) == iopf_key(request)) {
                    group->faults.push_back(*it);
                    it = requests.erase(it);
                } else {
                    ++it;
                }
            }
            if (requests.empty()) dev.iommu->partial_iopf.erase(held);
        }
    }
    group->faults.push_back(request);
    group->dev = &dev;
    IommuGroup& iommu_group = *dev.iommu_group;
    IommuDomain* domain = fault_domain(iommu_group, request);
    if (!domain || !domain->iopf_handler) return -ENODEV;  // the driver completes it
    group->domain = domain;
    group->iommu_group = iommu_group_ref_get(&iommu_group);
    ++iommu_group.iopf_outstanding[iopf_key(request)];
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
    if (IommuGroup* iommu_group = group.iommu_group) {
        unsigned& outstanding = iommu_group->iopf_outstanding[iopf_key(last)];
        if (outstanding) --outstanding;
        iommu_group->iopf_answered.wake_up();
        group.iommu_group = nullptr;
        iommu_group_put(iommu_group);
    }
}

namespace {

// iommu_remove_dev_pasid: the PASID of every member that has PASIDs to the driver's blocked domain.
void remove_group_pasid(IommuGroup& group, std::uint32_t pasid, IommuDomain& domain) {
    for (GroupDevice* gdev : group.devices) {
        Device& dev = *gdev->dev;
        if (!dev.iommu || !dev.iommu->max_pasids) continue;
        IommuDomain* blocked = dev_iommu_ops(dev)->blocked_domain;
        kernel::warn_on(!blocked || blocked->set_dev_pasid(dev, pasid, &domain) != 0, "remove_dev_pasid_failed",
                        dev.name());
    }
}

}  // namespace

int iommu_attach_device_pasid(IommuDomain& domain, Device& dev, std::uint32_t pasid) {
    IommuGroup* group = dev.iommu_group;
    if (!group) return -ENODEV;
    if (!device_iommu_mapped(dev) || dev_iommu_ops(dev) != domain.owner || pasid == 0) return -EINVAL;
    // Detaching needs a blocked domain that can take a PASID.
    if (!dev_iommu_ops(dev)->blocked_domain) return -EOPNOTSUPP;
    kernel::Guard<kernel::Mutex> guard(group->mutex);
    if (group->recovery_cnt) return -EBUSY;
    for (GroupDevice* gdev : group->devices)
        if (gdev->dev->iommu && gdev->dev->iommu->max_pasids && pasid >= gdev->dev->iommu->max_pasids) return -EINVAL;
    if (group->pasid_array.count(pasid)) return -EBUSY;
    std::vector<Device*> attached;
    for (GroupDevice* gdev : group->devices) {
        if (!gdev->dev->iommu || !gdev->dev->iommu->max_pasids) continue;
        if (const int ret = domain.set_dev_pasid(*gdev->dev, pasid, nullptr)) {
            for (Device* done : attached)
                kernel::warn_on(dev_iommu_ops(*done)->blocked_domain->set_dev_pasid(*done, pasid, &domain) != 0,
                                "remove_dev_pasid_failed", done->name());
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
    {
        kernel::Guard<kernel::Mutex> guard(group->mutex);
        const auto found = group->pasid_array.find(pasid);
        if (kernel::warn_on(found == group->pasid_array.end() || found->second != &domain, "detach_pasid_mismatch",
                            dev.name()))
            return;
        // Unpublished first, so that no new fault reaches the domain; then the hardware.
        group->pasid_lock.lock();
        group->pasid_array.erase(found);
        group->pasid_lock.unlock();
        remove_group_pasid(*group, pasid, domain);
    }
    // Faults already delivered for the PASID are answered before its domain may go (section 9).
    group->iopf_answered.wait_event([&] { return group->iopf_outstanding[pasid] == 0; });
}

}  // namespace iommu_vp::iommu
