// VT-d page walks against tables written by hand. Entry encodings, indices and table addresses are
// worked out here from the VT-d entry formats (second level: R bit 0, W 1, X 2, PS 7, A 8, D 9, SNP 11,
// bit 62 reserved; first level: P 0, R/W 1, U/S 2, PWT 3, PCD 4, A 5, D 6, PS 7, G 8, EA 10, PAT 12 in
// large leaves, XD 63) and the 9-bits-per-level layout, not taken from the walker's own constants.
#include "models/vtd/page_walk.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <utility>
#include <vector>

namespace {

using namespace iommu_vp::vtd;

// A table memory with error injection and another writer that changes an entry just before the
// walker's compare-and-exchange reaches it.
class FakeMemory : public TableMemory {
public:
    void put(std::uint64_t address, std::uint64_t value) { words_[address] = value; }
    std::uint64_t at(std::uint64_t address) const {
        const auto it = words_.find(address);
        return it == words_.end() ? 0 : it->second;  // unwritten memory reads as zero
    }
    void fail_reads_at(std::uint64_t address) { read_errors_.insert(address); }
    void fail_updates_at(std::uint64_t address) { update_errors_.insert(address); }
    void race_at(std::uint64_t address, std::function<std::uint64_t(std::uint64_t)> change, unsigned times = 1) {
        races_[address] = {std::move(change), times};
    }

    FetchStatus read64(std::uint64_t address, std::uint64_t& value) override {
        reads.push_back(address);
        if (read_errors_.count(address)) return FetchStatus::error;
        value = at(address);
        return FetchStatus::ok;
    }
    FetchStatus compare_exchange64(std::uint64_t address, std::uint64_t expected, std::uint64_t desired,
                                   std::uint64_t& observed) override {
        updates.push_back(address);
        if (update_errors_.count(address)) return FetchStatus::error;
        const auto race = races_.find(address);
        if (race != races_.end() && race->second.second > 0) {
            words_[address] = race->second.first(at(address));
            --race->second.second;
        }
        observed = at(address);
        if (observed == expected) words_[address] = desired;
        return FetchStatus::ok;
    }
    unsigned updates_at(std::uint64_t address) const {
        return static_cast<unsigned>(std::count(updates.begin(), updates.end(), address));
    }

