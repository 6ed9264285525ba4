// Domains: allocation, the default domain (section 3.6), group-wide switches (section 3.7), attach and
// detach for external users, and the DMA API's deferred attach (section 6).
#include "sw_stack/iommu/core_internal.h"
#include "sw_stack/kernel/errno.h"
#include "sw_stack/kernel/interleave.h"
#include "sw_stack/kernel/pci.h"
#include "sw_stack/kernel/warn.h"

namespace iommu_vp::iommu {
namespace {

bool is_blocking(const IommuGroup& group, const IommuDomain& domain) {
    return domain.type == IOMMU_DOMAIN_BLOCKED || &domain == group.blocking_domain;
}

// The type one device asks for (iommu_get_def_domain_type): a conflict between members is a driver
// error; IDENTITY wins it.
unsigned member_domain_type(Device& dev, unsigned current) {
    const IommuOps& ops = *dev_iommu_ops(dev);
    unsigned type = 0;
    if (ops.default_domain)
        type = ops.default_domain->type;
    else
        type = const_cast<IommuOps&>(ops).def_domain_type(dev);
    if (!type || type == current) return current;
    if (!current) return type;
    note("def_domain_type_conflict");  // Linux: dev_err_ratelimited
    return type == IOMMU_DOMAIN_IDENTITY ? type : current;
}

// iommu_get_default_domain_type: 0 means "no requirement: the global default"; -1 an impossible request.
int requested_default_type(IommuGroup& group, unsigned target_type) {
    unsigned driver_type = 0;
    Device* untrusted = nullptr;
    for (GroupDevice* gdev : group.devices) {
        driver_type = member_domain_type(*gdev->dev, driver_type);
        if (kernel::dev_is_pci(*gdev->dev) && kernel::to_pci_dev(*gdev->dev).untrusted) untrusted = gdev->dev;
    }
    // An external-facing device is never trusted with anything but strict translation (I-DMA-4).
    if (untrusted) {
        if (driver_type && driver_type != IOMMU_DOMAIN_DMA) {
            note("untrusted_device_domain_type");  // Linux: dev_err_ratelimited
            return -1;
        }
        driver_type = IOMMU_DOMAIN_DMA;
    }
    if (target_type) {
        if (driver_type && target_type != driver_type) return -1;
        return static_cast<int>(target_type);
    }
    return static_cast<int>(driver_type);
}

IommuDomain* alloc_group_domain(IommuGroup& group, unsigned type) {
    if (group.default_domain && group.default_domain->type == type) return group.default_domain;
    Device* dev = group_first_dev(group);
    return dev ? domain_alloc_for(*dev_iommu_ops(*dev), *dev, type) : nullptr;
}

// iommu_group_alloc_default_domain: the required type, else the global default falling back to DMA.
IommuDomain* alloc_default_domain(IommuGroup& group, unsigned req_type) {
    const IommuOps& ops = *dev_iommu_ops(*group_first_dev(group));
    if (ops.default_domain) return req_type && req_type != ops.default_domain->type ? nullptr : ops.default_domain;
    if (req_type) return alloc_group_domain(group, req_type);
    const unsigned global = iommu_def_domain_type();
    if (IommuDomain* domain = alloc_group_domain(group, global)) return domain;
    if (global == IOMMU_DOMAIN_DMA) return nullptr;
    IommuDomain* domain = alloc_group_domain(group, IOMMU_DOMAIN_DMA);
    if (domain) note("default_domain_fallback_to_dma");  // Linux: pr_warn
    return domain;
}

}  // namespace

IommuDomain* domain_alloc_for(const IommuOps& ops, Device& dev, unsigned type) {
    IommuOps& driver = const_cast<IommuOps&>(ops);
    IommuDomain* domain = nullptr;
    if (type == IOMMU_DOMAIN_IDENTITY)
        domain = ops.identity_domain ? ops.identity_domain : driver.domain_alloc_identity(dev);
    else if (type == IOMMU_DOMAIN_BLOCKED)
        domain = ops.blocked_domain;
    else if (type & IOMMU_DOMAIN_PAGING_BIT)
        domain = driver.domain_alloc_paging(dev, type);
    if (!domain) return nullptr;
    if (kernel::warn_on(domain->type != type, "domain_alloc_wrong_type",
                        std::string(domain_type_name(domain->type)) + " for " + domain_type_name(type))) {
        iommu_domain_free(domain);
        return nullptr;
    }
    if (!domain->pgsize_bitmap) domain->pgsize_bitmap = ops.pgsize_bitmap;
    if (domain->name.empty()) domain->name = dev.name() + ":" + domain_type_name(type);
    return domain;
}

void iommu_domain_free(IommuDomain* domain) {
    if (!domain || used_after_free(domain->freed, "domain", domain->name)) return;
    if (!domain->owner) return;  // a driver's static domain lives as long as the driver
    if (domain->cookie_type == IommuDomain::CookieType::dma_iova) iommu_put_dma_cookie(*domain);
    const_cast<IommuOps*>(domain->owner)->domain_free(*domain);
    domain->freed = true;
    core().retired_domains.emplace_back(domain);
}

bool used_domain_after_free(const IommuDomain& domain) { return used_after_free(domain.freed, "domain", domain.name); }

// Section 3.6: direct (RMRR/RMR) regions mapped 1:1 in DMA domains, before any member is attached.
int create_device_direct_mappings(IommuDomain& domain, Device& dev) {
    std::vector<IommuResvRegion> regions;
    iommu_get_resv_regions(dev, regions);
    const std::uint64_t granule = domain.pgsize_bitmap ? (domain.pgsize_bitmap & (~domain.pgsize_bitmap + 1)) : 0;
    bool mapped_any = false;
    int ret = 0;
    for (const IommuResvRegion& region : regions) {
        if (region.type == ResvType::direct && dev.iommu) dev.iommu->require_direct = true;
        if ((region.type != ResvType::direct && region.type != ResvType::direct_relaxable) ||
            !iommu_is_dma_domain_type(domain.type) || !granule)
            continue;
        const std::uint64_t start = region.start & ~(granule - 1);
        const std::uint64_t end = (region.start + region.length + granule - 1) & ~(granule - 1);
        for (std::uint64_t address = start; address < end && !ret; address += granule) {
            if (domain.iova_to_phys(address)) continue;  // mapped already (another member's region)
            ret = iommu_map(domain, address, address, granule, region.prot);
            mapped_any = mapped_any || !ret;
        }
        if (ret) break;
    }
    if (mapped_any) domain.flush_iotlb_all();
    return ret;
}

int setup_default_domain(IommuGroup& group, unsigned target_type) {
    kernel::assert_held(group.mutex);  // rule L7
    IommuDomain* old_domain = group.default_domain;
    const int req_type = requested_default_type(group, target_type);
    if (req_type < 0) return -EINVAL;
    IommuDomain* domain = alloc_default_domain(group, static_cast<unsigned>(req_type));
    if (!domain) return -ENOMEM;
    if (domain == group.default_domain) return 0;
    if (iommu_is_dma_domain_type(domain->type)) {
        if (const int ret = iommu_get_dma_cookie(*domain)) {
            iommu_domain_free(domain);
            return ret;
        }
    }
    // Before any attach, so firmware-initiated DMA never loses its mapping; some drivers can only
    // map after an attach, so a failure is retried afterwards.
    bool direct_failed = false;
    for (GroupDevice* gdev : group.devices)
        if (create_device_direct_mappings(*domain, *gdev->dev)) direct_failed = true;
    group.default_domain = domain;  // published early: the per-device attach compares against it
    int ret = 0;
    if (!group.domain) {
        // A driver may not fail the first attach (MUST_SUCCEED).
        ret = group_set_domain_internal(group, domain, SET_DOMAIN_MUST_SUCCEED);
        kernel::warn_on(ret != 0, "first_attach_failed", "group " + group.name);
    } else if ((ret = group_set_domain(group, domain)) != 0) {
        if (old_domain) {
            group.default_domain = old_domain;
            iommu_domain_free(domain);
        }
        return ret;
    }
    if (direct_failed) {
        for (GroupDevice* gdev : group.devices)
            if ((ret = create_device_direct_mappings(*domain, *gdev->dev)) != 0) break;
        if (ret && old_domain) {  // back to the old default domain
            group_set_domain_internal(group, old_domain, SET_DOMAIN_MUST_SUCCEED);
            group.default_domain = old_domain;
            iommu_domain_free(domain);
            return ret;
        }
    }
    if (old_domain && old_domain != domain) iommu_domain_free(old_domain);
    return ret;
}

int attach_device(IommuDomain& domain, Device& dev, IommuDomain* old_domain) {
    if (used_domain_after_free(domain)) return -EINVAL;
    if (const int ret = domain.attach_dev(dev, old_domain)) return ret;
    if (dev.iommu) dev.iommu->attach_deferred = false;
    return 0;
}

// __iommu_device_set_domain, with the deferred-attach rule of section 6.
int device_set_domain(IommuGroup& group, Device& dev, IommuDomain* new_domain, IommuDomain* old_domain,
                      unsigned flags) {
    const CoreOptions& options = core().options;
    // First, so that a refused switch leaves a deferred device deferred.
    if (dev.iommu && dev.iommu->require_direct && is_blocking(group, *new_domain)) {
        note("firmware_requires_direct_mapping");  // Linux: dev_warn
        return -EINVAL;
    }
    if (dev.iommu && dev.iommu->attach_deferred) {
        // Rule 2: joining the default domain while deferred touches no hardware. Rule 3: any other
        // domain is attached now (the S1c bug defers those too).
        if (new_domain == group.default_domain || options.bug_defer_every_domain) return 0;
        dev.iommu->attach_deferred = false;
    }
    kernel::interleaving_point("set_domain.before_attach:", dev.name());
    const int ret = attach_device(*new_domain, dev, old_domain);
    kernel::interleaving_point("set_domain.after_attach:", dev.name());
    if (ret && (flags & SET_DOMAIN_MUST_SUCCEED) && group.blocking_domain && group.blocking_domain != new_domain)
        attach_device(*group.blocking_domain, dev, old_domain);
    return ret;
}

int group_set_domain_internal(IommuGroup& group, IommuDomain* new_domain, unsigned flags) {
    kernel::assert_held(group.mutex);  // rule L7
    if (group.domain == new_domain) return 0;
    if (kernel::warn_on(!new_domain, "set_domain_null", "group " + group.name)) return -EINVAL;
    // The recovery fence (7.0-stable): no switch while a member is blocked for reset or quarantine,
    // except the MUST_SUCCEED teardown paths, which must still move group->domain.
    if (group.recovery_cnt && (!(flags & SET_DOMAIN_MUST_SUCCEED) || core().options.bug_recovery_fence_blocks_nofail))
        return -EBUSY;
    int result = 0;
    std::size_t switched = 0;
    for (GroupDevice* gdev : group.devices) {
        if (gdev->blocked) {  // stays on the blocking domain until reset-done
            ++switched;
            continue;
        }
        const int ret = device_set_domain(group, *gdev->dev, new_domain, group.domain, flags);
        if (ret) {
            result = ret;
            if (flags & SET_DOMAIN_MUST_SUCCEED) {
                ++switched;
                continue;
            }
            // Put back the members already switched and the one that failed (its driver may have
            // left it half-way): DMA must only ever reach the old or the new domain. A failure here
            // is a driver bug.
            for (std::size_t i = 0; i <= switched; ++i) {
                GroupDevice* done = group.devices[i];
                if (done->blocked || !group.domain) continue;
                kernel::warn_on(device_set_domain(group, *done->dev, group.domain, new_domain, SET_DOMAIN_MUST_SUCCEED) != 0,
                                "set_domain_revert_failed", done->dev->name());
            }
            return ret;
        }
        ++switched;
    }
    group.domain = new_domain;
    return result;
}

void group_set_domain_nofail(IommuGroup& group, IommuDomain* new_domain) {
    kernel::warn_on(group_set_domain_internal(group, new_domain, SET_DOMAIN_MUST_SUCCEED) != 0, "set_domain_nofail",
                    "group " + group.name);
}

int group_set_domain(IommuGroup& group, IommuDomain* new_domain) { return group_set_domain_internal(group, new_domain, 0); }

// Back to the kernel's domain: blocking while an exclusive owner holds the group, else the default.
void group_set_core_domain(IommuGroup& group) {
    group_set_domain_nofail(group, group.owner ? group.blocking_domain : group.default_domain);
}

int group_alloc_blocking_domain(IommuGroup& group) {
    if (group.blocking_domain) return 0;
    IommuDomain* domain = alloc_group_domain(group, IOMMU_DOMAIN_BLOCKED);
    // Without a static blocked domain, an empty paging domain blocks just as well.
    if (!domain) domain = alloc_group_domain(group, IOMMU_DOMAIN_UNMANAGED);
    if (!domain) return -ENOMEM;
    group.blocking_domain = domain;
    return 0;
}

int iommu_group_change_default_domain(IommuGroup& group, unsigned type) {
    if (!group.default_domain) return -EINVAL;
    if (type != 0 && type != IOMMU_DOMAIN_IDENTITY && type != IOMMU_DOMAIN_DMA && type != IOMMU_DOMAIN_DMA_FQ)
        return -EINVAL;
    kernel::Guard<kernel::Mutex> guard(group.mutex);
    if (type == IOMMU_DOMAIN_DMA_FQ && group.default_domain->type == IOMMU_DOMAIN_DMA) {
        if (const int ret = iommu_dma_init_fq(*group.default_domain)) return ret;
        group.default_domain->type = IOMMU_DOMAIN_DMA_FQ;
        return 0;
    }
    if (group.devices.empty() || group.owner_cnt) return -EPERM;
    if (const int ret = setup_default_domain(group, type)) return ret;
    for (GroupDevice* gdev : group.devices) iommu_setup_dma_ops(*gdev->dev, group.default_domain);
    return 0;
}

IommuDomain* iommu_paging_domain_alloc(Device& dev) {
    if (!device_iommu_mapped(dev)) return nullptr;
    return domain_alloc_for(*dev_iommu_ops(dev), dev, IOMMU_DOMAIN_UNMANAGED);
}

void iommu_set_fault_handler(IommuDomain& domain, IommuFaultHandler handler) {
    // A legacy handler lives in the cookie: never on a domain with another cookie (a DMA domain).
    if (kernel::warn_on(domain.cookie_type != IommuDomain::CookieType::none &&
                            domain.cookie_type != IommuDomain::CookieType::fault_handler,
                        "fault_handler_on_cookie_domain", domain.name))
        return;
    domain.cookie_type = IommuDomain::CookieType::fault_handler;
    domain.fault_handler = std::move(handler);
}

namespace {

int attach_group_locked(IommuDomain& domain, IommuGroup& group) {
    if (group.domain && group.domain != group.default_domain && group.domain != group.blocking_domain) return -EBUSY;
    Device* dev = group_first_dev(group);
    if (!dev || !device_iommu_mapped(*dev) || dev_iommu_ops(*dev) != domain.owner) return -EINVAL;
    return group_set_domain(group, &domain);
}

}  // namespace

int iommu_attach_device(IommuDomain& domain, Device& dev) {
    IommuGroup* group = dev.iommu_group;
    if (!group) return -ENODEV;
    kernel::Guard<kernel::Mutex> guard(group->mutex);
    if (group->devices.size() != 1) return -EINVAL;
    return attach_group_locked(domain, *group);
}

void iommu_detach_device(IommuDomain& domain, Device& dev) {
    IommuGroup* group = dev.iommu_group;
    if (!group) return;
    kernel::Guard<kernel::Mutex> guard(group->mutex);
    if (kernel::warn_on(&domain != group->domain || group->devices.size() != 1, "detach_device_mismatch", dev.name()))
        return;
    group_set_core_domain(*group);
}

int iommu_attach_group(IommuDomain& domain, IommuGroup& group) {
    kernel::Guard<kernel::Mutex> guard(group.mutex);
    return attach_group_locked(domain, group);
}

void iommu_detach_group(IommuDomain&, IommuGroup& group) {
    kernel::Guard<kernel::Mutex> guard(group.mutex);
    group_set_core_domain(group);
}

IommuDomain* iommu_get_domain_for_dev(Device& dev) {
    IommuGroup* group = dev.iommu_group;
    if (!group) return nullptr;
    kernel::assert_not_held(group->mutex);  // rule L8: for external users
    return group->domain;
}

IommuDomain* iommu_driver_get_domain_for_dev(Device& dev) {
    IommuGroup* group = dev.iommu_group;
    if (!group) return nullptr;
    kernel::assert_held(group->mutex);  // rule L7
    const GroupDevice* gdev = find_group_device(*group, dev);
    if (gdev && gdev->blocked) return group->blocking_domain;
    return group->domain;
}

IommuDomain* iommu_get_dma_domain(Device& dev) { return dev.iommu_group ? dev.iommu_group->default_domain : nullptr; }

// Section 6 rule 4: the flag is read without locks (drivers set up DMA from their probe); the attach
// itself runs under group->mutex and is refused while the device is blocked for reset.
int iommu_deferred_attach(Device& dev, IommuDomain& domain) {
    const CoreOptions& options = core().options;
    if (options.bug_no_lazy_attach || !dev.iommu || !dev.iommu->attach_deferred) return 0;
    IommuGroup* group = dev.iommu_group;
    if (!group) return -EINVAL;
    kernel::Guard<kernel::Mutex> guard(group->mutex);
    const GroupDevice* gdev = find_group_device(*group, dev);
    if (!gdev || !dev.iommu) return -ENODEV;  // released while this mapper waited
    if (gdev->blocked && !options.bug_deferred_attach_ignores_reset) return -EBUSY;
    if (!dev.iommu->attach_deferred) return 0;  // another mapper attached it meanwhile
    kernel::interleaving_point("IP1.3a.before_hw_attach:", dev.name());
    const int ret = attach_device(domain, dev, nullptr);
    kernel::interleaving_point("IP1.3b.after_hw_attach:", dev.name());
    return ret;
}

}  // namespace iommu_vp::iommu
