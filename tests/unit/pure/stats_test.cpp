// Statistics groups: counters and histograms in declaration order, stable references, children,
// duplicate names refused; and the shared statistic vocabulary.
#include "models/common/stats.h"

#include "models/common/stat_vocabulary.h"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace iommu_vp {
namespace {

TEST(Stats, CountersKeepDeclarationOrderAndStableReferences) {
    StatsGroup group("smmu0");
    Counter& hits = group.counter("tlb_hits", "hits");
    Counter& misses = group.counter("tlb_misses", "misses");
    // Declaring many more must not move the first ones (models keep references for the hot path).
    for (int i = 0; i < 100; ++i) group.counter("c" + std::to_string(i), "filler");
    ++hits;
    ++hits;
    misses.add(5);
    EXPECT_EQ(group.find_counter("tlb_hits")->value, 2u);
    EXPECT_EQ(group.find_counter("tlb_misses")->value, 5u);
    EXPECT_EQ(&hits, group.find_counter("tlb_hits"));
    ASSERT_GE(group.counters().size(), 2u);
    EXPECT_EQ(group.counters()[0].name, "tlb_hits");
    EXPECT_EQ(group.counters()[1].name, "tlb_misses");
    EXPECT_EQ(group.counters()[1].description, "misses");
    EXPECT_EQ(group.find_counter("nope"), nullptr);
    EXPECT_EQ(group.name(), "smmu0");
}

TEST(Stats, HistogramsAreNamedAndStable) {
    StatsGroup group("g");
    LatencyHistogram& lat = group.histogram("translation_latency", "per transaction");
    for (int i = 0; i < 10; ++i) group.histogram("h" + std::to_string(i), "filler");
    lat.record_ps(1000);
    ASSERT_NE(group.find_histogram("translation_latency"), nullptr);
    EXPECT_EQ(group.find_histogram("translation_latency")->count(), 1u);
    EXPECT_EQ(group.histograms()[0].name, "translation_latency");
    EXPECT_EQ(group.find_histogram("nope"), nullptr);
}

TEST(Stats, DuplicateNamesAreModelBugs) {
    StatsGroup group("g");
    group.counter("x", "");
    group.histogram("h", "");
    EXPECT_THROW(group.counter("x", ""), std::logic_error);
    EXPECT_THROW(group.histogram("h", ""), std::logic_error);
}

TEST(Stats, ChildReturnsTheSameGroupForTheSameName) {
    StatsGroup root("platform");
    StatsGroup& a = root.child("smmu0");
    a.counter("faults", "");
    StatsGroup& again = root.child("smmu0");
    EXPECT_EQ(&a, &again);
    root.child("smmu1");
    ASSERT_EQ(root.children().size(), 2u);
    EXPECT_EQ(root.children()[0].name(), "smmu0");
    EXPECT_EQ(root.children()[1].name(), "smmu1");
    EXPECT_NE(root.children()[0].find_counter("faults"), nullptr);
}

TEST(Stats, VocabularyNamesAreDistinct) {
    const std::vector<std::string> names = {
        stat_names::kTranslations,    stat_names::kFaults,           stat_names::kTlbHits,
        stat_names::kTlbMisses,       stat_names::kConfigCacheHits,  stat_names::kConfigCacheMisses,
        stat_names::kWalkCacheHits,   stat_names::kWalkCacheMisses,  stat_names::kWalks,
        stat_names::kDescriptorFetches, stat_names::kWalkQueueDelays, stat_names::kTranslationLatency,
        stat_names::kWalkLatency,     stat_names::kCommands,         stat_names::kInvalidations};
    const std::set<std::string> unique(names.begin(), names.end());
    EXPECT_EQ(unique.size(), names.size());
    // Usable directly as counter names of a group.
    StatsGroup group("iommu");
    for (const std::string& n : names) EXPECT_NO_THROW(group.counter(n, ""));
}

}  // namespace
}  // namespace iommu_vp
