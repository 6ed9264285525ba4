// One simulation run from the command line: load and validate the configuration, parse scripts,
// elaborate, simulate, report. Called once per process (SystemC elaborates once).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace iommu_vp::platform {

struct RunOptions {
    std::string config_path;
    std::vector<std::string> overrides;     // --set
    std::optional<std::uint64_t> seed;      // --seed (same as --set simulation.seed=N)
    std::string stats_path;                 // --stats; empty: no JSON written
    bool quiet = false;
    std::string script_path;
    std::string pre_script_path;
};

enum ExitStatus : int { kExitOk = 0, kExitRunFailed = 1, kExitUsage = 2 };

// Returns the process exit status: 0, 1 (a script expectation failed, or the run could not finish)
// or 2 (configuration or script errors: nothing was simulated).
int run_platform(const RunOptions& options, std::ostream& out, std::ostream& err);

}  // namespace iommu_vp::platform
