// Latency histogram for translation and transaction latencies.
//
// Count, min, max and mean are exact. The distribution is kept on a logarithmic axis from 1 ns to
// 10 ms whose bins are at most 1% wide (each bin's upper edge is at most 1.01 times its lower edge),
// so a quantile read from a bin is within 0.5% of a value in that bin. Values below 1 ns or at or
// above 10 ms land in an underflow or overflow bin.
//
// Quantile rule (nearest rank): quantile(q) is the value of the sample of rank ceil(q * count)
// (at least 1) in ascending order, reported as the geometric middle of the bin that holds that rank,
// clamped to [min, max]. quantile(0) is min and quantile(1) is max, exactly. A rank in the underflow
// bin reports min and a rank in the overflow bin reports max.
//
// Values are recorded in picoseconds (SystemC's default time resolution).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace iommu_vp {

class LatencyHistogram {
public:
    static constexpr double kLowestNs = 1.0;
    static constexpr double kHighestNs = 1.0e7;  // 10 ms
    static constexpr double kMaxBinRatio = 1.01;

    LatencyHistogram();
    ~LatencyHistogram();
    LatencyHistogram(LatencyHistogram&&) noexcept;
    LatencyHistogram& operator=(LatencyHistogram&&) noexcept;

    void record_ps(std::uint64_t latency_ps);
    void reset();

    std::uint64_t count() const { return count_; }
    std::uint64_t min_ps() const { return count_ ? min_ps_ : 0; }
    std::uint64_t max_ps() const { return max_ps_; }
    double mean_ps() const { return count_ ? static_cast<double>(sum_ps_) / static_cast<double>(count_) : 0.0; }
    double quantile_ps(double q) const;

    // Calls visit(lower_ns, upper_ns, count) for every non-empty bin in ascending order; the underflow
    // bin reports lower 0, the overflow bin reports upper +infinity.
    void for_each_bin(const std::function<void(double lower_ns, double upper_ns, std::uint64_t count)>& visit) const;

    static unsigned bin_count();

private:
    struct Bins;
    std::unique_ptr<Bins> bins_;
    std::uint64_t count_ = 0;
    std::uint64_t sum_ps_ = 0;
    std::uint64_t min_ps_ = ~std::uint64_t{0};
    std::uint64_t max_ps_ = 0;
};

}  // namespace iommu_vp
