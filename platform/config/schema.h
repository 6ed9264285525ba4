// The configuration schema: every key a platform description may hold, with its type, range or
// allowed values, default and meaning. Validation, `iommu-vp config` (effective configuration) and
// vp_configs/reference.yaml are all produced from this one description, so they cannot drift apart.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace iommu_vp::platform {

enum class SchemaKind {
    integer,    // unsigned; decimal, 0x-hex, '_' separators; with `size_suffixes` also KiB/MiB/GiB/TiB
    number,     // floating point
    boolean,
    string,
    choice,     // one of `choices`
    reference,  // the name of a component of `reference_domain` (checked after the whole file is read)
    map,        // fixed keys: `children`
    named_map,  // user-chosen names, each entry shaped like `element`
};

struct SchemaNode {
    std::string key;
    SchemaKind kind = SchemaKind::map;
    std::string description;          // meaning, with the unit
    std::string reason;               // where a default comes from (datasheet, paper, convention)
    nlohmann::ordered_json default_value;  // null: required (scalars) or none (nullable scalars)
    bool required = false;
    nlohmann::ordered_json example;   // value shown in reference.yaml for a required key
    bool nullable = false;            // `none` / null is a valid value meaning "not set"
    std::uint64_t min_int = 0;
    std::uint64_t max_int = std::numeric_limits<std::uint64_t>::max();
    double min_number = -std::numeric_limits<double>::infinity();
    double max_number = std::numeric_limits<double>::infinity();
    bool size_suffixes = false;
    std::vector<std::string> choices;
    std::string reference_domain;
    std::vector<SchemaNode> children;
    std::shared_ptr<SchemaNode> element;
    std::string example_name;         // named_map: name of the example entry in reference.yaml

    const SchemaNode* child(const std::string& name) const;
    std::vector<std::string> child_keys() const;
};

// Builders that keep the schema definition readable.
SchemaNode integer_key(std::string key, std::uint64_t default_value, std::uint64_t min, std::uint64_t max,
                       std::string description, std::string reason = {});
SchemaNode size_key(std::string key, std::uint64_t default_value, std::uint64_t min, std::uint64_t max,
                    std::string description, std::string reason = {});
SchemaNode number_key(std::string key, double default_value, double min, double max, std::string description,
                      std::string reason = {});
SchemaNode boolean_key(std::string key, bool default_value, std::string description, std::string reason = {});
SchemaNode string_key(std::string key, std::string default_value, std::string description);
SchemaNode choice_key(std::string key, std::string default_value, std::vector<std::string> choices,
                      std::string description);
SchemaNode reference_key(std::string key, std::string domain, std::string default_value, std::string description);
SchemaNode map_key(std::string key, std::string description, std::vector<SchemaNode> children);
SchemaNode named_map_key(std::string key, std::string description, std::string example_name, SchemaNode element);

// The schema of a platform description (the root map).
const SchemaNode& platform_schema();

// Version of the configuration format and of the statistics JSON layout.
inline constexpr int kConfigSchemaVersion = 1;
inline constexpr int kStatsSchemaVersion = 1;

}  // namespace iommu_vp::platform
