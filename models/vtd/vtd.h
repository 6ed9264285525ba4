// Vtd: an Intel VT-d DMA-remapping unit as a TLM-2.0 module (field-by-field status in COMPLIANCE.md).
//
// Models: the register page on `regs` (registers.h; capabilities derived from the parameters); the
// global command/status handshake in the model's own process (a GCMD write is acted on and reflected
// in GSTS only after `status_latency`, so a driver that does not poll sees the old state): SRTP
// (latching RTADDR and its translation-table mode), TE, QIE, WBF; register-based invalidation (CCMD,
// IOTLB_REG/IVA_REG) and queued invalidation (IQA/IQH/IQT, 128- and 256-bit descriptors, the
// invalidation-wait descriptor's status write and completion interrupt, IQE with IQERCD stopping the
// queue at the bad descriptor until software clears it), both applied by one function per cache;
// translation of device traffic on `upstream` (translate.h: legacy and scalable mode, first level,
// second level, nested, pass-through) with page-crossing accesses split, context, PASID, IOTLB and
// paging-structure caches (caches.h), a limited number of page walkers booked by absolute time;
// primary fault recording (fault records at CAP.FRO, FSTS.PPF/PFO/FRI, FPD) and the fault-event and
// invalidation-completion MSIs with their mask and pending bits. DMI through the unit is always
// refused, so no master holds an untranslated pointer. With TE clear, traffic passes untranslated.
// Untranslated writes to the interrupt range (0xFEEx_xxxx) are interrupt requests and pass through
// (interrupt remapping is not modelled); reads there are refused without a fault record.
// With ECAP.DT (features.device_tlb): ATS on `upstream`. A translation request (MasterAttrs
// AtsState::translation_request with an AtsTranslation extension) is walked through the same caches
// and walkers and answered in the extension without a data access: the page or superpage's output
// base and size, R/W/Exe/Priv as the rights allow (W only without NW); a page not present or not
// permitted is a success with R = W = 0 and no fault record; a request the context does not allow
// is UR, an error in the structures CA, both with a fault record (translate.h
// translation_request_answer). Translated requests pass through untranslated when the context allows
// ATS (legacy TT = 01, scalable DTE = 1), else fault LCT.5 / SCT.5 and abort. Device-TLB invalidation
// descriptors (0x3, 0x8) go to the endpoint of their source-id through `ats_endpoints`; a following
// invalidation wait completes only once they have; one that does not complete within
// `device_tlb_invalidation_timeout` sets FSTS.ITE with IQERCD.ITESID, aborts the wait (no status
// write, no interrupt; IQH moves past it), raises the fault event and stops the queue until software
// clears ITE. With ECAP.PRS (features.page_requests): page requests (a PageRequestMessage on
// `upstream`) are checked against the context (RTA.3, SCT.8 and the context faults, recorded), written
// as 32-byte descriptors at PQT after `page_request_latency` with PRS.PPR and the page-request event
// (PECTL/PEDATA/PEADDR/PEUADDR); a full queue sets PRO and loses the request; requests refused or lost
// that end a group get a response from the unit itself (success after an overflow, invalid request
// after a refusal). Page group response descriptors (0x9) are delivered to the endpoint with
// pri_response. A wait with PD completes after the page requests received before it are queued.
// Does not model: interrupt remapping (IRE, SIRTP, CFI have no effect and ECAP.IR = 0), advanced
// fault logging (SFL, EAFL), protected memory regions, invalidation completion errors (ICE: the
// endpoints never send an unexpected completion), device-TLB invalidation throttling (ECAP.DIT = 0:
// PFSID and MIP are ignored), time-outs of device-TLB invalidations that no wait descriptor follows
// (detected at the next wait), page-request private data, performance monitoring.
#pragma once

#include "models/common/atc_invalidator.h"
#include "models/common/ats.h"
#include "models/common/busy_until.h"
#include "models/common/master_attrs.h"
#include "models/common/downstream_access.h"
#include "models/common/posted_queue.h"
#include "models/common/register_bank.h"
#include "models/common/register_window.h"
#include "models/common/stats.h"
#include "models/common/translation_stats.h"
#include "models/vtd/caches.h"
#include "models/vtd/features.h"
#include "models/vtd/fault_record.h"
#include "models/vtd/invalidation.h"
#include "models/vtd/page_request.h"
#include "models/vtd/translate.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <unordered_map>

