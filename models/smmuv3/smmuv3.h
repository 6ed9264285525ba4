// Smmuv3: an Arm SMMUv3 as a TLM-2.0 module (field-by-field status in COMPLIANCE.md).
//
// Models: the non-secure register interface on `regs` (pages 0 and 1, the table in
// registers.h, identification registers derived from the parameters), the acknowledgement
// handshakes that hardware completes on its own after a latency (CR0 -> CR0ACK, IRQ_CTRL ->
// IRQ_CTRLACK, GBPA.UPDATE clearing), the disabled SMMU (with SMMUEN = 0 upstream traffic
// bypasses to `downstream` or is aborted, as GBPA says), and the command queue: commands fetched
// from memory through `downstream` by the model's own thread, illegal commands and fetch aborts
// stopping the queue with CMDQ_CONS.ERR and GERROR.CMDQ_ERR until software acknowledges, CMD_SYNC
// completion by MSI or wired interrupt, GERROR interrupts and MSIs. Wired interrupts are
// edge-triggered pulses. DMI through the SMMU is always refused, so no master ever holds an
// untranslated pointer.
// With SMMUEN = 1 every transaction is translated from the tables in memory (translate.h: STE,
// CD, stage 1, stage 2, nested), split where it crosses a page, and faults are terminated and
// recorded in the event queue (overflow, EVTQ_ABT_ERR, interrupt or MSI when it becomes non-empty).
// Caches (caches.h): a configuration cache, a TLB and a walk cache, invalidated by the CFGI and
// TLBI commands; a limited number of page-table walkers booked by absolute time, so simultaneous
// misses queue; statistics in total and per stream.
// With features.ats (SMMUv3 3.9.1): ATS translation requests (MasterAttrs AtsState::translation_request
// with an AtsTranslation extension) are translated through the same caches and walkers and answered
// in the extension without a data access: the page or block's output base and size, R/W/Exe/Priv as
// 13.7.1 computes them from the final permissions (W only without NW, Priv as asked, Global 0);
// UR with F_BAD_ATS_TREQ when SMMUEN == 0, for bypass STEs and effective EATS == 0b00; UR without an
// event for Config == 0b000; Success with R == W == 0 and no event for translation, address-size,
// access-flag and permission faults; CA without an event for configuration errors and external
// aborts (3.9.1.2, translate.h ats_answer). Translated transactions pass downstream unchanged when
// CR0.ATSCHK == 0; with ATSCHK == 1 the STE is looked up and bypass or EATS == 0b00 is
// F_TRANSL_FORBIDDEN and an abort (configuration errors abort without an event); with SMMUEN == 0
// they are F_TRANSL_FORBIDDEN and aborted (3.9.1.3). Addresses beyond the OAS are aborted without an
// event (3.9.1.1, an IMPLEMENTATION DEFINED choice). CMD_ATC_INV is sent to the endpoint that serves
// the StreamID through `ats_endpoints` (an AtcInvalidator); a CMD_SYNC completes only once every
// CMD_ATC_INV before it has, and one not completed `atc_invalidation_timeout` after it was sent
// stops the queue with CERROR_ATC_INV_SYNC at the CMD_SYNC (3.9.1.4, 7.1): re-executed after
// GERRORN, the CMD_SYNC no longer waits for the invalidations that timed out. CMD_ATC_INV and
// CMD_PRI_RESP are IGNORED while SMMUEN == 0 (4.5).
// With features.pri (chapter 8): page requests (a PageRequestMessage on `upstream`) are written to
// the PRI queue by the model's own thread after `page_request_latency` (16-byte entries,
// page_request.h), with the PRI queue interrupt (wired `priq_irq` or the PRIQ_IRQ_CFG0/1 MSI, on
// the empty-to-non-empty transition or, with PRIQ_IRQ_CFG2.LO, on Last == 1), overflow
// (PRIQ_PROD.OVFLG; nothing is written while it is active; a discarded Last == 1 request gets an
// automatic Success, with its PASID when STE.PPAR says so, Response Failure when no valid STE can be
// found), PRIQ_ABT_ERR on an aborted entry write (with a Response Failure auto-response) and
// MSI_PRIQ_ABT_ERR. While PRIQEN (or SMMUEN) is 0 or PRIQ_ABT_ERR is active every page request is
// discarded with a Response Failure auto-response (8.2). Stop Markers are queued, never answered.
// CMD_PRI_RESP reaches the endpoint with pri_response (Resp 0b00 ResponseFailure, 0b01
// InvalidRequest, 0b10 Success: 4.5.2).
// With features.hyp (IDR0.Hyp; needs both stages): STE.STRW == 0b10 on a stage-1-only STE selects
// StreamWorld NS-EL2 (SMMU_CR2.E2H == 0: one VA range, no ASID or VMID, every access privileged) or
// NS-EL2-E2H (E2H == 1: ASID-tagged, two ranges), STRW 0bx1 is ILLEGAL (C_BAD_STE), CR2.E2H is
// writable (read-only, like all of CR2, while SMMUEN is 1: 6.3.12); TLB and walk-cache entries carry
// their regime in their key, CMD_TLBI_EL2_ALL/ASID/VA/VAA act on EL2 entries only (VA/VAA on the
// regime CR2.E2H selects) and the NH, S12 and NSNH commands leave them alone (SMMUv3 4.4.2, 5.2).
// With features.range_invalidation (IDR3.RIL): the TG, SCALE, NUM and TTL fields of the
// address-based TLBIs invalidate (NUM + 1) * 2^SCALE granules from the address, scoped to TG's
// granule and TTL's leaf level, and without Leaf the walk-cache entries of the range (4.4.1.1).
// With features.stall_model (IDR0.STALL_MODEL 0b00 or 0b10; SMMUv3 3.12.2, 5.5): an untranslated
// transaction with a Translation-related fault at a stage configured to stall (CD.S, STE.S2S) is held
// (its b_transport blocks) and its event recorded with Stall = 1 and a STAG, R ignored; CMD_RESUME
// (StreamID + STAG) retries it as though it had just arrived or terminates it (abort, or RAZ/WI when
// Ab == 0 and TERM_MODEL == 0), CMD_STALL_TERM terminates every stall of a StreamID with an abort,
// SMMUEN -> 0 terminates them all; a CMD_RESUME matching no stall has no effect. While the Event queue
// is not writable a stall record waits and the transaction is retried once it is (7.2.1: never
// discarded, no overflow). At most max_stalled_transactions are stalled; then the ingress accepts
// nothing more (3.12.2.3). Debug accesses and ATS translation requests never stall. No suppression
// of duplicate stall records (3.12.2.1, permitted) and no early retry (3.12.2.2, permitted).
// With features.httu (IDR0.HTTU 0b01 Access flag, 0b10 Access flag and dirty state; SMMUv3 3.13):
// CD.HA/HD and STE.S2HA/S2HD (ILLEGAL beyond what HTTU advertises) make the walks update leaf
// descriptors in memory instead of faulting: AF set instead of F_ACCESS, a write (or an ATS
// translation request with NW == 0) through a writable-clean page (DBM == 1) marks it dirty (AP[2]
// cleared, S2AP[1] set) instead of F_PERMISSION. Each update is one atomic compare-and-swap through
// `downstream` (DownstreamAccess::compare_exchange64: a read and a conditional write with no wait()
// between them); when software changed the descriptor after the walk read it, nothing is written
// and the new value is examined again (after kMaxUpdateAttempts lost races, F_WALK_EABT). Nested
// stage-1 updates are writes through stage 2 (F_PERMISSION with CLASS TT and TTRnW 0 when stage 2
// forbids them). TLB entries of writable-clean pages serve reads; a write that hits one walks again.
// Debug accesses never write a descriptor. Statistics: httu_access_flag_updates,
// httu_dirty_updates, httu_update_retries.
// Does not model: split-stage ATS (IDR0.NS1ATS = 1), HAFT (IDR0.HTTU 0b11: refused),
// SMMU_CR2.REC_CFG_ATS, IDR3.PPS, IDR3.PASIDTT (translated transactions are Data, Unprivileged,
// without a SubstreamID), the secure programming interface (Secure EL2, EL3 StreamWorlds), broadcast
// TLB maintenance (BTM), VMSAv8-32 and big-endian tables, IDR5.DS (52-bit ranges: SCALE is 5 bits).
#pragma once

