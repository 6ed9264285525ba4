// Booking of a shared resource by absolute time: back-to-back queueing, out-of-order arrivals under
// temporal decoupling (earliest fitting gap), several servers, horizon forgetting and statistics.
#include "models/common/busy_until.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace iommu_vp {
namespace {

TEST(BusyUntil, BookingsInTimeOrderQueueBackToBack) {
    BusyUntilResource r;
    EXPECT_EQ(r.book(0, 10), 0u);
    EXPECT_EQ(r.book(0, 10), 10u);
    EXPECT_EQ(r.book(5, 10), 20u);
    EXPECT_EQ(r.book(100, 10), 100u);  // idle resource: starts on arrival
    EXPECT_EQ(r.bookings(), 4u);
    EXPECT_EQ(r.delayed_bookings(), 2u);
    EXPECT_EQ(r.total_wait_ps(), 10u + 15u);
    EXPECT_EQ(r.max_wait_ps(), 15u);
}

TEST(BusyUntil, EarlierRequestBookedLaterTakesTheGapBeforeALaterBooking) {
    BusyUntilResource r;
    EXPECT_EQ(r.book(300, 100), 300u);  // [300, 400)
    // Arrives "in the past" relative to the existing booking, and fits before it: not delayed.
    EXPECT_EQ(r.book(100, 100), 100u);  // [100, 200)
    // Exactly fills the gap [200, 300).
    EXPECT_EQ(r.book(200, 100), 200u);
    EXPECT_EQ(r.delayed_bookings(), 0u);
}

TEST(BusyUntil, EarlierRequestThatDoesNotFitTheGapWaitsForTheNextFreeTime) {
    BusyUntilResource r;
    r.book(300, 100);                   // [300, 400)
    r.book(100, 100);                   // [100, 200)
    // 250 + 100 would overlap [300, 400): the earliest gap long enough starts at 400.
    EXPECT_EQ(r.book(250, 100), 400u);
    // Arrives inside [100, 200): waits to 200, and [200, 300) is long enough for 50.
    EXPECT_EQ(r.book(150, 50), 200u);
    // [250, 300) is now free and exactly long enough.
    EXPECT_EQ(r.book(240, 50), 250u);
    // Nothing left before 500.
    EXPECT_EQ(r.book(0, 60), 0u);       // [0, 60) was never booked
    EXPECT_EQ(r.book(0, 60), 500u);     // gaps [60,100) is 40 long: too short
    EXPECT_EQ(r.max_wait_ps(), 500u);
}

TEST(BusyUntil, SeveralServersServeConcurrentRequests) {
    BusyUntilResource r(2);
    EXPECT_EQ(r.servers(), 2u);
    EXPECT_EQ(r.book(0, 20), 0u);   // server 0: [0, 20)
    EXPECT_EQ(r.book(0, 10), 0u);   // server 1: [0, 10)
    EXPECT_EQ(r.book(0, 5), 10u);   // server 1 frees first: [10, 15)
    EXPECT_EQ(r.book(0, 5), 15u);   // server 1 again: [15, 20)
    EXPECT_EQ(r.book(0, 5), 20u);   // both free at 20: [20, 25) on server 0
    EXPECT_EQ(r.book(0, 5), 20u);   // and [20, 25) on server 1
    EXPECT_EQ(r.book(0, 5), 25u);
    EXPECT_EQ(r.delayed_bookings(), 5u);
}

TEST(BusyUntil, TieBetweenServersGoesToTheLowestIndex) {
    BusyUntilResource r(2);
    EXPECT_EQ(r.book(0, 10), 0u);    // server 0: [0, 10)
    EXPECT_EQ(r.book(30, 10), 30u);  // server 0: [30, 40)
    EXPECT_EQ(r.book(0, 10), 0u);    // server 1: [0, 10)
    // Both servers can start at 10: server 0 takes it, leaving server 1 free from 10 ...
    EXPECT_EQ(r.book(5, 5), 10u);    // server 0: [10, 15)
    // ... so a long request at 10 starts at once on server 1 (server 0 has only [15, 30) before 30).
    EXPECT_EQ(r.book(10, 25), 10u);
}

TEST(BusyUntil, ZeroDurationIsNeverDelayedAndBooksNothing) {
    BusyUntilResource r;
    r.book(0, 100);
    EXPECT_EQ(r.book(50, 0), 50u);
    EXPECT_EQ(r.book(100, 10), 100u);  // the zero-length request left no trace
    EXPECT_EQ(r.delayed_bookings(), 0u);
    EXPECT_EQ(r.bookings(), 3u);
}

TEST(BusyUntil, ForgetBeforeDropsOnlyBookingsThatEndedByTheHorizon) {
    BusyUntilResource r;
    r.book(0, 100);                    // [0, 100)
    r.forget_before(99);               // still running at 99: kept
    EXPECT_EQ(r.book(50, 10), 100u);   // [100, 110)
    r.forget_before(110);              // both ended by 110
    // Whatever is booked now is a request no earlier than the horizon in real use; a request at 0
    // shows that the old bookings are gone.
    EXPECT_EQ(r.book(0, 10), 0u);
}

TEST(BusyUntil, ResetClearsBookingsAndStatistics) {
    BusyUntilResource r;
    r.book(0, 10);
    r.book(0, 10);
    r.reset();
    EXPECT_EQ(r.bookings(), 0u);
    EXPECT_EQ(r.delayed_bookings(), 0u);
    EXPECT_EQ(r.total_wait_ps(), 0u);
    EXPECT_EQ(r.max_wait_ps(), 0u);
    EXPECT_EQ(r.book(0, 10), 0u);
}

TEST(BusyUntil, ZeroServersIsRefused) { EXPECT_THROW(BusyUntilResource(0), std::invalid_argument); }

}  // namespace
}  // namespace iommu_vp
