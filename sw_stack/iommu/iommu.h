// The IOMMU core (Linux drivers/iommu/iommu.c, include/linux/iommu.h), re-implemented on the kernel
// runtime: IOMMU instances, the per-device IOMMU data and firmware spec, groups and their members,
// domains, and the operations drivers provide. The behaviour follows ../shared/spec/iommu-core.md
// (sections 2-11); the section numbers in comments below refer to it.
//
// Drivers subclass IommuOps (the driver's operation table) and IommuDomain (a domain's operations);
// C++ virtual functions play the part of Linux's ops pointers, and a domain's `owner` names the ops
// that allocated it. Everything else is plain data the core keeps, read by drivers and tests.
//
// Locks (section 4.2, outermost first): device_lock(dev) -> iommu_probe_device_lock -> group->mutex
// -> driver locks -> leaf spinlocks (iommu_device_lock, flush-queue and IOVA locks, the PASID array's
// lock). The core never takes a device_lock (rule L2) unless a bug toggle asks it to.
//
// Functions return 0 or a negative errno; those that hand out an object return it through an
// out-parameter. Every function that may sleep must run in a software thread.
#pragma once

#include "sw_stack/iommu/iotlb_gather.h"
#include "sw_stack/iommu/prot.h"
#include "sw_stack/kernel/device.h"
#include "sw_stack/kernel/errno.h"
#include "sw_stack/kernel/sync.h"
#include "sw_stack/kernel/workqueue.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace iommu_vp::kernel {
// The core's per-device state and groups, forward-declared by the driver core (device.h).
struct DevIommu;
struct IommuGroup;
}  // namespace iommu_vp::kernel

