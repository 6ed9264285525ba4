#include "models/vtd/caches.h"

namespace iommu_vp::vtd {
namespace {

// Whether [first, first + 2^size_bits) overlaps the region a page-granular invalidation names.
bool overlaps(const IotlbInvalidation& inv, std::uint64_t first, unsigned size_bits) {
    const std::uint64_t last = first + (low_mask(size_bits));
    return first <= inv.last_address() && inv.address <= last;
}

bool is_first_level(TranslationKind kind) { return kind != TranslationKind::second_level; }

}  // namespace

void ContextCache::invalidate(const ContextCacheInvalidation& inv) {
    // A faulting entry cached under caching mode has no valid domain (Linux invalidates such entries
    // with domain 0): it matches whatever domain the invalidation names.
    cache_.invalidate_if([&](const std::uint16_t& sid, const CachedContext& c) {
        return c.fault != FaultReason::none ? inv.covers(sid, inv.domain_id) : inv.covers(sid, c.domain_id);
    });
}

void PasidCache::invalidate(const PasidCacheInvalidation& inv) {
    cache_.invalidate_if([&](const PasidKey& key, const CachedPasid& p) {
        switch (inv.granularity) {
        case PasidCacheGranularity::global:
            return true;
        // A faulting entry cached under caching mode has no domain of its own yet (its DID is what
        // the not-yet-valid entry held), and software invalidates it with the domain it is about to
        // install: such entries match whatever domain an invalidation names.
        case PasidCacheGranularity::domain:
            return p.fault != FaultReason::none || p.entry.domain_id == inv.domain_id;
        case PasidCacheGranularity::pasid:
            return (p.fault != FaultReason::none || p.entry.domain_id == inv.domain_id) && key.pasid == inv.pasid;
        }
        return true;
    });
}

void Iotlb::invalidate(const IotlbInvalidation& inv) {
    if (inv.granularity == IotlbGranularity::global) {
        tlb_.invalidate_all();
        return;
    }
    tlb_.invalidate_if([&](const IotlbTag& tag, std::uint64_t first, unsigned size_bits, const IotlbEntry& entry) {
        if (tag.domain_id != inv.domain_id) return false;
        if (inv.is_pasid_based()) {
            if (tag.pasid != *inv.pasid || !is_first_level(tag.kind)) return false;
            if (inv.granularity == IotlbGranularity::domain) return !entry.global;
            return overlaps(inv, first, size_bits);
        }
        if (inv.granularity == IotlbGranularity::domain) return true;
        return is_first_level(tag.kind) || overlaps(inv, first, size_bits);
    });
}

void PagingStructureCache::invalidate(const IotlbInvalidation& inv) {
    if (inv.granularity == IotlbGranularity::global) {
        cache_.invalidate_all();
        return;
    }
    if (inv.granularity == IotlbGranularity::page && inv.leaf_only) return;
    cache_.invalidate_if([&](const PagingStructureKey& k, const PagingStructureEntry&) {
        if (k.domain_id != inv.domain_id) return false;
        // The inputs an entry for `level` serves: those sharing its prefix above the level.
        const unsigned span = level_shift(k.level + 1u);
        const std::uint64_t first = span >= 64 ? 0 : k.prefix << span;
        if (inv.is_pasid_based()) {
            if (k.stage != Stage::first || k.pasid != *inv.pasid) return false;
            return inv.granularity == IotlbGranularity::domain || overlaps(inv, first, span);
        }
        if (inv.granularity == IotlbGranularity::domain || k.stage == Stage::first) return true;
        return overlaps(inv, first, span);
    });
}

PagingStructureKey StageWalkCache::key(unsigned level, std::uint64_t prefix) const {
    return PagingStructureKey{stage_, static_cast<std::uint8_t>(level), domain_id_,
                              stage_ == Stage::first ? pasid_ : kNoPasid, root_, prefix};
}

bool StageWalkCache::lookup(unsigned level, std::uint64_t prefix, std::uint64_t& table, TableRights& rights) {
    ++lookups_;
    const PagingStructureEntry* entry = store_.lookup(key(level, prefix));
    if (!entry) return false;
    table = entry->table;
    rights = entry->rights;
    ++hits_;
    return true;
}

void StageWalkCache::fill(unsigned level, std::uint64_t prefix, std::uint64_t table, const TableRights& rights) {
    store_.fill(key(level, prefix), PagingStructureEntry{table, rights});
}

}  // namespace iommu_vp::vtd
