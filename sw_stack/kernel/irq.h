// Interrupts as software sees them: handlers registered for an interrupt number and run when the
// machine delivers it.
//
// Interrupt numbers: an MSI vector v is irq_of_vector(v) (the vector itself); a wired line l is
// irq_of_line(l). A hard handler runs in the CPU's interrupt thread with hard-interrupt context set
// (it must not sleep: might_sleep reports it); returning IrqReturn::wake_thread runs the threaded
// handler in its own thread, which may sleep. Handlers of one CPU run one at a time, in delivery
// order. Interrupts are delivered to CPU 0 (affinity is not modelled).
#pragma once

#include "sw_stack/kernel/machine.h"

#include <cstdint>
#include <functional>
#include <string>

namespace iommu_vp::kernel {

enum class IrqReturn { none, handled, wake_thread };
using IrqHandler = std::function<IrqReturn()>;
using IrqThreadFunction = std::function<void()>;

constexpr unsigned kLineIrqBase = 0x10000;
constexpr unsigned irq_of_vector(std::uint32_t vector) { return vector; }
constexpr unsigned irq_of_line(unsigned line) { return kLineIrqBase + line; }

// 0 on success, -EBUSY (-16) when the number already has a handler, -EINVAL (-22) without a handler.
int request_irq(unsigned irq, IrqHandler handler, const std::string& name);
int request_threaded_irq(unsigned irq, IrqHandler handler, IrqThreadFunction thread_function,
                         const std::string& name);
void free_irq(unsigned irq);

// The runtime's side of InterruptReceiver: the platform's CPU delivers interrupts here.
InterruptReceiver& interrupt_receiver();

// Interrupts delivered with no handler registered (spurious), for tests and the report.
std::uint64_t spurious_interrupts();

}  // namespace iommu_vp::kernel
