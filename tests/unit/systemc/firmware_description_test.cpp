// The firmware description the platform builds for the software from vp_configs/vtd_traffic.yaml
// (two VT-d units, two PCIe masters behind each) and vp_configs/smmuv3_traffic.yaml (masters behind
// an SMMUv3 as platform devices naming it and their StreamIDs).
#include "platform/config/config_loader.h"
#include "platform/sc/firmware_description.h"
#include "platform/sc/platform_config.h"

#include <gtest/gtest.h>

namespace iommu_vp {
namespace {

platform::PlatformConfig load(const std::string& file, const std::vector<std::string>& overrides = {}) {
    const platform::LoadResult result =
        platform::load_config_file(std::string(IOMMU_VP_SOURCE_DIR) + "/vp_configs/" + file, overrides);
    EXPECT_TRUE(result.errors.empty());
    return platform::make_platform_config(result.config, 1);
}

TEST(FirmwareDescription, VtdUnitsBecomeDrhdsWhoseScopesListThePciFunctionsBehindThem) {
    const kernel::FirmwareDescription fw =
        describe_firmware(load("vtd_traffic.yaml", {"software.enabled=true", "software.command_line=iommu.strict=1"}));
    ASSERT_EQ(fw.dmar.drhds.size(), 2u);
    EXPECT_EQ(fw.dmar.drhds[0].name, "dmar0");
    EXPECT_EQ(fw.dmar.drhds[0].regs.size, 0x1000u);
    ASSERT_EQ(fw.dmar.drhds[0].scope.size(), 2u);
    // 00:03.0 and 01:00.0: devfn 0x18 on bus 0, devfn 0 on bus 1.
    EXPECT_EQ(fw.dmar.drhds[0].scope[0].bus, 0u);
    EXPECT_EQ(fw.dmar.drhds[0].scope[0].devfn, 0x18u);
    EXPECT_EQ(fw.dmar.drhds[0].scope[1].bus, 1u);
    EXPECT_EQ(fw.dmar.drhds[1].scope.size(), 2u);
    EXPECT_EQ(fw.dmar.host_address_width, 48u);
    ASSERT_EQ(fw.pci_devices.size(), 4u);
    EXPECT_NE(fw.find_pci_device({0, 2, 0}), nullptr);
    EXPECT_EQ(fw.find_pci_device({0, 2, 0})->label, "dma2");
    EXPECT_EQ(fw.pci_host_bridges.size(), 1u);
    EXPECT_EQ(fw.command_line, "iommu.strict=1");
    ASSERT_FALSE(fw.memory.empty());
}

TEST(FirmwareDescription, MastersBehindAnSmmuNameItAndTheirStreamIds) {
    const kernel::FirmwareDescription fw = describe_firmware(load("smmuv3_traffic.yaml"));
    const kernel::FwNode* smmu = fw.find_node("smmu0");
    ASSERT_NE(smmu, nullptr);
    EXPECT_EQ(smmu->compatible, "arm,smmu-v3");
    EXPECT_EQ(smmu->mmio.at(0).size, 0x20000u);  // two 64 KiB pages
    const kernel::FwNode* master = fw.find_node("dma0");
    ASSERT_NE(master, nullptr);
    ASSERT_EQ(master->iommus.size(), 1u);
    EXPECT_EQ(master->iommus[0].iommu, "smmu0");
    EXPECT_EQ(master->iommus[0].ids, (std::vector<std::uint32_t>{0x10}));
    EXPECT_TRUE(fw.dmar.drhds.empty());
    EXPECT_TRUE(fw.pci_devices.empty());
}

TEST(FirmwareDescription, TheIommuCoresOptionsFromTheConfigurationPrecedeTheCommandLine) {
    const platform::PlatformConfig config =
        load("vtd_traffic.yaml", {"software.enabled=true", "software.core.strict=false",
                                  "software.core.fq_size=64", "software.core.passthrough=false",
                                  "software.command_line=iommu.passthrough=1"});
    // Defaults are left out; the command line comes last, so its settings win.
    EXPECT_EQ(describe_firmware(config).command_line, "sw.core.strict=0 sw.core.fq_size=64 iommu.passthrough=1");
}

TEST(PlatformConfig, AnAtsMastersCacheAndKnobsComeFromItsAtsSection) {
    const platform::PlatformConfig config =
        load("smmuv3_traffic.yaml", {"smmuv3.smmu0.ats=true", "masters.dma0.ats.enabled=true", "masters.dma0.ats.cache.sets=8",
                                     "masters.dma0.ats.lookup_ns=3", "masters.dma0.ats.ignore_invalidations=true",
                                     "masters.dma0.ats.pri=true"});
    const TrafficMasterParams& params = config.masters.at(0).params;
    ASSERT_TRUE(params.ats.has_value());
    EXPECT_EQ(params.ats->cache.sets, 8u);
    EXPECT_EQ(params.ats->cache.ways, 4u);  // the default
    EXPECT_EQ(params.ats->lookup_cost, sc_core::sc_time(3, sc_core::SC_NS));
    EXPECT_EQ(params.ats->invalidation_latency, sc_core::sc_time(1, sc_core::SC_US));
    EXPECT_TRUE(params.ats->ignore_invalidations);
    EXPECT_TRUE(params.ats->pri_enabled);
    EXPECT_FALSE(config.masters.at(1).params.ats.has_value());
}

TEST(PlatformConfig, Smmuv3IdentityAndFeaturesOfALaterRevisionComeFromTheConfiguration) {
    const platform::PlatformConfig config = load(
        "smmuv3_traffic.yaml", {"smmuv3.smmu0.hyp=true", "smmuv3.smmu0.range_invalidation=true",
                                "smmuv3.smmu0.arch_minor=2", "smmuv3.smmu0.pri=true", "smmuv3.smmu0.ats=true",
                                "smmuv3.smmu0.stall_model=stall_and_terminate",
                                "smmuv3.smmu0.max_stalled_transactions=4", "smmuv3.smmu0.httu=2"});
    const Smmuv3Params& params = config.smmus.at(0).params;
    EXPECT_TRUE(params.features.hyp);
    EXPECT_TRUE(params.features.range_invalidation);
    EXPECT_TRUE(params.features.ats);
    EXPECT_TRUE(params.features.pri);
    EXPECT_EQ(params.identity.arch_minor, 2u);
    EXPECT_EQ(params.features.stall_model, smmuv3::StallModel::stall_and_terminate);
    EXPECT_EQ(params.max_stalled_transactions, 4u);
    EXPECT_EQ(params.features.httu, 2u);
    EXPECT_EQ(params.atc_invalidation_timeout, sc_core::sc_time(100, sc_core::SC_US));
}

}  // namespace
}  // namespace iommu_vp
