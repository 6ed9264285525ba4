#include "models/common/latency_histogram.h"

#include <boost/histogram.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace iommu_vp {
namespace {

namespace bh = boost::histogram;
using LogAxis = bh::axis::regular<double, bh::axis::transform::log>;
using Histogram = decltype(bh::make_histogram_with(std::vector<std::uint64_t>(), LogAxis()));

unsigned bins_for_ratio() {
    // Smallest bin count whose constant ratio (highest/lowest)^(1/n) does not exceed kMaxBinRatio.
    const double decades = std::log(LatencyHistogram::kHighestNs / LatencyHistogram::kLowestNs);
    return static_cast<unsigned>(std::ceil(decades / std::log(LatencyHistogram::kMaxBinRatio)));
}

Histogram make_bins() {
    return bh::make_histogram_with(std::vector<std::uint64_t>(),
                                   LogAxis(bins_for_ratio(), LatencyHistogram::kLowestNs, LatencyHistogram::kHighestNs));
}

}  // namespace

struct LatencyHistogram::Bins {
    Histogram histogram = make_bins();
};

LatencyHistogram::LatencyHistogram() : bins_(std::make_unique<Bins>()) {}
LatencyHistogram::~LatencyHistogram() = default;
LatencyHistogram::LatencyHistogram(LatencyHistogram&&) noexcept = default;
LatencyHistogram& LatencyHistogram::operator=(LatencyHistogram&&) noexcept = default;

unsigned LatencyHistogram::bin_count() { return bins_for_ratio(); }

void LatencyHistogram::record_ps(std::uint64_t latency_ps) {
    bins_->histogram(static_cast<double>(latency_ps) / 1000.0);
    ++count_;
    sum_ps_ += latency_ps;
    min_ps_ = std::min(min_ps_, latency_ps);
    max_ps_ = std::max(max_ps_, latency_ps);
}

void LatencyHistogram::reset() { *this = LatencyHistogram(); }

double LatencyHistogram::quantile_ps(double q) const {
    if (count_ == 0) return 0.0;
    if (q <= 0.0) return static_cast<double>(min_ps_);
    if (q >= 1.0) return static_cast<double>(max_ps_);
    const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
    std::uint64_t seen = 0;
    for (auto&& bin : bh::indexed(bins_->histogram, bh::coverage::all)) {
        seen += *bin;
        if (seen < rank) continue;
        const int index = bin.index();
        if (index < 0) return static_cast<double>(min_ps_);
        if (index >= static_cast<int>(bin_count())) return static_cast<double>(max_ps_);
        const double middle_ps = std::sqrt(bin.bin().lower() * bin.bin().upper()) * 1000.0;
        return std::clamp(middle_ps, static_cast<double>(min_ps_), static_cast<double>(max_ps_));
    }
    return static_cast<double>(max_ps_);
}

void LatencyHistogram::for_each_bin(const std::function<void(double, double, std::uint64_t)>& visit) const {
    for (auto&& bin : bh::indexed(bins_->histogram, bh::coverage::all)) {
        if (*bin == 0) continue;
        const int index = bin.index();
        const double lower = index < 0 ? 0.0 : bin.bin().lower();
        const double upper = index >= static_cast<int>(bin_count()) ? std::numeric_limits<double>::infinity()
                                                                     : bin.bin().upper();
        visit(lower, upper, *bin);
    }
}

}  // namespace iommu_vp
