// Smmuv3: the stall model (SMMUv3 3.12.2, 4.7.1, 4.7.2, 7.2.1). A transaction whose translation
// asks to stall is held in the calling thread (b_transport blocks) until software decides its fate.
// Nothing here runs on the hit path: translate_transaction calls in only for a fault that stalls, or
// while every stall slot is taken.
#include "models/smmuv3/smmuv3.h"

#include "models/common/log.h"
#include "models/smmuv3/gerror.h"
#include "models/smmuv3/queue_pointers.h"

namespace iommu_vp {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;
using namespace smmuv3;

bool Smmuv3::event_queue_writable() const {
    // SMMUv3 7.2.1: enabled, not full, and no unacknowledged EVENTQ_ABT_ERR. An inconsistent PROD/CONS
    // pair is treated as full (record_event discards then).
    if (!cr0::EVTQEN.is_set_in(bank_.get("CR0ACK"))) return false;
    if (gerror::is_active(gerror::EVENTQ_ABT_ERR, register32("GERROR"), register32("GERRORN"))) return false;
    const QueueGeometry q = QueueGeometry::from_base_register(bank_.get("EVTQ_BASE"), params_.features.evtq_log2_entries,
                                                              event_entry_bytes);
    const std::uint32_t prod = register32("EVTQ_PROD");
    const std::uint32_t cons = register32("EVTQ_CONS");
    return queue_consistent(prod, cons, q.log2size) && !queue_full(prod, cons, q.log2size);
}

std::uint16_t Smmuv3::allocate_stag() const {
    // IMPLEMENTATION SPECIFIC format (3.12.2): a rotating 16-bit number, skipping those still held by
    // a stalled transaction, so a value comes back only after many others (a stale CMD_RESUME then
    // almost never meets a new stall). At most 65536 stalls exist, so one value is free.
    std::uint16_t stag = next_stag_;
    for (;;) {
        bool used = false;
        for (const StalledTransaction& s : stalled_)
            if (s.recorded && s.stag == stag) used = true;
        if (!used) return stag;
        ++stag;
    }
}

void Smmuv3::wait_for_stall_slot(sc_time& delay) {
    // SMMUv3 3.12.2.3: with every stall slot taken the ingress accepts no more transactions.
    ++stall_backpressure_waits_;
    sc_core::wait(delay);
    delay = SC_ZERO_TIME;
    const std::uint64_t generation = generation_;
    while (stall_slots_full() && generation == generation_) sc_core::wait(stall_resolved_);
}

std::optional<FaultResponse> Smmuv3::stall_transaction(const TranslationResult& fault, sc_time& delay) {
    // The stall is a synchronisation point: the transaction waits in simulated time from here.
    sc_core::wait(delay);
    delay = SC_ZERO_TIME;
    if (!smmu_enabled()) return FaultResponse::abort;  // disabled while it translated: nothing stalls
    if (stall_slots_full()) {
        wait_for_stall_slot(delay);
        return std::nullopt;  // then handled as though it had just arrived (no record for this attempt)
    }
    ++traffic_.faults;
    auto it = stalled_.emplace(stalled_.end(), StalledTransaction{});
    it->stream_id = fault.event.stream_id;
    const sc_time stalled_at = sc_core::sc_time_stamp();
    if (event_queue_writable()) {
        EventRecord event = fault.event;
        event.stall = true;
        event.stag = it->stag = allocate_stag();
        next_stag_ = static_cast<std::uint16_t>(it->stag + 1);
        it->recorded = true;
        ++stalls_;
        IVP_LOG(LogCategory::fault, name(), "stalled: " << describe(event));
        record_event(event, delay);  // an abort writing it loses it (7.2.2): the stall stays
        sc_core::wait(delay);
        delay = SC_ZERO_TIME;
    } else {
        // SMMUv3 7.2.1: a stall record is never discarded; the transaction is retried as though it had
        // just arrived once the queue is writable (or terminated by CMD_STALL_TERM / SMMUEN -> 0).
        ++stalls_waiting_for_event_queue_;
        IVP_LOG(LogCategory::fault, name(), "stall record waits for the Event queue: " << describe(fault.event));
    }
    while (it->fate == StalledTransaction::Fate::stalled) {
        if (!it->recorded) {
            sc_core::wait(event_queue_changed_ | stall_resolved_);
            if (it->fate == StalledTransaction::Fate::stalled && event_queue_writable())
                it->fate = StalledTransaction::Fate::retry;
            continue;
        }
        sc_core::wait(stall_resolved_);
    }
    const StalledTransaction resolved = *it;
    stalled_.erase(it);
    stall_resolved_.notify(SC_ZERO_TIME);  // a slot is free
    stall_time_.record_ps(static_cast<std::uint64_t>((sc_core::sc_time_stamp() - stalled_at).value()));
    if (resolved.fate == StalledTransaction::Fate::retry) return std::nullopt;
    return resolved.response;
}

void Smmuv3::resume_stalled(const DecodedCommand& command) {
    // SMMUv3 4.7.1: StreamID and STAG together name one stalled transaction whose record software has
    // seen; anything else is a no-op.
    for (StalledTransaction& s : stalled_) {
        if (!s.recorded || s.fate != StalledTransaction::Fate::stalled || s.stream_id != command.stream_id ||
            s.stag != command.stag)
            continue;
        if (command.resume_retry) {
            s.fate = StalledTransaction::Fate::retry;
            ++stalls_retried_;
        } else {
            s.fate = StalledTransaction::Fate::terminate;
            s.response = command.resume_abort ? FaultResponse::abort : FaultResponse::raz_wi;
            ++stalls_terminated_by_resume_;
        }
        stall_resolved_.notify(SC_ZERO_TIME);
        return;
    }
    ++stall_resumes_unmatched_;
    IVP_LOG(LogCategory::cmd, name(), "CMD_RESUME sid=0x" << std::hex << command.stream_id << " stag=0x" << command.stag
                                                          << " matches no stalled transaction: no effect");
}

void Smmuv3::terminate_stalled(std::uint32_t stream_id) {
    // SMMUv3 4.7.2: every transaction of the StreamID stalled when the command is consumed, whether its
    // record was written or still waits for the queue, is terminated with an abort.
    bool any = false;
    for (StalledTransaction& s : stalled_) {
        if (s.stream_id != stream_id || s.fate != StalledTransaction::Fate::stalled) continue;
        s.fate = StalledTransaction::Fate::terminate;
        s.response = FaultResponse::abort;
        ++stalls_terminated_by_stall_term_;
        any = true;
    }
    if (any) stall_resolved_.notify(SC_ZERO_TIME);
}

void Smmuv3::terminate_all_stalled(const char* why) {
    bool any = false;
    for (StalledTransaction& s : stalled_) {
        if (s.fate != StalledTransaction::Fate::stalled) continue;
        s.fate = StalledTransaction::Fate::terminate;
        s.response = FaultResponse::abort;
        ++stalls_terminated_by_disable_;
        any = true;
    }
    if (!any) return;
    IVP_LOG(LogCategory::fault, name(), "stalled transactions terminated: " << why);
    stall_resolved_.notify(SC_ZERO_TIME);
}

}  // namespace iommu_vp
