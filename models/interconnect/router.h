// Router: a TLM-2.0 interconnect with an address map.
//
// Models: address decoding over non-overlapping windows (a window maps [base, base+size) of the
// system address space onto a target port, at `target_offset` in the target's own address space),
// a per-hop latency, decode errors as TLM_ADDRESS_ERROR_RESPONSE, DMI forwarding with the address
// adjusted both ways, and invalidate_direct_mem_ptr passed back to every initiator. Non-blocking
// calls from approximately-timed initiators are accepted (converted to blocking calls by the socket).
// Does not model: arbitration, outstanding-transaction limits, per-port bandwidth.
#pragma once

#include "models/common/stats.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace iommu_vp {

struct AddressWindow {
    std::string name;             // what the platform calls the target (for errors and the address map dump)
    std::uint64_t base = 0;
    std::uint64_t size = 0;
    unsigned target_port = 0;
    std::uint64_t target_offset = 0;  // address the target sees for `base`

    std::uint64_t last() const { return base + size - 1; }
};

struct RouterParams {
    unsigned initiator_ports = 1;   // upstream sockets (masters, IOMMU outputs, the script initiator)
    unsigned target_ports = 1;      // downstream sockets
    std::vector<AddressWindow> windows;
    sc_core::sc_time hop_latency = sc_core::sc_time(2, sc_core::SC_NS);
};

class Router : public sc_core::sc_module, public StatsSource {
public:
    using TargetSocket = tlm_utils::simple_target_socket_tagged<Router>;
    using InitiatorSocket = tlm_utils::simple_initiator_socket_tagged<Router>;

    sc_core::sc_vector<TargetSocket> upstream;      // bind masters here
    sc_core::sc_vector<InitiatorSocket> downstream; // bind targets here

    // Throws std::invalid_argument for overlapping, empty or wrapping windows or unknown target ports.
    Router(sc_core::sc_module_name name, const RouterParams& params);

    const AddressWindow* decode(std::uint64_t address) const;
    const StatsGroup& stats() const override { return stats_; }

private:
    void b_transport(int port, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
    unsigned int transport_dbg(int port, tlm::tlm_generic_payload& payload);
    bool get_direct_mem_ptr(int port, tlm::tlm_generic_payload& payload, tlm::tlm_dmi& dmi);
    void invalidate_direct_mem_ptr(int target_port, sc_dt::uint64 start, sc_dt::uint64 end);

    // Decodes and rewrites the payload's address for the target; restores it in the destructor.
    class RoutedAddress;

    void validate_windows() const;

    RouterParams params_;
    std::map<std::uint64_t, std::size_t> window_by_base_;  // base -> index in params_.windows
    StatsGroup stats_;
    Counter& transactions_;
    Counter& decode_errors_;
    Counter& dmi_forwarded_;
    Counter& dmi_invalidations_;
};

}  // namespace iommu_vp
