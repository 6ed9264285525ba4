// The bytes a table builder lays out in its physical region before the run writes them: zeroed
// blocks allocated in address order, 64-bit little-endian entries written into them, and the blocks
// handed over as the memory a BuiltTables places.
#pragma once

#include "platform/tables/built_tables.h"

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace iommu_vp::platform {

class MemoryImage {
public:
    MemoryImage(std::uint64_t region_base, std::uint64_t region_size)
        : next_(region_base), end_(region_base + region_size) {}

    // A zeroed block of `bytes` at the next address aligned to `alignment` (a power of two), or
    // nullopt when the region has no room left.
    std::optional<std::uint64_t> allocate(std::uint64_t bytes, std::uint64_t alignment);
    // Writes or reads a 64-bit entry inside an allocated block (outside one: ignored, reads 0).
    void put64(std::uint64_t address, std::uint64_t value);
    std::uint64_t get64(std::uint64_t address) const;
    // The blocks, in address order; the image is empty afterwards.
    std::vector<MemoryBlock> take_blocks();

private:
    std::uint64_t next_;
    std::uint64_t end_;
    std::map<std::uint64_t, std::vector<std::uint8_t>> blocks_;  // by address
};

}  // namespace iommu_vp::platform
