// The running thread's execution context, in the kernel's words: which CPU it is on, preemption and
// interrupt disabling, and the sleep check. (Runtime::self() holds the state; these read and change
// it for the running thread.)
#pragma once

namespace iommu_vp::kernel {

unsigned smp_processor_id();
void preempt_disable();
void preempt_enable();
// local_irq_save / local_irq_restore: interrupts disabled on this CPU (nesting counted).
void local_irq_disable();
void local_irq_enable();
bool in_atomic();
// Reports sleeping in atomic context (a spinlock held, preemption or interrupts disabled, a hard
// interrupt handler).
void might_sleep(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE());
// A voluntary yield point (cond_resched): other runnable threads of this instant run first, and a
// scenario may park the thread here ("cond_resched").
void cond_resched();

}  // namespace iommu_vp::kernel
