#include "platform/sc/firmware_description.h"

#include "models/smmuv3/registers.h"
#include "models/vtd/registers.h"

#include <algorithm>

namespace iommu_vp::platform {
namespace {

// The vectors software may allocate on the doorbell: 0-31 are left to exceptions, as on x86.
constexpr std::uint32_t kFirstMsiVector = 32;
constexpr std::uint32_t kMsiVectors = 224;

kernel::IrqDesc wired_or_msi(const char* name, int line) {
    kernel::IrqDesc irq;
    irq.name = name;
    irq.msi = line < 0;
    irq.line = line < 0 ? 0 : static_cast<unsigned>(line);
    return irq;
}

const VtdConfig* vtd_named(const PlatformConfig& config, const std::string& name) {
    for (const VtdConfig& v : config.vtds)
        if (v.name == name) return &v;
    return nullptr;
}

bool is_smmu(const PlatformConfig& config, const std::string& name) {
    return std::any_of(config.smmus.begin(), config.smmus.end(), [&](const Smmuv3Config& s) { return s.name == name; });
}

}  // namespace

kernel::FirmwareDescription describe_firmware(const PlatformConfig& config) {
    kernel::FirmwareDescription fw;
    for (const MemoryConfig& m : config.memories) fw.memory.push_back({m.base, m.params.size_bytes});
    if (config.software)
        fw.coherent_pool = {config.software->runtime.dma_window_base, config.software->runtime.dma_window_size};
    fw.msi = {config.interrupts.doorbell_base, kFirstMsiVector, kMsiVectors};

    for (const Smmuv3Config& s : config.smmus) {
        kernel::FwNode node;
        node.name = s.name;
        node.compatible = "arm,smmu-v3";
        node.mmio = {{s.base, smmuv3::kRegisterSpaceBytes}};
        node.irqs = {wired_or_msi("eventq", s.evtq_irq_line), wired_or_msi("gerror", s.gerror_irq_line),
                     wired_or_msi("cmdq-sync", s.cmd_sync_irq_line)};
        node.dma_coherent = s.params.features.coherent_access;
        fw.platform_devices.push_back(std::move(node));
    }
    for (const VtdConfig& v : config.vtds) {
        kernel::DmarDrhd drhd;
        drhd.name = v.name;
        drhd.regs = {v.base, vtd::kRegisterSpaceBytes};
        fw.dmar.drhds.push_back(std::move(drhd));
        fw.dmar.host_address_width = std::max(fw.dmar.host_address_width, v.params.features.host_address_bits);
    }

    for (const MasterConfig& m : config.masters) {
        if (const VtdConfig* unit = vtd_named(config, m.port)) {
            // A PCIe endpoint at its requester ID, in the scope of the unit it sits behind.
            kernel::PciDeviceDesc function;
            const auto rid = static_cast<std::uint16_t>(m.params.stream_id);
            function.address = {0, static_cast<std::uint8_t>(rid >> 8), static_cast<std::uint8_t>(rid)};
            function.label = m.name;
            function.vendor = 0x1af4;  // a virtual-device vendor ID, as QEMU's devices use
            function.device = 0x1000;
            function.pcie = kernel::PcieType::endpoint;
            fw.pci_devices.push_back(function);
            for (kernel::DmarDrhd& drhd : fw.dmar.drhds)
                if (drhd.name == unit->name)
                    drhd.scope.push_back({kernel::DmarScopeEntry::Type::endpoint, function.address.bus,
                                          function.address.devfn, 0});
            continue;
        }
        kernel::FwNode node;
        node.name = m.name;
        node.compatible = "iommu-vp,dma-master";
        if (is_smmu(config, m.port)) node.iommus = {{m.port, {m.params.stream_id}}};
        fw.platform_devices.push_back(std::move(node));
    }
    if (!fw.pci_devices.empty()) {
        kernel::PciHostBridgeDesc bridge;
        bridge.node.name = "pci0";
        bridge.node.compatible = "pci-host-ecam-generic";
        fw.pci_host_bridges.push_back(std::move(bridge));
    }
    if (config.software) fw.command_line = config.software->runtime.command_line;
    return fw;
}

}  // namespace iommu_vp::platform
