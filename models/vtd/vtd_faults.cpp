// Vtd: primary fault recording and the fault-event, invalidation-completion and page-request
// interrupts (the module is split across files by concern).
#include "models/vtd/vtd.h"

#include "models/common/log.h"
#include "models/vtd/registers.h"

namespace iommu_vp {

using namespace vtd;

namespace {

// The register names of an event group: control, data, address, upper address.
struct EventRegisters {
    const char* control;
    const char* data;
    const char* address;
    const char* upper_address;
};

EventRegisters event_registers(int group) {
    switch (group) {
    case 1: return {"IECTL", "IEDATA", "IEADDR", "IEUADDR"};
    case 2: return {"PECTL", "PEDATA", "PEADDR", "PEUADDR"};
    default: return {"FECTL", "FEDATA", "FEADDR", "FEUADDR"};
    }
}

const char* event_name(int group) {
    switch (group) {
    case 1: return "invalidation completion";
    case 2: return "page request";
    default: return "fault event";
    }
}

}  // namespace

void Vtd::record_fault(const FaultRecord& record) {
    // Primary fault logging (VT-d 7.2.1): while PFO is set nothing is recorded; a record still
    // holding an unserviced fault at the next index overflows instead (PFO, with no new event: PPF
    // is necessarily pending then).
    const std::uint64_t status = bank_.get("FSTS");
    if (fsts::PFO.is_set_in(status)) {
        ++faults_overflowed_;
        return;
    }
    const unsigned index = next_fault_record_;
    const std::string high = fault_record_name(index, true);
    if (frcd_hi::F.is_set_in(bank_.get(high))) {
        ++faults_overflowed_;
        bank_.set("FSTS", fsts::PFO.insert(status, 1));
        IVP_LOG(LogCategory::fault, name(), "primary fault overflow: record " << index << " not yet serviced");
        return;
    }
    const std::array<std::uint64_t, 2> words = encode_fault_record(record, params_.features);
    bank_.set(fault_record_name(index, false), words[0]);
    bank_.set(high, words[1]);
    ++faults_recorded_;
    next_fault_record_ = (index + 1) % params_.features.fault_records;
    IVP_LOG(LogCategory::fault, name(), "FRCD" << index << ": " << describe(record));
    if (fsts::PPF.is_set_in(status)) return;  // FRI keeps pointing at the first pending record
    bank_.set("FSTS", fsts::FRI.insert(fsts::PPF.insert(status, 1), index));
    signal_fault_event(status);
}

void Vtd::signal_fault_event(std::uint64_t status_before) {
    // A fault event is a new interrupt condition only when no fault status was pending before it
    // (VT-d 7.3: software services all conditions from one interrupt).
    const std::uint64_t conditions = fsts::PFO.mask() | fsts::PPF.mask() | fsts::AFO.mask() | fsts::APF.mask() |
                                     fsts::IQE.mask() | fsts::ICE.mask() | fsts::ITE.mask();
    if ((status_before & conditions) == 0) signal_event(EventGroup::fault);
}

void Vtd::post_fault(const FaultRecord& record, const sc_core::sc_time& delay) {
    // The record and its event belong to the faulting access's time, not to the kernel's: the
    // access ran ahead by `delay`.
    pending_faults_.emplace(sc_core::sc_time_stamp() + delay, record);
    fault_due_.notify(delay);
}

void Vtd::record_due_faults() {
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    while (!pending_faults_.empty() && pending_faults_.begin()->first <= now) {
        record_fault(pending_faults_.begin()->second);
        pending_faults_.erase(pending_faults_.begin());
    }
}

void Vtd::update_pending_faults() {
    bool pending = false;
    for (unsigned n = 0; n < params_.features.fault_records && !pending; ++n)
        pending = frcd_hi::F.is_set_in(bank_.get(fault_record_name(n, true)));
    bank_.set("FSTS", fsts::PPF.insert(bank_.get("FSTS"), pending ? 1 : 0));
}

void Vtd::on_fault_record_write(const RegisterWrite&) { on_fsts_write(RegisterWrite{}); }

void Vtd::on_fsts_write(const RegisterWrite&) {
    update_pending_faults();
    const std::uint64_t status = bank_.get("FSTS");
    // Software has serviced every condition: the pending event goes away (VT-d 11.4.7.2).
    const std::uint64_t conditions =
        fsts::PFO.mask() | fsts::PPF.mask() | fsts::IQE.mask() | fsts::ICE.mask() | fsts::ITE.mask();
    if ((status & conditions) == 0) bank_.set("FECTL", event_control::IP.insert(bank_.get("FECTL"), 0));
    // A queue stopped by IQE or ITE resumes once both are clear.
    if (!fsts::IQE.is_set_in(status) && !fsts::ITE.is_set_in(status)) queue_work_.notify(access_offset_);
}

void Vtd::on_prs_write(const RegisterWrite&) {
    // Software has serviced both conditions: the pending page-request event goes away (as for FECTL).
    const std::uint64_t status = bank_.get("PRS");
    if (!prs::PPR.is_set_in(status) && !prs::PRO.is_set_in(status))
        bank_.set("PECTL", event_control::IP.insert(bank_.get("PECTL"), 0));
}

void Vtd::on_pectl_write(const RegisterWrite& w) {
    if (event_control::IM.is_set_in(w.old_value) && !event_control::IM.is_set_in(w.new_value) &&
        event_control::IP.is_set_in(w.new_value))
        send_event_msi(EventGroup::page_request);
}

void Vtd::on_ics_write(const RegisterWrite&) {
    if (!ics::IWC.is_set_in(bank_.get("ICS"))) bank_.set("IECTL", event_control::IP.insert(bank_.get("IECTL"), 0));
}

void Vtd::on_fectl_write(const RegisterWrite& w) {
    // Unmasking with an event pending sends it (VT-d 11.4.7.2: the pending message is delivered).
    if (event_control::IM.is_set_in(w.old_value) && !event_control::IM.is_set_in(w.new_value) &&
        event_control::IP.is_set_in(w.new_value))
        send_event_msi(EventGroup::fault);
}

void Vtd::on_iectl_write(const RegisterWrite& w) {
    if (event_control::IM.is_set_in(w.old_value) && !event_control::IM.is_set_in(w.new_value) &&
        event_control::IP.is_set_in(w.new_value))
        send_event_msi(EventGroup::invalidation);
}

void Vtd::signal_event(EventGroup group) {
    const char* control = event_registers(static_cast<int>(group)).control;
    const std::uint64_t value = bank_.get(control);
    if (event_control::IP.is_set_in(value)) return;  // one outstanding event at a time
    bank_.set(control, event_control::IP.insert(value, 1));
    if (!event_control::IM.is_set_in(value)) send_event_msi(group);
}

void Vtd::send_event_msi(EventGroup group) {
    const EventRegisters r = event_registers(static_cast<int>(group));
    const std::uint64_t address = (bank_.get(r.upper_address) << 32) |
                                  (event_address::MA.extract(bank_.get(r.address)) << event_address::MA.lsb);
    const auto data = static_cast<std::uint32_t>(bank_.get(r.data));
    const bool ok = send_msi(downstream, address, data);
    ++msis_sent_;
    bank_.set(r.control, event_control::IP.insert(bank_.get(r.control), 0));
    IVP_LOG(LogCategory::cmd, name(), event_name(static_cast<int>(group))
                                          << " MSI 0x" << std::hex << data << " -> 0x" << address
                                          << (ok ? "" : " (aborted)"));
}

}  // namespace iommu_vp
