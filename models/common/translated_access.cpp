#include "models/common/translated_access.h"

#include "models/common/fault_response.h"
#include "models/common/log.h"

namespace iommu_vp {

void refuse_device_transaction(tlm::tlm_generic_payload& p, const char* owner, Counter& missing_attributes,
                               bool has_attributes) {
    if (!has_attributes) {
        ++missing_attributes;
        log::unimplemented_once(owner, "transactions without a MasterAttrs extension (terminated with an abort)");
        terminate_transaction(p, FaultResponse::abort);
        return;
    }
    IVP_LOG(LogCategory::guest_error, owner, "zero-length or streaming transaction refused");
    p.set_response_status(p.get_data_length() == 0 ? tlm::TLM_GENERIC_ERROR_RESPONSE : tlm::TLM_BURST_ERROR_RESPONSE);
}

}  // namespace iommu_vp
