// What the IOMMU core's files share and nobody else calls (Linux keeps these static in iommu.c): the
// global state of section 2.5 and the internal steps of probe, default-domain setup and domain
// switches.
#pragma once

#include "sw_stack/iommu/iommu.h"
#include "sw_stack/iommu/options.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace iommu_vp::iommu {

// Section 2.5: one per simulation, created by iommu_subsys_init.
struct CoreState {
    CoreOptions options;
    kernel::Mutex probe_lock{"iommu_probe_device_lock"};
    kernel::SpinLock device_list_lock{"iommu_device_lock"};
    std::vector<IommuDevice*> iommus;           // iommu_device_list, in registration order
    int next_group_id = 0;
    bool deferred_attach_key = false;           // the crash-kernel static key
    FaultCounts faults;
    // Linux's log-only messages (dev_warn, pr_warn, dev_err): counted by name, kept apart from the WARN
    // sites that warn_on counts (section 12's WARN oracle).
    std::map<std::string, std::uint64_t> notices;
    kernel::NotifierBlock platform_notifier;
    kernel::NotifierBlock pci_notifier;
    // Freed groups and group members stay allocated, poisoned, so that a use after free (a bug
    // toggle's symptom) is reported rather than undefined (section 12's memory oracle).
    std::vector<std::unique_ptr<GroupDevice>> retired_members;
    std::vector<std::unique_ptr<IommuGroup>> retired_groups;
    std::vector<std::unique_ptr<IommuDomain>> retired_domains;
};

// The state; a BUG when iommu_subsys_init has not run.
CoreState& core();
// A log-only message of Linux's (not a WARN): counted under `name`.
void note(const char* name);

// IOMMU_SET_DOMAIN_MUST_SUCCEED: the switch may not fail (teardown paths, first attach).
inline constexpr unsigned SET_DOMAIN_MUST_SUCCEED = 1u << 0;

// ---- probe (probe.cpp) ----
int probe_device_locked(Device& dev, std::vector<IommuGroup*>* pending_groups);
const IommuOps* dev_iommu_ops(const Device& dev);
DevIommu* dev_iommu_get(Device& dev);
void dev_iommu_free(Device& dev);
// iommu_deinit_device: undoes probe once the device has left its group; with group->mutex.
// `hw_domain` is where the device's translation points now (the blocking domain for a blocked member).
void deinit_device(Device& dev, IommuGroup& group, IommuDomain* hw_domain);

// ---- groups (group.cpp) ----
GroupDevice* find_group_device(IommuGroup& group, const Device& dev);
Device* group_first_dev(IommuGroup& group);
// Unlinks `dev` from its group and frees the member after group->mutex is dropped (section 15).
void group_remove_device(Device& dev);
// Frees an unlinked member: cancels its quarantine work (which takes group->mutex, so the caller must
// not hold it), then retires it poisoned.
void free_group_device(GroupDevice* gdev);

// ---- reset and quarantine (reset.cpp) ----
// The body of a member's quarantine work: under group->mutex, blocks the member unless it has left.
void run_quarantine_work(GroupDevice& gdev);

// ---- domains (domain.cpp) ----
int setup_default_domain(IommuGroup& group, unsigned target_type);
int group_set_domain_internal(IommuGroup& group, IommuDomain* new_domain, unsigned flags);
void group_set_domain_nofail(IommuGroup& group, IommuDomain* new_domain);
int group_set_domain(IommuGroup& group, IommuDomain* new_domain);
void group_set_core_domain(IommuGroup& group);
int device_set_domain(IommuGroup& group, Device& dev, IommuDomain* new_domain, IommuDomain* old_domain,
                      unsigned flags);
// The low-level attach: the driver's attach_dev; a success clears attach_deferred (section 6 rule 6).
int attach_device(IommuDomain& domain, Device& dev, IommuDomain* old_domain);
int group_alloc_blocking_domain(IommuGroup& group);
// 0, or the first iommu_map error.
int create_device_direct_mappings(IommuDomain& domain, Device& dev);
IommuDomain* domain_alloc_for(const IommuOps& ops, Device& dev, unsigned type);
// Reports a use of a freed object (section 12's memory oracle); true when `freed`.
bool used_after_free(bool freed, const char* what, const std::string& name);
bool used_domain_after_free(const IommuDomain& domain);

// ---- the DMA layer's part of setup (dma_iommu.cpp) ----
// iommu_get_dma_cookie / iommu_put_dma_cookie: a DMA domain's IOVA state.
int iommu_get_dma_cookie(IommuDomain& domain);
void iommu_put_dma_cookie(IommuDomain& domain);
// Section 8.1: the device's DMA goes through `domain` when it is a DMA type. Called with group->mutex.
void iommu_setup_dma_ops(Device& dev, IommuDomain* domain);
// Brings up flush queues on a live DMA domain (the DMA -> DMA_FQ type change).
int iommu_dma_init_fq(IommuDomain& domain);

}  // namespace iommu_vp::iommu
