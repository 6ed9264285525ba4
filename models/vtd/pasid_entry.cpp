#include "models/vtd/pasid_entry.h"

#include "models/common/field_text.h"

namespace iommu_vp::vtd {
namespace {

// FLPM 0 walks 4 levels (48-bit input), FLPM 1 walks 5 (57-bit); 2 and 3 are reserved.
constexpr unsigned kFourLevelPaging = 0;
constexpr unsigned kFiveLevelPaging = 1;
constexpr unsigned kFirstLevelBaseLevels = 4;
// First-level tables resolve 9 bits a level above the 4 KiB page offset.
constexpr unsigned kPageOffsetBits = 12;
constexpr unsigned kBitsPerLevel = 9;
constexpr unsigned kFirstWordOfReservedTail = 3;  // words 3..7 are reserved

// The memory-type fields, reserved because the model never reports ECAP.MTS.
std::uint64_t memory_type_fields() {
    using namespace pasid_entry;
    return kCacheDisable.mask() | kExtendedMemoryTypeEnable.mask() | kExtendedMemoryType.mask() |
           kPageWriteThrough.mask() | kPageCacheDisable.mask() | kPageAttributeTable.mask();
}

void decode_second_level(const PasidEntryWords& w, PasidEntry& e) {
    using namespace pasid_entry;
    e.address_width = static_cast<unsigned>(kAddressWidth.extract(w[0]));
    if (is_walkable_aw(e.address_width)) {
        e.second_level_input_bits = width_of_aw(e.address_width);
        e.second_level_levels = levels_of_width(e.second_level_input_bits);
    }
    e.second_level_execute = kSecondLevelExecute.is_set_in(w[0]);
    e.second_level_access_dirty = kSecondLevelAccessDirty.is_set_in(w[0]);
    e.second_level_table = w[0] & kSecondLevelPointer.mask();
}

void decode_attributes(const PasidEntryWords& w, PasidEntry& e) {
    using namespace pasid_entry;
    e.domain_id = static_cast<unsigned>(kDomainId.extract(w[1]));
    e.page_walk_snoop = kPageWalkSnoop.is_set_in(w[1]);
    e.page_snoop = kPageSnoop.is_set_in(w[1]);
    e.cache_disable = kCacheDisable.is_set_in(w[1]);
    e.extended_memory_type_enable = kExtendedMemoryTypeEnable.is_set_in(w[1]);
    e.extended_memory_type = static_cast<unsigned>(kExtendedMemoryType.extract(w[1]));
    e.page_write_through = kPageWriteThrough.is_set_in(w[1]);
    e.page_cache_disable = kPageCacheDisable.is_set_in(w[1]);
    e.page_attribute_table = static_cast<std::uint32_t>(kPageAttributeTable.extract(w[1]));
}

void decode_first_level(const PasidEntryWords& w, PasidEntry& e) {
    using namespace pasid_entry;
    e.supervisor_requests = kSupervisorRequests.is_set_in(w[2]);
    e.execute_requests = kExecuteRequests.is_set_in(w[2]);
    e.first_level_paging_mode = static_cast<unsigned>(kFirstLevelPagingMode.extract(w[2]));
    if (e.first_level_paging_mode <= kFiveLevelPaging) {
        e.first_level_levels = kFirstLevelBaseLevels + e.first_level_paging_mode;
        e.first_level_input_bits = kPageOffsetBits + kBitsPerLevel * e.first_level_levels;
    }
    e.write_protect = kWriteProtect.is_set_in(w[2]);
    e.no_execute = kNoExecute.is_set_in(w[2]);
    e.supervisor_execute_prevent = kSupervisorExecutePrevent.is_set_in(w[2]);
    e.extended_accessed = kExtendedAccessed.is_set_in(w[2]);
    e.first_level_table = w[2] & kFirstLevelPointer.mask();
}

PasidEntry pasid_fields(const PasidEntryWords& w) {
    PasidEntry e;
    e.present = pasid_entry::kPresent.is_set_in(w[0]);
    e.fault_processing_disable = pasid_entry::kFaultProcessingDisable.is_set_in(w[0]);
    e.granular_type = static_cast<unsigned>(pasid_entry::kGranularType.extract(w[0]));
    decode_second_level(w, e);
    decode_attributes(w, e);
    decode_first_level(w, e);
    return e;
}

// Architected reserved bits and pointer bits beyond the host address width.
const char* layout_reserved(const PasidEntryWords& w, const Features& f) {
    using namespace pasid_entry;
    if (any_set(w[0], kReserved0.mask())) return "PASID entry: reserved bits [11:10] set";
    if (any_set(w[0], kSecondLevelPointer.mask() & above_host_width(f)))
        return "PASID entry: SLPTPTR above the host address width";
    if (any_set(w[1], kReserved1.mask())) return "PASID entry: reserved bits [86:80] set";
    if (any_set(w[1], unused_domain_id_bits(f, pasid_entry::kDomainId))) return "PASID entry: DID bits above CAP.ND's width set";
    if (any_set(w[2], kReserved2.mask())) return "PASID entry: reserved bits [139:136] set";
    if (any_set(w[2], kFirstLevelPointer.mask() & above_host_width(f)))
        return "PASID entry: FLPTPTR above the host address width";
    for (unsigned i = kFirstWordOfReservedTail; i < w.size(); ++i)
        if (w[i] != 0) return "PASID entry: reserved bits [511:192] set";
    return nullptr;
}

// Fields that are Reserved(0) on a unit without the feature, and reserved encodings.
const char* feature_reserved(const PasidEntryWords& w, const PasidEntry& e, const Features& f) {
    using namespace pasid_entry;
    if (e.address_width != 0 && !f.second_level) return "PASID entry: AW set but ECAP.SLTS = 0 (reserved)";
    if (e.second_level_access_dirty && !f.second_level_ad) return "PASID entry: SLADE set but ECAP.SLADS = 0 (reserved)";
    if (e.page_snoop && !f.snoop_control) return "PASID entry: PGSNP set but ECAP.SC = 0 (reserved)";
    if (any_set(w[1], memory_type_fields())) return "PASID entry: CD/EMTE/EMT/PWT/PCD/PAT set but ECAP.MTS = 0 (reserved)";
    if (e.supervisor_requests && !f.supervisor_requests) return "PASID entry: SRE set but ECAP.SRS = 0 (reserved)";
    if (e.execute_requests && !f.execute_requests) return "PASID entry: ERE set but ECAP.ERS = 0 (reserved)";
    if (e.extended_accessed) return "PASID entry: EAFE set but ECAP.EAFS = 0 (reserved)";
    if (e.uses_first_level() && e.first_level_paging_mode > kFiveLevelPaging)
        return "PASID entry: FLPM = 2 or 3 is reserved";
    return nullptr;
}

const char* type_unsupported(unsigned pgtt, const Features& f) {
    switch (pgtt) {
    case 1: return f.first_level ? nullptr : "PASID entry: PGTT = 1 (first-level) but ECAP.FLTS = 0";
    case 2: return f.second_level ? nullptr : "PASID entry: PGTT = 2 (second-level) but ECAP.SLTS = 0";
    case 3: return f.nested ? nullptr : "PASID entry: PGTT = 3 (nested) but ECAP.NEST = 0";
    case 4: return f.pass_through ? nullptr : "PASID entry: PGTT = 4 (pass-through) but ECAP.PT = 0";
    default: return "PASID entry: PGTT is a reserved encoding";
    }
}

const char* pasid_invalid(const PasidEntry& e, const Features& f) {
    if (const char* why = type_unsupported(e.granular_type, f)) return why;
    if (e.uses_second_level() && !f.supports_width(e.second_level_input_bits))
        return "PASID entry: AW is not a width CAP.SAGAW lists";
    if (e.uses_first_level() && e.first_level_paging_mode == kFiveLevelPaging && !f.first_level_5level)
        return "PASID entry: FLPM = 1 (5-level) but CAP.FL5LP = 0";
    return nullptr;
}

}  // namespace

Decoded<PasidDirectoryEntry> decode_pasid_directory_entry(const PasidDirectoryWords& words, const Features& features) {
    using namespace pasid_directory_entry;
    PasidDirectoryEntry e;
    e.present = kPresent.is_set_in(words[0]);
    e.fault_processing_disable = kFaultProcessingDisable.is_set_in(words[0]);
    e.pasid_table = words[0] & kPasidTablePointer.mask();
    if (!e.present) return refuse(FaultReason::pasid_directory_not_present, "PASID-directory entry not present", e);
    if (any_set(words[0], kReserved.mask()))
        return refuse(FaultReason::pasid_directory_reserved, "PASID-directory entry: reserved bits [11:2] set", e);
    if (any_set(words[0], kPasidTablePointer.mask() & above_host_width(features)))
        return refuse(FaultReason::pasid_directory_reserved, "PASID-directory entry: SMPTBLPTR above the host address width", e);
    return decoded(e);
}

Decoded<PasidEntry> decode_pasid_entry(const PasidEntryWords& words, const Features& features) {
    const PasidEntry e = pasid_fields(words);
    if (!e.present) return refuse(FaultReason::pasid_entry_not_present, "PASID entry not present", e);
    if (const char* why = layout_reserved(words, features)) return refuse(FaultReason::pasid_entry_reserved, why, e);
    if (const char* why = feature_reserved(words, e, features)) return refuse(FaultReason::pasid_entry_reserved, why, e);
    if (const char* why = pasid_invalid(e, features)) return refuse(FaultReason::pasid_entry_invalid, why, e);
    return decoded(e);
}

std::uint64_t pasid_directory_entry_address(std::uint64_t directory, std::uint32_t pasid) {
    return directory + pasid_index::kDirectory.extract(pasid) * kPasidDirectoryEntryBytes;
}

std::uint64_t pasid_entry_address(std::uint64_t table, std::uint32_t pasid) {
    return table + pasid_index::kTable.extract(pasid) * kPasidEntryBytes;
}

std::uint32_t pasid_directory_entries(unsigned pdts) { return std::uint32_t{1} << (pdts + 7); }

bool pasid_beyond_directory(std::uint32_t pasid, unsigned pdts) {
    return pasid_index::kDirectory.extract(pasid) >= pasid_directory_entries(pdts);
}

const char* granular_type_name(unsigned pgtt) {
    switch (pgtt) {
    case 1: return "first-level";
    case 2: return "second-level";
    case 3: return "nested";
    case 4: return "pass-through";
    default: return "reserved";
    }
}

std::string describe(const PasidDirectoryEntry& e) {
    std::string text;
    append_flag(text, "P", e.present);
    append_flag(text, "FPD", e.fault_processing_disable);
    append_field(text, "SMPTBLPTR", e.pasid_table);
    return text;
}

std::string describe(const PasidEntry& e) {
    std::string text;
    append_flag(text, "P", e.present);
    append_flag(text, "FPD", e.fault_processing_disable);
    text += std::string(" PGTT=") + granular_type_name(e.granular_type);
    append_field(text, "DID", e.domain_id);
    if (e.second_level_input_bits != 0) {
        char width[32];
        std::snprintf(width, sizeof width, " AW=%u-bit", e.second_level_input_bits);
        text += width;
    } else {
        append_field(text, "AW", e.address_width, false);
    }
    append_flag(text, "SLEE", e.second_level_execute);
    append_flag(text, "SLADE", e.second_level_access_dirty);
    append_field(text, "SLPTPTR", e.second_level_table);
    append_flag(text, "PWSNP", e.page_walk_snoop);
    append_flag(text, "PGSNP", e.page_snoop);
    append_flag(text, "CD", e.cache_disable);
    append_flag(text, "EMTE", e.extended_memory_type_enable);
    append_field(text, "EMT", e.extended_memory_type, false);
    append_flag(text, "PWT", e.page_write_through);
    append_flag(text, "PCD", e.page_cache_disable);
    append_field(text, "PAT", e.page_attribute_table);
    append_flag(text, "SRE", e.supervisor_requests);
    append_flag(text, "ERE", e.execute_requests);
    append_field(text, "FLPM", e.first_level_paging_mode, false);
    append_flag(text, "WPE", e.write_protect);
    append_flag(text, "NXE", e.no_execute);
    append_flag(text, "SMEP", e.supervisor_execute_prevent);
    append_flag(text, "EAFE", e.extended_accessed);
    append_field(text, "FLPTPTR", e.first_level_table);
    return text;
}

}  // namespace iommu_vp::vtd
