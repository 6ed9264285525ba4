// Checks of one `vtd.<name>` entry of a schema-valid configuration: the unit's parameters describe a
// unit the architecture allows and the model implements, and its `tables:` section asks only for
// what that unit implements (so that built tables translate instead of faulting on a programming
// error the platform made) and fits its region.
#pragma once

#include "platform/config/config_loader.h"

#include <string>

namespace iommu_vp::platform {

void check_vtd(LoadResult& result, const std::string& name, const nlohmann::ordered_json& unit);

}  // namespace iommu_vp::platform
