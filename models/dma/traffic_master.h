// TrafficMaster: a DMA master that generates TLM-2.0 traffic.
//
// Models: a pattern (sequential, strided, random, or replay of a trace), a read/write mix, a
// transaction size, a count and/or a duration, think time between a stream's transactions, several
// outstanding streams (each an SC_THREAD issuing blocking transactions under temporal decoupling),
// MasterAttrs on every transaction, optional DMI (for host-speed reference runs), and per-master
// statistics: bytes and bandwidth, latency min/mean/percentiles/max in a histogram, and a count of
// every TLM response status received.
// Does not model: AT-protocol phases, transaction IDs and reordering, a real DMA engine's descriptors.
#pragma once

#include "models/common/master_attrs.h"
#include "models/common/random.h"
#include "models/common/stats.h"
#include "models/dma/ats_endpoint.h"
#include "models/dma/trace_record.h"
#include "models/dma/traffic_pattern.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace iommu_vp {

struct TrafficMasterParams {
    std::uint32_t stream_id = 0;
    bool has_pasid = false;
    std::uint32_t pasid = 0;
    bool privileged = false;
    bool instruction = false;
    TrafficPatternParams pattern;
    std::vector<TraceRecord> trace;      // replayed when pattern.pattern == AccessPattern::trace
    std::uint64_t count = 0;             // transactions in all (0: no limit; then duration must be set)
    sc_core::sc_time duration = sc_core::SC_ZERO_TIME;  // stop issuing after this (0: no limit)
    sc_core::sc_time start_time = sc_core::SC_ZERO_TIME;
    sc_core::sc_time think_time = sc_core::SC_ZERO_TIME;
    unsigned outstanding = 1;            // concurrent streams of transactions
    bool use_dmi = false;
    bool enabled = true;                 // false: no generated traffic (the master only serves scripts)
    bool held_at_start = false;          // wait for release() before start_time counts (a platform's pre-boot phase)
    std::uint64_t seed = 0;              // of the pattern's random stream
    // Timing perturbation, off at 0: each stream's start and each think time gain a uniform extra
    // delay in [0, timing_jitter], drawn from its own stream, so a scenario can be replayed over other
    // interleavings without changing the traffic itself.
    sc_core::sc_time timing_jitter = sc_core::SC_ZERO_TIME;
    std::uint64_t jitter_seed = 0;
    // An ATS-capable PCIe endpoint: generated accesses are translated by its address-translation cache
    // (translation requests to the IOMMU on a miss) and issued as translated requests, page by page.
    // Empty: ordinary untranslated requests.
    std::optional<AtsEndpointParams> ats;
};

// One transaction issued on request (by a register-level script): the master's own attributes
// apply unless overridden.
struct DirectAccess {
    bool is_read = true;
    std::uint64_t address = 0;
    std::vector<std::uint8_t> data;      // write data; for reads, resized to `length` and filled
    unsigned length = 0;
    MasterAttrs attrs;
};

class TrafficMaster : public sc_core::sc_module, public StatsSource {
public:
    tlm_utils::simple_initiator_socket<TrafficMaster> initiator;

    SC_HAS_PROCESS(TrafficMaster);
    // Throws std::invalid_argument when the parameters describe no bounded or valid traffic.
    TrafficMaster(sc_core::sc_module_name name, const TrafficMasterParams& params);

    const TrafficMasterParams& params() const { return params_; }
    const StatsGroup& stats() const override { return stats_; }
    // The ATS endpoint (its `ats` export binds to the IOMMU's endpoint port); nullptr without ATS.
    AtsEndpoint* ats_endpoint() { return ats_.get(); }
    MasterAttrs default_attrs() const;

    bool done() const { return finished_streams_ == active_streams_; }
    // Lets a master built with held_at_start begin; start_time counts from here.
    void release();
    const sc_core::sc_event& done_event() const { return done_event_; }

    // Issues one transaction from the calling SC_THREAD and waits for its annotated delay.
    tlm::tlm_response_status issue(DirectAccess& access);

    // Bytes moved per second of simulated time between the first issue and the last completion.
    double bandwidth_bytes_per_second() const;
    const LatencyHistogram& latency() const { return latency_; }

    static constexpr unsigned kResponseKinds = 7;
    static const char* response_name(tlm::tlm_response_status status);

private:
    struct Stream;
    void run_stream(unsigned index);
    bool next_access(GeneratedAccess& access, MasterAttrs& attrs, sc_core::sc_time& issue_at);
    tlm::tlm_response_status transact(Stream& stream, const GeneratedAccess& access);
    tlm::tlm_response_status transact_translated(Stream& stream, const GeneratedAccess& access);
    bool try_dmi(Stream& stream, const GeneratedAccess& access);
    void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end);
    void account(const GeneratedAccess& access, tlm::tlm_response_status status, const sc_core::sc_time& issued,
                 const sc_core::sc_time& completed);
    void validate() const;

    TrafficMasterParams params_;
    sc_core::sc_time jitter();

    std::unique_ptr<TrafficPattern> pattern_;
    RandomStream jitter_random_;
    std::uint64_t issued_ = 0;
    std::size_t trace_cursor_ = 0;
    unsigned active_streams_ = 0;
    unsigned finished_streams_ = 0;
    sc_core::sc_event done_event_;
    sc_core::sc_event released_event_;
    bool released_ = false;
    sc_core::sc_time started_at_ = sc_core::SC_ZERO_TIME;  // start_time after construction or release()
    tlm::tlm_dmi dmi_;
    bool dmi_valid_ = false;
    bool dmi_refused_ = false;

    StatsGroup stats_;
    std::unique_ptr<AtsEndpoint> ats_;
    Counter& transactions_;
    Counter& reads_;
    Counter& writes_;
    Counter& bytes_read_;
    Counter& bytes_written_;
    Counter& dmi_accesses_;
    Counter& active_time_ps_;
    std::array<Counter*, kResponseKinds> responses_{};
    LatencyHistogram& latency_;
    sc_core::sc_time first_issue_ = sc_core::SC_ZERO_TIME;
    sc_core::sc_time last_completion_ = sc_core::SC_ZERO_TIME;
    bool any_issued_ = false;
};

}  // namespace iommu_vp