#include "models/common/atc_invalidator.h"
#include "models/common/ats.h"
#include "models/common/downstream_access.h"
#include "models/common/master_attrs.h"
#include "models/common/register_bank.h"
#include "models/common/posted_queue.h"
#include "models/common/register_window.h"
#include "models/common/translation_stats.h"
#include "models/common/stats.h"
#include "models/common/bitfield.h"
#include "models/smmuv3/command.h"
#include "models/smmuv3/features.h"
#include "models/common/busy_until.h"
#include "models/smmuv3/caches.h"
#include "models/smmuv3/page_request.h"
#include "models/smmuv3/registers.h"
#include "models/smmuv3/translate.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <array>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace iommu_vp {

struct Smmuv3Params {
    smmuv3::Features features;
    smmuv3::Identity identity;
    // Upstream sockets: one per master (or interconnect) that binds to the SMMU's device side.
    unsigned upstream_ports = 1;
    // GBPA.ABORT out of reset: a default-deny policy until software programs the SMMU
    // (IMPLEMENTATION DEFINED, SMMUv3 6.3.14). Off: devices work before a driver loads, as on most
    // platforms whose firmware leaves the SMMU disabled.
    bool gbpa_abort_at_reset = false;
    // Time from a register access reaching the SMMU to its completion on the programming interface.
    // An assumption: a register slice and decode, a few cycles of a ~500 MHz SMMU clock.
    sc_core::sc_time register_latency = sc_core::sc_time(10, sc_core::SC_NS);
    // Time from a write that asks hardware for a change (CR0, IRQ_CTRL, GBPA with UPDATE) to the
    // acknowledgement (CR0ACK, IRQ_CTRLACK, GBPA.UPDATE clear). An assumption of tens of SMMU cycles;
    // it is never zero, so a driver that does not poll for the acknowledgement misbehaves as on silicon.
    sc_core::sc_time acknowledge_latency = sc_core::sc_time(100, sc_core::SC_NS);
    // Processing of one command once fetched (the fetch itself costs what `downstream` returns).
    // An assumption of about ten SMMU cycles to decode and act on a command.
    sc_core::sc_time command_latency = sc_core::sc_time(20, sc_core::SC_NS);
    // Width of a wired interrupt pulse (the outputs are edges). One cycle of a 500 MHz clock.
    sc_core::sc_time irq_pulse_width = sc_core::sc_time(2, sc_core::SC_NS);

