#include "sw_stack/kernel/warn.h"

#include "sw_stack/kernel/runtime.h"

namespace iommu_vp::kernel {
namespace {

std::map<std::string, std::uint64_t>& counts() {
    static std::map<std::string, std::uint64_t> by_name;
    return by_name;
}

std::string describe(const char* what, const char* name, const std::string& context, const char* file, unsigned line) {
    Thread* thread = Runtime::get().current();
    std::string text = std::string(what) + " " + name + " in thread \"" + (thread ? thread->name() : "(none)") +
                       "\" at " + site_text(file, line);
    if (!context.empty()) text += ": " + context;
    return text;
}

}  // namespace

bool warn_on(bool condition, const char* name, const std::string& context, const char* file, unsigned line) {
    if (!condition) return false;
    ++counts()[name];
    Runtime::get().report({"warning", std::string("WARN ") + name, describe("WARN", name, context, file, line),
                           sc_core::sc_time_stamp()});
    return true;
}

void bug_on(bool condition, const char* name, const std::string& context, const char* file, unsigned line) {
    if (!condition) return;
    Runtime& rt = Runtime::get();
    rt.report({"bug", std::string("BUG ") + name, describe("BUG", name, context, file, line), sc_core::sc_time_stamp()});
    sc_core::sc_stop();
    if (rt.current()) rt.park_forever();  // the thread never continues past a BUG
}

const std::map<std::string, std::uint64_t>& warning_counts() { return counts(); }

}  // namespace iommu_vp::kernel
