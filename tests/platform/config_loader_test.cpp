// Configuration validation: each kind of mistake is reported where it was written, and a valid file
// yields every key with its default.
#include "platform/config/config_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace iommu_vp::platform {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const char* const kMinimal =
    "memories:\n"
    "  ram: {base: 0x80000000, size: 1MiB}\n"
    "masters:\n"
    "  dma0: {base: 0x80000000}\n";

std::vector<std::string> messages(const LoadResult& r) {
    std::vector<std::string> out;
    for (const Diagnostic& d : r.errors) out.push_back(d.to_string());
    return out;
}

TEST(ConfigInteger, AcceptsDecimalHexSeparatorsAndBinarySuffixes) {
    std::uint64_t v = 0;
    std::string error;
    EXPECT_TRUE(parse_config_integer("4096", false, v, error));
    EXPECT_EQ(v, 4096u);
    EXPECT_TRUE(parse_config_integer("0x8000_0000", false, v, error));
    EXPECT_EQ(v, 0x80000000u);
    EXPECT_TRUE(parse_config_integer("64KiB", true, v, error));
    EXPECT_EQ(v, 65536u);
    EXPECT_TRUE(parse_config_integer("2 GiB", true, v, error));
    EXPECT_EQ(v, 2ull << 30);
    EXPECT_TRUE(parse_config_integer("0xffffffffffffffff", false, v, error));
    EXPECT_EQ(v, ~0ull);
}

TEST(ConfigInteger, RejectsWhatIsNotAnUnsignedInteger) {
    std::uint64_t v = 0;
    std::string error;
    for (const char* bad : {"", "-1", "1.5", "0x", "12abc", "18446744073709551616", "64KiB"}) {
        EXPECT_FALSE(parse_config_integer(bad, false, v, error)) << bad;  // no suffixes without size_suffixes
    }
    EXPECT_FALSE(parse_config_integer("16777216TiB", true, v, error));  // 2^64: overflows
}

TEST(NearestKey, SuggestsOnlyCloseWords) {
    EXPECT_EQ(nearest_key("cuont", {"count", "size", "window"}), "count");
    EXPECT_EQ(nearest_key("bandwidht_gbps", {"base", "bandwidth_gbps"}), "bandwidth_gbps");
    EXPECT_EQ(nearest_key("zzzzzz", {"count", "size"}), "");
}

TEST(ConfigLoader, MinimalFileGetsEveryDefault) {
    const LoadResult r = load_config_text(kMinimal, "m.yaml", {});
    ASSERT_TRUE(r.ok()) << messages(r).front();
    const auto& dma0 = r.config.effective["masters"]["dma0"];
    EXPECT_EQ(dma0["port"], "bus");
    EXPECT_EQ(dma0["size"], 64);
    EXPECT_EQ(dma0["count"], 1000);
    EXPECT_TRUE(dma0["pasid"].is_null());
    EXPECT_EQ(r.config.effective["memories"]["ram"]["size"], 1u << 20);
    EXPECT_EQ(r.config.effective["simulation"]["seed"], 1);
}

TEST(ConfigLoader, ReportsEveryProblemWithItsLocation) {
    const LoadResult r = load_config_text(
        "simulation:\n"
        "  quantum_ns: fast\n"
        "memories:\n"
        "  ram: {base: 0x80000000, size: 1MiB, dmi: maybe}\n"
        "masters:\n"
        "  dma0:\n"
        "    base: 0x80000000\n"
        "    pattern: zigzag\n",
        "p.yaml", {});
    EXPECT_THAT(messages(r), ElementsAre("p.yaml:2:15: 'fast' is not a number",
                                         "p.yaml:4:44: expected true or false, got 'maybe'",
                                         "p.yaml:8:14: 'zigzag' is not a valid pattern (allowed: sequential, strided, "
                                         "random, trace)"));
}

TEST(ConfigLoader, MissingRequiredKey) {
    const LoadResult r = load_config_text("memories:\n  ram: {size: 1MiB}\n", "r.yaml", {});
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_THAT(r.errors[0].to_string(), HasSubstr("r.yaml:2:8: missing required key 'base' in memories.ram"));
}

TEST(ConfigLoader, WrongShapes) {
    const LoadResult r = load_config_text("bus: 3\nmasters: [a, b]\n", "s.yaml", {});
    EXPECT_THAT(messages(r), ElementsAre("s.yaml:1:6: expected a map of keys, got '3'",
                                         "s.yaml:2:10: expected a map of keys, got a list"));
}

TEST(ConfigLoader, NamesMustBeIdentifiers) {
    const LoadResult r = load_config_text("memories:\n  my-ram: {base: 0, size: 4096}\n", "n.yaml", {});
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_THAT(r.errors[0].to_string(), HasSubstr("n.yaml:2:3: name 'my-ram' in memories must be an identifier"));
}

