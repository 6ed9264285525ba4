#include "models/common/ats.h"

namespace iommu_vp {

const char* to_string(PrgResponseCode code) {
    switch (code) {
        case PrgResponseCode::success: return "success";
        case PrgResponseCode::invalid_request: return "invalid_request";
        case PrgResponseCode::response_failure: return "response_failure";
    }
    return "?";
}

}  // namespace iommu_vp
