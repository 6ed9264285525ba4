#include "models/common/log.h"

#include <array>
#include <iostream>
#include <set>

namespace iommu_vp::log {
namespace {

constexpr std::array<std::string_view, static_cast<unsigned>(LogCategory::count_)> kNames = {
    "guest_error", "unimplemented", "reg", "cmd", "fault", "sw", "dma", "script", "config"};

struct LogState {
    std::ostream* sink = &std::cerr;
    std::function<std::string()> now;
    std::set<std::string> reported_features;
};

LogState& state() {
    static LogState s;
    return s;
}

}  // namespace

std::string_view category_name(LogCategory category) { return kNames.at(static_cast<unsigned>(category)); }

std::optional<LogCategory> category_from_name(std::string_view name) {
    for (unsigned i = 0; i < kNames.size(); ++i)
        if (kNames[i] == name) return static_cast<LogCategory>(i);
    return std::nullopt;
}

std::vector<std::string_view> all_category_names() { return {kNames.begin(), kNames.end()}; }

void enable(LogCategory category, bool on) {
    const unsigned bit = 1u << static_cast<unsigned>(category);
    enabled_mask() = on ? (enabled_mask() | bit) : (enabled_mask() & ~bit);
}

void disable_all() { enabled_mask() = 0; }

void set_sink(std::ostream* sink) { state().sink = sink ? sink : &std::cerr; }

void set_time_source(std::function<std::string()> now) { state().now = std::move(now); }

void emit(LogCategory category, std::string_view source, const std::string& message) {
    LogState& s = state();
    if (s.now) *s.sink << s.now() << ' ';
    *s.sink << '[' << category_name(category) << "] " << source << ": " << message << '\n';
}

void unimplemented_once(std::string_view source, std::string_view feature) {
    if (!enabled(LogCategory::unimplemented)) return;
    std::string key = std::string(source) + '\0' + std::string(feature);
    if (!state().reported_features.insert(std::move(key)).second) return;
    emit(LogCategory::unimplemented, source, std::string(feature) + " is not modelled (reads as zero, writes ignored)");
}

}  // namespace iommu_vp::log
