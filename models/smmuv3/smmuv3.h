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
// Does not model: ATS, PRI, the stall model, hardware access/dirty update, range and EL2
// invalidation (a later issue keeps seams for them: the decoders check their fields' legality),
// the secure programming interface, VMSAv8-32 and big-endian tables.
#pragma once

#include "models/common/downstream_access.h"
#include "models/common/master_attrs.h"
#include "models/common/register_bank.h"
#include "models/common/register_window.h"
#include "models/common/translation_stats.h"
#include "models/common/stats.h"
#include "models/common/bitfield.h"
#include "models/smmuv3/command.h"
#include "models/smmuv3/features.h"
#include "models/common/busy_until.h"
#include "models/smmuv3/caches.h"
#include "models/smmuv3/registers.h"
#include "models/smmuv3/translate.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
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
    // Schedules `event` at the acknowledgement latency after the access being served.
    void acknowledge_later(sc_core::sc_event& event);
    void complete_cr0();
    void complete_gbpa();
    void complete_irq_ctrl();
    void on_cmdq_prod_write(const RegisterWrite& write);
    void on_cmdq_cons_write(const RegisterWrite& write);
    void on_gerrorn_write(const RegisterWrite& write);

    // Command queue (smmuv3_commands.cpp).
    void command_processor();
    bool command_queue_can_run() const;
    void stop_command_queue(smmuv3::CommandError error);
    void execute_sync(const smmuv3::DecodedCommand& command);
    sc_core::sc_time posted_at(std::uint32_t cons) const;
    // Global errors and interrupts.
    void raise_gerror(BitField error);
    bool write_msi(std::uint64_t address, std::uint32_t data);
    enum IrqOutput : unsigned { kEvtqIrq, kGerrorIrq, kCmdSyncIrq, kIrqOutputs };
    void pulse(IrqOutput output);
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
    void record_event(const smmuv3::EventRecord& event, sc_core::sc_time& delay);

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
    std::map<std::uint32_t, smmuv3::StreamStats> stream_stats_;  // by StreamID; found on STE misses only
};

}  // namespace iommu_vp
