#include "platform/cpu/cpu.h"

#include "models/common/little_endian.h"
#include "models/common/payload.h"

namespace iommu_vp::platform {

Cpu::Cpu(sc_core::sc_module_name name, const CpuParams& params)
    : sc_module(name),
      bus("bus"),
      params_(params),
      stats_(basename()),
      mmio_reads_(stats_.counter("mmio_reads", "device-register reads by software")),
      mmio_writes_(stats_.counter("mmio_writes", "device-register writes by software")),
      memory_reads_(stats_.counter("memory_reads", "memory loads by software that reached the bus")),
      memory_writes_(stats_.counter("memory_writes", "buffered stores released to memory")),
      bus_errors_(stats_.counter("bus_errors", "accesses answered with an error")),
      interrupts_received_(stats_.counter("interrupts", "MSIs and line changes delivered to the CPU")),
      interrupts_dropped_(stats_.counter("interrupts_dropped", "interrupts delivered before software listened")) {}

bool Cpu::transact(bool is_read, std::uint64_t address, std::uint8_t* data, unsigned length, sc_core::sc_time& delay) {
    prepare_payload(payload_, is_read, address, data, length);
    bus->b_transport(payload_, delay);
    if (payload_.is_response_ok()) return true;
    ++bus_errors_;
    return false;
}

bool Cpu::mmio_read(std::uint64_t address, unsigned size, std::uint64_t& value) {
    ++mmio_reads_;
    std::uint8_t bytes[8] = {};
    sc_core::sc_time delay = params_.mmio_cost;
    const bool ok = transact(true, address, bytes, size, delay);
    wait(delay);
    value = ok ? load_le(bytes, size) : 0;
    return ok;
}

bool Cpu::mmio_write(std::uint64_t address, unsigned size, std::uint64_t value) {
    ++mmio_writes_;
    std::uint8_t bytes[8];
    store_le(bytes, size, value);
    sc_core::sc_time delay = params_.mmio_cost;
    const bool ok = transact(false, address, bytes, size, delay);
    wait(delay);
    return ok;
}

bool Cpu::memory_read(std::uint64_t address, std::uint8_t* data, std::size_t length) {
    ++memory_reads_;
    sc_core::sc_time delay = params_.memory_cost;
    const bool ok = transact(true, address, data, static_cast<unsigned>(length), delay);
    wait(delay);
    return ok;
}

bool Cpu::memory_write(std::uint64_t address, const std::uint8_t* data, std::size_t length) {
    ++memory_writes_;
    // The payload's data pointer is not const; the bus never writes into a write's data.
    std::vector<std::uint8_t> copy(data, data + length);
    sc_core::sc_time delay = params_.memory_cost;
    const bool ok = transact(false, address, copy.data(), static_cast<unsigned>(length), delay);
    wait(delay);
    return ok;
}

bool Cpu::memory_compare_exchange64(std::uint64_t address, std::uint64_t expected, std::uint64_t desired,
                                    std::uint64_t& observed) {
    // Read and conditional write with no wait() between them: atomic with respect to every other
    // process as long as the memory system does not wait inside b_transport (the platform's never do).
    std::uint8_t bytes[8];
    sc_core::sc_time delay = params_.memory_cost;
    ++memory_reads_;
    bool ok = transact(true, address, bytes, 8, delay);
    observed = load_le(bytes, 8);
    if (ok && observed == expected) {
        ++memory_writes_;
        store_le(bytes, 8, desired);
        ok = transact(false, address, bytes, 8, delay);
    }
    wait(delay);
    return ok;
}

void Cpu::set_line(unsigned line, bool level) {
    ++interrupts_received_;
    if (interrupts_) interrupts_->interrupt_line(line, level);
    else ++interrupts_dropped_;
}

void Cpu::raise_vector(std::uint32_t vector) {
    ++interrupts_received_;
    if (interrupts_) interrupts_->interrupt_vector(vector);
    else ++interrupts_dropped_;
}

}  // namespace iommu_vp::platform
