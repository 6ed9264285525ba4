#include "models/vtd/page_walk.h"

#include "models/vtd/features.h"

#include <algorithm>

namespace iommu_vp::vtd {
namespace {

constexpr unsigned kMinSecondLevelLevels = 3;  // 39-bit; the 2-level 30-bit width is not modelled

std::uint64_t table_base(std::uint64_t pointer) { return align_down(pointer, std::uint64_t{1} << kPageShift); }

std::uint64_t entry_address(std::uint64_t table, std::uint64_t input, unsigned level) {
    const std::uint64_t index = (input >> level_shift(level)) & low_mask(kBitsPerLevel);
    return table + index * kEntryBytes;
}

// The address bits of an entry at or above the host address width: [51:HAW] (none when HAW >= 52).
std::uint64_t beyond_host_width(unsigned host_address_bits) {
    const unsigned top = sl_entry::kAddress.msb();
    return host_address_bits > top ? 0 : bits(top, host_address_bits).mask();
}

// The page or block a leaf at `level` maps: the entry's address with the bits below the leaf's size
// dropped (they are reserved, or PAT for a first-level large page, and were checked already).
std::uint64_t leaf_base(std::uint64_t entry, BitField address_field, unsigned level) {
    return (entry & address_field.mask()) & ~low_mask(level_shift(level));
}

WalkFault fault_at(FaultKind kind, Stage stage, unsigned level, std::uint64_t address, bool in_root_table) {
    WalkFault fault;
    fault.kind = kind;
    fault.stage = stage;
    fault.level = level;
    fault.entry_address = address;
    fault.in_root_table = in_root_table;
    return fault;
}

// The deepest level whose table the cache holds for this input; `level`, `table` and `rights` are left
// as they are (the root) when it holds none. The root table itself is never looked up: the
// configuration names it.
void start_from_cache(WalkCache& cache, unsigned top, std::uint64_t input, unsigned& level, std::uint64_t& table,
                      TableRights& rights) {
    for (unsigned l = 1; l < top; ++l) {
        std::uint64_t cached_table = 0;
        TableRights cached_rights;
        if (cache.lookup(l, input >> level_shift(l + 1), cached_table, cached_rights)) {
            level = l;
            table = cached_table;
            rights = cached_rights;
            return;
        }
    }
}

enum class UpdateOutcome { written, entry_changed, error };

// One compare-and-exchange that ORs `flags` into the entry. When another writer got there first,
// `entry` becomes what memory holds so the caller checks it again.
UpdateOutcome set_flags(TableMemory& memory, std::uint64_t address, std::uint64_t& entry, std::uint64_t flags,
                        WalkResult& result) {
    std::uint64_t observed = 0;
    ++result.entry_updates;
    if (memory.compare_exchange64(address, entry, entry | flags, observed) != FetchStatus::ok)
        return UpdateOutcome::error;
    if (observed != entry) {
        entry = observed;
        return UpdateOutcome::entry_changed;
    }
    entry |= flags;
    return UpdateOutcome::written;
}

// ---------------------------------------------------------------------------------------------------
// Second level.

bool valid_second_level_width(unsigned input_bits) {
    if (input_bits <= kPageShift || (input_bits - kPageShift) % kBitsPerLevel != 0) return false;
    const unsigned levels = (input_bits - kPageShift) / kBitsPerLevel;
    return levels >= kMinSecondLevelLevels && levels <= kMaxLevels;
}

bool sl_present(std::uint64_t entry) {
    // No present bit: an entry that allows neither reading nor writing is not present (Linux and QEMU
    // test R | W; an X-only entry is therefore not present either).
    return sl_entry::kRead.is_set_in(entry) || sl_entry::kWrite.is_set_in(entry);
}

bool sl_page_size_allowed(const SecondLevelConfig& config, unsigned level) {
    if (level == 2) return config.page_2m;
    if (level == 3) return config.page_1g;
    return false;
}

bool sl_is_leaf(std::uint64_t entry, unsigned level) { return level == 1 || sl_entry::kPageSize.is_set_in(entry); }

bool sl_has_reserved_bits(const SecondLevelConfig& config, std::uint64_t entry, unsigned level) {
    // Bit 7 is PS above level 1 (ignored at level 1): legal only where SLLPS advertises the size.
    if (level > 1 && sl_entry::kPageSize.is_set_in(entry) && !sl_page_size_allowed(config, level)) return true;
    const bool leaf = sl_is_leaf(entry, level);
    std::uint64_t reserved = beyond_host_width(config.host_address_bits) | sl_entry::kReserved62.mask();
    if (!leaf || !config.snoop_allowed) reserved |= sl_entry::kSnoop.mask();
    // A large page's address bits below its size.
    if (leaf && level > 1) reserved |= bits(level_shift(level) - 1, kPageShift).mask();
    return (entry & reserved) != 0;
}

TableRights sl_rights(TableRights rights, std::uint64_t entry) {
    rights.read = rights.read && sl_entry::kRead.is_set_in(entry);
    rights.write = rights.write && sl_entry::kWrite.is_set_in(entry);
    rights.execute = rights.execute && sl_entry::kExecute.is_set_in(entry);
    return rights;
}

Permissions sl_permissions(const SecondLevelConfig& config, const TableRights& rights, bool dirty) {
    Permissions p;
    p.read = rights.read;
    p.write = rights.write;
    p.user = true;  // the second level has no privilege check
    // An execute request is a read; X counts only under SLEE.
    p.execute = rights.read && (!config.execute_enabled || rights.execute);
    p.supervisor_write = p.write;
    p.supervisor_execute = p.execute;
    p.dirty = dirty;
    return p;
}

std::uint64_t sl_update_flags(const SecondLevelConfig& config, bool leaf, const Access& access) {
    if (!config.accessed_dirty) return 0;
    std::uint64_t flags = sl_entry::kAccessed.mask();
    if (leaf && access.write) flags |= sl_entry::kDirty.mask();
    return flags;
}

// Checks one second-level entry against the configuration and the access and performs its A/D
// update, re-checking when another writer changed it first. `entry` ends as memory holds it.
FaultKind settle_sl_entry(const SecondLevelConfig& config, unsigned level, const TableRights& above,
                          const Access& access, std::uint64_t address, std::uint64_t& entry, TableMemory& memory,
                          WalkResult& result) {
    for (unsigned attempt = 1;; ++attempt) {
        if (!sl_present(entry)) return FaultKind::not_present;
        if (sl_has_reserved_bits(config, entry, level)) return FaultKind::reserved_bits;
        const FaultKind denied = check_access(sl_permissions(config, sl_rights(above, entry), true), access);
        if (denied != FaultKind::none) return denied;
        const std::uint64_t flags = sl_update_flags(config, sl_is_leaf(entry, level), access);
        if ((entry & flags) == flags) return FaultKind::none;
        switch (set_flags(memory, address, entry, flags, result)) {
        case UpdateOutcome::written: return FaultKind::none;
        case UpdateOutcome::error: return FaultKind::ad_update_failed;
        case UpdateOutcome::entry_changed: break;
        }
        if (attempt == kMaxEntryUpdateAttempts) return FaultKind::ad_update_failed;
    }
}

// ---------------------------------------------------------------------------------------------------
// First level.

bool is_canonical(std::uint64_t input, unsigned levels) {
    // Bits 63 down to the top translated bit (47 or 56) all equal.
    const unsigned top_bit = level_shift(levels) + kBitsPerLevel - 1;
    const std::uint64_t upper = input >> top_bit;
    return upper == 0 || upper == low_mask(64 - top_bit);
}

bool fl_is_leaf(std::uint64_t entry, unsigned level) { return level == 1 || fl_entry::kPageSize.is_set_in(entry); }

bool fl_has_reserved_bits(const FirstLevelConfig& config, std::uint64_t entry, unsigned level) {
    const bool page_size = level > 1 && fl_entry::kPageSize.is_set_in(entry);
    // PS is reserved in PML4E and PML5E, and in a PDPE without FL1GP.
    if (page_size && (level > 3 || (level == 3 && !config.page_1g))) return true;
    std::uint64_t reserved = beyond_host_width(config.host_address_bits);
    if (!config.no_execute_enabled) reserved |= fl_entry::kExecuteDisable.mask();
    // A large page's address bits below its size, above PAT (bit 12).
    if (page_size) reserved |= bits(level_shift(level) - 1, fl_entry::kPatLarge.lsb + 1).mask();
    return (entry & reserved) != 0;
}

TableRights fl_rights(const FirstLevelConfig& config, TableRights rights, std::uint64_t entry) {
    rights.write = rights.write && fl_entry::kWritable.is_set_in(entry);
    rights.user = rights.user && fl_entry::kUser.is_set_in(entry);
    if (config.no_execute_enabled && fl_entry::kExecuteDisable.is_set_in(entry)) rights.execute = false;
    return rights;
}

// `leaf`: the rights are final. Above the leaf SMEP is not applied, because a deeper U/S = 0 still
// makes the page a supervisor page that SMEP lets a supervisor request execute; every other rule only
// tightens as the walk descends, so checking it early gives the same verdict as checking the leaf.
Permissions fl_permissions(const FirstLevelConfig& config, const TableRights& rights, bool dirty, bool leaf) {
    Permissions p;
    p.read = rights.read;  // a present first-level entry is readable
    p.write = rights.write;
    p.user = rights.user;
    p.execute = rights.execute;
    // Without WPE a supervisor request may write read-only pages (as CR0.WP = 0 on the CPU).
    p.supervisor_write = rights.write || !config.write_protect;
    p.supervisor_execute = rights.execute && !(leaf && config.smep && rights.user);
    p.dirty = dirty;
    return p;
}

std::uint64_t fl_update_flags(const FirstLevelConfig& config, bool leaf, const Access& access) {
    std::uint64_t flags = fl_entry::kAccessed.mask();
    if (config.extended_accessed) flags |= fl_entry::kExtendedAccessed.mask();
    if (leaf && access.write) flags |= fl_entry::kDirty.mask();
    return flags;
}

// Where the first-level tables are: host-physical (first-level only) or guest-physical, translated
// through the second level (nested). Each call that fails has put the fault in `result`.
class FirstLevelTables {
public:
    virtual ~FirstLevelTables() = default;
    // The host-physical address of the entry the first level names `address`, for reading it.
    virtual bool locate(std::uint64_t address, unsigned level, bool root, std::uint64_t& host, WalkResult& result) = 0;
    // Whether the unit may write that entry (for an A/D update).
    virtual bool allow_update(std::uint64_t address, unsigned level, bool root, WalkResult& result) = 0;
};

class HostTables : public FirstLevelTables {
public:
    bool locate(std::uint64_t address, unsigned, bool, std::uint64_t& host, WalkResult&) override {
        host = address;
        return true;
    }
    bool allow_update(std::uint64_t, unsigned, bool, WalkResult&) override { return true; }
};

class NestedTables : public FirstLevelTables {
public:
    NestedTables(const SecondLevelConfig& second, TableMemory& memory, WalkCache* cache)
        : second_(second), memory_(memory), cache_(cache) {}

