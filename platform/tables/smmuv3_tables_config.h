// The `smmuv3.<name>.tables` section of a validated configuration as a table-builder spec.
#pragma once

#include "platform/tables/smmuv3_tables.h"

#include <nlohmann/json.hpp>

#include <optional>

namespace iommu_vp::platform {

// nullopt when the section asks for no tables (region_base: none).
std::optional<TablesSpec> smmuv3_tables_spec(const nlohmann::ordered_json& smmu);

}  // namespace iommu_vp::platform
