// SMMUv3 stall model (SMMUv3 3.12.2, 4.7.1, 4.7.2, 5.5, 7.2.1), at the register and memory level:
// a CPU leaves a stream table, a CD and stage-1 tables in memory, devices on their own upstream
// ports fault, and the CPU answers with CMD_RESUME / CMD_STALL_TERM. Encodings from the
// specification, independently of the model: STE word 0 V [0], Config [3:1] (0b101 stage 1),
// S1ContextPtr [51:6]; STE word 1 S1STALLD [27] (STE bit 91). CD word 0 T0SZ [5:0], EPD1 [30], V [31],
// IPS [34:32], AA64 [41], S [44], R [45], A [46], ASID [63:48]; TTB0 in word 1. Event record (7.3):
// EventID [7:0], StreamID [63:32]; word 1 STAG [15:0] (record bits [79:64]), Stall [31] (bit 95),
// RnW [35], CLASS [41:40]; InputAddr word 2. CMD_RESUME (4.7.1): opcode 0x44, Ac [12] (1 retry), Ab
// [13], StreamID [63:32]; STAG in word 1 [15:0]. CMD_STALL_TERM (4.7.2): 0x45, StreamID [63:32].
// CMD_SYNC 0x46. CMDQ_CONS.ERR [30:24] (1 = CERROR_ILL). C_BAD_CD is 0x0A, F_TRANSLATION 0x10.
#include "models/memory/sparse_memory.h"
#include "models/smmuv3/smmuv3.h"

