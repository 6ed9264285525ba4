// A bench for SMMUv3 tests: the SMMU between a device and memory, a CPU thread on the register
// socket, and helpers that access registers as a synchronised CPU does. Register offsets and
// field values are written here from the SMMUv3 specification (chapter 6), independently of the
// model's own table.
#pragma once

#include "models/memory/sparse_memory.h"
#include "models/smmuv3/smmuv3.h"

#include "unit/systemc/tlm_test_kit.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace iommu_vp::testing::smmuv3_bench {

using testing::ns;
using testing::TestInitiator;

// Offsets (SMMUv3 6.3).
constexpr std::uint64_t IDR0 = 0x0, IDR5 = 0x14, CR0 = 0x20, CR0ACK = 0x24, GBPA = 0x44, IRQ_CTRL = 0x50,
                        IRQ_CTRLACK = 0x54, GERROR = 0x60, GERRORN = 0x64, GERROR_IRQ_CFG0 = 0x68,
                        GERROR_IRQ_CFG1 = 0x70, CMDQ_BASE = 0x90, CMDQ_PROD = 0x98, CMDQ_CONS = 0x9c;
constexpr std::uint32_t kGbpaUpdate = 1u << 31, kGbpaAbort = 1u << 20, kGbpaShcfgIncoming = 1u << 12;
constexpr std::uint32_t kCr0EvtqEn = 1u << 2, kCr0CmdqEn = 1u << 3;

constexpr double kAckNs = 100;  // the acknowledgement latency the tests configure

// The SMMU between a device and memory, with a CPU on the register socket. Each test runs `cpu`
// and `device` as two threads.
struct Bench {
    Smmuv3Params params;
    std::unique_ptr<Smmuv3> smmu;
    std::unique_ptr<SparseMemory> memory;
    std::unique_ptr<TestInitiator> cpu, device;
    sc_core::sc_signal<bool> evtq{"evtq"}, gerror{"gerror"}, cmd_sync{"cmd_sync"};

    Bench(std::function<void(TestInitiator&)> cpu_body, std::function<void(TestInitiator&)> device_body,
          bool gbpa_abort_at_reset = false, const std::function<void(Smmuv3Params&)>& adjust = {}) {
        params.acknowledge_latency = ns(kAckNs);
        params.register_latency = ns(10);
        params.gbpa_abort_at_reset = gbpa_abort_at_reset;
        if (adjust) adjust(params);
        smmu = std::make_unique<Smmuv3>("smmu", params);
        SparseMemoryParams m;
        m.size_bytes = 1 << 20;
        memory = std::make_unique<SparseMemory>("memory", m);
        cpu = std::make_unique<TestInitiator>("cpu", std::move(cpu_body));
        device = std::make_unique<TestInitiator>("device", std::move(device_body));
        cpu->socket.bind(smmu->regs);
        device->socket.bind(smmu->upstream[0]);
        smmu->downstream.bind(memory->target);
        smmu->evtq_irq.bind(evtq);
        smmu->gerror_irq.bind(gerror);
        smmu->cmd_sync_irq.bind(cmd_sync);
    }
};

inline void idle(TestInitiator&) {}

// A synchronised CPU: each access completes before the next starts.
inline std::uint32_t read32(TestInitiator& cpu, std::uint64_t offset) {
    const testing::LtResult r = cpu.read(offset, 4);
    EXPECT_EQ(r.status, tlm::TLM_OK_RESPONSE) << std::hex << offset;
    sc_core::wait(r.delay);
    return static_cast<std::uint32_t>(r.data[0] | r.data[1] << 8 | r.data[2] << 16 | r.data[3] << 24);
}

inline void write32(TestInitiator& cpu, std::uint64_t offset, std::uint32_t value) {
    const testing::LtResult r = cpu.write32(offset, value);
    EXPECT_EQ(r.status, tlm::TLM_OK_RESPONSE) << std::hex << offset;
    sc_core::wait(r.delay);
}

inline void wait_until(double at_ns) { sc_core::wait(ns(at_ns) - sc_core::sc_time_stamp()); }

inline tlm::tlm_response_status device_write(TestInitiator& device, std::uint64_t address, std::vector<std::uint8_t> data) {
    const testing::LtResult r = device.write(address, std::move(data));
    sc_core::wait(r.delay);
    return r.status;
}
}  // namespace iommu_vp::testing::smmuv3_bench
