#include "sw_stack/iommu/pgtable/io_pgtable.h"

#include "sw_stack/iommu/pgtable/arm_lpae.h"
#include "sw_stack/iommu/pgtable/vtd_pgtable.h"
#include "sw_stack/iommu/prot.h"

#include <algorithm>
#include <cerrno>

namespace iommu_vp::iommu {

namespace {

// Every modelled format has 64-bit descriptors.
constexpr std::size_t kPteBytes = 8;
// Linux allocates at least 64 bytes for a table: an SMMU needs 64-byte alignment even for a start
// table of a few entries.
constexpr std::size_t kMinTableBytes = 64;

bool is_single_bit(std::uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

// [base, base + size) lies below 2^bits, without wrapping.
bool range_fits(std::uint64_t base, std::uint64_t size, std::uint64_t bits) {
    if (base + size < base) return false;
    if (bits >= 64) return true;
    const std::uint64_t limit = std::uint64_t{1} << bits;
    return base < limit && size <= limit - base;
}

}  // namespace

const char* io_pgtable_fmt_name(IoPgtableFmt fmt) {
    switch (fmt) {
        case IoPgtableFmt::ARM_64_LPAE_S1: return "ARM_64_LPAE_S1";
        case IoPgtableFmt::ARM_64_LPAE_S2: return "ARM_64_LPAE_S2";
        case IoPgtableFmt::VTD_SECOND_LEVEL: return "VTD_SECOND_LEVEL";
        case IoPgtableFmt::VTD_FIRST_LEVEL: return "VTD_FIRST_LEVEL";
    }
    return "?";
}

IoPgtable::IoPgtable(IoPgtableFmt fmt, const IoPgtableCfg& cfg, IoPgtableMemory& memory, const Geometry& geometry,
                     std::uint64_t input_limit_bits)
    : fmt_(fmt), cfg_(cfg), memory_(memory), geometry_(geometry), input_limit_bits_(input_limit_bits) {}

bool IoPgtable::alloc_root() {
    const auto table = memory_.alloc_table(table_bytes(0));
    if (!table) return false;
    root_ = *table;
    // The empty root is visible before the driver can program its address (Linux: wmb before TTBR).
    memory_.publish();
    return true;
}

void IoPgtable::free_io_pgtable() {
    if (!root_) return;
    if (cfg_.tlb) cfg_.tlb->tlb_flush_all();
    free_table_tree(root_, 0);
    root_ = 0;
}

// ---- geometry ----------------------------------------------------------------------------------

unsigned IoPgtable::block_shift(unsigned step) const {
    return geometry_.granule_shift + (geometry_.levels - 1 - step) * geometry_.bits_per_level;
}

std::size_t IoPgtable::entries_in(unsigned step) const {
    return std::size_t{1} << (step == 0 ? geometry_.root_index_bits : geometry_.bits_per_level);
}

std::size_t IoPgtable::table_bytes(unsigned step) const {
    return std::max(kMinTableBytes, entries_in(step) * kPteBytes);
}

std::uint64_t IoPgtable::entry_address(std::uint64_t table, std::uint64_t iova, unsigned step) const {
    const std::uint64_t index = (iova >> block_shift(step)) & (entries_in(step) - 1);
    return table + index * kPteBytes;
}

std::size_t IoPgtable::entries_to_table_end(std::uint64_t iova, unsigned step) const {
    const std::size_t index = (iova >> block_shift(step)) & (entries_in(step) - 1);
    const std::size_t per_page = std::size_t{1} << geometry_.bits_per_level;
    const std::size_t to_page_end = per_page - (index & (per_page - 1));
    return std::min(to_page_end, entries_in(step) - index);
}

// ---- the operations ----------------------------------------------------------------------------

int IoPgtable::check_map_request(std::uint64_t iova, std::uint64_t paddr, std::uint64_t pgsize,
                                 std::uint64_t pgcount, int prot) const {
    if (pgcount == 0 || !is_single_bit(pgsize) || (pgsize & cfg_.pgsize_bitmap) == 0) return -EINVAL;
    if (((iova | paddr) & (pgsize - 1)) != 0) return -EINVAL;
    if (pgcount > ~std::uint64_t{0} / pgsize) return -EINVAL;
    const std::uint64_t bytes = pgsize * pgcount;
    if (!range_fits(iova, bytes, input_limit_bits_) || !range_fits(paddr, bytes, cfg_.oas)) return -EINVAL;
    if ((prot & (IOMMU_READ | IOMMU_WRITE)) == 0) return -EINVAL;
    return 0;
}

int IoPgtable::map_pages(std::uint64_t iova, std::uint64_t paddr, std::uint64_t pgsize, std::uint64_t pgcount,
                         int prot, std::uint64_t* mapped) {
    if (mapped) *mapped = 0;
    int err = check_map_request(iova, paddr, pgsize, pgcount, prot);
    if (err) return err;
    const std::uint64_t attributes = prot_to_leaf_attributes(prot);
    const std::uint64_t total = pgsize * pgcount;
    std::uint64_t done = 0;
    while (done < total) {
        const unsigned step = map_step(iova + done, paddr + done, total - done, pgsize);
        const long written =
            map_run(iova + done, paddr + done, step, (total - done) >> block_shift(step), attributes);
        if (written < 0) {
            err = static_cast<int>(written);
            break;
        }
        done += static_cast<std::uint64_t>(written) << block_shift(step);
    }
    // The leaves become visible before anyone can start a walk for them (Linux: the wmb at the end of
    // arm_lpae_map_pages; the domain_flush_cache of __domain_mapping).
    memory_.publish();
    if (mapped) *mapped = done;
    return err;
}

std::uint64_t IoPgtable::unmap_pages(std::uint64_t iova, std::uint64_t pgsize, std::uint64_t pgcount,
                                     IommuIotlbGather* gather) {
    if (pgcount == 0 || !is_single_bit(pgsize) || (pgsize & cfg_.pgsize_bitmap) == 0) return 0;
    if ((iova & (pgsize - 1)) != 0 || pgcount > ~std::uint64_t{0} / pgsize) return 0;
    if (!range_fits(iova, pgsize * pgcount, input_limit_bits_)) return 0;
    const std::uint64_t unmapped = unmap_range(iova, pgsize, pgcount, gather);
    // The cleared entries are visible before the invalidation the gather leads to is issued.
    if (unmapped) memory_.publish();
    return unmapped;
}

std::uint64_t IoPgtable::iova_to_phys(std::uint64_t iova) const {
    if (!root_ || !range_fits(iova, 1, input_limit_bits_)) return 0;
    const EntryRef ref = walk(iova, geometry_.levels - 1);
    if (!is_present(ref.pte) || !is_leaf(ref.pte, ref.step)) return 0;
    return pte_address(ref.pte) | (iova & (block_size(ref.step) - 1));
}

void IoPgtable::put_pages_list(std::vector<std::uint64_t>& freelist) {
    // Only non-root tables are ever unlinked, and those are all one granule.
    const std::size_t bytes = std::max(kMinTableBytes, kPteBytes << geometry_.bits_per_level);
    for (const std::uint64_t page : freelist) memory_.free_table(page, bytes);
    freelist.clear();
}

// ---- mapping -----------------------------------------------------------------------------------

long IoPgtable::map_run(std::uint64_t iova, std::uint64_t paddr, unsigned step, std::uint64_t count,
                        std::uint64_t attributes) {
    std::uint64_t entry = 0;
    if (const int err = walk_alloc(iova, step, entry)) return err;
    const auto run = static_cast<std::size_t>(std::min<std::uint64_t>(count, entries_to_table_end(iova, step)));
    if (const int err = prepare_run(entry, iova, step, run)) return err;
    const std::uint64_t size = block_size(step);
    for (std::size_t i = 0; i < run; ++i) {
        memory_.write64(entry + i * kPteBytes, make_leaf(paddr + i * size, step, attributes));
    }
    return static_cast<long>(run);
}

int IoPgtable::walk_alloc(std::uint64_t iova, unsigned step, std::uint64_t& entry) {
    std::uint64_t table = root_;
    for (unsigned s = 0; s < step; ++s) {
        if (const int err = descend(entry_address(table, iova, s), s, table)) return err;
    }
    entry = entry_address(table, iova, step);
    return 0;
}

int IoPgtable::descend(std::uint64_t entry, unsigned step, std::uint64_t& next_table) {
    for (;;) {
        const std::uint64_t pte = memory_.read64(entry);
        if (is_present(pte)) {
            if (is_leaf(pte, step)) return -EEXIST;  // a block covers the range already
            next_table = pte_address(pte);
            return 0;
        }
        const auto fresh = memory_.alloc_table(table_bytes(step + 1));
        if (!fresh) return -ENOMEM;
        if (install_table(entry, pte, *fresh) == pte) {
            next_table = *fresh;
            return 0;
        }
        // Another mapper linked a table first: drop ours and look at what it wrote.
        memory_.free_table(*fresh, table_bytes(step + 1));
    }
}

std::uint64_t IoPgtable::install_table(std::uint64_t entry, std::uint64_t expected, std::uint64_t table) {
    // The table's contents (the allocator's zeros, a split's leaves) are visible before the link can
    // be: a walker that follows the link finds what we wrote (Linux: dma_wmb before cmpxchg64).
    memory_.publish();
    return memory_.cmpxchg64(entry, expected, make_table_link(table));
}

int IoPgtable::prepare_run(std::uint64_t entry, std::uint64_t iova, unsigned step, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
        const std::uint64_t pte = memory_.read64(entry + i * kPteBytes);
        if (!is_present(pte)) continue;
        if (is_leaf(pte, step) || has_mappings_below(pte_address(pte), step + 1)) return -EEXIST;
    }
    // Tables left empty by earlier unmaps give way to the leaves (Linux: arm_lpae_init_pte and
    // switch_to_super_page free them first). Linux also drops live mappings there; this model
    // refuses those with -EEXIST above.
    const std::uint64_t size = block_size(step);
    for (std::size_t i = 0; i < count; ++i) {
        const EntryRef link{entry + i * kPteBytes, memory_.read64(entry + i * kPteBytes), step};
        if (is_present(link.pte)) unlink_and_free_table(link, iova + i * size);
    }
    return 0;
}

bool IoPgtable::has_mappings_below(std::uint64_t table, unsigned step) const {
    for (std::size_t i = 0; i < entries_in(step); ++i) {
        const std::uint64_t pte = memory_.read64(table + i * kPteBytes);
        if (!is_present(pte)) continue;
        if (is_leaf(pte, step) || is_last_step(step)) return true;
        if (has_mappings_below(pte_address(pte), step + 1)) return true;
    }
    return false;
}

// ---- walking, unlinking, splitting -------------------------------------------------------------

IoPgtable::EntryRef IoPgtable::walk(std::uint64_t iova, unsigned stop_step) const {
    std::uint64_t table = root_;
    for (unsigned step = 0;; ++step) {
        EntryRef ref{entry_address(table, iova, step), 0, step};
        ref.pte = memory_.read64(ref.address);
        if (step >= stop_step || is_last_step(step) || !is_present(ref.pte) || is_leaf(ref.pte, step)) return ref;
        table = pte_address(ref.pte);
    }
}

void IoPgtable::unlink_and_free_table(const EntryRef& link, std::uint64_t iova) {
    const std::uint64_t size = block_size(link.step);
    memory_.write64(link.address, 0);
    // The walker can no longer reach the table once this is visible; then its cached walks go, then
    // the memory (Linux: __arm_lpae_clear_pte, io_pgtable_tlb_flush_walk, __arm_lpae_free_pgtable).
    memory_.publish();
    if (cfg_.tlb) cfg_.tlb->tlb_flush_walk(iova & ~(size - 1), size, std::uint64_t{1} << geometry_.granule_shift);
    free_table_tree(pte_address(link.pte), link.step + 1);
}

void IoPgtable::collect_table_tree(std::uint64_t table, unsigned step, std::vector<std::uint64_t>& pages) const {
    pages.push_back(table);
    if (is_last_step(step)) return;
    for (std::size_t i = 0; i < entries_in(step); ++i) {
        const std::uint64_t pte = memory_.read64(table + i * kPteBytes);
        if (is_present(pte) && !is_leaf(pte, step)) collect_table_tree(pte_address(pte), step + 1, pages);
    }
}

void IoPgtable::free_table_tree(std::uint64_t table, unsigned step) {
    if (!is_last_step(step)) {
        for (std::size_t i = 0; i < entries_in(step); ++i) {
            const std::uint64_t pte = memory_.read64(table + i * kPteBytes);
            if (is_present(pte) && !is_leaf(pte, step)) free_table_tree(pte_address(pte), step + 1);
        }
    }
    memory_.free_table(table, table_bytes(step));
}

std::optional<std::uint64_t> IoPgtable::split_block(const EntryRef& block) {
    const unsigned child = block.step + 1;
    const auto fresh = memory_.alloc_table(table_bytes(child));
    if (!fresh) return std::nullopt;
    const std::uint64_t attributes = leaf_attributes(block.pte);
    const std::uint64_t output = pte_address(block.pte);
    const std::uint64_t size = block_size(child);
    for (std::size_t i = 0; i < entries_in(child); ++i) {
        memory_.write64(*fresh + i * kPteBytes, make_leaf(output + i * size, child, attributes));
    }
    const std::uint64_t old = install_table(block.address, block.pte, *fresh);
    if (old == block.pte) return fresh;
    memory_.free_table(*fresh, table_bytes(child));
    // A racer split the same block first: carry on in its table. Anything else is not ours to touch.
    if (is_present(old) && !is_leaf(old, block.step)) return pte_address(old);
    return std::nullopt;
}

// ---- the factory -------------------------------------------------------------------------------

std::unique_ptr<IoPgtable> alloc_io_pgtable_ops(IoPgtableFmt fmt, IoPgtableCfg& cfg, IoPgtableMemory& memory,
                                                std::string* why) {
    std::string reason;
    std::unique_ptr<IoPgtable> table;
    switch (fmt) {
        case IoPgtableFmt::ARM_64_LPAE_S1:
        case IoPgtableFmt::ARM_64_LPAE_S2: table = alloc_arm_lpae_pgtable(fmt, cfg, memory, reason); break;
        case IoPgtableFmt::VTD_SECOND_LEVEL:
        case IoPgtableFmt::VTD_FIRST_LEVEL: table = alloc_vtd_pgtable(fmt, cfg, memory, reason); break;
    }
    if (!table && why) *why = std::string(io_pgtable_fmt_name(fmt)) + ": " + reason;
    return table;
}

}  // namespace iommu_vp::iommu
