// The program's version, from the CMake project version.
#pragma once

namespace iommu_vp::platform {
extern const char* const kVersion;
}
