// Smmuv3: translated traffic and the event queue (the module is split across files by concern).
#include "models/smmuv3/smmuv3.h"

#include "models/common/fault_response.h"
#include "models/common/log.h"
#include "models/common/master_attrs.h"
#include "models/common/payload.h"
#include "models/common/translated_access.h"
#include "models/smmuv3/gerror.h"
#include "models/smmuv3/queue_pointers.h"
#include "models/smmuv3/translation_glue.h"

#include <algorithm>
#include <sstream>

namespace iommu_vp {

using sc_core::sc_time;
using namespace smmuv3;

namespace {

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

const TranslationEnvironment& Smmuv3::rebuild_translation_environment() {
    environment_.features = params_.features;
    environment_.stream_table = decode_stream_table_config(bank_.get("STRTAB_BASE"), register32("STRTAB_BASE_CFG"),
                                                           params_.features);
    environment_.record_invalid_stream_ids = cr2::RECINVSID.is_set_in(bank_.get("CR2"));
    environment_.cr2_e2h = cr2::E2H.is_set_in(bank_.get("CR2"));
    environment_.ats_check = ats_check_;
    environment_stale_ = false;
    return environment_;
}

// The hit path: everything a page's translation runs is inline here or in the shared headers
// (translated_access.h, translation_stats.h), except translate() itself and the caches.
void Smmuv3::translate_transaction(tlm::tlm_generic_payload& p, sc_time& delay) {
    const MasterAttrs* attrs = accept_device_transaction(p, name(), traffic_.missing_attributes);
    if (!attrs) return;
    if (stall_slots_full()) wait_for_stall_slot(delay);  // stall model: ingress backpressure (3.12.2.3)
    if (attrs->ats != AtsState::untranslated) {  // ATS: out of line (smmuv3_ats.cpp)
        serve_ats_transaction(p, delay, *attrs);
        return;
    }
    const TranslationCosts costs{params_.config_hit_latency, params_.tlb_lookup_latency, params_.walk_step_latency};
    sc_time translation_time = sc_core::SC_ZERO_TIME;  // what the SMMU adds, without the access itself
    // Each page is translated on its own; a fault on any page terminates the transaction. The fault
    // is reported where it is found, so that nothing of the (large) result outlives the page.
    FaultResponse fault_response = FaultResponse::abort;
    const TranslatedAccessOutcome outcome =
        perform_translated_access(p, delay, downstream, [&](std::uint64_t input) {
            const TranslationRequest request = translation_request(*attrs, p.is_write(), input);
            for (;;) {  // once more after a stall ends in a retry (SMMUv3 4.7.1)
                const sc_time walk_started = delay;
                DownstreamReader reader(downstream, &delay, walk_payloads_);
                // The environment is looked at for every page: a downstream target that waits lets
                // register writes in between.
                const TranslationResult result =
                    translate(request, translation_environment(), reader,
                              TranslationCaches{&config_cache_, &tlb_, &walk_cache_, this});
                const bool terminated = result.kind == TranslationResult::Kind::terminated;
                const TranslationWork work = translation_work(result);
                if (StreamStats* s = result.stream_stats) s->account(work, terminated);
                account_translation_work(traffic_, work, costs, walkers_, walk_started, delay);
                account_hardware_updates(result.hardware_updates);
                translation_time += delay - walk_started;
                if (terminated && result.stall) {  // stall model (smmuv3_stall.cpp)
                    const std::optional<FaultResponse> ended = stall_transaction(result, delay);
                    if (!ended) continue;
                    fault_response = *ended;
                    return PieceTranslation{true, 0, 0};
                }
                if (terminated) {
                    report_fault(result, delay);
                    fault_response = result.response;
                    return PieceTranslation{true, 0, 0};
                }
                return PieceTranslation{false, result.output_address, result.size_bits};
            }
        });
    if (outcome == TranslatedAccessOutcome::faulted) {
        terminate_transaction(p, fault_response);
        return;
    }
    ++traffic_.translated;
    traffic_.translation_latency.record_ps(static_cast<std::uint64_t>(translation_time.value()));
}

void Smmuv3::report_fault(const TranslationResult& fault, sc_time& delay) {
    ++traffic_.faults;
    IVP_LOG(LogCategory::fault, name(), describe(fault.event) << (fault.record_event ? "" : " (not recorded)")
                                            << (*fault.reason ? std::string(": ") + fault.reason : ""));
    if (fault.record_event) record_event(fault.event, delay);
}

StreamStats* Smmuv3::stats_for(std::uint32_t stream_id) {
    auto [it, created] = stream_stats_.try_emplace(stream_id);
    if (created) {
        std::ostringstream name;
        name << "stream_0x" << std::hex << stream_id;
        it->second = RequesterStats::create(stats_.child("streams"), name.str());
    }
    return &it->second;
}

unsigned int Smmuv3::translate_debug(tlm::tlm_generic_payload& p) {
    // Debug access: translates with debug reads, records nothing, and serves at most the first page.
    const MasterAttrs* attrs = p.get_extension<MasterAttrs>();
    if (!attrs || attrs->ats == AtsState::translation_request) return 0;  // nothing, or no data to move
    TranslationRequest request = translation_request(*attrs, p.is_write(), p.get_address());
    if (attrs->ats == AtsState::translated) {
        if (!params_.features.ats) return 0;
        if (!ats_check_) return downstream->transport_dbg(p);
        request = TranslationRequest{};
        request.stream_id = attrs->stream_id;
        request.address = p.get_address();
        request.write = p.is_write();
        request.kind = RequestKind::translated;
    }
    DownstreamReader reader(downstream, nullptr, walk_payloads_);
    // Debug accesses read the caches without changing them: translate from memory.
    const TranslationResult result = translate(request, translation_environment(), reader);
    if (result.kind == TranslationResult::Kind::terminated) return 0;
    return perform_debug_access(p, downstream, result.output_address, result.size_bits);
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
    signal_queue_interrupt("EVTQ_IRQ_CFG0", "EVTQ_IRQ_CFG1", kEvtqIrq, gerror::MSI_EVENTQ_ABT_ERR);
}

void Smmuv3::signal_queue_interrupt(const char* cfg0, const char* cfg1, IrqOutput output, BitField msi_abort_error) {
    const std::uint64_t msi_address = irq_cfg::ADDR.extract(bank_.get(cfg0)) << irq_cfg::ADDR.lsb;
    if (params_.features.msi && msi_address != 0) {
        if (!write_msi(msi_address, register32(cfg1))) raise_gerror(msi_abort_error);
        return;
    }
    pulse(output);
}

}  // namespace iommu_vp
