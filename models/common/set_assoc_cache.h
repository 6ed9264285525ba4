// One set-associative cache template for every IOMMU cache (TLBs, configuration caches, walk caches,
// context and PASID caches): geometry, replacement, invalidation by predicate and counters.
//
// The caller chooses the key (whatever tags an entry: VMID/ASID/address, domain/PASID, ...) and how a
// key picks its set (IndexFn). A geometry of 0 sets or 0 ways disables the cache: every lookup misses
// and nothing is filled, and the lookups are still counted so statistics stay comparable.
#pragma once

#include "models/common/bitfield.h"
#include "models/common/random.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace iommu_vp {

enum class ReplacementPolicy { lru, random };

struct CacheGeometry {
    unsigned sets = 0;
    unsigned ways = 0;
    ReplacementPolicy replacement = ReplacementPolicy::lru;

    unsigned entries() const { return sets * ways; }
    bool is_enabled() const { return entries() != 0; }
};

struct CacheCounters {
    std::uint64_t lookups = 0;
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t fills = 0;
    std::uint64_t evictions = 0;       // valid entries displaced by a fill
    std::uint64_t invalidations = 0;   // entries removed by invalidate_if / invalidate_all
};

template <typename Key, typename Value, typename IndexFn = std::hash<Key>>
class SetAssocCache {
public:
    // `replacement_seed` seeds the random policy (ignored for LRU).
    explicit SetAssocCache(CacheGeometry geometry, std::uint64_t replacement_seed = 0, IndexFn index = IndexFn{})
        : geometry_(geometry), index_(std::move(index)), random_(replacement_seed),
          lines_(static_cast<std::size_t>(geometry.sets) * geometry.ways),
          set_mask_(is_power_of_two(geometry.sets) ? geometry.sets - 1 : 0) {}

    const CacheGeometry& geometry() const { return geometry_; }
    const CacheCounters& counters() const { return counters_; }

    // Returns the cached value or nullptr; a hit makes the entry most recently used.
    Value* lookup(const Key& key) {
        ++counters_.lookups;
        Line* line = find(key);
        if (!line) {
            ++counters_.misses;
            return nullptr;
        }
        ++counters_.hits;
        line->last_use = ++use_clock_;
        return &line->value;
    }

    // Lookup without side effects on counters or replacement state (debug accesses).
    const Value* peek(const Key& key) const { return const_cast<SetAssocCache*>(this)->find_const(key); }

    // Inserts or replaces the entry for `key`; returns the evicted key, if a valid entry was displaced.
    std::optional<Key> insert(const Key& key, Value value) {
        if (!geometry_.is_enabled()) return std::nullopt;
        ++counters_.fills;
        if (Line* existing = find(key)) {
            existing->value = std::move(value);
            existing->last_use = ++use_clock_;
            return std::nullopt;
        }
        Line& victim = choose_victim(set_of(key));
        std::optional<Key> evicted;
        if (victim.valid) {
            ++counters_.evictions;
            evicted = victim.key;
        }
        victim = Line{true, key, std::move(value), ++use_clock_};
        return evicted;
    }

    // Removes every entry for which pred(key, value) holds; returns how many.
    template <typename Predicate>
    std::size_t invalidate_if(Predicate pred) {
        std::size_t removed = 0;
        for (Line& line : lines_) {
            if (line.valid && pred(static_cast<const Key&>(line.key), static_cast<const Value&>(line.value))) {
                line.valid = false;
                ++removed;
            }
        }
        counters_.invalidations += removed;
        return removed;
    }

    std::size_t invalidate_all() {
        return invalidate_if([](const Key&, const Value&) { return true; });
    }

    std::size_t valid_entries() const {
        std::size_t n = 0;
        for (const Line& line : lines_) n += line.valid ? 1 : 0;
        return n;
    }

private:
    struct Line {
        bool valid = false;
        Key key{};
        Value value{};
        std::uint64_t last_use = 0;
    };

    // A mask when the set count is a power of two (the usual case): the look-up path has no division.
    std::size_t set_of(const Key& key) const {
        const std::size_t index = static_cast<std::size_t>(index_(key));
        return set_mask_ || geometry_.sets == 1 ? index & set_mask_ : index % geometry_.sets;
    }

    Line* find(const Key& key) {
        if (!geometry_.is_enabled()) return nullptr;
        Line* first = &lines_[set_of(key) * geometry_.ways];
        for (unsigned way = 0; way < geometry_.ways; ++way)
            if (first[way].valid && first[way].key == key) return &first[way];
        return nullptr;
    }
    const Value* find_const(const Key& key) {
        Line* line = find(key);
        return line ? &line->value : nullptr;
    }

    Line& choose_victim(std::size_t set) {
        Line* first = &lines_[set * geometry_.ways];
        for (unsigned way = 0; way < geometry_.ways; ++way)
            if (!first[way].valid) return first[way];
        if (geometry_.replacement == ReplacementPolicy::random) return first[random_.uniform_below(geometry_.ways)];
        Line* oldest = first;
        for (unsigned way = 1; way < geometry_.ways; ++way)
            if (first[way].last_use < oldest->last_use) oldest = &first[way];
        return *oldest;
    }

    CacheGeometry geometry_;
    IndexFn index_;
    RandomStream random_;
    std::vector<Line> lines_;
    CacheCounters counters_;
    std::uint64_t use_clock_ = 0;
    std::size_t set_mask_;
};

}  // namespace iommu_vp
