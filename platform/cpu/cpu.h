// Cpu: the processor that hosts the co-simulated software. It is the kernel runtime's Machine: MMIO
// and memory accesses from software threads become TLM transactions on its bus socket, and the
// calling thread waits for what the bus returns plus the CPU's own cost. It is also the interrupt
// controller's CPU side: delivered MSIs and line changes go to the runtime's interrupt dispatcher.
//
// Costs (parameters): an uncached device-register access spends `mmio_cost` in the CPU on top of
// the bus (the load or store pipeline draining and the uncached path: tens of cycles); a memory
// access through the cache hierarchy spends `memory_cost` (a cache hit most of the time, since
// the structures software writes are small).
#pragma once

#include "models/common/stats.h"
#include "models/irq/interrupt_controller.h"
#include "sw_stack/kernel/machine.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

namespace iommu_vp::platform {

struct CpuParams {
    // An assumption: ~40 cycles of a 2 GHz core for an uncached access besides the interconnect.
    sc_core::sc_time mmio_cost = sc_core::sc_time(20, sc_core::SC_NS);
    // An assumption: an L2 hit at 2 GHz.
    sc_core::sc_time memory_cost = sc_core::sc_time(5, sc_core::SC_NS);
};

class Cpu : public sc_core::sc_module,
            public kernel::Machine,
            public InterruptSinkIf,
            public StatsSource {
public:
    tlm_utils::simple_initiator_socket<Cpu> bus;

    Cpu(sc_core::sc_module_name name, const CpuParams& params);
    // Where delivered interrupts go (the runtime's dispatcher, which needs the runtime, which needs this
    // CPU as its machine: hence a second step). Interrupts before it is set are counted and dropped.
    void set_interrupt_receiver(kernel::InterruptReceiver& receiver) { interrupts_ = &receiver; }

    // kernel::Machine (called from software threads: each call waits for its cost).
    bool mmio_read(std::uint64_t address, unsigned size, std::uint64_t& value) override;
    bool mmio_write(std::uint64_t address, unsigned size, std::uint64_t value) override;
    bool memory_read(std::uint64_t address, std::uint8_t* data, std::size_t length) override;
    bool memory_write(std::uint64_t address, const std::uint8_t* data, std::size_t length) override;
    bool memory_compare_exchange64(std::uint64_t address, std::uint64_t expected, std::uint64_t desired,
                                   std::uint64_t& observed) override;

    // InterruptSinkIf (called by the interrupt controller at delivery time).
    void set_line(unsigned line, bool level) override;
    void raise_vector(std::uint32_t vector) override;

    const StatsGroup& stats() const override { return stats_; }

private:
    // One transaction, its delay accumulated in `delay` (not waited for).
    bool transact(bool is_read, std::uint64_t address, std::uint8_t* data, unsigned length, sc_core::sc_time& delay);

    CpuParams params_;
    kernel::InterruptReceiver* interrupts_ = nullptr;
    tlm::tlm_generic_payload payload_;
    StatsGroup stats_;
    Counter& mmio_reads_;
    Counter& mmio_writes_;
    Counter& memory_reads_;
    Counter& memory_writes_;
    Counter& bus_errors_;
    Counter& interrupts_received_;
    Counter& interrupts_dropped_;
};

}  // namespace iommu_vp::platform
