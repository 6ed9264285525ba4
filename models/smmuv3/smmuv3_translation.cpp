// Smmuv3: translated traffic and the event queue (the module is split across files by concern).
#include "models/smmuv3/smmuv3.h"

#include "models/common/fault_response.h"
#include "models/common/log.h"
#include "models/common/master_attrs.h"
#include "models/common/payload.h"
#include "models/smmuv3/gerror.h"
#include "models/smmuv3/queue_pointers.h"

#include <algorithm>
#include <sstream>

namespace iommu_vp {

using sc_core::sc_time;
using namespace smmuv3;

namespace {


// Reads of tables and configuration structures through the downstream socket. Timed reads add
// what the memory system returns to the transaction's delay; debug reads (for transport_dbg)
// cost nothing and change nothing.
class DownstreamReader : public TableReader {
public:
    using Socket = tlm_utils::simple_initiator_socket<Smmuv3>;
    DownstreamReader(Socket& socket, sc_time* delay, Smmuv3::PayloadPool& pool)
        : socket_(socket), delay_(delay), pool_(pool) {}
    ~DownstreamReader() override {
        if (payload_) pool_.give_back(payload_);
    }
    DownstreamReader(const DownstreamReader&) = delete;
    DownstreamReader& operator=(const DownstreamReader&) = delete;

