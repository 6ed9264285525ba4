# The exported CMake package: another SystemC project installs nothing of ours but the models and
# writes `find_package(iommu_vp)` then links `iommu_vp::models`.
include(CMakePackageConfigHelpers)

set(IOMMU_VP_CMAKE_DIR lib/cmake/iommu_vp)

install(EXPORT iommu_vp_targets NAMESPACE iommu_vp:: DESTINATION ${IOMMU_VP_CMAKE_DIR}
        FILE iommu_vpTargets.cmake)

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/iommu_vpConfig.cmake.in
  ${PROJECT_BINARY_DIR}/iommu_vpConfig.cmake INSTALL_DESTINATION ${IOMMU_VP_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/iommu_vpConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/iommu_vpConfig.cmake ${PROJECT_BINARY_DIR}/iommu_vpConfigVersion.cmake
        DESTINATION ${IOMMU_VP_CMAKE_DIR})
