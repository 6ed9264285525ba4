// The kernel command line: Linux's argument syntax (bare names, values, quoting, later settings
// winning, '-' equal to '_'), parse errors, and the boolean and integer readings with their errors.
#include "sw_stack/kernel/command_line.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace iommu_vp {
namespace kernel {
namespace {

using Names = std::vector<std::string>;

CommandLine parse_cleanly(const std::string& text) {
    std::vector<std::string> errors;
    CommandLine line = CommandLine::parse(text, &errors);
    EXPECT_TRUE(errors.empty()) << "first error: " << errors.front();
    return line;
}

// --- Syntax. ---

TEST(KernelCommandLine, EmptyAndBlankLinesHoldNothing) {
    for (const char* text : {"", "   ", " \t\n "}) {
        const CommandLine line = parse_cleanly(text);
        EXPECT_TRUE(line.names().empty()) << '"' << text << '"';
        EXPECT_FALSE(line.has("iommu.strict"));
    }
}

TEST(KernelCommandLine, BareNamesAndValues) {
    const CommandLine line = parse_cleanly("quiet iommu.passthrough=1 console=ttyAMA0,115200");
    EXPECT_EQ(line.names(), (Names{"quiet", "iommu.passthrough", "console"}));
    EXPECT_TRUE(line.has("quiet"));
    EXPECT_EQ(line.value("quiet"), std::nullopt);  // present, but given no value
    EXPECT_EQ(line.value("iommu.passthrough"), std::optional<std::string>("1"));
    EXPECT_EQ(line.value("console"), std::optional<std::string>("ttyAMA0,115200"));
    EXPECT_FALSE(line.has("iommu.strict"));
    EXPECT_EQ(line.value("iommu.strict"), std::nullopt);
}

TEST(KernelCommandLine, AnyWhiteSpaceSeparatesAndIsTrimmed) {
    const CommandLine line = parse_cleanly("  a=1\tb=2\n c \r\n");
    EXPECT_EQ(line.names(), (Names{"a", "b", "c"}));
    EXPECT_EQ(line.value("b"), std::optional<std::string>("2"));
}

TEST(KernelCommandLine, ValueSplitsAtTheFirstEquals) {
    const CommandLine line = parse_cleanly("root=PARTUUID=1234-02 empty=");
    EXPECT_EQ(line.value("root"), std::optional<std::string>("PARTUUID=1234-02"));
    EXPECT_TRUE(line.has("empty"));
    EXPECT_EQ(line.value("empty"), std::optional<std::string>(""));
}

TEST(KernelCommandLine, QuotedValuesKeepTheirSpacesAndLoseTheirQuotes) {
    const CommandLine line = parse_cleanly(R"(dyndbg="file smmu.c +p" "name=a b" after=1 blank="")");
    EXPECT_EQ(line.value("dyndbg"), std::optional<std::string>("file smmu.c +p"));
    EXPECT_EQ(line.value("name"), std::optional<std::string>("a b"));  // the whole argument quoted
    EXPECT_EQ(line.value("after"), std::optional<std::string>("1"));
    EXPECT_EQ(line.value("blank"), std::optional<std::string>(""));
    EXPECT_EQ(line.names(), (Names{"dyndbg", "name", "after", "blank"}));
}

TEST(KernelCommandLine, LaterSettingsWinAndKeepTheFirstPlace) {
    const CommandLine line = parse_cleanly("iommu.strict=1 a iommu.strict=0 a=x");
    EXPECT_EQ(line.value("iommu.strict"), std::optional<std::string>("0"));
    EXPECT_EQ(line.value("a"), std::optional<std::string>("x"));
    EXPECT_EQ(line.names(), (Names{"iommu.strict", "a"}));

    const CommandLine bare_last = parse_cleanly("a=x a");
    EXPECT_EQ(bare_last.value("a"), std::nullopt);  // the bare setting replaced the value
}

TEST(KernelCommandLine, DashAndUnderscoreAreTheSameInNames) {
    const CommandLine line = parse_cleanly("iommu.dma-strict=1 arm-smmu.disable_bypass=0 iommu.dma_strict=0");
    EXPECT_EQ(line.value("iommu.dma_strict"), std::optional<std::string>("0"));
    EXPECT_EQ(line.value("iommu.dma-strict"), std::optional<std::string>("0"));
    EXPECT_TRUE(line.has("arm_smmu.disable-bypass"));
    EXPECT_FALSE(line.has("arm.smmu.disable_bypass"));  // only '-' and '_' are interchangeable
    EXPECT_EQ(line.names(), (Names{"iommu.dma-strict", "arm-smmu.disable_bypass"}));  // first spelling kept
}

TEST(KernelCommandLine, NamesAreCaseSensitive) {
    const CommandLine line = parse_cleanly("Quiet");
    EXPECT_TRUE(line.has("Quiet"));
    EXPECT_FALSE(line.has("quiet"));
}

TEST(KernelCommandLine, TextIsTheLineAsGiven) {
    const std::string text = "  iommu.strict=1   dyndbg=\"a b\" ";
    EXPECT_EQ(CommandLine::parse(text).text(), text);
    EXPECT_EQ(CommandLine().text(), "");
}

// --- Parse errors. ---

TEST(KernelCommandLine, ValueWithoutANameIsDroppedAndReported) {
    std::vector<std::string> errors;
    const CommandLine line = CommandLine::parse("a=1 =orphan b", &errors);
    EXPECT_EQ(errors, (std::vector<std::string>{"=orphan: missing parameter name"}));
    EXPECT_EQ(line.names(), (Names{"a", "b"}));
}

TEST(KernelCommandLine, UnterminatedQuoteRunsToTheEndAndIsReported) {
    std::vector<std::string> errors;
    const CommandLine line = CommandLine::parse("a=1 b=\"x y z", &errors);
    EXPECT_EQ(errors, (std::vector<std::string>{"b=\"x y z: unterminated quote"}));
    EXPECT_EQ(line.value("b"), std::optional<std::string>("x y z"));  // as Linux takes it
    EXPECT_EQ(line.names(), (Names{"a", "b"}));
}

TEST(KernelCommandLine, ErrorsAreAppended) {
    std::vector<std::string> errors{"earlier"};
    CommandLine::parse("=x", &errors);
    EXPECT_EQ(errors, (std::vector<std::string>{"earlier", "=x: missing parameter name"}));
    EXPECT_NO_THROW(CommandLine::parse("=x"));  // no error list: parsing still goes on
}

// --- Booleans. ---

TEST(KernelCommandLine, BooleanSpellings) {
    struct Case {
        const char* value;
        bool expected;
    };
    const Case cases[] = {
        {"1", true},     {"y", true},     {"Y", true},      {"yes", true},   {"YES", true},  {"Yes", true},
        {"on", true},    {"ON", true},    {"true", true},   {"True", true},  {"0", false},   {"n", false},
        {"N", false},    {"no", false},   {"No", false},    {"off", false},  {"OFF", false}, {"false", false},
        {"FALSE", false},
    };
    for (const Case& c : cases) {
        const CommandLine line = parse_cleanly(std::string("iommu.strict=") + c.value);
        std::string error = "untouched";
        EXPECT_EQ(line.boolean("iommu.strict", &error), std::optional<bool>(c.expected)) << c.value;
        EXPECT_EQ(error, "untouched") << c.value;
    }
}

TEST(KernelCommandLine, BareNameIsTrueAndAbsentIsNothing) {
    const CommandLine line = parse_cleanly("iommu.passthrough");
    std::string error = "untouched";
    EXPECT_EQ(line.boolean("iommu.passthrough", &error), std::optional<bool>(true));
    EXPECT_EQ(line.boolean("iommu.strict", &error), std::nullopt);
    EXPECT_EQ(error, "untouched");  // absent is not malformed
}

TEST(KernelCommandLine, MalformedBooleansAreReported) {
    struct Case {
        const char* text;
        const char* error;
    };
    const Case cases[] = {
        {"iommu.strict=maybe", "iommu.strict=maybe: expected a boolean (1/0, y/n, on/off)"},
        {"iommu.strict=", "iommu.strict=: expected a boolean (1/0, y/n, on/off)"},
        {"iommu.strict=2", "iommu.strict=2: expected a boolean (1/0, y/n, on/off)"},
        // kstrtobool() would take these by their first letters; a misspelling is an error here.
        {"iommu.strict=yellow", "iommu.strict=yellow: expected a boolean (1/0, y/n, on/off)"},
        {"iommu.strict=of", "iommu.strict=of: expected a boolean (1/0, y/n, on/off)"},
        {"iommu.strict=\"on \"", "iommu.strict=on : expected a boolean (1/0, y/n, on/off)"},
    };
    for (const Case& c : cases) {
        const CommandLine line = parse_cleanly(c.text);
        std::string error;
        EXPECT_EQ(line.boolean("iommu.strict", &error), std::nullopt) << c.text;
        EXPECT_EQ(error, c.error);
        EXPECT_EQ(line.boolean("iommu.strict"), std::nullopt) << c.text;  // no error string: still nothing
    }
}

// --- Integers. ---

TEST(KernelCommandLine, IntegerSpellings) {
    struct Case {
        const char* value;
        std::int64_t expected;
    };
    const Case cases[] = {
        {"0", 0},
        {"42", 42},
        {"-42", -42},
        {"+7", 7},
        {"0x1F", 31},
        {"0X1f", 31},
        {"0x1e", 30},  // 'e' is a hex digit before it can be a suffix, as in memparse()
        {"4K", 4096},
        {"4k", 4096},
        {"2M", 2 * 1024 * 1024},
        {"1G", 1024 * 1024 * 1024},
        {"3t", 3LL << 40},
        {"1P", 1LL << 50},
        {"7E", 7LL << 60},
        {"0x10M", 16LL * 1024 * 1024},
        {"-4K", -4096},
        {"0K", 0},
        {"9223372036854775807", std::numeric_limits<std::int64_t>::max()},
        {"-9223372036854775808", std::numeric_limits<std::int64_t>::min()},
        {"-8E", std::numeric_limits<std::int64_t>::min()},
        {"0x7fffffffffffffff", std::numeric_limits<std::int64_t>::max()},
    };
    for (const Case& c : cases) {
        const CommandLine line = parse_cleanly(std::string("n=") + c.value);
        std::string error = "untouched";
        EXPECT_EQ(line.integer("n", &error), std::optional<std::int64_t>(c.expected)) << c.value;
        EXPECT_EQ(error, "untouched") << c.value;
    }
}

TEST(KernelCommandLine, MalformedIntegersAreReported) {
    const std::string expected_integer = ": expected an integer (decimal or 0x hex, optional K/M/G suffix)";
    const std::string out_of_range = ": out of range for a 64-bit signed integer";
    const std::string octal = ": a leading zero is octal to Linux; write it in decimal or 0x hex";
    struct Case {
        const char* text;
        std::string error;
    };
    const Case cases[] = {
        {"n", "n" + expected_integer},  // bare: no number at all
        {"n=", "n=" + expected_integer},
        {"n=-", "n=-" + expected_integer},
        {"n=12abc", "n=12abc" + expected_integer},
        {"n=0x", "n=0x" + expected_integer},
        {"n=K", "n=K" + expected_integer},
        {"n=4KB", "n=4KB" + expected_integer},
        {"n=4X", "n=4X" + expected_integer},
        {"n=1.5", "n=1.5" + expected_integer},
        {"n=--1", "n=--1" + expected_integer},
        {"n=010", "n=010" + octal},
        {"n=-007", "n=-007" + octal},
        {"n=9223372036854775808", "n=9223372036854775808" + out_of_range},
        {"n=-9223372036854775809", "n=-9223372036854775809" + out_of_range},
        {"n=18446744073709551616", "n=18446744073709551616" + out_of_range},  // 2^64: overflows the digits
        {"n=8E", "n=8E" + out_of_range},                                      // 2^63
        {"n=16E", "n=16E" + out_of_range},                                    // 2^64: overflows the suffix
    };
    for (const Case& c : cases) {
        const CommandLine line = parse_cleanly(c.text);
        std::string error;
        EXPECT_EQ(line.integer("n", &error), std::nullopt) << c.text;
        EXPECT_EQ(error, c.error);
    }
}

TEST(KernelCommandLine, AbsentIntegerIsNothingWithoutAnError) {
    const CommandLine line = parse_cleanly("other=1");
    std::string error = "untouched";
    EXPECT_EQ(line.integer("n", &error), std::nullopt);
    EXPECT_EQ(error, "untouched");
}

}  // namespace
}  // namespace kernel
}  // namespace iommu_vp
