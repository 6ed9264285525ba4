// SMMUv3 event record encoding. The expected four 64-bit words of each record are built by hand
// from the layouts of SMMUv3 7.3.x (record bit n is bit n % 64 of word n / 64): event number
// [7:0], SSV 11, SubstreamID [31:12], StreamID [63:32]; STAG [79:64], Stall 95, PnU 97, InD 98,
// RnW 99, NSIPA 100, S2 103, CLASS [105:104], TTRnW 108; InputAddr [191:128]; IPA [247:204];
// FetchAddr [247:195]; Reason [79:64] (fetch events), [95:80] (F_UUT), [95:64] (F_CFG_CONFLICT).
#include "models/smmuv3/event.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

namespace {

using namespace iommu_vp::smmuv3;
using Words = std::array<std::uint64_t, 4>;

EventRecord record(EventType type, std::uint32_t sid) {
    EventRecord r;
    r.type = type;
    r.stream_id = sid;
    return r;
}

TEST(Smmuv3EventRecord, TranslationFaultAtStageTwo) {
    EventRecord r = record(EventType::F_TRANSLATION, 0x1234);
    r.ssv = true;
    r.substream_id = 0x5;
    r.input_addr = 0xFFFF800012345678ull;
    r.s2 = true;
    r.event_class = EventClass::IN;
    r.rnw = true;
    r.pnu = true;
    r.ipa = 0x0000008012345678ull;
    // dw0: 0x10 | SSV 0x800 | SSID 0x5000 | SID 0x1234 << 32.
    // dw1: PnU bit 33, RnW bit 35, S2 bit 39, CLASS IN (2) at bit 40.
    // dw3: IPA[55:12] in place, low 12 bits dropped.
    const Words expected = {0x0000123400005810ull, 0x0000028A00000000ull, 0xFFFF800012345678ull,
                            0x0000008012345000ull};
    EXPECT_EQ(r.encode(), expected);
}

TEST(Smmuv3EventRecord, TranslationFaultAtStageOneHasNoIpaAndNoStagWithoutStall) {
    EventRecord r = record(EventType::F_TRANSLATION, 0x2);
    r.input_addr = 0x4000;
    r.s2 = false;
    r.event_class = EventClass::IN;
    r.rnw = true;
    r.ind = true;
    r.ipa = 0x99999000;   // UNKNOWN at stage 1: written as 0
    r.stag = 0x1234;      // no Stall: written as 0
    r.ssv = false;
    r.substream_id = 0x7;  // no SSV: written as 0
    // dw1: InD bit 34, RnW bit 35, CLASS IN.
    const Words expected = {0x0000000200000010ull, 0x0000020C00000000ull, 0x4000ull, 0ull};
    EXPECT_EQ(r.encode(), expected);
}

TEST(Smmuv3EventRecord, PermissionFaultOnATableWalkWithStall) {
    EventRecord r = record(EventType::F_PERMISSION, 7);
    r.ssv = false;
    r.substream_id = 9;
    r.input_addr = 0x1000;
    r.s2 = true;
    r.event_class = EventClass::TT;
    r.ttrnw = true;
    r.stall = true;
    r.stag = 0xBEEF;
    r.rnw = false;
    r.ind = true;  // InD == 0 for a write: not encoded
    r.ipa = 0x40001008;
    // dw1: STAG 0xBEEF, Stall bit 31, S2 bit 39, CLASS TT (1) bit 40, TTRnW bit 44.
    const Words expected = {0x0000000700000013ull, 0x000011808000BEEFull, 0x1000ull, 0x40001000ull};
    EXPECT_EQ(r.encode(), expected);
}

TEST(Smmuv3EventRecord, TtrnwOnlyForClassTtAndOnlyForPermission) {
    EventRecord perm = record(EventType::F_PERMISSION, 1);
    perm.event_class = EventClass::IN;
    perm.ttrnw = true;
    perm.s2 = true;
    EXPECT_EQ(perm.encode()[1], 0x0000028000000000ull);  // S2 + CLASS IN, no bit 44
    EventRecord access = record(EventType::F_ACCESS, 1);
    access.event_class = EventClass::TT;
    access.ttrnw = true;
    EXPECT_EQ(access.encode()[1], 0x0000010000000000ull);  // CLASS TT only
    EXPECT_EQ(access.encode()[0], 0x0000000100000012ull);
    EventRecord size = record(EventType::F_ADDR_SIZE, 1);
    size.event_class = EventClass::CD;
    size.nsipa = true;
    EXPECT_EQ(size.encode()[1], 0x0000001000000000ull);  // NSIPA bit 100 = dw1 bit 36, CLASS CD = 0
    EXPECT_EQ(size.encode()[0] & 0xFF, 0x11u);
}

TEST(Smmuv3EventRecord, WalkExternalAbort) {
    EventRecord r = record(EventType::F_WALK_EABT, 3);
    r.ssv = true;
    r.substream_id = 0xFFFFF;
    r.s2 = false;
    r.event_class = EventClass::TT;
    r.rnw = true;
    r.ind = true;
    r.input_addr = 0x7000;
    r.fetch_addr = 0x0000001234567FFDull;  // FetchAddr[55:3]: low three bits dropped
    r.ipa = 0x999000;                      // no IPA field in this event
    r.stall = true;                        // no Stall field in this event
    r.stag = 0x55;
    // dw0: 0x0B | 0x800 | 0xFFFFF000 | 3 << 32. dw1: InD 34, RnW 35, CLASS TT bit 40.
    const Words expected = {0x00000003FFFFF80Bull, 0x0000010C00000000ull, 0x7000ull, 0x0000001234567FF8ull};
    EXPECT_EQ(r.encode(), expected);
}

TEST(Smmuv3EventRecord, ConfigurationErrorsCarryOnlyTheStream) {
    EventRecord r = record(EventType::C_BAD_STE, 0xABCD);
    r.ssv = true;
    r.substream_id = 0x42;
    r.input_addr = 0x1234;  // not part of C_BAD_STE
    r.rnw = true;
    r.fetch_addr = 0x8000;
    const Words expected = {0x0000ABCD00042804ull, 0, 0, 0};
    EXPECT_EQ(r.encode(), expected);
    r.type = EventType::C_BAD_STREAMID;
    EXPECT_EQ(r.encode(), (Words{0x0000ABCD00042802ull, 0, 0, 0}));
    r.type = EventType::C_BAD_CD;
    EXPECT_EQ(r.encode(), (Words{0x0000ABCD0004280Aull, 0, 0, 0}));
}

TEST(Smmuv3EventRecord, BadSubstreamIdAlwaysCarriesTheSubstreamIdWithoutSsv) {
    EventRecord r = record(EventType::C_BAD_SUBSTREAMID, 1);
    r.ssv = false;
    r.substream_id = 0x77;
    EXPECT_EQ(r.encode(), (Words{0x0000000100077008ull, 0, 0, 0}));
    r.ssv = true;  // there is no SSV bit in this record
    EXPECT_EQ(r.encode(), (Words{0x0000000100077008ull, 0, 0, 0}));
}

TEST(Smmuv3EventRecord, FetchFaults) {
    EventRecord ste = record(EventType::F_STE_FETCH, 0x20);
    ste.fetch_addr = 0x80000040;
    ste.reason = 0x12;
    EXPECT_EQ(ste.encode(), (Words{0x0000002000000003ull, 0x12ull, 0, 0x80000040ull}));
    EventRecord cd = record(EventType::F_CD_FETCH, 5);
    cd.ssv = true;
    cd.substream_id = 1;
    cd.fetch_addr = 0x0000000100000040ull;
    EXPECT_EQ(cd.encode(), (Words{0x0000000500001809ull, 0, 0, 0x0000000100000040ull}));
}

TEST(Smmuv3EventRecord, UnsupportedUpstreamTransaction) {
    EventRecord r = record(EventType::F_UUT, 1);
    r.reason = 0xABCD;
    r.rnw = true;
    r.pnu = true;
    r.ind = true;
    r.input_addr = 0xDEAD0000;
    r.fetch_addr = 0x1000;  // not part of F_UUT
    // dw1: Reason [95:80] = dw1[31:16], PnU 33, InD 34, RnW 35.
    EXPECT_EQ(r.encode(), (Words{0x0000000100000001ull, 0x0000000EABCD0000ull, 0xDEAD0000ull, 0}));
}

TEST(Smmuv3EventRecord, StreamDisabledAndTranslationForbidden) {
    EventRecord disabled = record(EventType::F_STREAM_DISABLED, 9);
    disabled.ssv = true;
    disabled.substream_id = 3;
    disabled.input_addr = 0x1000;
    EXPECT_EQ(disabled.encode(), (Words{0x0000000900000006ull, 0, 0, 0}));
    EventRecord forbidden = record(EventType::F_TRANSL_FORBIDDEN, 2);
    forbidden.rnw = true;
    forbidden.pnu = true;  // only RnW is recorded
    forbidden.input_addr = 0x12345000;
    EXPECT_EQ(forbidden.encode(), (Words{0x0000000200000007ull, 0x0000000800000000ull, 0x12345000ull, 0}));
}

TEST(Smmuv3EventRecord, Conflicts) {
    EventRecord cfg = record(EventType::F_CFG_CONFLICT, 4);
    cfg.ssv = true;
    cfg.substream_id = 2;
    cfg.reason = 0x12345678;
    EXPECT_EQ(cfg.encode(), (Words{0x0000000400002821ull, 0x12345678ull, 0, 0}));
    EventRecord tlb = record(EventType::F_TLB_CONFLICT, 4);
    tlb.s2 = true;
    tlb.rnw = true;
    tlb.input_addr = 0x8000;
    tlb.ipa = 0x5000;
    EXPECT_EQ(tlb.encode(), (Words{0x0000000400000020ull, 0x0000008800000000ull, 0x8000ull, 0x5000ull}));
    tlb.s2 = false;  // IPA valid only with S2
    EXPECT_EQ(tlb.encode()[3], 0u);
}

TEST(Smmuv3EventRecord, BytesAreLittleEndianWordsInOrder) {
    EventRecord r = record(EventType::F_TRANSLATION, 0x01020304);
    r.input_addr = 0x1122334455667788ull;
    const std::array<std::uint8_t, 32> bytes = r.encode_bytes();
    EXPECT_EQ(bytes[0], 0x10);
    EXPECT_EQ(bytes[4], 0x04);
    EXPECT_EQ(bytes[7], 0x01);
    EXPECT_EQ(bytes[13], 0x02);  // CLASS IN: dw1 bit 41 = byte 13 bit 1
    EXPECT_EQ(bytes[16], 0x88);
    EXPECT_EQ(bytes[23], 0x11);
    EXPECT_EQ(bytes[31], 0x00);
}

TEST(Smmuv3EventRecord, TypeCodes) {
    EXPECT_EQ(static_cast<int>(EventType::F_UUT), 0x01);
    EXPECT_EQ(static_cast<int>(EventType::C_BAD_STREAMID), 0x02);
    EXPECT_EQ(static_cast<int>(EventType::F_STE_FETCH), 0x03);
    EXPECT_EQ(static_cast<int>(EventType::C_BAD_STE), 0x04);
    EXPECT_EQ(static_cast<int>(EventType::F_STREAM_DISABLED), 0x06);
    EXPECT_EQ(static_cast<int>(EventType::F_TRANSL_FORBIDDEN), 0x07);
    EXPECT_EQ(static_cast<int>(EventType::C_BAD_SUBSTREAMID), 0x08);
    EXPECT_EQ(static_cast<int>(EventType::F_CD_FETCH), 0x09);
    EXPECT_EQ(static_cast<int>(EventType::C_BAD_CD), 0x0A);
    EXPECT_EQ(static_cast<int>(EventType::F_WALK_EABT), 0x0B);
    EXPECT_EQ(static_cast<int>(EventType::F_TRANSLATION), 0x10);
    EXPECT_EQ(static_cast<int>(EventType::F_ADDR_SIZE), 0x11);
    EXPECT_EQ(static_cast<int>(EventType::F_ACCESS), 0x12);
    EXPECT_EQ(static_cast<int>(EventType::F_PERMISSION), 0x13);
    EXPECT_EQ(static_cast<int>(EventType::F_TLB_CONFLICT), 0x20);
    EXPECT_EQ(static_cast<int>(EventType::F_CFG_CONFLICT), 0x21);
}

TEST(Smmuv3EventDescribe, NamesTheEventAndItsFields) {
    EventRecord r = record(EventType::F_PERMISSION, 0x3);
    r.ssv = true;
    r.substream_id = 0x5;
    r.input_addr = 0xABC000;
    r.s2 = true;
    r.event_class = EventClass::TT;
    r.rnw = true;
    r.ipa = 0x7000;
    const std::string text = describe(r);
    EXPECT_NE(text.find("F_PERMISSION"), std::string::npos) << text;
    EXPECT_NE(text.find("sid=0x3"), std::string::npos) << text;
    EXPECT_NE(text.find("ssid=0x5"), std::string::npos) << text;
    EXPECT_NE(text.find("input=0xabc000"), std::string::npos) << text;
    EXPECT_NE(text.find("class=TT"), std::string::npos) << text;
    EXPECT_NE(text.find("ipa=0x7000"), std::string::npos) << text;
    EXPECT_STREQ(event_type_name(EventType::C_BAD_SUBSTREAMID), "C_BAD_SUBSTREAMID");
}

}  // namespace
