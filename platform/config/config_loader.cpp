#include "platform/config/config_loader.h"

#include "platform/config/semantic_checks.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace iommu_vp::platform {
namespace {

using nlohmann::ordered_json;

std::string join(const std::vector<std::string>& words) {
    std::string out;
    for (const std::string& w : words) out += (out.empty() ? "" : ", ") + w;
    return out;
}

std::string child_path(const std::string& parent, const std::string& key) {
    return parent.empty() ? key : parent + "." + key;
}

std::string describe_kind(const YAML::Node& node) {
    switch (node.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null: return "nothing";
    default: return "'" + node.Scalar() + "'";
    }
}

bool is_identifier(const std::string& name) {
    if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) return false;
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
    return true;
}

// Walks a YAML tree against the schema, collecting diagnostics and building the effective tree.
class Validator {
public:
    Validator(std::string file, std::map<std::string, std::string> override_args, LoadResult& result)
        : file_(std::move(file)), override_args_(std::move(override_args)), result_(result) {}

    ordered_json validate(const YAML::Node& node, const SchemaNode& schema, const std::string& path) {
        record_location(node, path);
        switch (schema.kind) {
        case SchemaKind::map: return validate_map(node, schema, path);
        case SchemaKind::named_map: return validate_named_map(node, schema, path);
        default: return validate_scalar(node, schema, path);
        }
    }

private:
    std::string where(const YAML::Node& node, const std::string& path) const {
        for (const auto& [set_path, arg] : override_args_)
            if (path == set_path || path.rfind(set_path + ".", 0) == 0) return "--set " + arg;
        if (!node.IsDefined() || node.Mark().is_null()) return file_;
        return file_ + ":" + std::to_string(node.Mark().line + 1) + ":" + std::to_string(node.Mark().column + 1);
    }

    void record_location(const YAML::Node& node, const std::string& path) {
        if (node.IsDefined() && (!node.Mark().is_null() || override_args_.count(path)))
            result_.config.locations[path] = where(node, path);
    }

    void error(const YAML::Node& node, const std::string& path, const std::string& message) {
        result_.errors.push_back(Diagnostic{where(node, path), message});
    }

    // Reports keys written twice (yaml-cpp keeps both silently); returns false if any.
    bool check_duplicates(const YAML::Node& node, const std::string& path) {
        std::set<std::string> seen;
        bool clean = true;
        for (const auto& entry : node) {
            const std::string key = entry.first.Scalar();
            if (!seen.insert(key).second) {
                error(entry.first, child_path(path, key), "key '" + key + "' is given twice" +
                                                              (path.empty() ? "" : " in " + path));
                clean = false;
            }
        }
        return clean;
    }

    bool expect_map(const YAML::Node& node, const std::string& path) {
        if (!node.IsDefined() || node.IsNull() || node.IsMap()) return true;
        error(node, path, "expected a map of keys, got " + describe_kind(node));
        return false;
    }

    ordered_json validate_map(const YAML::Node& node, const SchemaNode& schema, const std::string& path) {
        ordered_json out = ordered_json::object();
        const bool is_map = expect_map(node, path) && node.IsDefined() && node.IsMap();
        if (is_map) {
            check_duplicates(node, path);
            for (const auto& entry : node) {
                const std::string key = entry.first.Scalar();
                if (schema.child(key)) continue;
                const std::string suggestion = nearest_key(key, schema.child_keys());
                error(entry.first, child_path(path, key),
                      "unknown key '" + key + "'" + (path.empty() ? "" : " in " + path) +
                          (suggestion.empty() ? "" : "; did you mean '" + suggestion + "'?") +
                          " (allowed: " + join(schema.child_keys()) + ")");
            }
        }
        for (const SchemaNode& child : schema.children) {
            const std::string cpath = child_path(path, child.key);
            const YAML::Node value = is_map ? node[child.key] : YAML::Node(YAML::NodeType::Undefined);
            if (!value.IsDefined() && child.required) {
                error(node, cpath, "missing required key '" + child.key + "'" + (path.empty() ? "" : " in " + path) +
                                       ": " + child.description);
                continue;
            }
            out[child.key] = validate(value, child, cpath);
        }
        return out;
    }

