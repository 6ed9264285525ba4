#include "models/smmuv3/translate.h"

#include "models/common/little_endian.h"
#include "models/smmuv3/cd.h"
#include "models/smmuv3/ste.h"

#include <array>

namespace iommu_vp::smmuv3 {
namespace {

std::uint64_t load_le64(const std::uint8_t* bytes) { return load_le(bytes, 8); }

template <std::size_t N>
std::array<std::uint64_t, N> load_words(const std::uint8_t* bytes) {
    std::array<std::uint64_t, N> words{};
    for (std::size_t i = 0; i < N; ++i) words[i] = load_le64(bytes + 8 * i);
    return words;
}

EventType walk_fault_event(vmsa::FaultType type) {
    switch (type) {
    case vmsa::FaultType::translation: return EventType::F_TRANSLATION;
    case vmsa::FaultType::address_size: return EventType::F_ADDR_SIZE;
    case vmsa::FaultType::access_flag: return EventType::F_ACCESS;
    case vmsa::FaultType::permission: return EventType::F_PERMISSION;
    case vmsa::FaultType::external_abort: return EventType::F_WALK_EABT;
    case vmsa::FaultType::none:
    case vmsa::FaultType::stage2_fault: break;
    }
    return EventType::F_TRANSLATION;
}

bool fits(std::uint64_t address, unsigned bits) { return bits >= 64 || (address >> bits) == 0; }

// The NS-EL2 translation regime has one privilege level: every access is treated as privileged, so
// AP[1], APTable[0], PXN and PXNTable have no effect and bit 54 (XN) with XNTable is the only
// execute-never (Arm ARM VMSAv8-64 stage-1 permissions for a regime with one Exception level; SMMUv3
// 5.4 UWXN and HAD0: "all accesses are considered privileged" for StreamWorld any-EL2). Expressed as
// permissions that treat privileged and unprivileged accesses alike.
vmsa::Permissions single_privilege_level(vmsa::Permissions p) {
    p.unprivileged_access = true;
    p.privileged_execute_never = p.unprivileged_execute_never;
    return p;
}

// The faults whose recording CD.R (stage 1) and STE.S2R (stage 2) control, and which CD.A may
// terminate as RAZ/WI instead of an abort (SMMUv3 5.5).
bool is_translation_related(EventType type) {
    return type == EventType::F_TRANSLATION || type == EventType::F_ADDR_SIZE || type == EventType::F_ACCESS ||
           type == EventType::F_PERMISSION;
}

class Translator {
public:
    Translator(const TranslationRequest& request, const TranslationEnvironment& env, TableReader& reader,
               const TranslationCaches& caches)
        : request_(request), env_(env), reader_(reader), caches_(caches),
          access_{request.write, request.privileged, request.instruction && !request.write},
          check_access_(request.kind != RequestKind::translation_request) {}

    TranslationResult run();
    // The STE alone (find_stream_config).
    std::optional<StreamConfig> stream_config() {
        fetch_ste();
        if (ste_) return *ste_;
        return std::nullopt;
    }

private:
    // Physical descriptor reads for a walk (stage 2, or stage 1 without stage 2).
    class PhysicalReader : public vmsa::DescriptorReader {
    public:
        explicit PhysicalReader(Translator& t) : t_(t) {}
        vmsa::FetchStatus read_descriptor(std::uint64_t address, std::uint64_t& descriptor) override {
            std::uint8_t bytes[8];
            ++t_.result_.descriptor_fetches;
            t_.last_read_pa_ = address;
            if (!t_.reader_.read(address, bytes, 8)) return vmsa::FetchStatus::external_abort;
            descriptor = load_le64(bytes);
            return vmsa::FetchStatus::ok;
        }
        vmsa::FetchStatus compare_and_swap_descriptor(std::uint64_t address, std::uint64_t expected,
                                                      std::uint64_t desired, std::uint64_t& observed) override {
            ++t_.result_.descriptor_fetches;
            t_.last_read_pa_ = address;
            return t_.reader_.compare_exchange64(address, expected, desired, observed)
                       ? vmsa::FetchStatus::ok
                       : vmsa::FetchStatus::external_abort;
        }

