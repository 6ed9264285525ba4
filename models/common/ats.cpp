#include "models/common/ats.h"

namespace iommu_vp {

const char* to_string(PageResponseCode code) {
    switch (code) {
        case PageResponseCode::success: return "success";
        case PageResponseCode::invalid_request: return "invalid_request";
        case PageResponseCode::response_failure: return "response_failure";
    }
    return "?";
}

}  // namespace iommu_vp
