// A bench for IOMMU-core tests with no hardware model: a fake IOMMU driver whose "hardware" is a record
// of which domain each device's translation points at, a runtime on a machine with no devices, and a
// firmware description with an IOMMU node and clients that name it.
//
// The fake driver follows the driver contract of iommu.h and nothing else: probe_device serves the
// devices whose fwspec names its instance (or, registered without a node, a listed set of names),
// domains keep their mappings in a map, and every attach, release and invalidation is logged, so a test
// reads what the hardware would have seen.
#pragma once

#include "no_hardware.h"
#include "sw_stack/iommu/iommu.h"
#include "sw_stack/kernel/device.h"
#include "sw_stack/kernel/machine.h"
#include "sw_stack/kernel/platform.h"
#include "sw_stack/kernel/runtime.h"

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace iommu_vp::testing::iommu_bench {

using namespace iommu_vp::iommu;
using kernel::Device;
using Log = std::vector<std::string>;

// What the fake hardware holds: the domain each device's RID (and PASIDs) translate through.
struct FakeHardware {
    std::map<const Device*, const IommuDomain*> rid;
    std::map<std::pair<const Device*, std::uint32_t>, const IommuDomain*> pasid;
    Log log;  // "attach dmaA DMA#1", "release dmaA", ...
    std::string name_of(const IommuDomain* domain) const { return domain ? domain->name : "none"; }
};

class FakeDomain final : public IommuDomain {
public:
    FakeDomain(unsigned domain_type, const IommuOps* owner_ops, FakeHardware& hardware, std::string domain_name)
        : IommuDomain(domain_type, owner_ops), hw(hardware) {
        name = std::move(domain_name);
    }
    int attach_dev(Device& dev, IommuDomain*) override {
        if (fail_attach) return -EIO;
        hw.rid[&dev] = this;
        hw.log.push_back("attach " + dev.name() + " " + name);
        return 0;
    }
    int set_dev_pasid(Device& dev, std::uint32_t pasid, IommuDomain*) override {
        hw.pasid[{&dev, pasid}] = this;
        hw.log.push_back("pasid " + dev.name() + ":" + std::to_string(pasid) + " " + name);
        return 0;
    }
    int map_pages(std::uint64_t iova, std::uint64_t paddr, std::uint64_t pgsize, std::uint64_t pgcount, int prot,
                  std::uint64_t& mapped) override {
        if (fail_map) return -ENOMEM;
        for (std::uint64_t i = 0; i < pgcount; ++i) {
            if (pages.count(iova + i * pgsize)) return -EEXIST;
            pages[iova + i * pgsize] = {paddr + i * pgsize, pgsize, prot};
            mapped += pgsize;
        }
        map_calls.push_back(pgsize);
        return 0;
    }
    std::uint64_t unmap_pages(std::uint64_t iova, std::uint64_t pgsize, std::uint64_t pgcount,
                              IommuIotlbGather& gather) override {
        std::uint64_t unmapped = 0;
        for (std::uint64_t i = 0; i < pgcount; ++i) {
            const auto page = pages.find(iova + i * pgsize);
            if (page == pages.end()) break;
            unmapped += page->second.size;
            gather.add_range(page->first, page->second.size);
            pages.erase(page);
        }
        return unmapped;
    }
    int iotlb_sync_map(std::uint64_t, std::uint64_t) override {
        ++sync_maps;
        return 0;
    }
    void iotlb_sync(IommuIotlbGather& gather) override {
        if (!gather.empty()) ++syncs;
    }
    void flush_iotlb_all() override { ++flush_alls; }
    std::uint64_t iova_to_phys(std::uint64_t iova) override {
        for (const auto& [start, page] : pages)
            if (iova >= start && iova - start < page.size) return page.paddr + (iova - start);
        return 0;
    }

    struct Page {
        std::uint64_t paddr, size;
        int prot;
    };
    FakeHardware& hw;
    std::map<std::uint64_t, Page> pages;
    std::vector<std::uint64_t> map_calls;  // page size of each map_pages call
    unsigned sync_maps = 0, syncs = 0, flush_alls = 0;
    bool fail_attach = false;
    bool fail_map = false;
};

enum class GroupPolicy { per_device, singleton, pci };

class FakeIommuOps final : public IommuOps {
public:
    explicit FakeIommuOps(FakeHardware& hardware)
        : hw(hardware),
          blocked(IOMMU_DOMAIN_BLOCKED, nullptr, hardware, "blocked"),
          identity(IOMMU_DOMAIN_IDENTITY, nullptr, hardware, "identity") {
        blocked_domain = &blocked;
        identity_domain = &identity;
        pgsize_bitmap = 0x1000 | 0x200000 | 0x40000000;  // 4K, 2M, 1G
        name = "fake-iommu";
        instance.max_pasids = 1u << 20;
    }

    int probe_device(Device& dev, IommuDevice*& iommu_dev) override {
        const IommuFwspec* fwspec = dev_iommu_fwspec_get(dev);
        const bool by_fwspec = fwspec && fwspec->ops == this;
        if (!by_fwspec && !served_without_fwspec.count(dev.name())) return -ENODEV;
        ++probes[dev.name()];
        iommu_dev = &instance;
        return 0;
    }
    void release_device(Device& dev) override {
        hw.log.push_back("release " + dev.name());
        hw.rid.erase(&dev);
    }
    int device_group(Device& dev, IommuGroup*& group) override {
        switch (policy) {
            case GroupPolicy::singleton: return generic_single_device_group(dev, group);
            case GroupPolicy::pci: return pci_device_group(dev, group);
            default: return generic_device_group(dev, group);
        }
    }
    IommuDomain* domain_alloc_paging(Device&, unsigned type) override {
        if (fail_paging_alloc) return nullptr;
        auto* domain = new FakeDomain(type, this, hw, std::string(domain_type_name(type)) + "#" + std::to_string(++allocated));
        return domain;
    }
    void domain_free(IommuDomain& domain) override { freed.push_back(domain.name); }
    unsigned def_domain_type(Device& dev) override {
        const auto found = required_types.find(dev.name());
        return found == required_types.end() ? 0 : found->second;
    }
    bool is_attach_deferred(Device& dev) override { return deferred.count(dev.name()) != 0; }
    void get_resv_regions(Device& dev, std::vector<IommuResvRegion>& regions) override {
        const auto found = resv.find(dev.name());
        if (found != resv.end()) regions.insert(regions.end(), found->second.begin(), found->second.end());
    }
    void page_response(Device& dev, const PageRequest&, const PageResponse& response) override {
        responses.push_back(dev.name() + " grp " + std::to_string(response.grpid) + " " +
                            (response.code == PageResponseCode::success ? "success" : "failure"));
    }

    FakeHardware& hw;
    FakeDomain blocked, identity;
    IommuDevice instance;
    GroupPolicy policy = GroupPolicy::per_device;
    std::set<std::string> served_without_fwspec;
    std::map<std::string, unsigned> required_types;
    std::set<std::string> deferred;
    std::map<std::string, std::vector<IommuResvRegion>> resv;
    std::map<std::string, int> probes;
    std::vector<std::string> freed;
    std::vector<std::string> responses;
    unsigned allocated = 0;
    bool fail_paging_alloc = false;
};

using testing::NoHardware;

// A firmware node for a platform device, optionally behind `iommu` with one StreamID.
inline kernel::FwNode node(const std::string& name, const std::string& compatible, const std::string& iommu = "",
                           std::uint32_t stream_id = 0) {
    kernel::FwNode n;
    n.name = name;
    n.compatible = compatible;
    if (!iommu.empty()) n.iommus = {{iommu, {stream_id}}};
    return n;
}

constexpr std::uint64_t kDmaWindow = 0x8000'0000, kDmaWindowSize = 0x10'0000;

// The runtime, the fake driver registered as the platform driver of "test,iommu" nodes (its probe
// registers the instance, as an SMMUv3 driver does), and a client driver for "test,client" nodes that
// uses the DMA API.
struct Bench {
    NoHardware machine;
    std::unique_ptr<kernel::Runtime> runtime;
    std::ostringstream reports;
    kernel::FirmwareDescription firmware;
    FakeHardware hw;
    FakeIommuOps ops{hw};
    kernel::PlatformDriver iommu_driver{"fake-iommu"};
    kernel::PlatformDriver client_driver{"client"};
    Log bound;  // client probes, in order

    explicit Bench(const std::string& command_line = "") {
        kernel::RuntimeParams params;
        params.command_line = command_line;
        params.dma_window_base = kDmaWindow;  // what dma_alloc_coherent hands out
        params.dma_window_size = kDmaWindowSize;
        runtime = std::make_unique<kernel::Runtime>(machine, params);
        runtime->set_report_sink(&reports);
        runtime->set_firmware(firmware);
        iommu_driver.of_match_table = {"test,iommu"};
        iommu_driver.probe = [this](Device& dev) {
            ops.instance.name = dev.name();
            return iommu_device_register(ops.instance, ops, &dev);
        };
        iommu_driver.remove = [this](Device&) { iommu_device_unregister(ops.instance); };
        client_driver.of_match_table = {"test,client"};
        client_driver.probe = [this](Device& dev) {
            bound.push_back(dev.name());
            return 0;
        };
    }
    void boot(std::function<void()> body) { runtime->spawn("boot", std::move(body)); }
    // Reports other than the named warnings the test expects: lock-order, hang, BUG, config, and any
    // WARN not in `expected_warnings`.
    std::size_t unexpected_reports(const std::set<std::string>& expected_warnings = {}) const {
        std::size_t count = 0;
        for (const kernel::RuntimeReport& report : runtime->reports()) {
            const bool expected = report.kind == "warning" && report.title.rfind("WARN ", 0) == 0 &&
                                  expected_warnings.count(report.title.substr(5));
            if (!expected) ++count;
        }
        return count;
    }
};

// dmaA and dmaB are added before the IOMMU's node, dmaC after it (section 13 S2's platform).
inline void describe_platform(Bench& bench) {
    bench.firmware.platform_devices = {node("dmaA", "test,client", "smmu0", 0x10),
                                       node("dmaB", "test,client", "smmu0", 0x11), node("smmu0", "test,iommu"),
                                       node("dmaC", "test,client", "smmu0", 0x12)};
}

// Boots the platform: the IOMMU core, both drivers, the devices, then the late initcall that retries
// deferred probes. Returns the devices in firmware order.
inline std::vector<kernel::PlatformDevice*> boot_platform(Bench& bench) {
    iommu_subsys_init();
    kernel::platform_driver_register(bench.client_driver);
    kernel::platform_driver_register(bench.iommu_driver);
    std::vector<kernel::PlatformDevice*> devices = kernel::of_platform_populate(bench.firmware);
    kernel::deferred_probe_initcall();
    kernel::wait_for_device_probe();
    return devices;
}

// Unregisters the devices, last added first, the IOMMUs after every client (an IOMMU whose clients
// are still bound is not something a driver allows to go).
inline void unregister_all(const std::vector<kernel::PlatformDevice*>& devices) {
    std::vector<kernel::PlatformDevice*> order;  // decided first: an unregistered device may be freed
    for (const bool iommus : {false, true})
        for (auto it = devices.rbegin(); it != devices.rend(); ++it)
            if (((*it)->fwnode && (*it)->fwnode->compatible == "test,iommu") == iommus) order.push_back(*it);
    for (kernel::PlatformDevice* dev : order) kernel::platform_device_unregister(*dev);
}

}  // namespace iommu_vp::testing::iommu_bench
