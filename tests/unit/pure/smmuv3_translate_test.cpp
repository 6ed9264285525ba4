// SMMUv3 translation from tables in memory (the miss path), with every structure encoded here
// from the specification: STE (SMMUv3 5.2: V [0], Config [3:1], S1ContextPtr [51:6]; S2VMID
// [15:0], S2T0SZ [37:32], S2SL0 [39:38], S2TG [47:46], S2PS [50:48], S2AA64 [51], S2R [58] of
// word 2; S2TTB [51:4] of word 3), CD (5.4: T0SZ [5:0], TG0 [7:6], EPD1 [30], V [31], IPS
// [34:32], AA64 [41], R [45], A [46], ASID [63:48]; TTB0 [51:4] of word 1), and VMSAv8-64
// descriptors (table 0b11, block 0b01, page 0b11, AF bit 10, AP [7:6], S2AP [7:6]).
#include "models/smmuv3/translate.h"

#include "models/memory/sparse_store.h"
#include "models/smmuv3/caches.h"
#include "models/smmuv3/command.h"
#include "models/smmuv3/stream_table.h"

#include <gtest/gtest.h>

#include <array>
#include <set>

namespace {

using namespace iommu_vp;
using namespace iommu_vp::smmuv3;

constexpr std::uint64_t kStreamTable = 0x1'0000;  // linear, 16 STEs
constexpr std::uint64_t kCd = 0x2'0000;
constexpr std::uint64_t kS1Tables = 0x3'0000;
constexpr std::uint64_t kS2Tables = 0x4'0000;

constexpr std::uint64_t kAf = 1ull << 10;
constexpr std::uint64_t table(std::uint64_t a) { return a | 0b11; }
constexpr std::uint64_t page(std::uint64_t a, std::uint64_t attrs) { return a | 0b11 | kAf | attrs; }
constexpr std::uint64_t block(std::uint64_t a, std::uint64_t attrs) { return a | 0b01 | kAf | attrs; }
constexpr std::uint64_t kApAnyRw = 0b01ull << 6;
constexpr std::uint64_t kApAnyRo = 0b11ull << 6;
constexpr std::uint64_t kS2Rw = 0b11ull << 6;
constexpr std::uint64_t kPxn = 1ull << 53, kUxn = 1ull << 54;

class Memory : public TableReader {
public:
    Memory() : store_(std::uint64_t{1} << 40) {}
    void put64(std::uint64_t address, std::uint64_t value) {
        std::uint8_t b[8];
        for (unsigned i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(value >> (8 * i));
        store_.write(address, b, 8);
    }
    void put_words(std::uint64_t address, const std::array<std::uint64_t, 8>& words) {
        for (unsigned i = 0; i < 8; ++i) put64(address + 8 * i, words[i]);
    }
    void abort_at(std::uint64_t address) { aborts_.insert(address); }
    bool read(std::uint64_t address, std::uint8_t* bytes, unsigned length) override {
        ++reads;
        if (aborts_.count(address) || !store_.contains(address, length)) return false;
        store_.read(address, bytes, length);
        return true;
    }
    unsigned reads = 0;

private:
    SparseStore store_;
    std::set<std::uint64_t> aborts_;
};

std::array<std::uint64_t, 8> ste_words(unsigned config, std::uint64_t dw0_extra = 0, std::uint64_t dw2 = 0,
                                       std::uint64_t dw3 = 0) {
    return {1u | (std::uint64_t{config} << 1) | dw0_extra, 0, dw2, dw3, 0, 0, 0, 0};
}
constexpr unsigned kConfigAbort = 0b000, kConfigBypass = 0b100, kConfigS1 = 0b101, kConfigS2 = 0b110,
                   kConfigNested = 0b111;

// Stage 2: 4 KiB granule, 40-bit IPA (S2T0SZ 24), starting at level 1 (S2SL0 1) with two
// concatenated tables, 48-bit output (S2PS 0b101), AArch64, faults recorded, VMID 1.
constexpr std::uint64_t kStage2Dw2 = 1u | (24ull << 32) | (1ull << 38) | (0ull << 46) | (5ull << 48) | (1ull << 51) |
                                     (1ull << 58);
constexpr std::uint64_t kStage2Dw3 = kS2Tables;

// A CD: 48-bit VA (T0SZ 16), 4 KiB granule, TTB1 disabled, 48-bit IPS, AArch64, R and A as given.
std::array<std::uint64_t, 8> cd_words(bool record = true, bool abort = true) {
    const std::uint64_t dw0 = 16u | (1ull << 30) | (1ull << 31) | (5ull << 32) | (1ull << 41) |
                              (std::uint64_t{record} << 45) | (std::uint64_t{abort} << 46) | (1ull << 48);
    return {dw0, kS1Tables, 0, 0, 0, 0, 0, 0};
}

// VA with level indices 1, 2, 3, 4 and offset 0xabc: (1 << 39) | (2 << 30) | (3 << 21) | (4 << 12).
constexpr std::uint64_t kVa = 0x0000'0080'8060'4abcull;
constexpr std::uint64_t kPage = 0x4'5678'9000ull;

void put_stage1_tables(Memory& m, std::uint64_t leaf_attrs = kApAnyRw) {
    m.put64(kS1Tables + 1 * 8, table(kS1Tables + 0x1000));
    m.put64(kS1Tables + 0x1000 + 2 * 8, table(kS1Tables + 0x2000));
    m.put64(kS1Tables + 0x2000 + 3 * 8, table(kS1Tables + 0x3000));
    m.put64(kS1Tables + 0x3000 + 4 * 8, page(kPage, leaf_attrs));
}

TranslationEnvironment environment(bool record_invalid_sids = true) {
    TranslationEnvironment env;
    env.stream_table = decode_stream_table_config(kStreamTable, 4 /* LOG2SIZE, linear */, env.features);
    env.record_invalid_stream_ids = record_invalid_sids;
    return env;
}

TranslationRequest request(std::uint32_t sid, std::uint64_t address, bool write = false) {
    TranslationRequest r;
    r.stream_id = sid;
    r.address = address;
    r.write = write;
    return r;
}

TEST(Smmuv3Translate, Stage1PageWalk) {
    Memory m;
    m.put_words(kStreamTable + 3 * 64, ste_words(kConfigS1, kCd));
    m.put_words(kCd, cd_words());
    put_stage1_tables(m);
    const TranslationResult r = translate(request(3, kVa), environment(), m);
    ASSERT_EQ(r.kind, TranslationResult::Kind::translated) << r.reason;
    EXPECT_EQ(r.output_address, 0x4'5678'9abcull);
    EXPECT_EQ(r.size_bits, 12u);
    EXPECT_EQ(r.descriptor_fetches, 6u);  // STE, CD, four levels
}

TEST(Smmuv3Translate, BypassAndAbortStreams) {
    Memory m;
    m.put_words(kStreamTable + 1 * 64, ste_words(kConfigBypass));
    m.put_words(kStreamTable + 2 * 64, ste_words(kConfigAbort));
    const TranslationResult bypass = translate(request(1, 0x1234'5678), environment(), m);
    ASSERT_EQ(bypass.kind, TranslationResult::Kind::translated);
    EXPECT_EQ(bypass.output_address, 0x1234'5678u);
    const TranslationResult abort = translate(request(2, 0x1234'5678), environment(), m);
    EXPECT_EQ(abort.kind, TranslationResult::Kind::terminated);
    EXPECT_FALSE(abort.record_event);  // Config 0b000 aborts without an event
}

TEST(Smmuv3Translate, InvalidSteAndStreamIdOutOfRange) {
    Memory m;  // every STE reads as zero: V = 0
    const TranslationResult bad_ste = translate(request(5, 0x1000), environment(), m);
    EXPECT_EQ(bad_ste.kind, TranslationResult::Kind::terminated);
    EXPECT_TRUE(bad_ste.record_event);
    EXPECT_EQ(bad_ste.event.type, EventType::C_BAD_STE);
    EXPECT_EQ(bad_ste.event.stream_id, 5u);

    const TranslationResult out_of_range = translate(request(16, 0x1000), environment(true), m);  // 16 STEs
    EXPECT_EQ(out_of_range.event.type, EventType::C_BAD_STREAMID);
    EXPECT_TRUE(out_of_range.record_event);
    EXPECT_FALSE(translate(request(16, 0x1000), environment(false), m).record_event);  // CR2.RECINVSID = 0
}

TEST(Smmuv3Translate, AbortedSteFetch) {
    Memory m;
    m.abort_at(kStreamTable + 7 * 64);
    const TranslationResult r = translate(request(7, 0x1000), environment(), m);
    EXPECT_EQ(r.event.type, EventType::F_STE_FETCH);
    EXPECT_EQ(r.event.fetch_addr, kStreamTable + 7 * 64);
    EXPECT_TRUE(r.record_event);
}

TEST(Smmuv3Translate, Stage1FaultRecordingAndTermination) {
    Memory m;
    m.put_words(kStreamTable + 3 * 64, ste_words(kConfigS1, kCd));
    m.put_words(kCd, cd_words(true, true));
    put_stage1_tables(m);
    m.put64(kS1Tables + 0x3000 + 4 * 8, 0);  // the page is unmapped
    TranslationResult r = translate(request(3, kVa), environment(), m);
    EXPECT_EQ(r.event.type, EventType::F_TRANSLATION);
    EXPECT_TRUE(r.record_event);
    EXPECT_EQ(r.response, FaultResponse::abort);
    EXPECT_EQ(r.event.input_addr, kVa);
    EXPECT_FALSE(r.event.s2);
    EXPECT_EQ(r.event.event_class, EventClass::IN);

    m.put_words(kCd, cd_words(false, false));  // R = 0, A = 0: not recorded, RAZ/WI
    r = translate(request(3, kVa), environment(), m);
    EXPECT_FALSE(r.record_event);
    EXPECT_EQ(r.response, FaultResponse::raz_wi);
}

TEST(Smmuv3Translate, Stage1PermissionFault) {
    Memory m;
    m.put_words(kStreamTable + 3 * 64, ste_words(kConfigS1, kCd));
    m.put_words(kCd, cd_words());
    put_stage1_tables(m, kApAnyRo);
    EXPECT_EQ(translate(request(3, kVa, false), environment(), m).kind, TranslationResult::Kind::translated);
    const TranslationResult w = translate(request(3, kVa, true), environment(), m);
    EXPECT_EQ(w.event.type, EventType::F_PERMISSION);
    EXPECT_FALSE(w.event.rnw);
}

struct Stage1Fixture {
    Memory m;
    Stage1Fixture() {
        m.put_words(kStreamTable + 3 * 64, ste_words(kConfigS1, kCd));
        m.put_words(kCd, cd_words());
        put_stage1_tables(m);
    }
    TranslationResult run(std::uint64_t va = kVa) { return translate(request(3, va), environment(), m); }
};

TEST(Smmuv3Translate, OutputBeyondIpsIsAddressSizeFault) {
    Stage1Fixture f;
    std::array<std::uint64_t, 8> cd = cd_words();
    cd[0] &= ~(7ull << 32);  // IPS = 0b000: 32 bits, and the page is at 0x4_5678_9000
    f.m.put_words(kCd, cd);
    const TranslationResult r = f.run();
    EXPECT_EQ(r.event.type, EventType::F_ADDR_SIZE);
    EXPECT_TRUE(r.record_event);
}

TEST(Smmuv3Translate, AccessFlagClearIsAccessFault) {
    Stage1Fixture f;
    f.m.put64(kS1Tables + 0x3000 + 4 * 8, kPage | 0b11 | kApAnyRw);  // AF = 0
    EXPECT_EQ(f.run().event.type, EventType::F_ACCESS);
}

TEST(Smmuv3Translate, AbortedDescriptorFetchIsWalkEabtWithItsAddress) {
    Stage1Fixture f;
    f.m.abort_at(kS1Tables + 0x2000 + 3 * 8);  // the level-2 descriptor
    const TranslationResult r = f.run();
    EXPECT_EQ(r.event.type, EventType::F_WALK_EABT);
    EXPECT_EQ(r.event.fetch_addr, kS1Tables + 0x2000 + 3 * 8);
    EXPECT_TRUE(r.record_event);
    EXPECT_FALSE(r.event.s2);
    EXPECT_EQ(r.event.event_class, EventClass::TT);  // SMMUv3 7.3.12: a stage-1 table walk
}

// Substreams: S1CDMax = 2 (four CDs, a linear table of 64-byte CDs at kCd), S1DSS = 0b00 (a
// transaction without a SubstreamID is terminated).
struct SubstreamFixture {
    Memory m;
    SubstreamFixture() {
        m.put_words(kStreamTable + 3 * 64, ste_words(kConfigS1, kCd | (2ull << 59)));
        for (unsigned ssid = 0; ssid < 4; ++ssid) m.put_words(kCd + 64 * ssid, cd_words());
        put_stage1_tables(m);
    }
    TranslationResult run(std::optional<std::uint32_t> ssid) {
        TranslationRequest r = request(3, kVa);
        r.substream_id = ssid;
        return translate(r, environment(), m);
    }
};

TEST(Smmuv3Translate, SubstreamSelectsItsCd) {
    SubstreamFixture f;
    const TranslationResult r = f.run(2u);
    ASSERT_EQ(r.kind, TranslationResult::Kind::translated) << r.reason;
    EXPECT_EQ(r.output_address, 0x4'5678'9abcull);
}

TEST(Smmuv3Translate, NoSubstreamWithS1dssTerminateIsStreamDisabled) {
    SubstreamFixture f;
    EXPECT_EQ(f.run(std::nullopt).event.type, EventType::F_STREAM_DISABLED);
}

TEST(Smmuv3Translate, SubstreamBeyondS1CdMaxIsBadSubstreamId) {
    SubstreamFixture f;
    const TranslationResult r = f.run(4u);
    EXPECT_EQ(r.event.type, EventType::C_BAD_SUBSTREAMID);
    EXPECT_TRUE(r.event.ssv);
    EXPECT_EQ(r.event.substream_id, 4u);
}

TEST(Smmuv3Translate, InvalidCdIsBadCd) {
    SubstreamFixture f;
    f.m.put_words(kCd + 64 * 1, {});  // CD 1: V = 0
    EXPECT_EQ(f.run(1u).event.type, EventType::C_BAD_CD);
}

TEST(Smmuv3Translate, AbortedCdFetchIsCdFetchWithItsAddress) {
    SubstreamFixture f;
    f.m.abort_at(kCd + 64 * 3);
    const TranslationResult r = f.run(3u);
    EXPECT_EQ(r.event.type, EventType::F_CD_FETCH);
    EXPECT_EQ(r.event.fetch_addr, kCd + 64 * 3);
}

// STE.PRIVCFG [49:48] and STE.INSTCFG [51:50] of word 1 (SMMUv3 5.2): 0b10 forces unprivileged /
// data, 0b11 privileged / instruction.
TEST(Smmuv3Translate, SteOverridesPrivilegeAndInstruction) {
    Stage1Fixture f;
    constexpr std::uint64_t kApPrivRw = 0b00ull << 6;
    f.m.put64(kS1Tables + 0x3000 + 4 * 8, page(kPage, kApPrivRw | kUxn));  // privileged only, not executable
    auto with_word1 = [&](std::uint64_t dw1) {
        std::array<std::uint64_t, 8> ste = ste_words(kConfigS1, kCd);
        ste[1] = dw1;
        f.m.put_words(kStreamTable + 3 * 64, ste);
    };
    TranslationRequest unprivileged = request(3, kVa);
    with_word1(0b11ull << 48);  // PRIVCFG: privileged
    EXPECT_EQ(translate(unprivileged, environment(), f.m).kind, TranslationResult::Kind::translated);

    TranslationRequest privileged = request(3, kVa);
    privileged.privileged = true;
    with_word1(0b10ull << 48);  // PRIVCFG: unprivileged
    TranslationResult r = translate(privileged, environment(), f.m);
    EXPECT_EQ(r.event.type, EventType::F_PERMISSION);
    EXPECT_FALSE(r.event.pnu);  // the event shows the attribute after the override

    with_word1((0b11ull << 48) | (0b11ull << 50));  // privileged, and reads are instruction fetches
    r = translate(unprivileged, environment(), f.m);
    EXPECT_EQ(r.kind, TranslationResult::Kind::translated);  // UXN does not bind a privileged fetch
    f.m.put64(kS1Tables + 0x3000 + 4 * 8, page(kPage, kApPrivRw | kPxn));
    r = translate(unprivileged, environment(), f.m);
    EXPECT_EQ(r.event.type, EventType::F_PERMISSION);
    EXPECT_TRUE(r.event.ind);
    TranslationRequest write = request(3, kVa, true);
    EXPECT_EQ(translate(write, environment(), f.m).kind, TranslationResult::Kind::translated);  // writes are data
}

TEST(Smmuv3Translate, Stage2OnlyWithConcatenatedTables) {
    Memory m;
    m.put_words(kStreamTable + 4 * 64, ste_words(kConfigS2, 0, kStage2Dw2, kStage2Dw3));
    // IPA 0x80_4000_5678: level-1 index 0x201 (bits [39:30]) in the second concatenated table.
    m.put64(kS2Tables + 0x201 * 8, block(0x1'4000'0000, kS2Rw));
    const TranslationResult r = translate(request(4, 0x80'4000'5678ull), environment(), m);
    ASSERT_EQ(r.kind, TranslationResult::Kind::translated) << r.reason;
    EXPECT_EQ(r.output_address, 0x1'4000'5678ull);
    EXPECT_EQ(r.size_bits, 30u);
}

// Nested: stage 2 maps IPA [0, 1 GiB) to PA [0, 1 GiB) and IPA [0x4_4000_0000, +1 GiB) to PA
// 0x8000_0000; the CD and the stage-1 tables sit in the first, the page in the second.
void put_nested(Memory& m) {
    m.put_words(kStreamTable + 6 * 64, ste_words(kConfigNested, kCd, kStage2Dw2, kStage2Dw3));
    m.put_words(kCd, cd_words());
    put_stage1_tables(m);
    m.put64(kS2Tables + 0 * 8, block(0, kS2Rw));
    m.put64(kS2Tables + 0x11 * 8, block(0x8000'0000, kS2Rw));  // 0x4_5678_9000 >> 30 = 0x11
}

TEST(Smmuv3Translate, NestedTranslationGoesThroughStage2ForEveryAccess) {
    Memory m;
    put_nested(m);
    const TranslationResult r = translate(request(6, kVa), environment(), m);
    ASSERT_EQ(r.kind, TranslationResult::Kind::translated) << r.reason;
    // IPA 0x4_5678_9abc is 0x1678_9abc into its 1 GiB stage-2 block at PA 0x8000_0000.
    EXPECT_EQ(r.output_address, 0x9678'9abcull);
    EXPECT_EQ(r.size_bits, 12u);  // the smaller of the 4 KiB stage-1 page and the 1 GiB stage-2 block
    // STE; CD: one stage-2 descriptor and the CD; four stage-1 levels, each after one stage-2
    // descriptor; the final stage-2 walk.
    EXPECT_EQ(r.descriptor_fetches, 1u + 2u + 4u * 2u + 1u);
}

TEST(Smmuv3Translate, NestedStage2FaultOnTheCdFetch) {
    Memory m;
    put_nested(m);
    m.put64(kS2Tables + 0 * 8, 0);  // IPA [0, 1 GiB) unmapped: the CD at IPA 0x2_0000 faults
    const TranslationResult r = translate(request(6, kVa), environment(), m);
    EXPECT_EQ(r.event.type, EventType::F_TRANSLATION);
    EXPECT_TRUE(r.event.s2);
    EXPECT_EQ(r.event.event_class, EventClass::CD);
    EXPECT_EQ(r.event.ipa, kCd);
    EXPECT_EQ(r.event.input_addr, kVa);
}

TEST(Smmuv3Translate, NestedStage2FaultOnTheFinalAddress) {
    Memory m;
    put_nested(m);
    m.put64(kS2Tables + 0x11 * 8, 0);  // the page's IPA is unmapped at stage 2
    const TranslationResult r = translate(request(6, kVa), environment(), m);
    EXPECT_EQ(r.event.type, EventType::F_TRANSLATION);
    EXPECT_TRUE(r.event.s2);
    EXPECT_EQ(r.event.event_class, EventClass::IN);
    EXPECT_EQ(r.event.ipa, 0x4'5678'9abcull);
}

// Caches: commands encoded from SMMUv3 4.3/4.4 (CFGI_STE 0x03 with StreamID [63:32]; TLBI_NH_VA
// 0x12 with VMID [47:32], ASID [63:48] and the address [63:12] in the second word; TLBI_NH_ALL 0x10).
DecodedCommand command(std::uint64_t dw0, std::uint64_t dw1 = 0) { return decode_command(dw0, dw1, Features{}); }

struct CachedFixture {
    Memory m;
    ConfigCache config{CacheGeometries{}, 1};
    Tlb tlb{CacheGeometries{}.tlb, 2};
    WalkCacheStore walks{CacheGeometries{}.walk, 3};
    TranslationCaches caches{&config, &tlb, &walks};
    CachedFixture() {
        m.put_words(kStreamTable + 3 * 64, ste_words(kConfigS1, kCd));
        m.put_words(kCd, cd_words());
        put_stage1_tables(m);
    }
    TranslationResult run(std::uint64_t va, bool write = false) {
        return translate(request(3, va, write), environment(), m, caches);
    }
};

TEST(Smmuv3TranslateCached, SecondAccessHitsEveryCache) {
    CachedFixture f;
    const TranslationResult first = f.run(kVa);
    EXPECT_FALSE(first.ste_cache_hit);
    EXPECT_FALSE(first.tlb_hit);
    EXPECT_EQ(first.descriptor_fetches, 6u);
    const TranslationResult second = f.run(kVa + 0x10);
    ASSERT_EQ(second.kind, TranslationResult::Kind::translated);
    EXPECT_TRUE(second.ste_cache_hit);
    EXPECT_TRUE(second.cd_cache_hit);
    EXPECT_TRUE(second.tlb_hit);
    EXPECT_EQ(second.descriptor_fetches, 0u);
    EXPECT_EQ(second.output_address, kPage + 0xabc + 0x10);
}

TEST(Smmuv3TranslateCached, StaleSteUntilCfgiSte) {
    CachedFixture f;
    f.run(kVa);
    f.m.put_words(kStreamTable + 3 * 64, ste_words(kConfigAbort));  // software changes the STE...
    f.tlb.invalidate_all();
    EXPECT_EQ(f.run(kVa).kind, TranslationResult::Kind::translated);  // ...but the old one is cached
    f.config.invalidate(command(0x03 | (3ull << 32)));               // CFGI_STE, StreamID 3
    EXPECT_EQ(f.run(kVa).kind, TranslationResult::Kind::terminated);
}

TEST(Smmuv3TranslateCached, StaleTranslationUntilTlbiNhVa) {
    CachedFixture f;
    f.m.put64(kS1Tables + 0x3000 + 4 * 8, page(kPage, kApAnyRw | (1ull << 11)));  // nG: ASID-tagged
    f.run(kVa);
    f.m.put64(kS1Tables + 0x3000 + 4 * 8, page(0x7'0000'0000, kApAnyRw | (1ull << 11)));  // remapped
    EXPECT_EQ(f.run(kVa).output_address, kPage + 0xabc);  // stale until invalidated
    const std::uint64_t va_page = kVa & ~0xfffull;
    f.tlb.invalidate(command(0x12 | (0ull << 32) | (2ull << 48), va_page));  // another ASID: no effect
    EXPECT_EQ(f.run(kVa).output_address, kPage + 0xabc);
    f.tlb.invalidate(command(0x12 | (0ull << 32) | (1ull << 48), va_page));  // the CD's ASID 1
    EXPECT_EQ(f.run(kVa).output_address, 0x7'0000'0abcull);
}

TEST(Smmuv3TranslateCached, GlobalEntriesAreInvalidatedByAnyAsid) {
    CachedFixture f;  // the tables' pages have nG = 0: global
    f.run(kVa);
    f.m.put64(kS1Tables + 0x3000 + 4 * 8, page(0x7'0000'0000, kApAnyRw));
    f.tlb.invalidate(command(0x12 | (2ull << 48), kVa & ~0xfffull));  // ASID 2
    EXPECT_EQ(f.run(kVa).output_address, 0x7'0000'0abcull);
}

TEST(Smmuv3TranslateCached, MixedPageSizesProbeEachSizePresent) {
    CachedFixture f;
    // A 2 MiB block for the VA region of level-2 index 4, beside the 4 KiB pages under index 3.
    f.m.put64(kS1Tables + 0x2000 + 4 * 8, block(0x6000'0000, kApAnyRw));
    const std::uint64_t block_va = (1ull << 39) | (2ull << 30) | (4ull << 21) | 0x1234;
    f.run(kVa);
    f.run(block_va);
    const TranslationResult r = f.run(block_va + 8);
    ASSERT_TRUE(r.tlb_hit);
    EXPECT_EQ(r.output_address, 0x6000'0000ull + 0x1234 + 8);
    // Sizes 4 KiB and 2 MiB present, and only global entries (nG = 0) filled, so no ASID-tagged
    // probe: at 4 KiB the global probe misses, at 2 MiB it hits.
    EXPECT_EQ(r.tlb_probes, 2u);
    // Once an ASID-tagged page is cached, each size is probed both ways: 2 + 2 probes to reach
    // the 2 MiB global entry.
    f.m.put64(kS1Tables + 0x3000 + 5 * 8, page(0x5000'0000, kApAnyRw | (1ull << 11)));
    f.run(kVa + 0x1000);
    EXPECT_EQ(f.run(block_va).tlb_probes, 4u);
}

TEST(Smmuv3TranslateCached, PermissionsAreCheckedOnAHit) {
    CachedFixture f;
    f.m.put64(kS1Tables + 0x3000 + 4 * 8, page(kPage, kApAnyRo));
    EXPECT_EQ(f.run(kVa).kind, TranslationResult::Kind::translated);  // a read fills the TLB
    const TranslationResult w = f.run(kVa, true);
    EXPECT_TRUE(w.tlb_hit);
    EXPECT_EQ(w.event.type, EventType::F_PERMISSION);
    EXPECT_FALSE(w.event.s2);
}

TEST(Smmuv3TranslateCached, WalkCacheLeavesOnlyTheLastLevelToRead) {
    CachedFixture f;
    f.m.put64(kS1Tables + 0x3000 + 5 * 8, page(0x5000'0000, kApAnyRw));
    f.run(kVa);
    const TranslationResult next_page = f.run(kVa + 0x1000);  // a TLB miss under the same L3 table
    ASSERT_EQ(next_page.kind, TranslationResult::Kind::translated);
    EXPECT_FALSE(next_page.tlb_hit);
    EXPECT_EQ(next_page.descriptor_fetches, 1u);  // STE and CD cached, levels 0-2 from the walk cache
    EXPECT_EQ(next_page.walk_cache_hits, 1u);
}

TEST(Smmuv3TranslateCached, TlbiLeafKeepsWalkEntriesAndNonLeafDropsThem) {
    CachedFixture f;
    f.run(kVa);
    const std::uint64_t va_page = kVa & ~0xfffull;
    // TLBI_NH_VAA (0x13) for the page, Leaf = 1 (bit 0 of the second word): leaf entries only.
    f.tlb.invalidate(command(0x13, va_page | 1));
    f.walks.invalidate(command(0x13, va_page | 1));
    EXPECT_EQ(f.run(kVa).descriptor_fetches, 1u);  // the TLB missed, the walk cache did not
    f.tlb.invalidate(command(0x13, va_page));
    f.walks.invalidate(command(0x13, va_page));     // Leaf = 0: intermediate entries too
    EXPECT_EQ(f.run(kVa).descriptor_fetches, 4u);
}

TEST(Smmuv3TranslateCached, DisabledCachesNeverHit) {
    Memory m;
    m.put_words(kStreamTable + 3 * 64, ste_words(kConfigS1, kCd));
    m.put_words(kCd, cd_words());
    put_stage1_tables(m);
    CacheGeometries none;
    none.ste = none.cd = none.tlb = none.walk = CacheGeometry{0, 0, ReplacementPolicy::lru};
    ConfigCache config(none, 1);
    Tlb tlb(none.tlb, 2);
    WalkCacheStore walks(none.walk, 3);
    const TranslationCaches caches{&config, &tlb, &walks};
    translate(request(3, kVa), environment(), m, caches);
    const TranslationResult r = translate(request(3, kVa), environment(), m, caches);
    EXPECT_FALSE(r.ste_cache_hit || r.cd_cache_hit || r.tlb_hit);
    EXPECT_EQ(r.descriptor_fetches, 6u);
}

// Review findings: SubstreamIDs without stage 1, address sizes on bypass paths, TBI and TLB keys,
// nested TLB entries under a stage-1 block.
TEST(Smmuv3Translate, SubstreamIdWithoutStage1IsBadSubstreamId) {
    Memory m;
    m.put_words(kStreamTable + 1 * 64, ste_words(kConfigBypass));
    m.put_words(kStreamTable + 4 * 64, ste_words(kConfigS2, 0, kStage2Dw2, kStage2Dw3));
    for (std::uint32_t sid : {1u, 4u}) {
        TranslationRequest r = request(sid, 0x1000);
        r.substream_id = 1;
        EXPECT_EQ(translate(r, environment(), m).event.type, EventType::C_BAD_SUBSTREAMID) << sid;
    }
}

TEST(Smmuv3Translate, BypassedAddressesMustFitTheirSize) {
    Memory m;
    m.put_words(kStreamTable + 1 * 64, ste_words(kConfigBypass));
    m.put_words(kStreamTable + 4 * 64, ste_words(kConfigS2, 0, kStage2Dw2, kStage2Dw3));
    // OAS = IAS = 48 bits by default.
    TranslationResult r = translate(request(1, 1ull << 48), environment(), m);
    EXPECT_EQ(r.event.type, EventType::F_ADDR_SIZE);
    r = translate(request(4, 1ull << 48), environment(), m);  // stage 1 bypassed: the IPA is too large
    EXPECT_EQ(r.event.type, EventType::F_ADDR_SIZE);
    EXPECT_FALSE(r.event.s2);
    EXPECT_EQ(r.event.event_class, EventClass::IN);
}

TEST(Smmuv3TranslateCached, TaggedAddressesShareTheUntaggedEntry) {
    CachedFixture f;
    std::array<std::uint64_t, 8> cd = cd_words();
    cd[0] |= 1ull << 38;  // TBI0: VA[63:56] ignored
    f.m.put_words(kCd, cd);
    f.m.put64(kS1Tables + 0x3000 + 4 * 8, page(kPage, kApAnyRw | (1ull << 11)));
    const std::uint64_t tagged = kVa | (0x5aull << 56);
    EXPECT_EQ(f.run(tagged).output_address, kPage + 0xabc);
    f.m.put64(kS1Tables + 0x3000 + 4 * 8, page(0x7'0000'0000, kApAnyRw | (1ull << 11)));
    f.tlb.invalidate(command(0x12 | (1ull << 48), kVa & ~0xfffull));  // TLBI_NH_VA, untagged, ASID 1
    f.walks.invalidate(command(0x12 | (1ull << 48), kVa & ~0xfffull));
    EXPECT_EQ(f.run(tagged).output_address, 0x7'0000'0abcull);  // the tagged entry was found and removed
}

TEST(Smmuv3Tlb, InvalidationByVaRemovesEveryPieceOfANestedBlock) {
    Tlb tlb(CacheGeometry{16, 4, ReplacementPolicy::lru}, 1);
    TlbEntry piece;
    piece.stage1_size_bits = 21;  // from a 2 MiB stage-1 block, cached as 4 KiB pieces
    const std::uint64_t block = 0x20'0000;
    tlb.fill(1, 5, TlbStages::nested, block + 0x3000, 12, piece);
    tlb.fill(1, 5, TlbStages::nested, block + 0x9000, 12, piece);
    // TLBI_NH_VA: VMID 1 [47:32], ASID 5 [63:48], an address in the block's first page.
    tlb.invalidate(command(0x12 | (1ull << 32) | (5ull << 48), block));
    unsigned probes = 0, size = 0;
    EXPECT_EQ(tlb.lookup(1, 5, TlbStages::nested, block + 0x3000, probes, size), nullptr);
    EXPECT_EQ(tlb.lookup(1, 5, TlbStages::nested, block + 0x9000, probes, size), nullptr);
}

// STE.S2PTW [54] of word 2 (SMMUv3 5.2): with nested translation, a stage-1 table walk or CD fetch
// to a stage-2 page of Device type (MemAttr [5:2] = 0b0001, Device-nGnRE) is a stage-2 permission
// fault.
TEST(Smmuv3Translate, ProtectedTableWalkRefusesDeviceMemory) {
    Memory m;
    put_nested(m);
    m.put64(kS2Tables + 0 * 8, block(0, kS2Rw | (0b0001ull << 2)));  // the tables' 1 GiB as Device
    EXPECT_EQ(translate(request(6, kVa), environment(), m).kind, TranslationResult::Kind::translated);  // S2PTW = 0
    m.put_words(kStreamTable + 6 * 64, ste_words(kConfigNested, kCd, kStage2Dw2 | (1ull << 54), kStage2Dw3));
    const TranslationResult r = translate(request(6, kVa), environment(), m);
    EXPECT_EQ(r.event.type, EventType::F_PERMISSION);
    EXPECT_TRUE(r.event.s2);
    EXPECT_EQ(r.event.event_class, EventClass::CD);  // the CD fetch is the first access refused
}

}  // namespace
