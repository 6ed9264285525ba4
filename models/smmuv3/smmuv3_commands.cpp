// Smmuv3: the command queue, global errors and interrupt delivery (the module is split across
// files by concern; smmuv3.cpp holds the register interface and the device-traffic path).
#include "models/smmuv3/smmuv3.h"

#include "models/common/log.h"
#include "models/common/payload.h"
#include "models/smmuv3/gerror.h"
#include "models/smmuv3/queue_pointers.h"

namespace iommu_vp {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;
using namespace smmuv3;

// ---------------------------------------------------------------------------------------------
// Register hooks

void Smmuv3::on_cmdq_prod_write(const RegisterWrite& w) {
    // Only for the CMD_SYNC latency statistic: keep the list bounded whatever software does (a
    // queue never holds more PROD writes worth remembering than it has entries).
    const std::size_t limit = std::size_t{1} << params_.features.cmdq_log2_entries;
    if (!cr0::CMDQEN.is_set_in(bank_.get("CR0ACK")) || prod_writes_.size() >= limit) prod_writes_.clear();
    prod_writes_.push_back({static_cast<std::uint32_t>(w.new_value), sc_core::sc_time_stamp() + access_offset_});
    cmdq_work_.notify(access_offset_);
}

void Smmuv3::on_cmdq_cons_write(const RegisterWrite& w) {
    // CMDQ_CONS belongs to the SMMU while the queue is enabled (SMMUv3 6.3.28): software may set it
    // only with CMDQEN and its acknowledgement both 0.
    if (cr0::CMDQEN.is_set_in(bank_.get("CR0")) || cr0::CMDQEN.is_set_in(bank_.get("CR0ACK"))) {
        bank_.set("CMDQ_CONS", w.old_value);
        IVP_LOG(LogCategory::guest_error, name(), "CMDQ_CONS written while the command queue is enabled: ignored");
    }
}

void Smmuv3::on_gerrorn_write(const RegisterWrite&) {
    // Acknowledging CMDQ_ERR lets the command queue go on from CMDQ_CONS (SMMUv3 7.1); acknowledging
    // EVENTQ_ABT_ERR makes the Event queue writable again for a waiting stall record (7.2.1).
    cmdq_work_.notify(access_offset_);
    event_queue_changed_.notify(access_offset_);
}

// ---------------------------------------------------------------------------------------------
// Command queue

bool Smmuv3::command_queue_can_run() const {
    const std::uint32_t gerror_value = register32("GERROR");
    const std::uint32_t gerrorn_value = register32("GERRORN");
    return cr0::CMDQEN.is_set_in(bank_.get("CR0ACK")) &&
           !gerror::is_active(gerror::CMDQ_ERR, gerror_value, gerrorn_value);
}

sc_time Smmuv3::posted_at(std::uint32_t cons) const {
    // The earliest PROD write whose range [previous PROD, PROD) holds `cons`: the first one that is
    // still ahead of it.
    const QueueGeometry q = QueueGeometry::from_base_register(bank_.get("CMDQ_BASE"), params_.features.cmdq_log2_entries,
                                                              command_entry_bytes);
    for (const ProdWrite& write : prod_writes_)
        if (queue_used(write.prod, cons, q.log2size) > 0) return write.at;
    return sc_core::sc_time_stamp();
}

void Smmuv3::command_processor() {
    for (;;) {
        wait(cmdq_work_);
        while (command_queue_can_run()) {
            const QueueGeometry q = QueueGeometry::from_base_register(
                bank_.get("CMDQ_BASE"), params_.features.cmdq_log2_entries, command_entry_bytes);
            const std::uint32_t prod = register32("CMDQ_PROD");
            const std::uint32_t cons = register32("CMDQ_CONS");
            if (queue_empty(prod, cons, q.log2size)) break;
            if (!queue_consistent(prod, cons, q.log2size)) {
                IVP_LOG(LogCategory::guest_error, name(), "CMDQ_PROD 0x" << std::hex << prod << " and CMDQ_CONS 0x"
                                                              << cons << " are inconsistent: queue not consumed");
                break;
            }

            // Fetch the command: one 16-byte read through the downstream port.
            std::uint8_t bytes[command_entry_bytes] = {};
            tlm::tlm_generic_payload fetch;
            prepare_payload(fetch, true, q.slot_address(cons), bytes, command_entry_bytes);
            sc_time delay = SC_ZERO_TIME;
            downstream->b_transport(fetch, delay);
            wait(delay);
            if (!fetch.is_response_ok()) {
                stop_command_queue(CommandError::abt);
                break;
            }
            const std::array<std::uint64_t, 2> words = command_words(bytes);
            const DecodedCommand command = decode_command(words[0], words[1], params_.features);
            IVP_LOG(LogCategory::cmd, name(), "CMDQ[" << queue_index(cons, q.log2size) << "] " << describe(command));
            ++*commands_by_kind_[static_cast<std::size_t>(command.kind)];
            if (command.is_illegal()) {
                IVP_LOG(LogCategory::guest_error, name(), "illegal command at CMDQ_CONS 0x"
                                                              << std::hex << cons << ": " << command.illegal_reason);
                stop_command_queue(CommandError::ill);
                break;
            }
            wait(params_.command_latency);
            if (!command.out_of_range) {  // CONSTRAINED UNPREDICTABLE: no effect (command.h)
                // CR2.E2H as it is now: CMD_TLBI_EL2_VA/VAA act on the regime it selects (4.4.2.8,
                // 4.4.2.9). CR2 cannot change while SMMUEN is 1, so this is the effective value
                // once the SMMU is enabled; before, it is one of the permitted ones (6.3.12.3).
                const bool e2h = translation_environment().cr2_e2h;
                config_cache_.invalidate(command);
                tlb_.invalidate(command, e2h);
                walk_cache_.invalidate(command, e2h);
                if (command.kind == CommandKind::atc_inv) send_atc_invalidation(command);
                if (command.kind == CommandKind::pri_resp) deliver_pri_response(command);
                // CMD_RESUME and CMD_STALL_TERM take effect when consumed; a CMD_SYNC adds nothing
                // for them (4.7.3).
                if (command.kind == CommandKind::resume) resume_stalled(command);
                if (command.kind == CommandKind::stall_term) terminate_stalled(command.stream_id);
            }
            if (command.kind == CommandKind::sync) {
                // SMMUv3 3.9.1.4, 7.1: a CMD_SYNC that cannot complete a CMD_ATC_INV before it stops
                // the queue at itself with CERROR_ATC_INV_SYNC and sends no completion signal.
                if (!complete_atc_invalidations()) {
                    stop_command_queue(CommandError::atc_inv_sync);
                    break;
                }
                execute_sync(command);
                sync_latency_.record_ps(static_cast<std::uint64_t>(
                    (sc_core::sc_time_stamp() - posted_at(cons)).value()));
            }
            ++commands_;
            const std::uint32_t next = queue_increment(cons, q.log2size);
            bank_.set("CMDQ_CONS", next);
            while (!prod_writes_.empty() && !queue_used(prod_writes_.front().prod, next, q.log2size) &&
                   index_and_wrap(prod_writes_.front().prod, q.log2size) == next)
                prod_writes_.pop_front();
        }
    }
}

void Smmuv3::stop_command_queue(CommandError error) {
    // SMMUv3 7.1: CONS stays on the command that failed, ERR says why, and GERROR.CMDQ_ERR stops
    // consumption until software acknowledges it in GERRORN.
    ++command_errors_;
    const QueueGeometry q = QueueGeometry::from_base_register(bank_.get("CMDQ_BASE"), params_.features.cmdq_log2_entries,
                                                              command_entry_bytes);
    bank_.set("CMDQ_CONS", cmdq_cons_with_error(register32("CMDQ_CONS"), q.log2size, error));
    IVP_LOG(LogCategory::cmd, name(), "command queue stopped: " << command_error_name(error));
    raise_gerror(gerror::CMDQ_ERR);
}

void Smmuv3::execute_sync(const DecodedCommand& command) {
    // Commands are executed in order, so everything before the CMD_SYNC is complete here.
    switch (command.effective_signal) {
    case SyncSignal::SIG_NONE:
        return;
    case SyncSignal::SIG_SEV:
        IVP_LOG(LogCategory::cmd, name(), "CMD_SYNC: send event (no CPU event model)");
        return;
    case SyncSignal::SIG_IRQ:
        if (command.sends_msi) {
            if (!write_msi(command.msi_address, command.msi_data)) raise_gerror(gerror::MSI_CMDQ_ABT_ERR);
            return;
        }
        pulse(kCmdSyncIrq);
        return;
    }
}

// ---------------------------------------------------------------------------------------------
// Global errors and interrupts

void Smmuv3::raise_gerror(BitField error) {
    const std::uint32_t before = register32("GERROR");
    const std::uint32_t gerrorn_value = register32("GERRORN");
    const std::uint32_t after = gerror::raise(error, before, gerrorn_value);
    if (after == before) return;  // already active: not signalled again (SMMUv3 7.5)
    ++gerrors_raised_;
    bank_.set("GERROR", after);
    IVP_LOG(LogCategory::fault, name(), "GERROR <- " << bank_.describe("GERROR", after));
    if (!irq_ctrl::GERROR_IRQEN.is_set_in(bank_.get("IRQ_CTRLACK"))) return;
    const std::uint64_t msi_address = irq_cfg::ADDR.extract(bank_.get("GERROR_IRQ_CFG0")) << irq_cfg::ADDR.lsb;
    if (params_.features.msi && msi_address != 0) {
        // A GERROR MSI that aborts is recorded, but raises no further interrupt for itself.
        if (!write_msi(msi_address, register32("GERROR_IRQ_CFG1")) && error.lsb != gerror::MSI_GERROR_ABT_ERR.lsb)
            bank_.set("GERROR", gerror::raise(gerror::MSI_GERROR_ABT_ERR, register32("GERROR"), gerrorn_value));
        return;
    }
    pulse(kGerrorIrq);
}

bool Smmuv3::write_msi(std::uint64_t address, std::uint32_t data) {
    const bool ok = send_msi(downstream, address, data);
    ++msis_sent_;
    IVP_LOG(LogCategory::cmd, name(), "MSI 0x" << std::hex << data << " -> 0x" << address << (ok ? "" : " (aborted)"));
    return ok;
}

void Smmuv3::pulse(IrqOutput output) { irq_rise_[output].notify(SC_ZERO_TIME); }

void Smmuv3::drive_interrupts() {
    sc_core::sc_out<bool>* outputs[kIrqOutputs] = {&evtq_irq, &gerror_irq, &cmd_sync_irq, &priq_irq};
    for (unsigned i = 0; i < kIrqOutputs; ++i) {
        if (irq_rise_[i].triggered()) {
            outputs[i]->write(true);
            irq_fall_[i].notify(params_.irq_pulse_width);
        } else if (irq_fall_[i].triggered()) {
            outputs[i]->write(false);
        }
    }
}

}  // namespace iommu_vp
