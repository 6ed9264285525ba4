// Binding devices and drivers (Linux drivers/base/dd.c): really_probe, deferred probing, asynchronous
// probing, unbinding. The order of every step is dd.c's (v6.16 to v7.0); the comments say why it matters.
#include "sw_stack/kernel/device_internal.h"

#include "sw_stack/kernel/command_line.h"
#include "sw_stack/kernel/errno.h"
#include "sw_stack/kernel/interleave.h"
#include "sw_stack/kernel/runtime.h"
#include "sw_stack/kernel/workqueue.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <deque>
#include <memory>

namespace iommu_vp::kernel {
namespace {

void deferred_probe_work_func();
void deferred_probe_timeout_work_func();

// The driver core's global state. It lives as long as the process, as kernel state does: it is never
// destroyed, so nothing runs after the simulation has ended.
struct DriverCore {
    // Deferred probe: a failed probe's device waits on the pending list; a successful bind moves the
    // pending list to the active list, which the deferred-probe work re-probes.
    Mutex deferred_probe_mutex{"deferred_probe_mutex"};
    std::deque<Device*> pending;
    std::deque<Device*> active;
    unsigned deferred_trigger_count = 0;
    bool deferred_probe_enable = false;  // set by the late initcall
    bool initcalls_done = false;
    int deferred_probe_timeout = 10;     // seconds; 0 once expired; < 0 never
    Work deferred_probe_work{"deferred_probe_work", [] { deferred_probe_work_func(); }};
    DelayedWork deferred_probe_timeout_work{"deferred_probe_timeout_work", [] { deferred_probe_timeout_work_func(); }};
    std::unique_ptr<Workqueue> deferred_wq;

    // driver_async_probe=
    std::string async_probe_drv_names;
    bool async_probe_default = false;

