// VT-d programming interface at bus level: the GCMD/GSTS handshake completed by the unit's own
// process after the status latency (a driver that does not poll sees the old state, and traffic
// follows the status, not the command), the root-table latch, fault recording with its fault-event
// MSI, reset without re-elaboration and refused DMI. Expected values come from the VT-d
// specification: GSTS TES = bit 31, RTPS = bit 30; a root table of zeros has no present root entry,
// fault reason 0x01 (not qualified: recorded whatever FPD says); fault record n at CAP.FRO * 16 +
// 16 n with F = bit 127, FR = [103:96], SID = [79:64], T = bit 126 (0: write); FSTS.PPF = bit 1,
// FRI = [15:8]; FECTL.IM = bit 31 (set at reset); the MSI writes FEDATA to FEUADDR:FEADDR.
#include "models/common/log.h"
#include "models/memory/sparse_memory.h"
#include "models/vtd/vtd.h"

#include "sc_test.h"
#include "unit/systemc/tlm_test_kit.h"
#include "unit/systemc/vtd_bench.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <sstream>
#include <vector>

namespace iommu_vp {
namespace {

using testing::ns;
using testing::TestInitiator;
using namespace testing::vtd_bench;

class VtdControlTest : public iommu_vp::testing::ScTest {};

constexpr std::uint64_t kRootTable = 0x10'0000;   // left all zero: no bus has a context table
constexpr std::uint64_t kFaultMsi = 0x9000'0000;  // where the fault-event MSI lands in memory
constexpr std::uint32_t kFaultData = 0x4455;

void wait_until(double at_ns) { sc_core::wait(ns(at_ns) - sc_core::sc_time_stamp()); }

TEST_F(VtdControlTest, CapabilitiesReadOverTheBusAndGcmdReadsZero) {
    std::uint32_t ver = 0, gcmd = 1, gsts = 1, fectl = 0;
    std::uint64_t cap = 0, ecap = 0;
    Bench bench(
        [&](TestInitiator& cpu) {
            ver = read32(cpu, VER);
            cap = read64(cpu, CAP);
            ecap = read64(cpu, ECAP);
            write32(cpu, GCMD, kQie);
            gcmd = read32(cpu, GCMD);
            gsts = read32(cpu, GSTS);
            fectl = read32(cpu, FECTL);
        },
        idle);
    sc_core::sc_start();
    EXPECT_EQ(ver, 0x30u);                        // version 3.0
    EXPECT_EQ(cap, 0x01d2'078c'402f'0606ull);     // worked out in vtd_registers_test
    EXPECT_EQ(ecap, 0x0003'c998'8400'50c3ull);
    EXPECT_EQ(gcmd, 0u);                          // write-only fields
    EXPECT_EQ(gsts, 0u);                          // read right after the write: QIES not yet set
    EXPECT_EQ(fectl, 0x8000'0000u);               // fault events masked out of reset
}

TEST_F(VtdControlTest, TranslationFollowsTheStatusNotTheCommand) {
    std::uint32_t rtps_before = 1, rtps_after = 0, tes_early = 1, fsts = 0, msi = 0;
    std::uint64_t frcd_lo = 0, frcd_hi = 0;
    tlm::tlm_response_status early = tlm::TLM_INCOMPLETE_RESPONSE, late = tlm::TLM_INCOMPLETE_RESPONSE;
    const MasterAttrs dev = requester(0, 3, 0);  // source-id 0x0018
    Bench bench(
        [&](TestInitiator& cpu) {
            write64(cpu, RTADDR, kRootTable);
            write32(cpu, GCMD, kSrtp);
            rtps_before = read32(cpu, GSTS) & kSrtp;
            while ((read32(cpu, GSTS) & kSrtp) == 0) sc_core::wait(ns(10));
            rtps_after = read32(cpu, GSTS) & kSrtp;
            write32(cpu, FEADDR, static_cast<std::uint32_t>(kFaultMsi));
            write32(cpu, FEDATA, kFaultData);
            write32(cpu, FECTL, 0);  // unmask fault events
            wait_until(500);
            write32(cpu, GCMD, kTe);  // a driver that does not poll GSTS.TES
            tes_early = read32(cpu, GSTS) & kTe;
            wait_until(900);
            fsts = read32(cpu, FSTS);
            frcd_lo = read64(cpu, FRCD0);
            frcd_hi = read64(cpu, FRCD0 + 8);
        },
        [&](TestInitiator& device) {
            wait_until(540);  // after the TE write, before the status latency has passed
            early = dma_write(device, 0x20'0000, {1, 2, 3, 4}, dev);
            wait_until(700);  // TES is set: the request is translated and faults
            late = dma_write(device, 0x30'0040, {5, 6, 7, 8}, dev);
        });
    sc_core::sc_start();
    msi = static_cast<std::uint32_t>(bench.get64(kFaultMsi));
    EXPECT_EQ(rtps_before, 0u);
    EXPECT_EQ(rtps_after, kSrtp);
    EXPECT_EQ(tes_early, 0u);
    EXPECT_EQ(early, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(bench.get64(0x20'0000) & 0xffff'ffff, 0x0403'0201u);  // passed untranslated
    EXPECT_EQ(late, tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(bench.get64(0x30'0040), 0u);                           // nothing written
    EXPECT_EQ(fsts, 0x2u);                                           // PPF, FRI = 0
    EXPECT_EQ(frcd_lo, 0x30'0000u);                                  // the faulting page
    EXPECT_EQ(frcd_hi, (1ull << 63) | (0x01ull << 32) | 0x0018u);    // F, FR = root not present, SID, write
    EXPECT_EQ(msi, kFaultData);
}

TEST_F(VtdControlTest, LogsDecodeRegistersDescriptorsAndFaultRecordsByFieldName) {
    std::ostringstream out;
    log::set_sink(&out);
    for (LogCategory c : {LogCategory::reg, LogCategory::cmd, LogCategory::fault}) log::enable(c);
    Bench* bench = nullptr;
    Bench b(
        [&](TestInitiator& cpu) {
            write64(cpu, IQT, 0);
            write64(cpu, IQA, 0x13'0000);
            command(cpu, kQie, kQie, kQie);
            // A wait descriptor writing 0x77 to 0x14_0000: type 5, SW (bit 5), status data [63:32].
            bench->put64(0x13'0000, 0x5 | (1u << 5) | (0x77ull << 32));
            bench->put64(0x13'0008, 0x14'0000);
            write64(cpu, IQT, 1 << 4);
            while (read64(cpu, IQH) != (1 << 4)) sc_core::wait(ns(10));
            write64(cpu, RTADDR, kRootTable);
            command(cpu, kQie | kSrtp, kSrtp, kSrtp);
            command(cpu, kQie | kTe, kTe, kTe);
        },
        [&](TestInitiator& device) {
            wait_until(3000);
            dma_read(device, 0x4000, 4, requester(0, 3, 0));
        });
    bench = &b;
    sc_core::sc_start();
    for (LogCategory c : {LogCategory::reg, LogCategory::cmd, LogCategory::fault}) log::enable(c, false);
    log::set_sink(nullptr);
    const std::string text = out.str();
    EXPECT_NE(text.find("QIE=1"), std::string::npos) << text;               // GSTS decoded by field
    EXPECT_NE(text.find("WAIT"), std::string::npos) << text;                // the descriptor
    EXPECT_NE(text.find("data=0x77"), std::string::npos) << text;
    EXPECT_NE(text.find("FR=0x1"), std::string::npos) << text;              // the fault record
    EXPECT_NE(text.find("SID=0x18"), std::string::npos) << text;
    EXPECT_EQ(b.get64(0x14'0000) & 0xffff'ffff, 0x77u);
}

TEST_F(VtdControlTest, MaskedEventsWaitPendingAndFaultRecordsOverflow) {
    // One fault record (CAP.NFR = 0): a second fault before software clears F overflows (PFO).
    std::uint32_t fectl_pending = 0, fsts_overflow = 0, fsts_cleared = 1, ics = 0, iectl_pending = 0;
    std::uint64_t msi_before_unmask = 1;
    constexpr std::uint64_t kCompletionMsi = 0x9000'1000;
    Bench* bench = nullptr;
    Bench b(
        [&](TestInitiator& cpu) {
            write32(cpu, FEADDR, static_cast<std::uint32_t>(kFaultMsi));
            write32(cpu, FEDATA, kFaultData);  // FECTL.IM stays set: events wait as pending
            write64(cpu, RTADDR, kRootTable);
            command(cpu, kSrtp, kSrtp, kSrtp);
            command(cpu, kTe, kTe, kTe);
            wait_until(2000);
            fectl_pending = read32(cpu, FECTL);
            msi_before_unmask = bench->get64(kFaultMsi);
            write32(cpu, FECTL, 0);  // unmask: the pending event is sent now
            fsts_overflow = read32(cpu, FSTS);
            write32(cpu, static_cast<std::uint32_t>(FRCD0 + 12), 0x8000'0000u);  // clear F (bit 127)
            write32(cpu, FSTS, kPfo);                                              // and PFO
            fsts_cleared = read32(cpu, FSTS);
            // Queued invalidation: a wait with IF (bit 4) while IECTL.IM is set.
            write32(cpu, IEADDR, static_cast<std::uint32_t>(kCompletionMsi));
            write32(cpu, IEDATA, 0x66);
            write64(cpu, IQT, 0);
            write64(cpu, IQA, 0x13'0000);
            command(cpu, kQie | kTe, kQie, kQie);
            bench->put64(0x13'0000, 0x5 | (1u << 4));
            write64(cpu, IQT, 1 << 4);
            while (read64(cpu, IQH) != (1 << 4)) sc_core::wait(ns(10));
            ics = read32(cpu, ICS);
            iectl_pending = read32(cpu, IECTL);
            write32(cpu, IECTL, 0);
        },
        [&](TestInitiator& device) {
            wait_until(1000);
            dma_read(device, 0x1000, 4, requester(0, 3, 0));
            dma_read(device, 0x2000, 4, requester(0, 3, 0));
        },
        [](VtdParams& p) { p.features.fault_records = 1; });
    bench = &b;
    sc_core::sc_start();
    EXPECT_EQ(fectl_pending, 0xc000'0000u);  // IM and IP
    EXPECT_EQ(msi_before_unmask, 0u);
    EXPECT_EQ(b.get64(kFaultMsi) & 0xffff'ffff, kFaultData);
    EXPECT_EQ(fsts_overflow, 0x3u);          // PPF and PFO, FRI 0
    EXPECT_EQ(fsts_cleared, 0u);
    EXPECT_EQ(ics, 1u);                      // IWC
    EXPECT_EQ(iectl_pending, 0xc000'0000u);
    EXPECT_EQ(b.get64(kCompletionMsi) & 0xffff'ffff, 0x66u);
}

TEST_F(VtdControlTest, QueuedInvalidationCompletesOnlyAfterTheDescriptorLatency) {
    sc_core::sc_time tail_written, status_seen;
    Bench* bench = nullptr;
    Bench b(
        [&](TestInitiator& cpu) {
            write64(cpu, IQT, 0);
            write64(cpu, IQA, 0x13'0000);
            command(cpu, kQie, kQie, kQie);
            bench->put64(0x13'0000, 0x5 | (1u << 5) | (0x99ull << 32));  // wait, SW, data 0x99
            bench->put64(0x13'0008, 0x14'0000);
            tail_written = sc_core::sc_time_stamp();
            write64(cpu, IQT, 1 << 4);
            while (bench->get64(0x14'0000) == 0) sc_core::wait(ns(1));  // polling memory, as Linux does
            status_seen = sc_core::sc_time_stamp();
        },
        idle, [](VtdParams& p) { p.descriptor_latency = ns(300); });
    bench = &b;
    sc_core::sc_start();
    EXPECT_GE(status_seen - tail_written, ns(300));
}

TEST_F(VtdControlTest, AFaultEventIsSignalledOnlyWhenNoFaultConditionWasPending) {
    std::uint64_t msis_after_first = 0, msis_after_second = 0;
    Bench* bench = nullptr;
    Bench b(
        [&](TestInitiator& cpu) {
            write32(cpu, FEADDR, static_cast<std::uint32_t>(kFaultMsi));
            write32(cpu, FEDATA, kFaultData);
            write32(cpu, FECTL, 0);
            write64(cpu, RTADDR, kRootTable);
            command(cpu, kSrtp, kSrtp, kSrtp);
            command(cpu, kTe, kTe, kTe);
            wait_until(2000);
            msis_after_first = bench->vtd->stats().find_counter("msis_sent")->value;
            wait_until(4000);
            msis_after_second = bench->vtd->stats().find_counter("msis_sent")->value;
        },
        [&](TestInitiator& device) {
            wait_until(1000);
            dma_read(device, 0x1000, 4, requester(0, 3, 0));  // PPF 0 -> 1: an event
            wait_until(3000);
            dma_read(device, 0x2000, 4, requester(0, 3, 0));  // PPF still set: no new event
        });
    bench = &b;
    sc_core::sc_start();
    EXPECT_EQ(msis_after_first, 1u);
    EXPECT_EQ(msis_after_second, 1u);
    EXPECT_EQ(b.vtd->stats().find_counter("faults_recorded")->value, 2u);
}

TEST_F(VtdControlTest, ResetReturnsToThePowerOnStateWithoutReelaboration) {
    std::uint32_t gsts_before = 0, gsts_after = 1, fectl_after = 0;
    std::uint64_t rtaddr_after = 1;
    tlm::tlm_response_status after_reset = tlm::TLM_INCOMPLETE_RESPONSE;
    Bench* bench_ptr = nullptr;
    Bench bench(
        [&](TestInitiator& cpu) {
            write64(cpu, RTADDR, kRootTable);
            command(cpu, kSrtp, kSrtp, kSrtp);
            command(cpu, kTe, kTe, kTe);
            write32(cpu, FECTL, 0);
            gsts_before = read32(cpu, GSTS);
            bench_ptr->vtd->reset();
            gsts_after = read32(cpu, GSTS);
            rtaddr_after = read64(cpu, RTADDR);
            fectl_after = read32(cpu, FECTL);
        },
        [&](TestInitiator& device) {
            wait_until(2000);
            after_reset = dma_write(device, 0x20'0000, {9}, requester(0, 3, 0));
        });
    bench_ptr = &bench;
    sc_core::sc_start();
    EXPECT_EQ(gsts_before, kTe | kSrtp);
    EXPECT_EQ(gsts_after, 0u);
    EXPECT_EQ(rtaddr_after, 0u);
    EXPECT_EQ(fectl_after, 0x8000'0000u);
    EXPECT_EQ(after_reset, tlm::TLM_OK_RESPONSE);  // translation is off again: untranslated
    EXPECT_EQ(bench.get64(0x20'0000) & 0xff, 9u);
}

TEST_F(VtdControlTest, NoMasterGetsADirectPointerThroughTheUnit) {
    bool granted = true;
    Bench bench(idle, [&](TestInitiator& device) {
        tlm::tlm_dmi dmi;
        granted = device.get_dmi(0x1000, dmi);
    });
    sc_core::sc_start();
    EXPECT_FALSE(granted);
    // The memory behind it would have granted one: the refusal is the unit's.
    tlm::tlm_generic_payload p;
    std::uint8_t byte = 0;
    prepare_payload(p, true, 0x1000, &byte, 1);
    tlm::tlm_dmi dmi;
    EXPECT_TRUE(bench.memory->target.get_base_export()->get_direct_mem_ptr(p, dmi));
}

TEST_F(VtdControlTest, FeaturesNotModelledYetAndBadParametersAreRefusedAtConstruction) {
    VtdParams p;
    p.features.interrupt_remapping = true;  // not modelled
    EXPECT_THROW(Vtd("vtd_ir", p), std::invalid_argument);
    p = VtdParams{};
    p.features.fault_records = 0;  // NFR + 1 must be at least 1
    EXPECT_THROW(Vtd("vtd_nfr", p), std::invalid_argument);
}

}  // namespace
}  // namespace iommu_vp
