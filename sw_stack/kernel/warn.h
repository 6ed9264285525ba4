// WARN_ON-style named warnings and BUG_ON.
//
// warn_on(condition, "late_iommu_probe_at_bind") records, when the condition holds, the name, the
// thread, the place and a short context, counts it per name (the run's statistics) and lets the
// thread continue; it returns the condition, as WARN_ON does. bug_on stops the run with a report
// and parks the thread for good.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace iommu_vp::kernel {

bool warn_on(bool condition, const char* name, const std::string& context = "", const char* file = __builtin_FILE(),
             unsigned line = __builtin_LINE());
void bug_on(bool condition, const char* name, const std::string& context = "", const char* file = __builtin_FILE(),
            unsigned line = __builtin_LINE());

// Warnings so far, by name.
const std::map<std::string, std::uint64_t>& warning_counts();

}  // namespace iommu_vp::kernel
