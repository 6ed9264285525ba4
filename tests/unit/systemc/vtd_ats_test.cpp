// VT-d with the device TLB (ECAP.DT) and page requests (ECAP.PRS): ATS translation requests answered
// from the tables, translated requests passed or refused by the context, device-TLB invalidation
// delivered to an ATS endpoint and waited for by the invalidation-wait descriptor (and its time-out,
// ITE), the page-request queue with its status bits and event, and page group responses reaching
// the endpoint. Every expected value is worked out by hand from the VT-d specification and the fact
// sheet (/work/shared/spec/registers-and-formats.md Part B), not from the model's code:
//   legacy context entry: P 0, TT [3:2] (1 = translated + device TLB), SLPTPTR [63:12]; AW [66:64]
//     (2 = 48-bit), DID [87:72]. Scalable context entry: P 0, DTE 2, PASIDE 3, PRE 4, PASIDDIRPTR
//     [63:12]; PASID-table entry: P 0, AW [4:2], PGTT [8:6] (2 = second level), SLPTPTR, DID [79:64].
//   second-level entry: R 0, W 1, PS 7 (a 2 MiB leaf at level 2), address [51:12].
//   fault record (high word): SID [15:0], T2 28, PP 31, FR [39:32], PV [59:40], AT [61:60]
//     (01 translation request, 10 translated), T1 62 (1 = read; T1:T2 = 01 a page request), F 63.
//   FSTS: PPF 1, ITE 6; IQERCD: ITESID [47:32]; ICS: IWC 0.
//   descriptors: device-TLB (0x3): SID [47:32]; qw1 S 0, ADDR [63:12]. PASID-based device-TLB (0x8):
//     SID [31:16], PASID [51:32]; qw1 G 0, S 11, ADDR [63:12]. Wait (0x5): IF 4, SW 5, data [63:32];
//     qw1 status address. Page group response (0x9): PP 4, RC [15:12], RID [31:16], PASID [51:32];
//     qw1 PRG index [11:3]. Device-TLB range with S = 1: the lowest clear address bit n >= 12 gives
//     2^(n+1) bytes.
//   page-request registers: PQH 0xC0, PQT 0xC8 (offsets in [18:5]), PQA 0xD0 (PQS [2:0]), PRS 0xDC
//     (PPR 0, PRO 1), PECTL 0xE0 (IM 31, IP 30), PEDATA 0xE4, PEADDR 0xE8. Page-request descriptor:
//     qw0 type [7:0] = 1, PP 8, RID [31:16], PASID [51:32], EXE 52, PM 53; qw1 RD 0, WR 1, LPIG 2,
//     PRG index [11:3], ADDR [63:12].
#include "models/common/ats.h"
#include "models/common/payload.h"
#include "models/dma/ats_endpoint.h"
#include "models/memory/sparse_memory.h"
#include "models/vtd/vtd.h"