    ordered_json validate_named_map(const YAML::Node& node, const SchemaNode& schema, const std::string& path) {
        ordered_json out = ordered_json::object();
        if (!expect_map(node, path) || !node.IsDefined() || !node.IsMap()) return out;
        check_duplicates(node, path);
        for (const auto& entry : node) {
            const std::string name = entry.first.Scalar();
            const std::string cpath = child_path(path, name);
            if (out.contains(name)) continue;  // a duplicate, reported above; the first one counts
            if (!is_identifier(name)) {
                error(entry.first, cpath, "name '" + name + "' in " + path +
                                              " must be an identifier (letters, digits and '_', not starting with a digit)");
                continue;
            }
            out[name] = validate(entry.second, *schema.element, cpath);
        }
        return out;
    }

    ordered_json validate_scalar(const YAML::Node& node, const SchemaNode& schema, const std::string& path) {
        if (!node.IsDefined()) return schema.default_value;
        if (schema.nullable && (node.IsNull() || (node.IsScalar() && node.Scalar() == "none"))) return nullptr;
        if (!node.IsScalar()) {
            error(node, path, "expected " + expected(schema) + ", got " + describe_kind(node));
            return schema.default_value;
        }
        const std::string text = node.Scalar();
        switch (schema.kind) {
        case SchemaKind::integer: return parse_integer(node, schema, path, text);
        case SchemaKind::number: return parse_number(node, schema, path, text);
        case SchemaKind::boolean:
            if (text == "true" || text == "false") return text == "true";
            error(node, path, "expected true or false, got '" + text + "'");
            return schema.default_value;
        case SchemaKind::choice: return parse_choice(node, schema, path, text);
        case SchemaKind::reference:
            references_.push_back(PendingReference{path, text, schema.reference_domain, where(node, path)});
            return text;
        default: return text;
        }
    }

    static std::string expected(const SchemaNode& schema) {
        switch (schema.kind) {
        case SchemaKind::integer: return "an unsigned integer";
        case SchemaKind::number: return "a number";
        case SchemaKind::boolean: return "true or false";
        case SchemaKind::choice: return "one of " + join(schema.choices);
        default: return "a single value";
        }
    }

    template <typename Bound>
    void out_of_range(const YAML::Node& node, const std::string& path, const std::string& key,
                      const std::string& text, Bound min, Bound max) {
        std::ostringstream range;
        range << "value " << text << " is out of range for '" << key << "' (allowed: " << min << " to " << max << ")";
        error(node, path, range.str());
    }

    ordered_json parse_integer(const YAML::Node& node, const SchemaNode& schema, const std::string& path,
                               const std::string& text) {
        std::uint64_t value = 0;
        std::string problem;
        if (!parse_config_integer(text, schema.size_suffixes, value, problem)) {
            error(node, path, problem);
        } else if (value < schema.min_int || value > schema.max_int) {
            out_of_range(node, path, schema.key, text, schema.min_int, schema.max_int);
        } else {
            return value;
        }
        return schema.default_value;
    }

    ordered_json parse_number(const YAML::Node& node, const SchemaNode& schema, const std::string& path,
                              const std::string& text) {
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size()) {
            error(node, path, "'" + text + "' is not a number");
        } else if (!(value >= schema.min_number && value <= schema.max_number)) {
            out_of_range(node, path, schema.key, text, schema.min_number, schema.max_number);
        } else {
            return value;
        }
        return schema.default_value;
    }

    ordered_json parse_choice(const YAML::Node& node, const SchemaNode& schema, const std::string& path,
                              const std::string& text) {
        for (const std::string& choice : schema.choices)
            if (choice == text) return text;
        const std::string suggestion = nearest_key(text, schema.choices);
        error(node, path, "'" + text + "' is not a valid " + schema.key +
                              (suggestion.empty() ? "" : "; did you mean '" + suggestion + "'?") + " (allowed: " +
                              join(schema.choices) + ")");
        return schema.default_value;
    }

