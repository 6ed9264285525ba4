#include "sw_stack/iommu/options.h"

#include <variant>

namespace iommu_vp::iommu {
namespace {

using BoolField = bool CoreOptions::*;
using CountField = unsigned CoreOptions::*;

struct OptionRow {
    CoreOptionInfo info;
    std::variant<BoolField, CountField> field;
};

const std::vector<OptionRow>& rows() {
    static const std::vector<OptionRow> table = {
        {{"passthrough", "default domains are IDENTITY (also iommu.passthrough=); default 0"},
         &CoreOptions::passthrough},
        {{"strict", "DMA domains invalidate before unmap returns; 0 selects lazy flush queues (also iommu.strict=); "
                    "default 1, as Linux on Arm"},
         &CoreOptions::strict},
        {{"fq_size", "entries of each per-CPU flush queue; default 256 (Linux IOVA_DEFAULT_FQ_SIZE)"},
         &CoreOptions::fq_size},
        {{"fq_timeout_ms", "flush-queue timer in ms of simulated time; default 10 (Linux IOVA_DEFAULT_FQ_TIMEOUT)"},
         &CoreOptions::fq_timeout_ms},
        {{"linux_faithful_walk", "the bus walk skips firmware parsing for a device whose driver pointer is set "
                                 "(Linux; S3c); default 0: the walk always parses firmware"},
         &CoreOptions::linux_faithful_walk},
        {{"bug_eager_attach", "bug (S1a): attach at probe although the driver defers it"},
         &CoreOptions::bug_eager_attach},
        {{"bug_no_lazy_attach", "bug (S1b): the DMA API never performs a deferred attach"},
         &CoreOptions::bug_no_lazy_attach},
        {{"bug_defer_every_domain", "bug (S1c): deferral applies to every domain, not only the default"},
         &CoreOptions::bug_defer_every_domain},
        {{"bug_release_touches_deferred", "bug (S1d): release attaches release_domain while attach is deferred"},
         &CoreOptions::bug_release_touches_deferred},
        {{"bug_deferred_attach_ignores_reset", "bug (S1e): the lazy attach does not refuse a device blocked for reset"},
         &CoreOptions::bug_deferred_attach_ignores_reset},
        {{"bug_probe_takes_device_lock", "bug (S2): probe and the bus walk take device_lock (the dropped 2023 scheme)"},
         &CoreOptions::bug_probe_takes_device_lock},
        {{"bug_no_ready_flag", "bug (S3a): iommu_fwspec_init ignores the instance's ready flag"},
         &CoreOptions::bug_no_ready_flag},
        {{"bug_use_default_no_defer", "bug (S3b): use-default-domain succeeds before the default domain exists"},
         &CoreOptions::bug_use_default_no_defer},
        {{"bug_no_relock_check", "bug (S3d): no 'someone else finished' check after re-taking the probe lock"},
         &CoreOptions::bug_no_relock_check},
        {{"bug_cancel_quarantine_under_lock", "bug (S4a): the quarantine work is cancelled under group->mutex"},
         &CoreOptions::bug_cancel_quarantine_under_lock},
        {{"bug_recovery_fence_blocks_nofail", "bug (S4c): the recovery fence rejects MUST_SUCCEED domain switches"},
         &CoreOptions::bug_recovery_fence_blocks_nofail},
        {{"bug_quarantine_moves_domain", "bug (S4b variant): quarantine moves group->domain to the blocking domain"},
         &CoreOptions::bug_quarantine_moves_domain},
    };
    return table;
}

// Reads one parameter into `options` when the command line has it; a malformed value is an error.
void read_option(const kernel::CommandLine& cmdline, const std::string& parameter, const OptionRow& row,
                 CoreOptions& options, std::vector<std::string>* errors) {
    if (!cmdline.has(parameter)) return;
    std::string error;
    if (const auto* flag = std::get_if<BoolField>(&row.field)) {
        if (const auto value = cmdline.boolean(parameter, &error)) options.*(*flag) = *value;
    } else {
        const auto value = cmdline.integer(parameter, &error);
        if (value && (*value < 1 || static_cast<std::uint64_t>(*value) > kCoreOptionCountMax))
            error = parameter + "=" + std::to_string(*value) + ": expected 1 to " + std::to_string(kCoreOptionCountMax);
        else if (value)
            options.*std::get<CountField>(row.field) = static_cast<unsigned>(*value);
    }
    if (!error.empty() && errors) errors->push_back(error);
}

}  // namespace

const std::vector<CoreOptionInfo>& core_option_table() {
    static const std::vector<CoreOptionInfo> table = [] {
        std::vector<CoreOptionInfo> infos;
        const CoreOptions defaults;
        for (const OptionRow& row : rows()) {
            CoreOptionInfo info = row.info;
            if (const auto* flag = std::get_if<BoolField>(&row.field)) {
                info.default_value = defaults.*(*flag) ? 1 : 0;
            } else {
                info.flag = false;
                info.default_value = defaults.*std::get<CountField>(row.field);
            }
            infos.push_back(info);
        }
        return infos;
    }();
    return table;
}

CoreOptions parse_core_options(const kernel::CommandLine& cmdline, std::vector<std::string>* errors) {
    CoreOptions options;
    // Linux's own spellings first, so that sw.core.* given on the same line wins.
    for (const OptionRow& row : rows()) {
        const std::string name = row.info.name;
        if (name == "passthrough" || name == "strict") read_option(cmdline, "iommu." + name, row, options, errors);
    }
    for (const OptionRow& row : rows()) read_option(cmdline, std::string("sw.core.") + row.info.name, row, options, errors);
    const std::string prefix = "sw.core.";
    for (const std::string& name : cmdline.names()) {
        if (name.compare(0, prefix.size(), prefix) != 0) continue;
        bool known = false;
        for (const OptionRow& row : rows()) {
            // The command line treats '-' and '_' alike; so does the look-up through has().
            if (cmdline.has(prefix + row.info.name) && kernel::CommandLine::parse(name).has(prefix + row.info.name))
                known = true;
        }
        if (!known && errors) errors->push_back(name + ": unknown option of the IOMMU core (see sw.core.* in the README)");
    }
    return options;
}

}  // namespace iommu_vp::iommu
