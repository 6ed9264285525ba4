// The DMA-coherent allocator: page rounding, alignment, first fit, reuse after free, coalescing of freed
// neighbours, exhaustion, refused double frees and bad windows; and many random allocate/free sequences
// checked against a page bitmap that computes where first fit must land.
#include "sw_stack/kernel/coherent_allocator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <optional>
#include <random>
#include <stdexcept>
#include <vector>

namespace iommu_vp {
namespace kernel {
namespace {

constexpr std::uint64_t kPage = 0x1000;

// --- Construction. ---

TEST(KernelCoherentAllocator, BadWindowsAreRefused) {
    EXPECT_THROW(CoherentAllocator(0x8000'0000, 0x10000, 0), std::invalid_argument);       // no page size
    EXPECT_THROW(CoherentAllocator(0x8000'0000, 0x10000, 0x3000), std::invalid_argument);  // not a power of 2
    EXPECT_THROW(CoherentAllocator(0x8000'0800, 0x10000), std::invalid_argument);          // base mid-page
    EXPECT_THROW(CoherentAllocator(0x8000'0000, 0), std::invalid_argument);                // empty
    EXPECT_THROW(CoherentAllocator(0x8000'0000, 0x1800), std::invalid_argument);           // part of a page
    EXPECT_THROW(CoherentAllocator(0xFFFF'FFFF'FFFF'F000ULL, kPage), std::invalid_argument);  // ends at 2^64
    EXPECT_NO_THROW(CoherentAllocator(0xFFFF'FFFF'FFFF'E000ULL, kPage));
    EXPECT_NO_THROW(CoherentAllocator(0, kPage));
    EXPECT_NO_THROW(CoherentAllocator(0x10000, 0x20000, 0x10000));  // 64K pages
}

TEST(KernelCoherentAllocator, FreshWindowIsOneFreeBlock) {
    CoherentAllocator allocator(0x8000'0000, 16 * kPage);
    EXPECT_EQ(allocator.bytes_in_use(), 0u);
    EXPECT_EQ(allocator.largest_free(), 16 * kPage);
    EXPECT_EQ(allocator.page_bytes(), kPage);
}

// --- Allocation. ---

TEST(KernelCoherentAllocator, SizesRoundUpToWholePagesFromTheBottom) {
    CoherentAllocator allocator(0x8000'0000, 16 * kPage);
    EXPECT_EQ(allocator.allocate(1), std::optional<std::uint64_t>(0x8000'0000));
    EXPECT_EQ(allocator.bytes_in_use(), kPage);
    EXPECT_EQ(allocator.allocate(kPage + 1), std::optional<std::uint64_t>(0x8000'1000));  // two pages
    EXPECT_EQ(allocator.bytes_in_use(), 3 * kPage);
    EXPECT_EQ(allocator.allocate(kPage), std::optional<std::uint64_t>(0x8000'3000));
    EXPECT_EQ(allocator.largest_free(), 12 * kPage);
}

TEST(KernelCoherentAllocator, ZeroOrImpossibleSizesGiveNothing) {
    CoherentAllocator allocator(0x8000'0000, 16 * kPage);
    EXPECT_EQ(allocator.allocate(0), std::nullopt);
    EXPECT_EQ(allocator.allocate(~std::uint64_t{0}), std::nullopt);  // would wrap when rounded up
    EXPECT_EQ(allocator.allocate(17 * kPage), std::nullopt);
    EXPECT_EQ(allocator.bytes_in_use(), 0u);
}

TEST(KernelCoherentAllocator, AlignmentIsOfTheAbsoluteAddress) {
    // The window starts 4K past a 64K boundary, so aligned blocks cannot simply start at the base.
    CoherentAllocator allocator(0x4000'1000, 64 * kPage);  // up to 0x4004'1000
    EXPECT_EQ(allocator.allocate(kPage, 0x10000), std::optional<std::uint64_t>(0x4001'0000));
    // The gap in front of it stays free and first fit uses it.
    EXPECT_EQ(allocator.allocate(kPage), std::optional<std::uint64_t>(0x4000'1000));
    EXPECT_EQ(allocator.allocate(kPage, 0x2000), std::optional<std::uint64_t>(0x4000'2000));
    EXPECT_EQ(allocator.allocate(kPage, 0x4000), std::optional<std::uint64_t>(0x4000'4000));
    EXPECT_EQ(allocator.allocate(kPage, 16), std::optional<std::uint64_t>(0x4000'3000));  // below a page: a page
    EXPECT_EQ(allocator.allocate(kPage, 0x100000), std::nullopt);  // next 1M boundary, 0x4010'0000, is outside
    EXPECT_EQ(allocator.bytes_in_use(), 5 * kPage);
}

TEST(KernelCoherentAllocator, AlignmentThatIsNotAPowerOfTwoIsACallersBug) {
    CoherentAllocator allocator(0x4000'0000, 64 * kPage);
    EXPECT_THROW(allocator.allocate(kPage, 0x3000), std::invalid_argument);
    EXPECT_THROW(allocator.allocate(kPage, 24), std::invalid_argument);
    EXPECT_EQ(allocator.bytes_in_use(), 0u);
}

TEST(KernelCoherentAllocator, FreedMemoryIsReused) {
    CoherentAllocator allocator(0x8000'0000, 16 * kPage);
    const std::uint64_t first = *allocator.allocate(kPage);
    const std::uint64_t second = *allocator.allocate(kPage);
    EXPECT_EQ(second, first + kPage);
    EXPECT_TRUE(allocator.free(first));
    EXPECT_EQ(allocator.bytes_in_use(), kPage);
    EXPECT_EQ(allocator.allocate(kPage), std::optional<std::uint64_t>(first));
}

TEST(KernelCoherentAllocator, FreedNeighboursCoalesceToServeALargerRequest) {
    CoherentAllocator allocator(0x8000'0000, 4 * kPage);
    const std::uint64_t a = *allocator.allocate(kPage);
    const std::uint64_t b = *allocator.allocate(kPage);
    const std::uint64_t c = *allocator.allocate(kPage);
    const std::uint64_t d = *allocator.allocate(kPage);
    EXPECT_EQ(allocator.largest_free(), 0u);

    EXPECT_TRUE(allocator.free(c));
    EXPECT_TRUE(allocator.free(b));  // merges with its upper neighbour
    EXPECT_EQ(allocator.largest_free(), 2 * kPage);
    EXPECT_EQ(allocator.allocate(2 * kPage), std::optional<std::uint64_t>(b));

    EXPECT_TRUE(allocator.free(b));
    EXPECT_TRUE(allocator.free(d));  // merges with its lower neighbour: b..d
    EXPECT_EQ(allocator.largest_free(), 3 * kPage);
    EXPECT_TRUE(allocator.free(a));  // joins b..d: the whole window again
    EXPECT_EQ(allocator.largest_free(), 4 * kPage);
    EXPECT_EQ(allocator.allocate(4 * kPage), std::optional<std::uint64_t>(a));
}

TEST(KernelCoherentAllocator, BlockFreedBetweenTwoFreeBlocksJoinsBoth) {
    CoherentAllocator allocator(0x8000'0000, 3 * kPage);
    const std::uint64_t a = *allocator.allocate(kPage);
    const std::uint64_t b = *allocator.allocate(kPage);
    const std::uint64_t c = *allocator.allocate(kPage);
    EXPECT_TRUE(allocator.free(a));
    EXPECT_TRUE(allocator.free(c));
    EXPECT_EQ(allocator.largest_free(), kPage);
    EXPECT_EQ(allocator.allocate(2 * kPage), std::nullopt);  // two separate free pages are not two pages
    EXPECT_TRUE(allocator.free(b));
    EXPECT_EQ(allocator.largest_free(), 3 * kPage);
}

TEST(KernelCoherentAllocator, ExhaustionGivesNothingUntilSomethingIsFreed) {
    CoherentAllocator allocator(0x8000'0000, 4 * kPage);
    const std::optional<std::uint64_t> all = allocator.allocate(4 * kPage);
    ASSERT_TRUE(all.has_value());
    EXPECT_EQ(allocator.bytes_in_use(), 4 * kPage);
    EXPECT_EQ(allocator.largest_free(), 0u);
    EXPECT_EQ(allocator.allocate(1), std::nullopt);
    EXPECT_TRUE(allocator.free(*all));
    EXPECT_EQ(allocator.allocate(1), std::optional<std::uint64_t>(0x8000'0000));
}

TEST(KernelCoherentAllocator, DoubleFreeAndForeignAddressesAreRefused) {
    CoherentAllocator allocator(0x8000'0000, 16 * kPage);
    const std::uint64_t two_pages = *allocator.allocate(2 * kPage);
    const std::uint64_t one_page = *allocator.allocate(kPage);
    EXPECT_FALSE(allocator.free(two_pages + kPage));  // inside a live block, not its start
    EXPECT_FALSE(allocator.free(0x8000'8000));        // free memory
    EXPECT_FALSE(allocator.free(0x1000));             // outside the window
    EXPECT_EQ(allocator.bytes_in_use(), 3 * kPage);

    EXPECT_TRUE(allocator.free(two_pages));
    EXPECT_FALSE(allocator.free(two_pages));  // double free
    EXPECT_EQ(allocator.bytes_in_use(), kPage);
    EXPECT_EQ(allocator.largest_free(), 13 * kPage);  // the refusals changed nothing
    EXPECT_TRUE(allocator.free(one_page));
    EXPECT_EQ(allocator.largest_free(), 16 * kPage);
}

// --- Random sequences against a page bitmap. ---

// The pool as one flag per page. First fit over a coalesced free list is the lowest aligned address
// where enough consecutive pages are free, which the bitmap finds by brute force.
class PageBitmap {
public:
    PageBitmap(std::uint64_t base, std::size_t pages) : base_(base), used_(pages, false) {}

    std::optional<std::uint64_t> lowest_fit(std::size_t pages, std::uint64_t alignment) const {
        for (std::size_t first = 0; first + pages <= used_.size(); ++first)
            if (address_of(first) % alignment == 0 && is_free(first, pages)) return address_of(first);
        return std::nullopt;
    }
    bool is_free(std::size_t first, std::size_t pages) const {
        for (std::size_t page = first; page < first + pages; ++page)
            if (used_[page]) return false;
        return true;
    }
    void mark(std::uint64_t address, std::size_t pages, bool used) {
        for (std::size_t page = index_of(address); page < index_of(address) + pages; ++page) used_[page] = used;
    }
    std::uint64_t used_bytes() const {
        std::uint64_t count = 0;
        for (bool used : used_) count += used ? 1 : 0;
        return count * kPage;
    }
    std::uint64_t longest_free_run_bytes() const {
        std::size_t longest = 0;
        std::size_t run = 0;
        for (bool used : used_) {
            run = used ? 0 : run + 1;
            longest = std::max(longest, run);
        }
        return longest * kPage;
    }
    std::size_t index_of(std::uint64_t address) const { return static_cast<std::size_t>((address - base_) / kPage); }
    std::uint64_t address_of(std::size_t page) const { return base_ + page * kPage; }

private:
    std::uint64_t base_;
    std::vector<bool> used_;
};

struct LiveBlock {
    std::uint64_t address;
    std::size_t pages;
};

TEST(KernelCoherentAllocator, RandomSequencesMatchAPageBitmap) {
    constexpr std::uint64_t kBase = 0x0010'3000;  // not 64K-aligned, so alignment matters
    constexpr std::size_t kPages = 256;
    const std::uint64_t alignments[] = {0, 16, kPage, 2 * kPage, 4 * kPage, 16 * kPage, 64 * kPage};

    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        SCOPED_TRACE(::testing::Message() << "seed " << seed);
        std::mt19937_64 random(seed);  // the engine's output is fixed by the standard; no distributions used
        CoherentAllocator allocator(kBase, kPages * kPage);
        PageBitmap model(kBase, kPages);
        std::vector<LiveBlock> live;

        for (int step = 0; step < 400; ++step) {
            if (live.empty() || random() % 100 < 55) {
                const std::uint64_t size = 1 + random() % (12 * kPage);
                const std::uint64_t alignment = alignments[random() % std::size(alignments)];
                const std::size_t pages = static_cast<std::size_t>((size + kPage - 1) / kPage);
                const std::optional<std::uint64_t> expected = model.lowest_fit(pages, std::max(alignment, kPage));
                const std::optional<std::uint64_t> got = allocator.allocate(size, alignment);
                ASSERT_EQ(got, expected) << "step " << step << " size " << size << " alignment " << alignment;
                if (got) {
                    model.mark(*got, pages, true);
                    live.push_back({*got, pages});
                }
            } else {
                const std::size_t victim = static_cast<std::size_t>(random() % live.size());
                ASSERT_TRUE(allocator.free(live[victim].address)) << "step " << step;
                ASSERT_FALSE(allocator.free(live[victim].address)) << "step " << step;
                model.mark(live[victim].address, live[victim].pages, false);
                live[victim] = live.back();
                live.pop_back();
            }
            ASSERT_EQ(allocator.bytes_in_use(), model.used_bytes()) << "step " << step;
            ASSERT_EQ(allocator.largest_free(), model.longest_free_run_bytes()) << "step " << step;
        }
    }
}

}  // namespace
}  // namespace kernel
}  // namespace iommu_vp
