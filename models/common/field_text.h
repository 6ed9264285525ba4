// Texts that name fields and their values, for the `reg`, `cmd` and `fault` logs of every model:
// "P=1 DID=0x5 SLPTPTR=0x12000". Allocates: only for logs and reports, never on a hot path.
#pragma once

#include <cstdint>
#include <string>

namespace iommu_vp {

// Appends "NAME=0xVALUE" (or "NAME=VALUE" in decimal), after a space unless `text` is empty.
void append_field(std::string& text, const char* name, std::uint64_t value, bool hex = true);

inline void append_flag(std::string& text, const char* name, bool value) {
    append_field(text, name, value ? 1 : 0, false);
}

}  // namespace iommu_vp
