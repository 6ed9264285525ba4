#include "models/common/busy_until.h"

#include <algorithm>
#include <stdexcept>

namespace iommu_vp {

BusyUntilResource::BusyUntilResource(unsigned servers) : busy_(servers) {
    if (servers == 0) throw std::invalid_argument("BusyUntilResource needs at least one server");
}

std::uint64_t BusyUntilResource::earliest_fit(const Intervals& booked, std::uint64_t arrival_ps,
                                              std::uint64_t duration_ps) {
    std::uint64_t candidate = arrival_ps;
    // Start from the last interval that begins at or before the arrival: it may still cover it.
    auto it = booked.upper_bound(candidate);
    if (it != booked.begin()) {
        auto previous = std::prev(it);
        candidate = std::max(candidate, previous->second);
    }
    for (; it != booked.end(); ++it) {
        if (it->first >= candidate + duration_ps) break;  // the gap before this interval is long enough
        candidate = std::max(candidate, it->second);
    }
    return candidate;
}

std::uint64_t BusyUntilResource::book(std::uint64_t arrival_ps, std::uint64_t duration_ps) {
    ++bookings_;
    if (duration_ps == 0) return arrival_ps;
    std::size_t best_server = 0;
    std::uint64_t best_start = earliest_fit(busy_[0], arrival_ps, duration_ps);
    for (std::size_t server = 1; server < busy_.size() && best_start != arrival_ps; ++server) {
        const std::uint64_t start = earliest_fit(busy_[server], arrival_ps, duration_ps);
        if (start < best_start) {
            best_start = start;
            best_server = server;
        }
    }
    busy_[best_server].emplace(best_start, best_start + duration_ps);
    const std::uint64_t wait = best_start - arrival_ps;
    if (wait) ++delayed_bookings_;
    total_wait_ps_ += wait;
    max_wait_ps_ = std::max(max_wait_ps_, wait);
    return best_start;
}

void BusyUntilResource::forget_before(std::uint64_t horizon_ps) {
    for (Intervals& booked : busy_) {
        auto it = booked.begin();
        while (it != booked.end() && it->second <= horizon_ps) it = booked.erase(it);
    }
}

void BusyUntilResource::reset() {
    for (Intervals& booked : busy_) booked.clear();
    bookings_ = delayed_bookings_ = total_wait_ps_ = max_wait_ps_ = 0;
}

}  // namespace iommu_vp
