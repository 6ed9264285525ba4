// A bench for SMMUv3 ATS and PRI tests: the SMMU (features.ats and features.pri) between a device and
// a sparse memory, a CPU thread on the register socket, and optionally an ATS endpoint (the shared
// AtsEndpoint, whose translation requests and page requests go out through the device's socket) or
// a recording endpoint that logs the ATC invalidations and PRG responses it receives. Register
// offsets, table and command encodings are written here from the SMMUv3 specification
// (chapters 4, 5, 6, 8), independently of the model's own tables:
//   PRIQ_BASE 0xC0, PRIQ_PROD 0x100C8, PRIQ_CONS 0x100CC (OVFLG / OVACKFLG bit 31), PRIQ_IRQ_CFG0
//   0xD0, PRIQ_IRQ_CFG1 0xD8, PRIQ_IRQ_CFG2 0xDC (LO bit 31); CR0 SMMUEN 0, PRIQEN 1, EVTQEN 2,
//   CMDQEN 3, ATSCHK 4; IRQ_CTRL PRIQ_IRQEN 1.
//   STE word 0: V 0, Config [3:1], S1ContextPtr [55:6]; word 1: PPAR 18 (STE bit 82), EATS [29:28]
//   (STE bits [93:92]).
//   CD word 0: T0SZ [5:0], EPD1 30, V 31, IPS [34:32], AA64 41, R 45, A 46, ASID [63:48]; word 1 TTB0.
//   Stage-1 descriptors: table/page 0b11, block 0b01, AP[2:1] [7:6] (bit 6 EL0 access, bit 7
//   read-only), AF 10.
#pragma once

#include "models/common/ats.h"
#include "models/common/payload.h"
#include "models/dma/ats_endpoint.h"
#include "models/memory/sparse_memory.h"
#include "models/smmuv3/smmuv3.h"

#include "unit/systemc/smmuv3_bench.h"
#include "unit/systemc/ats_test_kit.h"
#include "unit/systemc/tlm_test_kit.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace iommu_vp::testing::smmuv3_ats_bench {

using namespace testing::smmuv3_bench;
using testing::Completion;
using testing::translation_request;
using testing::send_page_request;

constexpr std::uint64_t IDR1 = 0x4, STRTAB_BASE = 0x80, STRTAB_BASE_CFG = 0x88, EVTQ_BASE = 0xa0,
                        EVTQ_PROD = 0x100a8, PRIQ_BASE = 0xc0, PRIQ_PROD = 0x100c8, PRIQ_CONS = 0x100cc,
                        PRIQ_IRQ_CFG0 = 0xd0, PRIQ_IRQ_CFG1 = 0xd8, PRIQ_IRQ_CFG2 = 0xdc;
constexpr std::uint32_t kSmmuEn = 1u << 0, kPriqEn = 1u << 1, kEvtqEnable = 1u << 2, kCmdqEnable = 1u << 3,
                        kAtsChk = 1u << 4;
constexpr std::uint32_t kPriqIrqEn = 1u << 1;
constexpr std::uint32_t kOvflg = 1u << 31;

// Memory layout.
constexpr std::uint64_t kStreamTable = 0x1'0000, kCd = 0x2'0000, kTables = 0x3'0000, kEventQueue = 0x6'0000,
                        kCommandQueue = 0x7'0000, kPriQueue = 0x7'8000, kMsi = 0xa'0000;
constexpr std::uint64_t kPage = 0x8'0000, kNewPage = 0x9'5000, kPrivPage = 0xb'0000;
constexpr std::uint64_t kBlock = 0x4000'0000;  // a 2 MiB block's output (nothing is stored there)
constexpr std::uint32_t kStream = 3;           // stage 1, EATS = 0b01 (full ATS)
constexpr std::uint32_t kAbortStream = 4;      // Config = 0b000
constexpr std::uint32_t kBypassStream = 5;     // Config = 0b100, EATS = 0b01 (effectively 0b00)
constexpr std::uint32_t kInvalidStream = 6;    // V = 0
constexpr std::uint32_t kNoAtsStream = 7;      // stage 1, EATS = 0b00
// VA with level indices 1, 2, 3, 4: a 4 KiB page (kPage, read/write at EL0); index 5 of the same
// level-3 table maps kPrivPage for privileged accesses only; index 6 is not mapped. Indices 1, 2, 5
// at level 2 are a read-only 2 MiB block at kBlock.
constexpr std::uint64_t kVa = 0x0000'0080'8060'4000ull;
constexpr std::uint64_t kPrivVa = kVa + 0x1000, kUnmappedVa = kVa + 0x2000;
constexpr std::uint64_t kBlockVa = 0x0000'0080'80a0'0000ull;
constexpr std::uint64_t kLevel3 = kTables + 0x3000;

