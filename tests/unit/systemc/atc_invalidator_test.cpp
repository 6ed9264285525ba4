// The IOMMU's side of ATC invalidation (models/common/atc_invalidator.h) with two endpoints' ATCs
// bound to its port, one of them ignoring invalidations: completion after the endpoint's latency, a
// time-out when an endpoint never answers, no wait for a requester without an endpoint, and a wait
// that covers only what was sent before it.
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
    auto note = [&](const std::string& what, bool ok) {
        steps.push_back(what + (ok ? " ok at " : " timed out at ") + sc_core::sc_time_stamp().to_string());
    };
    Iommu iommu("iommu", [&](Iommu& self) {
        AtcInvalidator& inv = self.invalidator;
        inv.send(for_requester(0x10));
        note("answering endpoint", inv.wait_until_completed(inv.next_sequence(), sc_time(100, SC_US)));
        inv.send(for_requester(0x20));
        note("silent endpoint", inv.wait_until_completed(inv.next_sequence(), sc_time(100, SC_US)));
        inv.send(for_requester(0x30));
        note("no endpoint", inv.wait_until_completed(inv.next_sequence(), sc_time(100, SC_US)));
        // A wait covers what was sent before it only.
        inv.send(for_requester(0x10));
        const std::uint64_t before_silent = inv.next_sequence();
        inv.send(for_requester(0x20));
        note("before the silent one", inv.wait_until_completed(before_silent, sc_time(100, SC_US)));
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
                         "answering endpoint ok at 1 us",      // the endpoint's 1 us latency
                         "silent endpoint timed out at 101 us",
                         "no endpoint ok at 101 us",
                         "before the silent one ok at 102 us",
                         "outstanding 1",
                     }));
    EXPECT_EQ(iommu.invalidator.sent(), 5u);
    EXPECT_EQ(iommu.invalidator.timed_out(), 1u);
    EXPECT_EQ(iommu.invalidator.without_endpoint(), 1u);
}

}  // namespace
}  // namespace iommu_vp
