// Reset and recovery (section 10) and quarantine (section 15): a member blocked while group->domain
// is kept, so that done (or a later re-attach) restores exactly what the group had.
#include "sw_stack/iommu/core_internal.h"
#include "sw_stack/kernel/errno.h"
#include "sw_stack/kernel/interleave.h"
#include "sw_stack/kernel/pci.h"
#include "sw_stack/kernel/warn.h"

namespace iommu_vp::iommu {
namespace {

// Only ATS-capable PCI functions behind an IOMMU take part (ATS caches must not outlive a reset).
bool takes_part(Device& dev) {
    return kernel::dev_is_pci(dev) && kernel::pci_ats_supported(kernel::to_pci_dev(dev)) && device_iommu_mapped(dev) &&
           dev.iommu_group;
}

// The RID and every PASID to the blocking domain; group->domain and the PASID array stay as they are.
// A device whose attach is still deferred stays deferred (strengthened: Linux's low-level attach clears
// the flag here, so a DMA-API map during the reset would not be refused; section 13 S1e wants -EBUSY).
int block_member(IommuGroup& group, GroupDevice& gdev) {
    kernel::assert_held(group.mutex);  // rule L7
    if (const int ret = group_alloc_blocking_domain(group)) return ret;
    const bool deferred = gdev.dev->iommu->attach_deferred;
    if (group.domain != group.blocking_domain) {
        if (const int ret = attach_device(*group.blocking_domain, *gdev.dev, group.domain)) return ret;
    }
    gdev.dev->iommu->attach_deferred = deferred;
    IommuDomain* blocked = dev_iommu_ops(*gdev.dev)->blocked_domain;
    for (const auto& [pasid, domain] : group.pasid_array)
        kernel::warn_on(!blocked || blocked->set_dev_pasid(*gdev.dev, pasid, domain) != 0, "remove_dev_pasid_failed",
                        gdev.name);
    gdev.blocked = true;
    ++group.recovery_cnt;
    // A variant the quarantine scenario must reject: the group's own domain moved as well.
    if (core().options.bug_quarantine_moves_domain) group.domain = group.blocking_domain;
    return 0;
}

}  // namespace

int pci_dev_reset_iommu_prepare(Device& dev) {
    if (!takes_part(dev)) return 0;
    IommuGroup& group = *dev.iommu_group;
    kernel::Guard<kernel::Mutex> guard(group.mutex);
    GroupDevice* gdev = find_group_device(group, dev);
    if (!gdev) return 0;
    if (kernel::warn_on(gdev->blocked, "reset_prepare_reentered", dev.name())) return -EBUSY;
    return block_member(group, *gdev);
}

void pci_dev_reset_iommu_done(Device& dev) {
    if (!takes_part(dev)) return;
    IommuGroup& group = *dev.iommu_group;
    kernel::Guard<kernel::Mutex> guard(group.mutex);
    GroupDevice* gdev = find_group_device(group, dev);
    if (!gdev || !gdev->blocked) return;
    if (kernel::warn_on(!group.blocking_domain, "reset_done_without_blocking_domain", dev.name())) return;
    // A deferred device stays on the blocking domain until its first DMA-API use attaches the default.
    if (group.domain && group.domain != group.blocking_domain && !dev.iommu->attach_deferred)
        kernel::warn_on(attach_device(*group.domain, dev, group.blocking_domain) != 0, "reset_done_reattach", dev.name());
    for (const auto& [pasid, domain] : group.pasid_array)
        kernel::warn_on(domain->set_dev_pasid(dev, pasid, dev_iommu_ops(dev)->blocked_domain) != 0, "reset_done_pasid",
                        dev.name());
    gdev->blocked = false;
    --group.recovery_cnt;
}

void iommu_report_device_broken(Device& dev) {
    kernel::interleaving_point("IP4.1.report:", dev.name());
    // The fault path cannot sleep: the member is looked up without group->mutex (Linux reads the list
    // under RCU). A device already unlinked by removal is not found, and its report is ignored.
    IommuGroup* group = dev.iommu_group;
    if (!group) return;
    GroupDevice* gdev = find_group_device(*group, dev);
    if (!gdev) return;
    kernel::queue_work(kernel::system_wq(), gdev->quarantine_work);
}

void run_quarantine_work(GroupDevice& gdev) {
    IommuGroup& group = *gdev.group;
    kernel::interleaving_point("IP4.2.worker_lock_wait:", gdev.name);
    kernel::Guard<kernel::Mutex> guard(group.mutex);
    // Removal may have unlinked the member while this work waited for the mutex: nothing to do then.
    if (find_group_device(group, *gdev.dev) != &gdev || gdev.blocked || !device_iommu_mapped(*gdev.dev)) return;
    block_member(group, gdev);
    kernel::interleaving_point("IP4.3.worker_blocked:", gdev.name);
}

}  // namespace iommu_vp::iommu
