#include "models/vtd/context_entry.h"

#include "models/common/field_text.h"

#include <cstdio>

namespace iommu_vp::vtd {
namespace {

void append_width(std::string& text, unsigned aw, unsigned input_bits) {
    char buffer[48];
    if (input_bits != 0) std::snprintf(buffer, sizeof buffer, " AW=%u-bit", input_bits);
    else std::snprintf(buffer, sizeof buffer, " AW=%u(unsupported)", aw);
    text += buffer;
}

ContextEntry context_fields(const ContextWords& w) {
    using namespace context_entry;
    ContextEntry e;
    e.present = kPresent.is_set_in(w[0]);
    e.fault_processing_disable = kFaultProcessingDisable.is_set_in(w[0]);
    e.translation_type = static_cast<TranslationType>(kTranslationType.extract(w[0]));
    e.second_level_table = w[0] & kSecondLevelPointer.mask();
    e.address_width = static_cast<unsigned>(kAddressWidth.extract(w[1]));
    if (is_walkable_aw(e.address_width)) {
        e.input_bits = width_of_aw(e.address_width);
        e.levels = levels_of_width(e.input_bits);
    }
    e.domain_id = static_cast<unsigned>(kDomainId.extract(w[1]));
    e.available = static_cast<unsigned>(kAvailable.extract(w[1]));
    return e;
}

const char* context_reserved(const ContextWords& w, const Features& f) {
    using namespace context_entry;
    if (any_set(w[0], kReserved0.mask())) return "context entry: reserved bits [11:4] set";
    if (any_set(w[0], kSecondLevelPointer.mask() & above_host_width(f)))
        return "context entry: SLPTPTR above the host address width";
    if (any_set(w[1], kReserved1Low.mask() | kReserved1High.mask())) return "context entry: reserved bits [71] or [127:88] set";
    if (any_set(w[1], unused_domain_id_bits(f, context_entry::kDomainId))) return "context entry: DID bits above CAP.ND's width set";
    return nullptr;
}

const char* context_invalid(const ContextEntry& e, const Features& f) {
    switch (e.translation_type) {
    case TranslationType::reserved: return "context entry: TT = 3 is reserved";
    case TranslationType::pass_through:
        // AW is not consulted for pass-through (see the header).
        return f.pass_through ? nullptr : "context entry: TT = 2 (pass-through) but ECAP.PT = 0";
    case TranslationType::translated_device_tlb:
        if (!f.device_tlb) return "context entry: TT = 1 (device-TLB) but ECAP.DT = 0";
        break;
    case TranslationType::translated: break;
    }
    if (!is_walkable_aw(e.address_width) || !f.supports_width(e.input_bits))
        return "context entry: AW is not a width CAP.SAGAW lists";
    return nullptr;
}

ScalableContextEntry sm_context_fields(const ScalableContextWords& w, const Features& f) {
    using namespace sm_context_entry;
    ScalableContextEntry e;
    e.present = kPresent.is_set_in(w[0]);
    e.fault_processing_disable = kFaultProcessingDisable.is_set_in(w[0]);
    e.device_tlb_enable = kDeviceTlbEnable.is_set_in(w[0]);
    e.pasid_enable = kPasidEnable.is_set_in(w[0]);
    e.page_request_enable = kPageRequestEnable.is_set_in(w[0]);
    e.pasid_directory_size = static_cast<unsigned>(kPasidDirectorySize.extract(w[0]));
    e.pasid_directory = w[0] & kPasidDirectoryPointer.mask();
    e.rid_pasid = static_cast<std::uint32_t>(kRidPasid.extract(w[1]));
    // Without ECAP.RPS the unit uses PASID 0 whatever RID_PASID holds.
    e.effective_rid_pasid = f.rid_pasid ? e.rid_pasid : 0;
    e.rid_privilege = kRidPrivilege.is_set_in(w[1]);
    return e;
}

const char* sm_context_reserved(const ScalableContextWords& w, const Features& f) {
    using namespace sm_context_entry;
    if (any_set(w[0], kReserved0.mask())) return "scalable-mode context entry: reserved bits [8:5] set";
    if (any_set(w[0], kPasidDirectoryPointer.mask() & above_host_width(f)))
        return "scalable-mode context entry: PASIDDIRPTR above the host address width";
    if (any_set(w[1], kReserved1.mask())) return "scalable-mode context entry: reserved bits [127:85] set";
    if (w[2] != 0 || w[3] != 0) return "scalable-mode context entry: reserved bits [255:128] set";
    // Enables of features the unit does not report are Reserved(0).
    if (kDeviceTlbEnable.is_set_in(w[0]) && !f.device_tlb)
        return "scalable-mode context entry: DTE set but ECAP.DT = 0 (reserved)";
    if (kPageRequestEnable.is_set_in(w[0]) && !f.page_requests)
        return "scalable-mode context entry: PRE set but ECAP.PRS = 0 (reserved)";
    if (kRidPrivilege.is_set_in(w[1])) return "scalable-mode context entry: RID_PRIV set but ECAP.RPRIVS = 0 (reserved)";
    return nullptr;
}

}  // namespace

Decoded<RootEntry> decode_root_entry(const RootWords& words, const Features& features) {
    RootEntry e;
    e.present = root_entry::kPresent.is_set_in(words[0]);
    e.context_table = words[0] & root_entry::kContextTablePointer.mask();
    if (!e.present) return refuse(FaultReason::root_not_present, "root entry not present", e);
    if (any_set(words[0], root_entry::kReserved.mask())) return refuse(FaultReason::root_reserved, "root entry: reserved bits [11:1] set", e);
    if (any_set(words[0], root_entry::kContextTablePointer.mask() & above_host_width(features)))
        return refuse(FaultReason::root_reserved, "root entry: CTP above the host address width", e);
    if (words[1] != 0) return refuse(FaultReason::root_reserved, "root entry: reserved bits [127:64] set", e);
    return decoded(e);
}

Decoded<ScalableRootHalf> decode_sm_root_entry(const RootWords& words, unsigned devfn, const Features& features) {
    ScalableRootHalf e;
    e.upper = devfn >= kScalableUpperDevfn;
    const std::uint64_t half = words[e.upper ? 1 : 0];
    e.present = sm_root_entry::kPresent.is_set_in(half);
    e.context_table = half & sm_root_entry::kContextTablePointer.mask();
    if (!e.present)
        return refuse(FaultReason::sm_root_not_present,
                     e.upper ? "scalable-mode root entry: UP clear" : "scalable-mode root entry: LP clear", e);
    if (any_set(half, sm_root_entry::kReserved.mask()))
        return refuse(FaultReason::sm_root_reserved, "scalable-mode root entry: reserved bits [11:1] of the half set", e);
    if (any_set(half, sm_root_entry::kContextTablePointer.mask() & above_host_width(features)))
        return refuse(FaultReason::sm_root_reserved, "scalable-mode root entry: CTP above the host address width", e);
    return decoded(e);
}

Decoded<ContextEntry> decode_context_entry(const ContextWords& words, const Features& features) {
    const ContextEntry e = context_fields(words);
    if (!e.present) return refuse(FaultReason::context_not_present, "context entry not present", e);
    if (const char* why = context_reserved(words, features)) return refuse(FaultReason::context_reserved, why, e);
    if (const char* why = context_invalid(e, features)) return refuse(FaultReason::context_invalid, why, e);
    return decoded(e);
}

Decoded<ScalableContextEntry> decode_sm_context_entry(const ScalableContextWords& words, const Features& features) {
    const ScalableContextEntry e = sm_context_fields(words, features);
    if (!e.present) return refuse(FaultReason::sm_context_not_present, "scalable-mode context entry not present", e);
    if (const char* why = sm_context_reserved(words, features)) return refuse(FaultReason::sm_context_reserved, why, e);
    return decoded(e);
}

std::uint64_t root_entry_address(std::uint64_t root_table, unsigned bus) {
    return root_table + std::uint64_t{bus & 0xffu} * kRootEntryBytes;
}

std::uint64_t sm_root_half_address(std::uint64_t root_table, unsigned bus, unsigned devfn) {
    const std::uint64_t half_bytes = kRootEntryBytes / 2;
    return root_entry_address(root_table, bus) + ((devfn & 0xffu) >= kScalableUpperDevfn ? half_bytes : 0);
}

std::uint64_t context_entry_address(std::uint64_t context_table, unsigned devfn) {
    return context_table + std::uint64_t{devfn & 0xffu} * kContextEntryBytes;
}

std::uint64_t sm_context_entry_address(std::uint64_t context_table, unsigned devfn) {
    return context_table + std::uint64_t{devfn % kScalableUpperDevfn} * kScalableContextEntryBytes;
}

const char* translation_type_name(TranslationType type) {
    switch (type) {
    case TranslationType::translated: return "translated";
    case TranslationType::translated_device_tlb: return "translated+dev-tlb";
    case TranslationType::pass_through: return "pass-through";
    case TranslationType::reserved: return "reserved";
    }
    return "?";
}

std::string describe(const RootEntry& e) {
    std::string text;
    append_flag(text, "P", e.present);
    append_field(text, "CTP", e.context_table);
    return text;
}

std::string describe(const ScalableRootHalf& e) {
    std::string text;
    append_flag(text, e.upper ? "UP" : "LP", e.present);
    append_field(text, e.upper ? "UCTP" : "LCTP", e.context_table);
    return text;
}

std::string describe(const ContextEntry& e) {
    std::string text;
    append_flag(text, "P", e.present);
    append_flag(text, "FPD", e.fault_processing_disable);
    text += std::string(" TT=") + translation_type_name(e.translation_type);
    append_width(text, e.address_width, e.input_bits);
    append_field(text, "DID", e.domain_id);
    append_field(text, "SLPTPTR", e.second_level_table);
    if (e.available != 0) append_field(text, "AVAIL", e.available);
    return text;
}

std::string describe(const ScalableContextEntry& e) {
    std::string text;
    append_flag(text, "P", e.present);
    append_flag(text, "FPD", e.fault_processing_disable);
    append_flag(text, "DTE", e.device_tlb_enable);
    append_flag(text, "PASIDE", e.pasid_enable);
    append_flag(text, "PRE", e.page_request_enable);
    append_field(text, "PDTS", e.pasid_directory_size, false);
    append_field(text, "PASIDDIRPTR", e.pasid_directory);
    append_field(text, "RID_PASID", e.rid_pasid);
    append_flag(text, "RID_PRIV", e.rid_privilege);
    return text;
}

}  // namespace iommu_vp::vtd
