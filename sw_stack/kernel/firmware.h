// The firmware description: what the platform tells the simulated software about the machine, as a
// device tree or the ACPI tables (DMAR, IORT, MCFG) tell a real kernel. The platform fills these
// structs from its configuration; the software reads them and never sees YAML.
//
// What it holds: the platform devices (SMMUv3 instances among them) with their MMIO windows, their
// interrupts and which IOMMU and stream IDs they use (DT "iommus"); the PCI host bridges with their
// RID-to-stream-ID maps (DT "iommu-map", IORT root-complex ID mappings); the PCI functions enumeration
// will find (their config space, in effect); the VT-d units and their device scopes (ACPI DMAR:
// DRHD, ATSR); reserved memory regions with the devices they belong to (DMAR RMRR, IORT RMR,
// reserved-memory nodes); RAM; the MSI doorbell; and the kernel command line.
//
// Plain data with a few lookups. Addresses are bus addresses. The description must outlive the
// devices created from it: Device::fwnode points into it.
//
// Not modelled: DMAR device-scope paths (a scope entry names the function by its enumerated bus and
// devfn, not by a path from a start bus), iommu-map-mask, IORT SMMU-to-ITS mappings, SATC, RHSA, ANDD.
//
// Pure C++, no SystemC.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace iommu_vp::kernel {

// ---- PCI addressing (include/uapi/linux/pci.h) ----------------------------------------------------

constexpr std::uint8_t PCI_DEVFN(unsigned slot, unsigned func) {
    return static_cast<std::uint8_t>(((slot & 0x1f) << 3) | (func & 0x07));
}
constexpr unsigned PCI_SLOT(std::uint8_t devfn) { return (devfn >> 3) & 0x1f; }
constexpr unsigned PCI_FUNC(std::uint8_t devfn) { return devfn & 0x07; }
// The requester ID: bus number and devfn.
constexpr std::uint16_t PCI_DEVID(std::uint8_t bus, std::uint8_t devfn) {
    return static_cast<std::uint16_t>((bus << 8) | devfn);
}

struct PciAddress {
    std::uint16_t segment = 0;  // PCI domain
    std::uint8_t bus = 0;
    std::uint8_t devfn = 0;
    std::uint16_t rid() const { return PCI_DEVID(bus, devfn); }
    bool operator==(const PciAddress& o) const { return segment == o.segment && bus == o.bus && devfn == o.devfn; }
};

// ---- platform devices ------------------------------------------------------------------------------

struct MmioRegion {
    std::uint64_t base = 0;
    std::uint64_t size = 0;
};

struct IrqDesc {
    std::string name;  // SMMUv3: "eventq", "priq", "gerror", "cmdq-sync" or "combined"; else may be empty
    bool msi = false;  // signalled by MSI (the software allocates the vector) rather than a wired line
    unsigned line = 0; // wired: the interrupt controller input
};

// One "iommus" entry: the IOMMU (named by its node) and the IDs (SMMU StreamIDs) the device uses on it.
struct IommuSpecifier {
    std::string iommu;
    std::vector<std::uint32_t> ids;
};

// A firmware node: one component the firmware describes by name, as a device-tree node or an ACPI
// device object does. Every platform device is one (SMMUv3 instances included: clients name their
// IOMMU by its node) and so is every PCI host bridge. A Device created from a node points at it
// (Device::fwnode); an IOMMU instance is identified by its node.
struct FwNode {
    std::string name;                   // unique in the description: "smmu0", "dma0", "pcie0"
    std::string compatible;             // what a driver matches: "arm,smmu-v3", "iommu-vp,dma-master"
    std::vector<MmioRegion> mmio;       // "reg"
    std::vector<IrqDesc> irqs;          // "interrupts"
    std::vector<IommuSpecifier> iommus; // "iommus": empty when the device is not behind an IOMMU
    bool dma_coherent = false;          // "dma-coherent"
};

// ---- PCI -------------------------------------------------------------------------------------------

