// SMMUv3 hardware update of the Access flag and dirty state (HTTU, SMMUv3 3.13) seen at the
// registers and in memory: a driver-like CPU leaves a stream table, a CD and stage-1 tables in
// memory and enables the SMMU; a device's DMA goes through it. Between the SMMU and memory sits a
// wrapper that can play a racing CPU: the first time the SMMU reads the watched descriptor, it
// changes the descriptor in memory right after serving the read, i.e. between the walk's read and
// the SMMU's compare-and-swap, deterministically.
// Encodings from the specification: IDR0.HTTU [7:6] (6.3.1); STE V [0], Config [3:1] (0b101 stage
// 1), S1ContextPtr [51:6] (5.2); CD T0SZ [5:0], EPD1 [30], V [31], IPS [34:32], AA64 [41], HD [42],
// HA [43], R [45], A [46], ASID [63:48], TTB0 in word 1 (5.4); descriptors: page 0b11, AP[2:1]
// [7:6], AF [10], DBM [51], bit 55 for software (Arm ARM D8.3; SMMUv3 3.13.3.1); event records
// (7.3): EventID [7:0] and StreamID [63:32] of word 0, RnW [35], S2 [39], CLASS [41:40] of word 1,
// InputAddr in word 2; F_PERMISSION 0x13, C_BAD_CD 0x0A.
#include "models/memory/sparse_memory.h"
#include "models/smmuv3/smmuv3.h"

#include "sc_test.h"
#include "unit/systemc/smmuv3_bench.h"
#include "unit/systemc/tlm_test_kit.h"

#include <gtest/gtest.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace iommu_vp {
namespace {

using namespace testing::smmuv3_bench;

constexpr std::uint64_t STRTAB_BASE = 0x80, STRTAB_BASE_CFG = 0x88, EVTQ_BASE = 0xa0, EVTQ_PROD = 0x100a8;
constexpr std::uint32_t kSmmuEn = 1u << 0, kEvtqEn = 1u << 2, kCmdqEn = 1u << 3;
constexpr std::uint64_t kStreamTable = 0x1'0000, kCd = 0x2'0000, kTables = 0x3'0000, kEventQueue = 0x6'0000,
                        kCommandQueue = 0x7'0000, kPage = 0x8'0000;
constexpr std::uint32_t kStream = 3;
// VA with level indices 1, 2, 3, 4: (1 << 39) | (2 << 30) | (3 << 21) | (4 << 12); its level-3
// descriptor is entry 4 of the table at kTables + 0x3000.
constexpr std::uint64_t kVa = 0x0000'0080'8060'4000ull;
constexpr std::uint64_t kLeaf = kTables + 0x3000 + 4 * 8;

constexpr std::uint64_t kCdHd = 1ull << 42, kCdHa = 1ull << 43;
constexpr std::uint64_t kAf = 1ull << 10, kDbm = 1ull << 51, kSoftwareBit = 1ull << 55;
// The page at kPage, writable-clean: 0x8_0000 | 0b11 | AP 11 (0xC0: read-only, EL0) | AF | DBM.
constexpr std::uint64_t kCleanLeaf = 0x0008'0000'0008'04C3ull;
// Marked dirty by the SMMU: AP[2] (bit 7) cleared, AP 01: 0x0008_0000_0008_0443.
constexpr std::uint64_t kDirtyLeaf = 0x0008'0000'0008'0443ull;
static_assert((kPage | 0b11 | (0b11ull << 6) | kAf | kDbm) == kCleanLeaf);
static_assert((kPage | 0b11 | (0b01ull << 6) | kAf | kDbm) == kDirtyLeaf);

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

// Between the SMMU's downstream socket and memory. The first read of `watched` (an 8-byte read at
// exactly that address) runs `on_first_read` once it has been served.
class RacingMemory : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<RacingMemory> target;
    tlm_utils::simple_initiator_socket<RacingMemory> to_memory;
    std::uint64_t watched = ~std::uint64_t{0};
    std::function<void()> on_first_read;
    unsigned watched_reads = 0, watched_writes = 0, debug_writes = 0;

