// The IOVA allocator (Linux drivers/iommu/iova.c): hands out ranges of I/O virtual page frames to the
// DMA API (spec/iommu-core.md section 8.2 step 4), with per-CPU range caches in front of the tree.
//
// Page frame numbers (pfns) count granules (the smallest IOMMU page size). Ranges are inclusive,
// {pfn_lo, pfn_hi}. Every `limit_pfn` parameter is INCLUSIVE, as Linux's alloc_iova(): the highest pfn the
// range may occupy (the DMA layer passes dma_limit >> shift, e.g. DMA_BIT_MASK(32) >> 12 = 0xFFFFF).
//
// Linux behaviour followed:
// - The tree: allocation walks down from a cached node (one for limits at or below 4 GiB, one above) and
//   takes the first gap that fits, so it is a top-down next fit, not a highest fit: a gap left above the
//   cached node (alignment padding, a range freed above it) is found again only once everything below the
//   cached node has failed and the walk retries from the limit down to the cached node. max32_alloc_size:
//   after any failed search, searches with a limit at or below 4 GiB of that size or more fail at once
//   until a range starting below 4 GiB is freed (Linux sets it whatever the failed limit was).
//   With size_aligned, pfn_lo is a multiple of the size rounded up to a power of two.
// - reserve_iova merges with what overlaps it as Linux does: an overlapping range already in the tree is
//   extended down to cover the request's start, the rest of the request continues above it, and only what
//   is left beyond the last overlapping range becomes a new range. An allocated or cached range that a
//   reservation overlaps therefore grows downwards and keeps its state; grown, it no longer matches its
//   start and size for free_iova_fast, and only free_iova releases it (with the reserved part). The DMA
//   layer reserves before its first allocation, so this does not arise there.
// - The range caches (rcache): sizes of 1..32 pages (kIovaRangeCacheMaxSize), one cache per size order;
//   per CPU a "loaded" and a "prev" magazine of kIovaMagSize pfns, and per size a depot of full
//   magazines. Cached ranges stay in the tree (find_iova sees them), as in Linux. alloc_iova_fast rounds
//   sizes below 32 pages up to a power of two, pops only from the loaded magazine (after swapping in a
//   non-empty prev, or taking a depot magazine) the newest pfn whose range ends at or below the limit,
//   else allocates from the tree; on a tree failure with flush_rcache it frees every cached range back
//   to the tree (all CPUs, then the depots) and retries once.
// - A range freed on one CPU reaches another CPU only through the depot: a CPU retires its loaded
//   magazine to the depot when loaded and prev are both full; a CPU whose loaded and prev are empty takes
//   the newest depot magazine (dropping its own empty loaded one).
//
// Choices and deviations (labelled):
// - Depot bound: at most depot_max_magazines full magazines per size (default kIovaDepotMaxMagazines =
//   32, Linux <= 6.6's MAX_GLOBAL_MAGS). Retiring a magazine into a full depot frees its ranges back to
//   the tree at once (Linux <= 6.6). Linux >= 6.7 instead keeps an unbounded depot that delayed work trims
//   to one magazine per online CPU every 100 ms: that timed trimming is NOT modelled.
// - IOVA_MAG_SIZE is 127 (Linux >= 6.7; 128 before), so a magazine is 1 KiB in Linux.
// - Checks where Linux trusts its caller (a bug must not become two owners of one IOVA):
//   free_iova_fast accepts only the start pfn of a live allocation whose size matches (after the same
//   rounding as alloc_iova_fast), so a double free or a wrong size returns false and changes nothing;
//   free_iova / free_iova_range refuse a range that sits in a cache. Linux would cache any pfn, and would
//   let the tree re-use a range still held by a magazine.
// - A limit above the last pfn of the 64-bit address space is clamped to it; with a limit below
//   size - 1, no cached range is usable (Linux's unsigned arithmetic would accept any).
// - Sizes of 0 get nothing and are not counted.
//
// Not modelled: the kmem_cache for struct iova and memory-allocation failures (a cacheable free always
// caches), CPU hotplug (free_cpu_cached_iovas is public for a caller that models it), the depot's timed
// trimming, iova_domain_init_rcaches failing, iova_cache_get/put reference counting.
//
// Cost: the cache path is one tree lookup (O(log n), to mark the range's state). The tree path is
// O(log n) plus the nodes the walk steps over, as in Linux: one in the common top-down pattern, but holes
// too small for the request are each stepped over (measured: about 180 nodes per allocation with ~1300
// live ranges of 33..132 pages freed in random order). No augmented tree is kept to skip them.
//
// Locking is the caller's: this class is not thread-safe. Linux takes the rbtree spinlock and per-CPU
// rcache locks inside; in the model the DMA layer serialises every call with one spinlock of the kernel
// runtime, and passes its smp_processor_id() as `cpu`.
//
// Pure C++, no SystemC.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace iommu_vp::iommu {