    // Caches (0 sets or 0 ways disables one) and their seed for random replacement.
    smmuv3::CacheGeometries caches;
    std::uint64_t cache_seed = 0;
    // A TLB lookup, hit or miss: two cycles of a 500 MHz SMMU clock (an assumption).
    sc_core::sc_time tlb_lookup_latency = sc_core::sc_time(4, sc_core::SC_NS);
    // A configuration-cache hit for the STE or the CD: as the TLB lookup (an assumption).
    sc_core::sc_time config_hit_latency = sc_core::sc_time(4, sc_core::SC_NS);
    // Walker work per descriptor fetched, on top of what the memory system takes for the read
    // (an assumption: one cycle to issue the read and one to decode the descriptor).
    sc_core::sc_time walk_step_latency = sc_core::sc_time(4, sc_core::SC_NS);
    // Page-table walks in flight at once; more walks queue (booked by absolute time).
    unsigned page_table_walkers = 4;

    // ATS (features.ats): an ATC invalidation (CMD_ATC_INV) not completed by its endpoint this long
    // after it was sent times out, and the CMD_SYNC waiting for it ends with CERROR_ATC_INV_SYNC.
    // 100 us: the modelled time-out of the regression scenarios (/work/shared/spec/iommu-core.md
    // section 13, S4), as the VT-d model's device-TLB time-out; PCIe lets a device take up to a
    // minute and the SMMU's time-out is IMPLEMENTATION DEFINED (SMMUv3 3.9.1.4).
    sc_core::sc_time atc_invalidation_timeout = sc_core::sc_time(100, sc_core::SC_US);
    // PRI (features.pri): from a page request's arrival to the SMMU's processing of it (then the
    // PRI-queue write costs what `downstream` returns). An assumption of about ten SMMU cycles, as
    // command_latency and the VT-d model's page_request_latency.
    sc_core::sc_time page_request_latency = sc_core::sc_time(20, sc_core::SC_NS);
    // Stall model (features.stall_model != terminate_only): how many transactions can be stalled at
    // once (1 .. 65536, the STAG space). The number is IMPLEMENTATION SPECIFIC (SMMUv3 3.12.2.3);
    // when it is reached the ingress accepts no further transaction, of any stream, until a stall is
    // resolved (the backpressure 3.12.2.3 describes), and a transaction that faults to stall while
    // it is reached waits for a free slot and is then retried as though it had just arrived. 16: an
    // assumption, the order of the transaction slots of one TBU, and more than the
    // outstanding-transaction limit of the DMA masters of the studies (a few each).
    unsigned max_stalled_transactions = 16;
};

