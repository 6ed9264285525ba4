// SMMUv3 caches: a configuration cache (decoded STEs by StreamID, decoded CDs by StreamID and
// SubstreamID) and a TLB of complete translations, both on the shared set-associative cache
// template, with the invalidations the CFGI_* and TLBI_* commands perform (SMMUv3 4.3, 4.4).
// Entries stay until the architecture's invalidation removes them (or they are evicted), so
// software that forgets an invalidation is served stale translations, as on hardware.
//
// Translation regimes (SMMUv3 3.17, 5.2 STRW, 6.3.12 E2H): every TLB and walk-cache entry is tagged
// with the StreamWorld it was inserted for, as a field of its key (no extra look-up on a hit):
// NS-EL1 entries carry the VMID (S2VMID with stage 2 implemented) and the ASID or the global tag;
// NS-EL2 entries carry neither (VMID 0, all global); NS-EL2-E2H entries carry the ASID or the
// global tag and no VMID. TLBI_NH_*, TLBI_S12_VMALL, TLBI_S2_IPA and TLBI_NSNH_ALL touch NS-EL1
// entries only; TLBI_EL2_ALL every EL2 and EL2-E2H entry; TLBI_EL2_ASID the non-global EL2-E2H
// entries of the ASID; TLBI_EL2_VA and TLBI_EL2_VAA the EL2-E2H entries (by ASID and global, or
// any ASID) when SMMU_CR2.E2H == 1 and the EL2 entries when it is 0 (4.4.2.7 .. 4.4.2.10).
//
// TLB indexing with mixed page sizes: an entry is tagged by the page number at its own size; a
// lookup probes once per size present in the TLB, smallest first, with the ASID and as a global
// entry, skipping the kinds of entry never filled (each probe is counted).
// Combined entries of nested streams hold the stage-1 and stage-2 permissions and the IPA page,
// so a permission fault on a hit is reported at the right stage.
// The walk cache holds intermediate table addresses for stage-1 and stage-2 walks, tagged by
// regime, stage, VMID, ASID (stage 1) and the walk's base table. TLBI_NH_VA/VAA, TLBI_EL2_VA/VAA
// and TLBI_S2_IPA remove the entries covering the address or range only when Leaf = 0 (SMMUv3 4.4:
// Leaf = 1 invalidates leaf entries only); the ALL/ASID/VMALL forms remove every matching entry.
// Range invalidation (IDR3.RIL, 4.4.1.1; tlbi_address_range in command.h): an address-based TLBI
// with TG != 0 removes the TLB entries whose input span meets [Address, Address + Range) that were
// inserted with TG's granule and, with TTL != 0, from a leaf at level TTL; walk-cache entries of
// that granule whose span meets the range, at the levels above TTL (any level with TTL == 0).
// Does not model: Secure, Realm and EL3 entries, broadcast TLB maintenance; the TLB ignores the
// Leaf hint (a TLB holds only leaf entries, so Leaf changes nothing there).
#pragma once

#include "models/common/set_assoc_cache.h"
#include "models/common/stats.h"
#include "models/common/translation_work.h"
#include "models/smmuv3/cd.h"
#include "models/smmuv3/command.h"
#include "models/smmuv3/ste.h"
#include "models/smmuv3/vmsa_walk.h"

#include <cstdint>

