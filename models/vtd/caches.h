// VT-d translation caches (VT-d 6.2): the context cache (by source-id), the PASID cache (by
// source-id and PASID), the IOTLB (complete translations tagged by domain, PASID and the kind of
// translation, holding the page size found) and the paging-structure caches of first- and
// second-level walks, all on the shared set-associative cache template, with the invalidations of
// invalidation.h applied by one function per cache whichever interface (registers or queue) asked.
// Entries stay until the invalidation the architecture requires removes them (or they are
// evicted), so software that forgets an invalidation is served stale translations, as on hardware.
//
// IOTLB indexing with mixed page sizes: an entry is tagged by its page number at its own size and a
// look-up probes once per size present (models/common/page_tlb.h), smallest first.
// Caching mode: on a unit with CAP.CM = 1 the caches may hold not-present and erroneous entries;
// when the model is asked to (the default under CM), a context or PASID entry that faulted is cached
// with its fault, and a page whose second-stage walk found a not-present entry is cached as a
// negative IOTLB entry (first-stage updates need no invalidation, VT-d 6.1), so software that skips
// the invalidation caching mode requires keeps faulting. A faulting PASID entry matches a domain- or
// PASID-selective invalidation of any domain (it has no valid DID yet).
//
// Which invalidation removes what (VT-d 6.5.2.1-6.5.2.6), as this model applies it:
//   context cache: global: all; domain: entries of the domain (legacy mode; scalable mode: all, as
//     decoded by invalidation.h); device: the source-ids under the function mask.
//   PASID cache: domain, domain and PASID, or all.
//   IOTLB, without PASID: global: all; domain: every entry of the domain; page: second-level-only
//     entries of the domain overlapping the region, and every first-level and nested entry of the
//     domain whatever its address (Table 23 of the specification).
//   IOTLB, PASID-based: domain granularity: the domain's first-level and nested entries of the PASID,
//     except global pages; page granularity: those overlapping the region, global pages included.
//   Paging-structure caches: removed by the IOTLB invalidations above for the same stage, domain
//     and PASID, except that a page-granular invalidation with IH = 1 keeps them (leaf only).
#pragma once

#include "models/common/page_tlb.h"
#include "models/common/set_assoc_cache.h"
#include "models/vtd/context_entry.h"
#include "models/vtd/fault_reason.h"
#include "models/vtd/invalidation.h"
#include "models/vtd/page_walk.h"
#include "models/vtd/pasid_entry.h"

#include <cstdint>

