#include "models/common/field_text.h"

#include <cstdio>

namespace iommu_vp {

void append_field(std::string& text, const char* name, std::uint64_t value, bool hex) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, hex ? "%s%s=0x%llx" : "%s%s=%llu", text.empty() ? "" : " ", name,
                  static_cast<unsigned long long>(value));
    text += buffer;
}

}  // namespace iommu_vp
