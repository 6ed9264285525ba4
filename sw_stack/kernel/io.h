// Device registers, memory barriers and physical memory, as software threads see them.
//
// MMIO: readl/writel and their sizes are TLM transactions through the platform's CPU; the calling
// thread waits for their cost. writel (and writeq, ...) first makes the CPU's buffered stores visible
// (the barrier Linux's writel implies); the _relaxed forms do not, so a driver that rings a doorbell
// with writel_relaxed needs dma_wmb() before it, as on an Arm CPU.
//
// Memory model: a thread's stores to physical memory (tables, queues, descriptors) go to its CPU's
// store buffer and reach memory, where the hardware models read them, only at a release point: a
// barrier (wmb, dma_wmb, mb, smp_wmb, smp_mb), a non-relaxed MMIO write, an unlock, or a fully
// ordered atomic (cmpxchg). Each release costs RuntimeParams::release_per_line a cache line. Loads
// see the thread's own buffered stores (forwarding) over memory. In the checking mode the stores
// released at one point become visible in a seeded order, so an update that is safe only in program
// order is caught.
#pragma once

#include <cstddef>
#include <cstdint>

namespace iommu_vp::kernel {

// Device registers (the address is a bus address).
std::uint8_t readb(std::uint64_t address);
std::uint16_t readw(std::uint64_t address);
std::uint32_t readl(std::uint64_t address);
std::uint64_t readq(std::uint64_t address);
void writeb(std::uint8_t value, std::uint64_t address);
void writew(std::uint16_t value, std::uint64_t address);
void writel(std::uint32_t value, std::uint64_t address);
void writeq(std::uint64_t value, std::uint64_t address);
std::uint32_t readl_relaxed(std::uint64_t address);
std::uint64_t readq_relaxed(std::uint64_t address);
void writel_relaxed(std::uint32_t value, std::uint64_t address);
void writeq_relaxed(std::uint64_t value, std::uint64_t address);

// Barriers. Writes: wmb, dma_wmb, smp_wmb make buffered stores visible. mb, smp_mb do as well and
// order later loads. Reads: rmb, dma_rmb order loads only (loads are never reordered in this model,
// so they cost nothing).
void wmb();
void dma_wmb();
void smp_wmb();
void mb();
void smp_mb();
void rmb();
void dma_rmb();

// Physical memory (for structures the hardware reads and writes).
void memory_write(std::uint64_t address, const void* data, std::size_t length);
void memory_read(std::uint64_t address, void* data, std::size_t length);
// Naturally aligned 64-bit stores and loads are single-copy atomic (WRITE_ONCE / READ_ONCE).
void memory_write64(std::uint64_t address, std::uint64_t value);
std::uint64_t memory_read64(std::uint64_t address);
void memory_write32(std::uint64_t address, std::uint32_t value);
std::uint32_t memory_read32(std::uint64_t address);
// A fully ordered 64-bit compare-and-exchange (cmpxchg64): returns the old value.
std::uint64_t cmpxchg64(std::uint64_t address, std::uint64_t expected, std::uint64_t desired);

// Makes the running thread's CPU's buffered stores visible now (what every release point does).
void release_stores();

}  // namespace iommu_vp::kernel
