#include "platform/sc/platform_top.h"

namespace iommu_vp::platform {

Platform::Platform(sc_core::sc_module_name name, const PlatformConfig& config)
    : sc_module(name), script_socket("script_socket"), config_(config), irq_lines_("irq_line") {
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
    build_smmus();
    wire_interrupt_lines();

    // Masters on the bus take the first upstream ports; masters behind an SMMU take its sockets in
    // configuration order.
    std::size_t bus_port = 0;
    std::vector<unsigned> smmu_port(smmus_.size(), 0);
    for (const MasterConfig& m : config_.masters) {
        TrafficMasterParams params = m.params;
        params.held_at_start = true;
        masters_.push_back(std::make_unique<TrafficMaster>(m.name.c_str(), params));
        TrafficMaster& master = *masters_.back();
        if (m.port == "bus") {
            master.initiator.bind(bus_->upstream[bus_port++]);
            continue;
        }
        for (std::size_t s = 0; s < smmus_.size(); ++s)
            if (config_.smmus[s].name == m.port) master.initiator.bind(smmus_[s]->upstream[smmu_port[s]++]);
    }
    // An SMMU with no master behind it still has its one socket bound, to an idle initiator.
    for (std::size_t s = 0; s < smmus_.size(); ++s)
        if (smmu_port[s] == 0) {
            idle_initiators_.push_back(std::make_unique<tlm_utils::simple_initiator_socket<Platform>>(
                (config_.smmus[s].name + "_idle_initiator").c_str()));
            idle_initiators_.back()->bind(smmus_[s]->upstream[0]);
        }
    script_socket.bind(bus_->upstream[masters_on_bus() + smmus_.size()]);
}

void Platform::build_smmus() {
    const std::size_t first_target = config_.memories.size() + 1;
    const std::size_t first_initiator = masters_on_bus();
    for (std::size_t s = 0; s < config_.smmus.size(); ++s) {
        const Smmuv3Config& c = config_.smmus[s];
        smmus_.push_back(std::make_unique<Smmuv3>(c.name.c_str(), c.params));
        bus_->downstream[first_target + s].bind(smmus_.back()->regs);
        smmus_.back()->downstream.bind(bus_->upstream[first_initiator + s]);
    }
}

void Platform::wire_interrupt_lines() {
    irq_lines_.init(interrupts_->irq_in.size());
    for (std::size_t i = 0; i < interrupts_->irq_in.size(); ++i) interrupts_->irq_in[i].bind(irq_lines_[i]);
    auto connect = [&](sc_core::sc_out<bool>& output, int line) {
        if (line >= 0) {
            output.bind(irq_lines_[static_cast<std::size_t>(line)]);
            return;
        }
        unconnected_outputs_.push_back(std::make_unique<sc_core::sc_signal<bool>>());
        output.bind(*unconnected_outputs_.back());
    };
    for (std::size_t s = 0; s < smmus_.size(); ++s) {
        connect(smmus_[s]->evtq_irq, config_.smmus[s].evtq_irq_line);
        connect(smmus_[s]->gerror_irq, config_.smmus[s].gerror_irq_line);
        connect(smmus_[s]->cmd_sync_irq, config_.smmus[s].cmd_sync_irq_line);
    }
}

std::size_t Platform::masters_on_bus() const {
    std::size_t n = 0;
    for (const MasterConfig& m : config_.masters) n += m.port == "bus" ? 1 : 0;
    return n;
}

RouterParams Platform::router_params() const {
    RouterParams params;
    params.initiator_ports = static_cast<unsigned>(masters_on_bus() + config_.smmus.size() + 1);
    params.target_ports = static_cast<unsigned>(config_.memories.size() + 1 + config_.smmus.size());
    params.hop_latency = config_.hop_latency;
    for (std::size_t i = 0; i < config_.memories.size(); ++i) {
        const MemoryConfig& m = config_.memories[i];
        params.windows.push_back(AddressWindow{m.name, m.base, m.params.size_bytes, static_cast<unsigned>(i), 0});
    }
    params.windows.push_back(AddressWindow{"msi_doorbell", config_.interrupts.doorbell_base,
                                           config_.interrupts.params.doorbell_size,
                                           static_cast<unsigned>(config_.memories.size()), 0});
    for (std::size_t s = 0; s < config_.smmus.size(); ++s)
        params.windows.push_back(AddressWindow{config_.smmus[s].name + "_registers", config_.smmus[s].base,
                                               smmuv3::kRegisterSpaceBytes,
                                               static_cast<unsigned>(config_.memories.size() + 1 + s), 0});
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
    for (const auto& s : smmus_) sources.push_back(s.get());
    for (const auto& m : masters_) sources.push_back(m.get());
    return sources;
}

}  // namespace iommu_vp::platform
