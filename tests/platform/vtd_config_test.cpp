// The `vtd:` section and masters behind a VT-d unit: requester IDs, the unit's parameters and its
// tables section are validated against what the unit implements, each problem reported where it
// was written.
#include "platform/config/config_loader.h"
#include "platform/config/pci_requester.h"
#include "platform/tables/vtd_tables_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace iommu_vp::platform {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> messages(const LoadResult& r) {
    std::vector<std::string> out;
    for (const Diagnostic& d : r.errors) out.push_back(d.to_string());
    return out;
}

// One unit with a legacy-mode tables section and a master behind it.
const char* const kWithVtd =
    "memories:\n"
    "  ram: {base: 0x80000000, size: 16MiB}\n"
    "vtd:\n"
    "  dmar0:\n"
    "    base: 0xfed90000\n"
    "    tables:\n"
    "      region_base: 0x80800000\n"
    "      region_size: 1MiB\n"
    "      devices:\n"
    "        nic:\n"
    "          requester: \"00:03.0\"\n"
    "          mappings:\n"
    "            m0: {input: 0x10000000, output: 0x80000000, size: 0x1000}\n"
    "masters:\n"
    "  dma0:\n"
    "    base: 0x10000000\n"
    "    port: dmar0\n"
    "    requester: \"00:03.0\"\n";

LoadResult load(const std::vector<std::string>& overrides = {}) { return load_config_text(kWithVtd, "v.yaml", overrides); }

TEST(RequesterId, BusDeviceFunctionInHexOrTheNumber) {
    // bus << 8 | device << 3 | function, worked out by hand.
    const std::vector<std::pair<std::string, std::uint16_t>> cases = {
        {"00:03.0", 0x0018}, {"00:1f.3", 0x00fb}, {"01:00.0", 0x0100}, {"ff:1f.7", 0xffff},
        {"0A:02.1", 0x0a11}, {"0x18", 0x0018},    {"24", 24},          {"0xffff", 0xffff}};
    for (const auto& [text, expected] : cases) {
        std::uint16_t id = 0;
        std::string error;
        EXPECT_TRUE(parse_requester_id(text, id, error)) << text << ": " << error;
        EXPECT_EQ(id, expected) << text;
    }
}

TEST(RequesterId, RejectsWhatIsOutOfRangeOrMalformed) {
    for (const char* bad : {"00:20.0", "100:00.0", "00:00.8", "00:03", "0:3:0", "zz:00.0", "00:03.0.1", "", "0x10000",
                            "-1", "00: 3.0"}) {
        std::uint16_t id = 0;
        std::string error;
        EXPECT_FALSE(parse_requester_id(bad, id, error)) << bad;
        EXPECT_THAT(error, HasSubstr("is not a PCI requester ID")) << bad;
    }
}

TEST(VtdConfig, AUnitWithTablesAndAMasterBehindItIsValid) {
    const LoadResult r = load();
    ASSERT_TRUE(r.ok()) << messages(r).front();
    const auto& unit = r.config.effective["vtd"]["dmar0"];
    EXPECT_EQ(unit["fault_records"], 8);
    EXPECT_EQ(unit["iotlb"]["sets"], 64);
    EXPECT_EQ(unit["tables"]["mode"], "legacy");
    const std::optional<VtdTablesSpec> spec = vtd_tables_spec(unit);
    ASSERT_TRUE(spec);
    ASSERT_EQ(spec->devices.size(), 1u);
    EXPECT_EQ(spec->devices[0].source_id, 0x18);
    EXPECT_EQ(spec->iotlb_register_offset, 0x500u);  // ECAP.IRO 0x50 in 16-byte units
}

TEST(VtdConfig, MastersNameUnitsAsPorts) {
    const LoadResult typo = load({"masters.dma0.port=dmar1"});
    ASSERT_EQ(typo.errors.size(), 1u);
    EXPECT_THAT(typo.errors[0].message, HasSubstr("did you mean 'dmar0'? (allowed: bus, dmar0)"));
}

TEST(VtdConfig, RequesterIsAnotherSpellingOfTheStreamId) {
    const LoadResult r = load();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.config.effective["masters"]["dma0"]["stream_id"], 0x18);  // 00:03.0
    EXPECT_TRUE(load({"masters.dma0.stream_id=0x18"}).ok());              // both, agreeing
    EXPECT_THAT(messages(load({"masters.dma0.stream_id=0x19"})),
                ElementsAre("v.yaml:18:16: master 'dma0' requester 00:03.0 (0x18) differs from its stream_id 0x19: "
                            "give one of them"));
    const LoadResult wide = load({"masters.dma0.requester=none", "masters.dma0.stream_id=0x10000"});
    EXPECT_THAT(messages(wide), ElementsAre("--set masters.dma0.stream_id=0x10000: master 'dma0' is behind VT-d unit "
                                            "'dmar0': its stream_id is a 16-bit requester ID (at most 0xffff)"));
}

TEST(VtdConfig, UnitParametersAreCheckedAndTheKeyIsBlamed) {
    const LoadResult r = load({"vtd.dmar0.domain_id_bits=5"});
    EXPECT_THAT(messages(r), ElementsAre("--set vtd.dmar0.domain_id_bits=5: domain_id_bits = 5; allowed: 4, 6, 8, 10, "
                                         "12, 14 or 16 (CAP.ND = (bits - 4) / 2 = 0..6)"));
    // first_level needs scalable_mode; the defaulted key is not in the file, so the unit is blamed.
    EXPECT_THAT(messages(load({"vtd.dmar0.scalable_mode=false"})),
                ElementsAre("v.yaml:5:5: first_level = true; allowed: false unless scalable_mode is true"));
}

