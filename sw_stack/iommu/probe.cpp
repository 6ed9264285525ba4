// Per-device probe and release (sections 3.4 and 11).
#include "sw_stack/iommu/core_internal.h"
#include "sw_stack/kernel/errno.h"
#include "sw_stack/kernel/interleave.h"
#include "sw_stack/kernel/pci.h"
#include "sw_stack/kernel/warn.h"

namespace iommu_vp::iommu {
namespace {

// Without a fwspec (VT-d, AMD register with no firmware node), any instance without a node serves.
const IommuOps* ops_for(const Device& dev) {
    // Looked up again by node: an instance unregistered since the fwspec was made serves nobody.
    if (const IommuFwspec* fwspec = dev_iommu_fwspec_get(dev)) {
        const IommuDevice* iommu = iommu_device_from_fwnode(fwspec->iommu_fwnode);
        return iommu ? iommu->ops : nullptr;
    }
    CoreState& c = core();
    c.device_list_lock.lock();
    const IommuOps* found = nullptr;
    for (IommuDevice* iommu : c.iommus)
        if (!iommu->fwnode && !found) found = iommu->ops;
    c.device_list_lock.unlock();
    return found;
}

std::uint32_t device_max_pasids(Device& dev) {
    const IommuDevice* iommu = dev.iommu->iommu_dev;
    if (!iommu || !iommu->max_pasids || !kernel::dev_is_pci(dev)) return 0;
    const int pci_pasids = kernel::pci_max_pasids(kernel::to_pci_dev(dev));
    if (pci_pasids <= 0) return 0;
    return std::min<std::uint32_t>(iommu->max_pasids, static_cast<std::uint32_t>(pci_pasids));
}

// iommu_init_device: the device's IOMMU state up to its group; errors leave dev->iommu null.
int init_device(Device& dev) {
    CoreState& c = core();
    if (!dev_iommu_get(dev)) return -ENOMEM;
    if (!dev.iommu->fwspec) {
        if (!c.options.linux_faithful_walk) {
            // Strengthened (section 7 item 4): only the firmware step, under the probe lock we hold,
            // whether or not dev->driver is set (a bind may be in really_probe's gap before its
            // dma_configure); it never reads the driver and is idempotent. A device whose driver
            // finished binding without an IOMMU (after the deferred-probe timeout) uses physical DMA
            // addresses: translating it underneath its driver would be worse than leaving it alone.
            if (!kernel::device_is_bound(dev)) iommu_configure_firmware(dev);
        } else if (!dev.driver && dev.bus && dev.bus->dma_configure) {
            // Linux: the bus's whole dma_configure, with the probe lock dropped (it takes it itself).
            kernel::interleaving_point("probe.init_device.before_dma_configure:", dev.name());
            kernel::interleaving_point("IP3.12.nested_dma_configure:", dev.name());
            c.probe_lock.unlock();
            dev.bus->dma_configure(dev);
            c.probe_lock.lock();
            kernel::interleaving_point("probe.init_device.after_relock:", dev.name());
            kernel::interleaving_point("IP3.13.relock_check:", dev.name());
            // Another walk finished the device meanwhile (section 7 window 3).
            if (!c.options.bug_no_relock_check && (!dev.iommu || dev.iommu_group)) return -ENODEV;
            if (!dev.iommu && !dev_iommu_get(dev)) return -ENOMEM;
        }
    }
    const IommuOps* ops = ops_for(dev);
    if (!ops) {
        dev_iommu_free(dev);
        return -ENODEV;
    }
    IommuOps& driver = const_cast<IommuOps&>(*ops);
    IommuDevice* iommu_dev = nullptr;
    int ret = driver.probe_device(dev, iommu_dev);
    if (ret || !iommu_dev) {
        dev_iommu_free(dev);
        return ret ? ret : -ENODEV;
    }
    // Set before device_group: group callbacks may need it.
    dev.iommu->iommu_dev = iommu_dev;
    IommuGroup* group = nullptr;
    ret = driver.device_group(dev, group);
    if (kernel::warn_on(!ret && !group, "device_group_null", dev.name())) ret = -EINVAL;
    if (ret) {
        driver.release_device(dev);
        dev.iommu->iommu_dev = nullptr;
        dev_iommu_free(dev);
        return ret;
    }
    dev.iommu_group = group;
    dev.iommu->max_pasids = device_max_pasids(dev);
    // Evaluated once (section 6 rule 1); the eager-attach bug ignores it.
    dev.iommu->attach_deferred = driver.is_attach_deferred(dev) && !c.options.bug_eager_attach;
    return 0;
}

}  // namespace

// Undoes init_device once the device has left its group (iommu_deinit_device). With group->mutex.
// `hw_domain` is the domain the device's translation points at now.
void deinit_device(Device& dev, IommuGroup& group, IommuDomain* hw_domain) {
    CoreState& c = core();
    kernel::assert_held(group.mutex);
    IommuOps& ops = const_cast<IommuOps&>(*dev_iommu_ops(dev));
    // A device whose attach is still deferred keeps its inherited translation: release must not touch
    // the hardware (section 6 rule 5).
    if ((!dev.iommu->attach_deferred || c.options.bug_release_touches_deferred) && ops.release_domain) {
        IommuDomain* release_domain = ops.release_domain;
        if (dev.iommu->require_direct && ops.identity_domain && release_domain == ops.blocked_domain)
            release_domain = ops.identity_domain;
        release_domain->attach_dev(dev, hw_domain);
    }
    ops.release_device(dev);
    if (group.devices.empty()) {
        if (group.default_domain) iommu_domain_free(group.default_domain);
        if (group.blocking_domain && group.blocking_domain != group.default_domain)
            iommu_domain_free(group.blocking_domain);
        group.default_domain = nullptr;
        group.blocking_domain = nullptr;
        group.domain = nullptr;
    }
    dev.iommu_group = nullptr;
    dev_iommu_free(dev);
    dev.dma_iommu = false;
}

DevIommu* dev_iommu_get(Device& dev) {
    kernel::assert_held(core().probe_lock);  // rule L5
    if (!dev.iommu) dev.iommu = new DevIommu();
    return dev.iommu;
}

void dev_iommu_free(Device& dev) {
    delete dev.iommu;
    dev.iommu = nullptr;
}

const IommuOps* dev_iommu_ops(const Device& dev) {
    if (!dev.iommu || !dev.iommu->iommu_dev) return nullptr;
    return dev.iommu->iommu_dev->ops;
}

int probe_device_locked(Device& dev, std::vector<IommuGroup*>* pending_groups) {
    CoreState& c = core();
    kernel::assert_held(c.probe_lock);  // rule L5
    kernel::interleaving_point("probe.enter:", dev.name());
    if (dev.iommu_group) return 0;  // probed already
    if (const int ret = init_device(dev)) return ret;
    // A device that missed the bus walk and is probed from its own driver's bind (the replay). The
    // strengthened walk probes a device in really_probe's gap in order: not late.
    const bool in_order_walk = pending_groups && !c.options.linux_faithful_walk;
    kernel::warn_on(dev.driver != nullptr && !in_order_walk, "late_iommu_probe_at_bind", dev.name());
    IommuGroup& group = *dev.iommu_group;
    auto* gdev = new GroupDevice(dev, group);
    group.mutex.lock();
    group.devices.push_back(gdev);  // before any default-domain setup
    kernel::interleaving_point("probe.gdev_added:", dev.name());
    kernel::warn_on(group.default_domain && !group.domain, "default_domain_not_attached", group.name);
    if (group.default_domain) create_device_direct_mappings(*group.default_domain, dev);
    int ret = 0;
    if (group.domain) {
        ret = device_set_domain(group, dev, group.domain, nullptr, 0);
    } else if (!group.default_domain && !pending_groups) {
        ret = setup_default_domain(group, 0);
    } else if (!group.default_domain && !group.pending_default_domain) {
        group.pending_default_domain = true;
        pending_groups->push_back(iommu_group_ref_get(&group));
    }
    if (ret) {
        group.devices.pop_back();
        deinit_device(dev, group, group.domain);
        group.mutex.unlock();
        free_group_device(gdev);  // it was visible to the fault path: freed as removal frees it
        iommu_group_put(&group);  // init_device's reference
        return ret;
    }
    if (group.default_domain) iommu_setup_dma_ops(dev, group.default_domain);
    group.mutex.unlock();
    return 0;
}

int iommu_probe_device(Device& dev) {
    CoreState& c = core();
    const bool device_locked = c.options.bug_probe_takes_device_lock;
    if (device_locked) kernel::device_lock(dev);
    c.probe_lock.lock();
    const int ret = probe_device_locked(dev, nullptr);
    c.probe_lock.unlock();
    if (device_locked) kernel::device_unlock(dev);
    if (ret) return ret;
    // Without group->mutex (rule L8).
    if (const IommuOps* ops = dev_iommu_ops(dev)) const_cast<IommuOps*>(ops)->probe_finalize(dev);
    return 0;
}

void iommu_release_device(Device& dev) {
    if (dev.iommu_group) group_remove_device(dev);
    // A fwspec-only state (no instance ever probed it).
    if (dev.iommu) dev_iommu_free(dev);
}

}  // namespace iommu_vp::iommu
