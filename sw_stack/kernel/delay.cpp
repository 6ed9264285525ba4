#include "sw_stack/kernel/delay.h"

#include "sw_stack/kernel/runtime.h"

namespace iommu_vp::kernel {
namespace {

void wait_ns(std::uint64_t nanoseconds) {
    Runtime::get().delay(sc_core::sc_time(static_cast<double>(nanoseconds), sc_core::SC_NS));
}

}  // namespace

void ndelay(std::uint64_t nanoseconds) { wait_ns(nanoseconds); }
void udelay(std::uint64_t microseconds) { wait_ns(microseconds * 1000); }
void mdelay(std::uint64_t milliseconds) { wait_ns(milliseconds * 1000 * 1000); }

void msleep(std::uint64_t milliseconds, const char* file, unsigned line) {
    Runtime::get().might_sleep(file, line);
    wait_ns(milliseconds * 1000 * 1000);
}

void poll_pause(std::uint64_t nanoseconds) { wait_ns(nanoseconds); }

std::uint64_t ktime_get_ns() { return static_cast<std::uint64_t>(sc_core::sc_time_stamp().to_seconds() * 1e9); }

}  // namespace iommu_vp::kernel
