#include "sw_stack/kernel/command_line.h"

#include <cstddef>
#include <limits>
#include <string_view>
#include <utility>

namespace iommu_vp {
namespace kernel {
namespace {

constexpr const char* kBooleanExpected = "expected a boolean (1/0, y/n, on/off)";
constexpr const char* kIntegerExpected = "expected an integer (decimal or 0x hex, optional K/M/G suffix)";

// The kernel's isspace() for the ASCII a command line holds; no locale, so every host agrees.
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Parameter names compare as Linux's parameq() does: '-' and '_' are the same.
bool same_name(const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const char x = a[i] == '-' ? '_' : a[i];
        const char y = b[i] == '-' ? '_' : b[i];
        if (x != y) return false;
    }
    return true;
}

void report(std::vector<std::string>* errors, std::string message) {
    if (errors) errors->push_back(std::move(message));
}

void report(std::string* error, std::string message) {
    if (error) *error = std::move(message);
}

// --- Cutting the line into arguments, as Linux's next_arg() does. ---

struct Argument {
    std::string_view written;  // the argument as it stands in the line, for messages
    std::string name;
    std::optional<std::string> value;
    bool quote_left_open = false;
};

// Where the argument starting at `begin` ends: at the first white space outside double quotes. A quote
// anywhere toggles quoting, so `name="a b"` and `"name=a b"` are one argument each.
std::size_t argument_end(std::string_view line, std::size_t begin, bool* quote_left_open) {
    bool in_quote = false;
    std::size_t end = begin;
    for (; end < line.size(); ++end) {
        if (is_space(line[end]) && !in_quote) break;
        if (line[end] == '"') in_quote = !in_quote;
    }
    *quote_left_open = in_quote;
    return end;
}

// Splits one argument into name and value and drops the quotes next_arg() drops: a quote that opens
// the whole argument or the value, and the quote that ends the argument.
Argument split_argument(std::string_view written, bool quote_left_open) {
    Argument argument{written, {}, std::nullopt, quote_left_open};
    std::string_view body = written;
    const bool quoted_whole = !body.empty() && body.front() == '"';
    if (quoted_whole) body.remove_prefix(1);

    const std::size_t equals = body.find('=');
    const bool has_value = equals != std::string_view::npos;
    std::size_t value_begin = has_value ? equals + 1 : body.size();
    const bool quoted_value = has_value && value_begin < body.size() && body[value_begin] == '"';
    if (quoted_value) ++value_begin;

    // The closing quote may not be the opening one: `name="` has an empty value, not a missing one.
    std::size_t body_end = body.size();
    const std::size_t content_begin = has_value ? value_begin : 0;
    const bool closes_quote = body_end > content_begin && body[body_end - 1] == '"';
    if ((quoted_whole || quoted_value) && closes_quote) --body_end;

    argument.name = std::string(body.substr(0, has_value ? equals : body_end));
    if (has_value) argument.value = std::string(body.substr(value_begin, body_end - value_begin));
    return argument;
}

std::size_t skip_spaces(std::string_view line, std::size_t position) {
    while (position < line.size() && is_space(line[position])) ++position;
    return position;
}

// --- Values. ---

std::optional<bool> parse_boolean(const std::string& text) {
    static const std::pair<const char*, bool> kSpellings[] = {
        {"1", true}, {"y", true},   {"yes", true}, {"on", true},   {"true", true},
        {"0", false}, {"n", false}, {"no", false}, {"off", false}, {"false", false},
    };
    std::string lower;
    for (char c : text) lower.push_back(to_lower(c));
    for (const auto& [spelling, meaning] : kSpellings)
        if (lower == spelling) return meaning;
    return std::nullopt;
}

enum class IntegerProblem { none, malformed, octal_ambiguity, out_of_range };

struct ParsedInteger {
    std::int64_t value = 0;
    IntegerProblem problem = IntegerProblem::none;
};

bool is_decimal_digit(char c) { return c >= '0' && c <= '9'; }

int digit_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// memparse()'s suffixes: each one multiplies by a further 1024. Returns the shift, or -1 for none.
int suffix_shift(char c) {
    static const char kSuffixes[] = "kmgtpe";
    for (int i = 0; kSuffixes[i] != '\0'; ++i)
        if (to_lower(c) == kSuffixes[i]) return 10 * (i + 1);
    return -1;
}

// Reads the digits at `position` in `base` into `magnitude`, leaving `position` after them. Malformed if
// there are none.
IntegerProblem read_digits(std::string_view text, std::size_t& position, unsigned base, std::uint64_t& magnitude) {
    const std::size_t first = position;
    magnitude = 0;
    for (; position < text.size(); ++position) {
        const int value = digit_value(text[position]);
        if (value < 0 || static_cast<unsigned>(value) >= base) break;
        const std::uint64_t digit = static_cast<std::uint64_t>(value);
        if (magnitude > (std::numeric_limits<std::uint64_t>::max() - digit) / base) return IntegerProblem::out_of_range;
        magnitude = magnitude * base + digit;
    }
    return position == first ? IntegerProblem::malformed : IntegerProblem::none;
}

IntegerProblem apply_suffix(std::string_view text, std::size_t& position, std::uint64_t& magnitude) {
    if (position == text.size()) return IntegerProblem::none;
    const int shift = suffix_shift(text[position]);
    if (shift < 0) return IntegerProblem::malformed;
    ++position;
    if (magnitude > (std::numeric_limits<std::uint64_t>::max() >> shift)) return IntegerProblem::out_of_range;
    magnitude <<= shift;
    return IntegerProblem::none;
}

// The signed value of `magnitude`; int64's range is [-2^63, 2^63 - 1].
ParsedInteger signed_value(std::uint64_t magnitude, bool negative) {
    const std::uint64_t limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + (negative ? 1 : 0);
    if (magnitude > limit) return {0, IntegerProblem::out_of_range};
    if (!negative) return {static_cast<std::int64_t>(magnitude), IntegerProblem::none};
    if (magnitude == limit) return {std::numeric_limits<std::int64_t>::min(), IntegerProblem::none};
    return {-static_cast<std::int64_t>(magnitude), IntegerProblem::none};
}

ParsedInteger parse_integer(std::string_view text) {
    std::size_t position = 0;
    const bool negative = !text.empty() && text[0] == '-';
    if (!text.empty() && (text[0] == '-' || text[0] == '+')) ++position;

    unsigned base = 10;
    const bool hex_prefix = text.size() >= position + 2 && text[position] == '0' && to_lower(text[position + 1]) == 'x';
    if (hex_prefix) {
        base = 16;
        position += 2;
    } else if (text.size() > position + 1 && text[position] == '0' && is_decimal_digit(text[position + 1])) {
        return {0, IntegerProblem::octal_ambiguity};
    }

    std::uint64_t magnitude = 0;
    if (IntegerProblem problem = read_digits(text, position, base, magnitude); problem != IntegerProblem::none)
        return {0, problem};
    if (IntegerProblem problem = apply_suffix(text, position, magnitude); problem != IntegerProblem::none)
        return {0, problem};
    if (position != text.size()) return {0, IntegerProblem::malformed};
    return signed_value(magnitude, negative);
}

const char* describe(IntegerProblem problem) {
    switch (problem) {
    case IntegerProblem::octal_ambiguity:
        return "a leading zero is octal to Linux; write it in decimal or 0x hex";
    case IntegerProblem::out_of_range:
        return "out of range for a 64-bit signed integer";
    default:
        return kIntegerExpected;
    }
}

}  // namespace

CommandLine CommandLine::parse(const std::string& text, std::vector<std::string>* errors) {
    CommandLine line;
    line.text_ = text;
    const std::string_view view = text;
    for (std::size_t position = skip_spaces(view, 0); position < view.size();) {
        bool quote_left_open = false;
        const std::size_t end = argument_end(view, position, &quote_left_open);
        Argument argument = split_argument(view.substr(position, end - position), quote_left_open);
        position = skip_spaces(view, end);

        if (argument.quote_left_open) report(errors, std::string(argument.written) + ": unterminated quote");
        if (argument.name.empty()) {
            report(errors, std::string(argument.written) + ": missing parameter name");
            continue;
        }
        line.set(std::move(argument.name), std::move(argument.value));
    }
    return line;
}

const CommandLine::Setting* CommandLine::find(const std::string& name) const {
    for (const Setting& setting : settings_)
        if (same_name(setting.name, name)) return &setting;
    return nullptr;
}

// A later setting replaces the value but keeps the parameter's place and first spelling.
void CommandLine::set(std::string name, std::optional<std::string> value) {
    for (Setting& setting : settings_) {
        if (!same_name(setting.name, name)) continue;
        setting.value = std::move(value);
        return;
    }
    settings_.push_back(Setting{std::move(name), std::move(value)});
}

std::string CommandLine::written_as(const Setting& setting) {
    if (!setting.value) return setting.name;
    return setting.name + "=" + *setting.value;
}

bool CommandLine::has(const std::string& name) const { return find(name) != nullptr; }

std::optional<std::string> CommandLine::value(const std::string& name) const {
    const Setting* setting = find(name);
    if (!setting) return std::nullopt;
    return setting->value;
}

std::optional<bool> CommandLine::boolean(const std::string& name, std::string* error) const {
    const Setting* setting = find(name);
    if (!setting) return std::nullopt;
    if (!setting->value) return true;  // a bare name sets the flag, as param_set_bool() does
    if (std::optional<bool> parsed = parse_boolean(*setting->value)) return parsed;
    report(error, written_as(*setting) + ": " + kBooleanExpected);
    return std::nullopt;
}

std::optional<std::int64_t> CommandLine::integer(const std::string& name, std::string* error) const {
    const Setting* setting = find(name);
    if (!setting) return std::nullopt;
    if (!setting->value) {
        report(error, written_as(*setting) + ": " + kIntegerExpected);
        return std::nullopt;
    }
    const ParsedInteger parsed = parse_integer(*setting->value);
    if (parsed.problem == IntegerProblem::none) return parsed.value;
    report(error, written_as(*setting) + ": " + describe(parsed.problem));
    return std::nullopt;
}

std::vector<std::string> CommandLine::names() const {
    std::vector<std::string> names;
    names.reserve(settings_.size());
    for (const Setting& setting : settings_) names.push_back(setting.name);
    return names;
}

}  // namespace kernel
}  // namespace iommu_vp
