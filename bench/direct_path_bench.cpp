// Host speed of the direct path: traffic master -> router -> memory, 64-byte transactions.
//
// Two masters run one after the other in one elaboration: the first through b_transport (the
// baseline every IOMMU path is measured against), the second through DMI (for reference). Both
// figures and their ratio come from the same run, so machine noise affects them alike.
//
//   iommu_vp_bench [TRANSACTIONS]      (default 2,000,000 per master)
#include "models/dma/traffic_master.h"
#include "models/interconnect/router.h"
#include "models/memory/sparse_memory.h"

#include <systemc>
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

TrafficMasterParams master_params(std::uint64_t count, bool use_dmi) {
    TrafficMasterParams p;
    p.stream_id = use_dmi ? 2 : 1;
    p.pattern.pattern = AccessPattern::sequential;
    p.pattern.base = kRamBase;
    p.pattern.window_bytes = 1 << 20;
    p.pattern.transaction_bytes = 64;
    p.pattern.read_fraction = 0.5;
    p.count = count;
    p.use_dmi = use_dmi;
    p.held_at_start = true;
    return p;
}

struct Bench : sc_core::sc_module {
    SC_HAS_PROCESS(Bench);
    Bench(sc_core::sc_module_name name, std::uint64_t count) : sc_module(name), count_(count) {
        RouterParams rp;
        rp.initiator_ports = 2;
        rp.target_ports = 1;
        rp.windows.push_back(AddressWindow{"ram", kRamBase, 1ull << 30, 0, 0});
        router = std::make_unique<Router>("bus", rp);
        SparseMemoryParams mp;
        mp.size_bytes = 1ull << 30;
        memory = std::make_unique<SparseMemory>("ram", mp);
        router->downstream[0].bind(memory->target);
        via_b_transport = std::make_unique<TrafficMaster>("b_transport", master_params(count, false));
        via_dmi = std::make_unique<TrafficMaster>("dmi", master_params(count, true));
        via_b_transport->initiator.bind(router->upstream[0]);
        via_dmi->initiator.bind(router->upstream[1]);
        SC_THREAD(control);
    }

    double seconds_of(TrafficMaster& master) {
        const auto start = Clock::now();
        master.release();
        wait(master.done_event());
        return std::chrono::duration<double>(Clock::now() - start).count();
    }

    void control() {
        b_transport_seconds = seconds_of(*via_b_transport);
        dmi_seconds = seconds_of(*via_dmi);
        sc_core::sc_stop();
    }

    std::uint64_t count_;
    std::unique_ptr<Router> router;
    std::unique_ptr<SparseMemory> memory;
    std::unique_ptr<TrafficMaster> via_b_transport;
    std::unique_ptr<TrafficMaster> via_dmi;
    double b_transport_seconds = 0;
    double dmi_seconds = 0;
};

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

    const double bt_rate = static_cast<double>(count) / bench.b_transport_seconds;
    const double dmi_rate = static_cast<double>(count) / bench.dmi_seconds;
    std::printf("direct path, 64-byte transactions (50%% reads), %llu per master, 1 us quantum\n",
                static_cast<unsigned long long>(count));
    std::printf("  b_transport: %12.0f transactions/host-second  (%.3f s)\n", bt_rate, bench.b_transport_seconds);
    std::printf("  DMI:         %12.0f transactions/host-second  (%.3f s)\n", dmi_rate, bench.dmi_seconds);
    std::printf("  DMI / b_transport: %.2fx\n", dmi_rate / bt_rate);
    return 0;
}
