#include "sw_stack/kernel/pci_topology.h"

#include "sw_stack/kernel/errno.h"

#include <algorithm>

namespace iommu_vp::kernel {
namespace {

const PciDeviceDesc* find_config(const std::vector<PciDeviceDesc>& config, const PciBus& bus, std::uint8_t devfn) {
    for (const PciDeviceDesc& d : config)
        if (d.address.segment == bus.domain && d.address.bus == bus.number && d.address.devfn == devfn) return &d;
    return nullptr;
}

// set_pcie_untrusted(): below an external-facing or untrusted bridge, a function cannot be trusted.
bool is_untrusted_below(const PciBus& bus) {
    const PciFunction* parent = bus.self;
    return parent && (parent->untrusted || parent->config.external_facing);
}

// pci_setup_device + pci_device_add's list_add_tail: the kernel's state for a newly found function.
PciFunction& add_function(PciBus& bus, const PciDeviceDesc& desc, const PciScanOps& ops) {
    PciFunction& dev = *ops.alloc(desc);
    dev.bus = &bus;
    // pci_scan_slot marks every function after 0 multi-function whatever its own header says. (Linux
    // does so after the device is added; here it is set before, so ADD_DEVICE listeners see it.)
    dev.multifunction = desc.multifunction || PCI_FUNC(desc.address.devfn) != 0;
    dev.untrusted = is_untrusted_below(bus);
    for (std::uint8_t devfn : desc.dma_alias_devfns) pci_add_dma_alias(dev, devfn, 1);
    bus.devices.push_back(&dev);
    if (ops.added) ops.added(dev);
    return dev;
}

// pci_scan_slot: function 0 must be there; functions 1-7 are looked at only if it is multi-function.
unsigned scan_slot(PciBus& bus, unsigned slot, const std::vector<PciDeviceDesc>& config, const PciScanOps& ops) {
    const PciDeviceDesc* fn0 = find_config(config, bus, PCI_DEVFN(slot, 0));
    if (!fn0) return 0;
    add_function(bus, *fn0, ops);
    if (!fn0->multifunction) return 1;
    unsigned found = 1;
    for (unsigned fn = 1; fn < 8; ++fn) {
        if (const PciDeviceDesc* d = find_config(config, bus, PCI_DEVFN(slot, fn))) {
            add_function(bus, *d, ops);
            ++found;
        }
    }
    return found;
}

// pci_add_new_bus: the bus below a bridge.
PciBus& add_child_bus(PciBus& parent, PciFunction& bridge) {
    parent.children.push_back(
        std::make_unique<PciBus>(parent.domain, *bridge.config.secondary_bus, &parent, &bridge));
    bridge.subordinate = parent.children.back().get();
    return *bridge.subordinate;
}

}  // namespace

std::uint16_t pci_dev_id(const PciFunction& dev) { return PCI_DEVID(dev.bus->number, dev.devfn()); }

PciFunction* pci_upstream_bridge(const PciFunction& dev) {
    return pci_is_root_bus(*dev.bus) ? nullptr : dev.bus->self;
}

PciBus& pci_find_root_bus(PciBus& bus) {
    PciBus* b = &bus;
    while (b->parent) b = b->parent;
    return *b;
}

PciFunction* pci_get_slot(const PciBus& bus, std::uint8_t devfn) {
    for (PciFunction* dev : bus.devices)
        if (dev->devfn() == devfn) return dev;
    return nullptr;
}

// ---- enumeration -----------------------------------------------------------------------------------

unsigned pci_scan_child_bus(PciBus& bus, const std::vector<PciDeviceDesc>& config, const PciScanOps& ops) {
    unsigned found = 0;
    for (unsigned slot = 0; slot < 32; ++slot) found += scan_slot(bus, slot, config, ops);
    // Then below each bridge, in the order the bridges were found (pci_scan_bridge). A copy: scanning
    // below a bridge does not add to this bus, but a hot-plug listener might.
    const std::vector<PciFunction*> on_bus = bus.devices;
    for (PciFunction* dev : on_bus)
        if (pci_is_bridge(*dev) && !dev->subordinate) found += pci_scan_child_bus(add_child_bus(bus, *dev), config, ops);
    return found;
}

PciFunction& pci_scan_single_device(PciBus& bus, const PciDeviceDesc& desc, const PciScanOps& ops) {
    if (PciFunction* known = pci_get_slot(bus, desc.address.devfn)) return *known;  // already there
    return add_function(bus, desc, ops);
}

void pci_unlink_function(PciFunction& dev) {
    std::vector<PciFunction*>& on_bus = dev.bus->devices;
    on_bus.erase(std::remove(on_bus.begin(), on_bus.end(), &dev), on_bus.end());
}

void pci_remove_bus(PciFunction& bridge) {
    PciBus* below = bridge.subordinate;
    if (!below) return;
    bridge.subordinate = nullptr;
    std::vector<std::unique_ptr<PciBus>>& siblings = bridge.bus->children;
    siblings.erase(std::remove_if(siblings.begin(), siblings.end(),
                                  [below](const std::unique_ptr<PciBus>& b) { return b.get() == below; }),
                   siblings.end());
}

void pci_walk_bus(const PciBus& bus, const std::function<void(PciFunction&)>& fn) {
    for (PciFunction* dev : bus.devices) {
        fn(*dev);
        if (dev->subordinate) pci_walk_bus(*dev->subordinate, fn);
    }
}

// ---- DMA aliases -----------------------------------------------------------------------------------

namespace {

// What the bridge `tmp` above a requester does to its requests' RID (PCI Express to PCI/PCI-X Bridge
// spec 1.0, 2.3: a PCIe-to-PCI bridge takes ownership with its secondary bus number and devfn 0; a
// bridge whose upstream side is PCI/PCI-X is assumed to forward with its own RID). nullopt: the RID
// passes unchanged.
std::optional<std::uint16_t> bridge_alias(const PciFunction& tmp) {
    const std::uint16_t secondary = PCI_DEVID(tmp.subordinate->number, PCI_DEVFN(0, 0));
    if (!pci_is_pcie(tmp)) return tmp.config.pcie_bridge_alias ? secondary : pci_dev_id(tmp);
    switch (pci_pcie_type(tmp)) {
        case PcieType::pci_bridge: return secondary;
        case PcieType::pcie_bridge: return pci_dev_id(tmp);
        default: return std::nullopt;  // root and switch ports: point-to-point links keep the RID
    }
}

}  // namespace

int pci_for_each_dma_alias(PciFunction& pdev, const std::function<int(PciFunction&, std::uint16_t)>& fn) {
    if (int ret = fn(pdev, pci_dev_id(pdev))) return ret;
    for (unsigned devfn = 0; devfn < pdev.dma_alias_mask.size(); ++devfn) {
        if (!pdev.dma_alias_mask.test(devfn)) continue;
        if (int ret = fn(pdev, PCI_DEVID(pdev.bus->number, static_cast<std::uint8_t>(devfn)))) return ret;
    }
    for (PciBus* bus = pdev.bus; !pci_is_root_bus(*bus); bus = bus->parent) {
        PciFunction* tmp = bus->self;
        if (!tmp) continue;  // a virtual bus
        if (tmp->config.bridge_xlate_root) return 0;  // the IOMMU sees requests here
        if (const auto alias = bridge_alias(*tmp))
            if (int ret = fn(*tmp, *alias)) return ret;
    }
    return 0;
}

void pci_add_dma_alias(PciFunction& dev, std::uint8_t devfn_from, unsigned nr_devfns) {
    for (unsigned devfn = devfn_from; devfn < dev.dma_alias_mask.size() && devfn < devfn_from + nr_devfns; ++devfn)
        dev.dma_alias_mask.set(devfn);
}

bool pci_devs_are_dma_aliases(const PciFunction& a, const PciFunction& b) {
    return a.dma_alias_mask.test(b.devfn()) || b.dma_alias_mask.test(a.devfn());
}

// ---- ACS -------------------------------------------------------------------------------------------

namespace {

bool pci_acs_flags_enabled(const PciFunction& dev, std::uint16_t acs_flags) {
    if (!dev.config.acs) return false;
    // Except for egress control, a capability is either required or required only if controllable:
    // one the device does not report is hard-wired enabled.
    acs_flags &= static_cast<std::uint16_t>(dev.config.acs->cap | PCI_ACS_EC);
    return (dev.config.acs->ctrl & acs_flags) == acs_flags;
}

}  // namespace

bool pci_acs_enabled(const PciFunction& dev, std::uint16_t acs_flags) {
    // Conventional PCI and PCI-X never isolate: the shared bus lets any device see any other's DMA.
    if (!pci_is_pcie(dev)) return false;
    switch (pci_pcie_type(dev)) {
        // PCIe 3.0 6.12.1: ACS is never applicable to these (PCI/X-to-PCIe bridges are treated as the
        // conventional devices their primary side is).
        case PcieType::pcie_bridge:
        case PcieType::pci_bridge:
        case PcieType::rc_event_collector:
            return false;
        // 6.12.1.1: downstream and root ports implement ACS to say what peer-to-peer they allow.
        case PcieType::downstream_port:
        case PcieType::root_port:
            return pci_acs_flags_enabled(dev, acs_flags);
        // 6.12.1.2: the other types need ACS only when part of a multi-function device.
        case PcieType::endpoint:
        case PcieType::upstream_port:
        case PcieType::legacy_endpoint:
        case PcieType::rc_integrated_endpoint:
            if (dev.multifunction) return pci_acs_flags_enabled(dev, acs_flags);
            return true;
    }
    return true;
}

bool pci_acs_path_enabled(const PciFunction& start, const PciFunction* end, std::uint16_t acs_flags) {
    const PciFunction* dev = &start;
    for (;;) {
        if (!pci_acs_enabled(*dev, acs_flags)) return false;
        if (pci_is_root_bus(*dev->bus) || !dev->bus->self) return end == nullptr;
        if (dev == end) return true;
        dev = dev->bus->self;
    }
}

// ---- ATS, PRI, PASID -------------------------------------------------------------------------------

bool pci_ats_supported(const PciFunction& dev) { return dev.config.ats.has_value() && !dev.untrusted; }

int pci_enable_ats(PciFunction& dev, int ps) {
    if (!pci_ats_supported(dev)) return -EINVAL;
    if (dev.ats_enabled) return -EBUSY;
    if (ps < PCI_ATS_MIN_STU) return -EINVAL;
    dev.ats_stu = ps;
    dev.ats_enabled = true;
    return 0;
}

void pci_disable_ats(PciFunction& dev) { dev.ats_enabled = false; }

bool pci_pri_supported(const PciFunction& dev) { return dev.config.pri.has_value(); }

int pci_enable_pri(PciFunction& dev, std::uint32_t reqs) {
    if (dev.pri_enabled) return -EBUSY;
    if (!dev.config.pri) return -EINVAL;
    dev.pri_reqs_alloc = std::min(dev.config.pri->max_requests, reqs);
    dev.pri_enabled = true;
    return 0;
}

void pci_disable_pri(PciFunction& dev) { dev.pri_enabled = false; }

int pci_enable_pasid(PciFunction& dev, int features) {
    if (dev.pasid_enabled) return -EBUSY;
    if (!dev.config.pasid) return -EINVAL;
    if (!pci_acs_path_enabled(dev, nullptr, PCI_ACS_RR | PCI_ACS_UF)) return -EINVAL;
    if ((pci_pasid_features(dev) & features) != features) return -EINVAL;
    dev.pasid_features = features;
    dev.pasid_enabled = true;
    return 0;
}

void pci_disable_pasid(PciFunction& dev) { dev.pasid_enabled = false; }

int pci_pasid_features(const PciFunction& dev) {
    if (!dev.config.pasid) return -EINVAL;
    return (dev.config.pasid->exec ? PCI_PASID_CAP_EXEC : 0) | (dev.config.pasid->priv ? PCI_PASID_CAP_PRIV : 0);
}

int pci_max_pasids(const PciFunction& dev) {
    if (!dev.config.pasid) return -EINVAL;
    return 1 << dev.config.pasid->max_pasid_width;
}

}  // namespace iommu_vp::kernel
