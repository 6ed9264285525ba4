// InterruptController: wired interrupt lines and an MSI doorbell, delivered to a CPU-side interface.
//
// Models: `lines` level-sensitive wired inputs (sc_in<bool>; each change of level is passed on as
// set_line(line, level)), and an MSI doorbell window on a TLM target socket: a 32-bit write of data D
// anywhere in the window raises vector D (raise_vector(D)), both after the delivery latency, as a
// GICv3 ITS translater or an x86
// local-APIC MSI window receives a device's write. Reads of the window return zero. A write of
// another size is a programming error: logged as a guest error and answered TLM_GENERIC_ERROR_RESPONSE.
// Does not model: priorities, masking, affinity routing, interrupt remapping.
#pragma once

#include "models/common/stats.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <map>

namespace iommu_vp {

// What the CPU side implements to receive interrupts.
class InterruptSinkIf : public virtual sc_core::sc_interface {
public:
    virtual void set_line(unsigned line, bool level) = 0;
    virtual void raise_vector(std::uint32_t vector) = 0;
};

struct InterruptControllerParams {
    unsigned lines = 32;
    std::uint64_t doorbell_size = 0x1000;
    // Time from the doorbell write (or line change) to delivery at the CPU interface.
    sc_core::sc_time delivery_latency = sc_core::sc_time(10, sc_core::SC_NS);
};

class InterruptController : public sc_core::sc_module, public StatsSource {
public:
    sc_core::sc_vector<sc_core::sc_in<bool>> irq_in;
    tlm_utils::simple_target_socket<InterruptController> doorbell;
    sc_core::sc_port<InterruptSinkIf, 1, sc_core::SC_ZERO_OR_MORE_BOUND> cpu;

    SC_HAS_PROCESS(InterruptController);
    InterruptController(sc_core::sc_module_name name, const InterruptControllerParams& params);

    const StatsGroup& stats() const override { return stats_; }
    std::uint64_t msi_count() const { return msis_.value; }

private:
    void b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
    unsigned int transport_dbg(tlm::tlm_generic_payload& payload);
    // An MSI vector or a wired line's new level, waiting for its delivery time.
    struct Delivery {
        bool is_line;
        std::uint32_t number;  // the vector, or the line
        bool level;            // lines only
    };

    void line_changed(unsigned line);
    void deliver_msi(std::uint32_t vector, const sc_core::sc_time& delay);
    void schedule(const Delivery& delivery, const sc_core::sc_time& delay);
    void deliver_due();

    InterruptControllerParams params_;
    std::multimap<sc_core::sc_time, Delivery> pending_;  // delivery time -> what, FIFO on ties
    sc_core::sc_event_queue delivery_due_;
    StatsGroup stats_;
    Counter& msis_;
    Counter& line_changes_;
    Counter& bad_doorbell_writes_;
};

}  // namespace iommu_vp
