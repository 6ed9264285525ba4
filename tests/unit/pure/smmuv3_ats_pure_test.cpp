// SMMUv3 ATS and PRI formats, checked without SystemC: the PRI queue entry (chapter 8: word 0
// StreamID [31:0], SubstreamID [51:32], Priv 58, Exe 59, R 60, W 61, Last 62, SSV 63; word 1
// PRGIndex [8:0], page address [63:12]), CMD_ATC_INV's span (4.5.1: 4096 * 2^Size bytes, Address
// aligned to it, Size 52 for everything) and CMD_PRI_RESP's fields (4.5.2: PRGIndex [8:0] and Resp
// [13:12] of word 1), the identification and PRI-queue registers (6.3: IDR0 ATS 10, NS1ATS 11, PRI
// 16; IDR1 PRIQS [15:11]; PRIQ_BASE 0xC0, PRIQ_PROD 0x100C8 and PRIQ_CONS 0x100CC with OVFLG /
// OVACKFLG bit 31, PRIQ_IRQ_CFG2 0xDC with LO bit 31; CR0 PRIQEN 1, ATSCHK 4), STE.PPAR (STE bit 82),
// the F_BAD_ATS_TREQ record's common fields (7.3.6) and the answers of 3.9.1.2 to a translation
// request's faults. Expected values worked out by hand from the specification.
#include "models/smmuv3/command.h"
#include "models/smmuv3/event.h"
#include "models/smmuv3/page_request.h"
#include "models/smmuv3/registers.h"
#include "models/smmuv3/ste.h"
#include "models/smmuv3/translate.h"

#include <gtest/gtest.h>