TEST(VtdConfig, RegisterPageMayNotOverlapMemoryOrAnotherIommu) {
    const LoadResult r = load({"vtd.dmar0.base=0x80fff000"});
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_THAT(r.errors[0].message, HasSubstr("VT-d 'dmar0' registers [0x80fff000, 0x80ffffff] overlaps memory 'ram'"));
    const LoadResult names = load({"smmuv3.dmar0.base=0x09050000"});
    ASSERT_EQ(names.errors.size(), 1u);
    EXPECT_EQ(names.errors[0].message, "the name 'dmar0' is also smmuv3.dmar0's");
}

TEST(VtdConfig, ADeviceTlbEntryNeedsTheUnitsDeviceTlb) {
    EXPECT_THAT(messages(load({"vtd.dmar0.tables.devices.nic.device_tlb=true"})),
                ElementsAre("--set vtd.dmar0.tables.devices.nic.device_tlb=true: the device TLB needs the unit's "
                            "device_tlb"));
    EXPECT_TRUE(messages(load({"vtd.dmar0.tables.devices.nic.device_tlb=true", "vtd.dmar0.device_tlb=true"})).empty());
}

TEST(VtdConfig, TablesAskOnlyForWhatTheUnitImplements) {
    EXPECT_THAT(messages(load({"vtd.dmar0.tables.mode=scalable", "vtd.dmar0.scalable_mode=false",
                               "vtd.dmar0.first_level=false", "vtd.dmar0.nested=false", "vtd.dmar0.pasid=false"})),
                ElementsAre("--set vtd.dmar0.tables.mode=scalable: scalable-mode tables need the unit's scalable_mode"));
    EXPECT_THAT(messages(load({"vtd.dmar0.tables.address_width=57"})),
                ElementsAre("--set vtd.dmar0.tables.address_width=57: the unit has no 57-bit second-level tables "
                            "(sagaw_57 is false)"));
    EXPECT_THAT(messages(load({"vtd.dmar0.tables.address_width=40"})),
                ElementsAre("--set vtd.dmar0.tables.address_width=40: value 40 is not a second-level width (allowed: "
                            "39, 48, 57)"));
    EXPECT_THAT(messages(load({"vtd.dmar0.tables.devices.nic.translation=pass_through",
                               "vtd.dmar0.tables.devices.nic.mappings={}", "vtd.dmar0.pass_through=false"})),
                ElementsAre("--set vtd.dmar0.tables.devices.nic.translation=pass_through: pass_through translation "
                            "needs the unit's pass_through"));
    EXPECT_THAT(messages(load({"vtd.dmar0.domain_id_bits=4", "vtd.dmar0.tables.devices.nic.domain_id=16"})),
                ElementsAre("--set vtd.dmar0.tables.devices.nic.domain_id=16: domain ID 16 is beyond the unit's 4 "
                            "domain_id_bits"));
    EXPECT_THAT(messages(load({"vtd.dmar0.caching_mode=true", "vtd.dmar0.tables.devices.nic.domain_id=0"})),
                ElementsAre("--set vtd.dmar0.tables.devices.nic.domain_id=0: domain ID 0 is reserved under "
                            "caching_mode (CAP.CM = 1)"));
}

TEST(VtdConfig, TableDevicesHaveDistinctReadableRequesters) {
    EXPECT_THAT(messages(load({"vtd.dmar0.tables.devices.disk.requester=0x18"})),
                ElementsAre("--set vtd.dmar0.tables.devices.disk.requester=0x18: requester ID 0x18 is also device "
                            "'nic''s"));
    const LoadResult bad = load({"vtd.dmar0.tables.devices.nic.requester=00:00.9"});
    ASSERT_EQ(bad.errors.size(), 1u);
    EXPECT_THAT(bad.errors[0].message, HasSubstr("'00:00.9' is not a PCI requester ID"));
}

TEST(VtdConfig, TablesFitTheirRegionInsideAMemoryAndBuild) {
    EXPECT_THAT(messages(load({"vtd.dmar0.tables.region_base=0x90000000"})),
                ElementsAre("--set vtd.dmar0.tables.region_base=0x90000000: the tables' region does not lie inside "
                            "one memory"));
    // Another IOMMU's tables in the same place would overwrite these.
    const LoadResult shared = load({"smmuv3.smmu0.base=0x09050000", "smmuv3.smmu0.tables.region_base=0x80880000",
                                    "smmuv3.smmu0.tables.region_size=2MiB"});
    ASSERT_EQ(shared.errors.size(), 1u);
    EXPECT_EQ(shared.errors[0].message, "the tables of SMMUv3 'smmu0' [0x80880000, 0x80a7ffff] overlaps the tables "
                                        "of VT-d 'dmar0' [0x80800000, 0x808fffff]");
    // What the builder refuses is reported against the tables section.
    const LoadResult unaligned = load({"vtd.dmar0.tables.devices.nic.mappings.m0.size=0x1800"});
    ASSERT_EQ(unaligned.errors.size(), 1u);
    EXPECT_THAT(unaligned.errors[0].to_string(), HasSubstr("v.yaml:7:7: "));
    EXPECT_THAT(unaligned.errors[0].message, HasSubstr("multiples of 4 KiB"));
}

}  // namespace
}  // namespace iommu_vp::platform
