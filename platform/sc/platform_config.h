// The typed form of a validated configuration: model parameter structs filled from the effective
// configuration. Only the platform reads configurations; models receive these structs.
#pragma once

#include "models/dma/traffic_master.h"
#include "models/interconnect/router.h"
#include "models/irq/interrupt_controller.h"
#include "models/memory/sparse_memory.h"
#include "models/smmuv3/smmuv3.h"
#include "models/vtd/vtd.h"
#include "platform/config/config_loader.h"
#include "platform/cpu/cpu.h"
#include "sw_stack/kernel/runtime.h"
#include "platform/tables/built_tables.h"

#include <optional>
#include <string>
#include <vector>

namespace iommu_vp::platform {

struct MemoryConfig {
    std::string name;
    std::uint64_t base = 0;
    SparseMemoryParams params;
};

struct MasterConfig {
    std::string name;
    std::string port;
    TrafficMasterParams params;
};

struct Smmuv3Config {
    std::string name;
    std::uint64_t base = 0;  // of the register window
    Smmuv3Params params;     // upstream_ports: set by the platform from the masters that name it
    // Interrupt-controller lines of the event-queue, global-error and CMD_SYNC outputs (-1: none).
    int evtq_irq_line = -1;
    int gerror_irq_line = -1;
    int cmd_sync_irq_line = -1;
    int priq_irq_line = -1;
    // Structures and register writes to apply before the run (tables: section), if any.
    std::optional<BuiltTables> tables;
};

// A VT-d remapping unit. It has no wired interrupt outputs: its fault-event and invalidation-
// completion interrupts are MSIs through `downstream` to where FEADDR / IEADDR point.
struct VtdConfig {
    std::string name;
    std::uint64_t base = 0;  // of the 4 KiB register page
    VtdParams params;        // upstream_ports: set by the platform from the masters that name it
    // Structures and register writes to apply before the run (tables: section), if any.
    std::optional<BuiltTables> tables;
};

struct InterruptConfig {
    std::uint64_t doorbell_base = 0;
    InterruptControllerParams params;
};

// The CPU and the kernel runtime of the co-simulated software (the `software` section, when enabled).
struct SoftwareConfig {
    CpuParams cpu;
    kernel::RuntimeParams runtime;  // with the command line and the DMA window
};

struct PlatformConfig {
    sc_core::sc_time quantum;
    sc_core::sc_time max_time;    // SC_ZERO_TIME: until the traffic ends
    std::uint64_t seed = 0;
    sc_core::sc_time hop_latency;
    sc_core::sc_time script_poll_interval;
    std::vector<MemoryConfig> memories;
    InterruptConfig interrupts;
    std::vector<Smmuv3Config> smmus;
    std::vector<VtdConfig> vtds;
    std::vector<MasterConfig> masters;
    std::optional<SoftwareConfig> software;
};

// `config` must have passed validation; `seed` is the run's seed (the --seed option or the file's).
PlatformConfig make_platform_config(const LoadedConfig& config, std::uint64_t seed);

sc_core::sc_time nanoseconds(double ns);

}  // namespace iommu_vp::platform
