// SMMUv3 hardware update of the Access flag and dirty state (HTTU, SMMUv3 3.13), at the walk, the
// decoders and translate(). Every encoding is written here from the specification, independently
// of the model's constants:
//   VMSAv8-64 descriptors (Arm ARM D8.3; SMMUv3 3.13.3.1): bits[1:0] 0b11 table / page, 0b01 block;
//   AP[2:1] bits [7:6] (AP[2] bit 7: read-only, AP[1] bit 6: EL0 access); S2AP[1:0] bits [7:6]
//   (bit 7 write, bit 6 read); AF bit 10; DBM bit 51; APTable[1] (no write) bit 62 of a table
//   descriptor; bit 55 is for software use.
//   Writable-clean: DBM == 1 with AP[2] == 1 (stage 1) or S2AP[1] == 0 (stage 2); HTTU marks it
//   writable-dirty by clearing AP[2] / setting S2AP[1], and sets AF (3.13.2, 3.13.3.1).
//   CD (5.4): T0SZ [5:0], EPD1 [30], V [31], IPS [34:32], AA64 [41], HD [42], HA [43], R [45], A [46],
//   ASID [63:48]; TTB0 in word 1. STE (5.2): V [0], Config [3:1], S1ContextPtr [51:6]; EATS [29:28]
//   of word 1; S2T0SZ [37:32], S2SL0 [39:38], S2TG [47:46], S2PS [50:48], S2AA64 [51], S2HD [55]
//   (STE bit 183), S2HA [56] (bit 184), S2R [58] of word 2; S2TTB in word 3.
// Expected descriptor values are worked out by hand next to each case.
#include "models/smmuv3/cd.h"
#include "models/smmuv3/ste.h"
#include "models/smmuv3/translate.h"
#include "models/smmuv3/vmsa_walk.h"

#include "models/memory/sparse_store.h"
#include "models/smmuv3/caches.h"
#include "models/smmuv3/stream_table.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <set>