namespace iommu_vp::smmuv3 {

struct CdKey {
    std::uint32_t stream_id = 0;
    std::uint32_t substream = 0;  // the CD index (0 for the default substream)
    bool operator==(const CdKey& other) const { return stream_id == other.stream_id && substream == other.substream; }
};
struct CdKeyIndex {
    std::size_t operator()(const CdKey& k) const { return k.stream_id * 0x9e3779b1u ^ k.substream; }
};

// What a TLB entry translates: stage 1 only, stage 2 only, or both at once (nested).
enum class TlbStages : std::uint8_t { stage1, stage2, nested };

struct TlbKey {
    std::uint16_t vmid = 0;       // 0 for EL2 and EL2-E2H entries
    std::uint32_t asid = 0;       // kGlobalAsid for entries of global (nG = 0) stage-1 pages and all EL2 entries
    TlbStages stages = TlbStages::stage1;
    StreamWorld world = StreamWorld::ns_el1;  // the translation regime the entry belongs to
    std::uint8_t size_bits = 12;
    std::uint64_t page = 0;       // input address >> size_bits
    bool operator==(const TlbKey& o) const {
        return vmid == o.vmid && asid == o.asid && stages == o.stages && world == o.world &&
               size_bits == o.size_bits && page == o.page;
    }
};
inline constexpr std::uint32_t kGlobalAsid = 0xffffffffu;
struct TlbKeyIndex {
    std::size_t operator()(const TlbKey& k) const { return static_cast<std::size_t>(k.page ^ (k.page >> 17) ^ k.vmid); }
};

struct TlbEntry {
    std::uint64_t output_base = 0;  // output address of the first byte of the page
    vmsa::Permissions stage1;       // valid for stage1 and nested entries
    vmsa::Permissions stage2;       // valid for stage2 and nested entries
    std::uint64_t ipa_base = 0;     // nested: the IPA of the page's first byte (for stage-2 faults)
    // The stage-1 page or block the entry came from: a nested entry may be a piece of it, and an
    // invalidation by VA must remove every piece of the block it names.
    std::uint8_t stage1_size_bits = 12;
    // The granule and leaf level of the walk a TLBI by address names (stage 1 for stage-1 and
    // nested entries, stage 2 for stage-2 entries): the TG and TTL scope of range invalidation.
    std::uint8_t granule_bits = 12;
    std::uint8_t leaf_level = 3;
};

// Per-stream statistics, held with the cached STE so that the hit path finds them without a
// look-up.
using StreamStats = RequesterStats;

// Finds or creates a stream's statistics (called on configuration-cache misses only).
class StreamStatsProvider {
public:
    virtual ~StreamStatsProvider() = default;
    virtual StreamStats* stats_for(std::uint32_t stream_id) = 0;
};

struct CachedStream {
    StreamConfig config;
    StreamStats* stats = nullptr;
};

struct CacheGeometries {
    CacheGeometry ste{16, 4, ReplacementPolicy::lru};
    CacheGeometry cd{16, 4, ReplacementPolicy::lru};
    CacheGeometry tlb{64, 4, ReplacementPolicy::lru};
    CacheGeometry walk{16, 4, ReplacementPolicy::lru};
};

struct WalkKey {
    std::uint8_t stage = 1;     // 1 or 2
    std::uint8_t level = 0;     // the level whose table the entry gives
    std::uint8_t granule_bits = 12;
    StreamWorld world = StreamWorld::ns_el1;  // the regime of the walk (stage 2: always NS-EL1)
    std::uint16_t vmid = 0;
    std::uint32_t asid = 0;     // stage 1 with an ASID (NS-EL1, NS-EL2-E2H) only
    std::uint64_t base = 0;     // the walk's starting table (TTB0, TTB1 or S2TTB)
    std::uint64_t prefix = 0;   // input >> the bits the levels from `level` on resolve
    bool operator==(const WalkKey& o) const {
        return stage == o.stage && level == o.level && granule_bits == o.granule_bits && world == o.world &&
               vmid == o.vmid && asid == o.asid && base == o.base && prefix == o.prefix;
    }
};
struct WalkKeyIndex {
    std::size_t operator()(const WalkKey& k) const { return static_cast<std::size_t>(k.prefix ^ (k.prefix >> 9) ^ k.level); }
};
struct WalkEntry {
    std::uint64_t table = 0;
    vmsa::TableAttributes attributes;
};

class WalkCacheStore {
public:
    WalkCacheStore(CacheGeometry geometry, std::uint64_t seed) : cache_(geometry, seed) {}

    bool lookup(const WalkKey& key, WalkEntry& entry);
    void fill(const WalkKey& key, const WalkEntry& entry) { cache_.insert(key, entry); }
    // The TLBI commands' effect on intermediate entries (see the header comment); `cr2_e2h` is
    // SMMU_CR2.E2H when the command is executed (it selects what TLBI_EL2_VA/VAA name).
    void invalidate(const DecodedCommand& command, bool cr2_e2h = false);
    void invalidate_all() { cache_.invalidate_all(); }
    const CacheCounters& counters() const { return cache_.counters(); }

private:
    SetAssocCache<WalkKey, WalkEntry, WalkKeyIndex> cache_;
};

// One translation context's view of the walk-cache store, for vmsa::walk().
class ContextWalkCache : public vmsa::WalkCache {
public:
    ContextWalkCache(WalkCacheStore& store, std::uint8_t stage, std::uint16_t vmid, std::uint32_t asid,
                     std::uint64_t base, unsigned granule_bits, StreamWorld world = StreamWorld::ns_el1)
        : store_(store), stage_(stage), vmid_(vmid), asid_(asid), base_(base), granule_bits_(granule_bits),
          world_(world) {}

