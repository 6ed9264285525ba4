// The IOMMU core on the kernel runtime with a fake IOMMU driver (no hardware model): the lifecycle
// rules of ../shared/spec/iommu-core.md sections 3-11, each test run with the lock-order validator on
// and failing on any lock-order, hang or BUG report.
//
// Expected values are worked out from the spec's rules: the order the driver core adds and binds
// devices, which walk or notifier probes each one, which group the PCI topology rules give, which
// domain the policy picks, and what the "hardware" (the fake driver's record of attaches) sees.
#include "iommu_core_bench.h"
#include "platform/sc/stats_report.h"
#include "sc_test.h"
#include "sw_stack/iommu/core_internal.h"
#include "sw_stack/kernel/interleave.h"
#include "sw_stack/kernel/delay.h"
#include "sw_stack/kernel/sched.h"
#include "sw_stack/kernel/pci.h"
#include "sw_stack/kernel/warn.h"
#include "sw_stack/kernel/workqueue.h"

#include <gtest/gtest.h>

namespace iommu_vp {
namespace {

using namespace testing::iommu_bench;
using kernel::PciDev;
using kernel::PlatformDevice;

class IommuCoreTest : public testing::ScTest {};

std::uint64_t warnings(const char* name) {
    const auto& counts = kernel::warning_counts();
    const auto found = counts.find(name);
    return found == counts.end() ? 0 : found->second;
}

// The walk of either flavour (strengthened: the firmware step only; Linux-faithful: the bus's whole
// dma_configure with the probe lock dropped) gives the same result when no client races it.
void run_walk_case(const char* command_line) {
    Bench bench(command_line);
    describe_platform(bench);
    std::vector<PlatformDevice*> devices;
    std::map<std::string, int> group_ids;
    std::map<std::string, unsigned> owner_counts;
    std::map<std::string, std::string> hardware;
    bench.boot([&] {
        devices = boot_platform(bench);
        for (PlatformDevice* dev : devices) {
            if (!dev->iommu_group) continue;
            group_ids[dev->name()] = iommu_group_id(*dev->iommu_group);
            owner_counts[dev->name()] = dev->iommu_group->owner_cnt;
            hardware[dev->name()] = bench.hw.name_of(bench.hw.rid[dev]);
            EXPECT_TRUE(dev->dma_iommu) << dev->name();
            EXPECT_EQ(dev->iommu_group->domain, dev->iommu_group->default_domain) << dev->name();
        }
        // The IOMMU goes once its clients are unbound: its unregistration releases them in bus order.
        for (PlatformDevice* dev : devices)
            if (dev != devices[2]) kernel::device_release_driver(*dev);
        kernel::platform_device_unregister(*devices[2]);
        for (PlatformDevice* dev : devices) {
            if (dev == devices[2]) continue;
            EXPECT_EQ(dev->iommu_group, nullptr) << dev->name();
        }
        devices.erase(devices.begin() + 2);
        unregister_all(devices);
    });
    sc_core::sc_start();
    // dmaA and dmaB by the walk (phase A in bus order), dmaC by the notifier when it was added.
    EXPECT_EQ(group_ids, (std::map<std::string, int>{{"dmaA", 0}, {"dmaB", 1}, {"dmaC", 2}}));
    EXPECT_EQ(bench.ops.probes, (std::map<std::string, int>{{"dmaA", 1}, {"dmaB", 1}, {"dmaC", 1}}));
    // dmaC binds as soon as it is added; dmaA and dmaB had deferred (no IOMMU yet) and bind at the
    // initcall's retry.
    EXPECT_EQ(bench.bound, (Log{"dmaC", "dmaA", "dmaB"}));
    EXPECT_EQ(owner_counts, (std::map<std::string, unsigned>{{"dmaA", 1}, {"dmaB", 1}, {"dmaC", 1}}));
    // Strict DMA domains by default (sw.core.strict=1), one per group.
    EXPECT_EQ(hardware, (std::map<std::string, std::string>{{"dmaA", "DMA#1"}, {"dmaB", "DMA#2"}, {"dmaC", "DMA#3"}}));
    EXPECT_EQ(warnings("late_iommu_probe_at_bind"), 0u);
    // Every default domain is freed with its group, and the instance is off the list.
    EXPECT_EQ(bench.ops.freed, (std::vector<std::string>{"DMA#1", "DMA#2", "DMA#3"}));
    EXPECT_FALSE(bench.ops.instance.listed);
    EXPECT_EQ(bench.unexpected_reports(), 0u) << bench.reports.str();
}

TEST_F(IommuCoreTest, TheWalkProbesDevicesOnceInBusOrderAndLaterDevicesThroughTheNotifier) { run_walk_case(""); }

TEST_F(IommuCoreTest, TheLinuxFaithfulWalkRunsTheBusDmaConfigureWithTheProbeLockDropped) {
    run_walk_case("sw.core.linux_faithful_walk=1");
}

// The global policy and the driver's per-device requirement (section 3.1, 3.6).
struct PolicyCase {
    const char* command_line;
    std::map<std::string, std::string> expected;  // device -> its default domain's type
    bool dma_iommu_for_dmaA;
};

void run_policy_case(const PolicyCase& policy) {
    Bench bench(policy.command_line);
    describe_platform(bench);
    bench.ops.required_types["dmaB"] = IOMMU_DOMAIN_IDENTITY;  // a driver requirement wins over the policy
    std::map<std::string, std::string> types;
    bool dma_iommu = false;
    bench.boot([&] {
        std::vector<PlatformDevice*> devices = boot_platform(bench);
        for (PlatformDevice* dev : devices)
            if (dev->iommu_group) types[dev->name()] = domain_type_name(dev->iommu_group->default_domain->type);
        dma_iommu = devices[0]->dma_iommu;
        unregister_all(devices);
    });
    sc_core::sc_start();
    EXPECT_EQ(types, policy.expected);
    EXPECT_EQ(dma_iommu, policy.dma_iommu_for_dmaA);
    EXPECT_EQ(bench.unexpected_reports(), 0u) << bench.reports.str();
}

TEST_F(IommuCoreTest, StrictIsTheDefaultPolicy) {
    run_policy_case({"", {{"dmaA", "DMA"}, {"dmaB", "IDENTITY"}, {"dmaC", "DMA"}}, true});
}

TEST_F(IommuCoreTest, PassthroughGivesIdentityDefaultDomains) {
    run_policy_case({"iommu.passthrough=1", {{"dmaA", "IDENTITY"}, {"dmaB", "IDENTITY"}, {"dmaC", "IDENTITY"}}, false});
}

TEST_F(IommuCoreTest, LazyPolicyGivesFlushQueueDomainsAndTheCoreOptionWinsOverLinuxsSpelling) {
    run_policy_case({"iommu.strict=1 sw.core.strict=0", {{"dmaA", "DMA_FQ"}, {"dmaB", "IDENTITY"}, {"dmaC", "DMA_FQ"}}, true});
}

// Runs `action` once, in the thread that reaches `point` first.
class OnceAt final : public kernel::InterleavingListener {
public:
    OnceAt(std::string point, std::function<void()> action) : point_(std::move(point)), action_(std::move(action)) {}
    void reached(kernel::Thread&, const std::string& point) override {
        if (done_ || point != point_) return;
        done_ = true;
        action_();
    }

private:
    std::string point_;
    std::function<void()> action_;
    bool done_ = false;
};

// Section 7 window 2 (S3a): while the instance is listed but its walk has not finished, a client's
// firmware step defers; it binds after the walk, in bus order, with no late probe.
void run_ready_flag_case(const char* command_line, int expected_ret, std::map<std::string, int> expected_groups) {
    Bench bench(command_line);
    describe_platform(bench);
    int ret_while_listed = 1;
    std::map<std::string, int> group_ids;
    OnceAt listed("IP3.1.listed", [&] {
        Device& dmaB = *kernel::platform_bus_type().p.devices[1];
        ret_while_listed = of_iommu_configure(dmaB);
    });
    kernel::set_interleaving_listener(&listed);
    bench.boot([&] {
        std::vector<PlatformDevice*> devices = boot_platform(bench);
        for (PlatformDevice* dev : devices)
            if (dev->iommu_group) group_ids[dev->name()] = iommu_group_id(*dev->iommu_group);
        unregister_all(devices);
    });
    sc_core::sc_start();
    kernel::set_interleaving_listener(nullptr);
    EXPECT_EQ(ret_while_listed, expected_ret);
    EXPECT_EQ(group_ids, expected_groups);
    EXPECT_EQ(bench.ops.probes["dmaB"], 1);
    EXPECT_EQ(bench.unexpected_reports(), 0u) << bench.reports.str();
}

TEST_F(IommuCoreTest, AClientDefersWhileTheInstanceIsNotReadyAndBindsAfterTheWalkInBusOrder) {
    run_ready_flag_case("", -EPROBE_DEFER, {{"dmaA", 0}, {"dmaB", 1}, {"dmaC", 2}});
}

TEST_F(IommuCoreTest, WithoutTheReadyFlagAClientIsProbedAheadOfTheWalk) {
    // The bug of S3a: the replay probes dmaB out of order, so its group ID comes first.
    run_ready_flag_case("sw.core.bug_no_ready_flag=1", 0, {{"dmaA", 1}, {"dmaB", 0}, {"dmaC", 2}});
}

TEST_F(IommuCoreTest, ADeviceTheNotifierMissedIsProbedOnceThroughTheReplayAtBind) {
    Bench bench;
    bench.firmware.platform_devices = {node("smmu0", "test,iommu"), node("late", "test,client", "smmu0", 0x20)};
    std::vector<PlatformDevice*> devices;
    unsigned owner_cnt = 0;
    bench.boot([&] {
        iommu_subsys_init();
        kernel::platform_driver_register(bench.iommu_driver);
        kernel::platform_driver_register(bench.client_driver);
        // The device is added while the core's notifier is off the bus: nothing probes it until its
        // driver binds.
        kernel::bus_unregister_notifier(kernel::platform_bus_type(), core().platform_notifier);
        devices = kernel::of_platform_populate(bench.firmware);
        kernel::bus_register_notifier(kernel::platform_bus_type(), core().platform_notifier);
        kernel::deferred_probe_initcall();
        Device& late = *devices[1];
        owner_cnt = late.iommu_group ? late.iommu_group->owner_cnt : 99;
        // A second bind finds the fwspec and does not probe again.
        kernel::device_release_driver(late);
        kernel::device_attach(late);
        unregister_all(devices);
    });
    sc_core::sc_start();
    EXPECT_EQ(bench.ops.probes["late"], 1);
    EXPECT_EQ(owner_cnt, 1u);
    EXPECT_EQ(bench.bound, (Log{"late", "late"}));
    EXPECT_EQ(warnings("late_iommu_probe_at_bind"), 1u);  // Linux warns on the replay, and so do we
    EXPECT_EQ(bench.unexpected_reports({"late_iommu_probe_at_bind"}), 0u) << bench.reports.str();
}

// ---- PCI -------------------------------------------------------------------------------------------

kernel::PciDeviceDesc endpoint(unsigned slot, unsigned fn, bool multifunction = false) {
    kernel::PciDeviceDesc d;
    d.address = {0, 0, kernel::PCI_DEVFN(slot, fn)};
    d.vendor = 0x8086;
    d.device = static_cast<std::uint16_t>(0x2000 + slot * 8 + fn);
    d.class_code = 0x020000;
    d.pcie = kernel::PcieType::endpoint;
    d.multifunction = multifunction;
    return d;
}

struct PciBench {
    Bench& bench;
    kernel::PciHostBridgeDesc host;
    std::unique_ptr<kernel::PciHostBridge> bridge;
    kernel::PciDriver client{"pci-client"};

