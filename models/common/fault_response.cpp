#include "models/common/fault_response.h"

#include <tlm>

#include <algorithm>
#include <stdexcept>

namespace iommu_vp {

const char* to_string(FaultResponse response) {
    switch (response) {
    case FaultResponse::none: return "none";
    case FaultResponse::abort: return "abort";
    case FaultResponse::address_out_of_range: return "address_out_of_range";
    case FaultResponse::raz_wi: return "raz_wi";
    }
    return "?";
}

void terminate_transaction(tlm::tlm_generic_payload& payload, FaultResponse response) {
    switch (response) {
    case FaultResponse::abort:
        payload.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
        return;
    case FaultResponse::address_out_of_range:
        payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    case FaultResponse::raz_wi:
        if (payload.is_read() && payload.get_data_ptr())
            std::fill_n(payload.get_data_ptr(), payload.get_data_length(), 0);
        payload.set_response_status(tlm::TLM_OK_RESPONSE);
        return;
    case FaultResponse::none:
        break;
    }
    throw std::logic_error("terminate_transaction called for a transaction that was not terminated");
}

}  // namespace iommu_vp
