// Host speed of the transaction paths, 64-byte transactions, all measured in one elaboration so
// that machine noise affects every figure alike and the ratios are meaningful:
//
//   direct        master -> router -> memory through b_transport (the baseline)
//   DMI           the same master path with direct memory pointers (for reference)
//   SMMUv3 hit    master -> SMMUv3 (stage 1, TLB and configuration cache warm) -> router -> memory
//   SMMUv3 walk   the same with the TLB and the walk cache disabled: every transaction walks all
//                 four levels (the configuration cache stays on, so the STE and CD are not refetched)
//   VT-d hit      master -> VT-d (legacy mode, second level, IOTLB and context cache warm) -> memory
//   VT-d walk     the same with the IOTLB and paging-structure caches disabled: four levels a
//                 transaction (the context cache stays on)
//
// The masters are released one after another; each figure is transactions per host second.
//
//   iommu_vp_bench [TRANSACTIONS]      (default 2,000,000 per path)
#include "models/common/payload.h"
#include "models/dma/traffic_master.h"
#include "models/interconnect/router.h"
#include "models/memory/sparse_memory.h"
#include "models/smmuv3/smmuv3.h"
#include "models/vtd/vtd.h"

#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace {

using namespace iommu_vp;
using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kRamBase = 0x8000'0000;
constexpr std::uint64_t kWindow = 1 << 20;  // the traffic window: 256 pages of 4 KiB
// SMMU structures, in RAM above the traffic window (physical addresses).
constexpr std::uint64_t kTables = kRamBase + 0x100'0000;
constexpr std::uint64_t kStreamTable = kRamBase + 0x200'0000;
constexpr std::uint64_t kCd = kRamBase + 0x300'0000;
constexpr std::uint32_t kStream = 1;  // also the VT-d source-id: bus 0, device 0, function 1
// VT-d structures: a legacy root table, bus 0's context table, four levels of second-level tables.
constexpr std::uint64_t kVtdRoot = kRamBase + 0x400'0000;
constexpr std::uint64_t kVtdContext = kVtdRoot + 0x1000;
constexpr std::uint64_t kVtdTables = kVtdRoot + 0x2000;

TrafficMasterParams master_params(std::uint64_t count, std::uint64_t base, bool use_dmi) {
    TrafficMasterParams p;
    p.stream_id = kStream;
    p.pattern.pattern = AccessPattern::sequential;
    p.pattern.base = base;
    p.pattern.window_bytes = kWindow;
    p.pattern.transaction_bytes = 64;
    p.pattern.read_fraction = 0.5;
    p.count = count;
    p.use_dmi = use_dmi;
    p.held_at_start = true;
    return p;
}

void put64(SparseMemory& memory, std::uint64_t address, std::uint64_t value) {
    std::uint8_t bytes[8];
    for (unsigned i = 0; i < 8; ++i) bytes[i] = static_cast<std::uint8_t>(value >> (8 * i));
    memory.store().write(address - kRamBase, bytes, 8);
}

// Stage-1 tables mapping VA [0, 1 MiB) onto RAM [0x8000_0000, +1 MiB), a linear stream table whose
// STE 1 selects stage 1 with one CD (48-bit VA, 4 KiB granule, ASID 1). Encodings: SMMUv3 5.2, 5.4;
// VMSAv8-64 table (0b11), page (0b11 | AF | AP = RW at any level).
void put_smmu_structures(SparseMemory& memory) {
    // Touch the traffic window first, so that no path pays for the memory's page allocation.
    static const std::uint8_t zeros[0x1000] = {};
    for (std::uint64_t offset = 0; offset < kWindow; offset += sizeof zeros) memory.store().write(offset, zeros, sizeof zeros);
    put64(memory, kTables, (kTables + 0x1000) | 0b11);
    put64(memory, kTables + 0x1000, (kTables + 0x2000) | 0b11);
    put64(memory, kTables + 0x2000, (kTables + 0x3000) | 0b11);
    for (std::uint64_t page = 0; page < kWindow / 0x1000; ++page)
        put64(memory, kTables + 0x3000 + 8 * page, (kRamBase + page * 0x1000) | 0b11 | (1u << 10) | (0b01u << 6));
    put64(memory, kStreamTable + kStream * 64, 1u | (0b101u << 1) | kCd);
    put64(memory, kCd, 16u | (1ull << 30) | (1ull << 31) | (5ull << 32) | (1ull << 41) | (1ull << 45) |
                           (1ull << 46) | (1ull << 48));
    put64(memory, kCd + 8, kTables);
}

