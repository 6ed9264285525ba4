// The PCI topology as the kernel knows it after enumeration: buses (struct pci_bus), functions (the
// topology and capability part of struct pci_dev), and the queries the IOMMU core's group formation
// and the IOMMU drivers make of them (drivers/pci/search.c, pci.c, ats.c, probe.c):
//
//   - enumeration from the firmware description, in the kernel's order (pci_scan_child_bus: every slot
//     of a bus, then below each bridge in turn; function 0 must exist and must say "multi-function"
//     for functions 1-7 to be scanned);
//   - DMA aliases (pci_for_each_dma_alias: the function's own RID, its quirk aliases, then what the
//     bridges on the way up make of its requests; pci_devs_are_dma_aliases);
//   - ACS (pci_acs_enabled with the spec's per-type rules, pci_acs_path_enabled up to the root);
//   - ATS, PRI and PASID capabilities and their enabling, with Linux's checks.
//
// A function's configuration space is its PciDeviceDesc (firmware.h): read-only after enumeration;
// the kernel's own state (bus links, multi-function fix-up, alias mask, untrusted, enables) sits
// beside it. The driver-core side (PciDev, the PCI bus type) is pci.h; this part is pure, so the
// topology rules are tested without a SystemC kernel.
//
// Not modelled: ARI, SR-IOV (virtual functions and virtual buses), pci_real_dma_dev (VMD), ACS
// quirks (pci_dev_specific_acs_enabled), ACS enabling by the kernel (the description gives the
// Control register as the kernel leaves it), the End-End TLP Prefix check of pci_enable_pasid
// (assumed supported), only_one_child (devices at slot > 0 below a PCIe port are scanned), pci=noats,
// and the 2025 pci_bus_isolated()/pci_reachable_set() grouping rework (not in the baseline).
//
// Pure C++, no SystemC.
#pragma once

#include "sw_stack/kernel/firmware.h"

#include <bitset>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace iommu_vp::kernel {

// ACS Capability/Control bits (include/uapi/linux/pci_regs.h).
inline constexpr std::uint16_t PCI_ACS_SV = 0x0001;  // Source Validation
inline constexpr std::uint16_t PCI_ACS_TB = 0x0002;  // Translation Blocking
inline constexpr std::uint16_t PCI_ACS_RR = 0x0004;  // P2P Request Redirect
inline constexpr std::uint16_t PCI_ACS_CR = 0x0008;  // P2P Completion Redirect
inline constexpr std::uint16_t PCI_ACS_UF = 0x0010;  // Upstream Forwarding
inline constexpr std::uint16_t PCI_ACS_EC = 0x0020;  // P2P Egress Control
inline constexpr std::uint16_t PCI_ACS_DT = 0x0040;  // Direct Translated P2P

// pci_enable_pasid() features (PCI_PASID_CAP_*).
inline constexpr int PCI_PASID_CAP_EXEC = 0x0002;
inline constexpr int PCI_PASID_CAP_PRIV = 0x0004;

// The smallest Smallest Translation Unit, as a page shift (PCI_ATS_MIN_STU).
inline constexpr int PCI_ATS_MIN_STU = 12;

class PciBus;

class PciFunction {
public:
    explicit PciFunction(PciDeviceDesc config_space) : config(std::move(config_space)) {}
    virtual ~PciFunction() = default;
    PciFunction(const PciFunction&) = delete;
    PciFunction& operator=(const PciFunction&) = delete;

    // What enumeration read: identity, type, capabilities, resources, quirks.
    const PciDeviceDesc config;

    std::uint8_t devfn() const { return config.address.devfn; }

    PciBus* bus = nullptr;          // the bus it sits on
    PciBus* subordinate = nullptr;  // bridges: the bus below
    bool multifunction = false;     // header bit of this function, or any function > 0 of a slot
    bool untrusted = false;         // below an external-facing port
    bool disconnected = false;      // surprise-removed: config and MMIO reads return all ones
    std::bitset<256> dma_alias_mask;  // extra devfns on this bus its requests may carry

    bool ats_enabled = false;
    int ats_stu = 0;                  // page shift of the Smallest Translation Unit
    bool pri_enabled = false;
    std::uint32_t pri_reqs_alloc = 0;
    bool pasid_enabled = false;
    int pasid_features = 0;
};

class PciBus {
public:
    PciBus(std::uint16_t domain_nr, std::uint8_t bus_number, PciBus* parent_bus = nullptr,
           PciFunction* bridge = nullptr)
        : domain(domain_nr), number(bus_number), parent(parent_bus), self(bridge) {}
    PciBus(const PciBus&) = delete;
    PciBus& operator=(const PciBus&) = delete;

    std::uint16_t domain;
    std::uint8_t number;
    PciBus* parent;                     // nullptr: a root bus
    PciFunction* self;                  // the bridge that leads here; nullptr on a root bus
    std::vector<PciFunction*> devices;  // in enumeration order
    std::vector<std::unique_ptr<PciBus>> children;
    const PciHostBridgeDesc* host_bridge = nullptr;  // root buses: their host bridge
};

