// The CPU side of the interrupt controller: it counts the wired-line changes and MSI vectors that
// reach the CPU, so runs and scripts can see them, and passes them on to the CPU that runs the
// software when the platform has one.
#pragma once

#include "models/common/stats.h"
#include "models/irq/interrupt_controller.h"

#include <systemc>

#include <map>

namespace iommu_vp::platform {

class InterruptRecorder : public sc_core::sc_module, public InterruptSinkIf, public StatsSource {
public:
    explicit InterruptRecorder(sc_core::sc_module_name name);

    // Where interrupts go after being counted (the software's CPU), if anywhere.
    void forward_to(InterruptSinkIf& cpu) { forward_ = &cpu; }

    void set_line(unsigned line, bool level) override;
    void raise_vector(std::uint32_t vector) override;

    const StatsGroup& stats() const override { return stats_; }
    std::uint64_t vectors_received(std::uint32_t vector) const;

private:
    StatsGroup stats_;
    Counter& vectors_;
    Counter& line_changes_;
    std::map<std::uint32_t, std::uint64_t> per_vector_;
    InterruptSinkIf* forward_ = nullptr;
};

}  // namespace iommu_vp::platform
