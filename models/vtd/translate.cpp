#include "models/vtd/translate.h"

#include "models/vtd/context_entry.h"
#include "models/vtd/pasid_entry.h"

#include <array>

namespace iommu_vp::vtd {
namespace {

constexpr std::uint8_t bus_of(std::uint16_t source_id) { return static_cast<std::uint8_t>(source_id >> 8); }
constexpr std::uint8_t devfn_of(std::uint16_t source_id) { return static_cast<std::uint8_t>(source_id); }

// One translation: the request, what the unit knows, and what has been found so far.
class Translator {
public:
    Translator(const TranslationRequest& request, const TranslationEnvironment& env, TableMemory& memory,
               const TranslationCaches& caches)
        : request_(request), env_(env), memory_(memory), caches_(caches) {}

    TranslationResult run();
    PageRequestCheck check_page_request();

private:
    TranslationResult& fault(FaultReason reason, const char* why, bool fpd = false);
    TranslationResult& translated(std::uint64_t output, unsigned size_bits);
    // A translated output, unless it falls in the interrupt range (checked on every translation, as a
    // cached large page may cover the range only in part).
    TranslationResult& translated_output(std::uint64_t output, unsigned size_bits, bool fpd);
    // A translated request the context allows: its address is already an output address.
    TranslationResult& translated_request();

    // Reads `words.size()` 64-bit words at `address`, word 0 first; the others only when word 0 has
    // `present` set (they are left zero otherwise). False on an access error.
    template <std::size_t N>
    bool read_entry(std::uint64_t address, std::array<std::uint64_t, N>& words);

    bool find_context(CachedContext& context);
    bool find_legacy_context(CachedContext& context);
    bool find_scalable_context(CachedContext& context);
    bool find_pasid_entry(const ScalableContextEntry& context, std::uint32_t pasid, CachedPasid& found);

    TranslationResult& translate_legacy(const CachedContext& context);
    TranslationResult& translate_scalable(const CachedContext& context);
    // The IOTLB look-up and, on a miss, the walk; `walk` performs it with the given caches.
    template <typename Walk>
    TranslationResult& translate_paged(const IotlbTag& tag, const Access& access, bool fpd, Walk&& walk);
    TranslationResult& walk_fault(const WalkFault& walk_fault, const Access& access, bool fpd);

    bool scalable() const { return env_.mode == TranslationTableMode::scalable; }
    SecondLevelConfig second_level(std::uint64_t root, unsigned input_bits, bool execute, bool accessed_dirty) const;

