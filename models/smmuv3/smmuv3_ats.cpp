// Smmuv3: ATS and PRI (the module is split across files by concern). ATS translation requests and
// translated transactions from `upstream` (SMMUv3 3.9.1), ATC invalidation (CMD_ATC_INV, completed
// by CMD_SYNC), PRG responses (CMD_PRI_RESP) and page requests written to the PRI queue (chapter 8).
// smmuv3.h says what is modelled; the choices the specification leaves open are labelled here.
#include "models/smmuv3/smmuv3.h"

#include "models/common/fault_response.h"
#include "models/common/log.h"
#include "models/common/payload.h"
#include "models/common/translated_access.h"
#include "models/smmuv3/gerror.h"
#include "models/smmuv3/queue_pointers.h"
#include "models/smmuv3/translation_glue.h"

#include <array>
#include <optional>
#include <string>

namespace iommu_vp {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;
using namespace smmuv3;

namespace {

constexpr std::uint64_t kPageBytes = 4096;
constexpr std::uint32_t kPrgIndexMask = 0x1ff;  // PRGIndex is 9 bits

// The Smallest Translation Unit: the smallest granule the SMMU implements (SMMUv3 3.9.1).
std::uint64_t stu_bytes(const Features& f) {
    if (f.granule_4k) return 4096;
    return f.granule_16k ? 16384 : 65536;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Device traffic marked for ATS

void Smmuv3::serve_ats_transaction(tlm::tlm_generic_payload& p, sc_time& delay, const MasterAttrs& attrs) {
    if (attrs.ats == AtsState::translation_request)
        serve_translation_request(p, delay, attrs);
    else
        serve_translated_request(p, delay, attrs);
}

void Smmuv3::record_ats_event(EventType type, const MasterAttrs& attrs, std::uint64_t address, bool read,
                              sc_time& delay) {
    EventRecord event;
    event.type = type;
    event.stream_id = attrs.stream_id;
    event.ssv = attrs.has_substream;
    event.substream_id = attrs.has_substream ? attrs.substream_id : 0;
    event.input_addr = address;
    event.rnw = read;
    IVP_LOG(LogCategory::fault, name(), describe(event));
    record_event(event, delay);
}

void Smmuv3::serve_translation_request(tlm::tlm_generic_payload& p, sc_time& delay, const MasterAttrs& attrs) {
    AtsTranslation* completion = accept_translation_request(p, name(), traffic_.aborted);
    if (!completion) return;
    ++ats_translation_requests_;
    const std::uint64_t page = align_down(p.get_address(), kPageBytes);
    if (!params_.features.ats) {
        // IDR0.ATS == 0: no ATS request can be made (SMMUv3 5.2 EATS); nothing to record it against.
        ++ats_unsupported_requests_;
        IVP_LOG(LogCategory::guest_error, name(), "translation request from " << attrs.describe()
                                                      << " answered UR: ATS is not implemented (IDR0.ATS = 0)");
        return;
    }
    if (!smmu_enabled()) {
        // SMMUv3 3.9.1.2: UR and F_BAD_ATS_TREQ while SMMUEN == 0.
        ++ats_unsupported_requests_;
        record_ats_event(EventType::F_BAD_ATS_TREQ, attrs, page, true, delay);
        return;
    }
    TranslationRequest request;
    request.stream_id = attrs.stream_id;
    if (attrs.has_substream) request.substream_id = attrs.substream_id;
    request.address = page;
    request.write = !completion->no_write;
    // Priv and Exe come with the PASID prefix only (13.7).
    request.privileged = attrs.has_substream && attrs.privileged;
    request.instruction = attrs.has_substream && attrs.instruction;
    request.kind = RequestKind::translation_request;
    const sc_time walk_started = delay;
    DownstreamReader reader(downstream, &delay, walk_payloads_);
    const TranslationResult result = translate(request, translation_environment(), reader,
                                               TranslationCaches{&config_cache_, &tlb_, &walk_cache_, this});
    const TranslationWork work = translation_work(result);
    if (StreamStats* s = result.stream_stats) s->account(work, result.kind == TranslationResult::Kind::terminated);
    account_translation_work(traffic_,
                             work, {params_.config_hit_latency, params_.tlb_lookup_latency, params_.walk_step_latency},
                             walkers_, walk_started, delay);
    account_hardware_updates(result.hardware_updates);  // HTTU at the translation request (3.13.7.1)

    const AtsAnswer answer = ats_answer(result);
    const AtsGrant grant = answer == AtsAnswer::translation ? result.ats_grant : AtsGrant{};
    switch (answer) {
    case AtsAnswer::translation:
    case AtsAnswer::no_translation:
        completion->status = AtsTranslation::Status::success;
        completion->privileged = request.privileged;  // Priv as the request asked (13.7.1)
        if (grant.read || grant.write) {
            completion->range_bytes = std::uint64_t{1} << result.size_bits;
            completion->translated_address = align_down(result.output_address, completion->range_bytes);
            completion->read = grant.read;
            completion->write = grant.write;
            completion->execute = grant.execute;
            ++ats_translations_granted_;
            IVP_LOG(LogCategory::cmd, name(), "translation completion for " << attrs.describe() << " at 0x" << std::hex
                                                  << page << ": 0x" << completion->translated_address << " +0x"
                                                  << completion->range_bytes << " R=" << completion->read
                                                  << " W=" << completion->write << " Exe=" << completion->execute);
            return;
        }
        // No access: R == W == 0 over one STU, nothing recorded (3.9.1.2).
        completion->range_bytes = stu_bytes(params_.features);
        ++ats_no_translation_;
        IVP_LOG(LogCategory::fault, name(), "translation request from " << attrs.describe() << " at 0x" << std::hex
                                                << page << ": no translation ("
                                                << (result.kind == TranslationResult::Kind::translated
                                                        ? std::string("no permission")
                                                        : describe(result.event))
                                                << ", not recorded)");
        return;
    case AtsAnswer::unsupported_request:
        ++ats_unsupported_requests_;
        IVP_LOG(LogCategory::fault, name(), "translation request from " << attrs.describe() << " at 0x" << std::hex
                                                << page << " answered UR: " << result.reason);
        // Only F_BAD_ATS_TREQ is recorded for a translation request (7.3.6); Config == 0b000 is silent.
        if (result.record_event && result.event.type == EventType::F_BAD_ATS_TREQ) record_event(result.event, delay);
        return;
    case AtsAnswer::completer_abort:
        // Configuration errors are recorded only with SMMU_CR2.REC_CFG_ATS, not implemented here.
        completion->status = AtsTranslation::Status::completer_abort;
        ++ats_completer_aborts_;
        IVP_LOG(LogCategory::fault, name(), "translation request from " << attrs.describe() << " at 0x" << std::hex
                                                << page << " answered CA: " << describe(result.event)
                                                << (*result.reason ? std::string(": ") + result.reason : "")
                                                << " (not recorded)");
        return;
    }
}

void Smmuv3::serve_translated_request(tlm::tlm_generic_payload& p, sc_time& delay, const MasterAttrs& attrs) {
    const auto refuse = [&](const char* why) {
        ++ats_translated_forbidden_;
        ++traffic_.aborted;
        IVP_LOG(LogCategory::fault, name(), "translated " << (p.is_write() ? "write" : "read") << " from "
                                                << attrs.describe() << " at 0x" << std::hex << p.get_address()
                                                << " aborted: " << why);
        terminate_transaction(p, FaultResponse::abort);
    };
    if (!params_.features.ats) {
        // IDR0.ATS == 0: no translated traffic is passed (5.2 EATS). This model's choice: no event.
        refuse("ATS is not implemented (IDR0.ATS = 0)");
        return;
    }
    if (!smmu_enabled()) {
        // SMMUv3 3.9.1.3: F_TRANSL_FORBIDDEN and an abort while SMMUEN == 0.
        record_ats_event(EventType::F_TRANSL_FORBIDDEN, attrs, p.get_address(), p.is_read(), delay);
        refuse("SMMUEN = 0 (F_TRANSL_FORBIDDEN)");
        return;
    }
    if (ats_check_) {
        // CR0.ATSCHK == 1: the STE's effective EATS decides (3.9.1.3).
        TranslationRequest request;
        request.stream_id = attrs.stream_id;
        request.address = p.get_address();
        request.write = p.is_write();
        request.kind = RequestKind::translated;
        const sc_time walk_started = delay;
        DownstreamReader reader(downstream, &delay, walk_payloads_);
        const TranslationResult result = translate(request, translation_environment(), reader,
                                                   TranslationCaches{&config_cache_, &tlb_, &walk_cache_, this});
        account_translation_work(
            traffic_, translation_work(result),
            {params_.config_hit_latency, params_.tlb_lookup_latency, params_.walk_step_latency}, walkers_,
            walk_started, delay);
        if (result.kind == TranslationResult::Kind::terminated) {
            // Only F_TRANSL_FORBIDDEN is recorded; configuration errors need SMMU_CR2.REC_CFG_ATS.
            const bool forbidden = result.record_event && result.event.type == EventType::F_TRANSL_FORBIDDEN;
            if (forbidden) record_event(result.event, delay);
            refuse(forbidden ? "STE.EATS does not allow translated traffic (F_TRANSL_FORBIDDEN)"
                             : result.stream_aborted ? "STE.Config == 0b000"
                                                     : event_type_name(result.event.type));
            return;
        }
    }
    // 3.9.1.1: an address beyond the OAS is aborted without an event (IMPLEMENTATION DEFINED choice).
    const unsigned oas = params_.features.oas_bits;
    if (oas < 64 && ((p.get_address() + p.get_data_length() - 1) >> oas) != 0) {
        refuse("address beyond the OAS");
        return;
    }
    ++ats_translated_requests_;
    downstream->b_transport(p, delay);
}

// ---------------------------------------------------------------------------------------------
// ATC invalidation (CMD_ATC_INV, CMD_SYNC) and PRG responses (CMD_PRI_RESP)

AtsEndpointIf* Smmuv3::ats_endpoint_for(std::uint32_t stream_id) { return atc_.endpoint_for(stream_id); }

void Smmuv3::send_atc_invalidation(const DecodedCommand& command) {
    if (!smmu_enabled()) {
        IVP_LOG(LogCategory::cmd, name(), "CMD_ATC_INV IGNORED: SMMUEN = 0 (SMMUv3 4.5.1)");
        return;
    }
    // SSV without substream support: CONSTRAINED UNPREDICTABLE, this model behaves as SSV == 0.
    // Global is IGNORED when SSV == 0 (4.5.1).
    AtcInvalidation request;
    request.requester = command.stream_id;
    request.has_pasid = command.ssv && params_.features.ssid_bits != 0;
    request.pasid = request.has_pasid ? command.substream_id : 0;
    request.global = request.has_pasid && command.atc_global;
    request.address = command.atc_address();
    request.size = command.atc_invalidates_all() ? AtcInvalidation::kAll : command.atc_span_bytes();
    ++atc_invalidations_;
    if (!ats_endpoint_for(command.stream_id)) ++atc_invalidations_without_endpoint_;
    // Sent at once and not waited for here: a later CMD_SYNC waits (4.5.1: consumption does not
    // guarantee completion).
    atc_.send(request, params_.atc_invalidation_timeout);
}

bool Smmuv3::complete_atc_invalidations() {
    // Each invalidation has its own deadline, counted from when it was sent.
    const AtcInvalidator::SyncOutcome outcome = atc_.wait_for_sent();
    atc_invalidations_completed_.add(outcome.completed);
    if (outcome.kind != AtcInvalidator::SyncOutcome::Kind::timed_out) return true;  // (abandoned: reset meanwhile)
    ++atc_invalidations_timed_out_;
    IVP_LOG(LogCategory::fault, name(), "ATC invalidation of StreamID 0x" << std::hex << outcome.requester
                                            << " not completed within the time-out: CERROR_ATC_INV_SYNC");
    return false;
}

void Smmuv3::deliver_pri_response(const DecodedCommand& command) {
    if (!smmu_enabled()) {
        IVP_LOG(LogCategory::cmd, name(), "CMD_PRI_RESP IGNORED: SMMUEN = 0 (SMMUv3 4.5.2)");
        return;
    }
    // Resp (4.5.2): 0b00 ResponseFailure, 0b01 InvalidRequest, 0b10 Success (0b11 is CERROR_ILL).
    PrgResponseCode code = PrgResponseCode::response_failure;
    if (command.pri_response == kPriRespInvalidRequest) code = PrgResponseCode::invalid_request;
    if (command.pri_response == kPriRespSuccess) code = PrgResponseCode::success;
    const bool has_pasid = command.ssv && params_.features.ssid_bits != 0;  // as CMD_ATC_INV
    AtsEndpointIf* endpoint = ats_endpoint_for(command.stream_id);
    if (!endpoint) {
        ++pri_responses_without_endpoint_;
        IVP_LOG(LogCategory::guest_error, name(), "CMD_PRI_RESP for StreamID 0x" << std::hex << command.stream_id
                                                      << " that no ATS endpoint serves: dropped");
        return;
    }
    ++pri_responses_;
    endpoint->pri_response(command.stream_id, has_pasid, has_pasid ? command.substream_id : 0,
                           command.prg_index & kPrgIndexMask, code);
}

// ---------------------------------------------------------------------------------------------
// Page requests and the PRI queue (SMMUv3 chapter 8)

void Smmuv3::receive_page_request(tlm::tlm_generic_payload& p, sc_time& delay, const PageRequestMessage& message) {
    const MasterAttrs* attrs = accept_device_transaction(p, name(), traffic_.missing_attributes);
    if (!attrs) return;
    if (!params_.features.pri) {
        // Nothing can answer it: a platform error, refused on the bus.
        IVP_LOG(LogCategory::guest_error, name(), "page request from " << attrs->describe()
                                                      << " refused: the SMMU has no PRI (IDR0.PRI = 0)");
        p.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
        return;
    }
    ++page_requests_;
    PriQueueEntry entry;
    entry.stream_id = attrs->stream_id;
    // SSV is 0 when the SMMU has no substreams; a wider PASID is truncated (SMMUv3 3.9, chapter 8).
    entry.ssv = attrs->has_substream && params_.features.ssid_bits != 0;
    entry.substream_id = entry.ssv ? static_cast<std::uint32_t>(attrs->substream_id & low_mask(params_.features.ssid_bits)) : 0;
    entry.privileged = entry.ssv && message.privileged;
    entry.execute = entry.ssv && message.execute;
    entry.read = message.read;
    entry.write = message.write;
    entry.last = message.last;
    entry.prg_index = static_cast<std::uint16_t>(message.group_index & kPrgIndexMask);
    entry.page_address = align_down(message.address, kPageBytes);
    page_requests_pending_.post(entry, sc_core::sc_time_stamp() + delay + params_.page_request_latency);
    p.set_response_status(tlm::TLM_OK_RESPONSE);  // a posted message: accepted
}

void Smmuv3::page_request_processor() {
    for (;;) {
        process_page_request(page_requests_pending_.take_when_due());
    }
}

void Smmuv3::process_page_request(const PriQueueEntry& request) {
    IVP_LOG(LogCategory::cmd, name(), "page request sid=0x" << std::hex << request.stream_id << " ssv=" << request.ssv
                                                            << " ssid=0x" << request.substream_id << " addr=0x"
                                                            << request.page_address << " prgi=0x" << request.prg_index
                                                            << " R=" << request.read << " W=" << request.write
                                                            << " L=" << request.last);
    // SMMUv3 8.2: with the effective PRIQEN 0 (SMMUEN == 0 included) or PRIQ_ABT_ERR active, nothing
    // is written and every page request gets Response Failure without a PASID (Stop Markers none).
    const bool queue_enabled = smmu_enabled_ && cr0::PRIQEN.is_set_in(bank_.get("CR0ACK"));
    const bool abort_error = gerror::is_active(gerror::PRIQ_ABT_ERR, register32("GERROR"), register32("GERRORN"));
    if (!queue_enabled || abort_error) {
        ++page_requests_refused_;
        IVP_LOG(LogCategory::guest_error, name(), "page request discarded: "
                                                      << (abort_error ? "PRIQ_ABT_ERR is active" : "PRIQEN is 0"));
        if (!request.is_stop_marker()) auto_respond(request, PrgResponseCode::response_failure, false);
        return;
    }
    sc_time delay = SC_ZERO_TIME;
    queue_page_request(request, delay);
}

bool Smmuv3::queue_page_request(const PriQueueEntry& request, sc_time& delay) {
    const QueueGeometry q = QueueGeometry::from_base_register(bank_.get("PRIQ_BASE"), params_.features.priq_log2_entries,
                                                              pri_entry_bytes);
    const std::uint32_t prod = register32("PRIQ_PROD");
    const std::uint32_t cons = register32("PRIQ_CONS");
    const bool irq_enabled = irq_ctrl::PRIQ_IRQEN.is_set_in(bank_.get("IRQ_CTRLACK"));
    // PRIQ_IRQ_CFG2.LO (6.3.36; the register is RES0 without MSIs): interrupt for Last == 1 only.
    const bool last_only = params_.features.msi && irq_cfg::PRIQ_LO.is_set_in(bank_.get("PRIQ_IRQ_CFG2"));
    const bool overflowed = pri_queue_overflowed(prod, cons);
    if (overflowed || queue_full(prod, cons, q.log2size) || !queue_consistent(prod, cons, q.log2size)) {
        // SMMUv3 8.1: discarded; OVFLG toggles unless the overflow condition is already present, and
        // while it is nothing is written even when there is room.
        ++page_requests_overflowed_;
        if (!overflowed) bank_.set("PRIQ_PROD", priq_prod_after_discard(prod, cons));
        IVP_LOG(LogCategory::fault, name(), "page request discarded: "
                                                << (overflowed ? "PRI queue overflow condition active" : "PRI queue full"));
        if (request.last && !request.is_stop_marker()) overflow_auto_response(request);
        if (request.last && irq_enabled && last_only)
            signal_queue_interrupt("PRIQ_IRQ_CFG0", "PRIQ_IRQ_CFG1", kPriqIrq, gerror::MSI_PRIQ_ABT_ERR);
        return false;
    }
    const bool was_empty = queue_empty(prod, cons, q.log2size);
    std::array<std::uint8_t, pri_entry_bytes> bytes = request.encode_bytes();
    tlm::tlm_generic_payload write;
    prepare_payload(write, false, q.slot_address(prod), bytes.data(), pri_entry_bytes);
    downstream->b_transport(write, delay);
    // PROD moves, and the interrupt follows, once the entry is in memory.
    const std::uint64_t generation = generation_;
    wait(delay);
    delay = SC_ZERO_TIME;
    if (generation != generation_) return false;  // reset meanwhile
    if (!write.is_response_ok()) {
        // SMMUv3 8.2: PRIQ_ABT_ERR; a synchronous abort (this model's) answers the request with
        // Response Failure.
        ++page_requests_refused_;
        IVP_LOG(LogCategory::guest_error, name(), "PRI queue write to 0x" << std::hex << q.slot_address(prod)
                                                      << " aborted: PRIQ_ABT_ERR");
        raise_gerror(gerror::PRIQ_ABT_ERR);
        if (!request.is_stop_marker()) auto_respond(request, PrgResponseCode::response_failure, false);
        return false;
    }
    ++page_requests_queued_;
    bank_.set("PRIQ_PROD", priq_prod_after_write(prod, q.log2size));
    if (irq_enabled && (last_only ? request.last : was_empty))
        signal_queue_interrupt("PRIQ_IRQ_CFG0", "PRIQ_IRQ_CFG1", kPriqIrq, gerror::MSI_PRIQ_ABT_ERR);
    return true;
}

void Smmuv3::overflow_auto_response(const PriQueueEntry& request) {
    // SMMUv3 8.1: Success; without a PASID when the request had none. With one (IDR3.PPS == 0 here),
    // STE.PPAR says whether the response carries it, and an STE that cannot be found valid makes it
    // Response Failure without a PASID.
    if (!request.ssv) {
        auto_respond(request, PrgResponseCode::success, false);
        return;
    }
    sc_time delay = SC_ZERO_TIME;
    std::optional<StreamConfig> ste;
    {
        DownstreamReader reader(downstream, &delay, walk_payloads_);
        ste = find_stream_config(request.stream_id, translation_environment(), reader,
                                 TranslationCaches{&config_cache_, nullptr, nullptr, nullptr});
    }
    wait(delay);
    if (!ste) {
        auto_respond(request, PrgResponseCode::response_failure, false);
        return;
    }
    auto_respond(request, PrgResponseCode::success, ste->ppar);
}

void Smmuv3::auto_respond(const PriQueueEntry& request, PrgResponseCode code, bool with_pasid) {
    ++page_request_auto_responses_;
    IVP_LOG(LogCategory::cmd, name(), "PRG response by the SMMU to 0x" << std::hex << request.stream_id << " prgi=0x"
                                                                       << request.prg_index << ": " << to_string(code)
                                                                       << (with_pasid ? " with PASID" : ""));
    if (AtsEndpointIf* endpoint = ats_endpoint_for(request.stream_id))
        endpoint->pri_response(request.stream_id, with_pasid, with_pasid ? request.substream_id : 0,
                               request.prg_index, code);
}

}  // namespace iommu_vp
