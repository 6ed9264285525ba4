// Category-filtered logging: category names, enabling, the line format with and without a time
// source, and unimplemented features reported once.
#include "models/common/log.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace iommu_vp {
namespace {

// Captures log output and restores the global log state afterwards.
class LogTest : public ::testing::Test {
protected:
    void SetUp() override {
        log::disable_all();
        log::set_sink(&out_);
        log::set_time_source({});
    }
    void TearDown() override {
        log::disable_all();
        log::set_sink(nullptr);
        log::set_time_source({});
    }
    std::ostringstream out_;
};

TEST_F(LogTest, CategoryNamesRoundTrip) {
    const auto names = log::all_category_names();
    ASSERT_EQ(names.size(), static_cast<std::size_t>(LogCategory::count_));
    for (std::size_t i = 0; i < names.size(); ++i) {
        const auto category = log::category_from_name(names[i]);
        ASSERT_TRUE(category.has_value()) << names[i];
        EXPECT_EQ(static_cast<std::size_t>(*category), i);
        EXPECT_EQ(log::category_name(*category), names[i]);
    }
    EXPECT_EQ(log::category_from_name("reg"), LogCategory::reg);
    EXPECT_EQ(log::category_from_name("guest_error"), LogCategory::guest_error);
    EXPECT_FALSE(log::category_from_name("nosuchcategory").has_value());
}

TEST_F(LogTest, OnlyEnabledCategoriesAreWritten) {
    int evaluated = 0;
    auto message = [&] {
        ++evaluated;
        return "built";
    };
    IVP_LOG(LogCategory::reg, "smmu0", message());
    EXPECT_EQ(evaluated, 0);  // a disabled statement does not build its message
    EXPECT_TRUE(out_.str().empty());

    log::enable(LogCategory::reg);
    EXPECT_TRUE(log::enabled(LogCategory::reg));
    EXPECT_FALSE(log::enabled(LogCategory::fault));
    IVP_LOG(LogCategory::reg, "smmu0", "CR0 = 0x" << std::hex << 5);
    IVP_LOG(LogCategory::fault, "smmu0", "not shown");
    EXPECT_EQ(out_.str(), "[reg] smmu0: CR0 = 0x5\n");

    log::enable(LogCategory::reg, false);
    IVP_LOG(LogCategory::reg, "smmu0", "gone");
    EXPECT_EQ(out_.str(), "[reg] smmu0: CR0 = 0x5\n");
}

TEST_F(LogTest, TimeSourcePrefixesEachLine) {
    log::enable(LogCategory::dma);
    log::set_time_source([] { return std::string("120 ns"); });
    IVP_LOG(LogCategory::dma, "dma0", "read");
    EXPECT_EQ(out_.str(), "120 ns [dma] dma0: read\n");
}

TEST_F(LogTest, UnimplementedFeatureIsReportedOncePerSource) {
    log::unimplemented_once("log_test.a", "PRI queue");  // category off: nothing, and not remembered
    EXPECT_TRUE(out_.str().empty());
    log::enable(LogCategory::unimplemented);
    log::unimplemented_once("log_test.a", "PRI queue");
    log::unimplemented_once("log_test.a", "PRI queue");
    log::unimplemented_once("log_test.b", "PRI queue");
    const std::string text = out_.str();
    std::size_t lines = 0;
    for (char c : text) lines += c == '\n' ? 1 : 0;
    EXPECT_EQ(lines, 2u);
    EXPECT_NE(text.find("[unimplemented] log_test.a: PRI queue"), std::string::npos);
    EXPECT_NE(text.find("[unimplemented] log_test.b: PRI queue"), std::string::npos);
}

}  // namespace
}  // namespace iommu_vp