    std::vector<std::uint64_t> reads;
    std::vector<std::uint64_t> updates;

private:
    std::map<std::uint64_t, std::uint64_t> words_;
    std::set<std::uint64_t> read_errors_;
    std::set<std::uint64_t> update_errors_;
    std::map<std::uint64_t, std::pair<std::function<std::uint64_t(std::uint64_t)>, unsigned>> races_;
};

// A walk cache that remembers what the walker fills, keyed by level and prefix.
class MapWalkCache : public WalkCache {
public:
    bool lookup(unsigned level, std::uint64_t prefix, std::uint64_t& table, TableRights& rights) override {
        const auto it = entries.find({level, prefix});
        if (it == entries.end()) return false;
        table = it->second.first;
        rights = it->second.second;
        ++hits;
        return true;
    }
    void fill(unsigned level, std::uint64_t prefix, std::uint64_t table, const TableRights& rights) override {
        entries[{level, prefix}] = {table, rights};
    }
    std::map<std::pair<unsigned, std::uint64_t>, std::pair<std::uint64_t, TableRights>> entries;
    unsigned hits = 0;
};

unsigned code(FaultReason reason) { return static_cast<unsigned>(reason); }

const Access kRead{false, false, false};
const Access kWrite{true, false, false};
const Access kExecute{false, true, false};
const Access kSupervisorRead{false, false, true};
const Access kSupervisorWrite{true, false, true};
const Access kSupervisorExecute{false, true, true};

// Input with indices 1, 2, 3, 4 at levels 4, 3, 2, 1 and offset 0xabc:
//   (1 << 39) | (2 << 30) | (3 << 21) | (4 << 12) | 0xabc = 0x0000_0080_8060_4abc.
constexpr std::uint64_t kVa = 0x0000'0080'8060'4abcull;

SecondLevelConfig second_level(unsigned input_bits, std::uint64_t root) {
    SecondLevelConfig c;
    c.root = root;
    c.input_bits = input_bits;
    c.page_2m = true;
    c.page_1g = true;
    c.host_address_bits = 48;
    return c;
}

// ---------------------------------------------------------------------------------------------------
// Second level.

// 4-level tables at 0x10000 (L4), 0x11000 (L3), 0x12000 (L2), 0x13000 (L1). Entry addresses are the
// table plus index * 8: 0x10008, 0x11010, 0x12018, 0x13020. Table entries are the next table | R | W
// (0x3); the leaf maps page 0x4_5678_9000 read/write.
struct SecondLevel4 : ::testing::Test {
    FakeMemory m;
    SecondLevelConfig c = second_level(48, 0x10000);
    void SetUp() override {
        m.put(0x10008, 0x11003);
        m.put(0x11010, 0x12003);
        m.put(0x12018, 0x13003);
        m.put(0x13020, 0x4'5678'9003);
    }
};

TEST_F(SecondLevel4, FourLevelWalkReadsOneEntryPerLevel) {
    const WalkResult r = second_level_walk(c, kVa, kRead, m);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
    EXPECT_EQ(r.translation.output_address, 0x4'5678'9abcull);
    EXPECT_EQ(r.translation.level, 1u);
    EXPECT_EQ(r.translation.size_bits, 12u);
    EXPECT_EQ(r.translation.leaf, 0x4'5678'9003ull);
    EXPECT_EQ(r.fetches, 4u);
    EXPECT_EQ(r.second_level_fetches, 4u);
    EXPECT_EQ(m.reads, (std::vector<std::uint64_t>{0x10008, 0x11010, 0x12018, 0x13020}));
    EXPECT_TRUE(r.translation.permissions.read);
    EXPECT_TRUE(r.translation.permissions.write);
    EXPECT_TRUE(r.translation.permissions.dirty);  // without SLADE nothing tracks dirtiness
    EXPECT_FALSE(r.translation.snoop);
    EXPECT_TRUE(m.updates.empty());
    EXPECT_EQ(r.entry_updates, 0u);
}

TEST(SecondLevelWalk, ThreeLevels) {
    // 39-bit: indices [38:30] [29:21] [20:12]. Input (2 << 30) | (3 << 21) | (4 << 12) | 0xabc = 0x8060_4abc.
    FakeMemory m;
    m.put(0x20000 + 2 * 8, 0x21003);
    m.put(0x21000 + 3 * 8, 0x22003);
    m.put(0x22000 + 4 * 8, 0x7'7777'7003);
    const WalkResult r = second_level_walk(second_level(39, 0x20000), 0x8060'4abc, kRead, m);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
    EXPECT_EQ(r.translation.output_address, 0x7'7777'7abcull);
    EXPECT_EQ(m.reads, (std::vector<std::uint64_t>{0x20010, 0x21018, 0x22020}));
}

TEST(SecondLevelWalk, FiveLevels) {
    // 57-bit: index [56:48] = 1 on top of kVa: 0x0001_0080_8060_4abc.
    FakeMemory m;
    m.put(0x30008, 0x31003);
    m.put(0x31008, 0x32003);
    m.put(0x32010, 0x33003);
    m.put(0x33018, 0x34003);
    m.put(0x34020, 0x1234'5003);
    const WalkResult r = second_level_walk(second_level(57, 0x30000), 0x0001'0080'8060'4abcull, kRead, m);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
    EXPECT_EQ(r.translation.output_address, 0x1234'5abcull);
    EXPECT_EQ(r.fetches, 5u);
    EXPECT_EQ(m.reads, (std::vector<std::uint64_t>{0x30008, 0x31008, 0x32010, 0x33018, 0x34020}));
}

TEST_F(SecondLevel4, RootPointerLowBitsAreIgnored) {
    c.root = 0x10000 | 0xfff;
    EXPECT_EQ(second_level_walk(c, kVa, kRead, m).translation.output_address, 0x4'5678'9abcull);
}

TEST_F(SecondLevel4, TwoMegabyteLeafAtLevelTwo) {
    m.put(0x12018, 0x4020'0083);  // 2 MiB page 0x4020_0000, PS (bit 7) | R | W
    const WalkResult r = second_level_walk(c, kVa, kRead, m);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
    // The leaf keeps input bits [20:0] = 0x4abc.
    EXPECT_EQ(r.translation.output_address, 0x4020'4abcull);
    EXPECT_EQ(r.translation.level, 2u);
    EXPECT_EQ(r.translation.size_bits, 21u);
    EXPECT_EQ(r.fetches, 3u);
}

TEST_F(SecondLevel4, OneGigabyteLeafAtLevelThree) {
    m.put(0x11010, 0x1'4000'0083);  // 1 GiB page 0x1_4000_0000, PS | R | W
    const WalkResult r = second_level_walk(c, kVa, kRead, m);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
    // Input bits [29:0] = 0x0060_4abc.
    EXPECT_EQ(r.translation.output_address, 0x1'4060'4abcull);
    EXPECT_EQ(r.translation.level, 3u);
    EXPECT_EQ(r.translation.size_bits, 30u);
    EXPECT_EQ(r.fetches, 2u);
}

TEST_F(SecondLevel4, LargeLeavesNotAdvertisedAreReserved) {
    m.put(0x12018, 0x4020'0083);
    c.page_2m = false;
    WalkResult r = second_level_walk(c, kVa, kRead, m);
    EXPECT_EQ(r.fault.kind, FaultKind::reserved_bits);
    EXPECT_EQ(r.fault.level, 2u);
    EXPECT_EQ(r.fault.entry_address, 0x12018u);

    m.put(0x11010, 0x1'4000'0083);
    c.page_2m = true;
    c.page_1g = false;
    r = second_level_walk(c, kVa, kRead, m);
    EXPECT_EQ(r.fault.kind, FaultKind::reserved_bits);
    EXPECT_EQ(r.fault.level, 3u);
}

TEST_F(SecondLevel4, ReservedBits) {
    struct Case {
        const char* what;
        std::uint64_t address;
        std::uint64_t value;
        unsigned level;
    };
    const Case cases[] = {
        {"PS in an SL-PML4E", 0x10008, 0x80'0000'0083, 4},  // 512 GiB-aligned: only PS is wrong
        {"address bit 48 (HAW 48) in a table entry", 0x10008, 0x0001'0000'0001'1003, 4},
        {"address bit 51 in the leaf", 0x13020, 0x0008'0004'5678'9003, 1},
        {"bit 62 in the leaf", 0x13020, 0x4000'0004'5678'9003, 1},
        {"bit 62 in a table entry", 0x11010, 0x4000'0000'0001'2003, 3},
        {"SNP without snoop control", 0x13020, 0x4'5678'9803, 1},
        {"SNP in a table entry", 0x12018, 0x13803, 2},
        {"2 MiB leaf with address bit 12", 0x12018, 0x4020'1083, 2},
        {"2 MiB leaf with address bit 20", 0x12018, 0x4030'0083, 2},
        {"1 GiB leaf with address bit 29", 0x11010, 0x1'6000'0083, 3},
        {"1 GiB leaf with address bit 21", 0x11010, 0x1'4020'0083, 3},
    };
    for (const Case& k : cases) {
        SCOPED_TRACE(k.what);
        FakeMemory tables = m;
        tables.put(k.address, k.value);
        const WalkResult r = second_level_walk(c, kVa, kRead, tables);
        EXPECT_EQ(r.fault.kind, FaultKind::reserved_bits);
        EXPECT_EQ(r.fault.level, k.level);
        EXPECT_EQ(r.fault.entry_address, k.address);
        EXPECT_EQ(code(scalable_reason(r.fault)), 0x7Au);  // SSL.3
        EXPECT_EQ(code(legacy_reason(r.fault, kRead)), 0x0Cu);  // LSL.2
    }
}

TEST_F(SecondLevel4, HostAddressWidthBoundsEveryAddress) {
    m.put(0x13020, 0x100'0000'0003);  // page 0x100_0000_0000: bit 40
    c.host_address_bits = 40;
    EXPECT_EQ(second_level_walk(c, kVa, kRead, m).fault.kind, FaultKind::reserved_bits);
    c.host_address_bits = 41;
    EXPECT_EQ(second_level_walk(c, kVa, kRead, m).translation.output_address, 0x100'0000'0abcull);
}

TEST_F(SecondLevel4, AddressesUpToBit51WithA52BitHostWidth) {
    c.host_address_bits = 52;
    m.put(0x12018, 0x0008'0000'0001'3003);  // L2 -> table 0x8_0000_0001_3000 (bit 51)
    m.put(0x0008'0000'0001'3020, 0x0008'0004'5678'9003);
    const WalkResult r = second_level_walk(c, kVa, kRead, m);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
    EXPECT_EQ(r.translation.output_address, 0x0008'0004'5678'9abcull);
}

TEST_F(SecondLevel4, IgnoredBitsAndXWithoutSleeDoNotFault) {
    // Bit 63, bits 61:52, bit 10, EMT/IPAT bits 6:3 and X (bit 2, ignored without SLEE).
    m.put(0x13020, 0x4'5678'9003 | 0xbff0'0000'0000'0000ull | 0x400 | 0x78 | 0x4);
    m.put(0x12018, 0x13003 | 0x8000'0000'0000'0000ull | 0x700 | 0x78);  // table: bits 63, 10:8, 6:3
    const WalkResult r = second_level_walk(c, kVa, kRead, m);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
    EXPECT_EQ(r.translation.output_address, 0x4'5678'9abcull);
}

TEST_F(SecondLevel4, SnoopBitWithSnoopControl) {
    m.put(0x13020, 0x4'5678'9803);  // SNP (bit 11) in the leaf
    c.snoop_allowed = true;
    const WalkResult r = second_level_walk(c, kVa, kRead, m);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
    EXPECT_TRUE(r.translation.snoop);
    // Still reserved in a table entry.
    m.put(0x12018, 0x13803);
    EXPECT_EQ(second_level_walk(c, kVa, kRead, m).fault.kind, FaultKind::reserved_bits);
}

TEST_F(SecondLevel4, NotPresentIsReadAndWriteBothClear) {
    m.put(0x13020, 0x4'5678'9004);  // X only
    WalkResult r = second_level_walk(c, kVa, kRead, m);
    EXPECT_EQ(r.fault.kind, FaultKind::not_present);
    EXPECT_EQ(r.fault.level, 1u);
    EXPECT_EQ(r.fault.entry_address, 0x13020u);
    EXPECT_EQ(r.fault.stage, Stage::second);
    EXPECT_EQ(code(scalable_reason(r.fault)), 0x79u);        // SSL.2
    EXPECT_EQ(code(legacy_reason(r.fault, kRead)), 0x06u);   // LGN.3
    EXPECT_EQ(code(legacy_reason(r.fault, kWrite)), 0x05u);  // LGN.2

    m.put(0x11010, 0);  // an empty L3 entry
    r = second_level_walk(c, kVa, kWrite, m);
    EXPECT_EQ(r.fault.kind, FaultKind::not_present);
    EXPECT_EQ(r.fault.level, 3u);
    EXPECT_EQ(r.fetches, 2u);
}

TEST_F(SecondLevel4, ReadAndWritePermissions) {
    m.put(0x13020, 0x4'5678'9001);  // R only
    EXPECT_TRUE(second_level_walk(c, kVa, kRead, m).ok());
    WalkResult r = second_level_walk(c, kVa, kWrite, m);
    EXPECT_EQ(r.fault.kind, FaultKind::write_denied);
    EXPECT_EQ(r.fault.level, 1u);
    EXPECT_EQ(code(scalable_reason(r.fault)), 0x85u);         // SGN.6
    EXPECT_EQ(code(legacy_reason(r.fault, kWrite)), 0x05u);   // LGN.2

    m.put(0x13020, 0x4'5678'9002);  // W only
    EXPECT_TRUE(second_level_walk(c, kVa, kWrite, m).ok());
    r = second_level_walk(c, kVa, kRead, m);
    EXPECT_EQ(r.fault.kind, FaultKind::read_denied);
    EXPECT_EQ(code(scalable_reason(r.fault)), 0x86u);        // SGN.7
    EXPECT_EQ(code(legacy_reason(r.fault, kRead)), 0x06u);   // LGN.3
}

TEST_F(SecondLevel4, TableEntriesRestrictEveryLevelBelow) {
    m.put(0x11010, 0x12001);  // L3 entry read-only
    const WalkResult r = second_level_walk(c, kVa, kWrite, m);
    EXPECT_EQ(r.fault.kind, FaultKind::write_denied);
    EXPECT_EQ(r.fault.level, 3u);
    EXPECT_EQ(r.fault.entry_address, 0x11010u);
    const WalkResult read = second_level_walk(c, kVa, kRead, m);
    ASSERT_TRUE(read.ok());
    EXPECT_FALSE(read.translation.permissions.write);
    // A translation kept in an IOTLB refuses the same write.
    EXPECT_EQ(check_access(read.translation.permissions, kWrite), FaultKind::write_denied);
}

TEST_F(SecondLevel4, ExecuteNeedsXOnlyWithSlee) {
    // Without SLEE an execute request needs read only, whatever X says.
    EXPECT_TRUE(second_level_walk(c, kVa, kExecute, m).ok());
    c.execute_enabled = true;
    WalkResult r = second_level_walk(c, kVa, kExecute, m);  // no X anywhere: the first level refuses
    EXPECT_EQ(r.fault.kind, FaultKind::execute_denied);
    EXPECT_EQ(r.fault.level, 4u);
    EXPECT_EQ(code(scalable_reason(r.fault)), 0x82u);  // SGN.3

    m.put(0x10008, 0x11007);  // R | W | X at every level
    m.put(0x11010, 0x12007);
    m.put(0x12018, 0x13007);
    m.put(0x13020, 0x4'5678'9007);
    EXPECT_TRUE(second_level_walk(c, kVa, kExecute, m).ok());
    m.put(0x12018, 0x13003);  // an L2 entry without X
    r = second_level_walk(c, kVa, kExecute, m);
    EXPECT_EQ(r.fault.kind, FaultKind::execute_denied);
    EXPECT_EQ(r.fault.level, 2u);
    // An execute request is a read: X without R is a read fault, also for a cached translation.
    m.put(0x12018, 0x13007);
    m.put(0x13020, 0x4'5678'9006);  // W | X
    EXPECT_EQ(second_level_walk(c, kVa, kExecute, m).fault.kind, FaultKind::read_denied);
    const WalkResult w = second_level_walk(c, kVa, kWrite, m);
    ASSERT_TRUE(w.ok());
    EXPECT_FALSE(w.translation.permissions.read);
    EXPECT_FALSE(w.translation.permissions.execute);
}

TEST_F(SecondLevel4, InputBeyondTheWidthFaultsWithoutAFetch) {
    WalkResult r = second_level_walk(c, 1ull << 48, kRead, m);
    EXPECT_EQ(r.fault.kind, FaultKind::input_beyond_width);
    EXPECT_EQ(r.fault.level, 4u);
    EXPECT_EQ(code(scalable_reason(r.fault)), 0x84u);        // SGN.5
    EXPECT_EQ(code(legacy_reason(r.fault, kRead)), 0x04u);   // LGN.1
    EXPECT_TRUE(m.reads.empty());

    // An MGAW below the table width limits the input too: kVa has bit 39 set.
    c.max_input_bits = 39;
    EXPECT_EQ(second_level_walk(c, kVa, kRead, m).fault.kind, FaultKind::input_beyond_width);
    EXPECT_TRUE(m.reads.empty());
}

TEST_F(SecondLevel4, AWidthThatIsNotALevelCountIsRefused) {
    c.input_bits = 40;
    WalkResult r = second_level_walk(c, 0, kRead, m);
    EXPECT_EQ(r.fault.kind, FaultKind::invalid_configuration);
    EXPECT_EQ(code(scalable_reason(r.fault)), 0x5Bu);        // SPT.4
    EXPECT_EQ(code(legacy_reason(r.fault, kRead)), 0x03u);   // LCT.4
    c.input_bits = 30;  // 2-level tables are not modelled
    EXPECT_EQ(second_level_walk(c, 0, kRead, m).fault.kind, FaultKind::invalid_configuration);
    c.input_bits = 66;
    EXPECT_EQ(second_level_walk(c, 0, kRead, m).fault.kind, FaultKind::invalid_configuration);
    EXPECT_TRUE(m.reads.empty());
}

TEST_F(SecondLevel4, FetchErrorsNameTheEntry) {
    m.fail_reads_at(0x12018);
    WalkResult r = second_level_walk(c, kVa, kRead, m);
    EXPECT_EQ(r.fault.kind, FaultKind::access_error);
    EXPECT_EQ(r.fault.level, 2u);
    EXPECT_EQ(r.fault.entry_address, 0x12018u);
    EXPECT_FALSE(r.fault.in_root_table);
    EXPECT_EQ(r.fetches, 3u);
    EXPECT_EQ(code(scalable_reason(r.fault)), 0x78u);       // SSL.1
    EXPECT_EQ(code(legacy_reason(r.fault, kRead)), 0x07u);  // LSL.1

    m.fail_reads_at(0x10008);  // the root table
    r = second_level_walk(c, kVa, kRead, m);
    EXPECT_EQ(r.fault.kind, FaultKind::access_error);
    EXPECT_TRUE(r.fault.in_root_table);
    EXPECT_EQ(code(scalable_reason(r.fault)), 0x7Bu);       // SSL.4
    EXPECT_EQ(code(legacy_reason(r.fault, kRead)), 0x03u);  // LCT.4
}

TEST_F(SecondLevel4, AccessedAndDirtyWithSlade) {
    c.accessed_dirty = true;
    WalkResult r = second_level_walk(c, kVa, kRead, m);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
    // A (bit 8, 0x100) in every entry used; no D for a read.
    EXPECT_EQ(m.at(0x10008), 0x11103u);
    EXPECT_EQ(m.at(0x11010), 0x12103u);
    EXPECT_EQ(m.at(0x12018), 0x13103u);
    EXPECT_EQ(m.at(0x13020), 0x4'5678'9103u);
    EXPECT_EQ(r.entry_updates, 4u);
    EXPECT_FALSE(r.translation.permissions.dirty);
    EXPECT_TRUE(write_needs_walk(r.translation.permissions));

    m.updates.clear();
    r = second_level_walk(c, kVa, kWrite, m);
    ASSERT_TRUE(r.ok());
    // Only the leaf changes: D (bit 9, 0x200).
    EXPECT_EQ(m.updates, (std::vector<std::uint64_t>{0x13020}));
    EXPECT_EQ(m.at(0x13020), 0x4'5678'9303u);
    EXPECT_EQ(r.translation.leaf, 0x4'5678'9303u);
    EXPECT_TRUE(r.translation.permissions.dirty);
    EXPECT_FALSE(write_needs_walk(r.translation.permissions));

    // Without SLADE nothing is written.
    FakeMemory fresh;
    fresh.put(0x10008, 0x11003);
    fresh.put(0x11010, 0x12003);
    fresh.put(0x12018, 0x13003);
    fresh.put(0x13020, 0x4'5678'9003);
    c.accessed_dirty = false;
    EXPECT_TRUE(second_level_walk(c, kVa, kWrite, fresh).ok());
    EXPECT_TRUE(fresh.updates.empty());
}

TEST_F(SecondLevel4, AccessedDirtyRaceKeepsTheOtherWritersChange) {
    c.accessed_dirty = true;
    // Another agent sets bit 52 (ignored, software-available) in the leaf just before our exchange.
    m.race_at(0x13020, [](std::uint64_t v) { return v | (1ull << 52); });
    const WalkResult r = second_level_walk(c, kVa, kRead, m);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
    EXPECT_EQ(m.at(0x13020), 0x0010'0004'5678'9103u);
    EXPECT_EQ(m.updates_at(0x13020), 2u);
    EXPECT_EQ(r.translation.leaf, 0x0010'0004'5678'9103u);
}

TEST_F(SecondLevel4, AccessedDirtyRaceRechecksTheEntry) {
    c.accessed_dirty = true;
    m.race_at(0x13020, [](std::uint64_t) { return 0; });  // the other agent unmaps the page
    const WalkResult r = second_level_walk(c, kVa, kRead, m);
    EXPECT_EQ(r.fault.kind, FaultKind::not_present);
    EXPECT_EQ(r.fault.level, 1u);
    EXPECT_EQ(m.at(0x13020), 0u);
}

TEST_F(SecondLevel4, AccessedDirtyUpdateGivesUpAfterRepeatedRaces) {
    c.accessed_dirty = true;
    m.race_at(0x13020, [](std::uint64_t v) { return v + (1ull << 52); }, 100);
    const WalkResult r = second_level_walk(c, kVa, kRead, m);
    EXPECT_EQ(r.fault.kind, FaultKind::ad_update_failed);
    EXPECT_EQ(r.fault.level, 1u);
    EXPECT_EQ(m.updates_at(0x13020), 4u);
}

TEST_F(SecondLevel4, AccessedDirtyUpdateErrors) {
    c.accessed_dirty = true;
    m.fail_updates_at(0x12018);
    WalkResult r = second_level_walk(c, kVa, kRead, m);
    EXPECT_EQ(r.fault.kind, FaultKind::ad_update_failed);
    EXPECT_EQ(r.fault.level, 2u);
    EXPECT_EQ(code(scalable_reason(r.fault)), 0x78u);       // SSL.1
    EXPECT_EQ(code(legacy_reason(r.fault, kRead)), 0x07u);  // LSL.1
}

TEST(SecondLevelWalk, AWalkEndsAfterTheLevelCount) {
    // A root whose entry 0 points at itself: read once per level, the last time as the leaf.
    FakeMemory m;
    m.put(0x10000, 0x10003);
    const WalkResult r = second_level_walk(second_level(48, 0x10000), 0x123, kRead, m);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.fetches, 4u);
    EXPECT_EQ(r.translation.output_address, 0x10123u);
}

TEST_F(SecondLevel4, WalkCacheFillsEachLevelAndShortensTheNextWalk) {
    MapWalkCache cache;
    WalkResult r = second_level_walk(c, kVa, kRead, m, &cache);
    ASSERT_TRUE(r.ok());
    // Prefixes: the input bits above each table's own index bits. kVa >> 39 = 1,
    // kVa >> 30 = (1 << 9) | 2 = 0x202, kVa >> 21 = (0x202 << 9) | 3 = 0x40403.
    ASSERT_EQ(cache.entries.size(), 3u);
    EXPECT_EQ(cache.entries.at({3, 0x1}).first, 0x11000u);
    EXPECT_EQ(cache.entries.at({2, 0x202}).first, 0x12000u);
    EXPECT_EQ(cache.entries.at({1, 0x40403}).first, 0x13000u);

    // The next page shares the page table: one read, at L1[5] = 0x13028.
    m.put(0x13028, 0x4'5678'a003);
    m.reads.clear();
    r = second_level_walk(c, kVa + 0x1000, kRead, m, &cache);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(m.reads, (std::vector<std::uint64_t>{0x13028}));
    EXPECT_EQ(r.fetches, 1u);
    EXPECT_EQ(r.translation.output_address, 0x4'5678'aabcu);
}

TEST_F(SecondLevel4, WalkCacheStartsAtTheDeepestCachedLevelWithItsRights) {
    MapWalkCache cache;
    TableRights read_only;
    read_only.write = false;
    cache.fill(2, 0x202, 0x12000, read_only);  // only the L2 table is cached
    WalkResult r = second_level_walk(c, kVa, kRead, m, &cache);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(m.reads, (std::vector<std::uint64_t>{0x12018, 0x13020}));
    EXPECT_FALSE(r.translation.permissions.write);
    // That walk filled the page table (prefix 0x40403) with the read-only rights it carried down; the
    // cached rights refuse a write although every entry allows it.
    EXPECT_FALSE(cache.entries.at({1, 0x40403}).second.write);
    m.reads.clear();
    r = second_level_walk(c, kVa, kWrite, m, &cache);
    EXPECT_EQ(r.fault.kind, FaultKind::write_denied);
    EXPECT_EQ(r.fault.level, 1u);
    EXPECT_EQ(m.reads, (std::vector<std::uint64_t>{0x13020}));
}

// ---------------------------------------------------------------------------------------------------
// First level.

FirstLevelConfig first_level(std::uint64_t root) {
    FirstLevelConfig c;
    c.root = root;
    c.page_1g = true;
    c.host_address_bits = 48;
    return c;
}

// 4-level tables at 0x40000 (PML4), 0x41000, 0x42000, 0x43000; entries at 0x40008, 0x41010, 0x42018,
// 0x43020. Table entries are the next table | P | R/W | U/S (0x7); the leaf maps page 0x5_0000_0000.
struct FirstLevel4 : ::testing::Test {
    FakeMemory m;
    FirstLevelConfig c = first_level(0x40000);
    void SetUp() override {
        m.put(0x40008, 0x41007);
        m.put(0x41010, 0x42007);
        m.put(0x42018, 0x43007);
        m.put(0x43020, 0x5'0000'0007);
    }
};

TEST_F(FirstLevel4, FourLevelWalkSetsAccessedInEveryEntry) {
    const WalkResult r = first_level_walk(c, kVa, kRead, m);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
    EXPECT_EQ(r.translation.output_address, 0x5'0000'0abcull);
    EXPECT_EQ(r.translation.size_bits, 12u);
    EXPECT_EQ(r.translation.level, 1u);
    EXPECT_EQ(m.reads, (std::vector<std::uint64_t>{0x40008, 0x41010, 0x42018, 0x43020}));
    // A is bit 5 (0x20); a read sets no D.
    EXPECT_EQ(m.at(0x40008), 0x41027u);
    EXPECT_EQ(m.at(0x41010), 0x42027u);
    EXPECT_EQ(m.at(0x42018), 0x43027u);
    EXPECT_EQ(m.at(0x43020), 0x5'0000'0027u);
    EXPECT_EQ(m.updates, (std::vector<std::uint64_t>{0x40008, 0x41010, 0x42018, 0x43020}));
    EXPECT_EQ(r.entry_updates, 4u);
    EXPECT_EQ(r.translation.leaf, 0x5'0000'0027u);
    const Permissions& p = r.translation.permissions;
    EXPECT_TRUE(p.read);
    EXPECT_TRUE(p.write);
    EXPECT_TRUE(p.user);
    EXPECT_TRUE(p.execute);
    EXPECT_FALSE(p.dirty);

    // A write then sets only the leaf's D (bit 6, 0x40).
    m.updates.clear();
    const WalkResult w = first_level_walk(c, kVa, kWrite, m);
    ASSERT_TRUE(w.ok());
    EXPECT_EQ(m.updates, (std::vector<std::uint64_t>{0x43020}));
    EXPECT_EQ(m.at(0x43020), 0x5'0000'0067u);
    EXPECT_TRUE(w.translation.permissions.dirty);
}

TEST_F(FirstLevel4, ExtendedAccessedFlagWithEafe) {
    c.extended_accessed = true;
    ASSERT_TRUE(first_level_walk(c, kVa, kWrite, m).ok());
    // EA is bit 10 (0x400), set with A; the leaf of a write also gets D.
    EXPECT_EQ(m.at(0x40008), 0x41427u);
    EXPECT_EQ(m.at(0x41010), 0x42427u);
    EXPECT_EQ(m.at(0x42018), 0x43427u);
    EXPECT_EQ(m.at(0x43020), 0x5'0000'0467u);
}

TEST(FirstLevelWalk, FiveLevels) {
    // Index [56:48] = 1 on top of kVa. Entries already have A set, so a read writes nothing.
    FakeMemory m;
    m.put(0x50008, 0x51027);
    m.put(0x51008, 0x52027);
    m.put(0x52010, 0x53027);
    m.put(0x53018, 0x54027);
    m.put(0x54020, 0x6'0000'0027);
    FirstLevelConfig c = first_level(0x50000);
    c.five_level = true;
    const WalkResult r = first_level_walk(c, 0x0001'0080'8060'4abcull, kRead, m);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
    EXPECT_EQ(r.translation.output_address, 0x6'0000'0abcull);
    EXPECT_EQ(r.fetches, 5u);
    EXPECT_TRUE(m.updates.empty());
    // With 4-level paging the same address is not canonical (bit 48 set, bit 47 clear).
    c.five_level = false;
    m.reads.clear();
    const WalkResult four = first_level_walk(c, 0x0001'0080'8060'4abcull, kRead, m);
    EXPECT_EQ(four.fault.kind, FaultKind::non_canonical);
    EXPECT_TRUE(m.reads.empty());
    // PS in a PML5E is reserved (address 0, so only PS is wrong).
    c.five_level = true;
    m.put(0x50008, 0xa7);
    const WalkResult ps = first_level_walk(c, 0x0001'0080'8060'4abcull, kRead, m);
    EXPECT_EQ(ps.fault.kind, FaultKind::reserved_bits);
    EXPECT_EQ(ps.fault.level, 5u);
}

TEST(FirstLevelWalk, CanonicalCheck) {
    // 0xffff_8000_0000_1234: bits 63:47 all ones; PML4 index 0x100 (entry at 0x40800), then 0, 0, 1.
    FakeMemory m;
    m.put(0x40800, 0x44027);
    m.put(0x44000, 0x45027);
    m.put(0x45000, 0x46027);
    m.put(0x46008, 0x9'0000'0027);
    FirstLevelConfig c = first_level(0x40000);
    const WalkResult r = first_level_walk(c, 0xffff'8000'0000'1234ull, kRead, m);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
    EXPECT_EQ(r.translation.output_address, 0x9'0000'0234ull);

    m.reads.clear();
    WalkResult bad = first_level_walk(c, 0x0000'8000'0000'0000ull, kRead, m);  // bit 47 set, 63:48 clear
    EXPECT_EQ(bad.fault.kind, FaultKind::non_canonical);
    EXPECT_EQ(bad.fault.stage, Stage::first);
    EXPECT_EQ(code(scalable_reason(bad.fault)), 0x80u);  // SGN.1
    EXPECT_EQ(first_level_walk(c, 0xfffe'8000'0000'1234ull, kRead, m).fault.kind, FaultKind::non_canonical);
    EXPECT_TRUE(m.reads.empty());

    // 5-level: bits 63:56 must copy bit 56. (An empty root: PML5 index 0x100 would hit 0x40800.)
    c.five_level = true;
    c.root = 0x60000;
    EXPECT_EQ(first_level_walk(c, 0x0100'0000'0000'0000ull, kRead, m).fault.kind, FaultKind::non_canonical);
    EXPECT_TRUE(m.reads.empty());
    // Canonical but unmapped: the walk reads the (empty) PML5 entry.
    EXPECT_EQ(first_level_walk(c, 0xff00'0000'0000'0000ull, kRead, m).fault.kind, FaultKind::not_present);
    EXPECT_EQ(m.reads.size(), 1u);
}

TEST_F(FirstLevel4, LargePages) {
    m.put(0x42018, 0x8020'0087);  // 2 MiB page 0x8020_0000: PS (0x80) | U/S | R/W | P
    WalkResult r = first_level_walk(c, kVa, kRead, m);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
    EXPECT_EQ(r.translation.output_address, 0x8020'4abcull);
    EXPECT_EQ(r.translation.size_bits, 21u);
    EXPECT_EQ(r.translation.level, 2u);
    EXPECT_FALSE(r.translation.pat);

    m.put(0x42018, 0x8020'1087);  // PAT (bit 12) is not an address bit
    r = first_level_walk(c, kVa, kRead, m);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
    EXPECT_EQ(r.translation.output_address, 0x8020'4abcull);
    EXPECT_TRUE(r.translation.pat);

    m.put(0x41010, 0x1'4000'0087);  // 1 GiB page 0x1_4000_0000
    r = first_level_walk(c, kVa, kRead, m);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
    EXPECT_EQ(r.translation.output_address, 0x1'4060'4abcull);
    EXPECT_EQ(r.translation.size_bits, 30u);

    c.page_1g = false;  // without FL1GP, PS in a PDPE is reserved
    r = first_level_walk(c, kVa, kRead, m);
    EXPECT_EQ(r.fault.kind, FaultKind::reserved_bits);
    EXPECT_EQ(r.fault.level, 3u);
}

TEST_F(FirstLevel4, ReservedBits) {
    struct Case {
        const char* what;
        std::uint64_t address;
        std::uint64_t value;
        unsigned level;
    };
    const Case cases[] = {
        {"PS in a PML4E", 0x40008, 0x80'0000'0087, 4},  // 512 GiB-aligned: only PS is wrong
        {"address bit 48 (HAW 48)", 0x40008, 0x0001'0000'0004'1007, 4},
        {"address bit 51 in the leaf", 0x43020, 0x0008'0005'0000'0007, 1},
        {"XD without NXE in the leaf", 0x43020, 0x8000'0005'0000'0007, 1},
        {"XD without NXE in a table entry", 0x41010, 0x8000'0000'0004'2007, 3},
        {"2 MiB page with address bit 13", 0x42018, 0x8020'2087, 2},
        {"2 MiB page with address bit 20", 0x42018, 0x8030'0087, 2},
        {"1 GiB page with address bit 13", 0x41010, 0x1'4000'2087, 3},
        {"1 GiB page with address bit 29", 0x41010, 0x1'6000'0087, 3},
    };
    for (const Case& k : cases) {
        SCOPED_TRACE(k.what);
        FakeMemory tables = m;
        tables.put(k.address, k.value);
        const WalkResult r = first_level_walk(c, kVa, kRead, tables);
        EXPECT_EQ(r.fault.kind, FaultKind::reserved_bits);
        EXPECT_EQ(r.fault.level, k.level);
        EXPECT_EQ(r.fault.entry_address, k.address);
        EXPECT_EQ(code(scalable_reason(r.fault)), 0x72u);  // SFL.3
        // Nothing was marked accessed in the faulting entry.
        EXPECT_EQ(tables.at(k.address), k.value);
    }
}

TEST_F(FirstLevel4, AddressesUpToBit51WithA52BitHostWidth) {
    c.host_address_bits = 52;
    m.put(0x42018, 0x0008'0000'0004'3007);  // PDE -> table 0x8_0000_0004_3000 (bit 51)
    m.put(0x0008'0000'0004'3020, 0x0008'0005'0000'0007);  // leaf page 0x8_0005_0000_0000
    const WalkResult r = first_level_walk(c, kVa, kRead, m);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
    EXPECT_EQ(r.translation.output_address, 0x0008'0005'0000'0abcull);
    EXPECT_EQ(m.reads.back(), 0x0008'0000'0004'3020u);
}

TEST_F(FirstLevel4, IgnoredBitsDoNotFault) {
    // Bits 62:52, 11 and 9 in the leaf and bits 62:52, 11, 9, 8 and 6 in a table entry.
    m.put(0x43020, 0x5'0000'0007 | 0x7ff0'0000'0000'0000ull | 0x800 | 0x200);
    m.put(0x42018, 0x43007 | 0x7ff0'0000'0000'0000ull | 0x800 | 0x200 | 0x100 | 0x40);
    const WalkResult r = first_level_walk(c, kVa, kRead, m);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
    EXPECT_EQ(r.translation.output_address, 0x5'0000'0abcull);
}

TEST_F(FirstLevel4, LeafAttributesAreRecorded) {
    m.put(0x43020, 0x5'0000'011f);  // G (0x100) | PCD (0x10) | PWT (0x8) | U/S | R/W | P
    const WalkResult r = first_level_walk(c, kVa, kRead, m);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r.translation.global);
    EXPECT_TRUE(r.translation.write_through);
    EXPECT_TRUE(r.translation.cache_disable);
    EXPECT_FALSE(r.translation.pat);
    m.put(0x43020, 0x5'0000'0087);  // bit 7 of a PTE is PAT
    EXPECT_TRUE(first_level_walk(c, kVa, kRead, m).translation.pat);
}

TEST_F(FirstLevel4, NotPresent) {
    m.put(0x43020, 0x5'0000'0006);  // P clear
    WalkResult r = first_level_walk(c, kVa, kRead, m);
    EXPECT_EQ(r.fault.kind, FaultKind::not_present);
    EXPECT_EQ(r.fault.stage, Stage::first);
    EXPECT_EQ(r.fault.level, 1u);
    EXPECT_EQ(r.fault.entry_address, 0x43020u);
    EXPECT_EQ(code(scalable_reason(r.fault)), 0x71u);  // SFL.2
    EXPECT_EQ(legacy_reason(r.fault, kRead), FaultReason::none);
    m.put(0x41010, 0);
    r = first_level_walk(c, kVa, kRead, m);
    EXPECT_EQ(r.fault.level, 3u);
}

TEST_F(FirstLevel4, ReadWriteAndWriteProtect) {
    m.put(0x40008, 0x41005);  // PML4E with R/W = 0
    WalkResult r = first_level_walk(c, kVa, kWrite, m);
    EXPECT_EQ(r.fault.kind, FaultKind::write_denied);
    EXPECT_EQ(r.fault.level, 4u);
    EXPECT_EQ(r.fault.entry_address, 0x40008u);
    EXPECT_EQ(code(scalable_reason(r.fault)), 0x85u);  // SGN.6
    EXPECT_EQ(m.at(0x40008), 0x41005u);  // A not set in the refusing entry

    // Without WPE a supervisor write ignores R/W; with WPE it is refused too.
    EXPECT_TRUE(first_level_walk(c, kVa, kSupervisorWrite, m).ok());
    EXPECT_EQ(m.at(0x43020), 0x5'0000'0067u);
    c.write_protect = true;
    r = first_level_walk(c, kVa, kSupervisorWrite, m);
    EXPECT_EQ(r.fault.kind, FaultKind::write_denied);
    EXPECT_EQ(r.fault.level, 4u);
    EXPECT_TRUE(first_level_walk(c, kVa, kSupervisorRead, m).ok());
}

TEST_F(FirstLevel4, UserSupervisor) {
    m.put(0x41010, 0x42003);  // PDPE with U/S = 0: supervisor only below
    WalkResult r = first_level_walk(c, kVa, kRead, m);
    EXPECT_EQ(r.fault.kind, FaultKind::user_denied);
    EXPECT_EQ(r.fault.level, 3u);
    EXPECT_EQ(code(scalable_reason(r.fault)), 0x81u);  // SGN.2
    r = first_level_walk(c, kVa, kSupervisorRead, m);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r.translation.permissions.user);
    EXPECT_EQ(check_access(r.translation.permissions, kRead), FaultKind::user_denied);
}

TEST_F(FirstLevel4, ExecuteDisable) {
    c.no_execute_enabled = true;
    m.put(0x43020, 0x8000'0005'0000'0007);  // XD in the leaf
    EXPECT_TRUE(first_level_walk(c, kVa, kRead, m).ok());
    WalkResult r = first_level_walk(c, kVa, kExecute, m);
    EXPECT_EQ(r.fault.kind, FaultKind::execute_denied);
    EXPECT_EQ(r.fault.level, 1u);
    EXPECT_EQ(code(scalable_reason(r.fault)), 0x82u);  // SGN.3

    m.put(0x43020, 0x5'0000'0007);
    m.put(0x42018, 0x8000'0000'0004'3007);  // XD in a PDE applies to its whole table
    r = first_level_walk(c, kVa, kSupervisorExecute, m);
    EXPECT_EQ(r.fault.kind, FaultKind::execute_denied);
    EXPECT_EQ(r.fault.level, 2u);
}

TEST_F(FirstLevel4, SupervisorModeExecutionPrevention) {
    // Every level has U/S = 1: a user page.
    EXPECT_TRUE(first_level_walk(c, kVa, kSupervisorExecute, m).ok());
    c.smep = true;
    WalkResult r = first_level_walk(c, kVa, kSupervisorExecute, m);
    EXPECT_EQ(r.fault.kind, FaultKind::execute_denied);
    EXPECT_EQ(r.fault.level, 1u);
    EXPECT_TRUE(first_level_walk(c, kVa, kExecute, m).ok());  // user execute is not affected
    // U/S = 0 in the PDE makes it a supervisor page: SMEP lets the supervisor execute it.
    m.put(0x42018, 0x43003);
    EXPECT_TRUE(first_level_walk(c, kVa, kSupervisorExecute, m).ok());
}

TEST_F(FirstLevel4, FetchErrors) {
    m.fail_reads_at(0x42018);
    WalkResult r = first_level_walk(c, kVa, kRead, m);
    EXPECT_EQ(r.fault.kind, FaultKind::access_error);
    EXPECT_EQ(r.fault.level, 2u);
    EXPECT_EQ(r.fault.entry_address, 0x42018u);
    EXPECT_EQ(code(scalable_reason(r.fault)), 0x70u);  // SFL.1
    m.fail_reads_at(0x40008);
    r = first_level_walk(c, kVa, kRead, m);
    EXPECT_TRUE(r.fault.in_root_table);
    EXPECT_EQ(code(scalable_reason(r.fault)), 0x73u);  // SFL.4
}

TEST_F(FirstLevel4, AccessedDirtyRaceKeepsTheOtherWritersChange) {
    // Another agent sets bit 9 (ignored) in the leaf just before our exchange; ours then retries.
    m.race_at(0x43020, [](std::uint64_t v) { return v | 0x200; });
    WalkResult r = first_level_walk(c, kVa, kRead, m);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
    EXPECT_EQ(m.at(0x43020), 0x5'0000'0227u);
    EXPECT_EQ(m.updates_at(0x43020), 2u);
    EXPECT_EQ(r.translation.leaf, 0x5'0000'0227u);

    // The other agent sets D while we set A and D for a write.
    m.put(0x43020, 0x5'0000'0007);
    m.race_at(0x43020, [](std::uint64_t v) { return v | 0x40; });
    r = first_level_walk(c, kVa, kWrite, m);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(m.at(0x43020), 0x5'0000'0067u);
}

TEST_F(FirstLevel4, AccessedDirtyRaceRechecksTheEntry) {
    // The other agent makes the page read-only before our A/D exchange for a write lands.
    m.race_at(0x43020, [](std::uint64_t v) { return v & ~std::uint64_t{0x2}; });
    const WalkResult r = first_level_walk(c, kVa, kWrite, m);
    EXPECT_EQ(r.fault.kind, FaultKind::write_denied);
    EXPECT_EQ(r.fault.level, 1u);
    EXPECT_EQ(m.at(0x43020), 0x5'0000'0005u);
}

TEST_F(FirstLevel4, AccessedDirtyUpdateGivesUpAfterRepeatedRaces) {
    // Every exchange loses: the other agent bumps bits 55:52 each time.
    m.race_at(0x43020, [](std::uint64_t v) { return v + (1ull << 52); }, 100);
    WalkResult r = first_level_walk(c, kVa, kRead, m);
    EXPECT_EQ(r.fault.kind, FaultKind::ad_update_failed);
    EXPECT_EQ(r.fault.level, 1u);
    EXPECT_EQ(m.updates_at(0x43020), 4u);
    EXPECT_EQ(code(scalable_reason(r.fault)), 0x91u);  // SFL.10
}

TEST_F(FirstLevel4, AccessedDirtyUpdateError) {
    m.fail_updates_at(0x41010);
    const WalkResult r = first_level_walk(c, kVa, kRead, m);
    EXPECT_EQ(r.fault.kind, FaultKind::ad_update_failed);
    EXPECT_EQ(r.fault.level, 3u);
    EXPECT_EQ(m.updates_at(0x41010), 1u);
    EXPECT_EQ(code(scalable_reason(r.fault)), 0x91u);  // SFL.10
}

TEST_F(FirstLevel4, WalkCacheKeepsTheGatheredRights) {
    m.put(0x41010, 0x42003);  // supervisor-only below the PDPE
    MapWalkCache cache;
    ASSERT_TRUE(first_level_walk(c, kVa, kSupervisorRead, m, &cache).ok());
    EXPECT_EQ(cache.entries.at({1, 0x40403}).first, 0x43000u);
    EXPECT_FALSE(cache.entries.at({1, 0x40403}).second.user);
    EXPECT_TRUE(cache.entries.at({3, 0x1}).second.user);  // filled before the PDPE was read

    m.reads.clear();
    const WalkResult r = first_level_walk(c, kVa, kRead, m, &cache);
    EXPECT_EQ(r.fault.kind, FaultKind::user_denied);
    EXPECT_EQ(r.fault.level, 1u);
    EXPECT_EQ(m.reads, (std::vector<std::uint64_t>{0x43020}));
}

// ---------------------------------------------------------------------------------------------------
// check_access on translations kept in an IOTLB.

TEST(CheckAccess, AppliesTheSameRulesAsTheWalk) {
    Permissions p;
    p.read = true;
    p.write = false;
    p.execute = true;
    p.user = true;
    p.supervisor_write = true;  // WPE = 0
    p.supervisor_execute = false;  // SMEP on a user page
    EXPECT_EQ(check_access(p, kRead), FaultKind::none);
    EXPECT_EQ(check_access(p, kWrite), FaultKind::write_denied);
    EXPECT_EQ(check_access(p, kSupervisorWrite), FaultKind::none);
    EXPECT_EQ(check_access(p, kExecute), FaultKind::none);
    EXPECT_EQ(check_access(p, kSupervisorExecute), FaultKind::execute_denied);
    p.user = false;
    EXPECT_EQ(check_access(p, kRead), FaultKind::user_denied);
    EXPECT_EQ(check_access(p, kWrite), FaultKind::user_denied);
    EXPECT_EQ(check_access(p, kSupervisorRead), FaultKind::none);
    p.read = false;
    EXPECT_EQ(check_access(p, kSupervisorRead), FaultKind::read_denied);
    EXPECT_EQ(check_access(p, kSupervisorExecute), FaultKind::read_denied);
}

// ---------------------------------------------------------------------------------------------------
// Nested.

// Second level: 39-bit (3 levels), root 0x100000, 1 GiB leaves straight in the root table:
//   [0] GPA 0x0000_0000 -> 0x2_0000_0000 R/W   (entry 0x100000 = 0x2_0000_0083)
//   [1] GPA 0x4000_0000 -> 0x3_4000_0000 R     (entry 0x100008 = 0x3_4000_0081)
//   [2] GPA 0x8000_0000    not present          (entry 0x100010 = 0)
//   [3] GPA 0xc000_0000 -> 0x3_c000_0000 R/W   (entry 0x100018 = 0x3_c000_0083)
//   [4] GPA 0x1_0000_0000 -> 0x5_0000_0000 W   (entry 0x100020 = 0x5_0000_0082)
// First level: FLPTPTR GPA 0x1000; tables at GPA 0x1000, 0x2000, 0x3000, 0x4000 (host 0x2_0000_xxxx),
// entries with A already set (0x20), the leaf mapping GPA 0xc000_5000.
struct Nested : ::testing::Test {
    FakeMemory m;
    SecondLevelConfig second = second_level(39, 0x100000);
    FirstLevelConfig first = first_level(0x1000);
    void SetUp() override {
        m.put(0x100000, 0x2'0000'0083);
        m.put(0x100008, 0x3'4000'0081);
        m.put(0x100018, 0x3'c000'0083);
        m.put(0x100020, 0x5'0000'0082);
        m.put(0x2'0000'1008, 0x2027);
        m.put(0x2'0000'2010, 0x3027);
        m.put(0x2'0000'3018, 0x4027);
        m.put(0x2'0000'4020, 0xc000'5027);
    }
};

TEST_F(Nested, EveryTableAddressAndTheOutputGoThroughTheSecondLevel) {
    const WalkResult r = nested_walk(first, second, kVa, kRead, m);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
    EXPECT_EQ(r.translation.output_address, 0x3'c000'5abcull);
    EXPECT_EQ(r.translation.size_bits, 12u);  // min(4 KiB first level, 1 GiB second level)
    EXPECT_EQ(r.translation.level, 1u);
    EXPECT_EQ(r.translation.leaf, 0xc000'5027u);
    EXPECT_EQ(r.translation.second_level_leaf_level, 3u);
    EXPECT_EQ(r.translation.second_level_leaf, 0x3'c000'0083u);
    EXPECT_EQ(m.reads, (std::vector<std::uint64_t>{0x100000, 0x2'0000'1008, 0x100000, 0x2'0000'2010, 0x100000,
                                                   0x2'0000'3018, 0x100000, 0x2'0000'4020, 0x100018}));
    EXPECT_EQ(r.fetches, 9u);
    EXPECT_EQ(r.second_level_fetches, 5u);
    EXPECT_TRUE(m.updates.empty());
    EXPECT_FALSE(r.translation.permissions.dirty);  // the first-level leaf has no D yet
}

TEST_F(Nested, FirstLevelAccessedDirtyNeedsSecondLevelWrite) {
    m.put(0x2'0000'1008, 0x2007);
    m.put(0x2'0000'2010, 0x3007);
    m.put(0x2'0000'3018, 0x4007);
    m.put(0x2'0000'4020, 0xc000'5007);
    WalkResult r = nested_walk(first, second, kVa, kRead, m);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
    EXPECT_EQ(m.at(0x2'0000'1008), 0x2027u);
    EXPECT_EQ(m.at(0x2'0000'2010), 0x3027u);
    EXPECT_EQ(m.at(0x2'0000'3018), 0x4027u);
    EXPECT_EQ(m.at(0x2'0000'4020), 0xc000'5027u);
    // Per level: a second-level read for the table, the entry, a second-level write check for the
    // update; then the output's second-level read.
    EXPECT_EQ(r.fetches, 13u);
    EXPECT_EQ(r.second_level_fetches, 9u);
    EXPECT_EQ(r.entry_updates, 4u);

    r = nested_walk(first, second, kVa, kWrite, m);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(m.at(0x2'0000'4020), 0xc000'5067u);
    EXPECT_TRUE(r.translation.permissions.dirty);
}

TEST_F(Nested, UpdateRefusedBySecondLevelIsSfl8) {
    // The page table sits at GPA 0x4000_4000, read-only in the second level (host 0x3_4000_4000).
    m.put(0x2'0000'3018, 0x4000'4027);
    m.put(0x3'4000'4020, 0xc000'5007);  // leaf without A
    WalkResult r = nested_walk(first, second, kVa, kRead, m);
    EXPECT_EQ(r.fault.kind, FaultKind::write_denied);
    EXPECT_EQ(r.fault.stage, Stage::second);
    EXPECT_TRUE(r.fault.nested_table);
    EXPECT_TRUE(r.fault.ad_update_write);
    EXPECT_EQ(r.fault.first_level, 1u);
    EXPECT_EQ(r.fault.entry_address, 0x100008u);
    EXPECT_EQ(code(scalable_reason(r.fault)), 0x77u);  // SFL.8
    EXPECT_EQ(m.at(0x3'4000'4020), 0xc000'5007u);

    // With A already set a read needs no update; a write still needs D.
    m.put(0x3'4000'4020, 0xc000'5027);
    EXPECT_TRUE(nested_walk(first, second, kVa, kRead, m).ok());
    r = nested_walk(first, second, kVa, kWrite, m);
    EXPECT_EQ(code(scalable_reason(r.fault)), 0x77u);
}

TEST_F(Nested, RootTableNotReadableIsSfl6) {
    first.root = 0x8000'1000;  // GPA in the not-present 1 GiB
    const WalkResult r = nested_walk(first, second, kVa, kRead, m);
    EXPECT_EQ(r.fault.kind, FaultKind::not_present);
    EXPECT_TRUE(r.fault.nested_table);
    EXPECT_TRUE(r.fault.first_level_root);
    EXPECT_EQ(r.fault.first_level, 4u);
    EXPECT_EQ(r.fault.level, 3u);
    EXPECT_EQ(code(scalable_reason(r.fault)), 0x75u);  // SFL.6
}

TEST_F(Nested, LowerTableNotReadableIsSfl7) {
    m.put(0x2'0000'1008, 0x8000'2027);  // the PDPT at GPA 0x8000_2000: not present in the second level
    WalkResult r = nested_walk(first, second, kVa, kRead, m);
    EXPECT_EQ(r.fault.kind, FaultKind::not_present);
    EXPECT_FALSE(r.fault.first_level_root);
    EXPECT_EQ(r.fault.first_level, 3u);
    EXPECT_EQ(code(scalable_reason(r.fault)), 0x76u);  // SFL.7

    m.put(0x2'0000'1008, 0x1'0000'2027);  // GPA 0x1_0000_2000: write-only in the second level
    r = nested_walk(first, second, kVa, kRead, m);
    EXPECT_EQ(r.fault.kind, FaultKind::read_denied);
    EXPECT_EQ(code(scalable_reason(r.fault)), 0x76u);  // SFL.7
}

TEST_F(Nested, TableBeyondTheSecondLevelWidthIsSfl5) {
    m.put(0x2'0000'1008, 0x80'0000'2027);  // GPA bit 39, beyond the 39-bit second level
    WalkResult r = nested_walk(first, second, kVa, kRead, m);
    EXPECT_EQ(r.fault.kind, FaultKind::input_beyond_width);
    EXPECT_TRUE(r.fault.nested_table);
    EXPECT_EQ(code(scalable_reason(r.fault)), 0x74u);  // SFL.5

    first.root = 0x80'0000'1000;
    r = nested_walk(first, second, kVa, kRead, m);
    EXPECT_TRUE(r.fault.first_level_root);
    EXPECT_EQ(code(scalable_reason(r.fault)), 0x74u);
}

TEST_F(Nested, FaultsOnTheOutputsSecondLevelStep) {
    m.put(0x2'0000'4020, 0x8000'5027);  // output GPA 0x8000_5abc: not present
    WalkResult r = nested_walk(first, second, kVa, kRead, m);
    EXPECT_EQ(r.fault.kind, FaultKind::not_present);
    EXPECT_EQ(r.fault.stage, Stage::second);
    EXPECT_FALSE(r.fault.nested_table);
    EXPECT_EQ(r.fault.entry_address, 0x100010u);
    EXPECT_EQ(code(scalable_reason(r.fault)), 0x79u);  // SSL.2

    m.put(0x2'0000'4020, 0x4000'5067);  // output in the read-only 1 GiB; D already set
    EXPECT_TRUE(nested_walk(first, second, kVa, kRead, m).ok());
    r = nested_walk(first, second, kVa, kWrite, m);
    EXPECT_EQ(r.fault.kind, FaultKind::write_denied);
    EXPECT_FALSE(r.fault.nested_table);
    EXPECT_EQ(code(scalable_reason(r.fault)), 0x85u);  // SGN.6

    m.put(0x2'0000'4020, 0x80'0000'5027);  // output GPA beyond the second-level width
    r = nested_walk(first, second, kVa, kRead, m);
    EXPECT_EQ(r.fault.kind, FaultKind::output_beyond_width);
    EXPECT_EQ(code(scalable_reason(r.fault)), 0x84u);  // SGN.5
}

TEST_F(Nested, AccessErrorsInEitherStage) {
    FakeMemory clean = m;
    m.fail_reads_at(0x100000);  // the second-level root entry, met translating FLPTPTR
    WalkResult r = nested_walk(first, second, kVa, kRead, m);
    EXPECT_EQ(r.fault.kind, FaultKind::access_error);
    EXPECT_TRUE(r.fault.nested_table);
    EXPECT_TRUE(r.fault.in_root_table);
    EXPECT_EQ(r.fetches, 1u);
    EXPECT_EQ(code(scalable_reason(r.fault)), 0x7Bu);  // SSL.4

    clean.fail_reads_at(0x2'0000'2010);  // a first-level entry
    r = nested_walk(first, second, kVa, kRead, clean);
    EXPECT_EQ(r.fault.kind, FaultKind::access_error);
    EXPECT_EQ(r.fault.stage, Stage::first);
    EXPECT_EQ(r.fault.entry_address, 0x2'0000'2010u);
    EXPECT_EQ(code(scalable_reason(r.fault)), 0x70u);  // SFL.1
}

TEST_F(Nested, SizeIsTheSmallerOfTheTwoLeaves) {
    m.put(0x2'0000'3018, 0x0020'00a7);  // first-level 2 MiB leaf GPA 0x20_0000: PS | A | U/S | R/W | P
    WalkResult r = nested_walk(first, second, kVa, kRead, m);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
    // GPA 0x0020_0000 | 0x4abc -> host 0x2_0020_4abc; min(2 MiB, 1 GiB).
    EXPECT_EQ(r.translation.output_address, 0x2'0020'4abcull);
    EXPECT_EQ(r.translation.size_bits, 21u);

    // A first-level 1 GiB leaf over a second level of 2 MiB leaves: GPA 0x1_4000_0000 goes through
    // root entry [5] (0x100028) to a level-2 table at 0x110000; index (0x1_4060_4abc >> 21) & 0x1ff = 3.
    m.put(0x100028, 0x110003);
    m.put(0x110018, 0x6'0060'0083);
    m.put(0x2'0000'2010, 0x1'4000'00a7);
    r = nested_walk(first, second, kVa, kRead, m);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
    EXPECT_EQ(r.translation.output_address, 0x6'0060'4abcull);
    EXPECT_EQ(r.translation.size_bits, 21u);
    EXPECT_EQ(r.translation.level, 3u);
    EXPECT_EQ(r.translation.second_level_leaf_level, 2u);
}

TEST_F(Nested, DirtyNeedsBothLeavesWithSlade) {
    second.accessed_dirty = true;
    m.put(0x2'0000'4020, 0xc000'5067);  // first-level leaf with A and D
    WalkResult r = nested_walk(first, second, kVa, kRead, m);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
    // The second level marks its leaves accessed (bit 8): the table pages' and the output's.
    EXPECT_EQ(m.at(0x100000), 0x2'0000'0183u);
    EXPECT_EQ(m.at(0x100018), 0x3'c000'0183u);
    EXPECT_FALSE(r.translation.permissions.dirty);  // the output's second-level leaf has no D yet
    r = nested_walk(first, second, kVa, kWrite, m);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(m.at(0x100018), 0x3'c000'0383u);  // D (bit 9)
    EXPECT_EQ(m.at(0x100000), 0x2'0000'0183u);  // no first-level update, so no write to table pages
    EXPECT_TRUE(r.translation.permissions.dirty);
}

TEST_F(Nested, CachedPermissionsCombineBothStages) {
    // A read-only first-level page (P | U/S | A | D): without WPE a supervisor may write it, as far as
    // the first level goes.
    m.put(0x2'0000'4020, 0xc000'5065);  // output in the R/W 1 GiB
    WalkResult r = nested_walk(first, second, kVa, kRead, m);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(check_access(r.translation.permissions, kSupervisorWrite), FaultKind::none);
    EXPECT_EQ(check_access(r.translation.permissions, kWrite), FaultKind::write_denied);

    m.put(0x2'0000'4020, 0x4000'5065);  // output in the read-only 1 GiB: the second level forbids it
    r = nested_walk(first, second, kVa, kRead, m);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(check_access(r.translation.permissions, kSupervisorWrite), FaultKind::write_denied);
    EXPECT_EQ(nested_walk(first, second, kVa, kSupervisorWrite, m).fault.kind, FaultKind::write_denied);

    m.put(0x2'0000'4020, 0xc000'5063);  // a supervisor page (U/S = 0): the kept translation refuses users
    r = nested_walk(first, second, kVa, kSupervisorRead, m);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(check_access(r.translation.permissions, kRead), FaultKind::user_denied);

    m.put(0x2'0000'4020, 0x4000'5067);  // a writable first-level page over the read-only 1 GiB
    r = nested_walk(first, second, kVa, kRead, m);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(check_access(r.translation.permissions, kWrite), FaultKind::write_denied);

    // Output in the write-only 1 GiB (P | R/W | U/S | A | D leaf): a write walk succeeds; the kept
    // translation still refuses reads.
    m.put(0x2'0000'4020, 0x1'0000'5067);
    r = nested_walk(first, second, kVa, kSupervisorWrite, m);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
    EXPECT_EQ(check_access(r.translation.permissions, kSupervisorRead), FaultKind::read_denied);

    // With SLEE the second level's missing X refuses execution of a page the first level allows.
    second.execute_enabled = true;
    m.put(0x2'0000'4020, 0xc000'5067);
    r = nested_walk(first, second, kVa, kSupervisorRead, m);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(check_access(r.translation.permissions, kSupervisorExecute), FaultKind::execute_denied);
    EXPECT_EQ(check_access(r.translation.permissions, kExecute), FaultKind::execute_denied);
    EXPECT_EQ(nested_walk(first, second, kVa, kSupervisorExecute, m).fault.kind, FaultKind::execute_denied);
}

TEST_F(Nested, CachesForBothStages) {
    MapWalkCache first_cache;
    MapWalkCache second_cache;
    ASSERT_TRUE(nested_walk(first, second, kVa, kRead, m, &first_cache, &second_cache).ok());
    // The first-level cache holds guest-physical tables.
    EXPECT_EQ(first_cache.entries.at({3, 0x1}).first, 0x2000u);
    EXPECT_EQ(first_cache.entries.at({2, 0x202}).first, 0x3000u);
    EXPECT_EQ(first_cache.entries.at({1, 0x40403}).first, 0x4000u);
    EXPECT_TRUE(second_cache.entries.empty());  // every second-level leaf is in its root table

    m.put(0x2'0000'4028, 0xc000'6027);
    m.reads.clear();
    const WalkResult r = nested_walk(first, second, kVa + 0x1000, kRead, m, &first_cache, &second_cache);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(m.reads, (std::vector<std::uint64_t>{0x100000, 0x2'0000'4028, 0x100018}));
    EXPECT_EQ(r.translation.output_address, 0x3'c000'6abcull);
}

TEST(NestedWalk, SecondLevelCacheShortensTableTranslations) {
    // A 48-bit second level with 4 KiB leaves: GPA 0x1000 -> host 0x9000 through tables at 0x200000,
    // 0x201000, 0x202000, 0x203000 (indices 0, 0, 0, 1).
    FakeMemory m;
    m.put(0x200000, 0x201003);
    m.put(0x201000, 0x202003);
    m.put(0x202000, 0x203003);
    m.put(0x203008, 0x9003);
    // A first level whose every table is the page at GPA 0x1000 (host 0x9000); input 0x123 uses index 0
    // at each level, so the same entry (GPA 0x1000 | A | U/S | R/W | P) is every table pointer and, at
    // level 1, the leaf: output GPA 0x1123 -> host 0x9123.
    m.put(0x9000, 0x1027);
    MapWalkCache second_cache;
    const WalkResult r =
        nested_walk(first_level(0x1000), second_level(48, 0x200000), 0x123, kRead, m, nullptr, &second_cache);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
    EXPECT_EQ(r.translation.output_address, 0x9123u);
    // The first table translation reads 4 second-level entries and fills the cache; the other three
    // table translations and the output's reuse the cached page table (1 read each); plus 4
    // first-level reads.
    EXPECT_EQ(r.second_level_fetches, 4u + 4u);
    EXPECT_EQ(r.fetches, 12u);
}

// ---------------------------------------------------------------------------------------------------
// Fault reasons by hand.

WalkFault fault(FaultKind kind, Stage stage) {
    WalkFault f;
    f.kind = kind;
    f.stage = stage;
    return f;
}

TEST(FaultReasons, Scalable) {
    EXPECT_EQ(code(scalable_reason(WalkFault{})), 0x00u);
    EXPECT_EQ(code(scalable_reason(fault(FaultKind::access_error, Stage::first))), 0x70u);
    EXPECT_EQ(code(scalable_reason(fault(FaultKind::not_present, Stage::first))), 0x71u);
    EXPECT_EQ(code(scalable_reason(fault(FaultKind::reserved_bits, Stage::first))), 0x72u);
    EXPECT_EQ(code(scalable_reason(fault(FaultKind::non_canonical, Stage::first))), 0x80u);
    EXPECT_EQ(code(scalable_reason(fault(FaultKind::user_denied, Stage::first))), 0x81u);
    EXPECT_EQ(code(scalable_reason(fault(FaultKind::execute_denied, Stage::first))), 0x82u);
    EXPECT_EQ(code(scalable_reason(fault(FaultKind::write_denied, Stage::first))), 0x85u);
    EXPECT_EQ(code(scalable_reason(fault(FaultKind::ad_update_failed, Stage::first))), 0x91u);
    EXPECT_EQ(code(scalable_reason(fault(FaultKind::access_error, Stage::second))), 0x78u);
    EXPECT_EQ(code(scalable_reason(fault(FaultKind::not_present, Stage::second))), 0x79u);
    EXPECT_EQ(code(scalable_reason(fault(FaultKind::reserved_bits, Stage::second))), 0x7Au);
    EXPECT_EQ(code(scalable_reason(fault(FaultKind::execute_denied, Stage::second))), 0x82u);
    EXPECT_EQ(code(scalable_reason(fault(FaultKind::input_beyond_width, Stage::second))), 0x84u);
    EXPECT_EQ(code(scalable_reason(fault(FaultKind::output_beyond_width, Stage::second))), 0x84u);
    EXPECT_EQ(code(scalable_reason(fault(FaultKind::write_denied, Stage::second))), 0x85u);
    EXPECT_EQ(code(scalable_reason(fault(FaultKind::read_denied, Stage::second))), 0x86u);
    EXPECT_EQ(code(scalable_reason(fault(FaultKind::ad_update_failed, Stage::second))), 0x78u);

    WalkFault root = fault(FaultKind::access_error, Stage::first);
    root.in_root_table = true;
    EXPECT_EQ(code(scalable_reason(root)), 0x73u);
    root.stage = Stage::second;
    EXPECT_EQ(code(scalable_reason(root)), 0x7Bu);

    WalkFault table = fault(FaultKind::not_present, Stage::second);
    table.nested_table = true;
    EXPECT_EQ(code(scalable_reason(table)), 0x76u);
    table.first_level_root = true;
    EXPECT_EQ(code(scalable_reason(table)), 0x75u);
    table.ad_update_write = true;
    EXPECT_EQ(code(scalable_reason(table)), 0x77u);
    table.kind = FaultKind::reserved_bits;
    EXPECT_EQ(code(scalable_reason(table)), 0x7Au);
    table.kind = FaultKind::input_beyond_width;
    EXPECT_EQ(code(scalable_reason(table)), 0x74u);
}

TEST(FaultReasons, Legacy) {
    EXPECT_EQ(code(legacy_reason(WalkFault{}, kRead)), 0x00u);
    EXPECT_EQ(code(legacy_reason(fault(FaultKind::input_beyond_width, Stage::second), kRead)), 0x04u);
    EXPECT_EQ(code(legacy_reason(fault(FaultKind::not_present, Stage::second), kWrite)), 0x05u);
    EXPECT_EQ(code(legacy_reason(fault(FaultKind::not_present, Stage::second), kRead)), 0x06u);
    EXPECT_EQ(code(legacy_reason(fault(FaultKind::write_denied, Stage::second), kWrite)), 0x05u);
    EXPECT_EQ(code(legacy_reason(fault(FaultKind::read_denied, Stage::second), kRead)), 0x06u);
    EXPECT_EQ(code(legacy_reason(fault(FaultKind::access_error, Stage::second), kRead)), 0x07u);
    EXPECT_EQ(code(legacy_reason(fault(FaultKind::reserved_bits, Stage::second), kRead)), 0x0Cu);
    EXPECT_EQ(code(legacy_reason(fault(FaultKind::ad_update_failed, Stage::second), kRead)), 0x07u);
    WalkFault root = fault(FaultKind::access_error, Stage::second);
    root.in_root_table = true;
    EXPECT_EQ(code(legacy_reason(root, kRead)), 0x03u);
    EXPECT_EQ(code(legacy_reason(fault(FaultKind::user_denied, Stage::first), kRead)), 0x00u);
}

}  // namespace
