# Options shared by every target the project builds. Applied PRIVATE, so nothing here leaks into
# the exported package that other SystemC platforms link.
function(iommu_vp_configure_target target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Woverloaded-virtual)
  if(IOMMU_VP_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(IOMMU_VP_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined
                                             -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# SystemC's headers cost over a second per translation unit; targets made mostly of SystemC
# modules precompile them once.
function(iommu_vp_precompile_systemc target)
  if(IOMMU_VP_PCH)
    target_precompile_headers(${target} PRIVATE <systemc> <tlm>)
  endif()
endfunction()

# Sources of one directory, so adding a file does not need a CMake edit.
function(iommu_vp_glob_sources out_var)
  file(GLOB_RECURSE found CONFIGURE_DEPENDS ${ARGN})
  list(SORT found)
  set(${out_var} ${found} PARENT_SCOPE)
endfunction()