    int probe_count = 0;                 // probes under way
    WaitQueue probe_waitqueue{"probe_waitqueue"};
    unsigned async_running = 0;          // asynchronous probes scheduled and not yet finished
    unsigned async_serial = 0;
    WaitQueue async_done{"async_synchronize_full"};
};

DriverCore& core() {
    static DriverCore* state = new DriverCore;
    return *state;
}

// The deferred-probe work runs on its own single-threaded queue (Linux once had "deferwq" for it): not
// on system_wq, where the timeout work waits for it.
Workqueue& deferred_wq() {
    DriverCore& c = core();
    if (!c.deferred_wq) c.deferred_wq = std::make_unique<Workqueue>("deferwq", 1);
    return *c.deferred_wq;
}

// ---- deferred probe --------------------------------------------------------------------------------

void driver_deferred_probe_add(Device& dev) {
    if (!dev.p.can_match) return;  // no driver ever matched: nothing to retry
    DriverCore& c = core();
    c.deferred_probe_mutex.lock();
    if (!dev.p.deferred) {
        c.pending.push_back(&dev);
        dev.p.deferred = true;
    }
    c.deferred_probe_mutex.unlock();
}

void driver_deferred_probe_trigger() {
    DriverCore& c = core();
    if (!c.deferred_probe_enable) return;
    c.deferred_probe_mutex.lock();
    ++c.deferred_trigger_count;
    c.active.insert(c.active.end(), c.pending.begin(), c.pending.end());
    c.pending.clear();
    c.deferred_probe_mutex.unlock();
    queue_work(deferred_wq(), c.deferred_probe_work);  // harmless if already queued
}

void deferred_probe_work_func() {
    DriverCore& c = core();
    c.deferred_probe_mutex.lock();
    while (!c.active.empty()) {
        Device* dev = c.active.front();
        c.active.pop_front();
        dev->p.deferred = false;
        get_device(dev);  // it may be unregistered while we probe
        c.deferred_probe_mutex.unlock();  // the probe path changes the lists
        interleaving_point("deferred_probe.retry:", dev->name());
        bus_probe_device(*dev);
        c.deferred_probe_mutex.lock();
        put_device(dev);
    }
    c.deferred_probe_mutex.unlock();
}

void deferred_probe_timeout_work_func() {
    DriverCore& c = core();
    c.deferred_probe_timeout = 0;  // from now on check_state answers -ETIMEDOUT
    driver_deferred_probe_trigger();
    flush_work(c.deferred_probe_work);
    c.deferred_probe_mutex.lock();
    Runtime& rt = Runtime::get();
    for (const Device* dev : c.pending)
        rt.report({"deferred_probe_pending", "deferred probe pending: " + dev->name(),
                   dev->name() + ": still deferred when the deferred-probe timeout expired; it never bound",
                   sc_core::sc_time_stamp()});
    c.deferred_probe_mutex.unlock();
}

// ---- really_probe ----------------------------------------------------------------------------------

// driver_bound: the device joins its driver's list, and every deferred device gets another chance.
void driver_bound(Device& dev) {
    if (dev.p.bound) return;
    dev.driver->p.devices.push_back(&dev);
    dev.p.bound = true;
    driver_deferred_probe_del(dev);
    driver_deferred_probe_trigger();
    interleaving_point("IP3.5.bound:", dev.name());
    bus_notify(dev, BUS_NOTIFY_BOUND_DRIVER);
}

void device_unbind_cleanup(Device& dev) {
    dev.driver = nullptr;
    dev.driver_data = nullptr;
}

int call_driver_probe(Device& dev, Driver& drv) {
    if (dev.bus->probe) return dev.bus->probe(dev);
    return drv.probe ? drv.probe(dev) : 0;
}

void device_remove(Device& dev) {
    if (dev.bus->remove)
        dev.bus->remove(dev);
    else if (dev.driver->remove)
        dev.driver->remove(dev);
}

// Called with device_lock(dev) held. 0 bound; a driver's probe error comes back positive (so callers
// tell it from the driver core's own, negative, errors); a dma_configure error comes back as it is.
int really_probe(Device& dev, Driver& drv) {
    interleaving_point("really_probe.enter:", dev.name());
    // dev->driver is set BEFORE dma_configure: the bus hook (platform_dma_configure) reads it to decide
    // whether to take the default domain (iommu-core.md 3.8 step 2, and 7 item 4 for the window this
    // opens for a concurrent IOMMU bus walk).
    dev.driver = &drv;
    interleaving_point("IP3.6.driver_set:", dev.name());
    if (dev.bus->dma_configure) {
        if (const int ret = dev.bus->dma_configure(dev)) {
            device_unbind_cleanup(dev);  // nothing was configured: no dma_cleanup
            return ret;
        }
    }
    interleaving_point("really_probe.after_dma_configure:", dev.name());
    bus_notify(dev, BUS_NOTIFY_BIND_DRIVER);
    if (const int ret = call_driver_probe(dev, drv)) {
        bus_notify(dev, BUS_NOTIFY_DRIVER_NOT_BOUND);
        if (dev.bus->dma_cleanup) dev.bus->dma_cleanup(dev);
        device_unbind_cleanup(dev);
        return -ret;
    }
    driver_bound(dev);
    return 0;
}

int driver_probe_device_locked(Driver& drv, Device& dev) {
    if (dev.p.dead || !device_is_registered(dev)) return -ENODEV;
    if (dev.driver) return -EBUSY;
    dev.p.can_match = true;
    return really_probe(dev, drv);
}

bool is_probe_deferral(int ret) { return ret == -EPROBE_DEFER || ret == EPROBE_DEFER; }

// driver_probe_device: a deferral goes on the pending list; if a bind happened while this probe ran
// (the trigger count moved), that bind's re-run has already missed this device: trigger again.
int driver_probe_device(Driver& drv, Device& dev) {
    DriverCore& c = core();
    const unsigned trigger_count = c.deferred_trigger_count;
    ++c.probe_count;
    const int ret = driver_probe_device_locked(drv, dev);
    if (is_probe_deferral(ret)) {
        driver_deferred_probe_add(dev);
        if (trigger_count != c.deferred_trigger_count) driver_deferred_probe_trigger();
    }
    --c.probe_count;
    c.probe_waitqueue.wake_up();
    return ret;
}

int driver_match_device(Driver& drv, Device& dev) { return dev.bus->match ? dev.bus->match(dev, drv) : 1; }

// ---- asynchronous probing --------------------------------------------------------------------------

bool parse_option_str(const std::string& list, const std::string& option) {
    std::size_t begin = 0;
    for (;;) {
        const std::size_t comma = list.find(',', begin);
        if (list.compare(begin, comma == std::string::npos ? std::string::npos : comma - begin, option) == 0) return true;
        if (comma == std::string::npos) return false;
        begin = comma + 1;
    }
}

bool cmdline_requested_async_probing(const std::string& driver_name) {
    const DriverCore& c = core();
    return c.async_probe_default != parse_option_str(c.async_probe_drv_names, driver_name);
}

// A SystemC process name may not hold '.', so the device name is reduced to a safe form.
std::string async_thread_name(const Device& dev, unsigned serial) {
    std::string name = "async_probe/" + std::to_string(serial) + "/";
    for (const char ch : dev.name())
        name += std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' ? ch : '_';
    return name;
}

// async_schedule_dev: the probe runs in a thread of its own; the caller has taken a reference on dev
// for it.
void async_schedule_dev(void (*fn)(Device&), Device& dev) {
    DriverCore& c = core();
    ++c.async_running;
    Runtime::get().spawn(async_thread_name(dev, c.async_serial++), [fn, &dev] {
        fn(dev);
        DriverCore& state = core();
        --state.async_running;
        state.async_done.wake_up();
    });
}

void async_synchronize_full() {
    DriverCore& c = core();
    c.async_done.wait_event([&c] { return c.async_running == 0; });
}

// ---- attaching a device to a driver (device side) --------------------------------------------------

struct DeviceAttachData {
    Device& dev;
    // Only the first bind after a device or driver registers (or a deferred retry) may be
    // asynchronous. With check_async, the synchronous pass skips asynchronous drivers and the
    // asynchronous pass (want_async) the others.
    bool check_async;
    bool want_async;
    bool have_async = false;
};

// 1: bound, stop; 0: try the next driver; < 0: stop with that error.
int device_attach_driver(Driver& drv, DeviceAttachData& data) {
    Device& dev = data.dev;
    const int match = driver_match_device(drv, dev);
    if (match == 0) return 0;
    if (match == -EPROBE_DEFER) {
        dev.p.can_match = true;
        driver_deferred_probe_add(dev);
        return match;  // no other driver either, for now
    }
    if (match < 0) return match;
    const bool async_allowed = driver_allows_async_probing(drv);
    if (async_allowed) data.have_async = true;
    if (data.check_async && async_allowed != data.want_async) return 0;
    const int ret = driver_probe_device(drv, dev);
    if (ret < 0) return ret;
    return ret == 0;  // a driver's own probe error (positive) lets the next driver try
}

int for_each_driver(DeviceAttachData& data) {
    return bus_for_each_drv(*data.dev.bus, [&data](Driver& drv) { return device_attach_driver(drv, data); });
}

void device_attach_async_helper(Device& dev) {
    device_lock(dev);
    // Removed or claimed meanwhile (by a driver registration, a deferred retry, another async probe)?
    if (!dev.p.dead && !dev.driver) {
        DeviceAttachData data{dev, true, true};
        for_each_driver(data);
    }
    device_unlock(dev);
    put_device(&dev);
}

// A driver set before registration (device_bind_driver): bind it without a probe.
int device_bind_preset_driver(Device& dev) {
    if (device_is_bound(dev)) return 1;
    bus_notify(dev, BUS_NOTIFY_BIND_DRIVER);
    driver_bound(dev);
    return 1;
}

int device_attach_internal(Device& dev, bool allow_async) {
    if (!dev.bus) return 0;
    int ret = 0;
    bool async = false;
    device_lock(dev);
    if (dev.p.dead) {
        ret = 0;
    } else if (dev.driver) {
        ret = device_bind_preset_driver(dev);
    } else {
        DeviceAttachData data{dev, allow_async, false};
        ret = for_each_driver(data);
        if (!ret && allow_async && data.have_async) {
            // No synchronous driver took it, but an asynchronous one matches: probe that one later,
            // once the lock is released.
            get_device(&dev);
            async = true;
        }
    }
    device_unlock(dev);
    if (async) async_schedule_dev(device_attach_async_helper, dev);
    return ret;
}

// ---- attaching a driver to devices (driver side) ---------------------------------------------------

void driver_attach_async_helper(Device& dev) {
    device_lock(dev);
    Driver* drv = dev.p.async_driver;
    dev.p.async_driver = nullptr;
    driver_probe_device(*drv, dev);
    device_unlock(dev);
    put_device(&dev);
}

// Errors are dropped: the driver keeps trying the bus's other devices.
int driver_attach_device(Driver& drv, Device& dev) {
    const int match = driver_match_device(drv, dev);
    if (match == 0) return 0;
    if (match == -EPROBE_DEFER) {
        dev.p.can_match = true;
        driver_deferred_probe_add(dev);
        return 0;
    }
    if (match < 0) return 0;
    if (driver_allows_async_probing(drv)) {
        // The device lock only guards dev->driver and async_driver here; the probe runs later.
        bool async = false;
        device_lock(dev);
        if (!dev.driver && !dev.p.async_driver) {
            get_device(&dev);
            dev.p.async_driver = &drv;
            async = true;
        }
        device_unlock(dev);
        if (async) async_schedule_dev(driver_attach_async_helper, dev);
        return 0;
    }
    device_lock(dev);
    driver_probe_device(drv, dev);
    device_unlock(dev);
    return 0;
}

// ---- unbinding -------------------------------------------------------------------------------------

// __device_release_driver: called with device_lock(dev) held.
void release_driver_locked(Device& dev) {
    Driver* drv = dev.driver;
    if (!drv) return;
    bus_notify(dev, BUS_NOTIFY_UNBIND_DRIVER);
    interleaving_point("release_driver.before_remove:", dev.name());
    device_remove(dev);
    if (dev.bus->dma_cleanup) dev.bus->dma_cleanup(dev);
    device_unbind_cleanup(dev);
    std::vector<Device*>& bound = drv->p.devices;
    bound.erase(std::remove(bound.begin(), bound.end(), &dev), bound.end());
    dev.p.bound = false;
    bus_notify(dev, BUS_NOTIFY_UNBOUND_DRIVER);
}

}  // namespace

// ---- the driver core's interface -------------------------------------------------------------------

void bus_probe_device(Device& dev) {
    if (dev.bus && dev.bus->drivers_autoprobe) device_attach_internal(dev, true);
}

int device_attach(Device& dev) { return device_attach_internal(dev, false); }

void driver_attach(Driver& drv) {
    bus_for_each_dev(*drv.bus, [&drv](Device& dev) { return driver_attach_device(drv, dev); });
}

int device_driver_attach(Driver& drv, Device& dev) {
    device_lock(dev);
    int ret = driver_probe_device_locked(drv, dev);
    device_unlock(dev);
    if (ret > 0) ret = -ret;
    return ret == -EPROBE_DEFER ? -EAGAIN : ret;
}

void device_release_driver_internal(Device& dev, Driver* drv) {
    device_lock(dev);
    if (!drv || drv == dev.driver) release_driver_locked(dev);
    device_unlock(dev);
}

void device_release_driver(Device& dev) { device_release_driver_internal(dev, nullptr); }

void driver_detach(Driver& drv) {
    if (driver_allows_async_probing(drv)) async_synchronize_full();
    while (!drv.p.devices.empty()) {
        Device* dev = get_device(drv.p.devices.back());
        device_release_driver_internal(*dev, &drv);
        put_device(dev);
    }
}

void driver_deferred_probe_del(Device& dev) {
    DriverCore& c = core();
    c.deferred_probe_mutex.lock();
    if (dev.p.deferred) {
        c.pending.erase(std::remove(c.pending.begin(), c.pending.end(), &dev), c.pending.end());
        c.active.erase(std::remove(c.active.begin(), c.active.end(), &dev), c.active.end());
        dev.p.deferred = false;
    }
    c.deferred_probe_mutex.unlock();
}

bool driver_allows_async_probing(const Driver& drv) {
    switch (drv.probe_type) {
        case ProbeType::prefer_asynchronous: return true;
        case ProbeType::force_synchronous: return false;
        case ProbeType::default_strategy: return cmdline_requested_async_probing(drv.name);
    }
    return false;
}

void wait_for_device_probe() {
    DriverCore& c = core();
    flush_work(c.deferred_probe_work);
    c.probe_waitqueue.wait_event([&c] { return c.probe_count == 0; });
    async_synchronize_full();
}

int driver_probe_done() { return core().probe_count ? -EBUSY : 0; }

int driver_deferred_probe_check_state(Device& dev) {
    (void)dev;  // Linux names the device in its warning; there is no kernel log here
    const DriverCore& c = core();
    if (c.initcalls_done && c.deferred_probe_timeout == 0) return -ETIMEDOUT;
    return -EPROBE_DEFER;
}

void deferred_probe_initcall() {
    DriverCore& c = core();
    c.deferred_probe_enable = true;
    driver_deferred_probe_trigger();
    flush_work(c.deferred_probe_work);  // sort out as many dependencies as possible before going on
    c.initcalls_done = true;
    driver_deferred_probe_trigger();
    flush_work(c.deferred_probe_work);
    if (c.deferred_probe_timeout > 0)
        c.deferred_probe_timeout_work.queue(system_wq(), sc_core::sc_time(c.deferred_probe_timeout, sc_core::SC_SEC));
}

// Read without the mutex: SystemC runs one thread at a time, so the list is consistent here.
std::vector<std::string> deferred_probe_pending_devices() {
    std::vector<std::string> names;
    for (const Device* dev : core().pending) names.push_back(dev->name());
    return names;
}

void driver_core_parse_command_line(const CommandLine& cmdline) {
    DriverCore& c = core();
    if (const auto timeout = cmdline.integer("deferred_probe_timeout"); timeout && *timeout >= INT_MIN &&
                                                                        *timeout <= INT_MAX)
        c.deferred_probe_timeout = static_cast<int>(*timeout);
    if (const auto names = cmdline.value("driver_async_probe")) {
        c.async_probe_drv_names = *names;
        c.async_probe_default = parse_option_str(*names, "*");
    }
}

}  // namespace iommu_vp::kernel
