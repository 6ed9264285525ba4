namespace iommu_vp {}
