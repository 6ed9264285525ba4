// The platform bus (Linux drivers/base/platform.c, drivers/of/platform.c): devices the firmware
// describes by node (MMIO windows, interrupts, "iommus") rather than ones a bus enumerates. SMMUv3
// instances are platform devices too; their driver's probe registers the IOMMU.
//
// A platform driver matches a device by the node's "compatible" string (of_match_table), else by
// name. The bus's dma_configure/dma_cleanup hooks are left empty for the IOMMU core to fill
// (platform_dma_configure: of_dma_configure, then iommu_device_use_default_domain unless the driver
// is driver_managed_dma).
//
// Not modelled: platform data, driver_override, id tables, ACPI matching, IORESOURCE parsing (the
// node's mmio and irqs are read directly).
#pragma once

#include "sw_stack/kernel/device.h"

#include <string>
#include <vector>

namespace iommu_vp::kernel {

class PlatformDevice : public Device {
public:
    // A device made from a firmware node: named after it, fwnode pointing at it.
    explicit PlatformDevice(const FwNode& node);
    // A device with no firmware node (what platform_device_alloc makes).
    explicit PlatformDevice(std::string device_name);

    // The node's resources; empty for a device without a node.
    const std::vector<MmioRegion>& mmio() const;
    const std::vector<IrqDesc>& irqs() const;
};

// Every driver on the platform bus is a PlatformDriver (the bus's match reads its table).
class PlatformDriver : public Driver {
public:
    explicit PlatformDriver(std::string driver_name);
    std::vector<std::string> of_match_table;  // compatible strings
};

Bus& platform_bus_type();
bool dev_is_platform(const Device& dev);
// Only for a device on the platform bus (dev_is_platform).
PlatformDevice& to_platform_device(Device& dev);

// Puts the device on the platform bus and registers it (device_add's result).
int platform_device_register(PlatformDevice& pdev);
void platform_device_unregister(PlatformDevice& pdev);
int platform_driver_register(PlatformDriver& drv);
void platform_driver_unregister(PlatformDriver& drv);

// of_platform_populate: a registered platform device for every platform node of the description, in
// its order. The devices hold the description's nodes: it must outlive them.
std::vector<PlatformDevice*> of_platform_populate(const FirmwareDescription& firmware);

}  // namespace iommu_vp::kernel
