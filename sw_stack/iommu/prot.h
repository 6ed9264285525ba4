// Mapping permissions and attributes (include/linux/iommu.h IOMMU_READ ...): what the DMA API and
// iommu_map ask a page-table format to encode. Each format turns them into its own descriptor bits.
//
// Pure C++, no SystemC.
#pragma once

namespace iommu_vp::iommu {

inline constexpr int IOMMU_READ = 1 << 0;    // the device may read
inline constexpr int IOMMU_WRITE = 1 << 1;   // the device may write
inline constexpr int IOMMU_CACHE = 1 << 2;   // cacheable, coherent with the CPU (DMA_ATTR coherent device)
inline constexpr int IOMMU_NOEXEC = 1 << 3;  // never fetched as instructions
inline constexpr int IOMMU_MMIO = 1 << 4;    // device memory (an MSI doorbell, a peer's BAR)
inline constexpr int IOMMU_PRIV = 1 << 5;    // privileged accesses only

}  // namespace iommu_vp::iommu
