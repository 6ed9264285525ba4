// SparseMemory: a TLM-2.0 memory target of up to 2^52 bytes.
//
// Models: read and write latency per access, an optional bandwidth limit (one channel booked by
// absolute time, so concurrent masters queue behind each other even under temporal decoupling),
// byte enables, debug transport, and DMI (page-granular, refused while a bandwidth limit is set so a
// direct pointer never hides contention).
// Does not model: banks, refresh, row-buffer locality, ECC.
#pragma once

#include "models/common/busy_until.h"
#include "models/common/stats.h"
#include "models/memory/sparse_store.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>

namespace iommu_vp {

struct SparseMemoryParams {
    std::uint64_t size_bytes = std::uint64_t{1} << 32;
    sc_core::sc_time read_latency = sc_core::sc_time(50, sc_core::SC_NS);
    sc_core::sc_time write_latency = sc_core::sc_time(50, sc_core::SC_NS);
    // Sustained bytes per nanosecond (numerically GB/s); 0 means unlimited.
    double bandwidth_bytes_per_ns = 0.0;
    bool dmi_enabled = true;
};

class SparseMemory : public sc_core::sc_module, public StatsSource {
public:
    tlm_utils::simple_target_socket<SparseMemory> target;

    SparseMemory(sc_core::sc_module_name name, const SparseMemoryParams& params);

    const SparseMemoryParams& params() const { return params_; }
    SparseStore& store() { return store_; }
    const StatsGroup& stats() const override { return stats_; }

private:
    void b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
    unsigned int transport_dbg(tlm::tlm_generic_payload& payload);
    bool get_direct_mem_ptr(tlm::tlm_generic_payload& payload, tlm::tlm_dmi& dmi);

    // Checks address range, streaming width and command; sets the error status and returns false.
    bool check(tlm::tlm_generic_payload& payload) const;
    void copy_data(tlm::tlm_generic_payload& payload);
    sc_core::sc_time transfer_time(unsigned bytes) const;

    SparseMemoryParams params_;
    SparseStore store_;
    BusyUntilResource channel_{1};
    StatsGroup stats_;
    Counter& reads_;
    Counter& writes_;
    Counter& bytes_read_;
    Counter& bytes_written_;
    Counter& errors_;
    Counter& dmi_grants_;
    Counter& dmi_refusals_;
    Counter& queued_accesses_;
};

}  // namespace iommu_vp
