#include "models/common/translated_access.h"

#include "models/common/fault_response.h"
#include "models/common/log.h"

namespace iommu_vp {

const MasterAttrs* accept_device_transaction(tlm::tlm_generic_payload& p, const char* owner,
                                             Counter& missing_attributes) {
    const MasterAttrs* attrs = find_master_attrs(p);
    if (!attrs) {
        ++missing_attributes;
        log::unimplemented_once(owner, "transactions without a MasterAttrs extension (terminated with an abort)");
        terminate_transaction(p, FaultResponse::abort);
        return nullptr;
    }
    if (p.get_data_length() == 0 || p.get_streaming_width() < p.get_data_length()) {
        IVP_LOG(LogCategory::guest_error, owner, "zero-length or streaming transaction refused");
        p.set_response_status(p.get_data_length() == 0 ? tlm::TLM_GENERIC_ERROR_RESPONSE : tlm::TLM_BURST_ERROR_RESPONSE);
        return nullptr;
    }
    return attrs;
}

}  // namespace iommu_vp