namespace iommu_vp {

struct VtdParams {
    vtd::Features features;
    // Upstream sockets: one per master (or interconnect) that binds to the unit's device side.
    unsigned upstream_ports = 1;
    // From a register access reaching the unit to its completion. An assumption: a register slice
    // and decode, a few cycles of a ~500 MHz uncore clock (as the SMMUv3 model's default).
    sc_core::sc_time register_latency = sc_core::sc_time(10, sc_core::SC_NS);
    // From a GCMD write to GSTS reflecting it (TE, QIE, RTPS, WBFS). An assumption of tens of cycles;
    // never zero, so a driver that does not poll GSTS misbehaves as on silicon.
    sc_core::sc_time status_latency = sc_core::sc_time(100, sc_core::SC_NS);
    // A register-based invalidation (CCMD or IOTLB_REG) from the write that starts it to ICC / IVT
    // clearing. An assumption: as the status handshake.
    sc_core::sc_time register_invalidation_latency = sc_core::sc_time(100, sc_core::SC_NS);
    // Processing of one invalidation descriptor once fetched (the fetch costs what `downstream`
    // returns). An assumption of about ten cycles, as the SMMUv3 model's per-command cost.
    sc_core::sc_time descriptor_latency = sc_core::sc_time(20, sc_core::SC_NS);

    // Caches (0 sets or 0 ways disables one) and their seed for random replacement.
    vtd::CacheGeometries caches;
    std::uint64_t cache_seed = 0;
    // With CAP.CM = 1, keep faulting context and PASID entries and not-present pages in the caches
    // (the behaviour caching mode permits and exists to expose). Ignored when CM = 0.
    bool cache_faults_in_caching_mode = true;
    // An IOTLB look-up, hit or miss: two cycles of a 500 MHz clock (an assumption, as SMMUv3).
    sc_core::sc_time iotlb_lookup_latency = sc_core::sc_time(4, sc_core::SC_NS);
    // A context- or PASID-cache hit: as the IOTLB look-up (an assumption).
    sc_core::sc_time config_hit_latency = sc_core::sc_time(4, sc_core::SC_NS);
    // Walker work per entry read, on top of the memory read itself (an assumption: one cycle to issue
    // the read and one to decode the entry).
    sc_core::sc_time walk_step_latency = sc_core::sc_time(4, sc_core::SC_NS);
    // Page walks in flight at once; more walks queue (booked by absolute time).
    unsigned page_table_walkers = 4;
    // A device-TLB invalidation not completed by its endpoint this long after it was sent times out
    // (FSTS.ITE). 100 us: the modelled time-out of the regression scenarios
    // (/work/shared/spec/iommu-core.md section 13, S4); PCIe lets a device take up to a minute and
    // hardware time-outs are implementation defined.
    sc_core::sc_time device_tlb_invalidation_timeout = sc_core::sc_time(100, sc_core::SC_US);
    // From a page request's arrival to the unit's processing of it (context check, then the
    // descriptor write, which costs what `downstream` returns). An assumption of about ten cycles,
    // as `descriptor_latency`.
    sc_core::sc_time page_request_latency = sc_core::sc_time(20, sc_core::SC_NS);
};

class Vtd : public sc_core::sc_module, public StatsSource {
public:
    tlm_utils::simple_target_socket<Vtd> regs;                   // the remapping-hardware register page
    using UpstreamSocket = tlm_utils::simple_target_socket_tagged<Vtd>;
    sc_core::sc_vector<UpstreamSocket> upstream;                 // device traffic, one socket a master
    tlm_utils::simple_initiator_socket<Vtd> downstream;          // tables, queues, MSIs, translated traffic

private:
    AtcInvalidator atc_;  // owns the port below (declared first: members are constructed in order)

public:
    // ATS-capable endpoints (each AtsEndpoint's `ats` export), any number: device-TLB invalidations
    // and page group responses go to the one that serves the requester.
    sc_core::sc_port<AtsEndpointIf, 0, sc_core::SC_ZERO_OR_MORE_BOUND>& ats_endpoints;

    SC_HAS_PROCESS(Vtd);
    Vtd(sc_core::sc_module_name name, const VtdParams& params);

    // Returns the unit to its power-on state (registers, latched root table, caches, queues;
    // statistics kept) without re-elaboration.
    void reset();

