// io-pgtable: the IOMMU page-table formats' common part (Linux drivers/iommu/io-pgtable.c and
// include/linux/io-pgtable.h): the format list, the configuration a driver fills in and reads back,
// the flush callbacks a format calls (iommu_flush_ops), the memory a format keeps its tables in, the
// IoPgtable base class (map_pages / unmap_pages / iova_to_phys) with the level walking every
// radix-tree format shares, and the factory (alloc_io_pgtable_ops).
//
// Tables live in simulated physical memory and are reached only through IoPgtableMemory, because a
// hardware walker reads them concurrently. The write order follows Linux: a new table is allocated
// zeroed, filled, published (dma_wmb) and only then linked with a compare-and-set (cmpxchg64), so a
// walker never follows a link into a table whose contents it cannot see yet, and of two mappers racing
// for one empty entry the loser frees its table and walks the winner's. Leaves are written and then
// published once per map_pages call; an unmap publishes its clears once at the end, and before every
// tlb_flush_walk.
//
// Where freed table pages go (as Linux does): Arm LPAE clears the link, publishes, calls
// tlb_flush_walk and frees the table at once; VT-d puts the pages on gather->freelist for whoever
// completes the invalidation (put_pages_list after the IOTLB sync).
//
// Not modelled: the io-pgtable quirks (ARM_NS, TTBR1, OUTER_WBWA, HD dirty tracking, S2FWB, NO_WARN),
// the 32-bit LPAE and Mali formats, read_and_clear_dirty, cache maintenance for non-coherent walkers
// (coherent_walk only selects the walk attributes reported in TCR/VTCR; publish() is the only
// barrier), and custom per-domain allocators other than IoPgtableMemory.
//
// Pure C++, no SystemC.
#pragma once

#include "sw_stack/iommu/iotlb_gather.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace iommu_vp::iommu {

// ------------------------------------------------------------------------------------------------
// Descriptor fields: {lsb, width} constants, so formats write their layouts as named tables.
struct PteField {
    unsigned lsb;
    unsigned width;

    constexpr std::uint64_t mask() const {
        return (width >= 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << width) - 1)) << lsb;
    }
    // `value` placed in the field (bits beyond the width dropped).
    constexpr std::uint64_t place(std::uint64_t value) const { return (value << lsb) & mask(); }
    constexpr std::uint64_t extract(std::uint64_t pte) const { return (pte & mask()) >> lsb; }
    constexpr bool is_set_in(std::uint64_t pte) const { return (pte & mask()) != 0; }
};

// A field at [hi:lo], as the specifications write it, and a one-bit field.
constexpr PteField pte_bits(unsigned hi, unsigned lo) { return PteField{lo, hi - lo + 1}; }
constexpr PteField pte_bit(unsigned position) { return PteField{position, 1}; }

// ------------------------------------------------------------------------------------------------
// Formats (enum io_pgtable_fmt, the ones modelled). Linux has no io-pgtable enumerator for VT-d (the
// intel driver keeps its tables itself); the two VT-d names are this project's.
enum class IoPgtableFmt {
    ARM_64_LPAE_S1,    // VMSAv8-64 stage 1 (SMMUv3 context descriptor TTB0)
    ARM_64_LPAE_S2,    // VMSAv8-64 stage 2 (SMMUv3 STE S2TTB)
    VTD_SECOND_LEVEL,  // VT-d second-level (second-stage) tables, spec 9.8
    VTD_FIRST_LEVEL,   // VT-d first-level (first-stage) tables, IA-32e 4/5-level paging, spec 9.7
};

const char* io_pgtable_fmt_name(IoPgtableFmt fmt);

