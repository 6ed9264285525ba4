// Stream table lookup against register values and L1STDs encoded here from the SMMUv3
// specification (6.3.24 STRTAB_BASE: ADDR [55:6], RA bit 62; 6.3.25 STRTAB_BASE_CFG: LOG2SIZE
// [5:0], SPLIT [10:6], FMT [17:16]; 5.1 L1STD: Span [4:0], L2Ptr [55:6]). Every address below is
// worked out by hand in the comment next to it.
#include "models/smmuv3/stream_table.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace {

using namespace iommu_vp::smmuv3;

std::uint64_t strtab_base(std::uint64_t address, bool ra = false) {
    return (address & 0x00FF'FFFF'FFFF'FFC0ull) | (ra ? 1ull << 62 : 0);
}
std::uint32_t strtab_cfg(unsigned log2size, unsigned split, unsigned fmt) {
    return log2size | (split << 6) | (fmt << 16);
}
std::uint64_t l1std(unsigned span, std::uint64_t l2ptr) { return span | (l2ptr & 0x00FF'FFFF'FFFF'FFC0ull); }

constexpr unsigned kLinear = 0, kTwoLevel = 1;

StreamTableConfig table(std::uint64_t base, std::uint32_t cfg, const Features& f = Features{}) {
    return decode_stream_table_config(strtab_base(base), cfg, f);
}

TEST(Smmuv3StreamTable, LinearTableStePerStreamId) {
    const Features f;
    const auto t = decode_stream_table_config(strtab_base(0x8000'0000, true), strtab_cfg(8, 0, kLinear), f);
    EXPECT_TRUE(t.read_allocate);
    EXPECT_FALSE(t.two_level);
    // STE n is at base + 64 n: SID 5 -> 0x8000_0000 + 0x140.
    const auto step = locate_stream_entry(t, f, 5);
    ASSERT_TRUE(step.ok());
    EXPECT_FALSE(step.value.is_l1_descriptor);
    EXPECT_EQ(step.value.address, 0x8000'0140u);
    EXPECT_EQ(locate_stream_entry(t, f, 255).value.address, 0x8000'0000u + 255 * 64);
}

TEST(Smmuv3StreamTable, StreamIdBeyondLog2SizeIsBadStreamId) {
    const Features f;
    const auto t = table(0x8000'0000, strtab_cfg(8, 0, kLinear));
    const auto r = locate_stream_entry(t, f, 256);
    EXPECT_EQ(r.outcome, ConfigOutcome::bad_streamid);
    EXPECT_STREQ(event_name(r.outcome), "C_BAD_STREAMID");
    EXPECT_EQ(event_id(r.outcome), 0x02);
    EXPECT_GT(std::string(r.reason).size(), 0u);
}

TEST(Smmuv3StreamTable, LinearBaseAlignedToTheTableSize) {
    const Features f;
    // LOG2SIZE 8: 256 STEs of 64 bytes = 16 KiB, so ADDR[13:0] are ignored: 0x8000_3FC0 -> 0x8000_0000.
    const auto t = table(0x8000'3FC0, strtab_cfg(8, 0, kLinear));
    EXPECT_EQ(t.effective_base, 0x8000'0000u);
    EXPECT_EQ(locate_stream_entry(t, f, 1).value.address, 0x8000'0040u);
}

TEST(Smmuv3StreamTable, Log2SizeCappedBySidSizeButAlignmentUsesTheWrittenValue) {
    Features f;
    f.sid_bits = 4;
    // Written LOG2SIZE 8 aligns to 16 KiB; the range is 2^MIN(8, 4) = 16 StreamIDs.
    const auto t = table(0x8000'2000, strtab_cfg(8, 0, kLinear), f);
    EXPECT_EQ(t.effective_log2size, 4u);
    EXPECT_EQ(t.effective_base, 0x8000'0000u);
    EXPECT_EQ(locate_stream_entry(t, f, 15).value.address, 0x8000'03C0u);  // 15 * 64 = 0x3C0
    EXPECT_EQ(locate_stream_entry(t, f, 16).outcome, ConfigOutcome::bad_streamid);
}

TEST(Smmuv3StreamTable, ReservedFmtBehavesAsLinear) {
    const Features f;
    const auto t = table(0x8000'0000, strtab_cfg(8, 8, 0b10));
    EXPECT_FALSE(t.two_level);
    EXPECT_EQ(locate_stream_entry(t, f, 3).value.address, 0x8000'00C0u);
}

TEST(Smmuv3StreamTable, TwoLevelFmtIsLinearWithoutStLevel) {
    Features f;
    f.two_level_stream_table = false;
    const auto t = table(0x8000'0000, strtab_cfg(8, 8, kTwoLevel), f);
    EXPECT_FALSE(t.two_level);
    EXPECT_EQ(locate_stream_entry(t, f, 3).value.address, 0x8000'00C0u);
}

// SPLIT 8, LOG2SIZE 16: 256 L1STDs (2 KiB), level-2 arrays of up to 256 STEs.
// SID 0x1234: L1 index 0x12 -> 0x9000_0000 + 0x12 * 8 = 0x9000_0090; L2 index 0x34.
TEST(Smmuv3StreamTable, TwoLevelWorkedExample) {
    const Features f;
    const auto t = table(0x9000'0000, strtab_cfg(16, 8, kTwoLevel));
    ASSERT_TRUE(t.two_level);
    const auto step = locate_stream_entry(t, f, 0x1234);
    ASSERT_TRUE(step.ok());
    EXPECT_TRUE(step.value.is_l1_descriptor);
    EXPECT_EQ(step.value.address, 0x9000'0090u);
    // Span 9: 2^8 STEs at 0xA000_0000; STE 0x34 at 0xA000_0000 + 0x34 * 64 = 0xA000_0D00.
    const auto ste = locate_ste_in_level2(t, f, l1std(9, 0xA000'0000), 0x1234);
    ASSERT_TRUE(ste.ok());
    EXPECT_EQ(ste.value, 0xA000'0D00u);
}

TEST(Smmuv3StreamTable, TwoLevelBaseAlignedToLevelOneTableOrSixtyFourBytes) {
    const Features f;
    // LOG2SIZE 16, SPLIT 8: 256 * 8 = 2 KiB, ADDR[10:0] ignored: 0x9000_0FC0 -> 0x9000_0800.
    EXPECT_EQ(table(0x9000'0FC0, strtab_cfg(16, 8, kTwoLevel)).effective_base, 0x9000'0800u);
    // LOG2SIZE 6 <= SPLIT 8: one L1STD, the base is only 64-byte aligned.
    const auto small = table(0x9000'0FC0, strtab_cfg(6, 8, kTwoLevel));
    EXPECT_EQ(small.effective_base, 0x9000'0FC0u);
    EXPECT_EQ(locate_stream_entry(small, f, 0x3F).value.address, 0x9000'0FC0u);
    // LOG2SIZE 12, SPLIT 6: 64 L1STDs = 512 bytes: 0x9000_0FC0 -> 0x9000_0E00.
    EXPECT_EQ(table(0x9000'0FC0, strtab_cfg(12, 6, kTwoLevel)).effective_base, 0x9000'0E00u);
}

TEST(Smmuv3StreamTable, ReservedSplitBehavesAsSix) {
    const Features f;
    const auto t = table(0x9000'0000, strtab_cfg(16, 7, kTwoLevel));
    EXPECT_EQ(t.split, 6u);
    // SID 0x1234 >> 6 = 0x48: L1STD at 0x9000_0000 + 0x240; L2 index 0x1234 & 0x3F = 0x34.
    EXPECT_EQ(locate_stream_entry(t, f, 0x1234).value.address, 0x9000'0240u);
    EXPECT_EQ(locate_ste_in_level2(t, f, l1std(7, 0xB000'0000), 0x1234).value, 0xB000'0D00u);
    // Span 8 would be legal with SPLIT 8 but is beyond SPLIT + 1 = 7 here.
    EXPECT_EQ(locate_ste_in_level2(t, f, l1std(8, 0xB000'0000), 0x1234).outcome, ConfigOutcome::bad_streamid);
}

TEST(Smmuv3StreamTable, InvalidOrReservedSpanIsBadStreamId) {
    const Features f;
    const auto t = table(0x9000'0000, strtab_cfg(16, 10, kTwoLevel));
    EXPECT_EQ(locate_ste_in_level2(t, f, l1std(0, 0xA000'0000), 0x0).outcome, ConfigOutcome::bad_streamid);
    EXPECT_EQ(locate_ste_in_level2(t, f, l1std(12, 0xA000'0000), 0x0).outcome, ConfigOutcome::bad_streamid);
    EXPECT_EQ(locate_ste_in_level2(t, f, l1std(31, 0xA000'0000), 0x0).outcome, ConfigOutcome::bad_streamid);
    // SPLIT 10: Span 11 (1024 STEs) is the largest legal value.
    EXPECT_TRUE(locate_ste_in_level2(t, f, l1std(11, 0xA000'0000), 0x3FF).ok());
    const auto split8 = table(0x9000'0000, strtab_cfg(16, 8, kTwoLevel));
    EXPECT_EQ(locate_ste_in_level2(split8, f, l1std(10, 0xA000'0000), 0x0).outcome, ConfigOutcome::bad_streamid);
}

TEST(Smmuv3StreamTable, StreamIdOutsideTheSpanIsBadStreamId) {
    const Features f;
    const auto t = table(0x9000'0000, strtab_cfg(16, 8, kTwoLevel));
    // Span 3: 4 STEs, so SID[7:0] 0..3 are valid for L1 index 1 (SIDs 0x100..0x103).
    EXPECT_EQ(locate_ste_in_level2(t, f, l1std(3, 0x2F00), 0x103).value, 0x2F00u + 3 * 64);
    EXPECT_EQ(locate_ste_in_level2(t, f, l1std(3, 0x2F00), 0x104).outcome, ConfigOutcome::bad_streamid);
    // Span 1: a single STE.
    EXPECT_EQ(locate_ste_in_level2(t, f, l1std(1, 0x4000), 0x300).value, 0x4000u);
    EXPECT_EQ(locate_ste_in_level2(t, f, l1std(1, 0x4000), 0x301).outcome, ConfigOutcome::bad_streamid);
}

TEST(Smmuv3StreamTable, LevelTwoArrayAlignedToItsSize) {
    const Features f;
    const auto t = table(0x9000'0000, strtab_cfg(16, 8, kTwoLevel));
    // Span 3: 4 STEs = 256 bytes, L2Ptr[7:0] treated as zero: 0x2F20 -> 0x2F00 (5.1).
    EXPECT_EQ(locate_ste_in_level2(t, f, l1std(3, 0x2F20), 0x100).value, 0x2F00u);
    // Span 9: 256 STEs = 16 KiB: 0xA000_2040 -> 0xA000_0000; SID[7:0] 0x10 -> + 0x400.
    EXPECT_EQ(locate_ste_in_level2(t, f, l1std(9, 0xA000'2040), 0x510).value, 0xA000'0400u);
}

TEST(Smmuv3StreamTable, SidSizeCapsTheTwoLevelRange) {
    Features f;
    f.sid_bits = 12;
    const auto t = table(0x9000'0000, strtab_cfg(16, 8, kTwoLevel), f);
    EXPECT_EQ(t.effective_base, 0x9000'0000u);
    EXPECT_EQ(locate_stream_entry(t, f, 0xFFF).value.address, 0x9000'0078u);  // 0xF * 8
    EXPECT_EQ(locate_stream_entry(t, f, 0x1000).outcome, ConfigOutcome::bad_streamid);
}

TEST(Smmuv3StreamTable, FetchBeyondTheOasIsSteFetch) {
    Features f;
    f.oas_bits = 40;
    const auto linear = table(0x100'0000'0000ull, strtab_cfg(8, 0, kLinear), f);  // bit 40 set
    const auto r = locate_stream_entry(linear, f, 0);
    EXPECT_EQ(r.outcome, ConfigOutcome::ste_fetch);
    EXPECT_EQ(event_id(r.outcome), 0x03);
    const auto two = table(0x9000'0000, strtab_cfg(16, 8, kTwoLevel), f);
    EXPECT_TRUE(locate_stream_entry(two, f, 0).ok());
    EXPECT_EQ(locate_ste_in_level2(two, f, l1std(9, 0x100'0000'0000ull), 0).outcome, ConfigOutcome::ste_fetch);
    EXPECT_TRUE(locate_ste_in_level2(two, f, l1std(9, 0xFF'FFFF'0000ull), 0).ok());
    // With a 52-bit OAS, L2Ptr bit 51 is in range and bit 52 (inside the [55:6] field) is not.
    f.oas_bits = 52;
    EXPECT_TRUE(locate_ste_in_level2(two, f, l1std(9, 1ull << 51), 0).ok());
    EXPECT_EQ(locate_ste_in_level2(two, f, l1std(9, 1ull << 52), 0).outcome, ConfigOutcome::ste_fetch);
}

}  // namespace
