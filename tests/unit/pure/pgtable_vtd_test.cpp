// VT-d second-level and first-level page tables against a recording fake memory. Expected entries,
// indices and level counts are worked out here from the VT-d specification (9.7 first-level and
// 9.8 second-level paging entries; 3.6/3.7 level walks: 9 index bits a level above a 4K page) and
// Linux intel-iommu's documented choices, not taken from the code under test.
#include "sw_stack/iommu/pgtable/vtd_pgtable.h"

#include "sw_stack/iommu/pgtable/io_pgtable.h"
#include "sw_stack/iommu/prot.h"
#include "tests/unit/pure/fake_pgtable_memory.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace iommu_vp::iommu;
using iommu_vp::iommu::testing::check_publish_before_link;
using iommu_vp::iommu::testing::FakePgtableMemory;
using iommu_vp::iommu::testing::MemoryEvent;
using iommu_vp::iommu::testing::RecordingFlushOps;

// ---- paging-entry fields (VT-d spec 9.7, 9.8), written out here --------------------------------
constexpr std::uint64_t bit(unsigned n) { return std::uint64_t{1} << n; }
// Second level.
constexpr std::uint64_t kSlR = bit(0);
constexpr std::uint64_t kSlW = bit(1);
constexpr std::uint64_t kSlSnp = bit(11);
// First level (IA-32e).
constexpr std::uint64_t kFlP = bit(0);
constexpr std::uint64_t kFlRw = bit(1);
constexpr std::uint64_t kFlUs = bit(2);
constexpr std::uint64_t kFlA = bit(5);
constexpr std::uint64_t kFlD = bit(6);
constexpr std::uint64_t kFlXd = bit(63);
// Both.
constexpr std::uint64_t kPs = bit(7);
constexpr std::uint64_t kAddr51To12 = 0x000F'FFFF'FFFF'F000ull;

constexpr std::uint64_t k4K = 1ull << 12, k2M = 1ull << 21, k1G = 1ull << 30;
constexpr int kRw = IOMMU_READ | IOMMU_WRITE;
constexpr IoPgtableFmt SL = IoPgtableFmt::VTD_SECOND_LEVEL;
constexpr IoPgtableFmt FL = IoPgtableFmt::VTD_FIRST_LEVEL;

// The index an IOVA selects at VT-d level `level` (1 = the 4K leaf table).
std::uint64_t index_at(std::uint64_t iova, unsigned level) { return (iova >> (12 + 9 * (level - 1))) & 511; }

struct Vtd {
    FakePgtableMemory memory;
    RecordingFlushOps flush;
    IoPgtableCfg cfg;
    std::string why;
    std::unique_ptr<IoPgtable> pgt;

    Vtd(IoPgtableFmt fmt, unsigned ias, std::uint64_t pgsizes = k4K | k2M | k1G,
        PartialBlockUnmap partial = PartialBlockUnmap::unmap_whole_block, unsigned levels = 0, bool snoop = false) {
        cfg.pgsize_bitmap = pgsizes;
        cfg.ias = ias;
        cfg.oas = 46;
        cfg.tlb = &flush;
        cfg.partial_block_unmap = partial;
        cfg.vtd_levels = levels;
        cfg.vtd_snoop = snoop;
        pgt = alloc_io_pgtable_ops(fmt, cfg, memory, &why);
    }
    // The table a non-leaf entry points to; checks the entry is exactly `link_bits` plus a live table.
    std::uint64_t follow(std::uint64_t table, std::uint64_t index, std::uint64_t link_bits) {
        const std::uint64_t link = memory.word(table + 8 * index);
        EXPECT_EQ(link & ~kAddr51To12, link_bits) << std::hex << link;
        EXPECT_TRUE(memory.is_live_table(link & kAddr51To12)) << std::hex << link;
        return link & kAddr51To12;
    }
    // Walks a 4-level table from the root down to `level` for iova.
    std::uint64_t table_at(std::uint64_t iova, unsigned level, std::uint64_t link_bits) {
        std::uint64_t table = cfg.vtd_cfg.root;
        for (unsigned l = cfg.vtd_cfg.levels; l > level; --l) table = follow(table, index_at(iova, l), link_bits);
        return table;
    }
    int map(std::uint64_t iova, std::uint64_t pa, std::uint64_t size, std::size_t count = 1, int prot = kRw) {
        std::uint64_t mapped = 0;
        const int err = pgt->map_pages(iova, pa, size, count, prot, &mapped);
        if (!err) {
            EXPECT_EQ(mapped, size * count);
        }
        return err;
    }
};

