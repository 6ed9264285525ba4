#include "models/vtd/vtd.h"

#include "models/common/log.h"
#include "models/common/register_window.h"
#include "models/vtd/registers.h"

#include <cstdio>
#include <stdexcept>
#include <string>

namespace iommu_vp {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;
using namespace vtd;

Vtd::Vtd(sc_core::sc_module_name name, const VtdParams& params)
    : sc_module(name),
      regs("regs"),
      upstream("upstream", params.upstream_ports),
      downstream("downstream"),
      atc_("ats_endpoints"),
      ats_endpoints(atc_.endpoints),
      params_(params),
      bank_(sc_module::name()),
      context_cache_(params.caches.context, params.cache_seed),
      pasid_cache_(params.caches.pasid, params.cache_seed + 1),
      iotlb_(params.caches.iotlb, params.cache_seed + 2),
      paging_structure_cache_(params.caches.paging_structure, params.cache_seed + 3),
      walkers_(params.page_table_walkers == 0 ? 1 : params.page_table_walkers),
      stats_(basename()),
      register_counters_(RegisterAccessCounters::create(stats_)),
      traffic_(stats_),
      interrupt_requests_(stats_.counter("interrupt_requests", "untranslated writes to the interrupt range passed on")),
      faults_recorded_(stats_.counter("faults_recorded", "primary faults written to a fault-recording register")),
      faults_suppressed_(stats_.counter("faults_suppressed", "qualified faults not recorded because of FPD")),
      faults_overflowed_(stats_.counter("faults_overflowed", "faults lost: the next record was full or PFO set")),
      descriptors_(stats_.counter("descriptors", "invalidation descriptors processed from the queue")),
      descriptor_errors_(stats_.counter("descriptor_errors", "invalidation-queue errors (FSTS.IQE)")),
      register_invalidations_(stats_.counter("register_invalidations", "CCMD and IOTLB_REG invalidations performed")),
      msis_sent_(stats_.counter("msis_sent", "fault-event, invalidation-completion and page-request MSIs issued")),
      ats_translation_requests_(stats_.counter("ats_translation_requests", "ATS translation requests answered")),
      ats_translations_granted_(stats_.counter("ats_translations_granted", "translation completions granting R or W")),
      ats_no_translation_(stats_.counter("ats_no_translation",
                                         "successful translation completions with R = W = 0 (page not present or "
                                         "not permitted)")),
      ats_unsupported_requests_(stats_.counter("ats_unsupported_requests", "translation requests answered UR")),
      ats_completer_aborts_(stats_.counter("ats_completer_aborts", "translation requests answered CA")),
      ats_translated_requests_(stats_.counter("ats_translated_requests",
                                              "ATS translated requests passed through (the context allows them)")),
      device_tlb_invalidations_(stats_.counter("device_tlb_invalidations",
                                               "device-TLB invalidations (0x3, 0x8) sent to endpoints")),
      device_tlb_without_endpoint_(stats_.counter("device_tlb_without_endpoint",
                                                  "device-TLB invalidations for a source-id no endpoint serves "
                                                  "(complete at once)")),
      device_tlb_timeouts_(stats_.counter("device_tlb_timeouts",
                                          "device-TLB invalidations not completed within the time-out (FSTS.ITE)")),
      waits_aborted_(stats_.counter("waits_aborted", "invalidation-wait descriptors aborted by an ITE")),
      page_requests_(stats_.counter("page_requests", "page requests received")),
      page_requests_queued_(stats_.counter("page_requests_queued", "page-request descriptors written at PQT")),
      page_requests_overflowed_(stats_.counter("page_requests_overflowed",
                                               "page requests lost to a full queue or while PRS.PRO was set")),
      page_requests_refused_(stats_.counter("page_requests_refused",
                                            "page requests refused (translation off, RTA.3, SCT.8, context faults)")),
      page_request_auto_responses_(stats_.counter("page_request_auto_responses",
                                                  "page group responses the unit generated itself")),
      page_group_responses_(stats_.counter("page_group_responses",
                                           "page group response descriptors (0x9) delivered to endpoints")),
      page_group_responses_without_endpoint_(stats_.counter("page_group_responses_without_endpoint",
                                                            "page group responses for a requester no endpoint "
                                                            "serves (dropped)")) {
    if (const std::string problem = check_features(params_.features); !problem.empty())
        throw std::invalid_argument(std::string(sc_module::name()) + ": " + problem);
    const Features& f = params_.features;
    environment_.features = f;
    environment_.cache_faults = f.caching_mode && params_.cache_faults_in_caching_mode;
    add_registers(bank_, f);
    attach_register_hooks();

    StatsGroup& by_reason = stats_.child("faults_by_reason");
    for (unsigned code = 1; code < faults_by_reason_.size(); ++code) {
        const std::string description = to_string(static_cast<FaultReason>(code));
        if (description == to_string(static_cast<FaultReason>(0xff))) continue;  // a code this model never reports
        char key[8];
        std::snprintf(key, sizeof key, "0x%02x", code);
        faults_by_reason_[code] = &by_reason.counter(key, "faults with reason " + description);
    }
    StatsGroup& by_type = stats_.child("descriptors_by_type");
    for (unsigned type = 1; type <= static_cast<unsigned>(DescriptorType::page_group_response); ++type) {
        const char* type_name = descriptor_type_name(static_cast<std::uint8_t>(type));
        descriptors_by_type_[type] = &by_type.counter(type_name, std::string("descriptors of type ") + type_name);
    }

    regs.register_b_transport(this, &Vtd::reg_b_transport);
    regs.register_transport_dbg(this, &Vtd::reg_transport_dbg);
    for (unsigned i = 0; i < upstream.size(); ++i) {
        upstream[i].register_b_transport(this, &Vtd::up_b_transport, static_cast<int>(i));
        upstream[i].register_transport_dbg(this, &Vtd::up_transport_dbg, static_cast<int>(i));
        upstream[i].register_get_direct_mem_ptr(this, &Vtd::up_get_direct_mem_ptr, static_cast<int>(i));
    }
    downstream.register_invalidate_direct_mem_ptr(this, &Vtd::down_invalidate_direct_mem_ptr);

    SC_THREAD(control_processor);
    SC_THREAD(queue_processor);
    SC_THREAD(page_request_processor);
    SC_METHOD(record_due_faults);
    sensitive << fault_due_;
    dont_initialize();
}

void Vtd::reset() {
    bank_.reset();
    control_operations_.clear();
    environment_.root_table = 0;
    queue_ = {};
    environment_.mode = TranslationTableMode::legacy;
    translation_enabled_ = false;
    next_fault_record_ = 0;
    pending_faults_.clear();
    ++queue_generation_;
    invalidate_all_caches();
    walkers_.reset();
    atc_.reset();
    page_requests_pending_.clear();
    page_requests_processed_ = page_requests_received_;
    page_request_processed_.notify(SC_ZERO_TIME);
}

// ---------------------------------------------------------------------------------------------
// Programming interface

void Vtd::attach_register_hooks() {
    // The table holds data only; the model's behaviour hangs off these named hooks.
    bank_.set_write_hook("GCMD", [this](const RegisterWrite& w) { on_gcmd_write(w); });
    bank_.set_write_hook("CCMD", [this](const RegisterWrite& w) { on_ccmd_write(w); });
    bank_.set_write_hook("IOTLB", [this](const RegisterWrite& w) { on_iotlb_write(w); });
    bank_.set_write_hook("FSTS", [this](const RegisterWrite& w) { on_fsts_write(w); });
    bank_.set_write_hook("FECTL", [this](const RegisterWrite& w) { on_fectl_write(w); });
    bank_.set_write_hook("IECTL", [this](const RegisterWrite& w) { on_iectl_write(w); });
    bank_.set_write_hook("ICS", [this](const RegisterWrite& w) { on_ics_write(w); });
    bank_.set_write_hook("IQT", [this](const RegisterWrite& w) { on_iqt_write(w); });
    if (params_.features.page_requests) {
        bank_.set_write_hook("PECTL", [this](const RegisterWrite& w) { on_pectl_write(w); });
        bank_.set_write_hook("PRS", [this](const RegisterWrite& w) { on_prs_write(w); });
    }
    for (unsigned n = 0; n < params_.features.fault_records; ++n)
        bank_.set_write_hook(fault_record_name(n, true), [this](const RegisterWrite& w) { on_fault_record_write(w); });
}

void Vtd::reg_b_transport(tlm::tlm_generic_payload& p, sc_time& delay) {
    access_offset_ = delay;
    serve_register_access(bank_, p, name(), register_counters_);
    delay += params_.register_latency;
}

unsigned int Vtd::reg_transport_dbg(tlm::tlm_generic_payload& p) { return peek_register_access(bank_, p); }

void Vtd::post_control(ControlOperation::Kind kind, std::uint64_t value, const sc_time& latency) {
    control_operations_.push_back({kind, value, sc_core::sc_time_stamp() + access_offset_ + latency});
    control_work_.notify(SC_ZERO_TIME);
}

void Vtd::control_processor() {
    for (;;) {
        while (control_operations_.empty()) wait(control_work_);
        const ControlOperation op = control_operations_.front();
        if (op.due > sc_core::sc_time_stamp()) {
            wait(op.due - sc_core::sc_time_stamp());
            continue;  // a reset may have emptied the list meanwhile
        }
        control_operations_.pop_front();
        switch (op.kind) {
        case ControlOperation::Kind::global_command:
            execute_global_command(static_cast<std::uint32_t>(op.value));
            break;
        case ControlOperation::Kind::context_invalidation:
            execute_context_invalidation(op.value);
            break;
        case ControlOperation::Kind::iotlb_invalidation:
            execute_iotlb_invalidation(op.value);
            break;
        }
    }
}

void Vtd::set_gsts(BitField status, bool value) {
    bank_.set("GSTS", status.insert(bank_.get("GSTS"), value ? 1 : 0));
}

void Vtd::on_gcmd_write(const RegisterWrite& w) {
    const std::uint64_t command = w.written_value & w.written_mask & bits(31, 23).mask();
    const std::uint64_t status = bank_.get("GSTS");
    // One command a write (VT-d 11.4.4): the persistent bits that differ from GSTS and the one-shot
    // bits that are set. More than one is a programming error; all of them are performed.
    const std::uint64_t one_shot = gcmd::SRTP.mask() | gcmd::SFL.mask() | gcmd::WBF.mask() | gcmd::SIRTP.mask();
    const std::uint64_t requested = ((command ^ status) & gcmd::kPersistent) | (command & one_shot);
    if (requested & (requested - 1))
        IVP_LOG(LogCategory::guest_error, name(), "GCMD write asks for more than one command: 0x" << std::hex << command);
    // One-shot status bits clear at once and are set again (RTPS) or cleared (WBFS) on completion.
    if (gcmd::SRTP.is_set_in(command)) set_gsts(gcmd::SRTP, false);
    if (gcmd::WBF.is_set_in(command) && params_.features.required_write_buffer_flush) set_gsts(gcmd::WBF, true);
    post_control(ControlOperation::Kind::global_command, command, params_.status_latency);
}

void Vtd::execute_global_command(std::uint32_t command) {
    const Features& f = params_.features;
    const std::uint64_t status = bank_.get("GSTS");
    const auto changes = [&](BitField bit) { return bit.is_set_in(command) != bit.is_set_in(status); };
    if (gcmd::SRTP.is_set_in(command)) {
        const std::uint64_t rtaddr = bank_.get("RTADDR");
        environment_.root_table = rtaddr::RTA.extract(rtaddr) << rtaddr::RTA.lsb;
        environment_.mode = translation_table_mode(rtaddr::TTM.extract(rtaddr));
        set_gsts(gcmd::SRTP, true);
        IVP_LOG(LogCategory::reg, name(), "root table latched: " << bank_.describe("RTADDR", rtaddr));
    }
    if (gcmd::WBF.is_set_in(command)) set_gsts(gcmd::WBF, false);  // the write buffer is always empty
    if (changes(gcmd::QIE)) {
        if (!f.queued_invalidation) {
            IVP_LOG(LogCategory::guest_error, name(), "GCMD.QIE ignored: ECAP.QI = 0");
        } else if (gcmd::QIE.is_set_in(command)) {
            // The queue's base, size and width are latched here (as QEMU and VirtualBox do): IQA
            // writes while it is enabled do not move it.
            queue_ = InvalidationQueue::from_iqa(bank_.get("IQA"), f);
            ++queue_generation_;
            set_gsts(gcmd::QIE, true);
            queue_work_.notify(SC_ZERO_TIME);
        } else if (bank_.get("IQH") != bank_.get("IQT")) {
            IVP_LOG(LogCategory::guest_error, name(), "GCMD.QIE cleared with descriptors pending: queue stays enabled");
        } else {
            // Disabling empties the queue: IQH returns to 0 (QEMU, VirtualBox).
            bank_.set("IQH", 0);
            ++queue_generation_;
            set_gsts(gcmd::QIE, false);
        }
    }
    if (changes(gcmd::TE)) {
        translation_enabled_ = gcmd::TE.is_set_in(command);
        set_gsts(gcmd::TE, translation_enabled_);
    }
    for (BitField absent : {gcmd::SFL, gcmd::EAFL, gcmd::IRE, gcmd::SIRTP, gcmd::CFI}) {
        const bool persistent = (absent.mask() & gcmd::kPersistent) != 0;
        if (persistent ? changes(absent) : absent.is_set_in(command))
            IVP_LOG(LogCategory::guest_error, name(), "GCMD command for an absent feature ignored (advanced fault "
                                                      "logging and interrupt remapping are not implemented): 0x"
                                                          << std::hex << (command & absent.mask()));
    }
    IVP_LOG(LogCategory::reg, name(), "GSTS <- " << bank_.describe("GSTS", bank_.get("GSTS")));
}

void Vtd::on_ccmd_write(const RegisterWrite& w) {
    // Only a write that sets ICC starts an invalidation (a write of the low half does not).
    if (!(w.written_mask & ccmd::ICC.mask()) || !ccmd::ICC.is_set_in(w.written_value)) return;
    if (gsts(gcmd::QIE)) {
        // With queued invalidation enabled the register interface must not be used (VT-d 6.5.2); this
        // model leaves the request unperformed.
        IVP_LOG(LogCategory::guest_error, name(), "CCMD invalidation while queued invalidation is enabled: ignored");
        bank_.set("CCMD", ccmd::CAIG.insert(ccmd::ICC.insert(w.new_value, 0), 0));  // not performed
        return;
    }
    post_control(ControlOperation::Kind::context_invalidation, w.new_value, params_.register_invalidation_latency);
}

void Vtd::on_iotlb_write(const RegisterWrite& w) {
    if (!(w.written_mask & iotlb_reg::IVT.mask()) || !iotlb_reg::IVT.is_set_in(w.written_value)) return;
    if (gsts(gcmd::QIE)) {
        IVP_LOG(LogCategory::guest_error, name(), "IOTLB_REG invalidation while queued invalidation is enabled: ignored");
        bank_.set("IOTLB", iotlb_reg::IAIG.insert(iotlb_reg::IVT.insert(w.new_value, 0), 0));  // not performed
        return;
    }
    post_control(ControlOperation::Kind::iotlb_invalidation, w.new_value, params_.register_invalidation_latency);
}

void Vtd::execute_context_invalidation(std::uint64_t value) {
    const ContextCommand command = decode_context_command(value, environment_.mode, params_.features);
    IVP_LOG(LogCategory::cmd, name(), describe(command));
    if (command.performed) {
        apply(command.invalidation);
        ++register_invalidations_;
    }
    bank_.set("CCMD", context_command_completion(value, command));
}

void Vtd::execute_iotlb_invalidation(std::uint64_t value) {
    const IotlbCommand command = decode_iotlb_command(value, bank_.get("IVA"), environment_.mode, params_.features);
    IVP_LOG(LogCategory::cmd, name(), describe(command));
    if (command.performed) {
        apply(command.invalidation);
        ++register_invalidations_;
    }
    bank_.set("IOTLB", iotlb_command_completion(value, command));
}

}  // namespace iommu_vp
