#include "models/common/ats.h"

#include "models/common/fault_response.h"
#include "models/common/log.h"
#include "models/common/stats.h"

namespace iommu_vp {

AtsTranslation* accept_translation_request(tlm::tlm_generic_payload& payload, const char* owner, Counter& aborted) {
    AtsTranslation* completion = payload.get_extension<AtsTranslation>();
    if (!completion) {
        ++aborted;
        IVP_LOG(LogCategory::guest_error, owner, "translation request without an AtsTranslation extension refused");
        terminate_transaction(payload, FaultResponse::abort);
        return nullptr;
    }
    payload.set_response_status(tlm::TLM_OK_RESPONSE);
    completion->reset_completion();
    return completion;
}

const char* to_string(PrgResponseCode code) {
    switch (code) {
        case PrgResponseCode::success: return "success";
        case PrgResponseCode::invalid_request: return "invalid_request";
        case PrgResponseCode::response_failure: return "response_failure";
    }
    return "?";
}

}  // namespace iommu_vp
