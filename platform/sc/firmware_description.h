// The firmware description the platform hands the co-simulated software, built from the
// configuration (the software never reads YAML): RAM, the DMA window, the MSI doorbell, the SMMUv3
// instances and the masters as firmware nodes (a master behind an SMMUv3 names it and its StreamID,
// as a device-tree "iommus" property does), the masters behind a VT-d unit as PCI functions at
// their requester IDs under one host bridge, each unit as a DMAR DRHD whose scope lists them, and
// the kernel command line.
#pragma once

#include "platform/sc/platform_config.h"
#include "sw_stack/kernel/firmware.h"

namespace iommu_vp::platform {

kernel::FirmwareDescription describe_firmware(const PlatformConfig& config);

}  // namespace iommu_vp::platform
