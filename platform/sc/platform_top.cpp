#include "platform/sc/platform_top.h"

#include "models/smmuv3/registers.h"
#include "models/vtd/registers.h"
#include "platform/sc/firmware_description.h"
#include "sw_stack/kernel/irq.h"

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
    build_iommus();
    wire_interrupt_lines();

    // Masters on the bus take the first upstream ports; masters behind an IOMMU take its sockets in
    // configuration order.
    std::size_t bus_port = 0;
    for (const MasterConfig& m : config_.masters) {
        TrafficMasterParams params = m.params;
        params.held_at_start = true;
        masters_.push_back(std::make_unique<TrafficMaster>(m.name.c_str(), params));
        if (m.port == "bus")
            masters_.back()->initiator.bind(bus_->upstream[bus_port++]);
        else
            bind_behind_iommu(*masters_.back(), m.port);
    }
    // An IOMMU with no master behind it still has its one socket bound, to an idle initiator.
    for (IommuPorts& iommu : iommus_)
        if (iommu.next_upstream == 0) {
            idle_initiators_.push_back(std::make_unique<tlm_utils::simple_initiator_socket<Platform>>(
                (iommu.name + "_idle_initiator").c_str()));
            idle_initiators_.back()->bind(*iommu.upstream[0]);
        }
    script_socket.bind(bus_->upstream[masters_on_bus() + iommus_.size()]);
    if (config_.software) build_software(masters_on_bus() + iommus_.size() + 1);
}

void Platform::build_software(std::size_t bus_port) {
    cpu_ = std::make_unique<Cpu>("cpu0", config_.software->cpu);
    cpu_->bus.bind(bus_->upstream[bus_port]);
    runtime_ = std::make_unique<kernel::Runtime>(*cpu_, config_.software->runtime);
    firmware_ = describe_firmware(config_);
    runtime_->set_firmware(firmware_);
    cpu_->set_interrupt_receiver(kernel::interrupt_receiver());
    cpu_interrupts_->forward_to(*cpu_);
}

template <typename Iommu>
void Platform::add_iommu(const std::string& name, Iommu& iommu) {
    IommuPorts ports{name, &iommu.regs, {}, &iommu.downstream};
    for (auto& socket : iommu.upstream) ports.upstream.push_back(&socket);
    iommus_.push_back(std::move(ports));
}

// Each IOMMU's register window is a bus target after the memories and the doorbell; its downstream
// socket is a bus initiator after the masters on the bus.
void Platform::build_iommus() {
    for (const Smmuv3Config& c : config_.smmus) {
        smmus_.push_back(std::make_unique<Smmuv3>(c.name.c_str(), c.params));
        add_iommu(c.name, *smmus_.back());
        iommus_.back().ats_endpoints = &smmus_.back()->ats_endpoints;
    }
    for (const VtdConfig& c : config_.vtds) {
        vtds_.push_back(std::make_unique<Vtd>(c.name.c_str(), c.params));
        add_iommu(c.name, *vtds_.back());
        iommus_.back().ats_endpoints = &vtds_.back()->ats_endpoints;
    }
    const std::size_t first_target = config_.memories.size() + 1;
    const std::size_t first_initiator = masters_on_bus();
    for (std::size_t i = 0; i < iommus_.size(); ++i) {
        bus_->downstream[first_target + i].bind(*iommus_[i].regs);
        iommus_[i].downstream->bind(bus_->upstream[first_initiator + i]);
    }
}

void Platform::bind_behind_iommu(TrafficMaster& master, const std::string& iommu_name) {
    for (IommuPorts& iommu : iommus_) {
        if (iommu.name != iommu_name) continue;
        master.initiator.bind(*iommu.upstream[iommu.next_upstream++]);
        if (AtsEndpoint* endpoint = master.ats_endpoint(); endpoint && iommu.ats_endpoints)
            iommu.ats_endpoints->bind(endpoint->ats);
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
        connect(smmus_[s]->priq_irq, config_.smmus[s].priq_irq_line);
    }
}

std::size_t Platform::masters_on_bus() const {
    std::size_t n = 0;
    for (const MasterConfig& m : config_.masters) n += m.port == "bus" ? 1 : 0;
    return n;
}

std::vector<Platform::IommuWindow> Platform::iommu_windows() const {
    std::vector<IommuWindow> windows;
    for (const Smmuv3Config& c : config_.smmus) windows.push_back({c.name, c.base, smmuv3::kRegisterSpaceBytes});
    for (const VtdConfig& c : config_.vtds) windows.push_back({c.name, c.base, vtd::kRegisterSpaceBytes});
    return windows;
}

RouterParams Platform::router_params() const {
    const std::vector<IommuWindow> iommus = iommu_windows();
    RouterParams params;
    params.initiator_ports = static_cast<unsigned>(masters_on_bus() + iommus.size() + 1 + (config_.software ? 1 : 0));
    params.target_ports = static_cast<unsigned>(config_.memories.size() + 1 + iommus.size());
    params.hop_latency = config_.hop_latency;
    for (std::size_t i = 0; i < config_.memories.size(); ++i) {
        const MemoryConfig& m = config_.memories[i];
        params.windows.push_back(AddressWindow{m.name, m.base, m.params.size_bytes, static_cast<unsigned>(i), 0});
    }
    params.windows.push_back(AddressWindow{"msi_doorbell", config_.interrupts.doorbell_base,
                                           config_.interrupts.params.doorbell_size,
                                           static_cast<unsigned>(config_.memories.size()), 0});
    for (std::size_t i = 0; i < iommus.size(); ++i)
        params.windows.push_back(AddressWindow{iommus[i].name + "_registers", iommus[i].base, iommus[i].bytes,
                                               static_cast<unsigned>(config_.memories.size() + 1 + i), 0});
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
    if (cpu_) sources.push_back(cpu_.get());
    for (const auto& s : smmus_) sources.push_back(s.get());
    for (const auto& v : vtds_) sources.push_back(v.get());
    for (const auto& m : masters_) sources.push_back(m.get());
    return sources;
}

}  // namespace iommu_vp::platform
