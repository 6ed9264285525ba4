// The DMA layer's part of default-domain setup (dma-iommu.c, section 8.1).
#include "sw_stack/iommu/core_internal.h"

namespace iommu_vp::iommu {

int iommu_get_dma_cookie(IommuDomain& domain) {
    if (domain.cookie_type != IommuDomain::CookieType::none) return -EEXIST;
    domain.cookie_type = IommuDomain::CookieType::dma_iova;
    return 0;
}

void iommu_put_dma_cookie(IommuDomain& domain) {
    domain.iova_cookie.reset();
    domain.cookie_type = IommuDomain::CookieType::none;
}

void iommu_setup_dma_ops(Device& dev, IommuDomain* domain) {
    kernel::assert_held(dev.iommu_group->mutex);  // rule L7
    dev.dma_iommu = domain && iommu_is_dma_domain_type(domain->type);
}

}  // namespace iommu_vp::iommu
