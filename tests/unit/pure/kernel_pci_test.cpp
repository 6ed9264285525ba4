// The PCI topology of the kernel runtime, without SystemC: enumeration in the kernel's order with its
// multi-function rules, DMA aliases as pci_for_each_dma_alias reports them, ACS per device type and
// along a path, IOMMU groups formed from these queries by iommu.c's pci_device_group (written out
// here as the oracle that the queries suffice), ATS/PRI/PASID enabling with Linux's checks, and the
// firmware description's lookups.
//
// Expected values come from the PCI Express rules Linux encodes (drivers/pci/search.c, pci.c, ats.c,
// probe.c) worked out by hand for each topology, not from the code under test.
#include "sw_stack/kernel/errno.h"
#include "sw_stack/kernel/firmware.h"
#include "sw_stack/kernel/pci_topology.h"

#include <gtest/gtest.h>

#include <bitset>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace iommu_vp {
namespace kernel {
namespace {

constexpr std::uint16_t kFullAcs = PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF;
// iommu.c's REQ_ACS_FLAGS: what isolates a device for group formation.
constexpr std::uint16_t kReqAcsFlags = kFullAcs;

PciDeviceDesc function(unsigned bus, unsigned slot, unsigned func, std::optional<PcieType> type) {
    PciDeviceDesc d;
    d.address = {0, static_cast<std::uint8_t>(bus), PCI_DEVFN(slot, func)};
    d.vendor = 0x1af4;
    d.device = 0x1000;
    d.pcie = type;
    return d;
}

PciDeviceDesc bridge(unsigned bus, unsigned slot, unsigned func, std::optional<PcieType> type, unsigned secondary) {
    PciDeviceDesc d = function(bus, slot, func, type);
    d.secondary_bus = static_cast<std::uint8_t>(secondary);
    return d;
}

PciDeviceDesc with_acs(PciDeviceDesc d, std::uint16_t cap = kFullAcs, std::uint16_t ctrl = kFullAcs) {
    d.acs = PciAcsDesc{cap, ctrl};
    return d;
}

PciDeviceDesc multifunction(PciDeviceDesc d) {
    d.multifunction = true;
    return d;
}

std::string addr(const PciFunction& f) {
    char text[16];
    std::snprintf(text, sizeof text, "%02x:%02x.%u", f.bus->number, PCI_SLOT(f.devfn()), PCI_FUNC(f.devfn()));
    return text;
}

std::string rid_text(std::uint16_t rid) {
    char text[16];
    std::snprintf(text, sizeof text, "%02x:%02x.%u", rid >> 8, PCI_SLOT(rid & 0xff), PCI_FUNC(rid & 0xff));
    return text;
}

// A hierarchy enumerated from descriptions, its functions owned here, in the order they were added.
struct Hierarchy {
    PciBus root{0, 0};
    std::vector<std::unique_ptr<PciFunction>> owned;
    std::vector<std::string> added;
    unsigned found = 0;

    explicit Hierarchy(const std::vector<PciDeviceDesc>& config) {
        PciScanOps ops;
        ops.alloc = [this](const PciDeviceDesc& desc) {
            owned.push_back(std::make_unique<PciFunction>(desc));
            return owned.back().get();
        };
        ops.added = [this](PciFunction& f) { added.push_back(addr(f)); };
        found = pci_scan_child_bus(root, config, ops);
    }