    const TranslationRequest& request_;
    const TranslationEnvironment& env_;
    TableMemory& memory_;
    const TranslationCaches& caches_;
    TranslationResult result_;
};

TranslationResult& Translator::fault(FaultReason reason, const char* why, bool fpd) {
    result_.kind = TranslationResult::Kind::faulted;
    result_.fault = reason;
    result_.reason = why;
    result_.record_fault = !(fpd && is_qualified(reason));
    result_.response = FaultResponse::abort;
    return result_;
}

TranslationResult& Translator::translated(std::uint64_t output, unsigned size_bits) {
    result_.kind = TranslationResult::Kind::translated;
    result_.output_address = output;
    result_.size_bits = size_bits;
    return result_;
}

TranslationResult& Translator::translated_output(std::uint64_t output, unsigned size_bits, bool fpd) {
    if (in_interrupt_range(output))
        return fault(scalable() ? FaultReason::sm_output_in_interrupt_range : FaultReason::output_in_interrupt_range,
                     "output address in the interrupt range", fpd);
    return translated(output, size_bits);
}

// Every right: pass-through and translated requests are not limited by paging entries.
Permissions all_permissions() {
    Permissions p;
    p.read = p.write = p.execute = p.user = p.supervisor_write = p.supervisor_execute = p.dirty = true;
    return p;
}

TranslationResult& Translator::translated_request() {
    result_.pass_through = true;
    result_.permissions = all_permissions();
    return translated(request_.address, 12);
}

template <std::size_t N>
bool Translator::read_entry(std::uint64_t address, std::array<std::uint64_t, N>& words) {
    words.fill(0);
    for (std::size_t i = 0; i < N; ++i) {
        ++result_.work.descriptor_fetches;
        if (memory_.read64(address + 8 * i, words[i]) != FetchStatus::ok) return false;
        if (i == 0 && (words[0] & 1) == 0) return true;  // P clear: the rest is not needed
    }
    return true;
}

bool Translator::find_context(CachedContext& context) {
    if (caches_.context) {
        if (const CachedContext* hit = caches_.context->lookup(request_.source_id)) {
            if (hit->mode == env_.mode) {
                ++result_.work.config_hits;
                context = *hit;
                return context.fault == FaultReason::none;
            }
        }
    }
    ++result_.work.config_fetches;
    context.mode = env_.mode;
    const bool ok = scalable() ? find_scalable_context(context) : find_legacy_context(context);
    if (caches_.context && (ok || (env_.cache_faults && !is_access_error(context.fault))))
        caches_.context->fill(request_.source_id, context);
    return ok;
}

bool Translator::find_legacy_context(CachedContext& context) {
    RootWords root{};
    if (!read_entry(root_entry_address(env_.root_table, bus_of(request_.source_id)), root)) {
        context.fault = FaultReason::root_access_error;
        return false;
    }
    const Decoded<RootEntry> root_entry = decode_root_entry(root, env_.features);
    if (!root_entry.ok()) {
        context.fault = root_entry.fault;
        return false;
    }
    ContextWords words{};
    if (!read_entry(context_entry_address(root_entry.value.context_table, devfn_of(request_.source_id)), words)) {
        context.fault = FaultReason::context_access_error;
        return false;
    }
    const Decoded<ContextEntry> entry = decode_context_entry(words, env_.features);
    context.legacy = entry.value;
    context.fault_processing_disable = entry.value.fault_processing_disable;
    context.domain_id = static_cast<std::uint16_t>(entry.value.domain_id);
    context.fault = entry.fault;
    return entry.ok();
}

bool Translator::find_scalable_context(CachedContext& context) {
    const unsigned devfn = devfn_of(request_.source_id);
    RootWords root{};
    const bool upper = devfn >= kScalableUpperDevfn;
    std::array<std::uint64_t, 1> half{};
    if (!read_entry(sm_root_half_address(env_.root_table, bus_of(request_.source_id), devfn), half)) {
        context.fault = FaultReason::sm_root_access_error;
        return false;
    }
    root[upper ? 1 : 0] = half[0];
    const Decoded<ScalableRootHalf> root_half = decode_sm_root_entry(root, devfn, env_.features);
    if (!root_half.ok()) {
        context.fault = root_half.fault;
        return false;
    }
    ScalableContextWords words{};
    if (!read_entry(sm_context_entry_address(root_half.value.context_table, devfn), words)) {
        context.fault = FaultReason::sm_context_access_error;
        return false;
    }
    const Decoded<ScalableContextEntry> entry = decode_sm_context_entry(words, env_.features);
    context.scalable = entry.value;
    context.fault_processing_disable = entry.value.fault_processing_disable;
    context.fault = entry.fault;
    return entry.ok();
}

bool Translator::find_pasid_entry(const ScalableContextEntry& context, std::uint32_t pasid, CachedPasid& found) {
    const PasidKey key{request_.source_id, pasid};
    if (caches_.pasid) {
        if (const CachedPasid* hit = caches_.pasid->lookup(key)) {
            ++result_.work.config_hits;
            found = *hit;
            return found.fault == FaultReason::none;
        }
    }
    ++result_.work.config_fetches;
    const auto finish = [&](FaultReason reason) {
        found.fault = reason;
        const bool ok = reason == FaultReason::none;
        if (caches_.pasid && (ok || (env_.cache_faults && !is_access_error(reason)))) caches_.pasid->fill(key, found);
        return ok;
    };
    PasidDirectoryWords directory{};
    if (!read_entry(pasid_directory_entry_address(context.pasid_directory, pasid), directory))
        return finish(FaultReason::pasid_directory_access_error);
    const Decoded<PasidDirectoryEntry> directory_entry = decode_pasid_directory_entry(directory, env_.features);
    found.fault_processing_disable = directory_entry.value.fault_processing_disable;
    if (!directory_entry.ok()) return finish(directory_entry.fault);
    PasidEntryWords words{};
    if (!read_entry(pasid_entry_address(directory_entry.value.pasid_table, pasid), words))
        return finish(FaultReason::pasid_entry_access_error);
    const Decoded<PasidEntry> entry = decode_pasid_entry(words, env_.features);
    found.entry = entry.value;
    found.fault_processing_disable = found.fault_processing_disable || entry.value.fault_processing_disable;
    return finish(entry.fault);
}

SecondLevelConfig Translator::second_level(std::uint64_t root, unsigned input_bits, bool execute,
                                           bool accessed_dirty) const {
    const Features& f = env_.features;
    SecondLevelConfig config;
    config.root = root;
    config.input_bits = input_bits;
    config.max_input_bits = f.mgaw_bits;
    config.execute_enabled = execute;
    config.accessed_dirty = accessed_dirty;
    config.snoop_allowed = f.snoop_control;
    config.page_2m = f.second_level_2m;
    config.page_1g = f.second_level_1g;
    config.host_address_bits = f.host_address_bits;
    return config;
}

TranslationResult& Translator::walk_fault(const WalkFault& walk_fault, const Access& access, bool fpd) {
    const FaultReason reason = scalable() ? scalable_reason(walk_fault) : legacy_reason(walk_fault, access);
    return fault(reason, to_string(walk_fault.kind), fpd);
}

template <typename Walk>
TranslationResult& Translator::translate_paged(const IotlbTag& tag, const Access& access, bool fpd, Walk&& walk) {
    const std::uint64_t address = request_.address;
    if (caches_.iotlb) {
        result_.work.tlb_looked_up = true;
        unsigned size_bits = 12;
        if (const IotlbEntry* hit = caches_.iotlb->lookup(tag, address, result_.work.tlb_probes, size_bits)) {
            if (hit->negative) {
                result_.work.tlb_hit = true;
                return walk_fault(hit->fault, access, fpd);
            }
            const FaultKind denied = check_access(hit->permissions, access);
            if (denied == FaultKind::none && !(access.write && write_needs_walk(hit->permissions))) {
                result_.work.tlb_hit = true;
                result_.permissions = hit->permissions;
                return translated_output(hit->output_base | (address & low_mask(size_bits)), size_bits, fpd);
            }
            if (denied != FaultKind::none) {
                result_.work.tlb_hit = true;
                WalkFault cached;
                cached.kind = denied;
                cached.stage = tag.kind == TranslationKind::second_level ? Stage::second : Stage::first;
                return walk_fault(cached, access, fpd);
            }
            // A write through a translation not yet dirty: walk so the walk sets D.
        }
    }
    const std::uint64_t generation = caches_.iotlb ? caches_.iotlb->generation() : 0;
    const WalkResult walked = walk();
    result_.work.descriptor_fetches += walked.fetches;
    const bool may_fill = caches_.iotlb && caches_.iotlb->generation() == generation;
    if (!walked.ok()) {
        // Caching mode lets hardware cache not-present entries of second-stage tables only: updates
        // of first-stage entries need no invalidation (VT-d 6.1), so those faults are not kept.
        if (may_fill && env_.cache_faults && walked.fault.kind == FaultKind::not_present &&
            walked.fault.stage == Stage::second)
            caches_.iotlb->fill(tag, address, 12, IotlbEntry{0, {}, false, true, walked.fault});
        return walk_fault(walked.fault, access, fpd);
    }
    const Translation& t = walked.translation;
    result_.permissions = t.permissions;
    if (may_fill) {
        IotlbEntry entry;
        entry.output_base = align_down(t.output_address, std::uint64_t{1} << t.size_bits);
        entry.permissions = t.permissions;
        entry.global = t.global;
        caches_.iotlb->fill(tag, address, t.size_bits, entry);
    }
    return translated_output(t.output_address, t.size_bits, fpd);
}

TranslationResult& Translator::translate_legacy(const CachedContext& context) {
    const ContextEntry& entry = context.legacy;
    const bool fpd = context.fault_processing_disable;
    // Only TT = 01 admits translation requests and translated requests (VT-d 9.3: TT = 00 and 10
    // block them); TT = 01 translates untranslated requests as TT = 00 does.
    if (request_.kind != RequestKind::untranslated && entry.translation_type != TranslationType::translated_device_tlb)
        return fault(FaultReason::translation_type_blocked, "ATS request: the context entry's TT does not allow it",
                     fpd);
    if (request_.kind == RequestKind::translated) return translated_request();
    if (entry.translation_type == TranslationType::pass_through) {
        result_.pass_through = true;
        result_.permissions = all_permissions();
        return translated(request_.address, 12);
    }
    // Legacy requests carry no PASID, so no execute or privilege: a plain read or write.
    Access access;
    access.write = request_.access.write;
    const IotlbTag tag{context.domain_id, kNoPasid, TranslationKind::second_level};
    return translate_paged(tag, access, fpd, [&] {
        const SecondLevelConfig config = second_level(entry.second_level_table, entry.input_bits, false, false);
        if (!caches_.paging_structure) return second_level_walk(config, request_.address, access, memory_);
        StageWalkCache cache(*caches_.paging_structure, Stage::second, context.domain_id, kNoPasid, config.root);
        WalkResult walked = second_level_walk(config, request_.address, access, memory_, &cache);
        result_.work.walk_cache_hits += cache.hits();
        result_.work.walk_cache_misses += cache.missed() ? 1 : 0;
        return walked;
    });
}

TranslationResult& Translator::translate_scalable(const CachedContext& context) {
    const ScalableContextEntry& ctx = context.scalable;
    bool fpd = context.fault_processing_disable;
    if (request_.kind != RequestKind::untranslated && !ctx.device_tlb_enable)
        return fault(FaultReason::sm_translation_request_blocked, "ATS request with DTE = 0", fpd);
    if (request_.kind == RequestKind::translated) return translated_request();
    Access access = request_.access;
    std::uint32_t pasid = ctx.effective_rid_pasid;
    if (request_.pasid) {
        if (!ctx.pasid_enable) return fault(FaultReason::sm_pasid_disabled, "request with PASID and PASIDE = 0", fpd);
        pasid = *request_.pasid;
    } else {
        // Requests without PASID use RID_PASID, with the privilege RID_PRIV gives them and no execute.
        access.supervisor = ctx.rid_privilege;
        access.execute = false;
    }
    result_.pasid = pasid;
    if (pasid_beyond_directory(pasid, ctx.pasid_directory_size))
        return fault(FaultReason::sm_pasid_beyond_directory, "PASID beyond the PASID directory", fpd);
    CachedPasid found;
    const bool ok = find_pasid_entry(ctx, pasid, found);
    fpd = fpd || found.fault_processing_disable;
    if (!ok) return fault(found.fault, "PASID entry", fpd);
    const PasidEntry& pe = found.entry;
    if (access.execute && !pe.execute_requests)
        return fault(FaultReason::execute_requests_disabled, "execute request with ERE = 0", fpd);
    if (access.supervisor && !pe.supervisor_requests)
        return fault(FaultReason::supervisor_requests_disabled, "supervisor request with SRE = 0", fpd);

    const auto did = static_cast<std::uint16_t>(pe.domain_id);
    const Features& f = env_.features;
    FirstLevelConfig first;
    first.root = pe.first_level_table;
    first.five_level = pe.first_level_levels == 5;
    first.page_1g = f.first_level_1g;
    first.write_protect = pe.write_protect;
    first.no_execute_enabled = pe.no_execute;
    first.smep = pe.supervisor_execute_prevent;
    first.extended_accessed = pe.extended_accessed;
    first.host_address_bits = f.host_address_bits;
    const SecondLevelConfig second = second_level(pe.second_level_table, pe.second_level_input_bits,
                                                  pe.second_level_execute, pe.second_level_access_dirty);
    // Each stage's paging-structure cache, filled by the walks and counted in the result.
    const auto with_caches = [&](auto&& walk_stages) {
        if (!caches_.paging_structure) return walk_stages(nullptr, nullptr);
        StageWalkCache first_cache(*caches_.paging_structure, Stage::first, did, pasid, first.root);
        StageWalkCache second_cache(*caches_.paging_structure, Stage::second, did, kNoPasid, second.root);
        WalkResult walked = walk_stages(&first_cache, &second_cache);
        result_.work.walk_cache_hits += first_cache.hits() + second_cache.hits();
        result_.work.walk_cache_misses += (first_cache.missed() ? 1 : 0) + (second_cache.missed() ? 1 : 0);
        return walked;
    };

    switch (static_cast<GranularType>(pe.granular_type)) {
    case GranularType::pass_through:
        result_.pass_through = true;
        result_.permissions = all_permissions();
        if ((request_.address >> f.host_address_bits) != 0)
            return fault(FaultReason::input_beyond_width, "pass-through address beyond the host address width", fpd);
        return translated_output(request_.address, 12, fpd);
    case GranularType::first_level:
        return translate_paged(IotlbTag{did, pasid, TranslationKind::first_level}, access, fpd, [&] {
            return with_caches([&](WalkCache* fc, WalkCache*) {
                return first_level_walk(first, request_.address, access, memory_, fc);
            });
        });
    case GranularType::second_level:
        return translate_paged(IotlbTag{did, pasid, TranslationKind::second_level}, access, fpd, [&] {
            return with_caches([&](WalkCache*, WalkCache* sc) {
                return second_level_walk(second, request_.address, access, memory_, sc);
            });
        });
    case GranularType::nested:
        return translate_paged(IotlbTag{did, pasid, TranslationKind::nested}, access, fpd, [&] {
            return with_caches([&](WalkCache* fc, WalkCache* sc) {
                return nested_walk(first, second, request_.address, access, memory_, fc, sc);
            });
        });
    }
    return fault(FaultReason::pasid_entry_invalid, "PGTT", fpd);
}

PageRequestCheck Translator::check_page_request() {
    PageRequestCheck check;
    const auto refuse = [&](FaultReason reason, const char* why, bool qualified_fpd) {
        check.fault = reason;
        check.reason = why;
        check.record_fault = !(qualified_fpd && is_qualified(reason));
        check.work = result_.work;
        return check;
    };
    // Page requests are a scalable-mode feature: in legacy mode they fault RTA.3.
    if (env_.mode == TranslationTableMode::legacy)
        return refuse(FaultReason::page_request_in_legacy_mode, "page request in legacy mode", false);
    if (!(env_.mode == TranslationTableMode::scalable && env_.features.scalable_mode))
        return refuse(FaultReason::invalid_root_table_address, "RTADDR.TTM names a mode this unit does not implement",
                      false);
    CachedContext context;
    if (!find_context(context)) return refuse(context.fault, "context", context.fault_processing_disable);
    if (!context.scalable.page_request_enable)
        return refuse(FaultReason::sm_page_request_disabled, "page request with PRE = 0",
                      context.fault_processing_disable);
    check.work = result_.work;
    return check;
}

TranslationResult Translator::run() {
    if (env_.mode != TranslationTableMode::legacy &&
        !(env_.mode == TranslationTableMode::scalable && env_.features.scalable_mode))
        return fault(FaultReason::invalid_root_table_address, "RTADDR.TTM names a mode this unit does not implement");
    if (!scalable() && request_.pasid)
        return fault(FaultReason::pasid_request_in_legacy_mode, "request with PASID in legacy mode");
    CachedContext context;
    if (!find_context(context)) return fault(context.fault, "context", context.fault_processing_disable);
    return scalable() ? translate_scalable(context) : translate_legacy(context);
}

}  // namespace

bool is_access_error(FaultReason reason) {
    switch (reason) {
    case FaultReason::root_access_error:
    case FaultReason::context_access_error:
    case FaultReason::sm_root_access_error:
    case FaultReason::sm_context_access_error:
    case FaultReason::pasid_directory_access_error:
    case FaultReason::pasid_entry_access_error:
        return true;
    default:
        return false;
    }
}

TranslationRequestAnswer translation_request_answer(FaultReason reason) {
    using Answer = TranslationRequestAnswer;
    switch (reason) {
    // The page is not there or the rights do not allow the request: the endpoint may ask for it
    // with a page request (PCIe ATS: a completion with R = W = 0).
    case FaultReason::address_beyond_width:
    case FaultReason::write_denied:
    case FaultReason::read_denied:
    case FaultReason::fl_not_present:
    case FaultReason::fl_root_read_denied:
    case FaultReason::fl_table_read_denied:
    case FaultReason::fl_table_write_denied:
    case FaultReason::sl_permission:
    case FaultReason::non_canonical:
    case FaultReason::user_access_denied:
    case FaultReason::execute_denied:
    case FaultReason::input_beyond_width:
    case FaultReason::sl_output_beyond_width:
    case FaultReason::sm_write_denied:
    case FaultReason::sm_read_denied:
        return Answer::no_translation;
    // Software's configuration does not allow the request.
    case FaultReason::root_not_present:
    case FaultReason::context_not_present:
    case FaultReason::translation_type_blocked:
    case FaultReason::output_in_interrupt_range:
    case FaultReason::pasid_request_in_legacy_mode:
    case FaultReason::sm_root_not_present:
    case FaultReason::sm_context_not_present:
    case FaultReason::sm_translation_request_blocked:
    case FaultReason::sm_pasid_disabled:
    case FaultReason::sm_pasid_beyond_directory:
    case FaultReason::pasid_directory_not_present:
    case FaultReason::pasid_entry_not_present:
    case FaultReason::execute_requests_disabled:
    case FaultReason::supervisor_requests_disabled:
    case FaultReason::sm_output_in_interrupt_range:
        return Answer::unsupported_request;
    // Errors reading structures, reserved bits, invalid programming, failed A/D updates.
    default:
        return Answer::completer_abort;
    }
}

PageRequestCheck check_page_request(std::uint16_t source_id, const TranslationEnvironment& environment,
                                    TableMemory& memory, const TranslationCaches& caches) {
    TranslationRequest request;
    request.source_id = source_id;
    return Translator(request, environment, memory, caches).check_page_request();
}

bool is_qualified(FaultReason reason) {
    switch (reason) {
    case FaultReason::root_not_present:
    case FaultReason::root_access_error:
    case FaultReason::context_access_error:
    case FaultReason::root_reserved:
    case FaultReason::invalid_root_table_address:
    case FaultReason::pasid_request_in_legacy_mode:
    case FaultReason::page_request_in_legacy_mode:
    case FaultReason::sm_root_access_error:
    case FaultReason::sm_root_not_present:
    case FaultReason::sm_root_reserved:
    case FaultReason::sm_context_access_error:
    case FaultReason::pasid_directory_access_error:
    case FaultReason::pasid_entry_access_error:
        return false;
    default:
        return true;
    }
}

TranslationResult translate(const TranslationRequest& request, const TranslationEnvironment& environment,
                            TableMemory& memory, const TranslationCaches& caches) {
    return Translator(request, environment, memory, caches).run();
}

}  // namespace iommu_vp::vtd
