// Devices, buses and their notifier chains, driver registration (Linux drivers/base/core.c, bus.c,
// driver.c). Binding is dd.cpp.
#include "sw_stack/kernel/device.h"

#include "sw_stack/kernel/device_internal.h"
#include "sw_stack/kernel/errno.h"
#include "sw_stack/kernel/interleave.h"
#include "sw_stack/kernel/warn.h"

#include <algorithm>

namespace iommu_vp::kernel {
namespace {

template <typename T>
void erase_value(std::vector<T*>& list, const T* item) {
    list.erase(std::remove(list.begin(), list.end(), item), list.end());
}

bool bus_has_device_named(const Bus& bus, const std::string& name) {
    return std::any_of(bus.p.devices.begin(), bus.p.devices.end(), [&](const Device* d) { return d->name() == name; });
}

bool bus_has_driver_named(const Bus& bus, const std::string& name) {
    return std::any_of(bus.p.drivers.begin(), bus.p.drivers.end(), [&](const Driver* d) { return d->name == name; });
}

// The bus's list holds a reference, as klist_devices_get does.
void bus_add_device(Device& dev) {
    Bus& bus = *dev.bus;
    dev.p.bus_seq = bus.p.next_seq++;
    bus.p.devices.push_back(get_device(&dev));
}

// Off the bus first, so no new driver finds it, then unbound.
void bus_remove_device(Device& dev) {
    if (!dev.bus) return;
    erase_value(dev.bus->p.devices, &dev);
    put_device(&dev);
    device_release_driver(dev);
}

// The first entry registered after `after` (entries are appended in sequence order): a walk resumes
// correctly however the list changed while its callback ran.
template <typename T>
T* next_after(const std::vector<T*>& list, std::uint64_t after) {
    for (T* item : list)
        if (item->p.bus_seq > after) return item;
    return nullptr;
}

}  // namespace

const char* bus_notify_name(unsigned long action) {
    switch (action) {
        case BUS_NOTIFY_ADD_DEVICE: return "BUS_NOTIFY_ADD_DEVICE";
        case BUS_NOTIFY_DEL_DEVICE: return "BUS_NOTIFY_DEL_DEVICE";
        case BUS_NOTIFY_REMOVED_DEVICE: return "BUS_NOTIFY_REMOVED_DEVICE";
        case BUS_NOTIFY_BIND_DRIVER: return "BUS_NOTIFY_BIND_DRIVER";
        case BUS_NOTIFY_BOUND_DRIVER: return "BUS_NOTIFY_BOUND_DRIVER";
        case BUS_NOTIFY_UNBIND_DRIVER: return "BUS_NOTIFY_UNBIND_DRIVER";
        case BUS_NOTIFY_UNBOUND_DRIVER: return "BUS_NOTIFY_UNBOUND_DRIVER";
        case BUS_NOTIFY_DRIVER_NOT_BOUND: return "BUS_NOTIFY_DRIVER_NOT_BOUND";
        default: return "BUS_NOTIFY_?";
    }
}

// ---- devices ---------------------------------------------------------------------------------------

Device* get_device(Device* dev) {
    if (dev) ++dev->p.kref;
    return dev;
}

void put_device(Device* dev) {
    if (!dev) return;
    if (warn_on(dev->p.kref == 0, "put_device_underflow", dev->name())) return;
    if (--dev->p.kref == 0) dev->release();
}

int device_add(Device& dev) {
    if (dev.name().empty()) return -EINVAL;
    if (dev.p.registered || dev.p.dead) return -EEXIST;
    if (dev.bus && bus_has_device_named(*dev.bus, dev.name())) return -EEXIST;
    get_device(&dev);  // held across the notifiers and the probe, which may unregister it
    get_device(dev.parent);
    dev.p.registered = true;
    if (dev.bus) bus_add_device(dev);
    bus_notify(dev, BUS_NOTIFY_ADD_DEVICE);
    bus_probe_device(dev);
    put_device(&dev);
    return 0;
}

void device_del(Device& dev) {
    if (warn_on(!dev.p.registered || dev.p.dead, "device_del_unregistered", dev.name())) return;
    interleaving_point("device_del.enter:", dev.name());
    // kill_device: from here no probe starts (an asynchronous or deferred one sees the device dead).
    device_lock(dev);
    dev.p.dead = true;
    device_unlock(dev);
    bus_notify(dev, BUS_NOTIFY_DEL_DEVICE);
    bus_remove_device(dev);
    driver_deferred_probe_del(dev);
    bus_notify(dev, BUS_NOTIFY_REMOVED_DEVICE);
    dev.p.registered = false;
    put_device(dev.parent);
}

void device_unregister(Device& dev) {
    device_del(dev);
    put_device(&dev);
}

void device_lock(Device& dev, const char* file, unsigned line) { dev.mutex.lock(file, line); }
bool device_trylock(Device& dev, const char* file, unsigned line) { return dev.mutex.trylock(file, line); }
void device_unlock(Device& dev) { dev.mutex.unlock(); }
void device_lock_assert(const Device& dev, const char* file, unsigned line) { assert_held(dev.mutex, file, line); }

// ---- notifiers -------------------------------------------------------------------------------------

int bus_register_notifier(Bus& bus, NotifierBlock& nb) {
    std::vector<NotifierBlock*>& chain = bus.p.notifiers;
    bus.p.notifier_rwsem.down_write();
    int ret = -EEXIST;
    if (std::find(chain.begin(), chain.end(), &nb) == chain.end()) {
        const auto after_higher = std::find_if(chain.begin(), chain.end(),
                                               [&](const NotifierBlock* n) { return n->priority < nb.priority; });
        chain.insert(after_higher, &nb);
        ret = 0;
    }
    bus.p.notifier_rwsem.up_write();
    return ret;
}

int bus_unregister_notifier(Bus& bus, NotifierBlock& nb) {
    std::vector<NotifierBlock*>& chain = bus.p.notifiers;
    bus.p.notifier_rwsem.down_write();
    const auto it = std::find(chain.begin(), chain.end(), &nb);
    const bool found = it != chain.end();
    if (found) chain.erase(it);
    bus.p.notifier_rwsem.up_write();
    return found ? 0 : -ENOENT;
}

// blocking_notifier_call_chain: an empty chain is not locked at all, as in Linux.
void bus_notify(Device& dev, unsigned long action) {
    if (!dev.bus || dev.bus->p.notifiers.empty()) return;
    BusPrivate& p = dev.bus->p;
    p.notifier_rwsem.down_read();
    for (NotifierBlock* nb : p.notifiers)
        if (nb->notifier_call(action, dev) & NOTIFY_STOP_MASK) break;
    p.notifier_rwsem.up_read();
}

int bus_for_each_dev(Bus& bus, const std::function<int(Device&)>& fn) {
    std::uint64_t after = 0;
    while (Device* dev = next_after(bus.p.devices, after)) {
        after = dev->p.bus_seq;
        get_device(dev);
        const int ret = fn(*dev);
        put_device(dev);
        if (ret) return ret;
    }
    return 0;
}

int bus_for_each_drv(Bus& bus, const std::function<int(Driver&)>& fn) {
    std::uint64_t after = 0;
    while (Driver* drv = next_after(bus.p.drivers, after)) {
        after = drv->p.bus_seq;
        if (const int ret = fn(*drv)) return ret;
    }
    return 0;
}

// ---- driver registration ---------------------------------------------------------------------------

int driver_register(Driver& drv) {
    if (!drv.bus) return -EINVAL;
    if (drv.p.registered || bus_has_driver_named(*drv.bus, drv.name)) return -EBUSY;
    drv.p.registered = true;
    drv.p.bus_seq = drv.bus->p.next_seq++;
    drv.bus->p.drivers.push_back(&drv);
    if (drv.bus->drivers_autoprobe) driver_attach(drv);
    return 0;
}

void driver_unregister(Driver& drv) {
    if (warn_on(!drv.p.registered, "driver_unregister_unregistered", drv.name)) return;
    // Off the bus first, so no new device binds to it, then detached.
    erase_value(drv.bus->p.drivers, &drv);
    drv.p.registered = false;
    driver_detach(drv);
}

}  // namespace iommu_vp::kernel
