// The device/driver model of the kernel runtime (Linux drivers/base/: core.c, bus.c, driver.c, dd.c):
// buses with notifier chains, devices with a device_lock, drivers with probe/remove, and the driver
// core that binds them.
//
// Binding follows dd.c. really_probe (iommu-core.md 3.8), under device_lock(dev): dev->driver is set
// BEFORE the bus's dma_configure hook (which the IOMMU core fills), then BUS_NOTIFY_BIND_DRIVER, the
// driver's probe, driver_bound (deferred list re-run, BUS_NOTIFY_BOUND_DRIVER). A failed probe unwinds
// with BUS_NOTIFY_DRIVER_NOT_BOUND, dma_cleanup, and dev->driver cleared; a failed dma_configure only
// clears dev->driver (nothing to clean up). -EPROBE_DEFER, from the driver or from dma_configure, puts
// the device on the deferred-probe pending list; every successful bind moves the pending list to the
// active list and queues the deferred-probe work, which re-probes those devices in its own thread
// ("deferwq"). A bind that happens while a probe is running makes that probe's deferral re-trigger
// (deferred_trigger_count), so a deferral racing with its supplier's bind is not lost.
// deferred_probe_initcall() is the late initcall: it enables the retries (before it, devices only
// collect on the pending list) and arms the deferred-probe timeout (command line
// deferred_probe_timeout=, seconds of simulated time, 10 by default, -1 never); once it expires,
// driver_deferred_probe_check_state() answers -ETIMEDOUT instead of -EPROBE_DEFER, the list is re-run
// one last time, and each device still pending is reported ("deferred_probe_pending"); a driver that
// itself keeps returning -EPROBE_DEFER stays deferred, as in Linux.
// Asynchronous probing is per driver (ProbeType, or driver_async_probe= on the command line): the
// probes of such a driver run in their own threads, so driver_register() returns before they finish;
// wait_for_device_probe() waits for them. Removal follows core.c: device_del marks the device dead,
// notifies BUS_NOTIFY_DEL_DEVICE, takes it off its bus, unbinds its driver (UNBIND_DRIVER, remove,
// dma_cleanup, UNBOUND_DRIVER), drops it from the deferred lists, then BUS_NOTIFY_REMOVED_DEVICE (the
// IOMMU core's iommu_release_device hook). Bus-specific removal (PCI's hot-unplug) unbinds first.
//
// Devices are reference counted (get_device/put_device): allocate them with new; device_initialize is
// the constructor (one reference); the last put_device calls release(), which deletes the device
// unless a subclass says otherwise. Buses and drivers belong to their creators and must outlive their
// registration. Whatever adds, removes, binds, unbinds or locks runs in a software thread
// (device_lock is a runtime Mutex).
//
// Interleaving points (iommu-core.md 12, 16), each with ":<device name>": really_probe.enter (device
// lock held; S2's IP2.1/IP2.3), IP3.6.driver_set (dev->driver set, dma_configure not yet called),
// really_probe.after_dma_configure, IP3.5.bound (driver_bound has kicked the deferred list),
// deferred_probe.retry (the deferred worker is about to re-probe), device_del.enter,
// release_driver.before_remove (device lock held, driver's remove about to run).
//
// Not modelled: device links and fw_devlink (suppliers are found by deferral only), pinctrl, PM and
// runtime PM, sysfs/uevents, devres, driver_override, the parent lock of need_parent_lock buses,
// device_block_probing, module loading (CONFIG_MODULES is taken as set: the 10 s default timeout).
#pragma once

#include "sw_stack/kernel/firmware.h"
#include "sw_stack/kernel/sync.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace iommu_vp::kernel {

class CommandLine;
class Device;
class Driver;
// The IOMMU core's per-device state and groups (iommu-core.md 2.2, 2.3): opaque to the driver core.
struct DevIommu;
struct IommuGroup;

// ---- notifiers (include/linux/notifier.h, include/linux/device/bus.h) ------------------------------

inline constexpr unsigned long BUS_NOTIFY_ADD_DEVICE = 0x00000001;       // device added
inline constexpr unsigned long BUS_NOTIFY_DEL_DEVICE = 0x00000002;       // device about to be removed
inline constexpr unsigned long BUS_NOTIFY_REMOVED_DEVICE = 0x00000003;   // device removed
inline constexpr unsigned long BUS_NOTIFY_BIND_DRIVER = 0x00000004;      // driver about to be bound
inline constexpr unsigned long BUS_NOTIFY_BOUND_DRIVER = 0x00000005;     // driver bound to device
inline constexpr unsigned long BUS_NOTIFY_UNBIND_DRIVER = 0x00000006;    // driver about to be unbound
inline constexpr unsigned long BUS_NOTIFY_UNBOUND_DRIVER = 0x00000007;   // driver unbound from device
inline constexpr unsigned long BUS_NOTIFY_DRIVER_NOT_BOUND = 0x00000008; // driver failed to bind
const char* bus_notify_name(unsigned long action);  // "BUS_NOTIFY_ADD_DEVICE"

