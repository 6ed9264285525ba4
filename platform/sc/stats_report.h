// Run outputs: the statistics JSON (machine-readable, deterministic for a config and seed) and the
// short human summary printed at the end of a run.
//
// JSON layout (schema_version 1):
//   { "schema_version", "program", "version", "config_file", "seed", "config" (effective),
//     "simulated_time_ps", "script": {"commands", "failures"},
//     "components": { NAME: { "counters": {NAME: N}, "histograms": {NAME: HISTOGRAM}, ...derived } } }
//   HISTOGRAM = { "count", "min_ps", "mean_ps", "p50_ps", "p90_ps", "p99_ps", "max_ps",
//                 "bins": [[lower_ns, upper_ns or null for +inf, count], ...] }   (non-empty bins only)
// Masters also carry "bandwidth_bytes_per_s". Nothing host-dependent (wall clock, paths resolved
// on the host, pointer values) enters the JSON.
#pragma once

#include "platform/sc/platform_top.h"

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>
#include <vector>

namespace iommu_vp::platform {

struct RunSummary {
    std::string config_file;
    std::uint64_t seed = 0;
    nlohmann::ordered_json effective_config;
    sc_core::sc_time simulated_time;
    unsigned script_commands = 0;
    std::vector<std::string> script_failures;
};

nlohmann::ordered_json histogram_json(const LatencyHistogram& histogram);
nlohmann::ordered_json stats_json(const Platform& platform, const RunSummary& run);
// The IOMMU core's fault counts (sw_stack/iommu), or null when the software never started the core.
nlohmann::ordered_json iommu_core_json();
void print_summary(std::ostream& out, const Platform& platform, const RunSummary& run);

}  // namespace iommu_vp::platform
