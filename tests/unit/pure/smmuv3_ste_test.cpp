// STE decoding against STEs encoded here from the SMMUv3 specification's field positions (5.2),
// written as bit numbers across the whole 512-bit STE, independently of the decoder's constants.
// Expected values are worked out by hand; each ILLEGAL condition of 5.2.2 that the decoder
// implements has a case that provokes it next to a case that is legal.
#include "models/smmuv3/ste.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace {

using namespace iommu_vp::smmuv3;
using iommu_vp::vmsa::Stage;

// STE bit positions (SMMUv3 5.2).
constexpr unsigned V = 0;
constexpr unsigned CONFIG_HI = 3, CONFIG_LO = 1;
constexpr unsigned S1FMT_HI = 5, S1FMT_LO = 4;
constexpr unsigned S1CTXPTR_HI = 55, S1CTXPTR_LO = 6;
constexpr unsigned S1CDMAX_HI = 63, S1CDMAX_LO = 59;
constexpr unsigned S1DSS_HI = 65, S1DSS_LO = 64;
constexpr unsigned S1CIR_LO = 66, S1COR_LO = 68, S1CSH_LO = 70;
constexpr unsigned CONT_LO = 77;   // [80:77]
constexpr unsigned MEV = 83;
constexpr unsigned S1STALLD = 91;
constexpr unsigned EATS_HI = 93, EATS_LO = 92;
constexpr unsigned STRW_HI = 95, STRW_LO = 94;
constexpr unsigned MEMATTR_LO = 96;  // [99:96]
constexpr unsigned MTCFG = 100;
constexpr unsigned ALLOCCFG_LO = 101;  // [104:101]
constexpr unsigned SHCFG_LO = 108, NSCFG_LO = 110, PRIVCFG_LO = 112, INSTCFG_LO = 114;  // 2 bits each
constexpr unsigned S2VMID_HI = 143, S2VMID_LO = 128;
constexpr unsigned S2T0SZ_HI = 165, S2T0SZ_LO = 160;
constexpr unsigned S2SL0_HI = 167, S2SL0_LO = 166;
constexpr unsigned S2IR0_LO = 168, S2OR0_LO = 170, S2SH0_LO = 172;
constexpr unsigned S2TG_HI = 175, S2TG_LO = 174;
constexpr unsigned S2PS_HI = 178, S2PS_LO = 176;
constexpr unsigned S2AA64 = 179, S2ENDI = 180, S2AFFD = 181, S2PTW = 182, S2HD = 183, S2HA = 184, S2S = 185,
                   S2R = 186;
constexpr unsigned S2TTB_HI = 243, S2TTB_LO = 196;  // address bits [51:4]

struct Ste {
    SteWords w{};
    Ste& set(unsigned hi, unsigned lo, std::uint64_t value) {
        for (unsigned b = lo; b <= hi; ++b) {
            const std::uint64_t m = std::uint64_t{1} << (b % 64);
            if ((value >> (b - lo)) & 1) w[b / 64] |= m;
            else w[b / 64] &= ~m;
        }
        return *this;
    }
    Ste& set(unsigned bit_position, bool value) { return set(bit_position, bit_position, value ? 1 : 0); }
    Ste& config(unsigned value) { return set(CONFIG_HI, CONFIG_LO, value); }
    Ste& s2ttb(std::uint64_t address) { return set(S2TTB_HI, S2TTB_LO, address >> 4); }
    Ste& s1ctx(std::uint64_t address) { return set(S1CTXPTR_HI, S1CTXPTR_LO, address >> 6); }
};