inline constexpr int NOTIFY_DONE = 0x0000;       // don't care
inline constexpr int NOTIFY_OK = 0x0001;         // suits me
inline constexpr int NOTIFY_STOP_MASK = 0x8000;  // don't call further
inline constexpr int NOTIFY_BAD = NOTIFY_STOP_MASK | 0x0002;
inline constexpr int NOTIFY_STOP = NOTIFY_OK | NOTIFY_STOP_MASK;

struct NotifierBlock {
    std::function<int(unsigned long action, Device& dev)> notifier_call;
    int priority = 0;  // higher runs first; equal ones in registration order
};

// ---- bus, device, driver ---------------------------------------------------------------------------

// The driver core's own bookkeeping (Linux's dev->p, bus->p, drv->p): read it in tests, write it never.
struct BusPrivate {
    std::vector<Device*> devices;        // klist_devices, each holding a reference
    std::vector<Driver*> drivers;        // klist_drivers
    std::vector<NotifierBlock*> notifiers;
    RwSemaphore notifier_rwsem{"bus_notifier"};  // a blocking notifier chain's rwsem
    std::uint64_t next_seq = 1;          // lets a walk resume after the entry it last visited
};

class Bus {
public:
    explicit Bus(std::string bus_name) : name(std::move(bus_name)) {}
    Bus(const Bus&) = delete;
    Bus& operator=(const Bus&) = delete;

    const std::string name;
    // struct bus_type's hooks, each optional.
    // > 0: the driver can handle the device; 0: no; -EPROBE_DEFER: ask again later; < 0: error.
    // Empty: every driver matches every device.
    std::function<int(Device&, Driver&)> match;
    std::function<int(Device&)> probe;     // used instead of the driver's probe when set
    std::function<void(Device&)> remove;   // used instead of the driver's remove when set
    // really_probe calls dma_configure after setting dev->driver and before the driver's probe; a
    // failure aborts the bind. dma_cleanup undoes it on unbind or when the probe fails.
    std::function<int(Device&)> dma_configure;
    std::function<void(Device&)> dma_cleanup;
    bool drivers_autoprobe = true;

    BusPrivate p;
};

struct DevicePrivate {
    unsigned kref = 1;                   // device_initialize's reference
    bool registered = false;             // device_is_registered: between device_add and device_del
    bool dead = false;                   // kill_device: device_del has begun
    bool bound = false;                  // device_is_bound: on its driver's device list
    bool can_match = false;              // some driver matched it once (only then is it deferred)
    bool deferred = false;               // on the pending or active deferred-probe list
    Driver* async_driver = nullptr;      // __driver_attach's queued asynchronous probe
    std::uint64_t bus_seq = 0;
};

class Device {
public:
    // device_initialize: one reference, held by the creator.
    explicit Device(std::string device_name) : name_(std::move(device_name)) {}
    virtual ~Device() = default;
    Device(const Device&) = delete;
    Device& operator=(const Device&) = delete;

    const std::string& name() const { return name_; }

    Device* parent = nullptr;
    Bus* bus = nullptr;
    // Set in really_probe before dma_configure, cleared when a bind fails or on unbind; stable only
    // under device_lock (or in the bound driver itself).
    Driver* driver = nullptr;
    const FwNode* fwnode = nullptr;      // the firmware node the device was created from, if any
    void* driver_data = nullptr;         // dev_get_drvdata / dev_set_drvdata
    std::uint64_t dma_mask = 0xffffffffull;
    std::uint64_t coherent_dma_mask = 0xffffffffull;

    // Slots the IOMMU core fills; the driver core never reads them.
    DevIommu* iommu = nullptr;           // dev->iommu
    IommuGroup* iommu_group = nullptr;   // dev->iommu_group
    bool dma_iommu = false;              // dev->dma_iommu: the DMA API translates through the IOMMU

    Mutex mutex{"device_lock"};          // device_lock(dev); all devices share the lock class
    DevicePrivate p;

    // Called by the last put_device. The default frees the device, which must then come from new.
    virtual void release() { delete this; }

private:
    std::string name_;
};

// How a driver's probes run (enum probe_type).
enum class ProbeType {
    default_strategy,     // synchronous unless driver_async_probe= names the driver
    prefer_asynchronous,  // PROBE_PREFER_ASYNCHRONOUS
    force_synchronous,    // PROBE_FORCE_SYNCHRONOUS
};

struct DriverPrivate {
    std::vector<Device*> devices;        // bound devices, in bind order
    bool registered = false;
    std::uint64_t bus_seq = 0;
};

