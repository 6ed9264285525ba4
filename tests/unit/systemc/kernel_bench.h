// A bench for kernel-runtime tests: a CPU and a VT-d unit on a router, with RAM and the interrupt
// controller's MSI doorbell, and the kernel runtime on the CPU. Software threads are spawned by the
// test before sc_start().
#pragma once

#include "models/interconnect/router.h"
#include "models/irq/interrupt_controller.h"
#include "models/memory/sparse_memory.h"
#include "models/vtd/vtd.h"
#include "platform/cpu/cpu.h"
#include "sw_stack/kernel/irq.h"
#include "sw_stack/kernel/runtime.h"

#include <memory>
#include <sstream>

namespace iommu_vp::testing::kernel_bench {

constexpr std::uint64_t kRam = 0x8000'0000, kRamSize = 0x1000'0000;
constexpr std::uint64_t kVtd = 0xfed9'0000;
constexpr std::uint64_t kDoorbell = 0xfee0'0000;

struct Bench {
    std::unique_ptr<Router> router;
    std::unique_ptr<SparseMemory> ram;
    std::unique_ptr<Vtd> vtd;
    std::unique_ptr<InterruptController> intc;
    std::unique_ptr<platform::Cpu> cpu;
    std::unique_ptr<kernel::Runtime> runtime;
    std::ostringstream reports;  // the runtime's report sink

    explicit Bench(kernel::RuntimeParams params = {}, VtdParams vtd_params = {}) {
        RouterParams rp;
        rp.initiator_ports = 2;  // the CPU, the VT-d's downstream
        rp.target_ports = 3;
        rp.windows = {{"ram", kRam, kRamSize, 0, 0}, {"vtd", kVtd, 0x1000, 1, 0}, {"doorbell", kDoorbell, 0x1000, 2, 0}};
        router = std::make_unique<Router>("bus", rp);
        SparseMemoryParams mp;
        mp.size_bytes = kRamSize;
        ram = std::make_unique<SparseMemory>("ram", mp);
        vtd_params.upstream_ports = 0;  // no device traffic: the unit is a register model here
        vtd = std::make_unique<Vtd>("vtd", vtd_params);
        InterruptControllerParams ip;
        ip.lines = 0;  // MSIs only
        intc = std::make_unique<InterruptController>("intc", ip);
        cpu = std::make_unique<platform::Cpu>("cpu", platform::CpuParams{});
        cpu->bus.bind(router->upstream[0]);
        vtd->downstream.bind(router->upstream[1]);
        router->downstream[0].bind(ram->target);
        router->downstream[1].bind(vtd->regs);
        router->downstream[2].bind(intc->doorbell);
        intc->cpu.bind(*cpu);
        runtime = std::make_unique<kernel::Runtime>(*cpu, params);
        runtime->set_report_sink(&reports);
        cpu->set_interrupt_receiver(kernel::interrupt_receiver());
    }
};

}  // namespace iommu_vp::testing::kernel_bench