    private:
        Translator& t_;
    };
    // Stage-1 descriptor reads of a nested stream: each table address is an IPA.
    class NestedReader : public vmsa::DescriptorReader {
    public:
        explicit NestedReader(Translator& t) : t_(t) {}
        vmsa::FetchStatus read_descriptor(std::uint64_t ipa, std::uint64_t& descriptor) override {
            const std::optional<std::uint64_t> pa = t_.stage2(ipa, EventClass::TT, vmsa::Access{false, true, false});
            if (!pa) return vmsa::FetchStatus::stage2_fault;
            return PhysicalReader(t_).read_descriptor(*pa, descriptor);
        }
        // A stage-1 descriptor update writes its IPA: stage 2 translates it as a write (SMMUv3 3.13.5).
        vmsa::FetchStatus compare_and_swap_descriptor(std::uint64_t ipa, std::uint64_t expected, std::uint64_t desired,
                                                      std::uint64_t& observed) override {
            const std::optional<std::uint64_t> pa = t_.stage2(ipa, EventClass::TT, vmsa::Access{true, true, false});
            if (!pa) return vmsa::FetchStatus::stage2_fault;
            return PhysicalReader(t_).compare_and_swap_descriptor(*pa, expected, desired, observed);
        }

    private:
        Translator& t_;
    };

    bool read_structure(std::uint64_t address, std::uint8_t* bytes, unsigned length) {
        ++result_.descriptor_fetches;
        last_read_pa_ = address;
        return reader_.read(address, bytes, length);
    }
    // A structure (L1CD, CD) at an address that is an IPA for a stream with stage 2.
    bool read_configuration(std::uint64_t address, std::uint8_t* bytes, unsigned length, bool& stage2_faulted);

    // Set ste_ / cd_ to the cached entry, or to a fresh decode kept in the storage member.
    bool fetch_ste();
    bool fetch_cd();
    std::optional<std::uint64_t> stage1(const Decoded<TableSelection>& table);
    std::optional<std::uint64_t> stage2(std::uint64_t ipa, EventClass event_class, const vmsa::Access& access);

    void terminate(EventType type, bool record, const char* reason = "");
    // After terminate() for a Translation-related fault: with `stall_flag` (CD.S or STE.S2S) set and an
    // untranslated transaction, the transaction stalls and its event is recorded (SMMUv3 5.5).
    void stall_if(bool stall_flag);
    // ATS requests: whether the STE lets them in (F_BAD_ATS_TREQ / F_TRANSL_FORBIDDEN when not).
    bool ats_allowed();
    // What a translation request's completion grants with these stages' permissions (13.7.1).
    AtsGrant ats_grant(const vmsa::Permissions* stage1, const vmsa::Permissions* stage2) const;
    void configuration_error(ConfigOutcome outcome, const char* reason);
    EventRecord base_event(EventType type) const;

    bool translate_from_tlb(TlbStages stages, std::uint16_t vmid, std::uint32_t asid, std::uint64_t address);
    void apply_attribute_overrides();
    // Stage-1-only EL1 translations are tagged with S2VMID too when stage 2 is implemented; EL2 and
    // EL2-E2H translations have no VMID (STE.S2VMID is IGNORED for them, 5.2).
    std::uint16_t vmid() const {
        return env_.features.stage2 && world_ == StreamWorld::ns_el1 ? static_cast<std::uint16_t>(ste_->s2_vmid) : 0;
    }
    // The ASID stage-1 entries are tagged with: none (global) in NS-EL2 (CD.ASID is IGNORED, 5.4).
    std::uint32_t stage1_asid() const { return world_ == StreamWorld::ns_el2 ? kGlobalAsid : cd_->asid; }
    void fill_tlb(TlbStages stages, std::uint16_t vmid, std::uint32_t asid, std::uint64_t input, std::uint64_t output);

