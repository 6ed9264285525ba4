// PCI requester IDs as a configuration writes them: "bus:device.function" in hex, as lspci prints
// them ("00:1f.3" is bus 0, device 31, function 3), or the 16-bit number itself (VT-d's source-id,
// bus << 8 | device << 3 | function). Plain C++ with no model headers: the table-builder's config
// reader (platform/tables) uses it too.
#pragma once

#include <cstdint>
#include <string>

namespace iommu_vp::platform {

// Returns false with `error` set when `text` is neither form or a part is out of range.
bool parse_requester_id(const std::string& text, std::uint16_t& id, std::string& error);

// The id of a text that parse_requester_id accepted (0 otherwise: validation reported it).
std::uint16_t requester_id(const std::string& text);

}  // namespace iommu_vp::platform
