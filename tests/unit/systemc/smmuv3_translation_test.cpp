// SMMUv3 with SMMUEN = 1: a driver-like CPU leaves a stream table, a CD and stage-1 tables in
// memory and enables the SMMU; the device's transactions are translated, split at page boundaries,
// or terminated with an event record in the event queue. Encodings come from the specification:
// STE and CD as in smmuv3_translate_test (SMMUv3 5.2, 5.4); event record words (7.3): EventID
// [7:0] and StreamID [63:32] of word 0, PnU [33], InD [34], RnW [35], S2 [39], CLASS [41:40]
// (IN = 0b10) of word 1, InputAddr in word 2; STRTAB_BASE_CFG LOG2SIZE [5:0]; EVTQ_BASE LOG2SIZE
// [4:0]; CR0 SMMUEN [0], EVTQEN [2]; IRQ_CTRL EVTQ_IRQEN [2].
#include "models/memory/sparse_memory.h"
#include "models/smmuv3/smmuv3.h"

#include "sc_test.h"
#include "unit/systemc/smmuv3_bench.h"
#include "unit/systemc/tlm_test_kit.h"

#include <gtest/gtest.h>

#include <array>
#include <functional>
#include <cstdint>
#include <vector>

namespace iommu_vp {
namespace {

using namespace testing::smmuv3_bench;

constexpr std::uint64_t STRTAB_BASE = 0x80, STRTAB_BASE_CFG = 0x88, EVTQ_BASE = 0xa0, EVTQ_PROD = 0x100a8;
constexpr std::uint32_t kSmmuEn = 1u << 0, kEvtqEn = 1u << 2, kCmdqEn = 1u << 3, kEvtqIrqEn = 1u << 2;
constexpr std::uint64_t kCommandQueue = 0x7'0000;  // 16 commands

constexpr std::uint64_t kStreamTable = 0x1'0000, kCd = 0x2'0000, kTables = 0x3'0000, kEventQueue = 0x6'0000;
constexpr std::uint64_t kPage = 0x8'0000, kNextPage = 0x9'5000;  // two unrelated physical pages
constexpr std::uint32_t kStream = 3;
// VA with level indices 1, 2, 3, 4: (1 << 39) | (2 << 30) | (3 << 21) | (4 << 12).
constexpr std::uint64_t kVa = 0x0000'0080'8060'4000ull;

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

// Stage 1 for stream 3: VA page kVa -> kPage and kVa + 4 KiB -> kNextPage, read/write at any level.
void put_tables(SparseMemory& m) {
    put64(m, kStreamTable + kStream * 64, 1u | (0b101u << 1) | kCd);  // V, Config = stage 1, S1ContextPtr
    const std::uint64_t cd0 = 16u | (1ull << 30) | (1ull << 31) | (5ull << 32) | (1ull << 41) | (1ull << 45) |
                              (1ull << 46) | (1ull << 48);  // T0SZ 16, EPD1, V, IPS 48, AA64, R, A, ASID 1
    put64(m, kCd, cd0);
    put64(m, kCd + 8, kTables);  // TTB0
    const std::uint64_t af_rw = (1ull << 10) | (0b01ull << 6);
    put64(m, kTables + 1 * 8, (kTables + 0x1000) | 0b11);
    put64(m, kTables + 0x1000 + 2 * 8, (kTables + 0x2000) | 0b11);
    put64(m, kTables + 0x2000 + 3 * 8, (kTables + 0x3000) | 0b11);
    put64(m, kTables + 0x3000 + 4 * 8, kPage | 0b11 | af_rw);
    put64(m, kTables + 0x3000 + 5 * 8, kNextPage | 0b11 | af_rw);
}

void enable_smmu(TestInitiator& cpu, bool evtq_irq = false, std::uint64_t event_queue = kEventQueue) {
    write32(cpu, STRTAB_BASE, static_cast<std::uint32_t>(kStreamTable));
    write32(cpu, STRTAB_BASE_CFG, 4);  // linear, 16 StreamIDs
    write32(cpu, EVTQ_BASE, static_cast<std::uint32_t>(event_queue | 3));  // 8 records
    if (evtq_irq) {
        write32(cpu, IRQ_CTRL, kEvtqIrqEn);
        while (read32(cpu, IRQ_CTRLACK) != kEvtqIrqEn) sc_core::wait(ns(10));
    }
    write32(cpu, CMDQ_BASE, static_cast<std::uint32_t>(kCommandQueue | 4));
    write32(cpu, CR0, kSmmuEn | kEvtqEn | kCmdqEn);
    while (read32(cpu, CR0ACK) != (kSmmuEn | kEvtqEn | kCmdqEn)) sc_core::wait(ns(10));
}

MasterAttrs stream(std::uint32_t sid) {
    MasterAttrs a;
    a.stream_id = sid;
    return a;
}

// A bench whose CPU leaves the tables in memory and enables the SMMU (optionally with the
// event-queue interrupt), then runs `after_enable`; the device runs `device_body` once the SMMU is
// enabled.
struct EnabledBench {
    bool enabled = false;
    sc_core::sc_event ready;
    Bench* self = nullptr;
    Bench bench;