    explicit RacingMemory(sc_core::sc_module_name name) : sc_module(name), target("target"), to_memory("to_memory") {
        target.register_b_transport(this, &RacingMemory::b_transport);
        target.register_transport_dbg(this, &RacingMemory::transport_dbg);
    }

private:
    void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
        to_memory->b_transport(p, delay);
        if (p.get_address() != watched || p.get_data_length() != 8) return;
        if (p.is_write()) ++watched_writes;
        if (p.is_read() && ++watched_reads == 1 && on_first_read) on_first_read();
    }
    unsigned int transport_dbg(tlm::tlm_generic_payload& p) {
        if (p.is_write()) ++debug_writes;
        return to_memory->transport_dbg(p);
    }
};

MasterAttrs stream(std::uint32_t sid) {
    MasterAttrs a;
    a.stream_id = sid;
    return a;
}

// The SMMU (IDR0.HTTU = `httu`), the racing wrapper and memory; stream 3 translates kVa through a
// CD with `cd_extra` (HA, HD) to a page whose descriptor is `leaf`. The CPU enables the SMMU and then
// runs `after_enable`; the device runs `device_body` once the SMMU is enabled.
struct HttuBench {
    Smmuv3Params params;
    std::unique_ptr<Smmuv3> smmu;
    std::unique_ptr<RacingMemory> wrapper;
    std::unique_ptr<SparseMemory> memory;
    std::unique_ptr<TestInitiator> cpu, device;
    sc_core::sc_signal<bool> evtq{"evtq"}, gerror{"gerror"}, cmd_sync{"cmd_sync"};
    bool enabled = false;
    sc_core::sc_event ready;

    HttuBench(unsigned httu, std::uint64_t cd_extra, std::uint64_t leaf,
              std::function<void(TestInitiator&)> device_body, std::function<void(TestInitiator&)> after_enable = idle) {
        params.acknowledge_latency = ns(kAckNs);
        params.register_latency = ns(10);
        params.features.httu = httu;
        smmu = std::make_unique<Smmuv3>("smmu", params);
        wrapper = std::make_unique<RacingMemory>("racing_memory");
        SparseMemoryParams m;
        m.size_bytes = 1 << 20;
        memory = std::make_unique<SparseMemory>("memory", m);
        cpu = std::make_unique<TestInitiator>("cpu", [this, cd_extra, leaf, after_enable](TestInitiator& c) {
            put_tables(cd_extra, leaf);
            enable(c);
            enabled = true;
            ready.notify();
            after_enable(c);
        });
        device = std::make_unique<TestInitiator>("device", [this, device_body](TestInitiator& d) {
            if (!enabled) sc_core::wait(ready);
            device_body(d);
        });
        cpu->socket.bind(smmu->regs);
        device->socket.bind(smmu->upstream[0]);
        smmu->downstream.bind(wrapper->target);
        wrapper->to_memory.bind(memory->target);
        smmu->evtq_irq.bind(evtq);
        smmu->gerror_irq.bind(gerror);
        smmu->cmd_sync_irq.bind(cmd_sync);
        wrapper->watched = kLeaf;
    }

    void put_tables(std::uint64_t cd_extra, std::uint64_t leaf) {
        put64(*memory, kStreamTable + kStream * 64, 1u | (0b101u << 1) | kCd);
        // T0SZ 16, EPD1, V, IPS 48 bits, AA64, R, A, ASID 1.
        put64(*memory, kCd, 16u | (1ull << 30) | (1ull << 31) | (5ull << 32) | (1ull << 41) | (1ull << 45) |
                                (1ull << 46) | (1ull << 48) | cd_extra);
        put64(*memory, kCd + 8, kTables);
        put64(*memory, kTables + 1 * 8, (kTables + 0x1000) | 0b11);
        put64(*memory, kTables + 0x1000 + 2 * 8, (kTables + 0x2000) | 0b11);
        put64(*memory, kTables + 0x2000 + 3 * 8, (kTables + 0x3000) | 0b11);
        put64(*memory, kLeaf, leaf);
    }