namespace {

using namespace iommu_vp;
using namespace iommu_vp::smmuv3;
using vmsa::Access;
using vmsa::FaultType;
using vmsa::Stage;
using vmsa::WalkConfig;
using vmsa::WalkResult;

constexpr std::uint64_t kAf = 1ull << 10;
constexpr std::uint64_t kDbm = 1ull << 51;
constexpr std::uint64_t kSoftwareBit = 1ull << 55;
constexpr std::uint64_t kApRwAny = 0b01ull << 6;   // AP[2:1] = 01: read/write at any level
constexpr std::uint64_t kApRoAny = 0b11ull << 6;   // AP[2:1] = 11: read-only at any level
constexpr std::uint64_t kApRoPriv = 0b10ull << 6;  // AP[2:1] = 10: read-only, privileged only
constexpr std::uint64_t kS2Read = 1ull << 6;
constexpr std::uint64_t kS2Write = 1ull << 7;
constexpr std::uint64_t kApTableNoWrite = 1ull << 62;

constexpr std::uint64_t table_descriptor(std::uint64_t a, std::uint64_t extra = 0) { return a | 0b11 | extra; }

// The hand-worked descriptor values below, checked once against their parts.
static_assert((0x4'5678'9000ull | 0b11 | kApRwAny) == 0x0000'0004'5678'9043ull);
static_assert((0x4'5678'9000ull | 0b11 | kApRwAny | kAf) == 0x0000'0004'5678'9443ull);
static_assert((0x4'5678'9000ull | 0b11 | kApRoAny | kAf | kDbm) == 0x0008'0004'5678'94C3ull);
static_assert((0x4'5678'9000ull | 0b11 | kApRoPriv | kAf | kDbm) == 0x0008'0004'5678'9483ull);
static_assert((0x7'1234'5000ull | 0b11 | kS2Read | kAf | kDbm) == 0x0008'0007'1234'5443ull);
static_assert((0x7'1234'5000ull | 0b11 | kS2Read | kS2Write | kAf | kDbm) == 0x0008'0007'1234'54C3ull);

// ---------------------------------------------------------------------------------------------------
// Walk level.

// Descriptors in a map, with the compare-and-swap HTTU uses. `software` runs just before a swap (the
// moment between the walk's read and its swap): it may change memory as a racing CPU would.
class Tables : public vmsa::DescriptorReader {
public:
    void put(std::uint64_t address, std::uint64_t d) { memory_[address] = d; }
    std::uint64_t at(std::uint64_t address) const {
        const auto it = memory_.find(address);
        return it == memory_.end() ? 0 : it->second;
    }
    vmsa::FetchStatus read_descriptor(std::uint64_t address, std::uint64_t& d) override {
        d = at(address);
        return vmsa::FetchStatus::ok;
    }
    vmsa::FetchStatus compare_and_swap_descriptor(std::uint64_t address, std::uint64_t expected, std::uint64_t desired,
                                                  std::uint64_t& observed) override {
        ++swaps;
        if (software) software(*this, swaps);
        if (swap_aborts) return vmsa::FetchStatus::external_abort;
        observed = at(address);
        if (observed == expected) {
            put(address, desired);
            ++writes;
        }
        return vmsa::FetchStatus::ok;
    }
    std::function<void(Tables&, unsigned swap)> software;
    bool swap_aborts = false;
    unsigned swaps = 0, writes = 0;

private:
    std::map<std::uint64_t, std::uint64_t> memory_;
};

// Stage 1, 4 KiB granule, 48-bit VA: VA 0x0000_0080_8060_4abc has level indices 1, 2, 3, 4
// ((1 << 39) | (2 << 30) | (3 << 21) | (4 << 12) | 0xabc). Tables at 0x1000_0000, 0x1000_1000,
// 0x1000_2000, 0x1000_3000; the leaf is at 0x1000_3000 + 4 * 8 = 0x1000_3020 and maps PA page
// 0x4_5678_9000.
constexpr std::uint64_t kVa = 0x0000'0080'8060'4abcull;
constexpr std::uint64_t kLeaf = 0x1000'3020;
constexpr std::uint64_t kPa = 0x4'5678'9000ull;

struct Smmuv3HttuStage1Walk : ::testing::Test {
    Tables t;
    WalkConfig c;
    void SetUp() override {
        c.stage = Stage::one;
        c.granule_bits = 12;
        c.input_bits = 48;
        c.start_level = 0;
        c.table_base = 0x1000'0000;
        c.output_bits = 48;
        t.put(0x1000'0000 + 1 * 8, table_descriptor(0x1000'1000));
        t.put(0x1000'1000 + 2 * 8, table_descriptor(0x1000'2000));
        t.put(0x1000'2000 + 3 * 8, table_descriptor(0x1000'3000));
    }
    void ha() { c.hardware_access_flag = true; }
    void ha_hd() { c.hardware_access_flag = c.hardware_dirty = true; }
    WalkResult walk(bool write, bool privileged = false) {
        const Access access{write, privileged, false};
        return vmsa::walk(c, kVa, t, nullptr, &access);
    }
};

TEST_F(Smmuv3HttuStage1Walk, AccessFlagClearFaultsWithoutHa) {
    // 0x4_5678_9000 | page 0b11 | AP 01 (0x40), AF = 0: 0x0000_0004_5678_9043.
    t.put(kLeaf, 0x0000'0004'5678'9043ull);
    const WalkResult r = walk(false);
    EXPECT_EQ(r.fault.type, FaultType::access_flag);
    EXPECT_EQ(r.fault.level, 3u);
    EXPECT_EQ(t.swaps, 0u);
    EXPECT_EQ(t.at(kLeaf), 0x0000'0004'5678'9043ull);  // untouched
}

TEST_F(Smmuv3HttuStage1Walk, HaSetsTheAccessFlagInMemoryInsteadOfFaulting) {
    t.put(kLeaf, 0x0000'0004'5678'9043ull);
    ha();
    const WalkResult r = walk(false);
    ASSERT_TRUE(r.ok()) << vmsa::to_string(r.fault.type);
    // AF (0x400) set, nothing else: 0x0000_0004_5678_9443.
    EXPECT_EQ(t.at(kLeaf), 0x0000'0004'5678'9443ull);
    EXPECT_EQ(r.translation.leaf, 0x0000'0004'5678'9443ull);
    EXPECT_EQ(r.translation.output_address, 0x4'5678'9abcull);
    EXPECT_EQ(t.swaps, 1u);
    EXPECT_EQ(r.updates.access_flag, 1u);
    EXPECT_EQ(r.updates.dirty, 0u);
    EXPECT_EQ(r.updates.retries, 0u);
}

TEST_F(Smmuv3HttuStage1Walk, HaIgnoresAffdAndStillWritesTheFlag) {
    // CD.AFFD: "If HA == 1, this flag is IGNORED" (SMMUv3 5.4).
    t.put(kLeaf, 0x0000'0004'5678'9043ull);
    ha();
    c.access_flag_fault_disabled = true;
    ASSERT_TRUE(walk(false).ok());
    EXPECT_EQ(t.at(kLeaf), 0x0000'0004'5678'9443ull);
}

TEST_F(Smmuv3HttuStage1Walk, AffdWithoutHaTranslatesWithoutWriting) {
    t.put(kLeaf, 0x0000'0004'5678'9043ull);
    c.access_flag_fault_disabled = true;
    ASSERT_TRUE(walk(true).ok());
    EXPECT_EQ(t.swaps, 0u);
    EXPECT_EQ(t.at(kLeaf), 0x0000'0004'5678'9043ull);
}

TEST_F(Smmuv3HttuStage1Walk, HaLeavesADescriptorWithTheFlagSetAlone) {
    t.put(kLeaf, 0x0000'0004'5678'9443ull);
    ha_hd();
    ASSERT_TRUE(walk(true).ok());
    EXPECT_EQ(t.swaps, 0u);
    EXPECT_FALSE(walk(true).updates.any());
}

TEST_F(Smmuv3HttuStage1Walk, HdMarksAWritableCleanPageDirtyOnAWrite) {
    // Writable-clean: PA | 0b11 | AP 11 (0xC0) | AF (0x400) | DBM: 0x0008_0004_5678_94C3.
    t.put(kLeaf, 0x0008'0004'5678'94C3ull);
    ha_hd();
    const WalkResult r = walk(true);
    ASSERT_TRUE(r.ok());
    // AP[2] (bit 7, 0x80) cleared, DBM kept: AP 01, 0x0008_0004_5678_9443.
    EXPECT_EQ(t.at(kLeaf), 0x0008'0004'5678'9443ull);
    EXPECT_EQ(r.updates.dirty, 1u);
    EXPECT_EQ(r.updates.access_flag, 0u);
    EXPECT_FALSE(r.translation.permissions.read_only);
    EXPECT_FALSE(r.translation.permissions.writable_clean);
    EXPECT_EQ(vmsa::check_access(Stage::one, r.translation.permissions, Access{true, false, false}), FaultType::none);
}

TEST_F(Smmuv3HttuStage1Walk, OneSwapSetsTheAccessFlagAndTheDirtyState) {
    // As above with AF = 0: 0x0008_0004_5678_90C3 -> AF set and AP[2] cleared: 0x0008_0004_5678_9443.
    t.put(kLeaf, 0x0008'0004'5678'90C3ull);
    ha_hd();
    const WalkResult r = walk(true);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(t.at(kLeaf), 0x0008'0004'5678'9443ull);
    EXPECT_EQ(t.swaps, 1u);
    EXPECT_EQ(r.updates.access_flag, 1u);
    EXPECT_EQ(r.updates.dirty, 1u);
}

TEST_F(Smmuv3HttuStage1Walk, AReadLeavesAWritableCleanPageClean) {
    t.put(kLeaf, 0x0008'0004'5678'94C3ull);
    ha_hd();
    const WalkResult r = walk(false);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(t.swaps, 0u);
    EXPECT_TRUE(r.translation.permissions.read_only);
    EXPECT_TRUE(r.translation.permissions.writable_clean);  // a write still has to mark it dirty
}

TEST_F(Smmuv3HttuStage1Walk, WithoutHdAWriteToAWritableCleanPageIsRefused) {
    t.put(kLeaf, 0x0008'0004'5678'94C3ull);
    ha();  // access flag only (IDR0.HTTU == 0b01)
    const WalkResult r = walk(true);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(t.swaps, 0u);
    EXPECT_EQ(t.at(kLeaf), 0x0008'0004'5678'94C3ull);
    EXPECT_FALSE(r.translation.permissions.writable_clean);
    EXPECT_EQ(vmsa::check_access(Stage::one, r.translation.permissions, Access{true, false, false}),
              FaultType::permission);
}

TEST_F(Smmuv3HttuStage1Walk, DbmZeroMeansReadOnlyEvenWithHd) {
    // PA | 0b11 | AP 11 | AF, DBM = 0: 0x0000_0004_5678_94C3, genuinely read-only.
    t.put(kLeaf, 0x0000'0004'5678'94C3ull);
    ha_hd();
    const WalkResult r = walk(true);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(t.swaps, 0u);
    EXPECT_EQ(vmsa::check_access(Stage::one, r.translation.permissions, Access{true, false, false}),
              FaultType::permission);
}

TEST_F(Smmuv3HttuStage1Walk, ApTableReadOnlyIsNotOverriddenByDbm) {
    // 3.13.3.1: dirty update does not apply to a descriptor made read-only by APTable.
    t.put(0x1000'2000 + 3 * 8, table_descriptor(0x1000'3000, kApTableNoWrite));
    t.put(kLeaf, 0x0008'0004'5678'94C3ull);
    ha_hd();
    const WalkResult r = walk(true);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(t.swaps, 0u);
    EXPECT_EQ(t.at(kLeaf), 0x0008'0004'5678'94C3ull);
    EXPECT_FALSE(r.translation.permissions.writable_clean);
}

TEST_F(Smmuv3HttuStage1Walk, APageTheWriterCouldNotWriteOnceDirtyStaysClean) {
    // AP 10 (privileged read-only) | AF | DBM: 0x0008_0004_5678_9483. Dirty it would be AP 00,
    // privileged read/write: still no EL0 access, so an unprivileged write leaves it clean.
    t.put(kLeaf, 0x0008'0004'5678'9483ull);
    ha_hd();
    ASSERT_TRUE(walk(true, false).ok());
    EXPECT_EQ(t.swaps, 0u);
    // A privileged write marks it dirty: AP[2] cleared, 0x0008_0004_5678_9403.
    ASSERT_TRUE(walk(true, true).ok());
    EXPECT_EQ(t.at(kLeaf), 0x0008'0004'5678'9403ull);
}

TEST_F(Smmuv3HttuStage1Walk, WithoutAnAccessNothingIsMarkedDirty) {
    t.put(kLeaf, 0x0008'0004'5678'90C3ull);
    ha_hd();
    ASSERT_TRUE(vmsa::walk(c, kVa, t).ok());
    EXPECT_EQ(t.at(kLeaf), 0x0008'0004'5678'94C3ull);  // AF only
}

TEST_F(Smmuv3HttuStage1Walk, TableDescriptorsKeepTheirAccessFlagBitAsWritten) {
    // Without HAFT only leaves are updated: the table descriptors' bit 10 stays 0.
    t.put(kLeaf, 0x0000'0004'5678'9043ull);
    ha_hd();
    ASSERT_TRUE(walk(true).ok());
    EXPECT_EQ(t.at(0x1000'0008), table_descriptor(0x1000'1000));
    EXPECT_EQ(t.at(0x1000'1010), table_descriptor(0x1000'2000));
    EXPECT_EQ(t.at(0x1000'2018), table_descriptor(0x1000'3000));
    EXPECT_EQ(t.swaps, 1u);
}

TEST_F(Smmuv3HttuStage1Walk, BlockDescriptorsAreUpdatedToo) {
    // A 2 MiB block at level 2: 0x4_5660_0000 | 0b01 | AP 11 | DBM, AF = 0: 0x0008_0004_5660_00C1.
    // Marked accessed and dirty: 0x0008_0004_5660_0441.
    t.put(0x1000'2000 + 3 * 8, 0x0008'0004'5660'00C1ull);
    ha_hd();
    const WalkResult r = walk(true);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(t.at(0x1000'2018), 0x0008'0004'5660'0441ull);
    EXPECT_EQ(r.translation.output_address, 0x4'5660'0000ull + (kVa & 0x1f'ffff));
}

// Races: software changes the descriptor between the walk's read and its compare-and-swap.

TEST_F(Smmuv3HttuStage1Walk, RaceKeepsTheSoftwareChangeAndTheHardwareUpdate) {
    // The walk reads 0x0008_0004_5678_90C3; software sets bit 55 first: 0x0088_0004_5678_90C3. The
    // first swap finds that and writes nothing; the second writes AF and clears AP[2] on top of
    // the software's value: 0x0088_0004_5678_9443.
    t.put(kLeaf, 0x0008'0004'5678'90C3ull);
    t.software = [](Tables& m, unsigned swap) {
        if (swap == 1) m.put(kLeaf, m.at(kLeaf) | kSoftwareBit);
    };
    ha_hd();
    const WalkResult r = walk(true);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(t.at(kLeaf), 0x0088'0004'5678'9443ull);
    EXPECT_EQ(t.swaps, 2u);
    EXPECT_EQ(t.writes, 1u);
    EXPECT_EQ(r.updates.retries, 1u);
    EXPECT_EQ(r.updates.access_flag, 1u);
    EXPECT_EQ(r.updates.dirty, 1u);
}

TEST_F(Smmuv3HttuStage1Walk, RaceThatMakesThePageReadOnlyEndsInAPermissionFault) {
    // Software clears DBM (the page becomes read-only): 0x0000_0004_5678_90C3. Examined again, the
    // write may not mark it dirty; AF is still set: 0x0000_0004_5678_94C3, read-only.
    t.put(kLeaf, 0x0008'0004'5678'90C3ull);
    t.software = [](Tables& m, unsigned swap) {
        if (swap == 1) m.put(kLeaf, m.at(kLeaf) & ~kDbm);
    };
    ha_hd();
    const WalkResult r = walk(true);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(t.at(kLeaf), 0x0000'0004'5678'94C3ull);
    EXPECT_EQ(r.updates.dirty, 0u);
    EXPECT_EQ(r.updates.retries, 1u);
    EXPECT_EQ(vmsa::check_access(Stage::one, r.translation.permissions, Access{true, false, false}),
              FaultType::permission);
}

TEST_F(Smmuv3HttuStage1Walk, RaceThatUnmapsThePageFaultsAndWritesNothing) {
    t.put(kLeaf, 0x0008'0004'5678'90C3ull);
    t.software = [](Tables& m, unsigned) { m.put(kLeaf, 0); };
    ha_hd();
    const WalkResult r = walk(true);
    EXPECT_EQ(r.fault.type, FaultType::translation);
    EXPECT_EQ(r.fault.level, 3u);
    EXPECT_EQ(t.at(kLeaf), 0u);
    EXPECT_EQ(t.writes, 0u);
}

TEST_F(Smmuv3HttuStage1Walk, RaceWithAnotherUpdaterThatGotThereFirstNeedsNoSecondWrite) {
    // Another agent set AF and the dirty state first: 0x0008_0004_5678_9443. Nothing left to write.
    t.put(kLeaf, 0x0008'0004'5678'90C3ull);
    t.software = [](Tables& m, unsigned) { m.put(kLeaf, 0x0008'0004'5678'9443ull); };
    ha_hd();
    const WalkResult r = walk(true);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(t.swaps, 1u);
    EXPECT_EQ(t.writes, 0u);
    EXPECT_EQ(r.updates.retries, 1u);
    EXPECT_EQ(r.updates.dirty, 0u);
    EXPECT_FALSE(r.translation.permissions.read_only);
}

TEST_F(Smmuv3HttuStage1Walk, AWriterThatWinsEveryRaceEndsTheWalkWithAnAbort) {
    t.put(kLeaf, 0x0008'0004'5678'90C3ull);
    t.software = [](Tables& m, unsigned) { m.put(kLeaf, m.at(kLeaf) ^ kSoftwareBit); };
    ha_hd();
    const WalkResult r = walk(true);
    EXPECT_EQ(r.fault.type, FaultType::external_abort);
    EXPECT_EQ(r.fault.descriptor_address, kLeaf);
    EXPECT_EQ(t.writes, 0u);
    EXPECT_EQ(r.updates.retries, vmsa::kMaxUpdateAttempts);
}

TEST_F(Smmuv3HttuStage1Walk, AnAbortedSwapIsAnExternalAbortOnTheDescriptor) {
    t.put(kLeaf, 0x0000'0004'5678'9043ull);
    t.swap_aborts = true;
    ha();
    const WalkResult r = walk(false);
    EXPECT_EQ(r.fault.type, FaultType::external_abort);
    EXPECT_EQ(r.fault.descriptor_address, kLeaf);
}

// Stage 2, 4 KiB granule, 40-bit IPA starting at level 1 (two concatenated tables). IPA
// 0x4040_5abc: level-1 index 1 (IPA[39:30]), level-2 index 2 (IPA[29:21] = 0x202 & 0x1ff), level-3
// index 5; tables at 0x2000_0000 (8 KiB), 0x2000_2000, 0x2000_3000; the leaf is at
// 0x2000_3000 + 5 * 8 = 0x2000_3028 and maps PA page 0x7_1234_5000.
constexpr std::uint64_t kIpa = 0x4040'5abcull;
constexpr std::uint64_t kS2Leaf = 0x2000'3028;

struct Smmuv3HttuStage2Walk : ::testing::Test {
    Tables t;
    WalkConfig c;
    void SetUp() override {
        c.stage = Stage::two;
        c.granule_bits = 12;
        c.input_bits = 40;
        c.start_level = 1;
        c.table_base = 0x2000'0000;
        c.output_bits = 48;
        t.put(0x2000'0000 + 1 * 8, table_descriptor(0x2000'2000));
        t.put(0x2000'2000 + 2 * 8, table_descriptor(0x2000'3000));
    }
    WalkResult walk(bool write) {
        const Access access{write, false, false};
        return vmsa::walk(c, kIpa, t, nullptr, &access);
    }
};

TEST_F(Smmuv3HttuStage2Walk, HdMarksAWritableCleanPageDirtyBySettingS2ap1) {
    // PA | 0b11 | S2AP 01 (read, 0x40) | AF | DBM: 0x0008_0007_1234_5443. Dirty: S2AP[1] (0x80)
    // set: 0x0008_0007_1234_54C3.
    t.put(kS2Leaf, 0x0008'0007'1234'5443ull);
    c.hardware_access_flag = c.hardware_dirty = true;
    const WalkResult r = walk(true);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(t.at(kS2Leaf), 0x0008'0007'1234'54C3ull);
    EXPECT_TRUE(r.translation.permissions.s2_write);
    EXPECT_EQ(r.translation.output_address, 0x7'1234'5abcull);
    EXPECT_EQ(r.updates.dirty, 1u);
}

TEST_F(Smmuv3HttuStage2Walk, AccessFlagAndDirtyStateInOneSwap) {
    // AF = 0: 0x0008_0007_1234_5043 -> 0x0008_0007_1234_54C3.
    t.put(kS2Leaf, 0x0008'0007'1234'5043ull);
    c.hardware_access_flag = c.hardware_dirty = true;
    ASSERT_TRUE(walk(true).ok());
    EXPECT_EQ(t.at(kS2Leaf), 0x0008'0007'1234'54C3ull);
    EXPECT_EQ(t.swaps, 1u);
}

TEST_F(Smmuv3HttuStage2Walk, WithoutS2hdTheWriteIsRefusedAndNothingWritten) {
    t.put(kS2Leaf, 0x0008'0007'1234'5443ull);
    c.hardware_access_flag = true;
    const WalkResult r = walk(true);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(t.swaps, 0u);
    EXPECT_FALSE(r.translation.permissions.s2_write);
    EXPECT_EQ(vmsa::check_access(Stage::two, r.translation.permissions, Access{true, false, false}),
              FaultType::permission);
}

TEST_F(Smmuv3HttuStage2Walk, AccessFlagFaultWithoutS2haAndItsUpdateWithIt) {
    t.put(kS2Leaf, 0x0000'0007'1234'50C3ull);  // S2AP 11, AF = 0
    EXPECT_EQ(walk(false).fault.type, FaultType::access_flag);
    c.hardware_access_flag = true;
    ASSERT_TRUE(walk(false).ok());
    EXPECT_EQ(t.at(kS2Leaf), 0x0000'0007'1234'54C3ull);
}

TEST_F(Smmuv3HttuStage2Walk, NonWritableWithoutDbmStaysNonWritable) {
    t.put(kS2Leaf, 0x0000'0007'1234'5443ull);  // S2AP 01, DBM = 0
    c.hardware_access_flag = c.hardware_dirty = true;
    const WalkResult r = walk(true);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(t.swaps, 0u);
    EXPECT_FALSE(r.translation.permissions.s2_write);
}

// ---------------------------------------------------------------------------------------------------
// Decoders: HA/HD and S2HA/S2HD reach the walk configuration as the specification combines them.

std::array<std::uint64_t, 8> cd(std::uint64_t extra) {
    // T0SZ 16, EPD1, V, IPS 0b101, AA64, R, A, ASID 1; TTB0 0x3_0000.
    const std::uint64_t dw0 = 16u | (1ull << 30) | (1ull << 31) | (5ull << 32) | (1ull << 41) | (1ull << 45) |
                              (1ull << 46) | (1ull << 48) | extra;
    return {dw0, 0x3'0000, 0, 0, 0, 0, 0, 0};
}
constexpr std::uint64_t kCdHd = 1ull << 42, kCdHa = 1ull << 43;

StreamConfig stage1_stream() {
    StreamConfig s;
    s.valid = true;
    s.config = 0b101;
    s.mode = StreamMode::stage1;
    return s;
}

TEST(Smmuv3HttuDecode, CdHaAndHdEnableTheUpdates) {
    Features f;
    f.httu = 2;
    const auto both = decode_cd(cd(kCdHa | kCdHd), stage1_stream(), StreamWorld::ns_el1, f);
    ASSERT_TRUE(both.ok()) << both.reason;
    EXPECT_TRUE(both.value.ttb0_walk.hardware_access_flag);
    EXPECT_TRUE(both.value.ttb0_walk.hardware_dirty);
    const auto ha = decode_cd(cd(kCdHa), stage1_stream(), StreamWorld::ns_el1, f);
    ASSERT_TRUE(ha.ok());
    EXPECT_TRUE(ha.value.ttb0_walk.hardware_access_flag);
    EXPECT_FALSE(ha.value.ttb0_walk.hardware_dirty);
    // {HD, HA} == 0b10 is reserved: legal with HTTU == 0b10 and behaves as HTTU disabled.
    const auto hd = decode_cd(cd(kCdHd), stage1_stream(), StreamWorld::ns_el1, f);
    ASSERT_TRUE(hd.ok());
    EXPECT_FALSE(hd.value.ttb0_walk.hardware_access_flag);
    EXPECT_FALSE(hd.value.ttb0_walk.hardware_dirty);
}

TEST(Smmuv3HttuDecode, CdHaAndHdAreIllegalBeyondWhatIdr0HttuAdvertises) {
    Features f;  // HTTU 0
    EXPECT_EQ(decode_cd(cd(kCdHa), stage1_stream(), StreamWorld::ns_el1, f).outcome, ConfigOutcome::bad_cd);
    f.httu = 1;
    EXPECT_TRUE(decode_cd(cd(kCdHa), stage1_stream(), StreamWorld::ns_el1, f).ok());
    EXPECT_EQ(decode_cd(cd(kCdHa | kCdHd), stage1_stream(), StreamWorld::ns_el1, f).outcome, ConfigOutcome::bad_cd);
    EXPECT_EQ(decode_cd(cd(kCdHd), stage1_stream(), StreamWorld::ns_el1, f).outcome, ConfigOutcome::bad_cd);
}

// A stage-2-only STE: S2T0SZ 24, S2SL0 1, 4 KiB, S2PS 48 bits, S2AA64, S2R; S2TTB 0x4_0000.
std::array<std::uint64_t, 8> stage2_ste(std::uint64_t dw2_extra) {
    const std::uint64_t dw2 =
        1u | (24ull << 32) | (1ull << 38) | (5ull << 48) | (1ull << 51) | (1ull << 58) | dw2_extra;
    return {1u | (0b110u << 1), 0, dw2, 0x4'0000, 0, 0, 0, 0};
}
constexpr std::uint64_t kS2Hd = 1ull << 55, kS2Ha = 1ull << 56;

TEST(Smmuv3HttuDecode, SteS2haAndS2hdEnableTheStage2Updates) {
    Features f;
    f.httu = 2;
    const auto both = decode_ste(stage2_ste(kS2Ha | kS2Hd), f);
    ASSERT_TRUE(both.ok()) << both.reason;
    EXPECT_TRUE(both.value.stage2.hardware_access_flag);
    EXPECT_TRUE(both.value.stage2.hardware_dirty);
    // {S2HA, S2HD} == 0b01 is reserved: behaves as both 0.
    const auto hd = decode_ste(stage2_ste(kS2Hd), f);
    ASSERT_TRUE(hd.ok());
    EXPECT_FALSE(hd.value.stage2.hardware_access_flag);
    EXPECT_FALSE(hd.value.stage2.hardware_dirty);
    f.httu = 1;
    EXPECT_EQ(decode_ste(stage2_ste(kS2Ha | kS2Hd), f).outcome, ConfigOutcome::bad_ste);
    EXPECT_TRUE(decode_ste(stage2_ste(kS2Ha), f).ok());
    f.httu = 0;
    EXPECT_EQ(decode_ste(stage2_ste(kS2Ha), f).outcome, ConfigOutcome::bad_ste);
}

// ---------------------------------------------------------------------------------------------------
// translate(): TLB, nested and ATS behaviour.

class Memory : public TableReader {
public:
    Memory() : store_(std::uint64_t{1} << 40) {}
    void put64(std::uint64_t address, std::uint64_t value) {
        std::uint8_t b[8];
        for (unsigned i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(value >> (8 * i));
        store_.write(address, b, 8);
    }
    std::uint64_t get64(std::uint64_t address) const {
        std::uint8_t b[8] = {};
        store_.read(address, b, 8);
        std::uint64_t v = 0;
        for (unsigned i = 8; i-- > 0;) v = (v << 8) | b[i];
        return v;
    }
    void put_words(std::uint64_t address, const std::array<std::uint64_t, 8>& words) {
        for (unsigned i = 0; i < 8; ++i) put64(address + 8 * i, words[i]);
    }
    bool read(std::uint64_t address, std::uint8_t* bytes, unsigned length) override {
        if (!store_.contains(address, length)) return false;
        store_.read(address, bytes, length);
        return true;
    }
    bool compare_exchange64(std::uint64_t address, std::uint64_t expected, std::uint64_t desired,
                            std::uint64_t& observed) override {
        observed = get64(address);
        if (observed == expected) {
            put64(address, desired);
            written.insert(address);
        }
        return true;
    }
    std::set<std::uint64_t> written;

private:
    SparseStore store_;
};

constexpr std::uint64_t kStreamTable = 0x1'0000;  // linear, 16 STEs
constexpr std::uint64_t kCd = 0x2'0000;
constexpr std::uint64_t kS1Tables = 0x3'0000;
constexpr std::uint64_t kS2Tables = 0x4'0000;
constexpr std::uint64_t kS1Leaf = kS1Tables + 0x3000 + 4 * 8;  // level-3 entry 4 of kVa
constexpr std::uint32_t kS1Stream = 3, kS2Stream = 6;

// Stage-1 tables for kVa (indices 1, 2, 3, 4) with `leaf` as its page descriptor.
void put_stage1(Memory& m, std::uint64_t leaf) {
    m.put64(kS1Tables + 1 * 8, table_descriptor(kS1Tables + 0x1000));
    m.put64(kS1Tables + 0x1000 + 2 * 8, table_descriptor(kS1Tables + 0x2000));
    m.put64(kS1Tables + 0x2000 + 3 * 8, table_descriptor(kS1Tables + 0x3000));
    m.put64(kS1Leaf, leaf);
}

std::array<std::uint64_t, 8> cd_words(std::uint64_t extra) {
    std::array<std::uint64_t, 8> w = cd(extra);
    w[1] = kS1Tables;
    return w;
}

// STE word 1 EATS [29:28] = 0b01 (full ATS) so that translation requests are accepted.
constexpr std::uint64_t kEatsFull = 1ull << 28;

TranslationEnvironment environment(unsigned httu) {
    TranslationEnvironment env;
    env.features.httu = httu;
    env.features.ats = true;
    env.stream_table = decode_stream_table_config(kStreamTable, 4, env.features);
    return env;
}

TranslationRequest request(std::uint32_t sid, std::uint64_t address, bool write,
                           RequestKind kind = RequestKind::untranslated) {
    TranslationRequest r;
    r.stream_id = sid;
    r.address = address;
    r.write = write;
    r.kind = kind;
    return r;
}

struct CachedStage1 {
    Memory m;
    ConfigCache config{CacheGeometries{}, 1};
    Tlb tlb{CacheGeometries{}.tlb, 2};
    WalkCacheStore walks{CacheGeometries{}.walk, 3};
    TranslationCaches caches{&config, &tlb, &walks};
    TranslationEnvironment env;
    CachedStage1(std::uint64_t cd_extra, unsigned httu, std::uint64_t leaf) : env(environment(httu)) {
        m.put_words(kStreamTable + kS1Stream * 64, {1u | (0b101u << 1) | kCd, kEatsFull, 0, 0, 0, 0, 0, 0});
        m.put_words(kCd, cd_words(cd_extra));
        put_stage1(m, leaf);
    }
    TranslationResult run(bool write, RequestKind kind = RequestKind::untranslated) {
        return translate(request(kS1Stream, kVa, write, kind), env, m, caches);
    }
};

// Writable-clean stage-1 page at PA 0x4_5678_9000: AP 11 | AF | DBM = 0x0008_0004_5678_94C3; dirty,
// 0x0008_0004_5678_9443.
constexpr std::uint64_t kCleanLeaf = 0x0008'0004'5678'94C3ull;
constexpr std::uint64_t kDirtyLeaf = 0x0008'0004'5678'9443ull;

TEST(Smmuv3HttuTranslate, AWriteHittingTheTlbEntryOfACleanPageWalksAndMarksItDirty) {
    CachedStage1 f(kCdHa | kCdHd, 2, kCleanLeaf);
    const TranslationResult read = f.run(false);
    ASSERT_EQ(read.kind, TranslationResult::Kind::translated) << read.reason;
    EXPECT_EQ(f.m.get64(kS1Leaf), kCleanLeaf);  // a read leaves it clean
    EXPECT_TRUE(f.run(false).tlb_hit);
    // The entry holds a writable-clean page: it cannot serve the write.
    const TranslationResult write = f.run(true);
    ASSERT_EQ(write.kind, TranslationResult::Kind::translated) << write.reason;
    EXPECT_FALSE(write.tlb_hit);
    EXPECT_EQ(write.output_address, 0x4'5678'9abcull);
    EXPECT_EQ(f.m.get64(kS1Leaf), kDirtyLeaf);
    EXPECT_EQ(write.hardware_updates.dirty, 1u);
    // The refilled entry is writable: the next write hits.
    const TranslationResult again = f.run(true);
    EXPECT_TRUE(again.tlb_hit);
    EXPECT_FALSE(again.hardware_updates.any());
}

TEST(Smmuv3HttuTranslate, WithoutHdAWriteToACleanPageIsAPermissionFault) {
    CachedStage1 f(kCdHa, 1, kCleanLeaf);
    ASSERT_EQ(f.run(false).kind, TranslationResult::Kind::translated);
    const TranslationResult write = f.run(true);
    EXPECT_EQ(write.event.type, EventType::F_PERMISSION);
    EXPECT_TRUE(write.tlb_hit);
    EXPECT_EQ(f.m.get64(kS1Leaf), kCleanLeaf);
    EXPECT_TRUE(f.m.written.empty());
}

TEST(Smmuv3HttuTranslate, WithoutHaTheAccessFlagFaultIsRecordedAsFAccess) {
    CachedStage1 f(0, 2, kCleanLeaf & ~kAf);
    const TranslationResult r = f.run(false);
    EXPECT_EQ(r.event.type, EventType::F_ACCESS);
    EXPECT_TRUE(f.m.written.empty());
}

TEST(Smmuv3HttuTranslate, TranslationRequestWithNwZeroMarksDirtyAndGrantsWrite) {
    // SMMUv3 3.13.7.1: with HD, an ATS request for write (NW == 0) to a writable-clean page marks it
    // dirty before the completion grants W.
    CachedStage1 f(kCdHa | kCdHd, 2, kCleanLeaf & ~kAf);
    const TranslationResult r = f.run(true, RequestKind::translation_request);
    ASSERT_EQ(r.kind, TranslationResult::Kind::translated) << r.reason;
    EXPECT_TRUE(r.ats_grant.read);
    EXPECT_TRUE(r.ats_grant.write);
    EXPECT_EQ(f.m.get64(kS1Leaf), kDirtyLeaf);  // AF set and AP[2] cleared
    EXPECT_EQ(r.hardware_updates.access_flag, 1u);
    EXPECT_EQ(r.hardware_updates.dirty, 1u);
}

TEST(Smmuv3HttuTranslate, TranslationRequestWithAccessFlagUpdateOnlyGrantsNoWriteToACleanPage) {
    // 3.13.7.1: "If HTTU is only enabled for Access, an ATS request for a write to a writable-clean
    // ... page results in an ATS Translation Completion with W == 0". AF is still set:
    // 0x0008_0004_5678_90C3 -> 0x0008_0004_5678_94C3.
    CachedStage1 f(kCdHa, 1, kCleanLeaf & ~kAf);
    const TranslationResult r = f.run(true, RequestKind::translation_request);
    ASSERT_EQ(r.kind, TranslationResult::Kind::translated) << r.reason;
    EXPECT_TRUE(r.ats_grant.read);
    EXPECT_FALSE(r.ats_grant.write);
    EXPECT_EQ(f.m.get64(kS1Leaf), kCleanLeaf);
}

TEST(Smmuv3HttuTranslate, TranslationRequestHittingACleanTlbEntryWalksToMarkDirty) {
    CachedStage1 f(kCdHa | kCdHd, 2, kCleanLeaf);
    ASSERT_EQ(f.run(false, RequestKind::translation_request).kind, TranslationResult::Kind::translated);
    EXPECT_EQ(f.m.get64(kS1Leaf), kCleanLeaf);  // NW == 1 leaves it clean
    const TranslationResult r = f.run(true, RequestKind::translation_request);
    EXPECT_FALSE(r.tlb_hit);
    EXPECT_TRUE(r.ats_grant.write);
    EXPECT_EQ(f.m.get64(kS1Leaf), kDirtyLeaf);
}

// Nested: stage 2 maps IPA [0, 1 GiB) (the CD and the stage-1 tables) with a 1 GiB block at level 1
// (entry 0 of kS2Tables) onto PA [0, 1 GiB), and IPA [0x4_4000_0000, +1 GiB) (entry 0x11) onto
// PA 0x8000_0000, where the stage-1 page's IPA 0x4_5678_9000 lands.
constexpr std::uint64_t kS2TablesBlock = kS2Tables + 0 * 8;
constexpr std::uint64_t kS2PageBlock = kS2Tables + 0x11 * 8;

struct Nested {
    Memory m;
    TranslationEnvironment env = environment(2);
    Nested(std::uint64_t s2_extra, std::uint64_t stage1_leaf, std::uint64_t tables_block, std::uint64_t page_block) {
        const std::uint64_t dw2 =
            1u | (24ull << 32) | (1ull << 38) | (5ull << 48) | (1ull << 51) | (1ull << 58) | s2_extra;
        m.put_words(kStreamTable + kS2Stream * 64, {1u | (0b111u << 1) | kCd, kEatsFull, dw2, kS2Tables, 0, 0, 0, 0});
        m.put_words(kCd, cd_words(kCdHa | kCdHd));
        put_stage1(m, stage1_leaf);
        m.put64(kS2TablesBlock, tables_block);
        m.put64(kS2PageBlock, page_block);
    }
    TranslationResult run(bool write, RequestKind kind = RequestKind::untranslated) {
        return translate(request(kS2Stream, kVa, write, kind), env, m);
    }
};

// Stage-2 blocks: 1 GiB at level 1, type 0b01. Read/write with AF: S2AP 11 | AF = 0x4C1.
constexpr std::uint64_t block(std::uint64_t pa, std::uint64_t attrs) { return pa | 0b01 | attrs; }

TEST(Smmuv3HttuTranslate, NestedStage1UpdateIsAWriteThroughStage2) {
    // Stage 1: AP 01 page, AF = 0: 0x0000_0004_5678_9043 at IPA (= PA) kS1Leaf.
    Nested f(kS2Ha | kS2Hd, 0x0000'0004'5678'9043ull, block(0, kS2Read | kS2Write | kAf),
             block(0x8000'0000, kS2Read | kS2Write | kAf));
    const TranslationResult r = f.run(false);
    ASSERT_EQ(r.kind, TranslationResult::Kind::translated) << r.reason;
    EXPECT_EQ(r.output_address, 0x9678'9abcull);
    EXPECT_EQ(f.m.get64(kS1Leaf), 0x0000'0004'5678'9443ull);
}

TEST(Smmuv3HttuTranslate, NestedStage1UpdateToAStage2ReadOnlyTableIsAStage2PermissionFaultOnAWrite) {
    // The stage-1 tables' IPA range is read-only at stage 2 (S2AP 01, no DBM): the walk reads them,
    // but the AF update is a write that stage 2 refuses: F_PERMISSION, S2 = 1, CLASS = TT, TTRnW = 0
    // (a descriptor write), IPA = the stage-1 descriptor's IPA (SMMUv3 3.13.5, 7.3.16).
    Nested f(kS2Ha | kS2Hd, 0x0000'0004'5678'9043ull, block(0, kS2Read | kAf),
             block(0x8000'0000, kS2Read | kS2Write | kAf));
    const TranslationResult r = f.run(false);
    ASSERT_EQ(r.kind, TranslationResult::Kind::terminated);
    EXPECT_EQ(r.event.type, EventType::F_PERMISSION);
    EXPECT_TRUE(r.event.s2);
    EXPECT_EQ(r.event.event_class, EventClass::TT);
    EXPECT_FALSE(r.event.ttrnw);
    EXPECT_EQ(r.event.ipa, kS1Leaf);
    EXPECT_EQ(f.m.get64(kS1Leaf), 0x0000'0004'5678'9043ull);  // not written
}

TEST(Smmuv3HttuTranslate, NestedStage1UpdateMarksTheWritableCleanStage2BlockOfItsTableDirty) {
    // Stage-2 block of the tables writable-clean: 0 | 0b01 | S2AP 01 | AF | DBM = 0x0008_0000_0000_0441.
    // The stage-1 AF update writes through it: S2AP[1] set, 0x0008_0000_0000_04C1, then the stage-1
    // descriptor gets AF: 0x0000_0004_5678_9443.
    Nested f(kS2Ha | kS2Hd, 0x0000'0004'5678'9043ull, block(0, kS2Read | kAf | kDbm),
             block(0x8000'0000, kS2Read | kS2Write | kAf));
    const TranslationResult r = f.run(false);
    ASSERT_EQ(r.kind, TranslationResult::Kind::translated) << r.reason;
    EXPECT_EQ(f.m.get64(kS2TablesBlock), 0x0008'0000'0000'04C1ull);
    EXPECT_EQ(f.m.get64(kS1Leaf), 0x0000'0004'5678'9443ull);
    EXPECT_EQ(r.hardware_updates.dirty, 1u);        // the stage-2 block
    EXPECT_EQ(r.hardware_updates.access_flag, 1u);  // the stage-1 page
}

TEST(Smmuv3HttuTranslate, NestedReadsAndCdFetchesNeverMarkStage2Dirty) {
    // The same writable-clean stage-2 block, with nothing to update at stage 1 (AF = 1): the CD
    // fetch and the table reads leave it clean (3.13.3.1: never S2AP[1] for a CD fetch).
    Nested f(kS2Ha | kS2Hd, 0x0000'0004'5678'9443ull, block(0, kS2Read | kAf | kDbm),
             block(0x8000'0000, kS2Read | kS2Write | kAf));
    ASSERT_EQ(f.run(false).kind, TranslationResult::Kind::translated);
    EXPECT_EQ(f.m.get64(kS2TablesBlock), 0x0008'0000'0000'0441ull);
    EXPECT_TRUE(f.m.written.empty());
}

TEST(Smmuv3HttuTranslate, NestedWriteMarksBothStagesDirty) {
    // Stage 1 writable-clean (kDirtyLeaf after), final stage-2 block writable-clean:
    // 0x8000_0000 | 0b01 | S2AP 01 | AF | DBM = 0x0008_0000_8000_0441 -> 0x0008_0000_8000_04C1.
    Nested f(kS2Ha | kS2Hd, kCleanLeaf, block(0, kS2Read | kS2Write | kAf), block(0x8000'0000, kS2Read | kAf | kDbm));
    const TranslationResult r = f.run(true);
    ASSERT_EQ(r.kind, TranslationResult::Kind::translated) << r.reason;
    EXPECT_EQ(f.m.get64(kS1Leaf), kDirtyLeaf);
    EXPECT_EQ(f.m.get64(kS2PageBlock), 0x0008'0000'8000'04C1ull);
    EXPECT_EQ(r.hardware_updates.dirty, 2u);
}

TEST(Smmuv3HttuTranslate, NestedTranslationRequestWhoseStage1IsReadOnlyLeavesStage2Clean) {
    // 3.13.7.1: a write request (NW == 0) to a nested configuration whose stage 1 is read-only
    // updates the dirty state of neither stage, even when the stage-2 descriptor is writable-clean.
    // Stage 1 AP 11 | AF without DBM: 0x0000_0004_5678_94C3.
    Nested f(kS2Ha | kS2Hd, 0x0000'0004'5678'94C3ull, block(0, kS2Read | kS2Write | kAf),
             block(0x8000'0000, kS2Read | kAf | kDbm));
    const TranslationResult r = f.run(true, RequestKind::translation_request);
    ASSERT_EQ(r.kind, TranslationResult::Kind::translated) << r.reason;
    EXPECT_TRUE(r.ats_grant.read);
    EXPECT_FALSE(r.ats_grant.write);
    EXPECT_EQ(f.m.get64(kS2PageBlock), 0x0008'0000'8000'0441ull);
    EXPECT_TRUE(f.m.written.empty());
}

TEST(Smmuv3HttuTranslate, NestedTranslationRequestForAWritableStage1MarksStage2Dirty) {
    Nested f(kS2Ha | kS2Hd, 0x0000'0004'5678'9443ull, block(0, kS2Read | kS2Write | kAf),
             block(0x8000'0000, kS2Read | kAf | kDbm));
    const TranslationResult r = f.run(true, RequestKind::translation_request);
    ASSERT_EQ(r.kind, TranslationResult::Kind::translated) << r.reason;
    EXPECT_TRUE(r.ats_grant.write);
    EXPECT_EQ(f.m.get64(kS2PageBlock), 0x0008'0000'8000'04C1ull);
}

TEST(Smmuv3HttuTranslate, AReaderThatCannotWriteEndsAnUpdateWithAWalkAbort) {
    // A TableReader without compare_exchange64 (the default) cannot perform HTTU: F_WALK_EABT.
    struct ReadOnly : TableReader {
        Memory& m;
        explicit ReadOnly(Memory& memory) : m(memory) {}
        bool read(std::uint64_t a, std::uint8_t* b, unsigned n) override { return m.read(a, b, n); }
    };
    CachedStage1 f(kCdHa, 1, kCleanLeaf & ~kAf);
    ReadOnly reader(f.m);
    const TranslationResult r = translate(request(kS1Stream, kVa, false), f.env, reader);
    EXPECT_EQ(r.event.type, EventType::F_WALK_EABT);
    EXPECT_EQ(r.event.fetch_addr, kS1Leaf);
}

}  // namespace
