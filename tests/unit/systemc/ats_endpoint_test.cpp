// The endpoint's Address Translation Cache (models/dma/ats_endpoint.h) against a fake IOMMU that
// answers translation requests from a table, records page requests and answers them after a delay:
// miss then hit, permissions, invalidation after its latency (and never with the fault-injection
// knob), a translation overtaken by an invalidation used once but not cached, PASID tagging and the
// PRI retry. Expected values follow PCIe ATS: a completion's range, R/W, "no translation" as R=W=0.
#include "models/common/ats.h"
#include "models/dma/ats_endpoint.h"
#include "sc_test.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace iommu_vp {
namespace {

using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_US;

// A stand-in for an IOMMU's upstream side: translations by 4 KiB page (PASID-blind unless mapped with
// one), a cost per translation request, page requests answered after `pri_delay`.
class FakeIommu final : public sc_core::sc_module, public AtcInvalidationCompleter {
public:
    struct Mapping {
        std::uint64_t pa;
        std::uint64_t range;
        bool write;
    };
    SC_HAS_PROCESS(FakeIommu);
    explicit FakeIommu(sc_core::sc_module_name name) : sc_core::sc_module(name) { SC_THREAD(answer_pages); }

    // The endpoint's transport.
    void transport(tlm::tlm_generic_payload& payload, sc_time& delay) {
        MasterAttrs* attrs = nullptr;
        payload.get_extension(attrs);
        AtsTranslation* translation = nullptr;
        payload.get_extension(translation);
        PageRequestMessage* page = nullptr;
        payload.get_extension(page);
        payload.set_response_status(tlm::TLM_OK_RESPONSE);
        if (page) {
            page_requests.push_back(page->address);
            pending.push_back({page->group_index, page->address, sc_core::sc_time_stamp() + delay + pri_delay});
            wake.notify(delay);
            return;
        }
        ASSERT_NE(attrs, nullptr);
        ASSERT_EQ(attrs->ats, AtsState::translation_request);
        ASSERT_NE(translation, nullptr);
        ++translation_requests;
        delay += request_cost;
        if (request_wait > sc_core::SC_ZERO_TIME) {  // a walk in the IOMMU's own time
            sc_core::wait(delay + request_wait);
            delay = sc_core::SC_ZERO_TIME;
        }
        const auto found = mappings.find(payload.get_address());
        if (found == mappings.end()) {  // success without permission: not present
            translation->read = translation->write = false;
            return;
        }
        translation->translated_address = found->second.pa;
        translation->range_bytes = found->second.range;
        translation->read = true;
        translation->write = found->second.write && !translation->no_write;
    }

    void atc_invalidation_completed(const AtcInvalidation& request) override {
        completions.push_back({request.tag, sc_core::sc_time_stamp()});
    }

    void answer_pages() {
        for (;;) {
            while (pending.empty()) sc_core::wait(wake);
            const Pending next = pending.front();
            if (next.due > sc_core::sc_time_stamp()) sc_core::wait(next.due - sc_core::sc_time_stamp());
            pending.erase(pending.begin());
            mappings[next.address] = {0x9000'0000 + next.address, 0x1000, true};  // the page is now there
            endpoint->pri_response(0x10, false, 0, next.group, PrgResponseCode::success);
        }
    }

    struct Pending {
        std::uint32_t group;
        std::uint64_t address;
        sc_time due;
    };
    std::map<std::uint64_t, Mapping> mappings;
    unsigned translation_requests = 0;
    sc_time request_cost = sc_time(100, SC_NS);
    sc_time request_wait = sc_core::SC_ZERO_TIME;
    sc_time pri_delay = sc_time(2, SC_US);
    std::vector<std::uint64_t> page_requests;
    std::vector<Pending> pending;
    sc_core::sc_event wake;
    std::vector<std::pair<std::uint32_t, sc_time>> completions;
    AtsEndpoint* endpoint = nullptr;
};

struct Bench {
    std::unique_ptr<FakeIommu> iommu;
    std::unique_ptr<AtsEndpoint> endpoint;
    MasterAttrs attrs{0x10};

