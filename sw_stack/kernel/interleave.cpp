#include "sw_stack/kernel/interleave.h"

#include "sw_stack/kernel/runtime.h"

namespace iommu_vp::kernel {
namespace {

InterleavingListener* listener = nullptr;

void notify_listener(const std::string& point) {
    Runtime& runtime = Runtime::get();
    if (Thread* thread = runtime.current()) listener->reached(*thread, point);
}

}  // namespace

void set_interleaving_listener(InterleavingListener* l) { listener = l; }
bool interleaving_listened() { return listener != nullptr; }

void interleaving_point(const char* name) {
    if (listener) notify_listener(name);
}

void interleaving_point(const char* prefix, const std::string& suffix) {
    if (listener) notify_listener(prefix + suffix);
}

}  // namespace iommu_vp::kernel
