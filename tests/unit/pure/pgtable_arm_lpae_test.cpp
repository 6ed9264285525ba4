// Arm LPAE io-pgtable (stage 1 and stage 2, 4K/16K/64K) against a recording fake memory. Expected
// descriptors, indices, start levels and TCR/VTCR values are worked out here from the Arm ARM's
// VMSAv8-64 definitions (D8.2 levels, D8.3 descriptor fields, TCR_EL1 / VTCR_EL2 encodings) and
// Linux io-pgtable-arm's documented choices, not taken from the code under test.
#include "sw_stack/iommu/pgtable/arm_lpae.h"

#include "sw_stack/iommu/pgtable/io_pgtable.h"
#include "sw_stack/iommu/prot.h"
#include "tests/unit/pure/fake_pgtable_memory.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace iommu_vp::iommu;
using iommu_vp::iommu::testing::check_publish_before_link;
using iommu_vp::iommu::testing::FakePgtableMemory;
using iommu_vp::iommu::testing::MemoryEvent;
using iommu_vp::iommu::testing::RecordingFlushOps;

// ---- VMSAv8-64 descriptor fields (Arm ARM D8.3), written out here ------------------------------
constexpr std::uint64_t bit(unsigned n) { return std::uint64_t{1} << n; }
constexpr std::uint64_t kTypeTable = 0b11;  // bits[1:0] at levels 0-2
constexpr std::uint64_t kTypeBlock = 0b01;  // bits[1:0] at levels 1-2
constexpr std::uint64_t kTypePage = 0b11;   // bits[1:0] at level 3
constexpr unsigned kAttrIndxLsb = 2;        // stage 1 AttrIndx[2:0] at [4:2]
constexpr unsigned kMemAttrLsb = 2;         // stage 2 MemAttr[3:0] at [5:2]
constexpr std::uint64_t kApEl0 = bit(6);    // AP[1]
constexpr std::uint64_t kApRo = bit(7);     // AP[2]
constexpr std::uint64_t kS2apRead = bit(6);
constexpr std::uint64_t kS2apWrite = bit(7);
constexpr unsigned kShLsb = 8;              // SH[1:0] at [9:8]
constexpr std::uint64_t kShOuter = 2ull << kShLsb;
constexpr std::uint64_t kShInner = 3ull << kShLsb;
constexpr std::uint64_t kAf = bit(10);
constexpr std::uint64_t kNg = bit(11);
constexpr std::uint64_t kPxn = bit(53);
constexpr std::uint64_t kUxn = bit(54);     // stage 2: XN[1]; Linux sets XN[0] (bit 53) too
constexpr std::uint64_t kAddr47To12 = 0x0000'FFFF'FFFF'F000ull;
// Linux's MAIR layout: index 0 Normal-NC, 1 Normal-WB, 2 Device-nGnRE.
constexpr std::uint64_t kIdxNc = 0, kIdxWb = 1, kIdxDevice = 2;
// Stage-2 MemAttr: 0xF Normal WB, 0x5 Normal NC, 0x1 Device-nGnRE.
constexpr std::uint64_t kMemWb = 0xF, kMemNc = 0x5;

constexpr std::uint64_t k4K = 1ull << 12, k16K = 1ull << 14, k64K = 1ull << 16;
constexpr std::uint64_t k2M = 1ull << 21, k32M = 1ull << 25, k512M = 1ull << 29, k1G = 1ull << 30;
constexpr std::uint64_t k4T = 1ull << 42;
constexpr int kRw = IOMMU_READ | IOMMU_WRITE;

std::uint64_t index_at(std::uint64_t iova, unsigned shift, unsigned bits) {
    return (iova >> shift) & ((1ull << bits) - 1);
}

// One page table with its fakes; the memory outlives the table.
struct Arm {
    FakePgtableMemory memory;
    RecordingFlushOps flush;
    IoPgtableCfg cfg;
    std::string why;
    std::unique_ptr<IoPgtable> pgt;

