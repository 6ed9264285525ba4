#include "models/smmuv3/vmsa_walk.h"

#include "models/common/bitfield.h"
#include "models/smmuv3/vmsa_descriptor.h"

namespace iommu_vp::vmsa {
namespace {

constexpr unsigned kMaxConcatenationBits = 4;  // up to 16 tables at the stage-2 starting level

bool is_supported_granule(unsigned granule_bits) {
    return granule_bits == 12 || granule_bits == 14 || granule_bits == 16;
}

unsigned bits_per_level(unsigned granule_bits) { return granule_bits - 3; }

// Levels at which a block descriptor is legal (Arm ARM D8.3.1): 4 KiB 1 GiB and 2 MiB blocks,
// 16 KiB 32 MiB blocks, 64 KiB 512 MiB blocks (and 4 TiB ones only with a 52-bit output address).
bool block_allowed(const WalkConfig& config, unsigned level) {
    switch (config.granule_bits) {
    case 12: return level == 1 || level == 2;
    case 14: return level == 2;
    default: return level == 2 || (level == 1 && config.output_bits == 52);
    }
}

// The address a table, block or page descriptor holds, at granule alignment.
std::uint64_t descriptor_address(const WalkConfig& config, std::uint64_t descriptor) {
    std::uint64_t address = kOutputAddress48.extract(descriptor) & ~low_mask(config.granule_bits);
    if (config.granule_bits == 16 && config.output_bits == 52)
        address |= kOutputAddress51To48.extract(descriptor) << 48;
    return address;
}

bool exceeds_output_size(const WalkConfig& config, std::uint64_t address) {
    return config.output_bits < 64 && (address >> config.output_bits) != 0;
}

bool input_in_range(const WalkConfig& config, std::uint64_t input_address) {
    const std::uint64_t top = input_address >> config.input_bits;
    if (config.stage == Stage::one && config.upper_range) return top == low_mask(64 - config.input_bits);
    return top == 0;
}

void add_table_attributes(TableAttributes& gathered, std::uint64_t table_descriptor) {
    const unsigned ap_table = static_cast<unsigned>(kApTable.extract(table_descriptor));
    gathered.no_unprivileged |= (ap_table & kApTableNoUnprivileged) != 0;
    gathered.read_only |= (ap_table & kApTableReadOnly) != 0;
    gathered.pxn |= kPxnTable.is_set_in(table_descriptor);
    gathered.xn |= kXnTable.is_set_in(table_descriptor);
}

Permissions leaf_permissions(Stage stage, std::uint64_t leaf, const TableAttributes& tables) {
    Permissions p;
    if (stage == Stage::two) {
        // Stage-2 table descriptors carry no attributes (their bits 63:59 are RES0 / ignored).
        const unsigned s2ap = static_cast<unsigned>(kS2Ap.extract(leaf));
        p.s2_read = (s2ap & kS2ApRead) != 0;
        p.s2_write = (s2ap & kS2ApWrite) != 0;
        p.s2_execute_never = kS2Xn.is_set_in(leaf);
        return p;
    }
    const unsigned ap = static_cast<unsigned>(kAp.extract(leaf));
    p.unprivileged_access = (ap & kApUnprivileged) != 0 && !tables.no_unprivileged;
    p.read_only = (ap & kApReadOnly) != 0 || tables.read_only;
    // Memory that EL0 may write is never executable at EL1 (Arm ARM D8.4.1.2).
    const bool writable_unprivileged = p.unprivileged_access && !p.read_only;
    p.privileged_execute_never = kPxn.is_set_in(leaf) || tables.pxn || writable_unprivileged;
    p.unprivileged_execute_never = kUxn.is_set_in(leaf) || tables.xn;
    return p;
}

WalkResult fault_at(FaultType type, unsigned level, unsigned fetches, std::uint64_t descriptor_address = 0) {
    WalkResult result;
    result.fault = Fault{type, level, descriptor_address};
    result.descriptor_fetches = fetches;
    return result;
}

// The fault a descriptor at `level` causes by its type and output address, or none; `is_table`:
// it points to a next-level table (levels 0-2, type 0b11).
FaultType check_descriptor(const WalkConfig& config, unsigned level, std::uint64_t descriptor, bool& is_table) {
    is_table = false;
    if (!kValid.is_set_in(descriptor)) return FaultType::translation;
    const bool table_or_page = kTableOrPage.is_set_in(descriptor);
    const bool exceeds = exceeds_output_size(config, descriptor_address(config, descriptor));
    if (level < 3 && table_or_page) {
        is_table = true;
        return exceeds ? FaultType::address_size : FaultType::none;
    }
    // A leaf: a page at level 3 (type 0b11), a block above it (type 0b01) where the granule allows.
    if (level == 3 ? !table_or_page : !block_allowed(config, level)) return FaultType::translation;
    return exceeds ? FaultType::address_size : FaultType::none;
}

// Writable-clean (SMMUv3 3.13.3.1): DBM == 1 and not writable by the leaf's own permission, AP[2] ==
// 1 at stage 1, S2AP[1] == 0 at stage 2.
bool is_writable_clean(Stage stage, std::uint64_t leaf) {
    if (!kDirtyBitModifier.is_set_in(leaf)) return false;
    return stage == Stage::one ? kAp2.is_set_in(leaf) : !kS2Ap1.is_set_in(leaf);
}

// Writable-dirty: AP[2] cleared (stage 1), S2AP[1] set (stage 2). DBM is left as it is.
std::uint64_t marked_dirty(Stage stage, std::uint64_t leaf) {
    return stage == Stage::one ? kAp2.insert(leaf, 0) : kS2Ap1.insert(leaf, 1);
}

// The leaf as the hardware updates for `access` leave it (SMMUv3 3.13.2, 3.13.3.1): AF set with HA;
// with HD, a write through a writable-clean leaf that the dirty leaf permits marks it dirty. A leaf
// kept read-only by APTable, or refusing the access for another reason, stays clean and the write
// faults on permission. Equal to `leaf` when there is nothing to write.
std::uint64_t updated_leaf(const WalkConfig& config, std::uint64_t leaf, const TableAttributes& tables,
                           const Access* access) {
    if (!config.hardware_access_flag) return leaf;
    std::uint64_t updated = leaf | kAccessFlag.mask();
    if (config.hardware_dirty && access && access->write && is_writable_clean(config.stage, leaf)) {
        const std::uint64_t dirty = marked_dirty(config.stage, updated);
        if (check_access(config.stage, leaf_permissions(config.stage, dirty, tables), *access) == FaultType::none)
            updated = dirty;
    }
    return updated;
}

Translation leaf_translation(const WalkConfig& config, unsigned level, std::uint64_t input_address,
                             std::uint64_t leaf, const TableAttributes& tables) {
    const unsigned shift = level_shift(config.granule_bits, level);
    Translation t;
    t.level = level;
    t.size_bits = shift;
    t.leaf = leaf;
    t.output_address = align_down(descriptor_address(config, leaf), std::uint64_t{1} << shift) |
                       (input_address & low_mask(shift));
    t.permissions = leaf_permissions(config.stage, leaf, tables);
    // A write could still make it dirty: only if APTable leaves write permission (3.13.3.1).
    t.permissions.writable_clean = config.hardware_dirty && is_writable_clean(config.stage, leaf) &&
                                   !(config.stage == Stage::one && tables.read_only);
    t.not_global = config.stage == Stage::one && kNotGlobal.is_set_in(leaf);
    t.memory_attributes = static_cast<unsigned>((config.stage == Stage::one ? kAttrIndx : kMemAttr).extract(leaf));
    return t;
}

// One walk: the levels from the start (or the deepest cached one) down to a leaf, and the leaf's
// hardware updates.
class Walker {
public:
    Walker(const WalkConfig& config, std::uint64_t input, DescriptorReader& reader, WalkCache* cache,
           const Access* access)
        : config_(config), input_(input), reader_(reader), cache_(cache), access_(access) {}

