// Subsystem initialisation (section 3.1): the global state, the options, the bus notifiers and the
// buses' dma_configure hooks (platform_dma_configure, pci_dma_configure).
#include "sw_stack/iommu/core_internal.h"
#include "sw_stack/kernel/errno.h"
#include "sw_stack/kernel/pci.h"
#include "sw_stack/kernel/platform.h"
#include "sw_stack/kernel/runtime.h"
#include "sw_stack/kernel/warn.h"

namespace iommu_vp::iommu {
namespace {

std::unique_ptr<CoreState>& state() {
    static std::unique_ptr<CoreState> instance;
    return instance;
}

// The IOMMU-capable buses, in the fixed order iommu_device_register walks them.
int iommu_bus_notifier(unsigned long action, Device& dev) {
    if (action == kernel::BUS_NOTIFY_ADD_DEVICE) {
        const int ret = iommu_probe_device(dev);
        if (ret && ret != -ENODEV) return kernel::NOTIFY_DONE;  // Linux logs and goes on
    } else if (action == kernel::BUS_NOTIFY_REMOVED_DEVICE) {
        iommu_release_device(dev);
    }
    return kernel::NOTIFY_DONE;
}

// platform_dma_configure and pci_dma_configure (section 3.8 step 4, section 7 item 6): the firmware
// step, then the default-domain claim for a bound driver read once, unless the driver manages DMA.
int bus_dma_configure(Device& dev) {
    kernel::Driver* const driver = dev.driver;  // READ_ONCE: it may change underneath
    int ret = of_iommu_configure(dev);
    if (ret == -EPROBE_DEFER) return ret;
    ret = 0;  // any other failure means "no IOMMU"
    if (driver && !driver->driver_managed_dma) ret = iommu_device_use_default_domain(dev);
    return ret;
}

void bus_dma_cleanup(Device& dev) {
    if (dev.driver && !dev.driver->driver_managed_dma) iommu_device_unuse_default_domain(dev);
}

void hook_bus(kernel::Bus& bus, kernel::NotifierBlock& notifier) {
    notifier.notifier_call = iommu_bus_notifier;
    kernel::bus_register_notifier(bus, notifier);
    bus.dma_configure = bus_dma_configure;
    bus.dma_cleanup = bus_dma_cleanup;
}

}  // namespace

CoreState& core() {
    kernel::bug_on(!state(), "iommu_core_not_initialised", "iommu_subsys_init has not run");
    return *state();
}

bool iommu_subsys_initialised() { return state() != nullptr; }

void iommu_subsys_init() {
    if (state()) return;
    state() = std::make_unique<CoreState>();
    kernel::Runtime& runtime = kernel::Runtime::get();
    std::vector<std::string> errors;
    state()->options = parse_core_options(runtime.command_line(), &errors);
    for (const std::string& error : errors)
        runtime.report({"config", "IOMMU core option: " + error, error, sc_core::sc_time_stamp()});
    hook_bus(kernel::platform_bus_type(), state()->platform_notifier);
    hook_bus(kernel::pci_bus_type(), state()->pci_notifier);
}

const char* domain_type_name(unsigned type) {
    switch (type) {
        case IOMMU_DOMAIN_BLOCKED: return "BLOCKED";
        case IOMMU_DOMAIN_IDENTITY: return "IDENTITY";
        case IOMMU_DOMAIN_UNMANAGED: return "UNMANAGED";
        case IOMMU_DOMAIN_DMA: return "DMA";
        case IOMMU_DOMAIN_DMA_FQ: return "DMA_FQ";
        case IOMMU_DOMAIN_SVA: return "SVA";
        case IOMMU_DOMAIN_PLATFORM: return "PLATFORM";
        case IOMMU_DOMAIN_NESTED: return "NESTED";
        default: return "?";
    }
}

// Section 3.1: passthrough gives IDENTITY; otherwise DMA, lazy (DMA_FQ) unless strict.
unsigned iommu_def_domain_type() {
    const CoreOptions& options = core().options;
    if (options.passthrough) return IOMMU_DOMAIN_IDENTITY;
    return options.strict ? IOMMU_DOMAIN_DMA : IOMMU_DOMAIN_DMA_FQ;
}

bool iommu_dma_strict() { return core().options.strict; }

void iommu_set_deferred_attach_enabled(bool enabled) { core().deferred_attach_key = enabled; }
bool iommu_deferred_attach_enabled() { return core().deferred_attach_key; }

const FaultCounts& iommu_fault_counts() { return core().faults; }
const std::map<std::string, std::uint64_t>& iommu_notice_counts() { return core().notices; }
void note(const char* name) { ++core().notices[name]; }

}  // namespace iommu_vp::iommu
