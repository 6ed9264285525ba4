// Set-associative cache template: set mapping, counters, LRU and random replacement, invalidation by
// predicate and the disabled (0-entry) geometry.
#include "models/common/set_assoc_cache.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <set>
#include <vector>

namespace iommu_vp {
namespace {

// Key k lives in set k % sets: the tests choose keys to land in the sets they want.
struct IdentityIndex {
    std::size_t operator()(std::uint64_t key) const { return static_cast<std::size_t>(key); }
};

using Cache = SetAssocCache<std::uint64_t, int, IdentityIndex>;

CacheGeometry geometry(unsigned sets, unsigned ways, ReplacementPolicy policy = ReplacementPolicy::lru) {
    CacheGeometry g;
    g.sets = sets;
    g.ways = ways;
    g.replacement = policy;
    return g;
}

TEST(SetAssocCache, KeysMapToSetsByIndexModuloSets) {
    Cache cache(geometry(4, 1));
    // Keys 1 and 5 share set 1 in a direct-mapped cache: the second displaces the first.
    EXPECT_EQ(cache.insert(1, 10), std::nullopt);
    EXPECT_EQ(cache.insert(2, 20), std::nullopt);  // set 2: no conflict
    EXPECT_EQ(cache.insert(5, 50), std::optional<std::uint64_t>(1));
    EXPECT_EQ(cache.lookup(1), nullptr);
    ASSERT_NE(cache.lookup(2), nullptr);
    ASSERT_NE(cache.lookup(5), nullptr);
    EXPECT_EQ(*cache.lookup(5), 50);
    EXPECT_EQ(cache.valid_entries(), 2u);
    EXPECT_EQ(cache.geometry().entries(), 4u);
}

TEST(SetAssocCache, CountsLookupsHitsMissesFillsAndEvictions) {
    Cache cache(geometry(2, 2));
    EXPECT_EQ(cache.lookup(0), nullptr);  // miss
    cache.insert(0, 1);
    cache.insert(2, 2);                   // set 0 now full
    EXPECT_NE(cache.lookup(0), nullptr);  // hit
    EXPECT_NE(cache.lookup(2), nullptr);  // hit
    cache.insert(4, 3);                   // evicts from set 0
    cache.insert(4, 4);                   // refill of a present key: a fill, no eviction
    EXPECT_EQ(cache.lookup(6), nullptr);  // miss

    const CacheCounters& c = cache.counters();
    EXPECT_EQ(c.lookups, 4u);
    EXPECT_EQ(c.hits, 2u);
    EXPECT_EQ(c.misses, 2u);
    EXPECT_EQ(c.fills, 4u);
    EXPECT_EQ(c.evictions, 1u);
    EXPECT_EQ(c.invalidations, 0u);
    EXPECT_EQ(*cache.peek(4), 4);
}

TEST(SetAssocCache, LruEvictsTheLeastRecentlyUsedWay) {
    // One set of 4 ways. Fill A B C D (keys 0,1,2,3 with sets=1), touch A and C, then insert E:
    // use order oldest-first is B, D, A, C, so E evicts B; then F evicts D; then G evicts A.
    Cache cache(geometry(1, 4));
    for (std::uint64_t k : {0, 1, 2, 3}) cache.insert(k, static_cast<int>(k));
    ASSERT_NE(cache.lookup(0), nullptr);
    ASSERT_NE(cache.lookup(2), nullptr);
    EXPECT_EQ(cache.insert(4, 4), std::optional<std::uint64_t>(1));
    EXPECT_EQ(cache.insert(5, 5), std::optional<std::uint64_t>(3));
    EXPECT_EQ(cache.insert(6, 6), std::optional<std::uint64_t>(0));
    // A refill of a present key refreshes it: refresh C (key 2) and E (key 4) gets evicted next.
    cache.insert(2, 22);
    EXPECT_EQ(cache.insert(7, 7), std::optional<std::uint64_t>(4));
    EXPECT_EQ(*cache.peek(2), 22);
}

TEST(SetAssocCache, PeekChangesNeitherCountersNorReplacementOrder) {
    Cache cache(geometry(1, 2));
    cache.insert(0, 0);
    cache.insert(1, 1);
    const CacheCounters before = cache.counters();
    ASSERT_NE(cache.peek(0), nullptr);  // would make key 0 most recent if it were a lookup
    EXPECT_EQ(cache.peek(9), nullptr);
    EXPECT_EQ(cache.counters().lookups, before.lookups);
    EXPECT_EQ(cache.counters().hits, before.hits);
    EXPECT_EQ(cache.counters().misses, before.misses);
    EXPECT_EQ(cache.insert(2, 2), std::optional<std::uint64_t>(0));  // key 0 still the oldest
}

std::vector<std::uint64_t> random_evictions(std::uint64_t seed) {
    Cache cache(geometry(4, 4, ReplacementPolicy::random), seed);
    std::vector<std::uint64_t> evicted;
    // Keys that are multiples of 4 all go to set 0; keys 1, 2, 3 sit alone in sets 1..3.
    cache.insert(1, 0);
    cache.insert(2, 0);
    cache.insert(3, 0);
    for (std::uint64_t k = 0; k < 4 * 64; k += 4) {
        if (auto victim = cache.insert(k, 0)) evicted.push_back(*victim);
    }
    EXPECT_NE(cache.peek(1), nullptr);
    EXPECT_NE(cache.peek(2), nullptr);
    EXPECT_NE(cache.peek(3), nullptr);
    return evicted;
}

TEST(SetAssocCache, RandomReplacementIsReproducibleAndStaysWithinTheSet) {
    const std::vector<std::uint64_t> first = random_evictions(42);
    const std::vector<std::uint64_t> again = random_evictions(42);
    EXPECT_EQ(first, again);
    ASSERT_EQ(first.size(), 60u);  // 64 fills into a 4-way set: the first 4 find free ways
    for (std::uint64_t victim : first) EXPECT_EQ(victim % 4, 0u) << "evicted key " << victim << " outside set 0";
    // Random, not LRU: LRU would evict keys 0, 4, 8, ... in fill order.
    std::vector<std::uint64_t> lru_order;
    for (std::uint64_t k = 0; k < 60 * 4; k += 4) lru_order.push_back(k);
    EXPECT_NE(first, lru_order);
    // A different seed gives a different victim sequence.
    EXPECT_NE(first, random_evictions(43));
}

TEST(SetAssocCache, RandomReplacementPicksEveryWayEventually) {
    Cache cache(geometry(1, 4, ReplacementPolicy::random), 7);
    for (std::uint64_t k = 0; k < 4; ++k) cache.insert(k, 0);
    // Track which way each key occupies by remembering what each insert displaced.
    std::set<std::uint64_t> original_keys_evicted;
    for (std::uint64_t k = 100; k < 200; ++k) {
        auto victim = cache.insert(k, 0);
        ASSERT_TRUE(victim.has_value());
        if (*victim < 4) original_keys_evicted.insert(*victim);
    }
    EXPECT_EQ(original_keys_evicted.size(), 4u);
}

TEST(SetAssocCache, InvalidateIfRemovesExactlyTheMatchingEntries) {
    Cache cache(geometry(4, 4));
    for (std::uint64_t k = 0; k < 16; ++k) cache.insert(k, static_cast<int>(k % 3));
    ASSERT_EQ(cache.valid_entries(), 16u);
    // Remove the entries whose value is 0: keys 0, 3, 6, 9, 12, 15.
    const std::size_t removed = cache.invalidate_if([](const std::uint64_t&, const int& v) { return v == 0; });
    EXPECT_EQ(removed, 6u);
    EXPECT_EQ(cache.valid_entries(), 10u);
    for (std::uint64_t k = 0; k < 16; ++k) {
        if (k % 3 == 0)
            EXPECT_EQ(cache.peek(k), nullptr) << k;
        else
            EXPECT_NE(cache.peek(k), nullptr) << k;
    }
    EXPECT_EQ(cache.counters().invalidations, 6u);
    // By key as well.
    EXPECT_EQ(cache.invalidate_if([](const std::uint64_t& key, const int&) { return key == 5; }), 1u);
    EXPECT_EQ(cache.peek(5), nullptr);
    EXPECT_EQ(cache.invalidate_all(), 9u);
    EXPECT_EQ(cache.valid_entries(), 0u);
    EXPECT_EQ(cache.counters().invalidations, 16u);
}

TEST(SetAssocCache, InvalidatedWayIsReusedWithoutEviction) {
    Cache cache(geometry(1, 2));
    cache.insert(0, 0);
    cache.insert(1, 1);
    cache.invalidate_if([](const std::uint64_t& key, const int&) { return key == 1; });
    EXPECT_EQ(cache.insert(2, 2), std::nullopt);
    EXPECT_EQ(cache.counters().evictions, 0u);
    EXPECT_NE(cache.peek(0), nullptr);
}

TEST(SetAssocCache, ZeroEntriesDisablesTheCacheButStillCountsLookups) {
    for (CacheGeometry g : {geometry(0, 0), geometry(0, 4), geometry(16, 0)}) {
        Cache cache(g);
        EXPECT_FALSE(g.is_enabled());
        EXPECT_EQ(cache.insert(1, 1), std::nullopt);
        EXPECT_EQ(cache.lookup(1), nullptr);
        EXPECT_EQ(cache.lookup(1), nullptr);
        EXPECT_EQ(cache.peek(1), nullptr);
        EXPECT_EQ(cache.valid_entries(), 0u);
        EXPECT_EQ(cache.counters().lookups, 2u);
        EXPECT_EQ(cache.counters().misses, 2u);
        EXPECT_EQ(cache.counters().hits, 0u);
        EXPECT_EQ(cache.counters().fills, 0u);
        EXPECT_EQ(cache.invalidate_all(), 0u);
    }
}

TEST(SetAssocCache, StructuredKeysMatchOnEveryTagField) {
    struct Tag {
        std::uint16_t asid;
        std::uint64_t page;
        bool operator==(const Tag& o) const { return asid == o.asid && page == o.page; }
    };
    struct TagHash {
        std::size_t operator()(const Tag& t) const { return static_cast<std::size_t>(t.page); }
    };
    SetAssocCache<Tag, std::uint64_t, TagHash> tlb(geometry(8, 2));
    tlb.insert(Tag{1, 0x40}, 0x1000);
    tlb.insert(Tag{2, 0x40}, 0x2000);
    ASSERT_NE(tlb.lookup(Tag{1, 0x40}), nullptr);
    EXPECT_EQ(*tlb.lookup(Tag{2, 0x40}), 0x2000u);
    EXPECT_EQ(tlb.invalidate_if([](const Tag& t, const std::uint64_t&) { return t.asid == 1; }), 1u);
    EXPECT_EQ(tlb.lookup(Tag{1, 0x40}), nullptr);
    EXPECT_NE(tlb.lookup(Tag{2, 0x40}), nullptr);
}

}  // namespace
}  // namespace iommu_vp