    bool lookup(unsigned level, std::uint64_t prefix, std::uint64_t& table, vmsa::TableAttributes& attributes) override;
    void fill(unsigned level, std::uint64_t prefix, std::uint64_t table, const vmsa::TableAttributes& attributes) override;
    unsigned hits() const { return hits_; }
    // Walks that found no level in the cache (every look-up of the walk missed).
    bool missed() const { return lookups_ > 0 && hits_ == 0; }

private:
    WalkKey key(unsigned level, std::uint64_t prefix) const;

    WalkCacheStore& store_;
    std::uint8_t stage_;
    std::uint16_t vmid_;
    std::uint32_t asid_;
    std::uint64_t base_;
    unsigned granule_bits_;
    StreamWorld world_;
    unsigned hits_ = 0;
    unsigned lookups_ = 0;
};

class Tlb {
public:
    Tlb(CacheGeometry geometry, std::uint64_t seed) : cache_(geometry, seed) {}

    // Looks `address` up for a stream of `world`: probes each page size present, with the ASID
    // (unless it is kGlobalAsid, as for NS-EL2 streams) and, for stage-1 entries, as a global entry.
    // `probes` counts the probes made.
    const TlbEntry* lookup(std::uint16_t vmid, std::uint32_t asid, TlbStages stages, std::uint64_t address,
                           unsigned& probes, unsigned& size_bits, StreamWorld world = StreamWorld::ns_el1);
    void fill(std::uint16_t vmid, std::uint32_t asid, TlbStages stages, std::uint64_t address, unsigned size_bits,
              const TlbEntry& entry, StreamWorld world = StreamWorld::ns_el1);

    // The TLBI commands (SMMUv3 4.4) on the Non-secure EL1, EL2 and EL2-E2H regimes; `cr2_e2h` is
    // SMMU_CR2.E2H when the command is executed (it selects what TLBI_EL2_VA/VAA name).
    void invalidate(const DecodedCommand& command, bool cr2_e2h = false);
    void invalidate_all() {
        ++generation_;
        cache_.invalidate_all();
    }

    const CacheCounters& counters() const { return cache_.counters(); }
    // Counts invalidations: a walk that saw it change fills nothing (its result may be stale).
    std::uint64_t generation() const { return generation_; }

private:
    SetAssocCache<TlbKey, TlbEntry, TlbKeyIndex> cache_;
    std::uint64_t generation_ = 0;
    std::uint64_t sizes_present_ = 0;  // bit n: entries of 2^n bytes may be present
    bool has_global_entries_ = false;  // stage-1 entries of global pages may be present
    bool has_asid_entries_ = false;    // stage-1 entries tagged with an ASID may be present
};

class ConfigCache {
public:
    ConfigCache(const CacheGeometries& geometries, std::uint64_t seed)
        : ste_(geometries.ste, seed), cd_(geometries.cd, seed + 1) {}

    CachedStream* find_ste(std::uint32_t stream_id) { return ste_.lookup(stream_id); }
    void fill_ste(std::uint32_t stream_id, const StreamConfig& ste, StreamStats* stats) {
        ste_.insert(stream_id, CachedStream{ste, stats});
    }
    ContextConfig* find_cd(const CdKey& key) { return cd_.lookup(key); }
    void fill_cd(const CdKey& key, const ContextConfig& cd) { cd_.insert(key, cd); }

    // The CFGI commands (SMMUv3 4.3). CFGI_STE and CFGI_STE_RANGE also drop the CDs of the
    // streams they name (allowed: invalidating more than asked is always correct).
    void invalidate(const DecodedCommand& command);
    void invalidate_all();

    const CacheCounters& ste_counters() const { return ste_.counters(); }
    const CacheCounters& cd_counters() const { return cd_.counters(); }

private:
    void invalidate_streams(std::uint64_t first, std::uint64_t last);

    SetAssocCache<std::uint32_t, CachedStream> ste_;
    SetAssocCache<CdKey, ContextConfig, CdKeyIndex> cd_;
};

// The caches translate() consults; a null pointer translates from memory every time.
struct TranslationCaches {
    ConfigCache* config = nullptr;
    Tlb* tlb = nullptr;
    WalkCacheStore* walk = nullptr;
    StreamStatsProvider* stream_stats = nullptr;
};

}  // namespace iommu_vp::smmuv3