TEST(ConfigLoader, OverlappingWindowsAreReported) {
    const LoadResult r = load_config_text(
        "memories:\n"
        "  low: {base: 0x1000, size: 0x2000}\n"
        "  high: {base: 0x2000, size: 0x1000}\n",
        "o.yaml", {});
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].to_string(),
              "o.yaml:3:16: memory 'high' [0x2000, 0x2fff] overlaps memory 'low' [0x1000, 0x2fff]");
}

TEST(ConfigLoader, MemoryOverTheDoorbellIsReported) {
    const LoadResult r = load_config_text("memories:\n  ram: {base: 0x0, size: 1GiB}\n", "d.yaml", {});
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_THAT(r.errors[0].message, HasSubstr("the MSI doorbell [0x8000000, 0x8000fff] overlaps memory 'ram'"));
}

TEST(ConfigLoader, DanglingPortReference) {
    const LoadResult r = load_config_text(std::string(kMinimal) + "    port: smmu0\n", "x.yaml", {});
    // The flow-style entry above ends the dma0 map; put the port in its own master instead.
    const LoadResult r2 = load_config_text(
        "memories:\n  ram: {base: 0x80000000, size: 1MiB}\nmasters:\n  dma0:\n    base: 0x80000000\n    port: smmu0\n",
        "x.yaml", {});
    ASSERT_EQ(r2.errors.size(), 1u);
    EXPECT_EQ(r2.errors[0].to_string(),
              "x.yaml:6:11: 'smmu0' is not a component that masters.dma0.port can name (allowed: bus)");
    EXPECT_FALSE(r.ok());
}

const char* const kWithSmmu =
    "memories:\n"
    "  ram: {base: 0x80000000, size: 1MiB}\n"
    "smmuv3:\n"
    "  smmu0:\n"
    "    base: 0x09050000\n"
    "masters:\n"
    "  dma0:\n"
    "    base: 0x80000000\n"
    "    port: smmu0\n";

TEST(ConfigLoader, MastersMayNameAnSmmuv3AsTheirPort) {
    const LoadResult r = load_config_text(kWithSmmu, "s.yaml", {});
    EXPECT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].to_string());
    const LoadResult typo = load_config_text(kWithSmmu, "s.yaml", {"masters.dma0.port=smmu1"});
    ASSERT_EQ(typo.errors.size(), 1u);
    EXPECT_THAT(typo.errors[0].message, HasSubstr("did you mean 'smmu0'? (allowed: bus, smmu0)"));
}

TEST(ConfigLoader, AnAtsMasterNeedsAnIommuPortAndNoDmi) {
    EXPECT_TRUE(load_config_text(kWithSmmu, "s.yaml", {"masters.dma0.ats.enabled=true", "smmuv3.smmu0.ats=true"}).ok());
    const LoadResult no_ats = load_config_text(kWithSmmu, "s.yaml", {"masters.dma0.ats.enabled=true"});
    ASSERT_EQ(no_ats.errors.size(), 1u);
    EXPECT_THAT(no_ats.errors[0].message, HasSubstr("behind SMMUv3 'smmu0', which does not implement ATS (ats)"));
    const LoadResult hyp_one_stage =
        load_config_text(kWithSmmu, "s.yaml", {"smmuv3.smmu0.hyp=true", "smmuv3.smmu0.stage2=false"});
    ASSERT_EQ(hyp_one_stage.errors.size(), 1u);
    EXPECT_THAT(hyp_one_stage.errors[0].message, HasSubstr("EL2 regimes need both stages"));
    const LoadResult pri_alone = load_config_text(kWithSmmu, "s.yaml", {"smmuv3.smmu0.pri=true"});
    ASSERT_EQ(pri_alone.errors.size(), 1u);
    EXPECT_THAT(pri_alone.errors[0].message, HasSubstr("PRI needs ATS"));
    const LoadResult on_bus =
        load_config_text(kWithSmmu, "s.yaml", {"masters.dma0.ats.enabled=true", "masters.dma0.port=bus"});
    ASSERT_EQ(on_bus.errors.size(), 1u);
    EXPECT_THAT(on_bus.errors[0].message,
                HasSubstr("master 'dma0' is an ATS endpoint but its port 'bus' is not an SMMUv3 or VT-d unit"));
    const LoadResult with_dmi = load_config_text(
        kWithSmmu, "s.yaml", {"masters.dma0.ats.enabled=true", "smmuv3.smmu0.ats=true", "masters.dma0.use_dmi=true"});
    ASSERT_EQ(with_dmi.errors.size(), 1u);
    EXPECT_THAT(with_dmi.errors[0].message, HasSubstr("DMI cannot be used"));
}

TEST(ConfigLoader, Smmuv3OutputSizeMustBeAnArchitectedOne) {
    const LoadResult r = load_config_text(kWithSmmu, "s.yaml", {"smmuv3.smmu0.oas_bits=47"});
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].message, "value 47 is not an SMMUv3 output size (allowed: 32, 36, 40, 42, 44, 48, 52)");
}

