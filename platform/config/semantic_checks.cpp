#include "platform/config/semantic_checks.h"

#include "models/smmuv3/features.h"
#include "models/smmuv3/registers.h"
#include "models/vtd/registers.h"
#include "platform/config/pci_requester.h"
#include "platform/config/vtd_checks.h"
#include "platform/io/trace_file.h"
#include "platform/tables/smmuv3_tables_config.h"

#include <algorithm>
#include <map>
#include <sstream>

namespace iommu_vp::platform {
namespace {

using nlohmann::ordered_json;

struct Window {
    std::string what;
    std::string path;  // of the key that placed it
    std::uint64_t base;
    std::uint64_t size;
};

std::string hex(std::uint64_t v) {
    std::ostringstream os;
    os << "0x" << std::hex << v;
    return os.str();
}

std::string span(const Window& w) { return "[" + hex(w.base) + ", " + hex(w.base + w.size - 1) + "]"; }

// Reports each window that overlaps one before it in address order (the one reaching furthest).
void report_overlaps(LoadResult& result, std::vector<Window> windows) {
    std::sort(windows.begin(), windows.end(), [](const Window& a, const Window& b) { return a.base < b.base; });
    const Window* furthest = nullptr;
    for (const Window& w : windows) {
        if (furthest && furthest->base + furthest->size > w.base)
            result.errors.push_back({result.config.location_of(w.path), w.what + " " + span(w) + " overlaps " +
                                                                            furthest->what + " " + span(*furthest)});
        if (!furthest || w.base + w.size > furthest->base + furthest->size) furthest = &w;
    }
}

void check_address_map(LoadResult& result) {
    const ordered_json& cfg = result.config.effective;
    std::vector<Window> windows;
    for (const auto& [name, memory] : cfg["memories"].items())
        windows.push_back({"memory '" + name + "'", "memories." + name + ".base", memory["base"], memory["size"]});
    const ordered_json& irq = cfg["interrupts"];
    windows.push_back({"the MSI doorbell", "interrupts.msi_doorbell_base", irq["msi_doorbell_base"], irq["msi_doorbell_size"]});
    for (const auto& [name, smmu] : cfg["smmuv3"].items())
        windows.push_back({"SMMUv3 '" + name + "' registers", "smmuv3." + name + ".base", smmu["base"],
                           smmuv3::kRegisterSpaceBytes});
    for (const auto& [name, unit] : cfg["vtd"].items())
        windows.push_back({"VT-d '" + name + "' registers", "vtd." + name + ".base", unit["base"],
                           vtd::kRegisterSpaceBytes});

    constexpr std::uint64_t kAddressSpace = std::uint64_t{1} << 52;
    for (const Window& w : windows)
        if (w.size > kAddressSpace || w.base > kAddressSpace - w.size)
            result.errors.push_back({result.config.location_of(w.path), w.what + " " + span(w) +
                                                                            " ends beyond the 52-bit address space"});
    report_overlaps(result, std::move(windows));
}

// Two IOMMUs' built tables in one place would overwrite each other.
void check_table_regions(LoadResult& result) {
    std::vector<Window> regions;
    for (const auto& [section, kind] : {std::pair{"smmuv3", "SMMUv3"}, std::pair{"vtd", "VT-d"}})
        for (const auto& [name, iommu] : result.config.effective[section].items()) {
            const ordered_json& tables = iommu["tables"];
            if (tables["region_base"].is_null()) continue;
            regions.push_back({"the tables of " + std::string(kind) + " '" + name + "'",
                               std::string(section) + "." + name + ".tables.region_base", tables["region_base"],
                               tables["region_size"]});
        }
    report_overlaps(result, std::move(regions));
}

// An SMMUv3's output address size is one of the IDR5.OAS sizes, and its interrupt outputs drive
// distinct lines of the interrupt controller.
void check_smmuv3(LoadResult& result, std::vector<std::pair<std::uint64_t, std::string>>& lines_used,
                  const std::string& name, const ordered_json& smmu) {
    const std::string path = "smmuv3." + name;
    const unsigned oas = smmu["oas_bits"];
    if (smmuv3::address_size_bits(smmuv3::address_size_encoding(oas)) != oas)
        result.errors.push_back({result.config.location_of(path + ".oas_bits"),
                                 "value " + std::to_string(oas) +
                                     " is not an SMMUv3 output size (allowed: 32, 36, 40, 42, 44, 48, 52)"});
    if (smmu["hyp"].get<bool>() && !(smmu["stage1"].get<bool>() && smmu["stage2"].get<bool>()))
        result.errors.push_back({result.config.location_of(path + ".hyp"),
                                 "EL2 regimes need both stages (IDR0.HYP is RES0 otherwise): set stage1 and stage2"});
    if (smmu["pri"].get<bool>() && !smmu["ats"].get<bool>())
        result.errors.push_back({result.config.location_of(path + ".pri"), "PRI needs ATS: set ats too"});
    for (const auto& [stream, s] : smmu["tables"]["streams"].items())
        if (s["ats"].get<bool>() && !smmu["ats"].get<bool>())
            result.errors.push_back({result.config.location_of(path + ".tables.streams." + stream + ".ats"),
                                     "stream '" + stream + "' uses ATS but the SMMU does not implement it (ats)"});
    // Tables: inside one memory, and buildable (the builder reports what it cannot do).
    if (const std::optional<TablesSpec> tables = smmuv3_tables_spec(smmu)) {
        if (!inside_one_memory(result.config.effective, tables->region_base, tables->region_size))
            result.errors.push_back({result.config.location_of(path + ".tables.region_base"),
                                     "the tables' region does not lie inside one memory"});
        else if (const BuiltTables built = build_smmuv3_tables(*tables); !built.error.empty())
            result.errors.push_back({result.config.location_of(path + ".tables"), built.error});
    }
    const std::uint64_t line_count = result.config.effective["interrupts"]["lines"];
    for (const char* key : {"evtq_irq_line", "gerror_irq_line", "cmd_sync_irq_line", "priq_irq_line"}) {
        if (smmu[key].is_null()) continue;
        const std::uint64_t line = smmu[key];
        const std::string key_path = path + "." + key;
        if (line >= line_count) {
            result.errors.push_back({result.config.location_of(key_path),
                                     "line " + std::to_string(line) + " does not exist (the interrupt controller has " +
                                         std::to_string(line_count) + " lines: interrupts.lines)"});
            continue;
        }
        for (const auto& [used, by] : lines_used)
            if (used == line)
                result.errors.push_back({result.config.location_of(key_path),
                                         "line " + std::to_string(line) + " is already driven by " + by});
        lines_used.emplace_back(line, key_path);
    }
}

// IOMMUs are named by masters' ports: one name space for every kind, without the bus's name.
void check_iommu_names(LoadResult& result) {
    std::map<std::string, std::string> seen;  // name -> its section
    for (const char* section : {"smmuv3", "vtd"})
        for (const auto& [name, iommu] : result.config.effective[section].items()) {
            const std::string path = std::string(section) + "." + name;
            if (name == "bus")
                result.errors.push_back({result.config.location_of(path), "an IOMMU may not be named 'bus' (the name "
                                                                          "masters use for the bus itself)"});
            else if (const auto [it, fresh] = seen.emplace(name, section); !fresh)
                result.errors.push_back({result.config.location_of(path), "the name '" + name + "' is also " +
                                                                              it->second + "." + name + "'s"});
        }
}

// A master's requester ID is another spelling of its stream_id: the effective configuration
// carries the number in stream_id too (so it can be read back as it is printed). Given both, they
// must agree. Behind a VT-d unit the stream ID is a 16-bit source-id.
void settle_master_requester(LoadResult& result, const std::string& name, ordered_json& master) {
    const std::string path = "masters." + name;
    auto report = [&](const std::string& key, const std::string& message) {
        result.errors.push_back({result.config.location_of(path + "." + key), "master '" + name + "' " + message});
    };
    if (!master["requester"].is_null()) {
        const std::string text = master["requester"];
        std::uint16_t id = 0;
        std::string error;
        if (!parse_requester_id(text, id, error)) {
            report("requester", "requester " + error);
            return;
        }
        if (result.config.locations.count(path + ".stream_id") && master["stream_id"] != id)
            report("requester", "requester " + text + " (" + hex(id) + ") differs from its stream_id " +
                                    hex(master["stream_id"]) + ": give one of them");
        master["stream_id"] = id;
        return;
    }
    const std::string port = master["port"];
    if (result.config.effective["vtd"].contains(port) && master["stream_id"].get<std::uint64_t>() > 0xffff)
        report("stream_id", "is behind VT-d unit '" + port + "': its stream_id is a 16-bit requester ID (at most 0xffff)");
}

void check_master(LoadResult& result, const std::string& name, const ordered_json& master) {
    const std::string path = "masters." + name;
    auto report = [&](const std::string& key, const std::string& message) {
        result.errors.push_back({result.config.location_of(path + "." + key), "master '" + name + "' " + message});
    };
    if (master["ats"]["enabled"].get<bool>()) {
        const std::string port = master["port"];
        const ordered_json& smmus = result.config.effective["smmuv3"];
        const ordered_json& units = result.config.effective["vtd"];
        if (!smmus.contains(port) && !units.contains(port))
            report("ats.enabled", "is an ATS endpoint but its port '" + port +
                                      "' is not an SMMUv3 or VT-d unit: translation requests need an IOMMU");
        else if (smmus.contains(port) && !smmus[port]["ats"].get<bool>())
            report("ats.enabled", "is an ATS endpoint behind SMMUv3 '" + port + "', which does not implement ATS (ats)");
        else if (units.contains(port) && !units[port]["device_tlb"].get<bool>())
            report("ats.enabled",
                   "is an ATS endpoint behind VT-d unit '" + port + "', which has no device TLB (device_tlb)");
        if (master["use_dmi"].get<bool>())
            report("use_dmi", "is an ATS endpoint: its accesses go through its IOMMU, so DMI cannot be used");
    }
    const std::string pattern = master["pattern"];
    const std::uint64_t size = master["size"];
    if (pattern == "trace") {
        const std::string trace = master["trace"];
        if (trace.empty()) {
            report("pattern", "replays a trace but names no trace file (set trace)");
            return;
        }
        const std::string file = trace.front() == '/' ? trace : result.config.directory + "/" + trace;
        TraceParseResult parsed = parse_trace_file(file, master["allow_4k_crossing"]);
        result.errors.insert(result.errors.end(), parsed.errors.begin(), parsed.errors.end());
        result.config.traces[name] = std::move(parsed.records);
        return;
    }
    if (!master["enabled"].get<bool>()) return;
    if (master["count"] == 0 && master["duration_ns"] == 0.0)
        report("count", "has no end: set count or duration_ns");
    if (size > master["window"].get<std::uint64_t>())
        report("size", "transactions (" + std::to_string(size) + " bytes) are larger than its window");
    if (pattern == "strided" && master["stride"] == 0) report("stride", "uses the strided pattern with a stride of 0");
}

}  // namespace

bool inside_one_memory(const ordered_json& effective, std::uint64_t base, std::uint64_t size) {
    for (const auto& [name, memory] : effective["memories"].items()) {
        const std::uint64_t memory_base = memory["base"], memory_size = memory["size"];
        if (base >= memory_base && size <= memory_size && base - memory_base <= memory_size - size) return true;
    }
    return false;
}

std::vector<std::string> reference_targets(const ordered_json& config, const std::string& domain) {
    if (domain == "master_port") {
        std::vector<std::string> ports = {"bus"};
        for (const char* section : {"smmuv3", "vtd"})
            for (const auto& [name, iommu] : config[section].items()) ports.push_back(name);
        return ports;
    }
    return {};
}

namespace {

// The software's DMA window lies inside one memory (the allocator hands out RAM).
void check_software(LoadResult& result) {
    const ordered_json& software = result.config.effective["software"];
    if (!software["enabled"] || software["dma_window_base"].is_null()) return;
    if (!inside_one_memory(result.config.effective, software["dma_window_base"], software["dma_window_size"]))
        result.errors.push_back({result.config.location_of("software.dma_window_base"),
                                 "the DMA window (dma_window_base, dma_window_size) does not lie inside one memory"});
}

}  // namespace

void check_semantics(LoadResult& result) {
    check_address_map(result);
    check_iommu_names(result);
    check_table_regions(result);
    std::vector<std::pair<std::uint64_t, std::string>> lines_used;
    for (const auto& [name, smmu] : result.config.effective["smmuv3"].items())
        check_smmuv3(result, lines_used, name, smmu);
    for (const auto& [name, unit] : result.config.effective["vtd"].items()) check_vtd(result, name, unit);
    ordered_json& masters = result.config.effective["masters"];
    for (auto it = masters.begin(); it != masters.end(); ++it) settle_master_requester(result, it.key(), it.value());
    for (const auto& [name, master] : masters.items()) check_master(result, name, master);
    check_software(result);
}

void check_references(LoadResult& result, const std::vector<PendingReference>& references) {
    for (const PendingReference& ref : references) {
        const std::vector<std::string> allowed = reference_targets(result.config.effective, ref.domain);
        if (std::find(allowed.begin(), allowed.end(), ref.target) != allowed.end()) continue;
        std::string list;
        for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
        const std::string suggestion = nearest_key(ref.target, allowed);
        result.errors.push_back({ref.location, "'" + ref.target + "' is not a component that " + ref.path +
                                                   " can name" + (suggestion.empty() ? "" : "; did you mean '" + suggestion + "'?") +
                                                   " (allowed: " + list + ")"});
    }
}

}  // namespace iommu_vp::platform