constexpr std::uint64_t kSlLink = kSlR | kSlW;
constexpr std::uint64_t kFlLink = kFlP | kFlRw | kFlUs | kFlA;

// ---- levels -----------------------------------------------------------------------------------

TEST(VtdGeometry, LevelsAgawAndInputLimitFollowTheAddressWidth) {
    struct Case {
        IoPgtableFmt fmt;
        unsigned ias, forced_levels;
        unsigned levels, ias_out;
    };
    // Widths: 3 levels 39 bits, 4 levels 48, 5 levels 57; first level keeps the canonical lower half.
    const Case cases[] = {{SL, 39, 0, 3, 39}, {SL, 32, 0, 3, 32}, {SL, 48, 0, 4, 48}, {SL, 46, 0, 4, 46},
                          {SL, 57, 0, 5, 57}, {SL, 39, 4, 4, 39}, {FL, 48, 0, 4, 47}, {FL, 39, 0, 4, 39},
                          {FL, 57, 0, 5, 56}, {FL, 48, 5, 5, 48}};
    for (const Case& c : cases) {
        SCOPED_TRACE(std::string(io_pgtable_fmt_name(c.fmt)) + " ias " + std::to_string(c.ias));
        Vtd t(c.fmt, c.ias, k4K | k2M, PartialBlockUnmap::unmap_whole_block, c.forced_levels);
        ASSERT_TRUE(t.pgt) << t.why;
        EXPECT_EQ(t.cfg.vtd_cfg.levels, c.levels);
        EXPECT_EQ(t.cfg.vtd_cfg.agaw, c.levels - 2);
        EXPECT_EQ(t.cfg.vtd_cfg.five_level, c.levels == 5);
        EXPECT_EQ(t.cfg.ias, c.ias_out);
        EXPECT_EQ(t.cfg.vtd_cfg.root, t.pgt->root());
        EXPECT_EQ(t.memory.table_bytes(t.pgt->root()), 4096u);
        EXPECT_EQ(t.map((1ull << c.ias_out) - k4K, 0x1000, k4K), 0) << "the top page of the input range";
        EXPECT_EQ(t.map(1ull << c.ias_out, 0x1000, k4K), -EINVAL) << "beyond it";
    }
}

TEST(VtdGeometry, FactoryRejectsWhatTheFormatCannotExpress) {
    struct Bad {
        IoPgtableFmt fmt;
        unsigned ias, levels;
        std::uint64_t pgsizes;
        unsigned oas;
    };
    const Bad bad[] = {{SL, 58, 0, k4K, 46},  {SL, 48, 3, k4K, 46}, {SL, 39, 2, k4K, 46}, {FL, 48, 3, k4K, 46},
                       {SL, 48, 6, k4K, 46},  {SL, 48, 0, k2M, 46}, {SL, 48, 0, k4K, 31}, {SL, 48, 0, k4K, 53},
                       {SL, 0, 0, k4K, 46}};
    for (const Bad& b : bad) {
        SCOPED_TRACE("ias " + std::to_string(b.ias) + " levels " + std::to_string(b.levels));
        FakePgtableMemory memory;
        IoPgtableCfg cfg;
        cfg.pgsize_bitmap = b.pgsizes;
        cfg.ias = b.ias;
        cfg.oas = b.oas;
        cfg.vtd_levels = b.levels;
        std::string why;
        EXPECT_FALSE(alloc_io_pgtable_ops(b.fmt, cfg, memory, &why));
        EXPECT_FALSE(why.empty());
        EXPECT_EQ(memory.live_tables(), 0u);
    }
    // 1G without 2M: no superpage (Linux counts superpage levels from 2M up).
    Vtd only_1g(SL, 48, k4K | k1G);
    ASSERT_TRUE(only_1g.pgt) << only_1g.why;
    EXPECT_EQ(only_1g.cfg.pgsize_bitmap, k4K);
}

