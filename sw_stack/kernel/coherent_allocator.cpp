#include "sw_stack/kernel/coherent_allocator.h"

#include <algorithm>
#include <iterator>
#include <limits>
#include <stdexcept>

namespace iommu_vp {
namespace kernel {
namespace {

constexpr std::uint64_t kLastAddress = std::numeric_limits<std::uint64_t>::max();

bool is_power_of_two(std::uint64_t value) { return value != 0 && (value & (value - 1)) == 0; }

// Bytes to skip from `address` to the next multiple of `alignment` (a power of two); written without
// adding first, so a block near the top of the address space cannot wrap.
std::uint64_t padding_to_alignment(std::uint64_t address, std::uint64_t alignment) {
    const std::uint64_t mask = alignment - 1;
    return (alignment - (address & mask)) & mask;
}

// `size` rounded up to whole pages; nullopt if that does not fit in 64 bits (no window could hold it).
std::optional<std::uint64_t> round_up_to_pages(std::uint64_t size, std::uint64_t page_bytes) {
    const std::uint64_t mask = page_bytes - 1;
    if (size > kLastAddress - mask) return std::nullopt;
    return (size + mask) & ~mask;
}

void check_window(std::uint64_t base, std::uint64_t size, std::uint64_t page_bytes) {
    if (!is_power_of_two(page_bytes))
        throw std::invalid_argument("CoherentAllocator: page_bytes must be a power of two");
    if (base % page_bytes != 0) throw std::invalid_argument("CoherentAllocator: base must be page-aligned");
    if (size == 0 || size % page_bytes != 0)
        throw std::invalid_argument("CoherentAllocator: size must be a non-zero multiple of page_bytes");
    if (size > kLastAddress - base)
        throw std::invalid_argument("CoherentAllocator: the window must end below 2^64");
}

}  // namespace

CoherentAllocator::CoherentAllocator(std::uint64_t base, std::uint64_t size, std::uint64_t page_bytes)
    : page_bytes_(page_bytes) {
    check_window(base, size, page_bytes);
    free_.emplace(base, size);
}

std::optional<std::uint64_t> CoherentAllocator::allocate(std::uint64_t size, std::uint64_t alignment) {
    if (alignment != 0 && !is_power_of_two(alignment))
        throw std::invalid_argument("CoherentAllocator::allocate: alignment must be a power of two");
    if (size == 0) return std::nullopt;
    const std::optional<std::uint64_t> rounded = round_up_to_pages(size, page_bytes_);
    if (!rounded) return std::nullopt;
    // Every block starts on a page, so a smaller alignment is already met.
    return take_first_fit(*rounded, std::max(alignment, page_bytes_));
}

std::optional<std::uint64_t> CoherentAllocator::take_first_fit(std::uint64_t size, std::uint64_t alignment) {
    for (auto block = free_.begin(); block != free_.end(); ++block) {
        const std::uint64_t padding = padding_to_alignment(block->first, alignment);
        if (padding >= block->second || block->second - padding < size) continue;
        const std::uint64_t start = block->first + padding;
        carve(block, start, size);
        live_.emplace(start, size);
        bytes_in_use_ += size;
        return start;
    }
    return std::nullopt;
}

// Removes [start, start + size) from a free block, keeping what is left on either side free.
void CoherentAllocator::carve(Blocks::iterator block, std::uint64_t start, std::uint64_t size) {
    const std::uint64_t block_start = block->first;
    const std::uint64_t block_end = block->first + block->second;
    const std::uint64_t end = start + size;
    free_.erase(block);
    if (start > block_start) free_.emplace(block_start, start - block_start);
    if (end < block_end) free_.emplace(end, block_end - end);
}

bool CoherentAllocator::free(std::uint64_t address) {
    const auto live = live_.find(address);
    if (live == live_.end()) return false;
    const std::uint64_t size = live->second;
    live_.erase(live);
    bytes_in_use_ -= size;
    give_back(address, size);
    return true;
}

// Returns a block to the free list, merged with the free blocks that touch it, so the list always holds
// maximal runs and first fit sees every run whole.
void CoherentAllocator::give_back(std::uint64_t start, std::uint64_t size) {
    auto next = free_.upper_bound(start);
    if (next != free_.end() && next->first == start + size) {
        size += next->second;
        next = free_.erase(next);
    }
    if (next != free_.begin()) {
        const auto previous = std::prev(next);
        if (previous->first + previous->second == start) {
            previous->second += size;
            return;
        }
    }
    free_.emplace_hint(next, start, size);
}

std::uint64_t CoherentAllocator::largest_free() const {
    std::uint64_t largest = 0;
    for (const auto& block : free_) largest = std::max(largest, block.second);
    return largest;
}

}  // namespace kernel
}  // namespace iommu_vp