namespace {

using namespace iommu_vp;
using namespace iommu_vp::smmuv3;

Features ats_pri() {
    Features f;
    f.ats = true;
    f.pri = true;
    return f;
}

TEST(Smmuv3AtsFormats, PriQueueEntryFields) {
    PriQueueEntry e;
    e.stream_id = 0x12345;
    e.ssv = true;
    e.substream_id = 0xabcde;
    e.privileged = true;
    e.write = true;
    e.last = true;
    e.prg_index = 0x1ff;
    e.page_address = 0xffff'8000'1234'5678ull;
    const auto words = e.encode();
    EXPECT_EQ(words[0], 0x12345ull | (0xabcdeull << 32) | (1ull << 58) | (1ull << 61) | (1ull << 62) | (1ull << 63));
    EXPECT_EQ(words[1], 0xffff'8000'1234'5000ull | 0x1ff);
    const auto bytes = e.encode_bytes();
    EXPECT_EQ(bytes[0], 0x45);  // little-endian
    EXPECT_EQ(bytes[15], 0xff);
    // Without SSV the SubstreamID, Exe and Priv are not written.
    e.ssv = false;
    e.execute = true;
    EXPECT_EQ(e.encode()[0], 0x12345ull | (1ull << 61) | (1ull << 62));
    // A Stop Marker: PASID, L = 1, W = R = 0.
    PriQueueEntry stop;
    stop.ssv = true;
    stop.last = true;
    EXPECT_TRUE(stop.is_stop_marker());
    stop.read = true;
    EXPECT_FALSE(stop.is_stop_marker());
}

TEST(Smmuv3AtsFormats, AtcInvalidationSpanAndPriResponseFields) {
    const Features f = ats_pri();
    // Size 0: one 4 KiB page at Address[63:12].
    DecodedCommand c = decode_command(0x40 | (7ull << 32), 0x1234'5000ull, f);
    EXPECT_EQ(c.kind, CommandKind::atc_inv);
    EXPECT_EQ(c.atc_span_bytes(), 4096u);
    EXPECT_EQ(c.atc_address(), 0x1234'5000u);
    // Size 9: 2 MiB, Address aligned down to it.
    c = decode_command(0x40, 0x1234'5000ull | 9, f);
    EXPECT_EQ(c.atc_span_bytes(), 2ull << 20);
    EXPECT_EQ(c.atc_address(), 0x1220'0000u);
    // Size 52: every address.
    c = decode_command(0x40, 52, f);
    EXPECT_TRUE(c.atc_invalidates_all());
    // CMD_PRI_RESP.
    c = decode_command(0x41 | (1ull << 11) | (5ull << 12) | (9ull << 32), 0x155 | (0b01ull << 12), f);
    EXPECT_EQ(c.kind, CommandKind::pri_resp);
    EXPECT_EQ(c.stream_id, 9u);
    EXPECT_TRUE(c.ssv);
    EXPECT_EQ(c.substream_id, 5u);
    EXPECT_EQ(c.prg_index, 0x155);
    EXPECT_EQ(c.pri_response, kPriRespInvalidRequest);
    EXPECT_STREQ(command_kind_name(CommandKind::atc_inv), "atc_inv");
    EXPECT_STREQ(command_kind_name(CommandKind::pri_resp), "pri_resp");
}

std::uint64_t read(RegisterBank& bank, std::uint64_t offset, unsigned size = 4) {
    std::uint64_t value = 0;
    EXPECT_EQ(bank.read(offset, size, value), RegisterAccessStatus::ok) << std::hex << offset;
    return value;
}

TEST(Smmuv3AtsFormats, IdentificationAndPriQueueRegisters) {
    Features f = ats_pri();
    f.priq_log2_entries = 11;
    RegisterBank bank("smmu");
    add_registers(bank, f, Identity{}, false);
    const std::uint64_t idr0 = read(bank, 0x000);
    EXPECT_EQ(idr0 & (1u << 10), 1u << 10);  // ATS
    EXPECT_EQ(idr0 & (1u << 11), 1u << 11);  // NS1ATS
    EXPECT_EQ(idr0 & (1u << 16), 1u << 16);  // PRI
    EXPECT_EQ((read(bank, 0x004) >> 11) & 0x1f, 11u);  // PRIQS
    // CR0: PRIQEN and ATSCHK are writable with PRI and ATS.
    bank.write(0x020, 4, 0x1f);
    EXPECT_EQ(read(bank, 0x020), 0x1fu);
    // The PRI queue registers.
    bank.write(0x0c0, 8, 0x1234'5000ull | 5);
    EXPECT_EQ(read(bank, 0x0c0, 8), 0x1234'5000ull | 5);
    bank.write(0x100c8, 4, 0x8000'0003u);
    EXPECT_EQ(read(bank, 0x100c8), 0x8000'0003u);
    bank.write(0x100cc, 4, 0x8000'0002u);
    EXPECT_EQ(read(bank, 0x100cc), 0x8000'0002u);
    bank.write(0x0d0, 8, 0x9000'0000ull);
    EXPECT_EQ(read(bank, 0x0d0, 8), 0x9000'0000ull);
    bank.write(0x0d8, 4, 0xabcd);
    EXPECT_EQ(read(bank, 0x0d8), 0xabcdu);
    bank.write(0x0dc, 4, 0x8000'0031u);  // LO, SH, MemAttr
    EXPECT_EQ(read(bank, 0x0dc), 0x8000'0031u);
    // GERRORN: PRIQ_ABT_ERR (3) and MSI_PRIQ_ABT_ERR (6) are defined with PRI (and MSI).
    bank.write(0x064, 4, 0x48);
    EXPECT_EQ(read(bank, 0x064), 0x48u);
}

TEST(Smmuv3AtsFormats, StePparNeedsPriAndSubstreams) {
    SteWords words{};
    words[0] = 1 | (0b100 << 1);  // valid bypass
    words[1] = 1ull << 18;        // PPAR
    EXPECT_TRUE(decode_ste(words, ats_pri()).value.ppar);
    Features no_pri = ats_pri();
    no_pri.pri = false;
    EXPECT_FALSE(decode_ste(words, no_pri).value.ppar);  // RES0
    Features no_substreams = ats_pri();
    no_substreams.ssid_bits = 0;
    EXPECT_FALSE(decode_ste(words, no_substreams).value.ppar);
}

TEST(Smmuv3AtsFormats, BadAtsTreqRecordCommonFields) {
    EventRecord e;
    e.type = EventType::F_BAD_ATS_TREQ;
    e.stream_id = 0x42;
    e.ssv = true;
    e.substream_id = 0x17;
    e.input_addr = 0x8000'1000;
    e.rnw = true;
    const auto words = e.encode();
    EXPECT_EQ(words[0], 0x05u | (1ull << 11) | (0x17ull << 12) | (0x42ull << 32));
    EXPECT_EQ(words[1], 0u);
    EXPECT_EQ(words[2], 0x8000'1000u);
    EXPECT_EQ(words[3], 0u);
}

TEST(Smmuv3AtsFormats, TranslationRequestAnswers) {
    TranslationResult r;
    r.kind = TranslationResult::Kind::translated;
    EXPECT_EQ(ats_answer(r), AtsAnswer::translation);
    r.kind = TranslationResult::Kind::terminated;
    for (EventType t : {EventType::F_TRANSLATION, EventType::F_ADDR_SIZE, EventType::F_ACCESS, EventType::F_PERMISSION}) {
        r.event.type = t;
        EXPECT_EQ(ats_answer(r), AtsAnswer::no_translation) << event_type_name(t);
    }
    r.event.type = EventType::F_BAD_ATS_TREQ;
    EXPECT_EQ(ats_answer(r), AtsAnswer::unsupported_request);
    for (EventType t : {EventType::C_BAD_STREAMID, EventType::F_STE_FETCH, EventType::C_BAD_STE,
                        EventType::C_BAD_SUBSTREAMID, EventType::F_STREAM_DISABLED, EventType::F_CD_FETCH,
                        EventType::C_BAD_CD, EventType::F_WALK_EABT}) {
        r.event.type = t;
        EXPECT_EQ(ats_answer(r), AtsAnswer::completer_abort) << event_type_name(t);
    }
    r.stream_aborted = true;  // STE.Config == 0b000
    EXPECT_EQ(ats_answer(r), AtsAnswer::unsupported_request);
}

}  // namespace
