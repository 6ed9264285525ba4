// What the driver core's files share and nobody else calls (Linux's drivers/base/base.h): device.cpp
// (devices, buses, notifiers, driver registration) calls into dd.cpp (binding, deferred and
// asynchronous probing) through these.
#pragma once

#include "sw_stack/kernel/device.h"

namespace iommu_vp::kernel {

// A new device looks for a driver, possibly asynchronously (bus_probe_device).
void bus_probe_device(Device& dev);
// A new driver looks for devices (driver_attach); unbinds from all of them (driver_detach).
void driver_attach(Driver& drv);
void driver_detach(Driver& drv);
// Unbinds `dev` if `drv` is its driver, or whatever driver it has when `drv` is null.
void device_release_driver_internal(Device& dev, Driver* drv);
void driver_deferred_probe_del(Device& dev);

}  // namespace iommu_vp::kernel