    static void enable(TestInitiator& c) {
        write32(c, STRTAB_BASE, static_cast<std::uint32_t>(kStreamTable));
        write32(c, STRTAB_BASE_CFG, 4);  // linear, 16 StreamIDs
        write32(c, EVTQ_BASE, static_cast<std::uint32_t>(kEventQueue | 3));  // 8 records
        write32(c, CMDQ_BASE, static_cast<std::uint32_t>(kCommandQueue | 4));
        write32(c, CR0, kSmmuEn | kEvtqEn | kCmdqEn);
        while (read32(c, CR0ACK) != (kSmmuEn | kEvtqEn | kCmdqEn)) sc_core::wait(ns(10));
    }

    std::uint64_t leaf() { return get64(*memory, kLeaf); }
    std::uint64_t counter(const std::string& name) const {
        const Counter* c = smmu->stats().find_counter(name);
        return c ? c->value : ~std::uint64_t{0};
    }
};

void read_evtq_prod_later(std::uint32_t& prod, TestInitiator& c) {
    sc_core::wait(ns(2000));
    prod = read32(c, EVTQ_PROD);
}

class Smmuv3HttuTest : public iommu_vp::testing::ScTest {};

TEST_F(Smmuv3HttuTest, Idr0AdvertisesTheParameter) {
    std::uint32_t idr0 = 0;
    HttuBench bench(2, 0, kCleanLeaf, idle, [&](TestInitiator& c) { idr0 = read32(c, IDR0); });
    sc_core::sc_start();
    EXPECT_EQ((idr0 >> 6) & 0b11, 0b10u);  // Access flag and dirty state
}

