// Platform: the models of a configuration, instantiated and bound.
//
//   masters --\                      /-- memories
//   script ----+-- bus (Router) ----+--- interrupt controller doorbell -- InterruptRecorder (CPU side)
//   CPU -------+                    |                                      -> CPU (with software)
//   IOMMUs ----/  (one upstream port \-- IOMMU register windows (SMMUv3, VT-d)
//     ^            each)
//     masters whose port names an IOMMU. An SMMU's interrupt outputs drive the configured wired
//     lines; a VT-d unit's interrupts are MSIs it writes through the bus to the doorbell.
//
// With `software` enabled, a CPU on the bus runs the kernel runtime; interrupts reach it through
// the recorder.
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
    const std::vector<std::unique_ptr<Vtd>>& vtds() const { return vtds_; }
    InterruptRecorder& cpu_interrupts() { return *cpu_interrupts_; }
    // The software's CPU and kernel runtime (null unless the configuration enables software).
    Cpu* cpu() { return cpu_.get(); }
    kernel::Runtime* runtime() { return runtime_.get(); }
    const kernel::Runtime* runtime() const { return runtime_.get(); }

    void release_masters();
    bool masters_done() const;
    // Waits (from an SC_THREAD) until every master has finished its traffic.
    void wait_for_masters();

    // Every component with statistics, in a fixed order: bus, memories, interrupts, SMMUs, VT-d
    // units, masters.
    std::vector<const StatsSource*> stats_sources() const;

private:
    // What the platform wires of an IOMMU, whatever its kind. IOMMUs take the bus's ports in the
    // order SMMUs, then VT-d units (iommu_windows() lists them in that order too).
    struct IommuPorts {
        std::string name;
        tlm::tlm_target_socket<>* regs;
        std::vector<tlm::tlm_target_socket<>*> upstream;
        tlm::tlm_initiator_socket<>* downstream;
        // Where ATS masters behind it bind their endpoint (ATC invalidations, page responses).
        sc_core::sc_port<AtsEndpointIf, 0, sc_core::SC_ZERO_OR_MORE_BOUND>* ats_endpoints = nullptr;
        std::size_t next_upstream = 0;  // the socket the next master behind it takes
    };
    struct IommuWindow {
        std::string name;
        std::uint64_t base;
        std::uint64_t bytes;
    };

    RouterParams router_params() const;
    std::vector<IommuWindow> iommu_windows() const;
    template <typename Iommu>
    void add_iommu(const std::string& name, Iommu& iommu);
    void build_iommus();
    void bind_behind_iommu(TrafficMaster& master, const std::string& iommu_name);
    void wire_interrupt_lines();
    void build_software(std::size_t bus_port);
    std::size_t masters_on_bus() const;

    PlatformConfig config_;
    std::unique_ptr<Router> bus_;
    std::vector<std::unique_ptr<SparseMemory>> memories_;
    std::unique_ptr<InterruptController> interrupts_;
    std::unique_ptr<InterruptRecorder> cpu_interrupts_;
    std::unique_ptr<Cpu> cpu_;
    std::unique_ptr<kernel::Runtime> runtime_;
    kernel::FirmwareDescription firmware_;  // what the runtime's software reads
    std::vector<std::unique_ptr<Smmuv3>> smmus_;
    std::vector<std::unique_ptr<Vtd>> vtds_;
    std::vector<IommuPorts> iommus_;
    // One signal per wired interrupt line, and one per SMMU output that drives no line.
    sc_core::sc_vector<sc_core::sc_signal<bool>> irq_lines_;
    std::vector<std::unique_ptr<sc_core::sc_signal<bool>>> unconnected_outputs_;
    std::vector<std::unique_ptr<TrafficMaster>> masters_;
    std::vector<std::unique_ptr<tlm_utils::simple_initiator_socket<Platform>>> idle_initiators_;
};

}  // namespace iommu_vp::platform
