// Filling a generic payload for a plain read or write: the fields every initiator sets the same way.
#pragma once

#include <tlm>

#include <cstdint>

namespace iommu_vp {

inline void prepare_payload(tlm::tlm_generic_payload& p, bool is_read, std::uint64_t address, std::uint8_t* data,
                            unsigned length) {
    p.set_command(is_read ? tlm::TLM_READ_COMMAND : tlm::TLM_WRITE_COMMAND);
    p.set_address(address);
    p.set_data_ptr(data);
    p.set_data_length(length);
    p.set_streaming_width(length);
    p.set_byte_enable_ptr(nullptr);
    p.set_byte_enable_length(0);
    p.set_dmi_allowed(false);
    p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
}

}  // namespace iommu_vp
