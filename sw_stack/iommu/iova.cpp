#include "sw_stack/iommu/iova.h"

#include <algorithm>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <utility>

namespace iommu_vp::iommu {
namespace {

constexpr std::uint64_t kIovaAnchor = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t kMinGranule = 4096;
constexpr std::uint64_t kMaxGranule = 1ull << 31;  // keeps at least two pfns below 4 GiB

bool is_power_of_two(std::uint64_t value) { return value != 0 && (value & (value - 1)) == 0; }

// fls_long: 1-based position of the highest set bit, 0 for 0.
unsigned bit_width(std::uint64_t value) { return value == 0 ? 0 : 64 - __builtin_clzll(value); }

// order_base_2: log2 of value rounded up to a power of two (value >= 1).
unsigned order_base_2(std::uint64_t value) { return bit_width(value - 1); }

// The size alloc_iova_fast really allocates: cacheable sizes rounded up to a power of two, so a range
// freed into the cache of its order is as large as any request of that order.
std::uint64_t fast_alloc_size(std::uint64_t size) {
    return size < kIovaLargestCachedPages ? 1ull << order_base_2(size) : size;
}

bool is_cacheable(std::uint64_t size) { return order_base_2(size) < kIovaRangeCacheMaxSize; }

// Keeps the bits of a pfn that a size-aligned range may start on. A size above 2^63 gives 0, which is
// below every start_pfn, so the search fails instead of shifting by 64.
std::uint64_t alignment_mask(std::uint64_t size) {
    const unsigned shift = bit_width(size - 1);
    return shift >= 64 ? 0 : ~0ull << shift;
}

unsigned checked_shift(std::uint64_t granule) {
    if (!is_power_of_two(granule) || granule < kMinGranule || granule > kMaxGranule)
        throw std::invalid_argument("IovaDomain: granule must be a power of two from 4 KiB to 2 GiB");
    return bit_width(granule) - 1;
}

}  // namespace

IovaDomain::IovaDomain(std::uint64_t granule, std::uint64_t start_pfn, unsigned num_cpus,
                       std::size_t depot_max_magazines)
    : granule_(granule),
      shift_(checked_shift(granule)),
      start_pfn_(start_pfn),
      dma_32bit_pfn_(1ull << (32 - shift_)),
      max_pfn_(kIovaAnchor >> shift_),
      num_cpus_(num_cpus),
      depot_max_magazines_(depot_max_magazines),
      max32_alloc_size_(dma_32bit_pfn_) {
    if (start_pfn == 0 || start_pfn > max_pfn_)
        throw std::invalid_argument("IovaDomain: start_pfn must be at least 1 and within the 64-bit space");
    if (num_cpus == 0) throw std::invalid_argument("IovaDomain: num_cpus must be at least 1");
    reset_tree();
    for (Rcache& rcache : rcaches_) {
        rcache.cpus.resize(num_cpus);
        for (CpuRcache& cpu_cache : rcache.cpus) {
            cpu_cache.loaded = std::make_unique<Magazine>();
            cpu_cache.prev = std::make_unique<Magazine>();
        }
    }
}

// --- The tree. ---

void IovaDomain::reset_tree() {
    tree_.clear();
    anchor_ = tree_.emplace(kIovaAnchor, Node{kIovaAnchor, NodeKind::Anchor}).first;
    cached_node_ = anchor_;
    cached32_node_ = anchor_;
    max32_alloc_size_ = dma_32bit_pfn_;
}

std::optional<Iova> IovaDomain::alloc_iova(std::uint64_t size, std::uint64_t limit_pfn, bool size_aligned) {
    if (size == 0) return std::nullopt;
    std::optional<Iova> range = alloc_and_insert(size, std::min(limit_pfn, max_pfn_) + 1, size_aligned);
    if (!range) ++stats_.alloc_failures;
    return range;
}

// __alloc_and_insert_iova_range. `limit_end` is exclusive (limit_pfn + 1). First the space below the
// cached node; if that fails, the space between the limit and the cached node, which earlier walks
// stepped over.
std::optional<Iova> IovaDomain::alloc_and_insert(std::uint64_t size, std::uint64_t limit_end,
                                                 bool size_aligned) {
    if (limit_end <= dma_32bit_pfn_ && size >= max32_alloc_size_) return std::nullopt;
    const std::uint64_t align_mask = size_aligned ? alignment_mask(size) : ~0ull;
    const Tree::iterator cached = limit_end <= dma_32bit_pfn_ ? cached32_node_ : cached_node_;
    const std::uint64_t retry_pfn = cached->first;

    std::optional<Placement> fit = search_down(cached, limit_end, start_pfn_, size, align_mask);
    if (!fit && retry_pfn < limit_end)
        fit = search_down(lowest_node_at_or_above(limit_end), limit_end, retry_pfn + 1, size, align_mask);
    if (!fit) {
        max32_alloc_size_ = size;
        return std::nullopt;
    }

    const std::uint64_t pfn_hi = fit->pfn_lo + size - 1;
    const Tree::iterator node = tree_.emplace_hint(fit->above, pfn_hi, Node{fit->pfn_lo, NodeKind::Allocated});
    if (pfn_hi < dma_32bit_pfn_)
        cached32_node_ = node;
    else
        cached_node_ = node;
    ++stats_.allocs_from_tree;
    return Iova{fit->pfn_lo, pfn_hi};
}

// Walks down from `from`, keeping the candidate as high as possible below both `high` and the lowest
// node walked so far, until the candidate lies above the next node down (a gap that fits) or below `low`.
std::optional<IovaDomain::Placement> IovaDomain::search_down(Tree::iterator from, std::uint64_t high,
                                                             std::uint64_t low, std::uint64_t size,
                                                             std::uint64_t align_mask) const {
    for (Tree::iterator above = from;; --above) {
        high = std::min(high, above->second.pfn_lo);
        if (high < size) return std::nullopt;
        const std::uint64_t candidate = (high - size) & align_mask;
        if (candidate < low) return std::nullopt;
        if (above == tree_.begin() || candidate > std::prev(above)->first) return Placement{candidate, above};
    }
}

// Linux's iova_find_limit: the lowest node that lies wholly at or above `pfn` (the anchor at worst).
IovaDomain::Tree::iterator IovaDomain::lowest_node_at_or_above(std::uint64_t pfn) {
    Tree::iterator node = tree_.lower_bound(pfn);
    if (node->second.pfn_lo < pfn) ++node;  // it straddles pfn; the anchor is above it
    return node;
}

void IovaDomain::remove_node(Tree::iterator node) {
    update_cached_nodes_on_delete(node);
    tree_.erase(node);
}

// __cached_rbnode_delete_update: a cached node at or below the freed range moves up past it, so the next
// search sees the space it leaves; and a range freed below 4 GiB lifts the max32_alloc_size shortcut.
void IovaDomain::update_cached_nodes_on_delete(Tree::iterator freed) {
    const std::uint64_t freed_lo = freed->second.pfn_lo;
    const std::uint64_t freed_hi = freed->first;
    const Tree::iterator next = std::next(freed);
    if (freed == cached32_node_ || (freed_hi < dma_32bit_pfn_ && freed_lo >= cached32_node_->second.pfn_lo))
        cached32_node_ = next;
    if (freed_lo < dma_32bit_pfn_) max32_alloc_size_ = dma_32bit_pfn_;
    if (freed_lo >= cached_node_->second.pfn_lo) cached_node_ = next;
}

IovaDomain::Tree::iterator IovaDomain::find_node(std::uint64_t pfn) {
    const Tree::iterator node = tree_.lower_bound(pfn);
    if (node == anchor_ || node->second.pfn_lo > pfn) return tree_.end();
    return node;
}

IovaDomain::Tree::const_iterator IovaDomain::find_node(std::uint64_t pfn) const {
    const Tree::const_iterator node = tree_.lower_bound(pfn);
    if (node == Tree::const_iterator(anchor_) || node->second.pfn_lo > pfn) return tree_.end();
    return node;
}

std::optional<Iova> IovaDomain::find_iova(std::uint64_t pfn) const {
    const Tree::const_iterator node = find_node(pfn);
    if (node == tree_.end()) return std::nullopt;
    return Iova{node->second.pfn_lo, node->first};
}

bool IovaDomain::free_iova(std::uint64_t pfn) { return free_tree_node(find_node(pfn)); }

bool IovaDomain::free_iova_range(const Iova& range) {
    const Tree::iterator node = find_node(range.pfn_lo);
    const bool is_exact =
        node != tree_.end() && node->second.pfn_lo == range.pfn_lo && node->first == range.pfn_hi;
    return is_exact && free_tree_node(node);
}

// A range a magazine holds is refused: the tree would hand it out while the magazine still could.
bool IovaDomain::free_tree_node(Tree::iterator node) {
    if (node == tree_.end() || node->second.kind == NodeKind::Cached) return false;
    remove_node(node);
    ++stats_.frees_to_tree;
    return true;
}

// Overlapping ranges, in address order, absorb the request from below; whatever is left above the last
// of them becomes a new reserved range.
std::optional<Iova> IovaDomain::reserve_iova(std::uint64_t pfn_lo, std::uint64_t pfn_hi) {
    if (pfn_lo > pfn_hi || pfn_hi > max_pfn_) return std::nullopt;
    // The anchor (pfn_lo ~0) is above max_pfn_, so the walk stops there at the latest.
    for (Tree::iterator node = tree_.lower_bound(pfn_lo); node->second.pfn_lo <= pfn_hi; ++node) {
        node->second.pfn_lo = std::min(node->second.pfn_lo, pfn_lo);
        if (pfn_hi <= node->first) return Iova{node->second.pfn_lo, node->first};
        pfn_lo = node->first + 1;
    }
    tree_.emplace(pfn_hi, Node{pfn_lo, NodeKind::Reserved});
    return Iova{pfn_lo, pfn_hi};
}

IovaState IovaDomain::iova_state(std::uint64_t pfn) const {
    const Tree::const_iterator node = find_node(pfn);
    if (node == tree_.end()) return IovaState::Free;
    switch (node->second.kind) {
        case NodeKind::Cached: return IovaState::Cached;
        case NodeKind::Reserved: return IovaState::Reserved;
        default: return IovaState::Allocated;
    }
}

// --- The range caches. ---

void IovaDomain::check_cpu(unsigned cpu) const {
    if (cpu >= num_cpus_) throw std::out_of_range("IovaDomain: cpu index beyond num_cpus");
}

std::optional<Iova> IovaDomain::alloc_iova_fast(std::uint64_t size, std::uint64_t limit_pfn, unsigned cpu,
                                                bool flush_rcache) {
    check_cpu(cpu);
    if (size == 0) return std::nullopt;
    size = fast_alloc_size(size);
    limit_pfn = std::min(limit_pfn, max_pfn_);
    if (is_cacheable(size)) {
        if (const std::optional<std::uint64_t> pfn = rcache_get(order_base_2(size), cpu, size, limit_pfn)) {
            ++stats_.rcache_hits;
            return Iova{*pfn, *pfn + size - 1};
        }
        ++stats_.rcache_misses;
    }
    std::optional<Iova> range = alloc_and_insert(size, limit_pfn + 1, true);
    if (!range && flush_rcache) {
        ++stats_.rcache_flushes;
        for (unsigned each_cpu = 0; each_cpu < num_cpus_; ++each_cpu) free_cpu_cached_iovas(each_cpu);
        free_global_cached_iovas();
        range = alloc_and_insert(size, limit_pfn + 1, true);
    }
    if (!range) ++stats_.alloc_failures;
    return range;
}

// __iova_rcache_get: only the loaded magazine is searched, after making it non-empty if prev or the depot
// can; a loaded magazine with nothing under the limit sends the caller to the tree.
std::optional<std::uint64_t> IovaDomain::rcache_get(unsigned order, unsigned cpu, std::uint64_t size,
                                                    std::uint64_t limit_pfn) {
    CpuRcache& cpu_cache = rcaches_[order].cpus[cpu];
    if (!load_nonempty_magazine(rcaches_[order], cpu_cache)) return std::nullopt;
    if (limit_pfn + 1 < size) return std::nullopt;
    const std::optional<std::uint64_t> pfn = cpu_cache.loaded->pop_at_or_below(limit_pfn + 1 - size);
    if (pfn) find_cached_node(*pfn)->second.kind = NodeKind::Allocated;
    return pfn;
}

bool IovaDomain::load_nonempty_magazine(Rcache& rcache, CpuRcache& cpu_cache) {
    if (!cpu_cache.loaded->is_empty()) return true;
    if (!cpu_cache.prev->is_empty()) {
        std::swap(cpu_cache.loaded, cpu_cache.prev);
        return true;
    }
    if (rcache.depot.empty()) return false;
    cpu_cache.loaded = std::move(rcache.depot.back());  // the empty loaded magazine is dropped
    rcache.depot.pop_back();
    return true;
}

// iova_magazine_pop: the newest pfn at or below `highest_pfn`; the last entry fills its slot.
std::optional<std::uint64_t> IovaDomain::Magazine::pop_at_or_below(std::uint64_t highest_pfn) {
    for (std::size_t slot = size; slot-- > 0;) {
        if (pfns[slot] > highest_pfn) continue;
        const std::uint64_t pfn = pfns[slot];
        pfns[slot] = pfns[--size];
        return pfn;
    }
    return std::nullopt;
}

bool IovaDomain::free_iova_fast(std::uint64_t pfn, std::uint64_t size, unsigned cpu) {
    check_cpu(cpu);
    if (size == 0) return false;
    const std::uint64_t allocated_size = fast_alloc_size(size);
    const Tree::iterator node = find_node(pfn);
    if (node == tree_.end() || node->second.kind != NodeKind::Allocated || node->second.pfn_lo != pfn ||
        node->first - pfn + 1 != allocated_size)
        return false;
    if (!is_cacheable(allocated_size)) {
        remove_node(node);
        ++stats_.frees_to_tree;
        return true;
    }
    node->second.kind = NodeKind::Cached;
    rcache_insert(order_base_2(allocated_size), cpu, pfn);
    ++stats_.frees_to_rcache;
    return true;
}

// __iova_rcache_insert: into loaded; if full, swap with a non-full prev; if both are full, retire loaded
// to the depot and start an empty one.
void IovaDomain::rcache_insert(unsigned order, unsigned cpu, std::uint64_t pfn) {
    Rcache& rcache = rcaches_[order];
    CpuRcache& cpu_cache = rcache.cpus[cpu];
    if (cpu_cache.loaded->is_full()) {
        if (!cpu_cache.prev->is_full())
            std::swap(cpu_cache.loaded, cpu_cache.prev);
        else
            retire_loaded_magazine(rcache, cpu_cache);
    }
    cpu_cache.loaded->push(pfn);
}

void IovaDomain::retire_loaded_magazine(Rcache& rcache, CpuRcache& cpu_cache) {
    if (rcache.depot.size() < depot_max_magazines_) {
        rcache.depot.push_back(std::move(cpu_cache.loaded));
        cpu_cache.loaded = std::make_unique<Magazine>();
        return;
    }
    // The depot is at its bound: the magazine's ranges go back to the tree and it is reused empty.
    ++stats_.depot_overflows;
    release_to_tree(*cpu_cache.loaded);
}

// iova_magazine_free_pfns, in slot order.
void IovaDomain::release_to_tree(Magazine& magazine) {
    for (std::size_t slot = 0; slot < magazine.size; ++slot) {
        remove_node(find_cached_node(magazine.pfns[slot]));
        ++stats_.rcache_ranges_released;
    }
    magazine.size = 0;
}

// Every pfn in a magazine lies in a Cached node (its start, unless a reservation has since extended
// the range downwards): free_iova_fast checks what enters a magazine and free_iova refuses cached
// ranges, so a miss here is a broken invariant of this class.
IovaDomain::Tree::iterator IovaDomain::find_cached_node(std::uint64_t pfn) {
    const Tree::iterator node = find_node(pfn);
    if (node == tree_.end() || node->second.kind != NodeKind::Cached)
        throw std::logic_error("IovaDomain: a cached pfn has no cached range in the tree");
    return node;
}

void IovaDomain::free_cpu_cached_iovas(unsigned cpu) {
    check_cpu(cpu);
    for (Rcache& rcache : rcaches_) {
        release_to_tree(*rcache.cpus[cpu].loaded);
        release_to_tree(*rcache.cpus[cpu].prev);
    }
}

void IovaDomain::free_global_cached_iovas() {
    for (Rcache& rcache : rcaches_) {
        for (const MagazinePtr& magazine : rcache.depot) release_to_tree(*magazine);
        rcache.depot.clear();
    }
}

void IovaDomain::put_iova_domain() {
    for (Rcache& rcache : rcaches_) {
        for (CpuRcache& cpu_cache : rcache.cpus) {
            cpu_cache.loaded->size = 0;
            cpu_cache.prev->size = 0;
        }
        rcache.depot.clear();
    }
    reset_tree();
}

// --- Observation. ---

std::size_t IovaDomain::depot_magazines(unsigned order) const {
    return order < kIovaRangeCacheMaxSize ? rcaches_[order].depot.size() : 0;
}

std::size_t IovaDomain::cached_ranges() const {
    std::size_t cached = 0;
    for (const Rcache& rcache : rcaches_) {
        for (const CpuRcache& cpu_cache : rcache.cpus) cached += cpu_cache.loaded->size + cpu_cache.prev->size;
        for (const MagazinePtr& magazine : rcache.depot) cached += magazine->size;
    }
    return cached;
}

}  // namespace iommu_vp::iommu
