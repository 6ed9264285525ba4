#include "platform/sc/platform_top.h"

namespace iommu_vp::platform {

Platform::Platform(sc_core::sc_module_name name, const PlatformConfig& config)
    : sc_module(name), script_socket("script_socket"), config_(config), idle_irq_lines_("idle_irq_line") {
    bus_ = std::make_unique<Router>("bus", router_params());
    for (std::size_t i = 0; i < config_.memories.size(); ++i) {
        const MemoryConfig& m = config_.memories[i];
        memories_.push_back(std::make_unique<SparseMemory>(m.name.c_str(), m.params));
        bus_->downstream[i].bind(memories_.back()->target);
    }
    interrupts_ = std::make_unique<InterruptController>("interrupts", config_.interrupts.params);
    bus_->downstream[config_.memories.size()].bind(interrupts_->doorbell);
    cpu_interrupts_ = std::make_unique<InterruptRecorder>("cpu");
    interrupts_->cpu.bind(*cpu_interrupts_);
    // Wired lines have no driver yet (IOMMU models bring them); tie them to signals held low.
    idle_irq_lines_.init(interrupts_->irq_in.size());
    for (std::size_t i = 0; i < interrupts_->irq_in.size(); ++i) interrupts_->irq_in[i].bind(idle_irq_lines_[i]);
    for (std::size_t i = 0; i < config_.masters.size(); ++i) {
        TrafficMasterParams params = config_.masters[i].params;
        params.held_at_start = true;
        masters_.push_back(std::make_unique<TrafficMaster>(config_.masters[i].name.c_str(), params));
        masters_.back()->initiator.bind(bus_->upstream[i]);
    }
    script_socket.bind(bus_->upstream[config_.masters.size()]);
}

RouterParams Platform::router_params() const {
    RouterParams params;
    params.initiator_ports = static_cast<unsigned>(config_.masters.size() + 1);
    params.target_ports = static_cast<unsigned>(config_.memories.size() + 1);
    params.hop_latency = config_.hop_latency;
    for (std::size_t i = 0; i < config_.memories.size(); ++i) {
        const MemoryConfig& m = config_.memories[i];
        params.windows.push_back(AddressWindow{m.name, m.base, m.params.size_bytes, static_cast<unsigned>(i), 0});
    }
    params.windows.push_back(AddressWindow{"msi_doorbell", config_.interrupts.doorbell_base,
                                           config_.interrupts.params.doorbell_size,
                                           static_cast<unsigned>(config_.memories.size()), 0});
    return params;
}

TrafficMaster* Platform::find_master(const std::string& name) {
    for (auto& master : masters_)
        if (master->basename() == name) return master.get();
    return nullptr;
}

void Platform::release_masters() {
    for (auto& master : masters_) master->release();
}

bool Platform::masters_done() const {
    for (const auto& master : masters_)
        if (!master->done()) return false;
    return true;
}

void Platform::wait_for_masters() {
    for (auto& master : masters_)
        if (!master->done()) wait(master->done_event());
}

std::vector<const StatsSource*> Platform::stats_sources() const {
    std::vector<const StatsSource*> sources{bus_.get()};
    for (const auto& m : memories_) sources.push_back(m.get());
    sources.push_back(interrupts_.get());
    sources.push_back(cpu_interrupts_.get());
    for (const auto& m : masters_) sources.push_back(m.get());
    return sources;
}

}  // namespace iommu_vp::platform
