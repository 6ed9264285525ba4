// Router: address decoding with the address adjusted per window, decode errors, hop latency, DMI
// forwarding and invalidation translated between address spaces, debug transport, window checks.
#include "models/interconnect/router.h"

#include "sc_test.h"
#include "unit/systemc/tlm_test_kit.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

namespace iommu_vp {
namespace {

using testing::LtResult;
using testing::ns;
using testing::RecordingTarget;
using testing::TestInitiator;
using Range = std::pair<std::uint64_t, std::uint64_t>;

constexpr std::uint64_t kRamBase = 0x8000'0000;
constexpr std::uint64_t kDevBase = 0x1000'0000;    // dev window: 0x3000 bytes at dev offset 0x800
constexpr std::uint64_t kAliasBase = 0x2000'0000;  // alias window: 0x1000 bytes at dev offset 0

RouterParams router_params() {
    RouterParams p;
    p.initiator_ports = 2;
    p.target_ports = 2;
    p.hop_latency = ns(7);
    p.windows = {
        {"ram", kRamBase, 0x10'0000, 0, 0},
        {"dev", kDevBase, 0x3000, 1, 0x800},
        {"dev_alias", kAliasBase, 0x1000, 1, 0},
    };
    return p;
}

std::uint64_t counter(const Router& r, const char* name) { return r.stats().find_counter(name)->value; }

// A router with two recording targets (ram on port 0, dev on port 1) and two initiators.
struct Bench {
    Router router{"router", router_params()};
    RecordingTarget ram{"ram"};
    RecordingTarget dev{"dev"};
    std::unique_ptr<TestInitiator> cpu;
    std::unique_ptr<TestInitiator> dma;

    Bench(std::function<void(TestInitiator&)> cpu_body,
          std::function<void(TestInitiator&)> dma_body = [](TestInitiator&) {}) {
        cpu = std::make_unique<TestInitiator>("cpu", std::move(cpu_body));
        dma = std::make_unique<TestInitiator>("dma", std::move(dma_body));
        cpu->socket.bind(router.upstream[0]);
        dma->socket.bind(router.upstream[1]);
        router.downstream[0].bind(ram.socket);
        router.downstream[1].bind(dev.socket);
    }
};

class RouterTest : public iommu_vp::testing::ScTest {};

TEST_F(RouterTest, DecodesToTheTargetOfTheWindowWithTheAddressAdjusted) {
    LtResult dev_read, ram_write;
    std::uint64_t address_after_return = 0;
    Bench bench([&](TestInitiator& self) {
        dev_read = self.read(kDevBase + 0x10, 4);
        ram_write = self.write(kRamBase + 0x1234, {0xA5});
        // The initiator's payload keeps its own address once the call returns.
        std::uint8_t byte = 0;
        tlm::tlm_generic_payload p;
        prepare_payload(p, true, kAliasBase + 0x20, &byte, 1);
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        self.socket->b_transport(p, delay);
        address_after_return = p.get_address();
    });
    sc_core::sc_start();

    ASSERT_EQ(bench.dev.transactions.size(), 2u);
    EXPECT_EQ(bench.dev.transactions[0].address, 0x810u);
    EXPECT_TRUE(bench.dev.transactions[0].is_read());
    EXPECT_EQ(bench.dev.transactions[1].address, 0x20u);  // through the alias window
    EXPECT_EQ(dev_read.status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(dev_read.data, (std::vector<std::uint8_t>{0x10, 0x11, 0x12, 0x13}));  // dev fills address + i
    ASSERT_EQ(bench.ram.transactions.size(), 1u);
    EXPECT_EQ(bench.ram.transactions[0].address, 0x1234u);
    EXPECT_EQ(bench.ram.transactions[0].data, std::vector<std::uint8_t>{0xA5});
    EXPECT_EQ(ram_write.status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(address_after_return, kAliasBase + 0x20);
    EXPECT_EQ(counter(bench.router, "transactions"), 3u);
}

TEST_F(RouterTest, WindowEdgesDecodeExactly) {
    Bench bench([&](TestInitiator& self) {
        self.read(kDevBase, 1);               // first byte of dev
        self.read(kDevBase + 0x2FFF, 1);      // last byte of dev
        self.read(kRamBase + 0xF'FFFF, 1);    // last byte of ram
    });
    sc_core::sc_start();
    ASSERT_EQ(bench.dev.transactions.size(), 2u);
    EXPECT_EQ(bench.dev.transactions[0].address, 0x800u);
    EXPECT_EQ(bench.dev.transactions[1].address, 0x37FFu);
    ASSERT_EQ(bench.ram.transactions.size(), 1u);
    EXPECT_EQ(bench.ram.transactions[0].address, 0xF'FFFFu);
    EXPECT_EQ(bench.router.decode(kDevBase - 1), nullptr);
    ASSERT_NE(bench.router.decode(kDevBase + 0x2FFF), nullptr);
    EXPECT_EQ(bench.router.decode(kDevBase + 0x2FFF)->name, "dev");
    EXPECT_EQ(bench.router.decode(kDevBase + 0x3000), nullptr);
}

TEST_F(RouterTest, UnmappedAddressesAreAddressErrorsAndReachNoTarget) {
    LtResult below, gap, above;
    Bench bench([&](TestInitiator& self) {
        below = self.read(0x0, 4);
        gap = self.write(kDevBase + 0x3000, {1, 2, 3, 4});  // just past the dev window
        above = self.read(kRamBase + 0x10'0000, 4);         // just past the ram window
    });
    sc_core::sc_start();
    EXPECT_EQ(below.status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(gap.status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(above.status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_TRUE(bench.ram.transactions.empty());
    EXPECT_TRUE(bench.dev.transactions.empty());
    EXPECT_EQ(counter(bench.router, "decode_errors"), 3u);
    EXPECT_EQ(counter(bench.router, "transactions"), 0u);
}

TEST_F(RouterTest, HopLatencyIsAddedToTheTargetsDelay) {
    LtResult r;
    Bench* bench_ptr = nullptr;
    Bench bench([&](TestInitiator& self) {
        bench_ptr->ram.latency = ns(40);
        r = self.read(kRamBase, 8, ns(3));
    });
    bench_ptr = &bench;
    sc_core::sc_start();
    EXPECT_EQ(r.delay, ns(3 + 7 + 40));
    ASSERT_EQ(bench.ram.transactions.size(), 1u);
    EXPECT_EQ(bench.ram.transactions[0].arrival, ns(3 + 7));  // the target sees the hop already taken
}

TEST_F(RouterTest, EveryInitiatorPortRoutesAndAttributesPassThrough) {
    MasterAttrs attrs(0x42);
    attrs.has_substream = true;
    attrs.substream_id = 9;
    attrs.privileged = true;
    Bench bench([&](TestInitiator& self) { self.write(kRamBase + 0x40, {1}, sc_core::SC_ZERO_TIME, &attrs); },
                [&](TestInitiator& self) { self.read(kDevBase + 0x40, 1, sc_core::SC_ZERO_TIME, &attrs); });
    sc_core::sc_start();
    ASSERT_EQ(bench.ram.transactions.size(), 1u);
    ASSERT_EQ(bench.dev.transactions.size(), 1u);
    ASSERT_TRUE(bench.ram.transactions[0].attrs.has_value());
    EXPECT_EQ(*bench.ram.transactions[0].attrs, attrs);
    ASSERT_TRUE(bench.dev.transactions[0].attrs.has_value());
    EXPECT_EQ(*bench.dev.transactions[0].attrs, attrs);
    EXPECT_EQ(bench.dev.transactions[0].address, 0x840u);
}

TEST_F(RouterTest, DmiIsForwardedWithTheRangeTranslatedAndClippedToTheWindow) {
    bool dev_granted = false, ram_granted = false;
    tlm::tlm_dmi dev_dmi, ram_dmi;
    Bench* bench_ptr = nullptr;
    Bench bench([&](TestInitiator& self) {
        bench_ptr->dev.set_dmi(0x0, 0x1FFF);       // the dev window covers dev offsets 0x800..0x37FF
        bench_ptr->ram.set_dmi(0x0, 0x1F'FFFF);    // larger than the 1 MiB ram window
        dev_granted = self.get_dmi(kDevBase + 0x100, dev_dmi);
        ram_granted = self.get_dmi(kRamBase + 0x5000, ram_dmi);
    });
    bench_ptr = &bench;
    sc_core::sc_start();

    ASSERT_TRUE(dev_granted);
    ASSERT_EQ(bench.dev.dmi_requests.size(), 1u);
    EXPECT_EQ(bench.dev.dmi_requests[0], 0x900u);  // the target is asked in its own address space
    // Target range [0x800, 0x1FFF] of the window is system [kDevBase, kDevBase + 0x17FF].
    EXPECT_EQ(dev_dmi.get_start_address(), kDevBase);
    EXPECT_EQ(dev_dmi.get_end_address(), kDevBase + 0x17FF);
    // The pointer is for the start of the translated range: dev offset 0x800.
    EXPECT_EQ(dev_dmi.get_dmi_ptr(), bench.dev.dmi_memory.data() + 0x800);

    ASSERT_TRUE(ram_granted);
    EXPECT_EQ(ram_dmi.get_start_address(), kRamBase);
    EXPECT_EQ(ram_dmi.get_end_address(), kRamBase + 0xF'FFFF);  // clipped to the window
    EXPECT_EQ(ram_dmi.get_dmi_ptr(), bench.ram.dmi_memory.data());
    EXPECT_EQ(counter(bench.router, "dmi_grants_forwarded"), 2u);
}

TEST_F(RouterTest, DmiRequestToAnUnmappedAddressIsRefused) {
    bool granted = true;
    Bench bench([&](TestInitiator& self) {
        tlm::tlm_dmi dmi;
        granted = self.get_dmi(0x4000'0000, dmi);
    });
    sc_core::sc_start();
    EXPECT_FALSE(granted);
    EXPECT_TRUE(bench.ram.dmi_requests.empty());
    EXPECT_TRUE(bench.dev.dmi_requests.empty());
}

TEST_F(RouterTest, RefusedDmiRangeIsTranslatedBackToSystemAddresses) {
    // The dev target refuses without narrowing the range (the whole of its address space): the
    // initiator must be told the refusal in its own addresses, limited to the window it used.
    bool granted = true;
    tlm::tlm_dmi dmi;
    Bench bench([&](TestInitiator& self) { granted = self.get_dmi(kDevBase + 0x100, dmi); });
    sc_core::sc_start();
    EXPECT_FALSE(granted);
    EXPECT_FALSE(dmi.is_read_allowed());
    EXPECT_EQ(dmi.get_start_address(), kDevBase);
    EXPECT_EQ(dmi.get_end_address(), kDevBase + 0x2FFF);
    EXPECT_EQ(counter(bench.router, "dmi_grants_forwarded"), 0u);
}

TEST_F(RouterTest, TargetInvalidationReachesEveryInitiatorInSystemAddresses) {
    Bench* bench_ptr = nullptr;
    Bench bench([&](TestInitiator&) {
        bench_ptr->dev.invalidate(0x1000, 0x1FFF);   // inside dev only (alias covers 0..0xFFF)
        bench_ptr->ram.invalidate(0x100, 0x1FF);
    });
    bench_ptr = &bench;
    sc_core::sc_start();
    const std::vector<Range> expected = {{kDevBase + 0x800, kDevBase + 0x17FF}, {kRamBase + 0x100, kRamBase + 0x1FF}};
    EXPECT_EQ(bench.cpu->invalidations, expected);
    EXPECT_EQ(bench.dma->invalidations, expected);
}

TEST_F(RouterTest, WholeTargetInvalidationIsClippedToEachWindowOfThatTarget) {
    Bench* bench_ptr = nullptr;
    Bench bench([&](TestInitiator&) { bench_ptr->dev.invalidate(0, ~0ULL); });
    bench_ptr = &bench;
    sc_core::sc_start();
    const std::vector<Range> expected = {{kDevBase, kDevBase + 0x2FFF}, {kAliasBase, kAliasBase + 0xFFF}};
    EXPECT_EQ(bench.cpu->invalidations, expected);
    EXPECT_EQ(bench.dma->invalidations, expected);
}

TEST_F(RouterTest, InvalidationOutsideEveryWindowIsNotPassedOn) {
    Bench* bench_ptr = nullptr;
    Bench bench([&](TestInitiator&) { bench_ptr->dev.invalidate(0x4000, 0x4FFF); });
    bench_ptr = &bench;
    sc_core::sc_start();
    EXPECT_TRUE(bench.cpu->invalidations.empty());
    EXPECT_TRUE(bench.dma->invalidations.empty());
}

TEST_F(RouterTest, DebugTransportIsForwardedTranslatedAndStopsAtTheWindowEnd) {
    unsigned inside = 0, at_end = 0, unmapped = 0;
    std::vector<std::uint8_t> data(4, 0), tail(8, 0), none(4, 0);
    Bench bench([&](TestInitiator& self) {
        inside = self.debug(true, kDevBase + 0x10, data);
        at_end = self.debug(true, kDevBase + 0x2FFC, tail);  // 4 bytes left in the window
        unmapped = self.debug(true, 0x0, none);
    });
    sc_core::sc_start();
    EXPECT_EQ(inside, 4u);
    EXPECT_EQ(data, (std::vector<std::uint8_t>{0x10, 0x11, 0x12, 0x13}));
    EXPECT_EQ(at_end, 4u);
    EXPECT_EQ(unmapped, 0u);
    ASSERT_EQ(bench.dev.debug_transactions.size(), 2u);
    EXPECT_EQ(bench.dev.debug_transactions[0].address, 0x810u);
    EXPECT_EQ(bench.dev.debug_transactions[1].address, 0x37FCu);
    EXPECT_EQ(bench.dev.debug_transactions[1].length, 4u);
    EXPECT_TRUE(bench.dev.transactions.empty());  // debug only: nothing on the timed path
}

RouterParams with_windows(std::vector<AddressWindow> windows, unsigned target_ports = 2) {
    RouterParams p;
    p.target_ports = target_ports;
    p.windows = std::move(windows);
    return p;
}

TEST_F(RouterTest, InvalidAddressMapsAreRefused) {
    EXPECT_THROW(Router("overlap", with_windows({{"a", 0x1000, 0x1000, 0, 0}, {"b", 0x1FFF, 0x10, 1, 0}})),
                 std::invalid_argument);
    EXPECT_THROW(Router("same_base", with_windows({{"a", 0x1000, 0x1000, 0, 0}, {"b", 0x1000, 0x10, 1, 0}})),
                 std::invalid_argument);
    EXPECT_THROW(Router("empty", with_windows({{"a", 0x1000, 0, 0, 0}})), std::invalid_argument);
    EXPECT_THROW(Router("wrap", with_windows({{"a", ~0ULL - 0xF, 0x20, 0, 0}})), std::invalid_argument);
    EXPECT_THROW(Router("port", with_windows({{"a", 0x1000, 0x1000, 2, 0}})), std::invalid_argument);
    EXPECT_NO_THROW(Router("adjacent", with_windows({{"a", 0x1000, 0x1000, 0, 0}, {"b", 0x2000, 0x1000, 1, 0}})));
    EXPECT_NO_THROW(Router("top", with_windows({{"a", ~0ULL - 0xFFF, 0x1000, 0, 0}})));
}

}  // namespace
}  // namespace iommu_vp
