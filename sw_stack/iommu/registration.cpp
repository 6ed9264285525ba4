// Instances and their registration (section 3.2), the two-phase bus walk (section 3.3), firmware
// specs (section 2.2) and of_iommu_configure (section 3.8).
#include "sw_stack/iommu/core_internal.h"
#include "sw_stack/kernel/errno.h"
#include "sw_stack/kernel/interleave.h"
#include "sw_stack/kernel/pci.h"
#include "sw_stack/kernel/platform.h"
#include "sw_stack/kernel/runtime.h"
#include "sw_stack/kernel/warn.h"

#include <algorithm>

namespace iommu_vp::iommu {
namespace {

std::vector<kernel::Bus*> iommu_buses() { return {&kernel::platform_bus_type(), &kernel::pci_bus_type()}; }

// Phase A for one device: probe it under the probe lock, which is dropped between devices (rule L11)
// so that other walks, notifiers and replays can interleave.
int probe_iommu_group(Device& dev, std::vector<IommuGroup*>& pending) {
    kernel::interleaving_point("IP3.2.walkA:", dev.name());
    kernel::interleaving_point("IP2.2.walk_visit:", dev.name());
    CoreState& c = core();
    // The dropped 2023 scheme took the device's lock around its probe (S2's bug).
    const bool device_locked = c.options.bug_probe_takes_device_lock;
    if (device_locked) kernel::device_lock(dev);
    c.probe_lock.lock();
    int ret = probe_device_locked(dev, &pending);
    c.probe_lock.unlock();
    if (device_locked) kernel::device_unlock(dev);
    return ret == -ENODEV ? 0 : ret;
}

// Phase B for one group: the default domain chosen across all members, the DMA ops, then each
// member's probe_finalize without the mutex (some re-enter the core).
int finalise_group(IommuGroup& group) {
    kernel::interleaving_point("IP3.3.phaseB:", group.name);
    std::vector<Device*> members;
    {
        kernel::Guard<kernel::Mutex> guard(group.mutex);
        group.pending_default_domain = false;
        if (group.devices.empty()) return 0;  // every member went away meanwhile
        if (!group.default_domain) {
            if (const int ret = setup_default_domain(group, 0)) return ret;
        }
        for (GroupDevice* gdev : group.devices) {
            iommu_setup_dma_ops(*gdev->dev, group.default_domain);
            members.push_back(kernel::get_device(gdev->dev));
        }
    }
    for (Device* dev : members) {
        if (const IommuOps* ops = dev_iommu_ops(*dev)) const_cast<IommuOps*>(ops)->probe_finalize(*dev);
        kernel::put_device(dev);
    }
    return 0;
}

int bus_iommu_probe(kernel::Bus& bus) {
    std::vector<IommuGroup*> pending;
    int ret = kernel::bus_for_each_dev(bus, [&](Device& dev) { return probe_iommu_group(dev, pending); });
    for (IommuGroup* group : pending) {
        if (!ret) {
            ret = finalise_group(*group);
        } else {
            // Not finalised after an error: a later walk or a notifier must be able to queue it again.
            kernel::Guard<kernel::Mutex> guard(group->mutex);
            group->pending_default_domain = false;
        }
        iommu_group_put(group);  // the pending list's reference
    }
    return ret;
}

// Releases every device the instance serves (iommu_device_unregister's bus walk).
void release_devices_of(IommuDevice& iommu) {
    for (kernel::Bus* bus : iommu_buses()) {
        kernel::bus_for_each_dev(*bus, [&](Device& dev) {
            if (dev.iommu && dev.iommu->iommu_dev == &iommu) iommu_release_device(dev);
            return 0;
        });
    }
}

}  // namespace

int iommu_device_register(IommuDevice& iommu, IommuOps& ops, Device* hwdev) {
    CoreState& c = core();
    iommu.ops = &ops;
    iommu.hwdev = hwdev;
    if (hwdev && !iommu.fwnode) iommu.fwnode = hwdev->fwnode;
    if (iommu.name.empty()) iommu.name = hwdev ? hwdev->name() : ops.name;
    iommu.ready = false;
    c.device_list_lock.lock();
    c.iommus.push_back(&iommu);
    iommu.listed = true;
    c.device_list_lock.unlock();
    kernel::interleaving_point("IP3.1.listed");
    for (kernel::Bus* bus : iommu_buses()) {
        if (const int ret = bus_iommu_probe(*bus)) {
            iommu_device_unregister(iommu);
            return ret;
        }
    }
    // Published last, without a lock: readers only ever see it go from false to true.
    iommu.ready = true;
    kernel::interleaving_point("IP3.4.ready");
    return 0;
}

void iommu_device_unregister(IommuDevice& iommu) {
    CoreState& c = core();
    release_devices_of(iommu);
    c.device_list_lock.lock();
    c.iommus.erase(std::remove(c.iommus.begin(), c.iommus.end(), &iommu), c.iommus.end());
    iommu.listed = false;
    c.device_list_lock.unlock();
    if (iommu.singleton_group) {
        iommu_group_put(iommu.singleton_group);
        iommu.singleton_group = nullptr;
    }
    iommu.ready = false;
}

IommuDevice* iommu_device_from_fwnode(const FwNode* fwnode) {
    if (!fwnode) return nullptr;
    CoreState& c = core();
    c.device_list_lock.lock();
    IommuDevice* found = nullptr;
    for (IommuDevice* iommu : c.iommus)
        if (iommu->fwnode == fwnode) found = iommu;
    c.device_list_lock.unlock();
    return found;
}

int iommu_fwspec_init(Device& dev, const FwNode* iommu_fwnode) {
    CoreState& c = core();
    kernel::assert_held(c.probe_lock);  // rule L5
    IommuDevice* iommu = iommu_device_from_fwnode(iommu_fwnode);
    if (!iommu) return kernel::driver_deferred_probe_check_state(dev);
    // Section 7 window 2: a client must not probe through an instance whose walk is still running;
    // the walk's own nested firmware step is let through because it created dev->iommu first.
    if (!dev.iommu && !iommu->ready && !c.options.bug_no_ready_flag) return -EPROBE_DEFER;
    if (IommuFwspec* fwspec = dev_iommu_fwspec_get(dev)) return fwspec->ops == iommu->ops ? 0 : -EINVAL;
    DevIommu* param = dev_iommu_get(dev);
    if (!param) return -ENOMEM;
    param->fwspec = std::make_unique<IommuFwspec>();
    param->fwspec->iommu_fwnode = iommu_fwnode;
    param->fwspec->ops = iommu->ops;
    return 0;
}

int iommu_fwspec_add_ids(Device& dev, const std::vector<std::uint32_t>& ids) {
    IommuFwspec* fwspec = dev_iommu_fwspec_get(dev);
    if (!fwspec) return -EINVAL;
    fwspec->ids.insert(fwspec->ids.end(), ids.begin(), ids.end());
    return 0;
}

void iommu_fwspec_free(Device& dev) {
    if (dev.iommu) dev.iommu->fwspec.reset();
}

int IommuOps::of_xlate(Device& dev, const std::vector<std::uint32_t>& ids) { return iommu_fwspec_add_ids(dev, ids); }

void* dev_iommu_priv_get(const Device& dev) { return dev.iommu ? dev.iommu->priv : nullptr; }

void dev_iommu_priv_set(Device& dev, void* priv) {
    kernel::assert_held(core().probe_lock);  // rule L5
    if (dev.iommu) dev.iommu->priv = priv;
}

bool device_iommu_mapped(const Device& dev) { return dev.iommu && dev.iommu->iommu_dev; }

namespace {

// One "iommus" entry or one iommu-map translation: the fwspec for that instance, then its IDs.
int xlate_one(Device& dev, const FwNode* iommu_node, const std::vector<std::uint32_t>& ids) {
    if (!iommu_node) return -ENODEV;
    if (const int ret = iommu_fwspec_init(dev, iommu_node)) return ret;
    return const_cast<IommuOps*>(dev_iommu_fwspec_get(dev)->ops)->of_xlate(dev, ids);
}

// A PCI function's IDs: every DMA alias through its host bridge's iommu-map (of_pci_iommu_init).
int configure_pci_firmware(Device& dev, const kernel::FirmwareDescription& firmware) {
    kernel::PciDev& pdev = kernel::to_pci_dev(dev);
    const kernel::PciBus& root = kernel::pci_find_root_bus(*pdev.bus);
    if (!root.host_bridge || root.host_bridge->iommu_map.empty()) return -ENODEV;
    const kernel::PciHostBridgeDesc& bridge = *root.host_bridge;
    return kernel::pci_for_each_dma_alias(pdev, [&](kernel::PciFunction&, std::uint16_t alias) {
        const std::optional<kernel::IommuId> target = bridge.map_rid(alias);
        if (!target) return -ENODEV;
        return xlate_one(dev, firmware.find_node(target->iommu), {target->id});
    });
}

int configure_platform_firmware(Device& dev, const kernel::FirmwareDescription& firmware) {
    if (!dev.fwnode || dev.fwnode->iommus.empty()) return -ENODEV;
    for (const kernel::IommuSpecifier& spec : dev.fwnode->iommus)
        if (const int ret = xlate_one(dev, firmware.find_node(spec.iommu), spec.ids)) return ret;
    return 0;
}

}  // namespace

int iommu_configure_firmware(Device& dev) {
    kernel::assert_held(core().probe_lock);  // rule L5
    if (dev_iommu_fwspec_get(dev)) return 0;  // idempotent: someone parsed it already
    const bool had_iommu = dev.iommu != nullptr;
    const kernel::FirmwareDescription& firmware = kernel::Runtime::get().firmware();
    int ret = -ENODEV;
    if (kernel::dev_is_pci(dev))
        ret = configure_pci_firmware(dev, firmware);
    else if (kernel::dev_is_platform(dev))
        ret = configure_platform_firmware(dev, firmware);
    kernel::interleaving_point("IP3.8.fwspec_init:", dev.name());
    // Undo only what this call created (section 2.2).
    if (ret) {
        if (had_iommu)
            iommu_fwspec_free(dev);
        else
            dev_iommu_free(dev);
    }
    return ret;
}

int of_iommu_configure(Device& dev) {
    CoreState& c = core();
    c.probe_lock.lock();
    kernel::interleaving_point("IP3.7.ofcfg_locked:", dev.name());
    if (dev_iommu_fwspec_get(dev)) {
        c.probe_lock.unlock();
        return 0;
    }
    const bool had_iommu = dev.iommu != nullptr;
    int ret = iommu_configure_firmware(dev);
    c.probe_lock.unlock();
    // The replay: expected only for a device the walk missed (the late-probe warning fires then).
    if (!ret && dev.bus && !had_iommu) {
        kernel::interleaving_point("IP3.9.replay:", dev.name());
        ret = iommu_probe_device(dev);
    }
    return ret;
}

}  // namespace iommu_vp::iommu
