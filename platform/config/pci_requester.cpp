#include "platform/config/pci_requester.h"

#include "platform/config/config_loader.h"

#include <cctype>

namespace iommu_vp::platform {
namespace {

constexpr unsigned kBusMax = 0xff, kDeviceMax = 0x1f, kFunctionMax = 0x7;
constexpr std::uint64_t kSourceIdMax = 0xffff;

const char* const kForms = " (allowed: \"bus:device.function\" in hex as lspci prints it, bus 00..ff, device "
                           "00..1f, function 0..7, e.g. \"00:03.0\"; or the source-id 0 to 0xffff)";

// One hex part of at most two digits, at most `max`.
bool parse_part(const std::string& text, unsigned max, unsigned& value) {
    if (text.empty() || text.size() > 2) return false;
    value = 0;
    for (char c : text) {
        const int digit = std::tolower(static_cast<unsigned char>(c));
        if (!std::isxdigit(digit)) return false;
        value = value * 16 + static_cast<unsigned>(std::isdigit(digit) ? digit - '0' : digit - 'a' + 10);
    }
    return value <= max;
}

}  // namespace

bool parse_requester_id(const std::string& text, std::uint16_t& id, std::string& error) {
    const std::size_t colon = text.find(':');
    if (colon == std::string::npos) {
        std::uint64_t value = 0;
        std::string problem;
        if (!parse_config_integer(text, false, value, problem) || value > kSourceIdMax) {
            error = "'" + text + "' is not a PCI requester ID" + kForms;
            return false;
        }
        id = static_cast<std::uint16_t>(value);
        return true;
    }
    const std::size_t dot = text.find('.', colon);
    unsigned bus = 0, device = 0, function = 0;
    if (dot == std::string::npos || !parse_part(text.substr(0, colon), kBusMax, bus) ||
        !parse_part(text.substr(colon + 1, dot - colon - 1), kDeviceMax, device) ||
        !parse_part(text.substr(dot + 1), kFunctionMax, function)) {
        error = "'" + text + "' is not a PCI requester ID" + kForms;
        return false;
    }
    id = static_cast<std::uint16_t>(bus << 8 | device << 3 | function);
    return true;
}

std::uint16_t requester_id(const std::string& text) {
    std::uint16_t id = 0;
    std::string error;
    return parse_requester_id(text, id, error) ? id : 0;
}

}  // namespace iommu_vp::platform
