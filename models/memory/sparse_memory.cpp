#include "models/memory/sparse_memory.h"

#include "models/common/log.h"

#include <algorithm>

namespace iommu_vp {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

SparseMemory::SparseMemory(sc_core::sc_module_name name, const SparseMemoryParams& params)
    : sc_module(name),
      target("target"),
      params_(params),
      store_(params.size_bytes),
      stats_(basename()),
      reads_(stats_.counter("reads", "read transactions")),
      writes_(stats_.counter("writes", "write transactions")),
      bytes_read_(stats_.counter("bytes_read", "bytes returned by reads")),
      bytes_written_(stats_.counter("bytes_written", "bytes stored by writes")),
      errors_(stats_.counter("errors", "transactions answered with an error status")),
      dmi_grants_(stats_.counter("dmi_grants", "direct memory pointers handed out")),
      dmi_refusals_(stats_.counter("dmi_refusals", "direct memory requests refused")),
      queued_accesses_(stats_.counter("queued_accesses", "accesses that waited for the bandwidth channel")) {
    target.register_b_transport(this, &SparseMemory::b_transport);
    target.register_transport_dbg(this, &SparseMemory::transport_dbg);
    target.register_get_direct_mem_ptr(this, &SparseMemory::get_direct_mem_ptr);
}

bool SparseMemory::check(tlm::tlm_generic_payload& payload) const {
    const unsigned length = payload.get_data_length();
    if (!store_.contains(payload.get_address(), length)) {
        payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return false;
    }
    if (payload.get_streaming_width() < length) {
        payload.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
        return false;
    }
    if (payload.get_byte_enable_ptr() && payload.get_byte_enable_length() == 0) {
        payload.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
        return false;
    }
    return true;
}

void SparseMemory::copy_data(tlm::tlm_generic_payload& payload) {
    const std::uint64_t address = payload.get_address();
    const unsigned length = payload.get_data_length();
    unsigned char* data = payload.get_data_ptr();
    const unsigned char* enables = payload.get_byte_enable_ptr();
    const bool is_read = payload.is_read();
    if (!is_read && !payload.is_write()) {  // TLM_IGNORE_COMMAND
        payload.set_response_status(tlm::TLM_OK_RESPONSE);
        return;
    }
    if (!enables) {
        if (is_read)
            store_.read(address, data, length);
        else
            store_.write(address, data, length);
    } else {
        // Byte lanes whose enable is off are neither read nor written (a read leaves them as they were).
        const unsigned enable_length = payload.get_byte_enable_length();
        for (unsigned i = 0; i < length; ++i) {
            if (enables[i % enable_length] != TLM_BYTE_ENABLED) continue;
            if (is_read)
                store_.read(address + i, data + i, 1);
            else
                store_.write(address + i, data + i, 1);
        }
    }
    payload.set_response_status(tlm::TLM_OK_RESPONSE);
}

sc_time SparseMemory::transfer_time(unsigned bytes) const {
    if (params_.bandwidth_bytes_per_ns <= 0.0) return SC_ZERO_TIME;
    return sc_time(static_cast<double>(bytes) / params_.bandwidth_bytes_per_ns, sc_core::SC_NS);
}

void SparseMemory::b_transport(tlm::tlm_generic_payload& payload, sc_time& delay) {
    if (!check(payload)) {
        ++errors_;
        return;
    }
    copy_data(payload);
    const unsigned length = payload.get_data_length();
    if (payload.is_read()) {
        ++reads_;
        bytes_read_.add(length);
        delay += params_.read_latency;
    } else if (payload.is_write()) {
        ++writes_;
        bytes_written_.add(length);
        delay += params_.write_latency;
    }
    const sc_time transfer = transfer_time(length);
    if (transfer == SC_ZERO_TIME) return;
    // The channel is booked from the moment the access reaches it: kernel time plus the annotation.
    const sc_time now = sc_core::sc_time_stamp();
    const std::uint64_t arrival_ps = static_cast<std::uint64_t>((now + delay).value());
    channel_.forget_before(static_cast<std::uint64_t>(now.value()));
    const std::uint64_t start_ps = channel_.book(arrival_ps, static_cast<std::uint64_t>(transfer.value()));
    if (start_ps != arrival_ps) ++queued_accesses_;
    delay += sc_time::from_value(start_ps - arrival_ps) + transfer;
}

unsigned int SparseMemory::transport_dbg(tlm::tlm_generic_payload& payload) {
    const std::uint64_t address = payload.get_address();
    if (address >= store_.size()) return 0;
    const unsigned length = static_cast<unsigned>(std::min<std::uint64_t>(payload.get_data_length(), store_.size() - address));
    if (payload.is_read())
        store_.read(address, payload.get_data_ptr(), length);
    else if (payload.is_write())
        store_.write(address, payload.get_data_ptr(), length);
    else
        return 0;
    payload.set_response_status(tlm::TLM_OK_RESPONSE);
    return length;
}

bool SparseMemory::get_direct_mem_ptr(tlm::tlm_generic_payload& payload, tlm::tlm_dmi& dmi) {
    const std::uint64_t address = payload.get_address();
    if (!params_.dmi_enabled || params_.bandwidth_bytes_per_ns > 0.0 || address >= store_.size()) {
        ++dmi_refusals_;
        // Tell the initiator the whole memory is off limits for DMI, so it does not ask again.
        dmi.set_start_address(0);
        dmi.set_end_address(store_.size() - 1);
        dmi.allow_none();
        return false;
    }
    std::uint64_t page_base = 0;
    std::uint8_t* page = store_.page_for(address, page_base);
    const std::uint64_t end = std::min(page_base + SparseStore::kPageBytes, store_.size()) - 1;
    dmi.set_dmi_ptr(page);
    dmi.set_start_address(page_base);
    dmi.set_end_address(end);
    dmi.allow_read_write();
    dmi.set_read_latency(params_.read_latency);
    dmi.set_write_latency(params_.write_latency);
    ++dmi_grants_;
    return true;
}

}  // namespace iommu_vp
