// InterruptController: MSI doorbell writes raise vectors at the CPU interface after the delivery
// latency, in time order; bad doorbell accesses; debug accesses; wired lines.
#include "models/irq/interrupt_controller.h"

#include "sc_test.h"
#include "unit/systemc/tlm_test_kit.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace iommu_vp {
namespace {

using testing::LtResult;
using testing::ns;
using testing::RecordingInterruptSink;
using testing::TestInitiator;

InterruptControllerParams irq_params() {
    InterruptControllerParams p;
    p.lines = 4;
    p.doorbell_size = 0x1000;
    p.delivery_latency = ns(25);
    return p;
}

// Interrupt controller with idle wired lines, a recording CPU side and a test initiator on the doorbell.
struct Bench {
    InterruptController irq{"irq", irq_params()};
    sc_core::sc_vector<sc_core::sc_signal<bool>> lines{"line", 4};
    RecordingInterruptSink cpu_side{"cpu_side"};
    TestInitiator device;

    explicit Bench(std::function<void(TestInitiator&)> body, bool bind_cpu = true) : device("device", std::move(body)) {
        irq.irq_in.bind(lines);
        if (bind_cpu) irq.cpu.bind(cpu_side);
        device.socket.bind(irq.doorbell);
    }
};

class InterruptControllerTest : public iommu_vp::testing::ScTest {};

TEST_F(InterruptControllerTest, DoorbellWriteRaisesVectorDAfterTheDeliveryLatency) {
    LtResult write;
    Bench bench([&](TestInitiator& self) {
        write = self.write32(0x40, 42);
        sc_core::wait(ns(100));
        self.write32(0x0, 7, ns(5));  // a write annotated 5 ns ahead lands at 105 ns
    });
    sc_core::sc_start();
    EXPECT_EQ(write.status, tlm::TLM_OK_RESPONSE);
    ASSERT_EQ(bench.cpu_side.vectors.size(), 2u);
    EXPECT_EQ(bench.cpu_side.vectors[0].vector, 42u);
    EXPECT_EQ(bench.cpu_side.vectors[0].at, ns(25));
    EXPECT_EQ(bench.cpu_side.vectors[1].vector, 7u);
    EXPECT_EQ(bench.cpu_side.vectors[1].at, ns(100 + 5 + 25));
    EXPECT_EQ(bench.irq.msi_count(), 2u);
}

TEST_F(InterruptControllerTest, DoorbellDataIsALittleEndian32BitVector) {
    Bench bench([&](TestInitiator& self) { self.write(0xFFC, {0x78, 0x56, 0x34, 0x12}); });
    sc_core::sc_start();
    ASSERT_EQ(bench.cpu_side.vectors.size(), 1u);
    EXPECT_EQ(bench.cpu_side.vectors[0].vector, 0x1234'5678u);
}

TEST_F(InterruptControllerTest, WritesAnnotatedOutOfOrderAreDeliveredInTimeOrder) {
    Bench bench([&](TestInitiator& self) {
        self.write32(0x0, 1, ns(100));  // lands at 100 ns
        self.write32(0x0, 2);           // lands at 0 ns, issued later by the decoupled initiator
        self.write32(0x0, 3);           // same time as 2: delivered after it
    });
    sc_core::sc_start();
    ASSERT_EQ(bench.cpu_side.vectors.size(), 3u);
    EXPECT_EQ(bench.cpu_side.vectors[0].vector, 2u);
    EXPECT_EQ(bench.cpu_side.vectors[0].at, ns(25));
    EXPECT_EQ(bench.cpu_side.vectors[1].vector, 3u);
    EXPECT_EQ(bench.cpu_side.vectors[1].at, ns(25));
    EXPECT_EQ(bench.cpu_side.vectors[2].vector, 1u);
    EXPECT_EQ(bench.cpu_side.vectors[2].at, ns(125));
}

TEST_F(InterruptControllerTest, DoorbellReadsReturnZero) {
    LtResult read;
    Bench bench([&](TestInitiator& self) { read = self.read(0x10, 4); });
    sc_core::sc_start();
    EXPECT_EQ(read.status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(read.data, std::vector<std::uint8_t>(4, 0));
    EXPECT_TRUE(bench.cpu_side.vectors.empty());
}

TEST_F(InterruptControllerTest, WritesOfOtherSizesAreGenericErrorsAndRaiseNothing) {
    LtResult eight, two;
    Bench bench([&](TestInitiator& self) {
        eight = self.write(0x0, {1, 0, 0, 0, 0, 0, 0, 0});
        two = self.write(0x0, {1, 0});
    });
    sc_core::sc_start();
    EXPECT_EQ(eight.status, tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(two.status, tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_TRUE(bench.cpu_side.vectors.empty());
    EXPECT_EQ(bench.irq.stats().find_counter("bad_doorbell_writes")->value, 2u);
    EXPECT_EQ(bench.irq.msi_count(), 0u);
}

TEST_F(InterruptControllerTest, AccessesBeyondTheDoorbellWindowAreAddressErrors) {
    LtResult write, read;
    Bench bench([&](TestInitiator& self) {
        write = self.write32(0x1000, 5);
        read = self.read(0x2000, 4);
    });
    sc_core::sc_start();
    EXPECT_EQ(write.status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(read.status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_TRUE(bench.cpu_side.vectors.empty());
}

TEST_F(InterruptControllerTest, DebugAccessesHaveNoSideEffects) {
    unsigned written = 0, read = 0, outside = 1;
    std::vector<std::uint8_t> vector_bytes = {9, 0, 0, 0}, back(4, 0xEE), none(4, 0);
    Bench bench([&](TestInitiator& self) {
        written = self.debug(false, 0x0, vector_bytes);
        read = self.debug(true, 0x0, back);
        outside = self.debug(true, 0x1000, none);
    });
    sc_core::sc_start();
    EXPECT_EQ(written, 4u);
    EXPECT_EQ(read, 4u);
    EXPECT_EQ(back, std::vector<std::uint8_t>(4, 0));
    EXPECT_EQ(outside, 0u);
    EXPECT_TRUE(bench.cpu_side.vectors.empty());
    EXPECT_EQ(bench.irq.msi_count(), 0u);
}

TEST_F(InterruptControllerTest, WiredLineChangesReachTheCpuAfterTheDeliveryLatency) {
    Bench* bench_ptr = nullptr;
    Bench bench([&](TestInitiator&) {
        Bench& b = *bench_ptr;
        sc_core::wait(ns(5));
        b.lines[3].write(true);
        sc_core::wait(ns(15));
        b.lines[0].write(true);
        sc_core::wait(ns(30));
        b.lines[3].write(false);
        b.lines[0].write(true);  // no change of level: nothing to pass on
    });
    bench_ptr = &bench;
    sc_core::sc_start();
    // The parameter documents the latency "from the doorbell write (or line change) to delivery".
    ASSERT_EQ(bench.cpu_side.lines.size(), 3u);
    EXPECT_EQ(bench.cpu_side.lines[0].line, 3u);
    EXPECT_TRUE(bench.cpu_side.lines[0].level);
    EXPECT_EQ(bench.cpu_side.lines[0].at, ns(5 + 25));
    EXPECT_EQ(bench.cpu_side.lines[1].line, 0u);
    EXPECT_TRUE(bench.cpu_side.lines[1].level);
    EXPECT_EQ(bench.cpu_side.lines[1].at, ns(20 + 25));
    EXPECT_EQ(bench.cpu_side.lines[2].line, 3u);
    EXPECT_FALSE(bench.cpu_side.lines[2].level);
    EXPECT_EQ(bench.cpu_side.lines[2].at, ns(50 + 25));
    EXPECT_EQ(bench.irq.stats().find_counter("line_changes")->value, 3u);
}

TEST_F(InterruptControllerTest, WorksWithNoCpuSideBound) {
    LtResult write;
    Bench bench([&](TestInitiator& self) { write = self.write32(0x0, 3); }, /*bind_cpu=*/false);
    sc_core::sc_start();
    EXPECT_EQ(write.status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(bench.irq.msi_count(), 1u);
}

}  // namespace
}  // namespace iommu_vp