// One range cache per size order 0..kIovaRangeCacheMaxSize-1: sizes 1..32 pages are cached.
inline constexpr unsigned kIovaRangeCacheMaxSize = 6;
inline constexpr std::uint64_t kIovaLargestCachedPages = 1ull << (kIovaRangeCacheMaxSize - 1);  // 32
inline constexpr std::size_t kIovaMagSize = 127;           // pfns per magazine (IOVA_MAG_SIZE)
inline constexpr std::size_t kIovaDepotMaxMagazines = 32;  // default depot bound per size (MAX_GLOBAL_MAGS)

// struct iova: an inclusive range of pfns.
struct Iova {
    std::uint64_t pfn_lo = 0;
    std::uint64_t pfn_hi = 0;

    std::uint64_t size() const { return pfn_hi - pfn_lo + 1; }  // iova_size(), in granules
    bool operator==(const Iova& other) const { return pfn_lo == other.pfn_lo && pfn_hi == other.pfn_hi; }
    bool operator!=(const Iova& other) const { return !(*this == other); }
};

// What a pfn belongs to. Cached ranges are still in the tree, owned by a magazine.
enum class IovaState { Free, Allocated, Cached, Reserved };

struct IovaStats {
    std::uint64_t allocs_from_tree = 0;        // ranges the tree handed out (alloc_iova, alloc_iova_fast)
    std::uint64_t rcache_hits = 0;             // alloc_iova_fast served from a magazine
    std::uint64_t rcache_misses = 0;           // alloc_iova_fast of a cacheable size the cache could not serve
    std::uint64_t alloc_failures = 0;          // alloc_iova / alloc_iova_fast calls that returned nothing
    std::uint64_t frees_to_tree = 0;           // free_iova, free_iova_range, uncacheable free_iova_fast
    std::uint64_t frees_to_rcache = 0;         // free_iova_fast into a magazine
    std::uint64_t rcache_flushes = 0;          // alloc_iova_fast's flush-everything-and-retry
    std::uint64_t rcache_ranges_released = 0;  // cached ranges given back to the tree (flushes, depot overflow)
    std::uint64_t depot_overflows = 0;         // full magazines emptied into the tree because the depot was full
};

class IovaDomain {
public:
    // init_iova_domain(granule, start_pfn) and iova_domain_init_rcaches for `num_cpus` CPUs. Throws
    // std::invalid_argument unless granule is a power of two from 4 KiB up to 2 GiB, 1 <= start_pfn <=
    // the last pfn of the 64-bit space (so IOVA 0 is never handed out) and num_cpus >= 1.
    IovaDomain(std::uint64_t granule, std::uint64_t start_pfn, unsigned num_cpus,
               std::size_t depot_max_magazines = kIovaDepotMaxMagazines);
    // The cached-node iterators point into this object's own tree.
    IovaDomain(const IovaDomain&) = delete;
    IovaDomain& operator=(const IovaDomain&) = delete;

    // --- The tree. ---

    // A range of `size` pfns in [start_pfn, limit_pfn] (inclusive), searched top-down from the cached node
    // (see the header comment); pfn_lo aligned to size rounded up to a power of two when size_aligned.
    // Nothing for a size of 0 or when no gap fits.
    std::optional<Iova> alloc_iova(std::uint64_t size, std::uint64_t limit_pfn, bool size_aligned);
    // The range (allocated, cached or reserved) that contains pfn.
    std::optional<Iova> find_iova(std::uint64_t pfn) const;
    // Frees the range that contains pfn (any pfn of it, as Linux). False, and nothing changes, when no
    // range contains pfn or the range sits in a cache.
    bool free_iova(std::uint64_t pfn);
    // Linux's __free_iova: frees exactly `range`. False, and nothing changes, unless the tree holds that
    // exact range outside the caches.
    bool free_iova_range(const Iova& range);
    // Keeps [pfn_lo, pfn_hi] out of every allocation (PCI windows, MSI regions), merged as the header says.
    // Returns the range that now holds pfn_hi; nothing when pfn_lo > pfn_hi or beyond the last pfn.
    std::optional<Iova> reserve_iova(std::uint64_t pfn_lo, std::uint64_t pfn_hi);
    bool iova_reserved_or_used(std::uint64_t pfn) const { return find_iova(pfn).has_value(); }
    IovaState iova_state(std::uint64_t pfn) const;

    // --- The range caches. `cpu` is the caller's CPU; std::out_of_range unless cpu < num_cpus(). ---

    // A range of `size` pages (sizes below 32 rounded up to a power of two, so the result may be larger),
    // size-aligned, ending at or below limit_pfn: from this CPU's cache, else from the tree.
    std::optional<Iova> alloc_iova_fast(std::uint64_t size, std::uint64_t limit_pfn, unsigned cpu,
                                         bool flush_rcache);
    // Returns an alloc_iova_fast range (its pfn_lo and the size asked for at allocation): into this CPU's
    // cache for sizes up to 32 pages, else to the tree. False, and nothing changes, unless pfn starts a
    // live allocation of that size.
    bool free_iova_fast(std::uint64_t pfn, std::uint64_t size, unsigned cpu);
    void free_cpu_cached_iovas(unsigned cpu);  // this CPU's loaded and prev magazines, back to the tree
    void free_global_cached_iovas();           // every depot magazine, back to the tree
    // Drops every range and every cached pfn: the domain is as constructed (statistics are kept).
    void put_iova_domain();

