// Booking of a resource with a limited number of servers (page-table walkers, command processors,
// memory channels) by absolute simulated time.
//
// Under temporal decoupling, initiators run ahead of the kernel by up to a quantum, so requests can
// arrive out of time order: a request stamped 100 ns may be booked after one stamped 300 ns. A plain
// "busy until" scalar would make the earlier request wait behind the later one. Each server therefore
// keeps its booked intervals, and a request takes the earliest gap at or after its arrival that is
// long enough, on whichever server offers the earliest start (lowest index on a tie).
//
// Bookings that end at or before a horizon no later request can precede (the kernel's current time,
// since no initiator's local time is behind it) are dropped with forget_before(), which keeps the
// booking state bounded by how far initiators run ahead.
//
// Pure C++; times are picoseconds.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

namespace iommu_vp {

class BusyUntilResource {
public:
    explicit BusyUntilResource(unsigned servers = 1);

    // Books `duration_ps` starting no earlier than `arrival_ps`; returns the start time.
    // A zero duration is never delayed and books nothing.
    std::uint64_t book(std::uint64_t arrival_ps, std::uint64_t duration_ps);

    void forget_before(std::uint64_t horizon_ps);
    void reset();

    unsigned servers() const { return static_cast<unsigned>(busy_.size()); }
    std::uint64_t bookings() const { return bookings_; }
    std::uint64_t delayed_bookings() const { return delayed_bookings_; }
    std::uint64_t total_wait_ps() const { return total_wait_ps_; }
    std::uint64_t max_wait_ps() const { return max_wait_ps_; }

private:
    using Intervals = std::map<std::uint64_t, std::uint64_t>;  // start -> end, non-overlapping

    static std::uint64_t earliest_fit(const Intervals& booked, std::uint64_t arrival_ps, std::uint64_t duration_ps);

    std::vector<Intervals> busy_;
    std::uint64_t bookings_ = 0;
    std::uint64_t delayed_bookings_ = 0;
    std::uint64_t total_wait_ps_ = 0;
    std::uint64_t max_wait_ps_ = 0;
};

}  // namespace iommu_vp