namespace iommu_vp::iommu {

using kernel::Device;
using kernel::DevIommu;
using kernel::EPROBE_DEFER;
using kernel::FwNode;
using kernel::IommuGroup;

class IommuDomain;
class IommuOps;
struct IommuDevice;

// ---- domain types (section 2.4) ------------------------------------------------------------------

inline constexpr unsigned IOMMU_DOMAIN_PAGING_BIT = 1u << 0;   // __IOMMU_DOMAIN_PAGING: has page tables
inline constexpr unsigned IOMMU_DOMAIN_DMA_API_BIT = 1u << 1;  // __IOMMU_DOMAIN_DMA_API: the DMA API owns them
inline constexpr unsigned IOMMU_DOMAIN_PT_BIT = 1u << 2;       // __IOMMU_DOMAIN_PT: identity
inline constexpr unsigned IOMMU_DOMAIN_DMA_FQ_BIT = 1u << 3;   // __IOMMU_DOMAIN_DMA_FQ: lazy invalidation
inline constexpr unsigned IOMMU_DOMAIN_SVA_BIT = 1u << 4;      // __IOMMU_DOMAIN_SVA
inline constexpr unsigned IOMMU_DOMAIN_PLATFORM_BIT = 1u << 5;
inline constexpr unsigned IOMMU_DOMAIN_NESTED_BIT = 1u << 6;

inline constexpr unsigned IOMMU_DOMAIN_BLOCKED = 0;
inline constexpr unsigned IOMMU_DOMAIN_IDENTITY = IOMMU_DOMAIN_PT_BIT;
inline constexpr unsigned IOMMU_DOMAIN_UNMANAGED = IOMMU_DOMAIN_PAGING_BIT;
inline constexpr unsigned IOMMU_DOMAIN_DMA = IOMMU_DOMAIN_PAGING_BIT | IOMMU_DOMAIN_DMA_API_BIT;
inline constexpr unsigned IOMMU_DOMAIN_DMA_FQ = IOMMU_DOMAIN_DMA | IOMMU_DOMAIN_DMA_FQ_BIT;
inline constexpr unsigned IOMMU_DOMAIN_SVA = IOMMU_DOMAIN_SVA_BIT;
inline constexpr unsigned IOMMU_DOMAIN_PLATFORM = IOMMU_DOMAIN_PLATFORM_BIT;
inline constexpr unsigned IOMMU_DOMAIN_NESTED = IOMMU_DOMAIN_NESTED_BIT;

// "DMA_FQ", "IDENTITY", ... for logs and reports.
const char* domain_type_name(unsigned type);
inline bool iommu_is_dma_domain_type(unsigned type) { return (type & IOMMU_DOMAIN_DMA_API_BIT) != 0; }

// ---- faults (section 9) --------------------------------------------------------------------------

inline constexpr int IOMMU_FAULT_READ = 0x0;
inline constexpr int IOMMU_FAULT_WRITE = 0x1;

// A legacy per-domain fault handler (iommu_set_fault_handler): returns 0 when it handled the fault.
using IommuFaultHandler = std::function<int(IommuDomain& domain, Device& dev, std::uint64_t iova, int flags)>;

// One page request of a recoverable fault (struct iommu_fault_page_request).
struct PageRequest {
    std::uint32_t grpid = 0;   // page request group index
    std::uint32_t pasid = 0;
    bool pasid_valid = false;
    bool last_page = false;    // IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE
    bool private_data = false;
    std::uint64_t addr = 0;
    int perm = 0;              // IOMMU_FAULT_PERM_* as IOMMU_READ/IOMMU_WRITE bits
};

// The response to a page-request group (struct iommu_page_response).
enum class PageResponseCode { success, invalid, failure };
struct PageResponse {
    std::uint32_t grpid = 0;
    std::uint32_t pasid = 0;
    bool pasid_valid = false;
    PageResponseCode code = PageResponseCode::success;
};

// A page-request group as delivered to a domain's IOPF handler (struct iopf_group): every request of
// the group, the last one last.
struct IopfGroup {
    Device* dev = nullptr;
    IommuGroup* iommu_group = nullptr;  // holds a reference until the group is answered
    IommuDomain* domain = nullptr;
    std::vector<PageRequest> faults;
    bool answered = false;
    const PageRequest& last() const { return faults.back(); }
};
// A domain's recoverable-fault handler: takes the group and must answer it (iopf_group_response)
// exactly once, now or later.
using IopfHandler = std::function<void(std::shared_ptr<IopfGroup> group)>;

// ---- reserved regions (section 3.6, 8.1) ------------------------------------------------------------

using kernel::ResvType;
struct IommuResvRegion {
    std::uint64_t start = 0;
    std::uint64_t length = 0;
    int prot = 0;
    ResvType type = ResvType::reserved;
};

// ---- domains (section 2.4) -----------------------------------------------------------------------

struct DomainGeometry {
    std::uint64_t aperture_start = 0;
    std::uint64_t aperture_end = ~0ull;
    bool force_aperture = false;
};

// One DMA address space, or a fixed policy (identity, blocked). Drivers subclass it; the defaults of
// the page-table operations answer "not supported", as a domain without map_pages does.
class IommuDomain {
public:
    IommuDomain(unsigned domain_type, const IommuOps* owner_ops) : type(domain_type), owner(owner_ops) {}
    virtual ~IommuDomain() = default;
    IommuDomain(const IommuDomain&) = delete;
    IommuDomain& operator=(const IommuDomain&) = delete;

    // attach_dev(domain, dev, old): points the device's translation at this domain.
    virtual int attach_dev(Device& dev, IommuDomain* old) = 0;
    // set_dev_pasid: attaches one PASID of the device (SVA, PASID-capable paging domains).
    virtual int set_dev_pasid(Device& /*dev*/, std::uint32_t /*pasid*/, IommuDomain* /*old*/) { return -EOPNOTSUPP; }
    // Page-table operations (paging domains).
    virtual int map_pages(std::uint64_t /*iova*/, std::uint64_t /*paddr*/, std::uint64_t /*pgsize*/,
                          std::uint64_t /*pgcount*/, int /*prot*/, std::uint64_t& /*mapped*/) {
        return -EOPNOTSUPP;
    }
    virtual std::uint64_t unmap_pages(std::uint64_t /*iova*/, std::uint64_t /*pgsize*/, std::uint64_t /*pgcount*/,
                                      IommuIotlbGather& /*gather*/) {
        return 0;
    }
    virtual int iotlb_sync_map(std::uint64_t /*iova*/, std::uint64_t /*size*/) { return 0; }
    // Invalidates what the gather collected and waits for the invalidation to complete.
    virtual void iotlb_sync(IommuIotlbGather& /*gather*/) {}
    virtual void flush_iotlb_all() {}
    virtual std::uint64_t iova_to_phys(std::uint64_t /*iova*/) { return 0; }

