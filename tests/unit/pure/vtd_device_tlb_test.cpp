// The pure parts of the VT-d device TLB and page requests: the range a device-TLB invalidation
// encodes, the page-request descriptor and queue arithmetic, the capability bits and feature rules,
// how translate() treats translation and translated requests, how a translation request's fault is
// answered, and the context checks of a page request. Expected values are worked out by hand from
// the VT-d formats (/work/shared/spec/registers-and-formats.md Part B, B.3, B.8, B.11, B.12):
//   device-TLB ADDR [63:12] with S: the lowest clear bit n >= 12 makes a 2^(n+1)-byte range;
//   page-request descriptor qw0: type [7:0] = 1, PP 8, RID [31:16], PASID [51:32], EXE 52, PM 53;
//     qw1: RD 0, WR 1, LPIG 2, PRG index [11:3], ADDR [63:12]; PQA: PQS [2:0] (2^PQS pages),
//     PQA [63:12]; PQH/PQT byte offsets in [18:5];
//   ECAP: DT 2, PRS 29, NWFS 33, PDS 42;
//   legacy context entry: P 0, FPD 1, TT [3:2]; AW [66:64], DID [87:72];
//   scalable root entry: LP 0, LCTP [63:12]; scalable context entry: P 0, FPD 1, DTE 2, PASIDE 3,
//     PRE 4, PASIDDIRPTR [63:12]; second-level entry: R 0, W 1, address [51:12].
#include "models/vtd/features.h"
#include "models/vtd/invalidation.h"
#include "models/vtd/page_request.h"
#include "models/vtd/registers.h"
#include "models/vtd/translate.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>

