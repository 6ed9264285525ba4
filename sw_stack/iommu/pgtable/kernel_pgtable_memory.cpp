#include "sw_stack/iommu/pgtable/kernel_pgtable_memory.h"

#include "sw_stack/kernel/dma_memory.h"
#include "sw_stack/kernel/io.h"

#include <algorithm>
#include <array>

namespace iommu_vp::iommu {

namespace {
// Zeroing goes out in chunks of this many bytes (one runtime call each).
constexpr std::size_t kZeroChunkBytes = 4096;
}  // namespace

std::optional<std::uint64_t> KernelPgtableMemory::alloc_table(std::size_t bytes) {
    // Naturally aligned: a table's address must be a multiple of its size (TTB / SLPTPTR alignment,
    // and the concatenated stage-2 start tables).
    const auto address = kernel::dma_alloc_coherent(bytes, bytes);
    if (!address) return std::nullopt;
    static const std::array<std::uint8_t, kZeroChunkBytes> zeros{};
    for (std::size_t offset = 0; offset < bytes; offset += kZeroChunkBytes) {
        kernel::memory_write(*address + offset, zeros.data(), std::min(kZeroChunkBytes, bytes - offset));
    }
    return address;
}

void KernelPgtableMemory::free_table(std::uint64_t address, std::size_t) { kernel::dma_free_coherent(address); }

std::uint64_t KernelPgtableMemory::read64(std::uint64_t address) { return kernel::memory_read64(address); }

void KernelPgtableMemory::write64(std::uint64_t address, std::uint64_t value) {
    kernel::memory_write64(address, value);
}

std::uint64_t KernelPgtableMemory::cmpxchg64(std::uint64_t address, std::uint64_t expected, std::uint64_t desired) {
    return kernel::cmpxchg64(address, expected, desired);
}

void KernelPgtableMemory::publish() { kernel::dma_wmb(); }

}  // namespace iommu_vp::iommu
