#include "platform/sc/run.h"

#include "models/common/sc_log_time.h"
#include "platform/io/script.h"
#include "platform/sc/script_runner.h"
#include "platform/sc/stats_report.h"

#include <tlm_utils/tlm_quantumkeeper.h>

#include <fstream>

namespace iommu_vp::platform {
namespace {

// An IOMMU's built tables, whatever its kind: `section` names it in messages ("vtd.dmar0.tables").
struct IommuTables {
    std::string section;
    std::uint64_t base;  // of its registers
    const BuiltTables& tables;
};

std::vector<IommuTables> iommu_tables(const PlatformConfig& config) {
    std::vector<IommuTables> out;
    for (const Smmuv3Config& smmu : config.smmus)
        if (smmu.tables) out.push_back({"smmuv3." + smmu.name + ".tables", smmu.base, *smmu.tables});
    for (const VtdConfig& unit : config.vtds)
        if (unit.tables) out.push_back({"vtd." + unit.name + ".tables", unit.base, *unit.tables});
    return out;
}

ScriptCommand register_command(const RegisterStep& step, std::uint64_t base) {
    ScriptCommand c;
    c.address = base + step.offset;
    c.value = step.value;
    if (step.kind == RegisterStep::Kind::poll) {
        c.verb = ScriptVerb::poll32;
        c.mask = step.mask;
        c.time_ns = 1e6;
    } else {
        c.verb = step.width_bytes == 8 ? ScriptVerb::write64 : ScriptVerb::write32;
    }
    return c;
}

// The IOMMU set-up the `tables:` sections ask for, as script commands: structures written to memory
// (debug writes), then the register writes and polls in the builder's order.
std::vector<ScriptCommand> table_setup(const PlatformConfig& config) {
    std::vector<ScriptCommand> commands;
    auto add = [&](ScriptCommand c, const std::string& section, std::string text) {
        c.location = section;
        c.text = std::move(text);
        commands.push_back(std::move(c));
    };
    for (const IommuTables& iommu : iommu_tables(config)) {
        for (const MemoryBlock& block : iommu.tables.memory) {
            ScriptCommand c;
            c.verb = ScriptVerb::memwrite;
            c.address = block.address;
            c.bytes = block.bytes;
            add(std::move(c), iommu.section, "structures");
        }
        for (const RegisterStep& step : iommu.tables.registers)
            add(register_command(step, iommu.base), iommu.section, step.what);
    }
    return commands;
}

// Applies the tables' set-up, runs the pre-script, releases the masters, runs the script, waits
// for the traffic, stops.
class RunController : public sc_core::sc_module {
public:
    SC_HAS_PROCESS(RunController);
    RunController(sc_core::sc_module_name name, Platform& platform, std::ostream& out,
                  const std::vector<ScriptCommand>& pre_script, const std::vector<ScriptCommand>& script)
        : sc_module(name),
          runner_(platform, out),
          setup_runner_(platform, silent_),
          platform_(platform),
          setup_(table_setup(platform.config())),
          pre_script_(pre_script),
          script_(script) {
        SC_THREAD(control);
    }

    const ScriptRunner& runner() const { return runner_; }
    const ScriptRunner& setup_runner() const { return setup_runner_; }
    bool finished() const { return finished_; }

private:
    void control() {
        setup_runner_.run(setup_);  // quiet: its lines would drown the user's
        runner_.run(pre_script_);
        platform_.release_masters();
        runner_.run(script_);
        platform_.wait_for_masters();
        finished_ = true;
        sc_core::sc_stop();
    }

    std::ostream silent_{nullptr};
    ScriptRunner runner_;
    ScriptRunner setup_runner_;
    Platform& platform_;
    const std::vector<ScriptCommand> setup_;
    const std::vector<ScriptCommand>& pre_script_;
    const std::vector<ScriptCommand>& script_;
    bool finished_ = false;
};

bool report_errors(const std::vector<Diagnostic>& errors, std::ostream& err) {
    for (const Diagnostic& d : errors) err << d.to_string() << '\n';
    return !errors.empty();
}

bool load_script(const std::string& path, const std::vector<std::string>& masters, std::vector<ScriptCommand>& commands,
                 std::ostream& err) {
    if (path.empty()) return true;
    ScriptParseResult parsed = parse_script_file(path);
    if (report_errors(parsed.errors, err)) return false;
    if (report_errors(check_script_masters(parsed.commands, masters), err)) return false;
    commands = std::move(parsed.commands);
    return true;
}

}  // namespace

int run_platform(const RunOptions& options, std::ostream& out, std::ostream& err) {
    std::vector<std::string> overrides = options.overrides;
    if (options.seed) overrides.push_back("simulation.seed=" + std::to_string(*options.seed));
    const LoadResult loaded = load_config_file(options.config_path, overrides);
    if (report_errors(loaded.errors, err)) return kExitUsage;
    const std::uint64_t seed = loaded.config.effective["simulation"]["seed"];

    std::vector<std::string> master_names;
    for (const auto& [name, master] : loaded.config.effective["masters"].items()) master_names.push_back(name);
    std::vector<ScriptCommand> pre_script, script;
    if (!load_script(options.pre_script_path, master_names, pre_script, err) ||
        !load_script(options.script_path, master_names, script, err))
        return kExitUsage;

    // Opened before simulating, so a path that cannot be written costs no simulation time.
    std::ofstream json;
    if (!options.stats_path.empty()) {
        json.open(options.stats_path);
        if (!json) {
            err << options.stats_path << ": cannot write the statistics file\n";
            return kExitUsage;
        }
    }
    const PlatformConfig config = make_platform_config(loaded.config, seed);
    use_systemc_time_in_logs();
    // sc_stop() is how every run ends; SystemC's note about it is noise in the output.
    sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    tlm_utils::tlm_quantumkeeper::set_global_quantum(config.quantum);
    Platform platform("platform", config);
    RunController controller("run", platform, out, pre_script, script);

    if (config.max_time == sc_core::SC_ZERO_TIME)
        sc_core::sc_start();
    else
        sc_core::sc_start(config.max_time);

    RunSummary summary;
    summary.config_file = options.config_path;
    summary.seed = seed;
    summary.effective_config = loaded.config.effective;
    summary.simulated_time = sc_core::sc_time_stamp();
    summary.script_commands = controller.runner().commands_run();
    summary.script_failures = controller.setup_runner().failures();
    summary.script_failures.insert(summary.script_failures.end(), controller.runner().failures().begin(),
                                   controller.runner().failures().end());

    if (json) json << stats_json(platform, summary).dump(2) << '\n';
    if (!options.quiet) print_summary(out, platform, summary);
    for (const std::string& failure : summary.script_failures) err << "FAILED " << failure << '\n';
    if (!summary.script_failures.empty()) return kExitRunFailed;
    if (!controller.finished() && config.max_time == sc_core::SC_ZERO_TIME) {
        err << "the run stopped before every master finished (nothing left to simulate)\n";
        return kExitRunFailed;
    }
    return kExitOk;
}

}  // namespace iommu_vp::platform