#include "sc_test.h"
#include "unit/systemc/smmuv3_bench.h"
#include "unit/systemc/tlm_test_kit.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace iommu_vp {
namespace {

using namespace testing::smmuv3_bench;

constexpr std::uint64_t STRTAB_BASE = 0x80, STRTAB_BASE_CFG = 0x88, EVTQ_BASE = 0xa0, EVTQ_PROD = 0x100a8,
                        EVTQ_CONS = 0x100ac;
constexpr std::uint32_t kSmmuEn = 1u << 0;
constexpr std::uint64_t kCommandQueue = 0x7'0000;  // 16 commands
constexpr std::uint64_t kStreamTable = 0x1'0000, kCd = 0x2'0000, kTables = 0x3'0000, kEventQueue = 0x6'0000;
constexpr std::uint64_t kPage = 0x8'0000, kLatePage = 0x9'6000;
constexpr std::uint32_t kStream = 3, kOtherStream = 4;
// VA with level indices 1, 2, 3, 4; index 4 is mapped to kPage, index 6 (kVa + 0x2000) is not.
constexpr std::uint64_t kVa = 0x0000'0080'8060'4000ull, kUnmapped = kVa + 0x2000;
constexpr std::uint64_t kLevel3 = kTables + 0x3000;

constexpr std::uint64_t kCdS = 1ull << 44;
constexpr std::uint64_t kSteS1StallD = 1ull << 27;  // word 1

void put64(SparseMemory& m, std::uint64_t address, std::uint64_t value) {
    std::uint8_t b[8];
    for (unsigned i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(value >> (8 * i));
    m.store().write(address, b, 8);
}
std::uint64_t get64(SparseMemory& m, std::uint64_t address) {
    std::uint8_t b[8] = {};
    m.store().read(address, b, 8);
    std::uint64_t v = 0;
    for (unsigned i = 8; i-- > 0;) v = (v << 8) | b[i];
    return v;
}

constexpr std::uint64_t kAfRw = (1ull << 10) | (0b01ull << 6);

// Streams 3 and 4 share one CD (stage 1, T0SZ 16, 4 KiB granule) with fault flags `cd_flags`.
void put_tables(SparseMemory& m, std::uint64_t cd_flags, std::uint64_t ste_word1 = 0) {
    for (std::uint32_t sid : {kStream, kOtherStream}) {
        put64(m, kStreamTable + sid * 64, 1u | (0b101u << 1) | kCd);
        put64(m, kStreamTable + sid * 64 + 8, ste_word1);
    }
    const std::uint64_t cd0 = 16u | (1ull << 30) | (1ull << 31) | (5ull << 32) | (1ull << 41) | (1ull << 48) | cd_flags;
    put64(m, kCd, cd0);
    put64(m, kCd + 8, kTables);
    put64(m, kTables + 1 * 8, (kTables + 0x1000) | 0b11);
    put64(m, kTables + 0x1000 + 2 * 8, (kTables + 0x2000) | 0b11);
    put64(m, kTables + 0x2000 + 3 * 8, kLevel3 | 0b11);
    put64(m, kLevel3 + 4 * 8, kPage | 0b11 | kAfRw);
}

void map_late_page(SparseMemory& m) { put64(m, kLevel3 + 6 * 8, kLatePage | 0b11 | kAfRw); }

MasterAttrs stream(std::uint32_t sid) {
    MasterAttrs a;
    a.stream_id = sid;
    return a;
}

// The SMMU with `devices` upstream ports, each with its own device thread, memory and a CPU.
struct StallBench {
    std::unique_ptr<Smmuv3> smmu;
    std::unique_ptr<SparseMemory> memory;
    std::unique_ptr<TestInitiator> cpu;
    std::vector<std::unique_ptr<TestInitiator>> devices;
    sc_core::sc_signal<bool> evtq{"evtq"}, gerror{"gerror"}, cmd_sync{"cmd_sync"};
    sc_core::sc_event enabled_event;
    bool enabled = false;
    unsigned prod = 0;  // CMDQ_PROD as the CPU last wrote it

    StallBench(smmuv3::StallModel model, std::uint64_t cd_flags, std::function<void(StallBench&, TestInitiator&)> cpu_body,
               std::vector<std::function<void(TestInitiator&)>> device_bodies,
               const std::function<void(Smmuv3Params&)>& adjust = {}, std::uint64_t ste_word1 = 0) {
        Smmuv3Params params;
        params.features.stall_model = model;
        params.acknowledge_latency = ns(kAckNs);
        params.register_latency = ns(10);
        params.upstream_ports = static_cast<unsigned>(device_bodies.size());
        if (adjust) adjust(params);
        smmu = std::make_unique<Smmuv3>("smmu", params);
        SparseMemoryParams m;
        m.size_bytes = 1 << 20;
        memory = std::make_unique<SparseMemory>("memory", m);
        cpu = std::make_unique<TestInitiator>("cpu", [this, cpu_body, cd_flags, ste_word1](TestInitiator& c) {
            put_tables(*memory, cd_flags, ste_word1);
            enable(c);
            enabled = true;
            enabled_event.notify();
            cpu_body(*this, c);
        });
        cpu->socket.bind(smmu->regs);
        for (std::size_t i = 0; i < device_bodies.size(); ++i) {
            auto body = device_bodies[i];
            devices.push_back(std::make_unique<TestInitiator>(("device" + std::to_string(i)).c_str(),
                                                              [this, body](TestInitiator& d) {
                                                                  if (!enabled) sc_core::wait(enabled_event);
                                                                  body(d);
                                                              }));
            devices.back()->socket.bind(smmu->upstream[i]);
        }
        smmu->downstream.bind(memory->target);
        smmu->evtq_irq.bind(evtq);
        smmu->gerror_irq.bind(gerror);
        smmu->cmd_sync_irq.bind(cmd_sync);
    }

    static void enable(TestInitiator& c) {
        write32(c, STRTAB_BASE, static_cast<std::uint32_t>(kStreamTable));
        write32(c, STRTAB_BASE_CFG, 4);  // linear, 16 StreamIDs
        write32(c, EVTQ_BASE, static_cast<std::uint32_t>(kEventQueue | 3));  // 8 records
        write32(c, CMDQ_BASE, static_cast<std::uint32_t>(kCommandQueue | 4));
        write32(c, CR0, kSmmuEn | kCr0EvtqEn | kCr0CmdqEn);
        while (read32(c, CR0ACK) != (kSmmuEn | kCr0EvtqEn | kCr0CmdqEn)) sc_core::wait(ns(10));
    }

    // Queues the commands (two words each) and waits until the SMMU has consumed them or stopped.
    void issue(TestInitiator& c, const std::vector<std::array<std::uint64_t, 2>>& commands) {
        for (const auto& command : commands) {
            put64(*memory, kCommandQueue + 16 * (prod % 16), command[0]);
            put64(*memory, kCommandQueue + 16 * (prod % 16) + 8, command[1]);
            ++prod;
        }
        write32(c, CMDQ_PROD, prod);
        for (;;) {
            const std::uint32_t cons = read32(c, CMDQ_CONS);
            if (cons == prod || (cons >> 24 & 0x7f) != 0) return;
            sc_core::wait(ns(10));
        }
    }

    std::uint64_t counter(const char* name) const { return smmu->stats().find_counter(name)->value; }
};

std::array<std::uint64_t, 2> resume(std::uint32_t sid, std::uint16_t stag, bool retry, bool abort) {
    return {0x44u | (retry ? 1ull << 12 : 0) | (abort ? 1ull << 13 : 0) | (std::uint64_t{sid} << 32), stag};
}
std::array<std::uint64_t, 2> stall_term(std::uint32_t sid) { return {0x45u | (std::uint64_t{sid} << 32), 0}; }
std::array<std::uint64_t, 2> sync() { return {0x46u, 0}; }

// Waits until the Event queue holds `records` records.
void wait_for_records(TestInitiator& c, std::uint32_t records) {
    while (read32(c, EVTQ_PROD) < records) sc_core::wait(ns(10));
}

struct Access {
    bool done = false;
    tlm::tlm_response_status status = tlm::TLM_INCOMPLETE_RESPONSE;
    std::vector<std::uint8_t> data;
    sc_core::sc_time finished;
};

std::function<void(TestInitiator&)> read_at(std::uint64_t va, std::uint32_t sid, Access& out) {
    return [va, sid, &out](TestInitiator& d) {
        const MasterAttrs attrs = stream(sid);
        const testing::LtResult r = d.read(va, 4, sc_core::SC_ZERO_TIME, &attrs);
        sc_core::wait(r.delay);
        out.status = r.status;
        out.data = r.data;
        out.finished = sc_core::sc_time_stamp();
        out.done = true;
    };
}

class Smmuv3StallTest : public iommu_vp::testing::ScTest {};

TEST_F(Smmuv3StallTest, StalledReadIsRecordedWithStallAndStagThenRetriedAfterTheMappingAppears) {
    Access access;
    bool pending_after_record = false;
    std::uint64_t word0 = 0, word1 = 0, word2 = 0;
    sc_core::sc_time resume_posted;
    StallBench bench(
        smmuv3::StallModel::stall_and_terminate, kCdS | (1ull << 46),  // S = 1, R = 0 (ignored), A = 1
        [&](StallBench& b, TestInitiator& c) {
            wait_for_records(c, 1);
            sc_core::wait(ns(1000));  // long after the fault: the read is still held
            pending_after_record = !access.done;
            word0 = get64(*b.memory, kEventQueue);
            word1 = get64(*b.memory, kEventQueue + 8);
            word2 = get64(*b.memory, kEventQueue + 16);
            map_late_page(*b.memory);
            put64(*b.memory, kLatePage + 0x24, 0xcafef00d);
            write32(c, EVTQ_CONS, 1);
            wait_until(5000);
            resume_posted = sc_core::sc_time_stamp();
            b.issue(c, {resume(kStream, static_cast<std::uint16_t>(word1 & 0xffff), true, false), sync()});
        },
        {read_at(kUnmapped + 0x24, kStream, access)},
        [](Smmuv3Params& p) { p.caches = smmuv3::CacheGeometries{{}, {}, {}, {}}; });  // every walk from memory
    sc_core::sc_start();
    EXPECT_TRUE(pending_after_record);
    EXPECT_EQ(word0, 0x10u | (std::uint64_t{kStream} << 32));  // F_TRANSLATION
    EXPECT_EQ(word1 >> 31 & 1, 1u);                              // Stall
    EXPECT_EQ(word1 >> 35 & 1, 1u);                              // RnW: a read
    EXPECT_EQ(word1 >> 40 & 3, 0b10u);                           // CLASS IN
    EXPECT_EQ(word2, kUnmapped + 0x24);
    ASSERT_TRUE(access.done);
    EXPECT_EQ(access.status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(access.data, (std::vector<std::uint8_t>{0x0d, 0xf0, 0xfe, 0xca}));
    // CMDQ_PROD written at 5000 ns with no annotated delay: the SMMU fetches the CMD_RESUME (50 ns of
    // memory read) and acts on it after command_latency (20 ns). The retry then translates as a new
    // transaction with every cache empty: a TLB look-up that misses (tlb_lookup_latency, 4 ns), STE,
    // CD and four table descriptors, each 50 ns of memory plus walk_step_latency (4 ns), then the
    // data read (50 ns): 5000 + 70 + 4 + 6 * 54 + 50.
    EXPECT_EQ(resume_posted, ns(5000));
    EXPECT_EQ(access.finished, ns(5000 + 70 + 4 + 6 * 54 + 50));
    EXPECT_EQ(bench.counter("stalls"), 1u);
    EXPECT_EQ(bench.counter("stalls_retried"), 1u);
    EXPECT_EQ(bench.counter("stall_resumes_unmatched"), 0u);
}

TEST_F(Smmuv3StallTest, ResumeWithTerminateAbortsOrCompletesAsRazWi) {
    Access aborted, raz;
    StallBench bench(
        smmuv3::StallModel::stall_and_terminate, kCdS | (1ull << 46),
        [&](StallBench& b, TestInitiator& c) {
            wait_for_records(c, 2);
            sc_core::wait(ns(500));
            const std::uint64_t first = get64(*b.memory, kEventQueue + 8), second = get64(*b.memory, kEventQueue + 40);
            const std::uint32_t first_sid = static_cast<std::uint32_t>(get64(*b.memory, kEventQueue) >> 32);
            ASSERT_NE((first & 0xffff), (second & 0xffff));  // distinct STAGs
            // A STAG with the wrong StreamID is a no-op (4.7.1).
            b.issue(c, {resume(first_sid == kStream ? kOtherStream : kStream, first & 0xffff, false, true), sync()});
            sc_core::wait(ns(500));
            EXPECT_FALSE(aborted.done);
            EXPECT_FALSE(raz.done);
            const auto stag_of = [&](std::uint32_t sid) {
                return static_cast<std::uint16_t>((first_sid == sid ? first : second) & 0xffff);
            };
            b.issue(c, {resume(kStream, stag_of(kStream), false, true), resume(kOtherStream, stag_of(kOtherStream), false, false),
                        sync()});
        },
        {read_at(kUnmapped, kStream, aborted), read_at(kUnmapped + 8, kOtherStream, raz)});
    sc_core::sc_start();
    ASSERT_TRUE(aborted.done);
    EXPECT_EQ(aborted.status, tlm::TLM_GENERIC_ERROR_RESPONSE);
    ASSERT_TRUE(raz.done);
    EXPECT_EQ(raz.status, tlm::TLM_OK_RESPONSE);  // Ab == 0 with TERM_MODEL == 0: RAZ/WI
    EXPECT_EQ(raz.data, (std::vector<std::uint8_t>{0, 0, 0, 0}));
    EXPECT_EQ(bench.counter("stalls"), 2u);
    EXPECT_EQ(bench.counter("stalls_terminated_by_resume"), 2u);
    EXPECT_EQ(bench.counter("stall_resumes_unmatched"), 1u);
}

TEST_F(Smmuv3StallTest, StallTermTerminatesEveryStallOfTheStreamAndNoOther) {
    Access a, b2, other;
    bool other_pending = false;
    StallBench bench(
        smmuv3::StallModel::stall_and_terminate, kCdS | (1ull << 46),
        [&](StallBench& b, TestInitiator& c) {
            wait_for_records(c, 3);
            b.issue(c, {stall_term(kStream), sync()});
            sc_core::wait(ns(1000));
            other_pending = !other.done;
            // The other stream's stall is still there; SMMUEN -> 0 terminates it (3.12.2).
            write32(c, CR0, kCr0EvtqEn | kCr0CmdqEn);
        },
        {read_at(kUnmapped, kStream, a), read_at(kUnmapped + 0x100, kStream, b2), read_at(kUnmapped + 8, kOtherStream, other)});
    sc_core::sc_start();
    ASSERT_TRUE(a.done);
    ASSERT_TRUE(b2.done);
    EXPECT_EQ(a.status, tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(b2.status, tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_TRUE(other_pending);
    ASSERT_TRUE(other.done);
    EXPECT_EQ(other.status, tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(bench.counter("stalls"), 3u);
    EXPECT_EQ(bench.counter("stalls_terminated_by_stall_term"), 2u);
    EXPECT_EQ(bench.counter("stalls_terminated_by_disable"), 1u);
}

TEST_F(Smmuv3StallTest, BeyondTheBoundTheIngressHoldsTransactionsUntilAStallIsResolved) {
    Access stalled, held, clean;
    std::uint32_t records_while_held = 0;
    bool clean_pending = false;
    StallBench bench(
        smmuv3::StallModel::stall_and_terminate, kCdS | (1ull << 46),
        [&](StallBench& b, TestInitiator& c) {
            wait_for_records(c, 1);
            sc_core::wait(ns(2000));
            records_while_held = read32(c, EVTQ_PROD);
            clean_pending = !clean.done;
            map_late_page(*b.memory);
            b.issue(c, {resume(kStream, static_cast<std::uint16_t>(get64(*b.memory, kEventQueue + 8) & 0xffff), true, false),
                        sync()});
        },
        {read_at(kUnmapped, kStream, stalled),
         [&](TestInitiator& d) {
             sc_core::wait(ns(200));  // after the first stall
             read_at(kUnmapped + 0x10, kOtherStream, held)(d);
         },
         [&](TestInitiator& d) {
             sc_core::wait(ns(400));
             read_at(kVa, kOtherStream, clean)(d);  // mapped: would not fault
         }},
        [](Smmuv3Params& p) { p.max_stalled_transactions = 1; });
    sc_core::sc_start();
    EXPECT_EQ(records_while_held, 1u);  // the held transactions recorded nothing
    EXPECT_TRUE(clean_pending);         // SMMUv3 3.12.2.3: the ingress accepts nothing more
    EXPECT_EQ(stalled.status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(held.status, tlm::TLM_OK_RESPONSE);  // retried as though it had just arrived: now mapped
    EXPECT_EQ(clean.status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(bench.counter("stalls"), 1u);
    EXPECT_EQ(bench.counter("stall_backpressure_waits"), 2u);
}

TEST_F(Smmuv3StallTest, StallRecordWaitsForTheEventQueueAndIsNotLost) {
    // SMMUv3 7.2.1: with the Event queue disabled a stall record is not discarded; the transaction is
    // retried once the queue is writable and its (new) record written then.
    Access access;
    std::uint32_t prod_while_disabled = 1;
    std::uint64_t waiting = 0, word1 = 0;
    bool pending_while_disabled = false;
    StallBench bench(
        smmuv3::StallModel::stall_and_terminate, kCdS | (1ull << 46),
        [&](StallBench& b, TestInitiator& c) {
            write32(c, CR0, kSmmuEn | kCr0CmdqEn);  // Event queue off
            while (read32(c, CR0ACK) != (kSmmuEn | kCr0CmdqEn)) sc_core::wait(ns(10));
            sc_core::wait(ns(1000));
            prod_while_disabled = read32(c, EVTQ_PROD);
            pending_while_disabled = !access.done;
            waiting = b.counter("stalls_waiting_for_event_queue");
            write32(c, CR0, kSmmuEn | kCr0EvtqEn | kCr0CmdqEn);
            wait_for_records(c, 1);
            word1 = get64(*b.memory, kEventQueue + 8);
            b.issue(c, {resume(kStream, static_cast<std::uint16_t>(word1 & 0xffff), false, true), sync()});
        },
        {[&](TestInitiator& d) {
            sc_core::wait(ns(500));  // after the Event queue was disabled
            read_at(kUnmapped, kStream, access)(d);
        }});
    sc_core::sc_start();
    EXPECT_EQ(prod_while_disabled, 0u);
    EXPECT_TRUE(pending_while_disabled);
    EXPECT_EQ(waiting, 1u);
    EXPECT_EQ(word1 >> 31 & 1, 1u);
    ASSERT_TRUE(access.done);
    EXPECT_EQ(access.status, tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(bench.counter("stalls"), 1u);
}

// CD.S == 1 is ILLEGAL through an STE with S1STALLD == 1, and on a terminate-only SMMU; CD.S == 0 is
// ILLEGAL when stalls are forced (SMMUv3 5.5): C_BAD_CD and an abort, nothing stalls.
void expect_bad_cd(smmuv3::StallModel model, std::uint64_t cd_flags, std::uint64_t ste_word1) {
    Access access;
    std::uint64_t word0 = 0;
    StallBench bench(
        model, cd_flags,
        [&](StallBench& b, TestInitiator& c) {
            wait_for_records(c, 1);
            word0 = get64(*b.memory, kEventQueue);
        },
        {read_at(kVa, kStream, access)}, {}, ste_word1);
    sc_core::sc_start();
    EXPECT_EQ(access.status, tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(word0 & 0xff, 0x0au);  // C_BAD_CD
    EXPECT_EQ(bench.counter("stalls"), 0u);
}

TEST_F(Smmuv3StallTest, StallDisabledBySteMakesCdSIllegal) {
    expect_bad_cd(smmuv3::StallModel::stall_and_terminate, kCdS | (1ull << 46), kSteS1StallD);
}
TEST_F(Smmuv3StallTest, TerminateOnlyModelMakesCdSIllegal) {
    expect_bad_cd(smmuv3::StallModel::terminate_only, kCdS | (1ull << 46), 0);
}
TEST_F(Smmuv3StallTest, StallForcedModelMakesCdSZeroIllegal) {
    expect_bad_cd(smmuv3::StallModel::stall_forced, 1ull << 46, 0);
}

TEST_F(Smmuv3StallTest, TerminateModelFaultsAreNotStalledAndResumeIsIllegalWithoutAStallModel) {
    Access access;
    std::uint32_t cons = 0;
    StallBench bench(
        smmuv3::StallModel::terminate_only, (1ull << 45) | (1ull << 46),  // R, A; S == 0
        [&](StallBench& b, TestInitiator& c) {
            wait_for_records(c, 1);
            b.issue(c, {resume(kStream, 0, true, false)});
            cons = read32(c, CMDQ_CONS);
        },
        {read_at(kUnmapped, kStream, access)});
    sc_core::sc_start();
    EXPECT_EQ(access.status, tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(cons >> 24 & 0x7f, 1u);  // CERROR_ILL (4.7.1)
    EXPECT_EQ(bench.counter("stalls"), 0u);
}

TEST_F(Smmuv3StallTest, DebugAccessesNeverStall) {
    unsigned served = 1;
    StallBench bench(
        smmuv3::StallModel::stall_and_terminate, kCdS | (1ull << 46), [](StallBench&, TestInitiator&) {},
        {[&](TestInitiator& d) {
            const MasterAttrs attrs = stream(kStream);
            tlm::tlm_generic_payload p;
            std::uint8_t data[4] = {};
            p.set_command(tlm::TLM_READ_COMMAND);
            p.set_address(kUnmapped);
            p.set_data_ptr(data);
            p.set_data_length(4);
            p.set_streaming_width(4);
            MasterAttrs* ext = new MasterAttrs(attrs);
            p.set_extension(ext);
            served = d.socket->transport_dbg(p);
            p.clear_extension(ext);
            delete ext;
        }});
    sc_core::sc_start();
    EXPECT_EQ(served, 0u);
    EXPECT_EQ(bench.counter("stalls"), 0u);
}

}  // namespace
}  // namespace iommu_vp
