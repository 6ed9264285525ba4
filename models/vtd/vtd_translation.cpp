// Vtd: device traffic (the module is split across files by concern).
#include "models/vtd/vtd.h"

#include "models/common/fault_response.h"
#include "models/common/little_endian.h"
#include "models/common/log.h"
#include "models/common/master_attrs.h"
#include "models/common/translated_access.h"

#include <cstdio>

namespace iommu_vp {

using sc_core::sc_time;
using namespace vtd;

namespace {

// Paging-entry and structure accesses through the downstream socket. The accessed/dirty
// compare-and-exchange is a read and a conditional write in one call, with no wait() between them:
// atomic as long as the memory system does not wait inside b_transport (the platform's memories
// never do). Debug translations never write: the exchange then reports success without storing.
class DownstreamTableMemory : public TableMemory {
public:
    DownstreamTableMemory(DownstreamAccess::Socket& socket, sc_time* delay, PayloadPool& pool)
        : access_(socket, delay, pool) {}

    FetchStatus read64(std::uint64_t address, std::uint64_t& value) override {
        std::uint8_t bytes[8];
        if (!access_.read(address, bytes, sizeof bytes)) return FetchStatus::error;
        value = load_le(bytes, sizeof bytes);
        return FetchStatus::ok;
    }

    FetchStatus compare_exchange64(std::uint64_t address, std::uint64_t expected, std::uint64_t desired,
                                   std::uint64_t& observed) override {
        if (read64(address, observed) != FetchStatus::ok) return FetchStatus::error;
        if (observed != expected || access_.is_debug()) return FetchStatus::ok;
        std::uint8_t bytes[8];
        store_le(bytes, sizeof bytes, desired);
        return access_.write(address, bytes, sizeof bytes) ? FetchStatus::ok : FetchStatus::error;
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
    traffic_.translation_latency.record_ps(static_cast<std::uint64_t>(translation_time.value()));
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
    if (!attrs) return 0;
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
