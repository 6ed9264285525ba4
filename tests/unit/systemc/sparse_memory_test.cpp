// SparseMemory: data round trip, latency annotation, the bandwidth channel, debug transport, DMI,
// address errors, byte enables and streaming width.
#include "models/memory/sparse_memory.h"

#include "sc_test.h"
#include "unit/systemc/tlm_test_kit.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace iommu_vp {
namespace {

using testing::LtResult;
using testing::ns;
using testing::TestInitiator;

constexpr std::uint64_t kSize = 1 << 20;

SparseMemoryParams memory_params(double bandwidth = 0.0) {
    SparseMemoryParams p;
    p.size_bytes = kSize;
    p.read_latency = ns(20);
    p.write_latency = ns(30);
    p.bandwidth_bytes_per_ns = bandwidth;
    return p;
}

std::uint64_t counter(const SparseMemory& m, const char* name) { return m.stats().find_counter(name)->value; }

class SparseMemoryTest : public iommu_vp::testing::ScTest {};

TEST_F(SparseMemoryTest, WriteThenReadRoundTripsWithConfiguredLatencies) {
    SparseMemory memory("memory", memory_params());
    LtResult write, read;
    TestInitiator cpu("cpu", [&](TestInitiator& self) {
        write = self.write(0x1234, {1, 2, 3, 4, 5, 6, 7, 8});
        read = self.read(0x1234, 8, ns(5));  // an already annotated delay is added to
    });
    cpu.socket.bind(memory.target);
    sc_core::sc_start();

    EXPECT_EQ(write.status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(write.delay, ns(30));
    EXPECT_EQ(read.status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(read.delay, ns(25));
    EXPECT_EQ(read.data, (std::vector<std::uint8_t>{1, 2, 3, 4, 5, 6, 7, 8}));
    EXPECT_EQ(counter(memory, "reads"), 1u);
    EXPECT_EQ(counter(memory, "writes"), 1u);
    EXPECT_EQ(counter(memory, "bytes_read"), 8u);
    EXPECT_EQ(counter(memory, "bytes_written"), 8u);
}

TEST_F(SparseMemoryTest, UnwrittenMemoryReadsZero) {
    SparseMemory memory("memory", memory_params());
    LtResult read;
    TestInitiator cpu("cpu", [&](TestInitiator& self) { read = self.read(0x8000, 16); });
    cpu.socket.bind(memory.target);
    sc_core::sc_start();
    EXPECT_EQ(read.status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(read.data, std::vector<std::uint8_t>(16, 0));
}

TEST_F(SparseMemoryTest, BandwidthLimitQueuesBackToBackWrites) {
    // 1 byte/ns: a 64-byte write occupies the channel for 64 ns after its 30 ns latency.
    SparseMemory memory("memory", memory_params(1.0));
    LtResult first, second;
    TestInitiator cpu("cpu", [&](TestInitiator& self) {
        first = self.write(0x0, std::vector<std::uint8_t>(64, 1));
        second = self.write(0x40, std::vector<std::uint8_t>(64, 2));  // same issue time: 0
    });
    cpu.socket.bind(memory.target);
    sc_core::sc_start();

    EXPECT_EQ(first.delay, ns(30 + 64));
    EXPECT_EQ(second.delay, ns(30 + 64 + 64));  // waits for the first transfer: later by size/bandwidth
    EXPECT_EQ(counter(memory, "queued_accesses"), 1u);
}

TEST_F(SparseMemoryTest, BandwidthChannelToleratesOutOfOrderArrivals) {
    // Under temporal decoupling a transaction stamped later may be booked first; an earlier one that
    // fits before it must not queue behind it.
    SparseMemory memory("memory", memory_params(1.0));
    LtResult late, early;
    TestInitiator cpu("cpu", [&](TestInitiator& self) {
        late = self.read(0x0, 64, ns(200));  // channel [220, 284)
        early = self.read(0x40, 64);         // channel [20, 84): fits before
    });
    cpu.socket.bind(memory.target);
    sc_core::sc_start();

    EXPECT_EQ(late.delay, ns(200 + 20 + 64));
    EXPECT_EQ(early.delay, ns(20 + 64));
    EXPECT_EQ(counter(memory, "queued_accesses"), 0u);
}

TEST_F(SparseMemoryTest, BandwidthBookingIsReleasedOnceTimePasses) {
    SparseMemory memory("memory", memory_params(2.0));  // 2 bytes/ns: 64 bytes take 32 ns
    LtResult first, later;
    TestInitiator cpu("cpu", [&](TestInitiator& self) {
        first = self.write(0x0, std::vector<std::uint8_t>(64, 1));
        sc_core::wait(first.delay);  // synchronise: the channel is free again
        later = self.write(0x0, std::vector<std::uint8_t>(64, 1));
    });
    cpu.socket.bind(memory.target);
    sc_core::sc_start();
    EXPECT_EQ(first.delay, ns(30 + 32));
    EXPECT_EQ(later.delay, ns(30 + 32));
}

TEST_F(SparseMemoryTest, DebugTransportHasNoTimingOrSideEffects) {
    SparseMemory memory("memory", memory_params(1.0));
    unsigned written = 0, read_back = 0, at_end = 0, outside = 0;
    std::vector<std::uint8_t> data = {9, 8, 7, 6}, back(4, 0), tail(8, 0xEE), none(4, 0);
    LtResult after;
    TestInitiator cpu("cpu", [&](TestInitiator& self) {
        written = self.debug(false, 0x100, data);
        read_back = self.debug(true, 0x100, back);
        at_end = self.debug(true, kSize - 4, tail);  // only 4 of the 8 bytes exist
        outside = self.debug(true, kSize, none);
        // The debug accesses booked nothing: a real access right after is not queued.
        after = self.read(0x100, 64);
    });
    cpu.socket.bind(memory.target);
    sc_core::sc_start();

    EXPECT_EQ(written, 4u);
    EXPECT_EQ(read_back, 4u);
    EXPECT_EQ(back, data);
    EXPECT_EQ(at_end, 4u);
    EXPECT_EQ(outside, 0u);
    EXPECT_EQ(sc_core::sc_time_stamp(), sc_core::SC_ZERO_TIME);  // nothing waited
    EXPECT_EQ(after.delay, ns(20 + 64));
    EXPECT_EQ(counter(memory, "reads"), 1u);  // only the b_transport read
    EXPECT_EQ(counter(memory, "writes"), 0u);
    EXPECT_EQ(counter(memory, "queued_accesses"), 0u);
}

TEST_F(SparseMemoryTest, DmiIsGrantedPageWiseWithoutABandwidthLimit) {
    SparseMemory memory("memory", memory_params());
    bool granted = false;
    tlm::tlm_dmi dmi;
    LtResult read_after_dmi_write;
    TestInitiator cpu("cpu", [&](TestInitiator& self) {
        self.write(0x3456, {0xAB});
        granted = self.get_dmi(0x3456, dmi);
        if (!granted) return;
        EXPECT_EQ(dmi.get_dmi_ptr()[0x456], 0xAB);  // the pointer shows what b_transport wrote
        dmi.get_dmi_ptr()[0x10] = 0xCD;               // and b_transport sees what it writes
        read_after_dmi_write = self.read(0x3010, 1);
    });
    cpu.socket.bind(memory.target);
    sc_core::sc_start();

    ASSERT_TRUE(granted);
    EXPECT_EQ(dmi.get_start_address(), 0x3000u);
    EXPECT_EQ(dmi.get_end_address(), 0x3FFFu);
    EXPECT_TRUE(dmi.is_read_write_allowed());
    EXPECT_EQ(dmi.get_read_latency(), ns(20));
    EXPECT_EQ(dmi.get_write_latency(), ns(30));
    EXPECT_EQ(read_after_dmi_write.data, std::vector<std::uint8_t>{0xCD});
    EXPECT_EQ(counter(memory, "dmi_grants"), 1u);
}

TEST_F(SparseMemoryTest, DmiIsRefusedWhileABandwidthLimitIsSet) {
    SparseMemory memory("memory", memory_params(4.0));
    bool granted = true;
    tlm::tlm_dmi dmi;
    TestInitiator cpu("cpu", [&](TestInitiator& self) { granted = self.get_dmi(0x3456, dmi); });
    cpu.socket.bind(memory.target);
    sc_core::sc_start();
    EXPECT_FALSE(granted);
    EXPECT_FALSE(dmi.is_read_allowed());
    EXPECT_FALSE(dmi.is_write_allowed());
    // The refused range covers the requested address.
    EXPECT_LE(dmi.get_start_address(), 0x3456u);
    EXPECT_GE(dmi.get_end_address(), 0x3456u);
    EXPECT_EQ(counter(memory, "dmi_refusals"), 1u);
    EXPECT_EQ(counter(memory, "dmi_grants"), 0u);
}

TEST_F(SparseMemoryTest, DmiIsRefusedWhenDisabledOrOutOfRange) {
    SparseMemoryParams p = memory_params();
    p.dmi_enabled = false;
    SparseMemory no_dmi("no_dmi", p);
    SparseMemory memory("memory", memory_params());
    bool disabled_granted = true, outside_granted = true;
    tlm::tlm_dmi dmi;
    TestInitiator a("a", [&](TestInitiator& self) { disabled_granted = self.get_dmi(0x0, dmi); });
    TestInitiator b("b", [&](TestInitiator& self) {
        tlm::tlm_dmi other;
        outside_granted = self.get_dmi(kSize, other);
    });
    a.socket.bind(no_dmi.target);
    b.socket.bind(memory.target);
    sc_core::sc_start();
    EXPECT_FALSE(disabled_granted);
    EXPECT_FALSE(outside_granted);
}

TEST_F(SparseMemoryTest, AccessesOutsideTheMemoryAreAddressErrors) {
    SparseMemory memory("memory", memory_params());
    LtResult straddling, beyond, last_ok;
    TestInitiator cpu("cpu", [&](TestInitiator& self) {
        straddling = self.read(kSize - 4, 8);
        beyond = self.write(kSize, {1, 2, 3, 4});
        last_ok = self.write(kSize - 4, {1, 2, 3, 4});
    });
    cpu.socket.bind(memory.target);
    sc_core::sc_start();
    EXPECT_EQ(straddling.status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(beyond.status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(last_ok.status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(counter(memory, "errors"), 2u);
    EXPECT_EQ(counter(memory, "writes"), 1u);
}

// Sends one payload with byte enables; returns its status.
tlm::tlm_response_status transport_with_enables(TestInitiator& self, bool is_read, std::uint64_t address,
                                                std::vector<std::uint8_t>& data, std::vector<std::uint8_t>& enables) {
    tlm::tlm_generic_payload p;
    prepare_payload(p, is_read, address, data.data(), static_cast<unsigned>(data.size()));
    p.set_byte_enable_ptr(enables.empty() ? nullptr : enables.data());
    p.set_byte_enable_length(static_cast<unsigned>(enables.size()));
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    self.socket->b_transport(p, delay);
    return p.get_response_status();
}

TEST_F(SparseMemoryTest, ByteEnablesSelectTheLanesWrittenAndRead) {
    SparseMemory memory("memory", memory_params());
    tlm::tlm_response_status write_status = tlm::TLM_INCOMPLETE_RESPONSE, read_status = write_status;
    std::vector<std::uint8_t> stored(8, 0), read_data(4, 0xEE);
    TestInitiator cpu("cpu", [&](TestInitiator& self) {
        std::vector<std::uint8_t> fill(8, 0xAA);
        self.debug(false, 0x200, fill);
        // A 2-byte enable pattern repeats over the 8 data bytes (TLM-2.0 byte enable length rule).
        std::vector<std::uint8_t> data = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17};
        std::vector<std::uint8_t> enables = {TLM_BYTE_ENABLED, TLM_BYTE_DISABLED};
        write_status = transport_with_enables(self, false, 0x200, data, enables);
        self.debug(true, 0x200, stored);
        std::vector<std::uint8_t> read_enables = {TLM_BYTE_DISABLED, TLM_BYTE_ENABLED, TLM_BYTE_ENABLED,
                                                  TLM_BYTE_DISABLED};
        read_status = transport_with_enables(self, true, 0x200, read_data, read_enables);
    });
    cpu.socket.bind(memory.target);
    sc_core::sc_start();

    EXPECT_EQ(write_status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(stored, (std::vector<std::uint8_t>{0x10, 0xAA, 0x12, 0xAA, 0x14, 0xAA, 0x16, 0xAA}));
    EXPECT_EQ(read_status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(read_data, (std::vector<std::uint8_t>{0xEE, 0xAA, 0x12, 0xEE}));  // disabled lanes untouched
}

TEST_F(SparseMemoryTest, EmptyByteEnableArrayAndNarrowStreamingWidthAreErrors) {
    SparseMemory memory("memory", memory_params());
    tlm::tlm_response_status empty_enables = tlm::TLM_OK_RESPONSE, streaming = tlm::TLM_OK_RESPONSE;
    std::vector<std::uint8_t> stored(8, 0xFF);
    TestInitiator cpu("cpu", [&](TestInitiator& self) {
        std::vector<std::uint8_t> data(8, 0x55);
        std::uint8_t enable = TLM_BYTE_ENABLED;
        tlm::tlm_generic_payload p;
        prepare_payload(p, false, 0x300, data.data(), 8);
        p.set_byte_enable_ptr(&enable);
        p.set_byte_enable_length(0);
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        self.socket->b_transport(p, delay);
        empty_enables = p.get_response_status();

        prepare_payload(p, false, 0x300, data.data(), 8);
        p.set_streaming_width(4);  // a streaming burst the memory does not model
        self.socket->b_transport(p, delay);
        streaming = p.get_response_status();
        self.debug(true, 0x300, stored);
    });
    cpu.socket.bind(memory.target);
    sc_core::sc_start();
    EXPECT_EQ(empty_enables, tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    EXPECT_EQ(streaming, tlm::TLM_BURST_ERROR_RESPONSE);
    EXPECT_EQ(stored, std::vector<std::uint8_t>(8, 0));  // neither wrote anything
}

TEST_F(SparseMemoryTest, IgnoreCommandTouchesNoData) {
    SparseMemory memory("memory", memory_params());
    tlm::tlm_response_status status = tlm::TLM_INCOMPLETE_RESPONSE;
    std::vector<std::uint8_t> stored(4, 0xFF);
    TestInitiator cpu("cpu", [&](TestInitiator& self) {
        std::vector<std::uint8_t> data(4, 0x55);
        tlm::tlm_generic_payload p;
        prepare_payload(p, false, 0x400, data.data(), 4);
        p.set_command(tlm::TLM_IGNORE_COMMAND);
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        self.socket->b_transport(p, delay);
        status = p.get_response_status();
        self.debug(true, 0x400, stored);
    });
    cpu.socket.bind(memory.target);
    sc_core::sc_start();
    EXPECT_EQ(status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(stored, std::vector<std::uint8_t>(4, 0));
    EXPECT_EQ(counter(memory, "reads") + counter(memory, "writes"), 0u);
}

}  // namespace
}  // namespace iommu_vp
