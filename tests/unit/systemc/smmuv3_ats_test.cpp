// SMMUv3 ATS and PRI: translation requests answered from the tables (SMMUv3 3.9.1.2, 13.7.1),
// translated transactions and CR0.ATSCHK / STE.EATS (3.9.1.3, 5.2), CMD_ATC_INV delivered to an
// ATS endpoint and waited for by CMD_SYNC with its time-out (4.5.1, 3.9.1.4, 7.1), CMD_PRI_RESP
// (4.5.2), and page requests written to the PRI queue with its interrupt, overflow and
// auto-responses (chapter 8). Expected values are worked out by hand from the specification; the
// encodings are listed in smmuv3_ats_bench.h. Event records (7.3): EventID [7:0] and StreamID
// [63:32] of word 0, SSV 11, SubstreamID [31:12]; RnW is word 1 bit 35; InputAddr is word 2.
// F_BAD_ATS_TREQ is 0x05, F_TRANSL_FORBIDDEN 0x07. GERROR.CMDQ_ERR is bit 0; CMDQ_CONS.ERR is
// [30:24] with CERROR_ATC_INV_SYNC = 3. PRI queue entries (chapter 8): word 0 StreamID [31:0],
// SubstreamID [51:32], Priv 58, Exe 59, R 60, W 61, Last 62, SSV 63; word 1 PRGIndex [8:0], page
// address [63:12].
#include "models/smmuv3/smmuv3.h"

#include "sc_test.h"
#include "unit/systemc/smmuv3_ats_bench.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <vector>

