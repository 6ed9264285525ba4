// The DMA-coherent allocator: hands out page-granular blocks of a RAM window that the platform sets
// aside, for the memory that the CPU and the devices share (command and event queues, descriptor rings,
// stream, context and page tables). It plays the part of dma_alloc_coherent()'s backing pool.
//
// Addresses are physical addresses in simulated RAM; the allocator never touches that memory, it only
// keeps the books. First fit over a free list sorted by address, with freed blocks merged with their
// free neighbours, so the lowest suitable address is always chosen and runs are reproducible.
//
// Not modelled: per-device pools, NUMA nodes, CMA, and the kernel virtual mapping (the simulated
// software uses physical addresses directly).
//
// Pure C++, no SystemC.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

namespace iommu_vp {
namespace kernel {

class CoherentAllocator {
public:
    // The window [base, base + size). Throws std::invalid_argument unless page_bytes is a power of two,
    // base is page-aligned, size is a non-zero multiple of page_bytes, and the window ends below 2^64.
    CoherentAllocator(std::uint64_t base, std::uint64_t size, std::uint64_t page_bytes = 4096);

    // The start of a block of at least `size` bytes (rounded up to whole pages) aligned to `alignment`.
    // Alignment 0 or below a page means a page; otherwise it must be a power of two, or
    // std::invalid_argument is thrown (a caller's bug, not a shortage). nullopt for a zero size or when
    // no free block fits, as dma_alloc_coherent() returns NULL.
    std::optional<std::uint64_t> allocate(std::uint64_t size, std::uint64_t alignment = 0);

    // Returns the block that starts at `address` to the pool. False, and nothing changes, for an address
    // that is not the start of a live block: a double free or a pointer into the middle of a block.
    bool free(std::uint64_t address);

    std::uint64_t bytes_in_use() const { return bytes_in_use_; }
    std::uint64_t largest_free() const;  // bytes in the largest free block, before any alignment
    std::uint64_t page_bytes() const { return page_bytes_; }

private:
    using Blocks = std::map<std::uint64_t, std::uint64_t>;  // start -> length in bytes, non-overlapping

    std::optional<std::uint64_t> take_first_fit(std::uint64_t size, std::uint64_t alignment);
    void carve(Blocks::iterator block, std::uint64_t start, std::uint64_t size);
    void give_back(std::uint64_t start, std::uint64_t size);

    std::uint64_t page_bytes_;
    Blocks free_;
    Blocks live_;
    std::uint64_t bytes_in_use_ = 0;
};

}  // namespace kernel
}  // namespace iommu_vp
