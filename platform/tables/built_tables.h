// What a table builder hands the platform: structures to place in memory and the register steps
// that make the IOMMU use them, in order. The run applies them silently before the pre-script
// (memory as debug writes, registers as timed accesses, polls until the value reads back).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace iommu_vp::platform {

struct MemoryBlock {
    std::uint64_t address = 0;
    std::vector<std::uint8_t> bytes;
};

struct RegisterStep {
    enum class Kind { write, poll };
    Kind kind = Kind::write;
    std::uint64_t offset = 0;  // from the IOMMU's register base
    unsigned width_bytes = 4;  // 4 or 8 (polls are 32-bit)
    std::uint64_t value = 0;   // written, or awaited under `mask`
    std::uint64_t mask = 0;    // polls only
    std::string what;          // "CR0", "poll GSTS.TES": names the step in a timeout message

    static RegisterStep write(std::uint64_t offset, unsigned width_bytes, std::uint64_t value, std::string what) {
        return RegisterStep{Kind::write, offset, width_bytes, value, 0, std::move(what)};
    }
    static RegisterStep poll(std::uint64_t offset, std::uint64_t mask, std::uint64_t value, std::string what) {
        return RegisterStep{Kind::poll, offset, 4, value, mask, std::move(what)};
    }
};

struct BuiltTables {
    std::vector<MemoryBlock> memory;     // structures to place (debug writes)
    std::vector<RegisterStep> registers; // in order
    std::string error;                   // non-empty: the spec cannot be built (region too small, ...)
};

}  // namespace iommu_vp::platform
