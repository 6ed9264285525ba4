// Named bit fields: {lsb, width} constants with extract/insert, so register and descriptor layouts
// are written as tables of fields rather than as bare shifts and masks.
#pragma once

#include <cstdint>

namespace iommu_vp {

struct BitField {
    unsigned lsb;
    unsigned width;

    constexpr std::uint64_t mask() const {
        return (width >= 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << width) - 1)) << lsb;
    }
    constexpr std::uint64_t extract(std::uint64_t word) const { return (word & mask()) >> lsb; }
    // Returns `word` with this field replaced by `value` (bits of value beyond the width are dropped).
    constexpr std::uint64_t insert(std::uint64_t word, std::uint64_t value) const {
        return (word & ~mask()) | ((value << lsb) & mask());
    }
    constexpr bool is_set_in(std::uint64_t word) const { return extract(word) != 0; }
    constexpr unsigned msb() const { return lsb + width - 1; }
};

// A field at bit position [hi:lo], as specifications write it.
constexpr BitField bits(unsigned hi, unsigned lo) { return BitField{lo, hi - lo + 1}; }
constexpr BitField bit(unsigned position) { return BitField{position, 1}; }

// Low `n` bits set (n may be 0..64).
constexpr std::uint64_t low_mask(unsigned n) { return n >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1; }

constexpr bool is_power_of_two(std::uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

constexpr std::uint64_t align_down(std::uint64_t v, std::uint64_t alignment) { return v & ~(alignment - 1); }

}  // namespace iommu_vp
