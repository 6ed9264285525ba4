// DMA-coherent memory for the structures the hardware reads and writes (queues, tables, rings):
// page-granular, aligned allocations from the RAM window the platform gives the runtime
// (RuntimeParams::dma_window), never overlapping, freed memory reused. The address is both what
// software uses with memory_read/memory_write (io.h) and what it programs into devices: the
// platform's RAM is identity-mapped for the CPU.
#pragma once

#include <cstdint>
#include <optional>

namespace iommu_vp::kernel {

// nullopt when the window has no room (or the runtime has no window). `alignment` 0: a page.
std::optional<std::uint64_t> dma_alloc_coherent(std::uint64_t size, std::uint64_t alignment = 0);
// False (and a report) for an address that is not a live allocation's start.
bool dma_free_coherent(std::uint64_t address);
std::uint64_t dma_bytes_in_use();

}  // namespace iommu_vp::kernel
