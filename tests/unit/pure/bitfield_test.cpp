// Named {lsb, width} fields: extract, insert, masks, including the full 64-bit width and the top bits.
#include "models/common/bitfield.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace iommu_vp {
namespace {

constexpr std::uint64_t kAllOnes = ~std::uint64_t{0};

TEST(BitField, ExtractsAndInsertsAMidWordField) {
    constexpr BitField field{8, 4};  // bits [11:8]
    EXPECT_EQ(field.mask(), 0xF00u);
    EXPECT_EQ(field.extract(0xABCD), 0xBu);
    EXPECT_EQ(field.insert(0xABCD, 0x5), 0xA5CDu);
    EXPECT_EQ(field.msb(), 11u);
}

TEST(BitField, InsertDropsValueBitsBeyondTheWidth) {
    constexpr BitField field{4, 4};
    EXPECT_EQ(field.insert(0x0, 0x1F), 0xF0u);           // bit 4 of the value is dropped
    EXPECT_EQ(field.insert(0xFFFF, 0x0), 0xFF0Fu);       // other bits untouched
}

TEST(BitField, FullWidthFieldCoversTheWholeWord) {
    constexpr BitField whole{0, 64};
    EXPECT_EQ(whole.mask(), kAllOnes);
    EXPECT_EQ(whole.extract(0x8000'0000'0000'0001ULL), 0x8000'0000'0000'0001ULL);
    EXPECT_EQ(whole.insert(0x1234, 0xFEDC'BA98'7654'3210ULL), 0xFEDC'BA98'7654'3210ULL);
    EXPECT_EQ(whole.msb(), 63u);
    static_assert(BitField{0, 64}.mask() == ~std::uint64_t{0});
}

TEST(BitField, TopBitsAreExtractedWithoutSignOrShiftTrouble) {
    constexpr BitField top = bit(63);
    EXPECT_EQ(top.mask(), 0x8000'0000'0000'0000ULL);
    EXPECT_TRUE(top.is_set_in(0x8000'0000'0000'0000ULL));
    EXPECT_FALSE(top.is_set_in(0x7FFF'FFFF'FFFF'FFFFULL));
    EXPECT_EQ(top.insert(0, 1), 0x8000'0000'0000'0000ULL);

    constexpr BitField high_nibble = bits(63, 60);
    EXPECT_EQ(high_nibble.lsb, 60u);
    EXPECT_EQ(high_nibble.width, 4u);
    EXPECT_EQ(high_nibble.extract(0xA000'0000'0000'0000ULL), 0xAu);
    EXPECT_EQ(high_nibble.insert(kAllOnes, 0x3), 0x3FFF'FFFF'FFFF'FFFFULL);

    constexpr BitField upper_half = bits(63, 32);
    EXPECT_EQ(upper_half.extract(0xDEAD'BEEF'0000'0001ULL), 0xDEAD'BEEFu);
    EXPECT_EQ(upper_half.insert(0x1, 0xCAFE'F00D), 0xCAFE'F00D'0000'0001ULL);
}

TEST(BitField, BitsHiLoMatchesTheSpecificationNotation) {
    constexpr BitField f = bits(51, 12);  // an address field of a descriptor
    EXPECT_EQ(f.lsb, 12u);
    EXPECT_EQ(f.width, 40u);
    EXPECT_EQ(f.msb(), 51u);
    EXPECT_EQ(f.mask(), 0x000F'FFFF'FFFF'F000ULL);
    EXPECT_EQ(f.extract(0xFFFF'FFFF'FFFF'FFFFULL), 0xFF'FFFF'FFFFULL);
    EXPECT_FALSE(bit(0).is_set_in(0x2));
    EXPECT_TRUE(bit(1).is_set_in(0x2));
}

TEST(BitField, LowMaskAlignAndPowerOfTwoHelpers) {
    EXPECT_EQ(low_mask(0), 0u);
    EXPECT_EQ(low_mask(1), 1u);
    EXPECT_EQ(low_mask(12), 0xFFFu);
    EXPECT_EQ(low_mask(63), 0x7FFF'FFFF'FFFF'FFFFULL);
    EXPECT_EQ(low_mask(64), kAllOnes);

    EXPECT_FALSE(is_power_of_two(0));
    EXPECT_TRUE(is_power_of_two(1));
    EXPECT_TRUE(is_power_of_two(4096));
    EXPECT_FALSE(is_power_of_two(4097));
    EXPECT_TRUE(is_power_of_two(0x8000'0000'0000'0000ULL));

    EXPECT_EQ(align_down(0x1FFF, 0x1000), 0x1000u);
    EXPECT_EQ(align_down(0x1000, 0x1000), 0x1000u);
    EXPECT_EQ(align_down(0xFFFF'FFFF'FFFF'FFFFULL, 0x1000), 0xFFFF'FFFF'FFFF'F000ULL);
}

}  // namespace
}  // namespace iommu_vp