    unsigned type;                      // changes only when a DMA_FQ domain falls back to DMA (section 8.1)
    const IommuOps* const owner;        // the ops that allocated it; nullptr for a static domain
    std::uint64_t pgsize_bitmap = 0;    // page sizes map_pages accepts
    DomainGeometry geometry;
    // The cookie (section 2.4): a DMA domain's IOVA cookie, or a legacy fault handler.
    enum class CookieType { none, dma_iova, dma_msi, fault_handler, sva, iommufd };
    CookieType cookie_type = CookieType::none;
    std::shared_ptr<void> iova_cookie;  // the DMA layer's state (iommu_dma_cookie)
    IommuFaultHandler fault_handler;
    IopfHandler iopf_handler;
    std::string name;                   // for reports: "dma0:DMA", "blocked"

    bool is_paging() const { return (type & IOMMU_DOMAIN_PAGING_BIT) != 0; }
    // Freed by its owner's free path; a freed domain is poisoned, never touched again (rule L12).
    bool freed = false;
};

// ---- the driver's operation table (section 2.1) ---------------------------------------------------

class IommuOps {
public:
    virtual ~IommuOps() = default;

    // The instance serving `dev`, or -ENODEV when this driver does not serve it.
    virtual int probe_device(Device& dev, IommuDevice*& iommu_dev) = 0;
    virtual void release_device(Device& /*dev*/) {}
    virtual void probe_finalize(Device& /*dev*/) {}
    // The group for `dev`, with a reference for the device (iommu_group_ref_get). The default is a new
    // group per device (generic_device_group).
    virtual int device_group(Device& dev, IommuGroup*& group);
    // A new paging domain for `dev` (UNMANAGED, or a DMA type the core turns it into); nullptr on
    // failure. `type` tells which kind the core wants (it may be IOMMU_DOMAIN_DMA[_FQ]).
    virtual IommuDomain* domain_alloc_paging(Device& dev, unsigned type) = 0;
    // Identity domains that are not static (most drivers have a static one: identity_domain).
    virtual IommuDomain* domain_alloc_identity(Device& /*dev*/) { return nullptr; }
    // Releases what the driver holds for a domain it allocated (its page tables, its IDs). The core
    // keeps the object itself, poisoned, so that a later use is reported (section 12's memory oracle).
    virtual void domain_free(IommuDomain& /*domain*/) {}
    // The type `dev` requires (0: no requirement), as def_domain_type.
    virtual unsigned def_domain_type(Device& /*dev*/) { return 0; }
    // The device's attach must wait until the DMA API is first used (section 6).
    virtual bool is_attach_deferred(Device& /*dev*/) { return false; }
    virtual void get_resv_regions(Device& /*dev*/, std::vector<IommuResvRegion>& /*regions*/) {}
    // Adds the firmware IDs of one "iommus" entry to the device's fwspec (of_xlate).
    virtual int of_xlate(Device& dev, const std::vector<std::uint32_t>& ids);
    // Completes a recoverable fault group.
    virtual void page_response(Device& /*dev*/, const PageRequest& /*last*/, const PageResponse& /*response*/) {}
    // The driver can defer IOTLB flushes (IOMMU_CAP_DEFERRED_FLUSH): DMA_FQ is possible.
    virtual bool capable_deferred_flush() const { return true; }

    // Static domains the driver provides (nullptr: none).
    IommuDomain* blocked_domain = nullptr;
    IommuDomain* identity_domain = nullptr;
    IommuDomain* release_domain = nullptr;
    // Legacy drivers: this static domain is every group's default domain (ops->default_domain).
    IommuDomain* default_domain = nullptr;
    std::uint64_t pgsize_bitmap = 0;
    std::string name = "iommu";
};

// ---- instances (section 2.1) ----------------------------------------------------------------------

struct IommuDevice {
    IommuOps* ops = nullptr;
    const FwNode* fwnode = nullptr;     // nullptr: identified by no firmware node (VT-d, AMD)
    Device* hwdev = nullptr;            // the device that registered it (may be null)
    std::string name;
    IommuGroup* singleton_group = nullptr;
    std::uint32_t max_pasids = 0;
    // Set once iommu_device_register has finished its bus walks (section 7, window 2).
    bool ready = false;
    bool listed = false;
};

// ---- per-device state (section 2.2) ---------------------------------------------------------------

inline constexpr unsigned IOMMU_FWSPEC_PCI_RC_ATS = 1u << 0;  // the root complex supports ATS

struct IommuFwspec {
    const FwNode* iommu_fwnode = nullptr;
    const IommuOps* ops = nullptr;
    unsigned flags = 0;
    std::vector<std::uint32_t> ids;     // StreamIDs / requester IDs
};

}  // namespace iommu_vp::iommu