// What unmap_pages does when the range asked for covers only part of a block / superpage leaf.
enum class PartialBlockUnmap {
    // Default. The whole leaf is cleared and its size returned: the caller sees more unmapped than it
    // asked (the leaf's size counts from the leaf's start, which may lie before iova). This is what
    // the intel and AMD drivers do, the convention the v6.13 io-pgtable-arm change describes for the
    // other formats. (Mainline io-pgtable-arm since v6.13 itself refuses: see `refuse`.)
    unmap_whole_block,
    // The old io-pgtable-arm behaviour (arm_lpae_split_blk_unmap, removed in v6.13): the leaf is
    // replaced by a table of next-level leaves with the same attributes, the part asked for is then
    // unmapped and the rest stays mapped. Not hitless: the live block is replaced by a table without
    // break-before-make, which the architecture allows only with FEAT_BBM; a TLB may hold the old
    // block until the gather's invalidation covers it.
    split_block,
    // Mainline io-pgtable-arm since v6.13 ("Unmap of a partial large IOPTE is not allowed"): nothing
    // changes and 0 is returned.
    refuse,
};

// Outputs for an SMMUv3 context descriptor: TTB0, TCR fields (Linux struct io_pgtable_cfg
// arm_lpae_s1_cfg; the driver packs them into CD words) and MAIR.
struct ArmLpaeTcr {
    unsigned t0sz = 0;   // 64 - ias
    unsigned tg0 = 0;    // granule: 0 4K, 1 64K, 2 16K (TCR_EL1.TG0 encoding)
    unsigned irgn0 = 0;  // walk inner cacheability: 0 NC, 1 WB-WA (RGN encoding)
    unsigned orgn0 = 0;  // walk outer cacheability
    unsigned sh0 = 0;    // walk shareability: 0 NSH, 2 OSH, 3 ISH
    unsigned ips = 0;    // output size: 0 32, 1 36, 2 40, 3 42, 4 44, 5 48, 6 52 bits
};
struct ArmLpaeS1Cfg {
    std::uint64_t ttbr = 0;
    ArmLpaeTcr tcr;
    std::uint64_t mair = 0;  // attr0 NC, attr1 WB-RWA, attr2 Device-nGnRE, attr3 inner-NC/outer-WB
};

// Outputs for an SMMUv3 STE stage-2 part: S2TTB and the VTCR fields.
struct ArmLpaeVtcr {
    unsigned t0sz = 0;
    unsigned sl0 = 0;  // start level: 4K: 2 -> level 0, 1 -> 1, 0 -> 2; 16K/64K: 2 -> 1, 1 -> 2, 0 -> 3
    unsigned tg0 = 0;
    unsigned irgn0 = 0;
    unsigned orgn0 = 0;
    unsigned sh0 = 0;
    unsigned ps = 0;  // output size, IPS encoding
};
struct ArmLpaeS2Cfg {
    std::uint64_t vttbr = 0;
    ArmLpaeVtcr vtcr;
};

// Outputs for a VT-d context / PASID entry.
struct VtdPgtableCfg {
    std::uint64_t root = 0;  // SLPTPTR (second level) or FLPTPTR (first level)
    unsigned levels = 0;     // 3, 4 or 5
    unsigned agaw = 0;       // levels - 2: the context / PASID entry AW field (second level)
    bool five_level = false; // first level: the PASID entry's FLPM = 1 (5-level paging)
};

// The flush callbacks (struct iommu_flush_ops). The implementing object is the cookie.
//   tlb_flush_all   the whole context (free_io_pgtable_ops calls it before freeing the tables).
//   tlb_flush_walk  [iova, iova + size) including the walk (paging-structure) caches: a table was
//                   unlinked there and is about to be freed. `granule` is the leaf size in the range.
//   tlb_add_page    a leaf of `granule` bytes at iova was cleared: add it to the gather (the driver
//                   syncs first when the gather cannot take it, iommu_iotlb_gather_add_page). Arm
//                   reports each cleared entry; VT-d its whole range in one call, as intel does.
class IommuFlushOps {
public:
    virtual ~IommuFlushOps() = default;
    virtual void tlb_flush_all() = 0;
    virtual void tlb_flush_walk(std::uint64_t iova, std::uint64_t size, std::uint64_t granule) = 0;
    virtual void tlb_add_page(IommuIotlbGather& gather, std::uint64_t iova, std::uint64_t granule) = 0;
};