TEST_F(Smmuv3HttuTest, DmaWriteToACleanPageWithHdMarksItDirtyInMemoryAndSucceeds) {
    tlm::tlm_response_status read = tlm::TLM_INCOMPLETE_RESPONSE, write = tlm::TLM_INCOMPLETE_RESPONSE;
    std::uint64_t leaf_after_read = 0;
    std::uint32_t evtq_prod = 1;
    HttuBench* self = nullptr;
    HttuBench bench(
        2, kCdHa | kCdHd, kCleanLeaf,
        [&](TestInitiator& d) {
            const MasterAttrs attrs = stream(kStream);
            // A read first: it leaves the page clean and puts its translation in the TLB.
            const testing::LtResult r = d.read(kVa + 0x10, 4, sc_core::SC_ZERO_TIME, &attrs);
            read = r.status;
            sc_core::wait(r.delay);
            leaf_after_read = self->leaf();
            write = d.write(kVa + 0x10, {1, 2, 3, 4}, sc_core::SC_ZERO_TIME, &attrs).status;
        },
        [&](TestInitiator& c) { read_evtq_prod_later(evtq_prod, c); });
    self = &bench;
    sc_core::sc_start();
    EXPECT_EQ(read, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(leaf_after_read, kCleanLeaf);
    EXPECT_EQ(write, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(bench.leaf(), kDirtyLeaf);
    EXPECT_EQ(get64(*bench.memory, kPage + 0x10) & 0xffffffffu, 0x04030201u);
    EXPECT_EQ(evtq_prod, 0u);
    EXPECT_EQ(bench.counter("httu_dirty_updates"), 1u);
    EXPECT_EQ(bench.counter("httu_access_flag_updates"), 0u);
    EXPECT_EQ(bench.counter("httu_update_retries"), 0u);
    EXPECT_EQ(bench.wrapper->watched_writes, 1u);  // the one compare-and-swap write
}

TEST_F(Smmuv3HttuTest, WithHaOnlyTheWriteFaultsWithFPermissionAndNothingIsWritten) {
    tlm::tlm_response_status write = tlm::TLM_INCOMPLETE_RESPONSE;
    std::uint32_t evtq_prod = 0;
    HttuBench bench(
        2, kCdHa, kCleanLeaf,
        [&](TestInitiator& d) {
            const MasterAttrs attrs = stream(kStream);
            write = d.write(kVa + 0x10, {1, 2, 3, 4}, sc_core::SC_ZERO_TIME, &attrs).status;
        },
        [&](TestInitiator& c) { read_evtq_prod_later(evtq_prod, c); });
    sc_core::sc_start();
    EXPECT_EQ(write, tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(evtq_prod, 1u);
    EXPECT_EQ(get64(*bench.memory, kEventQueue + 0), 0x13u | (std::uint64_t{kStream} << 32));  // F_PERMISSION
    EXPECT_EQ(get64(*bench.memory, kEventQueue + 8), 0b10ull << 40);  // RnW 0 (write), S2 0, CLASS IN
    EXPECT_EQ(get64(*bench.memory, kEventQueue + 16), kVa + 0x10);
    EXPECT_EQ(bench.leaf(), kCleanLeaf);
    EXPECT_EQ(bench.wrapper->watched_writes, 0u);
    EXPECT_EQ(get64(*bench.memory, kPage + 0x10), 0u);
}

TEST_F(Smmuv3HttuTest, HaSetsTheAccessFlagOnTheFirstAccess) {
    tlm::tlm_response_status read = tlm::TLM_INCOMPLETE_RESPONSE;
    HttuBench bench(1, kCdHa, kCleanLeaf & ~kAf, [&](TestInitiator& d) {
        const MasterAttrs attrs = stream(kStream);
        read = d.read(kVa, 4, sc_core::SC_ZERO_TIME, &attrs).status;
    });
    sc_core::sc_start();
    EXPECT_EQ(read, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(bench.leaf(), kCleanLeaf);  // AF (bit 10) set, still clean
    EXPECT_EQ(bench.counter("httu_access_flag_updates"), 1u);
}

TEST_F(Smmuv3HttuTest, CdHdOnAnSmmuWithAccessFlagUpdateOnlyIsCBadCd) {
    tlm::tlm_response_status write = tlm::TLM_INCOMPLETE_RESPONSE;
    std::uint32_t evtq_prod = 0;
    HttuBench bench(
        1, kCdHa | kCdHd, kCleanLeaf,
        [&](TestInitiator& d) {
            const MasterAttrs attrs = stream(kStream);
            write = d.write(kVa, {1}, sc_core::SC_ZERO_TIME, &attrs).status;
        },
        [&](TestInitiator& c) { read_evtq_prod_later(evtq_prod, c); });
    sc_core::sc_start();
    EXPECT_EQ(write, tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(evtq_prod, 1u);
    EXPECT_EQ(get64(*bench.memory, kEventQueue) & 0xff, 0x0Au);  // C_BAD_CD
    EXPECT_EQ(bench.leaf(), kCleanLeaf);
}

TEST_F(Smmuv3HttuTest, RaceBetweenTheWalkAndItsSwapLosesNeitherUpdate) {
    // Software sets bit 55 in the descriptor right after the walk read it: memory holds
    // 0x0088_0000_0008_04C3 when the SMMU's compare-and-swap reads it, so the swap writes nothing,
    // the SMMU examines that value and swaps again: AP[2] cleared on top of the software's change,
    // 0x0088_0000_0008_0443.
    tlm::tlm_response_status write = tlm::TLM_INCOMPLETE_RESPONSE;
    HttuBench bench(2, kCdHa | kCdHd, kCleanLeaf, [&](TestInitiator& d) {
        const MasterAttrs attrs = stream(kStream);
        write = d.write(kVa + 0x20, {9, 8, 7, 6}, sc_core::SC_ZERO_TIME, &attrs).status;
    });
    SparseMemory& memory = *bench.memory;
    bench.wrapper->on_first_read = [&memory] { put64(memory, kLeaf, get64(memory, kLeaf) | kSoftwareBit); };
    sc_core::sc_start();
    EXPECT_EQ(write, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(bench.leaf(), 0x0088'0000'0008'0443ull);
    EXPECT_EQ(get64(memory, kPage + 0x20) & 0xffffffffu, 0x06070809u);
    EXPECT_EQ(bench.wrapper->watched_reads, 3u);   // the walk, two compare-and-swaps
    EXPECT_EQ(bench.wrapper->watched_writes, 1u);  // only the second swap wrote
    EXPECT_EQ(bench.counter("httu_update_retries"), 1u);
    EXPECT_EQ(bench.counter("httu_dirty_updates"), 1u);
}

TEST_F(Smmuv3HttuTest, RaceThatMakesThePageReadOnlyEndsInTheFaultTheNewDescriptorRequires) {
    // Software clears DBM right after the walk's read: 0x0000_0000_0008_04C3, a read-only page. The
    // SMMU's swap finds it, examines it again and may not mark it dirty: F_PERMISSION, and the
    // software's descriptor stays as written.
    tlm::tlm_response_status write = tlm::TLM_INCOMPLETE_RESPONSE;
    std::uint32_t evtq_prod = 0;
    HttuBench bench(
        2, kCdHa | kCdHd, kCleanLeaf,
        [&](TestInitiator& d) {
            const MasterAttrs attrs = stream(kStream);
            write = d.write(kVa, {1, 2}, sc_core::SC_ZERO_TIME, &attrs).status;
        },
        [&](TestInitiator& c) { read_evtq_prod_later(evtq_prod, c); });
    SparseMemory& memory = *bench.memory;
    bench.wrapper->on_first_read = [&memory] { put64(memory, kLeaf, get64(memory, kLeaf) & ~kDbm); };
    sc_core::sc_start();
    EXPECT_EQ(write, tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(bench.leaf(), 0x0000'0000'0008'04C3ull);
    EXPECT_EQ(bench.wrapper->watched_writes, 0u);
    EXPECT_EQ(evtq_prod, 1u);
    EXPECT_EQ(get64(memory, kEventQueue) & 0xff, 0x13u);  // F_PERMISSION
    EXPECT_EQ(bench.counter("httu_update_retries"), 1u);
    EXPECT_EQ(bench.counter("httu_dirty_updates"), 0u);
}

unsigned debug_access(TestInitiator& d, bool is_read, std::uint64_t address, std::uint8_t* data, unsigned length) {
    tlm::tlm_generic_payload p;
    p.set_command(is_read ? tlm::TLM_READ_COMMAND : tlm::TLM_WRITE_COMMAND);
    p.set_address(address);
    p.set_data_ptr(data);
    p.set_data_length(length);
    p.set_streaming_width(length);
    MasterAttrs* ext = new MasterAttrs(stream(kStream));
    p.set_extension(ext);
    const unsigned served = d.socket->transport_dbg(p);
    p.clear_extension(ext);
    delete ext;
    return served;
}

TEST_F(Smmuv3HttuTest, DebugTranslationsNeverWriteADescriptor) {
    // AF = 0 and writable-clean, with HA and HD: a debug read and a debug write translate (as if the
    // updates were made) but leave the descriptor as it is; the timed write then updates it.
    unsigned read_served = 0, write_served = 0;
    std::uint64_t leaf_after_debug = 0;
    HttuBench* self = nullptr;
    HttuBench bench(2, kCdHa | kCdHd, kCleanLeaf & ~kAf, [&](TestInitiator& d) {
        std::uint8_t data[4] = {0xaa, 0xbb, 0xcc, 0xdd};
        read_served = debug_access(d, true, kVa, data, 4);
        write_served = debug_access(d, false, kVa + 0x40, data, 4);
        leaf_after_debug = self->leaf();
        const MasterAttrs attrs = stream(kStream);
        d.write(kVa, {1}, sc_core::SC_ZERO_TIME, &attrs);
    });
    self = &bench;
    sc_core::sc_start();
    EXPECT_EQ(read_served, 4u);
    EXPECT_EQ(write_served, 4u);
    EXPECT_EQ(leaf_after_debug, kCleanLeaf & ~kAf);
    EXPECT_EQ(bench.wrapper->debug_writes, 1u);  // the data of the debug write, nothing else
    EXPECT_EQ(bench.leaf(), kDirtyLeaf);         // AF set and AP[2] cleared by the timed write
}

TEST_F(Smmuv3HttuTest, HttuOf0b11IsRefusedAtConstruction) {
    Smmuv3Params p;
    p.features.httu = 3;  // HAFT: not modelled
    EXPECT_THROW(Smmuv3("smmu_haft", p), std::invalid_argument);
}

}  // namespace
}  // namespace iommu_vp
