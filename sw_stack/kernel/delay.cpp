#include "sw_stack/kernel/delay.h"

#include "sw_stack/kernel/runtime.h"

#include <cerrno>
#include <cstdio>

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

int poll_timeout(const char* what, const std::function<std::uint64_t()>& read,
                 const std::function<bool(std::uint64_t)>& done, std::uint64_t interval_ns, std::uint64_t timeout_ns) {
    Runtime& rt = Runtime::get();
    const std::uint64_t started = ktime_get_ns();
    const auto watchdog_ns = static_cast<std::uint64_t>(rt.params().watchdog.to_seconds() * 1e9);
    std::uint64_t value = read();
    std::uint64_t unchanged_since = started;
    bool reported = false;
    for (;;) {
        if (done(value)) return 0;
        const std::uint64_t now = ktime_get_ns();
        if (timeout_ns != 0 && now - started >= timeout_ns) return -ETIMEDOUT;
        if (!reported && now - unchanged_since >= watchdog_ns) {
            reported = true;
            char text[160];
            std::snprintf(text, sizeof text, "thread \"%s\" has polled %s for %llu ns and it still reads 0x%llx",
                          rt.self().name().c_str(), what, static_cast<unsigned long long>(now - unchanged_since),
                          static_cast<unsigned long long>(value));
            rt.report({"no_progress", "a poll loop makes no progress", text, sc_core::sc_time_stamp()});
            if (rt.params().stop_on_hang) {
                sc_core::sc_stop();
                rt.park_forever();
            }
        }
        wait_ns(interval_ns);
        const std::uint64_t next = read();
        if (next != value) unchanged_since = ktime_get_ns();
        value = next;
    }
}

}  // namespace iommu_vp::kernel
