// Executes a register-level script (platform/io/script.h) on the platform's scripted initiator, in
// simulated time, from the calling SC_THREAD. Each command prints one line:
//
//   LOCATION: COMMAND -> RESULT
//   LOCATION: COMMAND -> RESULT FAIL: REASON
//
// Register and dma accesses wait for their annotated delay (the script is synchronised, not
// decoupled); memwrite/memread/memload use debug transport and take no simulated time.
#pragma once

#include "platform/io/script.h"
#include "platform/sc/platform_top.h"

#include <ostream>
#include <string>
#include <vector>

namespace iommu_vp::platform {

class ScriptRunner {
public:
    ScriptRunner(Platform& platform, std::ostream& out) : platform_(platform), out_(out) {}

    void run(const std::vector<ScriptCommand>& commands);

    const std::vector<std::string>& failures() const { return failures_; }  // "LOCATION: reason"
    unsigned commands_run() const { return commands_run_; }

private:
    struct Outcome {
        std::string result;
        std::string failure;  // empty: passed
    };

    Outcome execute(const ScriptCommand& c);
    Outcome register_write(const ScriptCommand& c);
    Outcome register_read(const ScriptCommand& c);
    Outcome poll(const ScriptCommand& c);
    Outcome memory_write(const ScriptCommand& c);
    Outcome memory_read(const ScriptCommand& c);
    Outcome dma(const ScriptCommand& c);

    // A timed bus access of the scripted initiator; returns the response status.
    tlm::tlm_response_status bus_access(bool is_read, std::uint64_t address, std::uint8_t* data, unsigned length);
    unsigned debug_access(bool is_read, std::uint64_t address, std::uint8_t* data, unsigned length);

    Platform& platform_;
    std::ostream& out_;
    std::vector<std::string> failures_;
    unsigned commands_run_ = 0;
};

// Names of masters that `commands` use but the platform lacks, as diagnostics (checked before a run).
std::vector<Diagnostic> check_script_masters(const std::vector<ScriptCommand>& commands,
                                             const std::vector<std::string>& master_names);

}  // namespace iommu_vp::platform