class Smmuv3 : public sc_core::sc_module, public StatsSource, private smmuv3::StreamStatsProvider {
public:
    tlm_utils::simple_target_socket<Smmuv3> regs;                  // programming interface
    using UpstreamSocket = tlm_utils::simple_target_socket_tagged<Smmuv3>;
    sc_core::sc_vector<UpstreamSocket> upstream;                   // device traffic, one socket a master
    tlm_utils::simple_initiator_socket<Smmuv3> downstream;         // tables, queues, MSIs, translated traffic
    sc_core::sc_out<bool> evtq_irq;
    sc_core::sc_out<bool> gerror_irq;
    sc_core::sc_out<bool> cmd_sync_irq;
    // The PRI queue's wired interrupt (with features.pri). Binding it is optional: left unbound, it
    // is bound to an internal signal at the end of elaboration.
    sc_core::sc_out<bool> priq_irq;

private:
    AtcInvalidator atc_;  // owns the port below (declared first: members are constructed in order)

public:
    // ATS-capable endpoints (each AtsEndpoint's `ats` export), any number: ATC invalidations
    // (CMD_ATC_INV) and PRG responses (CMD_PRI_RESP, auto-responses) go to the one that serves the
    // StreamID.
    sc_core::sc_port<AtsEndpointIf, 0, sc_core::SC_ZERO_OR_MORE_BOUND>& ats_endpoints;

    SC_HAS_PROCESS(Smmuv3);
    Smmuv3(sc_core::sc_module_name name, const Smmuv3Params& params);

    // Returns the SMMU to its power-on state (registers, pending acknowledgements, statistics kept).
    void reset();

    const Smmuv3Params& params() const { return params_; }
    const RegisterBank& registers() const { return bank_; }
    const StatsGroup& stats() const override { return stats_; }

private:
    // Programming interface.
    void reg_b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
    unsigned int reg_transport_dbg(tlm::tlm_generic_payload& payload);
    void attach_register_hooks();
    void on_cr0_write(const RegisterWrite& write);
    void on_gbpa_write(const RegisterWrite& write);
    void on_irq_ctrl_write(const RegisterWrite& write);
    void on_cr2_write(const RegisterWrite& write);
    // Schedules `event` at the acknowledgement latency after the access being served.
    void acknowledge_later(sc_core::sc_event& event);
    void complete_cr0();
    void complete_gbpa();
    void complete_irq_ctrl();
    void on_cmdq_prod_write(const RegisterWrite& write);
    void on_cmdq_cons_write(const RegisterWrite& write);
    void on_gerrorn_write(const RegisterWrite& write);

    void before_end_of_elaboration() override;

    // Command queue (smmuv3_commands.cpp).
    void command_processor();
    bool command_queue_can_run() const;
    void stop_command_queue(smmuv3::CommandError error);
    void execute_sync(const smmuv3::DecodedCommand& command);
    sc_core::sc_time posted_at(std::uint32_t cons) const;
    // Global errors and interrupts.
    void raise_gerror(BitField error);
    bool write_msi(std::uint64_t address, std::uint32_t data);
    enum IrqOutput : unsigned { kEvtqIrq, kGerrorIrq, kCmdSyncIrq, kPriqIrq, kIrqOutputs };
    void pulse(IrqOutput output);
    // A queue's interrupt (SMMUv3 3.18): the MSI of its *_IRQ_CFG0/1 when MSIs are implemented and
    // the address is not 0 (an abort raises `msi_abort_error`), else a pulse on `output`.
    void signal_queue_interrupt(const char* cfg0, const char* cfg1, IrqOutput output, BitField msi_abort_error);
    // The one process that writes the interrupt outputs (a signal has one writer).
    void drive_interrupts();