TEST(ConfigLoader, Smmuv3InterruptLinesMustExistAndNotBeShared) {
    const LoadResult beyond = load_config_text(kWithSmmu, "s.yaml", {"smmuv3.smmu0.evtq_irq_line=32"});
    ASSERT_EQ(beyond.errors.size(), 1u);  // the default controller has lines 0..31
    EXPECT_THAT(beyond.errors[0].message, HasSubstr("line 32 does not exist"));
    const LoadResult shared = load_config_text(
        kWithSmmu, "s.yaml", {"smmuv3.smmu0.evtq_irq_line=5", "smmuv3.smmu0.gerror_irq_line=5"});
    ASSERT_EQ(shared.errors.size(), 1u);
    EXPECT_THAT(shared.errors[0].message, HasSubstr("line 5 is already driven by smmuv3.smmu0.evtq_irq_line"));
}

TEST(ConfigLoader, Smmuv3TablesMustFitTheirRegionInsideAMemory) {
    const LoadResult outside = load_config_text(kWithSmmu, "s.yaml", {"smmuv3.smmu0.tables.region_base=0x10000000"});
    ASSERT_EQ(outside.errors.size(), 1u);
    EXPECT_EQ(outside.errors[0].message, "the tables' region does not lie inside one memory");
    // Queues (5 KiB) and four levels of tables for one stream (16 KiB and more) exceed 16 KiB.
    const std::string with_stream = "memories:\n"
                                    "  ram: {base: 0x80000000, size: 1MiB}\n"
                                    "smmuv3:\n"
                                    "  smmu0:\n"
                                    "    base: 0x09050000\n"
                                    "    tables:\n"
                                    "      region_base: 0x80080000\n"
                                    "      region_size: 0x4000\n"
                                    "      streams:\n"
                                    "        s0:\n"
                                    "          mappings:\n"
                                    "            m0: {input: 0, output: 0x80000000, size: 0x1000}\n"
                                    "masters:\n"
                                    "  dma0: {base: 0x80000000, port: smmu0}\n";
    const LoadResult too_small = load_config_text(with_stream, "s.yaml", {});
    ASSERT_EQ(too_small.errors.size(), 1u) << (too_small.errors.empty() ? "" : too_small.errors[0].to_string());
    EXPECT_THAT(too_small.errors[0].message, HasSubstr("need more than the 0x4000 bytes of their region"));
}

TEST(ConfigLoader, Smmuv3RegistersMayNotOverlapMemory) {
    const LoadResult r = load_config_text(kWithSmmu, "s.yaml", {"smmuv3.smmu0.base=0x800f0000"});
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_THAT(r.errors[0].message, HasSubstr("SMMUv3 'smmu0' registers [0x800f0000, 0x8010ffff] overlaps memory 'ram'"));
}

TEST(ConfigLoader, MasterWithoutAnEnd) {
    const LoadResult r = load_config_text(kMinimal, "e.yaml", {"masters.dma0.count=0"});
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].to_string(), "--set masters.dma0.count=0: master 'dma0' has no end: set count or duration_ns");
}

TEST(ConfigLoader, OverridesApplyAndAreBlamedForTheirErrors) {
    const LoadResult ok = load_config_text(kMinimal, "o.yaml", {"masters.dma0.size=128", "bus.hop_latency_ns=0.5"});
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(ok.config.effective["masters"]["dma0"]["size"], 128);
    EXPECT_EQ(ok.config.effective["bus"]["hop_latency_ns"], 0.5);

    const LoadResult bad = load_config_text(kMinimal, "o.yaml", {"masters.dma0.size", "masters.dma0.sise=4"});
    EXPECT_THAT(messages(bad), ElementsAre("--set masters.dma0.size: expected path.to.key=value",
                                           "--set masters.dma0.sise=4: unknown key 'sise' in masters.dma0; did you "
                                           "mean 'size'? (allowed: port, stream_id, requester, pasid, privileged, "
                                           "instruction, pattern, base, window, stride, size, read_fraction, count, "
                                           "duration_ns, start_ns, think_time_ns, outstanding, allow_4k_crossing, "
                                           "trace, use_dmi, enabled, ats)"));
}

TEST(ConfigLoader, NullablePasid) {
    const LoadResult r = load_config_text(kMinimal, "p.yaml", {"masters.dma0.pasid=0x1f"});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.config.effective["masters"]["dma0"]["pasid"], 0x1f);
    const LoadResult too_big = load_config_text(kMinimal, "p.yaml", {"masters.dma0.pasid=0x100000"});
    EXPECT_FALSE(too_big.ok());  // PASIDs are 20 bits
}

}  // namespace
}  // namespace iommu_vp::platform