// Where tables live: simulated physical memory as the CPU sees it. Addresses are physical.
class IoPgtableMemory {
public:
    virtual ~IoPgtableMemory() = default;
    // A table of `bytes` (a power of two, >= 64) aligned to its size and reading as zeros; nullopt
    // when memory is short. The zeros are ordinary stores: publish() makes them visible.
    virtual std::optional<std::uint64_t> alloc_table(std::size_t bytes) = 0;
    virtual void free_table(std::uint64_t address, std::size_t bytes) = 0;
    // Naturally aligned, single-copy atomic 64-bit accesses (READ_ONCE / WRITE_ONCE).
    virtual std::uint64_t read64(std::uint64_t address) = 0;
    virtual void write64(std::uint64_t address, std::uint64_t value) = 0;
    // A fully ordered compare-and-exchange; returns the old value (cmpxchg64).
    virtual std::uint64_t cmpxchg64(std::uint64_t address, std::uint64_t expected, std::uint64_t desired) = 0;
    // Makes every earlier write visible to the hardware walker (dma_wmb).
    virtual void publish() = 0;
};

// struct io_pgtable_cfg: inputs the driver fills in, outputs the factory fills in. The factory may
// narrow the inputs as Linux does (pgsize_bitmap to the granule's sizes, ias/oas to what the format
// can address) and writes the narrowed values back.
struct IoPgtableCfg {
    // ---- inputs ----
    // Page and block sizes the IOMMU supports. Arm: the granule is the smallest of 4K (preferred, the
    // CPU page size), 16K, 64K present. VT-d: 4K, plus 2M and 1G superpages (1G only with 2M).
    std::uint64_t pgsize_bitmap = 0;
    unsigned ias = 0;  // input (IOVA / IPA) address bits
    unsigned oas = 0;  // output (physical) address bits
    // The walker snoops CPU caches: Arm reports inner-shareable write-back walks in TCR/VTCR,
    // otherwise outer-shareable non-cacheable.
    bool coherent_walk = true;
    IommuFlushOps* tlb = nullptr;  // not owned; may be null (no callbacks)
    PartialBlockUnmap partial_block_unmap = PartialBlockUnmap::unmap_whole_block;
    // VT-d second level: set SNP (bit 11) in every leaf, Linux's set_pte_snp after
    // enforce_cache_coherency. Needs ECAP.SC; ignored for the first level, where snooping is the
    // PASID entry's PGSNP.
    bool vtd_snoop = false;
    // VT-d: force the number of levels (3, 4 or 5; first level 4 or 5), as a driver does when SAGAW
    // lacks the smallest fitting one. 0: the fewest levels that cover ias.
    unsigned vtd_levels = 0;

    // ---- outputs ----
    ArmLpaeS1Cfg arm_lpae_s1_cfg;
    ArmLpaeS2Cfg arm_lpae_s2_cfg;
    VtdPgtableCfg vtd_cfg;
};

// ------------------------------------------------------------------------------------------------
// The page table of one domain (struct io_pgtable + io_pgtable_ops). Formats derive from it and
// supply the descriptor encoding; the walk, table installation and freeing are shared here.
//
// Levels are counted as walk steps: step 0 is the root table, step levels()-1 holds the smallest
// leaves. (Arm calls them start_level .. 3, VT-d levels() .. 1.)
//
// Not thread-safe for overlapping ranges (neither is Linux); mappers of disjoint ranges may race for
// a shared empty entry, which the compare-and-set resolves.
class IoPgtable {
public:
    IoPgtable(const IoPgtable&) = delete;
    IoPgtable& operator=(const IoPgtable&) = delete;
    // Formats free their tables in their own destructors (free_io_pgtable): the descriptor decoders
    // are gone by the time this one runs.
    virtual ~IoPgtable() = default;

    // Maps pgcount pages of pgsize at iova to paddr. 0, or -EINVAL (pgsize not supported, iova/paddr
    // not aligned to it, no read/write permission, iova beyond ias or paddr beyond oas), -EEXIST (part
    // of the range is mapped already: nothing of that table's run is written) or -ENOMEM. `mapped`
    // (may be null) gets the bytes mapped, also on failure, so the caller can unmap them (__iommu_map).
    // Unlike Linux's Arm format, which stops at the end of one table, every page is mapped in one call.
    int map_pages(std::uint64_t iova, std::uint64_t paddr, std::uint64_t pgsize, std::uint64_t pgcount, int prot,
                  std::uint64_t* mapped);

