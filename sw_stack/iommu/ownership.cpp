// DMA ownership (section 5): kernel DMA-API users and exclusive owners (VFIO-like) share owner_cnt.
#include "sw_stack/iommu/core_internal.h"
#include "sw_stack/kernel/errno.h"
#include "sw_stack/kernel/interleave.h"
#include "sw_stack/kernel/warn.h"

namespace iommu_vp::iommu {
namespace {

int take_dma_ownership(IommuGroup& group, const void* owner) {
    if (const int ret = group_alloc_blocking_domain(group)) return ret;
    if (group.domain != group.default_domain || !group.pasid_array.empty()) return -EBUSY;
    if (const int ret = group_set_domain(group, group.blocking_domain)) return ret;
    group.owner = owner;
    ++group.owner_cnt;
    return 0;
}

void release_dma_ownership(IommuGroup& group) {
    if (kernel::warn_on(!group.owner_cnt || !group.owner || !group.pasid_array.empty(), "release_dma_owner_state",
                        "group " + group.name))
        return;
    group.owner_cnt = 0;
    group.owner = nullptr;
    group_set_domain_nofail(group, group.default_domain);
}

}  // namespace

// Called by the bus's dma_configure for a binding driver that uses the DMA API.
int iommu_device_use_default_domain(Device& dev) {
    IommuGroup* group = dev.iommu_group;
    if (!group) return 0;
    kernel::Guard<kernel::Mutex> guard(group->mutex);
    int ret = 0;
    // Section 7 window 1: a bus walk has not set up this group's default domain yet.
    if (!group->default_domain && !core().options.bug_use_default_no_defer) {
        ret = -EPROBE_DEFER;
    } else if (group->owner_cnt &&
               (group->domain != group->default_domain || group->owner || !group->pasid_array.empty())) {
        ret = -EBUSY;
    } else {
        ++group->owner_cnt;
    }
    kernel::interleaving_point("IP3.10.use_default:", dev.name());
    return ret;
}

void iommu_device_unuse_default_domain(Device& dev) {
    IommuGroup* group = dev.iommu_group;
    if (!group) return;
    kernel::Guard<kernel::Mutex> guard(group->mutex);
    if (!kernel::warn_on(!group->owner_cnt || !group->pasid_array.empty(), "unuse_underflow", dev.name()))
        --group->owner_cnt;
}

int iommu_group_claim_dma_owner(IommuGroup& group, const void* owner) {
    if (kernel::warn_on(!owner, "claim_dma_owner_null", "group " + group.name)) return -EINVAL;
    kernel::Guard<kernel::Mutex> guard(group.mutex);
    if (group.owner_cnt) return -EPERM;
    return take_dma_ownership(group, owner);
}

void iommu_group_release_dma_owner(IommuGroup& group) {
    kernel::Guard<kernel::Mutex> guard(group.mutex);
    release_dma_ownership(group);
}

int iommu_device_claim_dma_owner(Device& dev, const void* owner) {
    if (kernel::warn_on(!owner, "claim_dma_owner_null", dev.name())) return -EINVAL;
    IommuGroup* group = dev.iommu_group;
    if (!group) return -ENODEV;
    kernel::Guard<kernel::Mutex> guard(group->mutex);
    if (group->owner_cnt) {
        if (group->owner != owner) return -EPERM;
        ++group->owner_cnt;
        return 0;
    }
    return take_dma_ownership(*group, owner);
}

void iommu_device_release_dma_owner(Device& dev) {
    IommuGroup* group = dev.iommu_group;
    if (!group) return;
    kernel::Guard<kernel::Mutex> guard(group->mutex);
    if (group->owner_cnt > 1)
        --group->owner_cnt;
    else
        release_dma_ownership(*group);
}

bool iommu_group_dma_owner_claimed(IommuGroup& group) {
    kernel::Guard<kernel::Mutex> guard(group.mutex);
    return group.owner_cnt != 0;
}

}  // namespace iommu_vp::iommu
