// Traffic master address/direction generator: sequential, strided, random; window wrapping; 4 KiB
// boundary splitting; read fraction; parameter validation.
#include "models/dma/traffic_pattern.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

namespace iommu_vp {
namespace {

TrafficPatternParams params(AccessPattern pattern, std::uint64_t base, std::uint64_t window, unsigned size) {
    TrafficPatternParams p;
    p.pattern = pattern;
    p.base = base;
    p.window_bytes = window;
    p.transaction_bytes = size;
    return p;
}

std::vector<GeneratedAccess> generate(const TrafficPatternParams& p, std::size_t n, std::uint64_t seed = 1) {
    TrafficPattern pattern(p, seed);
    std::vector<GeneratedAccess> out;
    for (std::size_t i = 0; i < n; ++i) out.push_back(pattern.next());
    return out;
}

std::vector<std::uint64_t> addresses(const std::vector<GeneratedAccess>& accesses) {
    std::vector<std::uint64_t> out;
    for (const GeneratedAccess& a : accesses) out.push_back(a.address);
    return out;
}

bool crosses_4k(const GeneratedAccess& a) { return a.address / 4096 != (a.address + a.size - 1) / 4096; }

TEST(TrafficPattern, SequentialAdvancesBySizeAndWrapsWithinTheWindow) {
    const auto accesses = generate(params(AccessPattern::sequential, 0x8000'1000, 0x100, 64), 6);
    EXPECT_EQ(addresses(accesses), (std::vector<std::uint64_t>{0x8000'1000, 0x8000'1040, 0x8000'1080, 0x8000'10C0,
                                                               0x8000'1000, 0x8000'1040}));
    for (const GeneratedAccess& a : accesses) EXPECT_EQ(a.size, 64u);
}

TEST(TrafficPattern, SequentialWrapsBeforeATransactionWouldPassTheWindowEnd) {
    // 0x100-byte window, 0x60-byte transactions: 0x00, 0x60, then 0xC0 + 0x60 > 0x100 -> wrap.
    const auto accesses = generate(params(AccessPattern::sequential, 0x1000, 0x100, 0x60), 5);
    EXPECT_EQ(addresses(accesses), (std::vector<std::uint64_t>{0x1000, 0x1060, 0x1000, 0x1060, 0x1000}));
}

TEST(TrafficPattern, StridedStartsEachTransactionAStrideAfterThePrevious) {
    TrafficPatternParams p = params(AccessPattern::strided, 0x4000, 0x400, 64);
    p.stride_bytes = 0x100;
    const auto accesses = generate(p, 6);
    EXPECT_EQ(addresses(accesses), (std::vector<std::uint64_t>{0x4000, 0x4100, 0x4200, 0x4300, 0x4000, 0x4100}));
    for (const GeneratedAccess& a : accesses) EXPECT_EQ(a.size, 64u);
}

TEST(TrafficPattern, RandomStaysInTheWindowAlignedToTheTransactionSize) {
    const TrafficPatternParams p = params(AccessPattern::random, 0x10'0000, 0x1'0000, 128);
    const auto accesses = generate(p, 2000, 77);
    std::vector<bool> slot_seen(0x1'0000 / 128, false);
    for (const GeneratedAccess& a : accesses) {
        ASSERT_GE(a.address, 0x10'0000u);
        ASSERT_LE(a.address + a.size, 0x11'0000u);
        ASSERT_EQ((a.address - 0x10'0000) % 128, 0u);
        EXPECT_EQ(a.size, 128u);
        slot_seen[(a.address - 0x10'0000) / 128] = true;
    }
    // 2000 draws over 512 slots: each slot missed with probability (511/512)^2000 ~ 2%; most are seen.
    std::size_t seen = 0;
    for (bool s : slot_seen) seen += s ? 1 : 0;
    EXPECT_GT(seen, 450u);
}

TEST(TrafficPattern, RandomIsDeterministicForASeed) {
    const TrafficPatternParams p = params(AccessPattern::random, 0, 0x10'0000, 64);
    EXPECT_EQ(addresses(generate(p, 100, 5)), addresses(generate(p, 100, 5)));
    EXPECT_NE(addresses(generate(p, 100, 5)), addresses(generate(p, 100, 6)));
}

TEST(TrafficPattern, SequentialTransactionsAreSplitAt4KBoundariesByDefault) {
    // 0x300-byte transactions from 0: 0x000, 0x300, 0x600, 0x900, 0xC00 fit; 0xF00 + 0x300 would cross
    // 0x1000, so it is shortened to 0x100 and the next one starts at 0x1000.
    const auto accesses = generate(params(AccessPattern::sequential, 0, 0x10000, 0x300), 8);
    EXPECT_EQ(addresses(accesses),
              (std::vector<std::uint64_t>{0x000, 0x300, 0x600, 0x900, 0xC00, 0xF00, 0x1000, 0x1300}));
    EXPECT_EQ(accesses[5].size, 0x100u);
    EXPECT_EQ(accesses[6].size, 0x300u);
    for (const GeneratedAccess& a : accesses) EXPECT_FALSE(crosses_4k(a)) << std::hex << a.address;
}

TEST(TrafficPattern, StridedShortenedTransactionKeepsTheStride) {
    TrafficPatternParams p = params(AccessPattern::strided, 0x0E00, 0x4000, 0x400);
    p.stride_bytes = 0x1000;
    const auto accesses = generate(p, 3);
    // 0x0E00 + 0x400 crosses 0x1000: shortened to 0x200; the next one starts a stride later anyway.
    EXPECT_EQ(addresses(accesses), (std::vector<std::uint64_t>{0x0E00, 0x1E00, 0x2E00}));
    for (const GeneratedAccess& a : accesses) EXPECT_EQ(a.size, 0x200u);
}

TEST(TrafficPattern, RandomNeverCrosses4KUnlessAllowed) {
    // 0x300-byte slots do not divide 4 KiB, so some slots straddle a boundary.
    TrafficPatternParams p = params(AccessPattern::random, 0, 0x10000, 0x300);
    std::size_t shortened = 0;
    for (const GeneratedAccess& a : generate(p, 1000, 9)) {
        ASSERT_FALSE(crosses_4k(a)) << std::hex << a.address << " +" << a.size;
        shortened += a.size < 0x300 ? 1 : 0;
    }
    EXPECT_GT(shortened, 0u);

    p.allow_4k_crossing = true;
    std::size_t crossing = 0;
    for (const GeneratedAccess& a : generate(p, 1000, 9)) {
        EXPECT_EQ(a.size, 0x300u);
        crossing += crosses_4k(a) ? 1 : 0;
    }
    EXPECT_GT(crossing, 0u);
}

TEST(TrafficPattern, SequentialMayCross4KWhenAllowed) {
    TrafficPatternParams p = params(AccessPattern::sequential, 0, 0x10000, 0x300);
    p.allow_4k_crossing = true;
    const auto accesses = generate(p, 7);
    EXPECT_EQ(accesses[5].address, 0xF00u);
    EXPECT_EQ(accesses[5].size, 0x300u);
    EXPECT_TRUE(crosses_4k(accesses[5]));
    EXPECT_EQ(accesses[6].address, 0x1200u);
}

TEST(TrafficPattern, ReadFractionZeroAndOneGiveAllWritesAndAllReads) {
    TrafficPatternParams p = params(AccessPattern::random, 0, 0x10000, 64);
    p.read_fraction = 0.0;
    for (const GeneratedAccess& a : generate(p, 500)) ASSERT_FALSE(a.is_read);
    p.read_fraction = 1.0;
    for (const GeneratedAccess& a : generate(p, 500)) ASSERT_TRUE(a.is_read);
    p.read_fraction = 0.5;
    std::size_t reads = 0;
    for (const GeneratedAccess& a : generate(p, 2000)) reads += a.is_read ? 1 : 0;
    EXPECT_GT(reads, 850u);
    EXPECT_LT(reads, 1150u);
}

TEST(TrafficPattern, InvalidParametersAreRefused) {
    EXPECT_THROW(TrafficPattern(params(AccessPattern::sequential, 0, 0, 64), 0), std::invalid_argument);
    EXPECT_THROW(TrafficPattern(params(AccessPattern::sequential, 0, 0x100, 0), 0), std::invalid_argument);
    EXPECT_THROW(TrafficPattern(params(AccessPattern::sequential, 0, 0x40, 0x80), 0), std::invalid_argument);
    EXPECT_THROW(TrafficPattern(params(AccessPattern::strided, 0, 0x1000, 64), 0), std::invalid_argument);
    EXPECT_THROW(TrafficPattern(params(AccessPattern::trace, 0, 0x1000, 64), 0), std::invalid_argument);
    TrafficPatternParams bad_fraction = params(AccessPattern::random, 0, 0x1000, 64);
    bad_fraction.read_fraction = 1.5;
    EXPECT_THROW(TrafficPattern(bad_fraction, 0), std::invalid_argument);
    bad_fraction.read_fraction = -0.1;
    EXPECT_THROW(TrafficPattern(bad_fraction, 0), std::invalid_argument);
}

TEST(TrafficPattern, PatternNamesRoundTrip) {
    for (AccessPattern p : {AccessPattern::sequential, AccessPattern::strided, AccessPattern::random, AccessPattern::trace}) {
        AccessPattern parsed = AccessPattern::sequential;
        ASSERT_TRUE(parse_access_pattern(to_string(p), parsed)) << to_string(p);
        EXPECT_EQ(parsed, p);
    }
    AccessPattern untouched = AccessPattern::strided;
    EXPECT_FALSE(parse_access_pattern("zigzag", untouched));
    EXPECT_EQ(untouched, AccessPattern::strided);
    EXPECT_STREQ(to_string(AccessPattern::random), "random");
}

}  // namespace
}  // namespace iommu_vp
