// The IOMMU core's options: one namespace, `sw.core.*`, read from the kernel command line (the
// platform's configuration writes them there), plus Linux's own iommu.passthrough= and iommu.strict=.
//
// Three kinds:
//   - policies: passthrough and strict/lazy (section 3.1);
//   - choices between Linux's behaviour and the strengthened one (section 15): strengthened by default;
//   - bug toggles, off by default: each re-introduces one defect the spec's scenarios name (section 13),
//     so a scenario can show that it catches the defect.
// Every option is one row of option_table(): its name, its default, what it does. The README's list is
// that table.
//
// Pure C++, no SystemC.
#pragma once

#include "sw_stack/kernel/command_line.h"

#include <cstdint>
#include <string>
#include <vector>

namespace iommu_vp::iommu {

struct CoreOptions {
    // ---- policies ----
    bool passthrough = false;   // default domains are IDENTITY (iommu.passthrough=1)
    bool strict = true;         // DMA domains invalidate before unmap returns (iommu.strict=1)
    unsigned fq_size = 256;     // entries of a per-CPU flush queue (Linux IOVA_DEFAULT_FQ_SIZE)
    unsigned fq_timeout_ms = 10;  // flush-queue timer (Linux IOVA_DEFAULT_FQ_TIMEOUT)
    // ---- Linux-faithful vs strengthened ----
    // S3c (section 7 item 4): the bus walk skips firmware parsing for a device whose driver pointer is
    // set, as Linux does. Off (strengthened): the walk always runs the firmware step.
    bool linux_faithful_walk = false;
    // ---- bug toggles (section 13) ----
    bool bug_eager_attach = false;          // S1a: attach_deferred ignored at probe
    bool bug_no_lazy_attach = false;        // S1b: the DMA API never performs the deferred attach
    bool bug_defer_every_domain = false;    // S1c: deferral applies to every domain, not only the default
    bool bug_release_touches_deferred = false;  // S1d: release attaches release_domain while deferred
    bool bug_deferred_attach_ignores_reset = false;  // S1e: the lazy attach does not refuse a blocked device
    bool bug_probe_takes_device_lock = false;  // S2: probe and the walk take device_lock (the 2023 scheme)
    bool bug_no_ready_flag = false;         // S3a: iommu_fwspec_init ignores the ready flag
    bool bug_use_default_no_defer = false;  // S3b: use-default-domain succeeds before the default domain exists
    bool bug_no_relock_check = false;       // S3d: no "someone else finished" check after re-locking
    bool bug_cancel_quarantine_under_lock = false;  // S4a: quarantine work cancelled under group->mutex
    bool bug_recovery_fence_blocks_nofail = false;  // S4c: the recovery fence rejects MUST_SUCCEED switches
    bool bug_quarantine_moves_domain = false;  // S4b variant: quarantine moves group->domain to blocking
};

struct CoreOptionInfo {
    const char* name;           // without the sw.core. prefix: "strict"
    const char* description;
    bool flag = true;           // a boolean; otherwise a count from 1 to kCoreOptionCountMax
    std::uint64_t default_value = 0;  // CoreOptions{}'s value (0/1 for flags)
};
inline constexpr std::uint64_t kCoreOptionCountMax = 1000000;
// Every option, in the order of CoreOptions.
const std::vector<CoreOptionInfo>& core_option_table();

// Reads the options from `cmdline`: iommu.passthrough=, iommu.strict= and sw.core.<name>= (the latter
// win). Malformed values and unknown sw.core names are appended to `errors` and leave the default.
CoreOptions parse_core_options(const kernel::CommandLine& cmdline, std::vector<std::string>* errors);

}  // namespace iommu_vp::iommu
