#include "models/dma/traffic_master.h"

#include "models/common/log.h"
#include "models/common/payload.h"

#include <tlm_utils/tlm_quantumkeeper.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace iommu_vp {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

namespace {

// TLM response statuses run from 1 (OK) down to -5 (byte-enable error).
unsigned response_index(tlm::tlm_response_status status) { return static_cast<unsigned>(1 - static_cast<int>(status)); }

// Write data is a function of the address, so a test can check what landed where.
void fill_write_data(std::uint64_t address, std::uint8_t* data, unsigned size) {
    for (unsigned i = 0; i < size; ++i) data[i] = static_cast<std::uint8_t>(address + i);
}

}  // namespace

struct TrafficMaster::Stream {
    tlm::tlm_generic_payload payload;
    MasterAttrs attrs;
    std::vector<std::uint8_t> buffer;
    tlm_utils::tlm_quantumkeeper keeper;
};

const char* TrafficMaster::response_name(tlm::tlm_response_status status) {
    switch (status) {
    case tlm::TLM_OK_RESPONSE: return "ok";
    case tlm::TLM_INCOMPLETE_RESPONSE: return "incomplete";
    case tlm::TLM_GENERIC_ERROR_RESPONSE: return "generic_error";
    case tlm::TLM_ADDRESS_ERROR_RESPONSE: return "address_error";
    case tlm::TLM_COMMAND_ERROR_RESPONSE: return "command_error";
    case tlm::TLM_BURST_ERROR_RESPONSE: return "burst_error";
    case tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE: return "byte_enable_error";
    }
    return "?";
}

TrafficMaster::TrafficMaster(sc_core::sc_module_name name, const TrafficMasterParams& params)
    : sc_module(name),
      initiator("initiator"),
      params_(params),
      jitter_random_(params.jitter_seed),
      stats_(basename()),
      transactions_(stats_.counter("transactions", "transactions completed")),
      reads_(stats_.counter("reads", "read transactions")),
      writes_(stats_.counter("writes", "write transactions")),
      bytes_read_(stats_.counter("bytes_read", "bytes read (successful reads)")),
      bytes_written_(stats_.counter("bytes_written", "bytes written (successful writes)")),
      dmi_accesses_(stats_.counter("dmi_accesses", "transactions served through a direct memory pointer")),
      active_time_ps_(stats_.counter("active_time_ps", "first issue to last completion, in picoseconds")),
      latency_(stats_.histogram("latency", "issue to completion, per transaction")) {
    validate();
    for (int status = tlm::TLM_OK_RESPONSE; status >= tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE; --status) {
        const auto s = static_cast<tlm::tlm_response_status>(status);
        responses_[response_index(s)] =
            &stats_.counter(std::string("response_") + response_name(s), "transactions answered with this status");
    }
    initiator.register_invalidate_direct_mem_ptr(this, &TrafficMaster::invalidate_direct_mem_ptr);
    if (params_.ats) {
        ats_ = std::make_unique<AtsEndpoint>(
            "ats", *params_.ats, [this](tlm::tlm_generic_payload& p, sc_time& d) { initiator->b_transport(p, d); },
            &stats_);
        ats_->set_requester(params_.stream_id);
    }
    if (!params_.enabled) return;
    if (params_.pattern.pattern != AccessPattern::trace)
        pattern_ = std::make_unique<TrafficPattern>(params_.pattern, params_.seed);
    active_streams_ = params_.outstanding;
    for (unsigned i = 0; i < params_.outstanding; ++i)
        sc_core::sc_spawn([this, i] { run_stream(i); }, sc_core::sc_gen_unique_name("stream"));
}

void TrafficMaster::validate() const {
    const std::string who = std::string(name()) + ": ";
    if (params_.outstanding == 0) throw std::invalid_argument(who + "outstanding must be at least 1");
    if (params_.ats && params_.use_dmi)
        throw std::invalid_argument(who + "an ATS endpoint's accesses go through its IOMMU: DMI cannot be used");
    if (!params_.enabled) return;
    const bool is_trace = params_.pattern.pattern == AccessPattern::trace;
    if (!is_trace && params_.count == 0 && params_.duration == SC_ZERO_TIME)
        throw std::invalid_argument(who + "generated traffic needs a count or a duration");
    if (is_trace && params_.trace.empty()) throw std::invalid_argument(who + "trace pattern with an empty trace");
}

MasterAttrs TrafficMaster::default_attrs() const {
    MasterAttrs attrs(params_.stream_id);
    attrs.has_substream = params_.has_pasid;
    attrs.substream_id = params_.pasid;
    attrs.privileged = params_.privileged;
    attrs.instruction = params_.instruction;
    return attrs;
}

