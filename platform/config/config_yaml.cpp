#include "platform/config/config_yaml.h"

#include <iomanip>
#include <sstream>

namespace iommu_vp::platform {
namespace {

using nlohmann::ordered_json;

std::string indent(unsigned depth) { return std::string(depth * 2, ' '); }

std::string scalar_text(const ordered_json& value, const SchemaNode* schema) {
    if (value.is_null()) return "none";
    if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
    if (value.is_string()) {
        const std::string text = value.get<std::string>();
        return text.empty() ? "\"\"" : text;
    }
    if (value.is_number_unsigned() && schema && schema->size_suffixes) {
        std::ostringstream os;
        os << "0x" << std::hex << value.get<std::uint64_t>();
        return os.str();
    }
    if (value.is_number_float()) {
        std::ostringstream os;
        os << std::setprecision(15) << value.get<double>();
        return os.str();
    }
    return value.dump();
}

void write_value(std::ostringstream& out, const std::string& key, const ordered_json& value, const SchemaNode* schema,
                 unsigned depth) {
    if (!value.is_object()) {
        out << indent(depth) << key << ": " << scalar_text(value, schema) << '\n';
        return;
    }
    out << indent(depth) << key << ":" << (value.empty() ? " {}" : "") << '\n';
    for (const auto& [child_key, child_value] : value.items()) {
        const SchemaNode* child_schema = nullptr;
        if (schema && schema->kind == SchemaKind::map) child_schema = schema->child(child_key);
        if (schema && schema->kind == SchemaKind::named_map) child_schema = schema->element.get();
        write_value(out, child_key, child_value, child_schema, depth + 1);
    }
}

std::string allowed_values(const SchemaNode& node) {
    std::ostringstream os;
    switch (node.kind) {
    case SchemaKind::integer:
        if (node.size_suffixes)
            os << "0x" << std::hex << node.min_int << " to 0x" << node.max_int << std::dec;
        else
            os << node.min_int << " to " << node.max_int;
        if (node.nullable) os << ", or none";
        break;
    case SchemaKind::number: os << node.min_number << " to " << node.max_number; break;
    case SchemaKind::boolean: os << "true, false"; break;
    case SchemaKind::choice:
        for (std::size_t i = 0; i < node.choices.size(); ++i) os << (i ? ", " : "") << node.choices[i];
        break;
    case SchemaKind::reference: os << "the name of a " << node.reference_domain << " component"; break;
    default: break;
    }
    return os.str();
}

void write_reference(std::ostringstream& out, const SchemaNode& node, unsigned depth) {
    for (const SchemaNode& child : node.children) {
        out << indent(depth) << "# " << child.description << '\n';
        const std::string allowed = allowed_values(child);
        if (!allowed.empty()) out << indent(depth) << "#   allowed: " << allowed << '\n';
        if (!child.reason.empty()) out << indent(depth) << "#   default because: " << child.reason << '\n';
        if (child.kind == SchemaKind::map) {
            out << indent(depth) << child.key << ":\n";
            write_reference(out, child, depth + 1);
        } else if (child.kind == SchemaKind::named_map) {
            out << indent(depth) << child.key << ":\n";
            out << indent(depth + 1) << child.example_name << ":  # " << child.element->description << " (any name)\n";
            write_reference(out, *child.element, depth + 2);
        } else if (child.required) {
            out << indent(depth) << child.key << ": " << scalar_text(child.example, &child) << "  # required\n";
        } else {
            out << indent(depth) << child.key << ": " << scalar_text(child.default_value, &child) << '\n';
        }
    }
}

}  // namespace

std::string effective_config_yaml(const ordered_json& effective) {
    std::ostringstream out;
    const SchemaNode& root = platform_schema();
    for (const auto& [key, value] : effective.items()) write_value(out, key, value, root.child(key), 0);
    return out.str();
}

std::string reference_config_yaml() {
    std::ostringstream out;
    out << "# iommu-vp reference configuration: every key, its default and its meaning.\n"
           "# Generated from the schema by `iommu-vp config --reference`; do not edit by hand.\n"
           "# Named entries (memories, masters) show one example each; a platform may have any number.\n";
    write_reference(out, platform_schema(), 0);
    return out.str();
}

}  // namespace iommu_vp::platform
