// VMSAv8-64 walks against tables written by hand. Descriptor encodings, indices and table addresses
// are worked out here from the Arm ARM's descriptor formats (D8.3) and level layout (D8.2), not
// taken from the walker's own definitions.
#include "models/smmuv3/vmsa_walk.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <set>
#include <vector>

namespace {

using namespace iommu_vp::vmsa;

// Descriptor encodings: bits[1:0] 11 = table (levels 0-2) or page (level 3), 01 = block; AF is
// bit 10; AP[2:1] bits 7:6; PXN 53; UXN 54; PXNTable 59; XNTable 60; APTable 62:61.
constexpr std::uint64_t kAf = 1ull << 10;
std::uint64_t table(std::uint64_t address, std::uint64_t extra = 0) { return address | 0b11 | extra; }
std::uint64_t page(std::uint64_t address, std::uint64_t extra = 0) { return address | 0b11 | kAf | extra; }
std::uint64_t block(std::uint64_t address, std::uint64_t extra = 0) { return address | 0b01 | kAf | extra; }
constexpr std::uint64_t kApPrivRw = 0b00ull << 6;
constexpr std::uint64_t kApAnyRw = 0b01ull << 6;
constexpr std::uint64_t kApPrivRo = 0b10ull << 6;
constexpr std::uint64_t kApAnyRo = 0b11ull << 6;
constexpr std::uint64_t kPxn = 1ull << 53;
constexpr std::uint64_t kUxn = 1ull << 54;
constexpr std::uint64_t kApTableNoEl0 = 1ull << 61;
constexpr std::uint64_t kApTableRo = 1ull << 62;
constexpr std::uint64_t kPxnTable = 1ull << 59;
constexpr std::uint64_t kXnTable = 1ull << 60;
// Stage 2: S2AP bits 7:6 (bit 6 read, bit 7 write), XN bit 54.
constexpr std::uint64_t kS2Read = 1ull << 6;
constexpr std::uint64_t kS2Write = 1ull << 7;

class Tables : public DescriptorReader {
public:
    void put(std::uint64_t address, std::uint64_t descriptor) { memory_[address] = descriptor; }
    void abort_at(std::uint64_t address) { aborts_.insert(address); }
    FetchStatus read_descriptor(std::uint64_t address, std::uint64_t& descriptor) override {
        fetched.push_back(address);
        if (aborts_.count(address)) return FetchStatus::external_abort;
        auto it = memory_.find(address);
        descriptor = it == memory_.end() ? 0 : it->second;  // unwritten memory reads as zero
        return FetchStatus::ok;
    }
    std::vector<std::uint64_t> fetched;

private:
    std::map<std::uint64_t, std::uint64_t> memory_;
    std::set<std::uint64_t> aborts_;
};

WalkConfig stage1(unsigned granule_bits, unsigned input_bits, std::uint64_t ttb, unsigned output_bits = 48) {
    WalkConfig c;
    c.stage = Stage::one;
    c.granule_bits = granule_bits;
    c.input_bits = input_bits;
    c.start_level = *start_level_stage1(granule_bits, input_bits);
    c.table_base = ttb;
    c.output_bits = output_bits;
    return c;
}

// 4 KiB granule, 48-bit input: indices [47:39] [38:30] [29:21] [20:12], offset [11:0].
// VA with indices 1, 2, 3, 4 and offset 0xabc:
//   (1 << 39) | (2 << 30) | (3 << 21) | (4 << 12) | 0xabc = 0x0000_0080_8060_4abc.
constexpr std::uint64_t kVa4k = 0x0000'0080'8060'4abcull;

struct FourLevel4k : ::testing::Test {
    Tables t;
    void SetUp() override {
        t.put(0x1000'0000 + 1 * 8, table(0x1000'1000));
        t.put(0x1000'1000 + 2 * 8, table(0x1000'2000));
        t.put(0x1000'2000 + 3 * 8, table(0x1000'3000));
        t.put(0x1000'3000 + 4 * 8, page(0x4'5678'9000, kApAnyRw));
    }
};