bool TrafficMaster::next_access(GeneratedAccess& access, MasterAttrs& attrs, sc_time& issue_at) {
    attrs = default_attrs();
    if (params_.pattern.pattern == AccessPattern::trace) {
        if (trace_cursor_ >= params_.trace.size()) return false;
        const TraceRecord& record = params_.trace[trace_cursor_++];
        access = GeneratedAccess{record.address, record.size, record.is_read};
        attrs.stream_id = record.stream_id;
        attrs.has_substream = record.has_pasid;
        attrs.substream_id = record.pasid;
        issue_at = started_at_ + sc_time::from_value(record.time_ps);
        return true;
    }
    if (params_.count != 0 && issued_ >= params_.count) return false;
    if (params_.duration != SC_ZERO_TIME && issue_at >= started_at_ + params_.duration) return false;
    ++issued_;
    access = pattern_->next();
    return true;
}

sc_time TrafficMaster::jitter() {
    if (params_.timing_jitter == SC_ZERO_TIME) return SC_ZERO_TIME;
    return sc_time::from_value(jitter_random_.uniform_between(0, params_.timing_jitter.value()));
}

void TrafficMaster::release() {
    released_ = true;
    released_event_.notify(SC_ZERO_TIME);
}

void TrafficMaster::run_stream(unsigned) {
    if (params_.held_at_start && !released_) wait(released_event_);
    // Trace times and the duration count from the master's start: start_time after the release of a
    // held master (jitter delays a stream's first issue, not the master's start).
    started_at_ = sc_core::sc_time_stamp() + params_.start_time;
    Stream stream;
    stream.keeper.reset();
    stream.payload.set_extension(&stream.attrs);
    const sc_time start = params_.start_time + jitter();
    if (start > SC_ZERO_TIME) wait(start);
    GeneratedAccess access{};
    for (;;) {
        sc_time issue_at = stream.keeper.get_current_time();
        if (!next_access(access, stream.attrs, issue_at)) break;
        // A trace record is not issued before its time stamp.
        if (issue_at > stream.keeper.get_current_time()) stream.keeper.set(issue_at - sc_core::sc_time_stamp());
        const sc_time issued = stream.keeper.get_current_time();
        const tlm::tlm_response_status status = transact(stream, access);
        account(access, status, issued, stream.keeper.get_current_time());
        stream.keeper.inc(params_.think_time + jitter());
        if (stream.keeper.need_sync()) stream.keeper.sync();
    }
    stream.keeper.sync();
    stream.payload.clear_extension(&stream.attrs);
    if (++finished_streams_ == active_streams_) done_event_.notify();
}

tlm::tlm_response_status TrafficMaster::transact(Stream& stream, const GeneratedAccess& access) {
    stream.buffer.resize(access.size);
    if (!access.is_read) fill_write_data(access.address, stream.buffer.data(), access.size);
    if (ats_) return transact_translated(stream, access);
    if (params_.use_dmi && try_dmi(stream, access)) return tlm::TLM_OK_RESPONSE;

    tlm::tlm_generic_payload& p = stream.payload;
    prepare_payload(p, access.is_read, access.address, stream.buffer.data(), access.size);
    sc_time delay = stream.keeper.get_local_time();
    initiator->b_transport(p, delay);
    stream.keeper.set(delay);
    IVP_LOG(LogCategory::dma, name(), (access.is_read ? "read  0x" : "write 0x") << std::hex << access.address << std::dec
                                          << " +" << access.size << ' ' << stream.attrs.describe() << " -> "
                                          << response_name(p.get_response_status()));
    return p.get_response_status();
}

