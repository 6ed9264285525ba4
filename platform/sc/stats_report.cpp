#include "platform/sc/stats_report.h"

#include "sw_stack/iommu/iommu.h"
#include "sw_stack/kernel/warn.h"

#include "platform/config/schema.h"
#include "platform/version.h"

#include <cmath>
#include <iomanip>
#include <sstream>

namespace iommu_vp::platform {

using nlohmann::ordered_json;

ordered_json histogram_json(const LatencyHistogram& h) {
    ordered_json out;
    out["count"] = h.count();
    out["min_ps"] = h.min_ps();
    out["mean_ps"] = h.mean_ps();
    out["p50_ps"] = h.quantile_ps(0.50);
    out["p90_ps"] = h.quantile_ps(0.90);
    out["p99_ps"] = h.quantile_ps(0.99);
    out["max_ps"] = h.max_ps();
    ordered_json bins = ordered_json::array();
    h.for_each_bin([&](double lower, double upper, std::uint64_t count) {
        bins.push_back({lower, std::isinf(upper) ? ordered_json(nullptr) : ordered_json(upper), count});
    });
    out["bins"] = std::move(bins);
    return out;
}

namespace {

ordered_json group_json(const StatsGroup& group) {
    ordered_json out;
    ordered_json counters = ordered_json::object();
    for (const Counter& c : group.counters()) counters[c.name] = c.value;
    out["counters"] = std::move(counters);
    ordered_json histograms = ordered_json::object();
    for (const NamedHistogram& h : group.histograms()) histograms[h.name] = histogram_json(h.histogram);
    out["histograms"] = std::move(histograms);
    for (const StatsGroup& child : group.children()) out[child.name()] = group_json(child);
    return out;
}

std::string format_ns(double ps) {
    std::ostringstream os;
    os << std::fixed << std::setprecision(1) << ps / 1000.0;
    return os.str();
}

std::string format_bandwidth(double bytes_per_s) {
    std::ostringstream os;
    os << std::fixed << std::setprecision(2) << bytes_per_s / 1e9 << " GB/s";
    return os.str();
}

std::uint64_t counter(const StatsGroup& g, const char* name) {
    const Counter* c = g.find_counter(name);
    return c ? c->value : 0;
}

// "min / p50 / p90 / p99 / max" in ns.
std::string percentiles(const LatencyHistogram& h) {
    return format_ns(static_cast<double>(h.min_ps())) + " / " + format_ns(h.quantile_ps(0.5)) + " / " +
           format_ns(h.quantile_ps(0.9)) + " / " + format_ns(h.quantile_ps(0.99)) + " / " +
           format_ns(static_cast<double>(h.max_ps()));
}

std::string hit_rate(std::uint64_t hits, std::uint64_t misses) {
    if (hits + misses == 0) return "-";
    std::ostringstream os;
    os << std::fixed << std::setprecision(1) << 100.0 * static_cast<double>(hits) / static_cast<double>(hits + misses)
       << "%";
    return os.str();
}

std::string per_walk(std::uint64_t fetches, std::uint64_t walks) {
    if (walks == 0) return "-";
    std::ostringstream os;
    os << std::fixed << std::setprecision(2) << static_cast<double>(fetches) / static_cast<double>(walks);
    return os.str();
}

// What each IOMMU kind calls the caches behind the shared counters (models/common/translation_stats.h).
struct TranslationNames {
    const char* kind;          // "smmuv3"
    const char* tlb;           // what tlb_hits count
    const char* config_cache;  // what config_cache_hits count
};
constexpr TranslationNames kSmmuv3Names{"smmuv3", "TLB", "configuration cache"};
constexpr TranslationNames kVtdNames{"vtd", "IOTLB", "context/PASID cache"};

// An IOMMU's line: translations, faults, cache hit rates, walks; then its translation latency.
void print_translation_summary(std::ostream& out, const StatsGroup& s, const TranslationNames& names) {
    out << names.kind << ' ' << s.name() << ": " << counter(s, "translated") << " translated, " << counter(s, "faults")
        << " faults, " << names.tlb << " hits " << hit_rate(counter(s, "tlb_hits"), counter(s, "tlb_misses")) << ", "
        << names.config_cache << " hits "
        << hit_rate(counter(s, "config_cache_hits"), counter(s, "config_cache_misses")) << ", walk cache hits "
        << hit_rate(counter(s, "walk_cache_hits"), counter(s, "walk_cache_misses")) << ", " << counter(s, "walks")
        << " walks, " << per_walk(counter(s, "descriptor_fetches"), counter(s, "walks")) << " descriptor reads a walk\n";
    if (const LatencyHistogram* h = s.find_histogram("translation_latency"); h && h->count())
        out << "  translation latency ns: min / p50 / p90 / p99 / max  " << percentiles(*h) << '\n';
}

// The kernel runtime's findings: reports by kind (lock inversions, deadlocks, hangs, warnings, ...)
// and named warnings by name, with the runtime's seed that replays the run.
ordered_json software_json(const kernel::Runtime& runtime) {
    ordered_json reports = ordered_json::object();
    for (const kernel::RuntimeReport& r : runtime.reports()) {
        if (!reports.contains(r.kind)) reports[r.kind] = 0;
        reports[r.kind] = reports[r.kind].get<std::uint64_t>() + 1;
    }
    ordered_json warnings = ordered_json::object();
    for (const auto& [name, count] : kernel::warning_counts()) warnings[name] = count;
    ordered_json out = {{"seed", runtime.params().seed}, {"reports", reports}, {"warnings", warnings}};
    if (ordered_json core = iommu_core_json(); !core.is_null()) out["iommu_core"] = core;
    return out;
}

}  // namespace

ordered_json iommu_core_json() {
    if (!iommu::iommu_subsys_initialised()) return nullptr;
    const iommu::FaultCounts& f = iommu::iommu_fault_counts();
    return {{"faults",
             {{"unrecoverable", f.unrecoverable},
              {"handled_by_domain", f.handled_by_domain},
              {"handled_by_device", f.handled_by_device},
              {"unhandled", f.unhandled},
              {"page_requests", f.page_requests},
              {"page_groups_delivered", f.page_groups_delivered},
              {"page_responses", f.page_responses}}}};
}

ordered_json stats_json(const Platform& platform, const RunSummary& run) {
    ordered_json out;
    out["schema_version"] = kStatsSchemaVersion;
    out["program"] = "iommu-vp";
    out["version"] = kVersion;
    out["config_file"] = run.config_file;
    out["seed"] = run.seed;
    out["config"] = run.effective_config;
    out["simulated_time_ps"] = static_cast<std::uint64_t>(run.simulated_time.value());
    out["script"] = {{"commands", run.script_commands}, {"failures", run.script_failures}};
    ordered_json components = ordered_json::object();
    for (const StatsSource* source : platform.stats_sources()) {
        ordered_json component = group_json(source->stats());
        if (const auto* master = dynamic_cast<const TrafficMaster*>(source))
            component["bandwidth_bytes_per_s"] = master->bandwidth_bytes_per_second();
        components[source->stats().name()] = std::move(component);
    }
    out["components"] = std::move(components);
    if (const kernel::Runtime* runtime = platform.runtime()) out["software"] = software_json(*runtime);
    return out;
}

void print_summary(std::ostream& out, const Platform& platform, const RunSummary& run) {
    out << "iommu-vp " << kVersion << ": " << run.config_file << " (seed " << run.seed << ")\n";
    out << "simulated time: " << format_ns(static_cast<double>(run.simulated_time.value())) << " ns\n";
    if (!platform.masters().empty()) {
        out << std::left << std::setw(12) << "master" << std::right << std::setw(12) << "transactions" << std::setw(8)
            << "errors" << std::setw(14) << "bandwidth" << "   latency ns: min / p50 / p90 / p99 / max\n";
        for (const auto& master : platform.masters()) {
            const StatsGroup& s = master->stats();
            const LatencyHistogram& h = master->latency();
            const std::uint64_t errors = counter(s, "transactions") - counter(s, "response_ok");
            out << std::left << std::setw(12) << s.name() << std::right << std::setw(12) << counter(s, "transactions")
                << std::setw(8) << errors << std::setw(14) << format_bandwidth(master->bandwidth_bytes_per_second())
                << "   " << percentiles(h) << '\n';
        }
        // ATS endpoints: how much translation their own caches took off the IOMMU.
        for (const auto& master : platform.masters()) {
            const StatsGroup& s = master->stats();
            if (!s.find_counter("atc_lookups")) continue;
            out << "  " << s.name() << " ATS: ATC hits " << hit_rate(counter(s, "atc_hits"), counter(s, "atc_misses"))
                << ", " << counter(s, "translation_requests") << " translation requests, "
                << counter(s, "translation_failures") << " without translation, " << counter(s, "page_requests")
                << " page requests, " << counter(s, "invalidations_completed") << " invalidations completed\n";
        }
    }
    for (const auto& smmu : platform.smmus()) print_translation_summary(out, smmu->stats(), kSmmuv3Names);
    for (const auto& unit : platform.vtds()) print_translation_summary(out, unit->stats(), kVtdNames);
    if (const kernel::Runtime* runtime = platform.runtime()) {
        out << "software: " << runtime->reports().size() << " reports";
        const ordered_json software = software_json(*runtime);  // kept: the loop iterates inside it
        for (const auto& [kind, count] : software["reports"].items()) out << ", " << count << ' ' << kind;
        out << " (seed " << runtime->params().seed << ")\n";
    }
    for (const auto& memory : platform.memories()) {
        const StatsGroup& s = memory->stats();
        out << "memory " << s.name() << ": " << counter(s, "reads") << " reads, " << counter(s, "writes") << " writes, "
            << counter(s, "bytes_read") << " bytes read, " << counter(s, "bytes_written") << " bytes written\n";
    }
    if (run.script_commands)
        out << "script: " << run.script_commands << " commands, " << run.script_failures.size() << " failed\n";
}

}  // namespace iommu_vp::platform
