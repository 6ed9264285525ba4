// Groups and their members (sections 2.3, 3.5, 11): allocation and references, the device_group
// policies, joining and leaving.
#include "sw_stack/iommu/core_internal.h"
#include "sw_stack/kernel/errno.h"
#include "sw_stack/kernel/interleave.h"
#include "sw_stack/kernel/pci.h"
#include "sw_stack/kernel/warn.h"

#include <algorithm>
#include <bitset>

namespace iommu_vp::iommu {
namespace {

// The ACS isolation a PCI group boundary needs (Linux REQ_ACS_FLAGS).
constexpr std::uint16_t kRequiredAcs =
    kernel::PCI_ACS_SV | kernel::PCI_ACS_RR | kernel::PCI_ACS_CR | kernel::PCI_ACS_UF;

using DevfnSeen = std::bitset<256>;

std::vector<kernel::PciDev*> all_pci_devs() {
    std::vector<kernel::PciDev*> found;
    for (Device* dev : kernel::pci_bus_type().p.devices)
        if (kernel::dev_is_pci(*dev)) found.push_back(&kernel::to_pci_dev(*dev));
    return found;
}

IommuGroup* pci_alias_group(kernel::PciDev& pdev, DevfnSeen& seen);

// A multi-function device without isolation shares its group with its non-isolated siblings in the
// slot (get_pci_function_alias_group).
IommuGroup* pci_function_alias_group(kernel::PciDev& pdev, DevfnSeen& seen) {
    if (!pdev.multifunction || kernel::pci_acs_enabled(pdev, kRequiredAcs)) return nullptr;
    for (kernel::PciDev* other : all_pci_devs()) {
        if (other == &pdev || other->bus != pdev.bus ||
            kernel::PCI_SLOT(other->devfn()) != kernel::PCI_SLOT(pdev.devfn()) ||
            kernel::pci_acs_enabled(*other, kRequiredAcs))
            continue;
        if (IommuGroup* group = pci_alias_group(*other, seen)) return group;
    }
    return nullptr;
}

// The group of the device or of anything aliasing it on its bus (get_pci_alias_group).
IommuGroup* pci_alias_group(kernel::PciDev& pdev, DevfnSeen& seen) {
    if (seen.test(pdev.devfn())) return nullptr;
    seen.set(pdev.devfn());
    if (IommuGroup* group = iommu_group_get(pdev.dev)) return group;
    for (kernel::PciDev* other : all_pci_devs()) {
        if (other == &pdev || other->bus != pdev.bus || !kernel::pci_devs_are_dma_aliases(pdev, *other)) continue;
        if (IommuGroup* group = pci_alias_group(*other, seen)) return group;
        if (IommuGroup* group = pci_function_alias_group(*other, seen)) return group;
    }
    return nullptr;
}

void release_group(IommuGroup* group) {
    kernel::warn_on(group->default_domain || group->blocking_domain, "group_released_with_domains", group->name);
    group->freed = true;
    for (auto& retired : core().retired_groups)
        if (retired.get() == group) return;
    core().retired_groups.emplace_back(group);
}

}  // namespace

}  // namespace iommu_vp::iommu

namespace iommu_vp::kernel {

GroupDevice::GroupDevice(Device& device, IommuGroup& owner_group)
    : dev(&device),
      group(&owner_group),
      name(device.name()),
      quarantine_work("iommu_quarantine_work", [this] { iommu::run_quarantine_work(*this); }) {}

IommuGroup::IommuGroup(int group_id) : id(group_id), name(std::to_string(group_id)) {}

}  // namespace iommu_vp::kernel