#include "sc_test.h"
#include "unit/systemc/ats_test_kit.h"
#include "unit/systemc/tlm_test_kit.h"
#include "unit/systemc/vtd_bench.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace iommu_vp {
namespace {

using testing::ns;
using testing::TestInitiator;
using testing::Completion;
using testing::translation_request;
using testing::send_page_request;
using namespace testing::vtd_bench;

class VtdAtsTest : public iommu_vp::testing::ScTest {};

// Registers the shared bench does not name.
constexpr std::uint64_t PQH = 0xc0, PQT = 0xc8, PQA = 0xd0, PRS = 0xdc, PECTL = 0xe0, PEDATA = 0xe4, PEADDR = 0xe8;
constexpr std::uint32_t kIte = 1u << 6;

constexpr std::uint64_t kRootTable = 0x10'0000, kContextTable = 0x11'0000, kSecondLevel = 0x12'0000,
                        kQueue = 0x13'0000, kStatus = 0x14'0000, kPasidDirectory = 0x15'0000,
                        kPasidTable = 0x16'0000, kPageQueue = 0x18'0000;
constexpr std::uint64_t kPage = 0x50'0000, kOtherPage = 0x60'0000, kSuperpage = 0x4000'0000;
constexpr std::uint64_t kFaultMsi = 0x9000'0000, kPageRequestMsi = 0x9000'2000;
// Input addresses: level indices 1, 2, 3, 4 (a 4 KiB page) and 1, 2, 5 (a 2 MiB leaf at level 2).
constexpr std::uint64_t kIova = 0x0080'8060'4000ull, kSuperIova = 0x0080'80a0'0000ull;
constexpr std::uint64_t kLeafEntry = kSecondLevel + 0x3000 + 4 * 8;
constexpr std::uint16_t kSid = 0x0018;  // 00:03.0
constexpr std::uint16_t kDomain = 5;
constexpr std::uint32_t kPasid = 5;

void wait_until_ns(double at) { sc_core::wait(ns(at) - sc_core::sc_time_stamp()); }

void enable_device_tlb(VtdParams& p) {
    p.features.device_tlb = true;
    p.features.page_requests = true;
}

// Four levels of second-level tables: kIova -> kPage (read/write, unless `leaf` is false), and a
// read-only 2 MiB leaf at level 2 mapping kSuperIova's 2 MiB -> kSuperpage.
void put_second_level(Bench& b, bool leaf = true) {
    b.put64(kSecondLevel + 1 * 8, (kSecondLevel + 0x1000) | 0x3);
    b.put64(kSecondLevel + 0x1000 + 2 * 8, (kSecondLevel + 0x2000) | 0x3);
    b.put64(kSecondLevel + 0x2000 + 3 * 8, (kSecondLevel + 0x3000) | 0x3);
    b.put64(kSecondLevel + 0x2000 + 5 * 8, kSuperpage | 0x80 | 0x1);  // PS, R
    if (leaf) b.put64(kLeafEntry, kPage | 0x3);
}

// Legacy mode: bus 0's root entry and a context entry for `devfn` with translation type `tt`.
void put_legacy_context(Bench& b, unsigned devfn, unsigned tt) {
    b.put64(kRootTable, kContextTable | 1);
    b.put64(kContextTable + devfn * 16, kSecondLevel | (tt << 2) | 1);
    b.put64(kContextTable + devfn * 16 + 8, 2 | (std::uint64_t{kDomain} << 8));
}

// Scalable mode: devfn's context entry with DTE/PRE as given, PASIDE, and PASID kPasid's entry
// translating through the second-level tables (PGTT 2, AW 48-bit, DID 7).
void put_scalable_context(Bench& b, unsigned devfn, bool dte, bool pre) {
    b.put64(kRootTable, kContextTable | 1);
    b.put64(kContextTable + devfn * 32,
            kPasidDirectory | (pre ? 1u << 4 : 0) | (1u << 3) | (dte ? 1u << 2 : 0) | 1);
    b.put64(kPasidDirectory, kPasidTable | 1);
    b.put64(kPasidTable + kPasid * 64, kSecondLevel | (2u << 6) | (2u << 2) | 1);
    b.put64(kPasidTable + kPasid * 64 + 8, 7);
}

void enable_translation(TestInitiator& cpu, std::uint64_t rtaddr, std::uint32_t keep = 0) {
    write64(cpu, RTADDR, rtaddr);
    command(cpu, keep | kSrtp, kSrtp, kSrtp);
    command(cpu, keep | kTe, kTe, kTe);
}

void enable_queue(TestInitiator& cpu, bool wide) {
    write64(cpu, IQT, 0);
    write64(cpu, IQA, kQueue | (wide ? 1u << 11 : 0));
    command(cpu, kQie, kQie, kQie);
}

void enable_page_request_queue(TestInitiator& cpu) {
    write64(cpu, PQH, 0);
    write64(cpu, PQT, 0);
    write64(cpu, PQA, kPageQueue);  // PQS 0: one page, 128 descriptors
    write32(cpu, PEADDR, static_cast<std::uint32_t>(kPageRequestMsi));
    write32(cpu, PEDATA, 0x77);
}

MasterAttrs translated(MasterAttrs attrs) {
    attrs.ats = AtsState::translated;
    return attrs;
}

// A PCIe Page Request Message from the device.
tlm::tlm_response_status page_request(TestInitiator& device, const MasterAttrs& attrs, std::uint64_t address,
                                      std::uint32_t group, bool last, bool write = true, bool privileged = false) {
    PageRequestMessage message;
    message.address = address;
    message.group_index = group;
    message.last = last;
    message.read = true;
    message.write = write;
    message.privileged = privileged;
    return send_page_request(device, attrs, message);
}

// An ATS endpoint that records what the unit sends it; invalidations complete at once.
class RecordingEndpoint : public sc_core::sc_module, public AtsEndpointIf {
public:
    struct Response {
        std::uint32_t requester;
        bool has_pasid;
        std::uint32_t pasid;
        std::uint32_t group;
        PrgResponseCode code;
        bool operator==(const Response& o) const {
            return requester == o.requester && has_pasid == o.has_pasid && pasid == o.pasid && group == o.group &&
                   code == o.code;
        }
    };
    RecordingEndpoint(sc_core::sc_module_name name, std::uint32_t requester)
        : sc_core::sc_module(name), requester_(requester) {}

    bool ats_serves(std::uint32_t requester) const override { return requester == requester_; }
    void atc_invalidate(const AtcInvalidation& request, AtcInvalidationCompleter& completer) override {
        invalidations.push_back(request);
        completer.atc_invalidation_completed(request);
    }
    void pri_response(std::uint32_t requester, bool has_pasid, std::uint32_t pasid, std::uint32_t group,
                      PrgResponseCode code) override {
        responses.push_back({requester, has_pasid, pasid, group, code});
    }

