// VT-d page tables as Linux's intel driver keeps them (drivers/iommu/intel/iommu.c: dma_pte,
// pfn_to_dma_pte, __domain_mapping, domain_unmap, intel_iommu_iova_to_phys), in the io-pgtable shape.
//
// VTD_SECOND_LEVEL (VT-d spec 9.8): 3, 4 or 5 levels (39-, 48-, 57-bit input), 4K tables of 512
// entries. Leaves: R, W, PS (bit 7) for 2M / 1G superpages, SNP (bit 11) when cfg.vtd_snoop (Linux's
// set_pte_snp after enforce_cache_coherency; needs ECAP.SC). R is set on every leaf, write-only ones
// too: Linux ORs its first-level present bit (bit 0, the second level's R) into every leaf. Links:
// R|W (the permissions are the leaves').
//
// VTD_FIRST_LEVEL (spec 9.7, IA-32e paging): 4 or 5 levels. Leaves: P, R/W for IOMMU_WRITE, U/S
// (Linux treats device accesses as user accesses), A preset and D preset for writable leaves (so the
// IOMMU never has to set them: Linux "Preset A/D bits"), PS for 2M / 1G, XD (bit 63) for
// IOMMU_NOEXEC, which needs execute-disable enabled in the PASID entry (mainline Linux stopped
// setting XD in 2024; older kernels set it on every entry). Links: P|R/W|U/S|A. IOVAs are kept in the
// canonical lower half: below 2^47 (4-level) or 2^56 (5-level), Linux's first-stage aperture.
//
// Superpages as intel's hardware_largepage_caps: each run of a mapping uses the largest superpage
// that cfg allows (pgsize_bitmap 2M, then 1G), that iova and paddr are both aligned to and that the
// remaining length fills, whatever pgsize the caller passed.
//
// Unmap as intel's domain_unmap: the range is cleared across levels; a table that the range covers
// whole is unlinked and all its pages go to gather->freelist (never freed here: the driver frees
// them with put_pages_list once its IOTLB sync has completed), then one tlb_add_page(iova, size)
// for the range unless the gather is queued. No flush_walk: the VT-d sync invalidates the
// paging-structure caches with the IOTLB. The root is never unlinked. A superpage only partly in
// the range follows cfg.partial_block_unmap (default: unmapped whole and counted, as intel does).
// 0 when nothing is mapped at iova (intel would return the size). With a null gather the freed pages
// are flush_walk'ed and freed at once.
//
// Rejected (nullptr, with the reason): no 4K in pgsize_bitmap, ias above 57 or too large for forced
// vtd_levels, vtd_levels outside 3..5 (first level 4..5), oas outside 32..52.
//
// Not modelled: A/D tracking (SLADE, dirty-log), the X bit / SLEE, EMT/IPAT memory types, the
// PASID-entry side (the driver builds it from the outputs), pre-VT-d-3 snoop control, nested
// translation.
//
// Pure C++, no SystemC.
#pragma once

#include "sw_stack/iommu/pgtable/io_pgtable.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace iommu_vp::iommu {

class VtdPgtable final : public IoPgtable {
public:
    VtdPgtable(IoPgtableFmt fmt, const IoPgtableCfg& cfg, IoPgtableMemory& memory, unsigned levels,
               unsigned superpage_levels, unsigned input_limit_bits);
    ~VtdPgtable() override;

    bool is_first_level() const { return fmt() == IoPgtableFmt::VTD_FIRST_LEVEL; }
    // Superpage levels in use: 0 none, 1 2M, 2 2M and 1G (Linux's iommu_superpage).
    unsigned superpage_levels() const { return superpage_levels_; }

private:
    // The factory allocates the root and fills in the root outputs.
    friend std::unique_ptr<IoPgtable> alloc_vtd_pgtable(IoPgtableFmt, IoPgtableCfg&, IoPgtableMemory&, std::string&);

    std::uint64_t prot_to_leaf_attributes(int prot) const override;
    std::uint64_t make_leaf(std::uint64_t paddr, unsigned step, std::uint64_t attributes) const override;
    std::uint64_t make_table_link(std::uint64_t table) const override;
    bool is_present(std::uint64_t pte) const override;
    bool is_leaf(std::uint64_t pte, unsigned step) const override;
    std::uint64_t pte_address(std::uint64_t pte) const override;
    std::uint64_t leaf_attributes(std::uint64_t pte) const override;
    unsigned map_step(std::uint64_t iova, std::uint64_t paddr, std::uint64_t remaining,
                      std::uint64_t pgsize) const override;
    std::uint64_t unmap_range(std::uint64_t iova, std::uint64_t pgsize, std::uint64_t pgcount,
                              IommuIotlbGather* gather) override;

    // Makes the leaf holding `address` lie inside [start, end): widens the range over it, splits it,
    // or refuses (false), per cfg.partial_block_unmap.
    bool fit_partial_leaf(std::uint64_t address, std::uint64_t& start, std::uint64_t& end);
    // dma_pte_clear_level: clears [start, end) in `table` (at step) and below; tables covered whole go
    // to `freelist`.
    void clear_level(std::uint64_t table, unsigned step, std::uint64_t start, std::uint64_t end,
                     std::vector<std::uint64_t>& freelist);

    unsigned superpage_levels_;
};

// The VT-d part of alloc_io_pgtable_ops (fmt is VTD_SECOND_LEVEL or VTD_FIRST_LEVEL).
std::unique_ptr<IoPgtable> alloc_vtd_pgtable(IoPgtableFmt fmt, IoPgtableCfg& cfg, IoPgtableMemory& memory,
                                             std::string& why);

}  // namespace iommu_vp::iommu
