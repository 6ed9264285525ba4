#include "models/smmuv3/smmuv3.h"

#include "models/common/register_window.h"

#include "models/common/fault_response.h"
#include "models/common/little_endian.h"
#include "models/common/log.h"

#include <stdexcept>
#include <string>

namespace iommu_vp {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;
namespace reg = smmuv3::reg;

namespace {

}  // namespace

Smmuv3::Smmuv3(sc_core::sc_module_name name, const Smmuv3Params& params)
    : sc_module(name),
      regs("regs"),
      upstream("upstream", params.upstream_ports),
      downstream("downstream"),
      evtq_irq("evtq_irq"),
      gerror_irq("gerror_irq"),
      cmd_sync_irq("cmd_sync_irq"),
      priq_irq("priq_irq"),
      atc_("ats_endpoints"),
      ats_endpoints(atc_.endpoints),
      params_(params),
      bank_(sc_module::name()),
      config_cache_(params.caches, params.cache_seed),
      tlb_(params.caches.tlb, params.cache_seed + 2),
      walk_cache_(params.caches.walk, params.cache_seed + 3),
      walkers_(params.page_table_walkers == 0 ? 1 : params.page_table_walkers),
      stats_(basename()),
      register_counters_(RegisterAccessCounters::create(stats_)),
      traffic_(stats_),
      events_recorded_(stats_.counter("events_recorded", "event records written to the event queue")),
      events_lost_(stats_.counter("events_lost", "event records discarded: queue full or disabled")),
      commands_(stats_.counter("commands", "commands consumed from the command queue")),
      command_errors_(stats_.counter("command_errors", "commands that stopped the queue (CERROR_ILL, CERROR_ABT)")),
      gerrors_raised_(stats_.counter("gerrors_raised", "global errors activated in GERROR")),
      msis_sent_(stats_.counter("msis_sent", "MSI writes issued (CMD_SYNC, GERROR)")),
      sync_latency_(stats_.histogram("cmd_sync_latency", "CMD_SYNC: from the CMDQ_PROD write that posted it to "
                                                         "its completion")),
      ats_translation_requests_(stats_.counter("ats_translation_requests", "ATS translation requests answered")),
      ats_translations_granted_(stats_.counter("ats_translations_granted",
                                               "translation completions granting R or W")),
      ats_no_translation_(stats_.counter("ats_no_translation",
                                         "successful translation completions with R = W = 0 (translation-related "
                                         "fault or no permission)")),
      ats_unsupported_requests_(stats_.counter("ats_unsupported_requests", "translation requests answered UR")),
      ats_completer_aborts_(stats_.counter("ats_completer_aborts", "translation requests answered CA")),
      ats_translated_requests_(stats_.counter("ats_translated_requests",
                                              "ATS translated transactions passed downstream")),
      ats_translated_forbidden_(stats_.counter("ats_translated_forbidden",
                                               "ATS translated transactions aborted (F_TRANSL_FORBIDDEN, ATSCHK "
                                               "configuration errors, beyond the OAS)")),
      atc_invalidations_(stats_.counter("atc_invalidations", "ATC invalidations (CMD_ATC_INV) sent to endpoints")),
      atc_invalidations_without_endpoint_(stats_.counter("atc_invalidations_without_endpoint",
                                                         "CMD_ATC_INVs for a StreamID no endpoint serves (complete "
                                                         "at once)")),
      atc_invalidations_completed_(stats_.counter("atc_invalidations_completed",
                                                  "ATC invalidations a CMD_SYNC found completed")),
      atc_invalidations_timed_out_(stats_.counter("atc_invalidations_timed_out",
                                                  "ATC invalidations not completed within the time-out "
                                                  "(CERROR_ATC_INV_SYNC)")),
      page_requests_(stats_.counter("page_requests", "PRI page requests received")),
      page_requests_queued_(stats_.counter("page_requests_queued", "PRI queue entries written")),
      page_requests_overflowed_(stats_.counter("page_requests_overflowed",
                                               "page requests discarded: PRI queue full or overflow active")),
      page_requests_refused_(stats_.counter("page_requests_refused",
                                            "page requests discarded: PRIQEN or SMMUEN 0, PRIQ_ABT_ERR, aborted "
                                            "write")),
      page_request_auto_responses_(stats_.counter("page_request_auto_responses",
                                                  "PRG responses the SMMU generated itself")),
      pri_responses_(stats_.counter("pri_responses", "CMD_PRI_RESP responses delivered to endpoints")),
      pri_responses_without_endpoint_(stats_.counter("pri_responses_without_endpoint",
                                                     "CMD_PRI_RESPs for a StreamID no endpoint serves (dropped)")),
      stalls_(stats_.counter("stalls", "stalls recorded with a STAG (Translation-related faults under CD.S, STE.S2S)")),
      stalls_retried_(stats_.counter("stalls_retried", "stalled transactions retried by CMD_RESUME (Action retry)")),
      stalls_terminated_by_resume_(stats_.counter("stalls_terminated_by_resume",
                                                  "stalled transactions terminated by CMD_RESUME (Action terminate)")),
      stalls_terminated_by_stall_term_(stats_.counter("stalls_terminated_by_stall_term",
                                                      "stalled transactions terminated by CMD_STALL_TERM")),
      stalls_terminated_by_disable_(stats_.counter("stalls_terminated_by_disable",
                                                   "stalled transactions terminated by SMMUEN -> 0 or a reset")),
      stall_resumes_unmatched_(stats_.counter("stall_resumes_unmatched",
                                              "CMD_RESUMEs matching no stalled transaction (no effect)")),
      stalls_waiting_for_event_queue_(stats_.counter("stalls_waiting_for_event_queue",
                                                     "stalls whose record found the Event queue not writable "
                                                     "(retried once it is)")),
      stall_backpressure_waits_(stats_.counter("stall_backpressure_waits",
                                               "transactions held because max_stalled_transactions were stalled")),
      stall_time_(stats_.histogram("stall_time", "time from a stall to its resolution")) {
    StatsGroup& by_event = stats_.child("events_by_type");
    using smmuv3::EventType;
    for (EventType type : {EventType::C_BAD_STREAMID, EventType::F_STE_FETCH, EventType::C_BAD_STE,
                           EventType::F_BAD_ATS_TREQ, EventType::F_STREAM_DISABLED, EventType::F_TRANSL_FORBIDDEN, EventType::C_BAD_SUBSTREAMID, EventType::F_CD_FETCH,
                           EventType::C_BAD_CD, EventType::F_WALK_EABT, EventType::F_TRANSLATION,
                           EventType::F_ADDR_SIZE, EventType::F_ACCESS, EventType::F_PERMISSION}) {
        const char* event = smmuv3::event_type_name(type);
        events_by_type_[static_cast<std::uint8_t>(type)] =
            &by_event.counter(event, std::string(event) + " records written to the event queue");
    }
    StatsGroup& by_kind = stats_.child("commands_by_type");
    for (std::size_t k = 0; k < smmuv3::kCommandKindCount; ++k) {
        const char* kind = smmuv3::command_kind_name(static_cast<smmuv3::CommandKind>(k));
        commands_by_kind_[k] = &by_kind.counter(kind, std::string("commands of kind ") + kind);
    }
    const smmuv3::Features& f = params_.features;
    // HTTU 0b11 adds the Access flag of table descriptors (HAFT, SMMUv3 3.13.6), not modelled.
    if (f.httu > 2)
        throw std::invalid_argument(std::string(sc_module::name()) +
                                    ": httu must be 0 (none), 1 (Access flag) or 2 (Access flag and dirty state); "
                                    "0b11 (HAFT) is not modelled");
    hardware_updates_.access_flag =
        &stats_.counter("httu_access_flag_updates", "descriptors whose Access flag the SMMU set (HTTU, CD.HA/STE.S2HA)");
    hardware_updates_.dirty =
        &stats_.counter("httu_dirty_updates", "writable-clean descriptors the SMMU marked dirty (HTTU, CD.HD/STE.S2HD)");
    hardware_updates_.retries = &stats_.counter("httu_update_retries",
                                                "HTTU compare-and-swaps that found the descriptor changed by software "
                                                "and examined it again");
    // Stalls: a STAG is 16 bits, and a stall model without room for one stall could never stall.
    if (f.stall_model != smmuv3::StallModel::terminate_only &&
        (params_.max_stalled_transactions == 0 || params_.max_stalled_transactions > 65536))
        throw std::invalid_argument(std::string(sc_module::name()) + ": max_stalled_transactions must be 1 .. 65536");
    if (static_cast<unsigned>(f.stall_model) > 2)
        throw std::invalid_argument(std::string(sc_module::name()) + ": stall_model 0b11 is reserved (IDR0.STALL_MODEL)");
    // IDR0.Hyp is RES0 unless both stages are implemented (SMMUv3 6.3.1).
    if (f.hyp && !f.has_hyp())
        throw std::invalid_argument(std::string(sc_module::name()) +
                                    ": hyp (IDR0.Hyp) needs both stage 1 and stage 2");
    // PRI depends on ATS (SMMUv3 3.9.1); a PRI queue holds at most 2^19 entries (chapter 8).
    if (f.pri && !f.ats)
        throw std::invalid_argument(std::string(sc_module::name()) + ": PRI needs ATS (IDR0.PRI implies IDR0.ATS)");
    if (f.pri && f.priq_log2_entries > smmuv3::max_queue_log2size)
        throw std::invalid_argument(std::string(sc_module::name()) + ": priq_log2_entries above 19 (IDR1.PRIQS)");
    smmuv3::add_registers(bank_, params_.features, params_.identity, params_.gbpa_abort_at_reset);
    attach_register_hooks();
    effective_gbpa_ = static_cast<std::uint32_t>(bank_.get("GBPA"));

    regs.register_b_transport(this, &Smmuv3::reg_b_transport);
    regs.register_transport_dbg(this, &Smmuv3::reg_transport_dbg);
    for (unsigned i = 0; i < upstream.size(); ++i) {
        upstream[i].register_b_transport(this, &Smmuv3::up_b_transport, static_cast<int>(i));
        upstream[i].register_transport_dbg(this, &Smmuv3::up_transport_dbg, static_cast<int>(i));
        upstream[i].register_get_direct_mem_ptr(this, &Smmuv3::up_get_direct_mem_ptr, static_cast<int>(i));
    }
    downstream.register_invalidate_direct_mem_ptr(this, &Smmuv3::down_invalidate_direct_mem_ptr);

    SC_METHOD(complete_cr0);
    sensitive << cr0_ack_event_;
    dont_initialize();
    SC_METHOD(complete_gbpa);
    sensitive << gbpa_ack_event_;
    dont_initialize();
    SC_METHOD(complete_irq_ctrl);
    sensitive << irq_ctrl_ack_event_;
    dont_initialize();
    SC_THREAD(command_processor);
    SC_THREAD(page_request_processor);
    SC_METHOD(drive_interrupts);
    for (unsigned i = 0; i < kIrqOutputs; ++i) sensitive << irq_rise_[i] << irq_fall_[i];
    dont_initialize();

    evtq_irq.initialize(false);
    gerror_irq.initialize(false);
    cmd_sync_irq.initialize(false);
    priq_irq.initialize(false);
}

void Smmuv3::before_end_of_elaboration() {
    if (priq_irq.bind_count() == 0) priq_irq.bind(priq_irq_unbound_);
}

void Smmuv3::reset() {
    bank_.reset();
    cr0_ack_event_.cancel();
    gbpa_ack_event_.cancel();
    irq_ctrl_ack_event_.cancel();
    prod_writes_.clear();
    environment_stale_ = true;
    smmu_enabled_ = false;
    config_cache_.invalidate_all();
    tlb_.invalidate_all();
    walk_cache_.invalidate_all();
    walkers_.reset();
    effective_gbpa_ = static_cast<std::uint32_t>(bank_.get("GBPA"));
    ats_check_ = false;
    ++generation_;
    atc_.reset();
    page_requests_pending_.clear();
    terminate_all_stalled("reset");
}

// ---------------------------------------------------------------------------------------------
// Programming interface

void Smmuv3::attach_register_hooks() {
    // The table holds data only; the model's behaviour hangs off these named hooks.
    bank_.set_write_hook("CR0", [this](const RegisterWrite& w) { on_cr0_write(w); });
    bank_.set_write_hook("GBPA", [this](const RegisterWrite& w) { on_gbpa_write(w); });
    bank_.set_write_hook("IRQ_CTRL", [this](const RegisterWrite& w) { on_irq_ctrl_write(w); });
    bank_.set_write_hook("CMDQ_PROD", [this](const RegisterWrite& w) { on_cmdq_prod_write(w); });
    bank_.set_write_hook("CMDQ_CONS", [this](const RegisterWrite& w) { on_cmdq_cons_write(w); });
    bank_.set_write_hook("GERRORN", [this](const RegisterWrite& w) { on_gerrorn_write(w); });
    // A stall record waiting for the Event queue looks again when software consumes or acknowledges.
    bank_.set_write_hook("EVTQ_CONS", [this](const RegisterWrite&) { event_queue_changed_.notify(access_offset_); });
    bank_.set_write_hook("CR2", [this](const RegisterWrite& w) { on_cr2_write(w); });
    for (const char* source : {"STRTAB_BASE", "STRTAB_BASE_CFG"})
        bank_.set_write_hook(source, [this](const RegisterWrite&) { environment_stale_ = true; });
}

void Smmuv3::on_cr2_write(const RegisterWrite& w) {
    // SMMUv3 6.3.12: CR2 is read-only while CR0.SMMUEN or CR0ACK.SMMUEN is 1; a write then is
    // ignored (the only behaviour SMMUv3.2 permits). E2H selects the EL2 regime of STRW == 0b10
    // streams and what CMD_TLBI_EL2_VA/VAA name, so it must not change under live translations.
    namespace cr0 = smmuv3::cr0;
    if (cr0::SMMUEN.is_set_in(bank_.get("CR0")) || cr0::SMMUEN.is_set_in(bank_.get("CR0ACK"))) {
        bank_.set("CR2", w.old_value);
        IVP_LOG(LogCategory::guest_error, name(), "CR2 written while SMMUEN is 1: ignored");
        return;
    }
    environment_stale_ = true;
}

void Smmuv3::reg_b_transport(tlm::tlm_generic_payload& p, sc_time& delay) {
    access_offset_ = delay;
    serve_register_access(bank_, p, name(), register_counters_);
    delay += params_.register_latency;
}

unsigned int Smmuv3::reg_transport_dbg(tlm::tlm_generic_payload& p) { return peek_register_access(bank_, p); }

void Smmuv3::acknowledge_later(sc_core::sc_event& event) {
    event.notify(access_offset_ + params_.acknowledge_latency);
}

void Smmuv3::on_cr0_write(const RegisterWrite&) { acknowledge_later(cr0_ack_event_); }

void Smmuv3::complete_cr0() {
    const std::uint64_t cr0 = bank_.get("CR0");
    bank_.set("CR0ACK", cr0);
    const bool was_enabled = smmu_enabled_;
    smmu_enabled_ = smmuv3::cr0::SMMUEN.is_set_in(cr0);
    // SMMUEN -> 0 terminates every stalled transaction (SMMUv3 3.12.2); EVTQEN may have changed.
    if (was_enabled && !smmu_enabled_) terminate_all_stalled("SMMUEN cleared");
    event_queue_changed_.notify();
    ats_check_ = smmuv3::cr0::ATSCHK.is_set_in(cr0);
    environment_stale_ = true;  // ATSCHK is part of it
    IVP_LOG(LogCategory::reg, name(), "CR0ACK <- " << bank_.describe("CR0ACK", cr0));
    cmdq_work_.notify();  // CMDQEN may have changed
}

void Smmuv3::on_gbpa_write(const RegisterWrite& w) {
    namespace gbpa = smmuv3::gbpa;
    // SMMUv3 6.3.14.1: a write must set UPDATE, and must not come while an update is in progress;
    // either mistake makes the write IGNORED (the only behaviour SMMUv3.2 permits).
    const bool update_requested = gbpa::UPDATE.is_set_in(w.written_value);
    const bool update_in_progress = gbpa::UPDATE.is_set_in(w.old_value);
    if (!update_requested || update_in_progress) {
        bank_.set("GBPA", w.old_value);
        IVP_LOG(LogCategory::guest_error, name(), "GBPA write ignored: "
                                                      << (update_in_progress ? "an update is in progress"
                                                                             : "UPDATE not set"));
        return;
    }
    acknowledge_later(gbpa_ack_event_);
}

void Smmuv3::complete_gbpa() {
    const std::uint64_t value = smmuv3::gbpa::UPDATE.insert(bank_.get("GBPA"), 0);
    bank_.set("GBPA", value);
    effective_gbpa_ = static_cast<std::uint32_t>(value);
    IVP_LOG(LogCategory::reg, name(), "GBPA update complete: " << bank_.describe("GBPA", value));
}

void Smmuv3::on_irq_ctrl_write(const RegisterWrite&) { acknowledge_later(irq_ctrl_ack_event_); }

void Smmuv3::complete_irq_ctrl() {
    const std::uint64_t value = bank_.get("IRQ_CTRL");
    bank_.set("IRQ_CTRLACK", value);
    IVP_LOG(LogCategory::reg, name(), "IRQ_CTRLACK <- " << bank_.describe("IRQ_CTRLACK", value));
}

// ---------------------------------------------------------------------------------------------
// Device traffic

void Smmuv3::up_b_transport(int, tlm::tlm_generic_payload& p, sc_time& delay) {
    // A PCIe Page Request message moves no data: it never reaches memory, whatever SMMUEN says.
    if (const PageRequestMessage* message = p.get_extension<PageRequestMessage>()) {
        receive_page_request(p, delay, *message);
        return;
    }
    if (smmu_enabled()) {
        translate_transaction(p, delay);
        return;
    }
    // SMMUEN == 0: ATS requests are refused whatever GBPA says (SMMUv3 3.9.1.2, 3.9.1.3).
    if (const MasterAttrs* attrs = find_master_attrs(p); attrs && attrs->ats != AtsState::untranslated) {
        serve_ats_transaction(p, delay, *attrs);
        return;
    }
    if (smmuv3::gbpa::ABORT.is_set_in(effective_gbpa_)) {
        ++traffic_.aborted;
        terminate_transaction(p, FaultResponse::abort);
        return;
    }
    // Bypass: the transaction goes downstream unchanged. GBPA's attribute overrides are stored but
    // have no effect on this model's memory system. An address beyond the OAS is aborted without
    // an event (SMMUv3 3.4).
    const unsigned oas = params_.features.oas_bits;
    if (oas < 64 && ((p.get_address() + p.get_data_length() - 1) >> oas) != 0) {
        ++traffic_.aborted;
        terminate_transaction(p, FaultResponse::abort);
        return;
    }
    ++traffic_.bypassed;
    downstream->b_transport(p, delay);
}

unsigned int Smmuv3::up_transport_dbg(int, tlm::tlm_generic_payload& p) {
    if (p.get_extension<PageRequestMessage>()) return 0;  // no data to move
    if (smmu_enabled()) return translate_debug(p);
    if (const MasterAttrs* attrs = find_master_attrs(p); attrs && attrs->ats != AtsState::untranslated) return 0;
    if (smmuv3::gbpa::ABORT.is_set_in(effective_gbpa_)) return 0;
    return downstream->transport_dbg(p);
}

bool Smmuv3::up_get_direct_mem_ptr(int, tlm::tlm_generic_payload& p, tlm::tlm_dmi& dmi) {
    // No pointer ever bypasses translation: a granted DMI region could not be revoked exactly when
    // the configuration changes (a later issue adds translated DMI with exact invalidation).
    ++traffic_.dmi_refused;
    dmi.allow_none();
    dmi.set_start_address(0);
    dmi.set_end_address(~sc_dt::uint64{0});
    static_cast<void>(p);
    return false;
}

void Smmuv3::down_invalidate_direct_mem_ptr(sc_dt::uint64, sc_dt::uint64) {
    // Nothing upstream holds a pointer through this SMMU.
}

}  // namespace iommu_vp
