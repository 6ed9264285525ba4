// Writes configurations back out as YAML: the effective configuration (`iommu-vp config`) and the
// annotated reference configuration generated from the schema (vp_configs/reference.yaml).
#pragma once

#include "platform/config/schema.h"

#include <nlohmann/json.hpp>

#include <string>

namespace iommu_vp::platform {

// Every key with its value, in schema order; integers that are addresses or sizes in hex.
std::string effective_config_yaml(const nlohmann::ordered_json& effective);

// Every key of the schema with its default, meaning, allowed values and the reason for the default.
std::string reference_config_yaml();

}  // namespace iommu_vp::platform
