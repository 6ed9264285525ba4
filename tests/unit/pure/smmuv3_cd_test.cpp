// CD decoding, CD-table indexing and TTB0/TTB1 selection against CDs, STEs and L1 descriptors
// encoded here from the SMMUv3 specification's field positions (5.2 STE, 5.3 L1CD, 5.4 CD;
// 6.3.24/6.3.25 for the Stream table registers), written as bit numbers across each structure,
// independently of the decoders' constants. Expected values are worked out by hand next to them.
#include "models/smmuv3/cd.h"
#include "models/smmuv3/stream_table.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <map>
#include <optional>

namespace {

using namespace iommu_vp::smmuv3;
namespace vmsa = iommu_vp::vmsa;

// A 512-bit structure (STE or CD) written bit by bit at the specification's positions.
struct Structure {
    std::array<std::uint64_t, 8> w{};
    Structure& set(unsigned hi, unsigned lo, std::uint64_t value) {
        for (unsigned b = lo; b <= hi; ++b) {
            const std::uint64_t m = std::uint64_t{1} << (b % 64);
            if ((value >> (b - lo)) & 1) w[b / 64] |= m;
            else w[b / 64] &= ~m;
        }
        return *this;
    }
    Structure& set(unsigned bit_position, bool value) { return set(bit_position, bit_position, value ? 1 : 0); }
};

// CD bit positions (SMMUv3 5.4).
constexpr unsigned T0SZ_HI = 5, T0SZ_LO = 0, TG0_HI = 7, TG0_LO = 6, EPD0 = 14, ENDI = 15;
constexpr unsigned T1SZ_HI = 21, T1SZ_LO = 16, TG1_HI = 23, TG1_LO = 22, EPD1 = 30, CD_V = 31;
constexpr unsigned IR0_LO = 8, OR0_LO = 10, SH0_LO = 12, IR1_LO = 24, OR1_LO = 26, SH1_LO = 28;
constexpr unsigned IPS_HI = 34, IPS_LO = 32, AFFD = 35, WXN = 36, UWXN = 37, TBI0 = 38, TBI1 = 39, PAN = 40;
constexpr unsigned AA64 = 41, HD = 42, HA = 43, S = 44, R = 45, A = 46, ASET = 47, ASID_HI = 63, ASID_LO = 48;
constexpr unsigned HAD0 = 65, TTB0_HI = 115, TTB0_LO = 68, HAD1 = 129, TTB1_HI = 179, TTB1_LO = 132;
constexpr unsigned MAIR0_HI = 223, MAIR0_LO = 192, MAIR1_HI = 255, MAIR1_LO = 224;

// STE bit positions (SMMUv3 5.2) used by the end-to-end cases.
constexpr unsigned STE_V = 0, CONFIG_HI = 3, CONFIG_LO = 1, S1FMT_HI = 5, S1FMT_LO = 4;
constexpr unsigned S1CTXPTR_HI = 55, S1CTXPTR_LO = 6, S1CDMAX_HI = 63, S1CDMAX_LO = 59;
constexpr unsigned S1DSS_HI = 65, S1DSS_LO = 64;
constexpr unsigned S2VMID_HI = 143, S2VMID_LO = 128, S2T0SZ_HI = 165, S2T0SZ_LO = 160, S2SL0_HI = 167,
                   S2SL0_LO = 166, S2TG_HI = 175, S2TG_LO = 174, S2PS_HI = 178, S2PS_LO = 176, S2AA64 = 179,
                   S2TTB_HI = 243, S2TTB_LO = 196;

// L1CD (5.3): V bit 0, L2Ptr [55:12].
std::uint64_t l1cd(bool valid, std::uint64_t l2ptr) { return (valid ? 1u : 0u) | (l2ptr & 0x00FF'FFFF'FFFF'F000ull); }

// A legal CD: TTB0 4 KiB granule, 48-bit range (T0SZ 16: level 0 resolves VA[47:39], a 4 KiB
// table, so TTB0 0x6000_1FF0 is used as 0x6000_1000); TTB1 64 KiB granule (TG1 0b11), 42-bit
// range (T1SZ 22: level 2 resolves VA[41:29] = 13 bits, a 64 KiB table: 0x5001_2340 ->
// 0x5001_0000); IPS 48 bits; ASID 0x1234.
Structure valid_cd() {
    Structure c;
    c.set(T0SZ_HI, T0SZ_LO, 16).set(TG0_HI, TG0_LO, 0b00).set(T1SZ_HI, T1SZ_LO, 22).set(TG1_HI, TG1_LO, 0b11);
    c.set(CD_V, true).set(IPS_HI, IPS_LO, 0b101).set(AA64, true).set(R, true).set(A, true).set(ASET, true);
    c.set(ASID_HI, ASID_LO, 0x1234);
    c.set(TTB0_HI, TTB0_LO, 0x6000'1FF0ull >> 4).set(TTB1_HI, TTB1_LO, 0x5001'2340ull >> 4);
    c.set(MAIR0_HI, MAIR0_LO, 0x0004'FF44).set(MAIR1_HI, MAIR1_LO, 0x1122'3344);
    return c;
}

StreamConfig stage1_stream() {
    StreamConfig s;
    s.valid = true;
    s.config = 0b101;
    s.mode = StreamMode::stage1;
    return s;
}

Decoded<ContextConfig> decode(const Structure& c, const Features& f = Features{},
                              StreamWorld world = StreamWorld::ns_el1, const StreamConfig& ste = stage1_stream()) {
    return decode_cd(c.w, ste, world, f);
}

void expect_bad_cd(const Structure& c, const Features& f = Features{}, StreamWorld world = StreamWorld::ns_el1,
                   const StreamConfig& ste = stage1_stream()) {
    const auto r = decode(c, f, world, ste);
    EXPECT_EQ(r.outcome, ConfigOutcome::bad_cd) << event_name(r.outcome);
    EXPECT_STRNE(r.reason, "");
}

Structure with(Structure c, unsigned hi, unsigned lo, std::uint64_t value) { return c.set(hi, lo, value); }
Structure with(Structure c, unsigned bit_position, bool value) { return c.set(bit_position, value); }

TEST(Smmuv3Cd, ValidCdDecodesEveryField) {
    Structure s = valid_cd();
    s.set(IR0_LO + 1, IR0_LO, 1).set(OR0_LO + 1, OR0_LO, 3).set(SH0_LO + 1, SH0_LO, 3);
    s.set(IR1_LO + 1, IR1_LO, 2).set(OR1_LO + 1, OR1_LO, 1).set(SH1_LO + 1, SH1_LO, 2);
    s.set(AFFD, true).set(WXN, true).set(UWXN, true).set(PAN, true).set(TBI0, true).set(TBI1, true);
    s.set(HAD0, true).set(HAD1, true);
    const auto r = decode(s);
    ASSERT_TRUE(r.ok()) << r.reason;
    const ContextConfig& c = r.value;
    EXPECT_TRUE(c.valid);
    EXPECT_EQ(c.t0sz, 16u);
    EXPECT_EQ(c.t1sz, 22u);
    EXPECT_EQ(c.granule0_bits, 12u);
    EXPECT_EQ(c.granule1_bits, 16u);
    EXPECT_EQ(c.ir0, 1u);
    EXPECT_EQ(c.or0, 3u);
    EXPECT_EQ(c.sh0, 3u);
    EXPECT_EQ(c.ir1, 2u);
    EXPECT_EQ(c.or1, 1u);
    EXPECT_EQ(c.sh1, 2u);
    EXPECT_EQ(c.output_bits, 48u);
    EXPECT_TRUE(c.affd && c.wxn && c.uwxn && c.pan && c.tbi0 && c.tbi1 && c.had0 && c.had1);
    EXPECT_TRUE(c.aa64 && c.r && c.a && c.aset);
    EXPECT_FALSE(c.s || c.ha || c.hd || c.endi || c.epd0 || c.epd1);
    EXPECT_EQ(c.asid, 0x1234u);
    EXPECT_EQ(c.ttb0, 0x6000'1FF0u);
    EXPECT_EQ(c.ttb1, 0x5001'2340u);
    EXPECT_EQ(c.mair, 0x1122'3344'0004'FF44ull);
    ASSERT_TRUE(c.ttb0_enabled && c.ttb1_enabled);
    EXPECT_EQ(c.ttb0_walk.stage, vmsa::Stage::one);
    EXPECT_EQ(c.ttb0_walk.granule_bits, 12u);
    EXPECT_EQ(c.ttb0_walk.input_bits, 48u);
    EXPECT_EQ(c.ttb0_walk.start_level, 0u);
    EXPECT_EQ(c.ttb0_walk.table_base, 0x6000'1000u);
    EXPECT_EQ(c.ttb0_walk.output_bits, 48u);
    EXPECT_FALSE(c.ttb0_walk.upper_range);
    EXPECT_TRUE(c.ttb0_walk.access_flag_fault_disabled);
    EXPECT_EQ(c.ttb1_walk.granule_bits, 16u);
    EXPECT_EQ(c.ttb1_walk.input_bits, 42u);
    EXPECT_EQ(c.ttb1_walk.start_level, 2u);
    EXPECT_EQ(c.ttb1_walk.table_base, 0x5001'0000u);
    EXPECT_TRUE(c.ttb1_walk.upper_range);
}

TEST(Smmuv3Cd, Tg1HasItsOwnEncoding) {
    Features f;
    f.granule_16k = true;
    // T1SZ 22 (42 bits). TG1 0b10 = 4 KiB: 42 - 12 = 30 = 3 x 9 + 3, so the walk starts at level 0,
    // which resolves VA[41:39].
    auto r = decode(with(valid_cd(), TG1_HI, TG1_LO, 0b10), f);
    ASSERT_TRUE(r.ok()) << r.reason;
    EXPECT_EQ(r.value.granule1_bits, 12u);
    EXPECT_EQ(r.value.ttb1_walk.start_level, 0u);
    r = decode(with(valid_cd(), TG1_HI, TG1_LO, 0b01), f);  // 16 KiB
    ASSERT_TRUE(r.ok()) << r.reason;
    EXPECT_EQ(r.value.granule1_bits, 14u);
    EXPECT_EQ(r.value.ttb1_walk.start_level, 1u);  // 42 - 14 = 28 = 2 x 11 + 6
    expect_bad_cd(with(valid_cd(), TG1_HI, TG1_LO, 0b00), f);  // reserved
    // TG0 0b01 is 64 KiB (TG1 0b01 is 16 KiB).
    r = decode(with(valid_cd(), TG0_HI, TG0_LO, 0b01), f);
    ASSERT_TRUE(r.ok()) << r.reason;
    EXPECT_EQ(r.value.granule0_bits, 16u);
}

TEST(Smmuv3Cd, IpsCappedByTheOas) {
    Features f;
    f.oas_bits = 44;
    const auto r = decode(with(valid_cd(), IPS_HI, IPS_LO, 0b110), f);  // 52 bits, capped to 44
    ASSERT_TRUE(r.ok()) << r.reason;
    EXPECT_EQ(r.value.output_bits, 44u);
    EXPECT_EQ(r.value.ttb0_walk.output_bits, 44u);
    EXPECT_EQ(decode(with(valid_cd(), IPS_HI, IPS_LO, 0b010), f).value.output_bits, 40u);
}

TEST(Smmuv3Cd, InvalidCdIsBadCd) {
    const auto r = decode(with(valid_cd(), CD_V, false));
    EXPECT_EQ(r.outcome, ConfigOutcome::bad_cd);
    EXPECT_EQ(event_id(r.outcome), 0x0A);
    EXPECT_STREQ(event_name(r.outcome), "C_BAD_CD");
}

TEST(Smmuv3Cd, StallDisabledByTheSteForbidsStall) {
    Features f;
    f.stall_model = StallModel::stall_and_terminate;
    StreamConfig ste = stage1_stream();
    EXPECT_TRUE(decode(with(valid_cd(), S, true), f, StreamWorld::ns_el1, ste).ok());
    ste.s1_stall_disable = true;
    expect_bad_cd(with(valid_cd(), S, true), f, StreamWorld::ns_el1, ste);
    EXPECT_TRUE(decode(valid_cd(), f, StreamWorld::ns_el1, ste).ok());
}

TEST(Smmuv3Cd, AbortOnlyTerminationNeedsA) {
    Features f;
    EXPECT_TRUE(decode(with(valid_cd(), A, false), f).ok());
    f.term_model_abort_only = true;
    expect_bad_cd(with(valid_cd(), A, false), f);
    EXPECT_TRUE(decode(valid_cd(), f).ok());
}

TEST(Smmuv3Cd, StallAgainstTheStallModel) {
    Features f;
    f.stall_model = StallModel::terminate_only;
    expect_bad_cd(with(valid_cd(), S, true), f);
    f.stall_model = StallModel::stall_forced;
    expect_bad_cd(valid_cd(), f);
    EXPECT_TRUE(decode(with(valid_cd(), S, true), f).value.s);
}

TEST(Smmuv3Cd, EndiAgainstTtendian) {
    Features f;  // little-endian only
    expect_bad_cd(with(valid_cd(), ENDI, true), f);
    // IGNORED when both ranges are disabled.
    EXPECT_TRUE(decode(with(with(with(valid_cd(), ENDI, true), EPD0, true), EPD1, true), f).ok());
    f.endianness = TableEndianness::big;
    expect_bad_cd(valid_cd(), f);
    EXPECT_TRUE(decode(with(valid_cd(), ENDI, true), f).ok());
    f.endianness = TableEndianness::mixed;
    EXPECT_TRUE(decode(valid_cd(), f).ok());
}

TEST(Smmuv3Cd, AArch32TablesAreIllegal) { expect_bad_cd(with(valid_cd(), AA64, false)); }

TEST(Smmuv3Cd, AArch64StageOneOnAArch32StageTwoIsIllegal) {
    StreamConfig ste = stage1_stream();
    ste.config = 0b111;
    ste.mode = StreamMode::nested;
    ste.s2_aa64 = false;
    expect_bad_cd(valid_cd(), Features{}, StreamWorld::ns_el1, ste);
    ste.s2_aa64 = true;
    EXPECT_TRUE(decode(valid_cd(), Features{}, StreamWorld::ns_el1, ste).ok());
}

TEST(Smmuv3Cd, HardwareUpdateNeedsHttu) {
    Features f;  // HTTU 0
    expect_bad_cd(with(valid_cd(), HA, true), f);
    expect_bad_cd(with(valid_cd(), HD, true), f);
    f.httu = 1;
    const auto r = decode(with(with(valid_cd(), HA, true), AFFD, false), f);
    ASSERT_TRUE(r.ok()) << r.reason;
    EXPECT_TRUE(r.value.ttb0_walk.access_flag_fault_disabled);  // AF set by hardware, never faults
    expect_bad_cd(with(with(valid_cd(), HA, true), HD, true), f);
    f.httu = 2;
    EXPECT_TRUE(decode(with(with(valid_cd(), HA, true), HD, true), f).value.hd);
}

TEST(Smmuv3Cd, AsidWidthFollowsAsid16) {
    Features f;
    f.asid16 = false;
    expect_bad_cd(valid_cd(), f);                              // ASID[15:8] = 0x12
    expect_bad_cd(valid_cd(), f, StreamWorld::ns_el2_e2h);     // E2H streams are ASID-tagged
    EXPECT_EQ(decode(valid_cd(), f, StreamWorld::ns_el2).value.asid, 0x34u);  // EL2: ASID IGNORED
    EXPECT_EQ(decode(with(valid_cd(), ASID_HI, ASID_LO, 0x0034), f).value.asid, 0x34u);
    f.asid16 = true;
    EXPECT_EQ(decode(with(valid_cd(), ASID_HI, ASID_LO, 0xBEEF), f).value.asid, 0xBEEFu);
}

TEST(Smmuv3Cd, TxszOutOfRangeIsIllegal) {
    expect_bad_cd(with(valid_cd(), T0SZ_HI, T0SZ_LO, 15));
    expect_bad_cd(with(valid_cd(), T0SZ_HI, T0SZ_LO, 40));
    expect_bad_cd(with(valid_cd(), T1SZ_HI, T1SZ_LO, 12));  // 52-bit VA needs IDR5.VAX
    expect_bad_cd(with(valid_cd(), T1SZ_HI, T1SZ_LO, 48));  // needs IDR3.STT
    const auto r = decode(with(valid_cd(), T0SZ_HI, T0SZ_LO, 39));  // 25 bits: level 2 resolves VA[24:21]
    ASSERT_TRUE(r.ok()) << r.reason;
    EXPECT_EQ(r.value.ttb0_walk.start_level, 2u);
    EXPECT_EQ(r.value.ttb0_walk.table_base, 0x6000'1F80u);  // a 16-entry (128-byte) table: 0x1FF0 -> 0x1F80
    // A disabled range is not checked (5.4.1.1).
    EXPECT_TRUE(decode(with(with(valid_cd(), T1SZ_HI, T1SZ_LO, 60), EPD1, true)).ok());
    EXPECT_TRUE(decode(with(with(valid_cd(), T0SZ_HI, T0SZ_LO, 0), EPD0, true)).ok());
}

TEST(Smmuv3Cd, GranuleMustBeAdvertised) {
    Features f;  // 4 KiB and 64 KiB
    expect_bad_cd(with(valid_cd(), TG0_HI, TG0_LO, 0b11), f);  // reserved
    expect_bad_cd(with(valid_cd(), TG0_HI, TG0_LO, 0b10), f);  // 16 KiB not advertised
    expect_bad_cd(with(valid_cd(), TG1_HI, TG1_LO, 0b01), f);  // 16 KiB not advertised
    EXPECT_TRUE(decode(with(with(valid_cd(), TG1_HI, TG1_LO, 0b00), EPD1, true), f).ok());  // IGNORED
    f.granule_64k = false;
    expect_bad_cd(valid_cd(), f);  // TG1 selects 64 KiB
}

TEST(Smmuv3Cd, TtbOutsideTheOutputRangeIsIllegal) {
    Features f;
    // IPS 40 bits: TTB0 with bit 40 set is out of range.
    Structure c = with(valid_cd(), IPS_HI, IPS_LO, 0b010);
    expect_bad_cd(with(c, TTB0_HI, TTB0_LO, 0x100'0000'0000ull >> 4), f);
    expect_bad_cd(with(c, TTB1_HI, TTB1_LO, 0x100'0000'0000ull >> 4), f);
    EXPECT_TRUE(decode(with(c, TTB0_HI, TTB0_LO, 0xFF'FFFF'F000ull >> 4), f).ok());
    EXPECT_TRUE(decode(with(with(c, TTB1_HI, TTB1_LO, 0x100'0000'0000ull >> 4), EPD1, true), f).ok());
    // 52-bit IPS and OAS: 4 KiB-granule TTB0 must be within 48 bits, 64 KiB-granule TTB1 need not.
    f.oas_bits = 52;
    Structure wide = with(valid_cd(), IPS_HI, IPS_LO, 0b110);
    expect_bad_cd(with(wide, TTB0_HI, TTB0_LO, 0x1'0000'0000'0000ull >> 4), f);
    const auto r = decode(with(wide, TTB1_HI, TTB1_LO, 0x1'0000'0000'0000ull >> 4), f);
    ASSERT_TRUE(r.ok()) << r.reason;
    EXPECT_EQ(r.value.ttb1_walk.table_base, 0x1'0000'0000'0000ull);
    EXPECT_EQ(r.value.ttb1_walk.output_bits, 52u);
}

TEST(Smmuv3Cd, StartTableAtLeastSixtyFourBytesWithFiftyTwoBitIps) {
    Features f;
    f.oas_bits = 52;
    // T0SZ 33 (31 bits), 4 KiB: level 1 resolves VA[30:30], a 16-byte table; a 52-bit IPS aligns
    // TTB0 to 64 bytes: 0x6000_0030 -> 0x6000_0000. With IPS 48 it stays 16-byte aligned.
    Structure c = with(with(valid_cd(), T0SZ_HI, T0SZ_LO, 33), TTB0_HI, TTB0_LO, 0x6000'0030ull >> 4);
    EXPECT_EQ(decode(with(c, IPS_HI, IPS_LO, 0b110), f).value.ttb0_walk.table_base, 0x6000'0000u);
    EXPECT_EQ(decode(c, f).value.ttb0_walk.table_base, 0x6000'0030u);
}

TEST(Smmuv3Cd, El2StreamHasOnlyTtb0) {
    // EPD0 is IGNORED (TTB0 translates); TTB1, its fields and TBI1 are RES0, so a reserved TG1 and
    // an out-of-range T1SZ are not checked.
    Structure c = with(with(with(valid_cd(), EPD0, true), TG1_HI, TG1_LO, 0), T1SZ_HI, T1SZ_LO, 0);
    const auto r = decode(with(c, TBI1, true), Features{}, StreamWorld::ns_el2);
    ASSERT_TRUE(r.ok()) << r.reason;
    EXPECT_TRUE(r.value.ttb0_enabled);
    EXPECT_FALSE(r.value.ttb1_enabled);
    EXPECT_FALSE(r.value.tbi1);
    EXPECT_EQ(select_translation_table(r.value, 0xFFFF'8000'0000'0000ull).outcome, ConfigOutcome::translation_fault);
    EXPECT_TRUE(select_translation_table(r.value, 0x1000).ok());
    // The same CD from an EL1 stream: EPD0 disables TTB0 and TG1 0b00 is ILLEGAL.
    expect_bad_cd(c);
}

// ---- TTB0 / TTB1 selection (SMMUv3 3.4.1, 5.4.1.1) ----

ContextConfig both_ranges_48bit(bool tbi0 = false, bool tbi1 = false) {
    Structure c = with(with(valid_cd(), T1SZ_HI, T1SZ_LO, 16), TG1_HI, TG1_LO, 0b10);  // TTB1 4 KiB, 48 bits
    c.set(TBI0, tbi0).set(TBI1, tbi1);
    const auto r = decode(c);
    EXPECT_TRUE(r.ok()) << r.reason;
    return r.value;
}

TEST(Smmuv3CdSelect, Va55PicksTheRange) {
    const ContextConfig c = both_ranges_48bit();
    auto r = select_translation_table(c, 0x0000'1234'5678'9000ull);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value.ttb, 0u);
    EXPECT_EQ(r.value.walk_address, 0x0000'1234'5678'9000ull);
    EXPECT_EQ(r.value.walk.table_base, 0x6000'1000u);
    r = select_translation_table(c, 0xFFFF'8000'0000'0000ull);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value.ttb, 1u);
    EXPECT_TRUE(r.value.walk.upper_range);
    EXPECT_EQ(r.value.walk.table_base, 0x5001'2000u);  // 4 KiB table: 0x5001_2340 -> 0x5001_2000
}

TEST(Smmuv3CdSelect, AddressOutsideBothRangesIsATranslationFault) {
    const ContextConfig c = both_ranges_48bit();
    // Bit 48 set, VA[55] == 0: not a sign-extension of a 48-bit TTB0 address.
    auto r = select_translation_table(c, 0x0001'0000'0000'0000ull);
    EXPECT_EQ(r.outcome, ConfigOutcome::translation_fault);
    EXPECT_EQ(event_id(r.outcome), 0x10);
    // VA[55] == 1 but bit 48 clear.
    EXPECT_EQ(select_translation_table(c, 0xFFFE'0000'0000'0000ull).outcome, ConfigOutcome::translation_fault);
    // 39-bit TTB0 (T0SZ 25): VA bit 39 is outside, bit 38 inside.
    const auto small = decode(with(valid_cd(), T0SZ_HI, T0SZ_LO, 25));
    ASSERT_TRUE(small.ok());
    EXPECT_EQ(select_translation_table(small.value, 0x80'0000'0000ull).outcome, ConfigOutcome::translation_fault);
    EXPECT_TRUE(select_translation_table(small.value, 0x7F'FFFF'F000ull).ok());
    // 42-bit TTB1 (T1SZ 22): 0xFFFF_FC00_0000_0000 is its lowest address; one step below is outside.
    EXPECT_TRUE(select_translation_table(small.value, 0xFFFF'FC00'0000'0000ull).ok());
    EXPECT_EQ(select_translation_table(small.value, 0xFFFF'FBFF'FFFF'F000ull).outcome,
              ConfigOutcome::translation_fault);
}

TEST(Smmuv3CdSelect, TopByteIgnore) {
    // TBI0: 0xAB00_1234_5678_9000 has VA[55] == 0 and a non-zero top byte.
    EXPECT_EQ(select_translation_table(both_ranges_48bit(), 0xAB00'1234'5678'9000ull).outcome,
              ConfigOutcome::translation_fault);
    auto r = select_translation_table(both_ranges_48bit(true, false), 0xAB00'1234'5678'9000ull);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value.ttb, 0u);
    EXPECT_EQ(r.value.walk_address, 0x0000'1234'5678'9000ull);
    // TBI1: 0x12FF_8000_0000_0000 has VA[55] == 1: the top byte is taken as 0xFF.
    EXPECT_EQ(select_translation_table(both_ranges_48bit(true, false), 0x12FF'8000'0000'0000ull).outcome,
              ConfigOutcome::translation_fault);
    r = select_translation_table(both_ranges_48bit(false, true), 0x12FF'8000'0000'0000ull);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value.ttb, 1u);
    EXPECT_EQ(r.value.walk_address, 0xFFFF'8000'0000'0000ull);
}

TEST(Smmuv3CdSelect, DisabledRangeIsATranslationFault) {
    const auto no_ttb1 = decode(with(valid_cd(), EPD1, true));
    ASSERT_TRUE(no_ttb1.ok());
    EXPECT_FALSE(no_ttb1.value.ttb1_enabled);
    EXPECT_EQ(select_translation_table(no_ttb1.value, 0xFFFF'FF00'0000'0000ull).outcome,
              ConfigOutcome::translation_fault);
    EXPECT_TRUE(select_translation_table(no_ttb1.value, 0x1000).ok());
    const auto no_ttb0 = decode(with(valid_cd(), EPD0, true));
    ASSERT_TRUE(no_ttb0.ok());
    EXPECT_EQ(select_translation_table(no_ttb0.value, 0x1000).outcome, ConfigOutcome::translation_fault);
    EXPECT_TRUE(select_translation_table(no_ttb0.value, 0xFFFF'FF00'0000'0000ull).ok());
}

// ---- CD table indexing (SMMUv3 3.3.2, 5.2 S1Fmt/S1CDMax/S1DSS, 5.3) ----

StreamConfig cd_table_stream(CdTableFormat format, unsigned cd_max, DefaultSubstream dss, std::uint64_t ptr) {
    StreamConfig s = stage1_stream();
    s.s1_format = format;
    s.s1_fmt = format == CdTableFormat::two_level_4k ? 1 : format == CdTableFormat::two_level_64k ? 2 : 0;
    s.s1_cd_max = cd_max;
    s.s1_dss = dss;
    s.s1_context_ptr = ptr;
    return s;
}

TEST(Smmuv3CdTable, SingleCd) {
    const Features f;
    const StreamConfig s = cd_table_stream(CdTableFormat::single, 0, DefaultSubstream::terminate, 0x4000'0440);
    const auto r = locate_cd(s, f, std::nullopt);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r.value.stage1_bypass);
    EXPECT_FALSE(r.value.is_l1_descriptor);
    EXPECT_EQ(r.value.address, 0x4000'0440u);
    EXPECT_EQ(r.value.substream, 0u);
    // S1CDMax == 0: substreams disabled, so a SubstreamID (even 0) is C_BAD_SUBSTREAMID.
    const auto bad = locate_cd(s, f, 0u);
    EXPECT_EQ(bad.outcome, ConfigOutcome::bad_substreamid);
    EXPECT_EQ(event_id(bad.outcome), 0x08);
}

TEST(Smmuv3CdTable, LinearTable) {
    const Features f;
    // S1CDMax 4: 16 CDs, 1 KiB; S1ContextPtr[9:6] are RES0 and treated as zero: 0x4000_05C0 -> 0x4000_0400.
    const StreamConfig s = cd_table_stream(CdTableFormat::linear, 4, DefaultSubstream::substream0, 0x4000'05C0);
    auto r = locate_cd(s, f, 5u);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value.address, 0x4000'0540u);  // 0x400 + 5 * 64
    EXPECT_EQ(r.value.substream, 5u);
    EXPECT_EQ(locate_cd(s, f, 15u).value.address, 0x4000'07C0u);
    EXPECT_EQ(locate_cd(s, f, 16u).outcome, ConfigOutcome::bad_substreamid);  // >= 2^4
}

TEST(Smmuv3CdTable, DefaultSubstreamForTransactionsWithoutOne) {
    const Features f;
    StreamConfig s = cd_table_stream(CdTableFormat::linear, 4, DefaultSubstream::terminate, 0x4000'0400);
    auto r = locate_cd(s, f, std::nullopt);
    EXPECT_EQ(r.outcome, ConfigOutcome::stream_disabled);
    EXPECT_EQ(event_id(r.outcome), 0x06);
    EXPECT_TRUE(locate_cd(s, f, 0u).ok());  // SubstreamID 0 is an ordinary substream here

    s.s1_dss = DefaultSubstream::bypass;
    r = locate_cd(s, f, std::nullopt);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r.value.stage1_bypass);
    EXPECT_TRUE(locate_cd(s, f, 0u).ok());

    // S1DSS 0b10: no SubstreamID uses CD 0, and SubstreamID 0 itself is F_STREAM_DISABLED.
    s.s1_dss = DefaultSubstream::substream0;
    r = locate_cd(s, f, std::nullopt);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r.value.stage1_bypass);
    EXPECT_EQ(r.value.address, 0x4000'0400u);
    EXPECT_EQ(r.value.substream, 0u);
    EXPECT_EQ(locate_cd(s, f, 0u).outcome, ConfigOutcome::stream_disabled);
    EXPECT_EQ(locate_cd(s, f, 1u).value.address, 0x4000'0440u);
}

TEST(Smmuv3CdTable, StageOneDisabledRefusesSubstreams) {
    const Features f;
    for (StreamMode mode : {StreamMode::bypass, StreamMode::stage2}) {
        StreamConfig s = cd_table_stream(CdTableFormat::linear, 4, DefaultSubstream::substream0, 0x4000'0400);
        s.mode = mode;
        EXPECT_EQ(locate_cd(s, f, 1u).outcome, ConfigOutcome::bad_substreamid);
        const auto r = locate_cd(s, f, std::nullopt);
        ASSERT_TRUE(r.ok());
        EXPECT_TRUE(r.value.stage1_bypass);
    }
}

TEST(Smmuv3CdTable, NoSubstreamSupport) {
    Features f;
    f.ssid_bits = 0;
    // S1CDMax and S1DSS are IGNORED: one CD, and any SubstreamID is C_BAD_SUBSTREAMID.
    const StreamConfig s = cd_table_stream(CdTableFormat::single, 4, DefaultSubstream::terminate, 0x4000'0440);
    EXPECT_EQ(locate_cd(s, f, 1u).outcome, ConfigOutcome::bad_substreamid);
    const auto r = locate_cd(s, f, std::nullopt);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value.address, 0x4000'0440u);
}

// S1Fmt 0b01, S1CDMax 10: 1024 CDs in 4 KiB leaves of 64; 16 L1CDs (128 bytes).
// SubstreamID 709 = 0x2C5: L1 index 709 >> 6 = 11 -> 0x4000_0080 + 11 * 8 = 0x4000_00D8;
// L2 index 709 & 63 = 5 -> L2Ptr 0x7000_3000 + 5 * 64 = 0x7000_3140.
TEST(Smmuv3CdTable, TwoLevelWithFourKilobyteLeaves) {
    const Features f;
    const StreamConfig s = cd_table_stream(CdTableFormat::two_level_4k, 10, DefaultSubstream::substream0, 0x4000'0080);
    const auto l1 = locate_cd(s, f, 709u);
    ASSERT_TRUE(l1.ok());
    EXPECT_TRUE(l1.value.is_l1_descriptor);
    EXPECT_EQ(l1.value.address, 0x4000'00D8u);
    const auto cd = locate_cd_in_level2(s, f, l1cd(true, 0x7000'3000), l1.value.substream);
    ASSERT_TRUE(cd.ok());
    EXPECT_EQ(cd.value, 0x7000'3140u);
    // The L1 table is aligned to its 128 bytes: 0x4000_00C0 -> 0x4000_0080.
    const StreamConfig unaligned =
        cd_table_stream(CdTableFormat::two_level_4k, 10, DefaultSubstream::substream0, 0x4000'00C0);
    EXPECT_EQ(locate_cd(unaligned, f, 709u).value.address, 0x4000'00D8u);
    // S1CDMax 5 <= 6: only L1 index 0, 64-byte aligned.
    const StreamConfig small = cd_table_stream(CdTableFormat::two_level_4k, 5, DefaultSubstream::substream0, 0x4000'00C0);
    EXPECT_EQ(locate_cd(small, f, 31u).value.address, 0x4000'00C0u);
    EXPECT_EQ(locate_cd_in_level2(small, f, l1cd(true, 0x7000'3000), 31u).value, 0x7000'37C0u);  // 31 * 64
}

// S1Fmt 0b10, S1CDMax 16: 65536 CDs in 64 KiB leaves of 1024; 64 L1CDs (512 bytes).
// SubstreamID 0xABCD: L1 index 0xABCD >> 10 = 42 -> 0x4000_0200 + 42 * 8 = 0x4000_0350;
// L2 index 0xABCD & 0x3FF = 0x3CD -> 0x7001_0000 + 0x3CD * 64 = 0x7001_F340.
TEST(Smmuv3CdTable, TwoLevelWithSixtyFourKilobyteLeaves) {
    const Features f;
    const StreamConfig s =
        cd_table_stream(CdTableFormat::two_level_64k, 16, DefaultSubstream::substream0, 0x4000'0200);
    const auto l1 = locate_cd(s, f, 0xABCDu);
    ASSERT_TRUE(l1.ok());
    EXPECT_EQ(l1.value.address, 0x4000'0350u);
    EXPECT_EQ(locate_cd_in_level2(s, f, l1cd(true, 0x7001'0000), 0xABCD).value, 0x7001'F340u);
    // L2Ptr[15:12] are RES0 with 64 KiB leaves: treated as zero.
    EXPECT_EQ(locate_cd_in_level2(s, f, l1cd(true, 0x7001'3000), 0xABCD).value, 0x7001'F340u);
    EXPECT_EQ(locate_cd(s, f, 0x10000u).outcome, ConfigOutcome::bad_substreamid);
}

TEST(Smmuv3CdTable, InvalidOrOutOfRangeL1cdIsBadSubstreamId) {
    Features f;
    const StreamConfig s = cd_table_stream(CdTableFormat::two_level_4k, 10, DefaultSubstream::substream0, 0x4000'0080);
    EXPECT_EQ(locate_cd_in_level2(s, f, l1cd(false, 0x7000'3000), 5).outcome, ConfigOutcome::bad_substreamid);
    f.oas_bits = 48;
    EXPECT_EQ(locate_cd_in_level2(s, f, l1cd(true, 0x1'0000'0000'0000ull), 5).outcome,
              ConfigOutcome::bad_substreamid);
    EXPECT_TRUE(locate_cd_in_level2(s, f, l1cd(true, 0xFFFF'FFFF'F000ull), 5).ok());
}

// ---- From the Stream table to a walk configuration ----

class Memory : public vmsa::DescriptorReader {
public:
    void put(std::uint64_t address, std::uint64_t value) { words_[address] = value; }
    void put(std::uint64_t address, const std::array<std::uint64_t, 8>& words) {
        for (unsigned i = 0; i < 8; ++i) put(address + 8 * i, words[i]);
    }
    std::uint64_t read(std::uint64_t address) const {
        const auto it = words_.find(address);
        return it == words_.end() ? 0 : it->second;
    }
    std::array<std::uint64_t, 8> read8(std::uint64_t address) const {
        std::array<std::uint64_t, 8> w{};
        for (unsigned i = 0; i < 8; ++i) w[i] = read(address + 8 * i);
        return w;
    }
    vmsa::FetchStatus read_descriptor(std::uint64_t address, std::uint64_t& descriptor) override {
        descriptor = read(address);
        return vmsa::FetchStatus::ok;
    }

private:
    std::map<std::uint64_t, std::uint64_t> words_;
};

Structure stage2_fields(Structure s) {
    // 4 KiB granule, 40-bit IPA, S2SL0 1 (level 1, two concatenated tables), S2PS 40 bits, VMID 7.
    s.set(S2VMID_HI, S2VMID_LO, 7).set(S2T0SZ_HI, S2T0SZ_LO, 24).set(S2SL0_HI, S2SL0_LO, 1);
    s.set(S2TG_HI, S2TG_LO, 0).set(S2PS_HI, S2PS_LO, 0b010).set(S2AA64, true);
    return s.set(S2TTB_HI, S2TTB_LO, 0x8000'0000ull >> 4);
}

// Linear Stream table at 0x1000_0000 (LOG2SIZE 8); StreamID 3 -> STE at 0x1000_00C0. The STE
// points at a 2-level CD table with 4 KiB leaves (S1CDMax 8: 4 L1CDs at 0x2000_0000).
// SubstreamID 0x47: L1 index 1 -> L1CD 0x2000_0008 -> leaf 0x2100_0000, CD 7 at 0x2100_01C0.
TEST(Smmuv3ConfigEndToEnd, StageOneWithSubstreams) {
    const Features f;
    Memory m;
    Structure ste;
    ste.set(STE_V, true).set(CONFIG_HI, CONFIG_LO, 0b101).set(S1FMT_HI, S1FMT_LO, 0b01);
    ste.set(S1CTXPTR_HI, S1CTXPTR_LO, 0x2000'0000ull >> 6).set(S1CDMAX_HI, S1CDMAX_LO, 8);
    ste.set(S1DSS_HI, S1DSS_LO, 0b10);
    m.put(0x1000'00C0, ste.w);
    m.put(0x2000'0000, l1cd(true, 0x2200'0000));
    m.put(0x2000'0008, l1cd(true, 0x2100'0000));
    m.put(0x2100'01C0, valid_cd().w);
    m.put(0x2200'0000, with(valid_cd(), ASID_HI, ASID_LO, 0x99).w);

    const auto table = decode_stream_table_config(0x1000'0000, 8, f);
    const auto step = locate_stream_entry(table, f, 3);
    ASSERT_TRUE(step.ok());
    EXPECT_EQ(step.value.address, 0x1000'00C0u);
    const auto stream = decode_ste(m.read8(step.value.address), f);
    ASSERT_TRUE(stream.ok()) << stream.reason;

    const auto l1 = locate_cd(stream.value, f, 0x47u);
    ASSERT_TRUE(l1.ok());
    EXPECT_EQ(l1.value.address, 0x2000'0008u);
    const auto cd_address = locate_cd_in_level2(stream.value, f, m.read(l1.value.address), l1.value.substream);
    ASSERT_TRUE(cd_address.ok());
    EXPECT_EQ(cd_address.value, 0x2100'01C0u);
    const auto cd = decode_cd(m.read8(cd_address.value), stream.value, stream_world(stream.value, false), f);
    ASSERT_TRUE(cd.ok()) << cd.reason;
    EXPECT_EQ(cd.value.asid, 0x1234u);
    const auto selection = select_translation_table(cd.value, 0x0000'0012'3456'7000ull);
    ASSERT_TRUE(selection.ok());
    EXPECT_EQ(selection.value.walk.table_base, 0x6000'1000u);
    EXPECT_EQ(selection.value.walk.start_level, 0u);

    // Without a SubstreamID (S1DSS 0b10): CD 0 through L1CD 0 at 0x2000_0000 -> 0x2200_0000.
    const auto dflt = locate_cd(stream.value, f, std::nullopt);
    ASSERT_TRUE(dflt.ok());
    EXPECT_EQ(dflt.value.address, 0x2000'0000u);
    const auto cd0 = locate_cd_in_level2(stream.value, f, m.read(dflt.value.address), dflt.value.substream);
    ASSERT_TRUE(cd0.ok());
    EXPECT_EQ(cd0.value, 0x2200'0000u);
    EXPECT_EQ(decode_cd(m.read8(cd0.value), stream.value, StreamWorld::ns_el1, f).value.asid, 0x99u);
}

// 2-level Stream table at 0x1000_0000 (LOG2SIZE 16, SPLIT 8). StreamID 0x0305: L1STD 3 at
// 0x1000_0018, Span 9 -> level-2 array 0x1100_0000, STE 5 at 0x1100_0140. Stage 2 only, then a
// walk: IPA 0x12_3456_7000 indexes level 1 at (IPA >> 30) = 0x48 -> 0x8000_0240, a 1 GiB block at
// 0x1_4000_0000: output 0x1_4000_0000 + (IPA & 0x3FFF_FFFF) = 0x1_7456_7000.
TEST(Smmuv3ConfigEndToEnd, StageTwoOnlyThroughATwoLevelStreamTable) {
    const Features f;
    Memory m;
    m.put(0x1000'0018, 9ull | 0x1100'0000);
    Structure ste = stage2_fields(Structure{});
    ste.set(STE_V, true).set(CONFIG_HI, CONFIG_LO, 0b110);
    m.put(0x1100'0140, ste.w);
    m.put(0x8000'0240, 0x1'4000'0000ull | (1ull << 10) | (0b11ull << 6) | 0b01);  // block, AF, S2AP RW

    const auto table = decode_stream_table_config(0x1000'0000, 16 | (8 << 6) | (1 << 16), f);
    const auto step = locate_stream_entry(table, f, 0x0305);
    ASSERT_TRUE(step.ok());
    EXPECT_EQ(step.value.address, 0x1000'0018u);
    const auto ste_address = locate_ste_in_level2(table, f, m.read(step.value.address), 0x0305);
    ASSERT_TRUE(ste_address.ok());
    EXPECT_EQ(ste_address.value, 0x1100'0140u);
    const auto stream = decode_ste(m.read8(ste_address.value), f);
    ASSERT_TRUE(stream.ok()) << stream.reason;
    EXPECT_EQ(stream.value.s2_vmid, 7u);
    EXPECT_TRUE(locate_cd(stream.value, f, std::nullopt).value.stage1_bypass);

    const auto walk = vmsa::walk(stream.value.stage2, 0x12'3456'7000ull, m);
    ASSERT_TRUE(walk.ok());
    EXPECT_EQ(walk.translation.level, 1u);
    EXPECT_EQ(walk.translation.output_address, 0x1'7456'7000ull);
}

TEST(Smmuv3ConfigEndToEnd, Nested) {
    const Features f;
    Structure ste = stage2_fields(Structure{});
    ste.set(STE_V, true).set(CONFIG_HI, CONFIG_LO, 0b111).set(S1CTXPTR_HI, S1CTXPTR_LO, 0x4000'0400ull >> 6);
    const auto stream = decode_ste(ste.w, f);
    ASSERT_TRUE(stream.ok()) << stream.reason;
    ASSERT_EQ(stream.value.mode, StreamMode::nested);
    // One CD (S1CDMax 0) at the IPA 0x4000_0400, which the model translates through stage 2.
    const auto location = locate_cd(stream.value, f, std::nullopt);
    ASSERT_TRUE(location.ok());
    EXPECT_EQ(location.value.address, 0x4000'0400u);
    EXPECT_EQ(locate_cd(stream.value, f, 1u).outcome, ConfigOutcome::bad_substreamid);
    const auto cd = decode_cd(valid_cd().w, stream.value, stream_world(stream.value, true), f);
    ASSERT_TRUE(cd.ok()) << cd.reason;
    EXPECT_EQ(cd.value.ttb0_walk.output_bits, 48u);  // an IPA size: IPS, capped by the OAS
    EXPECT_EQ(stream.value.stage2.input_bits, 40u);
    EXPECT_EQ(stream.value.stage2.table_base, 0x8000'0000u);
}

}  // namespace
