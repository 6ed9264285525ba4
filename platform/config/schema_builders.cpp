#include "platform/config/schema.h"

namespace iommu_vp::platform {

const SchemaNode* SchemaNode::child(const std::string& name) const {
    for (const SchemaNode& c : children)
        if (c.key == name) return &c;
    return nullptr;
}

std::vector<std::string> SchemaNode::child_keys() const {
    std::vector<std::string> keys;
    for (const SchemaNode& c : children) keys.push_back(c.key);
    return keys;
}

namespace {

SchemaNode scalar(std::string key, SchemaKind kind, nlohmann::ordered_json default_value, std::string description,
                  std::string reason) {
    SchemaNode node;
    node.key = std::move(key);
    node.kind = kind;
    node.default_value = std::move(default_value);
    node.description = std::move(description);
    node.reason = std::move(reason);
    return node;
}

}  // namespace

SchemaNode integer_key(std::string key, std::uint64_t default_value, std::uint64_t min, std::uint64_t max,
                       std::string description, std::string reason) {
    SchemaNode node = scalar(std::move(key), SchemaKind::integer, default_value, std::move(description), std::move(reason));
    node.min_int = min;
    node.max_int = max;
    return node;
}

SchemaNode size_key(std::string key, std::uint64_t default_value, std::uint64_t min, std::uint64_t max,
                    std::string description, std::string reason) {
    SchemaNode node = integer_key(std::move(key), default_value, min, max, std::move(description), std::move(reason));
    node.size_suffixes = true;
    return node;
}

SchemaNode number_key(std::string key, double default_value, double min, double max, std::string description,
                      std::string reason) {
    SchemaNode node = scalar(std::move(key), SchemaKind::number, default_value, std::move(description), std::move(reason));
    node.min_number = min;
    node.max_number = max;
    return node;
}

SchemaNode boolean_key(std::string key, bool default_value, std::string description, std::string reason) {
    return scalar(std::move(key), SchemaKind::boolean, default_value, std::move(description), std::move(reason));
}

SchemaNode string_key(std::string key, std::string default_value, std::string description) {
    return scalar(std::move(key), SchemaKind::string, std::move(default_value), std::move(description), {});
}

SchemaNode choice_key(std::string key, std::string default_value, std::vector<std::string> choices,
                      std::string description) {
    SchemaNode node = scalar(std::move(key), SchemaKind::choice, std::move(default_value), std::move(description), {});
    node.choices = std::move(choices);
    return node;
}

SchemaNode reference_key(std::string key, std::string domain, std::string default_value, std::string description) {
    SchemaNode node = scalar(std::move(key), SchemaKind::reference, std::move(default_value), std::move(description), {});
    node.reference_domain = std::move(domain);
    return node;
}

SchemaNode map_key(std::string key, std::string description, std::vector<SchemaNode> children) {
    SchemaNode node;
    node.key = std::move(key);
    node.kind = SchemaKind::map;
    node.description = std::move(description);
    node.children = std::move(children);
    return node;
}

SchemaNode named_map_key(std::string key, std::string description, std::string example_name, SchemaNode element) {
    SchemaNode node;
    node.key = std::move(key);
    node.kind = SchemaKind::named_map;
    node.description = std::move(description);
    node.example_name = std::move(example_name);
    node.element = std::make_shared<SchemaNode>(std::move(element));
    return node;
}

}  // namespace iommu_vp::platform
