#include "platform/sc/platform_config.h"

#include "models/common/random.h"

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
    p.stream_id = m["stream_id"];
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
    return master;
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
    const sc_core::sc_time jitter = nanoseconds(cfg["simulation"]["timing_jitter_ns"]);
    for (const auto& [name, m] : cfg["masters"].items())
        platform.masters.push_back(make_master(config, name, m, seed, jitter));
    return platform;
}

}  // namespace iommu_vp::platform
