// SMMUv3 stall model, pure parts: CMD_RESUME / CMD_STALL_TERM decoding (SMMUv3 4.7.1, 4.7.2: opcode
// 0x44 / 0x45, Ac [12] 1 = retry, Ab [13], StreamID [63:32], STAG in word 1 [15:0]) and which faults
// translate() marks to stall (3.12, 5.5: the four Translation-related faults at a stage whose S flag
// is set, never for ATS translation requests nor for the F_ADDR_SIZE of a bypassed stage 1).
// Encodings from the specification: STE (5.2) V [0], Config [3:1], S1ContextPtr [51:6]; word 2
// S2T0SZ [37:32], S2SL0 [39:38], S2TG [47:46], S2PS [50:48], S2AA64 [51], S2S [57], S2R [58]; S2TTB
// in word 3. CD (5.4) T0SZ [5:0], EPD1 [30], V [31], IPS [34:32], AA64 [41], S [44], R [45], A [46],
// ASID [63:48]; TTB0 in word 1.
#include "models/smmuv3/command.h"
#include "models/smmuv3/translate.h"

#include "models/memory/sparse_store.h"
#include "models/smmuv3/stream_table.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

namespace {

using namespace iommu_vp;
using namespace iommu_vp::smmuv3;

std::uint64_t at(std::uint64_t value, unsigned lsb) { return value << lsb; }

Features stalling(StallModel model = StallModel::stall_and_terminate) {
    Features f;
    f.stall_model = model;
    return f;
}

TEST(Smmuv3StallCommands, ResumeDecodesActionAbortStreamAndStag) {
    const DecodedCommand retry = decode_command(0x44 | at(1, 12) | at(1, 13) | at(0x21, 32), 0x1234, stalling());
    EXPECT_EQ(retry.kind, CommandKind::resume);
    EXPECT_TRUE(retry.resume_retry);
    EXPECT_FALSE(retry.resume_abort);  // Ab IGNORED for a retry
    EXPECT_EQ(retry.stream_id, 0x21u);
    EXPECT_EQ(retry.stag, 0x1234);
    const DecodedCommand raz = decode_command(0x44 | at(0x21, 32), 7, stalling());
    EXPECT_FALSE(raz.resume_retry);
    EXPECT_FALSE(raz.resume_abort);  // Ab == 0: RAZ/WI
    const DecodedCommand abort = decode_command(0x44 | at(1, 13) | at(0x21, 32), 7, stalling());
    EXPECT_TRUE(abort.resume_abort);
    // TERM_MODEL == 1: Ab IGNORED, a termination aborts.
    Features abort_only = stalling();
    abort_only.term_model_abort_only = true;
    EXPECT_TRUE(decode_command(0x44 | at(0x21, 32), 7, abort_only).resume_abort);
    // Forced stall: legal as well.
    EXPECT_EQ(decode_command(0x44, 0, stalling(StallModel::stall_forced)).kind, CommandKind::resume);
    // No STAG bits beyond [15:0].
    EXPECT_EQ(decode_command(0x44, 0xffff'0000'0001'5678ull, stalling()).stag, 0x5678);
}

TEST(Smmuv3StallCommands, StallTermAndTheTerminateOnlyModel) {
    const DecodedCommand term = decode_command(0x45 | at(0x33, 32), 0, stalling());
    EXPECT_EQ(term.kind, CommandKind::stall_term);
    EXPECT_EQ(term.stream_id, 0x33u);
    EXPECT_EQ(std::string(command_kind_name(CommandKind::stall_term)), "stall_term");
    EXPECT_EQ(std::string(command_kind_name(CommandKind::resume)), "resume");
    // IDR0.STALL_MODEL == 0b01: both are CERROR_ILL (4.7.1, 4.7.2).
    EXPECT_TRUE(decode_command(0x44, 0, stalling(StallModel::terminate_only)).is_illegal());
    EXPECT_TRUE(decode_command(0x45, 0, stalling(StallModel::terminate_only)).is_illegal());
    // A StreamID beyond SIDSIZE: no effect (CONSTRAINED UNPREDICTABLE, the model's choice).
    Features narrow = stalling();
    narrow.sid_bits = 4;
    EXPECT_TRUE(decode_command(0x45 | at(0x10, 32), 0, narrow).out_of_range);
}

// ---- translate(): which faults stall -----------------------------------------------------------

constexpr std::uint64_t kStreamTable = 0x1'0000, kCd = 0x2'0000, kS1Tables = 0x3'0000, kS2Tables = 0x4'0000;
constexpr std::uint64_t kVa = 0x0000'0080'8060'4abcull;  // level indices 1, 2, 3, 4

class Memory : public TableReader {
public:
    Memory() : store_(std::uint64_t{1} << 40) {}
    void put64(std::uint64_t address, std::uint64_t value) {
        std::uint8_t b[8];
        for (unsigned i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(value >> (8 * i));
        store_.write(address, b, 8);
    }
    bool read(std::uint64_t address, std::uint8_t* bytes, unsigned length) override {
        if (!store_.contains(address, length)) return false;
        store_.read(address, bytes, length);
        return true;
    }

private:
    SparseStore store_;
};

TranslationEnvironment environment(StallModel model = StallModel::stall_and_terminate) {
    TranslationEnvironment env;
    env.features.stall_model = model;
    env.stream_table = decode_stream_table_config(kStreamTable, 4, env.features);
    return env;
}

TranslationRequest request(std::uint32_t sid, std::uint64_t address, RequestKind kind = RequestKind::untranslated) {
    TranslationRequest r;
    r.stream_id = sid;
    r.address = address;
    r.kind = kind;
    return r;
}

// Stream 3: stage 1 through a CD with S, R, A as given; the level-1 table is empty (F_TRANSLATION).
void put_stage1(Memory& m, bool s, bool r, bool a) {
    m.put64(kStreamTable + 3 * 64, 1u | (0b101u << 1) | kCd);
    m.put64(kCd, 16u | (1ull << 30) | (1ull << 31) | (5ull << 32) | (1ull << 41) | at(s, 44) | at(r, 45) | at(a, 46) |
                     (1ull << 48));
    m.put64(kCd + 8, kS1Tables);
}

// Stream 4: stage 2 only (4 KiB, 40-bit IPA from level 1, 48-bit PS, AArch64) with S2S and S2R as
// given; the tables are empty.
void put_stage2(Memory& m, bool s2s, bool s2r) {
    m.put64(kStreamTable + 4 * 64, 1u | (0b110u << 1));
    m.put64(kStreamTable + 4 * 64 + 16, 1u | (24ull << 32) | (1ull << 38) | (5ull << 48) | (1ull << 51) | at(s2s, 57) |
                                            at(s2r, 58));
    m.put64(kStreamTable + 4 * 64 + 24, kS2Tables);
}

TEST(Smmuv3StallTranslate, Stage1FaultWithCdSStallsAndIsRecordedWhateverR) {
    Memory m;
    put_stage1(m, true, false, false);
    const TranslationResult r = translate(request(3, kVa), environment(), m);
    ASSERT_EQ(r.kind, TranslationResult::Kind::terminated);
    EXPECT_EQ(r.event.type, EventType::F_TRANSLATION);
    EXPECT_TRUE(r.stall);
    EXPECT_TRUE(r.record_event);  // S == 1: R ignored (5.5)
    // The same fault without S terminates as A says (RAZ/WI) and R says (not recorded).
    put_stage1(m, false, false, false);
    const TranslationResult t = translate(request(3, kVa), environment(), m);
    EXPECT_FALSE(t.stall);
    EXPECT_FALSE(t.record_event);
    EXPECT_EQ(t.response, FaultResponse::raz_wi);
}

TEST(Smmuv3StallTranslate, TranslationRequestsNeverStall) {
    Memory m;
    put_stage1(m, true, true, true);
    TranslationEnvironment env = environment();
    env.features.ats = true;
    m.put64(kStreamTable + 3 * 64 + 8, 1ull << 28);  // STE.EATS = 0b01 (word 1 [29:28])
    const TranslationResult r = translate(request(3, kVa, RequestKind::translation_request), env, m);
    EXPECT_FALSE(r.stall);
}

TEST(Smmuv3StallTranslate, Stage2FaultWithS2SStalls) {
    Memory m;
    put_stage2(m, true, false);
    const TranslationResult r = translate(request(4, 0x1000), environment(), m);
    ASSERT_EQ(r.kind, TranslationResult::Kind::terminated) << r.reason;
    EXPECT_EQ(r.event.type, EventType::F_TRANSLATION);
    EXPECT_TRUE(r.event.s2);
    EXPECT_TRUE(r.stall);
    EXPECT_TRUE(r.record_event);  // S2R ignored
    put_stage2(m, false, false);
    EXPECT_FALSE(translate(request(4, 0x1000), environment(), m).stall);
}

TEST(Smmuv3StallTranslate, AddressSizeFaultOfABypassedStage1AlwaysAborts) {
    Memory m;
    put_stage2(m, true, true);
    // Input beyond the 48-bit IAS with stage 1 bypassed: F_ADDR_SIZE, terminated (3.12).
    const TranslationResult r = translate(request(4, 1ull << 50), environment(), m);
    ASSERT_EQ(r.kind, TranslationResult::Kind::terminated);
    EXPECT_EQ(r.event.type, EventType::F_ADDR_SIZE);
    EXPECT_FALSE(r.stall);
    EXPECT_EQ(r.response, FaultResponse::abort);
}

}  // namespace
