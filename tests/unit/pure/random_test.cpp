// Deterministic random streams: xoshiro256** seeded through SplitMix64, checked against a reference
// written here from the published algorithm (itself checked against published vectors); named
// streams; and the bounded helpers' range and spread.
#include "models/common/random.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <vector>

namespace iommu_vp {
namespace {

// --- Reference implementations, from Blackman & Vigna's public description (prng.di.unimi.it). ---

std::uint64_t ref_rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

struct RefSplitMix64 {
    std::uint64_t x;
    std::uint64_t next() {
        std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
};

struct RefXoshiro256StarStar {
    std::array<std::uint64_t, 4> s;
    std::uint64_t next() {
        const std::uint64_t result = ref_rotl(s[1] * 5, 7) * 9;
        const std::uint64_t t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = ref_rotl(s[3], 45);
        return result;
    }
    static RefXoshiro256StarStar seeded(std::uint64_t seed) {
        RefSplitMix64 sm{seed};
        return RefXoshiro256StarStar{{sm.next(), sm.next(), sm.next(), sm.next()}};
    }
};

TEST(Random, ReferenceXoshiroMatchesPublishedVector) {
    // xoshiro256** from state {1, 2, 3, 4}: the vector the rand_xoshiro crate tests against.
    RefXoshiro256StarStar ref{{1, 2, 3, 4}};
    const std::uint64_t expected[] = {11520ULL,
                                      0ULL,
                                      1509978240ULL,
                                      1215971899390074240ULL,
                                      1216172134540287360ULL,
                                      607988272756665600ULL,
                                      16172922978634559625ULL,
                                      8476171486693032832ULL,
                                      10595114339597558777ULL,
                                      2904607092377533576ULL};
    for (std::uint64_t e : expected) EXPECT_EQ(ref.next(), e);
}

TEST(Random, ReferenceSplitMixMatchesPublishedVector) {
    RefSplitMix64 sm{0};
    EXPECT_EQ(sm.next(), 0xE220A8397B1DCDAFULL);
    EXPECT_EQ(sm.next(), 0x6E789E6AA1B965F4ULL);
    EXPECT_EQ(sm.next(), 0x06C45D188009454FULL);
    EXPECT_EQ(sm.next(), 0xF88BB8A8724C81ECULL);
}

TEST(Random, StreamMatchesReferenceXoshiroSeededBySplitMix) {
    for (std::uint64_t seed : {0ULL, 1ULL, 42ULL, 0xDEADBEEFCAFEF00DULL, ~0ULL}) {
        SCOPED_TRACE(::testing::Message() << "seed " << seed);
        RandomStream stream(seed);
        RefXoshiro256StarStar ref = RefXoshiro256StarStar::seeded(seed);
        for (int i = 0; i < 100; ++i) ASSERT_EQ(stream.next_u64(), ref.next()) << "output " << i;
    }
}

TEST(Random, SameSeedGivesTheSameSequence) {
    RandomStream a(1234), b(1234), c(1235);
    bool differs_from_c = false;
    for (int i = 0; i < 1000; ++i) {
        const std::uint64_t va = a.next_u64();
        EXPECT_EQ(va, b.next_u64());
        differs_from_c |= va != c.next_u64();
    }
    EXPECT_TRUE(differs_from_c);
}

TEST(Random, NamedStreamsAreStableAndDistinct) {
    EXPECT_EQ(stream_seed(7, "dma0"), stream_seed(7, "dma0"));
    const std::set<std::uint64_t> seeds = {stream_seed(7, "dma0"), stream_seed(7, "dma1"), stream_seed(7, "walker"),
                                           stream_seed(7, ""), stream_seed(8, "dma0")};
    EXPECT_EQ(seeds.size(), 5u);

    RandomStream dma0(stream_seed(7, "dma0")), dma1(stream_seed(7, "dma1"));
    int equal = 0;
    for (int i = 0; i < 100; ++i) equal += dma0.next_u64() == dma1.next_u64() ? 1 : 0;
    EXPECT_EQ(equal, 0);
}

TEST(Random, UniformBelowStaysInRangeAndHitsEveryValue) {
    RandomStream r(99);
    for (std::uint64_t bound : {1ULL, 2ULL, 3ULL, 7ULL, 10ULL}) {
        std::vector<unsigned> hits(bound, 0);
        const unsigned draws = 2000 * static_cast<unsigned>(bound);
        for (unsigned i = 0; i < draws; ++i) {
            const std::uint64_t v = r.uniform_below(bound);
            ASSERT_LT(v, bound);
            ++hits[v];
        }
        // Each value expected 2000 times; +-15% is > 6 standard deviations.
        for (std::uint64_t v = 0; v < bound; ++v) {
            EXPECT_GT(hits[v], 1700u) << "bound " << bound << " value " << v;
            EXPECT_LT(hits[v], 2300u) << "bound " << bound << " value " << v;
        }
    }
    EXPECT_EQ(r.uniform_below(0), 0u);
}

TEST(Random, UniformBelowLargeBoundIsUnbiasedBetweenHalves) {
    // bound = 3 * 2^62: a plain "draw % bound" would put half of all draws in the lowest third.
    RandomStream r(5);
    const std::uint64_t bound = 3ULL << 62;
    unsigned low_third = 0;
    const unsigned draws = 30000;
    for (unsigned i = 0; i < draws; ++i) {
        const std::uint64_t v = r.uniform_below(bound);
        ASSERT_LT(v, bound);
        low_third += v < (1ULL << 62) ? 1 : 0;
    }
    EXPECT_NEAR(static_cast<double>(low_third) / draws, 1.0 / 3.0, 0.02);
}

TEST(Random, UniformBetweenIsInclusive) {
    RandomStream r(3);
    std::map<std::uint64_t, unsigned> hits;
    for (int i = 0; i < 3000; ++i) {
        const std::uint64_t v = r.uniform_between(5, 7);
        ASSERT_GE(v, 5u);
        ASSERT_LE(v, 7u);
        ++hits[v];
    }
    EXPECT_EQ(hits.size(), 3u);
    EXPECT_EQ(r.uniform_between(9, 9), 9u);
    // The full 64-bit span is allowed (span + 1 would overflow to 0).
    RandomStream full(3);
    std::set<std::uint64_t> wide;
    for (int i = 0; i < 8; ++i) wide.insert(full.uniform_between(0, ~0ULL));
    EXPECT_EQ(wide.size(), 8u);
}

TEST(Random, UniformUnitIsInHalfOpenUnitInterval) {
    RandomStream r(11);
    double sum = 0;
    const int draws = 20000;
    for (int i = 0; i < draws; ++i) {
        const double u = r.uniform_unit();
        ASSERT_GE(u, 0.0);
        ASSERT_LT(u, 1.0);
        sum += u;
    }
    EXPECT_NEAR(sum / draws, 0.5, 0.01);
}

TEST(Random, BernoulliHonoursItsProbability) {
    RandomStream r(17);
    int never = 0, always = 0, quarter = 0;
    const int draws = 20000;
    for (int i = 0; i < draws; ++i) {
        never += r.bernoulli(0.0) ? 1 : 0;
        always += r.bernoulli(1.0) ? 1 : 0;
        quarter += r.bernoulli(0.25) ? 1 : 0;
    }
    EXPECT_EQ(never, 0);
    EXPECT_EQ(always, draws);
    EXPECT_NEAR(static_cast<double>(quarter) / draws, 0.25, 0.015);
    EXPECT_FALSE(r.bernoulli(-1.0));
    EXPECT_TRUE(r.bernoulli(2.0));
}

}  // namespace
}  // namespace iommu_vp