    PciFunction& at(const std::string& where) {
        for (auto& f : owned)
            if (addr(*f) == where) return *f;
        ADD_FAILURE() << "no function " << where;
        return *owned.front();
    }
    bool has(const std::string& where) const {
        for (const auto& f : owned)
            if (addr(*f) == where) return true;
        return false;
    }
};

// Aliases as "owner=alias" pairs.
std::vector<std::string> aliases_of(PciFunction& f) {
    std::vector<std::string> seen;
    pci_for_each_dma_alias(f, [&](PciFunction& owner, std::uint16_t alias) {
        seen.push_back(addr(owner) + "=" + rid_text(alias));
        return 0;
    });
    return seen;
}

// The machine most tests use. Bus 0 is the root bus.
//   00:00.0 RCiEP
//   00:01.0 root port, ACS        -> 01:00.0 + 01:00.1 multi-function endpoint, no ACS
//   00:02.0 root port, no ACS     -> 02:00.0 endpoint (quirk: its DMA also uses 02:00.1's RID)
//   00:03.0 root port, ACS        -> 03:00.0 PCIe-to-PCI bridge -> 04:01.0, 04:02.0 conventional PCI
//   00:04.0 root port, ACS        -> 05:00.0 switch upstream port -> 06:01.0 downstream port, ACS -> 07:00.0
//                                                                   06:02.0 downstream port, no ACS -> 08:00.0
//   00:05.0 conventional PCI-to-PCI bridge -> 09:00.0 conventional PCI
//   00:06.0 RCiEP (quirk: aliases 00:07.0), 00:07.0 RCiEP
//   00:1f.0 + 00:1f.3 multi-function RCiEPs, no ACS (00:1f.3's own header says single-function)
std::vector<PciDeviceDesc> reference_machine() {
    PciDeviceDesc quirky = function(2, 0, 0, PcieType::endpoint);
    quirky.dma_alias_devfns = {PCI_DEVFN(0, 1)};
    PciDeviceDesc rciep6 = function(0, 6, 0, PcieType::rc_integrated_endpoint);
    rciep6.dma_alias_devfns = {PCI_DEVFN(7, 0)};
    return {
        function(0, 0, 0, PcieType::rc_integrated_endpoint),
        with_acs(bridge(0, 1, 0, PcieType::root_port, 1)),
        multifunction(function(1, 0, 0, PcieType::endpoint)),
        function(1, 0, 1, PcieType::endpoint),
        bridge(0, 2, 0, PcieType::root_port, 2),
        quirky,
        with_acs(bridge(0, 3, 0, PcieType::root_port, 3)),
        bridge(3, 0, 0, PcieType::pci_bridge, 4),
        function(4, 1, 0, std::nullopt),
        function(4, 2, 0, std::nullopt),
        with_acs(bridge(0, 4, 0, PcieType::root_port, 5)),
        bridge(5, 0, 0, PcieType::upstream_port, 6),
        with_acs(bridge(6, 1, 0, PcieType::downstream_port, 7)),
        bridge(6, 2, 0, PcieType::downstream_port, 8),
        function(7, 0, 0, PcieType::endpoint),
        function(8, 0, 0, PcieType::endpoint),
        bridge(0, 5, 0, std::nullopt, 9),
        function(9, 0, 0, std::nullopt),
        rciep6,
        function(0, 7, 0, PcieType::rc_integrated_endpoint),
        multifunction(function(0, 0x1f, 0, PcieType::rc_integrated_endpoint)),
        function(0, 0x1f, 3, PcieType::rc_integrated_endpoint),
    };
}

// ---- enumeration -----------------------------------------------------------------------------------

TEST(KernelPci, EnumerationAddsEachBusThenDescendsBridgeByBridge) {
    Hierarchy h(reference_machine());
    // pci_scan_child_bus: all slots of a bus first, then below each bridge in the order found, depth first.
    const std::vector<std::string> expected = {
        "00:00.0", "00:01.0", "00:02.0", "00:03.0", "00:04.0", "00:05.0", "00:06.0", "00:07.0", "00:1f.0", "00:1f.3",
        "01:00.0", "01:00.1",                         // below 00:01.0
        "02:00.0",                                    // below 00:02.0
        "03:00.0", "04:01.0", "04:02.0",              // below 00:03.0, then below 03:00.0
        "05:00.0", "06:01.0", "06:02.0", "07:00.0", "08:00.0",
        "09:00.0",
    };
    EXPECT_EQ(h.added, expected);
    EXPECT_EQ(h.found, expected.size());
    EXPECT_EQ(h.at("04:01.0").bus->self, &h.at("03:00.0"));
    EXPECT_EQ(h.at("03:00.0").subordinate->number, 4);
    EXPECT_EQ(pci_upstream_bridge(h.at("00:03.0")), nullptr);
    EXPECT_EQ(&pci_find_root_bus(*h.at("08:00.0").bus), &h.root);
}

TEST(KernelPci, FunctionZeroDecidesWhetherTheOtherFunctionsOfASlotAreScanned) {
    Hierarchy h({
        function(0, 1, 1, PcieType::rc_integrated_endpoint),                   // no function 0: slot empty
        function(0, 2, 0, PcieType::rc_integrated_endpoint),                   // single-function header
        function(0, 2, 1, PcieType::rc_integrated_endpoint),                   // ... so never scanned
        multifunction(function(0, 3, 0, PcieType::rc_integrated_endpoint)),
        function(0, 3, 5, PcieType::rc_integrated_endpoint),                   // functions may have gaps
        function(0x20, 0, 0, PcieType::endpoint),                              // no bridge leads to bus 0x20
    });
    EXPECT_EQ(h.added, (std::vector<std::string>{"00:02.0", "00:03.0", "00:03.5"}));
    EXPECT_FALSE(h.at("00:02.0").multifunction);
    // A function after 0 is multi-function whatever its own header bit says (pci_scan_slot).
    EXPECT_TRUE(h.at("00:03.5").multifunction);
}

TEST(KernelPci, FunctionsBelowAnExternalFacingPortAreUntrusted) {
    PciDeviceDesc port = with_acs(bridge(0, 1, 0, PcieType::root_port, 1));
    port.external_facing = true;
    Hierarchy h({port, bridge(1, 0, 0, PcieType::upstream_port, 2), bridge(2, 0, 0, PcieType::downstream_port, 3),
                 function(3, 0, 0, PcieType::endpoint), function(0, 2, 0, PcieType::rc_integrated_endpoint)});
    EXPECT_FALSE(h.at("00:01.0").untrusted);  // the port itself is part of the machine
    EXPECT_TRUE(h.at("01:00.0").untrusted);
    EXPECT_TRUE(h.at("03:00.0").untrusted);   // inherited through the switch
    EXPECT_FALSE(h.at("00:02.0").untrusted);
}

TEST(KernelPci, RemovingAFunctionAndTheBusBelowABridge) {
    Hierarchy h(reference_machine());
    PciFunction& pci_bridge = h.at("03:00.0");
    pci_unlink_function(h.at("04:01.0"));
    pci_unlink_function(h.at("04:02.0"));
    pci_remove_bus(pci_bridge);
    pci_unlink_function(pci_bridge);
    EXPECT_EQ(pci_bridge.subordinate, nullptr);
    EXPECT_TRUE(h.at("00:03.0").subordinate->devices.empty());
    EXPECT_TRUE(h.at("00:03.0").subordinate->children.empty());
    std::vector<std::string> walked;
    pci_walk_bus(h.root, [&](PciFunction& f) { walked.push_back(addr(f)); });
    EXPECT_EQ(walked.size(), h.found - 3);
}

TEST(KernelPci, HotAddingAFunctionOnABusAddsItOnceInheritingWhatItsBusImplies) {
    PciDeviceDesc port = with_acs(bridge(0, 1, 0, PcieType::root_port, 1));
    port.external_facing = true;
    Hierarchy h({port});
    int allocated = 0;
    PciScanOps ops;
    ops.alloc = [&](const PciDeviceDesc& desc) {
        ++allocated;
        h.owned.push_back(std::make_unique<PciFunction>(desc));
        return h.owned.back().get();
    };
    PciBus& below = *h.at("00:01.0").subordinate;
    PciFunction& added = pci_scan_single_device(below, function(1, 0, 0, PcieType::endpoint), ops);
    EXPECT_EQ(added.bus, &below);
    EXPECT_TRUE(added.untrusted);  // below the external-facing port
    EXPECT_EQ(below.devices, (std::vector<PciFunction*>{&added}));
    EXPECT_EQ(&pci_scan_single_device(below, function(1, 0, 0, PcieType::endpoint), ops), &added);
    EXPECT_EQ(allocated, 1);
}

// ---- DMA aliases -----------------------------------------------------------------------------------

TEST(KernelPci, AnEndpointBelowPciePortsUsesOnlyItsOwnRequesterId) {
    Hierarchy h(reference_machine());
    // Root and switch ports forward requests unchanged over point-to-point links.
    EXPECT_EQ(aliases_of(h.at("01:00.0")), (std::vector<std::string>{"01:00.0=01:00.0"}));
    EXPECT_EQ(aliases_of(h.at("07:00.0")), (std::vector<std::string>{"07:00.0=07:00.0"}));
}

TEST(KernelPci, ConventionalPciBehindAPcieToPciBridgeAliasesToTheSecondaryBus) {
    Hierarchy h(reference_machine());
    // The PCIe-to-PCI bridge takes ownership of the transaction with its secondary bus number and
    // devfn 0 (PCIe-to-PCI/PCI-X bridge spec 2.3): the alias belongs to the bridge.
    EXPECT_EQ(aliases_of(h.at("04:02.0")), (std::vector<std::string>{"04:02.0=04:02.0", "03:00.0=04:00.0"}));
}

TEST(KernelPci, ConventionalPciBehindAConventionalBridgeAliasesToTheBridge) {
    Hierarchy h(reference_machine());
    EXPECT_EQ(aliases_of(h.at("09:00.0")), (std::vector<std::string>{"09:00.0=09:00.0", "00:05.0=00:05.0"}));
}

TEST(KernelPci, QuirkAliasesComeRightAfterTheOwnRequesterId) {
    Hierarchy h(reference_machine());
    EXPECT_EQ(aliases_of(h.at("02:00.0")), (std::vector<std::string>{"02:00.0=02:00.0", "02:00.0=02:00.1"}));
    EXPECT_TRUE(pci_devs_are_dma_aliases(h.at("00:06.0"), h.at("00:07.0")));
    EXPECT_TRUE(pci_devs_are_dma_aliases(h.at("00:07.0"), h.at("00:06.0")));  // either direction
    EXPECT_FALSE(pci_devs_are_dma_aliases(h.at("00:06.0"), h.at("00:00.0")));
}

TEST(KernelPci, BridgeQuirksAndPciToPcieBridges) {
    PciDeviceDesc asmedia = bridge(0, 1, 0, std::nullopt, 1);  // says "PCI bridge", is PCIe-to-PCI
    asmedia.pcie_bridge_alias = true;
    PciDeviceDesc xlate = bridge(0, 2, 0, PcieType::pci_bridge, 2);
    xlate.bridge_xlate_root = true;  // the IOMMU sits here and sees the original requester IDs
    Hierarchy h({asmedia, function(1, 3, 0, std::nullopt),
                 xlate, function(2, 3, 0, std::nullopt),
                 bridge(0, 3, 0, std::nullopt, 3), bridge(3, 0, 0, PcieType::pcie_bridge, 4),
                 function(4, 0, 0, PcieType::endpoint)});
    EXPECT_EQ(aliases_of(h.at("01:03.0")), (std::vector<std::string>{"01:03.0=01:03.0", "00:01.0=01:00.0"}));
    EXPECT_EQ(aliases_of(h.at("02:03.0")), (std::vector<std::string>{"02:03.0=02:03.0"}));
    // PCI-to-PCIe bridge (own RID), then the conventional bridge above it (own RID).
    EXPECT_EQ(aliases_of(h.at("04:00.0")),
              (std::vector<std::string>{"04:00.0=04:00.0", "03:00.0=03:00.0", "00:03.0=00:03.0"}));
}

TEST(KernelPci, ANonZeroReturnEndsTheAliasWalk) {
    Hierarchy h(reference_machine());
    int calls = 0;
    const int ret = pci_for_each_dma_alias(h.at("04:01.0"), [&](PciFunction&, std::uint16_t) { return ++calls == 1 ? 7 : 0; });
    EXPECT_EQ(ret, 7);
    EXPECT_EQ(calls, 1);
}

// ---- ACS -------------------------------------------------------------------------------------------

TEST(KernelPci, AcsRulesPerDeviceType) {
    Hierarchy h(reference_machine());
    EXPECT_TRUE(pci_acs_enabled(h.at("00:01.0"), kReqAcsFlags));   // root port with ACS enabled
    EXPECT_FALSE(pci_acs_enabled(h.at("00:02.0"), kReqAcsFlags));  // root port without the capability
    EXPECT_TRUE(pci_acs_enabled(h.at("02:00.0"), kReqAcsFlags));   // single-function endpoint: isolated
    EXPECT_FALSE(pci_acs_enabled(h.at("01:00.0"), kReqAcsFlags));  // multi-function without ACS
    EXPECT_FALSE(pci_acs_enabled(h.at("09:00.0"), kReqAcsFlags));  // conventional PCI never
    EXPECT_FALSE(pci_acs_enabled(h.at("00:05.0"), kReqAcsFlags));
    EXPECT_TRUE(pci_acs_enabled(h.at("05:00.0"), kReqAcsFlags));   // single-function upstream port
    EXPECT_FALSE(pci_acs_enabled(h.at("06:02.0"), kReqAcsFlags));  // downstream ports need ACS

    // A PCIe-to-PCI bridge is never ACS-capable for Linux, even with the capability.
    Hierarchy b({with_acs(bridge(0, 1, 0, PcieType::pci_bridge, 1)), with_acs(bridge(0, 2, 0, PcieType::pcie_bridge, 2)),
                 with_acs(function(0, 3, 0, PcieType::rc_event_collector))});
    EXPECT_FALSE(pci_acs_enabled(b.at("00:01.0"), kReqAcsFlags));
    EXPECT_FALSE(pci_acs_enabled(b.at("00:02.0"), kReqAcsFlags));
    EXPECT_FALSE(pci_acs_enabled(b.at("00:03.0"), kReqAcsFlags));
}

TEST(KernelPci, AcsCapabilitiesADeviceLacksCountAsHardWiredExceptEgressControl) {
    Hierarchy h({with_acs(bridge(0, 1, 0, PcieType::root_port, 1), PCI_ACS_SV, PCI_ACS_SV),
                 with_acs(bridge(0, 2, 0, PcieType::root_port, 2), kFullAcs, PCI_ACS_SV | PCI_ACS_RR),
                 with_acs(bridge(0, 3, 0, PcieType::root_port, 3), 0, 0),
                 with_acs(multifunction(function(0, 4, 0, PcieType::endpoint)), PCI_ACS_RR, PCI_ACS_RR),
                 function(0, 4, 1, PcieType::endpoint)});
    EXPECT_TRUE(pci_acs_enabled(h.at("00:01.0"), kReqAcsFlags));    // only SV controllable, and on
    EXPECT_FALSE(pci_acs_enabled(h.at("00:02.0"), kReqAcsFlags));   // CR, UF controllable but off
    EXPECT_TRUE(pci_acs_enabled(h.at("00:03.0"), kReqAcsFlags));    // nothing controllable
    EXPECT_FALSE(pci_acs_enabled(h.at("00:03.0"), PCI_ACS_EC));     // egress control is never assumed
    EXPECT_TRUE(pci_acs_enabled(h.at("00:04.0"), kReqAcsFlags));    // multi-function with ACS
    EXPECT_FALSE(pci_acs_enabled(h.at("00:04.1"), kReqAcsFlags));   // its sibling without
}

TEST(KernelPci, AcsPathFromADeviceUpToTheRoot) {
    Hierarchy h(reference_machine());
    EXPECT_TRUE(pci_acs_path_enabled(h.at("07:00.0"), nullptr, kReqAcsFlags));
    EXPECT_FALSE(pci_acs_path_enabled(h.at("08:00.0"), nullptr, kReqAcsFlags));  // 06:02.0 lacks ACS
    EXPECT_TRUE(pci_acs_path_enabled(h.at("08:00.0"), &h.at("08:00.0"), kReqAcsFlags));  // stops at `end`
    EXPECT_FALSE(pci_acs_path_enabled(h.at("08:00.0"), &h.at("06:02.0"), kReqAcsFlags)); // `end` is checked
    EXPECT_TRUE(pci_acs_path_enabled(h.at("07:00.0"), &h.at("05:00.0"), kReqAcsFlags));
    EXPECT_FALSE(pci_acs_path_enabled(h.at("07:00.0"), &h.at("08:00.0"), kReqAcsFlags));  // `end` not above it
    EXPECT_FALSE(pci_acs_path_enabled(h.at("02:00.0"), nullptr, kReqAcsFlags));  // 00:02.0 lacks ACS
}

// ---- group formation -------------------------------------------------------------------------------

// iommu.c's pci_device_group over these queries, groups numbered in probe (scan) order: the oracle
// that the topology queries are what the IOMMU core needs. A group is -1 until assigned.
class GroupOracle {
public:
    int probe(PciFunction& pdev) { return group_[&pdev] = pci_device_group(pdev); }
    int group(const PciFunction& f) const {
        const auto it = group_.find(&f);
        return it == group_.end() ? -1 : it->second;
    }

private:
    int pci_device_group(PciFunction& pdev) {
        // The upstream DMA alias: a device aliased by the topology cannot have a group of its own.
        PciFunction* alias_dev = nullptr;
        int found = -1;
        if (pci_for_each_dma_alias(pdev, [&](PciFunction& owner, std::uint16_t) {
                alias_dev = &owner;
                found = group(owner);
                return found >= 0;
            }))
            return found;
        // Up to the first bridge that isolates by ACS.
        PciFunction* dev = alias_dev;
        for (PciBus* bus = dev->bus; !pci_is_root_bus(*bus); bus = bus->parent) {
            if (!bus->self) continue;
            if (pci_acs_path_enabled(*bus->self, nullptr, kReqAcsFlags)) break;
            dev = bus->self;
            if (group(*dev) >= 0) return group(*dev);
        }
        std::bitset<256> devfns;
        if ((found = alias_group(*dev, devfns)) >= 0) return found;
        if ((found = function_alias_group(*dev, devfns)) >= 0) return found;
        return next_++;
    }
    int alias_group(PciFunction& pdev, std::bitset<256>& devfns) {
        if (devfns.test(pdev.devfn())) return -1;
        devfns.set(pdev.devfn());
        if (group(pdev) >= 0) return group(pdev);
        for (PciFunction* tmp : pdev.bus->devices) {
            if (tmp == &pdev || !pci_devs_are_dma_aliases(pdev, *tmp)) continue;
            int found = alias_group(*tmp, devfns);
            if (found < 0) found = function_alias_group(*tmp, devfns);
            if (found >= 0) return found;
        }
        return -1;
    }
    int function_alias_group(PciFunction& pdev, std::bitset<256>& devfns) {
        if (!pdev.multifunction || pci_acs_enabled(pdev, kReqAcsFlags)) return -1;
        for (PciFunction* tmp : pdev.bus->devices) {
            if (tmp == &pdev || PCI_SLOT(tmp->devfn()) != PCI_SLOT(pdev.devfn()) || pci_acs_enabled(*tmp, kReqAcsFlags))
                continue;
            if (const int found = alias_group(*tmp, devfns); found >= 0) return found;
        }
        return -1;
    }

