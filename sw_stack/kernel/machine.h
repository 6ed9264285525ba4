// What the simulated machine offers the kernel runtime: the narrow interface between the software
// stack and the hardware models. The platform's CPU module implements it with TLM transactions on
// its bus; software never sees a model, only bus addresses, data and time.
//
// Every call is made from a software thread and blocks it for the access's cost (what the bus
// returns plus the CPU's own cost): the calling thread's simulated time advances, and other threads
// and the hardware run meanwhile.
#pragma once

#include <cstddef>
#include <cstdint>

namespace iommu_vp::kernel {

class Machine {
public:
    virtual ~Machine() = default;

    // A device-register access of 1, 2, 4 or 8 bytes. False when the bus answers with an error; a
    // read then returns all ones, as a PCIe read that meets an unsupported request does.
    virtual bool mmio_read(std::uint64_t address, unsigned size, std::uint64_t& value) = 0;
    virtual bool mmio_write(std::uint64_t address, unsigned size, std::uint64_t value) = 0;

    // Physical-memory accesses that reach the memory system (the CPU's store buffer is the runtime's:
    // these are the stores it releases and the loads it makes). False on a bus error.
    virtual bool memory_read(std::uint64_t address, std::uint8_t* data, std::size_t length) = 0;
    virtual bool memory_write(std::uint64_t address, const std::uint8_t* data, std::size_t length) = 0;

    // An atomic 64-bit compare-and-exchange in memory: stores `desired` if the word holds `expected`;
    // `observed` receives what it held. False on a bus error.
    virtual bool memory_compare_exchange64(std::uint64_t address, std::uint64_t expected, std::uint64_t desired,
                                           std::uint64_t& observed) = 0;
};

// Receives the machine's interrupts: the platform calls it at delivery time.
class InterruptReceiver {
public:
    virtual ~InterruptReceiver() = default;
    virtual void interrupt_vector(std::uint32_t vector) = 0;       // an MSI
    virtual void interrupt_line(unsigned line, bool level) = 0;    // a wired line changed level
};

}  // namespace iommu_vp::kernel