    bool read(std::uint64_t address, std::uint8_t* bytes, unsigned length) override {
        if (!payload_) payload_ = pool_.take();  // only when a read happens: a TLB hit reads nothing
        tlm::tlm_generic_payload& p = *payload_;
        prepare_payload(p, true, address, bytes, length);
        if (!delay_) return socket_->transport_dbg(p) == length;
        socket_->b_transport(p, *delay_);
        return p.is_response_ok();
    }

private:
    Socket& socket_;
    sc_time* delay_;
    Smmuv3::PayloadPool& pool_;
    tlm::tlm_generic_payload* payload_ = nullptr;
};

// What translation needs to know of a transaction: its master's attributes and direction.
TranslationRequest translation_request(const MasterAttrs& attrs, bool write, std::uint64_t address) {
    TranslationRequest request;
    request.stream_id = attrs.stream_id;
    if (attrs.has_substream) request.substream_id = attrs.substream_id;
    request.address = address;
    request.write = write;
    request.privileged = attrs.privileged;
    request.instruction = attrs.instruction;
    return request;
}

}  // namespace

tlm::tlm_generic_payload* Smmuv3::PayloadPool::take() {
    if (free_.empty()) {
        all_.push_back(std::make_unique<tlm::tlm_generic_payload>());
        return all_.back().get();
    }
    tlm::tlm_generic_payload* payload = free_.back();
    free_.pop_back();
    return payload;
}

const TranslationEnvironment& Smmuv3::translation_environment() {
    if (!environment_stale_) return environment_;
    environment_.features = params_.features;
    environment_.stream_table = decode_stream_table_config(bank_.get("STRTAB_BASE"), register32("STRTAB_BASE_CFG"),
                                                           params_.features);
    environment_.record_invalid_stream_ids = cr2::RECINVSID.is_set_in(bank_.get("CR2"));
    environment_.cr2_e2h = cr2::E2H.is_set_in(bank_.get("CR2"));
    environment_stale_ = false;
    return environment_;
}

void Smmuv3::translate_transaction(tlm::tlm_generic_payload& p, sc_time& delay) {
    const MasterAttrs* attrs = p.get_extension<MasterAttrs>();
    if (!attrs) {
        // The platform bound a master that does not say which stream it is: a configuration error
        // of the platform, not of the software, reported once per SMMU.
        ++missing_attributes_;
        log::unimplemented_once(name(), "transactions without a MasterAttrs extension (terminated with an abort)");
        terminate_transaction(p, FaultResponse::abort);
        return;
    }
    if (p.get_data_length() == 0 || p.get_streaming_width() < p.get_data_length()) {
        // Nothing to translate, or a streaming (FIFO) access that page splitting would change:
        // refused rather than guessed at.
        IVP_LOG(LogCategory::guest_error, name(), "zero-length or streaming transaction refused");
        p.set_response_status(p.get_data_length() == 0 ? tlm::TLM_GENERIC_ERROR_RESPONSE : tlm::TLM_BURST_ERROR_RESPONSE);
        return;
    }
    const TranslationEnvironment& env = translation_environment();
    sc_time translation_time = sc_core::SC_ZERO_TIME;  // what the SMMU adds, without the access itself
    const std::uint64_t address = p.get_address();
    unsigned char* const data = p.get_data_ptr();
    const unsigned length = p.get_data_length();
    unsigned char* const byte_enables = p.get_byte_enable_ptr();
    const unsigned byte_enable_length = p.get_byte_enable_length();

    // Each translation granule the access touches is translated on its own and the access is
    // split downstream accordingly; a fault on any page terminates the transaction (earlier pieces
    // have already been performed, as on hardware).
    unsigned done = 0;
    while (done < length) {
        const TranslationRequest request = translation_request(*attrs, p.is_write(), address + done);
        const sc_time walk_started = delay;
        DownstreamReader reader(downstream, &delay, walk_payloads_);
        const TranslationResult result =
            translate(request, env, reader, TranslationCaches{&config_cache_, &tlb_, &walk_cache_, this});
        account_translation(result, walk_started, delay);
        translation_time += delay - walk_started;
        if (result.kind == TranslationResult::Kind::terminated) {
            ++faults_;
            IVP_LOG(LogCategory::fault, name(), describe(result.event) << (result.record_event ? "" : " (not recorded)")
                                                    << (*result.reason ? std::string(": ") + result.reason : ""));
            if (result.record_event) record_event(result.event, delay);
            p.set_address(address);
            p.set_data_ptr(data);
            p.set_data_length(length);
            p.set_streaming_width(length);
            p.set_byte_enable_ptr(byte_enables);
            terminate_transaction(p, result.response);
            return;
        }
        const std::uint64_t page_end = (request.address | low_mask(result.size_bits)) + 1;
        const unsigned piece = static_cast<unsigned>(std::min<std::uint64_t>(length - done, page_end - request.address));
        p.set_address(result.output_address);
        p.set_data_ptr(data + done);
        p.set_data_length(piece);
        p.set_streaming_width(piece);
        // Byte enables repeat every byte_enable_length bytes: the piece starts `done` bytes in.
        if (byte_enables && byte_enable_length) p.set_byte_enable_ptr(byte_enables + done % byte_enable_length);
        downstream->b_transport(p, delay);
        if (!p.is_response_ok()) break;  // the downstream error is the transaction's answer
        done += piece;
    }
    const tlm::tlm_response_status status = p.get_response_status();
    p.set_address(address);
    p.set_data_ptr(data);
    p.set_data_length(length);
    p.set_streaming_width(length);
    p.set_byte_enable_ptr(byte_enables);
    p.set_response_status(status);
    ++translated_;
    translation_latency_.record_ps(static_cast<std::uint64_t>(translation_time.value()));
}

StreamStats* Smmuv3::stats_for(std::uint32_t stream_id) {
    auto [it, created] = stream_stats_.try_emplace(stream_id);
    if (created) {
        std::ostringstream name;
        name << "stream_0x" << std::hex << stream_id;
        StatsGroup& group = stats_.child("streams").child(name.str());
        StreamStats& s = it->second;
        s.translations = &group.counter("translations", "translations done (one per page a transaction touches)");
        s.faults = &group.counter("faults", "transactions of this stream terminated by a fault");
        s.tlb_hits = &group.counter("tlb_hits", "translations found in the TLB");
        s.walks = &group.counter("walks", "translations that read from memory");
        s.descriptor_fetches = &group.counter("descriptor_fetches", "STE, CD and descriptor reads");
    }
    return &it->second;
}

void Smmuv3::account_translation(const TranslationResult& result, const sc_time& walk_started, sc_time& delay) {
    if (StreamStats* s = result.stream_stats) {
        ++*(result.kind == TranslationResult::Kind::translated ? s->translations : s->faults);
        if (result.tlb_hit) ++*s->tlb_hits;
        if (result.descriptor_fetches) {
            ++*s->walks;
            s->descriptor_fetches->add(result.descriptor_fetches);
        }
    }
    const unsigned config_hits = (result.ste_cache_hit ? 1u : 0u) + (result.cd_cache_hit ? 1u : 0u);
    config_hits_.add(config_hits);
    config_misses_.add((result.ste_fetched ? 1u : 0u) + (result.cd_fetched ? 1u : 0u));
    if (config_hits) delay += sc_time::from_value(params_.config_hit_latency.value() * config_hits);
    if (result.tlb_looked_up) {
        ++(result.tlb_hit ? tlb_hits_ : tlb_misses_);
        tlb_probes_.add(result.tlb_probes);
        delay += params_.tlb_lookup_latency;
    }
    walk_cache_hits_.add(result.walk_cache_hits);
    walk_cache_misses_.add(result.walk_cache_misses);
    if (result.descriptor_fetches == 0) return;
    // A walk: the walker's own work per read, and a wait for a free walker. The memory reads are
    // already in `delay`; the walk occupies a walker for all of it.
    ++walks_;
    descriptor_fetches_.add(result.descriptor_fetches);
    delay += sc_time::from_value(params_.walk_step_latency.value() * result.descriptor_fetches);
    const std::uint64_t arrival = static_cast<std::uint64_t>((sc_core::sc_time_stamp() + walk_started).value());
    const std::uint64_t duration = static_cast<std::uint64_t>((delay - walk_started).value());
    const std::uint64_t start = walkers_.book(arrival, duration);
    const std::uint64_t wait = start - arrival;
    walk_queue_wait_ps_.add(wait);
    delay += sc_time::from_value(wait);
}

unsigned int Smmuv3::translate_debug(tlm::tlm_generic_payload& p) {
    // Debug access: translates with debug reads, records nothing, and serves at most the first page.
    const MasterAttrs* attrs = p.get_extension<MasterAttrs>();
    if (!attrs) return 0;
    const TranslationRequest request = translation_request(*attrs, p.is_write(), p.get_address());
    DownstreamReader reader(downstream, nullptr, walk_payloads_);
    // Debug accesses read the caches without changing them: translate from memory.
    const TranslationResult result = translate(request, translation_environment(), reader);
    if (result.kind == TranslationResult::Kind::terminated) return 0;
    const std::uint64_t address = p.get_address();
    const unsigned length = p.get_data_length();
    const std::uint64_t page_end = (address | low_mask(result.size_bits)) + 1;
    p.set_address(result.output_address);
    p.set_data_length(static_cast<unsigned>(std::min<std::uint64_t>(length, page_end - address)));
    const unsigned served = downstream->transport_dbg(p);
    p.set_address(address);
    p.set_data_length(length);
    return served;
}

void Smmuv3::record_event(const EventRecord& event, sc_time& delay) {
    // Events are discarded while the queue is disabled; nothing overflows then (SMMUv3 7.4).
    if (!cr0::EVTQEN.is_set_in(bank_.get("CR0ACK"))) {
        ++events_lost_;
        return;
    }
    const QueueGeometry q = QueueGeometry::from_base_register(bank_.get("EVTQ_BASE"), params_.features.evtq_log2_entries,
                                                              event_entry_bytes);
    const std::uint32_t prod = register32("EVTQ_PROD");
    const std::uint32_t cons = register32("EVTQ_CONS");
    if (queue_full(prod, cons, q.log2size) || !queue_consistent(prod, cons, q.log2size)) {
        ++events_lost_;
        bank_.set("EVTQ_PROD", eventq_prod_after_discard(prod, cons));
        return;
    }
    const bool was_empty = queue_empty(prod, cons, q.log2size);
    std::array<std::uint8_t, 32> bytes = event.encode_bytes();
    tlm::tlm_generic_payload write;
    prepare_payload(write, false, q.slot_address(prod), bytes.data(), event_entry_bytes);
    downstream->b_transport(write, delay);
    if (!write.is_response_ok()) {
        // SMMUv3 7.2: an abort writing the queue is a global error; the record is lost.
        ++events_lost_;
        raise_gerror(gerror::EVENTQ_ABT_ERR);
        return;
    }
    ++events_recorded_;
    if (Counter* by_type = events_by_type_[static_cast<std::uint8_t>(event.type)]) ++*by_type;
    bank_.set("EVTQ_PROD", eventq_prod_after_write(prod, q.log2size));
    if (!was_empty || !irq_ctrl::EVTQ_IRQEN.is_set_in(bank_.get("IRQ_CTRLACK"))) return;
    // The queue became non-empty: interrupt, by MSI when one is configured.
    const std::uint64_t msi_address = irq_cfg::ADDR.extract(bank_.get("EVTQ_IRQ_CFG0")) << irq_cfg::ADDR.lsb;
    if (params_.features.msi && msi_address != 0) {
        if (!write_msi(msi_address, register32("EVTQ_IRQ_CFG1"))) raise_gerror(gerror::MSI_EVENTQ_ABT_ERR);
        return;
    }
    pulse(kEvtqIrq);
}

}  // namespace iommu_vp
