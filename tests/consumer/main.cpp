// An integrator's platform in miniature: one traffic master writing into one memory, built only
// from the installed package. Prints "consumer: ok" when the master's writes reached memory.
#include "models/dma/traffic_master.h"
#include "models/memory/sparse_memory.h"

#include <systemc>

#include <cstdio>

int sc_main(int, char*[]) {
    using namespace iommu_vp;
    using sc_core::SC_NS;

    SparseMemoryParams memory_params;
    memory_params.size_bytes = 1 << 20;
    SparseMemory memory("memory", memory_params);

    TrafficMasterParams master_params;
    master_params.pattern.pattern = AccessPattern::sequential;
    master_params.pattern.window_bytes = 4096;
    master_params.pattern.transaction_bytes = 64;
    master_params.pattern.read_fraction = 0.0;  // writes only
    master_params.count = 16;
    TrafficMaster master("master", master_params);
    master.initiator.bind(memory.target);

    sc_core::sc_start(sc_core::sc_time(1, sc_core::SC_MS));

    // 16 sequential 64-byte writes from address 0 cover the first 1 KiB: one 4 KiB page.
    const bool done = master.done();
    const std::size_t pages = memory.store().allocated_pages();
    std::printf("consumer: master done=%d, memory pages written=%zu\n", done, pages);
    if (!done || pages != 1) {
        std::printf("consumer: FAILED\n");
        return 1;
    }
    std::printf("consumer: ok\n");
    return 0;
}
