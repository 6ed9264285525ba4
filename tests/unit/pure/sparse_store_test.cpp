// Sparse byte store: zero for unwritten bytes, page-crossing accesses, addresses at the top of a
// 2^52-byte memory and the documented size limits.
#include "models/memory/sparse_store.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace iommu_vp {
namespace {

constexpr std::uint64_t k4K = 4096;
constexpr std::uint64_t kMax = std::uint64_t{1} << 52;

std::vector<std::uint8_t> read(const SparseStore& s, std::uint64_t address, std::size_t length) {
    std::vector<std::uint8_t> out(length, 0xEE);
    s.read(address, out.data(), length);
    return out;
}

std::vector<std::uint8_t> ramp(std::size_t length, std::uint8_t first) {
    std::vector<std::uint8_t> v(length);
    std::iota(v.begin(), v.end(), first);
    return v;
}

TEST(SparseStore, UnwrittenMemoryReadsAsZeroAndAllocatesNothing) {
    const SparseStore s(1ULL << 32);
    EXPECT_EQ(read(s, 0x1234'5678, 64), std::vector<std::uint8_t>(64, 0));
    EXPECT_EQ(read(s, 0, 3 * k4K), std::vector<std::uint8_t>(3 * k4K, 0));
    EXPECT_EQ(s.allocated_pages(), 0u);
}

TEST(SparseStore, WriteThenReadRoundTripsAndLeavesNeighboursZero) {
    SparseStore s(1ULL << 20);
    const std::vector<std::uint8_t> data = ramp(16, 1);
    s.write(0x100, data.data(), data.size());
    EXPECT_EQ(read(s, 0x100, 16), data);
    EXPECT_EQ(read(s, 0xF8, 8), std::vector<std::uint8_t>(8, 0));
    EXPECT_EQ(read(s, 0x110, 8), std::vector<std::uint8_t>(8, 0));
    EXPECT_EQ(s.allocated_pages(), 1u);
}

TEST(SparseStore, WritesSpanningPageBoundariesLandOnBothPages) {
    SparseStore s(1ULL << 20);
    // 8 bytes before the boundary at 0x2000, the whole page 0x2000..0x2FFF, and 8 bytes after it.
    const std::vector<std::uint8_t> data = ramp(8 + k4K + 8, 0x10);
    s.write(0x2000 - 8, data.data(), data.size());
    EXPECT_EQ(s.allocated_pages(), 3u);
    EXPECT_EQ(read(s, 0x2000 - 8, data.size()), data);
    EXPECT_EQ(read(s, 0x1FF8, 8), std::vector<std::uint8_t>(data.begin(), data.begin() + 8));
    EXPECT_EQ(read(s, 0x3000, 8), std::vector<std::uint8_t>(data.end() - 8, data.end()));
    // A read that starts on an unwritten page and runs into a written one.
    std::vector<std::uint8_t> expected(16, 0);
    std::copy(data.begin(), data.begin() + 8, expected.begin() + 8);
    EXPECT_EQ(read(s, 0x1FF0, 16), expected);
}

TEST(SparseStore, AddressesAtTheTopOfA52BitMemory) {
    SparseStore s(kMax);
    EXPECT_EQ(s.size(), kMax);
    const std::vector<std::uint8_t> data = ramp(16, 0xA0);
    s.write(kMax - 16, data.data(), data.size());
    EXPECT_EQ(read(s, kMax - 16, 16), data);
    const std::uint8_t last = 0x5A;
    s.write(kMax - 1, &last, 1);
    EXPECT_EQ(read(s, kMax - 1, 1), std::vector<std::uint8_t>{0x5A});
    // A write across the page boundary just below the top.
    s.write(kMax - k4K - 4, data.data(), 8);
    EXPECT_EQ(read(s, kMax - k4K - 4, 8), std::vector<std::uint8_t>(data.begin(), data.begin() + 8));
    EXPECT_EQ(read(s, 0, 8), std::vector<std::uint8_t>(8, 0));  // the bottom is untouched
}

TEST(SparseStore, ContainsChecksTheWholeAccessWithoutOverflow) {
    const SparseStore s(kMax);
    EXPECT_TRUE(s.contains(0, kMax));
    EXPECT_TRUE(s.contains(kMax - 1, 1));
    EXPECT_TRUE(s.contains(kMax - 8, 8));
    EXPECT_FALSE(s.contains(kMax - 1, 2));
    EXPECT_FALSE(s.contains(kMax, 1));
    EXPECT_FALSE(s.contains(1, kMax));
    EXPECT_FALSE(s.contains(~0ULL, 2));             // address + length wraps past 2^64
    EXPECT_FALSE(s.contains(~0ULL - 2, 8));
    EXPECT_FALSE(s.contains(0, kMax + 1));

    const SparseStore small(0x1000);
    EXPECT_TRUE(small.contains(0xFFC, 4));
    EXPECT_FALSE(small.contains(0xFFC, 8));
}

TEST(SparseStore, SizeLimitsAreEnforced) {
    EXPECT_THROW(SparseStore{0}, std::invalid_argument);
    EXPECT_THROW(SparseStore{kMax + 1}, std::invalid_argument);
    EXPECT_THROW(SparseStore{~0ULL}, std::invalid_argument);
    EXPECT_NO_THROW(SparseStore{1});
    EXPECT_NO_THROW(SparseStore{kMax});
}

TEST(SparseStore, PageForHandsOutTheBackingPageOfAnAddress) {
    SparseStore s(1ULL << 24);
    std::uint64_t base = 1;
    std::uint8_t* page = s.page_for(0x5123, base);
    ASSERT_NE(page, nullptr);
    EXPECT_EQ(base, 0x5000u);
    EXPECT_EQ(s.allocated_pages(), 1u);
    EXPECT_EQ(page[0x123], 0);  // a fresh page is zero
    page[0x123] = 0x77;         // a direct write is visible to read()
    EXPECT_EQ(read(s, 0x5123, 1), std::vector<std::uint8_t>{0x77});
    const std::uint8_t byte = 0x99;
    s.write(0x5FFF, &byte, 1);  // and the other way round
    EXPECT_EQ(page[0xFFF], 0x99);
    std::uint64_t again = 0;
    EXPECT_EQ(s.page_for(0x5000, again), page);
    EXPECT_EQ(again, 0x5000u);
}

}  // namespace
}  // namespace iommu_vp