// The PCI Express capability's Device/Port Type (PCI_EXP_TYPE_*).
enum class PcieType {
    endpoint,               // PCI_EXP_TYPE_ENDPOINT
    legacy_endpoint,        // PCI_EXP_TYPE_LEG_END
    root_port,              // PCI_EXP_TYPE_ROOT_PORT
    upstream_port,          // PCI_EXP_TYPE_UPSTREAM: a switch's upstream port
    downstream_port,        // PCI_EXP_TYPE_DOWNSTREAM: a switch's downstream port
    pci_bridge,             // PCI_EXP_TYPE_PCI_BRIDGE: PCIe-to-PCI/PCI-X bridge
    pcie_bridge,            // PCI_EXP_TYPE_PCIE_BRIDGE: PCI/PCI-X-to-PCIe bridge
    rc_integrated_endpoint, // PCI_EXP_TYPE_RC_END
    rc_event_collector,     // PCI_EXP_TYPE_RC_EC
};

// The ACS extended capability: the Capability and Control registers as enumeration finds them.
struct PciAcsDesc {
    std::uint16_t cap = 0;   // PCI_ACS_CAP bits (PCI_ACS_SV, _RR, ... in pci_topology.h)
    std::uint16_t ctrl = 0;  // PCI_ACS_CTRL bits
};

struct PciAtsDesc {
    bool page_aligned_request = false;
    unsigned invalidate_queue_depth = 0;  // 0 means 32
};

struct PciPriDesc {
    std::uint32_t max_requests = 0;  // Outstanding Page Request Capacity
};

struct PciPasidDesc {
    unsigned max_pasid_width = 0;  // Max PASID Width, 1..20 bits
    bool exec = false;             // Execute Permission Supported
    bool priv = false;             // Privileged Mode Supported
};

// One PCI function as enumeration finds it: its configuration space, in effect, plus the facts the
// platform adds (resources, quirks).
struct PciDeviceDesc {
    PciAddress address;
    std::string label;                  // optional, for reports ("nic0")
    std::uint16_t vendor = 0xffff;
    std::uint16_t device = 0xffff;
    std::uint32_t class_code = 0;       // class << 16 | subclass << 8 | prog-if
    std::optional<PcieType> pcie;       // the PCIe capability's type; empty for conventional PCI
    bool multifunction = false;         // header type bit 7 (read from function 0)
    std::optional<std::uint8_t> secondary_bus;  // bridges: the bus number assigned below
    std::optional<PciAcsDesc> acs;
    std::optional<PciAtsDesc> ats;
    std::optional<PciPriDesc> pri;
    std::optional<PciPasidDesc> pasid;
    // Quirks, as drivers/pci/quirks.c applies them.
    std::vector<std::uint8_t> dma_alias_devfns;  // extra requester IDs on the same bus (pci_add_dma_alias)
    bool pcie_bridge_alias = false;    // PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS: a "PCI" bridge that is PCIe-to-PCI
    bool bridge_xlate_root = false;    // PCI_DEV_FLAGS_BRIDGE_XLATE_ROOT: the IOMMU sits at this bridge
    bool external_facing = false;      // a port facing outside the machine: what is below is untrusted
    std::vector<MmioRegion> bars;
    unsigned msi_vectors = 0;
};

// One RID range mapped onto an IOMMU's ID space ("iommu-map" entry, IORT ID mapping).
struct IdMapping {
    std::uint32_t rid_base = 0;
    std::uint32_t length = 0;          // number of RIDs
    std::string iommu;                 // the IOMMU's node name
    std::uint32_t id_base = 0;         // the StreamID of rid_base
};

// The IOMMU and ID a requester ID reaches.
struct IommuId {
    std::string iommu;
    std::uint32_t id = 0;
};

struct PciHostBridgeDesc {
    FwNode node;                       // its firmware node (name, ECAM window in mmio)
    std::uint16_t segment = 0;
    std::uint8_t bus_start = 0;        // the root bus number
    std::vector<IdMapping> iommu_map;  // empty: the hierarchy is not behind an IOMMU (for DT/IORT)

    // of_map_id(): the first mapping that covers `rid`.
    std::optional<IommuId> map_rid(std::uint16_t rid) const {
        for (const IdMapping& m : iommu_map)
            if (rid >= m.rid_base && rid - m.rid_base < m.length) return IommuId{m.iommu, m.id_base + (rid - m.rid_base)};
        return std::nullopt;
    }
};

// ---- ACPI DMAR (VT-d) ------------------------------------------------------------------------------