    // Unmaps pgcount pages of pgsize at iova; returns the bytes unmapped: 0 when nothing is mapped at
    // iova, less than asked at a hole (Arm), more than asked when a block was unmapped whole (see
    // PartialBlockUnmap). Leaves cleared are reported with tlb_add_page unless gather->queued.
    // `gather` may be null: Arm then reports nothing (the caller flushes); VT-d flush_walks the range
    // and frees the unlinked tables at once.
    std::uint64_t unmap_pages(std::uint64_t iova, std::uint64_t pgsize, std::uint64_t pgcount,
                              IommuIotlbGather* gather);

    // The physical address iova translates to, 0 when unmapped.
    std::uint64_t iova_to_phys(std::uint64_t iova) const;

    // Frees table pages an unmap left on a gather's freelist (iommu_put_pages_list); call once the
    // invalidation that covers them has completed. The list is empty afterwards.
    void put_pages_list(std::vector<std::uint64_t>& freelist);

    IoPgtableFmt fmt() const { return fmt_; }
    const IoPgtableCfg& cfg() const { return cfg_; }
    std::uint64_t root() const { return root_; }
    unsigned levels() const { return geometry_.levels; }
    std::size_t root_table_bytes() const { return table_bytes(0); }

protected:
    struct Geometry {
        unsigned levels = 0;           // tables on a walk, root included
        unsigned granule_shift = 0;    // log2 of the smallest leaf
        unsigned bits_per_level = 0;   // index bits of a non-root table (its bytes: 8 << bits)
        unsigned root_index_bits = 0;  // index bits of the root (fewer, or more when concatenated)
    };
    // A descriptor as read, with where it sits.
    struct EntryRef {
        std::uint64_t address = 0;
        std::uint64_t pte = 0;
        unsigned step = 0;
    };

    IoPgtable(IoPgtableFmt fmt, const IoPgtableCfg& cfg, IoPgtableMemory& memory, const Geometry& geometry,
              std::uint64_t input_limit_bits);
    // Allocates the (empty) root and publishes it, so the driver may program it; false when memory is
    // short.
    bool alloc_root();
    // free_io_pgtable_ops: tlb_flush_all, then every table page. Formats call it from their destructor.
    void free_io_pgtable();

    // ---- geometry ----
    unsigned block_shift(unsigned step) const;
    std::uint64_t block_size(unsigned step) const { return std::uint64_t{1} << block_shift(step); }
    std::size_t table_bytes(unsigned step) const;
    std::size_t entries_in(unsigned step) const;
    std::uint64_t entry_address(std::uint64_t table, std::uint64_t iova, unsigned step) const;
    // Entries from iova's to the end of its table page (a concatenated root counts as several pages).
    std::size_t entries_to_table_end(std::uint64_t iova, unsigned step) const;
    bool is_last_step(unsigned step) const { return step + 1 == geometry_.levels; }
    unsigned granule_shift() const { return geometry_.granule_shift; }

    // ---- shared walking ----
    // Descends from the root until step `stop_step`, an empty entry or a leaf.
    EntryRef walk(std::uint64_t iova, unsigned stop_step) const;
    // Clears a table link, publishes, flushes the walk over [iova, iova + its block) and frees the
    // tables below at once (what Arm does on unmap, and both formats when a block replaces an empty
    // table).
    void unlink_and_free_table(const EntryRef& link, std::uint64_t iova);
    // Every table page under (and including) `table` at `step`, onto `pages`.
    void collect_table_tree(std::uint64_t table, unsigned step, std::vector<std::uint64_t>& pages) const;
    // Replaces the leaf `block` by a table of next-level leaves covering the same memory with the same
    // attributes (published before it is linked, linked with a compare-and-set against the block).
    // The table now linked there (ours or a racer's), or nullopt (no memory, or the entry changed to
    // something that is not a table).
    std::optional<std::uint64_t> split_block(const EntryRef& block);

