// The CPU store buffer: store-to-load forwarding, program-order release, the checking mode's seeded
// release order (a permutation that keeps same-byte stores in program order and reproduces from its
// seed), single-copy-atomic 8-byte units, and the cache-line count the release cost is charged on.
#include "sw_stack/kernel/store_buffer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <vector>

namespace iommu_vp {
namespace kernel {
namespace {

using Bytes = std::vector<std::uint8_t>;

void store_bytes(StoreBuffer& buffer, std::uint64_t address, const Bytes& bytes) {
    buffer.store(address, bytes.data(), bytes.size());
}

// A store of `length` bytes whose every byte is `tag`, so a released unit shows which store it came from.
void store_tagged(StoreBuffer& buffer, std::uint64_t address, std::size_t length, std::uint8_t tag) {
    store_bytes(buffer, address, Bytes(length, tag));
}

std::vector<std::uint64_t> sequences_of(const std::vector<BufferedStore>& released) {
    std::vector<std::uint64_t> sequences;
    for (const BufferedStore& store : released) sequences.push_back(store.sequence);
    return sequences;
}

bool overlap(const BufferedStore& a, const BufferedStore& b) {
    return a.address < b.address + b.bytes.size() && b.address < a.address + a.bytes.size();
}

// Memory as the hardware sees it after the released stores land in the given order.
std::map<std::uint64_t, std::uint8_t> memory_after(const std::vector<BufferedStore>& released) {
    std::map<std::uint64_t, std::uint8_t> memory;
    for (const BufferedStore& store : released)
        for (std::size_t i = 0; i < store.bytes.size(); ++i) memory[store.address + i] = store.bytes[i];
    return memory;
}

// --- The generator. ---

TEST(KernelSplitMix64, MatchesThePublishedSequenceForSeedZero) {
    // splitmix64.c from prng.di.unimi.it, seeded with 0.
    SplitMix64 random(0);
    EXPECT_EQ(random.next(), 0xE220A8397B1DCDAFULL);
    EXPECT_EQ(random.next(), 0x6E789E6AA1B965F4ULL);
    EXPECT_EQ(random.next(), 0x06C45D188009454FULL);
    EXPECT_EQ(random.next(), 0xF88BB8A8724C81ECULL);
}

TEST(KernelSplitMix64, BelowStaysInRange) {
    SplitMix64 random(7);
    EXPECT_EQ(random.below(0), 0u);
    EXPECT_EQ(random.below(1), 0u);
    std::set<std::uint64_t> seen;
    for (int i = 0; i < 1000; ++i) {
        const std::uint64_t draw = random.below(5);
        ASSERT_LT(draw, 5u);
        seen.insert(draw);
    }
    EXPECT_EQ(seen.size(), 5u);  // 1000 draws miss one of five values with probability about 5 * 0.8^1000
}

// --- Construction. ---

TEST(KernelStoreBuffer, CacheLineMustBeAPowerOfTwoOfAtLeastEightBytes) {
    for (unsigned bad : {0u, 4u, 48u, 96u})
        EXPECT_THROW(StoreBuffer(OrderingMode::program_order, 0, bad), std::invalid_argument) << bad;
    for (unsigned good : {8u, 64u, 128u})
        EXPECT_NO_THROW(StoreBuffer(OrderingMode::program_order, 0, good)) << good;
}

TEST(KernelStoreBuffer, StoreRunningPastTheTopOfTheAddressSpaceIsRefused) {
    StoreBuffer buffer(OrderingMode::program_order, 0);
    const Bytes eight(8, 0x11);
    EXPECT_THROW(buffer.store(0xFFFF'FFFF'FFFF'FFF8ULL, eight.data(), 8), std::invalid_argument);
    EXPECT_TRUE(buffer.empty());
    EXPECT_NO_THROW(buffer.store(0xFFFF'FFFF'FFFF'FFF8ULL, eight.data(), 7));
    EXPECT_EQ(buffer.pending_stores(), 1u);
}

// --- Forwarding. ---

TEST(KernelStoreBuffer, ForwardWithNothingBufferedLeavesMemoryDataAlone) {
    StoreBuffer buffer(OrderingMode::program_order, 0);
    Bytes data{1, 2, 3, 4};
    buffer.forward(0x100, data.data(), data.size());
    EXPECT_EQ(data, (Bytes{1, 2, 3, 4}));
}

TEST(KernelStoreBuffer, ForwardOverlaysPartialOverlapsNewestWinning) {
    StoreBuffer buffer(OrderingMode::program_order, 0);
    store_bytes(buffer, 0x100, {0x11, 0x22, 0x33, 0x44});  // 0x100..0x103
    store_bytes(buffer, 0x102, {0x55, 0x66, 0x77, 0x88});  // 0x102..0x105, newer over 0x102..0x103
    Bytes data(10, 0xAA);                                  // memory's view of 0x0FE..0x107
    buffer.forward(0x0FE, data.data(), data.size());
    EXPECT_EQ(data, (Bytes{0xAA, 0xAA, 0x11, 0x22, 0x55, 0x66, 0x77, 0x88, 0xAA, 0xAA}));
}

TEST(KernelStoreBuffer, ForwardOfAWindowInsideOneStoreTakesOnlyItsBytes) {
    StoreBuffer buffer(OrderingMode::program_order, 0);
    store_bytes(buffer, 0x200, {0, 1, 2, 3, 4, 5, 6, 7});
    Bytes data(3, 0xAA);
    buffer.forward(0x203, data.data(), data.size());
    EXPECT_EQ(data, (Bytes{3, 4, 5}));
}

TEST(KernelStoreBuffer, ForwardKeepsAnOlderStoreWhereTheNewerOneDoesNotReach) {
    StoreBuffer buffer(OrderingMode::program_order, 0);
    store_bytes(buffer, 0x300, {0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80});
    store_bytes(buffer, 0x304, {0x99});  // newer, a single byte in the middle
    store_bytes(buffer, 0x300, {0xEE});  // newest, the first byte
    Bytes data(8, 0);
    buffer.forward(0x300, data.data(), data.size());
    EXPECT_EQ(data, (Bytes{0xEE, 0x20, 0x30, 0x40, 0x99, 0x60, 0x70, 0x80}));
}

TEST(KernelStoreBuffer, ForwardSeesNothingOnceReleased) {
    StoreBuffer buffer(OrderingMode::program_order, 0);
    store_bytes(buffer, 0x100, {0x11});
    buffer.release_all();
    Bytes data{0xAA};
    buffer.forward(0x100, data.data(), data.size());
    EXPECT_EQ(data, (Bytes{0xAA}));
}

// --- Units. ---

TEST(KernelStoreBuffer, StoresAreCutAtNaturallyAlignedDoublewords) {
    StoreBuffer buffer(OrderingMode::program_order, 0);
    store_tagged(buffer, 0x1000, 8, 0xA1);  // aligned doubleword: one unit
    store_tagged(buffer, 0x1024, 4, 0xA2);  // aligned word: one unit
    store_tagged(buffer, 0x1043, 8, 0xA3);  // misaligned doubleword: 0x1043..0x1047 and 0x1048..0x104A
    store_tagged(buffer, 0x1064, 20, 0xA4); // memcpy: 0x1064..0x1067, 0x1068..0x106F, 0x1070..0x1077
    store_tagged(buffer, 0x1080, 0, 0xA5);  // empty: nothing
    const std::vector<BufferedStore> released = buffer.release_all();

    const std::vector<std::uint64_t> addresses{0x1000, 0x1024, 0x1043, 0x1048, 0x1064, 0x1068, 0x1070};
    const std::vector<std::size_t> lengths{8, 4, 5, 3, 4, 8, 8};
    const std::vector<std::uint8_t> tags{0xA1, 0xA2, 0xA3, 0xA3, 0xA4, 0xA4, 0xA4};
    ASSERT_EQ(released.size(), addresses.size());
    for (std::size_t i = 0; i < released.size(); ++i) {
        EXPECT_EQ(released[i].address, addresses[i]) << i;
        EXPECT_EQ(released[i].bytes, Bytes(lengths[i], tags[i])) << i;
    }
}

TEST(KernelStoreBuffer, MemcpyStyleStoreKeepsItsBytesInOrderAcrossUnits) {
    StoreBuffer buffer(OrderingMode::program_order, 0);
    Bytes source(12);
    for (std::size_t i = 0; i < source.size(); ++i) source[i] = static_cast<std::uint8_t>(0x30 + i);
    store_bytes(buffer, 0x2006, source);  // 0x2006..0x2007, 0x2008..0x200F, 0x2010..0x2011
    const std::vector<BufferedStore> released = buffer.release_all();
    ASSERT_EQ(released.size(), 3u);
    EXPECT_EQ(released[0].bytes, (Bytes{0x30, 0x31}));
    EXPECT_EQ(released[1].bytes, (Bytes{0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39}));
    EXPECT_EQ(released[2].bytes, (Bytes{0x3A, 0x3B}));
}

// --- Program order. ---

TEST(KernelStoreBuffer, ProgramOrderModeReleasesInProgramOrderAndEmpties) {
    StoreBuffer buffer(OrderingMode::program_order, 0);
    store_tagged(buffer, 0x500, 8, 1);
    store_tagged(buffer, 0x100, 4, 2);
    store_tagged(buffer, 0x900, 2, 3);
    store_tagged(buffer, 0x100, 1, 4);
    EXPECT_EQ(buffer.pending_stores(), 4u);
    EXPECT_FALSE(buffer.empty());

    const std::vector<BufferedStore> released = buffer.release_all();
    ASSERT_EQ(released.size(), 4u);
    EXPECT_EQ(sequences_of(released), (std::vector<std::uint64_t>{0, 1, 2, 3}));
    EXPECT_EQ(released[0].address, 0x500u);
    EXPECT_EQ(released[1].address, 0x100u);
    EXPECT_EQ(released[2].address, 0x900u);
    EXPECT_EQ(released[3].bytes, (Bytes{4}));
    EXPECT_TRUE(buffer.empty());
    EXPECT_EQ(buffer.pending_stores(), 0u);
    EXPECT_TRUE(buffer.release_all().empty());
}

TEST(KernelStoreBuffer, SequenceNumbersCarryOnAcrossReleases) {
    StoreBuffer buffer(OrderingMode::program_order, 0);
    store_tagged(buffer, 0x0, 16, 1);  // two units: sequences 0 and 1
    buffer.release_all();
    store_tagged(buffer, 0x0, 8, 2);
    EXPECT_EQ(sequences_of(buffer.release_all()), (std::vector<std::uint64_t>{2}));
}

// --- Checking mode. ---

// Eight stores, some sharing bytes: A 0x100+8, B 0x104+2 (in A), C 0x200+4, D 0x100+1 (in A),
// E 0x300+8, F 0x106+2 (in A, beside B), G 0x202+2 (in C), H 0x100+8 (over A, B, D, F).
void store_overlapping_eight(StoreBuffer& buffer) {
    store_tagged(buffer, 0x100, 8, 0xA);
    store_tagged(buffer, 0x104, 2, 0xB);
    store_tagged(buffer, 0x200, 4, 0xC);
    store_tagged(buffer, 0x100, 1, 0xD);
    store_tagged(buffer, 0x300, 8, 0xE);
    store_tagged(buffer, 0x106, 2, 0xF);
    store_tagged(buffer, 0x202, 2, 0x6);
    store_tagged(buffer, 0x100, 8, 0x8);
}

TEST(KernelStoreBuffer, CheckingModeReleasesAPermutationKeepingOverlappingStoresInOrder) {
    StoreBuffer reference(OrderingMode::program_order, 0);
    store_overlapping_eight(reference);
    const std::vector<BufferedStore> in_program_order = reference.release_all();

    for (std::uint64_t seed = 0; seed < 200; ++seed) {
        SCOPED_TRACE(::testing::Message() << "seed " << seed);
        StoreBuffer buffer(OrderingMode::checking, seed);
        store_overlapping_eight(buffer);
        const std::vector<BufferedStore> released = buffer.release_all();
        EXPECT_TRUE(buffer.empty());

        std::vector<std::uint64_t> sorted = sequences_of(released);
        std::sort(sorted.begin(), sorted.end());
        ASSERT_EQ(sorted, (std::vector<std::uint64_t>{0, 1, 2, 3, 4, 5, 6, 7}));  // each unit exactly once
        for (const BufferedStore& store : released)
            EXPECT_EQ(store.bytes, in_program_order[store.sequence].bytes);  // and whole

        for (std::size_t earlier = 0; earlier < released.size(); ++earlier)
            for (std::size_t later = earlier + 1; later < released.size(); ++later)
                if (overlap(released[earlier], released[later])) {
                    EXPECT_LT(released[earlier].sequence, released[later].sequence);
                }
        EXPECT_EQ(memory_after(released), memory_after(in_program_order));  // coherence: same final memory
    }
}

TEST(KernelStoreBuffer, CheckingModeKeepsRepeatedWritesToOneWordInProgramOrder) {
    // A value polled by hardware and rewritten five times: only the program order is legal.
    StoreBuffer buffer(OrderingMode::checking, 3);
    for (std::uint8_t value = 1; value <= 5; ++value) store_tagged(buffer, 0x40, 4, value);
    EXPECT_EQ(sequences_of(buffer.release_all()), (std::vector<std::uint64_t>{0, 1, 2, 3, 4}));
}

void store_eight_independent(StoreBuffer& buffer) {
    for (std::uint8_t i = 0; i < 8; ++i) store_tagged(buffer, 0x1000 + 0x40 * i, 8, i);
}

std::vector<std::uint64_t> checking_order(std::uint64_t seed) {
    StoreBuffer buffer(OrderingMode::checking, seed);
    store_eight_independent(buffer);
    return sequences_of(buffer.release_all());
}

TEST(KernelStoreBuffer, CheckingModeOrderForSeedZeroIsPinned) {
    // Recorded failing seeds must replay on every host and every later build. Worked out from the
    // SplitMix64 outputs for seed 0: each step draws below(ready count) and takes that ready unit, the
    // last ready unit filling its slot. 0xE220A8397B1DCDAF % 8 = 7 takes unit 7; 0x6E789E6AA1B965F4 % 7
    // = 1 takes unit 1 (unit 6 moves into slot 1); 0x06C45D188009454F % 6 = 1 takes unit 6; and so on.
    EXPECT_EQ(checking_order(0), (std::vector<std::uint64_t>{7, 1, 6, 4, 3, 0, 5, 2}));
}

TEST(KernelStoreBuffer, CheckingModeSameSeedSameOrderDifferentSeedsDifferentOrders) {
    EXPECT_EQ(checking_order(1), checking_order(1));
    EXPECT_NE(checking_order(1), checking_order(2));

    std::set<std::vector<std::uint64_t>> orders;
    std::set<std::uint64_t> released_first;
    for (std::uint64_t seed = 0; seed < 64; ++seed) {
        const std::vector<std::uint64_t> order = checking_order(seed);
        orders.insert(order);
        released_first.insert(order.front());
    }
    // 64 draws from 8! = 40320 orders rarely repeat; program order would give a single order.
    EXPECT_GE(orders.size(), 60u);
    EXPECT_EQ(released_first.size(), 8u);  // every store gets to be seen first
}

TEST(KernelStoreBuffer, CheckingModeGeneratorRunsOnAcrossReleases) {
    // One seed names the whole run: the second release does not repeat the first one's draws, and two
    // buffers with the same seed and the same history agree on both.
    StoreBuffer first(OrderingMode::checking, 5);
    StoreBuffer second(OrderingMode::checking, 5);
    store_eight_independent(first);
    store_eight_independent(second);
    const std::vector<std::uint64_t> first_release = sequences_of(first.release_all());
    EXPECT_EQ(first_release, sequences_of(second.release_all()));

    store_eight_independent(first);
    store_eight_independent(second);
    std::vector<std::uint64_t> second_release = sequences_of(first.release_all());
    EXPECT_EQ(second_release, sequences_of(second.release_all()));
    for (std::uint64_t& sequence : second_release) sequence -= 8;  // the same stores, renumbered
    EXPECT_NE(second_release, first_release);
}

TEST(KernelStoreBuffer, CheckingModeNeverSplitsAnAtomicUnit) {
    for (std::uint64_t seed = 0; seed < 50; ++seed) {
        SCOPED_TRACE(::testing::Message() << "seed " << seed);
        StoreBuffer buffer(OrderingMode::checking, seed);
        store_bytes(buffer, 0x800, {1, 2, 3, 4, 5, 6, 7, 8});  // a descriptor's valid word
        store_tagged(buffer, 0x804, 64, 0x5A);                  // memcpy over and past it
        store_bytes(buffer, 0x808, {9, 10, 11, 12, 13, 14, 15, 16});
        const std::vector<BufferedStore> released = buffer.release_all();
        ASSERT_EQ(released.size(), 1u + 9u + 1u);  // 64 bytes from 0x804: 4 + 7 * 8 + 4
        for (const BufferedStore& store : released) {
            EXPECT_LE(store.address % 8 + store.bytes.size(), 8u);  // inside one aligned doubleword
            if (store.sequence == 0) {
                EXPECT_EQ(store.bytes, (Bytes{1, 2, 3, 4, 5, 6, 7, 8}));
            }
            if (store.sequence == 10) {
                EXPECT_EQ(store.bytes, (Bytes{9, 10, 11, 12, 13, 14, 15, 16}));
            }
        }
    }
}

// --- Release cost. ---

TEST(KernelStoreBuffer, PendingCacheLinesCountsDistinctLines) {
    StoreBuffer lines64(OrderingMode::program_order, 0, 64);
    StoreBuffer lines128(OrderingMode::program_order, 0, 128);
    for (StoreBuffer* buffer : {&lines64, &lines128}) {
        EXPECT_EQ(buffer->pending_cache_lines(), 0u);
        store_tagged(*buffer, 0x0, 8, 1);     // line 0 (64) / line 0 (128)
        store_tagged(*buffer, 0x38, 8, 2);    // line 0 / line 0
        store_tagged(*buffer, 0x40, 1, 3);    // line 1 / line 0
        store_tagged(*buffer, 0x1000, 4, 4);  // line 0x40 / line 0x20
        store_tagged(*buffer, 0x3C, 4, 5);    // line 0 again
    }
    EXPECT_EQ(lines64.pending_stores(), 5u);
    EXPECT_EQ(lines64.pending_cache_lines(), 3u);
    EXPECT_EQ(lines128.pending_cache_lines(), 2u);
    lines64.release_all();
    EXPECT_EQ(lines64.pending_cache_lines(), 0u);
}

TEST(KernelStoreBuffer, PendingCacheLinesOfAMemcpyAcrossLines) {
    StoreBuffer buffer(OrderingMode::checking, 9, 64);
    store_tagged(buffer, 0x20, 256, 0x77);  // 0x20..0x11F: lines 0, 1, 2, 3 and 4
    EXPECT_EQ(buffer.pending_stores(), 32u);
    EXPECT_EQ(buffer.pending_cache_lines(), 5u);
}

}  // namespace
}  // namespace kernel
}  // namespace iommu_vp
