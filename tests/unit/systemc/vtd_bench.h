// A bench for VT-d tests: the unit between a PCIe-style device and memory, a CPU thread on the
// register page, and helpers that access registers as a synchronised CPU does and write tables into
// memory. Register offsets and field values are written here from the VT-d specification (chapter
// 11) and the fact sheet, independently of the model's own table.
#pragma once

#include "models/memory/sparse_memory.h"
#include "models/vtd/vtd.h"

#include "unit/systemc/tlm_test_kit.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace iommu_vp::testing::vtd_bench {

using testing::ns;
using testing::TestInitiator;

// Offsets (VT-d 11.4); IVA/IOTLB_REG at ECAP.IRO * 16 and FRCD0 at CAP.FRO * 16 of the defaults.
constexpr std::uint64_t VER = 0x0, CAP = 0x8, ECAP = 0x10, GCMD = 0x18, GSTS = 0x1c, RTADDR = 0x20, CCMD = 0x28,
                        FSTS = 0x34, FECTL = 0x38, FEDATA = 0x3c, FEADDR = 0x40, FEUADDR = 0x44, IQH = 0x80,
                        IQT = 0x88, IQA = 0x90, ICS = 0x9c, IECTL = 0xa0, IEDATA = 0xa4, IEADDR = 0xa8,
                        IQERCD = 0xb0, IVA = 0x500, IOTLB_REG = 0x508, FRCD0 = 0x400;
// GCMD / GSTS bits.
constexpr std::uint32_t kTe = 1u << 31, kSrtp = 1u << 30, kQie = 1u << 26;
// RTADDR.TTM (bits 11:10).
constexpr std::uint64_t kTtmScalable = 1ull << 10;
// FSTS bits.
constexpr std::uint32_t kPfo = 1u << 0, kPpf = 1u << 1, kIqe = 1u << 4;

constexpr double kStatusNs = 100;  // the status latency the tests configure

struct Bench {
    VtdParams params;
    std::unique_ptr<Vtd> vtd;
    std::unique_ptr<SparseMemory> memory;
    std::unique_ptr<TestInitiator> cpu, device;

    Bench(std::function<void(TestInitiator&)> cpu_body, std::function<void(TestInitiator&)> device_body,
          const std::function<void(VtdParams&)>& adjust = {}) {
        params.status_latency = ns(kStatusNs);
        params.register_invalidation_latency = ns(kStatusNs);
        params.register_latency = ns(10);
        if (adjust) adjust(params);
        vtd = std::make_unique<Vtd>("vtd", params);
        SparseMemoryParams m;
        m.size_bytes = 1ull << 32;
        memory = std::make_unique<SparseMemory>("memory", m);
        cpu = std::make_unique<TestInitiator>("cpu", std::move(cpu_body));
        device = std::make_unique<TestInitiator>("device", std::move(device_body));
        cpu->socket.bind(vtd->regs);
        device->socket.bind(vtd->upstream[0]);
        vtd->downstream.bind(memory->target);
    }

    void put64(std::uint64_t address, std::uint64_t value) {
        std::uint8_t b[8];
        for (unsigned i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(value >> (8 * i));
        memory->store().write(address, b, 8);
    }
    std::uint64_t get64(std::uint64_t address) {
        std::uint8_t b[8] = {};
        memory->store().read(address, b, 8);
        std::uint64_t v = 0;
        for (unsigned i = 8; i-- > 0;) v = (v << 8) | b[i];
        return v;
    }
};

inline void idle(TestInitiator&) {}

// A synchronised CPU: each access completes before the next starts.
inline std::uint64_t read(TestInitiator& cpu, std::uint64_t offset, unsigned size = 4) {
    const testing::LtResult r = cpu.read(offset, size);
    EXPECT_EQ(r.status, tlm::TLM_OK_RESPONSE) << std::hex << offset;
    sc_core::wait(r.delay);
    std::uint64_t v = 0;
    for (unsigned i = size; i-- > 0;) v = (v << 8) | r.data[i];
    return v;
}
inline std::uint32_t read32(TestInitiator& cpu, std::uint64_t offset) {
    return static_cast<std::uint32_t>(read(cpu, offset, 4));
}
inline std::uint64_t read64(TestInitiator& cpu, std::uint64_t offset) { return read(cpu, offset, 8); }

inline void write(TestInitiator& cpu, std::uint64_t offset, std::uint64_t value, unsigned size) {
    std::vector<std::uint8_t> bytes(size);
    for (unsigned i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(value >> (8 * i));
    const testing::LtResult r = cpu.write(offset, std::move(bytes));
    EXPECT_EQ(r.status, tlm::TLM_OK_RESPONSE) << std::hex << offset;
    sc_core::wait(r.delay);
}
inline void write32(TestInitiator& cpu, std::uint64_t offset, std::uint32_t value) { write(cpu, offset, value, 4); }
inline void write64(TestInitiator& cpu, std::uint64_t offset, std::uint64_t value) { write(cpu, offset, value, 8); }

// Writes GCMD and polls GSTS until (GSTS & mask) == expected, as a driver does.
inline void command(TestInitiator& cpu, std::uint32_t gcmd, std::uint32_t mask, std::uint32_t expected) {
    write32(cpu, GCMD, gcmd);
    while ((read32(cpu, GSTS) & mask) != expected) sc_core::wait(ns(10));
}

// A requester: bus/device/function as a PCI requester ID, optionally with a PASID.
inline MasterAttrs requester(unsigned bus, unsigned device, unsigned function) {
    MasterAttrs a;
    a.stream_id = (bus << 8) | (device << 3) | function;
    return a;
}
inline MasterAttrs with_pasid(MasterAttrs a, std::uint32_t pasid, bool privileged = false) {
    a.has_substream = true;
    a.substream_id = pasid;
    a.privileged = privileged;
    return a;
}

inline tlm::tlm_response_status dma_write(TestInitiator& device, std::uint64_t address,
                                          std::vector<std::uint8_t> data, const MasterAttrs& attrs) {
    const testing::LtResult r = device.write(address, std::move(data), sc_core::SC_ZERO_TIME, &attrs);
    sc_core::wait(r.delay);
    return r.status;
}
inline testing::LtResult dma_read(TestInitiator& device, std::uint64_t address, unsigned length,
                                  const MasterAttrs& attrs) {
    testing::LtResult r = device.read(address, length, sc_core::SC_ZERO_TIME, &attrs);
    sc_core::wait(r.delay);
    return r;
}

}  // namespace iommu_vp::testing::vtd_bench
