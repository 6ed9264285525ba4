// The IOMMU's side of ATC invalidation (models/common/atc_invalidator.h) with two endpoints' ATCs
// bound to its port, one of them ignoring invalidations: completion after the endpoint's latency, a
// time-out when an endpoint never answers, no wait for a requester without an endpoint, and each
// request's deadline counted from its sending rather than from the wait.
#include "models/common/atc_invalidator.h"
#include "models/dma/ats_endpoint.h"
#include "sc_test.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace iommu_vp {
namespace {

using sc_core::sc_time;
using sc_core::SC_US;

class Iommu : public sc_core::sc_module {
public:
    SC_HAS_PROCESS(Iommu);
    Iommu(sc_core::sc_module_name name, std::function<void(Iommu&)> body)
        : sc_core::sc_module(name), body_(std::move(body)) {
        SC_THREAD(run);
    }
    AtcInvalidator invalidator;

private:
    void run() { body_(*this); }
    std::function<void(Iommu&)> body_;
};

AtcInvalidation for_requester(std::uint32_t requester) {
    AtcInvalidation request;
    request.requester = requester;
    request.size = AtcInvalidation::kAll;
    return request;
}

class AtcInvalidatorTest : public testing::ScTest {};

TEST_F(AtcInvalidatorTest, SyncWaitsForCompletionsTimesOutOnASilentEndpointAndSkipsAbsentOnes) {
    std::vector<std::string> steps;
    auto note = [&](const std::string& what, const AtcInvalidator::SyncOutcome& outcome) {
        using Kind = AtcInvalidator::SyncOutcome::Kind;
        std::string result = outcome.kind == Kind::completed ? " completed" : outcome.kind == Kind::timed_out
                                                                                  ? " timed out"
                                                                                  : " abandoned";
        if (outcome.kind == Kind::timed_out) result += " (requester " + std::to_string(outcome.requester) + ")";
        steps.push_back(what + result + " at " + sc_core::sc_time_stamp().to_string());
    };
    const sc_time timeout(100, SC_US);
    Iommu iommu("iommu", [&](Iommu& self) {
        AtcInvalidator& inv = self.invalidator;
        inv.send(for_requester(0x10), timeout);
        note("answering endpoint", inv.wait_for_sent());
        inv.send(for_requester(0x20), timeout);
        note("silent endpoint", inv.wait_for_sent());
        inv.send(for_requester(0x30), timeout);
        note("no endpoint", inv.wait_for_sent());
        // The deadline counts from the sending, not from the wait; the answering one completes first.
        inv.send(for_requester(0x10), timeout);
        inv.send(for_requester(0x20), timeout);
        sc_core::wait(sc_time(50, SC_US));
        note("both, waited for 50 us later", inv.wait_for_sent());
        steps.push_back("outstanding " + std::to_string(inv.outstanding()));
    });
    AtsEndpointParams ignoring;
    ignoring.ignore_invalidations = true;
    AtsEndpoint answering("answering", AtsEndpointParams{}, nullptr), silent("silent", ignoring, nullptr);
    answering.set_requester(0x10);
    silent.set_requester(0x20);
    iommu.invalidator.endpoints.bind(answering.ats);
    iommu.invalidator.endpoints.bind(silent.ats);
    sc_core::sc_start();
    EXPECT_EQ(steps, (std::vector<std::string>{
                         "answering endpoint completed at 1 us",  // the endpoint's 1 us latency
                         "silent endpoint timed out (requester 32) at 101 us",
                         "no endpoint completed at 101 us",
                         "both, waited for 50 us later timed out (requester 32) at 201 us",
                         "outstanding 0",
                     }));
    EXPECT_EQ(iommu.invalidator.sent(), 5u);
    EXPECT_EQ(iommu.invalidator.timed_out(), 2u);
    EXPECT_EQ(iommu.invalidator.without_endpoint(), 1u);
}

}  // namespace
}  // namespace iommu_vp