TEST(VmsaStartLevel, Stage1FollowsTheInputSize) {
    // levels = ceil((IAS - granule) / (granule - 3)); start = 4 - levels.
    EXPECT_EQ(start_level_stage1(12, 48), 0u);  // 36 bits / 9 = 4 levels
    EXPECT_EQ(start_level_stage1(12, 39), 1u);  // 27 / 9 = 3
    EXPECT_EQ(start_level_stage1(12, 40), 0u);  // 28 / 9 -> 4
    EXPECT_EQ(start_level_stage1(12, 30), 2u);  // 18 / 9 = 2
    EXPECT_EQ(start_level_stage1(14, 48), 0u);  // 34 / 11 -> 4
    EXPECT_EQ(start_level_stage1(14, 47), 1u);  // 33 / 11 = 3
    EXPECT_EQ(start_level_stage1(16, 48), 1u);  // 32 / 13 -> 3
    EXPECT_EQ(start_level_stage1(16, 42), 2u);  // 26 / 13 = 2
    EXPECT_FALSE(start_level_stage1(12, 49));
    EXPECT_FALSE(start_level_stage1(12, 24));
    EXPECT_FALSE(start_level_stage1(13, 48));
}

TEST(VmsaStartLevel, Stage2FromSl0WithConcatenation) {
    // 4 KiB: start = 2 - SL0. Level 1 resolves [38:30] plus up to 4 concatenation bits: IAS 31..43.
    EXPECT_EQ(start_level_stage2(12, 1, 40), 1u);   // 2 tables concatenated
    EXPECT_EQ(start_level_stage2(12, 1, 43), 1u);   // 16 tables
    EXPECT_FALSE(start_level_stage2(12, 1, 44));    // would need 32 tables
    EXPECT_EQ(start_level_stage2(12, 2, 48), 0u);
    EXPECT_EQ(start_level_stage2(12, 0, 32), 2u);   // level 2 resolves [31:21]: 11 bits, 4 tables
    EXPECT_FALSE(start_level_stage2(12, 0, 48));    // level 2 cannot resolve 27 bits
    EXPECT_FALSE(start_level_stage2(12, 2, 39));    // level 0 would resolve nothing
    EXPECT_FALSE(start_level_stage2(12, 3, 48));    // SL0 = 3 reserved
    // 64 KiB: start = 3 - SL0; level 2 resolves [41:29] plus up to 4 bits.
    EXPECT_EQ(start_level_stage2(16, 1, 42), 2u);
    EXPECT_EQ(start_level_stage2(16, 2, 48), 1u);
    EXPECT_EQ(start_level_stage2(14, 1, 40), 2u);   // 16 KiB level 2 resolves [35:25] + 4 bits
}

