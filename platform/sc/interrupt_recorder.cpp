#include "platform/sc/interrupt_recorder.h"

#include "models/common/log.h"

namespace iommu_vp::platform {

InterruptRecorder::InterruptRecorder(sc_core::sc_module_name name)
    : sc_module(name),
      stats_(basename()),
      vectors_(stats_.counter("vectors_received", "MSI vectors delivered to the CPU")),
      line_changes_(stats_.counter("line_changes_received", "wired-line level changes seen by the CPU")) {}

void InterruptRecorder::set_line(unsigned line, bool level) {
    ++line_changes_;
    IVP_LOG(LogCategory::sw, name(), "line " << line << (level ? " high" : " low"));
    if (forward_) forward_->set_line(line, level);
}

void InterruptRecorder::raise_vector(std::uint32_t vector) {
    ++vectors_;
    ++per_vector_[vector];
    IVP_LOG(LogCategory::sw, name(), "vector " << vector);
    if (forward_) forward_->raise_vector(vector);
}

std::uint64_t InterruptRecorder::vectors_received(std::uint32_t vector) const {
    auto it = per_vector_.find(vector);
    return it == per_vector_.end() ? 0 : it->second;
}

}  // namespace iommu_vp::platform
