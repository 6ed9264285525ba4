// The `vtd.<name>.tables` section of a validated configuration as a table-builder spec.
#pragma once

#include "platform/tables/vtd_tables.h"

#include <nlohmann/json.hpp>

#include <optional>

namespace iommu_vp::platform {

// nullopt when the section asks for no tables (region_base: none). `unit` is the whole
// `vtd.<name>` entry: the builder follows the unit's IOTLB register offset and large-page sizes.
// Requester IDs must have passed validation (platform/config/pci_requester.h).
std::optional<VtdTablesSpec> vtd_tables_spec(const nlohmann::ordered_json& unit);

// The translation a `translation:` key names.
VtdTranslation vtd_translation(const std::string& name);

}  // namespace iommu_vp::platform
