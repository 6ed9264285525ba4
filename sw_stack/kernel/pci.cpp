#include "sw_stack/kernel/pci.h"

#include <cstdio>

namespace iommu_vp::kernel {
namespace {

// pci_bus_match: only once the function is bus-added, and only by the driver's ID table.
int pci_bus_match(Device& dev, Driver& drv) {
    const PciDev& pdev = to_pci_dev(dev);
    if (!pdev.match_driver) return 0;
    return pci_match_id(static_cast<const PciDriver&>(drv).id_table, pdev) ? 1 : 0;
}

std::string host_bridge_name(const PciHostBridgeDesc& desc) {
    char name[16];
    std::snprintf(name, sizeof name, "pci%04x:%02x", desc.segment, desc.bus_start);
    return name;
}

// pci_device_add: the function joins the driver core below its bridge (or the host bridge).
void pci_device_add(PciHostBridge& bridge, PciDev& pdev) {
    pdev.dev.parent = pdev.bus->self ? &to_pci_dev(*pdev.bus->self).dev : &bridge.device();
    pdev.dev.bus = &pci_bus_type();
    device_add(pdev.dev);
}

// pci_rescan_remove_lock: enumeration, hot-add and removal exclude each other, so none of them walks
// a bus list another is changing.
Mutex& pci_rescan_remove_lock() {
    static Mutex* lock = new Mutex("pci_rescan_remove_lock");
    return *lock;
}

PciScanOps scan_ops(PciHostBridge& bridge) {
    return PciScanOps{[](const PciDeviceDesc& desc) -> PciFunction* { return new PciDev(desc); },
                      [&bridge](PciFunction& fn) { pci_device_add(bridge, to_pci_dev(fn)); }};
}

void pci_bus_add_device(PciDev& pdev) {
    pdev.match_driver = true;
    device_attach(pdev.dev);
    pdev.is_added = true;
}

void pci_stop_bus_device(PciDev& pdev);
void pci_remove_bus_device(PciDev& pdev);

// Every function on the bus, the last found first (a copy: stopping does not change the list, but
// the walk must not depend on it).
void pci_stop_bus(const PciBus& bus) {
    const std::vector<PciFunction*> on_bus = bus.devices;
    for (auto it = on_bus.rbegin(); it != on_bus.rend(); ++it) pci_stop_bus_device(to_pci_dev(**it));
}

void pci_remove_bus_devices(const PciBus& bus) {
    const std::vector<PciFunction*> on_bus = bus.devices;  // each removal takes one off the list
    for (PciFunction* fn : on_bus) pci_remove_bus_device(to_pci_dev(*fn));
}

// pci_stop_bus_device: the drivers below first, then this one.
void pci_stop_bus_device(PciDev& pdev) {
    if (pdev.subordinate) pci_stop_bus(*pdev.subordinate);
    if (!pdev.is_added) return;
    device_release_driver(pdev.dev);
    pdev.is_added = false;
}

// pci_destroy_dev: deleted from the driver core while still in the topology (REMOVED_DEVICE listeners
// may look at it), then taken off its bus, then the enumeration's reference goes.
void pci_destroy_dev(PciDev& pdev) {
    device_del(pdev.dev);
    pci_unlink_function(pdev);
    put_device(&pdev.dev);
}

void pci_remove_bus_device(PciDev& pdev) {
    if (pdev.subordinate) {
        pci_remove_bus_devices(*pdev.subordinate);
        pci_remove_bus(pdev);
    }
    pci_destroy_dev(pdev);
}

}  // namespace

void PciDevDevice::release() { delete &pdev; }

PciDev::PciDev(const PciDeviceDesc& desc) : PciFunction(desc), dev(*this, pci_name(desc.address)) {}

PciDriver::PciDriver(std::string driver_name) : Driver(std::move(driver_name)) {}

// Kernel state: created on first use, never destroyed.
Bus& pci_bus_type() {
    static Bus* bus = [] {
        Bus* b = new Bus("pci");
        b->match = pci_bus_match;
        return b;
    }();
    return *bus;
}

bool dev_is_pci(const Device& dev) { return dev.bus == &pci_bus_type(); }

PciDev& to_pci_dev(Device& dev) { return static_cast<PciDevDevice&>(dev).pdev; }

PciDev& to_pci_dev(PciFunction& fn) { return static_cast<PciDev&>(fn); }

std::string pci_name(const PciAddress& address) {
    char name[16];
    std::snprintf(name, sizeof name, "%04x:%02x:%02x.%u", address.segment, address.bus, PCI_SLOT(address.devfn),
                  PCI_FUNC(address.devfn));
    return name;
}

const PciDeviceId* pci_match_id(const std::vector<PciDeviceId>& ids, const PciDev& pdev) {
    const PciDeviceDesc& c = pdev.config;
    for (const PciDeviceId& id : ids) {
        if (id.vendor != PCI_ANY_ID && id.vendor != c.vendor) continue;
        if (id.device != PCI_ANY_ID && id.device != c.device) continue;
        if ((id.class_code ^ c.class_code) & id.class_mask) continue;
        return &id;
    }
    return nullptr;
}

int pci_register_driver(PciDriver& drv) {
    drv.bus = &pci_bus_type();
    return driver_register(drv);
}

void pci_unregister_driver(PciDriver& drv) { driver_unregister(drv); }

PciHostBridge::PciHostBridge(const PciHostBridgeDesc& desc)
    : desc_(desc), root_(desc.segment, desc.bus_start), device_(new Device(host_bridge_name(desc))) {
    root_.host_bridge = &desc_;
    device_->fwnode = &desc_.node;
}

// The device may outlive the bridge object: the functions below hold references to it.
PciHostBridge::~PciHostBridge() { put_device(device_); }

unsigned pci_host_probe(PciHostBridge& bridge, const std::vector<PciDeviceDesc>& config) {
    Guard<Mutex> guard(pci_rescan_remove_lock());
    device_add(bridge.device());
    const unsigned found = pci_scan_child_bus(bridge.bus(), config, scan_ops(bridge));
    pci_bus_add_devices(bridge.bus());
    return found;
}

void pci_bus_add_devices(const PciBus& bus) {
    const std::vector<PciFunction*> on_bus = bus.devices;  // probes block; the walk must not
    for (PciFunction* fn : on_bus)
        if (!to_pci_dev(*fn).is_added) pci_bus_add_device(to_pci_dev(*fn));
    for (PciFunction* fn : on_bus)
        if (fn->subordinate) pci_bus_add_devices(*fn->subordinate);
}

PciDev& pci_hotplug_add_device(PciHostBridge& bridge, PciBus& bus, const PciDeviceDesc& desc) {
    Guard<Mutex> guard(pci_rescan_remove_lock());
    PciDev& pdev = to_pci_dev(pci_scan_single_device(bus, desc, scan_ops(bridge)));
    if (!pdev.is_added) pci_bus_add_device(pdev);
    return pdev;
}

void pci_stop_and_remove_bus_device(PciDev& pdev) {
    Guard<Mutex> guard(pci_rescan_remove_lock());
    pci_stop_bus_device(pdev);
    pci_remove_bus_device(pdev);
}

void pci_hotplug_surprise_remove(PciDev& pdev) {
    pdev.disconnected = true;  // pci_dev_set_disconnected, for it and all below
    if (pdev.subordinate) pci_walk_bus(*pdev.subordinate, [](PciFunction& fn) { fn.disconnected = true; });
    pci_stop_and_remove_bus_device(pdev);
}

void pci_remove_root_bus(PciHostBridge& bridge) {
    Guard<Mutex> guard(pci_rescan_remove_lock());
    pci_stop_bus(bridge.bus());
    pci_remove_bus_devices(bridge.bus());
    device_del(bridge.device());
}

}  // namespace iommu_vp::kernel
