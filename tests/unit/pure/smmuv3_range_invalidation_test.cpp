// SMMUv3 range invalidation and the level hint (IDR3.RIL, SMMUv3 4.4.1.1), and the EL2 TLBI commands
// (IDR0.Hyp, 4.4.2.7 .. 4.4.2.10), at the command and cache level. Encodings written here from the
// specification: opcode [7:0], NUM [16:12], SCALE [24:20], VMID [47:32], ASID [63:48] of word 0;
// Leaf [0], TTL [9:8], TG [11:10], Address [63:12] of word 1. TG 0b01 4 KiB, 0b10 16 KiB, 0b11
// 64 KiB; Range = (NUM + 1) * 2^SCALE granules from Address (not the PE's 2^(5 * SCALE + 1)).
// Hand-worked expectations follow Linux's arm_smmu_tlb_inv_range_cmd encoder: TG = (log2 page size
// - 10) / 2; SCALE = ffs(pages); NUM = ((pages >> SCALE) & 31) - 1; for leaf invalidations TTL = 4
// - (log2 granule - 3) / (log2 page size - 3); non-leaf: TTL 0 and a one-page remainder bumped to
// two pages (NUM, SCALE, TTL all zero with TG != 0 is reserved).
#include "models/smmuv3/caches.h"
#include "models/smmuv3/command.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