    const VtdParams& params() const { return params_; }
    const RegisterBank& registers() const { return bank_; }
    const StatsGroup& stats() const override { return stats_; }

private:
    // Programming interface (vtd.cpp).
    void reg_b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
    unsigned int reg_transport_dbg(tlm::tlm_generic_payload& payload);
    void attach_register_hooks();
    // Work hardware does on its own after a register write, in order, in control_processor().
    struct ControlOperation {
        enum class Kind { global_command, context_invalidation, iotlb_invalidation };
        Kind kind;
        std::uint64_t value;       // GCMD, CCMD or IOTLB_REG as written
        sc_core::sc_time due;      // absolute time at which it completes
    };
    void post_control(ControlOperation::Kind kind, std::uint64_t value, const sc_core::sc_time& latency);
    void control_processor();
    void execute_global_command(std::uint32_t command);
    void execute_context_invalidation(std::uint64_t ccmd);
    void execute_iotlb_invalidation(std::uint64_t iotlb);
    void on_gcmd_write(const RegisterWrite& write);
    void on_ccmd_write(const RegisterWrite& write);
    void on_iotlb_write(const RegisterWrite& write);
    void on_fsts_write(const RegisterWrite& write);
    void on_fectl_write(const RegisterWrite& write);
    void on_iectl_write(const RegisterWrite& write);
    void on_ics_write(const RegisterWrite& write);
    void on_fault_record_write(const RegisterWrite& write);
    void on_pectl_write(const RegisterWrite& write);
    void on_prs_write(const RegisterWrite& write);
    bool gsts(BitField status) const { return status.is_set_in(bank_.get("GSTS")); }
    void set_gsts(BitField status, bool value);

    // Invalidation (vtd_invalidation.cpp): the caches' side, shared by both interfaces.
    void apply(const vtd::ContextCacheInvalidation& invalidation);
    void apply(const vtd::IotlbInvalidation& invalidation);
    void apply(const vtd::PasidCacheInvalidation& invalidation);
    void invalidate_all_caches();
    // Queued invalidation.
    void on_iqt_write(const RegisterWrite& write);
    void queue_processor();
    bool queue_can_run() const;
    void queue_error(vtd::QueueError error);
    // Performs one valid descriptor; false when the queue was reset or disabled while it waited.
    bool perform(const vtd::DecodedDescriptor& descriptor, std::uint64_t generation);
    bool perform_wait(const vtd::InvalidationWait& wait, std::uint64_t generation);
    void execute_wait(const vtd::InvalidationWait& wait);
    // Device TLB and page group responses through the queue (vtd_invalidation.cpp).
    void send_device_tlb_invalidation(std::uint16_t source_id, const AtcInvalidation& request);
    enum class WaitOutcome { completed, timed_out, abandoned };
    // Waits for the device-TLB invalidations sent before a wait descriptor: timed_out after ITE was
    // raised, abandoned when the queue was reset or disabled meanwhile.
    WaitOutcome complete_device_tlb_invalidations(std::uint64_t generation);
    void invalidation_timeout(std::uint16_t source_id);
    // Waits until the page requests received before now are processed (a wait with PD).
    void drain_page_requests();
    void deliver_page_group_response(const vtd::PageGroupResponse& response);
    AtsEndpointIf* ats_endpoint_for(std::uint32_t requester);

    // Faults and events (vtd_faults.cpp).
    void record_fault(const vtd::FaultRecord& record);
    // Records `record` at the faulting access's time (now + delay), in the order of those times.
    void post_fault(const vtd::FaultRecord& record, const sc_core::sc_time& delay);
    void record_due_faults();
    // Signals a fault event unless a fault condition was already pending in `status_before`.
    void signal_fault_event(std::uint64_t status_before);
    // Signals an event through an xxCTL/xxDATA/xxADDR/xxUADDR group: the MSI at once, or the pending
    // bit while masked.
    enum class EventGroup { fault, invalidation, page_request };
    void signal_event(EventGroup group);
    void send_event_msi(EventGroup group);
    // Recomputes FSTS.PPF from the records' F bits.
    void update_pending_faults();

