// VT-d scalable-mode PASID-directory and PASID-table entries, as plain C++: the little-endian
// 64-bit words of one entry in, the decoded fields or the fault reason out (VT-d 3.x, 9.5-9.6).
// Also where each entry lives, whether a PASID is beyond the context entry's directory, and
// describe() strings for the model's logs. Decoded<T> and the read order of multi-word entries
// (word 0, holding P, first) are in context_entry.h.
//
// Models: the directory entry (P, FPD, SMPTBLPTR) and every field of the VT-d 3.x PASID-table
// entry: P, FPD, AW, SLEE, PGTT, SLADE, SLPTPTR, DID, PWSNP, PGSNP, CD, EMTE, EMT, PWT, PCD, PAT,
// SRE, ERE, FLPM, WPE, NXE, SMEP, EAFE, FLPTPTR. Checks, in this order: P, reserved fields
// (SPD.3 0x52 / SPT.3 0x5A), invalid programming (SPT.4 0x5B).
// How this code classes the PASID-table entry's cases:
//   reserved (SPT.3): bits [11:10], [86:80], [139:136], words 3..7, SLPTPTR and FLPTPTR bits at or
//     above the host address width, DID bits above CAP.ND's width (as for the context entry; for
//     the PASID entry by analogy, unconfirmed), FLPM = 2 or 3 (reserved encodings) when PGTT uses
//     the first level. Also reserved: the fields the architecture treats as Reserved(0) on a unit
//     without the feature. Confirmed by Linux commits quoting the specification: SRE without SRS
//     (real hardware reports "Non-zero reserved field set in PASID Table Entry"), AW without
//     SLTS, PGSNP without SC, and CD/EMTE/EMT/PWT/PCD/PAT without MTS. The model never reports
//     MTS, so any of those set is reserved. By the same rule, unconfirmed: ERE without ERS, SLADE
//     without SLADS, and EAFE, since the model never reports EAFS. (SRE, ERE and SLADE could be read
//     as invalid programming; the Linux SRE evidence puts them here.)
//   invalid (SPT.4): PGTT 0 or 5..7; PGTT 1/2/3/4 without FLTS/SLTS/NEST/PT; an AW that SAGAW does
//     not list when PGTT uses the second level (2 or 3); FLPM = 1 without CAP.FL5LP when PGTT
//     uses the first level (1 or 3). QEMU's vtd_pe_type_check and vtd_get_pe_in_pasid_leaf_table
//     return SPT.4 for the same cases (QEMU does not implement nested).
// Not checked: PWSNP (no SMPWC parameter; OpenVMM accepts PWSNP freely), SLEE, WPE, NXE and SMEP.
// The fields of a stage that PGTT does not use are treated as ignored, apart from the address
// bits above the host address width and the feature-reserved fields above (unconfirmed).
// Later revisions (4.x) drop SLEE, ERE, EMT, PWT and PCD and make NXE/SMEP ignored. This decoder
// follows the 3.x layout that VER_REG advertises.
#pragma once

#include "models/common/bitfield.h"
#include "models/vtd/context_entry.h"
#include "models/vtd/fault_reason.h"
#include "models/vtd/features.h"

#include <array>
#include <cstdint>
#include <string>