// Second-level tables mapping [0, 1 MiB) onto RAM like the SMMU's, in legacy mode for source-id
// kStream. Encodings: VT-d 9.1 (root: P, CTP), 9.3 (context: P, TT = 0, SLPTPTR; AW = 2 (48-bit),
// DID 1), 9.8 (second level: R, W, address).
void put_vtd_structures(SparseMemory& memory) {
    put64(memory, kVtdRoot, kVtdContext | 1);
    put64(memory, kVtdContext + kStream * 16, kVtdTables | 1);
    put64(memory, kVtdContext + kStream * 16 + 8, 2 | (1u << 8));
    put64(memory, kVtdTables, (kVtdTables + 0x1000) | 0b11);
    put64(memory, kVtdTables + 0x1000, (kVtdTables + 0x2000) | 0b11);
    put64(memory, kVtdTables + 0x2000, (kVtdTables + 0x3000) | 0b11);
    for (std::uint64_t page = 0; page < kWindow / 0x1000; ++page)
        put64(memory, kVtdTables + 0x3000 + 8 * page, (kRamBase + page * 0x1000) | 0b11);
}

struct Bench : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<Bench> hit_regs{"hit_regs"}, walk_regs{"walk_regs"};
    tlm_utils::simple_initiator_socket<Bench> vtd_hit_regs{"vtd_hit_regs"}, vtd_walk_regs{"vtd_walk_regs"};

    SC_HAS_PROCESS(Bench);
    Bench(sc_core::sc_module_name name, std::uint64_t count) : sc_module(name) {
        RouterParams rp;
        rp.initiator_ports = 6;
        rp.target_ports = 1;
        rp.windows.push_back(AddressWindow{"ram", kRamBase, 1ull << 30, 0, 0});
        router = std::make_unique<Router>("bus", rp);
        SparseMemoryParams mp;
        mp.size_bytes = 1ull << 30;
        memory = std::make_unique<SparseMemory>("ram", mp);
        router->downstream[0].bind(memory->target);
        put_smmu_structures(*memory);
        put_vtd_structures(*memory);

        Smmuv3Params hit;
        smmu_hit = std::make_unique<Smmuv3>("smmu_hit", hit);
        Smmuv3Params walk;
        walk.caches.tlb = CacheGeometry{0, 0, ReplacementPolicy::lru};
        walk.caches.walk = CacheGeometry{0, 0, ReplacementPolicy::lru};
        smmu_walk = std::make_unique<Smmuv3>("smmu_walk", walk);
        sc_core::sc_signal<bool>* line = idle_lines;
        for (Smmuv3* smmu : {smmu_hit.get(), smmu_walk.get()}) {
            smmu->evtq_irq.bind(*line++);
            smmu->gerror_irq.bind(*line++);
            smmu->cmd_sync_irq.bind(*line++);
        }
        hit_regs.bind(smmu_hit->regs);
        walk_regs.bind(smmu_walk->regs);
        smmu_hit->downstream.bind(router->upstream[2]);
        smmu_walk->downstream.bind(router->upstream[3]);

        vtd_hit = std::make_unique<Vtd>("vtd_hit", VtdParams{});
        VtdParams vtd_walk_params;
        vtd_walk_params.caches.iotlb = CacheGeometry{0, 0, ReplacementPolicy::lru};
        vtd_walk_params.caches.paging_structure = CacheGeometry{0, 0, ReplacementPolicy::lru};
        vtd_walk = std::make_unique<Vtd>("vtd_walk", vtd_walk_params);
        vtd_hit_regs.bind(vtd_hit->regs);
        vtd_walk_regs.bind(vtd_walk->regs);
        vtd_hit->downstream.bind(router->upstream[4]);
        vtd_walk->downstream.bind(router->upstream[5]);

        direct = std::make_unique<TrafficMaster>("direct", master_params(count, kRamBase, false));
        dmi = std::make_unique<TrafficMaster>("dmi", master_params(count, kRamBase, true));
        via_hit = std::make_unique<TrafficMaster>("smmu_hit_master", master_params(count, 0, false));
        via_walk = std::make_unique<TrafficMaster>("smmu_walk_master", master_params(count, 0, false));
        direct->initiator.bind(router->upstream[0]);
        dmi->initiator.bind(router->upstream[1]);
        via_hit->initiator.bind(smmu_hit->upstream[0]);
        via_walk->initiator.bind(smmu_walk->upstream[0]);
        via_vtd_hit = std::make_unique<TrafficMaster>("vtd_hit_master", master_params(count, 0, false));
        via_vtd_walk = std::make_unique<TrafficMaster>("vtd_walk_master", master_params(count, 0, false));
        via_vtd_hit->initiator.bind(vtd_hit->upstream[0]);
        via_vtd_walk->initiator.bind(vtd_walk->upstream[0]);
        SC_THREAD(control);
    }

    // Programs the stream table and enables the SMMU, as a driver would.
    void enable(tlm_utils::simple_initiator_socket<Bench>& regs) {
        write32(regs, 0x80, static_cast<std::uint32_t>(kStreamTable));  // STRTAB_BASE low
        write32(regs, 0x84, static_cast<std::uint32_t>(kStreamTable >> 32));
        write32(regs, 0x88, 4);                                         // linear, 16 StreamIDs
        write32(regs, 0x20, 1);                                         // CR0.SMMUEN
        wait(sc_core::sc_time(1, sc_core::SC_US));                      // past the acknowledgement
    }

    // Latches the root table and enables translation, as a driver would (GCMD.SRTP, then GCMD.TE).
    void enable_vtd(tlm_utils::simple_initiator_socket<Bench>& regs) {
        write32(regs, 0x20, static_cast<std::uint32_t>(kVtdRoot));  // RTADDR low (legacy mode)
        write32(regs, 0x24, static_cast<std::uint32_t>(kVtdRoot >> 32));
        write32(regs, 0x18, 1u << 30);                                // GCMD.SRTP
        wait(sc_core::sc_time(1, sc_core::SC_US));                    // past GSTS.RTPS
        write32(regs, 0x18, 1u << 31);                                // GCMD.TE
        wait(sc_core::sc_time(1, sc_core::SC_US));
    }

    void write32(tlm_utils::simple_initiator_socket<Bench>& regs, std::uint64_t offset, std::uint32_t value) {
        std::uint8_t bytes[4] = {static_cast<std::uint8_t>(value), static_cast<std::uint8_t>(value >> 8),
                                 static_cast<std::uint8_t>(value >> 16), static_cast<std::uint8_t>(value >> 24)};
        tlm::tlm_generic_payload p;
        prepare_payload(p, false, offset, bytes, 4);
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        regs->b_transport(p, delay);
        wait(delay);
    }

    double seconds_of(TrafficMaster& master) {
        const auto start = Clock::now();
        master.release();
        wait(master.done_event());
        return std::chrono::duration<double>(Clock::now() - start).count();
    }

    void control() {
        enable(hit_regs);
        enable(walk_regs);
        enable_vtd(vtd_hit_regs);
        enable_vtd(vtd_walk_regs);
        direct_seconds = seconds_of(*direct);
        dmi_seconds = seconds_of(*dmi);
        hit_seconds = seconds_of(*via_hit);
        walk_seconds = seconds_of(*via_walk);
        vtd_hit_seconds = seconds_of(*via_vtd_hit);
        vtd_walk_seconds = seconds_of(*via_vtd_walk);
        sc_core::sc_stop();
    }

    std::unique_ptr<Router> router;
    std::unique_ptr<SparseMemory> memory;
    std::unique_ptr<Smmuv3> smmu_hit, smmu_walk;
    sc_core::sc_signal<bool> idle_lines[6];  // the SMMUs' interrupt outputs, unused here
    std::unique_ptr<Vtd> vtd_hit, vtd_walk;
    std::unique_ptr<TrafficMaster> direct, dmi, via_hit, via_walk, via_vtd_hit, via_vtd_walk;
    double direct_seconds = 0, dmi_seconds = 0, hit_seconds = 0, walk_seconds = 0, vtd_hit_seconds = 0,
           vtd_walk_seconds = 0;
};