// ---- round trips ------------------------------------------------------------------------------

void round_trip(IoPgtableFmt fmt, unsigned ias, std::uint64_t pgsizes) {
    SCOPED_TRACE(std::string(io_pgtable_fmt_name(fmt)) + " ias " + std::to_string(ias) + " sizes " +
                 std::to_string(pgsizes));
    Vtd t(fmt, ias, pgsizes);
    ASSERT_TRUE(t.pgt) << t.why;
    const std::uint64_t top = 1ull << t.cfg.ias;
    const std::uint64_t iovas[] = {0, 5 * k1G, top - 2 * k1G, top - k1G};
    std::uint64_t pa = 0;
    for (std::uint64_t size = k4K; size <= k1G; size <<= 9) {
        if (!(t.cfg.pgsize_bitmap & size)) continue;
        for (const std::uint64_t base : iovas) {
            const std::uint64_t iova = base + (size == k4K ? 7 * k4K : 0);
            ASSERT_EQ(t.map(iova, pa, size), 0) << std::hex << iova << " " << size;
            EXPECT_EQ(t.map(iova, pa + size, size), -EEXIST);
            EXPECT_EQ(t.pgt->iova_to_phys(iova + 42), pa + 42);
            EXPECT_EQ(t.pgt->iova_to_phys(iova + size - 1), pa + size - 1);
            IommuIotlbGather gather;
            EXPECT_EQ(t.pgt->unmap_pages(iova, size, 1, &gather), size);
            EXPECT_EQ(t.pgt->iova_to_phys(iova + 42), 0u);
            t.pgt->put_pages_list(gather.freelist);
            ASSERT_EQ(t.map(iova, pa, size, 1, IOMMU_READ), 0);
            EXPECT_EQ(t.pgt->iova_to_phys(iova), pa);
            // Without a gather: freed at once. The next, larger size then replaces the empty tables.
            EXPECT_EQ(t.pgt->unmap_pages(iova, size, 1, nullptr), size);
            pa += k1G;
        }
    }
    t.pgt.reset();
    EXPECT_EQ(t.flush.flush_all, 1);
    EXPECT_EQ(t.memory.live_tables(), 0u);
    EXPECT_EQ(t.memory.bad_accesses, 0);
    EXPECT_EQ(t.memory.bad_frees, 0);
}

TEST(VtdRoundTrip, EveryLevelCountAndSuperpageSetting) {
    for (const std::uint64_t pgsizes : {k4K, k4K | k2M, k4K | k2M | k1G}) {
        round_trip(SL, 39, pgsizes);
        round_trip(SL, 48, pgsizes);
        round_trip(SL, 57, pgsizes);
        round_trip(FL, 48, pgsizes);
        round_trip(FL, 57, pgsizes);
    }
}

// ---- exact entries ----------------------------------------------------------------------------

