#include "sw_stack/iommu/pgtable/vtd_pgtable.h"

#include "sw_stack/iommu/prot.h"

#include <algorithm>

namespace iommu_vp::iommu {

namespace {

// ---- paging-entry fields (VT-d spec 9.7 / 9.8; Linux DMA_PTE_* and DMA_FL_PTE_*) ---------------
constexpr PteField kRead = pte_bit(0);               // second level R; first level P (present)
constexpr PteField kWrite = pte_bit(1);              // second level W; first level R/W
constexpr PteField kFirstLevelUser = pte_bit(2);     // U/S
constexpr PteField kFirstLevelAccessed = pte_bit(5); // A
constexpr PteField kFirstLevelDirty = pte_bit(6);    // D (leaves)
constexpr PteField kPageSize = pte_bit(7);           // PS: a 2M / 1G leaf instead of a link
constexpr PteField kSecondLevelSnoop = pte_bit(11);  // SNP (leaves, with ECAP.SC)
constexpr PteField kAddress = pte_bits(51, 12);      // ADDR: the page or the next table
constexpr PteField kFirstLevelExecuteDisable = pte_bit(63);  // XD

constexpr unsigned kPageShift = 12;   // VTD_PAGE_SHIFT: tables and leaves are 4K-granular
constexpr unsigned kStrideBits = 9;   // VTD_STRIDE_SHIFT: 512 entries a table
constexpr unsigned kMaxLevels = 5;
constexpr unsigned kMinSecondLevelLevels = 3;
constexpr unsigned kMinFirstLevelLevels = 4;
constexpr unsigned kMaxInputBits = kPageShift + kStrideBits * kMaxLevels;  // 57
constexpr unsigned kMinOutputBits = 32;
constexpr unsigned kMaxOutputBits = 52;
constexpr unsigned kMaxSuperpageLevels = 2;  // 2M and 1G

constexpr std::uint64_t k4k = std::uint64_t{1} << kPageShift;
constexpr std::uint64_t k2m = std::uint64_t{1} << (kPageShift + kStrideBits);
constexpr std::uint64_t k1g = std::uint64_t{1} << (kPageShift + 2 * kStrideBits);

unsigned width_of(unsigned levels) { return kPageShift + kStrideBits * levels; }

// Superpage levels the bitmap asks for: 2M, then 1G on top of it (Linux counts them in a row).
unsigned superpage_levels_in(std::uint64_t pgsize_bitmap) {
    if (!(pgsize_bitmap & k2m)) return 0;
    return (pgsize_bitmap & k1g) ? 2 : 1;
}

// The levels for cfg (forced or the fewest covering ias); 0 with the reason when none fits.
unsigned choose_levels(const IoPgtableCfg& cfg, bool first_level, std::string& why) {
    const unsigned min_levels = first_level ? kMinFirstLevelLevels : kMinSecondLevelLevels;
    if (cfg.vtd_levels) {
        if (cfg.vtd_levels < min_levels || cfg.vtd_levels > kMaxLevels) {
            why = "vtd_levels " + std::to_string(cfg.vtd_levels) + " is outside " + std::to_string(min_levels) + "..5";
            return 0;
        }
        if (cfg.ias > width_of(cfg.vtd_levels)) {
            why = "ias " + std::to_string(cfg.ias) + " needs more than vtd_levels " + std::to_string(cfg.vtd_levels);
            return 0;
        }
        return cfg.vtd_levels;
    }
    unsigned levels = min_levels;
    while (width_of(levels) < cfg.ias) ++levels;
    return levels;
}

}  // namespace

// ---- construction ------------------------------------------------------------------------------

VtdPgtable::VtdPgtable(IoPgtableFmt fmt, const IoPgtableCfg& cfg, IoPgtableMemory& memory, unsigned levels,
                       unsigned superpage_levels, unsigned input_limit_bits)
    : IoPgtable(fmt, cfg, memory, Geometry{levels, kPageShift, kStrideBits, kStrideBits}, input_limit_bits),
      superpage_levels_(superpage_levels) {}

VtdPgtable::~VtdPgtable() { free_io_pgtable(); }

std::unique_ptr<IoPgtable> alloc_vtd_pgtable(IoPgtableFmt fmt, IoPgtableCfg& cfg, IoPgtableMemory& memory,
                                             std::string& why) {
    const bool first_level = fmt == IoPgtableFmt::VTD_FIRST_LEVEL;
    if (!(cfg.pgsize_bitmap & k4k)) {
        why = "pgsize_bitmap lacks 4K";
        return nullptr;
    }
    if (cfg.ias == 0 || cfg.ias > kMaxInputBits) {
        why = "ias " + std::to_string(cfg.ias) + " is outside 1..57";
        return nullptr;
    }
    if (cfg.oas < kMinOutputBits || cfg.oas > kMaxOutputBits) {
        why = "oas " + std::to_string(cfg.oas) + " is outside 32..52";
        return nullptr;
    }
    const unsigned levels = choose_levels(cfg, first_level, why);
    if (!levels) return nullptr;
    IoPgtableCfg narrowed = cfg;
    const unsigned superpages = std::min(superpage_levels_in(cfg.pgsize_bitmap), kMaxSuperpageLevels);
    narrowed.pgsize_bitmap = k4k | (superpages >= 1 ? k2m : 0) | (superpages >= 2 ? k1g : 0);
    // First-level IOVAs stay in the canonical lower half (bit width-1 clear).
    const unsigned width_limit = width_of(levels) - (first_level ? 1 : 0);
    narrowed.ias = std::min(cfg.ias, width_limit);
    auto table = std::make_unique<VtdPgtable>(fmt, narrowed, memory, levels, superpages, narrowed.ias);
    if (!table->alloc_root()) {
        why = "no memory for the root table";
        return nullptr;
    }
    narrowed.vtd_cfg = VtdPgtableCfg{table->root(), levels, levels - 2, levels == kMaxLevels};
    cfg = narrowed;
    table->mutable_cfg() = narrowed;
    return table;
}

// ---- descriptors -------------------------------------------------------------------------------

std::uint64_t VtdPgtable::prot_to_leaf_attributes(int prot) const {
    // Bit 0 on every leaf: Linux's DMA_FL_PTE_PRESENT, which is the second level's R as well.
    std::uint64_t pte = kRead.place(1);
    if (prot & IOMMU_WRITE) pte |= kWrite.place(1);
    if (is_first_level()) {
        pte |= kFirstLevelUser.place(1) | kFirstLevelAccessed.place(1);
        if (prot & IOMMU_WRITE) pte |= kFirstLevelDirty.place(1);
        if (prot & IOMMU_NOEXEC) pte |= kFirstLevelExecuteDisable.place(1);
    } else if (cfg().vtd_snoop) {
        pte |= kSecondLevelSnoop.place(1);
    }
    return pte;
}

std::uint64_t VtdPgtable::make_leaf(std::uint64_t paddr, unsigned step, std::uint64_t attributes) const {
    const std::uint64_t superpage = is_last_step(step) ? 0 : kPageSize.place(1);
    return attributes | kAddress.place(paddr >> kPageShift) | superpage;
}

std::uint64_t VtdPgtable::make_table_link(std::uint64_t table) const {
    // Non-leaf entries grant everything; the leaf decides (Linux pfn_to_dma_pte).
    std::uint64_t pte = kAddress.place(table >> kPageShift) | kRead.place(1) | kWrite.place(1);
    if (is_first_level()) pte |= kFirstLevelUser.place(1) | kFirstLevelAccessed.place(1);
    return pte;
}

bool VtdPgtable::is_present(std::uint64_t pte) const {
    // dma_pte_present: R or W (first level: P or R/W, and P is always set with R/W).
    return (pte & (kRead.mask() | kWrite.mask())) != 0;
}

bool VtdPgtable::is_leaf(std::uint64_t pte, unsigned step) const {
    return is_present(pte) && (is_last_step(step) || kPageSize.is_set_in(pte));
}

std::uint64_t VtdPgtable::pte_address(std::uint64_t pte) const { return pte & kAddress.mask(); }

std::uint64_t VtdPgtable::leaf_attributes(std::uint64_t pte) const {
    return pte & ~(kAddress.mask() | kPageSize.mask());
}

unsigned VtdPgtable::map_step(std::uint64_t iova, std::uint64_t paddr, std::uint64_t remaining,
                              std::uint64_t) const {
    // hardware_largepage_caps: climb while both addresses are aligned to the next size up and the
    // remaining length fills it.
    unsigned extra_levels = 0;
    std::uint64_t next = k4k << kStrideBits;
    while (extra_levels < superpage_levels_ && ((iova | paddr) & (next - 1)) == 0 && remaining >= next) {
        ++extra_levels;
        next <<= kStrideBits;
    }
    return levels() - 1 - extra_levels;
}

// ---- unmap -------------------------------------------------------------------------------------

std::uint64_t VtdPgtable::unmap_range(std::uint64_t iova, std::uint64_t pgsize, std::uint64_t pgcount,
                                      IommuIotlbGather* gather) {
    if (!is_present(walk(iova, levels() - 1).pte)) return 0;
    std::uint64_t start = iova;
    std::uint64_t end = iova + pgsize * pgcount;
    if (!fit_partial_leaf(iova, start, end) || !fit_partial_leaf(end - 1, start, end)) return 0;

    IommuIotlbGather local;
    IommuIotlbGather& target = gather ? *gather : local;
    clear_level(root(), 0, start, end, target.freelist);
    const std::uint64_t size = end - start;
    if (!gather) {
        // Nobody will sync for us: make the clears visible, invalidate, then free.
        memory().publish();
        if (tlb()) tlb()->tlb_flush_walk(start, size, k4k);
        put_pages_list(local.freelist);
    } else if (!gather->queued && tlb()) {
        tlb()->tlb_add_page(*gather, start, size);
    }
    return size;
}

bool VtdPgtable::fit_partial_leaf(std::uint64_t address, std::uint64_t& start, std::uint64_t& end) {
    for (;;) {
        const EntryRef leaf = walk(address, levels() - 1);
        if (!is_present(leaf.pte)) return true;
        const std::uint64_t size = block_size(leaf.step);
        const std::uint64_t base = address & ~(size - 1);
        if (start <= base && base + size <= end) return true;
        switch (cfg().partial_block_unmap) {
            case PartialBlockUnmap::refuse: return false;
            case PartialBlockUnmap::unmap_whole_block:
                start = std::min(start, base);
                end = std::max(end, base + size);
                return true;
            case PartialBlockUnmap::split_block:
                if (!split_block(leaf)) return false;
                break;  // look again, one level down
        }
    }
}

void VtdPgtable::clear_level(std::uint64_t table, unsigned step, std::uint64_t start, std::uint64_t end,
                             std::vector<std::uint64_t>& freelist) {
    const std::uint64_t size = block_size(step);
    for (std::uint64_t base = start & ~(size - 1); base < end; base += size) {
        const EntryRef ref{entry_address(table, base, step), memory().read64(entry_address(table, base, step)), step};
        if (!is_present(ref.pte)) continue;
        if (start <= base && base + size <= end) {
            // Covered whole: the tables below go, unchanged, to the freelist (dma_pte_list_pagetables).
            if (!is_leaf(ref.pte, step)) collect_table_tree(pte_address(ref.pte), step + 1, freelist);
            memory().write64(ref.address, 0);
        } else if (!is_leaf(ref.pte, step)) {
            clear_level(pte_address(ref.pte), step + 1, std::max(start, base), std::min(end, base + size), freelist);
        }
        // A leaf only partly covered cannot be here: fit_partial_leaf dealt with both ends.
    }
}

}  // namespace iommu_vp::iommu
