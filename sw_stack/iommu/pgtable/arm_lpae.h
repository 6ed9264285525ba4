// Arm LPAE io-pgtable (Linux drivers/iommu/io-pgtable-arm.c): VMSAv8-64 translation tables for an
// SMMU, stage 1 (ARM_64_LPAE_S1: TTB0 / TCR / MAIR for a context descriptor) and stage 2
// (ARM_64_LPAE_S2: S2TTB / VTCR for a stream table entry), with 4K, 16K and 64K granules.
//
// Geometry as Linux derives it: the granule from pgsize_bitmap (4K preferred, else the smallest
// present), levels = ceil((ias - granule bits) / (granule bits - 3)), start level = 4 - levels; a
// stage-2 start table is concatenated (up to 16 tables, one level lower) where the architecture makes
// it mandatory (mainline arm_lpae_concat_mandatory: 16K at level 0; 4K at level 0 with a 40/42-bit
// oas; 16K at level 1 with a 40-bit oas). Block sizes: 4K -> 4K|2M|1G, 16K -> 16K|32M,
// 64K -> 64K|512M, plus 4T with a 52-bit oas; sizes above the start level are dropped.
//
// Leaves (Arm ARM D8.3, Linux arm_lpae_prot_to_pte): stage 1 sets nG, AF, AttrIndx (MAIR index 0 NC,
// 1 cacheable, 2 device), AP[2] for read-only, AP[1] unless IOMMU_PRIV, SH inner-shareable for
// IOMMU_CACHE and outer-shareable otherwise, PXN|UXN for IOMMU_NOEXEC; stage 2 sets S2AP read/write,
// MemAttr (0xF write-back, 0x5 non-cacheable, 0x1 Device-nGnRE), SH, AF and XN[1:0] for IOMMU_NOEXEC.
// Table links are type 0b11 with no hierarchical attributes.
//
// Unmap: at pgsize's level, up to the end of each table (Linux's loop in __arm_lpae_unmap), stopping
// at the first hole; a table met there is unlinked, flush_walk'ed and freed at once; every cleared
// entry goes to tlb_add_page unless the gather is queued. A block above pgsize's level follows
// cfg.partial_block_unmap. Empty tables stay linked (as in Linux) until a block replaces them.
//
// Rejected (nullptr, with the reason): ias outside 32..52, oas above 52 or not an IPS/PS encoding
// (32, 36, 40, 42, 44, 48, 52), no 4K/16K/64K granule in pgsize_bitmap, a stage-2 start table that
// would need more than 16 concatenated tables. Narrowed as Linux does: ias and oas above 48 with a
// 4K or 16K granule become 48 (52-bit addresses there need FEAT_LPA2's other descriptor format).
//
// Not modelled: FEAT_LPA2, TTBR1, the NS / OUTER_WBWA / HD / S2FWB quirks, the contiguous bit,
// hierarchical table attributes, 32-bit LPAE and Mali.
//
// Pure C++, no SystemC.
#pragma once

#include "sw_stack/iommu/pgtable/io_pgtable.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace iommu_vp::iommu {

class ArmLpaePgtable final : public IoPgtable {
public:
    struct Layout {
        unsigned granule_shift = 0;   // 12, 14 or 16
        unsigned start_level = 0;     // Arm's number of the root table's level, 0..3
        unsigned pgd_bits = 0;        // index bits of the (possibly concatenated) root
        unsigned concatenated = 1;    // stage-2 start tables concatenated into the root
    };

    ArmLpaePgtable(IoPgtableFmt fmt, const IoPgtableCfg& cfg, IoPgtableMemory& memory, const Layout& layout);
    ~ArmLpaePgtable() override;

    unsigned start_level() const { return layout_.start_level; }
    unsigned concatenated_tables() const { return layout_.concatenated; }
    std::uint64_t granule() const { return std::uint64_t{1} << layout_.granule_shift; }

private:
    // The factory allocates the root and fills in the root outputs.
    friend std::unique_ptr<IoPgtable> alloc_arm_lpae_pgtable(IoPgtableFmt, IoPgtableCfg&, IoPgtableMemory&,
                                                             std::string&);

    bool is_stage1() const { return fmt() == IoPgtableFmt::ARM_64_LPAE_S1; }
    // Arm's level number of a walk step.
    unsigned arm_level(unsigned step) const { return layout_.start_level + step; }
    unsigned step_for_size(std::uint64_t size) const;
    std::uint64_t pack_address(std::uint64_t paddr) const;

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

    // One table's worth of __arm_lpae_unmap: bytes unmapped, 0 for nothing.
    std::uint64_t unmap_in_one_table(std::uint64_t iova, std::uint64_t pgsize, std::uint64_t count,
                                     IommuIotlbGather* gather);
    // Clears up to `count` entries from `first` (at iova, step) to the end of the table or the
    // first hole, and reports them to the gather.
    std::uint64_t clear_run(std::uint64_t first, std::uint64_t iova, unsigned step, std::uint64_t count,
                            IommuIotlbGather* gather);
    std::uint64_t clear_whole_block(const EntryRef& block, std::uint64_t iova, IommuIotlbGather* gather);
    void report_cleared(IommuIotlbGather* gather, std::uint64_t iova, std::uint64_t size, std::size_t count);

    Layout layout_;
};

// The Arm part of alloc_io_pgtable_ops (fmt is ARM_64_LPAE_S1 or ARM_64_LPAE_S2).
std::unique_ptr<IoPgtable> alloc_arm_lpae_pgtable(IoPgtableFmt fmt, IoPgtableCfg& cfg, IoPgtableMemory& memory,
                                                  std::string& why);

}  // namespace iommu_vp::iommu