    // Device traffic.
    void up_b_transport(int port, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
    unsigned int up_transport_dbg(int port, tlm::tlm_generic_payload& payload);
    bool up_get_direct_mem_ptr(int port, tlm::tlm_generic_payload& payload, tlm::tlm_dmi& dmi);
    void down_invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end);
    // Traffic follows the enable that hardware has acknowledged (SMMUv3 6.3.10).
    bool smmu_enabled() const { return smmu_enabled_; }
    // A 32-bit register's value, as hardware sees it (no hook, no log).
    std::uint32_t register32(const char* name) const { return static_cast<std::uint32_t>(bank_.get(name)); }

    // Translation and the event queue (smmuv3_translation.cpp).
    void translate_transaction(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
    unsigned int translate_debug(tlm::tlm_generic_payload& payload);
    smmuv3::StreamStats* stats_for(std::uint32_t stream_id) override;
    // The SMMU-wide state translations depend on, rebuilt only after a write to a register it
    // comes from (the hit path does no register look-up by name, and no call when it is current).
    const smmuv3::TranslationEnvironment& translation_environment() {
        return environment_stale_ ? rebuild_translation_environment() : environment_;
    }
    const smmuv3::TranslationEnvironment& rebuild_translation_environment();
    // Counts and logs a translation's fault and records its event when it has one (out of line:
    // the hit path never calls it).
    void report_fault(const smmuv3::TranslationResult& fault, sc_core::sc_time& delay);
    // Counts a translation's HTTU descriptor updates (a test and nothing more when there were none).
    void account_hardware_updates(const vmsa::HardwareUpdates& updates) {
        if (!updates.any()) return;
        hardware_updates_.access_flag->add(updates.access_flag);
        hardware_updates_.dirty->add(updates.dirty);
        hardware_updates_.retries->add(updates.retries);
    }
    void record_event(const smmuv3::EventRecord& event, sc_core::sc_time& delay);

    // Stall model (smmuv3_stall.cpp; SMMUv3 3.12.2, 4.7.1, 4.7.2). stall_transaction holds a
    // transaction whose translation returned `stall` until CMD_RESUME, CMD_STALL_TERM or SMMUEN -> 0
    // decides its fate (the caller's thread waits: b_transport blocks); nullopt asks the caller to
    // translate again, as though the transaction had just arrived.
    std::optional<FaultResponse> stall_transaction(const smmuv3::TranslationResult& fault, sc_core::sc_time& delay);
    bool stall_slots_full() const { return !stalled_.empty() && stalled_.size() >= params_.max_stalled_transactions; }
    void wait_for_stall_slot(sc_core::sc_time& delay);  // ingress backpressure
    bool event_queue_writable() const;                  // SMMUv3 7.2.1
    std::uint16_t allocate_stag() const;
    void resume_stalled(const smmuv3::DecodedCommand& command);        // CMD_RESUME
    void terminate_stalled(std::uint32_t stream_id);                   // CMD_STALL_TERM
    void terminate_all_stalled(const char* why);                       // SMMUEN -> 0, reset

    // ATS and PRI (smmuv3_ats.cpp).
    void serve_ats_transaction(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay, const MasterAttrs& attrs);
    void serve_translation_request(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay,
                                   const MasterAttrs& attrs);
    void serve_translated_request(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay,
                                  const MasterAttrs& attrs);
    // Records an ATS event (F_BAD_ATS_TREQ, F_TRANSL_FORBIDDEN) built from scratch (SMMUEN == 0).
    void record_ats_event(smmuv3::EventType type, const MasterAttrs& attrs, std::uint64_t address, bool read,
                          sc_core::sc_time& delay);
    void send_atc_invalidation(const smmuv3::DecodedCommand& command);
    // From CMD_SYNC: waits for the ATC invalidations sent before it; false when one timed out.
    bool complete_atc_invalidations();
    void deliver_pri_response(const smmuv3::DecodedCommand& command);
    AtsEndpointIf* ats_endpoint_for(std::uint32_t stream_id);
    void receive_page_request(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay,
                              const PageRequestMessage& message);
    void page_request_processor();
    void process_page_request(const smmuv3::PriQueueEntry& request);
    // Writes `request` at PRIQ_PROD; false when it was discarded (overflow, aborted write).
    bool queue_page_request(const smmuv3::PriQueueEntry& request, sc_core::sc_time& delay);
    void overflow_auto_response(const smmuv3::PriQueueEntry& request);
    void auto_respond(const smmuv3::PriQueueEntry& request, PrgResponseCode code, bool with_pasid);

    Smmuv3Params params_;
    RegisterBank bank_;
    sc_core::sc_time access_offset_ = sc_core::SC_ZERO_TIME;  // annotated delay of the access being served
    sc_core::sc_event cr0_ack_event_;
    sc_core::sc_event gbpa_ack_event_;
    sc_core::sc_event irq_ctrl_ack_event_;
    sc_core::sc_event cmdq_work_;
    std::array<sc_core::sc_event, kIrqOutputs> irq_rise_, irq_fall_;
    struct ProdWrite {
        std::uint32_t prod;
        sc_core::sc_time at;
    };
    std::deque<ProdWrite> prod_writes_;  // CMDQ_PROD writes whose commands are not all consumed
    std::uint32_t effective_gbpa_ = 0;  // the GBPA that applies to traffic: the last completed update
    PayloadPool walk_payloads_;
    smmuv3::TranslationEnvironment environment_;
    bool environment_stale_ = true;
    bool smmu_enabled_ = false;           // CR0ACK.SMMUEN, kept in step with the register
    bool ats_check_ = false;              // CR0ACK.ATSCHK, kept in step with the register
    PostedQueue<smmuv3::PriQueueEntry> page_requests_pending_;  // received, not yet processed
    std::uint64_t generation_ = 0;        // changes on reset: work in flight is abandoned
    sc_core::sc_signal<bool> priq_irq_unbound_{"priq_irq_unbound"};
    // Stalled transactions, in the order they stalled (stable addresses: each waiting thread holds
    // its own entry).
    struct StalledTransaction {
        enum class Fate : std::uint8_t { stalled, retry, terminate };
        std::uint32_t stream_id = 0;
        std::uint16_t stag = 0;
        bool recorded = false;                          // its record is in the Event queue: RESUME-able
        Fate fate = Fate::stalled;
        FaultResponse response = FaultResponse::abort;  // for Fate::terminate
    };
    std::list<StalledTransaction> stalled_;
    sc_core::sc_event stall_resolved_;       // a stall's fate was decided, or a slot was freed
    sc_core::sc_event event_queue_changed_;  // EVTQ_CONS, GERRORN or CR0 written: the queue may be writable
    std::uint16_t next_stag_ = 0;
    smmuv3::ConfigCache config_cache_;
    smmuv3::Tlb tlb_;
    smmuv3::WalkCacheStore walk_cache_;
    BusyUntilResource walkers_;

    StatsGroup stats_;
    RegisterAccessCounters register_counters_;
    TranslationStats traffic_;
    Counter& events_recorded_;
    Counter& events_lost_;
    Counter& commands_;
    Counter& command_errors_;
    Counter& gerrors_raised_;
    Counter& msis_sent_;
    std::array<Counter*, smmuv3::kCommandKindCount> commands_by_kind_{};
    std::array<Counter*, 256> events_by_type_{};  // by EventID; null for IDs this model never raises
    LatencyHistogram& sync_latency_;
    Counter& ats_translation_requests_;
    Counter& ats_translations_granted_;
    Counter& ats_no_translation_;
    Counter& ats_unsupported_requests_;
    Counter& ats_completer_aborts_;
    Counter& ats_translated_requests_;
    Counter& ats_translated_forbidden_;
    Counter& atc_invalidations_;
    Counter& atc_invalidations_without_endpoint_;
    Counter& atc_invalidations_completed_;
    Counter& atc_invalidations_timed_out_;
    Counter& page_requests_;
    Counter& page_requests_queued_;
    Counter& page_requests_overflowed_;
    Counter& page_requests_refused_;
    Counter& page_request_auto_responses_;
    Counter& pri_responses_;
    Counter& pri_responses_without_endpoint_;
    Counter& stalls_;
    Counter& stalls_retried_;
    Counter& stalls_terminated_by_resume_;
    Counter& stalls_terminated_by_stall_term_;
    Counter& stalls_terminated_by_disable_;
    Counter& stall_resumes_unmatched_;
    Counter& stalls_waiting_for_event_queue_;
    Counter& stall_backpressure_waits_;
    LatencyHistogram& stall_time_;
    struct HardwareUpdateCounters {  // HTTU (SMMUv3 3.13)
        Counter* access_flag = nullptr;
        Counter* dirty = nullptr;
        Counter* retries = nullptr;
    } hardware_updates_;
    std::map<std::uint32_t, smmuv3::StreamStats> stream_stats_;  // by StreamID; found on STE misses only
};

}  // namespace iommu_vp
