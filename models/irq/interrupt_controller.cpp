#include "models/irq/interrupt_controller.h"

#include "models/common/log.h"

#include <cstring>

namespace iommu_vp {

using sc_core::sc_time;

InterruptController::InterruptController(sc_core::sc_module_name name, const InterruptControllerParams& params)
    : sc_module(name),
      irq_in("irq_in", params.lines),
      doorbell("doorbell"),
      cpu("cpu"),
      params_(params),
      stats_(basename()),
      msis_(stats_.counter("msis", "MSI doorbell writes delivered as vectors")),
      line_changes_(stats_.counter("line_changes", "level changes of wired interrupt lines")),
      bad_doorbell_writes_(stats_.counter("bad_doorbell_writes", "doorbell writes that were not 32 bits")) {
    doorbell.register_b_transport(this, &InterruptController::b_transport);
    doorbell.register_transport_dbg(this, &InterruptController::transport_dbg);
    SC_METHOD(deliver_due);
    sensitive << delivery_due_;
    dont_initialize();
    for (unsigned line = 0; line < irq_in.size(); ++line) {
        sc_core::sc_spawn_options options;
        options.spawn_method();
        options.set_sensitivity(&irq_in[line].value_changed());
        options.dont_initialize();
        sc_core::sc_spawn([this, line] { line_changed(line); },
                          sc_core::sc_gen_unique_name("line_changed"), &options);
    }
}

void InterruptController::line_changed(unsigned line) {
    ++line_changes_;
    const bool level = irq_in[line].read();
    IVP_LOG(LogCategory::dma, name(), "irq line " << line << (level ? " raised" : " lowered"));
    schedule(Delivery{true, line, level}, sc_core::SC_ZERO_TIME);
}

void InterruptController::deliver_msi(std::uint32_t vector, const sc_time& delay) {
    ++msis_;
    schedule(Delivery{false, vector, false}, delay);
}

void InterruptController::schedule(const Delivery& delivery, const sc_time& delay) {
    // An interrupt reaches the CPU when the write lands (kernel time plus the writer's annotation) or
    // the line changes, plus the delivery latency; writes annotated out of order are still delivered
    // in time order.
    const sc_time when = delay + params_.delivery_latency;
    pending_.emplace(sc_core::sc_time_stamp() + when, delivery);
    delivery_due_.notify(when);
}

void InterruptController::deliver_due() {
    const sc_time now = sc_core::sc_time_stamp();
    while (!pending_.empty() && pending_.begin()->first <= now) {
        const Delivery delivery = pending_.begin()->second;
        pending_.erase(pending_.begin());
        if (!cpu.size()) continue;
        if (delivery.is_line) {
            cpu->set_line(delivery.number, delivery.level);
        } else {
            IVP_LOG(LogCategory::dma, name(), "MSI vector " << delivery.number << " delivered");
            cpu->raise_vector(delivery.number);
        }
    }
}

void InterruptController::b_transport(tlm::tlm_generic_payload& payload, sc_time& delay) {
    if (payload.get_address() >= params_.doorbell_size) {
        payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    if (payload.is_read()) {
        std::memset(payload.get_data_ptr(), 0, payload.get_data_length());
        payload.set_response_status(tlm::TLM_OK_RESPONSE);
        return;
    }
    if (payload.is_write() && payload.get_data_length() != 4) {
        ++bad_doorbell_writes_;
        IVP_LOG(LogCategory::guest_error, name(),
                "MSI doorbell write of " << payload.get_data_length() << " bytes (must be 4)");
        payload.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
        return;
    }
    if (payload.is_write()) {
        std::uint32_t vector = 0;
        std::memcpy(&vector, payload.get_data_ptr(), sizeof vector);  // little-endian host and bus
        deliver_msi(vector, delay);
    }
    payload.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned int InterruptController::transport_dbg(tlm::tlm_generic_payload& payload) {
    // Debug accesses have no side effects: reads see zeros, writes raise nothing.
    if (payload.get_address() >= params_.doorbell_size) return 0;
    if (payload.is_read()) std::memset(payload.get_data_ptr(), 0, payload.get_data_length());
    return payload.get_data_length();
}

}  // namespace iommu_vp