class Driver {
public:
    explicit Driver(std::string driver_name) : name(std::move(driver_name)) {}
    virtual ~Driver() = default;
    Driver(const Driver&) = delete;
    Driver& operator=(const Driver&) = delete;

    const std::string name;
    Bus* bus = nullptr;
    ProbeType probe_type = ProbeType::default_strategy;
    // The driver manages DMA itself (VFIO-like): the IOMMU core's dma_configure must not claim the
    // default domain for it (iommu-core.md 3.8 step 4, 5).
    bool driver_managed_dma = false;
    std::function<int(Device&)> probe;   // 0, or a negative errno (-EPROBE_DEFER: try again later)
    std::function<void(Device&)> remove;

    DriverPrivate p;
};

// ---- devices (core.c) ------------------------------------------------------------------------------

inline const std::string& dev_name(const Device& dev) { return dev.name(); }
inline void* dev_get_drvdata(const Device& dev) { return dev.driver_data; }
inline void dev_set_drvdata(Device& dev, void* data) { dev.driver_data = data; }

Device* get_device(Device* dev);
void put_device(Device* dev);

// Registers the device: on its bus's list, BUS_NOTIFY_ADD_DEVICE, then an attempt to bind a driver
// (asynchronous drivers are probed in their own threads). 0, -EINVAL without a name, -EEXIST when the
// device is registered already or its bus has a device of that name.
int device_add(Device& dev);
inline int device_register(Device& dev) { return device_add(dev); }
void device_del(Device& dev);
// device_del, then the registration's reference goes (the device may be freed on return).
void device_unregister(Device& dev);

void device_lock(Device& dev, const char* file = __builtin_FILE(), unsigned line = __builtin_LINE());
bool device_trylock(Device& dev, const char* file = __builtin_FILE(), unsigned line = __builtin_LINE());
void device_unlock(Device& dev);
void device_lock_assert(const Device& dev, const char* file = __builtin_FILE(), unsigned line = __builtin_LINE());
inline bool device_is_registered(const Device& dev) { return dev.p.registered; }
inline bool device_is_bound(const Device& dev) { return dev.p.bound; }

// ---- buses (bus.c) ---------------------------------------------------------------------------------

int bus_register_notifier(Bus& bus, NotifierBlock& nb);
int bus_unregister_notifier(Bus& bus, NotifierBlock& nb);  // -ENOENT if not registered
// Calls the bus's notifier chain for `dev` (a no-op for a device without a bus).
void bus_notify(Device& dev, unsigned long action);
// Walk the bus's devices / drivers in registration order; entries added during the walk are visited,
// removed ones are not. A non-zero return stops the walk and is returned. The device is held
// (get_device) while `fn` runs.
int bus_for_each_dev(Bus& bus, const std::function<int(Device&)>& fn);
int bus_for_each_drv(Bus& bus, const std::function<int(Driver&)>& fn);

// ---- drivers and binding (driver.c, dd.c) ---------------------------------------------------------

// Registers the driver and binds it to every matching unbound device of its bus (asynchronous
// drivers: in their own threads, after this returns). 0, -EINVAL without a bus, -EBUSY when it or a
// driver of the same name is registered on the bus.
int driver_register(Driver& drv);
// Unbinds the driver from its devices (last bound first), then forgets it.
void driver_unregister(Driver& drv);

// Binds a driver to the device now, synchronously: 1 bound, 0 no driver, -ENODEV not registered.
int device_attach(Device& dev);
// Binds this driver to this device (a sysfs "bind"): 0 or a negative errno; a deferral is -EAGAIN.
int device_driver_attach(Driver& drv, Device& dev);
// Unbinds the device's driver, if any.
void device_release_driver(Device& dev);
bool driver_allows_async_probing(const Driver& drv);

// Waits until the deferred-probe work, running probes and asynchronous probes have all finished.
void wait_for_device_probe();
// 0 when no probe is running, else -EBUSY.
int driver_probe_done();

// What code that waits for another component should return (iommu_fwspec_init, iommu-core.md 2.2):
// -EPROBE_DEFER, or -ETIMEDOUT once the deferred-probe timeout has expired after the initcalls.
int driver_deferred_probe_check_state(Device& dev);
// The late initcall: enables deferred-probe retries, re-runs the pending list twice (waiting for
// each run), marks the initcalls done and arms the deferred-probe timeout.
void deferred_probe_initcall();
// The devices on the deferred-probe pending list, by name (debugfs devices_deferred).
std::vector<std::string> deferred_probe_pending_devices();
// Boot parameters: deferred_probe_timeout=<seconds> and driver_async_probe=<name>[,<name>...] ("*":
// every driver not named). Call before the first driver registers.
void driver_core_parse_command_line(const CommandLine& cmdline);

}  // namespace iommu_vp::kernel
