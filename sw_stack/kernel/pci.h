// The PCI bus in the driver core (Linux drivers/pci/: probe.c, bus.c, remove.c, pci-driver.c): every
// enumerated function is a PciDev whose `dev` sits on pci_bus_type, PCI drivers match by ID table,
// host bridges enumerate their hierarchy from the firmware description, and functions go away by
// orderly removal or surprise hot-unplug. The topology itself, and the alias/ACS/ATS queries the
// IOMMU core makes, are pci_topology.h.
//
// Enumeration order is Linux's: scanning adds each function to the driver core as it is found
// (BUS_NOTIFY_ADD_DEVICE, so the IOMMU core probes it, in scan order), but no driver binds yet
// (match_driver is false); when the whole hierarchy is scanned, pci_bus_add_devices lets drivers
// bind, bus by bus, synchronously (device_attach). Removal stops before it removes: every driver below
// a bridge is unbound (deepest, last-found first) before any device is deleted. Surprise removal marks
// the functions disconnected first, so their drivers' remove sees them gone.
//
// Enumeration, hot-add and removal each hold pci_rescan_remove_lock (a Mutex of that class), as their
// Linux callers hold pci_lock_rescan_remove(): a driver's probe or remove must not call them.
//
// Not modelled: config-space accessors (the description is the config space), resource assignment,
// MSI/INTx setup, pci_dma_configure (the bus's dma_configure hook is left for the IOMMU core), power
// management, rescans below a hot-added bridge.
#pragma once

#include "sw_stack/kernel/device.h"
#include "sw_stack/kernel/pci_topology.h"

#include <memory>
#include <string>
#include <vector>

namespace iommu_vp::kernel {

class PciDev;

// The struct device of a PCI function (pdev->dev): what the driver core, notifiers and the IOMMU
// core's per-device state see.
class PciDevDevice final : public Device {
public:
    PciDevDevice(PciDev& owner, std::string device_name) : Device(std::move(device_name)), pdev(owner) {}
    PciDev& pdev;
    // The last reference frees the whole function.
    void release() override;
};

class PciDev : public PciFunction {
public:
    // Named as pci_name(): "ssss:bb:dd.f". Allocate with new; the last put_device(&dev) frees it.
    explicit PciDev(const PciDeviceDesc& desc);

    PciDevDevice dev;
    bool match_driver = false;  // drivers may bind (set by pci_bus_add_device)
    bool is_added = false;      // pci_dev_is_added: bus-added, so removal unbinds it
};

inline constexpr std::uint32_t PCI_ANY_ID = ~0u;

struct PciDeviceId {
    std::uint32_t vendor = PCI_ANY_ID;
    std::uint32_t device = PCI_ANY_ID;
    std::uint32_t class_code = 0;
    std::uint32_t class_mask = 0;  // which class bits must equal class_code
};

// Every driver on the PCI bus is a PciDriver (the bus's match reads its table).
class PciDriver : public Driver {
public:
    explicit PciDriver(std::string driver_name);
    std::vector<PciDeviceId> id_table;
};

Bus& pci_bus_type();
bool dev_is_pci(const Device& dev);
// Only for a device on the PCI bus (dev_is_pci).
PciDev& to_pci_dev(Device& dev);
// Every function the kernel enumerates is a PciDev.
PciDev& to_pci_dev(PciFunction& fn);
std::string pci_name(const PciAddress& address);
// The first entry of `ids` that matches (pci_match_id), or nullptr.
const PciDeviceId* pci_match_id(const std::vector<PciDeviceId>& ids, const PciDev& pdev);

int pci_register_driver(PciDriver& drv);
void pci_unregister_driver(PciDriver& drv);

// One host bridge: its device ("pci0000:00", the parent of the root bus's functions) and its root
// bus. Remove the hierarchy (pci_remove_root_bus) from a software thread before destroying it; the
// description must outlive it.
class PciHostBridge {
public:
    explicit PciHostBridge(const PciHostBridgeDesc& desc);
    ~PciHostBridge();
    PciHostBridge(const PciHostBridge&) = delete;
    PciHostBridge& operator=(const PciHostBridge&) = delete;

    const PciHostBridgeDesc& desc() const { return desc_; }
    PciBus& bus() { return root_; }
    Device& device() { return *device_; }

private:
    const PciHostBridgeDesc& desc_;
    PciBus root_;
    Device* device_;
};

// pci_host_probe: registers the bridge's device, scans the functions of `config` below its root bus
// (each added as found), then binds drivers (pci_bus_add_devices). Returns the functions found.
unsigned pci_host_probe(PciHostBridge& bridge, const std::vector<PciDeviceDesc>& config);
// Lets drivers bind to every function on and below `bus` that is not bus-added yet.
void pci_bus_add_devices(const PciBus& bus);
// A hot-added function on `bus`: scanned, added and bound like a boot-time one. A function already at
// that address is returned as it is.
PciDev& pci_hotplug_add_device(PciHostBridge& bridge, PciBus& bus, const PciDeviceDesc& desc);
// Orderly removal of a function and everything below it: unbind all, then delete all.
void pci_stop_and_remove_bus_device(PciDev& pdev);
// Surprise removal (pciehp on link down): the function and everything below it are marked
// disconnected, then removed as above; drivers' remove callbacks see pci_dev_is_disconnected().
void pci_hotplug_surprise_remove(PciDev& pdev);
inline bool pci_dev_is_disconnected(const PciDev& pdev) { return pdev.disconnected; }
// Removes every function of the hierarchy, then the bridge's device.
void pci_remove_root_bus(PciHostBridge& bridge);

}  // namespace iommu_vp::kernel
