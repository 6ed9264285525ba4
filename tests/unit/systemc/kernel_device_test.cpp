// The device/driver model of the kernel runtime in simulated time: binding under the device lock with
// the bus notifiers in dd.c's order; dev->driver set before the bus's DMA configuration and each
// failure undoing exactly what was done; deferred probe retried after the supplier binds (also when
// the bind races with the deferring probe) and given up after the deferred-probe timeout;
// asynchronous probing running while another driver registers; removal in core.c's order, waiting
// for a running probe and pre-empting a queued one; PCI enumeration (every function added before any
// driver binds), hot-add, orderly and surprise removal; the platform bus built from the firmware
// description.
//
// Expected orders and values are worked out from Linux's drivers/base/ and drivers/pci/ behaviour.
// The bench is a runtime on a machine with no hardware: the device model needs threads and locks only.
#include "no_hardware.h"
#include "sc_test.h"
#include "sw_stack/kernel/command_line.h"
#include "sw_stack/kernel/device.h"
#include "sw_stack/kernel/errno.h"
#include "sw_stack/kernel/interleave.h"
#include "sw_stack/kernel/pci.h"
#include "sw_stack/kernel/platform.h"
#include "sw_stack/kernel/runtime.h"

#include <gtest/gtest.h>

#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace iommu_vp {
namespace {

using namespace kernel;
using Log = std::vector<std::string>;

sc_core::sc_time us(double n) { return sc_core::sc_time(n, sc_core::SC_US); }
sc_core::sc_time now() { return sc_core::sc_time_stamp(); }
std::string current_thread() { return Runtime::get().self().name(); }

using testing::NoHardware;

struct Bench {
    NoHardware machine;
    std::unique_ptr<Runtime> runtime;
    std::ostringstream reports;
    Bench() : runtime(std::make_unique<Runtime>(machine, RuntimeParams{})) { runtime->set_report_sink(&reports); }
    void boot(std::function<void()> body) { runtime->spawn("boot", std::move(body)); }
    // A last run of the simulation, after the test's checks, that unregisters what the test left
    // registered: nothing it allocated outlives it.
    void teardown(std::function<void()> body) {
        runtime->spawn("teardown", std::move(body));
        sc_core::sc_start();
    }
};

void unregister_all(std::initializer_list<Device*> devices) {
    for (Device* dev : devices) device_unregister(*dev);
}

// Counts releases, so a test sees when the last reference went.
int released = 0;
class TestDevice final : public Device {
public:
    TestDevice(std::string name, Bus& on) : Device(std::move(name)) { bus = &on; }
    void release() override {
        ++released;
        delete this;
    }
};

// A bus whose drivers match the devices whose names start with the driver's name.
struct TestBus : Bus {
    TestBus() : Bus("test") {
        match = [](Device& dev, Driver& drv) { return dev.name().rfind(drv.name, 0) == 0 ? 1 : 0; };
    }
};

NotifierBlock recorder(Log& log) {
    return NotifierBlock{[&log](unsigned long action, Device& dev) {
                             log.push_back(std::string(bus_notify_name(action)) + " " + dev.name());
                             return NOTIFY_DONE;
                         },
                         0};
}

class KernelDeviceTest : public iommu_vp::testing::ScTest {};

// ---- binding ---------------------------------------------------------------------------------------

TEST_F(KernelDeviceTest, AddingADeviceNotifiesAndBindsItsDriverUnderTheDeviceLock) {
    Bench bench;
    TestBus bus;
    Log log;
    NotifierBlock nb = recorder(log);
    Driver drv("blk");
    drv.bus = &bus;
    bool lock_held_in_probe = false;
    drv.probe = [&](Device& dev) {
        lock_held_in_probe = dev.mutex.owner() == &Runtime::get().self();
        log.push_back("probe " + dev.name());
        return 0;
    };
    TestDevice* dev = nullptr;
    bench.boot([&] {
        ASSERT_EQ(bus_register_notifier(bus, nb), 0);
        EXPECT_EQ(bus_register_notifier(bus, nb), -EEXIST);
        ASSERT_EQ(driver_register(drv), 0);
        dev = new TestDevice("blk0", bus);
        get_device(dev);  // the test's own reference
        ASSERT_EQ(device_add(*dev), 0);
        EXPECT_EQ(dev->driver, &drv);
        EXPECT_TRUE(device_is_bound(*dev));
        EXPECT_EQ(drv.p.devices, (std::vector<Device*>{dev}));

        auto* twin = new TestDevice("blk0", bus);
        EXPECT_EQ(device_add(*twin), -EEXIST);  // a bus has one device of a name
        put_device(twin);
        Driver same_name("blk");
        same_name.bus = &bus;
        EXPECT_EQ(driver_register(same_name), -EBUSY);
        Driver no_bus("orphan");
        EXPECT_EQ(driver_register(no_bus), -EINVAL);

        device_unregister(*dev);
        EXPECT_EQ(bus_unregister_notifier(bus, nb), 0);
        EXPECT_EQ(bus_unregister_notifier(bus, nb), -ENOENT);
    });
    sc_core::sc_start();
    EXPECT_EQ(log, (Log{"BUS_NOTIFY_ADD_DEVICE blk0", "BUS_NOTIFY_BIND_DRIVER blk0", "probe blk0",
                        "BUS_NOTIFY_BOUND_DRIVER blk0", "BUS_NOTIFY_DEL_DEVICE blk0", "BUS_NOTIFY_UNBIND_DRIVER blk0",
                        "BUS_NOTIFY_UNBOUND_DRIVER blk0", "BUS_NOTIFY_REMOVED_DEVICE blk0"}));
    EXPECT_TRUE(lock_held_in_probe);
    EXPECT_EQ(released, 1);  // the twin; blk0 is kept by the test's reference
    put_device(dev);
    EXPECT_EQ(released, 2);
    EXPECT_EQ(bench.runtime->reports().size(), 0u) << bench.reports.str();
}

// Records, at the point where dev->driver has just been set, what the device looked like.
class DriverSetProbe final : public InterleavingListener {
public:
    explicit DriverSetProbe(Log& log) : log_(log) {}
    Device* watched = nullptr;
    bool dma_configured = false;
    void reached(Thread&, const std::string& point) override {
        if (point.rfind("IP3.6.driver_set:", 0) != 0 || !watched) return;
        log_.push_back(point + " driver=" + (watched->driver ? watched->driver->name : "none") +
                       (dma_configured ? " after dma_configure" : " before dma_configure"));
    }

private:
    Log& log_;
};

TEST_F(KernelDeviceTest, DriverIsSetBeforeDmaConfigurationAndAFailedBindUndoesWhatWasDone) {
    Bench bench;
    TestBus bus;
    Log log;
    NotifierBlock nb = recorder(log);
    DriverSetProbe listener(log);
    std::map<std::string, int> dma_result = {{"vfio-ok", 0}, {"vfio-fails", 0}, {"vfio-defers", -EPROBE_DEFER}};
    bus.dma_configure = [&](Device& dev) {
        listener.dma_configured = true;
        log.push_back("dma_configure " + dev.name() + " driver=" + (dev.driver ? dev.driver->name : "none") +
                      (dev.driver && dev.driver->driver_managed_dma ? " driver_managed_dma" : ""));
        return dma_result[dev.name()];
    };
    bus.dma_cleanup = [&](Device& dev) { log.push_back("dma_cleanup " + dev.name()); };
    Driver drv("vfio");
    drv.bus = &bus;
    drv.driver_managed_dma = true;
    drv.probe = [&](Device& dev) {
        log.push_back("probe " + dev.name());
        return dev.name() == "vfio-fails" ? -EIO : 0;
    };
    std::map<std::string, TestDevice*> devs;
    bench.boot([&] {
        bus_register_notifier(bus, nb);
        driver_register(drv);
        set_interleaving_listener(&listener);
        for (const char* name : {"vfio-ok", "vfio-fails", "vfio-defers"}) {
            devs[name] = new TestDevice(name, bus);
            listener.watched = devs[name];
            listener.dma_configured = false;
            device_add(*devs[name]);
        }
        set_interleaving_listener(nullptr);
    });
    sc_core::sc_start();
    EXPECT_EQ(log, (Log{
                       "BUS_NOTIFY_ADD_DEVICE vfio-ok",
                       "IP3.6.driver_set:vfio-ok driver=vfio before dma_configure",
                       "dma_configure vfio-ok driver=vfio driver_managed_dma",
                       "BUS_NOTIFY_BIND_DRIVER vfio-ok",
                       "probe vfio-ok",
                       "BUS_NOTIFY_BOUND_DRIVER vfio-ok",
                       // A failed probe: the notifier hears of it, and the DMA configuration is undone.
                       "BUS_NOTIFY_ADD_DEVICE vfio-fails",
                       "IP3.6.driver_set:vfio-fails driver=vfio before dma_configure",
                       "dma_configure vfio-fails driver=vfio driver_managed_dma",
                       "BUS_NOTIFY_BIND_DRIVER vfio-fails",
                       "probe vfio-fails",
                       "BUS_NOTIFY_DRIVER_NOT_BOUND vfio-fails",
                       "dma_cleanup vfio-fails",
                       // A failed DMA configuration: nothing to clean up, no probe, no bind notification.
                       "BUS_NOTIFY_ADD_DEVICE vfio-defers",
                       "IP3.6.driver_set:vfio-defers driver=vfio before dma_configure",
                       "dma_configure vfio-defers driver=vfio driver_managed_dma",
                   }));
    EXPECT_TRUE(device_is_bound(*devs["vfio-ok"]));
    for (const char* failed : {"vfio-fails", "vfio-defers"}) {
        EXPECT_EQ(devs[failed]->driver, nullptr) << failed;
        EXPECT_FALSE(device_is_bound(*devs[failed])) << failed;
    }
    // Only the deferral waits for another try.
    EXPECT_EQ(deferred_probe_pending_devices(), (std::vector<std::string>{"vfio-defers"}));
    EXPECT_EQ(bench.runtime->reports().size(), 0u) << bench.reports.str();
    bench.teardown([&] { unregister_all({devs["vfio-ok"], devs["vfio-fails"], devs["vfio-defers"]}); });
}

// ---- deferred probe --------------------------------------------------------------------------------

TEST_F(KernelDeviceTest, DeferredProbeIsRetriedAfterTheSupplierBinds) {
    Bench bench;
    TestBus bus;
    Driver supplier("clk"), consumer("gpu");
    supplier.bus = consumer.bus = &bus;
    bool clock_ready = false;
    supplier.probe = [&](Device&) {
        clock_ready = true;
        return 0;
    };
    struct Attempt {
        sc_core::sc_time at;
        std::string thread;
        bool ready;
    };
    std::vector<Attempt> attempts;
    consumer.probe = [&](Device&) {
        attempts.push_back({now(), current_thread(), clock_ready});
        return clock_ready ? 0 : -EPROBE_DEFER;
    };
    TestDevice* gpu = nullptr;
    TestDevice* clk = new TestDevice("clk0", bus);
    sc_core::sc_time supplier_bound;
    std::vector<std::string> pending_after_initcall;
    bench.boot([&] {
        driver_register(consumer);
        gpu = new TestDevice("gpu0", bus);
        device_add(*gpu);
        // Before the late initcall, a deferral only waits on the list.
        EXPECT_EQ(deferred_probe_pending_devices(), (std::vector<std::string>{"gpu0"}));
        EXPECT_EQ(attempts.size(), 1u);
        deferred_probe_initcall();
        pending_after_initcall = deferred_probe_pending_devices();
        Runtime::get().delay(us(2000));
        driver_register(supplier);
        device_add(*clk);
        supplier_bound = now();
        wait_for_device_probe();
        EXPECT_TRUE(device_is_bound(*gpu));
    });
    sc_core::sc_start();
    // The probe at registration, then the initcall's two re-runs of the list, then the retry that the
    // supplier's bind triggers.
    ASSERT_EQ(attempts.size(), 4u);
    EXPECT_EQ(pending_after_initcall, (std::vector<std::string>{"gpu0"}));
    EXPECT_EQ(attempts[1].thread, "deferwq/0");
    EXPECT_FALSE(attempts[2].ready);
    EXPECT_TRUE(attempts[3].ready);
    EXPECT_EQ(attempts[3].thread, "deferwq/0");  // retried by the deferred-probe work, not by the binder
    EXPECT_EQ(attempts[3].at, supplier_bound);
    EXPECT_EQ(gpu->driver, &consumer);
    EXPECT_TRUE(deferred_probe_pending_devices().empty());
    EXPECT_EQ(bench.runtime->reports().size(), 0u) << bench.reports.str();
    bench.teardown([&] { unregister_all({gpu, clk}); });
}

TEST_F(KernelDeviceTest, ADeferralThatRacesWithItsSuppliersBindIsRetried) {
    Bench bench;
    TestBus bus;
    Driver supplier("clk"), consumer("gpu");
    supplier.bus = consumer.bus = &bus;
    bool clock_ready = false;
    supplier.probe = [&](Device&) {
        clock_ready = true;
        return 0;
    };
    int attempts = 0;
    sc_core::sc_time bound_at;
    consumer.probe = [&](Device&) {
        ++attempts;
        bound_at = now();
        if (clock_ready) return 0;
        Runtime::get().delay(us(10));  // looks for its clock, does not find it, gives up a little later
        return -EPROBE_DEFER;
    };
    TestDevice* gpu = new TestDevice("gpu0", bus);
    TestDevice* clk = new TestDevice("clk0", bus);
    bench.boot([&] {
        deferred_probe_initcall();
        driver_register(consumer);
        device_add(*gpu);  // probes from 0 to 10 us
    });
    bench.runtime->spawn("supplier", [&] {
        Runtime::get().delay(us(5));
        driver_register(supplier);
        device_add(*clk);  // binds at 5 us: the pending list is empty then
    });
    sc_core::sc_start();
    // Without the trigger count, gpu0 would go on the pending list after the only trigger and wait
    // there for the deferred-probe timeout.
    EXPECT_EQ(attempts, 2);
    EXPECT_EQ(bound_at, us(10));
    EXPECT_TRUE(device_is_bound(*gpu));
    EXPECT_TRUE(deferred_probe_pending_devices().empty());
    EXPECT_EQ(bench.runtime->reports().size(), 0u) << bench.reports.str();
    bench.teardown([&] { unregister_all({gpu, clk}); });
}

TEST_F(KernelDeviceTest, AfterTheDeferredProbeTimeoutWaitingForASupplierFails) {
    Bench bench;
    TestBus bus;
    Driver waits_politely("iommu-client"), insists("stubborn");
    waits_politely.bus = insists.bus = &bus;
    std::vector<std::pair<sc_core::sc_time, int>> answers;
    waits_politely.probe = [&](Device& dev) {
        // What code waiting for a component that never comes returns (iommu_fwspec_init does so).
        const int ret = driver_deferred_probe_check_state(dev);
        answers.emplace_back(now(), ret);
        return ret;
    };
    insists.probe = [](Device&) { return -EPROBE_DEFER; };
    TestDevice* client = new TestDevice("iommu-client0", bus);
    TestDevice* stubborn = new TestDevice("stubborn0", bus);
    bench.boot([&] {
        driver_core_parse_command_line(CommandLine::parse("quiet deferred_probe_timeout=1"));
        driver_register(waits_politely);
        driver_register(insists);
        device_add(*client);
        device_add(*stubborn);
        deferred_probe_initcall();
    });
    sc_core::sc_start();
    ASSERT_GE(answers.size(), 2u);
    for (std::size_t i = 0; i + 1 < answers.size(); ++i) {
        EXPECT_LT(answers[i].first, sc_core::sc_time(1, sc_core::SC_SEC));
        EXPECT_EQ(answers[i].second, -EPROBE_DEFER);
    }
    EXPECT_EQ(answers.back().first, sc_core::sc_time(1, sc_core::SC_SEC));
    EXPECT_EQ(answers.back().second, -ETIMEDOUT);
    EXPECT_FALSE(device_is_bound(*client));
    // The timeout is not a bind: a driver that keeps deferring stays deferred, and is reported.
    EXPECT_EQ(deferred_probe_pending_devices(), (std::vector<std::string>{"stubborn0"}));
    EXPECT_EQ(bench.runtime->report_count("deferred_probe_pending"), 1u) << bench.reports.str();
    EXPECT_NE(bench.reports.str().find("stubborn0"), std::string::npos);
    EXPECT_EQ(bench.runtime->reports().size(), 1u) << bench.reports.str();
    bench.teardown([&] { unregister_all({client, stubborn}); });
}

// ---- asynchronous probe ----------------------------------------------------------------------------

TEST_F(KernelDeviceTest, AnAsynchronousProbeRunsWhileAnotherDriverRegisters) {
    Bench bench;
    TestBus bus;
    Driver slow("nvme"), fast("uart");
    slow.bus = fast.bus = &bus;
    slow.probe_type = ProbeType::prefer_asynchronous;
    sc_core::sc_time slow_start, slow_end, fast_bound, slow_registered, all_probed;
    std::string slow_thread, fast_thread;
    bool lock_held_by_prober = false;
    slow.probe = [&](Device& dev) {
        slow_start = now();
        slow_thread = current_thread();
        lock_held_by_prober = dev.mutex.owner() == &Runtime::get().self();
        Runtime::get().delay(us(100));  // controller reset
        slow_end = now();
        return 0;
    };
    fast.probe = [&](Device&) {
        fast_thread = current_thread();
        Runtime::get().delay(us(10));
        return 0;
    };
    TestDevice* nvme = new TestDevice("nvme0", bus);
    TestDevice* uart = new TestDevice("uart0", bus);
    bench.boot([&] {
        device_add(*nvme);
        device_add(*uart);
        EXPECT_EQ(driver_register(slow), 0);
        slow_registered = now();
        EXPECT_FALSE(device_is_bound(*nvme));  // driver_register did not wait for the probe
        EXPECT_EQ(driver_register(fast), 0);
        fast_bound = now();
        EXPECT_TRUE(device_is_bound(*uart));
        EXPECT_FALSE(device_is_bound(*nvme));
        wait_for_device_probe();
        all_probed = now();
        EXPECT_TRUE(device_is_bound(*nvme));
    });
    sc_core::sc_start();
    EXPECT_EQ(slow_registered, sc_core::SC_ZERO_TIME);
    EXPECT_EQ(fast_thread, "boot");
    EXPECT_EQ(slow_thread.rfind("async_probe/", 0), 0u) << slow_thread;
    EXPECT_TRUE(lock_held_by_prober);
    // The two probes overlap in simulated time.
    EXPECT_EQ(slow_start, sc_core::SC_ZERO_TIME);
    EXPECT_EQ(fast_bound, us(10));
    EXPECT_LT(fast_bound, slow_end);
    EXPECT_EQ(slow_end, us(100));
    EXPECT_EQ(all_probed, us(100));  // wait_for_device_probe waited for the asynchronous one
    EXPECT_EQ(bench.runtime->reports().size(), 0u) << bench.reports.str();
    bench.teardown([&] { unregister_all({nvme, uart}); });
}

TEST_F(KernelDeviceTest, TheCommandLineChoosesWhichDefaultDriversProbeAsynchronously) {
    Bench bench;
    Driver net("e1000e"), blk("ahci"), forced("i915"), preferred("nvme");
    forced.probe_type = ProbeType::force_synchronous;
    preferred.probe_type = ProbeType::prefer_asynchronous;
    EXPECT_FALSE(driver_allows_async_probing(net));
    driver_core_parse_command_line(CommandLine::parse("driver_async_probe=e1000e,i915"));
    EXPECT_TRUE(driver_allows_async_probing(net));
    EXPECT_FALSE(driver_allows_async_probing(blk));
    EXPECT_FALSE(driver_allows_async_probing(forced));  // a driver's own choice wins
    EXPECT_TRUE(driver_allows_async_probing(preferred));
    // "*": every driver not named.
    driver_core_parse_command_line(CommandLine::parse("driver_async_probe=*,e1000e"));
    EXPECT_FALSE(driver_allows_async_probing(net));
    EXPECT_TRUE(driver_allows_async_probing(blk));
    EXPECT_FALSE(driver_allows_async_probing(forced));
}

// ---- removal ---------------------------------------------------------------------------------------

TEST_F(KernelDeviceTest, DeviceUnregisterNotifiesUnbindsAndReleasesInTheKernelsOrder) {
    Bench bench;
    TestBus bus;
    Log log;
    NotifierBlock nb = recorder(log);
    bus.dma_cleanup = [&](Device& dev) { log.push_back("dma_cleanup " + dev.name()); };
    Driver drv("net");
    drv.bus = &bus;
    drv.remove = [&](Device& dev) { log.push_back("remove " + dev.name() + (dev.p.dead ? " (dead)" : "")); };
    TestDevice* dev = new TestDevice("net0", bus);
    bench.boot([&] {
        driver_register(drv);
        device_add(*dev);
        bus_register_notifier(bus, nb);
        get_device(dev);
        device_unregister(*dev);
        EXPECT_EQ(released, 0);  // the test's reference keeps it
        EXPECT_FALSE(device_is_registered(*dev));
        EXPECT_EQ(dev->driver, nullptr);
        EXPECT_TRUE(bus.p.devices.empty());
        EXPECT_TRUE(drv.p.devices.empty());
        put_device(dev);
        EXPECT_EQ(released, 1);
    });
    sc_core::sc_start();
    // core.c's device_del: DEL_DEVICE, then off the bus and unbound, then REMOVED_DEVICE (the IOMMU
    // core's release hook) once the driver is gone.
    EXPECT_EQ(log, (Log{"BUS_NOTIFY_DEL_DEVICE net0", "BUS_NOTIFY_UNBIND_DRIVER net0", "remove net0 (dead)",
                        "dma_cleanup net0", "BUS_NOTIFY_UNBOUND_DRIVER net0", "BUS_NOTIFY_REMOVED_DEVICE net0"}));
    EXPECT_EQ(bench.runtime->reports().size(), 0u) << bench.reports.str();
}

TEST_F(KernelDeviceTest, DriverUnregisterUnbindsItsDevicesLastBoundFirst) {
    Bench bench;
    TestBus bus;
    Log removed;
    Driver drv("disk");
    drv.bus = &bus;
    drv.remove = [&](Device& dev) { removed.push_back(dev.name()); };
    TestDevice* late = new TestDevice("disk9", bus);
    std::vector<TestDevice*> disks;
    bench.boot([&] {
        for (const char* name : {"disk0", "disk1", "disk2"}) {
            disks.push_back(new TestDevice(name, bus));
            device_add(*disks.back());
        }
        driver_register(drv);
        driver_unregister(drv);
        device_add(*late);
    });
    sc_core::sc_start();
    EXPECT_EQ(removed, (Log{"disk2", "disk1", "disk0"}));
    EXPECT_TRUE(drv.p.devices.empty());
    EXPECT_TRUE(bus.p.drivers.empty());
    EXPECT_FALSE(device_is_bound(*late));  // the unregistered driver no longer binds
    EXPECT_EQ(bench.runtime->reports().size(), 0u) << bench.reports.str();
    bench.teardown([&] { unregister_all({disks[0], disks[1], disks[2], late}); });
}

TEST_F(KernelDeviceTest, RemovalWaitsForARunningProbe) {
    Bench bench;
    TestBus bus;
    Log log;
    NotifierBlock nb{[&log](unsigned long action, Device&) {
                         if (action == BUS_NOTIFY_DEL_DEVICE) log.push_back("DEL_DEVICE at " + now().to_string());
                         return NOTIFY_DONE;
                     },
                     0};
    Driver drv("fw");
    drv.bus = &bus;
    drv.probe = [&](Device&) {
        Runtime::get().delay(us(50));  // loading firmware
        log.push_back("probe done at " + now().to_string());
        return 0;
    };
    drv.remove = [&](Device&) { log.push_back("remove at " + now().to_string()); };
    TestDevice* dev = new TestDevice("fw0", bus);
    bench.boot([&] {
        bus_register_notifier(bus, nb);
        driver_register(drv);
        device_add(*dev);
    });
    bench.runtime->spawn("hot-unplug", [&] {
        Runtime::get().delay(us(10));
        device_unregister(*dev);
        log.push_back("unregistered at " + now().to_string());
    });
    sc_core::sc_start();
    // device_del marks the device dead under its lock: nothing of the removal starts while it probes.
    EXPECT_EQ(log, (Log{"probe done at 50 us", "DEL_DEVICE at 50 us", "remove at 50 us", "unregistered at 50 us"}));
    EXPECT_EQ(released, 1);
    EXPECT_EQ(bench.runtime->reports().size(), 0u) << bench.reports.str();
}

TEST_F(KernelDeviceTest, ADeviceRemovedBeforeItsQueuedAsynchronousProbeRunsIsNeverProbed) {
    Bench bench;
    TestBus bus;
    Driver drv("wifi");
    drv.bus = &bus;
    drv.probe_type = ProbeType::prefer_asynchronous;
    int probes = 0;
    drv.probe = [&](Device&) {
        ++probes;
        return 0;
    };
    bench.boot([&] {
        driver_register(drv);
        auto* dev = new TestDevice("wifi0", bus);
        device_add(*dev);          // the asynchronous probe is queued, holding a reference
        device_unregister(*dev);   // before it runs: the device is dead when it does
        EXPECT_EQ(released, 0);
        wait_for_device_probe();
        EXPECT_EQ(released, 1);    // the queued probe's reference was the last
    });
    sc_core::sc_start();
    EXPECT_EQ(probes, 0);
    EXPECT_EQ(released, 1);
    EXPECT_EQ(bench.runtime->reports().size(), 0u) << bench.reports.str();
}

// ---- PCI -------------------------------------------------------------------------------------------

PciDeviceDesc pci_function(unsigned bus, unsigned slot, unsigned fn, PcieType type, std::uint32_t class_code,
                           std::optional<unsigned> secondary = std::nullopt) {
    PciDeviceDesc d;
    d.address = {0, static_cast<std::uint8_t>(bus), PCI_DEVFN(slot, fn)};
    d.vendor = 0x8086;
    d.device = static_cast<std::uint16_t>(0x1000 + slot * 8 + fn);
    d.class_code = class_code;
    d.pcie = type;
    if (secondary) d.secondary_bus = static_cast<std::uint8_t>(*secondary);
    return d;
}

constexpr std::uint32_t kBridgeClass = 0x060400, kEthernetClass = 0x020000, kNvmeClass = 0x010802;

struct PciLog {
    Log log;
    NotifierBlock nb{[this](unsigned long action, Device& dev) {
                         if (action == BUS_NOTIFY_ADD_DEVICE || action == BUS_NOTIFY_BOUND_DRIVER ||
                             action == BUS_NOTIFY_REMOVED_DEVICE)
                             log.push_back(std::string(bus_notify_name(action)).substr(11) + " " + dev.name());
                         return NOTIFY_DONE;
                     },
                     0};
};

// A driver for one class code whose remove says whether the function was still there.
void match_class(PciDriver& drv, std::uint32_t class_code, Log& log) {
    drv.id_table = {{PCI_ANY_ID, PCI_ANY_ID, class_code, 0xffffff}};
    drv.remove = [&log](Device& dev) {
        log.push_back("remove " + dev.name() + (pci_dev_is_disconnected(to_pci_dev(dev)) ? " (gone)" : ""));
    };
}

TEST_F(KernelDeviceTest, PciEnumerationAddsEveryFunctionBeforeAnyDriverBinds) {
    Bench bench;
    PciLog events;
    PciHostBridgeDesc host;
    host.node.name = "pcie0";
    const std::vector<PciDeviceDesc> config = {
        pci_function(0, 1, 0, PcieType::root_port, kBridgeClass, 1),
        pci_function(0, 2, 0, PcieType::rc_integrated_endpoint, kNvmeClass),
        [] {
            PciDeviceDesc d = pci_function(1, 0, 0, PcieType::endpoint, kEthernetClass);
            d.multifunction = true;
            return d;
        }(),
        pci_function(1, 0, 1, PcieType::endpoint, kEthernetClass),
    };
    PciDriver nic("igb"), nvme("nvme");
    match_class(nic, kEthernetClass, events.log);
    match_class(nvme, kNvmeClass, events.log);
    nic.id_table = {{0x8086, 0x1000, 0, 0}, {0x8086, 0x1001, 0, 0}};  // by vendor and device ID
    PciHostBridge bridge(host);
    unsigned found = 0;
    bench.boot([&] {
        bus_register_notifier(pci_bus_type(), events.nb);
        pci_register_driver(nic);
        pci_register_driver(nvme);
        found = pci_host_probe(bridge, config);

        PciDev& port = to_pci_dev(*bridge.bus().devices[0]);
        PciDev& fn1 = to_pci_dev(*port.subordinate->devices[1]);
        EXPECT_EQ(port.dev.parent, &bridge.device());
        EXPECT_EQ(fn1.dev.parent, &port.dev);
        EXPECT_TRUE(dev_is_pci(fn1.dev));
        EXPECT_EQ(&to_pci_dev(fn1.dev), &fn1);
        EXPECT_TRUE(fn1.multifunction);
        EXPECT_EQ(port.dev.driver, nullptr);  // no driver for the port

        // Orderly removal, then the function comes back by hot-plug.
        pci_stop_and_remove_bus_device(fn1);
        PciDev& back = pci_hotplug_add_device(bridge, *port.subordinate, config[3]);
        EXPECT_EQ(back.dev.driver, &nic);
        pci_remove_root_bus(bridge);
        EXPECT_TRUE(bridge.bus().devices.empty());
    });
    sc_core::sc_start();
    EXPECT_EQ(found, 4u);
    EXPECT_EQ(events.log, (Log{
                              // Scan: each function added as found, no driver yet.
                              "ADD_DEVICE 0000:00:01.0", "ADD_DEVICE 0000:00:02.0", "ADD_DEVICE 0000:01:00.0",
                              "ADD_DEVICE 0000:01:00.1",
                              // pci_bus_add_devices: bus 0, then bus 1.
                              "BOUND_DRIVER 0000:00:02.0", "BOUND_DRIVER 0000:01:00.0", "BOUND_DRIVER 0000:01:00.1",
                              "remove 0000:01:00.1", "REMOVED_DEVICE 0000:01:00.1",
                              "ADD_DEVICE 0000:01:00.1", "BOUND_DRIVER 0000:01:00.1",
                              // Root bus removal: every driver stops (last found first, on each bus) before
                              // anything goes.
                              "remove 0000:00:02.0", "remove 0000:01:00.1", "remove 0000:01:00.0",
                              "REMOVED_DEVICE 0000:01:00.0", "REMOVED_DEVICE 0000:01:00.1",
                              "REMOVED_DEVICE 0000:00:01.0", "REMOVED_DEVICE 0000:00:02.0",
                          }));
    EXPECT_EQ(bench.runtime->reports().size(), 0u) << bench.reports.str();
}

TEST_F(KernelDeviceTest, PciSurpriseRemovalStopsEveryDriverBelowBeforeDeletingAndDriversSeeTheDeviceGone) {
    Bench bench;
    PciLog events;
    PciHostBridgeDesc host;
    // Root port -> switch (upstream port 01:00.0; downstream ports 02:01.0 and 02:02.0) -> one
    // endpoint below each downstream port.
    const std::vector<PciDeviceDesc> config = {
        pci_function(0, 1, 0, PcieType::root_port, kBridgeClass, 1),
        pci_function(1, 0, 0, PcieType::upstream_port, kBridgeClass, 2),
        pci_function(2, 1, 0, PcieType::downstream_port, kBridgeClass, 3),
        pci_function(2, 2, 0, PcieType::downstream_port, kBridgeClass, 4),
        pci_function(3, 0, 0, PcieType::endpoint, kNvmeClass),
        pci_function(4, 0, 0, PcieType::endpoint, kNvmeClass),
    };
    PciDriver ports("pcieport"), nvme("nvme");
    match_class(ports, kBridgeClass, events.log);
    match_class(nvme, kNvmeClass, events.log);
    PciHostBridge bridge(host);
    PciDev* upstream = nullptr;
    PciDev* endpoint = nullptr;
    bench.boot([&] {
        pci_register_driver(ports);
        pci_register_driver(nvme);
        pci_host_probe(bridge, config);
        bus_register_notifier(pci_bus_type(), events.nb);
        PciDev& root_port = to_pci_dev(*bridge.bus().devices[0]);
        upstream = &to_pci_dev(*root_port.subordinate->devices[0]);
        endpoint = &to_pci_dev(*upstream->subordinate->devices[0]->subordinate->devices[0]);
        get_device(&endpoint->dev);  // kept to look at afterwards
        pci_hotplug_surprise_remove(*upstream);
        EXPECT_TRUE(root_port.subordinate->devices.empty());
        EXPECT_TRUE(root_port.subordinate->children.empty());
        EXPECT_EQ(root_port.dev.driver, &ports);  // the port above the slot stays
    });
    sc_core::sc_start();
    EXPECT_EQ(events.log, (Log{
                              "remove 0000:04:00.0 (gone)", "remove 0000:02:02.0 (gone)",
                              "remove 0000:03:00.0 (gone)", "remove 0000:02:01.0 (gone)",
                              "remove 0000:01:00.0 (gone)",
                              "REMOVED_DEVICE 0000:03:00.0", "REMOVED_DEVICE 0000:02:01.0",
                              "REMOVED_DEVICE 0000:04:00.0", "REMOVED_DEVICE 0000:02:02.0",
                              "REMOVED_DEVICE 0000:01:00.0",
                          }));
    EXPECT_FALSE(device_is_registered(endpoint->dev));
    EXPECT_TRUE(endpoint->disconnected);
    put_device(&endpoint->dev);
    EXPECT_EQ(bench.runtime->reports().size(), 0u) << bench.reports.str();
    bench.teardown([&] { pci_remove_root_bus(bridge); });
}

// ---- platform --------------------------------------------------------------------------------------

TEST_F(KernelDeviceTest, PlatformDevicesComeFromTheFirmwareDescriptionAndMatchByCompatible) {
    Bench bench;
    FirmwareDescription fw;
    FwNode smmu;
    smmu.name = "smmu0";
    smmu.compatible = "arm,smmu-v3";
    smmu.mmio = {{0x2b40'0000, 0x20000}};
    smmu.irqs = {{"eventq", true, 0}, {"gerror", true, 0}};
    FwNode dma;
    dma.name = "dma0";
    dma.compatible = "iommu-vp,dma-master";
    dma.iommus = {{"smmu0", {0x10}}};
    FwNode timer;
    timer.name = "sp804";
    fw.platform_devices = {smmu, dma, timer};
    PlatformDriver smmu_driver("arm-smmu-v3"), by_name("sp804");
    smmu_driver.of_match_table = {"arm,smmu-v3"};
    std::vector<std::string> probed;
    smmu_driver.probe = by_name.probe = [&](Device& dev) {
        probed.push_back(dev.name() + " " + std::to_string(to_platform_device(dev).mmio().size()));
        return 0;
    };
    std::vector<PlatformDevice*> devices;
    bench.boot([&] {
        platform_driver_register(smmu_driver);
        platform_driver_register(by_name);
        devices = of_platform_populate(fw);
    });
    sc_core::sc_start();
    ASSERT_EQ(devices.size(), 3u);
    EXPECT_EQ(devices[0]->fwnode, &fw.platform_devices[0]);
    EXPECT_EQ(fw.find_node(devices[1]->fwnode->iommus[0].iommu), devices[0]->fwnode);  // the client's IOMMU
    EXPECT_TRUE(dev_is_platform(*devices[1]));
    EXPECT_EQ(devices[1]->driver, nullptr);  // no driver for the DMA master
    EXPECT_EQ(probed, (std::vector<std::string>{"smmu0 1", "sp804 0"}));
    EXPECT_EQ(bench.runtime->reports().size(), 0u) << bench.reports.str();
    bench.teardown([&] {
        for (PlatformDevice* pdev : devices) platform_device_unregister(*pdev);
    });
}

}  // namespace
}  // namespace iommu_vp
