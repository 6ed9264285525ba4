// The iommu-vp command.
//
//   iommu-vp run CONFIG [--set path.to.key=value ...] [--seed N] [--stats FILE.json] [--quiet]
//                       [--script FILE] [--pre-script FILE] [--log CATEGORY,...] [--log-file FILE]
//   iommu-vp validate CONFIG [--set ...]
//   iommu-vp config CONFIG [--set ...]      print the effective configuration
//   iommu-vp config --reference             print the reference configuration (every key)
//   iommu-vp --help | --version
//
// Exit status: 0 success, 1 a script expectation failed or the run failed, 2 wrong usage or an
// invalid configuration or script (nothing simulated).
//
// The program has its own main() (it takes precedence over the one in libsystemc) only to keep the
// SystemC banner off the output; SystemC then calls sc_main() as usual.
#include "models/common/log.h"
#include "platform/config/config_loader.h"
#include "platform/config/config_yaml.h"
#include "platform/sc/run.h"
#include "platform/version.h"

#include <boost/program_options.hpp>
#include <systemc>  // declares sc_main with the C linkage that libsystemc's main() calls

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

namespace po = boost::program_options;
using namespace iommu_vp;
using namespace iommu_vp::platform;

namespace {

const char* const kUsage =
    "usage: iommu-vp run CONFIG [--set path.to.key=value ...] [--seed N] [--stats FILE.json] [--quiet]\n"
    "                           [--script FILE] [--pre-script FILE] [--log CATEGORY,...] [--log-file FILE]\n"
    "       iommu-vp validate CONFIG [--set path.to.key=value ...]\n"
    "       iommu-vp config CONFIG [--set path.to.key=value ...]\n"
    "       iommu-vp config --reference\n"
    "       iommu-vp --help | --version\n";

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

po::options_description config_options() {
    po::options_description options("configuration");
    options.add_options()("set", po::value<std::vector<std::string>>()->composing(),
                          "override a configuration key: path.to.key=value (repeatable)");
    return options;
}

po::options_description run_options() {
    po::options_description options("run");
    options.add_options()("seed", po::value<std::uint64_t>(), "seed of every random stream (overrides simulation.seed)")(
        "stats", po::value<std::string>(), "write the statistics JSON to FILE")(
        "quiet", "do not print the summary")("script", po::value<std::string>(), "run a register-level script")(
        "pre-script", po::value<std::string>(), "run a script before any master starts")(
        "log", po::value<std::string>(), "comma-separated log categories")(
        "log-file", po::value<std::string>(), "write log lines to FILE instead of standard error");
    return options;
}

po::variables_map parse(const std::vector<std::string>& args, const po::options_description& options, bool config_required) {
    po::options_description all(options);
    all.add_options()("config", po::value<std::string>(), "configuration file");
    po::positional_options_description positional;
    positional.add("config", 1);
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        throw UsageError(e.what());
    }
    if (config_required && !vm.count("config")) throw UsageError("a configuration file is required");
    return vm;
}

std::vector<std::string> overrides_of(const po::variables_map& vm) {
    return vm.count("set") ? vm["set"].as<std::vector<std::string>>() : std::vector<std::string>{};
}

void enable_logging(const po::variables_map& vm, std::unique_ptr<std::ofstream>& log_file) {
    if (vm.count("log")) {
        std::stringstream list(vm["log"].as<std::string>());
        for (std::string name; std::getline(list, name, ',');) {
            const auto category = log::category_from_name(name);
            if (!category) {
                std::string names;
                for (auto n : log::all_category_names()) names += (names.empty() ? "" : ", ") + std::string(n);
                throw UsageError("unknown log category '" + name + "' (categories: " + names + ")");
            }
            log::enable(*category);
        }
    }
    if (vm.count("log-file")) {
        log_file = std::make_unique<std::ofstream>(vm["log-file"].as<std::string>());
        if (!*log_file) throw UsageError("cannot write the log file '" + vm["log-file"].as<std::string>() + "'");
        log::set_sink(log_file.get());
    }
}

int command_run(const std::vector<std::string>& args) {
    po::options_description options = config_options();
    options.add(run_options());
    const po::variables_map vm = parse(args, options, true);
    std::unique_ptr<std::ofstream> log_file;
    enable_logging(vm, log_file);
    RunOptions run;
    run.config_path = vm["config"].as<std::string>();
    run.overrides = overrides_of(vm);
    if (vm.count("seed")) run.seed = vm["seed"].as<std::uint64_t>();
    if (vm.count("stats")) run.stats_path = vm["stats"].as<std::string>();
    if (vm.count("script")) run.script_path = vm["script"].as<std::string>();
    if (vm.count("pre-script")) run.pre_script_path = vm["pre-script"].as<std::string>();
    run.quiet = vm.count("quiet") != 0;
    return run_platform(run, std::cout, std::cerr);
}

int command_validate(const std::vector<std::string>& args, bool print_effective) {
    po::options_description options = config_options();
    if (print_effective) options.add_options()("reference", "print the reference configuration");
    const po::variables_map vm = parse(args, options, false);
    if (vm.count("reference")) {
        if (vm.count("config")) throw UsageError("--reference takes no configuration file");
        std::cout << reference_config_yaml();
        return kExitOk;
    }
    if (!vm.count("config")) throw UsageError("a configuration file is required");
    const LoadResult loaded = load_config_file(vm["config"].as<std::string>(), overrides_of(vm));
    for (const Diagnostic& d : loaded.errors) std::cerr << d.to_string() << '\n';
    if (!loaded.ok()) return kExitUsage;
    if (print_effective)
        std::cout << effective_config_yaml(loaded.config.effective);
    else
        std::cout << loaded.config.file << ": valid\n";
    return kExitOk;
}

int dispatch(int argc, char* argv[]) {
    if (argc < 2) throw UsageError("a command is required");
    const std::string command = argv[1];
    const std::vector<std::string> args(argv + 2, argv + argc);
    if (command == "--help" || command == "-h" || command == "help") {
        std::cout << kUsage;
        return kExitOk;
    }
    if (command == "--version") {
        std::cout << "iommu-vp " << kVersion << '\n';
        return kExitOk;
    }
    if (command == "run") return command_run(args);
    if (command == "validate") return command_validate(args, false);
    if (command == "config") return command_validate(args, true);
    throw UsageError("unknown command '" + command + "'");
}

}  // namespace

int sc_main(int argc, char* argv[]) {
    try {
        return dispatch(argc, argv);
    } catch (const UsageError& e) {
        std::cerr << "iommu-vp: " << e.what() << '\n' << kUsage;
        return kExitUsage;
    }
}

int main(int argc, char* argv[]) {
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    return sc_core::sc_elab_and_sim(argc, argv);
}
