// The io-pgtable memory interface on the kernel runtime: page tables in the platform's simulated RAM,
// allocated from the DMA-coherent window, written with the CPU's (store-buffered) 64-bit stores and
// published with dma_wmb(), so the IOMMU models' table walkers see exactly what a real walker would.
//
//   alloc_table   dma_alloc_coherent(bytes, aligned to bytes), then zeroed with memory_write (plain
//                 stores: the format's publish() before it links the table makes them visible)
//   free_table    dma_free_coherent
//   read64/write64  memory_read64 / memory_write64 (single-copy atomic, READ_ONCE / WRITE_ONCE)
//   cmpxchg64     the runtime's fully ordered cmpxchg64
//   publish       dma_wmb()
//
// Only usable from a software thread of a running platform (the runtime's calls need one).
// Not modelled: NUMA placement, GFP flags (every allocation may "sleep"), the kernel's page-table
// page accounting.
#pragma once

#include "sw_stack/iommu/pgtable/io_pgtable.h"

#include <cstddef>
#include <cstdint>
#include <optional>

namespace iommu_vp::iommu {

class KernelPgtableMemory final : public IoPgtableMemory {
public:
    std::optional<std::uint64_t> alloc_table(std::size_t bytes) override;
    void free_table(std::uint64_t address, std::size_t bytes) override;
    std::uint64_t read64(std::uint64_t address) override;
    void write64(std::uint64_t address, std::uint64_t value) override;
    std::uint64_t cmpxchg64(std::uint64_t address, std::uint64_t expected, std::uint64_t desired) override;
    void publish() override;
};

}  // namespace iommu_vp::iommu
