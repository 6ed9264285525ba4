#include "models/smmuv3/features.h"

#include <array>

namespace iommu_vp::smmuv3 {
namespace {
// SMMUv3 6.3.6 (IDR5.OAS), shared by CD.IPS and STE.S2PS.
constexpr std::array<unsigned, 7> kAddressSizes = {32, 36, 40, 42, 44, 48, 52};
}  // namespace

unsigned address_size_bits(unsigned encoding) {
    return encoding < kAddressSizes.size() ? kAddressSizes[encoding] : 0;
}

unsigned address_size_encoding(unsigned bits) {
    unsigned encoding = 0;
    for (unsigned i = 0; i < kAddressSizes.size(); ++i)
        if (kAddressSizes[i] <= bits) encoding = i;
    return encoding;
}

}  // namespace iommu_vp::smmuv3