TEST(VtdEntries, SecondLevelLeavesAndLinks) {
    Vtd t(SL, 48);
    ASSERT_TRUE(t.pgt) << t.why;
    const std::uint64_t iova = (1ull << 39) | (1ull << 30) | (1ull << 21) | (3ull << 12);  // indices 1, 1, 1, 3
    ASSERT_EQ(t.map(iova, 0x1234'5000, k4K, 1, kRw | IOMMU_CACHE), 0);
    ASSERT_EQ(t.map(iova + k4K, 0x1234'6000, k4K, 1, IOMMU_READ), 0);
    ASSERT_EQ(t.map(iova + 2 * k4K, 0x1234'7000, k4K, 1, IOMMU_WRITE), 0);
    const std::uint64_t l1 = t.table_at(iova, 1, kSlLink);
    EXPECT_EQ(index_at(iova, 1), 3u);
    EXPECT_EQ(t.memory.word(l1 + 8 * 3), 0x1234'5000 | kSlR | kSlW);
    EXPECT_EQ(t.memory.word(l1 + 8 * 4), 0x1234'6000 | kSlR);
    // Linux sets bit 0 on every leaf (its first-level present bit), so write-only reads as R|W.
    EXPECT_EQ(t.memory.word(l1 + 8 * 5), 0x1234'7000 | kSlR | kSlW);
    EXPECT_EQ(t.pgt->iova_to_phys(iova + 0x10), 0x1234'5010u);
}

TEST(VtdEntries, SecondLevelSnoopWhenAsked) {
    Vtd t(SL, 39, k4K | k2M, PartialBlockUnmap::unmap_whole_block, 0, /*snoop=*/true);
    ASSERT_TRUE(t.pgt) << t.why;
    ASSERT_EQ(t.map(k2M, 0x40'0000, k4K, 512), 0);
    const std::uint64_t l2 = t.table_at(k2M, 2, kSlLink);
    EXPECT_EQ(t.memory.word(l2 + 8), 0x40'0000 | kSlR | kSlW | kPs | kSlSnp);
}

TEST(VtdEntries, FirstLevelLeavesAndLinks) {
    Vtd t(FL, 48);
    ASSERT_TRUE(t.pgt) << t.why;
    const std::uint64_t iova = (1ull << 39) | (1ull << 30) | (1ull << 21) | (3ull << 12);
    ASSERT_EQ(t.map(iova, 0x1234'5000, k4K), 0);
    ASSERT_EQ(t.map(iova + k4K, 0x1234'6000, k4K, 1, IOMMU_READ), 0);
    ASSERT_EQ(t.map(iova + 2 * k4K, 0x1234'7000, k4K, 1, IOMMU_READ | IOMMU_NOEXEC), 0);
    const std::uint64_t l1 = t.table_at(iova, 1, kFlLink);
    // A and D preset (D only where writes are allowed), U/S set: Linux's first-level choices.
    EXPECT_EQ(t.memory.word(l1 + 8 * 3), 0x1234'5000 | kFlP | kFlRw | kFlUs | kFlA | kFlD);
    EXPECT_EQ(t.memory.word(l1 + 8 * 4), 0x1234'6000 | kFlP | kFlUs | kFlA);
    EXPECT_EQ(t.memory.word(l1 + 8 * 5), 0x1234'7000 | kFlP | kFlUs | kFlA | kFlXd);
    EXPECT_EQ(t.pgt->iova_to_phys(iova + 2 * k4K + 1), 0x1234'7001u);
    // A 2M superpage: PS at the page-directory level.
    ASSERT_EQ(t.map(4 * k2M, 0x60'0000, k2M), 0);
    const std::uint64_t l2 = t.table_at(4 * k2M, 2, kFlLink);
    EXPECT_EQ(t.memory.word(l2 + 8 * 4), 0x60'0000 | kFlP | kFlRw | kFlUs | kFlA | kFlD | kPs);
    EXPECT_EQ(t.map(1ull << 47, 0, k4K), -EINVAL) << "non-canonical for 4-level first-level paging";
}

// ---- superpages -------------------------------------------------------------------------------

TEST(VtdSuperpages, PromotedWhereAlignmentAndLengthAllow) {
    Vtd t(SL, 48, k4K | k2M);
    ASSERT_TRUE(t.pgt) << t.why;
    const std::uint64_t iova = k1G + k2M;
    const std::uint64_t pa = 0x3FE0'0000;
    ASSERT_EQ(t.map(iova, pa, k4K, 512), 0);
    const std::uint64_t l2 = t.table_at(iova, 2, kSlLink);
    EXPECT_EQ(t.memory.word(l2 + 8 * index_at(iova, 2)), pa | kSlR | kSlW | kPs);
    EXPECT_EQ(t.memory.count(MemoryEvent::Kind::alloc), 3u) << "root, level 3, level 2: no level-1 table";

    // Not where the physical address is misaligned: 512 4K leaves in one level-1 table.
    ASSERT_EQ(t.map(2 * k1G, pa + k4K, k4K, 512), 0);
    const std::uint64_t l1 = t.table_at(2 * k1G, 1, kSlLink);
    for (unsigned i = 0; i < 512; ++i) ASSERT_EQ(t.memory.word(l1 + 8 * i), (pa + k4K + i * k4K) | kSlR | kSlW) << i;

    // A superpage and then 4K pages for the tail that does not fill one.
    ASSERT_EQ(t.map(3 * k1G, 0x8000'0000, k4K, 514), 0);
    const std::uint64_t l2b = t.table_at(3 * k1G, 2, kSlLink);
    EXPECT_EQ(t.memory.word(l2b), 0x8000'0000 | kSlR | kSlW | kPs);
    const std::uint64_t tail = t.follow(l2b, 1, kSlLink);
    EXPECT_EQ(t.memory.word(tail + 8), 0x8020'1000 | kSlR | kSlW);
}

TEST(VtdSuperpages, NotWhenTheConfigurationLeavesThemOut) {
    Vtd t(SL, 48, k4K);
    ASSERT_TRUE(t.pgt) << t.why;
    ASSERT_EQ(t.map(k2M, 0x40'0000, k4K, 512), 0);
    const std::uint64_t l1 = t.table_at(k2M, 1, kSlLink);
    EXPECT_EQ(t.memory.word(l1 + 8 * 511), (0x40'0000 + 511 * k4K) | kSlR | kSlW);
    EXPECT_EQ(t.pgt->map_pages(4 * k2M, 0, k2M, 1, kRw, nullptr), -EINVAL) << "2M is not a page size here";

    Vtd g(SL, 48, k4K | k2M | k1G);
    ASSERT_TRUE(g.pgt) << g.why;
    ASSERT_EQ(g.map(k1G, 2 * k1G, k2M, 512), 0);
    const std::uint64_t l3 = g.table_at(k1G, 3, kSlLink);
    EXPECT_EQ(g.memory.word(l3 + 8), 2 * k1G | kSlR | kSlW | kPs) << "a 1G superpage at the PDPE level";

    Vtd two(SL, 48, k4K | k2M);
    ASSERT_TRUE(two.pgt) << two.why;
    ASSERT_EQ(two.map(k1G, 2 * k1G, k2M, 512), 0);
    const std::uint64_t l2 = two.table_at(k1G, 2, kSlLink);
    EXPECT_EQ(two.memory.word(l2 + 8 * 511), (2 * k1G + 511 * k2M) | kSlR | kSlW | kPs);
}

// ---- errors -----------------------------------------------------------------------------------

TEST(VtdErrors, AlreadyMappedAndBadArguments) {
    Vtd t(SL, 48, k4K | k2M);
    ASSERT_TRUE(t.pgt) << t.why;
    ASSERT_EQ(t.map(k2M, 0x40'0000, k2M), 0);
    EXPECT_EQ(t.map(k2M, 0, k2M), -EEXIST);
    EXPECT_EQ(t.map(k2M + k4K, 0, k4K), -EEXIST) << "inside a superpage";
    ASSERT_EQ(t.map(4 * k2M + k4K, 0x1000, k4K), 0);
    EXPECT_EQ(t.map(4 * k2M, 0, k4K, 512), -EEXIST) << "a superpage over a table with a live page";
    EXPECT_EQ(t.pgt->iova_to_phys(4 * k2M + k4K), 0x1000u);
    EXPECT_EQ(t.pgt->map_pages(0, 0, k4K, 1, 0, nullptr), -EINVAL);
    EXPECT_EQ(t.pgt->map_pages(0x800, 0, k4K, 1, kRw, nullptr), -EINVAL);
    EXPECT_EQ(t.pgt->map_pages(0, 1ull << 46, k4K, 1, kRw, nullptr), -EINVAL) << "beyond oas";
    t.memory.fail_allocations_after = t.memory.count(MemoryEvent::Kind::alloc);
    EXPECT_EQ(t.map(k1G * 7, 0, k4K), -ENOMEM);
}

// ---- unmap ------------------------------------------------------------------------------------

TEST(VtdUnmap, ACoveredTableGoesToTheFreelistNotStraightBack) {
    Vtd t(SL, 48, k4K | k2M);
    ASSERT_TRUE(t.pgt) << t.why;
    ASSERT_EQ(t.map(k2M, 0x40'1000, k4K, 512), 0);  // misaligned pa: 4K leaves
    const std::uint64_t l2 = t.table_at(k2M, 2, kSlLink);
    const std::uint64_t l1 = t.follow(l2, 1, kSlLink);
    const std::size_t live = t.memory.live_tables();
    IommuIotlbGather gather;
    EXPECT_EQ(t.pgt->unmap_pages(k2M, k4K, 512, &gather), k2M);
    EXPECT_EQ(t.memory.word(l2 + 8), 0u);
    ASSERT_EQ(gather.freelist.size(), 1u);
    EXPECT_EQ(gather.freelist[0], l1);
    EXPECT_EQ(t.memory.live_tables(), live) << "freed only after the IOTLB sync";
    ASSERT_EQ(t.flush.pages.size(), 1u);
    EXPECT_EQ(t.flush.pages[0].iova, k2M);
    EXPECT_EQ(t.flush.pages[0].granule, k2M);
    EXPECT_TRUE(t.flush.walks.empty()) << "VT-d's sync invalidates the paging-structure caches";
    t.pgt->put_pages_list(gather.freelist);
    EXPECT_TRUE(gather.freelist.empty());
    EXPECT_EQ(t.memory.live_tables(), live - 1);
    EXPECT_EQ(t.memory.bad_frees, 0);
}

TEST(VtdUnmap, PartOfATableClearsLeavesOnlyAndHolesDoNotStopIt) {
    Vtd t(SL, 39, k4K);
    ASSERT_TRUE(t.pgt) << t.why;
    IommuIotlbGather gather;
    EXPECT_EQ(t.pgt->unmap_pages(0x10'0000, k4K, 1, &gather), 0u) << "nothing mapped";
    ASSERT_EQ(t.map(0x10'0000, 0x20'0000, k4K, 8), 0);
    ASSERT_EQ(t.pgt->unmap_pages(0x10'1000, k4K, 1, &gather), k4K);
    gather.reset();
    EXPECT_EQ(t.pgt->unmap_pages(0x10'0000, k4K, 4, &gather), 4 * k4K) << "the hole at 0x101000 is skipped";
    EXPECT_TRUE(gather.freelist.empty());
    EXPECT_EQ(t.pgt->iova_to_phys(0x10'3000), 0u);
    EXPECT_EQ(t.pgt->iova_to_phys(0x10'4000), 0x20'4000u);
    ASSERT_EQ(t.flush.pages.size(), 2u);
    EXPECT_EQ(t.flush.pages[1].iova, 0x10'0000u);
    EXPECT_EQ(t.flush.pages[1].granule, 4 * k4K);
}

TEST(VtdUnmap, AGigabyteRangeListsEveryTableBelowIt) {
    Vtd t(SL, 48, k4K | k2M);
    ASSERT_TRUE(t.pgt) << t.why;
    ASSERT_EQ(t.map(k1G, 0x1000, k4K), 0);
    ASSERT_EQ(t.map(k1G + k2M, 0x2000, k4K), 0);
    const std::uint64_t l2 = t.table_at(k1G, 2, kSlLink);
    IommuIotlbGather gather;
    EXPECT_EQ(t.pgt->unmap_pages(k1G, k2M, 512, &gather), k1G);
    EXPECT_EQ(gather.freelist.size(), 3u) << "the level-2 table and its two level-1 tables";
    EXPECT_EQ(gather.freelist[0], l2);
    EXPECT_EQ(t.memory.word(t.table_at(k1G, 3, kSlLink) + 8), 0u);
    t.pgt->put_pages_list(gather.freelist);
    t.pgt.reset();
    EXPECT_EQ(t.memory.live_tables(), 0u);
    EXPECT_EQ(t.memory.bad_frees, 0);
    EXPECT_EQ(t.memory.bad_accesses, 0);
}

TEST(VtdUnmap, QueuedGatherSkipsThePageReportButKeepsTheFreelist) {
    Vtd t(SL, 48, k4K);
    ASSERT_TRUE(t.pgt) << t.why;
    ASSERT_EQ(t.map(0, 0x1000, k4K, 512), 0);
    IommuIotlbGather queued;
    queued.queued = true;
    EXPECT_EQ(t.pgt->unmap_pages(0, k4K, 512, &queued), k2M);
    EXPECT_TRUE(t.flush.pages.empty());
    EXPECT_EQ(queued.freelist.size(), 1u);
    t.pgt->put_pages_list(queued.freelist);
}

TEST(VtdUnmap, WithoutAGatherTheWalkIsFlushedAndTablesFreedAtOnce) {
    Vtd t(SL, 48, k4K);
    ASSERT_TRUE(t.pgt) << t.why;
    ASSERT_EQ(t.map(k2M, 0x1000, k4K, 512), 0);
    const std::uint64_t l1 = t.table_at(k2M, 1, kSlLink);
    EXPECT_EQ(t.pgt->unmap_pages(k2M, k4K, 512, nullptr), k2M);
    EXPECT_FALSE(t.memory.is_live_table(l1));
    ASSERT_EQ(t.flush.walks.size(), 1u);
    EXPECT_EQ(t.flush.walks[0].iova, k2M);
    EXPECT_EQ(t.flush.walks[0].size, k2M);
    EXPECT_EQ(t.flush.walks[0].granule, k4K);
    EXPECT_TRUE(t.flush.pages.empty());
}

TEST(VtdUnmap, ASuperpageReplacesATableLeftEmpty) {
    Vtd t(SL, 48, k4K | k2M);
    ASSERT_TRUE(t.pgt) << t.why;
    ASSERT_EQ(t.map(k2M + k4K, 0x1000, k4K), 0);
    IommuIotlbGather gather;
    ASSERT_EQ(t.pgt->unmap_pages(k2M + k4K, k4K, 1, &gather), k4K);
    const std::uint64_t l2 = t.table_at(k2M, 2, kSlLink);
    const std::uint64_t l1 = t.follow(l2, 1, kSlLink);
    ASSERT_EQ(t.map(k2M, 0x60'0000, k4K, 512), 0);
    EXPECT_FALSE(t.memory.is_live_table(l1));
    ASSERT_EQ(t.flush.walks.size(), 1u);
    EXPECT_EQ(t.flush.walks[0].iova, k2M);
    EXPECT_EQ(t.flush.walks[0].size, k2M);
    EXPECT_EQ(t.memory.word(l2 + 8), 0x60'0000 | kSlR | kSlW | kPs);
}

// ---- partial unmap of a superpage --------------------------------------------------------------

TEST(VtdPartialUnmap, DefaultUnmapsTheWholeSuperpageAsIntelDoes) {
    Vtd t(SL, 48, k4K | k2M);
    ASSERT_TRUE(t.pgt) << t.why;
    ASSERT_EQ(t.map(k2M, 0x40'0000, k2M), 0);
    IommuIotlbGather gather;
    EXPECT_EQ(t.pgt->unmap_pages(k2M, k4K, 3, &gather), k2M);
    EXPECT_EQ(t.pgt->iova_to_phys(k2M + k2M - 1), 0u);
    ASSERT_EQ(t.flush.pages.size(), 1u);
    EXPECT_EQ(t.flush.pages[0].iova, k2M);
    EXPECT_EQ(t.flush.pages[0].granule, k2M);
}

TEST(VtdPartialUnmap, RefuseChangesNothing) {
    Vtd t(SL, 48, k4K | k2M, PartialBlockUnmap::refuse);
    ASSERT_TRUE(t.pgt) << t.why;
    ASSERT_EQ(t.map(k2M, 0x40'0000, k2M), 0);
    IommuIotlbGather gather;
    EXPECT_EQ(t.pgt->unmap_pages(k2M + k4K, k4K, 1, &gather), 0u);
    EXPECT_EQ(t.pgt->iova_to_phys(k2M + k4K), 0x40'1000u);
    EXPECT_TRUE(t.flush.pages.empty());
}

TEST(VtdPartialUnmap, SplitKeepsTheRestMapped) {
    Vtd t(SL, 48, k4K | k2M | k1G, PartialBlockUnmap::split_block);
    ASSERT_TRUE(t.pgt) << t.why;
    ASSERT_EQ(t.map(k1G, 2 * k1G, k1G), 0);
    IommuIotlbGather gather;
    EXPECT_EQ(t.pgt->unmap_pages(k1G + k2M + 3 * k4K, k4K, 1, &gather), k4K);
    // 1G -> 512 superpages of 2M (PS kept), the one hit -> 512 pages of 4K (PS dropped).
    const std::uint64_t l2 = t.table_at(k1G, 2, kSlLink);
    EXPECT_EQ(t.memory.word(l2), 2 * k1G | kSlR | kSlW | kPs);
    EXPECT_EQ(t.memory.word(l2 + 8 * 511), (2 * k1G + 511 * k2M) | kSlR | kSlW | kPs);
    const std::uint64_t l1 = t.follow(l2, 1, kSlLink);
    EXPECT_EQ(t.memory.word(l1 + 8 * 2), (2 * k1G + k2M + 2 * k4K) | kSlR | kSlW);
    EXPECT_EQ(t.memory.word(l1 + 8 * 3), 0u);
    EXPECT_EQ(t.pgt->iova_to_phys(k1G + k1G - 1), 3 * k1G - 1);
    EXPECT_TRUE(gather.freelist.empty());
    ASSERT_EQ(t.flush.pages.size(), 1u);
    EXPECT_EQ(t.flush.pages[0].iova, k1G + k2M + 3 * k4K);
    EXPECT_EQ(t.flush.pages[0].granule, k4K);
    std::vector<std::uint64_t> failures;
    EXPECT_EQ(check_publish_before_link(t.memory.events, failures), 3u);  // the level-3 table, two splits
    EXPECT_TRUE(failures.empty());
}

// ---- order and lifetime -----------------------------------------------------------------------

TEST(VtdOrdering, TablesArePublishedBeforeTheyAreLinkedAndLeavesOncePerCall) {
    Vtd t(FL, 57);
    ASSERT_TRUE(t.pgt) << t.why;
    t.memory.publishes = 0;
    ASSERT_EQ(t.map(1ull << 50, 0x5000, k4K), 0);
    EXPECT_EQ(t.memory.publishes, 5) << "four new tables under a 5-level root, then the leaf";
    t.memory.publishes = 0;
    ASSERT_EQ(t.map((1ull << 50) + k4K, 0x6000, k4K, 2), 0);
    EXPECT_EQ(t.memory.publishes, 1);
    EXPECT_EQ(t.memory.events.back().kind, MemoryEvent::Kind::publish);
    std::vector<std::uint64_t> failures;
    EXPECT_EQ(check_publish_before_link(t.memory.events, failures), 4u);
    EXPECT_TRUE(failures.empty());
}

TEST(VtdLifetime, DestructionFlushesAllThenFreesEveryTable) {
    Vtd t(SL, 57, k4K | k2M);
    ASSERT_TRUE(t.pgt) << t.why;
    ASSERT_EQ(t.map(0, 0, k4K, 1000), 0);
    ASSERT_EQ(t.map(1ull << 56, 0, k2M, 3), 0);
    t.pgt.reset();
    EXPECT_EQ(t.flush.flush_all, 1);
    EXPECT_EQ(t.memory.live_tables(), 0u);
    EXPECT_EQ(t.memory.bad_frees, 0);
    EXPECT_EQ(t.memory.bad_accesses, 0);
}

}  // namespace