    Arm(IoPgtableFmt fmt, std::uint64_t pgsizes, unsigned ias, unsigned oas,
        PartialBlockUnmap partial = PartialBlockUnmap::unmap_whole_block, bool coherent = true) {
        cfg.pgsize_bitmap = pgsizes;
        cfg.ias = ias;
        cfg.oas = oas;
        cfg.tlb = &flush;
        cfg.partial_block_unmap = partial;
        cfg.coherent_walk = coherent;
        pgt = alloc_io_pgtable_ops(fmt, cfg, memory, &why);
    }
    const ArmLpaePgtable& arm() const { return static_cast<const ArmLpaePgtable&>(*pgt); }
    std::uint64_t ttb() const {
        return pgt->fmt() == IoPgtableFmt::ARM_64_LPAE_S1 ? cfg.arm_lpae_s1_cfg.ttbr : cfg.arm_lpae_s2_cfg.vttbr;
    }
    // The table a link entry points to, checking that it is exactly a table descriptor of a live table.
    std::uint64_t follow(std::uint64_t table, std::uint64_t index) {
        const std::uint64_t link = memory.word(table + 8 * index);
        EXPECT_EQ(link & ~kAddr47To12, kTypeTable) << std::hex << link;
        EXPECT_TRUE(memory.is_live_table(link & kAddr47To12)) << std::hex << link;
        return link & kAddr47To12;
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

constexpr IoPgtableFmt S1 = IoPgtableFmt::ARM_64_LPAE_S1;
constexpr IoPgtableFmt S2 = IoPgtableFmt::ARM_64_LPAE_S2;

// ---- geometry: start level, root size, concatenation, TCR/VTCR --------------------------------

struct GeometryCase {
    IoPgtableFmt fmt;
    std::uint64_t granule;
    unsigned ias, oas;
    unsigned start_level;       // Arm ARM: levels = ceil((ias - g) / (g - 3)), start = 4 - levels
    std::size_t root_entries;   // 2^(bits the start level resolves), times concatenated tables
    unsigned concatenated;
    unsigned sl0;               // stage 2 only (VTCR_EL2.SL0 for the start level and granule)
};

// Worked by hand: 4K resolves 9 bits a level (L3 [20:12], L2 [29:21], L1 [38:30], L0 [47:39]);
// 16K 11 bits (L3 [24:14], L2 [35:25], L1 [46:36], L0 [47]); 64K 13 bits (L3 [28:16], L2 [41:29],
// L1 [51:42]). Stage 2 concatenates where Arm ARM R_DXBSH / R_SRKBC make it mandatory.
const GeometryCase kGeometry[] = {
    {S1, k4K, 48, 48, 0, 512, 1, 0},
    {S1, k4K, 39, 48, 1, 512, 1, 0},
    {S1, k4K, 32, 32, 1, 4, 1, 0},        // [31:30]
    {S1, k16K, 48, 48, 0, 2, 1, 0},       // [47]
    {S1, k16K, 47, 48, 1, 2048, 1, 0},
    {S1, k16K, 36, 40, 2, 2048, 1, 0},
    {S1, k64K, 48, 48, 1, 64, 1, 0},      // [47:42]
    {S1, k64K, 42, 48, 2, 8192, 1, 0},
    {S1, k64K, 52, 52, 1, 1024, 1, 0},    // [51:42]
    {S2, k4K, 32, 32, 1, 4, 1, 1},        // SL0 1: level 1 (4K)
    {S2, k4K, 40, 40, 1, 1024, 2, 1},     // level 0 with a 40-bit PA: 2 level-1 tables
    {S2, k4K, 42, 42, 1, 4096, 8, 1},     // 8 level-1 tables
    {S2, k4K, 44, 44, 0, 32, 1, 2},       // SL0 2: level 0 (4K)
    {S2, k4K, 48, 48, 0, 512, 1, 2},
    {S2, k16K, 48, 48, 1, 4096, 2, 2},    // 16K level 0 is never a stage-2 start: 2 level-1 tables
    {S2, k16K, 40, 40, 2, 32768, 16, 1},  // level 1 with a 40-bit PA: 16 level-2 tables
    {S2, k16K, 36, 48, 2, 2048, 1, 1},    // SL0 1: level 2 (16K)
    {S2, k64K, 48, 48, 1, 64, 1, 2},      // SL0 2: level 1 (64K)
    {S2, k64K, 42, 48, 2, 8192, 1, 1},
    {S2, k64K, 52, 52, 1, 1024, 1, 2},
};

TEST(ArmLpaeGeometry, StartLevelRootSizeAndConcatenationFollowTheArchitecture) {
    for (const GeometryCase& c : kGeometry) {
        SCOPED_TRACE(std::string(io_pgtable_fmt_name(c.fmt)) + " granule " + std::to_string(c.granule) + " ias " +
                     std::to_string(c.ias) + " oas " + std::to_string(c.oas));
        Arm t(c.fmt, c.granule, c.ias, c.oas);
        ASSERT_TRUE(t.pgt) << t.why;
        EXPECT_EQ(t.arm().start_level(), c.start_level);
        EXPECT_EQ(t.arm().concatenated_tables(), c.concatenated);
        EXPECT_EQ(t.pgt->root_table_bytes(), std::max<std::size_t>(64, c.root_entries * 8));
        EXPECT_EQ(t.memory.table_bytes(t.ttb()), t.pgt->root_table_bytes());
        EXPECT_EQ(t.ttb() % t.pgt->root_table_bytes(), 0u) << "the start table is aligned to its size";
        if (c.fmt == S2) {
            EXPECT_EQ(t.cfg.arm_lpae_s2_cfg.vtcr.sl0, c.sl0);
            EXPECT_EQ(t.cfg.arm_lpae_s2_cfg.vtcr.t0sz, 64 - c.ias);
        } else {
            EXPECT_EQ(t.cfg.arm_lpae_s1_cfg.tcr.t0sz, 64 - c.ias);
        }
    }
}

TEST(ArmLpaeGeometry, Stage1TcrAndMairForACoherentWalker) {
    Arm t(S1, k4K | k2M | k1G, 48, 48);
    ASSERT_TRUE(t.pgt) << t.why;
    const ArmLpaeTcr& tcr = t.cfg.arm_lpae_s1_cfg.tcr;
    EXPECT_EQ(tcr.t0sz, 16u);
    EXPECT_EQ(tcr.tg0, 0u);    // TG0 0b00: 4K
    EXPECT_EQ(tcr.sh0, 3u);    // inner shareable
    EXPECT_EQ(tcr.irgn0, 1u);  // write-back, write-allocate
    EXPECT_EQ(tcr.orgn0, 1u);
    EXPECT_EQ(tcr.ips, 5u);    // 0b101: 48 bits
    // MAIR bytes: attr0 0x44 (Normal NC), attr1 0xFF (Normal WB RWA), attr2 0x04 (Device-nGnRE),
    // attr3 0xF4 (inner NC, outer WB).
    EXPECT_EQ(t.cfg.arm_lpae_s1_cfg.mair, 0x44ull | 0xFFull << 8 | 0x04ull << 16 | 0xF4ull << 24);
    EXPECT_EQ(t.cfg.arm_lpae_s1_cfg.ttbr, t.pgt->root());
    EXPECT_EQ(t.cfg.pgsize_bitmap, k4K | k2M | k1G);
}

TEST(ArmLpaeGeometry, NonCoherentWalkerAndOtherGranulesReportTheirEncodings) {
    Arm nc(S1, k16K | k32M, 40, 44, PartialBlockUnmap::unmap_whole_block, /*coherent=*/false);
    ASSERT_TRUE(nc.pgt) << nc.why;
    EXPECT_EQ(nc.cfg.arm_lpae_s1_cfg.tcr.sh0, 2u);    // outer shareable
    EXPECT_EQ(nc.cfg.arm_lpae_s1_cfg.tcr.irgn0, 0u);  // non-cacheable
    EXPECT_EQ(nc.cfg.arm_lpae_s1_cfg.tcr.orgn0, 0u);
    EXPECT_EQ(nc.cfg.arm_lpae_s1_cfg.tcr.tg0, 2u);    // TG0 0b10: 16K
    EXPECT_EQ(nc.cfg.arm_lpae_s1_cfg.tcr.ips, 4u);    // 44 bits

    Arm s2(S2, k16K | k32M, 40, 40);
    ASSERT_TRUE(s2.pgt) << s2.why;
    const ArmLpaeVtcr& vtcr = s2.cfg.arm_lpae_s2_cfg.vtcr;
    EXPECT_EQ(vtcr.t0sz, 24u);
    EXPECT_EQ(vtcr.sl0, 1u);  // 16K: SL0 1 starts at level 2
    EXPECT_EQ(vtcr.tg0, 2u);
    EXPECT_EQ(vtcr.ps, 2u);   // 40 bits
    EXPECT_EQ(vtcr.sh0, 3u);
    EXPECT_EQ(vtcr.irgn0, 1u);
    EXPECT_EQ(vtcr.orgn0, 1u);
    EXPECT_EQ(s2.cfg.arm_lpae_s2_cfg.vttbr, s2.pgt->root());

    Arm big(S1, k64K | k512M | k4T, 52, 52);
    ASSERT_TRUE(big.pgt) << big.why;
    EXPECT_EQ(big.cfg.arm_lpae_s1_cfg.tcr.tg0, 1u);  // TG0 0b01: 64K
    EXPECT_EQ(big.cfg.arm_lpae_s1_cfg.tcr.ips, 6u);  // 52 bits
    EXPECT_EQ(big.cfg.arm_lpae_s1_cfg.tcr.t0sz, 12u);
    EXPECT_EQ(big.cfg.pgsize_bitmap, k64K | k512M | k4T);
}

TEST(ArmLpaeGeometry, FactoryNarrowsAsLinuxDoes) {
    // 4K and 16K granules address 48 bits at most without FEAT_LPA2.
    Arm clamped(S1, k4K | k2M | k1G, 52, 52);
    ASSERT_TRUE(clamped.pgt) << clamped.why;
    EXPECT_EQ(clamped.cfg.ias, 48u);
    EXPECT_EQ(clamped.cfg.oas, 48u);
    EXPECT_EQ(clamped.cfg.arm_lpae_s1_cfg.tcr.ips, 5u);
    // 4K preferred among several granules; the other granules' sizes dropped.
    Arm mixed(S1, k4K | k16K | k64K | k2M | k32M | k512M, 48, 48);
    ASSERT_TRUE(mixed.pgt) << mixed.why;
    EXPECT_EQ(mixed.arm().granule(), k4K);
    EXPECT_EQ(mixed.cfg.pgsize_bitmap, k4K | k2M);
    // Without 4K the smallest granule offered.
    Arm large(S1, k16K | k64K, 48, 48);
    ASSERT_TRUE(large.pgt) << large.why;
    EXPECT_EQ(large.arm().granule(), k16K);
    // The 4T block needs a 52-bit output size.
    Arm no4t(S1, k64K | k512M | k4T, 48, 48);
    ASSERT_TRUE(no4t.pgt) << no4t.why;
    EXPECT_EQ(no4t.cfg.pgsize_bitmap, k64K | k512M);
    // With a 32-bit input the start level is 1, so 1G blocks stay.
    Arm small(S1, k4K | k2M | k1G, 32, 32);
    ASSERT_TRUE(small.pgt) << small.why;
    EXPECT_EQ(small.cfg.pgsize_bitmap, k4K | k2M | k1G);
    // 64K with a 32-bit input: the start level is 2 (512M entries), no 4T.
    Arm small64(S1, k64K | k512M | k4T, 32, 52);
    ASSERT_TRUE(small64.pgt) << small64.why;
    EXPECT_EQ(small64.cfg.pgsize_bitmap, k64K | k512M);
}

TEST(ArmLpaeGeometry, FactoryRejectsWhatTheArchitectureCannotExpress) {
    struct Bad {
        IoPgtableFmt fmt;
        std::uint64_t pgsizes;
        unsigned ias, oas;
    };
    const Bad bad[] = {
        {S1, 1ull << 11, 48, 48},        // no 4K/16K/64K granule
        {S1, 0, 48, 48},
        {S1, k4K, 31, 48},               // ias below 32
        {S1, k64K, 53, 52},              // beyond VMSAv8-64's 52 bits
        {S1, k64K, 48, 53},
        {S1, k64K, 48, 50},              // 50 is no IPS encoding
        {S2, k4K, 48, 38},
        {S2, k4K, 44, 40},               // level 0 with a 40-bit PA needs 32 level-1 tables (> 16)
    };
    for (const Bad& b : bad) {
        SCOPED_TRACE("ias " + std::to_string(b.ias) + " oas " + std::to_string(b.oas));
        Arm t(b.fmt, b.pgsizes, b.ias, b.oas);
        EXPECT_FALSE(t.pgt);
        EXPECT_FALSE(t.why.empty());
        EXPECT_EQ(t.memory.live_tables(), 0u);
    }
    FakePgtableMemory empty;
    empty.fail_allocations_after = 0;
    IoPgtableCfg cfg;
    cfg.pgsize_bitmap = k4K;
    cfg.ias = 48;
    cfg.oas = 48;
    std::string why;
    EXPECT_FALSE(alloc_io_pgtable_ops(S1, cfg, empty, &why));
    EXPECT_NE(why.find("memory"), std::string::npos) << why;
}

// ---- round trips for every granule, stage and size (after Linux's arm_lpae_run_tests) ---------

void round_trip(IoPgtableFmt fmt, std::uint64_t pgsizes, unsigned ias, unsigned oas) {
    SCOPED_TRACE(std::string(io_pgtable_fmt_name(fmt)) + " sizes 0x" + std::to_string(pgsizes) + " ias " +
                 std::to_string(ias) + " oas " + std::to_string(oas));
    Arm t(fmt, pgsizes, ias, oas);
    ASSERT_TRUE(t.pgt) << t.why;
    const std::uint64_t sizes = t.cfg.pgsize_bitmap;
    const std::uint64_t largest = 1ull << (63 - __builtin_clzll(sizes));
    EXPECT_EQ(t.pgt->iova_to_phys(42), 0u);
    std::uint64_t iova = 0;
    for (std::uint64_t size = 1; size; size <<= 1) {
        if (!(sizes & size)) continue;
        ASSERT_EQ(t.map(iova, iova, size, 1, kRw | IOMMU_NOEXEC | IOMMU_CACHE), 0) << size;
        EXPECT_EQ(t.map(iova, iova + size, size, 1, IOMMU_READ), -EEXIST) << size;
        EXPECT_EQ(t.pgt->iova_to_phys(iova + 42), iova + 42) << size;
        EXPECT_EQ(t.pgt->iova_to_phys(iova + size - 1), iova + size - 1) << size;
        iova += largest;
    }
    iova = 0;
    for (std::uint64_t size = 1; size; size <<= 1) {
        if (!(sizes & size)) continue;
        EXPECT_EQ(t.pgt->unmap_pages(iova, size, 1, nullptr), size) << size;
        EXPECT_EQ(t.pgt->iova_to_phys(iova + 42), 0u) << size;
        ASSERT_EQ(t.map(iova, iova, size, 1, IOMMU_WRITE), 0) << size;
        EXPECT_EQ(t.pgt->iova_to_phys(iova + 42), iova + 42) << size;
        iova += largest;
    }
    // The last largest page of the input space: the corner of a concatenated start table.
    const std::uint64_t last = (1ull << t.cfg.ias) - largest;
    ASSERT_EQ(t.map(last, last & ((1ull << t.cfg.oas) - 1), largest, 1, kRw), 0);
    EXPECT_EQ(t.pgt->iova_to_phys(last + 7), (last & ((1ull << t.cfg.oas) - 1)) + 7);
    EXPECT_EQ(t.pgt->unmap_pages(last, largest, 1, nullptr), largest);
    EXPECT_EQ(t.pgt->map_pages(1ull << t.cfg.ias, 0, largest, 1, kRw, nullptr), -EINVAL) << "beyond ias";
    t.pgt.reset();
    EXPECT_EQ(t.flush.flush_all, 1);
    EXPECT_EQ(t.memory.live_tables(), 0u) << "every table page freed";
    EXPECT_EQ(t.memory.bad_accesses, 0);
    EXPECT_EQ(t.memory.bad_frees, 0);
}

TEST(ArmLpaeRoundTrip, EveryGranuleStageAndAddressSize) {
    const std::uint64_t granules[] = {k4K | k2M | k1G, k16K | k32M, k64K | k512M};
    const unsigned sizes[] = {32, 36, 40, 42, 44, 48};
    for (const IoPgtableFmt fmt : {S1, S2}) {
        for (const std::uint64_t pgsizes : granules) {
            for (unsigned o = 0; o < std::size(sizes); ++o) {
                for (unsigned i = 0; i <= o; ++i) round_trip(fmt, pgsizes, sizes[i], sizes[o]);
            }
        }
        round_trip(fmt, k64K | k512M | k4T, 52, 52);
        round_trip(fmt, k64K | k512M | k4T, 48, 52);
    }
}

// ---- exact descriptors ------------------------------------------------------------------------

TEST(ArmLpaeDescriptors, Stage1PageWalkedByHand) {
    Arm t(S1, k4K | k2M | k1G, 48, 48);
    ASSERT_TRUE(t.pgt) << t.why;
    const std::uint64_t iova = (1ull << 39) | (1ull << 30) | (1ull << 21) | (3ull << 12);  // indices 1, 1, 1, 3
    const std::uint64_t pa = 0x1234'5000;
    ASSERT_EQ(t.map(iova, pa, k4K, 1, kRw | IOMMU_CACHE), 0);
    const std::uint64_t l1 = t.follow(t.ttb(), index_at(iova, 39, 9));
    const std::uint64_t l2 = t.follow(l1, index_at(iova, 30, 9));
    const std::uint64_t l3 = t.follow(l2, index_at(iova, 21, 9));
    EXPECT_EQ(index_at(iova, 12, 9), 3u);
    const std::uint64_t expected = pa | kTypePage | (kIdxWb << kAttrIndxLsb) | kApEl0 | kShInner | kAf | kNg;
    EXPECT_EQ(t.memory.word(l3 + 8 * 3), expected);
    EXPECT_EQ(t.pgt->iova_to_phys(iova + 0x123), pa + 0x123);
}

TEST(ArmLpaeDescriptors, Stage1ReadOnlyPrivilegedNoExecDeviceBlock) {
    Arm t(S1, k4K | k2M | k1G, 48, 48);
    ASSERT_TRUE(t.pgt) << t.why;
    const std::uint64_t iova = (1ull << 30) | (3ull << 21);
    const std::uint64_t pa = 0x3FE0'0000;
    ASSERT_EQ(t.map(iova, pa, k2M, 1, IOMMU_READ | IOMMU_PRIV | IOMMU_NOEXEC | IOMMU_MMIO), 0);
    const std::uint64_t l1 = t.follow(t.ttb(), 0);
    const std::uint64_t l2 = t.follow(l1, 1);
    const std::uint64_t expected = pa | kTypeBlock | (kIdxDevice << kAttrIndxLsb) | kApRo | kShOuter | kAf | kNg |
                                   kPxn | kUxn;
    EXPECT_EQ(t.memory.word(l2 + 8 * 3), expected);
    EXPECT_EQ(t.memory.count(MemoryEvent::Kind::alloc), 3u) << "root, level 1, level 2: no level-3 table";
    // Non-cacheable memory: AttrIndx 0.
    ASSERT_EQ(t.map(iova + k2M, pa + k2M, k2M, 1, kRw), 0);
    EXPECT_EQ(t.memory.word(l2 + 8 * 4), (pa + k2M) | kTypeBlock | (kIdxNc << kAttrIndxLsb) | kApEl0 | kShOuter |
                                             kAf | kNg);
}

TEST(ArmLpaeDescriptors, Stage2PageInAConcatenatedStartTable) {
    Arm t(S2, k4K | k2M | k1G, 40, 40);
    ASSERT_TRUE(t.pgt) << t.why;
    // Level 1 resolves [39:30] across two concatenated 4K tables; index 516 is in the second.
    const std::uint64_t iova = (516ull << 30) | (2ull << 12);
    const std::uint64_t pa = 0xAB'CDEF'0000ull;  // a 40-bit output address
    ASSERT_EQ(t.map(iova, pa, k4K, 1, kRw | IOMMU_CACHE), 0);
    const std::uint64_t l2 = t.follow(t.ttb(), 516);
    const std::uint64_t l3 = t.follow(l2, 0);
    EXPECT_EQ(t.memory.word(l3 + 8 * 2),
              pa | kTypePage | kS2apRead | kS2apWrite | (kMemWb << kMemAttrLsb) | kShInner | kAf);

    ASSERT_EQ(t.map(iova + k4K, 0x5000, k4K, 1, IOMMU_READ | IOMMU_NOEXEC), 0);
    EXPECT_EQ(t.memory.word(l3 + 8 * 3),
              0x5000ull | kTypePage | kS2apRead | (kMemNc << kMemAttrLsb) | kShOuter | kAf | kPxn | kUxn);
}

TEST(ArmLpaeDescriptors, SixtyFourKGranuleCarriesPa51To48InBits15To12) {
    Arm t(S1, k64K | k512M | k4T, 52, 52);
    ASSERT_TRUE(t.pgt) << t.why;
    const std::uint64_t iova = (0xFull << 48) | k64K;  // a 52-bit IOVA
    const std::uint64_t pa = 0x000A'BCDE'F012'0000ull;
    ASSERT_EQ(t.map(iova, pa, k64K, 1, kRw | IOMMU_CACHE), 0);
    const std::uint64_t l2 = t.follow(t.ttb(), index_at(iova, 42, 10));  // level 1: [51:42]
    const std::uint64_t l3 = t.follow(l2, index_at(iova, 29, 13));       // level 2: [41:29]
    const std::uint64_t address_field = (pa & 0x0000'FFFF'FFFF'0000ull) | ((pa >> 48) << 12);
    EXPECT_EQ(t.memory.word(l3 + 8 * index_at(iova, 16, 13)),
              address_field | kTypePage | (kIdxWb << kAttrIndxLsb) | kApEl0 | kShInner | kAf | kNg);
    EXPECT_EQ(t.pgt->iova_to_phys(iova + 0x1234), pa + 0x1234);
}

// ---- blocks -----------------------------------------------------------------------------------

TEST(ArmLpaeBlocks, BlocksAtTheirLevelForEachGranule) {
    struct Case {
        std::uint64_t pgsizes;
        unsigned oas;
        std::uint64_t block;
        unsigned level;
    };
    const Case cases[] = {{k4K | k2M | k1G, 48, k2M, 2}, {k4K | k2M | k1G, 48, k1G, 1},
                          {k16K | k32M, 48, k32M, 2},    {k64K | k512M, 48, k512M, 2},
                          {k64K | k512M | k4T, 52, k4T, 1}};
    for (const Case& c : cases) {
        SCOPED_TRACE(c.block);
        Arm t(S1, c.pgsizes, 48, c.oas);
        ASSERT_TRUE(t.pgt) << t.why;
        const std::uint64_t iova = 2 * c.block;
        ASSERT_EQ(t.map(iova, c.block, c.block), 0);
        // Walk by hand to the block's level; its descriptor says block (0b01).
        std::uint64_t table = t.ttb();
        const unsigned g = __builtin_ctzll(c.pgsizes & (k4K | k16K | k64K));
        const unsigned bits = g - 3;
        for (unsigned level = t.arm().start_level(); level < c.level; ++level) {
            const unsigned shift = g + (3 - level) * bits;
            const unsigned index_bits = level == t.arm().start_level() ? 48 - shift : bits;
            table = t.follow(table, index_at(iova, shift, index_bits));
        }
        const unsigned shift = g + (3 - c.level) * bits;
        const std::uint64_t pte = t.memory.word(table + 8 * index_at(iova, shift, bits));
        EXPECT_EQ(pte & 0b11, kTypeBlock);
        EXPECT_EQ(pte & kAddr47To12 & ~(c.block - 1), c.block & kAddr47To12);
        EXPECT_EQ(t.pgt->iova_to_phys(iova + c.block - 8), 2 * c.block - 8);
    }
}

TEST(ArmLpaeBlocks, MisalignedBlockIsRejectedAndPagesStayPages) {
    Arm t(S1, k4K | k2M | k1G, 48, 48);
    ASSERT_TRUE(t.pgt) << t.why;
    EXPECT_EQ(t.map(k2M + k4K, 0, k2M), -EINVAL) << "iova not aligned to the block";
    EXPECT_EQ(t.map(k2M, k4K, k2M), -EINVAL) << "paddr not aligned to the block";
    // pgcount pages of 4K stay 4K pages (the caller picks the size, as with Linux's format).
    ASSERT_EQ(t.map(k2M, 0, k4K, 512), 0);
    const std::uint64_t l3 = t.follow(t.follow(t.follow(t.ttb(), 0), 0), 1);
    EXPECT_EQ(t.memory.word(l3 + 8 * 511) & 0b11, kTypePage);
    EXPECT_EQ(t.pgt->iova_to_phys(k2M + 0x1F'F123), 0x1F'F123u);
}

TEST(ArmLpaeBlocks, ARunOfPagesCrossesTablesInOneCall) {
    Arm t(S1, k4K | k2M | k1G, 48, 48);
    ASSERT_TRUE(t.pgt) << t.why;
    const std::uint64_t iova = k2M - 2 * k4K;
    std::uint64_t mapped = 0;
    ASSERT_EQ(t.pgt->map_pages(iova, 0x10'0000, k4K, 4, kRw, &mapped), 0);
    EXPECT_EQ(mapped, 4 * k4K);
    for (unsigned i = 0; i < 4; ++i) EXPECT_EQ(t.pgt->iova_to_phys(iova + i * k4K), 0x10'0000 + i * k4K);
    EXPECT_EQ(t.pgt->unmap_pages(iova, k4K, 4, nullptr), 4 * k4K);
}

// ---- errors -----------------------------------------------------------------------------------

TEST(ArmLpaeErrors, AlreadyMappedBadArgumentsAndNoMemory) {
    Arm t(S1, k4K | k2M | k1G, 48, 48);
    ASSERT_TRUE(t.pgt) << t.why;
    ASSERT_EQ(t.map(0x40'0000, 0x40'0000, k2M), 0);
    EXPECT_EQ(t.map(0x40'0000, 0, k4K), -EEXIST) << "a page inside a block";
    EXPECT_EQ(t.map(0x40'0000, 0, k2M), -EEXIST);
    ASSERT_EQ(t.map(0x80'0000, 0, k4K), 0);
    EXPECT_EQ(t.map(0x80'0000, 0x1000, k4K), -EEXIST);
    EXPECT_EQ(t.map(0x80'0000, 0, k2M), -EEXIST) << "a block over a table with a live page";
    EXPECT_EQ(t.pgt->map_pages(0, 0, 8192, 1, kRw, nullptr), -EINVAL) << "8K is not a page size";
    EXPECT_EQ(t.pgt->map_pages(0x800, 0, k4K, 1, kRw, nullptr), -EINVAL);
    EXPECT_EQ(t.pgt->map_pages(1ull << 48, 0, k4K, 1, kRw, nullptr), -EINVAL) << "beyond ias";
    EXPECT_EQ(t.pgt->map_pages(0, 1ull << 48, k4K, 1, kRw, nullptr), -EINVAL) << "beyond oas";
    EXPECT_EQ(t.pgt->map_pages(0, 0, k4K, 1, IOMMU_CACHE, nullptr), -EINVAL) << "neither read nor write";
    EXPECT_EQ(t.pgt->map_pages(0, 0, k4K, 0, kRw, nullptr), -EINVAL);
    EXPECT_EQ(t.pgt->unmap_pages(0, 8192, 1, nullptr), 0u);

    const std::size_t live = t.memory.live_tables();
    t.memory.fail_allocations_after = t.memory.count(MemoryEvent::Kind::alloc);
    std::uint64_t mapped = 99;
    EXPECT_EQ(t.pgt->map_pages(0x10'0000'0000, 0, k4K, 1, kRw, &mapped), -ENOMEM);
    EXPECT_EQ(mapped, 0u);
    EXPECT_EQ(t.memory.live_tables(), live);
    // A run that needs a second level-3 table: the first part is mapped and reported.
    t.memory.fail_allocations_after = *t.memory.fail_allocations_after + 2;  // level 2 and one level 3
    EXPECT_EQ(t.pgt->map_pages(0x10'0000'0000 + k2M - 2 * k4K, 0, k4K, 4, kRw, &mapped), -ENOMEM);
    EXPECT_EQ(mapped, 2 * k4K);
}

// ---- unmap ------------------------------------------------------------------------------------

TEST(ArmLpaeUnmap, NothingMappedAndHoles) {
    Arm t(S1, k4K | k2M | k1G, 48, 48);
    ASSERT_TRUE(t.pgt) << t.why;
    IommuIotlbGather gather;
    EXPECT_EQ(t.pgt->unmap_pages(0x1000, k4K, 1, &gather), 0u) << "no tables at all";
    ASSERT_EQ(t.map(0x10'0000, 0x20'0000, k4K, 2), 0);
    EXPECT_EQ(t.pgt->unmap_pages(0x10'3000, k4K, 1, &gather), 0u) << "a hole in an existing table";
    EXPECT_EQ(t.pgt->unmap_pages(0x10'0000, k4K, 3, &gather), 2 * k4K) << "stops at the hole";
    ASSERT_EQ(t.flush.pages.size(), 2u);
    EXPECT_EQ(t.flush.pages[0].iova, 0x10'0000u);
    EXPECT_EQ(t.flush.pages[1].iova, 0x10'1000u);
    EXPECT_EQ(t.flush.pages[1].granule, k4K);
    EXPECT_EQ(gather.start, 0x10'0000u);
    EXPECT_EQ(gather.end, 0x10'1FFFu);
    EXPECT_TRUE(t.flush.walks.empty());
}

TEST(ArmLpaeUnmap, QueuedOrMissingGatherGetsNoPageReports) {
    Arm t(S1, k4K | k2M | k1G, 48, 48);
    ASSERT_TRUE(t.pgt) << t.why;
    ASSERT_EQ(t.map(0, 0, k4K, 4), 0);
    IommuIotlbGather queued;
    queued.queued = true;
    EXPECT_EQ(t.pgt->unmap_pages(0, k4K, 2, &queued), 2 * k4K);
    EXPECT_EQ(t.pgt->unmap_pages(2 * k4K, k4K, 2, nullptr), 2 * k4K);
    EXPECT_TRUE(t.flush.pages.empty());
    EXPECT_EQ(t.pgt->iova_to_phys(3 * k4K), 0u);
}

TEST(ArmLpaeUnmap, UnmappingABlockSizedRangeOverATableFlushesTheWalkAndFreesItAtOnce) {
    Arm t(S1, k4K | k2M | k1G, 48, 48);
    ASSERT_TRUE(t.pgt) << t.why;
    ASSERT_EQ(t.map(k1G, 0, k4K, 3), 0);
    const std::uint64_t l3 = t.follow(t.follow(t.follow(t.ttb(), 0), 1), 0);
    IommuIotlbGather gather;
    EXPECT_EQ(t.pgt->unmap_pages(k1G, k2M, 1, &gather), k2M);
    ASSERT_EQ(t.flush.walks.size(), 1u);
    EXPECT_EQ(t.flush.walks[0].iova, k1G);
    EXPECT_EQ(t.flush.walks[0].size, k2M);
    EXPECT_EQ(t.flush.walks[0].granule, k4K);
    ASSERT_EQ(t.flush.pages.size(), 1u);
    EXPECT_EQ(t.flush.pages[0].iova, k1G);
    EXPECT_EQ(t.flush.pages[0].granule, k2M);
    EXPECT_FALSE(t.memory.is_live_table(l3)) << "Arm frees unlinked tables at once, not via the freelist";
    EXPECT_TRUE(gather.freelist.empty());
    EXPECT_EQ(t.pgt->iova_to_phys(k1G + k4K), 0u);
    EXPECT_EQ(t.memory.bad_accesses, 0);
}

TEST(ArmLpaeUnmap, ABlockReplacesATableLeftEmpty) {
    Arm t(S1, k4K | k2M | k1G, 48, 48);
    ASSERT_TRUE(t.pgt) << t.why;
    ASSERT_EQ(t.map(k2M + k4K, 0x1000, k4K), 0);
    ASSERT_EQ(t.pgt->unmap_pages(k2M + k4K, k4K, 1, nullptr), k4K);
    const std::uint64_t l2 = t.follow(t.follow(t.ttb(), 0), 0);
    const std::uint64_t l3 = t.follow(l2, 1);
    ASSERT_EQ(t.map(k2M, 0x60'0000, k2M), 0);
    EXPECT_FALSE(t.memory.is_live_table(l3));
    ASSERT_EQ(t.flush.walks.size(), 1u);
    EXPECT_EQ(t.flush.walks[0].iova, k2M);
    EXPECT_EQ(t.flush.walks[0].size, k2M);
    EXPECT_EQ(t.memory.word(l2 + 8) & 0b11, kTypeBlock);
    EXPECT_EQ(t.pgt->iova_to_phys(k2M + 5), 0x60'0005u);
}

// ---- partial unmap of a block ------------------------------------------------------------------

TEST(ArmLpaePartialUnmap, DefaultUnmapsTheWholeBlockAndReturnsItsSize) {
    Arm t(S1, k4K | k2M | k1G, 48, 48);
    ASSERT_TRUE(t.pgt) << t.why;
    ASSERT_EQ(t.map(k1G, 0x4000'0000, k2M), 0);
    IommuIotlbGather gather;
    EXPECT_EQ(t.pgt->unmap_pages(k1G + 3 * k4K, k4K, 1, &gather), k2M);
    EXPECT_EQ(t.pgt->iova_to_phys(k1G), 0u);
    EXPECT_EQ(t.pgt->iova_to_phys(k1G + k2M - 1), 0u);
    ASSERT_EQ(t.flush.pages.size(), 1u);
    EXPECT_EQ(t.flush.pages[0].iova, k1G);
    EXPECT_EQ(t.flush.pages[0].granule, k2M);
}

TEST(ArmLpaePartialUnmap, RefuseLeavesTheBlockAsMainlineArmDoes) {
    Arm t(S1, k4K | k2M | k1G, 48, 48, PartialBlockUnmap::refuse);
    ASSERT_TRUE(t.pgt) << t.why;
    ASSERT_EQ(t.map(k1G, 0x4000'0000, k2M), 0);
    IommuIotlbGather gather;
    EXPECT_EQ(t.pgt->unmap_pages(k1G + 3 * k4K, k4K, 1, &gather), 0u);
    EXPECT_EQ(t.pgt->iova_to_phys(k1G + 3 * k4K), 0x4000'3000u);
    EXPECT_TRUE(t.flush.pages.empty());
}

TEST(ArmLpaePartialUnmap, SplitKeepsTheRestMappedWithTheSameAttributes) {
    Arm t(S1, k4K | k2M | k1G, 48, 48, PartialBlockUnmap::split_block);
    ASSERT_TRUE(t.pgt) << t.why;
    const std::uint64_t iova = k1G + k2M;  // level-1 index 1, level-2 index 1
    const std::uint64_t pa = 0x2000'0000;
    const int prot = IOMMU_READ | IOMMU_CACHE | IOMMU_NOEXEC;
    ASSERT_EQ(t.map(iova, pa, k2M, 1, prot), 0);
    IommuIotlbGather gather;
    EXPECT_EQ(t.pgt->unmap_pages(iova + 5 * k4K, k4K, 1, &gather), k4K);
    const std::uint64_t l2 = t.follow(t.follow(t.ttb(), 0), 1);
    const std::uint64_t l3 = t.follow(l2, 1);
    const std::uint64_t attrs = (kIdxWb << kAttrIndxLsb) | kApEl0 | kApRo | kShInner | kAf | kNg | kPxn | kUxn;
    for (unsigned i = 0; i < 512; ++i) {
        const std::uint64_t expected = i == 5 ? 0 : (pa + i * k4K) | kTypePage | attrs;
        ASSERT_EQ(t.memory.word(l3 + 8 * i), expected) << i;
    }
    ASSERT_EQ(t.flush.pages.size(), 1u);
    EXPECT_EQ(t.flush.pages[0].iova, iova + 5 * k4K);
    EXPECT_EQ(t.flush.pages[0].granule, k4K);
    EXPECT_EQ(t.pgt->iova_to_phys(iova + 6 * k4K + 1), pa + 6 * k4K + 1);
    std::vector<std::uint64_t> failures;
    EXPECT_EQ(check_publish_before_link(t.memory.events, failures), 3u);  // levels 1 and 2, then the split
    EXPECT_TRUE(failures.empty());
}

TEST(ArmLpaePartialUnmap, SplitOfAGigabyteBlockGoesDownTwoLevels) {
    Arm t(S1, k4K | k2M | k1G, 48, 48, PartialBlockUnmap::split_block);
    ASSERT_TRUE(t.pgt) << t.why;
    ASSERT_EQ(t.map(k1G, 0x8000'0000, k1G), 0);
    EXPECT_EQ(t.pgt->unmap_pages(k1G + k2M + k4K, k4K, 1, nullptr), k4K);
    const std::uint64_t l2 = t.follow(t.follow(t.ttb(), 0), 1);
    EXPECT_EQ(t.memory.word(l2) & 0b11, kTypeBlock);
    EXPECT_EQ(t.memory.word(l2) & kAddr47To12, 0x8000'0000u);
    const std::uint64_t l3 = t.follow(l2, 1);
    EXPECT_EQ(t.memory.word(l3 + 8), 0u);
    EXPECT_EQ(t.memory.word(l3) & kAddr47To12, 0x8020'0000u);
    EXPECT_EQ(t.pgt->iova_to_phys(k1G + k1G - 1), 0x8000'0000u + k1G - 1);
    EXPECT_EQ(t.pgt->iova_to_phys(k1G + k2M + k4K), 0u);
}

// ---- write order, publishes, flush callbacks ---------------------------------------------------

TEST(ArmLpaeOrdering, TablesArePublishedBeforeTheyAreLinkedAndLeavesOncePerCall) {
    Arm t(S1, k4K | k2M | k1G, 48, 48);
    ASSERT_TRUE(t.pgt) << t.why;
    EXPECT_EQ(t.memory.publishes, 1) << "the empty start table before the driver sees TTBR";
    t.memory.publishes = 0;
    ASSERT_EQ(t.map(0x1234'5000, 0x5000, k4K), 0);
    EXPECT_EQ(t.memory.publishes, 4) << "one per new table (three), one for the leaf";
    EXPECT_EQ(t.memory.events.back().kind, MemoryEvent::Kind::publish);
    t.memory.publishes = 0;
    ASSERT_EQ(t.map(0x1234'6000, 0x6000, k4K, 3), 0);
    EXPECT_EQ(t.memory.publishes, 1);
    const MemoryEvent& leaf = t.memory.events[t.memory.events.size() - 2];
    EXPECT_EQ(leaf.kind, MemoryEvent::Kind::write);
    std::vector<std::uint64_t> failures;
    EXPECT_EQ(check_publish_before_link(t.memory.events, failures), 3u);
    EXPECT_TRUE(failures.empty());
    EXPECT_EQ(t.memory.count(MemoryEvent::Kind::cmpxchg), 3u) << "every link is a compare-and-set";
}

TEST(ArmLpaeOrdering, TheLoserOfALinkRaceFreesItsTableAndUsesTheWinners) {
    Arm t(S1, k4K | k2M | k1G, 48, 48);
    ASSERT_TRUE(t.pgt) << t.why;
    std::uint64_t winner = 0;
    t.memory.before_cmpxchg = [&](std::uint64_t entry) {
        if (winner) return;
        winner = *t.memory.alloc_table(4096);
        t.memory.poke(entry, winner | kTypeTable);  // another CPU linked its table first
    };
    ASSERT_EQ(t.map(0x1234'5000, 0x5000, k4K), 0);
    const MemoryEvent& lost = *std::find_if(t.memory.events.begin(), t.memory.events.end(),
                                            [](const MemoryEvent& e) { return e.kind == MemoryEvent::Kind::cmpxchg; });
    EXPECT_FALSE(lost.swapped);
    const std::uint64_t ours = lost.value & kAddr47To12;
    EXPECT_FALSE(t.memory.is_live_table(ours)) << "the loser's table is freed";
    EXPECT_EQ(t.follow(t.ttb(), 0), winner);
    EXPECT_EQ(t.pgt->iova_to_phys(0x1234'5678), 0x5678u);
    EXPECT_EQ(t.memory.live_tables(), 4u);
    t.pgt.reset();
    EXPECT_EQ(t.memory.live_tables(), 0u);
    EXPECT_EQ(t.memory.bad_frees, 0);
}

TEST(ArmLpaeFlush, DestructionFlushesAllThenFreesEveryTable) {
    Arm t(S2, k4K | k2M | k1G, 40, 40);
    ASSERT_TRUE(t.pgt) << t.why;
    ASSERT_EQ(t.map(0, 0, k4K, 600), 0);
    ASSERT_EQ(t.map(0x80'0000'0000 - k1G, 0, k1G), 0);
    ASSERT_EQ(t.map(0x40'0000'0000, 0, k2M, 3), 0);
    // The concatenated start table; a level-2 and two level-3 tables for the pages; a level-2 table
    // for the 2M blocks (the 1G block sits in the start table).
    EXPECT_EQ(t.memory.live_tables(), 5u);
    t.pgt.reset();
    EXPECT_EQ(t.flush.flush_all, 1);
    EXPECT_EQ(t.memory.live_tables(), 0u);
    EXPECT_EQ(t.memory.bad_frees, 0);
    EXPECT_EQ(t.memory.bad_accesses, 0);
}

}  // namespace
