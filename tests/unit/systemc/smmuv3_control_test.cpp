// SMMUv3 control plane, driven as a driver would through the register socket: identification
// values, the acknowledgement handshakes that complete only after a latency, GBPA's update
// procedure (SMMUv3 6.3.14.1) and the disabled SMMU's bypass or abort, reset without
// re-elaboration, refused register accesses and refused DMI. Expected values come from the SMMUv3
// register descriptions (chapter 6), written here independently of the model's table.
#include "models/memory/sparse_memory.h"
#include "models/smmuv3/smmuv3.h"

#include "sc_test.h"
#include "unit/systemc/smmuv3_bench.h"
#include "unit/systemc/tlm_test_kit.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <functional>
#include <vector>

namespace iommu_vp {
namespace {

using testing::ns;
using testing::TestInitiator;
using namespace testing::smmuv3_bench;

class Smmuv3ControlTest : public iommu_vp::testing::ScTest {};

TEST_F(Smmuv3ControlTest, IdentificationAndResetValuesReadOverTheBus) {
    std::uint32_t idr0 = 0, idr5 = 0, cr0ack = 1, gbpa = 0;
    Bench bench(
        [&](TestInitiator& cpu) {
            idr0 = read32(cpu, IDR0);
            idr5 = read32(cpu, IDR5);
            cr0ack = read32(cpu, CR0ACK);
            gbpa = read32(cpu, GBPA);
        },
        idle);
    sc_core::sc_start();
    // Default features: S2P S1P TTF=AArch64 COHACC ASID16 MSI SEV VMID16 CD2L TTENDIAN=LE
    // STALL_MODEL=terminate-only ST_LEVEL=2-level (see smmuv3_registers_test for the bit sums).
    EXPECT_EQ(idr0, 0x094c701bu);
    EXPECT_EQ(idr5, 0x55u);  // OAS 48, GRAN4K, GRAN64K
    EXPECT_EQ(cr0ack, 0u);
    EXPECT_EQ(gbpa, kGbpaShcfgIncoming);
}

TEST_F(Smmuv3ControlTest, Cr0IsAcknowledgedOnlyAfterTheLatency) {
    std::uint32_t before = 1, after = 0, cr0 = 0;
    Bench bench(
        [&](TestInitiator& cpu) {
            write32(cpu, CR0, kCr0EvtqEn | kCr0CmdqEn);  // at 0 ns
            cr0 = read32(cpu, CR0);
            wait_until(kAckNs - 5);
            before = read32(cpu, CR0ACK);
            wait_until(kAckNs + 5);
            after = read32(cpu, CR0ACK);
        },
        idle);
    sc_core::sc_start();
    EXPECT_EQ(cr0, kCr0EvtqEn | kCr0CmdqEn);
    EXPECT_EQ(before, 0u);  // a driver that reads CR0ACK too early sees the old value
    EXPECT_EQ(after, kCr0EvtqEn | kCr0CmdqEn);
}

TEST_F(Smmuv3ControlTest, IrqCtrlIsAcknowledgedAfterTheLatency) {
    std::uint32_t before = 1, after = 0;
    Bench bench(
        [&](TestInitiator& cpu) {
            write32(cpu, IRQ_CTRL, 0x5);  // GERROR_IRQEN | EVTQ_IRQEN
            wait_until(kAckNs - 5);
            before = read32(cpu, IRQ_CTRLACK);
            wait_until(kAckNs + 5);
            after = read32(cpu, IRQ_CTRLACK);
        },
        idle);
    sc_core::sc_start();
    EXPECT_EQ(before, 0u);
    EXPECT_EQ(after, 0x5u);
}

TEST_F(Smmuv3ControlTest, DisabledSmmuBypassesToMemory) {
    tlm::tlm_response_status status = tlm::TLM_INCOMPLETE_RESPONSE;
    Bench bench(idle, [&](TestInitiator& device) { status = device_write(device, 0x1000, {1, 2, 3, 4, 5, 6, 7, 8}); });
    sc_core::sc_start();
    EXPECT_EQ(status, tlm::TLM_OK_RESPONSE);
    std::uint8_t stored[8] = {};
    bench.memory->store().read(0x1000, stored, sizeof stored);
    EXPECT_EQ(std::vector<std::uint8_t>(stored, stored + 8), (std::vector<std::uint8_t>{1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST_F(Smmuv3ControlTest, GbpaAbortTakesEffectWhenTheUpdateCompletes) {
    std::uint32_t during = 0, completed = 0;
    tlm::tlm_response_status before_completion = tlm::TLM_INCOMPLETE_RESPONSE;
    tlm::tlm_response_status after_completion = tlm::TLM_INCOMPLETE_RESPONSE;
    Bench bench(
        [&](TestInitiator& cpu) {
            write32(cpu, GBPA, kGbpaUpdate | kGbpaAbort | kGbpaShcfgIncoming);  // at 0 ns
            during = read32(cpu, GBPA);  // the written value is visible at once, UPDATE still set
            wait_until(kAckNs + 5);
            completed = read32(cpu, GBPA);
        },
        [&](TestInitiator& device) {
            wait_until(50);
            before_completion = device_write(device, 0x2000, {0xaa});
            wait_until(kAckNs + 50);
            after_completion = device_write(device, 0x3000, {0xbb});
        });
    sc_core::sc_start();
    EXPECT_EQ(during, kGbpaUpdate | kGbpaAbort | kGbpaShcfgIncoming);
    EXPECT_EQ(completed, kGbpaAbort | kGbpaShcfgIncoming);
    EXPECT_EQ(before_completion, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(after_completion, tlm::TLM_GENERIC_ERROR_RESPONSE);
    std::uint8_t byte = 0;
    bench.memory->store().read(0x3000, &byte, 1);
    EXPECT_EQ(byte, 0u);  // the aborted write never reached memory
}

TEST_F(Smmuv3ControlTest, GbpaWritesWithoutUpdateOrDuringAnUpdateAreIgnored) {
    std::uint32_t after_plain_write = 0, after_second_write = 0, final_value = 0;
    Bench bench(
        [&](TestInitiator& cpu) {
            write32(cpu, GBPA, kGbpaAbort);  // UPDATE not set: ignored
            after_plain_write = read32(cpu, GBPA);
            write32(cpu, GBPA, kGbpaUpdate | kGbpaShcfgIncoming);  // a real update, in progress...
            write32(cpu, GBPA, kGbpaUpdate | kGbpaAbort);           // ...so this one is ignored
            after_second_write = read32(cpu, GBPA);
            wait_until(500);
            final_value = read32(cpu, GBPA);
        },
        idle);
    sc_core::sc_start();
    EXPECT_EQ(after_plain_write, kGbpaShcfgIncoming);
    EXPECT_EQ(after_second_write, kGbpaUpdate | kGbpaShcfgIncoming);
    EXPECT_EQ(final_value, kGbpaShcfgIncoming);
}

TEST_F(Smmuv3ControlTest, DefaultDenyAbortsFromReset) {
    tlm::tlm_response_status status = tlm::TLM_INCOMPLETE_RESPONSE;
    Bench bench(idle, [&](TestInitiator& device) { status = device_write(device, 0x1000, {1}); }, true);
    sc_core::sc_start();
    EXPECT_EQ(status, tlm::TLM_GENERIC_ERROR_RESPONSE);
}

TEST_F(Smmuv3ControlTest, ResetReturnsToPowerOnStateWithoutReelaboration) {
    std::uint32_t cr0 = 1, cr0ack = 1, gbpa = 0;
    Bench* bench_ptr = nullptr;
    Bench bench(
        [&](TestInitiator& cpu) {
            write32(cpu, GBPA, kGbpaUpdate | kGbpaAbort | kGbpaShcfgIncoming);
            wait_until(kAckNs + 5);                       // GBPA update done: ABORT applies
            write32(cpu, CR0, kCr0CmdqEn);                // acknowledgement pending...
            bench_ptr->smmu->reset();                     // ...and dropped by the reset
            wait_until(3 * kAckNs);
            cr0 = read32(cpu, CR0);
            cr0ack = read32(cpu, CR0ACK);
            gbpa = read32(cpu, GBPA);
        },
        idle);
    bench_ptr = &bench;
    sc_core::sc_start();
    EXPECT_EQ(cr0, 0u);
    EXPECT_EQ(cr0ack, 0u);
    EXPECT_EQ(gbpa, kGbpaShcfgIncoming);
}

TEST_F(Smmuv3ControlTest, RefusedAndReservedRegisterAccesses) {
    tlm::tlm_response_status two_bytes = tlm::TLM_OK_RESPONSE, wide_idr0 = tlm::TLM_OK_RESPONSE;
    tlm::tlm_response_status reserved_status = tlm::TLM_INCOMPLETE_RESPONSE;
    std::vector<std::uint8_t> reserved_data;
    Bench bench(
        [&](TestInitiator& cpu) {
            two_bytes = cpu.read(CR0, 2).status;        // not a 32- or 64-bit access
            wide_idr0 = cpu.read(IDR0, 8).status;       // a 64-bit access to a 32-bit register
            const testing::LtResult r = cpu.read(0x200, 4);  // no register there: RES0
            reserved_status = r.status;
            reserved_data = r.data;
        },
        idle);
    sc_core::sc_start();
    EXPECT_EQ(two_bytes, tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(wide_idr0, tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(reserved_status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(reserved_data, (std::vector<std::uint8_t>{0, 0, 0, 0}));
}

TEST_F(Smmuv3ControlTest, NoMasterGetsADirectPointerThroughTheSmmu) {
    bool granted = true;
    bool memory_grants = false;
    Bench bench(idle, [&](TestInitiator& device) {
        tlm::tlm_dmi dmi;
        granted = device.get_dmi(0x1000, dmi);
    });
    sc_core::sc_start();
    EXPECT_FALSE(granted);
    // The memory behind it would have granted one: the refusal is the SMMU's.
    tlm::tlm_generic_payload p;
    std::uint8_t byte = 0;
    prepare_payload(p, true, 0x1000, &byte, 1);
    tlm::tlm_dmi dmi;
    memory_grants = bench.memory->target.get_base_export()->get_direct_mem_ptr(p, dmi);
    EXPECT_TRUE(memory_grants);
}

TEST_F(Smmuv3ControlTest, FeaturesNotModelledYetAreRefusedAtConstruction) {
    Smmuv3Params p;
    // HTTU 0b01 and 0b10 are modelled (smmuv3_httu_test); 0b11 adds HAFT, which is not.
    p.features.httu = 3;
    EXPECT_THROW(Smmuv3("smmu_httu", p), std::invalid_argument);
    // The stall model is modelled (smmuv3_stall_test); its bound must leave room for one stall and
    // fit the 16-bit STAG.
    p = Smmuv3Params{};
    p.features.stall_model = smmuv3::StallModel::stall_and_terminate;
    p.max_stalled_transactions = 0;
    EXPECT_THROW(Smmuv3("smmu_stall", p), std::invalid_argument);
    // IDR0.Hyp is RES0 without both stages (SMMUv3 6.3.1): asking for it on a stage-1-only SMMU is a
    // parameter error. With both stages, Hyp and RIL are modelled.
    p = Smmuv3Params{};
    p.features.hyp = true;
    p.features.stage2 = false;
    EXPECT_THROW(Smmuv3("smmu_hyp_s1_only", p), std::invalid_argument);
    p = Smmuv3Params{};
    p.features.hyp = true;
    p.features.range_invalidation = true;
    EXPECT_NO_THROW(Smmuv3("smmu_hyp_ril", p));
}

}  // namespace
}  // namespace iommu_vp