namespace {

using namespace iommu_vp;
using namespace iommu_vp::vtd;

// ---- device-TLB invalidation range ----------------------------------------------------------------

TEST(VtdDeviceTlbRange, SizeBitEncodesTheRangeInTheAddress) {
    // S = 0: the one page, whatever the low bits.
    DeviceTlbRange r = device_tlb_range(false, 0x1234'5000);
    EXPECT_FALSE(r.all);
    EXPECT_EQ(r.address, 0x1234'5000u);
    EXPECT_EQ(r.bytes, 0x1000u);
    // S = 1, bit 12 clear: 8 KiB (the fact sheet's example).
    r = device_tlb_range(true, 0x1234'4000);
    EXPECT_EQ(r.address, 0x1234'4000u);
    EXPECT_EQ(r.bytes, 0x2000u);
    // S = 1, bits 12..19 set and bit 20 clear: 2 MiB at 0x4000_0000 (Linux: addr | (1 << (12 + 9 - 1)) - 1).
    r = device_tlb_range(true, 0x400F'F000);
    EXPECT_EQ(r.address, 0x4000'0000u);
    EXPECT_EQ(r.bytes, 0x20'0000u);
    // S = 1, bit 63 clear and bits 62:12 set: everything (Linux's device-wide flush), and all bits set.
    EXPECT_TRUE(device_tlb_range(true, 0x7FFF'FFFF'FFFF'F000ull).all);
    EXPECT_TRUE(device_tlb_range(true, 0xFFFF'FFFF'FFFF'F000ull).all);
}

// ---- page-request descriptor and queue --------------------------------------------------------------

TEST(VtdPageRequestDescriptor, EncodesEveryField) {
    PageRequestDescriptor d;
    d.requester_id = 0x0318;
    d.pasid_present = true;
    d.pasid = 0xABCDE;
    d.execute = true;
    d.privileged = true;
    d.read = true;
    d.write = false;
    d.last = true;
    d.group_index = 0x155;
    d.address = 0x0000'7FFF'1234'5000ull;
    const PageRequestWords w = encode_page_request(d);
    // qw0: 1 | PP 0x100 | RID 0x0318 << 16 | PASID 0xABCDE << 32 | EXE 1 << 52 | PM 1 << 53.
    EXPECT_EQ(w[0], 0x003A'BCDE'0318'0101ull);
    // qw1: RD 1 | LPIG 4 | 0x155 << 3 = 0xAA8 | address.
    EXPECT_EQ(w[1], 0x0000'7FFF'1234'5AADull);
    EXPECT_EQ(w[2], 0u);
    EXPECT_EQ(w[3], 0u);
    const PageRequestDescriptor back = decode_page_request(w);
    EXPECT_EQ(back.requester_id, 0x0318);
    EXPECT_EQ(back.pasid, 0xABCDEu);
    EXPECT_TRUE(back.execute && back.privileged && back.read && back.last && back.pasid_present);
    EXPECT_FALSE(back.write);
    EXPECT_EQ(back.group_index, 0x155);
    EXPECT_EQ(back.address, 0x0000'7FFF'1234'5000ull);
    // Without a PASID the PASID field stays 0.
    d.pasid_present = false;
    EXPECT_EQ(encode_page_request(d)[0], 0x0030'0000'0318'0001ull);
}

TEST(VtdPageRequestQueue, GeometryAndFullness) {
    Features f;
    // PQA 0x0000_FFFF_0018_0003 with a 48-bit host address width: base 0xFFFF00180000... above HAW
    // dropped -> 0x0000_FFFF_0018_0000; PQS 3: 8 pages, 1024 descriptors.
    const PageRequestQueue q = PageRequestQueue::from_pqa(0xFFFF'FFFF'0018'0003ull, f);
    EXPECT_EQ(q.base, 0x0000'FFFF'0018'0000ull);
    EXPECT_EQ(q.entries(), 1024u);
    EXPECT_EQ(q.index_of(0x60), 3u);
    EXPECT_EQ(q.descriptor_address(3), 0x0000'FFFF'0018'0060ull);
    // One page: 128 descriptors; full when the slot after the tail is the head.
    const PageRequestQueue one = PageRequestQueue::from_pqa(0x18'0000, f);
    EXPECT_EQ(one.entries(), 128u);
    EXPECT_FALSE(one.is_full(0x00, 0x00));
    EXPECT_TRUE(one.is_full(0x80, 0x60));
    EXPECT_TRUE(one.is_full(0x00, 127 * 32));  // the tail wraps onto the head
    EXPECT_FALSE(one.is_full(0x00, 126 * 32));
}

// ---- capabilities and feature rules -----------------------------------------------------------------

TEST(VtdDeviceTlbFeatures, CapabilityBitsAndRules) {
    Features f;
    f.device_tlb = true;
    f.page_requests = true;
    EXPECT_EQ(check_features(f), "");
    const std::uint64_t ecap = ecap_value(f);
    EXPECT_EQ(ecap & (1ull << 2), 1ull << 2);    // DT
    EXPECT_EQ(ecap & (1ull << 29), 1ull << 29);  // PRS
    EXPECT_EQ(ecap & (1ull << 33), 1ull << 33);  // NWFS
    EXPECT_EQ(ecap & (1ull << 42), 1ull << 42);  // PDS
    EXPECT_EQ(ecap & (1ull << 41), 0u);          // DIT: no throttling
    // Device-TLB invalidation needs the queue; page requests need the device TLB and scalable mode.
    Features no_qi = f;
    no_qi.page_requests = false;
    no_qi.queued_invalidation = false;
    no_qi.scalable_mode = no_qi.first_level = no_qi.nested = no_qi.pasid = false;
    EXPECT_NE(check_features(no_qi).find("device_tlb = true"), std::string::npos);
    Features prs_only;
    prs_only.page_requests = true;
    EXPECT_NE(check_features(prs_only).find("page_requests = true"), std::string::npos);
    Features legacy_prs = f;
    legacy_prs.scalable_mode = legacy_prs.first_level = legacy_prs.nested = legacy_prs.pasid = false;
    EXPECT_NE(check_features(legacy_prs).find("page_requests = true"), std::string::npos);
}

// ---- translate() with ATS requests ------------------------------------------------------------------

class Memory : public TableMemory {
public:
    void put(std::uint64_t address, std::uint64_t value) { words_[address] = value; }
    FetchStatus read64(std::uint64_t address, std::uint64_t& value) override {
        const auto it = words_.find(address);
        value = it == words_.end() ? 0 : it->second;
        ++reads;
        return FetchStatus::ok;
    }
    FetchStatus compare_exchange64(std::uint64_t address, std::uint64_t expected, std::uint64_t desired,
                                   std::uint64_t& observed) override {
        read64(address, observed);
        if (observed == expected) words_[address] = desired;
        return FetchStatus::ok;
    }
    unsigned reads = 0;

private:
    std::map<std::uint64_t, std::uint64_t> words_;
};

// Legacy tables: root 0x1000 -> context table 0x2000; devfn 0x08 TT = tt, 48-bit, DID 3, second
// level at 0x10000 mapping 0x0000_0040_0000 (indices 0, 0, 2, 0) -> 0x77000, read-only.
struct Legacy {
    Memory mem;
    TranslationEnvironment env;
    explicit Legacy(unsigned tt) {
        env.features.device_tlb = true;
        env.root_table = 0x1000;
        mem.put(0x1000, 0x2000 | 1);
        mem.put(0x2000 + 0x08 * 16, 0x10000 | (tt << 2) | 1);
        mem.put(0x2000 + 0x08 * 16 + 8, 2 | (3u << 8));
        mem.put(0x10000, 0x11000 | 3);
        mem.put(0x11000, 0x12000 | 3);
        mem.put(0x12000 + 2 * 8, 0x13000 | 3);
        mem.put(0x13000, 0x77000 | 1);
    }
    TranslationResult run(RequestKind kind, bool write, std::uint64_t address = 0x40'0000) {
        TranslationRequest r;
        r.source_id = 0x0008;
        r.address = address;
        r.access.write = write;
        r.kind = kind;
        return translate(r, env, mem);
    }
};

TEST(VtdAtsTranslate, TranslationRequestWalksWithTtDeviceTlbAndReportsRights) {
    Legacy tt1(1);
    const TranslationResult read = tt1.run(RequestKind::translation_request, false);
    ASSERT_EQ(read.kind, TranslationResult::Kind::translated);
    EXPECT_EQ(read.output_address, 0x77000u);
    EXPECT_EQ(read.size_bits, 12u);
    EXPECT_TRUE(read.permissions.read);
    EXPECT_FALSE(read.permissions.write);
    // A write walk of the read-only page: LGN.2 (0x05), answered as "no translation".
    const TranslationResult write = tt1.run(RequestKind::translation_request, true);
    EXPECT_EQ(write.fault, FaultReason::write_denied);
    EXPECT_EQ(translation_request_answer(write.fault), TranslationRequestAnswer::no_translation);
    // TT = 00 and TT = 10 block it: LCT.5, Unsupported Request.
    for (unsigned tt : {0u, 2u}) {
        Legacy blocked(tt);
        const TranslationResult r = blocked.run(RequestKind::translation_request, false);
        EXPECT_EQ(r.fault, FaultReason::translation_type_blocked) << tt;
        EXPECT_EQ(translation_request_answer(r.fault), TranslationRequestAnswer::unsupported_request);
    }
}

TEST(VtdAtsTranslate, TranslatedRequestPassesWithoutAWalk) {
    Legacy tt1(1);
    const TranslationResult r = tt1.run(RequestKind::translated, true, 0x9'8765'4321);
    ASSERT_EQ(r.kind, TranslationResult::Kind::translated);
    EXPECT_EQ(r.output_address, 0x9'8765'4321u);
    EXPECT_TRUE(r.pass_through);
    EXPECT_EQ(tt1.mem.reads, 4u);  // the root and context entries (two words each), no paging entry
    Legacy tt0(0);
    EXPECT_EQ(tt0.run(RequestKind::translated, true).fault, FaultReason::translation_type_blocked);
}

TEST(VtdAtsTranslate, TranslationRequestAnswerClasses) {
    using A = TranslationRequestAnswer;
    EXPECT_EQ(translation_request_answer(FaultReason::read_denied), A::no_translation);          // 0x06
    EXPECT_EQ(translation_request_answer(FaultReason::fl_not_present), A::no_translation);       // 0x71
    EXPECT_EQ(translation_request_answer(FaultReason::sl_permission), A::no_translation);        // 0x79
    EXPECT_EQ(translation_request_answer(FaultReason::context_not_present), A::unsupported_request);    // 0x02
    EXPECT_EQ(translation_request_answer(FaultReason::sm_translation_request_blocked), A::unsupported_request);  // 0x44
    EXPECT_EQ(translation_request_answer(FaultReason::pasid_entry_not_present), A::unsupported_request);  // 0x59
    EXPECT_EQ(translation_request_answer(FaultReason::root_access_error), A::completer_abort);    // 0x08
    EXPECT_EQ(translation_request_answer(FaultReason::paging_entry_reserved), A::completer_abort);  // 0x0C
    EXPECT_EQ(translation_request_answer(FaultReason::pasid_entry_invalid), A::completer_abort);  // 0x5B
}

// ---- page-request context checks --------------------------------------------------------------------

TEST(VtdPageRequestCheck, ScalableModeRootContextAndPre) {
    Memory mem;
    TranslationEnvironment env;
    env.features.device_tlb = true;
    env.features.page_requests = true;
    env.root_table = 0x1000;
    // Legacy mode: RTA.3, never suppressed.
    EXPECT_EQ(check_page_request(0x0008, env, mem).fault, FaultReason::page_request_in_legacy_mode);
    env.mode = TranslationTableMode::scalable;
    mem.put(0x1000, 0x2000 | 1);                              // bus 0: LP, LCTP 0x2000
    mem.put(0x2000 + 0x08 * 32, 0x3000 | (1u << 3) | 1);      // devfn 0x08: PASIDE, PRE = 0
    mem.put(0x2000 + 0x10 * 32, 0x3000 | (1u << 4) | 1);      // devfn 0x10: PRE
    mem.put(0x2000 + 0x18 * 32, 0x3000 | 0x2);                // devfn 0x18: not present, FPD
    const PageRequestCheck no_pre = check_page_request(0x0008, env, mem);
    EXPECT_EQ(no_pre.fault, FaultReason::sm_page_request_disabled);  // SCT.8
    EXPECT_TRUE(no_pre.record_fault);
    EXPECT_TRUE(check_page_request(0x0010, env, mem).ok());
    const PageRequestCheck absent = check_page_request(0x0018, env, mem);
    EXPECT_EQ(absent.fault, FaultReason::sm_context_not_present);  // SCT.2, qualified: FPD suppresses it
    EXPECT_FALSE(absent.record_fault);
    EXPECT_EQ(check_page_request(0x0108, env, mem).fault, FaultReason::sm_root_not_present);  // bus 1
}

}  // namespace
