// The VT-d table builder: every expected word below is worked out by hand from the VT-d entry and
// descriptor layouts (root and context entries, PASID directory and table entries, second-level and
// IA-32e first-level paging entries, queued-invalidation descriptors), never from the builder's
// own constants, so that a wrong bit position in the builder shows up here.
//
// Layout shared by the tests (region at 0x8800_0000): the invalidation queue at +0x0000 (one
// page), the root table at +0x1000, the 8-byte wait status word at +0x2000; everything else from
// +0x3000 in the order the devices need it, each table on its own 4 KiB page.
#include "platform/tables/vtd_tables.h"

#include <gtest/gtest.h>

#include <iterator>
#include <string>

namespace iommu_vp::platform {
namespace {

constexpr std::uint64_t kBase = 0x8800'0000;

std::uint64_t read64(const BuiltTables& t, std::uint64_t address) {
    for (const MemoryBlock& b : t.memory)
        if (address >= b.address && address + 8 <= b.address + b.bytes.size()) {
            std::uint64_t v = 0;
            for (unsigned i = 8; i-- > 0;) v = (v << 8) | b.bytes[address - b.address + i];
            return v;
        }
    ADD_FAILURE() << "no structure at 0x" << std::hex << address;
    return 0;
}

bool placed(const BuiltTables& t, std::uint64_t address) {
    for (const MemoryBlock& b : t.memory)
        if (address >= b.address && address < b.address + b.bytes.size()) return true;
    return false;
}

::testing::AssertionResult error_mentions(const VtdTablesSpec& spec, const std::string& text) {
    const BuiltTables t = build_vtd_tables(spec);
    if (t.error.find(text) == std::string::npos)
        return ::testing::AssertionFailure() << "error \"" << t.error << "\" does not mention \"" << text << "\"";
    if (!t.memory.empty() || !t.registers.empty())
        return ::testing::AssertionFailure() << "an error still produced structures or steps";
    return ::testing::AssertionSuccess();
}

VtdTablesSpec region(VtdTableMode mode) {
    VtdTablesSpec spec;
    spec.region_base = kBase;
    spec.region_size = 1 << 20;
    spec.mode = mode;
    return spec;
}

// Bus 1, device 2, function 0 (devfn 0x10), domain 5: a read/write 4 KiB page and a read-only
// 2 MiB block.
VtdTablesSpec legacy_spec() {
    VtdTablesSpec spec = region(VtdTableMode::legacy);
    VtdDevice d;
    d.name = "nic";
    d.source_id = 0x0110;
    d.domain_id = 5;
    d.mappings.push_back(VtdMapping{0x1000, 0x9000'2000, 0x1000, true});
    d.mappings.push_back(VtdMapping{0x20'0000, 0x9040'0000, 0x20'0000, false});
    spec.devices = {d};
    return spec;
}

// Bus 2, devfn 0x08, domain 3: PASID 0 (RID_PASID) second-level with one page; PASID 5 first-level,
// domain 4, with a read-only page and a writable 2 MiB block.
VtdTablesSpec scalable_spec() {
    VtdTablesSpec spec = region(VtdTableMode::scalable);
    VtdDevice d;
    d.name = "accel";
    d.source_id = 0x0208;
    d.domain_id = 3;
    d.mappings.push_back(VtdMapping{0x1000, 0x9000'1000, 0x1000, true});
    VtdPasidContext c;
    c.name = "proc";
    c.pasid = 5;
    c.translation = VtdTranslation::first_level;
    c.domain_id = 4;
    c.mappings.push_back(VtdMapping{0x5000, 0x9000'5000, 0x1000, false});
    c.mappings.push_back(VtdMapping{0x4020'0000, 0x9060'0000, 0x20'0000, true});
    d.pasids = {c};
    spec.devices = {d};
    return spec;
}

// Context table for bus 1 at +0x3000, the second-level root (level 4) at +0x4000, then the
// level-3, level-2 and level-1 tables the 4 KiB page needs at +0x5000, +0x6000, +0x7000.
TEST(VtdTables, LegacyDeviceWithAPageAndA2MiBBlock) {
    const BuiltTables t = build_vtd_tables(legacy_spec());
    ASSERT_EQ(t.error, "");
    // Root entry 1: P | context table; the high word is reserved.
    EXPECT_EQ(read64(t, 0x8800'1010), 0x8800'3001ull);
    EXPECT_EQ(read64(t, 0x8800'1018), 0ull);
    EXPECT_EQ(read64(t, 0x8800'1000), 0ull);  // bus 0: not present
    // Context entry 0x10 (16 bytes each): P, FPD 0, TT 00, SLPTPTR; high: AW 2 (48-bit), DID 5 at [23:8].
    EXPECT_EQ(read64(t, 0x8800'3100), 0x8800'4001ull);
    EXPECT_EQ(read64(t, 0x8800'3108), 0x0502ull);
    // Tables: R | W | next table.
    EXPECT_EQ(read64(t, 0x8800'4000), 0x8800'5003ull);  // L4[0]
    EXPECT_EQ(read64(t, 0x8800'5000), 0x8800'6003ull);  // L3[0]
    EXPECT_EQ(read64(t, 0x8800'6000), 0x8800'7003ull);  // L2[0]
    // L1[1]: the page 0x9000_2000, R | W.
    EXPECT_EQ(read64(t, 0x8800'7008), 0x9000'2003ull);
    EXPECT_EQ(read64(t, 0x8800'7000), 0ull);
    // L2[1]: the 2 MiB block 0x9040_0000, R | PS (bit 7), no W.
    EXPECT_EQ(read64(t, 0x8800'6008), 0x9040'0081ull);
    EXPECT_FALSE(placed(t, 0x8800'8000));  // nothing else was needed
}

// The same device on a unit without 2 MiB second-level pages (CAP.SLLPS bit 0 clear): the block is
// built as 512 pages in a level-1 table of its own, after the others (+0x8000).
TEST(VtdTables, LeafSizesTheUnitLacksAreSplitIntoPages) {
    VtdTablesSpec spec = legacy_spec();
    spec.second_level_2m = false;
    const BuiltTables t = build_vtd_tables(spec);
    ASSERT_EQ(t.error, "");
    EXPECT_EQ(read64(t, 0x8800'6008), 0x8800'8003ull);  // L2[1]: a table, R | W
    EXPECT_EQ(read64(t, 0x8800'8000), 0x9040'0001ull);  // L1[0]: the block's first page, R
    EXPECT_EQ(read64(t, 0x8800'8ff8), 0x905f'f001ull);  // L1[511]: its last, 0x9040_0000 + 511 * 4 KiB
}

// AW 39: three levels, the root is a level-3 table whose entries span 1 GiB; a 1 GiB block is a
// leaf in the root itself.
TEST(VtdTables, DeviceTlbSetsLegacyTranslationTypeOneAndScalableDteAndPre) {
    // Legacy context entry low word: P (bit 0) | TT = 01 (bits 3:2 = 0b0100) | SLPTPTR.
    VtdTablesSpec legacy = legacy_spec();
    legacy.devices[0].device_tlb = true;
    const BuiltTables l = build_vtd_tables(legacy);
    ASSERT_TRUE(l.error.empty()) << l.error;
    EXPECT_EQ(read64(l, 0x8800'3100), 0x8800'4005ull);
    // Scalable context entry low word: P | DTE (bit 2) | PASIDE (bit 3) | PRE (bit 4) | PDTS 0 | directory.
    VtdTablesSpec scalable = scalable_spec();
    scalable.devices[0].device_tlb = true;
    scalable.devices[0].page_requests = true;
    const BuiltTables t = build_vtd_tables(scalable);
    ASSERT_TRUE(t.error.empty()) << t.error;
    EXPECT_EQ(read64(t, 0x8800'3100), 0x8800'401dull);
    // Page requests without the device TLB, or the device TLB on a legacy pass-through entry, are refused.
    scalable.devices[0].device_tlb = false;
    EXPECT_TRUE(error_mentions(scalable, "page requests need scalable mode and device_tlb"));
    legacy.devices[0].translation = VtdTranslation::pass_through;
    legacy.devices[0].mappings.clear();
    EXPECT_TRUE(error_mentions(legacy, "allows the device TLB only with second-level translation"));
}

TEST(VtdTables, ThreeLevelTablesForA39BitWidth) {
    VtdTablesSpec spec = legacy_spec();
    spec.address_width = 39;
    spec.devices[0].mappings = {VtdMapping{0x1000, 0x9000'2000, 0x1000, true},
                                VtdMapping{0x4000'0000, 0xc000'0000, 0x4000'0000, true}};
    const BuiltTables t = build_vtd_tables(spec);
    ASSERT_EQ(t.error, "");
    EXPECT_EQ(read64(t, 0x8800'3108), 0x0501ull);       // AW 1 (39-bit), DID 5
    EXPECT_EQ(read64(t, 0x8800'4000), 0x8800'5003ull);  // L3[0] -> L2 table
    EXPECT_EQ(read64(t, 0x8800'5000), 0x8800'6003ull);  // L2[0] -> L1 table
    EXPECT_EQ(read64(t, 0x8800'6008), 0x9000'2003ull);  // L1[1]
    EXPECT_EQ(read64(t, 0x8800'4008), 0xc000'0083ull);  // L3[1]: 1 GiB at 0xc000_0000, R | W | PS
    EXPECT_FALSE(placed(t, 0x8800'7000));

    spec.devices[0].mappings = {VtdMapping{0x80'0000'0000, 0x9000'0000, 0x1000, true}};  // 2^39
    EXPECT_TRUE(error_mentions(spec, "not within the 39-bit second-level addresses"));
    spec.devices[0].mappings = {VtdMapping{0x7f'ffff'f000, 0x9000'0000, 0x2000, true}};  // straddles 2^39
    EXPECT_TRUE(error_mentions(spec, "not within the 39-bit second-level addresses"));
    spec.address_width = 48;
    EXPECT_EQ(build_vtd_tables(spec).error, "");
}

// Five levels for AW 57: the root is a level-5 table, an input of 2^48 takes its entry 1.
TEST(VtdTables, FiveLevelTablesForA57BitWidth) {
    VtdTablesSpec spec = legacy_spec();
    spec.address_width = 57;
    spec.devices[0].mappings = {VtdMapping{1ull << 48, 0x9000'2000, 0x1000, true}};
    const BuiltTables t = build_vtd_tables(spec);
    ASSERT_EQ(t.error, "");
    EXPECT_EQ(read64(t, 0x8800'3108), 0x0503ull);       // AW 3 (57-bit)
    EXPECT_EQ(read64(t, 0x8800'4008), 0x8800'5003ull);  // L5[1]
    EXPECT_EQ(read64(t, 0x8800'5000), 0x8800'6003ull);  // L4[0]
    EXPECT_EQ(read64(t, 0x8800'6000), 0x8800'7003ull);  // L3[0]
    EXPECT_EQ(read64(t, 0x8800'7000), 0x8800'8003ull);  // L2[0]
    EXPECT_EQ(read64(t, 0x8800'8000), 0x9000'2003ull);  // L1[0]
}

TEST(VtdTables, LegacyPassThroughAndBlocked) {
    VtdTablesSpec spec = region(VtdTableMode::legacy);
    VtdDevice pt;
    pt.name = "pt";
    pt.source_id = 0x0008;  // bus 0, devfn 8
    pt.translation = VtdTranslation::pass_through;
    pt.domain_id = 9;
    VtdDevice b1;
    b1.name = "b1";
    b1.source_id = 0x0009;
    b1.translation = VtdTranslation::blocked;
    b1.domain_id = 10;
    VtdDevice b2 = b1;
    b2.name = "b2";
    b2.source_id = 0x00ff;
    spec.devices = {pt, b1, b2};
    const BuiltTables t = build_vtd_tables(spec);
    ASSERT_EQ(t.error, "");
    EXPECT_EQ(read64(t, 0x8800'1000), 0x8800'3001ull);  // root entry 0
    // Pass-through: P | TT 10 (bits 3:2), no table; AW 2, DID 9.
    EXPECT_EQ(read64(t, 0x8800'3080), 0x9ull);
    EXPECT_EQ(read64(t, 0x8800'3088), 0x0902ull);
    // Blocked: P, TT 00, FPD 0, one shared empty table at +0x4000; AW 2, DID 10 (shared).
    EXPECT_EQ(read64(t, 0x8800'3090), 0x8800'4001ull);
    EXPECT_EQ(read64(t, 0x8800'3098), 0x0a02ull);
    EXPECT_EQ(read64(t, 0x8800'3ff0), 0x8800'4001ull);  // devfn 0xff
    EXPECT_EQ(read64(t, 0x8800'3ff8), 0x0a02ull);
    for (std::uint64_t a = 0x8800'4000; a < 0x8800'5000; a += 8) ASSERT_EQ(read64(t, a), 0ull) << std::hex << a;
    EXPECT_FALSE(placed(t, 0x8800'5000));
}

// Context table (low half) for bus 2 at +0x3000; PASID directory (PDTS 0: 128 entries, 1 KiB) at
// +0x4000; the PASID table for PASIDs 0-63 at +0x5000; PASID 0's second-level tables at +0x6000 to
// +0x9000; PASID 5's first-level PML4 at +0xa000, PDPT +0xb000, PD +0xc000, PT +0xd000, and the PD
// for its 2 MiB block (PDPT entry 1) at +0xe000.
TEST(VtdTables, ScalableDeviceWithRidPasidAndAFirstLevelPasid) {
    const BuiltTables t = build_vtd_tables(scalable_spec());
    ASSERT_EQ(t.error, "");
    // Root entry 2: LP | lower context table; UP clear (no devfn >= 128 on bus 2).
    EXPECT_EQ(read64(t, 0x8800'1020), 0x8800'3001ull);
    EXPECT_EQ(read64(t, 0x8800'1028), 0ull);
    // Context entry 8 (32 bytes each): P | PASIDE (bit 3) | PDTS 0 | PASIDDIRPTR; RID_PASID 0.
    EXPECT_EQ(read64(t, 0x8800'3100), 0x8800'4009ull);
    EXPECT_EQ(read64(t, 0x8800'3108), 0ull);
    EXPECT_EQ(read64(t, 0x8800'3110), 0ull);
    EXPECT_EQ(read64(t, 0x8800'3118), 0ull);
    // Directory entry 0: P | PASID table.
    EXPECT_EQ(read64(t, 0x8800'4000), 0x8800'5001ull);
    // PASID 0: P | AW 2 at [4:2] (0x8) | PGTT 2 at [8:6] (0x80) | SLPTPTR; DID 3; SRE (bit 128).
    EXPECT_EQ(read64(t, 0x8800'5000), 0x8800'6089ull);
    EXPECT_EQ(read64(t, 0x8800'5008), 3ull);
    EXPECT_EQ(read64(t, 0x8800'5010), 1ull);
    for (std::uint64_t w = 0x18; w < 0x40; w += 8) EXPECT_EQ(read64(t, 0x8800'5000 + w), 0ull);
    EXPECT_EQ(read64(t, 0x8800'6000), 0x8800'7003ull);  // second level L4[0]
    EXPECT_EQ(read64(t, 0x8800'7000), 0x8800'8003ull);  // L3[0]
    EXPECT_EQ(read64(t, 0x8800'8000), 0x8800'9003ull);  // L2[0]
    EXPECT_EQ(read64(t, 0x8800'9008), 0x9000'1003ull);  // L1[1]: R | W
    // PASID 5 (entry 5, +0x140): P | AW 2 | PGTT 1 (0x40), no second level; DID 4;
    // word 2: SRE | FLPM 0 | FLPTPTR.
    EXPECT_EQ(read64(t, 0x8800'5140), 0x49ull);
    EXPECT_EQ(read64(t, 0x8800'5148), 4ull);
    EXPECT_EQ(read64(t, 0x8800'5150), 0x8800'a001ull);
    // First level: tables P | R/W | U/S (0x7); A and D clear.
    EXPECT_EQ(read64(t, 0x8800'a000), 0x8800'b007ull);  // PML4[0]
    EXPECT_EQ(read64(t, 0x8800'b000), 0x8800'c007ull);  // PDPT[0]
    EXPECT_EQ(read64(t, 0x8800'c000), 0x8800'd007ull);  // PD[0]
    EXPECT_EQ(read64(t, 0x8800'd028), 0x9000'5005ull);  // PT[5]: P | U/S, read-only
    EXPECT_EQ(read64(t, 0x8800'b008), 0x8800'e007ull);  // PDPT[1] (0x4020_0000 >> 30 = 1)
    EXPECT_EQ(read64(t, 0x8800'e008), 0x9060'0087ull);  // PD[1]: P | R/W | U/S | PS
    // Other PASIDs of the table are not present.
    EXPECT_EQ(read64(t, 0x8800'5040), 0ull);
}

// PASID 0x2345 is in directory entry 0x8d (141 >= 128): PDTS 1 (256 entries, 2 KiB, at +0x4000);
// PASID 0's table follows at +0x5000, PASID 0x2345's at +0x6000, where it is entry 5.
TEST(VtdTables, DirectorySizeFollowsTheLargestPasid) {
    VtdTablesSpec spec = scalable_spec();
    spec.devices[0].translation = VtdTranslation::pass_through;
    spec.devices[0].mappings.clear();
    spec.devices[0].pasids[0].pasid = 0x2345;
    spec.devices[0].pasids[0].translation = VtdTranslation::pass_through;
    spec.devices[0].pasids[0].mappings.clear();
    spec.devices[0].pasids[0].domain_id = spec.devices[0].domain_id;  // pass-through entries may share
    const BuiltTables t = build_vtd_tables(spec);
    ASSERT_EQ(t.error, "");
    // Context: P | PASIDE | PDTS 1 at [11:9] (0x200) | directory at +0x4000 (2 KiB).
    EXPECT_EQ(read64(t, 0x8800'3100), 0x8800'4209ull);
    // PASID 0's table at +0x5000, PASID 0x2345's (directory entry 0x8d at +0x468) at +0x6000.
    EXPECT_EQ(read64(t, 0x8800'4000), 0x8800'5001ull);
    EXPECT_EQ(read64(t, 0x8800'4468), 0x8800'6001ull);
    // Both pass-through: P | AW 2 | PGTT 4 at [8:6] (0x100); DID 3; SRE.
    EXPECT_EQ(read64(t, 0x8800'5000), 0x109ull);
    EXPECT_EQ(read64(t, 0x8800'5008), 3ull);
    EXPECT_EQ(read64(t, 0x8800'5010), 1ull);
    EXPECT_EQ(read64(t, 0x8800'6140), 0x109ull);  // 0x2345 & 0x3f = 5
    EXPECT_EQ(read64(t, 0x8800'6150), 1ull);
}

// A device without PASID contexts: PASIDE clear, still a directory (PASID 0 is found through it);
// devfn 0x88 is in the upper context table; blocked is PGTT 2 over an empty table.
TEST(VtdTables, ScalableUpperHalfAndBlocked) {
    VtdTablesSpec spec = region(VtdTableMode::scalable);
    VtdDevice d;
    d.name = "blk";
    d.source_id = 0x0388;  // bus 3, devfn 0x88
    d.translation = VtdTranslation::blocked;
    d.domain_id = 6;
    spec.devices = {d};
    const BuiltTables t = build_vtd_tables(spec);
    ASSERT_EQ(t.error, "");
    EXPECT_EQ(read64(t, 0x8800'1030), 0ull);            // root entry 3: LP clear
    EXPECT_EQ(read64(t, 0x8800'1038), 0x8800'3001ull);  // UP | upper context table
    // Upper table entry 8: P | PDTS 0 | directory at +0x4000, PASIDE clear.
    EXPECT_EQ(read64(t, 0x8800'3100), 0x8800'4001ull);
    EXPECT_EQ(read64(t, 0x8800'4000), 0x8800'5001ull);
    // PASID 0: P | AW 2 | PGTT 2 | the empty table at +0x6000; DID 6; SRE.
    EXPECT_EQ(read64(t, 0x8800'5000), 0x8800'6089ull);
    EXPECT_EQ(read64(t, 0x8800'5008), 6ull);
    EXPECT_EQ(read64(t, 0x8800'5010), 1ull);
    for (std::uint64_t a = 0x8800'6000; a < 0x8800'7000; a += 8) ASSERT_EQ(read64(t, a), 0ull) << std::hex << a;
}

// Nested: PASID 0 with PGTT 3. The identity second level (root +0x6000) maps the 1 MiB region with
// 256 pages (L3[2] -> L2 +0x8000, L2[0x40] -> L1 +0x9000) and the output page 0x9000_3000
// (L2[0x80] -> L1 +0xa000); then the first level: PML4 +0xb000, PDPT +0xc000, PD +0xd000, PT +0xe000.
TEST(VtdTables, NestedUsesAnIdentitySecondLevel) {
    VtdTablesSpec spec = region(VtdTableMode::scalable);
    VtdDevice d;
    d.name = "vm";
    d.source_id = 0x0100;  // bus 1, devfn 0
    d.translation = VtdTranslation::nested;
    d.domain_id = 7;
    d.mappings.push_back(VtdMapping{0x1000, 0x9000'3000, 0x1000, true});
    spec.devices = {d};
    const BuiltTables t = build_vtd_tables(spec);
    ASSERT_EQ(t.error, "");
    EXPECT_EQ(read64(t, 0x8800'3000), 0x8800'4001ull);  // context entry 0, no PASIDE
    // PASID 0: P | AW 2 | PGTT 3 (0xc0) | SLPTPTR; DID 7; SRE | FLPM 0 | FLPTPTR.
    EXPECT_EQ(read64(t, 0x8800'5000), 0x8800'60c9ull);
    EXPECT_EQ(read64(t, 0x8800'5008), 7ull);
    EXPECT_EQ(read64(t, 0x8800'5010), 0x8800'b001ull);
    // Identity second level.
    EXPECT_EQ(read64(t, 0x8800'6000), 0x8800'7003ull);  // L4[0]
    EXPECT_EQ(read64(t, 0x8800'7010), 0x8800'8003ull);  // L3[2] (0x8800_0000 >> 30 = 2)
    EXPECT_EQ(read64(t, 0x8800'8200), 0x8800'9003ull);  // L2[0x40]
    EXPECT_EQ(read64(t, 0x8800'9000), 0x8800'0003ull);  // the region's first page, R | W
    EXPECT_EQ(read64(t, 0x8800'97f8), 0x880f'f003ull);  // its last page (entry 0xff)
    EXPECT_EQ(read64(t, 0x8800'9800), 0ull);            // nothing past the region
    EXPECT_EQ(read64(t, 0x8800'8400), 0x8800'a003ull);  // L2[0x80] (0x9000_3000 >> 21 = 0x480)
    EXPECT_EQ(read64(t, 0x8800'a018), 0x9000'3003ull);  // the output page, identity
    EXPECT_EQ(read64(t, 0x8800'a010), 0ull);
    // First level.
    EXPECT_EQ(read64(t, 0x8800'b000), 0x8800'c007ull);
    EXPECT_EQ(read64(t, 0x8800'c000), 0x8800'd007ull);
    EXPECT_EQ(read64(t, 0x8800'd000), 0x8800'e007ull);
    EXPECT_EQ(read64(t, 0x8800'e008), 0x9000'3007ull);  // PT[1]: P | R/W | U/S

    // The identity map cannot reach a region above the second-level width.
    VtdTablesSpec high = spec;
    high.address_width = 39;
    high.region_base = 0x80'0000'0000;  // 2^39
    EXPECT_TRUE(error_mentions(high, "needs the tables region below the 39-bit second-level width"));
    // Nor outputs above it.
    spec.address_width = 39;
    spec.devices[0].mappings[0].output = 0x80'0000'0000;
    EXPECT_TRUE(error_mentions(spec, "goes beyond the 39-bit second-level width"));
}

// FLPM 1: five-level first-level tables; 2^48 is a canonical 57-bit address (PML5 entry 1).
TEST(VtdTables, FiveLevelFirstLevel) {
    VtdTablesSpec spec = scalable_spec();
    spec.first_level_5level = true;
    spec.devices[0].pasids[0].mappings = {VtdMapping{1ull << 48, 0x9000'5000, 0x1000, true}};
    const BuiltTables t = build_vtd_tables(spec);
    ASSERT_EQ(t.error, "");
    EXPECT_EQ(read64(t, 0x8800'5150), 0x8800'a005ull);  // SRE | FLPM 1 at [3:2] (0x4) | FLPTPTR
    EXPECT_EQ(read64(t, 0x8800'a008), 0x8800'b007ull);  // PML5[1]
    EXPECT_EQ(read64(t, 0x8800'b000), 0x8800'c007ull);  // PML4[0]
    EXPECT_EQ(read64(t, 0x8800'c000), 0x8800'd007ull);  // PDPT[0]
    EXPECT_EQ(read64(t, 0x8800'd000), 0x8800'e007ull);  // PD[0]
    EXPECT_EQ(read64(t, 0x8800'e000), 0x9000'5007ull);  // PT[0]

    spec.first_level_5level = false;  // 2^48 is not canonical with four levels
    EXPECT_TRUE(error_mentions(spec, "not within canonical 48-bit first-level addresses"));
}

// The upper canonical half (kernel addresses): 0xffff_8000_0000_0000 takes PML4 entry 0x100.
TEST(VtdTables, UpperCanonicalHalf) {
    VtdTablesSpec spec = scalable_spec();
    spec.devices[0].pasids[0].mappings = {VtdMapping{0xffff'8000'0000'0000, 0x9000'5000, 0x1000, true}};
    const BuiltTables t = build_vtd_tables(spec);
    ASSERT_EQ(t.error, "");
    EXPECT_EQ(read64(t, 0x8800'a800), 0x8800'b007ull);  // PML4[0x100]
    EXPECT_EQ(read64(t, 0x8800'd000), 0x9000'5007ull);  // PT[0]
    spec.devices[0].pasids[0].mappings[0].input = 0xffff'7fff'ffff'f000;  // the hole below it
    EXPECT_TRUE(error_mentions(spec, "not within canonical 48-bit first-level addresses"));
}

// Legacy: 128-bit descriptors. IQA = queue | DW 0 | QS 0; RTADDR TTM 00. Three descriptors
// (0x30 bytes): context-cache global, IOTLB global, wait.
TEST(VtdTables, LegacyRegisterStepsAndQueue) {
    const BuiltTables t = build_vtd_tables(legacy_spec());
    ASSERT_EQ(t.error, "");
    using K = RegisterStep::Kind;
    struct Expected {
        K kind;
        std::uint64_t offset;
        unsigned width;
        std::uint64_t value, mask;
    };
    const Expected expected[] = {
        {K::write, 0x90, 8, 0x8800'0000, 0},           // IQA
        {K::write, 0x88, 8, 0, 0},                     // IQT = 0
        {K::write, 0x18, 4, 0x0400'0000, 0},           // GCMD: QIE (bit 26)
        {K::poll, 0x1c, 4, 0x0400'0000, 0x0400'0000},  // GSTS.QIES
        {K::write, 0x20, 8, 0x8800'1000, 0},           // RTADDR, TTM 00
        {K::write, 0x18, 4, 0x4400'0000, 0},           // GCMD: QIE | SRTP (bit 30)
        {K::poll, 0x1c, 4, 0x4000'0000, 0x4000'0000},  // GSTS.RTPS
        {K::write, 0x88, 8, 0x30, 0},                  // IQT past three 16-byte descriptors
        {K::poll, 0x80, 4, 0x30, 0x7fff0},             // IQH [18:4] reaches IQT
        {K::write, 0x18, 4, 0x8400'0000, 0},           // GCMD: QIE | TE (bit 31)
        {K::poll, 0x1c, 4, 0x8000'0000, 0x8000'0000},  // GSTS.TES
    };
    ASSERT_EQ(t.registers.size(), std::size(expected));
    for (std::size_t i = 0; i < std::size(expected); ++i) {
        const RegisterStep& s = t.registers[i];
        EXPECT_EQ(s.kind, expected[i].kind) << i;
        EXPECT_EQ(s.offset, expected[i].offset) << i;
        EXPECT_EQ(s.width_bytes, expected[i].width) << i;
        EXPECT_EQ(s.value, expected[i].value) << i;
        EXPECT_EQ(s.mask, expected[i].mask) << i;  // writes carry none
        EXPECT_FALSE(s.what.empty()) << i;
    }
    EXPECT_EQ(read64(t, 0x8800'0000), 0x11ull);  // context-cache (type 1), G 01 at [5:4]: global
    EXPECT_EQ(read64(t, 0x8800'0008), 0ull);
    EXPECT_EQ(read64(t, 0x8800'0010), 0x12ull);  // IOTLB (type 2), G 01: global; no drain
    EXPECT_EQ(read64(t, 0x8800'0018), 0ull);
    // Wait (type 5) | SW (bit 5) | FN (bit 6), status data 1 at [63:32]; status address.
    EXPECT_EQ(read64(t, 0x8800'0020), 0x0000'0001'0000'0065ull);
    EXPECT_EQ(read64(t, 0x8800'0028), 0x8800'2000ull);
    EXPECT_EQ(read64(t, 0x8800'0030), 0ull);
    EXPECT_EQ(read64(t, 0x8800'2000), 0ull);  // the status word starts clear
}

// Scalable: 256-bit descriptors (IQA.DW, bit 11), RTADDR TTM 01 (bit 10); four descriptors
// (0x80 bytes): context-cache, PASID-cache, IOTLB, wait.
TEST(VtdTables, ScalableRegisterStepsAndQueue) {
    const BuiltTables t = build_vtd_tables(scalable_spec());
    ASSERT_EQ(t.error, "");
    ASSERT_EQ(t.registers.size(), 11u);
    EXPECT_EQ(t.registers[0].value, 0x8800'0800ull);  // IQA: DW
    EXPECT_EQ(t.registers[4].value, 0x8800'1400ull);  // RTADDR: TTM 01
    EXPECT_EQ(t.registers[7].value, 0x80ull);         // IQT
    EXPECT_EQ(t.registers[8].value, 0x80ull);         // poll IQH
    EXPECT_EQ(read64(t, 0x8800'0000), 0x11ull);       // context-cache global
    EXPECT_EQ(read64(t, 0x8800'0020), 0x37ull);       // PASID-cache (type 7), G 11: global
    EXPECT_EQ(read64(t, 0x8800'0040), 0x12ull);       // IOTLB global
    EXPECT_EQ(read64(t, 0x8800'0060), 0x0000'0001'0000'0065ull);
    EXPECT_EQ(read64(t, 0x8800'0068), 0x8800'2000ull);
    for (std::uint64_t d = 0; d < 0x80; d += 0x20) {  // words 1-3 of the others, 2-3 of the wait: zero
        if (d != 0x60) {
            EXPECT_EQ(read64(t, 0x8800'0008 + d), 0ull) << d;
        }
        EXPECT_EQ(read64(t, 0x8800'0010 + d), 0ull) << d;
        EXPECT_EQ(read64(t, 0x8800'0018 + d), 0ull) << d;
    }
    EXPECT_EQ(read64(t, 0x8800'0080), 0ull);
}

TEST(VtdTables, MistakesAreReportedNotBuilt) {
    VtdTablesSpec spec = legacy_spec();
    spec.region_size = 0x6000;  // the 4 KiB page needs tables up to +0x8000
    EXPECT_TRUE(error_mentions(spec, "need more than the 0x6000 bytes of their region"));
    spec.region_size = 0x2000;  // not even the status word fits
    EXPECT_TRUE(error_mentions(spec, "need more than the 0x2000 bytes"));

    spec = legacy_spec();
    spec.devices[0].mappings.push_back(VtdMapping{0x3ff000, 0x9100'0000, 0x1000, true});  // inside the block
    EXPECT_TRUE(error_mentions(spec, "device 'nic': the mapping at input 0x3ff000 overlaps another"));
    spec = legacy_spec();
    spec.devices[0].mappings.push_back(VtdMapping{0, 0x9100'0000, 0x20'0000, true});  // over the page's table
    EXPECT_TRUE(error_mentions(spec, "the mapping at input 0x0 overlaps another"));
    spec = legacy_spec();
    spec.devices[0].mappings.push_back(VtdMapping{0x1000, 0x9100'0000, 0x1000, true});  // the same page
    EXPECT_TRUE(error_mentions(spec, "the mapping at input 0x1000 overlaps another"));

    for (VtdMapping m : {VtdMapping{0x1800, 0x9000'0000, 0x1000, true}, VtdMapping{0x1000, 0x9000'0800, 0x1000, true},
                         VtdMapping{0x1000, 0x9000'0000, 0x1800, true}}) {
        spec = legacy_spec();
        spec.devices[0].mappings = {m};
        EXPECT_TRUE(error_mentions(spec, "multiples of 4 KiB"));
    }
    spec = legacy_spec();
    spec.devices[0].mappings = {VtdMapping{0x1000, 0x9000'0000, 0, true}};
    EXPECT_TRUE(error_mentions(spec, "is empty or not within"));

    spec = legacy_spec();
    spec.devices[0].mappings = {VtdMapping{0x1000, 0xf'ffff'ffff'f000, 0x2000, true}};  // ends past 2^52
    EXPECT_TRUE(error_mentions(spec, "goes beyond 52 bits"));
    spec.devices[0].mappings = {VtdMapping{0x1000, 0xf'ffff'ffff'f000, 0x1000, true}};  // the last page
    EXPECT_EQ(build_vtd_tables(spec).error, "");

    spec = legacy_spec();
    spec.devices.push_back(spec.devices[0]);
    spec.devices[1].name = "twin";
    spec.devices[1].domain_id = 6;
    EXPECT_TRUE(error_mentions(spec, "device 'twin': source ID 0x110 is also device 'nic''s"));

    spec = legacy_spec();
    spec.devices.push_back(spec.devices[0]);
    spec.devices[1].name = "other";
    spec.devices[1].source_id = 0x0111;
    EXPECT_TRUE(error_mentions(spec, "device 'other': domain ID 5 is also device 'nic''s"));

    spec = legacy_spec();
    spec.address_width = 40;
    EXPECT_TRUE(error_mentions(spec, "address width 40 is not 39, 48 or 57"));

    spec = legacy_spec();
    spec.region_base = 0xf'ffff'fff8'0000;  // + 1 MiB ends past 2^52
    EXPECT_TRUE(error_mentions(spec, "ends beyond 52 bits"));

    spec = legacy_spec();
    spec.devices[0].translation = VtdTranslation::first_level;
    EXPECT_TRUE(error_mentions(spec, "device 'nic': first-level translation needs scalable mode"));
    spec.devices[0].translation = VtdTranslation::nested;
    EXPECT_TRUE(error_mentions(spec, "device 'nic': nested translation needs scalable mode"));

    spec = legacy_spec();
    spec.devices[0].pasids = scalable_spec().devices[0].pasids;
    EXPECT_TRUE(error_mentions(spec, "device 'nic': PASID contexts need scalable mode"));

    spec = legacy_spec();
    spec.devices[0].translation = VtdTranslation::pass_through;
    EXPECT_TRUE(error_mentions(spec, "device 'nic': a pass-through device takes no mappings"));
}

TEST(VtdTables, PasidMistakesAreReportedNotBuilt) {
    VtdTablesSpec spec = scalable_spec();
    spec.devices[0].pasids[0].pasid = 0;
    EXPECT_TRUE(error_mentions(spec, "PASID context 'proc': PASID 0 is the device's own translation"));

    spec = scalable_spec();
    spec.devices[0].pasids.push_back(spec.devices[0].pasids[0]);
    spec.devices[0].pasids[1].name = "again";
    spec.devices[0].pasids[1].domain_id = 8;
    EXPECT_TRUE(error_mentions(spec, "PASID context 'again': PASID 0x5 is given twice"));

    spec = scalable_spec();
    spec.devices[0].pasids[0].pasid = 0x10'0000;
    EXPECT_TRUE(error_mentions(spec, "PASID 0x100000 is wider than 20 bits"));
    spec.devices[0].pasids[0].pasid = 0xf'ffff;  // the largest: PDTS 7, a 128 KiB directory
    spec.region_size = 1 << 21;
    const BuiltTables t = build_vtd_tables(spec);
    ASSERT_EQ(t.error, "");
    EXPECT_EQ(read64(t, 0x8800'3100), 0x8800'4e09ull);  // P | PASIDE | PDTS 7 at [11:9] (0xe00)

    spec = scalable_spec();
    spec.devices[0].pasids[0].domain_id = 3;  // the device's own, with other tables
    EXPECT_TRUE(error_mentions(spec, "PASID context 'proc': domain ID 3 is also device 'accel''s"));

    spec = scalable_spec();
    spec.devices[0].pasids[0].translation = VtdTranslation::blocked;
    EXPECT_TRUE(error_mentions(spec, "PASID context 'proc': a blocked context takes no mappings"));

    spec = scalable_spec();
    spec.devices[0].pasids[0].mappings[1].input = 0x7fff'ffff'f000;  // straddles the top of the lower half
    EXPECT_TRUE(error_mentions(spec, "not within canonical 48-bit first-level addresses"));
}

}  // namespace
}  // namespace iommu_vp::platform
