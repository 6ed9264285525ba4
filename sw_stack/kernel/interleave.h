// Interleaving points: named places where a running software thread offers a scenario the chance to
// park it and let others run first (iommu-core.md section 12). Free when no scenario listens: one
// pointer test, and a dynamic name is only built when someone listens.
#pragma once

#include <string>

namespace iommu_vp::kernel {

class Thread;

class InterleavingListener {
public:
    virtual ~InterleavingListener() = default;
    // Called in `thread` at the point; may block it (through the runtime's primitives or plain waits)
    // until the scenario releases it.
    virtual void reached(Thread& thread, const std::string& point) = 0;
};

// Installs the listener (nullptr: none). The runtime does not own it.
void set_interleaving_listener(InterleavingListener* listener);
bool interleaving_listened();

// interleaving_point("IP1.2.driver_reset"); interleaving_point("lock.acquire:", lock.class_name()).
void interleaving_point(const char* name);
void interleaving_point(const char* prefix, const std::string& suffix);

}  // namespace iommu_vp::kernel
