#include "models/smmuv3/caches.h"

namespace iommu_vp::smmuv3 {
namespace {

bool is_el1(StreamWorld world) { return world == StreamWorld::ns_el1; }

bool is_tlbi(CommandKind kind) {
    switch (kind) {
    case CommandKind::tlbi_nh_all:
    case CommandKind::tlbi_nh_asid:
    case CommandKind::tlbi_nh_va:
    case CommandKind::tlbi_nh_vaa:
    case CommandKind::tlbi_s12_vmall:
    case CommandKind::tlbi_s2_ipa:
    case CommandKind::tlbi_nsnh_all:
    case CommandKind::tlbi_el2_all:
    case CommandKind::tlbi_el2_asid:
    case CommandKind::tlbi_el2_va:
    case CommandKind::tlbi_el2_vaa: return true;
    default: return false;
    }
}

bool is_by_address(CommandKind kind) {
    switch (kind) {
    case CommandKind::tlbi_nh_va:
    case CommandKind::tlbi_nh_vaa:
    case CommandKind::tlbi_s2_ipa:
    case CommandKind::tlbi_el2_va:
    case CommandKind::tlbi_el2_vaa: return true;
    default: return false;
    }
}

// An entry's tags that a TLBI selects on, before any address (SMMUv3 4.4.2 .. 4.4.4): `stage1` is
// whether it holds stage-1 information (stage 1 only or nested); global entries carry kGlobalAsid.
struct EntryTags {
    StreamWorld world;
    std::uint16_t vmid;
    std::uint32_t asid;
    bool stage1;
    bool stage2_only;
};

bool selects_el2(const DecodedCommand& c, bool cr2_e2h, const EntryTags& e) {
    const bool global = e.asid == kGlobalAsid;
    switch (c.kind) {
    case CommandKind::tlbi_el2_all: return !is_el1(e.world);
    case CommandKind::tlbi_el2_asid: return e.world == StreamWorld::ns_el2_e2h && e.asid == c.asid;
    // 4.4.2.8: with E2H the EL2-E2H entries of the ASID and the global ones; without, every EL2
    // entry (the ASID is ignored). The other world's entries are not required to go: they stay.
    case CommandKind::tlbi_el2_va:
        return cr2_e2h ? e.world == StreamWorld::ns_el2_e2h && (e.asid == c.asid || global)
                       : e.world == StreamWorld::ns_el2;
    case CommandKind::tlbi_el2_vaa:
        return e.world == (cr2_e2h ? StreamWorld::ns_el2_e2h : StreamWorld::ns_el2);
    default: return false;
    }
}

bool selects(const DecodedCommand& c, bool cr2_e2h, const EntryTags& e) {
    if (!is_el1(e.world)) return selects_el2(c, cr2_e2h, e);
    const bool stage1_of_vm = e.stage1 && e.vmid == c.vmid;
    switch (c.kind) {
    case CommandKind::tlbi_nh_all:
    case CommandKind::tlbi_nh_vaa: return stage1_of_vm;
    case CommandKind::tlbi_nh_asid: return stage1_of_vm && e.asid == c.asid;
    // Global entries match any ASID (4.4.2.4).
    case CommandKind::tlbi_nh_va: return stage1_of_vm && (e.asid == c.asid || e.asid == kGlobalAsid);
    case CommandKind::tlbi_s12_vmall: return e.vmid == c.vmid;
    // Stage-2-only entries; combined (nested) entries need TLBI_S12_VMALL or TLBI_NH_* as on a PE
    // (4.4.3.1).
    case CommandKind::tlbi_s2_ipa: return e.stage2_only && e.vmid == c.vmid;
    case CommandKind::tlbi_nsnh_all: return true;
    default: return false;
    }
}

// Whether an address-based TLBI names a TLB entry: its granule and leaf level are in TG's and TTL's
// scope, and its span meets the range. A nested entry is a piece of its stage-1 page or block; it
// is named when that block meets the range.
bool names(const TlbiAddressRange& r, const TlbKey& k, const TlbEntry& e) {
    if (r.granule_bits != 0 && e.granule_bits != r.granule_bits) return false;
    if (r.leaf_level != 0 && e.leaf_level != r.leaf_level) return false;
    const unsigned size = k.stages == TlbStages::nested ? e.stage1_size_bits : k.size_bits;
    const std::uint64_t input = k.page << k.size_bits;
    return r.intersects(input & ~low_mask(size), size);
}

EntryTags tags_of(const TlbKey& k) {
    return EntryTags{k.world, k.vmid, k.asid, k.stages != TlbStages::stage2, k.stages == TlbStages::stage2};
}

}  // namespace

const TlbEntry* Tlb::lookup(std::uint16_t vmid, std::uint32_t asid, TlbStages stages, std::uint64_t address,
                            unsigned& probes, unsigned& size_bits, StreamWorld world) {
    const bool asid_probe = stages == TlbStages::stage2 || (has_asid_entries_ && asid != kGlobalAsid);
    for (std::uint64_t sizes = sizes_present_; sizes != 0; sizes &= sizes - 1) {
        const unsigned size = static_cast<unsigned>(__builtin_ctzll(sizes));  // smallest size left
        TlbKey key{vmid, asid, stages, world, static_cast<std::uint8_t>(size), address >> size};
        if (asid_probe) {
            ++probes;
            if (const TlbEntry* hit = cache_.lookup(key)) {
                size_bits = size;
                return hit;
            }
        }
        if (stages == TlbStages::stage2 || !has_global_entries_) continue;
        key.asid = kGlobalAsid;
        ++probes;
        if (const TlbEntry* hit = cache_.lookup(key)) {
            size_bits = size;
            return hit;
        }
    }
    return nullptr;
}

void Tlb::fill(std::uint16_t vmid, std::uint32_t asid, TlbStages stages, std::uint64_t address, unsigned size_bits,
               const TlbEntry& entry, StreamWorld world) {
    if (!cache_.geometry().is_enabled()) return;
    sizes_present_ |= std::uint64_t{1} << size_bits;
    if (stages != TlbStages::stage2) (asid == kGlobalAsid ? has_global_entries_ : has_asid_entries_) = true;
    cache_.insert(TlbKey{vmid, asid, stages, world, static_cast<std::uint8_t>(size_bits), address >> size_bits},
                  entry);
}

void Tlb::invalidate(const DecodedCommand& c, bool cr2_e2h) {
    ++generation_;
    if (!is_tlbi(c.kind)) return;
    const bool by_address = is_by_address(c.kind);
    const TlbiAddressRange range = by_address ? tlbi_address_range(c) : TlbiAddressRange{};
    cache_.invalidate_if([&](const TlbKey& k, const TlbEntry& e) {
        return selects(c, cr2_e2h, tags_of(k)) && (!by_address || names(range, k, e));
    });
}

void ConfigCache::invalidate_streams(std::uint64_t first, std::uint64_t last) {
    ste_.invalidate_if([&](const std::uint32_t& sid, const CachedStream&) { return sid >= first && sid <= last; });
    cd_.invalidate_if([&](const CdKey& k, const ContextConfig&) { return k.stream_id >= first && k.stream_id <= last; });
}

void ConfigCache::invalidate(const DecodedCommand& c) {
    switch (c.kind) {
    case CommandKind::cfgi_ste:
        invalidate_streams(c.stream_id, c.stream_id);
        return;
    case CommandKind::cfgi_ste_range:
        invalidate_streams(c.first_stream_id(), c.last_stream_id());
        return;
    case CommandKind::cfgi_all:
        invalidate_all();
        return;
    case CommandKind::cfgi_cd:
        cd_.invalidate_if([&](const CdKey& k, const ContextConfig&) {
            return k.stream_id == c.stream_id && k.substream == c.substream_id;
        });
        return;
    case CommandKind::cfgi_cd_all:
        cd_.invalidate_if([&](const CdKey& k, const ContextConfig&) { return k.stream_id == c.stream_id; });
        return;
    default:
        return;
    }
}

void ConfigCache::invalidate_all() {
    ste_.invalidate_all();
    cd_.invalidate_all();
}

bool WalkCacheStore::lookup(const WalkKey& key, WalkEntry& entry) {
    const WalkEntry* hit = cache_.lookup(key);
    if (!hit) return false;
    entry = *hit;
    return true;
}

void WalkCacheStore::invalidate(const DecodedCommand& c, bool cr2_e2h) {
    const auto tags = [](const WalkKey& k) {
        return EntryTags{k.world, k.vmid, k.stage == 1 ? k.asid : 0, k.stage == 1, k.stage == 2};
    };
    if (!is_tlbi(c.kind)) return;
    if (!is_by_address(c.kind)) {
        cache_.invalidate_if([&](const WalkKey& k, const WalkEntry&) { return selects(c, cr2_e2h, tags(k)); });
        return;
    }
    if (c.leaf) return;  // Leaf = 1: last-level entries only, none of which is here
    // An entry for `level` covers the inputs whose bits above what the levels from `level` on
    // resolve equal its prefix (the prefix is the input shifted by vmsa::level_shift(level - 1)).
    // TTL == t: table entries of the levels above t, that is entries giving tables down to level t.
    const TlbiAddressRange range = tlbi_address_range(c);
    cache_.invalidate_if([&](const WalkKey& k, const WalkEntry&) {
        if (range.granule_bits != 0 && k.granule_bits != range.granule_bits) return false;
        if (range.leaf_level != 0 && k.level > range.leaf_level) return false;
        const unsigned shift = vmsa::level_shift(k.granule_bits, k.level - 1u);
        const std::uint64_t base = shift >= 64 ? 0 : k.prefix << shift;
        return selects(c, cr2_e2h, tags(k)) && range.intersects(base, shift);
    });
}

WalkKey ContextWalkCache::key(unsigned level, std::uint64_t prefix) const {
    return WalkKey{stage_, static_cast<std::uint8_t>(level), static_cast<std::uint8_t>(granule_bits_), world_, vmid_,
                   asid_, base_, prefix};
}

bool ContextWalkCache::lookup(unsigned level, std::uint64_t prefix, std::uint64_t& table,
                              vmsa::TableAttributes& attributes) {
    WalkEntry entry;
    ++lookups_;
    if (!store_.lookup(key(level, prefix), entry)) return false;
    table = entry.table;
    attributes = entry.attributes;
    ++hits_;
    return true;
}

void ContextWalkCache::fill(unsigned level, std::uint64_t prefix, std::uint64_t table,
                            const vmsa::TableAttributes& attributes) {
    store_.fill(key(level, prefix), WalkEntry{table, attributes});
}

}  // namespace iommu_vp::smmuv3