    std::map<const PciFunction*, int> group_;
    int next_ = 0;
};

TEST(KernelPci, GroupsFormAsLinuxFormsThem) {
    Hierarchy h(reference_machine());
    GroupOracle groups;
    for (const std::string& where : h.added) groups.probe(h.at(where));
    auto same = [&](const char* a, const char* b) { return groups.group(h.at(a)) == groups.group(h.at(b)); };

    EXPECT_TRUE(same("01:00.0", "01:00.1"));   // functions without ACS can reach each other
    EXPECT_FALSE(same("01:00.0", "00:01.0"));  // the ACS root port isolates them from the rest
    EXPECT_TRUE(same("02:00.0", "00:02.0"));   // no ACS at the port: the port's group
    EXPECT_TRUE(same("04:01.0", "03:00.0"));   // behind a PCIe-to-PCI bridge: the bridge's group
    EXPECT_TRUE(same("04:02.0", "03:00.0"));
    EXPECT_FALSE(same("03:00.0", "00:03.0"));
    EXPECT_FALSE(same("07:00.0", "06:01.0"));  // ACS all the way up: a group of its own
    EXPECT_FALSE(same("07:00.0", "05:00.0"));
    EXPECT_TRUE(same("08:00.0", "06:02.0"));   // its downstream port lacks ACS
    EXPECT_FALSE(same("08:00.0", "07:00.0"));  // (classic Linux rule: the sibling port's ACS is not checked)
    EXPECT_TRUE(same("09:00.0", "00:05.0"));   // behind a conventional bridge
    EXPECT_TRUE(same("00:06.0", "00:07.0"));   // quirk alias
    EXPECT_TRUE(same("00:1f.0", "00:1f.3"));   // multi-function RCiEPs without ACS
    EXPECT_FALSE(same("00:00.0", "00:1f.0"));
    EXPECT_FALSE(same("00:06.0", "00:00.0"));

    std::map<int, int> members;
    for (const std::string& where : h.added) ++members[groups.group(h.at(where))];
    // 22 functions; shared: {01:00.0,01:00.1} {00:02.0,02:00.0} {03:00.0,04:01.0,04:02.0}
    // {06:02.0,08:00.0} {00:05.0,09:00.0} {00:06.0,00:07.0} {00:1f.0,00:1f.3}: 22 - 8 = 14 groups.
    EXPECT_EQ(members.size(), 14u);
}

// ---- ATS, PRI, PASID -------------------------------------------------------------------------------

std::vector<PciDeviceDesc> ats_machine() {
    PciDeviceDesc capable = function(1, 0, 0, PcieType::endpoint);
    capable.ats = PciAtsDesc{};
    capable.pri = PciPriDesc{32};
    capable.pasid = PciPasidDesc{20, true, true};
    PciDeviceDesc no_acs_path = function(2, 0, 0, PcieType::endpoint);
    no_acs_path.pasid = PciPasidDesc{16, false, false};
    PciDeviceDesc external_port = with_acs(bridge(0, 3, 0, PcieType::root_port, 3));
    external_port.external_facing = true;
    PciDeviceDesc outside = function(3, 0, 0, PcieType::endpoint);
    outside.ats = PciAtsDesc{};
    return {with_acs(bridge(0, 1, 0, PcieType::root_port, 1)), capable,
            bridge(0, 2, 0, PcieType::root_port, 2), no_acs_path,
            external_port, outside,
            function(0, 4, 0, PcieType::rc_integrated_endpoint)};
}

TEST(KernelPci, AtsNeedsTheCapabilityATrustedDeviceAndAValidStu) {
    Hierarchy h(ats_machine());
    PciFunction& dev = h.at("01:00.0");
    EXPECT_TRUE(pci_ats_supported(dev));
    EXPECT_EQ(pci_enable_ats(dev, 11), -EINVAL);  // below the 4 KiB minimum
    EXPECT_EQ(pci_enable_ats(dev, 12), 0);
    EXPECT_TRUE(dev.ats_enabled);
    EXPECT_EQ(dev.ats_stu, 12);
    EXPECT_EQ(pci_enable_ats(dev, 12), -EBUSY);
    pci_disable_ats(dev);
    EXPECT_FALSE(dev.ats_enabled);

    EXPECT_FALSE(pci_ats_supported(h.at("03:00.0")));  // untrusted: no ATS whatever the capability
    EXPECT_EQ(pci_enable_ats(h.at("03:00.0"), 12), -EINVAL);
    EXPECT_EQ(pci_enable_ats(h.at("00:04.0"), 12), -EINVAL);  // no capability
}

TEST(KernelPci, PriAllocatesNoMoreRequestsThanTheDeviceCanHold) {
    Hierarchy h(ats_machine());
    PciFunction& dev = h.at("01:00.0");
    EXPECT_TRUE(pci_pri_supported(dev));
    EXPECT_EQ(pci_enable_pri(dev, 64), 0);
    EXPECT_EQ(dev.pri_reqs_alloc, 32u);
    EXPECT_EQ(pci_enable_pri(dev, 8), -EBUSY);
    pci_disable_pri(dev);
    EXPECT_EQ(pci_enable_pri(dev, 8), 0);
    EXPECT_EQ(dev.pri_reqs_alloc, 8u);
    EXPECT_EQ(pci_enable_pri(h.at("02:00.0"), 8), -EINVAL);
}

TEST(KernelPci, PasidNeedsRequestRedirectAndUpstreamForwardingUpToTheRoot) {
    Hierarchy h(ats_machine());
    PciFunction& dev = h.at("01:00.0");
    EXPECT_EQ(pci_max_pasids(dev), 1 << 20);
    EXPECT_EQ(pci_pasid_features(dev), PCI_PASID_CAP_EXEC | PCI_PASID_CAP_PRIV);
    EXPECT_EQ(pci_enable_pasid(dev, PCI_PASID_CAP_EXEC), 0);
    EXPECT_TRUE(dev.pasid_enabled);
    EXPECT_EQ(dev.pasid_features, PCI_PASID_CAP_EXEC);
    EXPECT_EQ(pci_enable_pasid(dev, 0), -EBUSY);

    PciFunction& unprotected = h.at("02:00.0");  // its root port has no ACS
    EXPECT_EQ(pci_max_pasids(unprotected), 1 << 16);
    EXPECT_EQ(pci_enable_pasid(unprotected, 0), -EINVAL);
    EXPECT_FALSE(unprotected.pasid_enabled);

    EXPECT_EQ(pci_max_pasids(h.at("00:04.0")), -EINVAL);
    EXPECT_EQ(pci_enable_pasid(h.at("00:04.0"), 0), -EINVAL);
}

TEST(KernelPci, PasidFeaturesTheDeviceLacksAreRefused) {
    PciDeviceDesc dev = function(0, 1, 0, PcieType::rc_integrated_endpoint);
    dev.pasid = PciPasidDesc{8, false, true};
    Hierarchy h({dev});
    EXPECT_EQ(pci_enable_pasid(h.at("00:01.0"), PCI_PASID_CAP_EXEC | PCI_PASID_CAP_PRIV), -EINVAL);
    EXPECT_EQ(pci_enable_pasid(h.at("00:01.0"), PCI_PASID_CAP_PRIV), 0);
}

// ---- the firmware description's lookups ------------------------------------------------------------

TEST(KernelPci, HostBridgeIommuMapTranslatesRequesterIdsToStreamIds) {
    PciHostBridgeDesc host;
    host.iommu_map = {{0x0000, 0x0100, "smmu0", 0x1000}, {0x0200, 0x0010, "smmu1", 0x40}};
    const auto first = host.map_rid(0x00ff);
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->iommu, "smmu0");
    EXPECT_EQ(first->id, 0x10ffu);
    const auto second = host.map_rid(0x0203);
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(second->iommu, "smmu1");
    EXPECT_EQ(second->id, 0x43u);
    EXPECT_FALSE(host.map_rid(0x0100).has_value());  // one past the first range, below the second
    EXPECT_FALSE(host.map_rid(0x0210).has_value());
}

TEST(KernelPci, FirmwareDescriptionLookups) {
    FirmwareDescription fw;
    FwNode smmu;
    smmu.name = "smmu0";
    smmu.compatible = "arm,smmu-v3";
    FwNode dma;
    dma.name = "dma0";
    dma.iommus = {{"smmu0", {0x10, 0x11}}};
    fw.platform_devices = {smmu, dma};
    PciHostBridgeDesc host;
    host.node.name = "pcie0";
    host.segment = 1;
    fw.pci_host_bridges = {host};
    PciDeviceDesc nic = function(3, 0, 0, PcieType::endpoint);
    nic.address.segment = 1;
    fw.pci_devices = {nic};
    fw.reserved_regions = {{"rmrr0", 0x8000'0000, 0x10000, ResvType::direct, {"dma0"}, {nic.address}},
                           {"fb", 0x9000'0000, 0x1000, ResvType::direct_relaxable, {}, {nic.address}}};

    EXPECT_EQ(fw.find_node("smmu0"), &fw.platform_devices[0]);
    EXPECT_EQ(fw.find_node("pcie0"), &fw.pci_host_bridges[0].node);
    EXPECT_EQ(fw.find_node("nope"), nullptr);
    EXPECT_EQ(fw.find_host_bridge(1, 0), &fw.pci_host_bridges[0]);
    EXPECT_EQ(fw.find_host_bridge(0, 0), nullptr);
    EXPECT_EQ(fw.find_pci_device({1, 3, PCI_DEVFN(0, 0)}), &fw.pci_devices[0]);
    EXPECT_EQ(fw.find_pci_device({0, 3, PCI_DEVFN(0, 0)}), nullptr);  // another segment
    EXPECT_EQ(fw.reserved_regions_of("dma0").size(), 1u);
    EXPECT_EQ(fw.reserved_regions_of(nic.address).size(), 2u);
    EXPECT_TRUE(fw.reserved_regions_of("smmu0").empty());
    EXPECT_EQ(PCI_DEVID(3, PCI_DEVFN(0x1f, 7)), 0x03ff);
}

}  // namespace
}  // namespace kernel
}  // namespace iommu_vp