public:
    std::vector<PendingReference> references_;

private:
    std::string file_;
    std::map<std::string, std::string> override_args_;  // dotted path -> the --set argument
    LoadResult& result_;
};

// Applies "a.b.c=value" to the YAML tree. Records in `origins` the dotted path it set, and the maps
// it had to create, so that problems under them are reported against the argument.
void apply_override(YAML::Node& root, const std::string& arg, std::vector<Diagnostic>& errors,
                    std::map<std::string, std::string>& origins) {
    const std::size_t equals = arg.find('=');
    if (equals == std::string::npos || equals == 0) {
        errors.push_back({"--set " + arg, "expected path.to.key=value"});
        return;
    }
    const std::string path = arg.substr(0, equals);
    YAML::Node value;
    try {
        value = YAML::Load(arg.substr(equals + 1));
    } catch (const YAML::Exception& e) {
        errors.push_back({"--set " + arg, "value is not valid YAML: " + e.msg});
        return;
    }
    std::vector<std::string> keys;
    std::stringstream parts(path);
    for (std::string key; std::getline(parts, key, '.');) keys.push_back(key);
    if (keys.empty() || path.back() == '.' || std::find(keys.begin(), keys.end(), "") != keys.end()) {
        errors.push_back({"--set " + arg, "empty key in path '" + path + "'"});
        return;
    }
    YAML::Node current = root;
    std::string walked;
    for (std::size_t i = 0; i + 1 < keys.size(); ++i) {
        walked = child_path(walked, keys[i]);
        YAML::Node next = current[keys[i]];
        if (!next.IsDefined() || next.IsNull()) {
            current[keys[i]] = YAML::Node(YAML::NodeType::Map);
            origins.emplace(walked, arg);
        } else if (!next.IsMap()) {
            errors.push_back({"--set " + arg, "'" + walked + "' is a single value, not a map of keys"});
            return;
        }
        current.reset(current[keys[i]]);
    }
    current[keys.back()] = value;
    origins[path] = arg;
}

LoadResult validate_document(YAML::Node root, const std::string& name, const std::vector<std::string>& overrides) {
    LoadResult result;
    result.config.file = name;
    const std::size_t slash = name.find_last_of('/');
    result.config.directory = slash == std::string::npos ? "." : name.substr(0, slash);
    if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
    std::map<std::string, std::string> override_args;
    if (root.IsMap()) {
        for (const std::string& arg : overrides) apply_override(root, arg, result.errors, override_args);
    }
    Validator validator(name, override_args, result);
    result.config.effective = validator.validate(root, platform_schema(), "");
    check_references(result, validator.references_);
    if (result.errors.empty()) check_semantics(result);
    return result;
}

}  // namespace

std::string LoadedConfig::location_of(const std::string& path) const {
    for (std::string p = path;; ) {
        auto it = locations.find(p);
        if (it != locations.end()) return it->second;
        const std::size_t dot = p.find_last_of('.');
        if (dot == std::string::npos) break;
        p.resize(dot);
    }
    return file;
}

LoadResult load_config_text(const std::string& text, const std::string& name, const std::vector<std::string>& overrides) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
        LoadResult result;
        result.config.file = name;
        result.errors.push_back({name + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1),
                                 "YAML syntax error: " + e.msg});
        return result;
    }
    return validate_document(root, name, overrides);
}

LoadResult load_config_file(const std::string& path, const std::vector<std::string>& overrides) {
    std::ifstream in(path);
    if (!in) {
        LoadResult result;
        result.config.file = path;
        result.errors.push_back({path, "cannot open the configuration file"});
        return result;
    }
    std::stringstream text;
    text << in.rdbuf();
    return load_config_text(text.str(), path, overrides);
}

}  // namespace iommu_vp::platform