    bool locate(std::uint64_t address, unsigned level, bool root, std::uint64_t& host, WalkResult& result) override {
        return translate(address, level, root, false, host, result);
    }
    bool allow_update(std::uint64_t address, unsigned level, bool root, WalkResult& result) override {
        std::uint64_t host = 0;
        return translate(address, level, root, true, host, result);
    }

private:
    bool translate(std::uint64_t address, unsigned level, bool root, bool write, std::uint64_t& host,
                   WalkResult& result) {
        Access access;
        access.write = write;
        const WalkResult step = second_level_walk(second_, address, access, memory_, cache_);
        result.fetches += step.fetches;
        result.second_level_fetches += step.second_level_fetches;
        result.entry_updates += step.entry_updates;
        if (!step.ok()) {
            result.fault = step.fault;
            result.fault.nested_table = true;
            result.fault.ad_update_write = write;
            result.fault.first_level_root = root;
            result.fault.first_level = level;
            return false;
        }
        host = step.translation.output_address;
        return true;
    }

    const SecondLevelConfig& second_;
    TableMemory& memory_;
    WalkCache* cache_;
};

// The first-level counterpart of settle_sl_entry; the fault is put in `result` (a nested update may
// fault in the second level). `address` is the entry as the first level names it, `host` where it is.
bool settle_fl_entry(const FirstLevelConfig& config, unsigned level, bool root, const TableRights& above,
                     const Access& access, std::uint64_t address, std::uint64_t host, std::uint64_t& entry,
                     TableMemory& memory, FirstLevelTables& tables, WalkResult& result) {
    bool update_allowed = false;
    for (unsigned attempt = 1;; ++attempt) {
        FaultKind kind = FaultKind::none;
        if (!fl_entry::kPresent.is_set_in(entry))
            kind = FaultKind::not_present;
        else if (fl_has_reserved_bits(config, entry, level))
            kind = FaultKind::reserved_bits;
        else
            kind = check_access(
                fl_permissions(config, fl_rights(config, above, entry), true, fl_is_leaf(entry, level)), access);
        if (kind != FaultKind::none) {
            result.fault = fault_at(kind, Stage::first, level, host, root);
            return false;
        }
        const std::uint64_t flags = fl_update_flags(config, fl_is_leaf(entry, level), access);
        if ((entry & flags) == flags) return true;
        if (!update_allowed) {
            if (!tables.allow_update(address, level, root, result)) return false;
            update_allowed = true;
        }
        const UpdateOutcome outcome = set_flags(memory, host, entry, flags, result);
        if (outcome == UpdateOutcome::written) return true;
        if (outcome == UpdateOutcome::error || attempt == kMaxEntryUpdateAttempts) {
            result.fault = fault_at(FaultKind::ad_update_failed, Stage::first, level, host, root);
            return false;
        }
    }
}

WalkResult walk_first_level(const FirstLevelConfig& config, std::uint64_t input, const Access& access,
                            TableMemory& memory, FirstLevelTables& tables, WalkCache* cache) {
    WalkResult result;
    const unsigned top = first_level_levels(config);
    if (!is_canonical(input, top)) {
        result.fault = fault_at(FaultKind::non_canonical, Stage::first, top, 0, true);
        return result;
    }
    unsigned level = top;
    std::uint64_t table = table_base(config.root);
    TableRights rights;
    if (cache) start_from_cache(*cache, top, input, level, table, rights);

    for (; level >= 1; --level) {
        const bool root = level == top;
        const std::uint64_t address = entry_address(table, input, level);
        std::uint64_t host = 0;
        if (!tables.locate(address, level, root, host, result)) return result;
        std::uint64_t entry = 0;
        ++result.fetches;
        if (memory.read64(host, entry) != FetchStatus::ok) {
            result.fault = fault_at(FaultKind::access_error, Stage::first, level, host, root);
            return result;
        }
        if (!settle_fl_entry(config, level, root, rights, access, address, host, entry, memory, tables, result))
            return result;
        rights = fl_rights(config, rights, entry);

        if (fl_is_leaf(entry, level)) {
            Translation& t = result.translation;
            t.level = level;
            t.size_bits = level_shift(level);
            t.leaf = entry;
            t.output_address = leaf_base(entry, fl_entry::kAddress, level) | (input & low_mask(t.size_bits));
            t.permissions = fl_permissions(config, rights, fl_entry::kDirty.is_set_in(entry), true);
            t.global = fl_entry::kGlobal.is_set_in(entry);
            t.write_through = fl_entry::kWriteThrough.is_set_in(entry);
            t.cache_disable = fl_entry::kCacheDisable.is_set_in(entry);
            t.pat = (level == 1 ? fl_entry::kPatSmall : fl_entry::kPatLarge).is_set_in(entry);
            return result;
        }
        table = entry & fl_entry::kAddress.mask();
        if (cache) cache->fill(level - 1, input >> level_shift(level), table, rights);
    }
    return result;  // not reached: level 1 is always a leaf
}

Permissions combine(const Permissions& first, const Permissions& second) {
    Permissions p;
    p.read = first.read && second.read;
    p.write = first.write && second.write;
    p.execute = first.execute && second.execute;
    p.user = first.user;
    p.supervisor_write = first.supervisor_write && second.write;
    p.supervisor_execute = first.supervisor_execute && second.execute;
    p.dirty = first.dirty && second.dirty;
    return p;
}

// ---------------------------------------------------------------------------------------------------
// Fault reasons.

FaultReason first_level_reason(const WalkFault& fault) {
    switch (fault.kind) {
    case FaultKind::access_error:
        return fault.in_root_table ? FaultReason::fl_root_access_error : FaultReason::fl_access_error;
    case FaultKind::not_present: return FaultReason::fl_not_present;
    case FaultKind::reserved_bits: return FaultReason::fl_reserved;
    case FaultKind::read_denied: return FaultReason::sm_read_denied;
    case FaultKind::write_denied: return FaultReason::sm_write_denied;
    case FaultKind::ad_update_failed: return FaultReason::fl_ad_update_failed;
    case FaultKind::input_beyond_width: return FaultReason::input_beyond_width;
    default: return FaultReason::none;
    }
}

FaultReason second_level_reason(const WalkFault& fault) {
    switch (fault.kind) {
    case FaultKind::access_error:
        return fault.in_root_table ? FaultReason::sl_invalid_pointer : FaultReason::sl_access_error;
    case FaultKind::ad_update_failed: return FaultReason::sl_access_error;
    case FaultKind::reserved_bits: return FaultReason::sl_reserved;
    case FaultKind::not_present: return FaultReason::sl_permission;
    case FaultKind::read_denied: return FaultReason::sm_read_denied;
    case FaultKind::write_denied: return FaultReason::sm_write_denied;
    case FaultKind::input_beyond_width: return FaultReason::sl_output_beyond_width;
    default: return FaultReason::none;
    }
}

// A second-level fault while translating a first-level table address (nested).
FaultReason nested_table_reason(const WalkFault& fault) {
    switch (fault.kind) {
    case FaultKind::input_beyond_width: return FaultReason::fl_table_beyond_limit;
    case FaultKind::not_present:
    case FaultKind::read_denied:
    case FaultKind::write_denied:
        if (fault.ad_update_write) return FaultReason::fl_table_write_denied;
        return fault.first_level_root ? FaultReason::fl_root_read_denied : FaultReason::fl_table_read_denied;
    default: return second_level_reason(fault);
    }
}

}  // namespace

const char* to_string(FaultKind kind) {
    switch (kind) {
    case FaultKind::none: return "none";
    case FaultKind::access_error: return "access_error";
    case FaultKind::not_present: return "not_present";
    case FaultKind::reserved_bits: return "reserved_bits";
    case FaultKind::read_denied: return "read_denied";
    case FaultKind::write_denied: return "write_denied";
    case FaultKind::execute_denied: return "execute_denied";
    case FaultKind::user_denied: return "user_denied";
    case FaultKind::non_canonical: return "non_canonical";
    case FaultKind::input_beyond_width: return "input_beyond_width";
    case FaultKind::output_beyond_width: return "output_beyond_width";
    case FaultKind::ad_update_failed: return "ad_update_failed";
    case FaultKind::invalid_configuration: return "invalid_configuration";
    }
    return "?";
}

FaultKind check_access(const Permissions& p, const Access& access) {
    if (!access.supervisor && !p.user) return FaultKind::user_denied;
    if (access.write)
        return (access.supervisor ? p.supervisor_write : p.write) ? FaultKind::none : FaultKind::write_denied;
    if (!p.read) return FaultKind::read_denied;
    if (access.execute && !(access.supervisor ? p.supervisor_execute : p.execute)) return FaultKind::execute_denied;
    return FaultKind::none;
}

WalkResult second_level_walk(const SecondLevelConfig& config, std::uint64_t input, const Access& access,
                             TableMemory& memory, WalkCache* cache) {
    WalkResult result;
    if (!valid_second_level_width(config.input_bits)) {
        result.fault = fault_at(FaultKind::invalid_configuration, Stage::second, 0, 0, true);
        return result;
    }
    const unsigned top = levels_of_width(config.input_bits);
    const unsigned limit = std::min(config.input_bits, config.max_input_bits);
    if (limit < 64 && (input >> limit) != 0) {
        result.fault = fault_at(FaultKind::input_beyond_width, Stage::second, top, 0, true);
        return result;
    }
    unsigned level = top;
    std::uint64_t table = table_base(config.root);
    TableRights rights;
    if (cache) start_from_cache(*cache, top, input, level, table, rights);

    for (; level >= 1; --level) {
        const bool root = level == top;
        const std::uint64_t address = entry_address(table, input, level);
        std::uint64_t entry = 0;
        ++result.fetches;
        ++result.second_level_fetches;
        if (memory.read64(address, entry) != FetchStatus::ok) {
            result.fault = fault_at(FaultKind::access_error, Stage::second, level, address, root);
            return result;
        }
        const FaultKind kind = settle_sl_entry(config, level, rights, access, address, entry, memory, result);
        if (kind != FaultKind::none) {
            result.fault = fault_at(kind, Stage::second, level, address, root);
            return result;
        }
        rights = sl_rights(rights, entry);

        if (sl_is_leaf(entry, level)) {
            Translation& t = result.translation;
            t.level = level;
            t.second_level_leaf_level = level;
            t.size_bits = level_shift(level);
            t.leaf = entry;
            t.second_level_leaf = entry;
            t.output_address = leaf_base(entry, sl_entry::kAddress, level) | (input & low_mask(t.size_bits));
            const bool dirty = !config.accessed_dirty || sl_entry::kDirty.is_set_in(entry);
            t.permissions = sl_permissions(config, rights, dirty);
            t.snoop = sl_entry::kSnoop.is_set_in(entry);
            return result;
        }
        table = entry & sl_entry::kAddress.mask();
        if (cache) cache->fill(level - 1, input >> level_shift(level), table, rights);
    }
    return result;  // not reached: level 1 is always a leaf
}

WalkResult first_level_walk(const FirstLevelConfig& config, std::uint64_t input, const Access& access,
                            TableMemory& memory, WalkCache* cache) {
    HostTables tables;
    return walk_first_level(config, input, access, memory, tables, cache);
}

WalkResult nested_walk(const FirstLevelConfig& first, const SecondLevelConfig& second, std::uint64_t input,
                       const Access& access, TableMemory& memory, WalkCache* first_cache, WalkCache* second_cache) {
    NestedTables tables(second, memory, second_cache);
    WalkResult result = walk_first_level(first, input, access, memory, tables, first_cache);
    if (!result.ok()) return result;

    // The first level's output is guest-physical: the second level maps it for the request itself.
    const WalkResult output = second_level_walk(second, result.translation.output_address, access, memory, second_cache);
    result.fetches += output.fetches;
    result.second_level_fetches += output.second_level_fetches;
    result.entry_updates += output.entry_updates;
    if (!output.ok()) {
        result.fault = output.fault;
        if (result.fault.kind == FaultKind::input_beyond_width) result.fault.kind = FaultKind::output_beyond_width;
        return result;
    }
    Translation& t = result.translation;
    t.output_address = output.translation.output_address;
    t.size_bits = std::min(t.size_bits, output.translation.size_bits);
    t.second_level_leaf_level = output.translation.level;
    t.second_level_leaf = output.translation.leaf;
    t.snoop = output.translation.snoop;
    t.permissions = combine(t.permissions, output.translation.permissions);
    return result;
}

FaultReason scalable_reason(const WalkFault& fault) {
    switch (fault.kind) {
    case FaultKind::none: return FaultReason::none;
    case FaultKind::invalid_configuration: return FaultReason::pasid_entry_invalid;
    case FaultKind::non_canonical: return FaultReason::non_canonical;
    case FaultKind::user_denied: return FaultReason::user_access_denied;
    case FaultKind::execute_denied: return FaultReason::execute_denied;
    case FaultKind::output_beyond_width: return FaultReason::sl_output_beyond_width;
    default: break;
    }
    if (fault.stage == Stage::first) return first_level_reason(fault);
    return fault.nested_table ? nested_table_reason(fault) : second_level_reason(fault);
}

FaultReason legacy_reason(const WalkFault& fault, const Access& access) {
    if (fault.stage == Stage::first) return FaultReason::none;  // legacy mode walks the second level only
    switch (fault.kind) {
    case FaultKind::none: return FaultReason::none;
    case FaultKind::input_beyond_width:
    case FaultKind::output_beyond_width: return FaultReason::address_beyond_width;
    case FaultKind::not_present: return access.write ? FaultReason::write_denied : FaultReason::read_denied;
    case FaultKind::write_denied: return FaultReason::write_denied;
    case FaultKind::read_denied:
    case FaultKind::execute_denied: return FaultReason::read_denied;
    case FaultKind::access_error:
        // Reading the table the context entry points at counts against the context entry.
        return fault.in_root_table ? FaultReason::context_invalid : FaultReason::paging_entry_access_error;
    case FaultKind::reserved_bits: return FaultReason::paging_entry_reserved;
    case FaultKind::ad_update_failed: return FaultReason::paging_entry_access_error;
    case FaultKind::invalid_configuration: return FaultReason::context_invalid;
    default: return FaultReason::none;
    }
}

}  // namespace iommu_vp::vtd
