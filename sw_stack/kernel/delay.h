// Letting simulated time pass, in the kernel's words, for software above the runtime (which does not
// use SystemC types). ndelay/udelay/mdelay busy-wait and msleep sleeps; here both let the calling
// thread's simulated time advance, but msleep also checks that the thread may sleep.
#pragma once

#include <cstdint>

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
