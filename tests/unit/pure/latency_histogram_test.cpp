// Latency histogram: exact count/min/max/mean, nearest-rank quantiles read from 1%-wide log bins,
// underflow and overflow.
#include "models/common/latency_histogram.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace iommu_vp {
namespace {

constexpr std::uint64_t kNs = 1000;  // picoseconds per nanosecond

struct Bin {
    double lower_ns;
    double upper_ns;
    std::uint64_t count;
};

std::vector<Bin> bins_of(const LatencyHistogram& h) {
    std::vector<Bin> bins;
    h.for_each_bin([&](double lower, double upper, std::uint64_t count) { bins.push_back({lower, upper, count}); });
    return bins;
}

// |actual - expected| <= fraction * expected
void expect_within(double actual, double expected, double fraction) {
    EXPECT_LE(std::abs(actual - expected), fraction * expected) << "actual " << actual << " expected " << expected;
}

TEST(LatencyHistogram, EmptyHistogramReportsZeros) {
    const LatencyHistogram h;
    EXPECT_EQ(h.count(), 0u);
    EXPECT_EQ(h.min_ps(), 0u);
    EXPECT_EQ(h.max_ps(), 0u);
    EXPECT_EQ(h.mean_ps(), 0.0);
    EXPECT_EQ(h.quantile_ps(0.5), 0.0);
    EXPECT_TRUE(bins_of(h).empty());
}

TEST(LatencyHistogram, CountMinMaxAndMeanAreExact) {
    LatencyHistogram h;
    for (std::uint64_t ps : {1234567u, 1u, 2000u, 999999999u}) h.record_ps(ps);
    EXPECT_EQ(h.count(), 4u);
    EXPECT_EQ(h.min_ps(), 1u);
    EXPECT_EQ(h.max_ps(), 999999999u);
    EXPECT_DOUBLE_EQ(h.mean_ps(), (1234567.0 + 1.0 + 2000.0 + 999999999.0) / 4.0);

    LatencyHistogram thirds;
    for (std::uint64_t ps : {1u, 2u, 4u}) thirds.record_ps(ps);
    EXPECT_DOUBLE_EQ(thirds.mean_ps(), 7.0 / 3.0);
}

TEST(LatencyHistogram, QuantileEndpointsAreExactMinAndMax) {
    LatencyHistogram h;
    for (std::uint64_t ps : {10'123u, 55'555u, 77'777u}) h.record_ps(ps);
    EXPECT_EQ(h.quantile_ps(0.0), 10'123.0);
    EXPECT_EQ(h.quantile_ps(1.0), 77'777.0);
}

TEST(LatencyHistogram, QuantilesFollowNearestRankWithinHalfAPercent) {
    // Samples 10, 20, ..., 100 ns, recorded out of order.
    LatencyHistogram h;
    for (std::uint64_t ns : {70u, 10u, 100u, 40u, 30u, 90u, 20u, 60u, 80u, 50u}) h.record_ps(ns * kNs);
    // rank = ceil(q * 10): q=0.05 -> 1 (10 ns), 0.1 -> 1, 0.25 -> 3 (30 ns), 0.5 -> 5 (50 ns),
    // 0.75 -> 8 (80 ns), 0.95 -> 10 (100 ns).
    const struct {
        double q;
        double expected_ns;
    } cases[] = {{0.05, 10}, {0.1, 10}, {0.25, 30}, {0.5, 50}, {0.51, 60}, {0.75, 80}, {0.95, 100}};
    for (const auto& c : cases) {
        SCOPED_TRACE(::testing::Message() << "q=" << c.q);
        expect_within(h.quantile_ps(c.q), c.expected_ns * kNs, 0.005);
    }
    // Clamped to [min, max]: never below the smallest or above the largest sample.
    EXPECT_GE(h.quantile_ps(0.05), 10.0 * kNs);
    EXPECT_LE(h.quantile_ps(0.95), 100.0 * kNs);
}

TEST(LatencyHistogram, QuantileOfASingleSampleIsThatSample) {
    LatencyHistogram h;
    h.record_ps(1'234'567'000);  // 1234567 ns
    for (double q : {0.01, 0.5, 0.99}) EXPECT_EQ(h.quantile_ps(q), 1'234'567'000.0) << q;
}

TEST(LatencyHistogram, BinsAreAtMostOnePercentWideFromOneNanosecondToTenMilliseconds) {
    // 1234567 ns (the value the specification calls out) plus a log sweep of 1 ns .. 10 ms.
    std::vector<double> values_ns = {1234567.0, 1.0, 9'999'999.0};
    for (double v = 1.0; v < 1.0e7; v *= 1.0371) values_ns.push_back(v);
    for (double ns : values_ns) {
        SCOPED_TRACE(::testing::Message() << ns << " ns");
        LatencyHistogram h;
        h.record_ps(static_cast<std::uint64_t>(std::llround(ns * 1000.0)));
        const double recorded_ns = std::llround(ns * 1000.0) / 1000.0;
        const std::vector<Bin> bins = bins_of(h);
        ASSERT_EQ(bins.size(), 1u);
        EXPECT_EQ(bins[0].count, 1u);
        EXPECT_LE(bins[0].upper_ns / bins[0].lower_ns, 1.01 * (1 + 1e-12));
        EXPECT_LE(bins[0].lower_ns, recorded_ns * (1 + 1e-12));
        EXPECT_GE(bins[0].upper_ns, recorded_ns * (1 - 1e-12));
    }
}

TEST(LatencyHistogram, BinCountCoversTheRangeAtOnePercent) {
    // (1e7)^(1/n) <= 1.01  <=>  n >= ln(1e7) / ln(1.01) = 1619.9...
    EXPECT_EQ(LatencyHistogram::bin_count(), 1620u);
}

TEST(LatencyHistogram, ValuesOutsideTheRangeLandInUnderflowAndOverflow) {
    LatencyHistogram h;
    h.record_ps(500);               // 0.5 ns: underflow
    h.record_ps(5 * kNs);           // 5 ns: in range
    h.record_ps(10'000'000 * kNs);  // exactly 10 ms: overflow (the upper edge is exclusive)
    h.record_ps(20'000'000 * kNs);  // 20 ms: overflow
    const std::vector<Bin> bins = bins_of(h);
    ASSERT_EQ(bins.size(), 3u);
    EXPECT_EQ(bins.front().lower_ns, 0.0);
    EXPECT_EQ(bins.front().count, 1u);
    EXPECT_LE(bins.front().upper_ns, 1.0 + 1e-9);
    EXPECT_EQ(bins[1].count, 1u);
    EXPECT_EQ(bins.back().upper_ns, std::numeric_limits<double>::infinity());
    EXPECT_EQ(bins.back().count, 2u);
    EXPECT_GE(bins.back().lower_ns, 1.0e7 * (1 - 1e-9));

    // rank 1 is in the underflow bin: reports min; ranks 3 and 4 in the overflow bin: report max.
    EXPECT_EQ(h.quantile_ps(0.25), 500.0);
    expect_within(h.quantile_ps(0.5), 5.0 * kNs, 0.005);
    EXPECT_EQ(h.quantile_ps(0.75), 20'000'000.0 * kNs);
    EXPECT_EQ(h.max_ps(), 20'000'000 * kNs);
    EXPECT_EQ(h.min_ps(), 500u);
}

TEST(LatencyHistogram, ResetForgetsEverything) {
    LatencyHistogram h;
    h.record_ps(42 * kNs);
    h.reset();
    EXPECT_EQ(h.count(), 0u);
    EXPECT_EQ(h.min_ps(), 0u);
    EXPECT_EQ(h.max_ps(), 0u);
    EXPECT_TRUE(bins_of(h).empty());
    h.record_ps(7 * kNs);
    EXPECT_EQ(h.min_ps(), 7 * kNs);
    EXPECT_EQ(h.max_ps(), 7 * kNs);
}

TEST(LatencyHistogram, MovedHistogramKeepsItsSamples) {
    LatencyHistogram h;
    h.record_ps(3 * kNs);
    h.record_ps(9 * kNs);
    LatencyHistogram moved(std::move(h));
    EXPECT_EQ(moved.count(), 2u);
    EXPECT_EQ(bins_of(moved).size(), 2u);
    EXPECT_EQ(moved.quantile_ps(1.0), 9.0 * kNs);
}

}  // namespace
}  // namespace iommu_vp