    WalkResult run(unsigned level, std::uint64_t table, unsigned start_bits);

private:
    // Examines the descriptor at `level` (and what a lost update race leaves there): true with
    // `table_` and `restrictions_` advanced for a table descriptor, false with `result_` final.
    bool settle(unsigned level, std::uint64_t entry_address, std::uint64_t descriptor);
    WalkResult& fail(FaultType type, unsigned level, std::uint64_t descriptor_address = 0) {
        result_.fault = Fault{type, level, descriptor_address};
        return result_;
    }
    bool stop(FaultType type, unsigned level, std::uint64_t descriptor_address = 0) {
        fail(type, level, descriptor_address);
        return false;
    }

    const WalkConfig& config_;
    std::uint64_t input_;
    DescriptorReader& reader_;
    WalkCache* cache_;
    const Access* access_;
    std::uint64_t table_ = 0;
    TableAttributes restrictions_;
    WalkResult result_;
};

WalkResult Walker::run(unsigned level, std::uint64_t table, unsigned start_bits) {
    table_ = table;
    const unsigned start_level = config_.start_level;
    if (cache_) {
        // Start from the deepest level whose table is cached for this input.
        for (unsigned l = 3; l > start_level; --l) {
            std::uint64_t cached_table = 0;
            TableAttributes cached_attributes;
            const std::uint64_t prefix = input_ >> level_shift(config_.granule_bits, l - 1);
            if (cache_->lookup(l, prefix, cached_table, cached_attributes)) {
                level = l;
                table_ = cached_table;
                restrictions_ = cached_attributes;
                break;
            }
        }
    }
    for (;; ++level) {
        const unsigned shift = level_shift(config_.granule_bits, level);
        const unsigned index_bits = level == start_level ? start_bits : bits_per_level(config_.granule_bits);
        const std::uint64_t entry_address = table_ + ((input_ >> shift) & low_mask(index_bits)) * 8;
        std::uint64_t descriptor = 0;
        ++result_.descriptor_fetches;
        switch (reader_.read_descriptor(entry_address, descriptor)) {
        case FetchStatus::ok: break;
        case FetchStatus::external_abort: return fail(FaultType::external_abort, level, entry_address);
        case FetchStatus::stage2_fault: return fail(FaultType::stage2_fault, level, entry_address);
        }
        if (!settle(level, entry_address, descriptor)) return result_;
        if (cache_) cache_->fill(level + 1, input_ >> shift, table_, restrictions_);
    }
}

bool Walker::settle(unsigned level, std::uint64_t entry_address, std::uint64_t descriptor) {
    for (unsigned attempt = 1;; ++attempt) {
        bool is_table = false;
        const FaultType fault = check_descriptor(config_, level, descriptor, is_table);
        if (fault != FaultType::none) return stop(fault, level);
        if (is_table) {
            if (config_.stage == Stage::one) add_table_attributes(restrictions_, descriptor);
            table_ = descriptor_address(config_, descriptor);
            return true;
        }
        const bool access_flag_clear = !kAccessFlag.is_set_in(descriptor);
        if (access_flag_clear && !config_.hardware_access_flag && !config_.access_flag_fault_disabled)
            return stop(FaultType::access_flag, level);
        const std::uint64_t updated = updated_leaf(config_, descriptor, restrictions_, access_);
        std::uint64_t observed = descriptor;
        if (updated != descriptor) {
            switch (reader_.compare_and_swap_descriptor(entry_address, descriptor, updated, observed)) {
            case FetchStatus::ok: break;
            case FetchStatus::external_abort: return stop(FaultType::external_abort, level, entry_address);
            case FetchStatus::stage2_fault: return stop(FaultType::stage2_fault, level, entry_address);
            }
        }
        if (observed == descriptor) {
            if (access_flag_clear && kAccessFlag.is_set_in(updated)) ++result_.updates.access_flag;
            if (is_writable_clean(config_.stage, descriptor) && !is_writable_clean(config_.stage, updated))
                ++result_.updates.dirty;
            result_.translation = leaf_translation(config_, level, input_, updated, restrictions_);
            return false;
        }
        // Another agent changed the descriptor after the walk read it: nothing was written; what
        // memory holds now is examined as if the walk had read it.
        ++result_.updates.retries;
        if (attempt == kMaxUpdateAttempts) return stop(FaultType::external_abort, level, entry_address);
        descriptor = observed;
    }
}

}  // namespace

const char* to_string(FaultType type) {
    switch (type) {
    case FaultType::none: return "none";
    case FaultType::translation: return "translation";
    case FaultType::address_size: return "address_size";
    case FaultType::access_flag: return "access_flag";
    case FaultType::permission: return "permission";
    case FaultType::external_abort: return "external_abort";
    case FaultType::stage2_fault: return "stage2_fault";
    }
    return "?";
}

std::optional<unsigned> start_level_stage1(unsigned granule_bits, unsigned input_bits) {
    if (!is_supported_granule(granule_bits) || input_bits < 25 || input_bits > 48) return std::nullopt;
    const unsigned stride = bits_per_level(granule_bits);
    const unsigned levels = (input_bits - granule_bits + stride - 1) / stride;
    return 4 - levels;
}

std::optional<unsigned> start_level_stage2(unsigned granule_bits, unsigned sl0, unsigned input_bits) {
    if (!is_supported_granule(granule_bits) || input_bits < 25 || input_bits > 48) return std::nullopt;
    // SL0 = 3 is reserved without FEAT_TTST / FEAT_LPA2, neither of which is modelled.
    const unsigned first_level_from_sl0 = granule_bits == 12 ? 2 : 3;
    if (sl0 > 2 || sl0 > first_level_from_sl0) return std::nullopt;
    const unsigned level = first_level_from_sl0 - sl0;
    const unsigned shift = level_shift(granule_bits, level);
    if (input_bits <= shift) return std::nullopt;
    const unsigned resolved = input_bits - shift;
    if (resolved > bits_per_level(granule_bits) + kMaxConcatenationBits) return std::nullopt;
    return level;
}

WalkResult walk(const WalkConfig& config, std::uint64_t input_address, DescriptorReader& reader, WalkCache* cache,
                const Access* access) {
    const unsigned level = config.start_level;
    // A configuration that the start_level_* functions would have refused walks nothing.
    const unsigned start_shift = level > 3 ? 64 : level_shift(config.granule_bits, level);
    if (!is_supported_granule(config.granule_bits) || config.input_bits > 48 || config.input_bits <= start_shift ||
        config.input_bits - start_shift > bits_per_level(config.granule_bits) + kMaxConcatenationBits)
        return fault_at(FaultType::translation, level, 0);
    if (!input_in_range(config, input_address)) return fault_at(FaultType::translation, level, 0);

    // The starting table holds 2^(bits resolved there) entries of 8 bytes (more than one granule when
    // concatenated). Base-address bits below that size are treated as zero: a CONSTRAINED
    // UNPREDICTABLE choice (Arm ARM D8.2.4) that matches an implementation which ignores them.
    const unsigned start_bits = config.input_bits - start_shift;
    const std::uint64_t table = align_down(config.table_base, std::uint64_t{8} << start_bits);
    if (exceeds_output_size(config, table)) return fault_at(FaultType::address_size, level, 0);
    return Walker(config, input_address, reader, cache, access).run(level, table, start_bits);
}

FaultType check_access(Stage stage, const Permissions& p, const Access& access) {
    bool allowed;
    if (stage == Stage::two) {
        allowed = access.write ? p.s2_write : p.s2_read;
        if (access.instruction) allowed = allowed && !p.s2_execute_never;
    } else {
        allowed = access.privileged || p.unprivileged_access;
        if (access.write) allowed = allowed && !p.read_only;
        if (access.instruction)
            allowed = allowed && !(access.privileged ? p.privileged_execute_never : p.unprivileged_execute_never);
    }
    return allowed ? FaultType::none : FaultType::permission;
}

}  // namespace iommu_vp::vmsa