// An ATS endpoint's access: each 4 KiB page translated by its ATC and issued as a translated request.
// A page the IOMMU gives no translation for is not accessed; the access then counts as aborted (the
// UR/CA a PCIe function reports), as a translation fault at the IOMMU would.
tlm::tlm_response_status TrafficMaster::transact_translated(Stream& stream, const GeneratedAccess& access) {
    constexpr std::uint64_t kPage = 4096;
    tlm::tlm_generic_payload& p = stream.payload;
    const AtsState untranslated = stream.attrs.ats;
    tlm::tlm_response_status status = tlm::TLM_OK_RESPONSE;
    sc_time delay = stream.keeper.get_local_time();
    for (std::uint64_t done = 0; done < access.size && status == tlm::TLM_OK_RESPONSE;) {
        const std::uint64_t address = access.address + done;
        const unsigned piece = static_cast<unsigned>(std::min<std::uint64_t>(access.size - done, kPage - address % kPage));
        const std::optional<std::uint64_t> output = ats_->translate(stream.attrs, address, !access.is_read, delay);
        if (!output) {
            status = tlm::TLM_GENERIC_ERROR_RESPONSE;
            break;
        }
        prepare_payload(p, access.is_read, *output, stream.buffer.data() + done, piece);
        stream.attrs.ats = AtsState::translated;
        initiator->b_transport(p, delay);
        stream.attrs.ats = untranslated;
        status = p.get_response_status();
        done += piece;
    }
    stream.keeper.set(delay);
    IVP_LOG(LogCategory::dma, name(), (access.is_read ? "read  0x" : "write 0x") << std::hex << access.address << std::dec
                                          << " +" << access.size << " (ATS) " << stream.attrs.describe() << " -> "
                                          << response_name(status));
    return status;
}

bool TrafficMaster::try_dmi(Stream& stream, const GeneratedAccess& access) {
    const std::uint64_t last = access.address + access.size - 1;
    if (!dmi_valid_ || access.address < dmi_.get_start_address() || last > dmi_.get_end_address()) {
        if (dmi_refused_) return false;
        tlm::tlm_generic_payload& p = stream.payload;
        p.set_command(tlm::TLM_READ_COMMAND);
        p.set_address(access.address);
        dmi_.init();
        dmi_valid_ = initiator->get_direct_mem_ptr(p, dmi_);
        if (!dmi_valid_) {
            dmi_refused_ = true;  // asked again only after an invalidation
            return false;
        }
        if (access.address < dmi_.get_start_address() || last > dmi_.get_end_address()) return false;
    }
    const bool allowed = access.is_read ? dmi_.is_read_allowed() : dmi_.is_write_allowed();
    if (!allowed) return false;
    std::uint8_t* host = dmi_.get_dmi_ptr() + (access.address - dmi_.get_start_address());
    if (access.is_read)
        std::memcpy(stream.buffer.data(), host, access.size);
    else
        std::memcpy(host, stream.buffer.data(), access.size);
    stream.keeper.inc(access.is_read ? dmi_.get_read_latency() : dmi_.get_write_latency());
    ++dmi_accesses_;
    return true;
}

void TrafficMaster::invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) {
    dmi_refused_ = false;
    if (dmi_valid_ && start <= dmi_.get_end_address() && end >= dmi_.get_start_address()) dmi_valid_ = false;
}

void TrafficMaster::account(const GeneratedAccess& access, tlm::tlm_response_status status, const sc_time& issued,
                            const sc_time& completed) {
    ++transactions_;
    ++*responses_[response_index(status)];
    const bool ok = status == tlm::TLM_OK_RESPONSE;
    if (access.is_read) {
        ++reads_;
        if (ok) bytes_read_.add(access.size);
    } else {
        ++writes_;
        if (ok) bytes_written_.add(access.size);
    }
    latency_.record_ps(static_cast<std::uint64_t>((completed - issued).value()));
    if (!any_issued_ || issued < first_issue_) first_issue_ = issued;
    last_completion_ = std::max(last_completion_, completed);
    any_issued_ = true;
    active_time_ps_.value = static_cast<std::uint64_t>((last_completion_ - first_issue_).value());
}

double TrafficMaster::bandwidth_bytes_per_second() const {
    if (active_time_ps_.value == 0) return 0.0;
    return static_cast<double>(bytes_read_.value + bytes_written_.value) * 1e12 /
           static_cast<double>(active_time_ps_.value);
}

tlm::tlm_response_status TrafficMaster::issue(DirectAccess& access) {
    Stream stream;
    stream.attrs = access.attrs;
    stream.payload.set_extension(&stream.attrs);
    stream.keeper.reset();
    GeneratedAccess generated{access.address, access.length, access.is_read};
    stream.buffer = access.is_read ? std::vector<std::uint8_t>(access.length) : access.data;
    stream.buffer.resize(access.length);

    tlm::tlm_generic_payload& p = stream.payload;
    prepare_payload(p, access.is_read, access.address, stream.buffer.data(), access.length);
    const sc_time issued = sc_core::sc_time_stamp();
    sc_time delay = SC_ZERO_TIME;
    initiator->b_transport(p, delay);
    wait(delay);
    account(generated, p.get_response_status(), issued, sc_core::sc_time_stamp());
    if (access.is_read) access.data = stream.buffer;
    p.clear_extension(&stream.attrs);
    return p.get_response_status();
}

}  // namespace iommu_vp
