// Platform: the models of a configuration, instantiated and bound.
//
//   masters --\                      /-- memories
//   script ----+-- bus (Router) ----+--- interrupt controller doorbell -- InterruptRecorder (CPU side)
//   SMMUs -----/  (one upstream port \-- SMMU register windows
//     ^            each)
//     masters whose port names an SMMU; its interrupt outputs drive the configured wired lines
//
// Masters are built held at start: the run releases them after the pre-script, so that tables a
// pre-script leaves in memory are in place before any traffic.
#pragma once

#include "platform/sc/interrupt_recorder.h"
#include "platform/sc/platform_config.h"

#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>

#include <memory>
#include <string>
#include <vector>

namespace iommu_vp::platform {

class Platform : public sc_core::sc_module {
public:
    tlm_utils::simple_initiator_socket<Platform> script_socket;  // the scripted initiator's port on the bus

    Platform(sc_core::sc_module_name name, const PlatformConfig& config);

    const PlatformConfig& config() const { return config_; }
    Router& bus() { return *bus_; }
    TrafficMaster* find_master(const std::string& name);
    const std::vector<std::unique_ptr<TrafficMaster>>& masters() const { return masters_; }
    const std::vector<std::unique_ptr<SparseMemory>>& memories() const { return memories_; }
    const std::vector<std::unique_ptr<Smmuv3>>& smmus() const { return smmus_; }
    InterruptRecorder& cpu_interrupts() { return *cpu_interrupts_; }

    void release_masters();
    bool masters_done() const;
    // Waits (from an SC_THREAD) until every master has finished its traffic.
    void wait_for_masters();

    // Every component with statistics, in a fixed order: bus, memories, interrupts, SMMUs, masters.
    std::vector<const StatsSource*> stats_sources() const;

private:
    RouterParams router_params() const;
    void build_smmus();
    void wire_interrupt_lines();
    std::size_t masters_on_bus() const;

    PlatformConfig config_;
    std::unique_ptr<Router> bus_;
    std::vector<std::unique_ptr<SparseMemory>> memories_;
    std::unique_ptr<InterruptController> interrupts_;
    std::unique_ptr<InterruptRecorder> cpu_interrupts_;
    std::vector<std::unique_ptr<Smmuv3>> smmus_;
    // One signal per wired interrupt line, and one per SMMU output that drives no line.
    sc_core::sc_vector<sc_core::sc_signal<bool>> irq_lines_;
    std::vector<std::unique_ptr<sc_core::sc_signal<bool>>> unconnected_outputs_;
    std::vector<std::unique_ptr<TrafficMaster>> masters_;
    std::vector<std::unique_ptr<tlm_utils::simple_initiator_socket<Platform>>> idle_initiators_;
};

}  // namespace iommu_vp::platform