namespace iommu_vp::kernel {

struct DevIommu {
    Mutex lock{"dev_iommu->lock"};       // fault parameters
    std::unique_ptr<iommu::IommuFwspec> fwspec;
    iommu::IommuDevice* iommu_dev = nullptr;  // the instance that probed it
    void* priv = nullptr;               // dev_iommu_priv_get/set
    std::uint32_t max_pasids = 0;
    bool attach_deferred = false;
    bool pci_32bit_workaround = false;
    bool require_direct = false;
    bool shadow_on_flush = false;
    // A per-device fault handler (iommu_register_device_fault_handler's successor: the device's own
    // sink for unrecoverable faults), counted in the statistics.
    std::function<int(Device& dev, std::uint64_t iova, int flags)> fault_handler;
    // Page requests held until their group's last request arrives (section 9), by group index; under
    // `lock`.
    std::map<std::uint32_t, std::vector<iommu::PageRequest>> partial_iopf;
};

// One member of a group (struct group_device).
struct GroupDevice {
    GroupDevice(Device& device, IommuGroup& owner_group);
    Device* dev;
    IommuGroup* group;
    std::string name;
    bool blocked = false;               // blocked for reset or quarantine (section 10)
    // The quarantine work of section 15 (queued from a non-sleeping invalidation-error path, run under
    // group->mutex, cancelled after the member is unlinked and the mutex dropped).
    Work quarantine_work;
    bool freed = false;                 // poisoned after free (rule L12)
};

struct IommuGroup {
    explicit IommuGroup(int group_id);
    unsigned kref = 1;
    int id;
    std::string name;
    Mutex mutex{"group->mutex"};
    std::vector<GroupDevice*> devices;  // in the order they joined
    iommu::IommuDomain* default_domain = nullptr;
    iommu::IommuDomain* blocking_domain = nullptr;
    iommu::IommuDomain* domain = nullptr;
    const void* owner = nullptr;        // an exclusive DMA owner's cookie
    unsigned owner_cnt = 0;
    // Per-PASID attachments; writers hold group->mutex and the lock, the fault path only the lock.
    std::map<std::uint32_t, iommu::IommuDomain*> pasid_array;
    SpinLock pasid_lock{"group->pasid_array"};
    unsigned recovery_cnt = 0;          // members blocked for reset/recovery
    bool pending_default_domain = false;  // on a bus walk's pending list
    // Page-request groups delivered and not answered yet, by PASID (0 for the RID): a PASID is
    // detached only once its faults are answered (section 9).
    std::map<std::uint32_t, unsigned> iopf_outstanding;
    WaitQueue iopf_answered{"iopf_answered"};
    void* iommu_data = nullptr;         // iommu_group_get/set_iommudata
    bool freed = false;
};

}  // namespace iommu_vp::kernel

