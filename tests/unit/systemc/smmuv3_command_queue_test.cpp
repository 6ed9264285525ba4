// SMMUv3 command queue, driven as a driver drives it: commands written into memory, CMDQ_BASE and
// CMDQ_PROD programmed, CMDQ_CONS polled. Command encodings follow SMMUv3 4.1 and 4.7 (CMD_SYNC:
// opcode 0x46 in [7:0], CS in [13:12], MSIData in [63:32]; MSIAddress[55:2] in the second word),
// the error rules 7.1 (CMDQ_CONS.ERR in [30:24]: 1 = CERROR_ILL, 2 = CERROR_ABT) and 7.5 (GERROR
// bit 0 = CMDQ_ERR, active while GERROR and GERRORN differ), written here from the specification.
#include "models/memory/sparse_memory.h"
#include "models/smmuv3/smmuv3.h"

#include "sc_test.h"
#include "unit/systemc/smmuv3_bench.h"
#include "unit/systemc/tlm_test_kit.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace iommu_vp {
namespace {

using namespace testing::smmuv3_bench;

constexpr std::uint64_t kQueueBase = 0x4000;  // in the bench's memory, which starts at address 0
constexpr unsigned kLog2Entries = 4;          // 16 commands
constexpr std::uint32_t kCmdqEn = 1u << 3;
constexpr std::uint32_t kGerrorIrqEn = 1u << 0;

constexpr std::uint64_t sync_command(unsigned cs, std::uint32_t msi_data = 0) {
    return 0x46u | (std::uint64_t{cs} << 12) | (std::uint64_t{msi_data} << 32);
}
constexpr unsigned kCsNone = 0, kCsIrq = 1;

void put_command(SparseMemory& memory, unsigned index, std::uint64_t dw0, std::uint64_t dw1) {
    std::uint8_t bytes[16];
    for (unsigned i = 0; i < 8; ++i) {
        bytes[i] = static_cast<std::uint8_t>(dw0 >> (8 * i));
        bytes[8 + i] = static_cast<std::uint8_t>(dw1 >> (8 * i));
    }
    memory.store().write(kQueueBase + 16 * index, bytes, sizeof bytes);
}

std::uint32_t read_memory32(SparseMemory& memory, std::uint64_t address) {
    std::uint8_t b[4] = {};
    memory.store().read(address, b, 4);
    return static_cast<std::uint32_t>(b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24);
}

void enable_command_queue(TestInitiator& cpu, std::uint64_t base = kQueueBase) {
    write32(cpu, CMDQ_BASE, static_cast<std::uint32_t>(base | kLog2Entries));
    write32(cpu, CMDQ_BASE + 4, static_cast<std::uint32_t>(base >> 32));
    write32(cpu, CR0, kCmdqEn);
    while (read32(cpu, CR0ACK) != kCmdqEn) sc_core::wait(ns(10));
}

// Polls CMDQ_CONS until it equals `expected` or `timeout_ns` passes; returns the last value read.
std::uint32_t poll_cons(TestInitiator& cpu, std::uint32_t expected, double timeout_ns = 10000) {
    const sc_core::sc_time end = sc_core::sc_time_stamp() + ns(timeout_ns);
    std::uint32_t cons = read32(cpu, CMDQ_CONS);
    while (cons != expected && sc_core::sc_time_stamp() < end) {
        sc_core::wait(ns(10));
        cons = read32(cpu, CMDQ_CONS);
    }
    return cons;
}

class Smmuv3CommandQueueTest : public iommu_vp::testing::ScTest {};

TEST_F(Smmuv3CommandQueueTest, SyncWithMsiWritesTheDataWhenReached) {
    std::uint32_t cons = 0;
    Bench* bench_ptr = nullptr;
    Bench bench(
        [&](TestInitiator& cpu) {
            put_command(*bench_ptr->memory, 0, sync_command(kCsIrq, 0x1234abcd), 0x8000);  // MSI to 0x8000
            enable_command_queue(cpu);
            write32(cpu, CMDQ_PROD, 1);
            cons = poll_cons(cpu, 1);
        },
        idle);
    bench_ptr = &bench;
    sc_core::sc_start();
    EXPECT_EQ(cons, 1u);
    EXPECT_EQ(read_memory32(*bench.memory, 0x8000), 0x1234abcdu);
    EXPECT_EQ(bench.smmu->stats().find_counter("commands")->value, 1u);
}

TEST_F(Smmuv3CommandQueueTest, ConsumptionWrapsAroundTheQueue) {
    std::uint32_t cons = 0;
    Bench* bench_ptr = nullptr;
    Bench bench(
        [&](TestInitiator& cpu) {
            for (unsigned i = 0; i < 16; ++i) put_command(*bench_ptr->memory, i, sync_command(kCsNone), 0);
            enable_command_queue(cpu);
            write32(cpu, CMDQ_PROD, 12);
            poll_cons(cpu, 12);
            // Six more: indices 12..15 and 0..1, so PROD wraps: index 2 with the wrap bit (bit 4).
            write32(cpu, CMDQ_PROD, (1u << kLog2Entries) | 2);
            cons = poll_cons(cpu, (1u << kLog2Entries) | 2);
        },
        idle);
    bench_ptr = &bench;
    sc_core::sc_start();
    EXPECT_EQ(cons, 0x12u);
    EXPECT_EQ(bench.smmu->stats().find_counter("commands")->value, 18u);
}

TEST_F(Smmuv3CommandQueueTest, IllegalCommandStopsTheQueueUntilAcknowledged) {
    std::uint32_t cons_at_error = 0, gerror = 0, cons_while_stopped = 0, cons_after_ack = 0;
    std::uint32_t gerror_after_ack = 0, gerrorn_after_ack = 0;
    Bench* bench_ptr = nullptr;
    Bench bench(
        [&](TestInitiator& cpu) {
            put_command(*bench_ptr->memory, 0, sync_command(kCsNone), 0);
            put_command(*bench_ptr->memory, 1, 0xff, 0);  // opcode 0xff is reserved
            put_command(*bench_ptr->memory, 2, sync_command(kCsNone), 0);
            enable_command_queue(cpu);
            write32(cpu, CMDQ_PROD, 3);
            // CONS stops on the bad command (index 1) with ERR = CERROR_ILL.
            cons_at_error = poll_cons(cpu, (1u << 24) | 1);
            gerror = read32(cpu, GERROR);
            sc_core::wait(ns(2000));
            cons_while_stopped = read32(cpu, CMDQ_CONS);
            // The driver replaces the command and acknowledges the error: consumption resumes at 1.
            put_command(*bench_ptr->memory, 1, sync_command(kCsNone), 0);
            write32(cpu, GERRORN, gerror);
            cons_after_ack = poll_cons(cpu, 3);
            gerror_after_ack = read32(cpu, GERROR);
            gerrorn_after_ack = read32(cpu, GERRORN);
        },
        idle);
    bench_ptr = &bench;
    sc_core::sc_start();
    EXPECT_EQ(cons_at_error, 0x01000001u);
    EXPECT_EQ(gerror, 0x1u);  // CMDQ_ERR
    EXPECT_EQ(cons_while_stopped, 0x01000001u);
    EXPECT_EQ(cons_after_ack, 3u);
    EXPECT_EQ(gerror_after_ack ^ gerrorn_after_ack, 0u);  // no error active
}

TEST_F(Smmuv3CommandQueueTest, AbortOnCommandFetchIsCerrorAbt) {
    std::uint32_t cons = 0, gerror = 0;
    Bench bench(
        [&](TestInitiator& cpu) {
            enable_command_queue(cpu, 0x20'0000);  // beyond the bench's 1 MiB of memory
            write32(cpu, CMDQ_PROD, 1);
            cons = poll_cons(cpu, 2u << 24);
            gerror = read32(cpu, GERROR);
        },
        idle);
    sc_core::sc_start();
    EXPECT_EQ(cons, 2u << 24);  // ERR = CERROR_ABT, RD still 0
    EXPECT_EQ(gerror, 0x1u);
}

TEST_F(Smmuv3CommandQueueTest, DisabledQueueConsumesNothing) {
    std::uint32_t cons = 1;
    Bench* bench_ptr = nullptr;
    Bench bench(
        [&](TestInitiator& cpu) {
            put_command(*bench_ptr->memory, 0, sync_command(kCsNone), 0);
            write32(cpu, CMDQ_BASE, static_cast<std::uint32_t>(kQueueBase | kLog2Entries));
            write32(cpu, CMDQ_PROD, 1);  // CMDQEN never set
            sc_core::wait(ns(5000));
            cons = read32(cpu, CMDQ_CONS);
        },
        idle);
    bench_ptr = &bench;
    sc_core::sc_start();
    EXPECT_EQ(cons, 0u);
}

// Counts rising edges of a signal.
struct EdgeCounter : sc_core::sc_module {
    SC_HAS_PROCESS(EdgeCounter);
    EdgeCounter(sc_core::sc_module_name name, sc_core::sc_signal<bool>& signal) : sc_module(name), signal_(signal) {
        SC_METHOD(on_change);
        sensitive << signal_;
        dont_initialize();
    }
    void on_change() {
        if (signal_.read()) ++rising;
        else ++falling;
    }
    unsigned rising = 0, falling = 0;
    sc_core::sc_signal<bool>& signal_;
};

TEST_F(Smmuv3CommandQueueTest, WiredInterruptsArePulses) {
    Bench* bench_ptr = nullptr;
    Bench bench(
        [&](TestInitiator& cpu) {
            put_command(*bench_ptr->memory, 0, sync_command(kCsIrq), 0);  // MSIAddress 0: wired interrupt
            put_command(*bench_ptr->memory, 1, 0xff, 0);                  // illegal: GERROR
            write32(cpu, IRQ_CTRL, kGerrorIrqEn);
            while (read32(cpu, IRQ_CTRLACK) != kGerrorIrqEn) sc_core::wait(ns(10));
            enable_command_queue(cpu);
            write32(cpu, CMDQ_PROD, 2);
            poll_cons(cpu, (1u << 24) | 1);
            sc_core::wait(ns(100));
        },
        idle);
    bench_ptr = &bench;
    EdgeCounter sync_edges("sync_edges", bench.cmd_sync);
    EdgeCounter gerror_edges("gerror_edges", bench.gerror);
    sc_core::sc_start();
    EXPECT_EQ(sync_edges.rising, 1u);
    EXPECT_EQ(sync_edges.falling, 1u);  // an edge, not a level left high
    EXPECT_EQ(gerror_edges.rising, 1u);
    EXPECT_EQ(gerror_edges.falling, 1u);
}

TEST_F(Smmuv3CommandQueueTest, GerrorMsiWhenConfigured) {
    Bench* bench_ptr = nullptr;
    Bench bench(
        [&](TestInitiator& cpu) {
            put_command(*bench_ptr->memory, 0, 0xff, 0);  // illegal: GERROR.CMDQ_ERR
            write32(cpu, GERROR_IRQ_CFG0, 0x9000);
            write32(cpu, GERROR_IRQ_CFG1, 0xcafe);
            write32(cpu, IRQ_CTRL, kGerrorIrqEn);
            while (read32(cpu, IRQ_CTRLACK) != kGerrorIrqEn) sc_core::wait(ns(10));
            enable_command_queue(cpu);
            write32(cpu, CMDQ_PROD, 1);
            poll_cons(cpu, 1u << 24);
        },
        idle);
    bench_ptr = &bench;
    EdgeCounter gerror_edges("gerror_edges", bench.gerror);
    sc_core::sc_start();
    EXPECT_EQ(read_memory32(*bench.memory, 0x9000), 0xcafeu);
    EXPECT_EQ(gerror_edges.rising, 0u);  // an MSI instead of the wired line
}

// MSIs that abort (SMMUv3 7.5): GERROR bit 4 MSI_CMDQ_ABT_ERR, bit 7 MSI_GERROR_ABT_ERR. The
// bench's memory ends at 1 MiB, so 0x20_0000 aborts.
TEST_F(Smmuv3CommandQueueTest, AbortedSyncMsiIsMsiCmdqAbtErr) {
    std::uint32_t gerror = 0, cons = 0;
    Bench* bench_ptr = nullptr;
    Bench bench(
        [&](TestInitiator& cpu) {
            put_command(*bench_ptr->memory, 0, sync_command(kCsIrq, 1), 0x20'0000);
            enable_command_queue(cpu);
            write32(cpu, CMDQ_PROD, 1);
            cons = poll_cons(cpu, 1);
            gerror = read32(cpu, GERROR);
        },
        idle);
    bench_ptr = &bench;
    sc_core::sc_start();
    EXPECT_EQ(cons, 1u);  // the CMD_SYNC completed; only its MSI failed
    EXPECT_EQ(gerror, 1u << 4);
}

TEST_F(Smmuv3CommandQueueTest, AbortedGerrorMsiIsMsiGerrorAbtErr) {
    std::uint32_t gerror = 0;
    Bench* bench_ptr = nullptr;
    Bench bench(
        [&](TestInitiator& cpu) {
            put_command(*bench_ptr->memory, 0, 0xff, 0);  // illegal: CMDQ_ERR
            write32(cpu, GERROR_IRQ_CFG0, 0x20'0000);
            write32(cpu, IRQ_CTRL, kGerrorIrqEn);
            while (read32(cpu, IRQ_CTRLACK) != kGerrorIrqEn) sc_core::wait(ns(10));
            enable_command_queue(cpu);
            write32(cpu, CMDQ_PROD, 1);
            poll_cons(cpu, 1u << 24);
            gerror = read32(cpu, GERROR);
        },
        idle);
    bench_ptr = &bench;
    sc_core::sc_start();
    EXPECT_EQ(gerror, (1u << 0) | (1u << 7));
}

}  // namespace
}  // namespace iommu_vp
