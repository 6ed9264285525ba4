#include "platform/config/config_loader.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace iommu_vp::platform {
namespace {

struct Suffix {
    const char* text;
    unsigned shift;
};
constexpr std::array<Suffix, 4> kSizeSuffixes = {{{"KiB", 10}, {"MiB", 20}, {"GiB", 30}, {"TiB", 40}}};

bool accumulate_digits(const std::string& digits, unsigned base, std::uint64_t& value) {
    value = 0;
    bool any = false;
    for (char c : digits) {
        if (c == '_') continue;
        const int lower = std::tolower(static_cast<unsigned char>(c));
        unsigned digit;
        if (lower >= '0' && lower <= '9')
            digit = static_cast<unsigned>(lower - '0');
        else if (base == 16 && lower >= 'a' && lower <= 'f')
            digit = static_cast<unsigned>(lower - 'a' + 10);
        else
            return false;
        if (value > (~std::uint64_t{0} - digit) / base) return false;  // overflow
        value = value * base + digit;
        any = true;
    }
    return any;
}

}  // namespace

bool parse_config_integer(const std::string& text, bool size_suffixes, std::uint64_t& value, std::string& error) {
    std::string digits = text;
    unsigned shift = 0;
    if (size_suffixes) {
        for (const Suffix& s : kSizeSuffixes) {
            const std::string suffix = s.text;
            if (digits.size() > suffix.size() && digits.compare(digits.size() - suffix.size(), suffix.size(), suffix) == 0) {
                digits.resize(digits.size() - suffix.size());
                while (!digits.empty() && digits.back() == ' ') digits.pop_back();
                shift = s.shift;
                break;
            }
        }
    }
    unsigned base = 10;
    if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
        base = 16;
        digits = digits.substr(2);
    }
    if (!accumulate_digits(digits, base, value)) {
        error = "'" + text + "' is not an unsigned integer" +
                std::string(size_suffixes ? " (decimal or 0x-hex, optionally with KiB, MiB, GiB or TiB)"
                                          : " (decimal or 0x-hex)");
        return false;
    }
    if (shift && value > (~std::uint64_t{0} >> shift)) {
        error = "'" + text + "' does not fit in 64 bits";
        return false;
    }
    value <<= shift;
    return true;
}

std::string nearest_key(const std::string& word, const std::vector<std::string>& candidates) {
    auto distance = [](const std::string& a, const std::string& b) {
        std::vector<std::size_t> row(b.size() + 1);
        for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
        for (std::size_t i = 1; i <= a.size(); ++i) {
            std::size_t diagonal = row[0];
            row[0] = i;
            for (std::size_t j = 1; j <= b.size(); ++j) {
                const std::size_t above = row[j];
                row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
                diagonal = above;
            }
        }
        return row[b.size()];
    };
    std::string best;
    std::size_t best_distance = ~std::size_t{0};
    for (const std::string& candidate : candidates) {
        const std::size_t d = distance(word, candidate);
        if (d < best_distance) {
            best_distance = d;
            best = candidate;
        }
    }
    // A typo changes a few characters; anything further away is a different word.
    const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
    return best_distance <= limit ? best : std::string();
}

}  // namespace iommu_vp::platform