namespace iommu_vp::vtd {

// The PASID tag of translations of requests without PASID in legacy mode (no PASID applies).
inline constexpr std::uint32_t kNoPasid = 0xffffffffu;

struct CacheGeometries {
    CacheGeometry context{16, 4, ReplacementPolicy::lru};
    CacheGeometry pasid{16, 4, ReplacementPolicy::lru};
    CacheGeometry iotlb{64, 4, ReplacementPolicy::lru};
    CacheGeometry paging_structure{16, 4, ReplacementPolicy::lru};
};

// A source-id's context as the translation found it: a legacy or scalable-mode context entry, or the
// fault met on the way (cached only under caching mode).
struct CachedContext {
    TranslationTableMode mode = TranslationTableMode::legacy;
    FaultReason fault = FaultReason::none;
    bool fault_processing_disable = false;
    ContextEntry legacy;
    ScalableContextEntry scalable;
    std::uint16_t domain_id = 0;  // legacy entries only
};

class ContextCache {
public:
    ContextCache(CacheGeometry geometry, std::uint64_t seed) : cache_(geometry, seed) {}
    const CachedContext* lookup(std::uint16_t source_id) { return cache_.lookup(source_id); }
    void fill(std::uint16_t source_id, const CachedContext& context) { cache_.insert(source_id, context); }
    void invalidate(const ContextCacheInvalidation& invalidation);
    void invalidate_all() { cache_.invalidate_all(); }
    const CacheCounters& counters() const { return cache_.counters(); }

private:
    SetAssocCache<std::uint16_t, CachedContext> cache_;
};

struct PasidKey {
    std::uint16_t source_id = 0;
    std::uint32_t pasid = 0;
    bool operator==(const PasidKey& o) const { return source_id == o.source_id && pasid == o.pasid; }
};
struct PasidKeyIndex {
    std::size_t operator()(const PasidKey& k) const { return k.pasid * 0x9e3779b1u ^ k.source_id; }
};

// A PASID's entry as the translation found it, or the fault met reading it.
struct CachedPasid {
    FaultReason fault = FaultReason::none;
    bool fault_processing_disable = false;  // the directory entry's or the PASID entry's FPD
    PasidEntry entry;
};

class PasidCache {
public:
    PasidCache(CacheGeometry geometry, std::uint64_t seed) : cache_(geometry, seed) {}
    const CachedPasid* lookup(const PasidKey& key) { return cache_.lookup(key); }
    void fill(const PasidKey& key, const CachedPasid& pasid) { cache_.insert(key, pasid); }
    void invalidate(const PasidCacheInvalidation& invalidation);
    void invalidate_all() { cache_.invalidate_all(); }
    const CacheCounters& counters() const { return cache_.counters(); }

private:
    SetAssocCache<PasidKey, CachedPasid, PasidKeyIndex> cache_;
};

// What an IOTLB entry translates with.
enum class TranslationKind : std::uint8_t { second_level, first_level, nested };

struct IotlbTag {
    std::uint16_t domain_id = 0;
    std::uint32_t pasid = kNoPasid;
    TranslationKind kind = TranslationKind::second_level;
    bool operator==(const IotlbTag& o) const { return domain_id == o.domain_id && pasid == o.pasid && kind == o.kind; }
};
struct IotlbTagHash {
    std::size_t operator()(const IotlbTag& t) const { return t.domain_id ^ (std::size_t{t.pasid} << 4); }
};

struct IotlbEntry {
    std::uint64_t output_base = 0;   // output address of the page's first byte
    Permissions permissions;
    bool global = false;             // a first-level global page
    bool negative = false;           // caching mode: the walk found this page not present ...
    WalkFault fault;                 // ... and faulted so (replayed as it was reported)
};

class Iotlb {
public:
    Iotlb(CacheGeometry geometry, std::uint64_t seed) : tlb_(geometry, seed) {}
    const IotlbEntry* lookup(const IotlbTag& tag, std::uint64_t address, unsigned& probes, unsigned& size_bits) {
        return tlb_.lookup(tag, address, probes, size_bits);
    }
    void fill(const IotlbTag& tag, std::uint64_t address, unsigned size_bits, const IotlbEntry& entry) {
        tlb_.fill(tag, address, size_bits, entry);
    }
    void invalidate(const IotlbInvalidation& invalidation);
    void invalidate_all() { tlb_.invalidate_all(); }
    const CacheCounters& counters() const { return tlb_.counters(); }
    // Counts invalidations: a walk that saw it change fills nothing (its result may be stale).
    std::uint64_t generation() const { return tlb_.generation(); }

private:
    PageTlb<IotlbTag, IotlbEntry, IotlbTagHash> tlb_;
};

struct PagingStructureKey {
    Stage stage = Stage::second;
    std::uint8_t level = 0;
    std::uint16_t domain_id = 0;
    std::uint32_t pasid = kNoPasid;  // first level only
    std::uint64_t root = 0;          // the walk's root table
    std::uint64_t prefix = 0;        // input >> level_shift(level + 1)
    bool operator==(const PagingStructureKey& o) const {
        return stage == o.stage && level == o.level && domain_id == o.domain_id && pasid == o.pasid &&
               root == o.root && prefix == o.prefix;
    }
};
struct PagingStructureKeyIndex {
    std::size_t operator()(const PagingStructureKey& k) const {
        return static_cast<std::size_t>(k.prefix ^ (k.prefix >> 9) ^ k.level ^ (std::size_t{k.domain_id} << 3));
    }
};
struct PagingStructureEntry {
    std::uint64_t table = 0;
    TableRights rights;
};

class PagingStructureCache {
public:
    PagingStructureCache(CacheGeometry geometry, std::uint64_t seed) : cache_(geometry, seed) {}
    const PagingStructureEntry* lookup(const PagingStructureKey& key) { return cache_.lookup(key); }
    void fill(const PagingStructureKey& key, const PagingStructureEntry& entry) { cache_.insert(key, entry); }
    // The IOTLB invalidations' effect on intermediate entries (see the header comment).
    void invalidate(const IotlbInvalidation& invalidation);
    void invalidate_all() { cache_.invalidate_all(); }
    const CacheCounters& counters() const { return cache_.counters(); }

private:
    SetAssocCache<PagingStructureKey, PagingStructureEntry, PagingStructureKeyIndex> cache_;
};

// One walk stage's view of the paging-structure cache, for the walks of page_walk.h.
class StageWalkCache : public WalkCache {
public:
    StageWalkCache(PagingStructureCache& store, Stage stage, std::uint16_t domain_id, std::uint32_t pasid,
                   std::uint64_t root)
        : store_(store), stage_(stage), domain_id_(domain_id), pasid_(pasid), root_(root) {}

    bool lookup(unsigned level, std::uint64_t prefix, std::uint64_t& table, TableRights& rights) override;
    void fill(unsigned level, std::uint64_t prefix, std::uint64_t table, const TableRights& rights) override;
    unsigned hits() const { return hits_; }
    bool missed() const { return lookups_ > 0 && hits_ == 0; }

private:
    PagingStructureKey key(unsigned level, std::uint64_t prefix) const;

    PagingStructureCache& store_;
    Stage stage_;
    std::uint16_t domain_id_;
    std::uint32_t pasid_;
    std::uint64_t root_;
    unsigned hits_ = 0;
    unsigned lookups_ = 0;
};

// The caches translate() consults; a null pointer translates from memory every time.
struct TranslationCaches {
    ContextCache* context = nullptr;
    PasidCache* pasid = nullptr;
    Iotlb* iotlb = nullptr;
    PagingStructureCache* paging_structure = nullptr;
};

}  // namespace iommu_vp::vtd
