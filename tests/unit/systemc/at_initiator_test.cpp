// Every target socket accepts non-blocking calls from approximately-timed initiators: an AT initiator
// drives SparseMemory, the Router and the InterruptController's doorbell through the base protocol
// (BEGIN_REQ .. END_RESP), ending the response on the backward path or on the forward path.
#include "models/interconnect/router.h"
#include "models/irq/interrupt_controller.h"
#include "models/memory/sparse_memory.h"

#include "sc_test.h"
#include "unit/systemc/tlm_test_kit.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace iommu_vp {
namespace {

using testing::AtResult;
using testing::EndResp;
using testing::ns;
using testing::RecordingInterruptSink;
using testing::TestInitiator;

SparseMemoryParams memory_params() {
    SparseMemoryParams p;
    p.size_bytes = 1 << 20;
    p.read_latency = ns(20);
    p.write_latency = ns(30);
    return p;
}

// One AT transaction; the payload's buffer is `data` (read into, or written from).
struct AtAccess {
    AtResult result;
    tlm::tlm_response_status status = tlm::TLM_INCOMPLETE_RESPONSE;
    sc_core::sc_time finished;
};

AtAccess at_access(TestInitiator& self, bool is_read, std::uint64_t address, std::vector<std::uint8_t>& data,
                   EndResp end_resp) {
    tlm::tlm_generic_payload p;
    prepare_payload(p, is_read, address, data.data(), static_cast<unsigned>(data.size()));
    AtAccess access;
    access.result = self.at_transact(p, end_resp);
    access.status = p.get_response_status();
    access.finished = sc_core::sc_time_stamp();
    return access;
}

void expect_base_protocol_completed(const AtAccess& a) {
    EXPECT_TRUE(a.result.completed);
    // Whatever the target returned first, a response arrived: either TLM_COMPLETED on the forward
    // call, or BEGIN_RESP on the backward path (possibly after END_REQ).
    if (a.result.first_return != tlm::TLM_COMPLETED) {
        ASSERT_FALSE(a.result.backward_phases.empty());
        EXPECT_EQ(a.result.backward_phases.back(), tlm::BEGIN_RESP);
    }
}

class AtInitiatorTest : public iommu_vp::testing::ScTest {};

TEST_F(AtInitiatorTest, SparseMemoryAnswersAtWritesAndReadsAfterItsLatency) {
    SparseMemory memory("memory", memory_params());
    AtAccess write, read;
    std::vector<std::uint8_t> written = {0xDE, 0xAD, 0xBE, 0xEF}, back(4, 0);
    sc_core::sc_time read_started;
    TestInitiator cpu("cpu", [&](TestInitiator& self) {
        write = at_access(self, false, 0x100, written, EndResp::complete_on_backward_path);
        read_started = sc_core::sc_time_stamp();
        read = at_access(self, true, 0x100, back, EndResp::complete_on_backward_path);
    });
    cpu.socket.bind(memory.target);
    sc_core::sc_start();

    expect_base_protocol_completed(write);
    EXPECT_EQ(write.status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(write.result.begin_resp_at, ns(30));
    expect_base_protocol_completed(read);
    EXPECT_EQ(read.status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(read.result.begin_resp_at, read_started + ns(20));
    EXPECT_EQ(back, written);
}

TEST_F(AtInitiatorTest, SparseMemoryAcceptsEndRespOnTheForwardPathBackToBack) {
    SparseMemory memory("memory", memory_params());
    std::vector<AtAccess> accesses;
    std::vector<std::uint8_t> a = {1, 2}, b = {3, 4}, back(4, 0);
    TestInitiator cpu("cpu", [&](TestInitiator& self) {
        accesses.push_back(at_access(self, false, 0x10, a, EndResp::send_on_forward_path));
        accesses.push_back(at_access(self, false, 0x12, b, EndResp::send_on_forward_path));
        accesses.push_back(at_access(self, true, 0x10, back, EndResp::send_on_forward_path));
    });
    cpu.socket.bind(memory.target);
    sc_core::sc_start();

    ASSERT_EQ(accesses.size(), 3u);
    for (const AtAccess& x : accesses) {
        expect_base_protocol_completed(x);
        EXPECT_EQ(x.status, tlm::TLM_OK_RESPONSE);
    }
    EXPECT_EQ(accesses[2].finished, ns(30 + 30 + 20));
    EXPECT_EQ(back, (std::vector<std::uint8_t>{1, 2, 3, 4}));
}

TEST_F(AtInitiatorTest, SparseMemoryReportsErrorsToAtInitiators) {
    SparseMemory memory("memory", memory_params());
    AtAccess outside;
    std::vector<std::uint8_t> data(8, 0);
    TestInitiator cpu("cpu", [&](TestInitiator& self) {
        outside = at_access(self, true, (1 << 20) - 4, data, EndResp::complete_on_backward_path);
    });
    cpu.socket.bind(memory.target);
    sc_core::sc_start();
    expect_base_protocol_completed(outside);
    EXPECT_EQ(outside.status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

TEST_F(AtInitiatorTest, RouterForwardsAtTransactionsAndAnswersDecodeErrors) {
    RouterParams rp;
    rp.hop_latency = ns(7);
    rp.windows = {{"ram", 0x8000'0000, 1 << 20, 0, 0}};
    Router router("router", rp);
    SparseMemory memory("memory", memory_params());
    AtAccess write, read, unmapped;
    std::vector<std::uint8_t> data = {0x11, 0x22, 0x33, 0x44}, back(4, 0), none(4, 0);
    sc_core::sc_time read_started;
    TestInitiator cpu("cpu", [&](TestInitiator& self) {
        write = at_access(self, false, 0x8000'0200, data, EndResp::send_on_forward_path);
        read_started = sc_core::sc_time_stamp();
        read = at_access(self, true, 0x8000'0200, back, EndResp::complete_on_backward_path);
        unmapped = at_access(self, true, 0x4000'0000, none, EndResp::complete_on_backward_path);
    });
    cpu.socket.bind(router.upstream[0]);
    router.downstream[0].bind(memory.target);
    sc_core::sc_start();

    expect_base_protocol_completed(write);
    EXPECT_EQ(write.status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(write.result.begin_resp_at, ns(7 + 30));
    expect_base_protocol_completed(read);
    EXPECT_EQ(read.result.begin_resp_at, read_started + ns(7 + 20));
    EXPECT_EQ(back, data);
    std::vector<std::uint8_t> stored(4, 0);
    memory.store().read(0x200, stored.data(), 4);  // routed to offset 0x200 of the memory
    EXPECT_EQ(stored, data);
    expect_base_protocol_completed(unmapped);
    EXPECT_EQ(unmapped.status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

TEST_F(AtInitiatorTest, InterruptDoorbellAcceptsAtWrites) {
    InterruptControllerParams ip;
    ip.lines = 1;
    ip.delivery_latency = ns(25);
    InterruptController irq("irq", ip);
    sc_core::sc_signal<bool> line("line");
    RecordingInterruptSink cpu_side("cpu_side");
    AtAccess write, bad;
    std::vector<std::uint8_t> vector = {42, 0, 0, 0}, eight(8, 1);
    TestInitiator device("device", [&](TestInitiator& self) {
        write = at_access(self, false, 0x40, vector, EndResp::complete_on_backward_path);
        bad = at_access(self, false, 0x40, eight, EndResp::send_on_forward_path);
    });
    irq.irq_in[0].bind(line);
    irq.cpu.bind(cpu_side);
    device.socket.bind(irq.doorbell);
    sc_core::sc_start();

    expect_base_protocol_completed(write);
    EXPECT_EQ(write.status, tlm::TLM_OK_RESPONSE);
    expect_base_protocol_completed(bad);
    EXPECT_EQ(bad.status, tlm::TLM_GENERIC_ERROR_RESPONSE);
    ASSERT_EQ(cpu_side.vectors.size(), 1u);
    EXPECT_EQ(cpu_side.vectors[0].vector, 42u);
    EXPECT_EQ(write.result.begin_resp_at, ns(0));  // the doorbell adds no latency of its own
    EXPECT_EQ(cpu_side.vectors[0].at, ns(25));
}

}  // namespace
}  // namespace iommu_vp
