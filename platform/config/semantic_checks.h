// Checks that span several keys: overlapping address windows, references to components that do not
// exist, masters whose traffic has no end, trace files. Run after the schema validation succeeded.
#pragma once

#include "platform/config/config_loader.h"

#include <string>
#include <vector>

namespace iommu_vp::platform {

struct PendingReference {
    std::string path;      // dotted path of the referring key
    std::string target;    // the name it refers to
    std::string domain;    // which kind of component it must name
    std::string location;
};

// References can be checked whatever else is wrong; the other checks need a schema-valid tree.
void check_references(LoadResult& result, const std::vector<PendingReference>& references);
void check_semantics(LoadResult& result);

// Whether [base, base + size) lies inside one of the configuration's memories.
bool inside_one_memory(const nlohmann::ordered_json& effective, std::uint64_t base, std::uint64_t size);

// Names a reference of `domain` may take in this configuration.
std::vector<std::string> reference_targets(const nlohmann::ordered_json& effective, const std::string& domain);

}  // namespace iommu_vp::platform
