// A machine with no devices and no memory for kernel-runtime tests that need threads, locks and the
// driver core only: every access fails and reads return all ones, as from an empty bus.
#pragma once

#include "sw_stack/kernel/machine.h"

#include <cstddef>
#include <cstdint>

namespace iommu_vp::testing {

class NoHardware final : public kernel::Machine {
public:
    bool mmio_read(std::uint64_t, unsigned, std::uint64_t& value) override {
        value = ~0ull;
        return false;
    }
    bool mmio_write(std::uint64_t, unsigned, std::uint64_t) override { return false; }
    bool memory_read(std::uint64_t, std::uint8_t*, std::size_t) override { return false; }
    bool memory_write(std::uint64_t, const std::uint8_t*, std::size_t) override { return false; }
    bool memory_compare_exchange64(std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t&) override { return false; }
};

}  // namespace iommu_vp::testing
