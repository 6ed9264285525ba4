#include "sw_stack/kernel/platform.h"

#include <algorithm>

namespace iommu_vp::kernel {
namespace {

const std::vector<MmioRegion> no_mmio;
const std::vector<IrqDesc> no_irqs;

// platform_match: the node's compatible string in the driver's table, else the names.
int platform_match(Device& dev, Driver& drv) {
    const auto& table = static_cast<const PlatformDriver&>(drv).of_match_table;
    if (dev.fwnode && !dev.fwnode->compatible.empty() &&
        std::find(table.begin(), table.end(), dev.fwnode->compatible) != table.end())
        return 1;
    return dev.name() == drv.name ? 1 : 0;
}

}  // namespace

PlatformDevice::PlatformDevice(const FwNode& node) : Device(node.name) { fwnode = &node; }

PlatformDevice::PlatformDevice(std::string device_name) : Device(std::move(device_name)) {}

const std::vector<MmioRegion>& PlatformDevice::mmio() const { return fwnode ? fwnode->mmio : no_mmio; }

const std::vector<IrqDesc>& PlatformDevice::irqs() const { return fwnode ? fwnode->irqs : no_irqs; }

PlatformDriver::PlatformDriver(std::string driver_name) : Driver(std::move(driver_name)) {}

// Kernel state: created on first use, never destroyed.
Bus& platform_bus_type() {
    static Bus* bus = [] {
        Bus* b = new Bus("platform");
        b->match = platform_match;
        return b;
    }();
    return *bus;
}

bool dev_is_platform(const Device& dev) { return dev.bus == &platform_bus_type(); }

PlatformDevice& to_platform_device(Device& dev) { return static_cast<PlatformDevice&>(dev); }

int platform_device_register(PlatformDevice& pdev) {
    pdev.bus = &platform_bus_type();
    return device_add(pdev);
}

void platform_device_unregister(PlatformDevice& pdev) { device_unregister(pdev); }

int platform_driver_register(PlatformDriver& drv) {
    drv.bus = &platform_bus_type();
    return driver_register(drv);
}

void platform_driver_unregister(PlatformDriver& drv) { driver_unregister(drv); }

std::vector<PlatformDevice*> of_platform_populate(const FirmwareDescription& firmware) {
    std::vector<PlatformDevice*> devices;
    for (const FwNode& node : firmware.platform_devices) {
        auto* pdev = new PlatformDevice(node);
        if (platform_device_register(*pdev) == 0)
            devices.push_back(pdev);
        else
            put_device(pdev);
    }
    return devices;
}

}  // namespace iommu_vp::kernel