namespace iommu_vp {
namespace {

using namespace testing::smmuv3_ats_bench;

class Smmuv3AtsTest : public iommu_vp::testing::ScTest {};

constexpr std::uint64_t kTwoMiB = 2ull << 20;

std::uint32_t memory32(SparseMemory& m, std::uint64_t address) { return static_cast<std::uint32_t>(get64(m, address)); }

TEST_F(Smmuv3AtsTest, IdentificationAdvertisesAtsPriAndThePriQueueSize) {
    std::uint32_t idr0 = 0, idr1 = 0;
    AtsBench bench(
        [&](TestInitiator& cpu) {
            idr0 = read32(cpu, IDR0);
            idr1 = read32(cpu, IDR1);
        },
        idle, EndpointKind::none, {}, [](Smmuv3Params& p) { p.features.priq_log2_entries = 7; });
    sc_core::sc_start();
    EXPECT_TRUE(idr0 & (1u << 10));   // ATS
    EXPECT_TRUE(idr0 & (1u << 11));   // NS1ATS: split-stage ATS not supported
    EXPECT_TRUE(idr0 & (1u << 16));   // PRI
    EXPECT_EQ((idr1 >> 11) & 0x1f, 7u);  // PRIQS
}

TEST_F(Smmuv3AtsTest, PriWithoutAtsOrAnOversizedPriQueueIsRefusedAtConstruction) {
    Smmuv3Params p;
    p.features.pri = true;  // PRI depends on ATS (3.9.1)
    EXPECT_THROW(Smmuv3("smmu_pri_only", p), std::invalid_argument);
    p.features.ats = true;
    p.features.priq_log2_entries = 20;  // at most 2^19 entries (chapter 8)
    EXPECT_THROW(Smmuv3("smmu_big_priq", p), std::invalid_argument);
}

TEST_F(Smmuv3AtsTest, TranslationRequestAnswersPageAndBlockWithTheirPermissions) {
    Completion page_rw, page_read_only_asked, block, block_priv, priv_only;
    std::uint32_t evtq_prod = 0;
    sc_core::sc_event ready;
    AtsBench bench(
        [&](TestInitiator& cpu) {
            enable(cpu);
            ready.notify();
            sc_core::wait(ns(20000));
            evtq_prod = read32(cpu, EVTQ_PROD);
        },
        [&](TestInitiator& device) {
            sc_core::wait(ready);
            const MasterAttrs attrs(kStream);
            page_rw = translation_request(device, kVa + 0x123, attrs, false);
            page_read_only_asked = translation_request(device, kVa, attrs, true);
            block = translation_request(device, kBlockVa + 0x3000, attrs, false);
            priv_only = translation_request(device, kPrivVa, attrs, false);
        });
    put_tables(*bench.memory);
    sc_core::sc_start();
    // A 4 KiB page, read/write at EL0: the page's base and size, R and W (NW = 0), no Exe or Priv
    // without a PASID, Global 0.
    EXPECT_EQ(page_rw.response, tlm::TLM_OK_RESPONSE);
    EXPECT_TRUE(page_rw.data_untouched);
    EXPECT_EQ(page_rw.translation.status, AtsTranslation::Status::success);
    EXPECT_EQ(page_rw.translation.translated_address, kPage);
    EXPECT_EQ(page_rw.translation.range_bytes, 4096u);
    EXPECT_TRUE(page_rw.translation.read);
    EXPECT_TRUE(page_rw.translation.write);
    EXPECT_FALSE(page_rw.translation.execute);
    EXPECT_FALSE(page_rw.translation.privileged);
    EXPECT_FALSE(page_rw.translation.global);
    // NW = 1: read only.
    EXPECT_TRUE(page_read_only_asked.translation.read);
    EXPECT_FALSE(page_read_only_asked.translation.write);
    // A read-only 2 MiB block: its base and size, R without W.
    EXPECT_EQ(block.translation.status, AtsTranslation::Status::success);
    EXPECT_EQ(block.translation.translated_address, kBlock);
    EXPECT_EQ(block.translation.range_bytes, kTwoMiB);
    EXPECT_TRUE(block.translation.read);
    EXPECT_FALSE(block.translation.write);
    // A page only privileged accesses may use, asked for without a PASID (Unprivileged, 13.7):
    // Success with R = W = 0 over one STU.
    EXPECT_EQ(priv_only.translation.status, AtsTranslation::Status::success);
    EXPECT_FALSE(priv_only.translation.read);
    EXPECT_FALSE(priv_only.translation.write);
    EXPECT_EQ(priv_only.translation.range_bytes, 4096u);
    EXPECT_EQ(evtq_prod, 0u);  // nothing recorded
    EXPECT_EQ(counter(bench.smmu->stats(), "ats_translation_requests"), 4u);
    EXPECT_EQ(counter(bench.smmu->stats(), "ats_translations_granted"), 3u);
    EXPECT_EQ(counter(bench.smmu->stats(), "ats_no_translation"), 1u);
}

TEST_F(Smmuv3AtsTest, TranslationRequestsRefusedByTheStreamAreUnsupportedOrCompleterAborts) {
    Completion no_ats, bypass, aborting, invalid;
    std::uint32_t evtq_prod = 0;
    sc_core::sc_event ready;
    AtsBench bench(
        [&](TestInitiator& cpu) {
            enable(cpu);
            ready.notify();
            sc_core::wait(ns(20000));
            evtq_prod = read32(cpu, EVTQ_PROD);
        },
        [&](TestInitiator& device) {
            sc_core::wait(ready);
            no_ats = translation_request(device, kVa + 0x10, MasterAttrs(kNoAtsStream), false);
            bypass = translation_request(device, 0x5000, MasterAttrs(kBypassStream), false);
            aborting = translation_request(device, 0x5000, MasterAttrs(kAbortStream), false);
            invalid = translation_request(device, 0x5000, MasterAttrs(kInvalidStream), false);
        });
    put_tables(*bench.memory);
    sc_core::sc_start();
    // EATS = 0b00, and bypass (EATS effectively 0b00): UR and F_BAD_ATS_TREQ (3.9.1.2, 7.3.6).
    EXPECT_EQ(no_ats.response, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(no_ats.translation.status, AtsTranslation::Status::unsupported_request);
    EXPECT_EQ(bypass.translation.status, AtsTranslation::Status::unsupported_request);
    // Config = 0b000: UR without an event. V = 0 (C_BAD_STE): CA without an event (no REC_CFG_ATS).
    EXPECT_EQ(aborting.translation.status, AtsTranslation::Status::unsupported_request);
    EXPECT_EQ(invalid.translation.status, AtsTranslation::Status::completer_abort);
    ASSERT_EQ(evtq_prod, 2u);
    EXPECT_EQ(get64(*bench.memory, kEventQueue), 0x05u | (std::uint64_t{kNoAtsStream} << 32));
    EXPECT_EQ(get64(*bench.memory, kEventQueue + 16), kVa);  // the request's page
    EXPECT_EQ(get64(*bench.memory, kEventQueue + 32), 0x05u | (std::uint64_t{kBypassStream} << 32));
    EXPECT_EQ(get64(*bench.memory, kEventQueue + 32 + 16), 0x5000u);
    const StatsGroup* by_type = child_group(bench.smmu->stats(), "events_by_type");
    ASSERT_NE(by_type, nullptr);
    EXPECT_EQ(counter(*by_type, "F_BAD_ATS_TREQ"), 2u);
    EXPECT_EQ(counter(bench.smmu->stats(), "ats_unsupported_requests"), 3u);
    EXPECT_EQ(counter(bench.smmu->stats(), "ats_completer_aborts"), 1u);
}

TEST_F(Smmuv3AtsTest, NotPresentPageIsASuccessWithoutPermissionsAndRecordsNothing) {
    Completion missing;
    std::uint32_t evtq_prod = 1;
    sc_core::sc_event ready;
    AtsBench bench(
        [&](TestInitiator& cpu) {
            enable(cpu);
            ready.notify();
            sc_core::wait(ns(20000));
            evtq_prod = read32(cpu, EVTQ_PROD);
        },
        [&](TestInitiator& device) {
            sc_core::wait(ready);
            missing = translation_request(device, kUnmappedVa, MasterAttrs(kStream), false);
        });
    put_tables(*bench.memory);
    sc_core::sc_start();
    // A translation fault on a translation request: Success, R = W = 0, the STU as its size, and no
    // event (3.9.1.2).
    EXPECT_EQ(missing.response, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(missing.translation.status, AtsTranslation::Status::success);
    EXPECT_TRUE(missing.translation.no_translation());
    EXPECT_EQ(missing.translation.range_bytes, 4096u);
    EXPECT_EQ(evtq_prod, 0u);
}

TEST_F(Smmuv3AtsTest, WithTheSmmuDisabledTranslationRequestsAreUnsupportedAndTranslatedTrafficForbidden) {
    Completion request;
    tlm::tlm_response_status translated = tlm::TLM_INCOMPLETE_RESPONSE;
    std::uint32_t evtq_prod = 0;
    sc_core::sc_event ready;
    AtsBench bench(
        [&](TestInitiator& cpu) {
            enable(cpu, kEvtqEnable);  // SMMUEN = 0, the event queue on
            ready.notify();
            sc_core::wait(ns(20000));
            evtq_prod = read32(cpu, EVTQ_PROD);
        },
        [&](TestInitiator& device) {
            sc_core::wait(ready);
            request = translation_request(device, kVa, MasterAttrs(kStream), false);
            translated = translated_write(device, kStream, kPage + 0x40, 0x11223344);
        });
    put_tables(*bench.memory);
    sc_core::sc_start();
    // SMMUEN == 0: UR with F_BAD_ATS_TREQ; a translated transaction is F_TRANSL_FORBIDDEN and
    // aborted (3.9.1.2, 3.9.1.3).
    EXPECT_EQ(request.translation.status, AtsTranslation::Status::unsupported_request);
    EXPECT_EQ(translated, tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(memory32(*bench.memory, kPage + 0x40), 0u);
    ASSERT_EQ(evtq_prod, 2u);
    EXPECT_EQ(get64(*bench.memory, kEventQueue) & 0xff, 0x05u);
    EXPECT_EQ(get64(*bench.memory, kEventQueue + 32), 0x07u | (std::uint64_t{kStream} << 32));
    EXPECT_EQ(get64(*bench.memory, kEventQueue + 32 + 8) & (1ull << 35), 0u);  // RnW = 0: a write
    EXPECT_EQ(get64(*bench.memory, kEventQueue + 32 + 16), kPage + 0x40);
}

TEST_F(Smmuv3AtsTest, TranslatedTransactionsFollowAtschkAndEats) {
    tlm::tlm_response_status unchecked_no_ats = tlm::TLM_INCOMPLETE_RESPONSE, checked_no_ats = unchecked_no_ats,
                             checked_ats = unchecked_no_ats, checked_abort = unchecked_no_ats;
    std::uint32_t evtq_prod = 0;
    sc_core::sc_event phase1, phase1_done, phase2;
    AtsBench bench(
        [&](TestInitiator& cpu) {
            enable(cpu);
            phase1.notify();
            sc_core::wait(phase1_done);
            // CR0.ATSCHK = 1 (and the STEs are fetched after it: nothing cached them yet).
            const std::uint32_t cr0 = kSmmuEn | kPriqEn | kEvtqEnable | kCmdqEnable | kAtsChk;
            write32(cpu, CR0, cr0);
            while (read32(cpu, CR0ACK) != cr0) sc_core::wait(ns(10));
            phase2.notify();
            sc_core::wait(ns(20000));
            evtq_prod = read32(cpu, EVTQ_PROD);
        },
        [&](TestInitiator& device) {
            sc_core::wait(phase1);
            // ATSCHK == 0: translated traffic passes without the STE being looked at, EATS == 0 or not.
            unchecked_no_ats = translated_write(device, kNoAtsStream, kPage + 0x10, 0xa1a2a3a4);
            phase1_done.notify();
            sc_core::wait(phase2);
            // ATSCHK == 1: EATS == 0b00 is F_TRANSL_FORBIDDEN and an abort; EATS == 0b01 passes;
            // Config == 0b000 aborts without an event.
            checked_no_ats = translated_write(device, kNoAtsStream, kPage + 0x20, 0xb1b2b3b4);
            checked_ats = translated_write(device, kStream, kPage + 0x30, 0xc1c2c3c4);
            checked_abort = translated_write(device, kAbortStream, kPage + 0x38, 0xd1d2d3d4);
        });
    put_tables(*bench.memory);
    sc_core::sc_start();
    EXPECT_EQ(unchecked_no_ats, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(memory32(*bench.memory, kPage + 0x10), 0xa1a2a3a4u);  // at the address as given
    EXPECT_EQ(checked_no_ats, tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(memory32(*bench.memory, kPage + 0x20), 0u);
    EXPECT_EQ(checked_ats, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(memory32(*bench.memory, kPage + 0x30), 0xc1c2c3c4u);
    EXPECT_EQ(checked_abort, tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(memory32(*bench.memory, kPage + 0x38), 0u);
    ASSERT_EQ(evtq_prod, 1u);
    EXPECT_EQ(get64(*bench.memory, kEventQueue), 0x07u | (std::uint64_t{kNoAtsStream} << 32));
    EXPECT_EQ(get64(*bench.memory, kEventQueue + 8) & (1ull << 35), 0u);  // a write
    EXPECT_EQ(get64(*bench.memory, kEventQueue + 16), kPage + 0x20);
    EXPECT_EQ(counter(bench.smmu->stats(), "ats_translated_requests"), 2u);
    EXPECT_EQ(counter(bench.smmu->stats(), "ats_translated_forbidden"), 2u);
}

TEST_F(Smmuv3AtsTest, AtcInvalidationCompletesAfterTheEndpointAndItsNextAccessGetsTheNewMapping) {
    AtsEndpointParams endpoint_params;
    endpoint_params.invalidation_latency = ns(5000);
    std::optional<std::uint64_t> before, cached, after;
    std::uint32_t cons_midway = 0, cons_done = 0;
    sc_core::sc_time posted, completed;
    sc_core::sc_event ready, cached_event, remapped;
    AtsBench* self = nullptr;
    AtsBench bench(
        [&](TestInitiator& cpu) {
            enable(cpu);
            ready.notify();
            sc_core::wait(cached_event);
            // Software changes the translation, then: CMD_TLBI_NH_VA, CMD_SYNC, CMD_ATC_INV, CMD_SYNC
            // (the order of 4.5.1's example).
            put64(*self->memory, kLevel3 + 4 * 8, kNewPage | 0b11 | kAf | kApRwAny);
            put_command(*self->memory, 0, cmd_tlbi_nh_va(1), kVa | 1);
            put_command(*self->memory, 1, cmd_sync());
            put_command(*self->memory, 2, cmd_atc_inv(kStream), kVa);  // Size 0: one 4 KiB page
            put_command(*self->memory, 3, cmd_sync());
            posted = sc_core::sc_time_stamp();
            write32(cpu, CMDQ_PROD, 4);
            sc_core::wait(ns(3000));
            cons_midway = read32(cpu, CMDQ_CONS);
            cons_done = poll_cons(cpu, 4);
            completed = sc_core::sc_time_stamp();
            remapped.notify();
        },
        [&](TestInitiator&) {
            sc_core::wait(ready);
            const MasterAttrs attrs(kStream);
            sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
            before = self->endpoint->translate(attrs, kVa + 0x10, false, delay);
            cached = self->endpoint->translate(attrs, kVa + 0x20, false, delay);
            sc_core::wait(delay);
            cached_event.notify();
            sc_core::wait(remapped);
            delay = sc_core::SC_ZERO_TIME;
            after = self->endpoint->translate(attrs, kVa + 0x10, false, delay);
        },
        EndpointKind::ats_endpoint, endpoint_params);
    self = &bench;
    put_tables(*bench.memory);
    sc_core::sc_start();
    ASSERT_TRUE(before.has_value());
    EXPECT_EQ(*before, kPage + 0x10);
    ASSERT_TRUE(cached.has_value());
    EXPECT_EQ(*cached, kPage + 0x20);
    // 3 us after posting, the ATC invalidation is consumed and its CMD_SYNC waits for the endpoint.
    EXPECT_EQ(cons_midway, 3u);
    EXPECT_EQ(cons_done, 4u);
    EXPECT_GE(completed - posted, ns(5000));
    ASSERT_TRUE(after.has_value());
    EXPECT_EQ(*after, kNewPage + 0x10);
    const StatsGroup& endpoint = bench.endpoint->stats();
    EXPECT_EQ(counter(endpoint, "atc_hits"), 1u);   // the second access
    EXPECT_EQ(counter(endpoint, "atc_misses"), 2u);  // the first, and the one after the invalidation
    EXPECT_EQ(counter(endpoint, "invalidations_completed"), 1u);
    EXPECT_EQ(counter(bench.smmu->stats(), "atc_invalidations"), 1u);
    EXPECT_EQ(counter(bench.smmu->stats(), "atc_invalidations_completed"), 1u);
}

TEST_F(Smmuv3AtsTest, AtcInvalidationTimeOutEndsTheSyncWithCerrorAtcInvSync) {
    AtsEndpointParams endpoint_params;
    endpoint_params.ignore_invalidations = true;
    std::uint32_t cons_50us = 0, gerror_50us = 0, cons_110us = 0, gerror_110us = 0, cons_after_ack = 0;
    std::size_t sync_irqs_before_ack = 0;
    AtsBench* self = nullptr;
    AtsBench bench(
        [&](TestInitiator& cpu) {
            enable(cpu);
            put_command(*self->memory, 0, cmd_atc_inv(kStream), kVa);
            put_command(*self->memory, 1, cmd_sync(1));  // SIG_IRQ, wired (no MSIAddress)
            const sc_core::sc_time posted = sc_core::sc_time_stamp();
            write32(cpu, CMDQ_PROD, 2);
            sc_core::wait(posted + ns(50000) - sc_core::sc_time_stamp());
            cons_50us = read32(cpu, CMDQ_CONS);
            gerror_50us = read32(cpu, GERROR);
            sc_core::wait(posted + ns(110000) - sc_core::sc_time_stamp());
            cons_110us = read32(cpu, CMDQ_CONS);
            gerror_110us = read32(cpu, GERROR);
            sync_irqs_before_ack = self->cmd_sync_edges.rises.size();
            write32(cpu, GERRORN, gerror_110us);  // acknowledge: the CMD_SYNC is executed again
            cons_after_ack = poll_cons(cpu, 2);
            sc_core::wait(ns(100));
        },
        idle, EndpointKind::ats_endpoint, endpoint_params);
    self = &bench;
    put_tables(*bench.memory);
    sc_core::sc_start();
    // Within the 100 us time-out the CMD_SYNC waits (CONS on it, no error).
    EXPECT_EQ(cons_50us, 1u);
    EXPECT_EQ(gerror_50us, 0u);
    // Past it: CMDQ_ERR, CONS still on the CMD_SYNC with ERR = CERROR_ATC_INV_SYNC, no completion
    // signal (3.9.1.4, 7.1).
    EXPECT_EQ(gerror_110us & 1u, 1u);
    EXPECT_EQ(cons_110us, 1u | (3u << 24));
    EXPECT_EQ(sync_irqs_before_ack, 0u);
    // Acknowledged, the CMD_SYNC no longer waits for the invalidation that timed out.
    EXPECT_EQ(cons_after_ack, 2u);
    EXPECT_EQ(bench.cmd_sync_edges.rises.size(), 1u);
    EXPECT_EQ(counter(bench.smmu->stats(), "atc_invalidations_timed_out"), 1u);
}

TEST_F(Smmuv3AtsTest, AtcInvalidationAndPriResponseCommandsReachTheEndpointWithTheirFields) {
    std::uint32_t cons = 0;
    AtsBench* self = nullptr;
    AtsBench bench(
        [&](TestInitiator& cpu) {
            enable(cpu);
            put_command(*self->memory, 0, cmd_atc_inv(kStream), 0x1234'5000ull | 4);  // Size 4: 64 KiB
            put_command(*self->memory, 1, cmd_atc_inv(kStream, true, 9, true), 0x7000);  // PASID 9, Global
            put_command(*self->memory, 2, cmd_atc_inv(kStream, false, 0, true), 52);    // everything; G ignored
            put_command(*self->memory, 3, cmd_pri_resp(kStream), pri_resp_word1(0x1ab, 0b00));
            put_command(*self->memory, 4, cmd_pri_resp(kStream), pri_resp_word1(2, 0b01));
            put_command(*self->memory, 5, cmd_pri_resp(kStream, true, 5), pri_resp_word1(3, 0b10));
            put_command(*self->memory, 6, cmd_sync());
            write32(cpu, CMDQ_PROD, 7);
            cons = poll_cons(cpu, 7);
        },
        idle, EndpointKind::recording);
    self = &bench;
    put_tables(*bench.memory);
    sc_core::sc_start();
    EXPECT_EQ(cons, 7u);
    const std::vector<AtcInvalidation>& inv = bench.recorder->invalidations;
    ASSERT_EQ(inv.size(), 3u);
    // 4096 * 2^4 bytes, the address aligned down to the span (4.5.1).
    EXPECT_EQ(inv[0].requester, kStream);
    EXPECT_FALSE(inv[0].has_pasid);
    EXPECT_EQ(inv[0].address, 0x1234'0000u);
    EXPECT_EQ(inv[0].size, 0x1'0000u);
    EXPECT_TRUE(inv[1].has_pasid);
    EXPECT_EQ(inv[1].pasid, 9u);
    EXPECT_TRUE(inv[1].global);
    EXPECT_EQ(inv[1].address, 0x7000u);
    EXPECT_EQ(inv[1].size, 4096u);
    EXPECT_FALSE(inv[2].global);  // Global is IGNORED without SSV
    EXPECT_EQ(inv[2].size, AtcInvalidation::kAll);
    // Resp 0b00 ResponseFailure, 0b01 InvalidRequest, 0b10 Success (4.5.2).
    const std::vector<PriResponse>& r = bench.recorder->responses;
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0].group_index, 0x1abu);
    EXPECT_EQ(r[0].code, PrgResponseCode::response_failure);
    EXPECT_FALSE(r[0].has_pasid);
    EXPECT_EQ(r[1].code, PrgResponseCode::invalid_request);
    EXPECT_EQ(r[2].code, PrgResponseCode::success);
    EXPECT_TRUE(r[2].has_pasid);
    EXPECT_EQ(r[2].pasid, 5u);
    EXPECT_EQ(r[2].group_index, 3u);
}

TEST_F(Smmuv3AtsTest, PageRequestsAreWrittenToThePriQueueWithTheirFieldsAndTheWiredInterrupt) {
    std::uint32_t prod = 0;
    tlm::tlm_response_status first = tlm::TLM_INCOMPLETE_RESPONSE, second = first;
    sc_core::sc_event ready;
    AtsBench bench(
        [&](TestInitiator& cpu) {
            write32(cpu, IRQ_CTRL, kPriqIrqEn);
            while (read32(cpu, IRQ_CTRLACK) != kPriqIrqEn) sc_core::wait(ns(10));
            enable(cpu);
            ready.notify();
            sc_core::wait(ns(5000));
            prod = read32(cpu, PRIQ_PROD);
        },
        [&](TestInitiator& device) {
            sc_core::wait(ready);
            PageRequest with_pasid;
            with_pasid.pasid = true;
            with_pasid.ssid = 5;
            with_pasid.address = 0x1234'5678;
            with_pasid.group = 0x1ab;
            with_pasid.write = with_pasid.execute = with_pasid.privileged = true;
            first = page_request(device, with_pasid);
            PageRequest without;  // Exe and Priv asked for without a PASID: written as 0
            without.address = 0x9000;
            without.group = 2;
            without.last = false;
            without.execute = without.privileged = true;
            second = page_request(device, without);
        });
    put_tables(*bench.memory);
    sc_core::sc_start();
    EXPECT_EQ(first, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(second, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(prod, 2u);
    EXPECT_EQ(get64(*bench.memory, kPriQueue),
              kStream | (5ull << 32) | (1ull << 58) | (1ull << 59) | (1ull << 60) | (1ull << 61) | (1ull << 62) |
                  (1ull << 63));
    EXPECT_EQ(get64(*bench.memory, kPriQueue + 8), 0x1234'5000ull | 0x1ab);
    EXPECT_EQ(get64(*bench.memory, kPriQueue + 16), kStream | (1ull << 60));  // R only, not Last, no SSV
    EXPECT_EQ(get64(*bench.memory, kPriQueue + 24), 0x9000ull | 2);
    // One interrupt: the queue went from empty to non-empty once (PRIQ_IRQ_CFG2.LO = 0).
    EXPECT_EQ(bench.priq_edges.rises.size(), 1u);
    EXPECT_EQ(counter(bench.smmu->stats(), "page_requests_queued"), 2u);
}

TEST_F(Smmuv3AtsTest, PriQueueMsiWithLastOnlySignalsLastRequests) {
    std::uint32_t msi_after_first = 1, msi_after_last = 0;
    sc_core::sc_event ready, first_sent, last_sent;
    AtsBench* self = nullptr;
    AtsBench bench(
        [&](TestInitiator& cpu) {
            write32(cpu, PRIQ_IRQ_CFG0, static_cast<std::uint32_t>(kMsi));
            write32(cpu, PRIQ_IRQ_CFG1, 0xabcd);
            write32(cpu, PRIQ_IRQ_CFG2, 1u << 31);  // LO
            write32(cpu, IRQ_CTRL, kPriqIrqEn);
            while (read32(cpu, IRQ_CTRLACK) != kPriqIrqEn) sc_core::wait(ns(10));
            enable(cpu);
            ready.notify();
            sc_core::wait(first_sent);
            sc_core::wait(ns(2000));
            msi_after_first = memory32(*self->memory, kMsi);
            ready.notify();
            sc_core::wait(last_sent);
            sc_core::wait(ns(2000));
            msi_after_last = memory32(*self->memory, kMsi);
        },
        [&](TestInitiator& device) {
            sc_core::wait(ready);
            PageRequest r;
            r.address = 0x3000;
            r.last = false;
            page_request(device, r);
            first_sent.notify();
            sc_core::wait(ready);
            r.last = true;
            page_request(device, r);
            last_sent.notify();
        },
        EndpointKind::none, {}, {});
    self = &bench;
    put_tables(*bench.memory);
    sc_core::sc_start();
    // With LO, the first (Last = 0) request into the empty queue signals nothing; the Last one does,
    // by MSI (PRIQ_IRQ_CFG0 != 0), not on the wire.
    EXPECT_EQ(msi_after_first, 0u);
    EXPECT_EQ(msi_after_last, 0xabcdu);
    EXPECT_EQ(bench.priq_edges.rises.size(), 0u);
}

TEST_F(Smmuv3AtsTest, PriQueueOverflowSetsOvflgDiscardsAndAutoRespondsSuccess) {
    std::uint32_t prod_full = 0, prod_after = 0;
    std::uint64_t first_entry = 0, second_entry = 0;
    sc_core::sc_event ready, overflowed, acknowledged;
    AtsBench* self = nullptr;
    AtsBench bench(
        [&](TestInitiator& cpu) {
            enable(cpu, kSmmuEn | kPriqEn | kEvtqEnable | kCmdqEnable, 1);  // two entries
            ready.notify();
            sc_core::wait(overflowed);
            sc_core::wait(ns(2000));
            prod_full = read32(cpu, PRIQ_PROD);
            first_entry = get64(*self->memory, kPriQueue + 8);
            second_entry = get64(*self->memory, kPriQueue + 24);
            // Software consumes both entries and acknowledges the overflow in one write (8.1).
            write32(cpu, PRIQ_CONS, (prod_full & 0x3) | (prod_full & kOvflg));
            acknowledged.notify();
            sc_core::wait(ns(2000));
            prod_after = read32(cpu, PRIQ_PROD);
        },
        [&](TestInitiator& device) {
            sc_core::wait(ready);
            for (std::uint32_t group = 1; group <= 3; ++group) {
                PageRequest r;
                r.address = 0x1000 * group;
                r.group = group;
                page_request(device, r);
            }
            PageRequest with_pasid;  // arrives while the overflow condition is active
            with_pasid.pasid = true;
            with_pasid.ssid = 9;
            with_pasid.address = 0x4000;
            with_pasid.group = 4;
            page_request(device, with_pasid);
            overflowed.notify();
            sc_core::wait(acknowledged);
            sc_core::wait(ns(100));
            PageRequest fifth;
            fifth.address = 0x5000;
            fifth.group = 5;
            page_request(device, fifth);
        },
        EndpointKind::recording);
    self = &bench;
    put_tables(*bench.memory, ste_eats(0b01) | kStePpar);
    sc_core::sc_start();
    // Two written, OVFLG toggled by the third; WR = 2 is index 0 with the wrap bit of a 2-entry queue.
    EXPECT_EQ(prod_full, kOvflg | 2u);
    EXPECT_EQ(first_entry, 0x1000u | 1);
    EXPECT_EQ(second_entry, 0x2000u | 2);
    // The discarded Last requests get Success (8.1): without a PASID, and with the request's PASID
    // when STE.PPAR == 1.
    const std::vector<PriResponse>& r = bench.recorder->responses;
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].group_index, 3u);
    EXPECT_EQ(r[0].code, PrgResponseCode::success);
    EXPECT_FALSE(r[0].has_pasid);
    EXPECT_EQ(r[1].group_index, 4u);
    EXPECT_EQ(r[1].code, PrgResponseCode::success);
    EXPECT_TRUE(r[1].has_pasid);
    EXPECT_EQ(r[1].pasid, 9u);
    // After the acknowledgement the fifth request is written at index 0.
    EXPECT_EQ(prod_after, kOvflg | 3u);
    EXPECT_EQ(get64(*bench.memory, kPriQueue + 8), 0x5000u | 5);
    EXPECT_EQ(counter(bench.smmu->stats(), "page_requests_overflowed"), 2u);
}

TEST_F(Smmuv3AtsTest, PageRequestsWithThePriQueueDisabledGetResponseFailure) {
    std::uint32_t prod = 1;
    sc_core::sc_event ready;
    AtsBench bench(
        [&](TestInitiator& cpu) {
            enable(cpu, kSmmuEn | kEvtqEnable | kCmdqEnable);  // PRIQEN = 0
            ready.notify();
            sc_core::wait(ns(5000));
            prod = read32(cpu, PRIQ_PROD);
        },
        [&](TestInitiator& device) {
            sc_core::wait(ready);
            PageRequest r;
            r.pasid = true;
            r.ssid = 5;
            r.address = 0x6000;
            r.group = 7;
            page_request(device, r);
            PageRequest stop;  // a Stop Marker: PASID, L = 1, R = W = 0
            stop.pasid = true;
            stop.ssid = 5;
            stop.read = false;
            page_request(device, stop);
        },
        EndpointKind::recording);
    put_tables(*bench.memory);
    sc_core::sc_start();
    // 8.2: nothing written; Response Failure without a PASID; no response to the Stop Marker.
    EXPECT_EQ(prod, 0u);
    const std::vector<PriResponse>& r = bench.recorder->responses;
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].group_index, 7u);
    EXPECT_EQ(r[0].code, PrgResponseCode::response_failure);
    EXPECT_FALSE(r[0].has_pasid);
}

TEST_F(Smmuv3AtsTest, PriRoundTripMapsThePageAndTheEndpointRetries) {
    AtsEndpointParams endpoint_params;
    endpoint_params.pri_enabled = true;
    std::optional<std::uint64_t> result;
    std::uint64_t entry0 = 0, entry1 = 0;
    sc_core::sc_event ready;
    AtsBench* self = nullptr;
    AtsBench bench(
        [&](TestInitiator& cpu) {
            enable(cpu);
            ready.notify();
            // Software: wait for the page request, map the page, answer the group.
            while (read32(cpu, PRIQ_PROD) == 0) sc_core::wait(ns(100));
            entry0 = get64(*self->memory, kPriQueue);
            entry1 = get64(*self->memory, kPriQueue + 8);
            write32(cpu, PRIQ_CONS, 1);
            const std::uint64_t page = entry1 & ~0xfffull;
            EXPECT_EQ(page, kUnmappedVa);
            put64(*self->memory, kLevel3 + 6 * 8, kNewPage | 0b11 | kAf | kApRwAny);
            put_command(*self->memory, 0, cmd_pri_resp(static_cast<std::uint32_t>(entry0 & 0xffffffffu)),
                        pri_resp_word1(static_cast<std::uint32_t>(entry1 & 0x1ff), 0b10));
            put_command(*self->memory, 1, cmd_sync());
            write32(cpu, CMDQ_PROD, 2);
            poll_cons(cpu, 2);
        },
        [&](TestInitiator&) {
            sc_core::wait(ready);
            sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
            result = self->endpoint->translate(MasterAttrs(kStream), kUnmappedVa + 0x80, true, delay);
        },
        EndpointKind::ats_endpoint, endpoint_params);
    self = &bench;
    put_tables(*bench.memory);
    sc_core::sc_start();
    // The entry: StreamID 3, R and W (the access writes), Last, no PASID.
    EXPECT_EQ(entry0, kStream | (1ull << 60) | (1ull << 61) | (1ull << 62));
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(*result, kNewPage + 0x80);
    const StatsGroup& endpoint = bench.endpoint->stats();
    EXPECT_EQ(counter(endpoint, "translation_requests"), 2u);
    EXPECT_EQ(counter(endpoint, "page_requests"), 1u);
    EXPECT_EQ(counter(endpoint, "page_responses"), 1u);
    EXPECT_EQ(counter(bench.smmu->stats(), "pri_responses"), 1u);
}

}  // namespace
}  // namespace iommu_vp