    // --- Geometry (include/linux/iova.h helpers). ---

    std::uint64_t granule() const { return granule_; }
    unsigned iova_shift() const { return shift_; }
    std::uint64_t start_pfn() const { return start_pfn_; }
    std::uint64_t dma_32bit_pfn() const { return dma_32bit_pfn_; }  // first pfn at 4 GiB
    std::uint64_t max_pfn() const { return max_pfn_; }              // last pfn of the 64-bit space
    std::uint64_t iova_offset(std::uint64_t iova) const { return iova & (granule_ - 1); }
    std::uint64_t iova_align(std::uint64_t size) const { return (size + granule_ - 1) & ~(granule_ - 1); }
    std::uint64_t iova_dma_addr(const Iova& range) const { return range.pfn_lo << shift_; }
    std::uint64_t iova_pfn(std::uint64_t iova) const { return iova >> shift_; }

    // --- Observation. ---

    unsigned num_cpus() const { return num_cpus_; }
    std::size_t depot_max_magazines() const { return depot_max_magazines_; }
    std::size_t depot_magazines(unsigned order) const;  // full magazines in the depot of size 2^order
    std::size_t cached_ranges() const;                  // pfns held by magazines (all CPUs and depots)
    std::size_t tree_ranges() const { return tree_.size() - 1; }  // allocated, cached and reserved ranges
    const IovaStats& stats() const { return stats_; }

private:
    enum class NodeKind : std::uint8_t { Allocated, Cached, Reserved, Anchor };
    struct Node {
        std::uint64_t pfn_lo;
        NodeKind kind;
    };
    // Keyed by pfn_hi. Ranges never overlap, so this is also pfn_lo order. An anchor at ~0 sits above every
    // range so a walk always has a node to start from.
    using Tree = std::map<std::uint64_t, Node>;

    struct Magazine {
        std::size_t size = 0;
        std::array<std::uint64_t, kIovaMagSize> pfns{};

        bool is_empty() const { return size == 0; }
        bool is_full() const { return size == kIovaMagSize; }
        void push(std::uint64_t pfn) { pfns[size++] = pfn; }
        std::optional<std::uint64_t> pop_at_or_below(std::uint64_t highest_pfn);
    };
    using MagazinePtr = std::unique_ptr<Magazine>;
    struct CpuRcache {
        MagazinePtr loaded;
        MagazinePtr prev;
    };
    struct Rcache {
        std::vector<CpuRcache> cpus;
        std::vector<MagazinePtr> depot;  // a stack: the newest magazine is at the back
    };
    struct Placement {
        std::uint64_t pfn_lo;
        Tree::iterator above;  // the node just above the chosen gap (the insertion hint)
    };

    // Tree.
    void reset_tree();
    std::optional<Iova> alloc_and_insert(std::uint64_t size, std::uint64_t limit_end, bool size_aligned);
    std::optional<Placement> search_down(Tree::iterator from, std::uint64_t high, std::uint64_t low,
                                         std::uint64_t size, std::uint64_t align_mask) const;
    Tree::iterator lowest_node_at_or_above(std::uint64_t pfn);
    bool free_tree_node(Tree::iterator node);
    void remove_node(Tree::iterator node);
    void update_cached_nodes_on_delete(Tree::iterator freed);
    Tree::iterator find_node(std::uint64_t pfn);
    Tree::const_iterator find_node(std::uint64_t pfn) const;
    Tree::iterator find_cached_node(std::uint64_t pfn);

    // Range caches.
    void check_cpu(unsigned cpu) const;
    std::optional<std::uint64_t> rcache_get(unsigned order, unsigned cpu, std::uint64_t size,
                                            std::uint64_t limit_pfn);
    static bool load_nonempty_magazine(Rcache& rcache, CpuRcache& cpu_cache);
    void rcache_insert(unsigned order, unsigned cpu, std::uint64_t pfn);
    void retire_loaded_magazine(Rcache& rcache, CpuRcache& cpu_cache);
    void release_to_tree(Magazine& magazine);

    std::uint64_t granule_;
    unsigned shift_;
    std::uint64_t start_pfn_;
    std::uint64_t dma_32bit_pfn_;
    std::uint64_t max_pfn_;
    unsigned num_cpus_;
    std::size_t depot_max_magazines_;

    Tree tree_;
    Tree::iterator anchor_;
    Tree::iterator cached_node_;    // where searches with a limit above 4 GiB start
    Tree::iterator cached32_node_;  // where searches with a limit at or below 4 GiB start
    std::uint64_t max32_alloc_size_;
    std::array<Rcache, kIovaRangeCacheMaxSize> rcaches_;
    IovaStats stats_;
};

}  // namespace iommu_vp::iommu
