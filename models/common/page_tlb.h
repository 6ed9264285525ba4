// A TLB of complete translations with mixed page sizes on the shared set-associative cache: an entry
// is tagged by whatever the IOMMU tags translations with (domain and PASID, VMID and ASID, ...) and
// by the page number at its own size. A look-up probes once per page size present in the TLB,
// smallest first (each probe counted), because the size of the page holding an address is unknown
// until the entry is found. Invalidations count generations, so a walk that raced with one can
// refuse to fill a possibly stale result.
#pragma once

#include "models/common/set_assoc_cache.h"

#include <cstdint>

namespace iommu_vp {

template <typename Tag, typename Entry, typename TagHash>
class PageTlb {
public:
    struct Key {
        Tag tag{};
        std::uint8_t size_bits = 12;
        std::uint64_t page = 0;  // input address >> size_bits
        bool operator==(const Key& o) const { return size_bits == o.size_bits && page == o.page && tag == o.tag; }
    };

    PageTlb(CacheGeometry geometry, std::uint64_t seed) : cache_(geometry, seed) {}

    // The entry translating `address` for `tag`; `probes` grows by the probes made and `size_bits`
    // receives the page size of the entry found.
    const Entry* lookup(const Tag& tag, std::uint64_t address, unsigned& probes, unsigned& size_bits) {
        for (std::uint64_t sizes = sizes_present_; sizes != 0; sizes &= sizes - 1) {
            const unsigned size = static_cast<unsigned>(__builtin_ctzll(sizes));  // smallest size left
            ++probes;
            if (const Entry* hit = cache_.lookup(Key{tag, static_cast<std::uint8_t>(size), address >> size})) {
                size_bits = size;
                return hit;
            }
        }
        return nullptr;
    }

    void fill(const Tag& tag, std::uint64_t address, unsigned size_bits, const Entry& entry) {
        if (!cache_.geometry().is_enabled()) return;
        sizes_present_ |= std::uint64_t{1} << size_bits;
        cache_.insert(Key{tag, static_cast<std::uint8_t>(size_bits), address >> size_bits}, entry);
    }

    // Removes the entries for which pred(tag, first input address, size_bits, entry) holds.
    template <typename Predicate>
    std::size_t invalidate_if(Predicate pred) {
        ++generation_;
        return cache_.invalidate_if([&](const Key& k, const Entry& e) {
            return pred(k.tag, k.page << k.size_bits, static_cast<unsigned>(k.size_bits), e);
        });
    }
    std::size_t invalidate_all() {
        ++generation_;
        return cache_.invalidate_all();
    }

    const CacheCounters& counters() const { return cache_.counters(); }
    std::uint64_t generation() const { return generation_; }

private:
    struct KeyIndex {
        std::size_t operator()(const Key& k) const {
            return static_cast<std::size_t>(k.page ^ (k.page >> 17)) ^ TagHash{}(k.tag);
        }
    };

    SetAssocCache<Key, Entry, KeyIndex> cache_;
    std::uint64_t generation_ = 0;
    std::uint64_t sizes_present_ = 0;  // bit n: entries of 2^n bytes may be present
};

}  // namespace iommu_vp
