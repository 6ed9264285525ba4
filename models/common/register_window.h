// Serves TLM-2.0 accesses to a model's register bank, the same way for every model: aligned 32-bit
// accesses, and 64-bit ones to 64-bit registers, reach the bank; offsets without a register read as
// zero and ignore writes (both SMMUv3 6.2 and VT-d 10.2 leave such space reserved), noted in the
// guest_error log; other sizes, byte enables and streaming are refused with an error response.
// Debug accesses read without side effects and never write.
#pragma once

#include "models/common/register_bank.h"
#include "models/common/stats.h"

#include <tlm>

#include <string>

namespace iommu_vp {

struct RegisterAccessCounters {
    Counter& reads;
    Counter& writes;
    Counter& errors;

    // Registers the three counters in `group` under the names every model uses.
    static RegisterAccessCounters create(StatsGroup& group);
};

// Performs `payload` on `bank` (the payload's address is the offset in the window). `owner` names
// the model in log lines. Hooks run inside the call.
void serve_register_access(RegisterBank& bank, tlm::tlm_generic_payload& payload, const std::string& owner,
                           RegisterAccessCounters counters);

// transport_dbg for a register window: reads peek, writes change nothing. Returns the bytes read.
unsigned int peek_register_access(const RegisterBank& bank, tlm::tlm_generic_payload& payload);

}  // namespace iommu_vp