    EnabledBench(std::function<void(TestInitiator&)> device_body, bool evtq_irq = false,
                 std::function<void(TestInitiator&)> after_enable = idle,
                 const std::function<void(Smmuv3Params&)>& adjust = {},
                 std::function<void(TestInitiator&)> before_enable = idle, std::uint64_t event_queue = kEventQueue)
        : bench(
              [this, evtq_irq, after_enable, before_enable, event_queue](TestInitiator& cpu) {
                  put_tables(*self->memory);
                  before_enable(cpu);
                  enable_smmu(cpu, evtq_irq, event_queue);
                  enabled = true;
                  ready.notify();
                  after_enable(cpu);
              },
              [this, device_body](TestInitiator& device) {
                  if (!enabled) sc_core::wait(ready);
                  device_body(device);
              },
              false, adjust) {
        self = &bench;
    }
};

const StatsGroup* child_group(const StatsGroup& group, const std::string& name) {
    for (const StatsGroup& child : group.children())
        if (child.name() == name) return &child;
    return nullptr;
}

class Smmuv3TranslationTest : public iommu_vp::testing::ScTest {};

TEST_F(Smmuv3TranslationTest, WritesLandAtTheTranslatedAddressAndSplitAtPages) {
    tlm::tlm_response_status single = tlm::TLM_INCOMPLETE_RESPONSE, straddling = tlm::TLM_INCOMPLETE_RESPONSE;
    EnabledBench enabled([&](TestInitiator& device) {
            const MasterAttrs attrs = stream(kStream);
            single = device.write(kVa + 0x10, {1, 2, 3, 4}, sc_core::SC_ZERO_TIME, &attrs).status;
            // 8 bytes from 4 bytes before the end of the first page: 4 in each physical page.
            straddling = device.write(kVa + 0xffc, {5, 6, 7, 8, 9, 10, 11, 12}, sc_core::SC_ZERO_TIME, &attrs).status;
        });
    Bench& bench = enabled.bench;
    sc_core::sc_start();
    EXPECT_EQ(single, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(get64(*bench.memory, kPage + 0x10) & 0xffffffffu, 0x04030201u);
    EXPECT_EQ(straddling, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(get64(*bench.memory, kPage + 0xff8) >> 32, 0x08070605u);
    EXPECT_EQ(get64(*bench.memory, kNextPage) & 0xffffffffu, 0x0c0b0a09u);
    // Per-stream statistics: the write at kVa + 0x10 walked; the straddling write was translated
    // twice, a TLB hit on the first page and a walk for the second.
    const StatsGroup* streams = child_group(bench.smmu->stats(), "streams");
    ASSERT_NE(streams, nullptr);
    const StatsGroup* s3 = child_group(*streams, "stream_0x3");
    ASSERT_NE(s3, nullptr);
    EXPECT_EQ(s3->find_counter("translations")->value, 3u);  // one per page translated
    EXPECT_EQ(s3->find_counter("tlb_hits")->value, 1u);
    EXPECT_EQ(s3->find_counter("walks")->value, 2u);
}

TEST_F(Smmuv3TranslationTest, StraddlingAccessWhoseSecondPageIsUnmappedFaultsOnThatPage) {
    tlm::tlm_response_status status = tlm::TLM_INCOMPLETE_RESPONSE;
    std::uint32_t evtq_prod = 0;
    // kVa + 0x1000 (level-3 index 5) is mapped to kNextPage; kVa + 0x2000 (index 6) is not.
    const std::uint64_t start = kVa + 0x1ffc;
    EnabledBench enabled(
        [&](TestInitiator& device) {
            const MasterAttrs attrs = stream(kStream);
            status = device.write(start, {1, 2, 3, 4, 5, 6, 7, 8}, sc_core::SC_ZERO_TIME, &attrs).status;
        },
        false,
        [&](TestInitiator& cpu) {
            sc_core::wait(ns(1000));
            evtq_prod = read32(cpu, EVTQ_PROD);
        });
    Bench& bench = enabled.bench;
    sc_core::sc_start();
    EXPECT_EQ(status, tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(evtq_prod, 1u);
    // The record names the faulting page's first byte, not the transaction's start.
    EXPECT_EQ(get64(*bench.memory, kEventQueue) & 0xff, 0x10u);  // F_TRANSLATION
    EXPECT_EQ(get64(*bench.memory, kEventQueue + 16), kVa + 0x2000);
    // The first page's four bytes were written before the fault, as hardware splitting the burst does.
    EXPECT_EQ(get64(*bench.memory, kNextPage + 0xff8) >> 32, 0x04030201u);
}

TEST_F(Smmuv3TranslationTest, FaultIsTerminatedAndRecordedWithEveryField) {
    tlm::tlm_response_status status = tlm::TLM_INCOMPLETE_RESPONSE;
    std::uint32_t evtq_prod = 0;
    constexpr std::uint64_t kUnmapped = kVa + 2 * 0x1000 + 0x24;  // level-3 index 6: no entry
    EnabledBench enabled(
        [&](TestInitiator& device) {
            MasterAttrs attrs = stream(kStream);
            attrs.privileged = true;
            status = device.read(kUnmapped, 4, sc_core::SC_ZERO_TIME, &attrs).status;
        },
        true,
        [&](TestInitiator& cpu) {
            sc_core::wait(ns(1000));
            evtq_prod = read32(cpu, EVTQ_PROD);
        });
    Bench& bench = enabled.bench;
    sc_core::sc_start();
    EXPECT_EQ(status, tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(evtq_prod, 1u);
    EXPECT_EQ(get64(*bench.memory, kEventQueue + 0), 0x10u | (std::uint64_t{kStream} << 32));  // F_TRANSLATION
    EXPECT_EQ(get64(*bench.memory, kEventQueue + 8), (1ull << 33) | (1ull << 35) | (0b10ull << 40));  // PnU RnW IN
    EXPECT_EQ(get64(*bench.memory, kEventQueue + 16), kUnmapped);
    const StatsGroup* by_type = child_group(bench.smmu->stats(), "events_by_type");
    ASSERT_NE(by_type, nullptr);
    EXPECT_EQ(by_type->find_counter("F_TRANSLATION")->value, 1u);
    EXPECT_EQ(by_type->find_counter("C_BAD_STE")->value, 0u);
}

TEST_F(Smmuv3TranslationTest, EventQueueInterruptWhenItBecomesNonEmpty) {
    EnabledBench enabled(
        [&](TestInitiator& device) {
            const MasterAttrs attrs = stream(7);  // STE 7 is all zeros: C_BAD_STE
            device.read(kVa, 4, sc_core::SC_ZERO_TIME, &attrs);
            sc_core::wait(ns(100));
            device.read(kVa, 4, sc_core::SC_ZERO_TIME, &attrs);  // the queue is not empty any more
            sc_core::wait(ns(100));
        },
        true);
    Bench& bench = enabled.bench;
    unsigned rising = 0;
    sc_core::sc_spawn(
        [&] {
            for (;;) {
                sc_core::wait(bench.evtq.posedge_event());
                ++rising;
            }
        },
        "evtq_edges");
    sc_core::sc_start();
    EXPECT_EQ(get64(*bench.memory, kEventQueue) & 0xff, 0x04u);       // C_BAD_STE
    EXPECT_EQ(get64(*bench.memory, kEventQueue + 32) & 0xff, 0x04u);  // and again
    EXPECT_EQ(rising, 1u);
}

TEST_F(Smmuv3TranslationTest, MissingMasterAttrsIsTerminatedNotACrash) {
    tlm::tlm_response_status status = tlm::TLM_INCOMPLETE_RESPONSE;
    EnabledBench enabled([&](TestInitiator& device) { status = device.read(kVa, 4).status; });  // no extension
    Bench& bench = enabled.bench;
    sc_core::sc_start();
    EXPECT_EQ(status, tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(bench.smmu->stats().find_counter("missing_master_attrs")->value, 1u);
}

// Commands: TLBI_NH_VA (0x12; VMID [47:32], ASID [63:48]; address [63:12] in word 1) and
// CMD_SYNC (0x46, CS = NONE), SMMUv3 4.4.2 and 4.7.3.
void issue_tlbi_and_sync(TestInitiator& cpu, SparseMemory& memory, std::uint64_t va, unsigned& prod) {
    const std::uint64_t tlbi[2] = {0x12u | (1ull << 48), va & ~0xfffull};  // ASID 1 (the CD's)
    const std::uint64_t sync[2] = {0x46u, 0};
    put64(memory, kCommandQueue + 16 * prod, tlbi[0]);
    put64(memory, kCommandQueue + 16 * prod + 8, tlbi[1]);
    put64(memory, kCommandQueue + 16 * (prod + 1), sync[0]);
    put64(memory, kCommandQueue + 16 * (prod + 1) + 8, sync[1]);
    prod += 2;
    write32(cpu, CMDQ_PROD, prod);
    while (read32(cpu, CMDQ_CONS) != prod) sc_core::wait(ns(10));
}

TEST_F(Smmuv3TranslationTest, StaleTranslationUntilTlbiAndSync) {
    std::uint32_t before = 0, stale = 0, after = 0;
    sc_core::sc_event remapped, invalidated, step;
    EnabledBench* self = nullptr;
    EnabledBench enabled(
        [&](TestInitiator& device) {
            const MasterAttrs attrs = stream(kStream);
            device.write(kVa, {0x11}, sc_core::SC_ZERO_TIME, &attrs);
            step.notify();
            sc_core::wait(remapped);
            device.write(kVa, {0x22}, sc_core::SC_ZERO_TIME, &attrs);  // still the old page
            step.notify();
            sc_core::wait(invalidated);
            device.write(kVa, {0x33}, sc_core::SC_ZERO_TIME, &attrs);  // the new page
            step.notify();
        },
        false,
        [&](TestInitiator& cpu) {
            SparseMemory& memory = *self->bench.memory;
            sc_core::wait(step);
            before = static_cast<std::uint32_t>(get64(memory, kPage) & 0xff);
            // Remap the page (leaf at L3[4]) without telling the SMMU...
            put64(memory, kTables + 0x3000 + 4 * 8, kNextPage | 0b11 | (1ull << 10) | (0b01ull << 6));
            remapped.notify();
            sc_core::wait(step);
            stale = static_cast<std::uint32_t>(get64(memory, kPage) & 0xff);
            // ...then invalidate as a driver must.
            unsigned prod = 0;
            issue_tlbi_and_sync(cpu, memory, kVa, prod);
            invalidated.notify();
            sc_core::wait(step);
            after = static_cast<std::uint32_t>(get64(memory, kNextPage) & 0xff);
        });
    self = &enabled;
    sc_core::sc_start();
    EXPECT_EQ(before, 0x11u);
    EXPECT_EQ(stale, 0x22u);  // the TLB served the stale translation
    EXPECT_EQ(after, 0x33u);
}

// Two misses arriving together: with one walker the second waits for the first walk.
std::uint64_t walk_wait_with(unsigned walkers) {
    EnabledBench enabled(
        [](TestInitiator& device) {
            const MasterAttrs attrs = stream(kStream);
            sc_core::sc_time a = sc_core::SC_ZERO_TIME, b = sc_core::SC_ZERO_TIME;
            device.read(kVa, 4, a, &attrs);            // both issued at the same instant (LT)
            device.read(kVa + 0x1000, 4, b, &attrs);   // another page: another walk
        },
        false, idle, [walkers](Smmuv3Params& p) { p.page_table_walkers = walkers; });
    sc_core::sc_start();
    return enabled.bench.smmu->stats().find_counter("walk_queue_wait_ps")->value;
}

TEST_F(Smmuv3TranslationTest, SimultaneousMissesQueueForASingleWalker) {
    EXPECT_GT(walk_wait_with(1), 0u);
}

TEST_F(Smmuv3TranslationTest, SimultaneousMissesWalkInParallelWithTwoWalkers) {
    EXPECT_EQ(walk_wait_with(2), 0u);
}

// Event-queue overflow and aborts (SMMUv3 7.4, 7.2): EVTQ_PROD.OVFLG is bit 31; GERROR bits:
// EVTQ_ABT_ERR 2, MSI_EVTQ_ABT_ERR 5. The bench's memory ends at 1 MiB: addresses above abort.
constexpr std::uint64_t kBeyondMemory = 0x20'0000;
constexpr std::uint64_t EVTQ_IRQ_CFG0 = 0xb0;

std::uint32_t gerror_after_faults(unsigned faults, std::function<void(TestInitiator&)> before_enable,
                                  std::uint64_t event_queue, bool evtq_irq, std::uint32_t* evtq_prod = nullptr) {
    std::uint32_t gerror = 0;
    EnabledBench enabled(
        [faults](TestInitiator& device) {
            const MasterAttrs attrs = stream(7);  // STE 7 is all zeros: each access is C_BAD_STE
            for (unsigned i = 0; i < faults; ++i) device.read(kVa, 4, sc_core::SC_ZERO_TIME, &attrs);
        },
        evtq_irq,
        [&](TestInitiator& cpu) {
            sc_core::wait(ns(1000));
            gerror = read32(cpu, GERROR);
            if (evtq_prod) *evtq_prod = read32(cpu, EVTQ_PROD);
        },
        {}, std::move(before_enable), event_queue);
    sc_core::sc_start();
    return gerror;
}

TEST_F(Smmuv3TranslationTest, FullEventQueueOverflowsOnce) {
    std::uint32_t prod = 0;
    // Eight records fill the queue (PROD index 0 with the wrap bit, bit 3, set); the ninth and
    // tenth are lost, and OVFLG toggles once: the overflow is already showing for the tenth.
    EXPECT_EQ(gerror_after_faults(10, idle, kEventQueue, false, &prod), 0u);
    EXPECT_EQ(prod, 0x80000008u);
}

TEST_F(Smmuv3TranslationTest, AbortWritingTheEventQueueIsEvtqAbtErr) {
    EXPECT_EQ(gerror_after_faults(1, idle, kBeyondMemory, false), 1u << 2);
}

TEST_F(Smmuv3TranslationTest, AbortedEventQueueMsiIsMsiEvtqAbtErr) {
    const auto msi_beyond_memory = [](TestInitiator& cpu) {
        write32(cpu, EVTQ_IRQ_CFG0, static_cast<std::uint32_t>(kBeyondMemory));
    };
    EXPECT_EQ(gerror_after_faults(1, msi_beyond_memory, kEventQueue, true), 1u << 5);
}

}  // namespace
}  // namespace iommu_vp