// A legal stage-2-only STE: 4 KiB granule, 40-bit IPA (S2T0SZ 24), S2SL0 1 (start at level 1,
// resolving IPA[39:30] = 10 bits: two concatenated 4 KiB tables, 8 KiB), S2PS 40 bits, VMID 5.
Ste stage2_ste() {
    Ste s;
    s.set(V, true).config(0b110);
    s.set(S2VMID_HI, S2VMID_LO, 5).set(S2T0SZ_HI, S2T0SZ_LO, 24).set(S2SL0_HI, S2SL0_LO, 1);
    s.set(S2TG_HI, S2TG_LO, 0b00).set(S2PS_HI, S2PS_LO, 0b010).set(S2AA64, true).set(S2R, true).set(S2PTW, true);
    s.set(S2IR0_LO + 1, S2IR0_LO, 1).set(S2OR0_LO + 1, S2OR0_LO, 1).set(S2SH0_LO + 1, S2SH0_LO, 3);
    s.s2ttb(0x8000'0000);
    return s;
}

// A legal stage-1-only STE: a linear table of 16 CDs at 0x4000_0400.
Ste stage1_ste() {
    Ste s;
    s.set(V, true).config(0b101);
    s.set(S1FMT_HI, S1FMT_LO, 0).s1ctx(0x4000'0400).set(S1CDMAX_HI, S1CDMAX_LO, 4);
    s.set(S1DSS_HI, S1DSS_LO, 0b10);
    return s;
}

Decoded<StreamConfig> decode(const Ste& s, const Features& f = Features{}) { return decode_ste(s.w, f); }

void expect_bad_ste(const Ste& s, const Features& f = Features{}) {
    const auto r = decode(s, f);
    EXPECT_EQ(r.outcome, ConfigOutcome::bad_ste) << event_name(r.outcome);
    EXPECT_STRNE(r.reason, "");
}

TEST(Smmuv3Ste, InvalidSteIsBadSte) {
    Ste s = stage2_ste();
    s.set(V, false);
    const auto r = decode(s);
    EXPECT_EQ(r.outcome, ConfigOutcome::bad_ste);
    EXPECT_EQ(event_id(r.outcome), 0x04);
    EXPECT_STREQ(event_name(r.outcome), "C_BAD_STE");
}

TEST(Smmuv3Ste, ConfigWithoutBitTwoAbortsWithoutAnEvent) {
    for (unsigned config : {0b000u, 0b001u, 0b010u, 0b011u}) {
        Ste s = stage2_ste();
        s.config(config).set(S2AA64, false);  // stage-2 fields are irrelevant: no ILLEGAL check
        const auto r = decode(s);
        EXPECT_EQ(r.outcome, ConfigOutcome::abort_silently) << config;
        EXPECT_EQ(event_id(r.outcome), 0) << config;
        EXPECT_EQ(r.value.mode, StreamMode::abort);
        EXPECT_TRUE(r.value.valid);
    }
}

TEST(Smmuv3Ste, BypassIgnoresStageFields) {
    Ste s = stage2_ste();
    s.config(0b100).set(S2AA64, false).set(S2TG_HI, S2TG_LO, 3).set(S1CDMAX_HI, S1CDMAX_LO, 31);
    s.set(SHCFG_LO + 1, SHCFG_LO, 0b01);
    const auto r = decode(s);
    ASSERT_TRUE(r.ok()) << r.reason;
    EXPECT_EQ(r.value.mode, StreamMode::bypass);
    EXPECT_FALSE(r.value.has_stage1());
    EXPECT_FALSE(r.value.has_stage2());
    EXPECT_EQ(r.value.shcfg, 1u);
}

TEST(Smmuv3Ste, StageTwoOnlyEndToEnd) {
    const auto r = decode(stage2_ste());
    ASSERT_TRUE(r.ok()) << r.reason;
    const StreamConfig& c = r.value;
    EXPECT_EQ(c.mode, StreamMode::stage2);
    EXPECT_FALSE(c.has_stage1());
    EXPECT_TRUE(c.has_stage2());
    EXPECT_EQ(c.s2_vmid, 5u);
    EXPECT_EQ(c.s2_t0sz, 24u);
    EXPECT_EQ(c.s2_sl0, 1u);
    EXPECT_EQ(c.s2_output_bits, 40u);
    EXPECT_TRUE(c.s2_aa64);
    EXPECT_TRUE(c.s2_r);
    EXPECT_TRUE(c.s2_ptw);
    EXPECT_FALSE(c.s2_s);
    EXPECT_EQ(c.s2_ir0, 1u);
    EXPECT_EQ(c.s2_or0, 1u);
    EXPECT_EQ(c.s2_sh0, 3u);
    EXPECT_EQ(c.s2_ttb, 0x8000'0000u);
    EXPECT_EQ(c.stage2.stage, Stage::two);
    EXPECT_EQ(c.stage2.granule_bits, 12u);
    EXPECT_EQ(c.stage2.input_bits, 40u);
    EXPECT_EQ(c.stage2.start_level, 1u);
    EXPECT_EQ(c.stage2.output_bits, 40u);
    EXPECT_EQ(c.stage2.table_base, 0x8000'0000u);
    EXPECT_FALSE(c.stage2.access_flag_fault_disabled);
    EXPECT_EQ(stream_world(c, true), StreamWorld::ns_el1);
}

TEST(Smmuv3Ste, StageTwoTableBaseAlignedToTheConcatenatedTables) {
    // Two concatenated 4 KiB tables: S2TTB[12:0] treated as zero: 0x8000_1FF0 -> 0x8000_0000.
    Ste s = stage2_ste();
    s.s2ttb(0x8000'1FF0);
    EXPECT_EQ(decode(s).value.stage2.table_base, 0x8000'0000u);
    // 64 KiB granule, 42-bit IPA (S2T0SZ 22), S2SL0 1: level 2 resolves IPA[41:29] = 13 bits, one
    // 64 KiB table: 0x8001_2340 -> 0x8001_0000.
    Features f;
    Ste big = stage2_ste();
    big.set(S2TG_HI, S2TG_LO, 0b01).set(S2T0SZ_HI, S2T0SZ_LO, 22).set(S2PS_HI, S2PS_LO, 0b011).s2ttb(0x8001'2340);
    const auto r = decode(big, f);
    ASSERT_TRUE(r.ok()) << r.reason;
    EXPECT_EQ(r.value.stage2.granule_bits, 16u);
    EXPECT_EQ(r.value.stage2.start_level, 2u);
    EXPECT_EQ(r.value.stage2.table_base, 0x8001'0000u);
}

TEST(Smmuv3Ste, StageTwoStartTableAtLeastSixtyFourBytesWithFiftyTwoBitOutput) {
    Features f;
    f.oas_bits = 52;
    // 4 KiB granule, 32-bit IPA (S2T0SZ 32), S2SL0 1: level 1 resolves IPA[31:30] = 2 bits, a
    // 32-byte table; with a 52-bit S2PS the base is 64-byte aligned: 0x8000_0020 -> 0x8000_0000.
    Ste s = stage2_ste();
    s.set(S2T0SZ_HI, S2T0SZ_LO, 32).set(S2PS_HI, S2PS_LO, 0b110).s2ttb(0x8000'0020);
    auto r = decode(s, f);
    ASSERT_TRUE(r.ok()) << r.reason;
    EXPECT_EQ(r.value.stage2.output_bits, 52u);
    EXPECT_EQ(r.value.stage2.table_base, 0x8000'0000u);
    // With a 48-bit S2PS the 32-byte table needs only 32-byte alignment.
    s.set(S2PS_HI, S2PS_LO, 0b101);
    r = decode(s, f);
    ASSERT_TRUE(r.ok()) << r.reason;
    EXPECT_EQ(r.value.stage2.table_base, 0x8000'0020u);
}

TEST(Smmuv3Ste, S2psCappedByTheOas) {
    Features f;
    f.oas_bits = 44;
    Ste s = stage2_ste();
    s.set(S2PS_HI, S2PS_LO, 0b110);  // 52 bits, capped to 44
    EXPECT_EQ(decode(s, f).value.s2_output_bits, 44u);
    EXPECT_EQ(decode(s, f).value.stage2.output_bits, 44u);
    s.set(S2PS_HI, S2PS_LO, 0b000);  // 32 bits, below the cap
    EXPECT_EQ(decode(s, f).value.s2_output_bits, 32u);
    f.oas_bits = 52;
    s.set(S2PS_HI, S2PS_LO, 0b111);  // reserved, behaves as 0b110 (52 bits) in SMMUv3.1-3.3
    EXPECT_EQ(decode(s, f).value.s2_output_bits, 52u);
}

TEST(Smmuv3Ste, StageOneOnlyEndToEnd) {
    Ste s = stage1_ste();
    s.set(S1CIR_LO + 1, S1CIR_LO, 1).set(S1COR_LO + 1, S1COR_LO, 2).set(S1CSH_LO + 1, S1CSH_LO, 3);
    s.set(MEV, true).set(CONT_LO + 3, CONT_LO, 4).set(MEMATTR_LO + 3, MEMATTR_LO, 0xF).set(MTCFG, true);
    s.set(ALLOCCFG_LO + 3, ALLOCCFG_LO, 0b1010).set(SHCFG_LO + 1, SHCFG_LO, 0b11);
    s.set(NSCFG_LO + 1, NSCFG_LO, 0b10).set(PRIVCFG_LO + 1, PRIVCFG_LO, 0b10).set(INSTCFG_LO + 1, INSTCFG_LO, 0b11);
    s.set(S2VMID_HI, S2VMID_LO, 0x1234);
    const auto r = decode(s);
    ASSERT_TRUE(r.ok()) << r.reason;
    const StreamConfig& c = r.value;
    EXPECT_EQ(c.mode, StreamMode::stage1);
    EXPECT_TRUE(c.has_stage1());
    EXPECT_FALSE(c.has_stage2());
    EXPECT_EQ(c.s1_format, CdTableFormat::linear);
    EXPECT_EQ(c.s1_context_ptr, 0x4000'0400u);
    EXPECT_EQ(c.s1_cd_max, 4u);
    EXPECT_EQ(c.s1_dss, DefaultSubstream::substream0);
    EXPECT_EQ(c.s1_cir, 1u);
    EXPECT_EQ(c.s1_cor, 2u);
    EXPECT_EQ(c.s1_csh, 3u);
    EXPECT_TRUE(c.merge_events);
    EXPECT_EQ(c.cont, 4u);
    EXPECT_EQ(c.mem_attr, 0xFu);
    EXPECT_TRUE(c.mtcfg);
    EXPECT_EQ(c.alloccfg, 0b1010u);
    EXPECT_EQ(c.shcfg, 3u);
    EXPECT_EQ(c.nscfg, 2u);
    EXPECT_EQ(c.privcfg, 2u);
    EXPECT_EQ(c.instcfg, 3u);
    EXPECT_EQ(c.s2_vmid, 0x1234u);  // tags stage-1 EL1 translations
    EXPECT_EQ(stream_world(c, false), StreamWorld::ns_el1);
}

TEST(Smmuv3Ste, NestedEndToEnd) {
    Ste s = stage2_ste();
    s.config(0b111).s1ctx(0x4000'0400).set(S1CDMAX_HI, S1CDMAX_LO, 0);
    const auto r = decode(s);
    ASSERT_TRUE(r.ok()) << r.reason;
    EXPECT_EQ(r.value.mode, StreamMode::nested);
    EXPECT_TRUE(r.value.has_stage1());
    EXPECT_TRUE(r.value.has_stage2());
    EXPECT_EQ(r.value.s1_format, CdTableFormat::single);
    EXPECT_EQ(r.value.s1_context_ptr, 0x4000'0400u);
    EXPECT_EQ(r.value.stage2.input_bits, 40u);
    EXPECT_EQ(r.value.stage2.table_base, 0x8000'0000u);
}

TEST(Smmuv3Ste, S1FmtAndS1DssEncodings) {
    Features f;
    Ste s = stage1_ste();
    s.set(S1CDMAX_HI, S1CDMAX_LO, 8);
    const CdTableFormat expected[4] = {CdTableFormat::linear, CdTableFormat::two_level_4k,
                                       CdTableFormat::two_level_64k, CdTableFormat::linear};
    for (unsigned fmt = 0; fmt < 4; ++fmt)
        EXPECT_EQ(decode(s.set(S1FMT_HI, S1FMT_LO, fmt), f).value.s1_format, expected[fmt]) << fmt;
    const DefaultSubstream dss[4] = {DefaultSubstream::terminate, DefaultSubstream::bypass,
                                     DefaultSubstream::substream0, DefaultSubstream::terminate};
    for (unsigned v = 0; v < 4; ++v) EXPECT_EQ(decode(s.set(S1DSS_HI, S1DSS_LO, v), f).value.s1_dss, dss[v]) << v;
    // S1CDMax == 0 or no substream support: one CD, whatever S1Fmt says.
    s.set(S1FMT_HI, S1FMT_LO, 1);
    EXPECT_EQ(decode(s.set(S1CDMAX_HI, S1CDMAX_LO, 0), f).value.s1_format, CdTableFormat::single);
    f.ssid_bits = 0;
    EXPECT_EQ(decode(s.set(S1CDMAX_HI, S1CDMAX_LO, 8), f).value.s1_format, CdTableFormat::single);
}

TEST(Smmuv3Ste, AbsentStageIsIllegal) {
    Features no_s1;
    no_s1.stage1 = false;
    expect_bad_ste(stage1_ste(), no_s1);
    Ste nested = stage2_ste();
    nested.config(0b111);
    expect_bad_ste(nested, no_s1);
    EXPECT_TRUE(decode(stage2_ste(), no_s1).ok());

    Features no_s2;
    no_s2.stage2 = false;
    expect_bad_ste(stage2_ste(), no_s2);
    expect_bad_ste(nested, no_s2);
    EXPECT_TRUE(decode(stage1_ste(), no_s2).ok());
}

TEST(Smmuv3Ste, StrwReservedValuesAreIllegalWhenUsed) {
    Features hyp;
    hyp.hyp = true;
    Ste s = stage1_ste();
    expect_bad_ste(s.set(STRW_HI, STRW_LO, 0b01), hyp);
    expect_bad_ste(s.set(STRW_HI, STRW_LO, 0b11), hyp);
    const auto el2 = decode(s.set(STRW_HI, STRW_LO, 0b10), hyp);
    ASSERT_TRUE(el2.ok()) << el2.reason;
    EXPECT_TRUE(el2.value.el2_stream_world);
    EXPECT_EQ(stream_world(el2.value, false), StreamWorld::ns_el2);
    EXPECT_EQ(stream_world(el2.value, true), StreamWorld::ns_el2_e2h);
    // Without IDR0.HYP, STRW is RES0 and unused: EL1, never ILLEGAL.
    const Features no_hyp;
    const auto el1 = decode(s.set(STRW_HI, STRW_LO, 0b01), no_hyp);
    ASSERT_TRUE(el1.ok());
    EXPECT_EQ(stream_world(el1.value, true), StreamWorld::ns_el1);
    // With stage 2 enabled STRW is IGNORED.
    Ste nested = stage2_ste();
    nested.config(0b111).set(STRW_HI, STRW_LO, 0b11);
    EXPECT_TRUE(decode(nested, hyp).ok());
}

TEST(Smmuv3Ste, S1StallDisableNeedsAConfigurableStallModel) {
    Features f;
    Ste s = stage1_ste();
    s.set(S1STALLD, true);
    f.stall_model = StallModel::terminate_only;
    expect_bad_ste(s, f);
    f.stall_model = StallModel::stall_forced;
    expect_bad_ste(s, f);
    f.stall_model = StallModel::stall_and_terminate;
    const auto r = decode(s, f);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r.value.s1_stall_disable);
    // IGNORED when stage 1 is disabled.
    Ste s2 = stage2_ste();
    s2.set(S1STALLD, true);
    f.stall_model = StallModel::terminate_only;
    EXPECT_TRUE(decode(s2, f).ok());
}

TEST(Smmuv3Ste, S1CdMaxBeyondSsidSizeIsIllegal) {
    Features f;  // SSIDSIZE 8
    Ste s = stage1_ste();
    EXPECT_TRUE(decode(s.set(S1CDMAX_HI, S1CDMAX_LO, 8), f).ok());
    expect_bad_ste(s.set(S1CDMAX_HI, S1CDMAX_LO, 9), f);
    f.ssid_bits = 0;  // IGNORED without substreams
    EXPECT_TRUE(decode(s.set(S1CDMAX_HI, S1CDMAX_LO, 31), f).ok());
}

TEST(Smmuv3Ste, TwoLevelCdTableNeedsCd2l) {
    Features f;
    f.two_level_cd = false;
    Ste s = stage1_ste();
    expect_bad_ste(s.set(S1FMT_HI, S1FMT_LO, 0b01), f);
    expect_bad_ste(s.set(S1FMT_HI, S1FMT_LO, 0b10), f);
    EXPECT_TRUE(decode(s.set(S1FMT_HI, S1FMT_LO, 0b11), f).ok());  // reserved, behaves as linear
    s.set(S1FMT_HI, S1FMT_LO, 0b01);
    EXPECT_TRUE(decode(s.set(S1CDMAX_HI, S1CDMAX_LO, 0), f).ok());  // substreams disabled: IGNORED
    f.two_level_cd = true;
    EXPECT_TRUE(decode(s.set(S1CDMAX_HI, S1CDMAX_LO, 4), f).ok());
}

TEST(Smmuv3Ste, ContextPointerBeyondTheOasIsIllegal) {
    Features f;
    f.oas_bits = 48;
    Ste s = stage1_ste();
    s.set(S1CDMAX_HI, S1CDMAX_LO, 0);
    EXPECT_TRUE(decode(s.s1ctx(0xFFFF'FFFF'FFC0ull), f).ok());
    expect_bad_ste(s.s1ctx(0x1'0000'0000'0000ull), f);  // bit 48
    Ste nested = stage2_ste();
    nested.config(0b111).s1ctx(0x1'0000'0000'0000ull);
    expect_bad_ste(nested, f);
}

TEST(Smmuv3Ste, S2sAgainstTheStallModel) {
    Features f;
    Ste s = stage2_ste();
    f.stall_model = StallModel::terminate_only;
    expect_bad_ste(Ste(s).set(S2S, true), f);
    EXPECT_TRUE(decode(s, f).ok());
    f.stall_model = StallModel::stall_forced;
    expect_bad_ste(s, f);
    EXPECT_TRUE(decode(Ste(s).set(S2S, true), f).ok());
    f.stall_model = StallModel::stall_and_terminate;
    EXPECT_TRUE(decode(s, f).ok());
    EXPECT_TRUE(decode(Ste(s).set(S2S, true), f).value.s2_s);
}

TEST(Smmuv3Ste, AArch32StageTwoIsIllegal) {
    Ste s = stage2_ste();
    expect_bad_ste(s.set(S2AA64, false));
}

TEST(Smmuv3Ste, HardwareUpdateNeedsHttu) {
    Features f;  // HTTU 0
    Ste s = stage2_ste();
    expect_bad_ste(Ste(s).set(S2HA, true), f);
    expect_bad_ste(Ste(s).set(S2HD, true), f);
    f.httu = 1;  // access flag only
    const auto ha = decode(Ste(s).set(S2HA, true), f);
    ASSERT_TRUE(ha.ok());
    EXPECT_TRUE(ha.value.s2_ha);
    EXPECT_TRUE(ha.value.stage2.access_flag_fault_disabled);
    expect_bad_ste(Ste(s).set(S2HA, true).set(S2HD, true), f);
    f.httu = 2;
    EXPECT_TRUE(decode(Ste(s).set(S2HA, true).set(S2HD, true), f).value.s2_hd);
}

TEST(Smmuv3Ste, S2AffdDisablesTheAccessFlagFault) {
    Ste s = stage2_ste();
    EXPECT_TRUE(decode(s.set(S2AFFD, true)).value.stage2.access_flag_fault_disabled);
}

TEST(Smmuv3Ste, S2tgMustBeAnAdvertisedGranule) {
    Features f;  // 4 KiB and 64 KiB
    Ste s = stage2_ste();
    expect_bad_ste(Ste(s).set(S2TG_HI, S2TG_LO, 0b11), f);
    // 16 KiB, 40-bit IPA, S2SL0 1: level 2 resolves IPA[39:25] = 15 bits (two tables).
    Ste sixteen = s;
    sixteen.set(S2TG_HI, S2TG_LO, 0b10);
    expect_bad_ste(sixteen, f);
    f.granule_16k = true;
    const auto r = decode(sixteen, f);
    ASSERT_TRUE(r.ok()) << r.reason;
    EXPECT_EQ(r.value.stage2.granule_bits, 14u);
    EXPECT_EQ(r.value.stage2.start_level, 2u);
    f.granule_4k = false;
    expect_bad_ste(s, f);
}

TEST(Smmuv3Ste, S2ttbOutsideTheOutputRangeIsIllegal) {
    Features f;
    Ste s = stage2_ste();  // S2PS 40 bits
    expect_bad_ste(Ste(s).s2ttb(0x100'0000'0000ull), f);  // bit 40
    EXPECT_TRUE(decode(Ste(s).s2ttb(0xFF'FFFF'E000ull), f).ok());
    // 52-bit S2PS and OAS: a 4 KiB-granule S2TTB must still be within 48 bits; 64 KiB need not be.
    f.oas_bits = 52;
    Ste wide = s;
    wide.set(S2PS_HI, S2PS_LO, 0b110).s2ttb(0x1'0000'0000'0000ull);
    expect_bad_ste(wide, f);
    wide.set(S2TG_HI, S2TG_LO, 0b01).set(S2T0SZ_HI, S2T0SZ_LO, 22);  // 64 KiB, 42-bit IPA, SL0 1
    const auto r = decode(wide, f);
    ASSERT_TRUE(r.ok()) << r.reason;
    EXPECT_EQ(r.value.stage2.table_base, 0x1'0000'0000'0000ull);
}

TEST(Smmuv3Ste, S2t0szOutOfRangeIsIllegal) {
    Features f;  // OAS 48: S2T0SZ 16..39
    Ste s = stage2_ste();
    // S2T0SZ 39 (25-bit IPA) with S2SL0 0: level 2 resolves IPA[24:21] = 4 bits.
    EXPECT_TRUE(decode(Ste(s).set(S2T0SZ_HI, S2T0SZ_LO, 39).set(S2SL0_HI, S2SL0_LO, 0), f).ok());
    expect_bad_ste(Ste(s).set(S2T0SZ_HI, S2T0SZ_LO, 40).set(S2SL0_HI, S2SL0_LO, 0), f);
    // S2T0SZ 16 (48-bit IPA) with S2SL0 2: level 0 resolves IPA[47:39] = 9 bits.
    EXPECT_TRUE(decode(Ste(s).set(S2T0SZ_HI, S2T0SZ_LO, 16).set(S2SL0_HI, S2SL0_LO, 2), f).ok());
    expect_bad_ste(Ste(s).set(S2T0SZ_HI, S2T0SZ_LO, 15).set(S2SL0_HI, S2SL0_LO, 2), f);
    // The IPA cannot exceed the IAS (= OAS here): OAS 40 makes the minimum 24.
    f.oas_bits = 40;
    EXPECT_TRUE(decode(s, f).ok());
    expect_bad_ste(Ste(s).set(S2T0SZ_HI, S2T0SZ_LO, 23), f);
}

TEST(Smmuv3Ste, FiftyTwoBitIpaIsRefusedByThisModel) {
    Features f;
    f.oas_bits = 52;
    // 64 KiB granule, S2T0SZ 12 is architecturally legal with a 52-bit IAS; the walker resolves at
    // most 48 input bits, so the model refuses it.
    Ste s = stage2_ste();
    s.set(S2TG_HI, S2TG_LO, 0b01).set(S2T0SZ_HI, S2T0SZ_LO, 12).set(S2SL0_HI, S2SL0_LO, 2).set(S2PS_HI, S2PS_LO, 6);
    expect_bad_ste(s, f);
}

TEST(Smmuv3Ste, S2sl0InconsistentWithS2t0szIsIllegal) {
    Ste s = stage2_ste();
    // 40-bit IPA from level 2 (S2SL0 0) would need 2^(40-21-9) = 1024 concatenated tables.
    expect_bad_ste(Ste(s).set(S2SL0_HI, S2SL0_LO, 0));
    // From level 0 (S2SL0 2) a 40-bit IPA resolves IPA[39:39], which is consistent; a 39-bit IPA
    // (S2T0SZ 25) leaves nothing for level 0 to resolve, which is not.
    EXPECT_TRUE(decode(Ste(s).set(S2SL0_HI, S2SL0_LO, 2)).ok());
    expect_bad_ste(Ste(s).set(S2SL0_HI, S2SL0_LO, 2).set(S2T0SZ_HI, S2T0SZ_LO, 25));
    expect_bad_ste(Ste(s).set(S2SL0_HI, S2SL0_LO, 3));  // reserved
}

TEST(Smmuv3Ste, S2endiAgainstTtendian) {
    Features f;  // little-endian only
    Ste s = stage2_ste();
    expect_bad_ste(Ste(s).set(S2ENDI, true), f);
    f.endianness = TableEndianness::big;
    expect_bad_ste(s, f);
    EXPECT_TRUE(decode(Ste(s).set(S2ENDI, true), f).value.s2_endi);
    f.endianness = TableEndianness::mixed;
    EXPECT_TRUE(decode(s, f).ok());
    EXPECT_TRUE(decode(Ste(s).set(S2ENDI, true), f).ok());
}

TEST(Smmuv3Ste, WideVmidNeedsVmid16) {
    Features f;
    f.vmid16 = false;
    expect_bad_ste(Ste(stage2_ste()).set(S2VMID_HI, S2VMID_LO, 0x100), f);
    expect_bad_ste(Ste(stage1_ste()).set(S2VMID_HI, S2VMID_LO, 0x100), f);  // EL1 stage 1 is VMID-tagged
    EXPECT_TRUE(decode(Ste(stage2_ste()).set(S2VMID_HI, S2VMID_LO, 0xFF), f).ok());
    EXPECT_TRUE(decode(Ste(stage2_ste()).config(0b100).set(S2VMID_HI, S2VMID_LO, 0x100), f).ok());
    // An EL2 stage-1 stream does not use S2VMID.
    f.hyp = true;
    EXPECT_TRUE(decode(Ste(stage1_ste()).set(STRW_HI, STRW_LO, 0b10).set(S2VMID_HI, S2VMID_LO, 0x100), f).ok());
    f.vmid16 = true;
    EXPECT_EQ(decode(Ste(stage2_ste()).set(S2VMID_HI, S2VMID_LO, 0xBEEF), f).value.s2_vmid, 0xBEEFu);
}

TEST(Smmuv3Ste, EatsIgnoredWithoutAts) {
    Features f;  // ATS not implemented
    Ste s = stage2_ste();
    s.config(0b111).set(EATS_HI, EATS_LO, 0b10);
    const auto r = decode(s, f);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value.eats, 2u);
    EXPECT_EQ(r.value.effective_eats, 0u);
}

TEST(Smmuv3Ste, EatsLegalityWithAts) {
    Features f;
    f.ats = true;
    f.stall_model = StallModel::stall_and_terminate;
    Ste nested = stage2_ste();
    nested.config(0b111);
    // Split-stage ATS is not implemented (IDR0.NS1ATS == 1).
    expect_bad_ste(Ste(nested).set(EATS_HI, EATS_LO, 0b10), f);
    // Full ATS with stage 2 stalling is ILLEGAL; without S2S it is fine.
    expect_bad_ste(Ste(nested).set(EATS_HI, EATS_LO, 0b01).set(S2S, true), f);
    const auto full = decode(Ste(nested).set(EATS_HI, EATS_LO, 0b01), f);
    ASSERT_TRUE(full.ok());
    EXPECT_EQ(full.value.effective_eats, 1u);
    // Stage 1 only: S2S is IGNORED, full ATS is legal.
    EXPECT_TRUE(decode(Ste(stage1_ste()).set(EATS_HI, EATS_LO, 0b01).set(S2S, true), f).ok());
    // Bypass: EATS is effectively 0b00 and not checked.
    const auto bypass = decode(Ste(nested).config(0b100).set(EATS_HI, EATS_LO, 0b10), f);
    ASSERT_TRUE(bypass.ok());
    EXPECT_EQ(bypass.value.effective_eats, 0u);
    // 0b11 needs IDR3.DPT: reserved, behaves as 0b00.
    EXPECT_EQ(decode(Ste(nested).set(EATS_HI, EATS_LO, 0b11), f).value.effective_eats, 0u);
}

}  // namespace
