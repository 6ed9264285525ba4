// The DMA API over the IOMMU core with the fake driver (section 8 of iommu-core.md): mappings as the
// domain sees them, the IOVA layout (top-down below the DMA mask, reserved regions skipped, reuse),
// strict invalidation before unmap returns, lazy invalidation batched by the flush queue and its timer,
// scatter-gather merging, the deferred attach on first use, and the direct path without translation.
//
// Expected IOVAs follow the allocator's rules: a device with a 32-bit mask gets pfns counted down from
// 0xfffff; sizes up to 32 pages are rounded up to a power of two and aligned to it.
#include "iommu_core_bench.h"
#include "sc_test.h"
#include "sw_stack/iommu/dma_iommu.h"
#include "sw_stack/kernel/delay.h"
#include "sw_stack/kernel/warn.h"

#include <gtest/gtest.h>

#include <set>

namespace iommu_vp {
namespace {

using namespace testing::iommu_bench;
using kernel::PlatformDevice;

class IommuDmaTest : public testing::ScTest {};

FakeDomain& dma_domain(Device& dev) { return static_cast<FakeDomain&>(*iommu_get_dma_domain(dev)); }

TEST_F(IommuDmaTest, StrictMappingsAreTopDownReusedAndInvalidatedBeforeUnmapReturns) {
    Bench bench;
    describe_platform(bench);
    std::vector<std::uint64_t> dma;
    std::vector<std::string> steps;
    bench.boot([&] {
        std::vector<PlatformDevice*> devices = boot_platform(bench);
        Device& a = *devices[0];
        FakeDomain& domain = dma_domain(a);
        dma.push_back(dma_map_single(a, 0x8000'1234, 0x100, DmaDirection::to_device));
        const FakeDomain::Page page = domain.pages.at(dma[0] & ~0xfffull);
        steps.push_back("page " + std::to_string(page.paddr) + " prot " + std::to_string(page.prot));
        steps.push_back("phys " + std::to_string(iommu_iova_to_phys(domain, dma[0])));
        dma_unmap_single(a, dma[0], 0x100, DmaDirection::to_device);
        steps.push_back("after unmap: pages " + std::to_string(domain.pages.size()) + " syncs " +
                        std::to_string(domain.syncs));
        dma.push_back(dma_map_single(a, 0x8000'5000, 0x1000, DmaDirection::from_device));  // reuses the IOVA
        dma.push_back(dma_map_single(a, 0x8001'0000, 0x2000, DmaDirection::bidirectional));
        steps.push_back("prot " + std::to_string(domain.pages.at(dma[2]).prot));
        unregister_all(devices);
    });
    sc_core::sc_start();
    EXPECT_EQ(dma, (std::vector<std::uint64_t>{0xffff'f234, 0xffff'f000, 0xffff'c000}));
    EXPECT_EQ(steps, (std::vector<std::string>{
                         "page " + std::to_string(0x8000'1000) + " prot " + std::to_string(IOMMU_READ),
                         "phys " + std::to_string(0x8000'1234),
                         "after unmap: pages 0 syncs 1",
                         "prot " + std::to_string(IOMMU_READ | IOMMU_WRITE),
                     }));
    EXPECT_EQ(bench.unexpected_reports(), 0u) << bench.reports.str();
}

TEST_F(IommuDmaTest, ReservedRegionsAreNeverHandedOut) {
    Bench bench;
    describe_platform(bench);
    IommuResvRegion msi;
    msi.start = 0xffff'0000;
    msi.length = 0x1'0000;
    msi.type = ResvType::msi;
    bench.ops.resv["dmaA"] = {msi};
    std::uint64_t dma = 0;
    bench.boot([&] {
        std::vector<PlatformDevice*> devices = boot_platform(bench);
        dma = dma_map_single(*devices[0], 0x8000'0000, 0x1000, DmaDirection::to_device);
        unregister_all(devices);
    });
    sc_core::sc_start();
    EXPECT_EQ(dma, 0xfffe'f000u);  // the first page below the reserved window
}

TEST_F(IommuDmaTest, LazyUnmapsAreBatchedUntilTheQueueFillsOrTheTimerFires) {
    Bench bench("sw.core.strict=0 sw.core.fq_size=4");
    describe_platform(bench);
    std::vector<std::uint64_t> dma;
    std::vector<std::string> steps;
    std::uint64_t reused = 0;
    DmaDomainStats stats;
    bench.boot([&] {
        std::vector<PlatformDevice*> devices = boot_platform(bench);
        Device& a = *devices[0];
        FakeDomain& domain = dma_domain(a);
        auto state = [&] {
            return "flushes " + std::to_string(domain.flush_alls) + " syncs " + std::to_string(domain.syncs);
        };
        for (int i = 0; i < 4; ++i) {
            dma.push_back(dma_map_single(a, 0x8000'0000, 0x1000, DmaDirection::to_device));
            dma_unmap_single(a, dma.back(), 0x1000, DmaDirection::to_device);
        }
        steps.push_back("four queued: " + state());
        dma.push_back(dma_map_single(a, 0x8000'0000, 0x1000, DmaDirection::to_device));
        dma_unmap_single(a, dma.back(), 0x1000, DmaDirection::to_device);
        steps.push_back("fifth, queue full: " + state());
        reused = dma_map_single(a, 0x8000'0000, 0x1000, DmaDirection::to_device);
        dma_unmap_single(a, reused, 0x1000, DmaDirection::to_device);
        kernel::msleep(9);
        steps.push_back("9 ms: " + state());
        kernel::msleep(2);
        steps.push_back("11 ms: " + state());
        stats = *iommu_dma_stats(domain);
        unregister_all(devices);
    });
    sc_core::sc_start();
    // No IOVA comes back before a flush that started after its unmap (I-DMA-1).
    EXPECT_EQ(std::set<std::uint64_t>(dma.begin(), dma.end()).size(), 5u);
    EXPECT_TRUE(std::set<std::uint64_t>(dma.begin(), dma.begin() + 4).count(reused)) << std::hex << reused;
    EXPECT_EQ(steps, (std::vector<std::string>{
                         "four queued: flushes 0 syncs 0",
                         "fifth, queue full: flushes 1 syncs 0",
                         "9 ms: flushes 1 syncs 0",  // the timer was armed by the first unmap at about 0 ms...
                         "11 ms: flushes 2 syncs 0",  // ...and flushes 10 ms later
                     }));
    EXPECT_EQ(stats.fq_queued, 6u);
    EXPECT_EQ(stats.fq_full_flushes, 1u);
    EXPECT_EQ(stats.fq_timer_flushes, 1u);
    EXPECT_EQ(stats.fq_released, 6u);
    EXPECT_EQ(stats.strict_syncs, 0u);
    EXPECT_EQ(bench.unexpected_reports(), 0u) << bench.reports.str();
}

TEST_F(IommuDmaTest, ScatterGatherUsesOneRangeMergesContiguousEntriesAndSyncsOnce) {
    Bench bench;
    describe_platform(bench);
    std::vector<ScatterEntry> sg(3);
    sg[0].paddr = 0x8000'0000, sg[0].length = 0x1000;
    sg[1].paddr = 0x8000'7000, sg[1].length = 0x1000;  // starts a page: continues the first in IOVA space
    sg[2].paddr = 0x8000'9100, sg[2].length = 0x200;   // starts mid-page: a new segment
    int segments = 0;
    unsigned sync_maps = 0, syncs = 0;
    std::size_t pages_left = 1;
    bench.boot([&] {
        std::vector<PlatformDevice*> devices = boot_platform(bench);
        Device& a = *devices[0];
        FakeDomain& domain = dma_domain(a);
        segments = dma_map_sg(a, sg, DmaDirection::to_device);
        sync_maps = domain.sync_maps;
        dma_unmap_sg(a, sg, DmaDirection::to_device);
        syncs = domain.syncs;
        pages_left = domain.pages.size();
        unregister_all(devices);
    });
    sc_core::sc_start();
    // Three pages in all, so a 4-page aligned range: pfns 0xffffc-0xfffff.
    EXPECT_EQ(segments, 2);
    EXPECT_EQ(sg[0].dma_address, 0xffff'c000u);
    EXPECT_EQ(sg[0].dma_length, 0x2000u);
    EXPECT_EQ(sg[1].dma_length, 0u);
    EXPECT_EQ(sg[2].dma_address, 0xffff'e100u);
    EXPECT_EQ(sg[2].dma_length, 0x200u);
    EXPECT_EQ(sync_maps, 1u);
    EXPECT_EQ(syncs, 1u);
    EXPECT_EQ(pages_left, 0u);
}

TEST_F(IommuDmaTest, AFailedMapFreesItsIovaAtOnce) {
    Bench bench("sw.core.strict=0");  // even in lazy mode, never through the queue
    describe_platform(bench);
    std::vector<std::uint64_t> dma;
    bench.boot([&] {
        std::vector<PlatformDevice*> devices = boot_platform(bench);
        Device& a = *devices[0];
        dma_domain(a).fail_map = true;
        dma.push_back(dma_map_single(a, 0x8000'0000, 0x1000, DmaDirection::to_device));
        dma_domain(a).fail_map = false;
        dma.push_back(dma_map_single(a, 0x8000'0000, 0x1000, DmaDirection::to_device));
        unregister_all(devices);
    });
    sc_core::sc_start();
    EXPECT_EQ(dma, (std::vector<std::uint64_t>{DMA_MAPPING_ERROR, 0xffff'f000}));
}

void run_deferred_first_map(const char* command_line, const std::string& expected_hardware) {
    Bench bench(command_line);
    describe_platform(bench);
    bench.ops.deferred = {"dmaA"};
    std::string before, after;
    bench.boot([&] {
        iommu_subsys_init();
        iommu_set_deferred_attach_enabled(true);  // a crash kernel
        std::vector<PlatformDevice*> devices = boot_platform(bench);
        Device& a = *devices[0];
        before = bench.hw.name_of(bench.hw.rid[&a]);
        dma_map_single(a, 0x8000'0000, 0x1000, DmaDirection::to_device);
        after = bench.hw.name_of(bench.hw.rid[&a]);
        unregister_all(devices);
    });
    sc_core::sc_start();
    EXPECT_EQ(before, "none");
    EXPECT_EQ(after, expected_hardware);
}

TEST_F(IommuDmaTest, TheFirstMapOfADeferredDeviceAttachesItsDefaultDomain) { run_deferred_first_map("", "DMA#1"); }

TEST_F(IommuDmaTest, WithoutTheLazyAttachTheFirstMapLeavesTheDeviceOnItsInheritedTables) {
    run_deferred_first_map("sw.core.bug_no_lazy_attach=1", "none");  // S1b's symptom
}

TEST_F(IommuDmaTest, CoherentMemoryIsMappedBothWaysAndPassthroughDevicesUseThePhysicalAddress) {
    Bench bench;
    describe_platform(bench);
    bench.ops.required_types["dmaB"] = IOMMU_DOMAIN_IDENTITY;
    std::uint64_t handle = 0, direct_handle = 0;
    std::optional<std::uint64_t> cpu, direct_cpu;
    int prot = 0;
    std::uint64_t direct = 0, beyond_mask = 0;
    std::size_t pages_after_free = 1;
    bench.boot([&] {
        std::vector<PlatformDevice*> devices = boot_platform(bench);
        Device& a = *devices[0];
        Device& b = *devices[1];
        cpu = dma_alloc_coherent(a, 0x2000, handle);
        prot = dma_domain(a).pages.at(handle).prot;
        dma_free_coherent(a, 0x2000, *cpu, handle);
        pages_after_free = dma_domain(a).pages.size();
        direct = dma_map_single(b, 0x8000'4321, 0x10, DmaDirection::to_device);
        beyond_mask = dma_map_single(b, 0x1'0000'0000, 0x10, DmaDirection::to_device);  // above its 32-bit mask
        direct_cpu = dma_alloc_coherent(b, 0x1000, direct_handle);
        dma_free_coherent(b, 0x1000, *direct_cpu, direct_handle);
        unregister_all(devices);
    });
    sc_core::sc_start();
    ASSERT_TRUE(cpu.has_value());
    EXPECT_EQ(*cpu, kDmaWindow);
    EXPECT_EQ(handle, 0xffff'e000u);  // two pages, aligned to two
    EXPECT_EQ(prot, IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE);
    EXPECT_EQ(pages_after_free, 0u);
    EXPECT_EQ(direct, 0x8000'4321u);
    EXPECT_EQ(beyond_mask, DMA_MAPPING_ERROR);
    EXPECT_EQ(direct_handle, *direct_cpu);
    EXPECT_EQ(bench.unexpected_reports(), 0u) << bench.reports.str();
}

TEST_F(IommuDmaTest, AGroupsDefaultTypeChangesLiveToLazyButOtherwiseOnlyWithoutADriver) {
    Bench bench;
    describe_platform(bench);
    std::vector<std::string> steps;
    bench.boot([&] {
        std::vector<PlatformDevice*> devices = boot_platform(bench);
        Device& a = *devices[0];
        IommuGroup& group = *a.iommu_group;
        auto state = [&] {
            return std::string(domain_type_name(group.default_domain->type)) + " on " + bench.hw.name_of(bench.hw.rid[&a]) +
                   (a.dma_iommu ? " translated" : " direct");
        };
        int ret = iommu_group_change_default_domain(group, IOMMU_DOMAIN_IDENTITY);
        steps.push_back("identity while bound " + std::string(kernel::errno_name(ret)) + " " + state());
        ret = iommu_group_change_default_domain(group, IOMMU_DOMAIN_DMA_FQ);
        steps.push_back("lazy while bound " + std::string(kernel::errno_name(ret)) + " " + state());
        const std::uint64_t dma = dma_map_single(a, 0x8000'0000, 0x1000, DmaDirection::to_device);
        dma_unmap_single(a, dma, 0x1000, DmaDirection::to_device);
        steps.push_back("queued " + std::to_string(iommu_dma_stats(*group.default_domain)->fq_queued));
        kernel::device_release_driver(a);
        ret = iommu_group_change_default_domain(group, IOMMU_DOMAIN_IDENTITY);
        steps.push_back("identity unbound " + std::string(kernel::errno_name(ret)) + " " + state());
        unregister_all(devices);
    });
    sc_core::sc_start();
    EXPECT_EQ(steps, (std::vector<std::string>{
                         "identity while bound EPERM DMA on DMA#1 translated",
                         "lazy while bound 0 DMA_FQ on DMA#1 translated",
                         "queued 1",
                         "identity unbound 0 IDENTITY on identity direct",
                     }));
    EXPECT_EQ(bench.ops.freed.at(0), "DMA#1");  // the old default domain
    EXPECT_EQ(bench.unexpected_reports(), 0u) << bench.reports.str();
}

}  // namespace
}  // namespace iommu_vp
