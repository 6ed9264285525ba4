// The IOVA allocator: top-down next-fit allocation below an inclusive limit, size alignment, reserved
// ranges, exhaustion and the 32-bit shortcut, frees; the per-CPU range caches (reuse, rounding, limits,
// per-CPU separation through the depot, the depot bound, flush on exhaustion) and the counters.
//
// Expected pfns are worked out by hand from Linux's rules (drivers/iommu/iova.c), with a 4 KiB granule
// unless said otherwise: 4 GiB is pfn 0x100000, so a 32-bit limit is pfn 0xFFFFF.
#include "sw_stack/iommu/iova.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <ostream>
#include <random>
#include <stdexcept>
#include <vector>

namespace iommu_vp::iommu {

// Failures print ranges as {lo..hi} (internal linkage: the pure tests share one binary).
static void PrintTo(const Iova& range, std::ostream* out) {
    *out << std::hex << "{0x" << range.pfn_lo << "..0x" << range.pfn_hi << "}" << std::dec;
}

namespace {

constexpr std::uint64_t k4K = 0x1000;
constexpr std::uint64_t kLimit32 = 0xFFFFF;        // DMA_BIT_MASK(32) >> 12
constexpr std::uint64_t kLimit36 = 0xFFFFFFFFFull;  // DMA_BIT_MASK(36) >> 12

Iova range(std::uint64_t pfn_lo, std::uint64_t pfn_hi) { return Iova{pfn_lo, pfn_hi}; }
std::optional<Iova> one(std::uint64_t pfn) { return Iova{pfn, pfn}; }

std::uint64_t next_power_of_two(std::uint64_t value) {
    std::uint64_t power = 1;
    while (power < value) power <<= 1;
    return power;
}

// What alloc_iova_fast allocates for `asked` pages: below 32, the next power of two.
std::uint64_t fast_pages(std::uint64_t asked) { return asked >= 32 ? asked : next_power_of_two(asked); }

// --- Construction and geometry. ---

TEST(IommuIova, BadParametersAreRefused) {
    EXPECT_THROW(IovaDomain(0, 1, 1), std::invalid_argument);          // no granule
    EXPECT_THROW(IovaDomain(0x3000, 1, 1), std::invalid_argument);     // not a power of two
    EXPECT_THROW(IovaDomain(0x800, 1, 1), std::invalid_argument);      // below 4 KiB
    EXPECT_THROW(IovaDomain(k4K, 0, 1), std::invalid_argument);        // IOVA 0 would be usable
    EXPECT_THROW(IovaDomain(k4K, 1ull << 52, 1), std::invalid_argument);  // beyond the 64-bit space
    EXPECT_THROW(IovaDomain(k4K, 1, 0), std::invalid_argument);        // no CPU
    EXPECT_NO_THROW(IovaDomain(0x10000, 1, 1));
}

TEST(IommuIova, GeometryFollowsTheGranule) {
    IovaDomain domain(0x10000, 1, 1);  // 64 KiB granule
    EXPECT_EQ(domain.iova_shift(), 16u);
    EXPECT_EQ(domain.dma_32bit_pfn(), 0x10000u);
    EXPECT_EQ(domain.max_pfn(), 0xFFFF'FFFF'FFFFu);
    EXPECT_EQ(domain.iova_pfn(0x1234'5678), 0x1234u);
    EXPECT_EQ(domain.iova_offset(0x1234'5678), 0x5678u);
    EXPECT_EQ(domain.iova_align(0x10001), 0x20000u);
    EXPECT_EQ(domain.alloc_iova(1, 0xFFFF, false), one(0xFFFF));  // the last 64 KiB page below 4 GiB
    EXPECT_EQ(domain.iova_dma_addr(range(0xFFFF, 0xFFFF)), 0xFFFF'0000u);
    EXPECT_EQ(domain.depot_max_magazines(), 32u);
}

// --- The tree. ---

TEST(IommuIova, SuccessiveAllocationsGoDownFromTheInclusiveLimit) {
    IovaDomain domain(k4K, 1, 1);
    EXPECT_EQ(domain.alloc_iova(1, kLimit32, true), one(0xFFFFF));  // the limit pfn itself is usable
    EXPECT_EQ(domain.alloc_iova(1, kLimit32, true), one(0xFFFFE));
    EXPECT_EQ(domain.alloc_iova(2, kLimit32, true), range(0xFFFFC, 0xFFFFD));
    EXPECT_EQ(domain.alloc_iova(1, kLimit32, true), one(0xFFFFB));
    EXPECT_EQ(domain.tree_ranges(), 4u);
    EXPECT_EQ(domain.stats().allocs_from_tree, 4u);
}

TEST(IommuIova, SizeAlignedRangesStartOnTheSizeRoundedUpToAPowerOfTwo) {
    IovaDomain aligned(k4K, 1, 1);
    EXPECT_EQ(aligned.alloc_iova(3, kLimit32, true), range(0xFFFFC, 0xFFFFE));  // on 4, one page spare above
    IovaDomain five(k4K, 1, 1);
    EXPECT_EQ(five.alloc_iova(5, kLimit32, true), range(0xFFFF8, 0xFFFFC));  // on 8
    IovaDomain unaligned(k4K, 1, 1);
    EXPECT_EQ(unaligned.alloc_iova(3, kLimit32, false), range(0xFFFFD, 0xFFFFF));
}

TEST(IommuIova, AllocationIsNextFitBelowTheCachedNode) {
    IovaDomain domain(k4K, 1, 1);
    EXPECT_EQ(domain.alloc_iova(1, kLimit32, true), one(0xFFFFF));
    EXPECT_EQ(domain.alloc_iova(4, kLimit32, true), range(0xFFFF8, 0xFFFFB));  // leaves 0xFFFFC..E free
    // The walk starts at the last allocation, so the 3-page gap above it is not used yet.
    EXPECT_EQ(domain.alloc_iova(1, kLimit32, true), one(0xFFFF7));
}

TEST(IommuIova, SearchRetriesAboveTheCachedNodeWhenBelowIsFull) {
    IovaDomain domain(k4K, 0xFFFF0, 1);  // usable: 0xFFFF0..0xFFFFF below the 32-bit limit
    EXPECT_EQ(domain.alloc_iova(1, kLimit32, true), one(0xFFFFF));
    EXPECT_EQ(domain.alloc_iova(4, kLimit32, true), range(0xFFFF8, 0xFFFFB));
    EXPECT_EQ(domain.alloc_iova(8, kLimit32, true), range(0xFFFF0, 0xFFFF7));
    // Nothing below 0xFFFF0: the retry walks from the limit down to the cached node and finds the gap.
    EXPECT_EQ(domain.alloc_iova(1, kLimit32, true), one(0xFFFFE));
    EXPECT_EQ(domain.alloc_iova(1, kLimit32, true), one(0xFFFFD));
    EXPECT_EQ(domain.alloc_iova(1, kLimit32, true), one(0xFFFFC));
    EXPECT_EQ(domain.alloc_iova(1, kLimit32, true), std::nullopt);
    EXPECT_EQ(domain.stats().alloc_failures, 1u);
}

TEST(IommuIova, LimitsAreRespected) {
    IovaDomain domain(k4K, 1, 1);
    EXPECT_EQ(domain.alloc_iova(1, 0x1000, false), one(0x1000));
    EXPECT_EQ(domain.alloc_iova(2, 0x1000, true), range(0xFFE, 0xFFF));
    EXPECT_EQ(domain.alloc_iova(1, 0, false), std::nullopt);  // below start_pfn
    IovaDomain wide(k4K, 1, 1);
    EXPECT_EQ(wide.alloc_iova(1, ~0ull, false), one(0xF'FFFF'FFFF'FFFFull));  // clamped to 2^64 - 4 KiB
    IovaDomain at_start(k4K, 0x10, 1);
    EXPECT_EQ(at_start.alloc_iova(1, 0x10, false), one(0x10));
    EXPECT_EQ(at_start.alloc_iova(1, 0x10, false), std::nullopt);
}

TEST(IommuIova, LimitsAtOrBelow4GShareOneCachedNodeAndHigherLimitsAnother) {
    IovaDomain domain(k4K, 1, 1);
    EXPECT_EQ(domain.alloc_iova(1, 0x7FFFF, false), one(0x7FFFF));
    // A 32-bit search starts at the 2 GiB allocation, not at the 4 GiB limit (Linux's cached32_node).
    EXPECT_EQ(domain.alloc_iova(1, kLimit32, false), one(0x7FFFE));
    EXPECT_EQ(domain.alloc_iova(1, kLimit36, false), one(0xFFFFFFFFF));
    EXPECT_EQ(domain.alloc_iova(1, kLimit36, false), one(0xFFFFFFFFE));
    EXPECT_EQ(domain.alloc_iova(1, kLimit32, false), one(0x7FFFD));
}

TEST(IommuIova, ExhaustionReturnsNothing) {
    IovaDomain domain(k4K, 0xFFFF0, 1);
    for (std::uint64_t pfn = 0xFFFFF; pfn >= 0xFFFF0; --pfn)
        EXPECT_EQ(domain.alloc_iova(1, kLimit32, true), one(pfn));
    EXPECT_EQ(domain.alloc_iova(1, kLimit32, true), std::nullopt);
    EXPECT_EQ(domain.stats().alloc_failures, 1u);
    EXPECT_EQ(domain.alloc_iova(1, kLimit36, true), one(0xFFFFFFFFF));  // a higher limit still has room
}

TEST(IommuIova, ZeroSizesGetNothingAndCountNothing) {
    IovaDomain domain(k4K, 1, 1);
    EXPECT_EQ(domain.alloc_iova(0, kLimit32, true), std::nullopt);
    EXPECT_EQ(domain.alloc_iova_fast(0, kLimit32, 0, true), std::nullopt);
    EXPECT_EQ(domain.alloc_iova_fast(1, kLimit32, 0, true), one(0xFFFFF));
    EXPECT_FALSE(domain.free_iova_fast(0xFFFFF, 0, 0));
    EXPECT_EQ(domain.tree_ranges(), 1u);
    EXPECT_EQ(domain.stats().alloc_failures, 0u);
    EXPECT_EQ(domain.stats().frees_to_rcache, 0u);
}

TEST(IommuIova, AFailedSearchAtOrBelow4GFailsLaterOnesOfThatSizeUntilAFreeBelow4G) {
    IovaDomain domain(k4K, 0xFF0, 1);
    for (std::uint64_t pfn = 0xFFF; pfn >= 0xFF0; --pfn)
        ASSERT_EQ(domain.alloc_iova(1, 0xFFF, false), one(pfn));
    EXPECT_EQ(domain.alloc_iova(1, 0xFFF, false), std::nullopt);  // a 24-bit-style limit is full
    // Linux's max32_alloc_size: a 32-bit request now fails at once although 0x1000..0xFFFFF is free.
    EXPECT_EQ(domain.alloc_iova(1, kLimit32, false), std::nullopt);
    EXPECT_EQ(domain.alloc_iova(1, kLimit36, false), one(0xFFFFFFFFF));  // above 4 GiB it searches
    EXPECT_TRUE(domain.free_iova(0xFF5));
    // The free lifts the shortcut and moves the cached node up past the hole, which is found first.
    EXPECT_EQ(domain.alloc_iova(1, kLimit32, false), one(0xFF5));
    EXPECT_EQ(domain.stats().alloc_failures, 2u);
}

TEST(IommuIova, FindAndFreeWorkOnAnyPfnOfARange) {
    IovaDomain domain(k4K, 1, 1);
    ASSERT_EQ(domain.alloc_iova(4, kLimit32, true), range(0xFFFFC, 0xFFFFF));
    EXPECT_EQ(domain.find_iova(0xFFFFD), range(0xFFFFC, 0xFFFFF));
    EXPECT_EQ(domain.find_iova(0xFFFFB), std::nullopt);
    EXPECT_EQ(domain.iova_state(0xFFFFE), IovaState::Allocated);
    EXPECT_TRUE(domain.free_iova(0xFFFFE));
    EXPECT_EQ(domain.find_iova(0xFFFFC), std::nullopt);
    EXPECT_EQ(domain.iova_state(0xFFFFC), IovaState::Free);
    EXPECT_EQ(domain.stats().frees_to_tree, 1u);
}

TEST(IommuIova, FreeingAnUnknownPfnOrAnInexactRangeChangesNothing) {
    IovaDomain domain(k4K, 1, 1);
    ASSERT_EQ(domain.alloc_iova(4, kLimit32, true), range(0xFFFFC, 0xFFFFF));
    EXPECT_FALSE(domain.free_iova(0x1234));
    EXPECT_FALSE(domain.free_iova(~0ull));  // where the anchor sits
    EXPECT_FALSE(domain.free_iova_range(range(0xFFFFC, 0xFFFFE)));
    EXPECT_FALSE(domain.free_iova_range(range(0xFFFFD, 0xFFFFF)));
    EXPECT_EQ(domain.tree_ranges(), 1u);
    EXPECT_EQ(domain.stats().frees_to_tree, 0u);
    EXPECT_TRUE(domain.free_iova_range(range(0xFFFFC, 0xFFFFF)));
    EXPECT_FALSE(domain.free_iova_range(range(0xFFFFC, 0xFFFFF)));  // double free
    EXPECT_EQ(domain.tree_ranges(), 0u);
}

TEST(IommuIova, AFreedRangeIsReusedByTheTree) {
    IovaDomain domain(k4K, 1, 1);
    ASSERT_EQ(domain.alloc_iova(1, kLimit32, true), one(0xFFFFF));
    ASSERT_EQ(domain.alloc_iova(1, kLimit32, true), one(0xFFFFE));
    EXPECT_TRUE(domain.free_iova(0xFFFFE));  // the cached node moves up to 0xFFFFF
    EXPECT_EQ(domain.alloc_iova(1, kLimit32, true), one(0xFFFFE));
}

// --- Reserved ranges. ---

TEST(IommuIova, AllocationSkipsAReservedRange) {
    IovaDomain domain(k4K, 1, 1);
    EXPECT_EQ(domain.reserve_iova(0xFFFF8, 0xFFFFB), range(0xFFFF8, 0xFFFFB));
    EXPECT_EQ(domain.alloc_iova(4, kLimit32, true), range(0xFFFFC, 0xFFFFF));  // above it
    EXPECT_EQ(domain.alloc_iova(4, kLimit32, true), range(0xFFFF4, 0xFFFF7));  // below it
    EXPECT_EQ(domain.iova_state(0xFFFF9), IovaState::Reserved);
    EXPECT_TRUE(domain.iova_reserved_or_used(0xFFFF9));
    EXPECT_TRUE(domain.iova_reserved_or_used(0xFFFF4));
    EXPECT_FALSE(domain.iova_reserved_or_used(0xFFFF3));
}

TEST(IommuIova, AnEightPageRangeSkipsAReservationInTheWay) {
    IovaDomain domain(k4K, 1, 1);
    ASSERT_TRUE(domain.reserve_iova(0xFFFF8, 0xFFFFB));
    EXPECT_EQ(domain.alloc_iova(8, kLimit32, true), range(0xFFFF0, 0xFFFF7));
}

TEST(IommuIova, ReservedRangesAreNeverHandedOutUntilExhaustion) {
    IovaDomain domain(k4K, 0xFFFF0, 1);
    ASSERT_TRUE(domain.reserve_iova(0xFFFF4, 0xFFFF7));
    for (std::uint64_t pfn = 0xFFFFF; pfn >= 0xFFFF8; --pfn)
        EXPECT_EQ(domain.alloc_iova_fast(1, kLimit32, 0, true), one(pfn));
    for (std::uint64_t pfn = 0xFFFF3; pfn >= 0xFFFF0; --pfn)
        EXPECT_EQ(domain.alloc_iova_fast(1, kLimit32, 0, true), one(pfn));
    EXPECT_EQ(domain.alloc_iova_fast(1, kLimit32, 0, true), std::nullopt);
    EXPECT_EQ(domain.stats().allocs_from_tree, 12u);
}

TEST(IommuIova, ReservationsMergeWithWhatTheyOverlap) {
    IovaDomain domain(k4K, 1, 1);
    EXPECT_EQ(domain.reserve_iova(0x10, 0x19), range(0x10, 0x19));
    // The existing range keeps its place; only the part above it is new.
    EXPECT_EQ(domain.reserve_iova(0x15, 0x29), range(0x1A, 0x29));
    // An overlap from below extends the existing range down.
    EXPECT_EQ(domain.reserve_iova(0x05, 0x12), range(0x05, 0x19));
    // Wholly inside: nothing new.
    EXPECT_EQ(domain.reserve_iova(0x20, 0x22), range(0x1A, 0x29));
    EXPECT_EQ(domain.tree_ranges(), 2u);
    EXPECT_EQ(domain.find_iova(0x05), range(0x05, 0x19));
    EXPECT_EQ(domain.find_iova(0x1A), range(0x1A, 0x29));
}

TEST(IommuIova, AReservationAcrossAGapExtendsTheNextRangeDownOverIt) {
    IovaDomain domain(k4K, 1, 1);
    ASSERT_TRUE(domain.reserve_iova(0x10, 0x19));
    ASSERT_TRUE(domain.reserve_iova(0x30, 0x39));
    EXPECT_EQ(domain.reserve_iova(0x15, 0x45), range(0x3A, 0x45));
    EXPECT_EQ(domain.find_iova(0x10), range(0x10, 0x19));
    EXPECT_EQ(domain.find_iova(0x25), range(0x1A, 0x39));  // 0x1A..0x2F joined 0x30..0x39
    EXPECT_EQ(domain.find_iova(0x42), range(0x3A, 0x45));
    EXPECT_EQ(domain.tree_ranges(), 3u);
}

TEST(IommuIova, NonsensicalReservationsAreRefused) {
    IovaDomain domain(k4K, 1, 1);
    EXPECT_EQ(domain.reserve_iova(0x20, 0x10), std::nullopt);
    EXPECT_EQ(domain.reserve_iova(1, 1ull << 52), std::nullopt);  // beyond the 64-bit space
    EXPECT_EQ(domain.tree_ranges(), 0u);
}

TEST(IommuIova, FreeIovaReleasesAReservationAsLinuxDoes) {
    IovaDomain domain(k4K, 0xFFFF0, 1);
    ASSERT_TRUE(domain.reserve_iova(0xFFFF0, 0xFFFFF));
    EXPECT_EQ(domain.alloc_iova(1, kLimit32, true), std::nullopt);
    EXPECT_TRUE(domain.free_iova(0xFFFF8));
    EXPECT_EQ(domain.alloc_iova(1, kLimit32, true), one(0xFFFFF));
}

// --- The range caches. ---

TEST(IommuIova, AFreedRangeIsTheNextOneOfItsSizeOnTheSameCpu) {
    IovaDomain domain(k4K, 1, 2);
    ASSERT_EQ(domain.alloc_iova_fast(1, kLimit32, 0, true), one(0xFFFFF));
    ASSERT_EQ(domain.alloc_iova_fast(1, kLimit32, 0, true), one(0xFFFFE));
    EXPECT_TRUE(domain.free_iova_fast(0xFFFFF, 1, 0));
    // Cached ranges stay in the tree, owned by the magazine.
    EXPECT_EQ(domain.iova_state(0xFFFFF), IovaState::Cached);
    EXPECT_TRUE(domain.iova_reserved_or_used(0xFFFFF));
    EXPECT_EQ(domain.cached_ranges(), 1u);
    // The tree would give 0xFFFFD; the cache gives the freed range back.
    EXPECT_EQ(domain.alloc_iova_fast(1, kLimit32, 0, true), one(0xFFFFF));
    EXPECT_EQ(domain.iova_state(0xFFFFF), IovaState::Allocated);
    EXPECT_EQ(domain.stats().rcache_hits, 1u);
    EXPECT_EQ(domain.stats().rcache_misses, 2u);
    EXPECT_EQ(domain.stats().allocs_from_tree, 2u);
    EXPECT_EQ(domain.stats().frees_to_rcache, 1u);
}

TEST(IommuIova, CacheableSizesAreRoundedUpToAPowerOfTwo) {
    IovaDomain domain(k4K, 1, 1);
    EXPECT_EQ(domain.alloc_iova_fast(3, kLimit32, 0, true), range(0xFFFFC, 0xFFFFF));
    EXPECT_EQ(domain.alloc_iova_fast(17, kLimit32, 0, true), range(0xFFFC0, 0xFFFDF));  // 32 pages
    EXPECT_EQ(domain.alloc_iova_fast(33, kLimit32, 0, true), range(0xFFF80, 0xFFFA0));  // 33, on 64
    // A free names the size asked for; the order it lands in is the rounded size's.
    EXPECT_TRUE(domain.free_iova_fast(0xFFFFC, 3, 0));
    EXPECT_EQ(domain.alloc_iova_fast(4, kLimit32, 0, true), range(0xFFFFC, 0xFFFFF));
}

TEST(IommuIova, FastFreesOfUnknownPfnsWrongSizesOrTwiceAreRefused) {
    IovaDomain domain(k4K, 1, 1);
    ASSERT_EQ(domain.alloc_iova_fast(4, kLimit32, 0, true), range(0xFFFFC, 0xFFFFF));
    ASSERT_EQ(domain.alloc_iova(3, kLimit32, false), range(0xFFFF9, 0xFFFFB));
    EXPECT_FALSE(domain.free_iova_fast(0x1234, 1, 0));   // never allocated
    EXPECT_FALSE(domain.free_iova_fast(0xFFFFD, 4, 0));  // not the start
    EXPECT_FALSE(domain.free_iova_fast(0xFFFFC, 8, 0));  // not its size
    EXPECT_FALSE(domain.free_iova_fast(0xFFFF9, 3, 0));  // 3 pages cached as 4 would overlap a neighbour
    EXPECT_TRUE(domain.free_iova_fast(0xFFFFC, 4, 0));
    EXPECT_FALSE(domain.free_iova_fast(0xFFFFC, 4, 0));  // double free
    EXPECT_FALSE(domain.free_iova(0xFFFFC));             // the magazine owns it now
    EXPECT_EQ(domain.iova_state(0xFFFFC), IovaState::Cached);
    EXPECT_EQ(domain.stats().frees_to_rcache, 1u);
    EXPECT_EQ(domain.stats().frees_to_tree, 0u);
    EXPECT_EQ(domain.cached_ranges(), 1u);
}

TEST(IommuIova, SizesAbove32PagesBypassTheCache) {
    IovaDomain domain(k4K, 1, 1);
    ASSERT_EQ(domain.alloc_iova_fast(64, kLimit32, 0, true), range(0xFFFC0, 0xFFFFF));
    EXPECT_TRUE(domain.free_iova_fast(0xFFFC0, 64, 0));
    EXPECT_EQ(domain.iova_state(0xFFFC0), IovaState::Free);
    EXPECT_EQ(domain.alloc_iova_fast(64, kLimit32, 0, true), range(0xFFFC0, 0xFFFFF));
    EXPECT_EQ(domain.stats().allocs_from_tree, 2u);
    EXPECT_EQ(domain.stats().rcache_hits, 0u);
    EXPECT_EQ(domain.stats().rcache_misses, 0u);  // not a cacheable size: no lookup
    EXPECT_EQ(domain.stats().frees_to_tree, 1u);
    EXPECT_EQ(domain.stats().frees_to_rcache, 0u);
    // 32 pages is the largest cached size.
    ASSERT_EQ(domain.alloc_iova_fast(32, kLimit32, 0, true), range(0xFFFA0, 0xFFFBF));
    EXPECT_TRUE(domain.free_iova_fast(0xFFFA0, 32, 0));
    EXPECT_EQ(domain.iova_state(0xFFFA0), IovaState::Cached);
}

TEST(IommuIova, ACachedRangeAboveALowerLimitIsNotReturned) {
    IovaDomain domain(k4K, 1, 1);
    ASSERT_EQ(domain.alloc_iova_fast(1, kLimit32, 0, true), one(0xFFFFF));
    ASSERT_TRUE(domain.free_iova_fast(0xFFFFF, 1, 0));
    EXPECT_EQ(domain.alloc_iova_fast(1, 0xFFFF, 0, true), one(0xFFFF));  // from the tree
    EXPECT_EQ(domain.iova_state(0xFFFFF), IovaState::Cached);
    EXPECT_EQ(domain.stats().rcache_misses, 2u);
    EXPECT_EQ(domain.alloc_iova_fast(1, kLimit32, 0, true), one(0xFFFFF));  // still cached
}

TEST(IommuIova, NoCachedRangeFitsBelowALimitSmallerThanItsSize) {
    IovaDomain domain(k4K, 1, 1);
    ASSERT_EQ(domain.alloc_iova_fast(2, kLimit32, 0, true), range(0xFFFFE, 0xFFFFF));
    ASSERT_TRUE(domain.free_iova_fast(0xFFFFE, 2, 0));
    // Pfns 0..0 cannot hold 2 pages (Linux's unsigned limit - size would wrap and accept the cached range).
    EXPECT_EQ(domain.alloc_iova_fast(2, 0, 0, false), std::nullopt);
    EXPECT_EQ(domain.iova_state(0xFFFFE), IovaState::Cached);
    EXPECT_EQ(domain.alloc_iova_fast(2, kLimit32, 0, false), range(0xFFFFE, 0xFFFFF));
}

TEST(IommuIova, APopTakesTheNewestCachedPfnUnderTheLimit) {
    IovaDomain domain(k4K, 1, 1);
    ASSERT_EQ(domain.alloc_iova_fast(1, kLimit32, 0, true), one(0xFFFFF));
    ASSERT_EQ(domain.alloc_iova_fast(1, 0xFFFF, 0, true), one(0xFFFF));
    ASSERT_TRUE(domain.free_iova_fast(0xFFFF, 1, 0));
    ASSERT_TRUE(domain.free_iova_fast(0xFFFFF, 1, 0));  // magazine: 0xFFFF, 0xFFFFF (newest)
    EXPECT_EQ(domain.alloc_iova_fast(1, 0xFFFF, 0, true), one(0xFFFF));  // the newest is above the limit
    EXPECT_EQ(domain.alloc_iova_fast(1, kLimit32, 0, true), one(0xFFFFF));
    ASSERT_TRUE(domain.free_iova_fast(0xFFFFF, 1, 0));
    ASSERT_TRUE(domain.free_iova_fast(0xFFFF, 1, 0));  // magazine: 0xFFFFF, 0xFFFF (newest)
    EXPECT_EQ(domain.alloc_iova_fast(1, kLimit32, 0, true), one(0xFFFF));
    EXPECT_EQ(domain.stats().rcache_hits, 3u);
}

TEST(IommuIova, ARangeFreedOnOneCpuIsNotServedToAnotherFromItsMagazines) {
    IovaDomain domain(k4K, 1, 2);
    ASSERT_EQ(domain.alloc_iova_fast(1, kLimit32, 1, true), one(0xFFFFF));
    ASSERT_TRUE(domain.free_iova_fast(0xFFFFF, 1, 1));
    // CPU 0's magazines and the depot are empty: the tree serves it.
    EXPECT_EQ(domain.alloc_iova_fast(1, kLimit32, 0, true), one(0xFFFFE));
    EXPECT_EQ(domain.alloc_iova_fast(1, kLimit32, 1, true), one(0xFFFFF));
}

// One CPU frees 255 single pages: 127 fill "loaded", the 128th swaps it into "prev", 127 more fill the new
// loaded magazine, and the 255th retires that one (frees 128..254) to the depot.
TEST(IommuIova, AnotherCpuGetsRangesThroughTheDepot) {
    IovaDomain domain(k4K, 1, 2);
    for (std::uint64_t nth = 1; nth <= 255; ++nth)
        ASSERT_EQ(domain.alloc_iova_fast(1, kLimit32, 1, true), one(0x100000 - nth));
    for (std::uint64_t nth = 1; nth <= 254; ++nth) ASSERT_TRUE(domain.free_iova_fast(0x100000 - nth, 1, 1));
    EXPECT_EQ(domain.depot_magazines(0), 0u);
    EXPECT_EQ(domain.alloc_iova_fast(1, kLimit32, 0, true), one(0xFFF00));  // still the tree
    ASSERT_TRUE(domain.free_iova_fast(0xFFF01, 1, 1));                      // the 255th free
    EXPECT_EQ(domain.depot_magazines(0), 1u);
    EXPECT_EQ(domain.cached_ranges(), 255u);
    // CPU 0 takes the depot magazine and pops its newest entry, the 254th free.
    EXPECT_EQ(domain.alloc_iova_fast(1, kLimit32, 0, true), one(0xFFF02));
    EXPECT_EQ(domain.depot_magazines(0), 0u);
    EXPECT_EQ(domain.alloc_iova_fast(1, kLimit32, 0, true), one(0xFFF03));
    // CPU 1 pops its loaded magazine (the 255th free), then swaps in prev (frees 1..127, newest last).
    EXPECT_EQ(domain.alloc_iova_fast(1, kLimit32, 1, true), one(0xFFF01));
    EXPECT_EQ(domain.alloc_iova_fast(1, kLimit32, 1, true), one(0xFFF81));
}

TEST(IommuIova, AMagazineRetiredIntoAFullDepotGoesBackToTheTree) {
    IovaDomain domain(k4K, 1, 1, /*depot_max_magazines=*/1);
    for (std::uint64_t nth = 1; nth <= 382; ++nth)
        ASSERT_EQ(domain.alloc_iova_fast(1, kLimit32, 0, true), one(0x100000 - nth));
    for (std::uint64_t nth = 1; nth <= 381; ++nth) ASSERT_TRUE(domain.free_iova_fast(0x100000 - nth, 1, 0));
    EXPECT_EQ(domain.depot_magazines(0), 1u);  // frees 128..254
    EXPECT_EQ(domain.stats().depot_overflows, 0u);
    // Loaded (frees 255..381) and prev (1..127) are full and the depot is at its bound.
    ASSERT_TRUE(domain.free_iova_fast(0xFFE82, 1, 0));  // the 382nd free
    EXPECT_EQ(domain.stats().depot_overflows, 1u);
    EXPECT_EQ(domain.stats().rcache_ranges_released, 127u);
    EXPECT_EQ(domain.depot_magazines(0), 1u);
    EXPECT_EQ(domain.cached_ranges(), 255u);
    EXPECT_EQ(domain.tree_ranges(), 255u);
    EXPECT_EQ(domain.iova_state(0xFFF01), IovaState::Free);    // 255th
    EXPECT_EQ(domain.iova_state(0xFFE83), IovaState::Free);    // 381st
    EXPECT_EQ(domain.iova_state(0xFFE82), IovaState::Cached);  // 382nd, in the emptied loaded magazine
    EXPECT_EQ(domain.iova_state(0xFFF02), IovaState::Cached);  // 254th, in the depot
    EXPECT_EQ(domain.iova_state(0xFFFFF), IovaState::Cached);  // 1st, in prev
    EXPECT_EQ(domain.alloc_iova_fast(1, kLimit32, 0, true), one(0xFFE82));
}

// 254 frees fill loaded and prev; each further 127 retire one magazine: the 32nd at free 4192, the 33rd
// (the first that does not fit) at free 4319.
TEST(IommuIova, TheDefaultDepotHoldsThirtyTwoMagazinesPerSize) {
    IovaDomain domain(k4K, 1, 1);
    for (std::uint64_t nth = 1; nth <= 4319; ++nth)
        ASSERT_EQ(domain.alloc_iova_fast(1, kLimit32, 0, true), one(0x100000 - nth));
    for (std::uint64_t nth = 1; nth <= 4318; ++nth) ASSERT_TRUE(domain.free_iova_fast(0x100000 - nth, 1, 0));
    EXPECT_EQ(domain.depot_magazines(0), 32u);
    EXPECT_EQ(domain.stats().depot_overflows, 0u);
    ASSERT_TRUE(domain.free_iova_fast(0x100000 - 4319, 1, 0));
    EXPECT_EQ(domain.depot_magazines(0), 32u);
    EXPECT_EQ(domain.stats().depot_overflows, 1u);
    EXPECT_EQ(domain.cached_ranges(), 4319u - 127u);
}

TEST(IommuIova, FlushOnExhaustionRecoversRangesCachedOnEveryCpu) {
    IovaDomain domain(k4K, 0xFFFF0, 2);
    for (std::uint64_t pfn = 0xFFFFF; pfn >= 0xFFFF0; --pfn)
        ASSERT_EQ(domain.alloc_iova_fast(1, kLimit32, 0, true), one(pfn));
    ASSERT_TRUE(domain.free_iova_fast(0xFFFF4, 1, 0));
    ASSERT_TRUE(domain.free_iova_fast(0xFFFF5, 1, 1));
    // No cached 2-page range and no 2 free pages in the tree.
    EXPECT_EQ(domain.alloc_iova_fast(2, kLimit32, 0, false), std::nullopt);
    EXPECT_EQ(domain.stats().rcache_flushes, 0u);
    // With flush_rcache both cached pages go back to the tree, where they make one aligned pair.
    EXPECT_EQ(domain.alloc_iova_fast(2, kLimit32, 0, true), range(0xFFFF4, 0xFFFF5));
    EXPECT_EQ(domain.stats().rcache_flushes, 1u);
    EXPECT_EQ(domain.stats().rcache_ranges_released, 2u);
    EXPECT_EQ(domain.stats().rcache_misses, 18u);
    EXPECT_EQ(domain.stats().alloc_failures, 1u);
    EXPECT_EQ(domain.stats().allocs_from_tree, 17u);
    EXPECT_EQ(domain.cached_ranges(), 0u);
}

TEST(IommuIova, CachesCanBeFlushedPerCpuAndGlobally) {
    IovaDomain domain(k4K, 1, 2, /*depot_max_magazines=*/1);
    ASSERT_EQ(domain.alloc_iova_fast(1, kLimit32, 0, true), one(0xFFFFF));
    ASSERT_EQ(domain.alloc_iova_fast(1, kLimit32, 1, true), one(0xFFFFE));
    ASSERT_TRUE(domain.free_iova_fast(0xFFFFF, 1, 0));
    ASSERT_TRUE(domain.free_iova_fast(0xFFFFE, 1, 1));
    domain.free_cpu_cached_iovas(1);
    EXPECT_EQ(domain.iova_state(0xFFFFE), IovaState::Free);
    EXPECT_EQ(domain.iova_state(0xFFFFF), IovaState::Cached);
    domain.free_global_cached_iovas();  // the depot is empty: nothing changes
    EXPECT_EQ(domain.iova_state(0xFFFFF), IovaState::Cached);
    EXPECT_EQ(domain.stats().rcache_ranges_released, 1u);
}

TEST(IommuIova, PutIovaDomainDropsEverything) {
    IovaDomain domain(k4K, 1, 1);
    ASSERT_EQ(domain.alloc_iova_fast(1, kLimit32, 0, true), one(0xFFFFF));
    ASSERT_EQ(domain.alloc_iova_fast(1, kLimit32, 0, true), one(0xFFFFE));
    ASSERT_TRUE(domain.free_iova_fast(0xFFFFF, 1, 0));
    ASSERT_TRUE(domain.reserve_iova(0x100, 0x1FF));
    domain.put_iova_domain();
    EXPECT_EQ(domain.tree_ranges(), 0u);
    EXPECT_EQ(domain.cached_ranges(), 0u);
    EXPECT_EQ(domain.iova_state(0x100), IovaState::Free);
    EXPECT_EQ(domain.alloc_iova_fast(1, kLimit32, 0, true), one(0xFFFFF));  // from the tree again
    EXPECT_EQ(domain.stats().rcache_hits, 0u);
}

TEST(IommuIova, ACpuIndexBeyondNumCpusIsACallerBug) {
    IovaDomain domain(k4K, 1, 2);
    EXPECT_THROW(domain.alloc_iova_fast(1, kLimit32, 2, true), std::out_of_range);
    EXPECT_THROW(domain.free_iova_fast(0xFFFFF, 1, 2), std::out_of_range);
    EXPECT_THROW(domain.free_cpu_cached_iovas(2), std::out_of_range);
    EXPECT_EQ(domain.tree_ranges(), 0u);
}

// Many random allocations and frees on four CPUs in a small space, with a reserved window: whatever the
// caches and the next-fit walk do, a returned range lies within [start_pfn, limit], is aligned to its
// size, overlaps no live range and no reservation; and every range is freed exactly once.
TEST(IommuIova, RandomTrafficNeverHandsOutARangeTwice) {
    constexpr std::uint64_t kStart = 0x100;
    constexpr std::uint64_t kTop = 0x3FF;
    constexpr std::uint64_t kReservedLo = 0x200, kReservedHi = 0x23F;
    IovaDomain domain(k4K, kStart, 4, /*depot_max_magazines=*/2);
    ASSERT_TRUE(domain.reserve_iova(kReservedLo, kReservedHi));
    std::vector<bool> owned(kTop + 1, false);
    struct Live {
        std::uint64_t pfn, asked;
    };
    std::vector<Live> live;
    std::mt19937_64 random(12345);
    for (int step = 0; step < 20000; ++step) {
        const unsigned cpu = static_cast<unsigned>(random() % 4);
        if (live.empty() || random() % 3 != 0) {
            const std::uint64_t asked = 1 + random() % 40;
            const std::uint64_t limit = random() % 2 ? kTop : 0x2FF;
            const std::optional<Iova> got = domain.alloc_iova_fast(asked, limit, cpu, random() % 2 == 1);
            if (!got) continue;
            ASSERT_EQ(got->size(), fast_pages(asked));
            ASSERT_EQ(got->pfn_lo % next_power_of_two(got->size()), 0u);
            ASSERT_GE(got->pfn_lo, kStart);
            ASSERT_LE(got->pfn_hi, limit);
            for (std::uint64_t pfn = got->pfn_lo; pfn <= got->pfn_hi; ++pfn) {
                ASSERT_FALSE(owned[pfn]) << "pfn " << pfn << " handed out twice";
                ASSERT_TRUE(pfn < kReservedLo || pfn > kReservedHi) << "reserved pfn " << pfn;
                owned[pfn] = true;
            }
            live.push_back({got->pfn_lo, asked});
        } else {
            const std::size_t index = random() % live.size();
            const Live victim = live[index];
            live[index] = live.back();
            live.pop_back();
            const std::optional<Iova> found = domain.find_iova(victim.pfn);
            ASSERT_TRUE(found);
            for (std::uint64_t pfn = found->pfn_lo; pfn <= found->pfn_hi; ++pfn) owned[pfn] = false;
            ASSERT_TRUE(domain.free_iova_fast(victim.pfn, victim.asked, cpu));
            ASSERT_FALSE(domain.free_iova_fast(victim.pfn, victim.asked, cpu));
        }
    }
    EXPECT_GT(domain.stats().rcache_hits, 0u);
    EXPECT_GT(domain.stats().alloc_failures, 0u);
}

}  // namespace
}  // namespace iommu_vp::iommu
