#include "platform/sc/platform_config.h"

#include "models/common/random.h"
#include "platform/config/vtd_features.h"
#include "platform/tables/smmuv3_tables_config.h"
#include "platform/tables/vtd_tables_config.h"
#include "sw_stack/iommu/options.h"

namespace iommu_vp::platform {

using nlohmann::ordered_json;

sc_core::sc_time nanoseconds(double ns) { return sc_core::sc_time(ns, sc_core::SC_NS); }

namespace {

MemoryConfig make_memory(const std::string& name, const ordered_json& m) {
    MemoryConfig memory;
    memory.name = name;
    memory.base = m["base"];
    memory.params.size_bytes = m["size"];
    memory.params.read_latency = nanoseconds(m["read_latency_ns"]);
    memory.params.write_latency = nanoseconds(m["write_latency_ns"]);
    memory.params.bandwidth_bytes_per_ns = m["bandwidth_gbps"];
    memory.params.dmi_enabled = m["dmi"];
    return memory;
}

int irq_line(const ordered_json& value) { return value.is_null() ? -1 : value.get<int>(); }

CacheGeometry cache_geometry(const ordered_json& c) {
    CacheGeometry g;
    g.sets = c["sets"];
    g.ways = c["ways"];
    g.replacement = c["replacement"] == "random" ? ReplacementPolicy::random : ReplacementPolicy::lru;
    return g;
}

// A socket for each master behind an IOMMU; at least one, so an IOMMU with no master still elaborates.
unsigned upstream_ports(std::size_t masters_behind) {
    return static_cast<unsigned>(masters_behind == 0 ? 1 : masters_behind);
}

Smmuv3Config make_smmuv3(const std::string& name, const ordered_json& s, std::size_t masters_behind,
                         std::uint64_t seed) {
    Smmuv3Config smmu;
    smmu.name = name;
    smmu.base = s["base"];
    smmuv3::Features& f = smmu.params.features;
    f.stage1 = s["stage1"];
    f.stage2 = s["stage2"];
    f.sid_bits = s["sid_bits"];
    f.ssid_bits = s["ssid_bits"];
    f.oas_bits = s["oas_bits"];
    f.granule_4k = s["granule_4k"];
    f.granule_16k = s["granule_16k"];
    f.granule_64k = s["granule_64k"];
    f.two_level_stream_table = s["two_level_stream_table"];
    f.two_level_cd = s["two_level_cd"];
    f.msi = s["msi"];
    f.asid16 = s["asid16"];
    f.vmid16 = s["vmid16"];
    f.cmdq_log2_entries = s["cmdq_log2_entries"];
    f.evtq_log2_entries = s["evtq_log2_entries"];
    f.hyp = s["hyp"];
    f.httu = s["httu"];
    const std::string stall = s["stall_model"];
    f.stall_model = stall == "stall_and_terminate" ? smmuv3::StallModel::stall_and_terminate
                    : stall == "stall_forced"     ? smmuv3::StallModel::stall_forced
                                                  : smmuv3::StallModel::terminate_only;
    smmu.params.max_stalled_transactions = s["max_stalled_transactions"];
    f.range_invalidation = s["range_invalidation"];
    smmu.params.identity.arch_minor = s["arch_minor"];
    f.ats = s["ats"];
    f.pri = s["pri"];
    f.priq_log2_entries = s["priq_log2_entries"];
    smmu.params.atc_invalidation_timeout = nanoseconds(s["atc_invalidation_timeout_ns"]);
    smmu.params.page_request_latency = nanoseconds(s["page_request_latency_ns"]);
    smmu.params.gbpa_abort_at_reset = s["gbpa_abort_at_reset"];
    smmu.params.register_latency = nanoseconds(s["register_latency_ns"]);
    smmu.params.acknowledge_latency = nanoseconds(s["acknowledge_latency_ns"]);
    smmu.params.command_latency = nanoseconds(s["command_latency_ns"]);
    smmu.params.tlb_lookup_latency = nanoseconds(s["tlb_lookup_latency_ns"]);
    smmu.params.config_hit_latency = nanoseconds(s["config_hit_latency_ns"]);
    smmu.params.walk_step_latency = nanoseconds(s["walk_step_latency_ns"]);
    smmu.params.page_table_walkers = s["page_table_walkers"];
    smmu.params.caches.tlb = cache_geometry(s["tlb"]);
    smmu.params.caches.ste = cache_geometry(s["ste_cache"]);
    smmu.params.caches.cd = cache_geometry(s["cd_cache"]);
    smmu.params.caches.walk = cache_geometry(s["walk_cache"]);
    smmu.params.cache_seed = stream_seed(seed, "replacement." + name);
    smmu.params.upstream_ports = upstream_ports(masters_behind);
    smmu.evtq_irq_line = irq_line(s["evtq_irq_line"]);
    smmu.gerror_irq_line = irq_line(s["gerror_irq_line"]);
    smmu.cmd_sync_irq_line = irq_line(s["cmd_sync_irq_line"]);
    smmu.priq_irq_line = irq_line(s["priq_irq_line"]);
    if (const std::optional<TablesSpec> spec = smmuv3_tables_spec(s)) smmu.tables = build_smmuv3_tables(*spec);
    return smmu;
}

VtdConfig make_vtd(const std::string& name, const ordered_json& v, std::size_t masters_behind, std::uint64_t seed) {
    VtdConfig unit;
    unit.name = name;
    unit.base = v["base"];
    VtdParams& p = unit.params;
    p.features = vtd_features(v);
    p.upstream_ports = upstream_ports(masters_behind);
    p.register_latency = nanoseconds(v["register_latency_ns"]);
    p.status_latency = nanoseconds(v["status_latency_ns"]);
    p.register_invalidation_latency = nanoseconds(v["register_invalidation_latency_ns"]);
    p.descriptor_latency = nanoseconds(v["descriptor_latency_ns"]);
    p.caches.context = cache_geometry(v["context_cache"]);
    p.caches.pasid = cache_geometry(v["pasid_cache"]);
    p.caches.iotlb = cache_geometry(v["iotlb"]);
    p.caches.paging_structure = cache_geometry(v["paging_structure_cache"]);
    p.cache_seed = stream_seed(seed, "replacement." + name);
    p.cache_faults_in_caching_mode = v["cache_faults_in_caching_mode"];
    p.iotlb_lookup_latency = nanoseconds(v["iotlb_lookup_latency_ns"]);
    p.config_hit_latency = nanoseconds(v["config_hit_latency_ns"]);
    p.walk_step_latency = nanoseconds(v["walk_step_latency_ns"]);
    p.page_table_walkers = v["page_table_walkers"];
    p.device_tlb_invalidation_timeout = nanoseconds(v["device_tlb_invalidation_timeout_ns"]);
    p.page_request_latency = nanoseconds(v["page_request_latency_ns"]);
    if (const std::optional<VtdTablesSpec> spec = vtd_tables_spec(v)) unit.tables = build_vtd_tables(*spec);
    return unit;
}

std::size_t masters_behind(const ordered_json& cfg, const std::string& iommu) {
    std::size_t behind = 0;
    for (const auto& [name, m] : cfg["masters"].items()) behind += m["port"] == iommu ? 1 : 0;
    return behind;
}

TrafficPatternParams make_pattern(const ordered_json& m) {
    TrafficPatternParams pattern;
    parse_access_pattern(m["pattern"].get<std::string>(), pattern.pattern);
    pattern.base = m["base"];
    pattern.window_bytes = m["window"];
    pattern.stride_bytes = m["stride"];
    pattern.transaction_bytes = m["size"];
    pattern.read_fraction = m["read_fraction"];
    pattern.allow_4k_crossing = m["allow_4k_crossing"];
    return pattern;
}

MasterConfig make_master(const LoadedConfig& config, const std::string& name, const ordered_json& m,
                         std::uint64_t seed, sc_core::sc_time timing_jitter) {
    MasterConfig master;
    master.name = name;
    master.port = m["port"];
    TrafficMasterParams& p = master.params;
    p.stream_id = m["stream_id"];  // validation wrote a `requester` here too
    p.has_pasid = !m["pasid"].is_null();
    p.pasid = p.has_pasid ? m["pasid"].get<std::uint32_t>() : 0;
    p.privileged = m["privileged"];
    p.instruction = m["instruction"];
    p.pattern = make_pattern(m);
    auto trace = config.traces.find(name);
    if (trace != config.traces.end()) p.trace = trace->second;
    p.count = m["count"];
    p.duration = nanoseconds(m["duration_ns"]);
    p.start_time = nanoseconds(m["start_ns"]);
    p.think_time = nanoseconds(m["think_time_ns"]);
    p.outstanding = m["outstanding"];
    p.use_dmi = m["use_dmi"];
    p.enabled = m["enabled"];
    p.seed = stream_seed(seed, "traffic." + name);
    p.timing_jitter = timing_jitter;
    p.jitter_seed = stream_seed(seed, "jitter." + name);
    if (const ordered_json& ats = m["ats"]; ats["enabled"]) {
        AtsEndpointParams a;
        a.cache = cache_geometry(ats["cache"]);
        a.lookup_cost = nanoseconds(ats["lookup_ns"]);
        a.invalidation_latency = nanoseconds(ats["invalidation_latency_ns"]);
        a.ignore_invalidations = ats["ignore_invalidations"];
        a.pri_enabled = ats["pri"];
        a.seed = stream_seed(seed, "atc." + name);
        p.ats = a;
    }
    return master;
}

SoftwareConfig make_software(const ordered_json& s, std::uint64_t seed) {
    SoftwareConfig software;
    software.cpu.mmio_cost = nanoseconds(s["mmio_cost_ns"]);
    software.cpu.memory_cost = nanoseconds(s["memory_cost_ns"]);
    kernel::RuntimeParams& r = software.runtime;
    r.cpus = s["cpus"];
    r.seed = stream_seed(seed, "software");
    r.ordering = s["ordering"] == "checking" ? kernel::OrderingMode::checking : kernel::OrderingMode::program_order;
    r.release_per_line = nanoseconds(s["release_per_line_ns"]);
    r.watchdog = nanoseconds(s["watchdog_ns"]);
    r.mmio_jitter = nanoseconds(s["mmio_jitter_ns"]);
    r.start_jitter = nanoseconds(s["start_jitter_ns"]);
    if (!s["dma_window_base"].is_null()) {
        r.dma_window_base = s["dma_window_base"];
        r.dma_window_size = s["dma_window_size"];
    }
    // The core's options first, only where they differ from the default; the command line after them wins.
    std::string line;
    for (const iommu::CoreOptionInfo& option : iommu::core_option_table()) {
        const ordered_json& value = s["core"][option.name];
        const std::uint64_t setting = value.is_boolean() ? (value.get<bool>() ? 1 : 0) : value.get<std::uint64_t>();
        if (setting != option.default_value) line += std::string("sw.core.") + option.name + "=" + std::to_string(setting) + " ";
    }
    r.command_line = line + s["command_line"].get<std::string>();
    return software;
}

}  // namespace

PlatformConfig make_platform_config(const LoadedConfig& config, std::uint64_t seed) {
    const ordered_json& cfg = config.effective;
    PlatformConfig platform;
    platform.quantum = nanoseconds(cfg["simulation"]["quantum_ns"]);
    platform.max_time = nanoseconds(cfg["simulation"]["max_time_ns"]);
    platform.seed = seed;
    platform.hop_latency = nanoseconds(cfg["bus"]["hop_latency_ns"]);
    platform.script_poll_interval = nanoseconds(cfg["simulation"]["script_poll_interval_ns"]);
    for (const auto& [name, m] : cfg["memories"].items()) platform.memories.push_back(make_memory(name, m));
    const ordered_json& irq = cfg["interrupts"];
    platform.interrupts.doorbell_base = irq["msi_doorbell_base"];
    platform.interrupts.params.lines = irq["lines"];
    platform.interrupts.params.doorbell_size = irq["msi_doorbell_size"];
    platform.interrupts.params.delivery_latency = nanoseconds(irq["delivery_latency_ns"]);
    for (const auto& [name, s] : cfg["smmuv3"].items())
        platform.smmus.push_back(make_smmuv3(name, s, masters_behind(cfg, name), seed));
    for (const auto& [name, v] : cfg["vtd"].items())
        platform.vtds.push_back(make_vtd(name, v, masters_behind(cfg, name), seed));
    const sc_core::sc_time jitter = nanoseconds(cfg["simulation"]["timing_jitter_ns"]);
    for (const auto& [name, m] : cfg["masters"].items())
        platform.masters.push_back(make_master(config, name, m, seed, jitter));
    if (cfg["software"]["enabled"]) platform.software = make_software(cfg["software"], seed);
    return platform;
}

}  // namespace iommu_vp::platform