    const TranslationRequest& request_;
    const TranslationEnvironment& env_;
    TableReader& reader_;
    const TranslationCaches& caches_;
    // What the walks found, for the TLB fill.
    vmsa::Permissions stage1_permissions_, stage2_permissions_;
    bool stage1_global_ = false;
    unsigned stage1_size_bits_ = 12;
    // Granule and leaf level of the walk that TLBIs by address name (TG and TTL, 4.4.1.1).
    unsigned stage1_granule_bits_ = 12, stage1_level_ = 3;
    unsigned stage2_level_ = 3;
    // The stream's StreamWorld (STE.STRW with SMMU_CR2.E2H): the regime its TLB entries belong to.
    StreamWorld world_ = StreamWorld::ns_el1;
    // The physical address of the last structure or descriptor read: what a fetch abort reports
    // as FetchAddr (SMMUv3 7.3.10, 7.3.12), an IPA never.
    std::uint64_t last_read_pa_ = 0;
    std::uint64_t ipa_ = 0;
    // The configuration in use: a cache entry (no copy on the hit path) or the storage below.
    const StreamConfig* ste_ = nullptr;
    const ContextConfig* cd_ = nullptr;
    std::optional<StreamConfig> ste_storage_;  // constructed only on a miss
    std::optional<ContextConfig> cd_storage_;
    bool terminated_ = false;
    // The access as translation sees it: the incoming attributes, then the STE's PRIVCFG and
    // INSTCFG overrides once the STE is known.
    vmsa::Access access_;
    unsigned last_stage2_size_bits_ = 64;
    // False for translation requests: the walk finds the permissions, the completion reports them.
    bool check_access_ = true;
    TranslationResult result_;
};

EventRecord Translator::base_event(EventType type) const {
    EventRecord e;
    e.type = type;
    e.stream_id = request_.stream_id;
    e.ssv = request_.substream_id.has_value();
    e.substream_id = request_.substream_id.value_or(0);
    e.input_addr = request_.address;
    e.rnw = !request_.write;
    // InD and PnU as the STE's overrides left them.
    e.ind = access_.instruction;
    e.pnu = access_.privileged;
    return e;
}

void Translator::terminate(EventType type, bool record, const char* reason) {
    if (terminated_) return;  // the first fault found is the one reported
    terminated_ = true;
    result_.kind = TranslationResult::Kind::terminated;
    result_.response = FaultResponse::abort;
    result_.record_event = record;
    result_.event = base_event(type);
    result_.reason = reason;
}

void Translator::stall_if(bool stall_flag) {
    if (!stall_flag || request_.kind != RequestKind::untranslated) return;
    result_.stall = true;
    result_.record_event = true;
}

void Translator::configuration_error(ConfigOutcome outcome, const char* reason) {
    if (outcome == ConfigOutcome::abort_silently) {
        terminated_ = true;
        result_.kind = TranslationResult::Kind::terminated;
        result_.response = FaultResponse::abort;
        result_.record_event = false;
        result_.reason = reason;
        result_.stream_aborted = true;
        return;
    }
    // C_BAD_STREAMID is recorded only when CR2.RECINVSID asks for it (SMMUv3 6.3.12).
    const bool record = outcome != ConfigOutcome::bad_streamid || env_.record_invalid_stream_ids;
    terminate(static_cast<EventType>(event_id(outcome)), record, reason);
}

bool Translator::fetch_ste() {
    if (caches_.config) {
        if (const CachedStream* cached = caches_.config->find_ste(request_.stream_id)) {
            result_.ste_cache_hit = true;
            result_.stream_stats = cached->stats;
            ste_ = &cached->config;
            return true;
        }
    }
    const Decoded<StreamTableStep> step = locate_stream_entry(env_.stream_table, env_.features, request_.stream_id);
    if (!step.ok()) {
        configuration_error(step.outcome, step.reason);
        return false;
    }
    std::uint64_t ste_address = step.value.address;
    if (step.value.is_l1_descriptor) {
        std::uint8_t l1[kL1StdBytes];
        if (!read_structure(step.value.address, l1, kL1StdBytes)) {
            terminate(EventType::F_STE_FETCH, true, "L1 stream table descriptor fetch aborted");
            result_.event.fetch_addr = step.value.address;
            return false;
        }
        const Decoded<std::uint64_t> l2 =
            locate_ste_in_level2(env_.stream_table, env_.features, load_le64(l1), request_.stream_id);
        if (!l2.ok()) {
            configuration_error(l2.outcome, l2.reason);
            return false;
        }
        ste_address = l2.value;
    }
    std::uint8_t bytes[kSteBytes];
    result_.ste_fetched = true;
    if (!read_structure(ste_address, bytes, kSteBytes)) {
        terminate(EventType::F_STE_FETCH, true, "STE fetch aborted");
        result_.event.fetch_addr = ste_address;
        return false;
    }
    const Decoded<StreamConfig> decoded = decode_ste(load_words<8>(bytes), env_.features);
    if (!decoded.ok()) {
        // A valid STE that aborts (Config == 0b000) is still an STE: find_stream_config reads it.
        if (decoded.outcome == ConfigOutcome::abort_silently) ste_ = &ste_storage_.emplace(decoded.value);
        configuration_error(decoded.outcome, decoded.reason);
        return false;
    }
    ste_ = &ste_storage_.emplace(decoded.value);
    if (caches_.stream_stats) result_.stream_stats = caches_.stream_stats->stats_for(request_.stream_id);
    // Only valid, legal STEs are cached: an invalid one is fetched again on the next transaction.
    if (caches_.config) caches_.config->fill_ste(request_.stream_id, *ste_, result_.stream_stats);
    return true;
}

bool Translator::read_configuration(std::uint64_t address, std::uint8_t* bytes, unsigned length,
                                    bool& stage2_faulted) {
    stage2_faulted = false;
    std::uint64_t pa = address;
    if (ste_->has_stage2()) {
        const std::optional<std::uint64_t> translated = stage2(address, EventClass::CD, vmsa::Access{false, true, false});
        if (!translated) {
            stage2_faulted = true;
            return false;
        }
        pa = *translated;
    }
    return read_structure(pa, bytes, length);
}

bool Translator::fetch_cd() {
    const Decoded<CdLocation> location = locate_cd(*ste_, env_.features, request_.substream_id);
    if (!location.ok()) {
        configuration_error(location.outcome, location.reason);
        return false;
    }
    if (location.value.stage1_bypass) return false;
    const CdKey key{request_.stream_id, location.value.substream};
    if (caches_.config) {
        if (const ContextConfig* cached = caches_.config->find_cd(key)) {
            result_.cd_cache_hit = true;
            cd_ = cached;
            return true;
        }
    }
    std::uint64_t cd_address = location.value.address;
    bool stage2_faulted = false;
    result_.cd_fetched = true;
    if (location.value.is_l1_descriptor) {
        std::uint8_t l1[kL1CdBytes];
        if (!read_configuration(location.value.address, l1, kL1CdBytes, stage2_faulted)) {
            if (!stage2_faulted) {
                terminate(EventType::F_CD_FETCH, true, "L1 CD fetch aborted");
                result_.event.fetch_addr = last_read_pa_;
            }
            return false;
        }
        const Decoded<std::uint64_t> l2 =
            locate_cd_in_level2(*ste_, env_.features, load_le64(l1), location.value.substream);
        if (!l2.ok()) {
            configuration_error(l2.outcome, l2.reason);
            return false;
        }
        cd_address = l2.value;
    }
    std::uint8_t bytes[kCdBytes];
    if (!read_configuration(cd_address, bytes, kCdBytes, stage2_faulted)) {
        if (!stage2_faulted) {
            terminate(EventType::F_CD_FETCH, true, "CD fetch aborted");
            result_.event.fetch_addr = last_read_pa_;
        }
        return false;
    }
    const Decoded<ContextConfig> decoded =
        decode_cd(load_words<8>(bytes), *ste_, world_, env_.features);
    if (!decoded.ok()) {
        configuration_error(decoded.outcome, decoded.reason);
        return false;
    }
    cd_ = &cd_storage_.emplace(decoded.value);
    if (caches_.config) caches_.config->fill_cd(key, *cd_);
    return true;
}

std::optional<std::uint64_t> Translator::stage2(std::uint64_t ipa, EventClass event_class,
                                                const vmsa::Access& access) {
    PhysicalReader physical(*this);
    std::optional<ContextWalkCache> walk_cache;
    if (caches_.walk)
        walk_cache.emplace(*caches_.walk, std::uint8_t{2}, vmid(), 0, ste_->stage2.table_base,
                           ste_->stage2.granule_bits);
    const vmsa::WalkResult walk =
        vmsa::walk(ste_->stage2, ipa, physical, walk_cache ? &*walk_cache : nullptr, &access);
    result_.hardware_updates += walk.updates;
    if (walk_cache) {
        result_.walk_cache_hits += walk_cache->hits();
        result_.walk_cache_misses += walk_cache->missed() ? 1u : 0u;
    }
    EventType fault = EventType::F_TRANSLATION;
    bool faulted = !walk.ok();
    if (faulted) {
        fault = walk_fault_event(walk.fault.type);
    } else if ((check_access_ || event_class != EventClass::IN) &&
               vmsa::check_access(vmsa::Stage::two, walk.translation.permissions, access) != vmsa::FaultType::none) {
        fault = EventType::F_PERMISSION;
        faulted = true;
    } else if (event_class != EventClass::IN && ste_->s2_ptw &&
               ((walk.translation.memory_attributes >> 2) & 0b11) == 0) {
        // STE.S2PTW (SMMUv3 5.2): a CD fetch or stage-1 table walk to a stage-2 page of any Device
        // type (MemAttr[3:2] == 0b00) is a stage-2 permission fault.
        fault = EventType::F_PERMISSION;
        faulted = true;
    }
    if (faulted) {
        const bool record = fault == EventType::F_WALK_EABT || !is_translation_related(fault) || ste_->s2_r;
        terminate(fault, record);
        if (is_translation_related(fault)) stall_if(ste_->s2_s);
        result_.event.s2 = true;
        result_.event.ipa = ipa;
        result_.event.event_class = event_class;
        // TTRnW: a stage-1 table read, or the write of a stage-1 descriptor's HTTU update (7.3.16).
        result_.event.ttrnw = event_class == EventClass::TT && !access.write;
        if (fault == EventType::F_WALK_EABT) result_.event.fetch_addr = walk.fault.descriptor_address;
        return std::nullopt;
    }
    if (event_class == EventClass::IN) {
        last_stage2_size_bits_ = walk.translation.size_bits;
        stage2_level_ = walk.translation.level;
        stage2_permissions_ = walk.translation.permissions;
    }
    return walk.translation.output_address;
}

std::optional<std::uint64_t> Translator::stage1(const Decoded<TableSelection>& table) {
    if (!table.ok()) {
        terminate(EventType::F_TRANSLATION, cd_->r, table.reason);
        if (!cd_->a) result_.response = FaultResponse::raz_wi;
        stall_if(cd_->s);
        return std::nullopt;
    }
    PhysicalReader physical(*this);
    NestedReader nested(*this);
    vmsa::DescriptorReader& reader = ste_->has_stage2() ? static_cast<vmsa::DescriptorReader&>(nested) : physical;
    std::optional<ContextWalkCache> walk_cache;
    if (caches_.walk)
        walk_cache.emplace(*caches_.walk, std::uint8_t{1}, vmid(), stage1_asid(), table.value.walk.table_base,
                           table.value.walk.granule_bits, world_);
    // NS-EL2 has one privilege level: the HTTU dirty decision treats the access as privileged, as
    // single_privilege_level() does the permissions (for a write, only AP[2] and APTable[1] count).
    vmsa::Access walk_access = access_;
    if (world_ == StreamWorld::ns_el2) walk_access.privileged = true;
    const vmsa::WalkResult walk = vmsa::walk(table.value.walk, table.value.walk_address, reader,
                                             walk_cache ? &*walk_cache : nullptr, &walk_access);
    result_.hardware_updates += walk.updates;
    if (walk_cache) {
        result_.walk_cache_hits += walk_cache->hits();
        result_.walk_cache_misses += walk_cache->missed() ? 1u : 0u;
    }
    if (walk.fault.type == vmsa::FaultType::stage2_fault) return std::nullopt;  // already terminated by stage 2
    const vmsa::Permissions permissions = world_ == StreamWorld::ns_el2
                                              ? single_privilege_level(walk.translation.permissions)
                                              : walk.translation.permissions;
    EventType fault = EventType::F_TRANSLATION;
    bool faulted = !walk.ok();
    if (faulted) {
        fault = walk_fault_event(walk.fault.type);
    } else if (check_access_ && vmsa::check_access(vmsa::Stage::one, permissions, access_) != vmsa::FaultType::none) {
        fault = EventType::F_PERMISSION;
        faulted = true;
    }
    if (faulted) {
        const bool translation_related = is_translation_related(fault);
        terminate(fault, !translation_related || cd_->r);
        if (translation_related && !cd_->a) result_.response = FaultResponse::raz_wi;
        if (translation_related) stall_if(cd_->s);
        if (fault == EventType::F_WALK_EABT) {
            // SMMUv3 7.3.12: a stage-1 table walk abort is S2 = 0, CLASS = TT, FetchAddr the PA.
            result_.event.event_class = EventClass::TT;
            result_.event.fetch_addr = last_read_pa_;
        }
        return std::nullopt;
    }
    result_.size_bits = walk.translation.size_bits;
    stage1_size_bits_ = walk.translation.size_bits;
    stage1_granule_bits_ = table.value.walk.granule_bits;
    stage1_level_ = walk.translation.level;
    stage1_permissions_ = permissions;
    // NS-EL2 entries are never ASID-tagged: nG has no effect there (5.4 ASID).
    stage1_global_ = !walk.translation.not_global || world_ == StreamWorld::ns_el2;
    return walk.translation.output_address;
}

void Translator::apply_attribute_overrides() {
    // STE.PRIVCFG and STE.INSTCFG (SMMUv3 5.2): 0b0x use the incoming attribute (0b01 is reserved
    // and behaves so), 0b10 forces unprivileged / data, 0b11 privileged / instruction. INSTCFG
    // affects reads only: a write is always a data access.
    if (ste_->privcfg == 0b10) access_.privileged = false;
    if (ste_->privcfg == 0b11) access_.privileged = true;
    if (!request_.write && ste_->instcfg == 0b10) access_.instruction = false;
    if (!request_.write && ste_->instcfg == 0b11) access_.instruction = true;
}

bool Translator::translate_from_tlb(TlbStages stages, std::uint16_t vmid, std::uint32_t asid, std::uint64_t address) {
    unsigned size_bits = 12;
    result_.tlb_looked_up = true;
    const TlbEntry* hit = caches_.tlb->lookup(vmid, asid, stages, address, result_.tlb_probes, size_bits, world_);
    if (!hit) return false;
    result_.tlb_hit = true;
    const std::uint64_t offset = address & low_mask(size_bits);
    const vmsa::Access& access = access_;
    // HTTU: an entry of a writable-clean page cannot serve a write (or a translation request for
    // write): the write walks again and marks the descriptor in memory dirty first. Looked at only
    // where the entry refuses the write (or for translation requests), never on a permitted hit.
    const auto walk_to_mark_dirty = [&](const vmsa::Permissions& p) {
        if (!request_.write || !p.writable_clean) return false;
        result_.tlb_hit = false;
        return true;
    };
    if (!check_access_) {
        if (walk_to_mark_dirty(hit->stage1) || walk_to_mark_dirty(hit->stage2)) return false;
        result_.ats_grant = ats_grant(stages != TlbStages::stage2 ? &hit->stage1 : nullptr,
                                      stages != TlbStages::stage1 ? &hit->stage2 : nullptr);
    } else if (stages != TlbStages::stage2 &&
        vmsa::check_access(vmsa::Stage::one, hit->stage1, access) != vmsa::FaultType::none) {
        if (walk_to_mark_dirty(hit->stage1)) return false;
        terminate(EventType::F_PERMISSION, cd_->r);
        if (!cd_->a) result_.response = FaultResponse::raz_wi;
        stall_if(cd_->s);
        return true;
    } else if (stages != TlbStages::stage1 &&
               vmsa::check_access(vmsa::Stage::two, hit->stage2, access) != vmsa::FaultType::none) {
        if (walk_to_mark_dirty(hit->stage2)) return false;
        terminate(EventType::F_PERMISSION, ste_->s2_r);
        stall_if(ste_->s2_s);
        result_.event.s2 = true;
        // Stage-2-only streams take the input address as the IPA.
        result_.event.ipa = stages == TlbStages::nested ? hit->ipa_base + offset : request_.address;
        result_.event.event_class = EventClass::IN;
        return true;
    }
    result_.kind = TranslationResult::Kind::translated;
    result_.output_address = hit->output_base + offset;
    result_.size_bits = size_bits;
    return true;
}

void Translator::fill_tlb(TlbStages stages, std::uint16_t vmid, std::uint32_t asid, std::uint64_t input,
                          std::uint64_t output) {
    const std::uint64_t page_mask = low_mask(result_.size_bits);
    TlbEntry entry;
    entry.output_base = output & ~page_mask;
    entry.stage1 = stage1_permissions_;
    entry.stage2 = stage2_permissions_;
    entry.ipa_base = ipa_ & ~page_mask;
    entry.stage1_size_bits = static_cast<std::uint8_t>(stage1_size_bits_);
    const bool stage2_only = stages == TlbStages::stage2;
    entry.granule_bits = static_cast<std::uint8_t>(stage2_only ? ste_->stage2.granule_bits : stage1_granule_bits_);
    entry.leaf_level = static_cast<std::uint8_t>(stage2_only ? stage2_level_ : stage1_level_);
    const std::uint32_t tag = !stage2_only && stage1_global_ ? kGlobalAsid : asid;
    caches_.tlb->fill(vmid, tag, stages, input, result_.size_bits, entry, world_);
}

bool Translator::ats_allowed() {
    // STE.EATS (SMMUv3 5.2): IGNORED, so 0b00, for bypass (Config[1:0] == 0b00); 0b10 counts only
    // with CR0.ATSCHK == 1 (split stage, ILLEGAL here anyway); 0b11 without DPT is 0b00 (decode_ste).
    unsigned eats = ste_->effective_eats;
    if (eats == 0b10 && !env_.ats_check) eats = 0;
    if (eats != 0) return true;
    if (request_.kind == RequestKind::translation_request) {
        terminate(EventType::F_BAD_ATS_TREQ, true, "ATS translation request with STE.EATS effectively 0b00");
    } else {
        terminate(EventType::F_TRANSL_FORBIDDEN, true, "translated transaction with STE.EATS effectively 0b00");
    }
    return false;
}

AtsGrant Translator::ats_grant(const vmsa::Permissions* stage1, const vmsa::Permissions* stage2) const {
    // SMMUv3 13.7.1: permissions at the effective privilege (PRIVCFG applied: access_.privileged);
    // INSTCFG decides how Exe and R relate. In this walker an instruction fetch needs read
    // permission too, so execute-only pages (which ATS cannot express) do not arise.
    const auto allowed = [&](bool write, bool instruction) {
        const vmsa::Access access{write, access_.privileged, instruction};
        return (!stage1 || vmsa::check_access(vmsa::Stage::one, *stage1, access) == vmsa::FaultType::none) &&
               (!stage2 || vmsa::check_access(vmsa::Stage::two, *stage2, access) == vmsa::FaultType::none);
    };
    const bool ttd_r = allowed(false, false);
    const bool ttd_x = allowed(false, true);
    const bool exe_requested = request_.instruction;
    AtsGrant grant;
    switch (ste_->instcfg) {
    case 0b11:  // every read is an instruction fetch
        grant.read = ttd_x;
        grant.execute = exe_requested && ttd_x;
        break;
    case 0b10:  // every read is a data read
        grant.read = ttd_r;
        grant.execute = exe_requested && ttd_r;
        break;
    default:  // use incoming
        grant.read = ttd_r;
        grant.execute = exe_requested && ttd_r && ttd_x;
        break;
    }
    // W only when asked for (NW == 0): permitted either way without HTTU (13.7), and as the VT-d
    // model answers.
    grant.write = request_.write && allowed(true, false);
    return grant;
}

TranslationResult Translator::run() {
    // The translation covers the smaller of the stage-1 and stage-2 pages or blocks it went through.
    result_.size_bits = 64;
    if (!fetch_ste()) return result_;
    world_ = stream_world(*ste_, env_.cr2_e2h);
    if (request_.kind != RequestKind::untranslated) {
        if (!ats_allowed()) return result_;
        if (request_.kind == RequestKind::translated) {
            // Full ATS: the address is already a PA and passes (the caller checks its size).
            result_.kind = TranslationResult::Kind::translated;
            result_.output_address = request_.address;
            result_.size_bits = 12;
            return result_;
        }
    }
    apply_attribute_overrides();
    std::uint64_t address = request_.address;
    // A SubstreamID needs stage 1 (SMMUv3 7.3.9: C_BAD_SUBSTREAMID when stage 1 is disabled,
    // whatever stage 2 does).
    if (request_.substream_id && !ste_->has_stage1()) {
        configuration_error(ConfigOutcome::bad_substreamid, "a SubstreamID on a stream without stage 1");
        return result_;
    }
    if (ste_->mode == StreamMode::bypass) {
        // Untranslated output beyond the OAS: a stage-1 F_ADDR_SIZE (SMMUv3 3.4).
        if (!fits(address, env_.features.oas_bits)) {
            terminate(EventType::F_ADDR_SIZE, true, "bypassed address beyond the OAS");
            return result_;
        }
        result_.kind = TranslationResult::Kind::translated;
        result_.output_address = address;
        result_.size_bits = 12;
        return result_;
    }
    bool stage1_active = false;
    if (ste_->has_stage1()) {
        stage1_active = fetch_cd();
        if (terminated_) return result_;
    }
    // Stage 1 bypassed: the input is the IPA, which must fit the IAS (SMMUv3 3.4: a stage-1
    // F_ADDR_SIZE, S2 = 0, CLASS = IN).
    if (!stage1_active && !fits(address, intermediate_address_bits(env_.features))) {
        terminate(EventType::F_ADDR_SIZE, true, "input beyond the IAS with stage 1 bypassed");
        return result_;
    }
    // With top-byte-ignore the TLB is keyed by the canonical address the walk uses, so that an
    // invalidation by the untagged VA finds the entry and tags make no duplicates.
    std::uint64_t lookup_address = address;
    if (stage1_active) {
        // VA[55] picks the range; its TBI bit makes VA[63:56] a copy of VA[55] (SMMUv3 3.4.1).
        const bool upper = (address >> 55) & 1;
        if (upper ? cd_->tbi1 : cd_->tbi0)
            lookup_address = (address & low_mask(56)) | (upper ? ~low_mask(56) : 0);
    }
    const TlbStages stages = stage1_active ? (ste_->has_stage2() ? TlbStages::nested : TlbStages::stage1)
                                           : TlbStages::stage2;
    const std::uint16_t vmid = this->vmid();
    const std::uint32_t asid = stage1_active ? stage1_asid() : 0;
    const bool use_tlb = caches_.tlb && (stage1_active || ste_->has_stage2());
    if (use_tlb && translate_from_tlb(stages, vmid, asid, lookup_address)) return result_;
    // A miss walks, and a walk reads through the downstream port, where a target may wait and
    // let other translations refill the caches: work on copies of the configuration from here.
    if (!ste_storage_ || ste_ != &*ste_storage_) ste_ = &ste_storage_.emplace(*ste_);
    if (cd_ && (!cd_storage_ || cd_ != &*cd_storage_)) cd_ = &cd_storage_.emplace(*cd_);
    const std::uint64_t tlb_generation = caches_.tlb ? caches_.tlb->generation() : 0;

    if (stage1_active) {
        const std::optional<std::uint64_t> ipa = stage1(select_translation_table(*cd_, address));
        if (!ipa) return result_;
        address = *ipa;
        // A translation request whose stage 1 grants nothing is not translated at stage 2 (3.9.1.2).
        if (!check_access_ && ste_->has_stage2() && !ats_grant(&stage1_permissions_, nullptr).any()) {
            result_.kind = TranslationResult::Kind::translated;
            result_.output_address = address;
            return result_;
        }
    }
    ipa_ = address;
    if (ste_->has_stage2()) {
        // A nested translation request asks stage 2 for write only if stage 1 grants it: a stage 1
        // that does not leaves the stage-2 descriptor clean too (SMMUv3 3.13.7.1).
        vmsa::Access stage2_access = access_;
        if (!check_access_ && stage1_active && !ats_grant(&stage1_permissions_, nullptr).write)
            stage2_access.write = false;
        const std::optional<std::uint64_t> pa = stage2(address, EventClass::IN, stage2_access);
        if (!pa) {
            result_.event.input_addr = request_.address;
            return result_;
        }
        address = *pa;
        if (last_stage2_size_bits_ < result_.size_bits) result_.size_bits = last_stage2_size_bits_;
    }
    result_.kind = TranslationResult::Kind::translated;
    result_.output_address = address;
    if (result_.size_bits == 64) result_.size_bits = 12;
    // With stage 1 skipped (S1DSS) and no stage 2, a translation request gets the identity with
    // every permission (3.9.1.2).
    if (!check_access_)
        result_.ats_grant = ats_grant(stage1_active ? &stage1_permissions_ : nullptr,
                                      ste_->has_stage2() ? &stage2_permissions_ : nullptr);
    // A translation that raced an invalidation is not cached: it may predate it.
    if (use_tlb && caches_.tlb->generation() == tlb_generation) fill_tlb(stages, vmid, asid, lookup_address, address);
    return result_;
}

}  // namespace

TranslationResult translate(const TranslationRequest& request, const TranslationEnvironment& environment,
                            TableReader& reader, const TranslationCaches& caches) {
    return Translator(request, environment, reader, caches).run();
}

AtsAnswer ats_answer(const TranslationResult& result) {
    if (result.kind == TranslationResult::Kind::translated) return AtsAnswer::translation;
    if (result.stream_aborted) return AtsAnswer::unsupported_request;
    switch (result.event.type) {
    case EventType::F_BAD_ATS_TREQ: return AtsAnswer::unsupported_request;
    case EventType::F_TRANSLATION:
    case EventType::F_ADDR_SIZE:
    case EventType::F_ACCESS:
    case EventType::F_PERMISSION: return AtsAnswer::no_translation;
    default: return AtsAnswer::completer_abort;
    }
}

std::optional<StreamConfig> find_stream_config(std::uint32_t stream_id, const TranslationEnvironment& environment,
                                               TableReader& reader, const TranslationCaches& caches) {
    TranslationRequest request;
    request.stream_id = stream_id;
    return Translator(request, environment, reader, caches).stream_config();
}

}  // namespace iommu_vp::smmuv3
