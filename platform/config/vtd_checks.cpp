#include "platform/config/vtd_checks.h"

#include "platform/config/pci_requester.h"
#include "platform/config/semantic_checks.h"
#include "platform/config/vtd_features.h"
#include "platform/tables/vtd_tables_config.h"

#include <map>
#include <sstream>

namespace iommu_vp::platform {
namespace {

using nlohmann::ordered_json;

std::string hex(std::uint64_t v) {
    std::ostringstream os;
    os << "0x" << std::hex << v;
    return os.str();
}

// The unit feature a table entry of translation `t` needs, or nullptr (legacy second-level entries
// and legacy blocked entries need none; the builder refuses first-level and nested in legacy mode).
const char* needed_feature(VtdTranslation t, bool scalable) {
    switch (t) {
    case VtdTranslation::pass_through: return "pass_through";
    case VtdTranslation::first_level: return "first_level";
    case VtdTranslation::nested: return "nested";
    case VtdTranslation::second_level:
    case VtdTranslation::blocked: return scalable ? "second_level" : nullptr;  // blocked: PGTT 2
    }
    return nullptr;
}

class VtdChecker {
public:
    VtdChecker(LoadResult& result, const std::string& name, const ordered_json& unit)
        : result_(result), path_("vtd." + name), unit_(unit), features_(vtd_features(unit)) {}

    void run() {
        if (!check_features() || !check_requesters()) return;
        const std::optional<VtdTablesSpec> spec = vtd_tables_spec(unit_);
        if (!spec) return;
        const std::size_t errors_before = result_.errors.size();
        check_tables(*spec);
        for (const auto& [name, device] : unit_["tables"]["devices"].items()) check_device(name, device, *spec);
        if (result_.errors.size() != errors_before) return;
        if (const BuiltTables built = build_vtd_tables(*spec); !built.error.empty()) report("tables", built.error);
    }

private:
    // `key` is relative to the unit's entry ("" for the entry itself).
    void report(const std::string& key, const std::string& message) {
        result_.errors.push_back({result_.config.location_of(key.empty() ? path_ : path_ + "." + key), message});
    }

    bool check_features() {
        const std::string problem = vtd::check_features(features_);
        if (problem.empty()) return true;
        // "vtd::Features::<parameter> = <value>; allowed: <allowed>" (models/vtd/features.cpp): the
        // parameters carry their configuration keys' names, so the key that is wrong is blamed.
        const std::string prefix = "vtd::Features::";
        const std::string message = problem.rfind(prefix, 0) == 0 ? problem.substr(prefix.size()) : problem;
        const std::string parameter = message.substr(0, message.find(' '));
        report(unit_.contains(parameter) ? parameter : "", message);
        return false;
    }

    // Every device's requester ID is readable and no two devices share one.
    bool check_requesters() {
        bool ok = true;
        std::map<std::uint16_t, std::string> seen;
        for (const auto& [name, device] : unit_["tables"]["devices"].items()) {
            const std::string key = "tables.devices." + name + ".requester";
            std::uint16_t id = 0;
            std::string error;
            if (!parse_requester_id(device["requester"], id, error)) {
                report(key, error);
                ok = false;
            } else if (const auto [it, fresh] = seen.emplace(id, name); !fresh) {
                report(key, "requester ID " + hex(id) + " is also device '" + it->second + "''s");
                ok = false;
            }
        }
        return ok;
    }

    void check_tables(const VtdTablesSpec& spec) {
        const vtd::Features& f = features_;
        if (!inside_one_memory(result_.config.effective, spec.region_base, spec.region_size))
            report("tables.region_base", "the tables' region does not lie inside one memory");
        else if (spec.region_base + spec.region_size > (std::uint64_t{1} << f.host_address_bits))
            report("tables.region_base", "the tables' region ends beyond the unit's host_address_bits (" +
                                             std::to_string(f.host_address_bits) + ")");
        const bool scalable = spec.mode == VtdTableMode::scalable;
        if (scalable && !f.scalable_mode) report("tables.mode", "scalable-mode tables need the unit's scalable_mode");
        if (scalable && !f.supervisor_requests)
            report("tables.mode", "scalable-mode tables set SRE in every PASID-table entry: the unit needs "
                                  "supervisor_requests");
        const unsigned width = spec.address_width;
        if (width != 39 && width != 48 && width != 57)
            report("tables.address_width", "value " + std::to_string(width) +
                                               " is not a second-level width (allowed: 39, 48, 57)");
        else if (!f.supports_width(width))
            report("tables.address_width", "the unit has no " + std::to_string(width) + "-bit second-level tables (sagaw_" +
                                               std::to_string(width) + " is false)");
        if (spec.first_level_5level && !(f.first_level && f.first_level_5level))
            report("tables.first_level_5level", "5-level first-level tables need the unit's first_level_5level");
        if (!f.queued_invalidation)
            report("tables", "built tables are enabled through the invalidation queue: the unit needs queued_invalidation");
    }

    void check_device(const std::string& name, const ordered_json& device, const VtdTablesSpec& spec) {
        const std::string key = "tables.devices." + name;
        const bool scalable = spec.mode == VtdTableMode::scalable;
        check_entry(key, device, scalable);
        if (device["device_tlb"].get<bool>() && !features_.device_tlb)
            report(key + ".device_tlb", "the device TLB needs the unit's device_tlb");
        if (device["page_requests"].get<bool>() && !features_.page_requests)
            report(key + ".page_requests", "page requests need the unit's page_requests");
        if (!device["pasids"].empty() && !features_.pasid)
            report(key + ".pasids", "PASID contexts need the unit's pasid");
        for (const auto& [pasid_name, context] : device["pasids"].items()) {
            const std::string pasid_key = key + ".pasids." + pasid_name;
            check_entry(pasid_key, context, scalable);
            const std::uint64_t pasid = context["pasid"];
            if (pasid >> features_.pasid_bits)
                report(pasid_key + ".pasid", "PASID " + hex(pasid) + " is wider than the unit's pasid_bits (" +
                                                 std::to_string(features_.pasid_bits) + ")");
        }
    }

    // A context or PASID-table entry: its translation type and its domain ID exist in the unit.
    void check_entry(const std::string& key, const ordered_json& entry, bool scalable) {
        const std::string translation = entry["translation"];
        if (const char* feature = needed_feature(vtd_translation(translation), scalable); feature && !unit_[feature].get<bool>())
            report(key + ".translation", translation + " translation needs the unit's " + feature);
        const std::uint64_t domain_id = entry["domain_id"];
        if (domain_id >= features_.domain_count())
            report(key + ".domain_id", "domain ID " + std::to_string(domain_id) + " is beyond the unit's " +
                                           std::to_string(features_.domain_id_bits) + " domain_id_bits");
        else if (domain_id == 0 && features_.caching_mode)
            report(key + ".domain_id", "domain ID 0 is reserved under caching_mode (CAP.CM = 1)");
    }

    LoadResult& result_;
    const std::string path_;
    const ordered_json& unit_;
    const vtd::Features features_;
};

}  // namespace

void check_vtd(LoadResult& result, const std::string& name, const ordered_json& unit) {
    VtdChecker(result, name, unit).run();
}

}  // namespace iommu_vp::platform
