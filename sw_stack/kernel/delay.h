// Letting simulated time pass, in the kernel's words, for software above the runtime (which does not
// use SystemC types). ndelay/udelay/mdelay busy-wait and msleep sleeps; here both let the calling
// thread's simulated time advance, but msleep also checks that the thread may sleep.
#pragma once

#include <cstdint>
#include <functional>

namespace iommu_vp::kernel {

void ndelay(std::uint64_t nanoseconds);
void udelay(std::uint64_t microseconds);
void mdelay(std::uint64_t milliseconds);
void msleep(std::uint64_t milliseconds, const char* file = __builtin_FILE(), unsigned line = __builtin_LINE());
// A poll loop's pause between two reads of a status register (cpu_relax between MMIO reads costs
// nothing by itself in this model; the read does): `nanoseconds` of simulated time.
void poll_pause(std::uint64_t nanoseconds = 10);

// The current simulated time in nanoseconds (ktime_get_ns).
std::uint64_t ktime_get_ns();

}  // namespace iommu_vp::kernel

namespace iommu_vp::kernel {

// readx_poll_timeout: reads `read()` every `interval_ns` until `done(value)`, and gives up after
// `timeout_ns` (0: never) with -ETIMEDOUT; 0 on success. A poll whose value has not changed for the
// runtime's watchdog time is reported once as making no progress ("no_progress", naming `what` and
// the value), with or without a timeout: a thread polling forever is neither blocked nor deadlocked,
// so neither the wait-for graph nor the watchdog would see it. With stop_on_hang the run stops there.
int poll_timeout(const char* what, const std::function<std::uint64_t()>& read,
                 const std::function<bool(std::uint64_t)>& done, std::uint64_t interval_ns, std::uint64_t timeout_ns);

}  // namespace iommu_vp::kernel