    // Device traffic (vtd_translation.cpp).
    void up_b_transport(int port, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
    unsigned int up_transport_dbg(int port, tlm::tlm_generic_payload& payload);
    bool up_get_direct_mem_ptr(int port, tlm::tlm_generic_payload& payload, tlm::tlm_dmi& dmi);
    void down_invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end);
    void translate_transaction(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
    vtd::TranslationResult translate_piece(const vtd::TranslationRequest& request, sc_core::sc_time& delay,
                                           sc_core::sc_time& translation_time);
    void report_fault(const vtd::TranslationRequest& request, const vtd::TranslationResult& result,
                      const sc_core::sc_time& delay);
    // ATS translation requests (vtd_translation.cpp).
    void serve_translation_request(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
    void answer_translation_request(const MasterAttrs& attrs, std::uint64_t address, AtsTranslation& completion,
                                    sc_core::sc_time& delay);
    void complete_translation(const vtd::TranslationRequest& request, const vtd::TranslationResult& result,
                              AtsTranslation& completion, const sc_core::sc_time& delay);
    // Page requests (vtd_page_requests.cpp).
    void receive_page_request(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay,
                              const PageRequestMessage& message);
    void page_request_processor();
    void process_page_request(const vtd::PageRequestDescriptor& request);
    // Whether the context allows the page request; records the fault when it does not.
    bool page_request_allowed(const vtd::PageRequestDescriptor& request, sc_core::sc_time& delay);
    enum class QueueOutcome { queued, overflowed, write_failed, abandoned };
    QueueOutcome queue_page_request(const vtd::PageRequestDescriptor& request, sc_core::sc_time& delay);
    void auto_respond(const vtd::PageRequestDescriptor& request, PrgResponseCode code);
    // Sets PRS bits and signals the page-request event unless PPR or PRO was already set.
    void set_page_request_status(BitField status);
    vtd::PageRequestCheck check_page_request_context(std::uint16_t source_id, sc_core::sc_time& delay);
    // A requester's statistics, created when it first translates.
    RequesterStats& requester_stats(std::uint16_t source_id);

    VtdParams params_;
    RegisterBank bank_;
    sc_core::sc_time access_offset_ = sc_core::SC_ZERO_TIME;  // annotated delay of the access being served
    std::deque<ControlOperation> control_operations_;
    sc_core::sc_event control_work_;
    sc_core::sc_event queue_work_;
    vtd::InvalidationQueue queue_;             // IQA as latched when queued invalidation was enabled
    std::uint64_t queue_generation_ = 0;       // changes on reset and on enabling or disabling the queue
    vtd::TranslationEnvironment environment_;  // root table and mode as SRTP latched them
    bool translation_enabled_ = false;         // GSTS.TES, kept in step with the register
    unsigned next_fault_record_ = 0;           // where the next primary fault is recorded
    std::multimap<sc_core::sc_time, vtd::FaultRecord> pending_faults_;  // by the faulting access's time
    sc_core::sc_event_queue fault_due_;
    PayloadPool payloads_;
    vtd::ContextCache context_cache_;
    vtd::PasidCache pasid_cache_;
    vtd::Iotlb iotlb_;
    vtd::PagingStructureCache paging_structure_cache_;
    BusyUntilResource walkers_;
    PostedQueue<vtd::PageRequestDescriptor> page_requests_pending_;  // received, not yet processed
    sc_core::sc_event page_request_processed_;
    std::uint64_t page_requests_received_ = 0;
    std::uint64_t page_requests_processed_ = 0;

    StatsGroup stats_;
    RegisterAccessCounters register_counters_;
    TranslationStats traffic_;
    Counter& interrupt_requests_;
    Counter& faults_recorded_;
    Counter& faults_suppressed_;
    Counter& faults_overflowed_;
    Counter& descriptors_;
    Counter& descriptor_errors_;
    Counter& register_invalidations_;
    Counter& msis_sent_;
    Counter& ats_translation_requests_;
    Counter& ats_translations_granted_;
    Counter& ats_no_translation_;
    Counter& ats_unsupported_requests_;
    Counter& ats_completer_aborts_;
    Counter& ats_translated_requests_;
    Counter& device_tlb_invalidations_;
    Counter& device_tlb_without_endpoint_;
    Counter& device_tlb_timeouts_;
    Counter& waits_aborted_;
    Counter& page_requests_;
    Counter& page_requests_queued_;
    Counter& page_requests_overflowed_;
    Counter& page_requests_refused_;
    Counter& page_request_auto_responses_;
    Counter& page_group_responses_;
    Counter& page_group_responses_without_endpoint_;
    std::array<Counter*, 256> faults_by_reason_{};
    std::array<Counter*, 16> descriptors_by_type_{};
    std::unordered_map<std::uint16_t, RequesterStats> requester_stats_;  // by source-id
    // The last requester's statistics: a master's pages translate one after another, so the hit path
    // usually needs no map look-up (elements of an unordered_map keep their address).
    std::uint16_t last_requester_ = 0;
    RequesterStats* last_requester_stats_ = nullptr;
};

}  // namespace iommu_vp