namespace iommu_vp::iommu {

bool used_after_free(bool freed, const char* what, const std::string& name) {
    kernel::bug_on(freed, "use_after_free", std::string(what) + " " + name + " used after it was freed");
    return freed;
}

IommuGroup* iommu_group_alloc() { return new IommuGroup(core().next_group_id++); }

IommuGroup* iommu_group_ref_get(IommuGroup* group) {
    if (group && !used_after_free(group->freed, "group", group->name)) ++group->kref;
    return group;
}

IommuGroup* iommu_group_get(Device& dev) { return iommu_group_ref_get(dev.iommu_group); }

void iommu_group_put(IommuGroup* group) {
    if (!group || used_after_free(group->freed, "group", group->name)) return;
    if (--group->kref == 0) release_group(group);
}

int iommu_group_id(const IommuGroup& group) { return group.id; }

int IommuOps::device_group(Device& dev, IommuGroup*& group) { return generic_device_group(dev, group); }

int generic_device_group(Device&, IommuGroup*& group) {
    group = iommu_group_alloc();
    return 0;
}

int generic_single_device_group(Device& dev, IommuGroup*& group) {
    IommuDevice* iommu = dev.iommu ? dev.iommu->iommu_dev : nullptr;
    if (!iommu) return -EINVAL;
    if (!iommu->singleton_group) iommu->singleton_group = iommu_group_alloc();  // the instance's reference
    group = iommu_group_ref_get(iommu->singleton_group);
    return 0;
}

// Section 3.5: aliases first, then up the bridges until ACS isolates, then aliases and non-isolated
// sibling functions; a new group only when none of them has one. Membership depends on probe order.
int pci_device_group(Device& dev, IommuGroup*& group) {
    if (kernel::warn_on(!kernel::dev_is_pci(dev), "pci_device_group_not_pci", dev.name())) return -EINVAL;
    kernel::PciDev* pdev = &kernel::to_pci_dev(dev);
    IommuGroup* found = nullptr;
    kernel::PciDev* alias_owner = pdev;
    kernel::pci_for_each_dma_alias(*pdev, [&](kernel::PciFunction& fn, std::uint16_t) {
        alias_owner = &kernel::to_pci_dev(fn);
        found = iommu_group_get(alias_owner->dev);
        return found ? 1 : 0;
    });
    if (found) {
        group = found;
        return 0;
    }
    pdev = alias_owner;
    for (kernel::PciBus* bus = pdev->bus; !kernel::pci_is_root_bus(*bus); bus = bus->parent) {
        if (!bus->self) continue;
        if (kernel::pci_acs_path_enabled(*bus->self, nullptr, kRequiredAcs)) break;
        pdev = &kernel::to_pci_dev(*bus->self);
        if ((found = iommu_group_get(pdev->dev))) {
            group = found;
            return 0;
        }
    }
    DevfnSeen seen;
    if ((found = pci_alias_group(*pdev, seen)) || (found = pci_function_alias_group(*pdev, seen))) {
        group = found;
        return 0;
    }
    group = iommu_group_alloc();
    return 0;
}

GroupDevice* find_group_device(IommuGroup& group, const Device& dev) {
    for (GroupDevice* gdev : group.devices)
        if (gdev->dev == &dev) return gdev;
    return nullptr;
}

Device* group_first_dev(IommuGroup& group) { return group.devices.empty() ? nullptr : group.devices.front()->dev; }

int iommu_group_add_device(IommuGroup& group, Device& dev) {
    auto* gdev = new GroupDevice(dev, group);
    iommu_group_ref_get(&group);
    dev.iommu_group = &group;
    kernel::Guard<kernel::Mutex> guard(group.mutex);
    group.devices.push_back(gdev);
    return 0;
}

void iommu_group_remove_device(Device& dev) {
    if (dev.iommu_group) group_remove_device(dev);
}

int iommu_group_for_each_dev(IommuGroup& group, const std::function<int(Device&)>& fn) {
    kernel::Guard<kernel::Mutex> guard(group.mutex);
    for (GroupDevice* gdev : group.devices)
        if (const int ret = fn(*gdev->dev)) return ret;
    return 0;
}

void free_group_device(GroupDevice* gdev) {
    kernel::interleaving_point("IP4.8.cancel_after_unlock:", gdev->name);
    kernel::cancel_work_sync(gdev->quarantine_work);
    gdev->freed = true;
    core().retired_members.emplace_back(gdev);
    kernel::interleaving_point("IP4.9.gdev_freed:", gdev->name);
}

// Section 11 with the ordering of section 15 (v3 06/11): under group->mutex the member is unlinked,
// the emptiness invariant checked and the device deinitialised; the quarantine work is cancelled and
// the member freed only after the mutex is dropped, since that work takes the mutex itself.
void group_remove_device(Device& dev) {
    CoreState& c = core();
    IommuGroup& group = *dev.iommu_group;
    group.mutex.lock();
    kernel::interleaving_point("IP4.4.remove_locked:", dev.name());
    GroupDevice* gdev = find_group_device(group, dev);
    if (!gdev) {
        group.mutex.unlock();
        return;
    }
    group.devices.erase(std::find(group.devices.begin(), group.devices.end(), gdev));
    if (group.devices.empty())
        kernel::warn_on(group.owner_cnt != 0 || group.domain != group.default_domain, "group_empty_not_default",
                        "group " + group.name);
    kernel::interleaving_point("IP4.5.after_unlink_assert:", dev.name());
    IommuDomain* hw_domain = gdev->blocked ? group.blocking_domain : group.domain;
    if (gdev->blocked) {
        gdev->blocked = false;
        --group.recovery_cnt;
    }
    if (device_iommu_mapped(dev)) {
        kernel::interleaving_point("release.before_deinit:", dev.name());
        deinit_device(dev, group, hw_domain);
    } else {
        dev.iommu_group = nullptr;
    }
    if (c.options.bug_cancel_quarantine_under_lock) {
        kernel::interleaving_point("IP4.6.cancel_under_lock:", dev.name());
        kernel::cancel_work_sync(gdev->quarantine_work);
    }
    group.mutex.unlock();
    kernel::interleaving_point("IP4.7.unlocked:", dev.name());
    kernel::interleaving_point("release.after_unlock:", dev.name());
    free_group_device(gdev);
    iommu_group_put(&group);  // the member's reference
}

}  // namespace iommu_vp::iommu