    std::vector<AtcInvalidation> invalidations;
    std::vector<Response> responses;

private:
    std::uint32_t requester_;
};

std::uint64_t counter(const Bench& b, const char* name) {
    const Counter* c = b.vtd->stats().find_counter(name);
    EXPECT_NE(c, nullptr) << name;
    return c ? c->value : 0;
}

std::uint64_t endpoint_counter(const AtsEndpoint& e, const char* name) {
    const Counter* c = e.stats().find_counter(name);
    EXPECT_NE(c, nullptr) << name;
    return c ? c->value : 0;
}

// ---------------------------------------------------------------------------------------------

TEST_F(VtdAtsTest, CapabilitiesReportDeviceTlbAndPageRequestsAndTheirRegisters) {
    std::uint64_t ecap = 0, pqa = 1;
    std::uint32_t pectl = 0, prs = 1;
    Bench b(
        [&](TestInitiator& cpu) {
            ecap = read64(cpu, ECAP);
            pectl = read32(cpu, PECTL);
            prs = read32(cpu, PRS);
            write64(cpu, PQA, 0x18'1003);  // base 0x181000, PQS 3
            pqa = read64(cpu, PQA);
        },
        idle, enable_device_tlb);
    sc_core::sc_start();
    // The defaults' ECAP (0x0003c998840050c3, vtd_control_test) plus DT (bit 2), PRS (29), NWFS (33)
    // and PDS (42).
    EXPECT_EQ(ecap, 0x0003'cd9a'a400'50c7ull);
    EXPECT_EQ(pectl, 0x8000'0000u);  // page-request events masked out of reset
    EXPECT_EQ(prs, 0u);
    EXPECT_EQ(pqa, 0x18'1003u);
}

TEST_F(VtdAtsTest, TranslationRequestAnswersPageAndSuperpageWithTheirRights) {
    Completion page_rw, page_nw, superpage;
    std::uint32_t fsts = 1;
    const MasterAttrs dev = requester(0, 3, 0);
    Bench* bench = nullptr;
    Bench b(
        [&](TestInitiator& cpu) {
            put_legacy_context(*bench, 0x18, 1);  // TT = 01: translated + device TLB
            put_second_level(*bench);
            enable_translation(cpu, kRootTable);
            wait_until_ns(5000);
            fsts = read32(cpu, FSTS);
        },
        [&](TestInitiator& device) {
            wait_until_ns(1000);
            page_rw = translation_request(device, kIova, dev, false);
            page_nw = translation_request(device, kIova, dev, true);
            superpage = translation_request(device, kSuperIova + 0x1'2000, dev, false);
        },
        enable_device_tlb);
    bench = &b;
    sc_core::sc_start();
    // A 4 KiB read/write page: its output page, R and W (NW = 0), nothing moved.
    EXPECT_EQ(page_rw.response, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(page_rw.translation.status, AtsTranslation::Status::success);
    EXPECT_EQ(page_rw.translation.translated_address, kPage);
    EXPECT_EQ(page_rw.translation.range_bytes, 0x1000u);
    EXPECT_TRUE(page_rw.translation.read);
    EXPECT_TRUE(page_rw.translation.write);
    EXPECT_FALSE(page_rw.translation.execute);
    EXPECT_FALSE(page_rw.translation.global);
    EXPECT_TRUE(page_rw.data_untouched);
    // NW = 1: read only.
    EXPECT_EQ(page_nw.translation.status, AtsTranslation::Status::success);
    EXPECT_TRUE(page_nw.translation.read);
    EXPECT_FALSE(page_nw.translation.write);
    // A read-only 2 MiB leaf, asked for with NW = 0 in its middle: the superpage's base and size, R only.
    EXPECT_EQ(superpage.translation.status, AtsTranslation::Status::success);
    EXPECT_EQ(superpage.translation.translated_address, kSuperpage);
    EXPECT_EQ(superpage.translation.range_bytes, 0x20'0000u);
    EXPECT_TRUE(superpage.translation.read);
    EXPECT_FALSE(superpage.translation.write);
    EXPECT_EQ(fsts, 0u);  // a write refused by a read-only page is not a fault for a translation request
    EXPECT_EQ(b.get64(kPage), 0u);
    EXPECT_EQ(counter(b, "ats_translation_requests"), 3u);
    EXPECT_EQ(counter(b, "ats_translations_granted"), 3u);
}

TEST_F(VtdAtsTest, TranslationRequestIsUnsupportedWhenTheContextDoesNotAllowTheDeviceTlb) {
    Completion tt0, pass_through;
    std::uint32_t fsts = 0;
    std::uint64_t frcd_lo = 0, frcd_hi = 0, frcd1_hi = 0;
    Bench* bench = nullptr;
    Bench b(
        [&](TestInitiator& cpu) {
            put_legacy_context(*bench, 0x20, 0);  // 00:04.0, TT = 00
            put_legacy_context(*bench, 0x28, 2);  // 00:05.0, TT = 10 (pass-through)
            put_second_level(*bench);
            enable_translation(cpu, kRootTable);
            wait_until_ns(5000);
            fsts = read32(cpu, FSTS);
            frcd_lo = read64(cpu, FRCD0);
            frcd_hi = read64(cpu, FRCD0 + 8);
            frcd1_hi = read64(cpu, FRCD0 + 16 + 8);
        },
        [&](TestInitiator& device) {
            wait_until_ns(1000);
            tt0 = translation_request(device, kIova, requester(0, 4, 0), false);
            pass_through = translation_request(device, 0x12'3000, requester(0, 5, 0), true);
        },
        enable_device_tlb);
    bench = &b;
    sc_core::sc_start();
    EXPECT_EQ(tt0.response, tlm::TLM_OK_RESPONSE);  // the completion carries the status
    EXPECT_EQ(tt0.translation.status, AtsTranslation::Status::unsupported_request);
    EXPECT_FALSE(tt0.translation.read);
    EXPECT_EQ(pass_through.translation.status, AtsTranslation::Status::unsupported_request);
    EXPECT_EQ(fsts, 0x2u);  // PPF, FRI 0
    EXPECT_EQ(frcd_lo, kIova);
    // F, T1 = 1 (a translation request is a read), AT = 01 (translation request), FR 0x0D (LCT.5), SID 0x20.
    EXPECT_EQ(frcd_hi, (1ull << 63) | (1ull << 62) | (1ull << 60) | (0x0dull << 32) | 0x20u);
    EXPECT_EQ(frcd1_hi, (1ull << 63) | (1ull << 62) | (1ull << 60) | (0x0dull << 32) | 0x28u);
    EXPECT_EQ(counter(b, "ats_unsupported_requests"), 2u);
}

TEST_F(VtdAtsTest, NotPresentPageIsASuccessWithoutRightsAndRecordsNoFault) {
    Completion absent;
    std::uint32_t fsts = 1;
    Bench* bench = nullptr;
    Bench b(
        [&](TestInitiator& cpu) {
            put_legacy_context(*bench, 0x18, 1);
            put_second_level(*bench);
            enable_translation(cpu, kRootTable);
            wait_until_ns(5000);
            fsts = read32(cpu, FSTS);
        },
        [&](TestInitiator& device) {
            wait_until_ns(1000);
            absent = translation_request(device, kIova + 0x1000, requester(0, 3, 0), false);  // no leaf entry
        },
        enable_device_tlb);
    bench = &b;
    sc_core::sc_start();
    EXPECT_EQ(absent.response, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(absent.translation.status, AtsTranslation::Status::success);
    EXPECT_FALSE(absent.translation.read);
    EXPECT_FALSE(absent.translation.write);
    EXPECT_TRUE(absent.translation.no_translation());
    EXPECT_EQ(fsts, 0u);
    EXPECT_EQ(counter(b, "faults_recorded"), 0u);
    EXPECT_EQ(counter(b, "ats_no_translation"), 1u);
}

TEST_F(VtdAtsTest, TranslatedRequestsPassThroughWhenAllowedAndFaultWhenNot) {
    tlm::tlm_response_status allowed = tlm::TLM_INCOMPLETE_RESPONSE, blocked = tlm::TLM_INCOMPLETE_RESPONSE;
    std::uint64_t frcd_lo = 0, frcd_hi = 0;
    Bench* bench = nullptr;
    Bench b(
        [&](TestInitiator& cpu) {
            put_legacy_context(*bench, 0x18, 1);  // TT = 01
            put_legacy_context(*bench, 0x20, 0);  // TT = 00
            put_second_level(*bench);
            enable_translation(cpu, kRootTable);
            wait_until_ns(5000);
            frcd_lo = read64(cpu, FRCD0);
            frcd_hi = read64(cpu, FRCD0 + 8);
        },
        [&](TestInitiator& device) {
            wait_until_ns(1000);
            // 0x70_0000 is mapped by no table: a translated request is not walked.
            allowed = dma_write(device, 0x70'0010, {0x11, 0x22}, translated(requester(0, 3, 0)));
            blocked = dma_write(device, 0x70'0020, {0x33}, translated(requester(0, 4, 0)));
        },
        enable_device_tlb);
    bench = &b;
    sc_core::sc_start();
    EXPECT_EQ(allowed, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(b.get64(0x70'0010) & 0xffff, 0x2211u);
    EXPECT_EQ(blocked, tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(b.get64(0x70'0020) & 0xff, 0u);
    EXPECT_EQ(frcd_lo, 0x70'0000u);
    // F, T1 = 0 (write), AT = 10 (translated), FR 0x0D (LCT.5), SID 0x20.
    EXPECT_EQ(frcd_hi, (1ull << 63) | (2ull << 60) | (0x0dull << 32) | 0x20u);
    EXPECT_EQ(counter(b, "ats_translated_requests"), 1u);
}

TEST_F(VtdAtsTest, DeviceTlbInvalidationCompletesAfterTheEndpointAndTheNextAccessGetsTheNewMapping) {
    std::vector<std::uint64_t> outputs;
    sc_core::sc_time tail_written, status_seen;
    std::uint64_t cached_before = 0, cached_after = 1;
    const MasterAttrs dev = requester(0, 3, 0);
    sc_core::sc_event step, done;
    Bench* bench = nullptr;
    AtsEndpoint* endpoint_ptr = nullptr;
    Bench b(
        [&](TestInitiator& cpu) {
            Bench& m = *bench;
            put_legacy_context(m, 0x18, 1);
            put_second_level(m);
            enable_queue(cpu, false);
            enable_translation(cpu, kRootTable, kQie);
            step.notify(sc_core::SC_ZERO_TIME);  // the device translates and writes twice
            wait(done);
            cached_before = endpoint_ptr->cached_pages();
            // Remap kIova, then: IOTLB page invalidation (domain 5), device-TLB invalidation of the
            // page for 00:03.0 (S = 0), and a wait writing 1 to kStatus.
            m.put64(kLeafEntry, kOtherPage | 0x3);
            m.put64(kQueue + 0x00, 0x2 | (3u << 4) | (std::uint64_t{kDomain} << 16));
            m.put64(kQueue + 0x08, kIova);
            m.put64(kQueue + 0x10, 0x3 | (std::uint64_t{kSid} << 32));
            m.put64(kQueue + 0x18, kIova);
            m.put64(kQueue + 0x20, 0x5 | (1u << 5) | (1ull << 32));
            m.put64(kQueue + 0x28, kStatus);
            tail_written = sc_core::sc_time_stamp();
            write64(cpu, IQT, 3 << 4);
            while (m.get64(kStatus) == 0) sc_core::wait(ns(10));  // polled in memory, as Linux does
            status_seen = sc_core::sc_time_stamp();
            cached_after = endpoint_ptr->cached_pages();
            step.notify(sc_core::SC_ZERO_TIME);
            wait(done);
        },
        [&](TestInitiator& device) {
            AtsEndpoint& endpoint = *endpoint_ptr;
            for (int round = 0; round < 2; ++round) {
                wait(step);
                for (int access = 0; access < 2; ++access) {
                    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
                    const std::optional<std::uint64_t> output = endpoint.translate(dev, kIova + 0x40, true, delay);
                    sc_core::wait(delay);
                    outputs.push_back(output.value_or(0));
                    if (output) dma_write(device, *output, {static_cast<std::uint8_t>(0xc0 + round)}, translated(dev));
                }
                done.notify(sc_core::SC_ZERO_TIME);
            }
        },
        enable_device_tlb);
    bench = &b;
    AtsEndpoint endpoint("endpoint", AtsEndpointParams{},
                         [&b](tlm::tlm_generic_payload& p, sc_core::sc_time& d) { b.device->socket->b_transport(p, d); });
    endpoint.set_requester(kSid);
    b.vtd->ats_endpoints.bind(endpoint.ats);
    endpoint_ptr = &endpoint;
    sc_core::sc_start();
    ASSERT_EQ(outputs.size(), 4u);
    EXPECT_EQ(outputs[0], kPage + 0x40);       // miss: a translation request
    EXPECT_EQ(outputs[1], kPage + 0x40);       // hit in the endpoint's ATC
    EXPECT_EQ(outputs[2], kOtherPage + 0x40);  // after the invalidation: a miss and the new mapping
    EXPECT_EQ(outputs[3], kOtherPage + 0x40);
    EXPECT_EQ(b.get64(kPage + 0x40) & 0xff, 0xc0u);
    EXPECT_EQ(b.get64(kOtherPage + 0x40) & 0xff, 0xc1u);
    EXPECT_EQ(cached_before, 1u);
    EXPECT_EQ(cached_after, 0u);  // the wait completed after the endpoint dropped the page
    // The endpoint completes an invalidation 1 us after it arrives (AtsEndpointParams default): the
    // wait's status write comes after that, well within the 100 us time-out.
    EXPECT_GE(status_seen - tail_written, sc_core::sc_time(1, sc_core::SC_US));
    EXPECT_LT(status_seen - tail_written, sc_core::sc_time(5, sc_core::SC_US));
    EXPECT_EQ(b.get64(kStatus) & 0xffff'ffff, 1u);
    EXPECT_EQ(endpoint_counter(endpoint, "atc_misses"), 2u);
    EXPECT_EQ(endpoint_counter(endpoint, "atc_hits"), 2u);
    EXPECT_EQ(endpoint_counter(endpoint, "invalidations_completed"), 1u);
    EXPECT_EQ(counter(b, "device_tlb_invalidations"), 1u);
    EXPECT_EQ(counter(b, "device_tlb_timeouts"), 0u);
}

TEST_F(VtdAtsTest, DeviceTlbInvalidationsCarryTheirRangePasidAndGlobalBit) {
    std::uint64_t status = 0;
    Bench* bench = nullptr;
    Bench b(
        [&](TestInitiator& cpu) {
            Bench& m = *bench;
            enable_queue(cpu, true);  // 256-bit descriptors (scalable mode)
            enable_translation(cpu, kRootTable | kTtmScalable, kQie);
            // 0x3, S = 0, page 0x5000. 0x3, S = 1, 0x400F_F000: bits 19:12 set, bit 20 clear -> 2 MiB
            // at 0x4000_0000. 0x8 for PASID 5, G, S = 1, bit 63 clear and bits 62:12 set -> everything.
            // 0x3 for 00:04.0, which no endpoint serves. Then a wait writing 7.
            m.put64(kQueue + 0x00, 0x3 | (std::uint64_t{kSid} << 32));
            m.put64(kQueue + 0x08, 0x5000);
            m.put64(kQueue + 0x20, 0x3 | (std::uint64_t{kSid} << 32));
            m.put64(kQueue + 0x28, 0x400F'F000 | 1);
            m.put64(kQueue + 0x40, 0x8 | (std::uint64_t{kSid} << 16) | (std::uint64_t{kPasid} << 32));
            m.put64(kQueue + 0x48, 0x7FFF'FFFF'FFFF'F000ull | (1u << 11) | 1);
            m.put64(kQueue + 0x60, 0x3 | (std::uint64_t{0x20} << 32));
            m.put64(kQueue + 0x68, 0x9000);
            m.put64(kQueue + 0x80, 0x5 | (1u << 5) | (7ull << 32));
            m.put64(kQueue + 0x88, kStatus);
            write64(cpu, IQT, 5 << 5);
            while (read64(cpu, IQH) != (5 << 5)) sc_core::wait(ns(10));
            status = m.get64(kStatus);
        },
        idle, enable_device_tlb);
    bench = &b;
    RecordingEndpoint recorder("recorder", kSid);
    b.vtd->ats_endpoints.bind(recorder);
    sc_core::sc_start();
    ASSERT_EQ(recorder.invalidations.size(), 3u);
    const AtcInvalidation& page = recorder.invalidations[0];
    EXPECT_EQ(page.requester, kSid);
    EXPECT_FALSE(page.has_pasid);
    EXPECT_EQ(page.address, 0x5000u);
    EXPECT_EQ(page.size, 0x1000u);
    const AtcInvalidation& range = recorder.invalidations[1];
    EXPECT_EQ(range.address, 0x4000'0000u);
    EXPECT_EQ(range.size, 0x20'0000u);
    const AtcInvalidation& all = recorder.invalidations[2];
    EXPECT_TRUE(all.has_pasid);
    EXPECT_EQ(all.pasid, kPasid);
    EXPECT_TRUE(all.global);
    EXPECT_EQ(all.size, AtcInvalidation::kAll);
    EXPECT_EQ(status & 0xffff'ffff, 7u);
    EXPECT_EQ(counter(b, "device_tlb_invalidations"), 4u);
    EXPECT_EQ(counter(b, "device_tlb_without_endpoint"), 1u);
}

TEST_F(VtdAtsTest, DeviceTlbInvalidationTimeOutSetsIteRecordsTheSourceAndAbortsTheWait) {
    sc_core::sc_time tail_written, ite_seen;
    std::uint32_t fsts_before = 1, fsts_ite = 0, ics = 1, fsts_final = 1;
    std::uint64_t iqercd = 0, iqh_ite = 0, status_ite = 1, iqh_stopped = 0, second_stopped = 1, iqh_final = 0;
    Bench* bench = nullptr;
    Bench b(
        [&](TestInitiator& cpu) {
            Bench& m = *bench;
            put_legacy_context(m, 0x18, 1);
            write32(cpu, FEADDR, static_cast<std::uint32_t>(kFaultMsi));
            write32(cpu, FEDATA, 0x4455);
            write32(cpu, FECTL, 0);
            enable_queue(cpu, false);
            enable_translation(cpu, kRootTable, kQie);
            // Device-TLB invalidation of everything for 00:03.0, then a wait with IF and SW (data 1).
            m.put64(kQueue + 0x00, 0x3 | (std::uint64_t{kSid} << 32));
            m.put64(kQueue + 0x08, 0x7FFF'FFFF'FFFF'F001ull);
            m.put64(kQueue + 0x10, 0x5 | (1u << 4) | (1u << 5) | (1ull << 32));
            m.put64(kQueue + 0x18, kStatus);
            tail_written = sc_core::sc_time_stamp();
            write64(cpu, IQT, 2 << 4);
            sc_core::wait(sc_core::sc_time(99, sc_core::SC_US));
            fsts_before = read32(cpu, FSTS);
            while ((read32(cpu, FSTS) & kIte) == 0) sc_core::wait(sc_core::sc_time(100, sc_core::SC_NS));
            ite_seen = sc_core::sc_time_stamp();
            fsts_ite = read32(cpu, FSTS);
            iqercd = read64(cpu, IQERCD);
            iqh_ite = read64(cpu, IQH);
            ics = read32(cpu, ICS);
            status_ite = m.get64(kStatus);
            // A second wait (data 2) is not fetched while ITE is set ...
            m.put64(kQueue + 0x20, 0x5 | (1u << 5) | (2ull << 32));
            m.put64(kQueue + 0x28, kStatus + 8);
            write64(cpu, IQT, 3 << 4);
            sc_core::wait(sc_core::sc_time(2, sc_core::SC_US));
            iqh_stopped = read64(cpu, IQH);
            second_stopped = m.get64(kStatus + 8);
            // ... and is once software clears ITE.
            write32(cpu, FSTS, kIte);
            while (read64(cpu, IQH) != (3 << 4)) sc_core::wait(ns(10));
            iqh_final = read64(cpu, IQH);
            fsts_final = read32(cpu, FSTS);
        },
        idle, enable_device_tlb);
    bench = &b;
    AtsEndpointParams ignoring;
    ignoring.ignore_invalidations = true;
    AtsEndpoint endpoint("endpoint", ignoring,
                         [&b](tlm::tlm_generic_payload& p, sc_core::sc_time& d) { b.device->socket->b_transport(p, d); });
    endpoint.set_requester(kSid);
    b.vtd->ats_endpoints.bind(endpoint.ats);
    sc_core::sc_start();
    EXPECT_EQ(fsts_before & kIte, 0u);  // not before the 100 us time-out
    EXPECT_GE(ite_seen - tail_written, sc_core::sc_time(100, sc_core::SC_US));
    EXPECT_LT(ite_seen - tail_written, sc_core::sc_time(101, sc_core::SC_US));
    EXPECT_EQ(fsts_ite, kIte);                          // ITE alone
    EXPECT_EQ(iqercd, std::uint64_t{kSid} << 32);       // ITESID
    EXPECT_EQ(iqh_ite, 2u << 4);                        // past the aborted wait
    EXPECT_EQ(status_ite, 0u);                          // the aborted wait wrote no status ...
    EXPECT_EQ(ics, 0u);                                 // ... and set no IWC
    EXPECT_EQ(b.get64(kFaultMsi) & 0xffff'ffff, 0x4455u);  // the fault event
    EXPECT_EQ(iqh_stopped, 2u << 4);
    EXPECT_EQ(second_stopped, 0u);
    EXPECT_EQ(iqh_final, 3u << 4);
    EXPECT_EQ(b.get64(kStatus + 8) & 0xffff'ffff, 2u);
    EXPECT_EQ(fsts_final, 0u);
    EXPECT_EQ(endpoint_counter(endpoint, "invalidations_ignored"), 1u);
    EXPECT_EQ(counter(b, "device_tlb_timeouts"), 1u);
    EXPECT_EQ(counter(b, "waits_aborted"), 1u);
}

TEST_F(VtdAtsTest, PageRequestsAreQueuedWithTheirDescriptorsStatusEventAndOverflow) {
    std::uint32_t pectl_masked = 0, prs_first = 0, prs_full = 0;
    std::uint64_t pqt_first = 0, pqt_second = 0, pqt_third = 0, pqt_full = 0, msi_before_unmask = 1;
    std::uint64_t msis_after_unmask = 0, msis_after_second = 0, msis_after_third = 0, msis_after_overflow = 0;
    std::vector<tlm::tlm_response_status> accepted;
    const MasterAttrs dev = with_pasid(requester(0, 3, 0), kPasid);
    sc_core::sc_event go, sent;
    Bench* bench = nullptr;
    const auto msis = [&] { return counter(*bench, "msis_sent"); };
    Bench b(
        [&](TestInitiator& cpu) {
            Bench& m = *bench;
            put_scalable_context(m, 0x18, true, true);
            enable_page_request_queue(cpu);
            enable_translation(cpu, kRootTable | kTtmScalable);
            go.notify(sc_core::SC_ZERO_TIME);  // first request, with the event masked
            wait(sent);
            // Processing: the context check's five 50 ns reads (root, then the context entry's four
            // words) and the 50 ns descriptor write after the unit's 20 ns: well within 1 us.
            sc_core::wait(ns(1000));
            pectl_masked = read32(cpu, PECTL);
            msi_before_unmask = m.get64(kPageRequestMsi);
            prs_first = read32(cpu, PRS);
            pqt_first = read64(cpu, PQT);
            write32(cpu, PECTL, 0);  // unmask: the pending event is sent
            msis_after_unmask = msis();
            go.notify(sc_core::SC_ZERO_TIME);  // second request: PPR still set, no event
            wait(sent);
            sc_core::wait(ns(1000));
            pqt_second = read64(cpu, PQT);
            msis_after_second = msis();
            write32(cpu, PRS, 1);  // software clears PPR
            go.notify(sc_core::SC_ZERO_TIME);  // third request: PPR set again, an event
            wait(sent);
            sc_core::wait(ns(1000));
            pqt_third = read64(cpu, PQT);
            msis_after_third = msis();
            // Software clears PPR and moves PQH to just after PQT: the queue is full.
            write32(cpu, PRS, 1);
            write64(cpu, PQH, pqt_third + 0x20);
            go.notify(sc_core::SC_ZERO_TIME);  // fourth (last of its group) and fifth (not last) are lost
            wait(sent);
            sc_core::wait(ns(1000));
            prs_full = read32(cpu, PRS);
            pqt_full = read64(cpu, PQT);
            msis_after_overflow = msis();
        },
        [&](TestInitiator& device) {
            wait(go);
            accepted.push_back(page_request(device, dev, 0x7000'1000, 0x1a3, true, true, true));
            sent.notify(sc_core::SC_ZERO_TIME);
            wait(go);
            accepted.push_back(page_request(device, dev, 0x7000'2000, 0x004, false, false));
            sent.notify(sc_core::SC_ZERO_TIME);
            wait(go);
            accepted.push_back(page_request(device, dev, 0x7000'3000, 0x004, true));
            sent.notify(sc_core::SC_ZERO_TIME);
            wait(go);
            accepted.push_back(page_request(device, dev, 0x7000'4000, 0x005, true));
            accepted.push_back(page_request(device, dev, 0x7000'5000, 0x006, false));
            sent.notify(sc_core::SC_ZERO_TIME);
        },
        enable_device_tlb);
    bench = &b;
    RecordingEndpoint recorder("recorder", kSid);
    b.vtd->ats_endpoints.bind(recorder);
    sc_core::sc_start();
    for (tlm::tlm_response_status status : accepted) EXPECT_EQ(status, tlm::TLM_OK_RESPONSE);
    // First descriptor: type 1, PP, RID 0x18, PASID 5, PM; RD, WR, LPIG, PRG index 0x1A3, the page.
    EXPECT_EQ(b.get64(kPageQueue + 0x00), 0x0020'0005'0018'0101ull);
    EXPECT_EQ(b.get64(kPageQueue + 0x08), 0x7000'1000ull | (0x1a3u << 3) | 0x7);
    EXPECT_EQ(b.get64(kPageQueue + 0x10), 0u);
    EXPECT_EQ(b.get64(kPageQueue + 0x18), 0u);
    // Second: read only, not last, PRG index 4; third: RD, WR, LPIG.
    EXPECT_EQ(b.get64(kPageQueue + 0x20), 0x0000'0005'0018'0101ull);
    EXPECT_EQ(b.get64(kPageQueue + 0x28), 0x7000'2000ull | (0x004u << 3) | 0x1);
    EXPECT_EQ(b.get64(kPageQueue + 0x48), 0x7000'3000ull | (0x004u << 3) | 0x7);
    EXPECT_EQ(pectl_masked, 0xc000'0000u);  // IM and IP: the event waits
    EXPECT_EQ(msi_before_unmask, 0u);
    EXPECT_EQ(prs_first, 0x1u);             // PPR
    EXPECT_EQ(pqt_first, 0x20u);
    EXPECT_EQ(msis_after_unmask, 1u);
    EXPECT_EQ(b.get64(kPageRequestMsi) & 0xffff'ffff, 0x77u);
    EXPECT_EQ(pqt_second, 0x40u);
    EXPECT_EQ(msis_after_second, 1u);       // PPR was still set
    EXPECT_EQ(pqt_third, 0x60u);
    EXPECT_EQ(msis_after_third, 2u);        // PPR went from 0 to 1
    EXPECT_EQ(prs_full, 0x2u);              // PRO alone (PPR was cleared)
    EXPECT_EQ(pqt_full, 0x60u);             // nothing written
    EXPECT_EQ(b.get64(kPageQueue + 0x60), 0u);
    EXPECT_EQ(msis_after_overflow, 3u);     // PRO went from 0 to 1 with PPR clear
    // The lost last request of group 5 is answered by the unit (Success: ask again); the lost
    // request that is not last is not answered.
    ASSERT_EQ(recorder.responses.size(), 1u);
    EXPECT_EQ(recorder.responses[0], (RecordingEndpoint::Response{kSid, true, kPasid, 0x005, PrgResponseCode::success}));
    EXPECT_EQ(counter(b, "page_requests"), 5u);
    EXPECT_EQ(counter(b, "page_requests_queued"), 3u);
    EXPECT_EQ(counter(b, "page_requests_overflowed"), 2u);
}

TEST_F(VtdAtsTest, PageRequestWithPageRequestsDisabledIsRecordedAndAnsweredInvalid) {
    std::uint64_t frcd_lo = 0, frcd_hi = 0, pqt = 1;
    std::uint32_t prs = 1;
    Bench* bench = nullptr;
    Bench b(
        [&](TestInitiator& cpu) {
            put_scalable_context(*bench, 0x18, true, false);  // PRE = 0
            enable_page_request_queue(cpu);
            enable_translation(cpu, kRootTable | kTtmScalable);
            wait_until_ns(5000);
            frcd_lo = read64(cpu, FRCD0);
            frcd_hi = read64(cpu, FRCD0 + 8);
            pqt = read64(cpu, PQT);
            prs = read32(cpu, PRS);
        },
        [&](TestInitiator& device) {
            wait_until_ns(1000);
            page_request(device, with_pasid(requester(0, 3, 0), kPasid), 0x7000'1000, 0x42, true);
        },
        enable_device_tlb);
    bench = &b;
    RecordingEndpoint recorder("recorder", kSid);
    b.vtd->ats_endpoints.bind(recorder);
    sc_core::sc_start();
    EXPECT_EQ(frcd_lo, 0x7000'1000u);
    // F, T1:T2 = 01 (page request: T1 = 0, T2 = 1), PV 5, FR 0x47 (SCT.8), PP, SID 0x18.
    EXPECT_EQ(frcd_hi, (1ull << 63) | (5ull << 40) | (0x47ull << 32) | (1ull << 31) | (1ull << 28) | 0x18u);
    EXPECT_EQ(pqt, 0u);
    EXPECT_EQ(prs, 0u);
    ASSERT_EQ(recorder.responses.size(), 1u);
    EXPECT_EQ(recorder.responses[0],
              (RecordingEndpoint::Response{kSid, true, kPasid, 0x42, PrgResponseCode::invalid_request}));
    EXPECT_EQ(counter(b, "page_requests_refused"), 1u);
}

TEST_F(VtdAtsTest, PageGroupResponsesReachTheEndpointWithTheirCodes) {
    Bench* bench = nullptr;
    Bench b(
        [&](TestInitiator& cpu) {
            Bench& m = *bench;
            enable_queue(cpu, true);
            enable_translation(cpu, kRootTable | kTtmScalable, kQie);
            // RC 0 (success) for PASID 5 group 0x1FF, RC 1 (invalid) without PASID group 2, RC 0xF
            // (failure) group 3; the fourth is for 00:04.0, which no endpoint serves.
            m.put64(kQueue + 0x00, 0x9 | (1u << 4) | (0x0u << 12) | (std::uint64_t{kSid} << 16) | (5ull << 32));
            m.put64(kQueue + 0x08, 0x1FFu << 3);
            m.put64(kQueue + 0x20, 0x9 | (0x1u << 12) | (std::uint64_t{kSid} << 16));
            m.put64(kQueue + 0x28, 2u << 3);
            m.put64(kQueue + 0x40, 0x9 | (0xFu << 12) | (std::uint64_t{kSid} << 16));
            m.put64(kQueue + 0x48, 3u << 3);
            m.put64(kQueue + 0x60, 0x9 | (std::uint64_t{0x20} << 16));
            m.put64(kQueue + 0x68, 4u << 3);
            write64(cpu, IQT, 4 << 5);
            while (read64(cpu, IQH) != (4 << 5)) sc_core::wait(ns(10));
        },
        idle, enable_device_tlb);
    bench = &b;
    RecordingEndpoint recorder("recorder", kSid);
    b.vtd->ats_endpoints.bind(recorder);
    sc_core::sc_start();
    using R = RecordingEndpoint::Response;
    EXPECT_EQ(recorder.responses, (std::vector<R>{{kSid, true, 5, 0x1FF, PrgResponseCode::success},
                                                  {kSid, false, 0, 2, PrgResponseCode::invalid_request},
                                                  {kSid, false, 0, 3, PrgResponseCode::response_failure}}));
    EXPECT_EQ(counter(b, "page_group_responses"), 3u);
    EXPECT_EQ(counter(b, "page_group_responses_without_endpoint"), 1u);
}

TEST_F(VtdAtsTest, PageRequestRoundTripMapsThePageAndTheEndpointRetries) {
    std::optional<std::uint64_t> output;
    std::uint64_t descriptor0 = 0, descriptor1 = 0;
    tlm::tlm_response_status write_status = tlm::TLM_INCOMPLETE_RESPONSE;
    const MasterAttrs dev = with_pasid(requester(0, 3, 0), kPasid);
    Bench* bench = nullptr;
    AtsEndpoint* endpoint_ptr = nullptr;
    sc_core::sc_event ready;
    Bench b(
        [&](TestInitiator& cpu) {
            Bench& m = *bench;
            put_scalable_context(m, 0x18, true, true);
            put_second_level(m, false);  // kIova not mapped yet
            enable_page_request_queue(cpu);
            write32(cpu, PECTL, 0);
            enable_queue(cpu, true);
            enable_translation(cpu, kRootTable | kTtmScalable, kQie);
            ready.notify(sc_core::SC_ZERO_TIME);
            // Software's page-request handler: wait for the event, read the descriptor, map the page,
            // consume the request, answer the group (and a wait, as Linux does).
            while (m.get64(kPageRequestMsi) == 0) sc_core::wait(ns(50));
            const std::uint64_t head = read64(cpu, PQH), tail = read64(cpu, PQT);
            descriptor0 = m.get64(kPageQueue + head);
            descriptor1 = m.get64(kPageQueue + head + 8);
            m.put64(kLeafEntry, kPage | 0x3);
            write64(cpu, PQH, tail);
            write32(cpu, PRS, 1);
            const std::uint64_t group = (descriptor1 >> 3) & 0x1FF;
            m.put64(kQueue + 0x00, 0x9 | (1u << 4) | (std::uint64_t{kSid} << 16) | (std::uint64_t{kPasid} << 32));
            m.put64(kQueue + 0x08, group << 3);
            m.put64(kQueue + 0x20, 0x5 | (1u << 5) | (1ull << 32));
            m.put64(kQueue + 0x28, kStatus);
            write64(cpu, IQT, 2 << 5);
        },
        [&](TestInitiator& device) {
            wait(ready);
            sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
            output = endpoint_ptr->translate(dev, kIova + 0x80, true, delay);
            sc_core::wait(delay);
            if (output) write_status = dma_write(device, *output, {0x5e}, translated(dev));
        },
        enable_device_tlb);
    bench = &b;
    AtsEndpointParams params;
    params.pri_enabled = true;
    AtsEndpoint endpoint("endpoint", params,
                         [&b](tlm::tlm_generic_payload& p, sc_core::sc_time& d) { b.device->socket->b_transport(p, d); });
    endpoint.set_requester(kSid);
    b.vtd->ats_endpoints.bind(endpoint.ats);
    endpoint_ptr = &endpoint;
    sc_core::sc_start();
    // The descriptor: type 1, PP, RID 0x18, PASID 5; RD, WR, LPIG, group 0 (the endpoint's first), the page.
    EXPECT_EQ(descriptor0, 0x0000'0005'0018'0101ull);
    EXPECT_EQ(descriptor1, kIova | 0x7);
    ASSERT_TRUE(output.has_value());
    EXPECT_EQ(*output, kPage + 0x80);
    EXPECT_EQ(write_status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(b.get64(kPage + 0x80) & 0xff, 0x5eu);
    EXPECT_EQ(endpoint_counter(endpoint, "translation_requests"), 2u);
    EXPECT_EQ(endpoint_counter(endpoint, "page_requests"), 1u);
    EXPECT_EQ(endpoint_counter(endpoint, "page_responses"), 1u);
    EXPECT_EQ(counter(b, "ats_no_translation"), 1u);
    EXPECT_EQ(counter(b, "page_requests_queued"), 1u);
    EXPECT_EQ(counter(b, "page_group_responses"), 1u);
    EXPECT_EQ(counter(b, "faults_recorded"), 0u);
}

}  // namespace
}  // namespace iommu_vp
