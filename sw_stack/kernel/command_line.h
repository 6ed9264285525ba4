// The kernel command line: how the platform passes boot options (iommu.passthrough=, iommu.strict=,
// ...) to the simulated software, which, like a real kernel, never reads YAML. The platform writes a
// command line; the software stack parses and queries it.
//
// Syntax as Linux's parse_args()/next_arg() (kernel/params.c): white-space separated `name`,
// `name=value`, `name="value with spaces"` or `"name=value with spaces"`; a later setting of a name
// replaces an earlier one; '-' and '_' are the same character in names (so iommu.dma-strict and
// iommu.dma_strict are one parameter). Not modelled: `--` handing the rest to init.
//
// Pure C++, no SystemC.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace iommu_vp {
namespace kernel {

class CommandLine {
public:
    CommandLine() = default;

    // Parses `text`. Problems are appended to `errors` and parsing goes on, as Linux boots on with an
    // unknown or odd parameter: an `=value` without a name is dropped; a quote left open runs to the end
    // of the line (kept, and reported).
    static CommandLine parse(const std::string& text, std::vector<std::string>* errors = nullptr);

    bool has(const std::string& name) const;
    // The value of the latest setting; nullopt if the name is absent or was given bare (`name`).
    std::optional<std::string> value(const std::string& name) const;

    // Spellings accepted, case-insensitive: 1/0, y/n, yes/no, on/off, true/false; a bare `name` is true.
    // nullopt if absent, or if malformed, in which case *error (when given) says so, e.g.
    // "iommu.strict=maybe: expected a boolean (1/0, y/n, on/off)". *error is written only then.
    //
    // Stricter than Linux's kstrtobool(), which looks only at the first one or two characters (it takes
    // "yellow" as true): on a test platform a misspelt option should be an error, not a guess.
    std::optional<bool> boolean(const std::string& name, std::string* error = nullptr) const;

    // Decimal or 0x hex with an optional sign and an optional memparse() suffix K, M, G, T, P or E
    // (case-insensitive, powers of 1024). nullopt if absent, or if malformed or out of the int64 range,
    // with *error written as for boolean(). A decimal with a leading zero ("010") is refused: memparse()
    // would read it as octal, and this parser should never give a number Linux would not.
    std::optional<std::int64_t> integer(const std::string& name, std::string* error = nullptr) const;

    // Each parameter once, in order of first appearance, spelt as first written.
    std::vector<std::string> names() const;
    // The line as given to parse(), as /proc/cmdline shows it.
    std::string text() const { return text_; }

private:
    struct Setting {
        std::string name;
        std::optional<std::string> value;
    };

    const Setting* find(const std::string& name) const;
    void set(std::string name, std::optional<std::string> value);
    static std::string written_as(const Setting& setting);

    std::string text_;
    std::vector<Setting> settings_;  // one per parameter, in order of first appearance, latest value
};

}  // namespace kernel
}  // namespace iommu_vp
