#include "platform/tables/vtd_tables_config.h"

#include "platform/config/pci_requester.h"

namespace iommu_vp::platform {
namespace {

constexpr std::uint64_t kRegisterOffsetUnit = 16;  // ECAP.IRO counts 16-byte units

std::vector<VtdMapping> mappings(const nlohmann::ordered_json& section) {
    std::vector<VtdMapping> out;
    for (const auto& [name, m] : section["mappings"].items())
        out.push_back(VtdMapping{m["input"], m["output"], m["size"], m["writable"]});
    return out;
}

VtdDevice device(const std::string& name, const nlohmann::ordered_json& d) {
    VtdDevice device;
    device.name = name;
    device.source_id = requester_id(d["requester"]);
    device.translation = vtd_translation(d["translation"]);
    device.domain_id = d["domain_id"];
    device.device_tlb = d["device_tlb"];
    device.page_requests = d["page_requests"];
    device.mappings = mappings(d);
    for (const auto& [pasid_name, p] : d["pasids"].items())
        device.pasids.push_back(
            VtdPasidContext{pasid_name, p["pasid"], vtd_translation(p["translation"]), p["domain_id"], mappings(p)});
    return device;
}

}  // namespace

VtdTranslation vtd_translation(const std::string& name) {
    if (name == "first_level") return VtdTranslation::first_level;
    if (name == "nested") return VtdTranslation::nested;
    if (name == "pass_through") return VtdTranslation::pass_through;
    if (name == "blocked") return VtdTranslation::blocked;
    return VtdTranslation::second_level;
}

std::optional<VtdTablesSpec> vtd_tables_spec(const nlohmann::ordered_json& unit) {
    const nlohmann::ordered_json& tables = unit["tables"];
    if (tables["region_base"].is_null()) return std::nullopt;
    VtdTablesSpec spec;
    spec.region_base = tables["region_base"];
    spec.region_size = tables["region_size"];
    spec.mode = tables["mode"] == "scalable" ? VtdTableMode::scalable : VtdTableMode::legacy;
    spec.address_width = tables["address_width"];
    spec.first_level_5level = tables["first_level_5level"];
    spec.iotlb_register_offset = unit["iotlb_register_offset"].get<std::uint64_t>() * kRegisterOffsetUnit;
    spec.second_level_2m = unit["second_level_2m"];
    spec.second_level_1g = unit["second_level_1g"];
    spec.first_level_1g = unit["first_level_1g"];
    for (const auto& [name, d] : tables["devices"].items()) spec.devices.push_back(device(name, d));
    return spec;
}

}  // namespace iommu_vp::platform