void report(const char* path, std::uint64_t count, double seconds, double direct_rate) {
    const double rate = static_cast<double>(count) / seconds;
    std::printf("  %-12s %12.0f transactions/host-second  (%.3f s)  %5.2fx direct\n", path, rate, seconds,
                rate / direct_rate);
}

}  // namespace

int sc_main(int argc, char* argv[]) {
    const std::uint64_t count = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2'000'000;
    if (count == 0) {
        std::fprintf(stderr, "usage: iommu_vp_bench [TRANSACTIONS]\n");
        return 2;
    }
    sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_core::sc_time(1, sc_core::SC_US));
    Bench bench("bench", count);
    sc_core::sc_start();

    const double direct_rate = static_cast<double>(count) / bench.direct_seconds;
    std::printf("64-byte transactions (50%% reads), %llu per path, 1 us quantum\n",
                static_cast<unsigned long long>(count));
    report("direct", count, bench.direct_seconds, direct_rate);
    report("DMI", count, bench.dmi_seconds, direct_rate);
    report("SMMUv3 hit", count, bench.hit_seconds, direct_rate);
    report("SMMUv3 walk", count, bench.walk_seconds, direct_rate);
    report("VT-d hit", count, bench.vtd_hit_seconds, direct_rate);
    report("VT-d walk", count, bench.vtd_walk_seconds, direct_rate);
    std::printf("targets: hit paths >= 0.50x direct, walk paths >= 0.10x direct\n");
    const auto counter = [](const StatsSource& iommu, const char* name) {
        return static_cast<unsigned long long>(iommu.stats().find_counter(name)->value);
    };
    std::printf("check: %llu / %llu TLB hits on the SMMUv3 / VT-d hit paths, %llu / %llu walks on the walk paths, "
                "%llu / %llu faults\n",
                counter(*bench.smmu_hit, "tlb_hits"), counter(*bench.vtd_hit, "tlb_hits"),
                counter(*bench.smmu_walk, "walks"), counter(*bench.vtd_walk, "walks"),
                counter(*bench.smmu_hit, "faults") + counter(*bench.smmu_walk, "faults"),
                counter(*bench.vtd_hit, "faults") + counter(*bench.vtd_walk, "faults"));
    return 0;
}