constexpr std::uint64_t kAf = 1ull << 10;
constexpr std::uint64_t kApRwAny = 0b01ull << 6, kApRwPriv = 0b00ull << 6, kApRoAny = 0b11ull << 6;

inline void put64(SparseMemory& m, std::uint64_t address, std::uint64_t value) {
    std::uint8_t b[8];
    for (unsigned i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(value >> (8 * i));
    m.store().write(address, b, 8);
}
inline std::uint64_t get64(SparseMemory& m, std::uint64_t address) {
    std::uint8_t b[8] = {};
    m.store().read(address, b, 8);
    std::uint64_t v = 0;
    for (unsigned i = 8; i-- > 0;) v = (v << 8) | b[i];
    return v;
}

constexpr std::uint64_t ste_word0(unsigned config, std::uint64_t cd = 0) { return 1u | (config << 1) | cd; }
constexpr std::uint64_t ste_eats(unsigned eats) { return std::uint64_t{eats} << 28; }
constexpr std::uint64_t kStePpar = 1ull << 18;

// The stream table, one CD (ASID 1, TTB0 = kTables) and the stage-1 tables described above.
inline void put_tables(SparseMemory& m, std::uint64_t stream_word1 = ste_eats(0b01)) {
    put64(m, kStreamTable + kStream * 64, ste_word0(0b101, kCd));
    put64(m, kStreamTable + kStream * 64 + 8, stream_word1);
    put64(m, kStreamTable + kAbortStream * 64, ste_word0(0b000));
    put64(m, kStreamTable + kBypassStream * 64, ste_word0(0b100));
    put64(m, kStreamTable + kBypassStream * 64 + 8, ste_eats(0b01));
    put64(m, kStreamTable + kNoAtsStream * 64, ste_word0(0b101, kCd));
    // T0SZ 16, EPD1, V, IPS 48 bits, AA64, R, A, ASID 1.
    put64(m, kCd, 16u | (1ull << 30) | (1ull << 31) | (5ull << 32) | (1ull << 41) | (1ull << 45) | (1ull << 46) |
                      (1ull << 48));
    put64(m, kCd + 8, kTables);
    put64(m, kTables + 1 * 8, (kTables + 0x1000) | 0b11);
    put64(m, kTables + 0x1000 + 2 * 8, (kTables + 0x2000) | 0b11);
    put64(m, kTables + 0x2000 + 3 * 8, kLevel3 | 0b11);
    put64(m, kTables + 0x2000 + 5 * 8, kBlock | 0b01 | kAf | kApRoAny);
    put64(m, kLevel3 + 4 * 8, kPage | 0b11 | kAf | kApRwAny);
    put64(m, kLevel3 + 5 * 8, kPrivPage | 0b11 | kAf | kApRwPriv);
}

// Counts rising edges of a wired interrupt.
struct EdgeCounter : sc_core::sc_module {
    sc_core::sc_in<bool> in;
    std::vector<sc_core::sc_time> rises;
    SC_HAS_PROCESS(EdgeCounter);
    explicit EdgeCounter(sc_core::sc_module_name name) : sc_module(name), in("in") {
        SC_METHOD(on_rise);
        sensitive << in.pos();
        dont_initialize();
    }
    void on_rise() { rises.push_back(sc_core::sc_time_stamp()); }
};

// An endpoint that records what the SMMU sends it; it completes ATC invalidations at once.
struct PriResponse {
    std::uint32_t requester;
    bool has_pasid;
    std::uint32_t pasid;
    std::uint32_t group_index;
    PrgResponseCode code;
};
class RecordingEndpoint : public sc_core::sc_module, public AtsEndpointIf {
public:
    sc_core::sc_export<AtsEndpointIf> ats;
    std::uint32_t requester = kStream;
    std::vector<AtcInvalidation> invalidations;
    std::vector<PriResponse> responses;

    explicit RecordingEndpoint(sc_core::sc_module_name name) : sc_module(name), ats("ats") { ats.bind(*this); }
    bool ats_serves(std::uint32_t r) const override { return r == requester; }
    void atc_invalidate(const AtcInvalidation& request, AtcInvalidationCompleter& completer) override {
        invalidations.push_back(request);
        completer.atc_invalidation_completed(request);
    }
    void pri_response(std::uint32_t r, bool has_pasid, std::uint32_t pasid, std::uint32_t group_index,
                      PrgResponseCode code) override {
        responses.push_back({r, has_pasid, pasid, group_index, code});
    }
};

enum class EndpointKind { none, ats_endpoint, recording };

struct AtsBench {
    Smmuv3Params params;
    std::unique_ptr<Smmuv3> smmu;
    std::unique_ptr<SparseMemory> memory;
    std::unique_ptr<TestInitiator> cpu, device;
    std::unique_ptr<AtsEndpoint> endpoint;
    std::unique_ptr<RecordingEndpoint> recorder;
    sc_core::sc_signal<bool> evtq{"evtq"}, gerror{"gerror"}, cmd_sync{"cmd_sync"}, priq{"priq"};
    EdgeCounter priq_edges{"priq_edges"}, cmd_sync_edges{"cmd_sync_edges"};

    AtsBench(std::function<void(TestInitiator&)> cpu_body, std::function<void(TestInitiator&)> device_body,
             EndpointKind kind = EndpointKind::none, const AtsEndpointParams& endpoint_params = {},
             const std::function<void(Smmuv3Params&)>& adjust = {}) {
        params.acknowledge_latency = ns(kAckNs);
        params.register_latency = ns(10);
        params.features.ats = true;
        params.features.pri = true;
        if (adjust) adjust(params);
        smmu = std::make_unique<Smmuv3>("smmu", params);
        memory = std::make_unique<SparseMemory>("memory", SparseMemoryParams{});
        cpu = std::make_unique<TestInitiator>("cpu", std::move(cpu_body));
        device = std::make_unique<TestInitiator>("device", std::move(device_body));
        cpu->socket.bind(smmu->regs);
        device->socket.bind(smmu->upstream[0]);
        smmu->downstream.bind(memory->target);
        smmu->evtq_irq.bind(evtq);
        smmu->gerror_irq.bind(gerror);
        smmu->cmd_sync_irq.bind(cmd_sync);
        smmu->priq_irq.bind(priq);
        priq_edges.in.bind(priq);
        cmd_sync_edges.in.bind(cmd_sync);
        if (kind == EndpointKind::ats_endpoint) {
            TestInitiator* initiator = device.get();
            endpoint = std::make_unique<AtsEndpoint>(
                "endpoint", endpoint_params,
                [initiator](tlm::tlm_generic_payload& p, sc_core::sc_time& d) { initiator->socket->b_transport(p, d); });
            endpoint->set_requester(kStream);
            smmu->ats_endpoints.bind(endpoint->ats);
        } else if (kind == EndpointKind::recording) {
            recorder = std::make_unique<RecordingEndpoint>("recorder");
            smmu->ats_endpoints.bind(recorder->ats);
        }
    }
};

// Programs the stream table (16 StreamIDs), an 8-record event queue, a 16-command queue and a PRI
// queue of 2^priq_log2 entries, then enables the SMMU with `cr0` and waits for the acknowledgement.
inline void enable(TestInitiator& cpu, std::uint32_t cr0 = kSmmuEn | kPriqEn | kEvtqEnable | kCmdqEnable,
                   unsigned priq_log2 = 3) {
    write32(cpu, STRTAB_BASE, static_cast<std::uint32_t>(kStreamTable));
    write32(cpu, STRTAB_BASE_CFG, 4);
    write32(cpu, EVTQ_BASE, static_cast<std::uint32_t>(kEventQueue | 3));
    write32(cpu, CMDQ_BASE, static_cast<std::uint32_t>(kCommandQueue | 4));
    write32(cpu, PRIQ_BASE, static_cast<std::uint32_t>(kPriQueue | priq_log2));
    write32(cpu, CR0, cr0);
    while (read32(cpu, CR0ACK) != cr0) sc_core::wait(ns(10));
}

inline void put_command(SparseMemory& m, unsigned index, std::uint64_t dw0, std::uint64_t dw1 = 0) {
    put64(m, kCommandQueue + 16 * index, dw0);
    put64(m, kCommandQueue + 16 * index + 8, dw1);
}

// Command encodings (SMMUv3 4.4.2, 4.5.1, 4.5.2, 4.7.3).
constexpr std::uint64_t cmd_tlbi_nh_va(std::uint16_t asid) { return 0x12u | (std::uint64_t{asid} << 48); }
constexpr std::uint64_t cmd_atc_inv(std::uint32_t sid, bool ssv = false, std::uint32_t ssid = 0, bool global = false) {
    return 0x40u | (global ? 1u << 9 : 0u) | (ssv ? 1u << 11 : 0u) | (std::uint64_t{ssid} << 12) |
           (std::uint64_t{sid} << 32);
}
constexpr std::uint64_t cmd_pri_resp(std::uint32_t sid, bool ssv = false, std::uint32_t ssid = 0) {
    return 0x41u | (ssv ? 1u << 11 : 0u) | (std::uint64_t{ssid} << 12) | (std::uint64_t{sid} << 32);
}
constexpr std::uint64_t pri_resp_word1(std::uint32_t prg_index, unsigned resp) {
    return prg_index | (std::uint64_t{resp} << 12);
}
constexpr std::uint64_t cmd_sync(unsigned cs = 0) { return 0x46u | (std::uint64_t{cs} << 12); }

// Polls CMDQ_CONS until it equals `expected` or `timeout_ns` passes; returns the last value read.
inline std::uint32_t poll_cons(TestInitiator& cpu, std::uint32_t expected, double timeout_ns = 20000) {
    const sc_core::sc_time end = sc_core::sc_time_stamp() + ns(timeout_ns);
    std::uint32_t cons = read32(cpu, CMDQ_CONS);
    while (cons != expected && sc_core::sc_time_stamp() < end) {
        sc_core::wait(ns(20));
        cons = read32(cpu, CMDQ_CONS);
    }
    return cons;
}

// A translated (ATS) write of four bytes from the device.
inline tlm::tlm_response_status translated_write(TestInitiator& device, std::uint32_t sid, std::uint64_t address,
                                                 std::uint32_t value) {
    MasterAttrs attrs(sid);
    attrs.ats = AtsState::translated;
    std::vector<std::uint8_t> data = {static_cast<std::uint8_t>(value), static_cast<std::uint8_t>(value >> 8),
                                      static_cast<std::uint8_t>(value >> 16), static_cast<std::uint8_t>(value >> 24)};
    const LtResult r = device.write(address, std::move(data), sc_core::SC_ZERO_TIME, &attrs);
    sc_core::wait(r.delay);
    return r.status;
}

// A PCIe Page Request message from the device.
struct PageRequest {
    std::uint32_t sid = kStream;
    bool pasid = false;
    std::uint32_t ssid = 0;
    std::uint64_t address = 0;
    std::uint32_t group = 0;
    bool last = true, read = true, write = false, execute = false, privileged = false;
};
inline tlm::tlm_response_status page_request(TestInitiator& device, const PageRequest& r) {
    MasterAttrs attrs(r.sid);
    attrs.has_substream = r.pasid;
    attrs.substream_id = r.ssid;
    PageRequestMessage message;
    message.address = r.address;
    message.group_index = r.group;
    message.last = r.last;
    message.read = r.read;
    message.write = r.write;
    message.execute = r.execute;
    message.privileged = r.privileged;
    return send_page_request(device, attrs, message);
}

inline const StatsGroup* child_group(const StatsGroup& group, const std::string& name) {
    for (const StatsGroup& child : group.children())
        if (child.name() == name) return &child;
    return nullptr;
}
inline std::uint64_t counter(const StatsGroup& group, const std::string& name) {
    const Counter* c = group.find_counter(name);
    EXPECT_NE(c, nullptr) << name;
    return c ? c->value : 0;
}

}  // namespace iommu_vp::testing::smmuv3_ats_bench