    explicit Bench(AtsEndpointParams params = {}) {
        iommu = std::make_unique<FakeIommu>("iommu");
        endpoint = std::make_unique<AtsEndpoint>(
            "ep", params, [this](tlm::tlm_generic_payload& p, sc_time& d) { iommu->transport(p, d); });
        endpoint->set_requester(0x10);
        iommu->endpoint = endpoint.get();
    }
    std::uint64_t counter(const char* name) const { return endpoint->stats().find_counter(name)->value; }
};

// Runs `body` in a thread of its own and simulates until everything is idle.
class Runner : public sc_core::sc_module {
public:
    SC_HAS_PROCESS(Runner);
    Runner(sc_core::sc_module_name name, std::function<void()> body) : sc_core::sc_module(name), body_(std::move(body)) {
        SC_THREAD(run);
    }

private:
    void run() { body_(); }
    std::function<void()> body_;
};

class AtsEndpointTest : public testing::ScTest {};

TEST_F(AtsEndpointTest, AMissRequestsATranslationAndLaterAccessesInItsRangeHit) {
    Bench bench;
    bench.iommu->mappings[0x4000'0000] = {0x8123'4000, 0x1000, true};
    std::vector<std::uint64_t> out;
    std::vector<sc_time> costs;
    Runner runner("runner", [&] {
        for (const std::uint64_t address : {0x4000'0010ull, 0x4000'0ff8ull}) {
            sc_time delay = sc_core::SC_ZERO_TIME;
            out.push_back(bench.endpoint->translate(bench.attrs, address, true, delay).value_or(0));
            costs.push_back(delay);
        }
    });
    sc_core::sc_start();
    EXPECT_EQ(out, (std::vector<std::uint64_t>{0x8123'4010, 0x8123'4ff8}));
    EXPECT_EQ(costs, (std::vector<sc_time>{sc_time(102, SC_NS), sc_time(2, SC_NS)}));  // lookup + request; lookup
    EXPECT_EQ(bench.iommu->translation_requests, 1u);
    EXPECT_EQ(bench.counter("atc_hits"), 1u);
    EXPECT_EQ(bench.counter("atc_misses"), 1u);
}

TEST_F(AtsEndpointTest, AReadOnlyTranslationDoesNotServeAWriteAndNoTranslationFailsWithoutPri) {
    Bench bench;
    bench.iommu->mappings[0x1000] = {0x5000, 0x1000, false};
    std::vector<bool> ok;
    Runner runner("runner", [&] {
        sc_time delay;
        ok.push_back(bench.endpoint->translate(bench.attrs, 0x1000, false, delay).has_value());
        ok.push_back(bench.endpoint->translate(bench.attrs, 0x1000, true, delay).has_value());   // asks again
        ok.push_back(bench.endpoint->translate(bench.attrs, 0x7000, false, delay).has_value());  // not present
    });
    sc_core::sc_start();
    EXPECT_EQ(ok, (std::vector<bool>{true, false, false}));
    EXPECT_EQ(bench.iommu->translation_requests, 3u);
    EXPECT_EQ(bench.counter("translation_failures"), 2u);
    EXPECT_TRUE(bench.iommu->page_requests.empty());
}

TEST_F(AtsEndpointTest, AnInvalidationCompletesAfterItsLatencyAndTheNextAccessMisses) {
    Bench bench;
    bench.iommu->mappings[0x2000] = {0x6000, 0x1000, true};
    bench.iommu->mappings[0x3000] = {0x7000, 0x1000, true};
    std::size_t cached_before = 0, cached_after = 0;
    Runner runner("runner", [&] {
        sc_time delay;
        bench.endpoint->translate(bench.attrs, 0x2000, true, delay);
        bench.endpoint->translate(bench.attrs, 0x3000, true, delay);
        sc_core::wait(sc_time(10, SC_US));
        cached_before = bench.endpoint->cached_pages();
        AtcInvalidation one;
        one.requester = 0x10;
        one.address = 0x2000;
        one.size = 0x1000;
        one.tag = 7;
        bench.endpoint->atc_invalidate(one, *bench.iommu);  // at 10 us
        sc_core::wait(sc_time(5, SC_US));
        cached_after = bench.endpoint->cached_pages();
        bench.endpoint->translate(bench.attrs, 0x2000, true, delay);  // misses again
        bench.endpoint->translate(bench.attrs, 0x3000, true, delay);  // still cached
    });
    sc_core::sc_start();
    EXPECT_EQ(cached_before, 2u);
    EXPECT_EQ(cached_after, 1u);
    ASSERT_EQ(bench.iommu->completions.size(), 1u);
    EXPECT_EQ(bench.iommu->completions[0].first, 7u);
    EXPECT_EQ(bench.iommu->completions[0].second, sc_time(11, SC_US));  // default latency: 1 us
    EXPECT_EQ(bench.iommu->translation_requests, 3u);
}

TEST_F(AtsEndpointTest, AnEndpointThatIgnoresInvalidationsNeverCompletesAndKeepsServingTheOldTranslation) {
    AtsEndpointParams params;
    params.ignore_invalidations = true;
    Bench bench(params);
    bench.iommu->mappings[0x2000] = {0x6000, 0x1000, true};
    std::uint64_t after = 0;
    Runner runner("runner", [&] {
        sc_time delay;
        bench.endpoint->translate(bench.attrs, 0x2000, true, delay);
        AtcInvalidation all;
        all.requester = 0x10;
        all.size = AtcInvalidation::kAll;
        bench.endpoint->atc_invalidate(all, *bench.iommu);
        bench.iommu->mappings[0x2000] = {0xA000, 0x1000, true};  // software moved the page
        sc_core::wait(sc_time(100, SC_US));
        after = bench.endpoint->translate(bench.attrs, 0x2000, true, delay).value_or(0);
    });
    sc_core::sc_start();
    EXPECT_TRUE(bench.iommu->completions.empty());
    EXPECT_EQ(after, 0x6000u);  // the stale entry
    EXPECT_EQ(bench.counter("invalidations_ignored"), 1u);
}

TEST_F(AtsEndpointTest, ATranslationOvertakenByAnInvalidationIsUsedOnceButNotCached) {
    Bench bench;
    bench.iommu->mappings[0x2000] = {0x6000, 0x1000, true};
    bench.iommu->request_wait = sc_time(500, SC_NS);  // the IOMMU takes its time to answer
    Runner invalidator("invalidator", [&] {
        sc_core::wait(sc_time(200, SC_NS));  // while the request is in flight
        AtcInvalidation all;
        all.requester = 0x10;
        all.size = AtcInvalidation::kAll;
        bench.endpoint->atc_invalidate(all, *bench.iommu);
    });
    std::uint64_t first = 0;
    Runner runner("runner", [&] {
        sc_time delay;
        first = bench.endpoint->translate(bench.attrs, 0x2000, true, delay).value_or(0);
        bench.endpoint->translate(bench.attrs, 0x2000, true, delay);
    });
    sc_core::sc_start();
    EXPECT_EQ(first, 0x6000u);
    EXPECT_EQ(bench.iommu->translation_requests, 2u);  // the second access asked again
    EXPECT_EQ(bench.counter("completions_not_cached"), 1u);
}

TEST_F(AtsEndpointTest, EntriesAreTaggedByPasidAndAnInvalidationWithoutPasidCoversThemAll) {
    Bench bench;
    bench.iommu->mappings[0x2000] = {0x6000, 0x1000, true};
    MasterAttrs pasid3 = bench.attrs, pasid4 = bench.attrs;
    pasid3.has_substream = pasid4.has_substream = true;
    pasid3.substream_id = 3;
    pasid4.substream_id = 4;
    std::vector<std::size_t> cached;
    Runner runner("runner", [&] {
        sc_time delay;
        bench.endpoint->translate(pasid3, 0x2000, true, delay);
        bench.endpoint->translate(pasid4, 0x2000, true, delay);  // another PASID: its own request
        bench.endpoint->translate(bench.attrs, 0x2000, true, delay);
        cached.push_back(bench.endpoint->cached_pages());
        AtcInvalidation only3;
        only3.requester = 0x10;
        only3.has_pasid = true;
        only3.pasid = 3;
        only3.size = AtcInvalidation::kAll;
        bench.endpoint->atc_invalidate(only3, *bench.iommu);
        sc_core::wait(sc_time(2, SC_US));
        cached.push_back(bench.endpoint->cached_pages());
        AtcInvalidation any;
        any.requester = 0x10;
        any.address = 0;
        any.size = 0x10000;
        bench.endpoint->atc_invalidate(any, *bench.iommu);
        sc_core::wait(sc_time(2, SC_US));
        cached.push_back(bench.endpoint->cached_pages());
    });
    sc_core::sc_start();
    EXPECT_EQ(bench.iommu->translation_requests, 3u);
    EXPECT_EQ(cached, (std::vector<std::size_t>{3, 2, 0}));
}

TEST_F(AtsEndpointTest, WithPriANotPresentPageIsRequestedAndTheTranslationRetriedAfterTheResponse) {
    AtsEndpointParams params;
    params.pri_enabled = true;
    Bench bench(params);
    std::uint64_t out = 0;
    sc_time finished;
    Runner runner("runner", [&] {
        sc_time delay;
        out = bench.endpoint->translate(bench.attrs, 0x7010, false, delay).value_or(0);
        sc_core::wait(delay);
        finished = sc_core::sc_time_stamp();
    });
    sc_core::sc_start();
    EXPECT_EQ(out, 0x9000'7010u);
    EXPECT_EQ(bench.iommu->page_requests, (std::vector<std::uint64_t>{0x7000}));
    EXPECT_EQ(bench.iommu->translation_requests, 2u);
    // lookup 2 ns + request 100 ns, page response 2 us later, then the second request 100 ns.
    EXPECT_EQ(finished, sc_time(2202, SC_NS));
    EXPECT_EQ(bench.counter("page_responses"), 1u);
}

TEST_F(AtsEndpointTest, AResponseWithoutPasidAnswersAGroupAskedWithOne) {
    AtsEndpointParams params;
    params.pri_enabled = true;
    Bench bench(params);
    bench.iommu->pri_delay = sc_time(1, SC_US);
    MasterAttrs pasid7 = bench.attrs;
    pasid7.has_substream = true;
    pasid7.substream_id = 7;
    bool done = false;
    Runner runner("runner", [&] {
        sc_time delay;
        bench.endpoint->translate(pasid7, 0x7000, false, delay);  // the fake answers without a PASID
        done = true;
    });
    sc_core::sc_start();
    EXPECT_TRUE(done);
    EXPECT_EQ(bench.counter("page_responses"), 1u);
}

}  // namespace
}  // namespace iommu_vp
