// TrafficMaster: counts, MasterAttrs on every transaction, pattern addresses, think time,
// outstanding streams, trace replay, statistics, held start and release(), duration, direct issue,
// DMI, parameter checks, ATS (translation through the endpoint's cache, page by page).
#include "models/dma/traffic_master.h"

#include "models/common/ats.h"
#include "models/memory/sparse_memory.h"
#include "sc_test.h"
#include "unit/systemc/tlm_test_kit.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace iommu_vp {
namespace {

using testing::ns;
using testing::RecordedTransaction;
using testing::RecordingTarget;

constexpr std::uint64_t kBase = 0x8000'0000;

TrafficMasterParams master_params(std::uint64_t count) {
    TrafficMasterParams p;
    p.count = count;
    p.pattern.pattern = AccessPattern::sequential;
    p.pattern.base = kBase;
    p.pattern.window_bytes = 0x1000;
    p.pattern.transaction_bytes = 64;
    p.pattern.read_fraction = 1.0;
    return p;
}

std::uint64_t counter(const TrafficMaster& m, const std::string& name) {
    const Counter* c = m.stats().find_counter(name);
    EXPECT_NE(c, nullptr) << name;
    return c ? c->value : 0;
}

std::vector<sc_core::sc_time> arrivals(const std::vector<RecordedTransaction>& ts) {
    std::vector<sc_core::sc_time> out;
    for (const RecordedTransaction& t : ts) out.push_back(t.arrival);
    return out;
}

class TrafficMasterTest : public iommu_vp::testing::ScTest {};

// Releases a master held at start from a process of its own at simulated time `at`.
void release_at(TrafficMaster& master, sc_core::sc_time at) {
    sc_core::sc_spawn([&master, at] {
        sc_core::wait(at);
        master.release();
    });
}

TEST_F(TrafficMasterTest, IssuesCountTransactionsAtSequentialAddresses) {
    TrafficMaster master("dma", master_params(10));
    RecordingTarget target("target");
    master.initiator.bind(target.socket);
    sc_core::sc_start();

    ASSERT_EQ(target.transactions.size(), 10u);
    for (std::size_t i = 0; i < 10; ++i) {
        EXPECT_EQ(target.transactions[i].address, kBase + 64 * i);
        EXPECT_EQ(target.transactions[i].length, 64u);
        EXPECT_TRUE(target.transactions[i].is_read());
    }
    EXPECT_TRUE(master.done());
    EXPECT_EQ(counter(master, "transactions"), 10u);
    EXPECT_EQ(counter(master, "reads"), 10u);
    EXPECT_EQ(counter(master, "writes"), 0u);
    EXPECT_EQ(counter(master, "bytes_read"), 640u);
}

TEST_F(TrafficMasterTest, EveryTransactionCarriesTheConfiguredMasterAttrs) {
    TrafficMasterParams p = master_params(6);
    p.stream_id = 0x42;
    p.has_pasid = true;
    p.pasid = 7;
    p.privileged = true;
    p.instruction = true;
    p.pattern.read_fraction = 0.0;  // all writes
    TrafficMaster master("dma", p);
    RecordingTarget target("target");
    master.initiator.bind(target.socket);
    sc_core::sc_start();

    ASSERT_EQ(target.transactions.size(), 6u);
    for (const RecordedTransaction& t : target.transactions) {
        EXPECT_FALSE(t.is_read());
        ASSERT_TRUE(t.attrs.has_value());
        EXPECT_EQ(t.attrs->stream_id, 0x42u);
        EXPECT_TRUE(t.attrs->has_substream);
        EXPECT_EQ(t.attrs->substream_id, 7u);
        EXPECT_TRUE(t.attrs->privileged);
        EXPECT_TRUE(t.attrs->instruction);
        EXPECT_EQ(t.attrs->ats, AtsState::untranslated);
    }
    EXPECT_EQ(counter(master, "writes"), 6u);
    EXPECT_EQ(counter(master, "bytes_written"), 6u * 64);
}

TEST_F(TrafficMasterTest, RandomPatternAddressesStayInTheWindow) {
    TrafficMasterParams p = master_params(50);
    p.pattern.pattern = AccessPattern::random;
    p.seed = 3;
    TrafficMaster master("dma", p);
    RecordingTarget target("target");
    master.initiator.bind(target.socket);
    sc_core::sc_start();
    ASSERT_EQ(target.transactions.size(), 50u);
    for (const RecordedTransaction& t : target.transactions) {
        EXPECT_GE(t.address, kBase);
        EXPECT_LE(t.address + t.length, kBase + 0x1000);
        EXPECT_EQ((t.address - kBase) % 64, 0u);
    }
}

TEST_F(TrafficMasterTest, ThinkTimeSeparatesAStreamsTransactions) {
    TrafficMasterParams p = master_params(3);
    p.think_time = ns(100);
    TrafficMaster master("dma", p);
    RecordingTarget target("target");
    target.latency = ns(10);
    master.initiator.bind(target.socket);
    sc_core::sc_start();
    // Each transaction takes 10 ns, then the stream thinks for 100 ns.
    EXPECT_EQ(arrivals(target.transactions), (std::vector<sc_core::sc_time>{ns(0), ns(110), ns(220)}));
}

TEST_F(TrafficMasterTest, StartTimeDelaysTheFirstTransaction) {
    TrafficMasterParams p = master_params(2);
    p.start_time = ns(300);
    TrafficMaster master("dma", p);
    RecordingTarget target("target");
    target.latency = ns(10);
    master.initiator.bind(target.socket);
    sc_core::sc_start();
    EXPECT_EQ(arrivals(target.transactions), (std::vector<sc_core::sc_time>{ns(300), ns(310)}));
}

TEST_F(TrafficMasterTest, OutstandingStreamsIssueConcurrentlyAndShareTheCount) {
    TrafficMasterParams p = master_params(4);
    p.outstanding = 2;
    TrafficMaster master("dma", p);
    RecordingTarget target("target");
    target.latency = ns(100);
    master.initiator.bind(target.socket);
    sc_core::sc_start();
    ASSERT_EQ(target.transactions.size(), 4u);
    EXPECT_EQ(arrivals(target.transactions), (std::vector<sc_core::sc_time>{ns(0), ns(0), ns(100), ns(100)}));
    // Each address is issued once: the streams share one pattern.
    std::vector<std::uint64_t> addresses;
    for (const RecordedTransaction& t : target.transactions) addresses.push_back(t.address);
    std::sort(addresses.begin(), addresses.end());
    EXPECT_EQ(addresses, (std::vector<std::uint64_t>{kBase, kBase + 64, kBase + 128, kBase + 192}));
    EXPECT_TRUE(master.done());
}

std::vector<TraceRecord> three_records() {
    return {
        {10'000, false, 0x100, 8, 5, false, 0},   // 10 ns: write 8 bytes, stream 5
        {30'000, true, 0x200, 4, 6, true, 9},     // 30 ns: read 4 bytes, stream 6, PASID 9
        {100'000, true, 0x300, 16, 5, false, 0},  // 100 ns: read 16 bytes, stream 5
    };
}

TEST_F(TrafficMasterTest, TraceIsReplayedInRecordOrderAtRecordTimes) {
    TrafficMasterParams p = master_params(0);
    p.pattern.pattern = AccessPattern::trace;
    p.trace = three_records();
    p.start_time = ns(1000);
    p.privileged = true;  // the master's own attributes apply where a record says nothing
    TrafficMaster master("dma", p);
    RecordingTarget target("target");
    target.latency = ns(5);
    master.initiator.bind(target.socket);
    sc_core::sc_start();

    ASSERT_EQ(target.transactions.size(), 3u);
    EXPECT_EQ(arrivals(target.transactions), (std::vector<sc_core::sc_time>{ns(1010), ns(1030), ns(1100)}));
    const RecordedTransaction& w = target.transactions[0];
    EXPECT_FALSE(w.is_read());
    EXPECT_EQ(w.address, 0x100u);
    EXPECT_EQ(w.length, 8u);
    ASSERT_TRUE(w.attrs.has_value());
    EXPECT_EQ(w.attrs->stream_id, 5u);
    EXPECT_FALSE(w.attrs->has_substream);
    EXPECT_TRUE(w.attrs->privileged);
    const RecordedTransaction& r = target.transactions[1];
    EXPECT_TRUE(r.is_read());
    EXPECT_EQ(r.address, 0x200u);
    EXPECT_EQ(r.length, 4u);
    ASSERT_TRUE(r.attrs.has_value());
    EXPECT_EQ(r.attrs->stream_id, 6u);
    EXPECT_TRUE(r.attrs->has_substream);
    EXPECT_EQ(r.attrs->substream_id, 9u);
    EXPECT_EQ(target.transactions[2].length, 16u);
    EXPECT_EQ(counter(master, "transactions"), 3u);
}

TEST_F(TrafficMasterTest, StatisticsCountEveryResponseStatusBandwidthAndLatency) {
    TrafficMasterParams p = master_params(4);  // reads of 64 bytes at kBase + 0, 0x40, 0x80, 0xC0
    TrafficMaster master("dma", p);
    RecordingTarget target("target");
    target.latency = ns(10);
    target.respond = [](const RecordedTransaction& t) {
        return t.address >= kBase + 0x80 ? tlm::TLM_ADDRESS_ERROR_RESPONSE : tlm::TLM_OK_RESPONSE;
    };
    master.initiator.bind(target.socket);
    sc_core::sc_start();

    EXPECT_EQ(counter(master, "transactions"), 4u);
    EXPECT_EQ(counter(master, "response_ok"), 2u);
    EXPECT_EQ(counter(master, "response_address_error"), 2u);
    EXPECT_EQ(counter(master, "response_generic_error"), 0u);
    EXPECT_EQ(counter(master, "reads"), 4u);
    EXPECT_EQ(counter(master, "bytes_read"), 128u);  // only successful reads moved data
    // Issued at 0, 10, 20, 30 ns; the last completes at 40 ns.
    EXPECT_EQ(counter(master, "active_time_ps"), 40'000u);
    EXPECT_DOUBLE_EQ(master.bandwidth_bytes_per_second(), 128.0 / 40e-9);
    EXPECT_EQ(master.latency().count(), 4u);
    EXPECT_EQ(master.latency().min_ps(), 10'000u);
    EXPECT_EQ(master.latency().max_ps(), 10'000u);
    EXPECT_DOUBLE_EQ(master.latency().mean_ps(), 10'000.0);
}

TEST_F(TrafficMasterTest, EveryResponseStatusHasANamedCounter) {
    TrafficMaster master("dma", master_params(1));
    RecordingTarget target("target");
    master.initiator.bind(target.socket);
    for (const char* name : {"response_ok", "response_incomplete", "response_generic_error", "response_address_error",
                             "response_command_error", "response_burst_error", "response_byte_enable_error"})
        EXPECT_NE(master.stats().find_counter(name), nullptr) << name;
}

TEST_F(TrafficMasterTest, HeldMasterStartsOnlyAfterRelease) {
    TrafficMasterParams p = master_params(2);
    p.held_at_start = true;
    p.start_time = ns(100);  // counts from the release
    TrafficMaster master("dma", p);
    RecordingTarget target("target");
    target.latency = ns(10);
    master.initiator.bind(target.socket);
    sc_core::sc_spawn([&] {
        sc_core::wait(ns(500));
        EXPECT_TRUE(target.transactions.empty());
        EXPECT_FALSE(master.done());
        master.release();
    });
    sc_core::sc_start();
    EXPECT_EQ(arrivals(target.transactions), (std::vector<sc_core::sc_time>{ns(600), ns(610)}));
    EXPECT_TRUE(master.done());
}

TEST_F(TrafficMasterTest, HeldMasterReplaysATraceRelativeToItsStart) {
    // A trace record's time is "after the master starts"; a held master starts at its release
    // (plus start_time).
    TrafficMasterParams p = master_params(0);
    p.pattern.pattern = AccessPattern::trace;
    p.trace = three_records();
    p.held_at_start = true;
    p.start_time = ns(50);
    TrafficMaster master("dma", p);
    RecordingTarget target("target");
    target.latency = ns(5);
    master.initiator.bind(target.socket);
    release_at(master, ns(500));
    sc_core::sc_start();
    EXPECT_EQ(arrivals(target.transactions), (std::vector<sc_core::sc_time>{ns(560), ns(580), ns(650)}));
}

TEST_F(TrafficMasterTest, DurationStopsIssuing) {
    TrafficMasterParams p = master_params(0);
    p.duration = ns(1000);
    p.think_time = ns(90);
    TrafficMaster master("dma", p);
    RecordingTarget target("target");
    target.latency = ns(10);
    master.initiator.bind(target.socket);
    sc_core::sc_start();
    // Issues at 0, 100, ..., 900 ns; 1000 ns is the end of the duration.
    ASSERT_EQ(target.transactions.size(), 10u);
    EXPECT_EQ(target.transactions.back().arrival, ns(900));
    EXPECT_TRUE(master.done());
}

TEST_F(TrafficMasterTest, HeldMasterCountsItsDurationFromItsStart) {
    TrafficMasterParams p = master_params(0);
    p.duration = ns(300);
    p.think_time = ns(90);
    p.held_at_start = true;
    TrafficMaster master("dma", p);
    RecordingTarget target("target");
    target.latency = ns(10);
    master.initiator.bind(target.socket);
    release_at(master, ns(500));
    sc_core::sc_start();
    EXPECT_EQ(arrivals(target.transactions), (std::vector<sc_core::sc_time>{ns(500), ns(600), ns(700)}));
}

TEST_F(TrafficMasterTest, TimingJitterIsBoundedAndReproducibleFromItsSeed) {
    TrafficMasterParams p = master_params(6);
    p.start_time = ns(100);
    p.think_time = ns(200);
    p.timing_jitter = ns(50);
    p.jitter_seed = 11;
    TrafficMasterParams other_seed = p;
    other_seed.jitter_seed = 12;
    TrafficMaster a("a", p), b("b", p), c("c", other_seed);
    RecordingTarget ta("ta"), tb("tb"), tc("tc");
    for (RecordingTarget* t : {&ta, &tb, &tc}) t->latency = ns(10);
    a.initiator.bind(ta.socket);
    b.initiator.bind(tb.socket);
    c.initiator.bind(tc.socket);
    sc_core::sc_start();

    const std::vector<sc_core::sc_time> times = arrivals(ta.transactions);
    ASSERT_EQ(times.size(), 6u);
    EXPECT_EQ(times, arrivals(tb.transactions));  // same seed, same timing
    EXPECT_NE(times, arrivals(tc.transactions));  // another seed, other timing
    // Start in [100, 150] ns; each gap is latency + think time + [0, 50] ns.
    EXPECT_GE(times[0], ns(100));
    EXPECT_LE(times[0], ns(150));
    bool any_jitter = times[0] != ns(100);
    for (std::size_t i = 1; i < times.size(); ++i) {
        const sc_core::sc_time gap = times[i] - times[i - 1];
        EXPECT_GE(gap, ns(210)) << i;
        EXPECT_LE(gap, ns(260)) << i;
        any_jitter |= gap != ns(210);
    }
    EXPECT_TRUE(any_jitter);
    // The traffic itself is unchanged: the same addresses in the same order.
    for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(ta.transactions[i].address, kBase + 64 * i);
}

TEST_F(TrafficMasterTest, DirectIssueUsesTheAccessAttributesAndWaits) {
    TrafficMasterParams p = master_params(0);
    p.enabled = false;  // serves direct accesses only
    TrafficMaster master("dma", p);
    RecordingTarget target("target");
    target.latency = ns(40);
    master.initiator.bind(target.socket);
    tlm::tlm_response_status write_status = tlm::TLM_INCOMPLETE_RESPONSE, read_status = write_status;
    DirectAccess read;
    sc_core::sc_time after_write;
    sc_core::sc_spawn([&] {
        DirectAccess write;
        write.is_read = false;
        write.address = 0x1000;
        write.data = {1, 2, 3, 4};
        write.length = 4;
        write.attrs = MasterAttrs(0x77);
        write.attrs.instruction = true;
        write_status = master.issue(write);
        after_write = sc_core::sc_time_stamp();
        read.is_read = true;
        read.address = 0x2000;
        read.length = 2;
        read.attrs = MasterAttrs(0x78);
        read_status = master.issue(read);
    });
    sc_core::sc_start();

    EXPECT_TRUE(master.done());  // no generated traffic
    EXPECT_EQ(write_status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(read_status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(after_write, ns(40));  // issue() waits for the annotated delay
    ASSERT_EQ(target.transactions.size(), 2u);
    EXPECT_EQ(target.transactions[0].data, (std::vector<std::uint8_t>{1, 2, 3, 4}));
    ASSERT_TRUE(target.transactions[0].attrs.has_value());
    EXPECT_EQ(target.transactions[0].attrs->stream_id, 0x77u);
    EXPECT_TRUE(target.transactions[0].attrs->instruction);
    ASSERT_TRUE(target.transactions[1].attrs.has_value());
    EXPECT_EQ(target.transactions[1].attrs->stream_id, 0x78u);
    EXPECT_EQ(read.data, (std::vector<std::uint8_t>{0x00, 0x01}));  // the target returns address + i
    EXPECT_EQ(counter(master, "transactions"), 2u);
}

TEST_F(TrafficMasterTest, DmiMasterWritesThroughTheDirectPointer) {
    SparseMemoryParams mp;
    mp.size_bytes = 1ULL << 32;
    SparseMemory memory("memory", mp);
    TrafficMasterParams p = master_params(4);
    p.pattern.read_fraction = 0.0;
    p.use_dmi = true;
    TrafficMaster master("dma", p);
    master.initiator.bind(memory.target);
    sc_core::sc_start();

    EXPECT_EQ(counter(master, "dmi_accesses"), 4u);
    EXPECT_EQ(memory.stats().find_counter("writes")->value, 0u);  // nothing went through b_transport
    EXPECT_EQ(counter(master, "bytes_written"), 4u * 64);
    // Something landed at every written address (write data is derived from the address).
    std::vector<std::uint8_t> stored(4 * 64);
    memory.store().read(kBase, stored.data(), stored.size());
    std::size_t nonzero = 0;
    for (std::uint8_t b : stored) nonzero += b != 0 ? 1 : 0;
    EXPECT_GT(nonzero, 4u * 60);
}

TEST_F(TrafficMasterTest, ParametersDescribingNoBoundedTrafficAreRefused) {
    TrafficMasterParams unbounded = master_params(0);  // no count and no duration
    EXPECT_THROW(TrafficMaster("unbounded", unbounded), std::invalid_argument);
    TrafficMasterParams no_streams = master_params(1);
    no_streams.outstanding = 0;
    EXPECT_THROW(TrafficMaster("no_streams", no_streams), std::invalid_argument);
    TrafficMasterParams empty_trace = master_params(0);
    empty_trace.pattern.pattern = AccessPattern::trace;
    EXPECT_THROW(TrafficMaster("empty_trace", empty_trace), std::invalid_argument);
    TrafficMasterParams disabled = master_params(0);
    disabled.enabled = false;  // no traffic needs no bound
    EXPECT_NO_THROW(TrafficMaster("disabled", disabled));
}

// An IOMMU stand-in for ATS: translation requests get pages of [kBase, kBase + 1 MiB) at 0x9000_0000
// onwards, read-write; everything else is recorded.
class AtsIommu : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<AtsIommu> socket;
    unsigned translation_requests = 0;
    std::vector<std::pair<std::uint64_t, unsigned>> translated;  // address, length
    std::vector<AtsState> states;

    explicit AtsIommu(sc_core::sc_module_name name) : sc_module(name), socket("socket") {
        socket.register_b_transport(this, &AtsIommu::b_transport);
    }
    void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
        const MasterAttrs* attrs = find_master_attrs(p);
        p.set_response_status(tlm::TLM_OK_RESPONSE);
        delay += ns(50);
        if (attrs->ats == AtsState::translation_request) {
            AtsTranslation* t = nullptr;
            p.get_extension(t);
            ++translation_requests;
            t->translated_address = 0x9000'0000 + (p.get_address() - kBase);
            t->range_bytes = 0x1000;
            t->read = true;
            t->write = !t->no_write;
            return;
        }
        states.push_back(attrs->ats);
        translated.emplace_back(p.get_address(), p.get_data_length());
    }
};

TEST_F(TrafficMasterTest, AnAtsEndpointTranslatesEachPageOnceAndIssuesTranslatedRequests) {
    TrafficMasterParams params = master_params(128);
    params.pattern.window_bytes = 0x2000;  // two pages, each visited twice
    params.ats = AtsEndpointParams{};
    TrafficMaster master("master", params);
    AtsIommu iommu("iommu");
    master.initiator.bind(iommu.socket);
    sc_core::sc_start();
    EXPECT_EQ(iommu.translation_requests, 2u);
    ASSERT_EQ(iommu.translated.size(), 128u);
    EXPECT_EQ(iommu.translated[0], (std::pair<std::uint64_t, unsigned>{0x9000'0000, 64}));
    EXPECT_EQ(iommu.translated[64], (std::pair<std::uint64_t, unsigned>{0x9000'1000, 64}));
    EXPECT_TRUE(std::all_of(iommu.states.begin(), iommu.states.end(), [](AtsState s) { return s == AtsState::translated; }));
    EXPECT_EQ(counter(master, "atc_hits"), 126u);
    EXPECT_EQ(counter(master, "response_ok"), 128u);
}

TEST_F(TrafficMasterTest, AnAtsAccessAcrossAPageBoundaryIsTranslatedAndIssuedPerPage) {
    TrafficMasterParams params = master_params(1);
    params.pattern.base = kBase + 0xfe0;  // 64 bytes from 0x...0fe0: 32 in each page
    params.pattern.window_bytes = 0x40;
    params.pattern.allow_4k_crossing = true;  // patterns keep inside 4 KiB unless asked
    params.ats = AtsEndpointParams{};
    TrafficMaster master("master", params);
    AtsIommu iommu("iommu");
    master.initiator.bind(iommu.socket);
    sc_core::sc_start();
    EXPECT_EQ(iommu.translation_requests, 2u);
    EXPECT_EQ(iommu.translated, (std::vector<std::pair<std::uint64_t, unsigned>>{{0x9000'0fe0, 32}, {0x9000'1000, 32}}));
}

TEST_F(TrafficMasterTest, AtsAndDmiCannotBeCombined) {
    TrafficMasterParams params = master_params(1);
    params.ats = AtsEndpointParams{};
    params.use_dmi = true;
    EXPECT_THROW(TrafficMaster("master", params), std::invalid_argument);
}

}  // namespace
}  // namespace iommu_vp
