// Vtd: device traffic (the module is split across files by concern).
#include "models/vtd/vtd.h"

#include "models/common/fault_response.h"
#include "models/common/log.h"
#include "models/common/master_attrs.h"
#include "models/common/translated_access.h"
#include "models/vtd/page_walk.h"

#include <cstdio>

namespace iommu_vp {

using sc_core::sc_time;
using namespace vtd;

namespace {

// Paging-entry and structure accesses through the downstream socket; the accessed/dirty
// compare-and-exchange is the shared one (DownstreamAccess::compare_exchange64: atomic while the
// memory system does not wait inside b_transport; debug translations never write).
class DownstreamTableMemory : public TableMemory {
public:
    DownstreamTableMemory(DownstreamAccess::Socket& socket, sc_time* delay, PayloadPool& pool)
        : access_(socket, delay, pool) {}

    FetchStatus read64(std::uint64_t address, std::uint64_t& value) override {
        return access_.read64(address, value) ? FetchStatus::ok : FetchStatus::error;
    }

    FetchStatus compare_exchange64(std::uint64_t address, std::uint64_t expected, std::uint64_t desired,
                                   std::uint64_t& observed) override {
        return access_.compare_exchange64(address, expected, desired, observed) ? FetchStatus::ok
                                                                                 : FetchStatus::error;
    }

private:
    DownstreamAccess access_;
};

RequestKind request_kind(AtsState ats) {
    switch (ats) {
    case AtsState::translation_request: return RequestKind::translation_request;
    case AtsState::translated: return RequestKind::translated;
    case AtsState::untranslated: break;
    }
    return RequestKind::untranslated;
}

FaultAddressType address_type(RequestKind kind) {
    switch (kind) {
    case RequestKind::translation_request: return FaultAddressType::translation_request;
    case RequestKind::translated: return FaultAddressType::translated;
    case RequestKind::untranslated: break;
    }
    return FaultAddressType::untranslated;
}

// What translation needs to know of a transaction: its requester, PASID and kind of access.
TranslationRequest translation_request(const MasterAttrs& attrs, bool write, std::uint64_t address) {
    TranslationRequest request;
    request.source_id = static_cast<std::uint16_t>(attrs.stream_id);
    if (attrs.has_substream) request.pasid = attrs.substream_id;
    request.address = address;
    request.access.write = write;
    request.access.execute = attrs.instruction && !write;
    request.access.supervisor = attrs.privileged;
    request.kind = request_kind(attrs.ats);
    return request;
}

}  // namespace

void Vtd::up_b_transport(int, tlm::tlm_generic_payload& p, sc_time& delay) {
    // PCIe messages and ATS translation requests move no data: they never reach memory, whatever
    // TE says.
    if (const PageRequestMessage* message = p.get_extension<PageRequestMessage>()) {
        receive_page_request(p, delay, *message);
        return;
    }
    if (const MasterAttrs* ats = p.get_extension<MasterAttrs>(); ats && ats->ats == AtsState::translation_request) {
        serve_translation_request(p, delay);
        return;
    }
    if (!translation_enabled_) {
        // TE = 0: requests are not remapped (VT-d 3.2).
        ++traffic_.bypassed;
        downstream->b_transport(p, delay);
        return;
    }
    const MasterAttrs* attrs = p.get_extension<MasterAttrs>();
    const bool with_pasid = attrs && attrs->has_substream;
    if (in_interrupt_range(p.get_address()) && !with_pasid) {
        // An untranslated request without PASID to the interrupt range is an interrupt request, not
        // DMA: a write passes on (interrupt remapping is not modelled), a read is refused.
        if (p.is_write()) {
            ++interrupt_requests_;
            downstream->b_transport(p, delay);
        } else {
            ++traffic_.aborted;
            IVP_LOG(LogCategory::guest_error, name(), "read of the interrupt address range refused");
            terminate_transaction(p, FaultResponse::abort);
        }
        return;
    }
    translate_transaction(p, delay);
}

void Vtd::translate_transaction(tlm::tlm_generic_payload& p, sc_time& delay) {
    const MasterAttrs* attrs = accept_device_transaction(p, name(), traffic_.missing_attributes);
    if (!attrs) return;
    if (attrs->has_substream && (attrs->substream_id >> params_.features.pasid_bits) != 0) {
        // A PASID wider than ECAP.PSS allows is a malformed request, not a translation fault: it is
        // refused without a fault record (as an Unsupported Request on PCIe).
        ++traffic_.aborted;
        IVP_LOG(LogCategory::guest_error, name(), "request with PASID 0x" << std::hex << attrs->substream_id
                                                      << " beyond the " << std::dec << params_.features.pasid_bits
                                                      << "-bit PASID width refused");
        terminate_transaction(p, FaultResponse::abort);
        return;
    }
    sc_time translation_time = sc_core::SC_ZERO_TIME;  // what the unit adds, without the access itself
    TranslationRequest faulting;
    TranslationResult fault;
    const TranslatedAccessOutcome outcome =
        perform_translated_access(p, delay, downstream, [&](std::uint64_t input) {
            const TranslationRequest request = translation_request(*attrs, p.is_write(), input);
            const TranslationResult result = translate_piece(request, delay, translation_time);
            if (result.kind == TranslationResult::Kind::faulted) {
                faulting = request;
                fault = result;
                return PieceTranslation{true, 0, 0};
            }
            return PieceTranslation{false, result.output_address, result.size_bits};
        });
    if (outcome == TranslatedAccessOutcome::faulted) {
        report_fault(faulting, fault, delay);
        terminate_transaction(p, fault.response);
        return;
    }
    ++traffic_.translated;
    if (attrs->ats == AtsState::translated) ++ats_translated_requests_;
    traffic_.translation_latency.record_ps(static_cast<std::uint64_t>(translation_time.value()));
}

// ---------------------------------------------------------------------------------------------
// ATS translation requests


void Vtd::serve_translation_request(tlm::tlm_generic_payload& p, sc_time& delay) {
    const MasterAttrs* attrs = accept_device_transaction(p, name(), traffic_.missing_attributes);
    if (!attrs) return;
    AtsTranslation* completion = accept_translation_request(p, name(), traffic_.aborted);
    if (!completion) return;
    ++ats_translation_requests_;
    const char* refusal = nullptr;
    if (!params_.features.device_tlb) refusal = "ECAP.DT = 0";
    else if (!translation_enabled_) refusal = "translation is not enabled (TE = 0)";
    else if (attrs->has_substream && (attrs->substream_id >> params_.features.pasid_bits) != 0)
        refusal = "PASID beyond the PASID width";
    if (refusal) {
        // Unsupported Request without a fault record: there is no translation structure to blame.
        ++ats_unsupported_requests_;
        IVP_LOG(LogCategory::guest_error, name(), "translation request from " << attrs->describe() << " at 0x"
                                                      << std::hex << p.get_address() << " answered UR: " << refusal);
        return;
    }
    answer_translation_request(*attrs, p.get_address(), *completion, delay);
}

void Vtd::answer_translation_request(const MasterAttrs& attrs, std::uint64_t address, AtsTranslation& completion,
                                     sc_time& delay) {
    // With NW = 0 the endpoint may write through the translation without asking again, so the walk
    // is a write walk (it checks W and sets the dirty flags); a page that only denies the write is
    // then walked for reading and granted R alone.
    TranslationRequest request = translation_request(attrs, !completion.no_write, align_down(address, 4096));
    request.kind = RequestKind::translation_request;
    request.access.execute = attrs.has_substream && attrs.instruction;
    sc_time translation_time = sc_core::SC_ZERO_TIME;
    TranslationResult result = translate_piece(request, delay, translation_time);
    const auto refused_write = [&] {
        return result.kind == TranslationResult::Kind::faulted && request.access.write &&
               translation_request_answer(result.fault) == TranslationRequestAnswer::no_translation;
    };
    if (refused_write()) {
        request.access.write = false;
        result = translate_piece(request, delay, translation_time);
    }
    complete_translation(request, result, completion, delay);
}

void Vtd::complete_translation(const TranslationRequest& request, const TranslationResult& result,
                               AtsTranslation& completion, const sc_time& delay) {
    if (result.kind == TranslationResult::Kind::translated) {
        const Permissions& rights = result.permissions;
        const bool supervisor = request.pasid && request.access.supervisor;
        completion.status = AtsTranslation::Status::success;
        completion.range_bytes = std::uint64_t{1} << result.size_bits;
        completion.translated_address = align_down(result.output_address, completion.range_bytes);
        completion.read = rights.read;
        completion.write = request.access.write;  // the walk allowed the write
        completion.execute = request.access.execute && (supervisor ? rights.supervisor_execute : rights.execute);
        completion.privileged = supervisor;
        completion.global = false;  // VT-d returns G = 0 (as QEMU quotes VT-d 4.1.2)
        completion.untranslated_only = false;
        ++(completion.read || completion.write ? ats_translations_granted_ : ats_no_translation_);
        IVP_LOG(LogCategory::cmd, name(), "translation completion for 0x" << std::hex << request.source_id << " at 0x"
                                              << request.address << ": 0x" << completion.translated_address << " +0x"
                                              << completion.range_bytes << " R=" << completion.read
                                              << " W=" << completion.write << " Exe=" << completion.execute);
        return;
    }
    switch (translation_request_answer(result.fault)) {
    case TranslationRequestAnswer::no_translation:
        // The page is not there for this request: R = W = 0, nothing recorded (the endpoint may ask
        // for it with a page request).
        completion.status = AtsTranslation::Status::success;
        completion.read = completion.write = false;
        ++ats_no_translation_;
        IVP_LOG(LogCategory::fault, name(), "translation request for 0x" << std::hex << request.source_id << " at 0x"
                                                << request.address << ": no translation ("
                                                << to_string(result.fault) << ", not recorded)");
        return;
    case TranslationRequestAnswer::unsupported_request:
        completion.status = AtsTranslation::Status::unsupported_request;
        ++ats_unsupported_requests_;
        break;
    case TranslationRequestAnswer::completer_abort:
        completion.status = AtsTranslation::Status::completer_abort;
        ++ats_completer_aborts_;
        break;
    }
    // A translation request is a read on the wire: the record says so whatever NW asked.
    TranslationRequest as_read = request;
    as_read.access.write = false;
    report_fault(as_read, result, delay);
}

PageRequestCheck Vtd::check_page_request_context(std::uint16_t source_id, sc_time& delay) {
    DownstreamTableMemory memory(downstream, &delay, payloads_);
    const sc_time started = delay;
    const PageRequestCheck check =
        check_page_request(source_id, environment_, memory,
                           TranslationCaches{&context_cache_, &pasid_cache_, &iotlb_, &paging_structure_cache_});
    account_translation_work(traffic_, check.work,
                             {params_.config_hit_latency, params_.iotlb_lookup_latency, params_.walk_step_latency},
                             walkers_, started, delay);
    return check;
}

TranslationResult Vtd::translate_piece(const TranslationRequest& request, sc_time& delay, sc_time& translation_time) {
    const sc_time walk_started = delay;
    DownstreamTableMemory memory(downstream, &delay, payloads_);
    const TranslationResult result =
        translate(request, environment_, memory,
                  TranslationCaches{&context_cache_, &pasid_cache_, &iotlb_, &paging_structure_cache_});
    account_translation_work(traffic_, result.work,
                             {params_.config_hit_latency, params_.iotlb_lookup_latency, params_.walk_step_latency},
                             walkers_, walk_started, delay);
    translation_time += delay - walk_started;
    requester_stats(request.source_id).account(result.work, result.kind == TranslationResult::Kind::faulted);
    return result;
}

RequesterStats& Vtd::requester_stats(std::uint16_t source_id) {
    if (last_requester_stats_ && last_requester_ == source_id) return *last_requester_stats_;
    auto [it, created] = requester_stats_.try_emplace(source_id);
    if (created) {
        char name[24];
        std::snprintf(name, sizeof name, "requester_0x%04x", source_id);
        it->second = RequesterStats::create(stats_.child("requesters"), name);
    }
    last_requester_ = source_id;
    last_requester_stats_ = &it->second;
    return it->second;
}

void Vtd::report_fault(const TranslationRequest& request, const TranslationResult& result, const sc_time& delay) {
    ++traffic_.faults;
    if (Counter* by_reason = faults_by_reason_[static_cast<std::uint8_t>(result.fault)]) ++*by_reason;
    if (!result.record_fault) {
        ++faults_suppressed_;
        IVP_LOG(LogCategory::fault, name(), to_string(result.fault) << " for source-id 0x" << std::hex
                                                                    << request.source_id << " at 0x" << request.address
                                                                    << " not recorded (FPD)");
        return;
    }
    FaultRecord record;
    record.reason = result.fault;
    record.source_id = request.source_id;
    record.address = request.address;
    record.type = FaultRecord::request_type(request.access.write);
    record.pasid_present = request.pasid.has_value();
    record.pasid = request.pasid.value_or(0);
    record.privileged = request.pasid && request.access.supervisor;
    record.execute = request.pasid && request.access.execute;
    record.address_type = address_type(request.kind);
    post_fault(record, delay);
}

unsigned int Vtd::up_transport_dbg(int, tlm::tlm_generic_payload& p) {
    if (!translation_enabled_) return downstream->transport_dbg(p);
    // Debug access: translates from memory without the caches, records nothing, writes no A/D bit,
    // and serves at most the first page.
    const MasterAttrs* attrs = p.get_extension<MasterAttrs>();
    if (!attrs || attrs->ats == AtsState::translation_request) return 0;  // no data to move
    const TranslationRequest request = translation_request(*attrs, p.is_write(), p.get_address());
    DownstreamTableMemory memory(downstream, nullptr, payloads_);
    const TranslationResult result = translate(request, environment_, memory);
    if (result.kind == TranslationResult::Kind::faulted) return 0;
    return perform_debug_access(p, downstream, result.output_address, result.size_bits);
}

bool Vtd::up_get_direct_mem_ptr(int, tlm::tlm_generic_payload&, tlm::tlm_dmi& dmi) {
    // No pointer ever bypasses translation: a granted region could not be revoked exactly when the
    // tables change (a later issue adds translated DMI with exact invalidation).
    ++traffic_.dmi_refused;
    dmi.allow_none();
    dmi.set_start_address(0);
    dmi.set_end_address(~sc_dt::uint64{0});
    return false;
}

void Vtd::down_invalidate_direct_mem_ptr(sc_dt::uint64, sc_dt::uint64) {
    // Nothing upstream holds a pointer through this unit.
}

}  // namespace iommu_vp