namespace iommu_vp::vtd {

using PasidDirectoryWords = std::array<std::uint64_t, 1>;
using PasidEntryWords = std::array<std::uint64_t, 8>;

inline constexpr std::uint64_t kPasidDirectoryEntryBytes = 8;
inline constexpr std::uint64_t kPasidEntryBytes = 64;   // 64 per 4 KiB table

// How a PASID splits (VT-d 3.4.3): PASID[19:6] indexes the directory, PASID[5:0] the table.
namespace pasid_index {
inline constexpr BitField kDirectory = bits(19, 6);
inline constexpr BitField kTable = bits(5, 0);
}  // namespace pasid_index

namespace pasid_directory_entry {
inline constexpr BitField kPresent = bit(0);
inline constexpr BitField kFaultProcessingDisable = bit(1);
inline constexpr BitField kReserved = bits(11, 2);
inline constexpr BitField kPasidTablePointer = bits(63, 12);
}  // namespace pasid_directory_entry

// PASID-table entry fields, as {lsb, width} in the word that holds them (bit n of the entry is
// bit n % 64 of word n / 64).
namespace pasid_entry {
// Word 0.
inline constexpr BitField kPresent = bit(0);
inline constexpr BitField kFaultProcessingDisable = bit(1);
inline constexpr BitField kAddressWidth = bits(4, 2);
inline constexpr BitField kSecondLevelExecute = bit(5);         // SLEE
inline constexpr BitField kGranularType = bits(8, 6);           // PGTT
inline constexpr BitField kSecondLevelAccessDirty = bit(9);     // SLADE
inline constexpr BitField kReserved0 = bits(11, 10);
inline constexpr BitField kSecondLevelPointer = bits(63, 12);   // SLPTPTR
// Word 1.
inline constexpr BitField kDomainId = bits(15, 0);              // bits [79:64]
inline constexpr BitField kReserved1 = bits(22, 16);            // bits [86:80]
inline constexpr BitField kPageWalkSnoop = bit(23);             // PWSNP, bit 87
inline constexpr BitField kPageSnoop = bit(24);                 // PGSNP, bit 88
inline constexpr BitField kCacheDisable = bit(25);              // CD, bit 89
inline constexpr BitField kExtendedMemoryTypeEnable = bit(26);  // EMTE, bit 90
inline constexpr BitField kExtendedMemoryType = bits(29, 27);   // EMT, bits [93:91]
inline constexpr BitField kPageWriteThrough = bit(30);          // PWT, bit 94
inline constexpr BitField kPageCacheDisable = bit(31);          // PCD, bit 95
inline constexpr BitField kPageAttributeTable = bits(63, 32);   // PAT, bits [127:96]
// Word 2.
inline constexpr BitField kSupervisorRequests = bit(0);         // SRE, bit 128
inline constexpr BitField kExecuteRequests = bit(1);            // ERE, bit 129
inline constexpr BitField kFirstLevelPagingMode = bits(3, 2);   // FLPM, bits [131:130]
inline constexpr BitField kWriteProtect = bit(4);               // WPE, bit 132
inline constexpr BitField kNoExecute = bit(5);                  // NXE, bit 133
inline constexpr BitField kSupervisorExecutePrevent = bit(6);   // SMEP, bit 134
inline constexpr BitField kExtendedAccessed = bit(7);           // EAFE, bit 135
inline constexpr BitField kReserved2 = bits(11, 8);             // bits [139:136]
inline constexpr BitField kFirstLevelPointer = bits(63, 12);    // FLPTPTR, bits [191:140]
// Words 3..7 are reserved.
}  // namespace pasid_entry

// PGTT encodings; 0 and 5..7 are reserved.
enum class GranularType : std::uint8_t { first_level = 1, second_level = 2, nested = 3, pass_through = 4 };

struct PasidDirectoryEntry {
    bool present = false;
    bool fault_processing_disable = false;
    std::uint64_t pasid_table = 0;   // SMPTBLPTR, in place
};

struct PasidEntry {
    bool present = false;
    bool fault_processing_disable = false;
    unsigned granular_type = 0;             // PGTT as written (see GranularType)
    // Second level.
    unsigned address_width = 0;             // AW as written
    unsigned second_level_input_bits = 0;   // 39, 48 or 57 for AW 1..3, else 0
    unsigned second_level_levels = 0;       // 3, 4 or 5 for AW 1..3, else 0
    bool second_level_execute = false;      // SLEE
    bool second_level_access_dirty = false; // SLADE
    std::uint64_t second_level_table = 0;   // SLPTPTR, in place
    // Domain and memory attributes.
    unsigned domain_id = 0;                 // DID
    bool page_walk_snoop = false;           // PWSNP
    bool page_snoop = false;                // PGSNP
    bool cache_disable = false;             // CD
    bool extended_memory_type_enable = false;  // EMTE
    unsigned extended_memory_type = 0;      // EMT
    bool page_write_through = false;        // PWT
    bool page_cache_disable = false;        // PCD
    std::uint32_t page_attribute_table = 0; // PAT
    // First level.
    bool supervisor_requests = false;       // SRE
    bool execute_requests = false;          // ERE
    unsigned first_level_paging_mode = 0;   // FLPM as written
    unsigned first_level_levels = 0;        // 4 (FLPM 0) or 5 (FLPM 1), else 0
    unsigned first_level_input_bits = 0;    // 48 or 57, else 0
    bool write_protect = false;             // WPE
    bool no_execute = false;                // NXE
    bool supervisor_execute_prevent = false;  // SMEP
    bool extended_accessed = false;         // EAFE
    std::uint64_t first_level_table = 0;    // FLPTPTR, in place

    bool uses_first_level() const { return granular_type == 1 || granular_type == 3; }
    bool uses_second_level() const { return granular_type == 2 || granular_type == 3; }
};

Decoded<PasidDirectoryEntry> decode_pasid_directory_entry(const PasidDirectoryWords& words, const Features& features);

Decoded<PasidEntry> decode_pasid_entry(const PasidEntryWords& words, const Features& features);

// Where entries live: `directory` is the context entry's PASIDDIRPTR, `table` a directory
// entry's SMPTBLPTR.
std::uint64_t pasid_directory_entry_address(std::uint64_t directory, std::uint32_t pasid);
std::uint64_t pasid_entry_address(std::uint64_t table, std::uint32_t pasid);

// The number of directory entries PDTS gives (2^(PDTS + 7)), and whether PASID[19:6] indexes
// past them (SCT.7, sm_pasid_beyond_directory). PASID bits above 19 are the caller's check.
std::uint32_t pasid_directory_entries(unsigned pdts);
bool pasid_beyond_directory(std::uint32_t pasid, unsigned pdts);

// "first-level", "second-level", "nested", "pass-through" or "reserved".
const char* granular_type_name(unsigned pgtt);

std::string describe(const PasidDirectoryEntry& entry);
std::string describe(const PasidEntry& entry);

}  // namespace iommu_vp::vtd
