#include "sw_stack/kernel/sched.h"

#include "sw_stack/kernel/interleave.h"
#include "sw_stack/kernel/runtime.h"

namespace iommu_vp::kernel {

unsigned smp_processor_id() { return Runtime::get().self().cpu(); }

void preempt_disable() { ++Runtime::get().self().preempt_count; }

void preempt_enable() {
    Thread& thread = Runtime::get().self();
    if (thread.preempt_count > 0) --thread.preempt_count;
}

void local_irq_disable() { ++Runtime::get().self().irqs_disabled; }

void local_irq_enable() {
    Thread& thread = Runtime::get().self();
    if (thread.irqs_disabled > 0) --thread.irqs_disabled;
}

bool in_atomic() { return Runtime::get().self().in_atomic(); }

void might_sleep(const char* file, unsigned line) { Runtime::get().might_sleep(file, line); }

void cond_resched() {
    interleaving_point("cond_resched");
    sc_core::wait(sc_core::SC_ZERO_TIME);
}

}  // namespace iommu_vp::kernel