inline bool pci_is_root_bus(const PciBus& bus) { return bus.parent == nullptr; }
inline bool pci_is_pcie(const PciFunction& dev) { return dev.config.pcie.has_value(); }
// Only meaningful when pci_is_pcie().
inline PcieType pci_pcie_type(const PciFunction& dev) { return *dev.config.pcie; }
inline bool pci_is_bridge(const PciFunction& dev) { return dev.config.secondary_bus.has_value(); }
// The requester ID: bus number and devfn.
std::uint16_t pci_dev_id(const PciFunction& dev);
// The bridge above the function, or nullptr on a root bus.
PciFunction* pci_upstream_bridge(const PciFunction& dev);
// The root bus above the function (for its host bridge).
PciBus& pci_find_root_bus(PciBus& bus);
PciFunction* pci_get_slot(const PciBus& bus, std::uint8_t devfn);

// ---- enumeration -----------------------------------------------------------------------------------

struct PciScanOps {
    // Makes the object for a function found on the bus (pci_alloc_dev): a PciDev in the kernel, a
    // plain PciFunction in tests. Owned by the caller.
    std::function<PciFunction*(const PciDeviceDesc&)> alloc;
    // The function is set up and on its bus: pci_device_add's device_add (ADD_DEVICE notifiers run
    // here, before the scan goes on, as in Linux). May be empty.
    std::function<void(PciFunction&)> added;
};

// pci_scan_child_bus: every function of `config` on this bus, then the buses below its bridges, in
// the kernel's order. Returns the number of functions found.
unsigned pci_scan_child_bus(PciBus& bus, const std::vector<PciDeviceDesc>& config, const PciScanOps& ops);
// pci_scan_single_device + pci_device_add: one function (a hot-added one). A function already at
// that devfn is returned as it is, as Linux does.
PciFunction& pci_scan_single_device(PciBus& bus, const PciDeviceDesc& desc, const PciScanOps& ops);
// Takes the function off its bus (pci_destroy_dev's list_del).
void pci_unlink_function(PciFunction& dev);
// Removes the (empty) bus below a bridge (pci_remove_bus); the bridge's subordinate becomes nullptr.
void pci_remove_bus(PciFunction& bridge);
// Every function on and below `bus`, in enumeration order (pci_walk_bus).
void pci_walk_bus(const PciBus& bus, const std::function<void(PciFunction&)>& fn);

// ---- DMA aliases (drivers/pci/search.c) ------------------------------------------------------------

// Calls fn(pdev, alias) for every requester ID the function's DMA may carry, as pci_for_each_dma_alias:
// its own; its quirk aliases; then, walking up to the root bus, what each bridge does to it: a PCIe
// root or switch port nothing; a PCIe-to-PCI bridge (or a conventional bridge with the
// PCIE_BRIDGE_ALIAS quirk) the bridge's secondary bus with devfn 0; a PCI-to-PCIe or a conventional
// bridge the bridge's own RID. The walk stops at a BRIDGE_XLATE_ROOT bridge. `pdev` is the function the
// alias belongs to (the bridge for bridge aliases). A non-zero return ends the walk and is returned.
int pci_for_each_dma_alias(PciFunction& pdev, const std::function<int(PciFunction& pdev, std::uint16_t alias)>& fn);
// pci_add_dma_alias: devfns [devfn_from, devfn_from + nr_devfns) on the function's bus alias it.
void pci_add_dma_alias(PciFunction& dev, std::uint8_t devfn_from, unsigned nr_devfns);
// Either one's alias mask names the other's devfn (callers check that they share a bus).
bool pci_devs_are_dma_aliases(const PciFunction& a, const PciFunction& b);

// ---- ACS (drivers/pci/pci.c) -----------------------------------------------------------------------

// Whether the function gives the ACS isolation `acs_flags` asks for, by the PCIe rules Linux applies:
// conventional PCI and PCIe-to-PCI/PCI-to-PCIe bridges and event collectors never; root and switch
// downstream ports by their Control register; endpoints and upstream ports only matter when they are
// multi-function (single-function ones are isolated by definition). Capability bits a device lacks
// count as hard-wired enabled, except Egress Control.
bool pci_acs_enabled(const PciFunction& dev, std::uint16_t acs_flags);
// pci_acs_enabled for `start` and every bridge above it up to `end` (nullptr: the root bus).
bool pci_acs_path_enabled(const PciFunction& start, const PciFunction* end, std::uint16_t acs_flags);

// ---- ATS, PRI, PASID (drivers/pci/ats.c) -----------------------------------------------------------
// 0 or a negative errno, as Linux returns them. Enabling twice is -EBUSY (Linux also WARNs); disabling
// what is not enabled does nothing.

bool pci_ats_supported(const PciFunction& dev);  // has ATS and is not untrusted
int pci_enable_ats(PciFunction& dev, int ps);    // ps: page shift of the STU (>= PCI_ATS_MIN_STU)
void pci_disable_ats(PciFunction& dev);
bool pci_pri_supported(const PciFunction& dev);
int pci_enable_pri(PciFunction& dev, std::uint32_t reqs);  // allocates min(reqs, capacity) requests
void pci_disable_pri(PciFunction& dev);
// Needs ACS Request Redirect and Upstream Forwarding on the whole path up, so that a PASID's address
// space cannot be routed peer-to-peer.
int pci_enable_pasid(PciFunction& dev, int features);
void pci_disable_pasid(PciFunction& dev);
int pci_pasid_features(const PciFunction& dev);  // supported PCI_PASID_CAP_* bits, or -EINVAL
int pci_max_pasids(const PciFunction& dev);      // 1 << Max PASID Width, or -EINVAL

}  // namespace iommu_vp::kernel