    IommuFlushOps* tlb() const { return cfg_.tlb; }
    IoPgtableMemory& memory() const { return memory_; }
    // For the factories, which fill in the root address once it is allocated.
    IoPgtableCfg& mutable_cfg() { return cfg_; }

private:
    // ---- the format's descriptor encoding ----
    // Leaf attribute bits for IOMMU_* prot (everything but the address and the leaf/type bits).
    virtual std::uint64_t prot_to_leaf_attributes(int prot) const = 0;
    virtual std::uint64_t make_leaf(std::uint64_t paddr, unsigned step, std::uint64_t attributes) const = 0;
    virtual std::uint64_t make_table_link(std::uint64_t table) const = 0;
    virtual bool is_present(std::uint64_t pte) const = 0;
    // Present and mapping memory (page, block or superpage), as opposed to pointing at a table.
    virtual bool is_leaf(std::uint64_t pte, unsigned step) const = 0;
    // The output address of a leaf or the table address of a link.
    virtual std::uint64_t pte_address(std::uint64_t pte) const = 0;
    // A leaf's attribute bits as prot_to_leaf_attributes made them (for splitting).
    virtual std::uint64_t leaf_attributes(std::uint64_t pte) const = 0;
    // The step the next run of a mapping is written at: pgsize's own level (Arm), or the largest
    // superpage alignment and the remaining length allow (VT-d).
    virtual unsigned map_step(std::uint64_t iova, std::uint64_t paddr, std::uint64_t remaining,
                              std::uint64_t pgsize) const = 0;
    // The format's unmap, after the common checks.
    virtual std::uint64_t unmap_range(std::uint64_t iova, std::uint64_t pgsize, std::uint64_t pgcount,
                                    IommuIotlbGather* gather) = 0;

    int check_map_request(std::uint64_t iova, std::uint64_t paddr, std::uint64_t pgsize, std::uint64_t pgcount,
                          int prot) const;
    // Writes up to `count` leaves of step's size from iova, stopping at the end of the table; the
    // number written, or a negative errno.
    long map_run(std::uint64_t iova, std::uint64_t paddr, unsigned step, std::uint64_t count,
                 std::uint64_t attributes);
    // Finds (allocating and linking tables as needed) the entry for iova at `step`.
    int walk_alloc(std::uint64_t iova, unsigned step, std::uint64_t& entry);
    // The table `entry` (at `step`) links to, linking a new one if it is empty; -EEXIST for a leaf.
    int descend(std::uint64_t entry, unsigned step, std::uint64_t& next_table);
    // Links `table` into `entry` if it still holds `expected`: publish, then compare-and-set. The old
    // value (== expected when ours won).
    std::uint64_t install_table(std::uint64_t entry, std::uint64_t expected, std::uint64_t table);
    // Checks a run of entries before a leaf run is written: -EEXIST for a leaf or a table with
    // mappings below; empty tables are replaced (unlinked and freed).
    int prepare_run(std::uint64_t entry, std::uint64_t iova, unsigned step, std::size_t count);
    bool has_mappings_below(std::uint64_t table, unsigned step) const;
    void free_table_tree(std::uint64_t table, unsigned step);

    IoPgtableFmt fmt_;
    IoPgtableCfg cfg_;
    IoPgtableMemory& memory_;
    Geometry geometry_;
    std::uint64_t input_limit_bits_;  // IOVAs must be below 2^this
    std::uint64_t root_ = 0;
};

// alloc_io_pgtable_ops: the table for `fmt`, with cfg's outputs filled in (and its inputs narrowed
// as the format requires). nullptr when the format cannot express cfg or memory is short; `why`
// (optional) then says which.
std::unique_ptr<IoPgtable> alloc_io_pgtable_ops(IoPgtableFmt fmt, IoPgtableCfg& cfg, IoPgtableMemory& memory,
                                                std::string* why = nullptr);

}  // namespace iommu_vp::iommu
