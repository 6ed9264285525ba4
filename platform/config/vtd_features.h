// The feature keys of a validated `vtd.<name>` entry as the model's Features, for the checks that
// validate them and for the platform that builds the unit from them.
#pragma once

#include "models/vtd/features.h"

#include <nlohmann/json.hpp>

namespace iommu_vp::platform {

vtd::Features vtd_features(const nlohmann::ordered_json& unit);

}  // namespace iommu_vp::platform
