// The IOMMU core's options (sw.core.*, iommu.passthrough=, iommu.strict=) as the kernel command line
// gives them: defaults, Linux's spellings, the core's own names winning, and errors for what is
// malformed or unknown.
#include "sw_stack/iommu/options.h"

#include <gtest/gtest.h>

namespace iommu_vp::iommu {
namespace {

CoreOptions parse(const std::string& line, std::vector<std::string>* errors = nullptr) {
    return parse_core_options(kernel::CommandLine::parse(line), errors);
}

TEST(IommuOptions, DefaultsAreStrictTranslationStrengthenedBehaviourAndNoBugs) {
    std::vector<std::string> errors;
    const CoreOptions options = parse("", &errors);
    EXPECT_FALSE(options.passthrough);
    EXPECT_TRUE(options.strict);
    EXPECT_EQ(options.fq_size, 256u);
    EXPECT_EQ(options.fq_timeout_ms, 10u);
    EXPECT_FALSE(options.linux_faithful_walk);
    EXPECT_FALSE(options.bug_eager_attach);
    EXPECT_FALSE(options.bug_no_ready_flag);
    EXPECT_TRUE(errors.empty());
}

TEST(IommuOptions, LinuxSpellingsAreReadAndTheCoreNamespaceWins) {
    EXPECT_TRUE(parse("iommu.passthrough=1").passthrough);
    EXPECT_FALSE(parse("iommu.strict=0").strict);
    EXPECT_TRUE(parse("iommu.strict=0 sw.core.strict=1").strict);
    EXPECT_TRUE(parse("sw.core.bug-eager-attach").bug_eager_attach);  // '-' and '_' alike, bare means on
    EXPECT_EQ(parse("sw.core.fq_size=1024").fq_size, 1024u);
}

TEST(IommuOptions, MalformedAndUnknownOptionsAreErrorsAndKeepTheDefault) {
    std::vector<std::string> errors;
    const CoreOptions options = parse("sw.core.strict=maybe sw.core.fq_size=0 sw.core.bogus=1", &errors);
    EXPECT_TRUE(options.strict);
    EXPECT_EQ(options.fq_size, 256u);
    ASSERT_EQ(errors.size(), 3u);
    EXPECT_NE(errors[0].find("sw.core.strict=maybe"), std::string::npos) << errors[0];
    EXPECT_NE(errors[1].find("expected 1 to 1000000"), std::string::npos) << errors[1];
    EXPECT_NE(errors[2].find("sw.core.bogus"), std::string::npos) << errors[2];
}

TEST(IommuOptions, EveryOptionIsDocumented) {
    for (const CoreOptionInfo& info : core_option_table()) {
        EXPECT_GT(std::string(info.description).size(), 10u) << info.name;
        std::vector<std::string> errors;
        parse(std::string("sw.core.") + info.name + "=1", &errors);
        EXPECT_TRUE(errors.empty()) << info.name;
    }
}

}  // namespace
}  // namespace iommu_vp::iommu