namespace iommu_vp::iommu {

using kernel::GroupDevice;

// ---- subsystem ------------------------------------------------------------------------------------

// iommu_subsys_init: reads the options (options.h) from the command line, registers the bus notifiers
// on the platform and PCI buses and fills their dma_configure/dma_cleanup hooks. Call from a software
// thread before any IOMMU driver registers. Calling it again does nothing.
void iommu_subsys_init();
bool iommu_subsys_initialised();

// ---- instances (section 3.2) ----------------------------------------------------------------------

// Lists the instance, walks the platform and PCI buses (two phases each), then publishes ready.
int iommu_device_register(IommuDevice& iommu, IommuOps& ops, Device* hwdev);
void iommu_device_unregister(IommuDevice& iommu);
// The registered instance with this firmware node (nullptr: none).
IommuDevice* iommu_device_from_fwnode(const FwNode* fwnode);

// ---- firmware specs (section 2.2) -----------------------------------------------------------------

// Caller holds iommu_probe_device_lock.
int iommu_fwspec_init(Device& dev, const FwNode* iommu_fwnode);
int iommu_fwspec_add_ids(Device& dev, const std::vector<std::uint32_t>& ids);
void iommu_fwspec_free(Device& dev);
inline IommuFwspec* dev_iommu_fwspec_get(const Device& dev);
void* dev_iommu_priv_get(const Device& dev);
void dev_iommu_priv_set(Device& dev, void* priv);
// The device has a real IOMMU (dev->iommu && dev->iommu->iommu_dev).
bool device_iommu_mapped(const Device& dev);

// ---- probe and release (sections 3.4, 11) ---------------------------------------------------------

int iommu_probe_device(Device& dev);
void iommu_release_device(Device& dev);
// The firmware-parsing step (of_iommu_configure without the replay and the default-domain claim):
// creates the device's fwspec from its firmware description when it has none. Caller holds
// iommu_probe_device_lock. 0, -ENODEV (no IOMMU described) or -EPROBE_DEFER.
int iommu_configure_firmware(Device& dev);
// The whole of of_iommu_configure (section 3.8): takes the probe lock, parses, and replays the probe
// for a device that had no IOMMU state on entry.
int of_iommu_configure(Device& dev);

// ---- groups (section 2.3, 3.5) --------------------------------------------------------------------

IommuGroup* iommu_group_alloc();
IommuGroup* iommu_group_get(Device& dev);      // with a reference; nullptr when not in a group
IommuGroup* iommu_group_ref_get(IommuGroup* group);
void iommu_group_put(IommuGroup* group);
int iommu_group_id(const IommuGroup& group);
// The device_group policies drivers pick from.
int generic_device_group(Device& dev, IommuGroup*& group);
int generic_single_device_group(Device& dev, IommuGroup*& group);  // the instance's singleton
int pci_device_group(Device& dev, IommuGroup*& group);
// A device that is not probed (an mdev) joins a group (iommu_group_add_device).
int iommu_group_add_device(IommuGroup& group, Device& dev);
void iommu_group_remove_device(Device& dev);
// Every member, under group->mutex (iommu_group_for_each_dev).
int iommu_group_for_each_dev(IommuGroup& group, const std::function<int(Device&)>& fn);

// ---- domains (sections 3.6, 3.7) ------------------------------------------------------------------

IommuDomain* iommu_paging_domain_alloc(Device& dev);  // an UNMANAGED domain for the caller
void iommu_domain_free(IommuDomain* domain);
void iommu_set_fault_handler(IommuDomain& domain, IommuFaultHandler handler);
int iommu_attach_device(IommuDomain& domain, Device& dev);
void iommu_detach_device(IommuDomain& domain, Device& dev);
int iommu_attach_group(IommuDomain& domain, IommuGroup& group);
void iommu_detach_group(IommuDomain& domain, IommuGroup& group);
// The group's current domain; call without group->mutex (external users).
IommuDomain* iommu_get_domain_for_dev(Device& dev);
// The domain the device is really on (the blocking domain while it is blocked); with group->mutex.
IommuDomain* iommu_driver_get_domain_for_dev(Device& dev);
IommuDomain* iommu_get_dma_domain(Device& dev);       // group->default_domain
// The per-group override (the sysfs "type" attribute, section 5): DMA -> DMA_FQ is done live on the
// existing domain; any other change needs a group with members and no owner (-EPERM otherwise), and
// sets up a new default domain of `type` (0: back to the policy's choice).
int iommu_group_change_default_domain(IommuGroup& group, unsigned type);
// The global default type after the policy of section 3.1 (options.h).
unsigned iommu_def_domain_type();
bool iommu_dma_strict();

// ---- map and unmap (section 8.2, 8.3) -------------------------------------------------------------

int iommu_map(IommuDomain& domain, std::uint64_t iova, std::uint64_t paddr, std::uint64_t size, int prot);
// Maps physically discontiguous pieces at consecutive IOVAs with one iotlb_sync_map at the end
// (iommu_map_sg); on failure nothing stays mapped. `pieces` are (paddr, size), granule aligned.
int iommu_map_pieces(IommuDomain& domain, std::uint64_t iova,
                     const std::vector<std::pair<std::uint64_t, std::uint64_t>>& pieces, int prot);
std::uint64_t iommu_unmap(IommuDomain& domain, std::uint64_t iova, std::uint64_t size);
// Without the sync: the caller syncs the gather (strict) or queues it (lazy).
std::uint64_t iommu_unmap_fast(IommuDomain& domain, std::uint64_t iova, std::uint64_t size, IommuIotlbGather& gather);
std::uint64_t iommu_iova_to_phys(IommuDomain& domain, std::uint64_t iova);
void iommu_iotlb_sync(IommuDomain& domain, IommuIotlbGather& gather);
void iommu_flush_iotlb_all(IommuDomain& domain);
void iommu_get_resv_regions(Device& dev, std::vector<IommuResvRegion>& regions);

// ---- DMA ownership (section 5) --------------------------------------------------------------------

int iommu_device_use_default_domain(Device& dev);
void iommu_device_unuse_default_domain(Device& dev);
int iommu_group_claim_dma_owner(IommuGroup& group, const void* owner);
void iommu_group_release_dma_owner(IommuGroup& group);
int iommu_device_claim_dma_owner(Device& dev, const void* owner);
void iommu_device_release_dma_owner(Device& dev);
bool iommu_group_dma_owner_claimed(IommuGroup& group);

// ---- deferred attach (section 6) ------------------------------------------------------------------

// The DMA API's lazy attach: 0 when the device is on its default domain (now or already), else the
// error that turns into a mapping failure (-EBUSY while blocked for reset).
int iommu_deferred_attach(Device& dev, IommuDomain& domain);
// The crash-kernel static key (iommu_dma_deferred_attach_enabled): the DMA API checks for deferred
// attach only when it is on.
void iommu_set_deferred_attach_enabled(bool enabled);
bool iommu_deferred_attach_enabled();

// ---- PASID attachments (section 2.3, 9) -----------------------------------------------------------

int iommu_attach_device_pasid(IommuDomain& domain, Device& dev, std::uint32_t pasid);
void iommu_detach_device_pasid(IommuDomain& domain, Device& dev, std::uint32_t pasid);

// ---- faults (section 9) ---------------------------------------------------------------------------

// An unrecoverable fault, from the driver's fault path (may be atomic): the domain's legacy handler,
// else the device's handler; -ENOSYS when nobody handled it. Counted either way.
int report_iommu_fault(IommuDomain& domain, Device& dev, std::uint64_t iova, int flags);
// A recoverable fault (one page request). Requests of a group are held until the last; then the group
// goes to the handler of the domain attached to the PASID (or the RID). -ENODEV when no handler: the
// fault stays the driver's to complete.
int iommu_report_device_fault(Device& dev, const PageRequest& request);
// Answers a group (iopf_group_response): exactly once per group, through the driver's page_response.
void iopf_group_response(IopfGroup& group, PageResponseCode code);

// Fault statistics for the run.
struct FaultCounts {
    std::uint64_t unrecoverable = 0;
    std::uint64_t handled_by_domain = 0;
    std::uint64_t handled_by_device = 0;
    std::uint64_t unhandled = 0;
    std::uint64_t page_requests = 0;
    std::uint64_t page_groups_delivered = 0;
    std::uint64_t page_responses = 0;
};
const FaultCounts& iommu_fault_counts();
// Linux's log-only messages so far, by name (firmware_requires_direct_mapping, ...).
const std::map<std::string, std::uint64_t>& iommu_notice_counts();

// ---- reset and quarantine (section 10, 15) --------------------------------------------------------

// pci_dev_reset_iommu_prepare/done for a PCI function with ATS behind an IOMMU; 0 for others.
int pci_dev_reset_iommu_prepare(Device& dev);
void pci_dev_reset_iommu_done(Device& dev);
// From a non-sleeping invalidation-error path: queues the member's quarantine work, which blocks the
// device like reset-prepare (without done).
void iommu_report_device_broken(Device& dev);

}  // namespace iommu_vp::iommu

namespace iommu_vp::iommu {
inline IommuFwspec* dev_iommu_fwspec_get(const Device& dev) { return dev.iommu ? dev.iommu->fwspec.get() : nullptr; }
}  // namespace iommu_vp::iommu