struct DmarScopeEntry {
    enum class Type { endpoint, bridge, ioapic, hpet, namespace_device };
    Type type = Type::endpoint;        // bridge: the bridge and every function below it
    std::uint8_t bus = 0;
    std::uint8_t devfn = 0;
    unsigned enumeration_id = 0;       // IOAPIC/HPET ID
};

// DRHD: one remapping unit.
struct DmarDrhd {
    std::string name;                  // for reports: "dmar0"
    MmioRegion regs;
    std::uint16_t segment = 0;
    bool include_pci_all = false;      // INCLUDE_PCI_ALL: every function of the segment no other unit claims
    std::vector<DmarScopeEntry> scope;
};

// ATSR: the root ports below which devices may use ATS.
struct DmarAtsr {
    std::uint16_t segment = 0;
    bool all_ports = false;
    std::vector<DmarScopeEntry> scope;
};

struct DmarDesc {
    unsigned host_address_width = 0;   // bits (the table's HAW field plus one); 0: no DMAR table
    bool intr_remap = false;
    bool x2apic_opt_out = false;
    bool dma_ctrl_platform_opt_in = false;
    std::vector<DmarDrhd> drhds;       // in table order; an INCLUDE_PCI_ALL unit comes last in its segment
    std::vector<DmarAtsr> atsrs;
};

// ---- memory ----------------------------------------------------------------------------------------

// IOMMU_RESV_*: what an IOMMU must do with a region.
enum class ResvType {
    direct,            // 1:1 mapping required (RMRR, RMR)
    direct_relaxable,  // 1:1 that may be dropped when the device is assigned (USB, graphics RMRRs)
    reserved,          // never map
    msi,               // hardware MSI window
    sw_msi,            // software-managed MSI window
};

struct ReservedRegion {
    std::string name;
    std::uint64_t base = 0;
    std::uint64_t size = 0;
    ResvType type = ResvType::direct;
    std::vector<std::string> platform_devices;  // node names
    std::vector<PciAddress> pci_devices;
};

struct MsiDoorbellDesc {
    std::uint64_t address = 0;         // where an MSI write goes
    std::uint32_t first_vector = 0;
    std::uint32_t vectors = 0;
};

struct FirmwareDescription {
    std::vector<MmioRegion> memory;            // RAM
    MmioRegion coherent_pool;                  // the RAM window set aside for CoherentAllocator
    MsiDoorbellDesc msi;
    std::vector<FwNode> platform_devices;      // in the order the platform bus adds them
    std::vector<PciHostBridgeDesc> pci_host_bridges;
    std::vector<PciDeviceDesc> pci_devices;
    DmarDesc dmar;
    std::vector<ReservedRegion> reserved_regions;
    std::string command_line;

    const FwNode* find_node(const std::string& name) const {
        for (const FwNode& n : platform_devices)
            if (n.name == name) return &n;
        for (const PciHostBridgeDesc& h : pci_host_bridges)
            if (h.node.name == name) return &h.node;
        return nullptr;
    }
    const PciHostBridgeDesc* find_host_bridge(std::uint16_t segment, std::uint8_t bus_start) const {
        for (const PciHostBridgeDesc& h : pci_host_bridges)
            if (h.segment == segment && h.bus_start == bus_start) return &h;
        return nullptr;
    }
    const PciDeviceDesc* find_pci_device(const PciAddress& address) const {
        for (const PciDeviceDesc& d : pci_devices)
            if (d.address == address) return &d;
        return nullptr;
    }
    // The reserved regions that name this platform device / this PCI function.
    std::vector<const ReservedRegion*> reserved_regions_of(const std::string& node) const {
        std::vector<const ReservedRegion*> found;
        for (const ReservedRegion& r : reserved_regions)
            for (const std::string& name : r.platform_devices)
                if (name == node) found.push_back(&r);
        return found;
    }
    std::vector<const ReservedRegion*> reserved_regions_of(const PciAddress& address) const {
        std::vector<const ReservedRegion*> found;
        for (const ReservedRegion& r : reserved_regions)
            for (const PciAddress& a : r.pci_devices)
                if (a == address) found.push_back(&r);
        return found;
    }
};

}  // namespace iommu_vp::kernel
