#include "models/smmuv3/caches.h"

namespace iommu_vp::smmuv3 {
namespace {

bool covers(const TlbKey& key, std::uint64_t address) { return key.page == (address >> key.size_bits); }

}  // namespace

const TlbEntry* Tlb::lookup(std::uint16_t vmid, std::uint32_t asid, TlbStages stages, std::uint64_t address,
                            unsigned& probes, unsigned& size_bits) {
    for (std::uint64_t sizes = sizes_present_; sizes != 0; sizes &= sizes - 1) {
        const unsigned size = static_cast<unsigned>(__builtin_ctzll(sizes));  // smallest size left
        TlbKey key{vmid, asid, stages, static_cast<std::uint8_t>(size), address >> size};
        if (stages == TlbStages::stage2 || has_asid_entries_) {
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
               const TlbEntry& entry) {
    if (!cache_.geometry().is_enabled()) return;
    sizes_present_ |= std::uint64_t{1} << size_bits;
    if (stages != TlbStages::stage2) (asid == kGlobalAsid ? has_global_entries_ : has_asid_entries_) = true;
    cache_.insert(TlbKey{vmid, asid, stages, static_cast<std::uint8_t>(size_bits), address >> size_bits}, entry);
}

void Tlb::invalidate(const DecodedCommand& c) {
    ++generation_;
    // By VA: a nested entry is a piece of its stage-1 page or block; it is covered when that
    // block holds the address.
    const auto covers_va = [&](const TlbKey& k, const TlbEntry& e) {
        if (k.stages != TlbStages::nested) return covers(k, c.address);
        const std::uint64_t input = k.page << k.size_bits;
        return (input >> e.stage1_size_bits) == (c.address >> e.stage1_size_bits);
    };
    const auto stage1_of_vm = [&](const TlbKey& k) { return k.vmid == c.vmid && k.stages != TlbStages::stage2; };
    switch (c.kind) {
    case CommandKind::tlbi_nh_all:
        cache_.invalidate_if([&](const TlbKey& k, const TlbEntry&) { return stage1_of_vm(k); });
        return;
    case CommandKind::tlbi_nh_asid:
        cache_.invalidate_if([&](const TlbKey& k, const TlbEntry&) { return stage1_of_vm(k) && k.asid == c.asid; });
        return;
    case CommandKind::tlbi_nh_va:
        // Global entries match any ASID (SMMUv3 4.4.2).
        cache_.invalidate_if([&](const TlbKey& k, const TlbEntry& e) {
            return stage1_of_vm(k) && (k.asid == c.asid || k.asid == kGlobalAsid) && covers_va(k, e);
        });
        return;
    case CommandKind::tlbi_nh_vaa:
        cache_.invalidate_if([&](const TlbKey& k, const TlbEntry& e) { return stage1_of_vm(k) && covers_va(k, e); });
        return;
    case CommandKind::tlbi_s12_vmall:
        cache_.invalidate_if([&](const TlbKey& k, const TlbEntry&) { return k.vmid == c.vmid; });
        return;
    case CommandKind::tlbi_s2_ipa:
        // Stage-2-only entries; combined (nested) entries need TLBI_S12_VMALL or TLBI_NH_* as on a
        // PE (SMMUv3 4.4.5).
        cache_.invalidate_if([&](const TlbKey& k, const TlbEntry&) {
            return k.vmid == c.vmid && k.stages == TlbStages::stage2 && covers(k, c.address);
        });
        return;
    case CommandKind::tlbi_nsnh_all:
        cache_.invalidate_all();
        return;
    default:
        return;
    }
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

void WalkCacheStore::invalidate(const DecodedCommand& c) {
    // An entry for `level` covers the inputs whose bits above what the levels from `level` on
    // resolve equal its prefix (the prefix is the input shifted by vmsa::level_shift(level - 1)).
    const auto covers = [](const WalkKey& k, std::uint64_t address) {
        const unsigned shift = vmsa::level_shift(k.granule_bits, k.level - 1u);
        return shift >= 64 || (address >> shift) == k.prefix;
    };
    switch (c.kind) {
    case CommandKind::tlbi_nh_all:
        cache_.invalidate_if([&](const WalkKey& k, const WalkEntry&) { return k.stage == 1 && k.vmid == c.vmid; });
        return;
    case CommandKind::tlbi_nh_asid:
        cache_.invalidate_if(
            [&](const WalkKey& k, const WalkEntry&) { return k.stage == 1 && k.vmid == c.vmid && k.asid == c.asid; });
        return;
    case CommandKind::tlbi_nh_va:
    case CommandKind::tlbi_nh_vaa:
        if (c.leaf) return;
        cache_.invalidate_if([&](const WalkKey& k, const WalkEntry&) {
            return k.stage == 1 && k.vmid == c.vmid && (c.kind == CommandKind::tlbi_nh_vaa || k.asid == c.asid) &&
                   covers(k, c.address);
        });
        return;
    case CommandKind::tlbi_s2_ipa:
        if (c.leaf) return;
        cache_.invalidate_if([&](const WalkKey& k, const WalkEntry&) {
            return k.stage == 2 && k.vmid == c.vmid && covers(k, c.address);
        });
        return;
    case CommandKind::tlbi_s12_vmall:
        cache_.invalidate_if([&](const WalkKey& k, const WalkEntry&) { return k.vmid == c.vmid; });
        return;
    case CommandKind::tlbi_nsnh_all:
        cache_.invalidate_all();
        return;
    default:
        return;
    }
}

WalkKey ContextWalkCache::key(unsigned level, std::uint64_t prefix) const {
    return WalkKey{stage_, static_cast<std::uint8_t>(level), static_cast<std::uint8_t>(granule_bits_), vmid_, asid_,
                   base_, prefix};
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
