// Little-endian byte packing: register data on the bus, descriptors, commands and event records
// are all little-endian 64-bit words in memory.
#pragma once

#include <cstdint>

namespace iommu_vp {

// The value of `length` bytes (1..8), first byte least significant.
constexpr std::uint64_t load_le(const std::uint8_t* bytes, unsigned length) {
    std::uint64_t value = 0;
    for (unsigned i = length; i-- > 0;) value = (value << 8) | bytes[i];
    return value;
}

// Writes the low `length` bytes (1..8) of `value`, least significant first.
constexpr void store_le(std::uint8_t* bytes, unsigned length, std::uint64_t value) {
    for (unsigned i = 0; i < length; ++i, value >>= 8) bytes[i] = static_cast<std::uint8_t>(value);
}

}  // namespace iommu_vp