    explicit PciBench(Bench& b) : bench(b) {
        host.node.name = "pcie0";
        host.iommu_map = {{0, 0x10000, "smmu0", 0}};  // StreamID = RID
        bench.firmware.platform_devices = {node("smmu0", "test,iommu")};
        bench.firmware.pci_host_bridges = {host};
        bench.ops.policy = GroupPolicy::pci;
        client.id_table = {{kernel::PCI_ANY_ID, kernel::PCI_ANY_ID, 0x020000, 0xffffff}};
    }
    // The IOMMU first, then the hierarchy: each function is probed by the notifier as it is found.
    std::vector<PciDev*> boot(const std::vector<kernel::PciDeviceDesc>& functions) {
        iommu_subsys_init();
        kernel::platform_driver_register(bench.iommu_driver);
        platform = kernel::of_platform_populate(bench.firmware);
        kernel::pci_register_driver(client);
        bridge = std::make_unique<kernel::PciHostBridge>(bench.firmware.pci_host_bridges[0]);
        kernel::pci_host_probe(*bridge, functions);
        std::vector<PciDev*> found;
        for (kernel::PciFunction* fn : bridge->bus().devices) found.push_back(&kernel::to_pci_dev(*fn));
        return found;
    }
    void shutdown() {
        kernel::pci_remove_root_bus(*bridge);
        unregister_all(platform);
    }
    std::vector<PlatformDevice*> platform;
};

TEST_F(IommuCoreTest, PciFunctionsWithoutIsolationShareAGroupAndIsolatedOnesDoNot) {
    Bench bench;
    PciBench pci(bench);
    kernel::PciDeviceDesc acs0 = endpoint(3, 0, true), acs1 = endpoint(3, 1);
    constexpr std::uint16_t kFullAcs = kernel::PCI_ACS_SV | kernel::PCI_ACS_RR | kernel::PCI_ACS_CR | kernel::PCI_ACS_UF;
    acs0.acs = kernel::PciAcsDesc{kFullAcs, kFullAcs};
    acs1.acs = kernel::PciAcsDesc{kFullAcs, kFullAcs};
    std::vector<int> ids;
    std::vector<std::uint32_t> stream_ids;
    bench.boot([&] {
        for (PciDev* pdev : pci.boot({endpoint(1, 0, true), endpoint(1, 1), endpoint(2, 0), acs0, acs1})) {
            ids.push_back(pdev->dev.iommu_group ? iommu_group_id(*pdev->dev.iommu_group) : -1);
            stream_ids.push_back(dev_iommu_fwspec_get(pdev->dev)->ids.at(0));
        }
        pci.shutdown();
    });
    sc_core::sc_start();
    // 00:01.0/1 have no ACS: one group. 00:02.0 is single-function: isolated. 00:03.0/1 have ACS.
    EXPECT_EQ(ids, (std::vector<int>{0, 0, 1, 2, 3}));
    EXPECT_EQ(stream_ids, (std::vector<std::uint32_t>{0x08, 0x09, 0x10, 0x18, 0x19}));  // RIDs through iommu-map
    EXPECT_EQ(bench.unexpected_reports(), 0u) << bench.reports.str();
}

// ---- ownership --------------------------------------------------------------------------------------

TEST_F(IommuCoreTest, AnExclusiveOwnerClaimsAGroupOnlyWhenNoKernelDriverUsesIt) {
    Bench bench;
    describe_platform(bench);
    const int vfio = 0;  // the owner's cookie
    std::vector<std::string> steps;
    bench.boot([&] {
        std::vector<PlatformDevice*> devices = boot_platform(bench);
        Device& dma = *devices[0];
        IommuGroup& group = *dma.iommu_group;
        auto on = [&] { return bench.hw.name_of(bench.hw.rid[&dma]) + " cnt " + std::to_string(group.owner_cnt); };
        steps.push_back("claim while bound " + std::string(kernel::errno_name(iommu_group_claim_dma_owner(group, &vfio))));
        kernel::device_release_driver(dma);
        int ret = iommu_group_claim_dma_owner(group, &vfio);  // results first: + does not order its operands
        steps.push_back("claim " + std::string(kernel::errno_name(ret)) + " " + on());
        IommuDomain* mine = iommu_paging_domain_alloc(dma);
        IommuDomain* other = iommu_paging_domain_alloc(dma);
        ret = iommu_attach_group(*mine, group);
        steps.push_back("attach " + std::string(kernel::errno_name(ret)) + " " + on());
        steps.push_back("attach another " + std::string(kernel::errno_name(iommu_attach_group(*other, group))));
        kernel::device_attach(dma);  // a kernel driver may not bind to an owned group
        steps.push_back(std::string("bind ") + (dma.driver ? "bound" : "refused") + " " + on());
        iommu_detach_group(*mine, group);
        steps.push_back("detach " + on());
        iommu_group_release_dma_owner(group);
        steps.push_back("release " + on());
        iommu_domain_free(mine);
        iommu_domain_free(other);
        kernel::device_attach(dma);
        steps.push_back(std::string("bind ") + (dma.driver ? "bound" : "refused") + " " + on());
        unregister_all(devices);
    });
    sc_core::sc_start();
    EXPECT_EQ(steps, (std::vector<std::string>{
                         "claim while bound EPERM",
                         "claim 0 blocked cnt 1",     // the group moves to the blocking domain
                         "attach 0 UNMANAGED#4 cnt 1",
                         "attach another EBUSY",       // only from the default or blocking domain
                         "bind refused UNMANAGED#4 cnt 1",
                         "detach blocked cnt 1",       // owned: back to blocking, not default
                         "release DMA#1 cnt 0",
                         "bind bound DMA#1 cnt 1",
                     }));
    EXPECT_EQ(bench.unexpected_reports(), 0u) << bench.reports.str();
}

// ---- deferred attach (section 6) --------------------------------------------------------------------

TEST_F(IommuCoreTest, DeferredAttachSkipsTheDefaultDomainAtProbeButNeverAnExplicitAttach) {
    Bench bench;
    describe_platform(bench);
    bench.ops.deferred = {"dmaA", "dmaB", "dmaC"};
    bench.ops.release_domain = &bench.ops.blocked;
    std::vector<std::string> steps;
    bench.boot([&] {
        std::vector<PlatformDevice*> devices = boot_platform(bench);
        Device& a = *devices[0];
        Device& b = *devices[1];
        Device& c = *devices[3];
        auto state = [&](Device& dev) {
            return dev.name() + " " + bench.hw.name_of(bench.hw.rid[&dev]) +
                   (dev.iommu && dev.iommu->attach_deferred ? " deferred" : "");
        };
        steps.push_back("probed " + state(a));
        // The DMA API's first use attaches the default domain.
        const int ret = iommu_deferred_attach(a, *iommu_get_dma_domain(a));
        steps.push_back("first map " + std::string(kernel::errno_name(ret)) + " " + state(a));
        // A driver that manages its own domain attaches it at once.
        kernel::device_release_driver(b);
        IommuDomain* own = iommu_paging_domain_alloc(b);
        const int attached = iommu_attach_device(*own, b);
        steps.push_back("explicit " + std::string(kernel::errno_name(attached)) + " " + state(b));
        iommu_detach_device(*own, b);
        iommu_domain_free(own);
        // Removed before any DMA: release leaves the inherited translation alone.
        const std::string removed = c.name();  // the device is freed by its unregistration
        kernel::platform_device_unregister(*devices[3]);
        steps.push_back("removed " + removed);
        devices.pop_back();
        unregister_all(devices);
    });
    sc_core::sc_start();
    EXPECT_EQ(steps, (std::vector<std::string>{
                         "probed dmaA none deferred",
                         "first map 0 dmaA DMA#1",
                         "explicit 0 dmaB UNMANAGED#4",
                         "removed dmaC",
                     }));
    // dmaC: released without any attach; dmaA and dmaB parked on the release domain first.
    for (const std::string& entry : bench.hw.log) EXPECT_EQ(entry.find("attach dmaC"), std::string::npos) << entry;
    const Log& log = bench.hw.log;
    const auto pos = [&](const std::string& entry) { return std::find(log.begin(), log.end(), entry) - log.begin(); };
    EXPECT_LT(pos("attach dmaA blocked"), pos("release dmaA"));
    EXPECT_NE(pos("release dmaC"), static_cast<long>(log.size()));
    EXPECT_EQ(bench.unexpected_reports(), 0u) << bench.reports.str();
}

TEST_F(IommuCoreTest, DeferringEveryDomainSilentlySkipsAnExplicitAttach) {
    Bench bench("sw.core.bug_defer_every_domain=1");
    describe_platform(bench);
    bench.ops.deferred = {"dmaB"};
    std::string hardware;
    bench.boot([&] {
        std::vector<PlatformDevice*> devices = boot_platform(bench);
        Device& b = *devices[1];
        kernel::device_release_driver(b);
        IommuDomain* own = iommu_paging_domain_alloc(b);
        EXPECT_EQ(iommu_attach_device(*own, b), 0);  // reported as done...
        hardware = bench.hw.name_of(bench.hw.rid[&b]);
        iommu_detach_device(*own, b);
        iommu_domain_free(own);
        unregister_all(devices);
    });
    sc_core::sc_start();
    EXPECT_EQ(hardware, "none");  // ...but the hardware never saw it (S1c's symptom)
}

// ---- faults (section 9) -----------------------------------------------------------------------------

TEST_F(IommuCoreTest, FaultsGoToTheDomainsHandlerElseTheDevicesAndPageRequestGroupsAreAnsweredOnce) {
    Bench bench;
    describe_platform(bench);
    std::vector<std::string> seen;
    std::vector<int> returns;
    std::shared_ptr<IopfGroup> delivered;
    bench.boot([&] {
        std::vector<PlatformDevice*> devices = boot_platform(bench);
        Device& a = *devices[0];
        Device& b = *devices[1];
        // dmaA is on its DMA domain (no legacy handler possible): its device handler gets the fault.
        a.iommu->fault_handler = [&](Device& dev, std::uint64_t iova, int) {
            seen.push_back("device " + dev.name() + " " + std::to_string(iova));
            return 0;
        };
        returns.push_back(report_iommu_fault(*iommu_get_dma_domain(a), a, 0x1000, IOMMU_FAULT_WRITE));
        returns.push_back(report_iommu_fault(*iommu_get_dma_domain(b), b, 0x2000, IOMMU_FAULT_READ));  // nobody
        // dmaB on an unmanaged domain with a legacy handler and an IOPF handler.
        kernel::device_release_driver(b);
        IommuDomain* own = iommu_paging_domain_alloc(b);
        iommu_set_fault_handler(*own, [&](IommuDomain& domain, Device& dev, std::uint64_t iova, int) {
            seen.push_back("domain " + domain.name + " " + dev.name() + " " + std::to_string(iova));
            return 0;
        });
        own->iopf_handler = [&](std::shared_ptr<IopfGroup> group) { delivered = std::move(group); };
        iommu_attach_device(*own, b);
        returns.push_back(report_iommu_fault(*own, b, 0x3000, IOMMU_FAULT_READ));
        PageRequest first;
        first.grpid = 5;
        first.addr = 0x4000;
        PageRequest last = first;
        last.addr = 0x5000;
        last.last_page = true;
        returns.push_back(iommu_report_device_fault(b, first));
        const bool held = delivered == nullptr;
        returns.push_back(iommu_report_device_fault(b, last));
        seen.push_back(std::string("held ") + (held ? "yes" : "no") + ", group of " +
                       std::to_string(delivered ? delivered->faults.size() : 0));
        iopf_group_response(*delivered, PageResponseCode::success);
        iopf_group_response(*delivered, PageResponseCode::success);  // a second answer is refused
        // dmaA's DMA domain has no IOPF handler: the driver keeps the fault.
        returns.push_back(iommu_report_device_fault(a, last));
        iommu_detach_device(*own, b);
        iommu_domain_free(own);
        unregister_all(devices);
    });
    sc_core::sc_start();
    EXPECT_EQ(seen, (std::vector<std::string>{"device dmaA 4096", "domain UNMANAGED#4 dmaB 12288", "held yes, group of 2"}));
    EXPECT_EQ(returns, (std::vector<int>{0, -ENOSYS, 0, 0, 0, -ENODEV}));
    EXPECT_EQ(bench.ops.responses, (std::vector<std::string>{"dmaB grp 5 success"}));
    EXPECT_EQ(warnings("iopf_double_response"), 1u);
    const FaultCounts& counts = iommu_fault_counts();
    EXPECT_EQ(counts.unrecoverable, 3u);
    EXPECT_EQ(counts.handled_by_device, 1u);
    EXPECT_EQ(counts.handled_by_domain, 1u);
    EXPECT_EQ(counts.unhandled, 1u);
    EXPECT_EQ(counts.page_requests, 3u);
    EXPECT_EQ(counts.page_groups_delivered, 1u);
    // The run's statistics carry the same counts.
    const nlohmann::ordered_json stats = platform::iommu_core_json();
    EXPECT_EQ(stats["faults"]["unrecoverable"], 3u);
    EXPECT_EQ(stats["faults"]["page_responses"], 1u);
    EXPECT_EQ(bench.unexpected_reports({"iopf_double_response"}), 0u) << bench.reports.str();
}

// ---- reset, quarantine, removal (sections 10, 11, 15) ------------------------------------------------

kernel::PciDeviceDesc ats_endpoint(unsigned slot) {
    kernel::PciDeviceDesc d = endpoint(slot, 0);
    d.ats = kernel::PciAtsDesc{};
    return d;
}

TEST_F(IommuCoreTest, AResetBlocksTheDeviceAndRefusesAttachesUntilDone) {
    Bench bench;
    PciBench pci(bench);
    bench.ops.deferred = {"0000:00:02.0"};
    std::vector<std::string> steps;
    bench.boot([&] {
        std::vector<PciDev*> fns = pci.boot({ats_endpoint(1), ats_endpoint(2)});
        Device& plain = fns[0]->dev;
        Device& deferred = fns[1]->dev;
        IommuGroup& group = *plain.iommu_group;
        auto on = [&](Device& dev) { return bench.hw.name_of(bench.hw.rid[&dev]); };
        const int prepared = pci_dev_reset_iommu_prepare(plain);  // results first: + does not order its operands
        steps.push_back("prepare " + std::string(kernel::errno_name(prepared)) + " " + on(plain) +
                        " group " + group.domain->name + " recovery " + std::to_string(group.recovery_cnt));
        IommuDomain* own = iommu_paging_domain_alloc(plain);
        steps.push_back("attach " + std::string(kernel::errno_name(iommu_attach_group(*own, group))));
        pci_dev_reset_iommu_done(plain);
        steps.push_back("done " + on(plain) + " recovery " + std::to_string(group.recovery_cnt));
        iommu_domain_free(own);
        // A device whose attach is deferred: the first map during the reset fails, after it attaches.
        pci_dev_reset_iommu_prepare(deferred);
        IommuDomain& dma = *iommu_get_dma_domain(deferred);
        int ret = iommu_deferred_attach(deferred, dma);
        steps.push_back("map during reset " + std::string(kernel::errno_name(ret)) + " " + on(deferred));
        pci_dev_reset_iommu_done(deferred);
        ret = iommu_deferred_attach(deferred, dma);
        steps.push_back("map after " + std::string(kernel::errno_name(ret)) + " " + on(deferred));
        pci.shutdown();
    });
    sc_core::sc_start();
    EXPECT_EQ(steps, (std::vector<std::string>{
                         "prepare 0 blocked group DMA#1 recovery 1",  // group->domain kept
                         "attach EBUSY",
                         "done DMA#1 recovery 0",
                         "map during reset EBUSY blocked",
                         "map after 0 DMA#2",
                     }));
    EXPECT_EQ(bench.unexpected_reports(), 0u) << bench.reports.str();
}

TEST_F(IommuCoreTest, AQuarantinedLastDeviceIsRemovedWithoutWarningsAndNothingReachesItsHardwareAfterRelease) {
    Bench bench;
    PciBench pci(bench);
    bench.ops.release_domain = &bench.ops.blocked;
    std::vector<std::string> steps;
    IommuGroup* group = nullptr;
    bench.boot([&] {
        std::vector<PciDev*> fns = pci.boot({ats_endpoint(1)});
        Device& dev = fns[0]->dev;
        group = dev.iommu_group;
        kernel::preempt_disable();  // the invalidation-error path cannot sleep
        iommu_report_device_broken(dev);
        kernel::preempt_enable();
        GroupDevice* gdev = find_group_device(*group, dev);
        kernel::flush_work(gdev->quarantine_work);
        steps.push_back("quarantined " + bench.hw.name_of(bench.hw.rid[&dev]) + " group " + group->domain->name +
                        " recovery " + std::to_string(group->recovery_cnt) + (gdev->blocked ? " blocked" : ""));
        kernel::pci_stop_and_remove_bus_device(*fns[0]);
        steps.push_back(std::string("removed, group ") + (group->freed ? "freed" : "alive"));
        pci.shutdown();
    });
    sc_core::sc_start();
    EXPECT_EQ(steps, (std::vector<std::string>{"quarantined blocked group DMA#1 recovery 1 blocked",
                                               "removed, group freed"}));
    EXPECT_EQ(warnings("group_empty_not_default"), 0u);
    EXPECT_EQ(bench.ops.freed, (std::vector<std::string>{"DMA#1"}));
    // Nothing after the release reached the device's translation.
    EXPECT_EQ(bench.hw.log.back(), "release 0000:00:01.0");
    EXPECT_EQ(bench.unexpected_reports(), 0u) << bench.reports.str();
}

// S4a: the quarantine work is running and waiting for group->mutex while removal holds it.
struct QuarantineRace {
    std::vector<std::string> steps;
    std::unique_ptr<Bench> bench;
    std::vector<PciDev*> functions;  // not on the thread's stack: with the bug the thread never wakes
};

QuarantineRace run_quarantine_race(const char* command_line) {
    QuarantineRace race;
    race.bench = std::make_unique<Bench>(command_line);
    Bench& bench = *race.bench;
    PciBench pci(bench);
    bench.ops.release_domain = &bench.ops.blocked;
    // Removal, holding group->mutex, pauses long enough for the queued work to start and block on it.
    OnceAt pause("IP4.4.remove_locked:0000:00:01.0", [] { kernel::msleep(1); });
    OnceAt worker_waits("IP4.2.worker_lock_wait:0000:00:01.0", [&] { race.steps.push_back("worker waits"); });
    struct Both final : kernel::InterleavingListener {
        std::vector<kernel::InterleavingListener*> listeners;
        void reached(kernel::Thread& thread, const std::string& point) override {
            for (auto* l : listeners) l->reached(thread, point);
        }
    } both;
    both.listeners = {&pause, &worker_waits};
    kernel::set_interleaving_listener(&both);
    bench.boot([&] {
        race.functions = pci.boot({ats_endpoint(1)});
        Device& dev = race.functions[0]->dev;
        IommuGroup& group = *dev.iommu_group;
        iommu_group_ref_get(&group);  // kept to look at after the removal
        kernel::preempt_disable();
        iommu_report_device_broken(dev);
        kernel::preempt_enable();
        kernel::pci_stop_and_remove_bus_device(*race.functions[0]);
        race.steps.push_back("removed: recovery " + std::to_string(group.recovery_cnt) + ", hardware after release: " +
                             bench.hw.log.back());
        iommu_group_put(&group);
        pci.shutdown();
    });
    sc_core::sc_start();
    kernel::set_interleaving_listener(nullptr);
    return race;
}

TEST_F(IommuCoreTest, RemovalCancelsARunningQuarantineWorkOnlyAfterDroppingTheMutexAndTheWorkFindsNothingToDo) {
    QuarantineRace race = run_quarantine_race("");
    EXPECT_EQ(race.steps, (std::vector<std::string>{
                              "worker waits",
                              // The late worker found the member gone: no blocking, no attach after release.
                              "removed: recovery 0, hardware after release: release 0000:00:01.0",
                          }));
    EXPECT_EQ(warnings("group_empty_not_default"), 0u);
    EXPECT_EQ(race.bench->unexpected_reports(), 0u) << race.bench->reports.str();
}

TEST_F(IommuCoreTest, CancellingTheQuarantineWorkUnderTheMutexIsReportedAndDeadlocks) {
    QuarantineRace race = run_quarantine_race("sw.core.bug_cancel_quarantine_under_lock=1");
    const kernel::Runtime& runtime = *race.bench->runtime;
    EXPECT_EQ(runtime.report_count("wait_under_lock_work"), 1u) << race.bench->reports.str();  // rule L4
    EXPECT_EQ(runtime.report_count("deadlock"), 1u) << race.bench->reports.str();
}

}  // namespace
}  // namespace iommu_vp