namespace {

using namespace iommu_vp;
using namespace iommu_vp::smmuv3;

constexpr std::uint64_t at(std::uint64_t value, unsigned lsb) { return value << lsb; }

constexpr std::uint8_t kNhVa = 0x12, kNhVaa = 0x13, kEl2All = 0x20, kEl2Asid = 0x21, kEl2Va = 0x22, kEl2Vaa = 0x23,
                       kS2Ipa = 0x2A, kNhAll = 0x10, kNhAsid = 0x11, kS12Vmall = 0x28, kNsnhAll = 0x30;
constexpr unsigned kTg4K = 1, kTg16K = 2, kTg64K = 3;

struct Fields {
    unsigned num = 0, scale = 0, ttl = 0, tg = 0;
    bool leaf = false;
};

// A TLBI by address: VMID and ASID as the opcode carries them, the address's bits [63:12].
std::array<std::uint64_t, 2> tlbi(std::uint8_t opcode, std::uint64_t address, const Fields& f, unsigned vmid = 0,
                                  unsigned asid = 0) {
    const std::uint64_t dw0 = opcode | at(f.num, 12) | at(f.scale, 20) | at(vmid, 32) | at(asid, 48);
    const std::uint64_t dw1 = (f.leaf ? 1u : 0u) | at(f.ttl, 8) | at(f.tg, 10) | (address & ~0xfffull);
    return {dw0, dw1};
}

Features ril() {
    Features f;
    f.range_invalidation = true;
    f.granule_16k = true;
    return f;
}
Features ril_hyp() {
    Features f = ril();
    f.hyp = true;
    return f;
}

DecodedCommand decode(const std::array<std::uint64_t, 2>& words, const Features& f = ril()) {
    return decode_command(words[0], words[1], f);
}

// ---- decode of TG / SCALE / NUM / TTL ------------------------------------------------------------

TEST(Smmuv3RangeDecode, FieldsOfEachGranule) {
    for (unsigned tg : {kTg4K, kTg16K, kTg64K}) {
        const DecodedCommand d = decode(tlbi(kNhVa, 0x1234'5000'0000ull, {21, 17, 3, tg, true}, 7, 9));
        ASSERT_EQ(d.kind, CommandKind::tlbi_nh_va) << describe(d);
        EXPECT_EQ(d.range.tg, tg);
        EXPECT_EQ(d.range.num, 21);
        EXPECT_EQ(d.range.scale, 17);
        EXPECT_EQ(d.range.ttl, 3);
        EXPECT_EQ(d.vmid, 7);
        EXPECT_EQ(d.asid, 9);
        EXPECT_TRUE(d.leaf);
        EXPECT_EQ(d.address, 0x1234'5000'0000ull);
        EXPECT_EQ(d.range.granule_bits(), tg == kTg4K ? 12u : tg == kTg16K ? 14u : 16u);
        EXPECT_EQ(d.range.granules(), 22ull << 17);  // (21 + 1) * 2^17
    }
}

TEST(Smmuv3RangeDecode, RangeBytesForEachGranule) {
    // NUM 3, SCALE 2: 16 granules from Address.
    const std::uint64_t base = 0x8000'0000;
    const TlbiAddressRange r4k = tlbi_address_range(decode(tlbi(kNhVaa, base, {3, 2, 0, kTg4K})));
    EXPECT_EQ(r4k.first, base);
    EXPECT_EQ(r4k.last, base + 16 * 0x1000 - 1);
    EXPECT_EQ(r4k.granule_bits, 12u);
    EXPECT_EQ(r4k.leaf_level, 0u);
    const TlbiAddressRange r16k = tlbi_address_range(decode(tlbi(kNhVaa, base, {3, 2, 0, kTg16K})));
    EXPECT_EQ(r16k.last, base + 16 * 0x4000 - 1);
    EXPECT_EQ(r16k.granule_bits, 14u);
    const TlbiAddressRange r64k = tlbi_address_range(decode(tlbi(kNhVaa, base, {3, 2, 0, kTg64K})));
    EXPECT_EQ(r64k.last, base + 16 * 0x10000 - 1);
    EXPECT_EQ(r64k.granule_bits, 16u);
}

TEST(Smmuv3RangeDecode, S2IpaAndEl2FormsCarryTheRange) {
    const DecodedCommand s2 = decode(tlbi(kS2Ipa, 0x40'0000'0000ull, {1, 4, 2, kTg4K, true}, 5));
    ASSERT_EQ(s2.kind, CommandKind::tlbi_s2_ipa) << describe(s2);
    EXPECT_EQ(s2.vmid, 5);
    const TlbiAddressRange r = tlbi_address_range(s2);
    EXPECT_EQ(r.first, 0x40'0000'0000ull);
    EXPECT_EQ(r.last, 0x40'0000'0000ull + 32 * 0x1000 - 1);  // (1 + 1) * 2^4 pages
    EXPECT_EQ(r.leaf_level, 2u);

    const DecodedCommand el2va = decode(tlbi(kEl2Va, 0x7000'0000, {0, 3, 3, kTg64K, true}, 0, 0x42), ril_hyp());
    ASSERT_EQ(el2va.kind, CommandKind::tlbi_el2_va) << describe(el2va);
    EXPECT_EQ(el2va.asid, 0x42);
    EXPECT_EQ(tlbi_address_range(el2va).last, 0x7000'0000ull + 8 * 0x10000 - 1);
    const DecodedCommand el2vaa = decode(tlbi(kEl2Vaa, 0x7000'0000, {2, 0, 0, kTg16K}), ril_hyp());
    ASSERT_EQ(el2vaa.kind, CommandKind::tlbi_el2_vaa) << describe(el2vaa);
    EXPECT_EQ(tlbi_address_range(el2vaa).last, 0x7000'0000ull + 3 * 0x4000 - 1);
    EXPECT_EQ(decode(tlbi(kEl2Asid, 0, {}, 0, 0xBEEF), ril_hyp()).asid, 0xBEEF);
    EXPECT_EQ(decode(tlbi(kEl2All, 0, {}), ril_hyp()).kind, CommandKind::tlbi_el2_all);
}

TEST(Smmuv3RangeDecode, El2CommandsNeedHypWithBothStages) {
    EXPECT_TRUE(decode(tlbi(kEl2All, 0, {})).is_illegal());  // no Hyp
    Features s1_only = ril_hyp();
    s1_only.stage2 = false;  // IDR0.Hyp is RES0 without stage 2 (6.3.1): the commands are CERROR_ILL
    for (std::uint8_t op : {kEl2All, kEl2Asid, kEl2Va, kEl2Vaa})
        EXPECT_TRUE(decode(tlbi(op, 0x1000, {}), s1_only).is_illegal()) << int(op);
}

TEST(Smmuv3RangeDecode, TtlHintAlone) {
    // NUM = SCALE = 0 with a level hint: one granule from Address, leaf entries of level TTL only.
    const TlbiAddressRange r = tlbi_address_range(decode(tlbi(kNhVa, 0x20'0000, {0, 0, 2, kTg4K, true}, 0, 1)));
    EXPECT_EQ(r.first, 0x20'0000u);
    EXPECT_EQ(r.last, 0x20'0fffu);
    EXPECT_EQ(r.leaf_level, 2u);
    EXPECT_EQ(r.granule_bits, 12u);
}

TEST(Smmuv3RangeDecode, ReservedEncodings) {
    // TG != 0 with NUM, SCALE and TTL all zero: CERROR_ILL.
    EXPECT_TRUE(decode(tlbi(kNhVa, 0x1000, {0, 0, 0, kTg4K})).is_illegal());
    EXPECT_TRUE(decode(tlbi(kS2Ipa, 0x1000, {0, 0, 0, kTg64K})).is_illegal());
    EXPECT_TRUE(decode(tlbi(kEl2Vaa, 0x1000, {0, 0, 0, kTg16K}), ril_hyp()).is_illegal());
    // 16 KiB with TTL 1 is reserved without IDR5.DS and treated as TTL 0: so alone it is the reserved
    // combination, and with a range it names leaf entries of any level.
    EXPECT_TRUE(decode(tlbi(kNhVaa, 0x4000, {0, 0, 1, kTg16K})).is_illegal());
    const DecodedCommand d = decode(tlbi(kNhVaa, 0x4000, {1, 0, 1, kTg16K}));
    ASSERT_FALSE(d.is_illegal());
    EXPECT_EQ(tlbi_address_range(d).leaf_level, 0u);
    EXPECT_EQ(tlbi_address_range(d).last, 0x4000u + 2 * 0x4000 - 1);
    // TTL 1 with 4 KiB and 64 KiB is a real hint.
    EXPECT_EQ(tlbi_address_range(decode(tlbi(kNhVaa, 0, {0, 0, 1, kTg4K}))).leaf_level, 1u);
    EXPECT_EQ(tlbi_address_range(decode(tlbi(kNhVaa, 0, {0, 0, 1, kTg64K}))).leaf_level, 1u);
}

TEST(Smmuv3RangeDecode, TgZeroMakesTheOtherFieldsRes0) {
    // With RIL and TG == 0, NUM, SCALE and TTL are RES0: a single-address invalidation.
    const DecodedCommand d = decode(tlbi(kNhVa, 0x5000, {31, 31, 3, 0, true}, 0, 3));
    ASSERT_EQ(d.kind, CommandKind::tlbi_nh_va);
    EXPECT_TRUE(d.range.is_zero());
    EXPECT_FALSE(d.range_fields_ignored);
    const TlbiAddressRange r = tlbi_address_range(d);
    EXPECT_EQ(r.first, 0x5000u);
    EXPECT_EQ(r.last, 0x5000u);
    EXPECT_EQ(r.granule_bits, 0u);
    EXPECT_EQ(r.leaf_level, 0u);
}

TEST(Smmuv3RangeDecode, WithoutRilTheFieldsAreRes0) {
    Features no_ril;  // IDR3.RIL == 0: NUM, SCALE, TTL, TG are RES0 (4.4.1.1) and ignored
    const DecodedCommand d = decode(tlbi(kNhVa, 0x9000, {5, 3, 3, kTg4K, true}, 0, 1), no_ril);
    ASSERT_EQ(d.kind, CommandKind::tlbi_nh_va);
    EXPECT_TRUE(d.range_fields_ignored);
    EXPECT_TRUE(d.range.is_zero());
    const TlbiAddressRange r = tlbi_address_range(d);
    EXPECT_EQ(r.first, 0x9000u);
    EXPECT_EQ(r.last, 0x9000u);
    // Not even the reserved combination is an error then.
    EXPECT_FALSE(decode(tlbi(kNhVa, 0x9000, {0, 0, 0, kTg4K}), no_ril).is_illegal());
}

// ---- hand-worked examples: what Linux's encoder sends -------------------------------------------

TEST(Smmuv3RangeExamples, LinuxUnmapOf512FourKPages) {
    // io-pgtable 4 KiB, unmap 2 MiB of 4 KiB leaves at IOVA 0x4020_0000: pages 512 = 2^9, SCALE 9,
    // NUM (512 >> 9) - 1 = 0, TG (12 - 10) / 2 = 1, TTL 4 - (12 - 3) / (12 - 3) = 3.
    const DecodedCommand d = decode(tlbi(kNhVa, 0x4020'0000, {0, 9, 3, 1, true}, 0, 1));
    ASSERT_FALSE(d.is_illegal());
    const TlbiAddressRange r = tlbi_address_range(d);
    EXPECT_EQ(r.first, 0x4020'0000u);
    EXPECT_EQ(r.last, 0x403f'ffffu);
    EXPECT_EQ(r.leaf_level, 3u);
    EXPECT_EQ(r.granule_bits, 12u);
}

TEST(Smmuv3RangeExamples, LinuxThreePages) {
    // 3 pages of 4 KiB at 0x1000_5000: SCALE ffs(3) = 0, NUM 3 - 1 = 2, TTL 3.
    const TlbiAddressRange r = tlbi_address_range(decode(tlbi(kNhVa, 0x1000'5000, {2, 0, 3, 1, true}, 0, 1)));
    EXPECT_EQ(r.first, 0x1000'5000u);
    EXPECT_EQ(r.last, 0x1000'7fffu);
}

TEST(Smmuv3RangeExamples, LinuxThirtyThreePagesTakeTwoCommands) {
    // 33 pages (0b100001): first SCALE 0, NUM (33 & 31) - 1 = 0: one page at IOVA; then 32 pages
    // left: SCALE 5, NUM 0, at IOVA + 4 KiB.
    const std::uint64_t iova = 0x7700'0000;
    const TlbiAddressRange first = tlbi_address_range(decode(tlbi(kNhVa, iova, {0, 0, 3, 1, true}, 0, 1)));
    const TlbiAddressRange second = tlbi_address_range(decode(tlbi(kNhVa, iova + 0x1000, {0, 5, 3, 1, true}, 0, 1)));
    EXPECT_EQ(first.first, iova);
    EXPECT_EQ(first.last, iova + 0xfff);
    EXPECT_EQ(second.first, iova + 0x1000);
    EXPECT_EQ(second.last, iova + 33 * 0x1000 - 1);
}

TEST(Smmuv3RangeExamples, LinuxBlockLeavesOfEachGranule) {
    // 2 MiB block, 4 KiB granule: TTL 4 - (21 - 3) / 9 = 2; one block = 512 pages: SCALE 9, NUM 0.
    const TlbiAddressRange b4k = tlbi_address_range(decode(tlbi(kNhVa, 0x8020'0000, {0, 9, 2, 1, true}, 0, 1)));
    EXPECT_EQ(b4k.leaf_level, 2u);
    EXPECT_EQ(b4k.last - b4k.first + 1, 0x20'0000u);
    // 32 MiB block, 16 KiB granule: TG 2, TTL 4 - (25 - 3) / 11 = 2; 2048 pages: SCALE 11.
    const TlbiAddressRange b16k = tlbi_address_range(decode(tlbi(kNhVa, 0x8200'0000, {0, 11, 2, 2, true}, 0, 1)));
    EXPECT_EQ(b16k.leaf_level, 2u);
    EXPECT_EQ(b16k.granule_bits, 14u);
    EXPECT_EQ(b16k.last - b16k.first + 1, 0x200'0000u);
    // 512 MiB block, 64 KiB granule: TG 3, TTL 4 - (29 - 3) / 13 = 2; 8192 pages: SCALE 13.
    const TlbiAddressRange b64k = tlbi_address_range(decode(tlbi(kNhVa, 0x2000'0000, {0, 13, 2, 3, true}, 0, 1)));
    EXPECT_EQ(b64k.leaf_level, 2u);
    EXPECT_EQ(b64k.granule_bits, 16u);
    EXPECT_EQ(b64k.last, 0x3fff'ffffu);
    // Five 16 KiB pages: SCALE 0, NUM 4, TTL 4 - (14 - 3) / 11 = 3.
    const TlbiAddressRange p16k = tlbi_address_range(decode(tlbi(kNhVa, 0x10'0000, {4, 0, 3, 2, true}, 0, 1)));
    EXPECT_EQ(p16k.last, 0x10'0000u + 5 * 0x4000 - 1);
    EXPECT_EQ(p16k.leaf_level, 3u);
}

TEST(Smmuv3RangeExamples, LinuxNonLeafSinglePageIsBumpedToTwo) {
    // Non-leaf, one 4 KiB page: TTL 0, and Linux makes it two pages so that NUM/SCALE/TTL are not
    // all zero: SCALE 1, NUM 0.
    const DecodedCommand d = decode(tlbi(kNhVa, 0x6000'0000, {0, 1, 0, 1, false}, 0, 1));
    ASSERT_FALSE(d.is_illegal());
    const TlbiAddressRange r = tlbi_address_range(d);
    EXPECT_EQ(r.last, 0x6000'1fffu);
    EXPECT_EQ(r.leaf_level, 0u);
}

TEST(Smmuv3RangeExamples, LargestRangeAndNoWrap) {
    // NUM 31, SCALE 31, 64 KiB: 32 * 2^31 * 2^16 = 2^52 bytes.
    const TlbiAddressRange big = tlbi_address_range(decode(tlbi(kNhVaa, 0, {31, 31, 0, 3})));
    EXPECT_EQ(big.first, 0u);
    EXPECT_EQ(big.last, (1ull << 52) - 1);
    // A TTB1 address whose range passes the top of the address space does not wrap (4.4.1.1).
    const std::uint64_t top = 0xffff'ffff'ffe0'0000ull;  // 2 MiB below the top
    const TlbiAddressRange over = tlbi_address_range(decode(tlbi(kNhVaa, top, {0, 10, 0, 1})));  // 4 MiB
    EXPECT_EQ(over.first, top);
    EXPECT_EQ(over.last, ~0ull);
    EXPECT_FALSE(over.intersects(0, 12));  // nothing at the bottom of the TTB0 half
}

TEST(Smmuv3RangeExamples, IntersectionOfSpans) {
    TlbiAddressRange r;
    r.first = 0x4000'1000;
    r.last = 0x4000'2fff;
    EXPECT_TRUE(r.intersects(0x4000'0000, 21));   // a 2 MiB block holding the range
    EXPECT_TRUE(r.intersects(0x4000'2000, 12));   // the last page
    EXPECT_FALSE(r.intersects(0x4000'3000, 12));  // the page after
    EXPECT_FALSE(r.intersects(0x4000'0000, 12));  // the page before
    EXPECT_TRUE(r.intersects(0, 64));             // a walk-cache entry covering everything
}

// ---- the TLB: what a command removes -------------------------------------------------------------

struct TlbFixture {
    Tlb tlb{CacheGeometry{64, 8, ReplacementPolicy::lru}, 1};

    void fill(StreamWorld world, std::uint16_t vmid, std::uint32_t asid, std::uint64_t va, unsigned size_bits,
              unsigned granule_bits = 12, unsigned level = 3) {
        TlbEntry e;
        e.output_base = va;
        e.stage1_size_bits = static_cast<std::uint8_t>(size_bits);
        e.granule_bits = static_cast<std::uint8_t>(granule_bits);
        e.leaf_level = static_cast<std::uint8_t>(level);
        tlb.fill(vmid, asid, TlbStages::stage1, va, size_bits, e, world);
    }
    bool present(StreamWorld world, std::uint16_t vmid, std::uint32_t asid, std::uint64_t va) {
        unsigned probes = 0, size = 0;
        return tlb.lookup(vmid, asid, TlbStages::stage1, va, probes, size, world) != nullptr;
    }
    void run(const std::array<std::uint64_t, 2>& words, const Features& f = ril_hyp(), bool e2h = false) {
        const DecodedCommand d = decode_command(words[0], words[1], f);
        ASSERT_FALSE(d.is_illegal()) << describe(d);
        tlb.invalidate(d, e2h);
    }
};

TEST(Smmuv3RangeTlb, RemovesExactlyThePagesInTheRange) {
    TlbFixture t;
    for (unsigned i = 0; i < 8; ++i) t.fill(StreamWorld::ns_el1, 1, 5, 0x10'0000 + i * 0x1000, 12);
    // Pages 2..5: NUM 3, SCALE 0 from page 2.
    t.run(tlbi(kNhVa, 0x10'2000, {3, 0, 3, kTg4K, true}, 1, 5));
    for (unsigned i = 0; i < 8; ++i)
        EXPECT_EQ(t.present(StreamWorld::ns_el1, 1, 5, 0x10'0000 + i * 0x1000), i < 2 || i > 5) << i;
}

TEST(Smmuv3RangeTlb, ScopeIsTheGranuleAndLevelNamed) {
    TlbFixture t;
    t.fill(StreamWorld::ns_el1, 1, 5, 0x20'0000, 21, 12, 2);    // a 2 MiB block of a 4 KiB table
    t.fill(StreamWorld::ns_el1, 1, 5, 0x40'0000, 12, 12, 3);    // a 4 KiB page
    t.fill(StreamWorld::ns_el1, 1, 5, 0x41'0000, 16, 16, 3);    // a 64 KiB page of a 64 KiB table
    // 4 MiB from 0x20_0000, 4 KiB granule, leaf level 3 only: the page goes, the level-2 block and
    // the 64 KiB-granule page are outside the scope the specification requires, and stay.
    t.run(tlbi(kNhVa, 0x20'0000, {0, 10, 3, kTg4K, true}, 1, 5));
    EXPECT_TRUE(t.present(StreamWorld::ns_el1, 1, 5, 0x20'0000));
    EXPECT_FALSE(t.present(StreamWorld::ns_el1, 1, 5, 0x40'0000));
    EXPECT_TRUE(t.present(StreamWorld::ns_el1, 1, 5, 0x41'0000));
    // TTL 0: leaf entries of any level of 4 KiB tables.
    t.run(tlbi(kNhVa, 0x20'0000, {0, 10, 0, kTg4K, true}, 1, 5));
    EXPECT_FALSE(t.present(StreamWorld::ns_el1, 1, 5, 0x20'0000));
    EXPECT_TRUE(t.present(StreamWorld::ns_el1, 1, 5, 0x41'0000));
    // A block that starts before the range but reaches into it is named.
    t.fill(StreamWorld::ns_el1, 1, 5, 0x60'0000, 21, 12, 2);
    t.run(tlbi(kNhVaa, 0x7f'f000, {0, 0, 2, kTg4K, true}, 1));
    EXPECT_FALSE(t.present(StreamWorld::ns_el1, 1, 5, 0x60'0000));
}

TEST(Smmuv3RangeTlb, El1CommandsLeaveEl2EntriesAlone) {
    TlbFixture t;
    t.fill(StreamWorld::ns_el1, 0, 5, 0x1000, 12);
    t.fill(StreamWorld::ns_el2, 0, kGlobalAsid, 0x1000, 12);
    t.fill(StreamWorld::ns_el2_e2h, 0, 5, 0x1000, 12);
    for (const auto& words : {tlbi(kNhAll, 0, {}), tlbi(kNhAsid, 0, {}, 0, 5), tlbi(kNhVa, 0x1000, {}, 0, 5),
                              tlbi(kNhVaa, 0x1000, {}), tlbi(kS12Vmall, 0, {}), tlbi(kNsnhAll, 0, {})})
        t.run(words);
    EXPECT_FALSE(t.present(StreamWorld::ns_el1, 0, 5, 0x1000));
    EXPECT_TRUE(t.present(StreamWorld::ns_el2, 0, kGlobalAsid, 0x1000));
    EXPECT_TRUE(t.present(StreamWorld::ns_el2_e2h, 0, 5, 0x1000));
    t.run(tlbi(kEl2All, 0, {}));
    EXPECT_FALSE(t.present(StreamWorld::ns_el2, 0, kGlobalAsid, 0x1000));
    EXPECT_FALSE(t.present(StreamWorld::ns_el2_e2h, 0, 5, 0x1000));
}

TEST(Smmuv3RangeTlb, El2CommandsFollowE2H) {
    TlbFixture t;
    const auto refill = [&] {
        t.fill(StreamWorld::ns_el1, 0, 5, 0x3000, 12);
        t.fill(StreamWorld::ns_el2, 0, kGlobalAsid, 0x3000, 12);
        t.fill(StreamWorld::ns_el2_e2h, 0, 5, 0x3000, 12);
        t.fill(StreamWorld::ns_el2_e2h, 0, 6, 0x3000, 12);
        t.fill(StreamWorld::ns_el2_e2h, 0, kGlobalAsid, 0x4000, 12);
    };
    refill();
    // EL2_ASID: non-global EL2-E2H entries of the ASID only.
    t.run(tlbi(kEl2Asid, 0, {}, 0, 5));
    EXPECT_FALSE(t.present(StreamWorld::ns_el2_e2h, 0, 5, 0x3000));
    EXPECT_TRUE(t.present(StreamWorld::ns_el2_e2h, 0, 6, 0x3000));
    EXPECT_TRUE(t.present(StreamWorld::ns_el2, 0, kGlobalAsid, 0x3000));
    EXPECT_TRUE(t.present(StreamWorld::ns_el2_e2h, 0, kGlobalAsid, 0x4000));
    EXPECT_TRUE(t.present(StreamWorld::ns_el1, 0, 5, 0x3000));
    // EL2_VA with E2H == 0: EL2 entries by VA, the ASID ignored; EL2-E2H entries stay.
    refill();
    t.run(tlbi(kEl2Va, 0x3000, {}, 0, 9), ril_hyp(), false);
    EXPECT_FALSE(t.present(StreamWorld::ns_el2, 0, kGlobalAsid, 0x3000));
    EXPECT_TRUE(t.present(StreamWorld::ns_el2_e2h, 0, 5, 0x3000));
    // EL2_VA with E2H == 1: EL2-E2H entries of the ASID and global ones, by VA.
    refill();
    t.run(tlbi(kEl2Va, 0x3000, {1, 0, 0, kTg4K}, 0, 5), ril_hyp(), true);  // two pages: 0x3000, 0x4000
    EXPECT_FALSE(t.present(StreamWorld::ns_el2_e2h, 0, 5, 0x3000));
    EXPECT_TRUE(t.present(StreamWorld::ns_el2_e2h, 0, 6, 0x3000));
    EXPECT_FALSE(t.present(StreamWorld::ns_el2_e2h, 0, kGlobalAsid, 0x4000));
    EXPECT_TRUE(t.present(StreamWorld::ns_el2, 0, kGlobalAsid, 0x3000));
    EXPECT_TRUE(t.present(StreamWorld::ns_el1, 0, 5, 0x3000));
    // EL2_VAA with E2H == 1: every ASID of EL2-E2H.
    t.run(tlbi(kEl2Vaa, 0x3000, {}), ril_hyp(), true);
    EXPECT_FALSE(t.present(StreamWorld::ns_el2_e2h, 0, 6, 0x3000));
    EXPECT_TRUE(t.present(StreamWorld::ns_el2, 0, kGlobalAsid, 0x3000));
}

}  // namespace
