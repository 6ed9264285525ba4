#include "sw_stack/kernel/interleave.h"

#include "sw_stack/kernel/runtime.h"

namespace iommu_vp::kernel {
namespace {

InterleavingListener* listener = nullptr;

void notify_listener(const char* prefix, const std::string* suffix) {
    Thread* thread = Runtime::get().current();
    if (!thread) return;
    thread->at_point = prefix;
    if (suffix) thread->at_point += *suffix;
    listener->reached(*thread, thread->at_point);
}

}  // namespace

void set_interleaving_listener(InterleavingListener* l) { listener = l; }
bool interleaving_listened() { return listener != nullptr; }

void interleaving_point(const char* name) {
    if (listener) notify_listener(name, nullptr);
}

void interleaving_point(const char* prefix, const std::string& suffix) {
    if (listener) notify_listener(prefix, &suffix);
}

}  // namespace iommu_vp::kernel