TEST_F(FourLevel4k, PageWalkReadsOneDescriptorPerLevel) {
    const WalkResult r = walk(stage1(12, 48, 0x1000'0000), kVa4k, t);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.type);
    EXPECT_EQ(r.translation.output_address, 0x4'5678'9abcull);
    EXPECT_EQ(r.translation.level, 3u);
    EXPECT_EQ(r.translation.size_bits, 12u);
    EXPECT_EQ(r.descriptor_fetches, 4u);
    EXPECT_EQ(t.fetched, (std::vector<std::uint64_t>{0x1000'0008, 0x1000'1010, 0x1000'2018, 0x1000'3020}));
}

TEST_F(FourLevel4k, TwoMegabyteBlockAtLevelTwo) {
    t.put(0x1000'2000 + 3 * 8, block(0x4020'0000));
    const WalkResult r = walk(stage1(12, 48, 0x1000'0000), kVa4k, t);
    ASSERT_TRUE(r.ok());
    // The block keeps VA[20:0] = 0x4abc.
    EXPECT_EQ(r.translation.output_address, 0x4020'4abcull);
    EXPECT_EQ(r.translation.level, 2u);
    EXPECT_EQ(r.translation.size_bits, 21u);
    EXPECT_EQ(r.descriptor_fetches, 3u);
}

TEST_F(FourLevel4k, BlockAtLevelZeroIsATranslationFault) {
    t.put(0x1000'0000 + 1 * 8, block(0));
    const WalkResult r = walk(stage1(12, 48, 0x1000'0000), kVa4k, t);
    EXPECT_EQ(r.fault.type, FaultType::translation);
    EXPECT_EQ(r.fault.level, 0u);
}

TEST_F(FourLevel4k, InvalidOrReservedDescriptorsFaultAtTheirLevel) {
    t.put(0x1000'2000 + 3 * 8, 0x4020'0000);  // bit 0 clear: invalid
    WalkResult r = walk(stage1(12, 48, 0x1000'0000), kVa4k, t);
    EXPECT_EQ(r.fault.type, FaultType::translation);
    EXPECT_EQ(r.fault.level, 2u);
    EXPECT_EQ(r.descriptor_fetches, 3u);

    t.put(0x1000'2000 + 3 * 8, table(0x1000'3000));
    t.put(0x1000'3000 + 4 * 8, 0x4'5678'9000ull | 0b01 | kAf);  // 01 at level 3 is reserved
    r = walk(stage1(12, 48, 0x1000'0000), kVa4k, t);
    EXPECT_EQ(r.fault.type, FaultType::translation);
    EXPECT_EQ(r.fault.level, 3u);
}

TEST_F(FourLevel4k, AccessFlagClearFaultsUnlessDisabled) {
    t.put(0x1000'3000 + 4 * 8, 0x4'5678'9000ull | 0b11);  // AF = 0
    WalkConfig c = stage1(12, 48, 0x1000'0000);
    EXPECT_EQ(walk(c, kVa4k, t).fault.type, FaultType::access_flag);
    c.access_flag_fault_disabled = true;
    EXPECT_TRUE(walk(c, kVa4k, t).ok());
}

TEST_F(FourLevel4k, ExternalAbortOnAFetchNamesTheLevelAndAddress) {
    t.abort_at(0x1000'2018);
    const WalkResult r = walk(stage1(12, 48, 0x1000'0000), kVa4k, t);
    EXPECT_EQ(r.fault.type, FaultType::external_abort);
    EXPECT_EQ(r.fault.level, 2u);
    EXPECT_EQ(r.fault.descriptor_address, 0x1000'2018u);
}

TEST_F(FourLevel4k, OutputBeyondTheOutputSizeIsAnAddressSizeFault) {
    // With a 32-bit output size, the page at 0x4_5678_9000 is out of range (bit 34 set).
    WalkResult r = walk(stage1(12, 48, 0x1000'0000, 32), kVa4k, t);
    EXPECT_EQ(r.fault.type, FaultType::address_size);
    EXPECT_EQ(r.fault.level, 3u);
    // A next-level table beyond it faults at the level of the table descriptor.
    t.put(0x1000'0000 + 1 * 8, table(0x1'0000'0000));
    r = walk(stage1(12, 48, 0x1000'0000, 32), kVa4k, t);
    EXPECT_EQ(r.fault.type, FaultType::address_size);
    EXPECT_EQ(r.fault.level, 0u);
    // So does a table base beyond it, before anything is read.
    t.fetched.clear();
    r = walk(stage1(12, 48, 0x2'0000'0000, 32), kVa4k, t);
    EXPECT_EQ(r.fault.type, FaultType::address_size);
    EXPECT_TRUE(t.fetched.empty());
}

TEST_F(FourLevel4k, InputOutsideTheRangeFaultsWithoutAFetch) {
    // 39-bit input (start level 1): bit 39 set is outside TTB0's range.
    const WalkResult r = walk(stage1(12, 39, 0x1000'0000), 1ull << 39, t);
    EXPECT_EQ(r.fault.type, FaultType::translation);
    EXPECT_TRUE(t.fetched.empty());
}

TEST(VmsaWalk, UpperRangeNeedsTheTopBitsSet) {
    Tables t;
    // 39-bit TTB1 range: VA 0xffff_ff80_0000_0000 + (3 << 30) has level-1 index 3 (bits [38:30]).
    t.put(0x2000 + 3 * 8, block(0xc000'0000));
    WalkConfig c = stage1(12, 39, 0x2000);
    c.upper_range = true;
    const WalkResult r = walk(c, 0xffff'ff80'c000'1234ull, t);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.type);
    EXPECT_EQ(r.translation.output_address, 0xc000'1234ull);
    EXPECT_EQ(walk(c, 0x0000'0000'c000'1234ull, t).fault.type, FaultType::translation);
}

TEST(VmsaWalk, SixtyFourKilobyteGranuleFromLevelTwo) {
    Tables t;
    // 64 KiB, 42-bit input: level 2 index [41:29], level 3 index [28:16], offset [15:0].
    // VA = (3 << 29) | (7 << 16) | 0x1234 = 0x6007_1234.
    t.put(0x10'0000 + 3 * 8, table(0x20'0000));
    t.put(0x20'0000 + 7 * 8, page(0x8765'0000));
    const WalkResult r = walk(stage1(16, 42, 0x10'0000), 0x6007'1234, t);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.translation.output_address, 0x8765'1234ull);
    EXPECT_EQ(r.translation.size_bits, 16u);
    EXPECT_EQ(r.descriptor_fetches, 2u);
}

TEST(VmsaWalk, SixtyFourKilobyteGranuleWithFiftyTwoBitOutput) {
    Tables t;
    // PA[51:48] = 0x3 sits in descriptor bits [15:12]: 0x3 << 12 = 0x3000.
    t.put(0x10'0000 + 3 * 8, table(0x20'0000));
    t.put(0x20'0000 + 7 * 8, page(0x8765'0000 | 0x3000));
    const WalkResult r = walk(stage1(16, 42, 0x10'0000, 52), 0x6007'1234, t);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.translation.output_address, 0x3'0000'8765'1234ull);
}

TEST(VmsaWalk, SixteenKilobyteGranuleThreeLevels) {
    Tables t;
    // 16 KiB, 47-bit input: start level 1; indices [46:36] [35:25] [24:14], offset [13:0].
    // VA = (5 << 36) | (6 << 25) | (9 << 14) | 0x2345 = 0x50_0c02_6345.
    t.put(0x4000 + 5 * 8, table(0x8000));
    t.put(0x8000 + 6 * 8, table(0xc000));
    t.put(0xc000 + 9 * 8, page(0x1234'4000));
    const WalkResult r = walk(stage1(14, 47, 0x4000), 0x50'0c02'6345ull, t);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.type);
    EXPECT_EQ(r.translation.output_address, 0x1234'6345ull);
    EXPECT_EQ(r.descriptor_fetches, 3u);
    // 16 KiB has no level-1 blocks.
    t.put(0x4000 + 5 * 8, block(0));
    EXPECT_EQ(walk(stage1(14, 47, 0x4000), 0x50'0c02'6345ull, t).fault.type, FaultType::translation);
}

TEST(VmsaWalk, Stage2ConcatenatedStartingTables) {
    Tables t;
    // 4 KiB, 40-bit IPA, SL0 = 1: level 1 resolves [39:30], 1024 entries in two concatenated 4 KiB
    // tables. IPA 0x80_4000_0000 has index 0x201, at 0x201 * 8 = 0x1008 from the base.
    WalkConfig c;
    c.stage = Stage::two;
    c.granule_bits = 12;
    c.input_bits = 40;
    c.start_level = *start_level_stage2(12, 1, 40);
    c.table_base = 0x30'0000;
    t.put(0x30'1008, block(0x1'4000'0000, kS2Read | kS2Write));
    const WalkResult r = walk(c, 0x80'4000'5678ull, t);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.type);
    EXPECT_EQ(t.fetched, (std::vector<std::uint64_t>{0x30'1008}));
    EXPECT_EQ(r.translation.output_address, 0x1'4000'5678ull);
    EXPECT_EQ(r.translation.size_bits, 30u);
}

TEST(VmsaPermissions, Stage1AccessPermissions) {
    Tables t;
    auto leaf_permissions = [&](std::uint64_t ap, std::uint64_t table_bits = 0) {
        t.put(0x1000 + 0 * 8, table(0x2000, table_bits));
        t.put(0x2000 + 0 * 8, page(0x9000, ap));
        const WalkResult r = walk(stage1(12, 30, 0x1000), 0x123, t);  // start level 2
        EXPECT_TRUE(r.ok());
        return r.translation.permissions;
    };
    const Permissions priv_rw = leaf_permissions(kApPrivRw);
    const Permissions any_rw = leaf_permissions(kApAnyRw);
    const Permissions priv_ro = leaf_permissions(kApPrivRo);
    const Permissions any_ro = leaf_permissions(kApAnyRo);

    const Access priv_read{false, true, false}, priv_write{true, true, false};
    const Access user_read{false, false, false}, user_write{true, false, false};
    EXPECT_EQ(check_access(Stage::one, priv_rw, priv_write), FaultType::none);
    EXPECT_EQ(check_access(Stage::one, priv_rw, user_read), FaultType::permission);
    EXPECT_EQ(check_access(Stage::one, any_rw, user_write), FaultType::none);
    EXPECT_EQ(check_access(Stage::one, priv_ro, priv_read), FaultType::none);
    EXPECT_EQ(check_access(Stage::one, priv_ro, priv_write), FaultType::permission);
    EXPECT_EQ(check_access(Stage::one, priv_ro, user_read), FaultType::permission);
    EXPECT_EQ(check_access(Stage::one, any_ro, user_read), FaultType::none);
    EXPECT_EQ(check_access(Stage::one, any_ro, user_write), FaultType::permission);

    // APTable restricts the levels below: no EL0 access, then no write.
    EXPECT_EQ(check_access(Stage::one, leaf_permissions(kApAnyRw, kApTableNoEl0), user_read), FaultType::permission);
    EXPECT_EQ(check_access(Stage::one, leaf_permissions(kApAnyRw, kApTableRo), priv_write), FaultType::permission);
    EXPECT_EQ(check_access(Stage::one, leaf_permissions(kApAnyRw, kApTableRo), user_read), FaultType::none);
}

TEST(VmsaPermissions, Stage1ExecuteNever) {
    Tables t;
    auto perms = [&](std::uint64_t leaf_bits, std::uint64_t table_bits = 0) {
        t.put(0x1000, table(0x2000, table_bits));
        t.put(0x2000, page(0x9000, leaf_bits));
        return walk(stage1(12, 30, 0x1000), 0x10, t).translation.permissions;
    };
    const Access priv_fetch{false, true, true}, user_fetch{false, false, true};
    EXPECT_EQ(check_access(Stage::one, perms(kApPrivRo), priv_fetch), FaultType::none);
    EXPECT_EQ(check_access(Stage::one, perms(kApPrivRo | kPxn), priv_fetch), FaultType::permission);
    EXPECT_EQ(check_access(Stage::one, perms(kApAnyRo | kUxn), user_fetch), FaultType::permission);
    EXPECT_EQ(check_access(Stage::one, perms(kApAnyRo | kUxn), priv_fetch), FaultType::none);
    EXPECT_EQ(check_access(Stage::one, perms(kApAnyRo, kPxnTable), priv_fetch), FaultType::permission);
    EXPECT_EQ(check_access(Stage::one, perms(kApAnyRo, kXnTable), user_fetch), FaultType::permission);
    // Memory EL0 can write is never executable at EL1, whatever PXN says.
    EXPECT_EQ(check_access(Stage::one, perms(kApAnyRw), priv_fetch), FaultType::permission);
    EXPECT_EQ(check_access(Stage::one, perms(kApAnyRw), user_fetch), FaultType::none);
}

TEST(VmsaPermissions, Stage2AccessAndExecute) {
    Tables t;
    WalkConfig c;
    c.stage = Stage::two;
    c.granule_bits = 12;
    c.input_bits = 32;
    c.start_level = *start_level_stage2(12, 0, 32);  // level 2, [31:21], 4 concatenated tables
    c.table_base = 0x10'0000;
    auto perms = [&](std::uint64_t leaf_bits) {
        t.put(0x10'0000, block(0x4000'0000, leaf_bits));
        const WalkResult r = walk(c, 0x1234, t);
        EXPECT_TRUE(r.ok());
        return r.translation.permissions;
    };
    const Access read{false, false, false}, write{true, false, false}, fetch{false, false, true};
    EXPECT_EQ(check_access(Stage::two, perms(kS2Read), read), FaultType::none);
    EXPECT_EQ(check_access(Stage::two, perms(kS2Read), write), FaultType::permission);
    EXPECT_EQ(check_access(Stage::two, perms(kS2Write), read), FaultType::permission);
    EXPECT_EQ(check_access(Stage::two, perms(0), read), FaultType::permission);
    EXPECT_EQ(check_access(Stage::two, perms(kS2Read), fetch), FaultType::none);
    EXPECT_EQ(check_access(Stage::two, perms(kS2Read | kUxn), fetch), FaultType::permission);  // XN[1], bit 54
}

// A walk cache that remembers what the walker fills, keyed by level and prefix.
class MapWalkCache : public WalkCache {
public:
    bool lookup(unsigned level, std::uint64_t prefix, std::uint64_t& table, TableAttributes& attributes) override {
        auto it = entries.find({level, prefix});
        if (it == entries.end()) return false;
        table = it->second.first;
        attributes = it->second.second;
        ++hits;
        return true;
    }
    void fill(unsigned level, std::uint64_t prefix, std::uint64_t table, const TableAttributes& attributes) override {
        entries[{level, prefix}] = {table, attributes};
    }
    std::map<std::pair<unsigned, std::uint64_t>, std::pair<std::uint64_t, TableAttributes>> entries;
    unsigned hits = 0;
};

TEST_F(FourLevel4k, WalkCacheFillsEachLevelAndShortensTheNextWalk) {
    MapWalkCache cache;
    const WalkResult first = walk(stage1(12, 48, 0x1000'0000), kVa4k, t, &cache);
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(first.descriptor_fetches, 4u);
    // Levels 1, 2 and 3 are filled with the prefixes above the bits each level resolves:
    // VA >> 39, VA >> 30 and VA >> 21.
    EXPECT_EQ(cache.entries.at({1, kVa4k >> 39}).first, 0x1000'1000u);
    EXPECT_EQ(cache.entries.at({2, kVa4k >> 30}).first, 0x1000'2000u);
    EXPECT_EQ(cache.entries.at({3, kVa4k >> 21}).first, 0x1000'3000u);

    // The next page shares the level-3 table: one descriptor read, at L3[5].
    t.put(0x1000'3000 + 5 * 8, page(0x4'5678'a000, kApAnyRw));
    t.fetched.clear();
    const WalkResult second = walk(stage1(12, 48, 0x1000'0000), kVa4k + 0x1000, t, &cache);
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(second.descriptor_fetches, 1u);
    EXPECT_EQ(t.fetched, (std::vector<std::uint64_t>{0x1000'3028}));
    EXPECT_EQ(second.translation.output_address, 0x4'5678'aabcull);
}

TEST_F(FourLevel4k, WalkCacheKeepsTheTableRestrictionsGatheredAbove) {
    t.put(0x1000'1000 + 2 * 8, table(0x1000'2000, kApTableRo));  // L1[2]: no writes below
    MapWalkCache cache;
    ASSERT_TRUE(walk(stage1(12, 48, 0x1000'0000), kVa4k, t, &cache).ok());
    const WalkResult cached = walk(stage1(12, 48, 0x1000'0000), kVa4k, t, &cache);
    ASSERT_TRUE(cached.ok());
    EXPECT_EQ(cached.descriptor_fetches, 1u);
    EXPECT_TRUE(cached.translation.permissions.read_only);
}

}  // namespace
