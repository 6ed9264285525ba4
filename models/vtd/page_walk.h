// VT-d DMA-remapping page walks as plain C++ (no SystemC): second-level (stage-2) walks, first-level
// (IA-32e style, stage-1) walks and nested walks, each reading paging entries through a TableMemory
// that the model backs with its downstream socket, so the walks are tested on their own.
//
// Models:
// - Second level: 3, 4 and 5 levels of 9 bits over a 4 KiB page (input width 39, 48, 57); 2 MiB and
//   1 GiB leaves (PS) where SLLPS advertises them; R/W/X with X only under SLEE; SLADE accessed and
//   dirty updates; SNP under ECAP.SC; reserved-bit checks; the input-width check.
// - First level: 4- and 5-level paging with the canonical check; P, R/W, U/S, PWT/PCD/PAT, A, D, PS
//   (2 MiB always, 1 GiB with FL1GP), G, EA (with EAFE), XD (with NXE); WPE and SMEP; accessed and
//   dirty updates, which VT-d performs unconditionally on first-level entries (QEMU's first-stage walk
//   sets A on every entry used and D on the leaf of a write, with no enable).
// - Nested: every first-level table address (FLPTPTR and each next-level pointer) and the final
//   output are guest-physical and go through a second-level walk; a first-level A/D update needs
//   second-level write permission on the page that holds the entry.
// - Accessed/dirty updates are atomic compare-and-exchanges. When another writer changed the entry
//   between the read and the exchange, the walk checks the fresh value again (present, reserved bits,
//   permissions) and retries, at most kMaxEntryUpdateAttempts times, then reports ad_update_failed.
// - A walk reads at most one entry per level (nested: one second-level walk per first-level level plus
//   one for the output), so it ends whatever the tables hold.
// Does not model: memory types (EMT/IPAT/PAT are read but not interpreted; MTS is not advertised), the
// no-snoop A/D update faults SSL.5 and SFL.9 (page-walk snoop is not modelled), the interrupt-range
// check on the output (0x0E / 0x87: the caller's, after the walk), the PASID-entry checks (ERE, SRE,
// AW, FLPM against the unit's Features: the caller's; an MGAW below the table width is passed in as
// SecondLevelConfig::max_input_bits), 2-level (30-bit) second-level tables, 512 GiB and 1 TiB
// second-level leaves, first-level protection keys and SMAP (VT-d has neither).
//
// Choices where the sources are silent or disagree:
// - Second-level bit 62 (TM in older revisions) is reserved, as VirtualBox's spec-derived layout and
//   QEMU (without its stale-TM compatibility switch) treat it. Bit 11 is SNP in a leaf when ECAP.SC is
//   set, reserved otherwise and always reserved in a non-leaf entry (VirtualBox; the QEMU review of
//   the SNP fix asked to keep bit 11 reserved in non-leaf entries). Without SLEE the X bit is
//   ignored, not reserved (QEMU's masks do not include it), and execute requests need read only.
// - An execute request is a read (ER is only carried on reads): it needs read permission as well as
//   execute permission, at both levels.
// - First-level XD is reserved when NXE = 0, as on the CPU (QEMU ignores bits 63:52).
// - Each level's rights are checked when the entry is reached (as QEMU does), so the walk faults at
//   the first level whose gathered rights deny the access and does not set A in that entry; a later
//   check against a cached translation (check_access) reaches the same verdict from the same rights.
//   SMEP alone is applied at the leaf only: a deeper U/S = 0 makes the page a supervisor page again.
//
// Fault reasons (scalable_reason; VT-d 7.1 condition tags; the codes are in fault_reason.h):
//   second level, not nested-table    | nested, translating an FL table address | first level
//   access error      0x78 SSL.1      | 0x78 SSL.1                              | 0x70 SFL.1
//     ... in the root table 0x7B SSL.4 | 0x7B SSL.4                             | 0x73 SFL.4
//   not present (R=W=0) 0x79 SSL.2    | read 0x75 SFL.6 (FL root) / 0x76 SFL.7;  | 0x71 SFL.2
//                                     | A/D write 0x77 SFL.8                     |
//   reserved bits     0x7A SSL.3      | 0x7A SSL.3                              | 0x72 SFL.3
//   read denied       0x86 SGN.7      | 0x75 / 0x76 as not present              | (cannot happen)
//   write denied      0x85 SGN.6      | 0x77 SFL.8                              | 0x85 SGN.6
//   execute denied    0x82 SGN.3      |  -                                      | 0x82 SGN.3
//   user denied        -              |  -                                      | 0x81 SGN.2
//   non-canonical      -              |  -                                      | 0x80 SGN.1
//   input beyond width 0x84 SGN.5     | 0x74 SFL.5                              |  -
//   output beyond width (nested: the first-level output is beyond the second-level width) 0x84 SGN.5
//   A/D update failed 0x78 SSL.1      | 0x78 SSL.1                              | 0x91 SFL.10
//   invalid configuration (a width or level count the walk cannot use) 0x5B SPT.4
// SSL.2 for a second-level entry with R = W = 0 and SGN.5 for an input beyond the second-level
// width follow VirtualBox's fault mapping; Linux's text for 0x84 is "Second-level entry address
// beyond the max" (fault_reason.h names it sl_output_beyond_width). SFL.4 for an access error in the
// first-level root table follows QEMU (invalid FLPTPTR) and Linux ("error accessing FL-PML4 entry");
// SSL.4 for the second-level root table follows VirtualBox.
// Legacy mode (legacy_reason; second level only): input beyond width 0x04; not present 0x05 for a
// write, 0x06 otherwise; write denied 0x05; read or execute denied 0x06; access error 0x07, or 0x03
// (invalid context entry) in the root table (QEMU and VirtualBox); reserved bits 0x0C; A/D update
// failed 0x07; invalid configuration 0x03. Faults only first-level walks produce have no legacy code
// (FaultReason::none).
#pragma once

#include "models/common/bitfield.h"
#include "models/vtd/fault_reason.h"

#include <cstdint>

namespace iommu_vp::vtd {

// ---------------------------------------------------------------------------------------------------
// Entry layouts.

inline constexpr unsigned kPageShift = 12;       // every paging structure is one 4 KiB page
inline constexpr unsigned kBitsPerLevel = 9;     // 512 entries of 8 bytes
inline constexpr unsigned kEntryBytes = 8;
inline constexpr unsigned kMaxLevels = 5;

// Lowest input-address bit that `level` resolves (level 1 = page table ... 5 = PML5).
constexpr unsigned level_shift(unsigned level) { return kPageShift + kBitsPerLevel * (level - 1); }

// Second-level paging entry (VT-d 9.8), all levels. Bits not named here are ignored.
namespace sl_entry {
inline constexpr BitField kRead = bit(0);
inline constexpr BitField kWrite = bit(1);
inline constexpr BitField kExecute = bit(2);     // with SLEE; ignored without
inline constexpr BitField kPageSize = bit(7);    // levels 2-3: a 2 MiB / 1 GiB leaf; reserved at 4-5
inline constexpr BitField kAccessed = bit(8);    // with SLADE
inline constexpr BitField kDirty = bit(9);       // leaf, with SLADE
inline constexpr BitField kSnoop = bit(11);      // leaf with ECAP.SC; reserved otherwise
inline constexpr BitField kAddress = bits(51, 12);  // bits at or above the host address width reserved
inline constexpr BitField kReserved62 = bit(62);
}  // namespace sl_entry

// First-level paging entry (VT-d 9.7, IA-32e paging), all levels. Bits not named here are ignored.
namespace fl_entry {
inline constexpr BitField kPresent = bit(0);
inline constexpr BitField kWritable = bit(1);    // R/W
inline constexpr BitField kUser = bit(2);        // U/S
inline constexpr BitField kWriteThrough = bit(3);  // PWT
inline constexpr BitField kCacheDisable = bit(4);  // PCD
inline constexpr BitField kAccessed = bit(5);
inline constexpr BitField kDirty = bit(6);       // leaf
inline constexpr BitField kPageSize = bit(7);    // PDPE/PDE; reserved in PML4E/PML5E
inline constexpr BitField kPatSmall = bit(7);    // PTE: the same bit is PAT
inline constexpr BitField kGlobal = bit(8);      // leaf
inline constexpr BitField kExtendedAccessed = bit(10);  // with EAFE
inline constexpr BitField kPatLarge = bit(12);   // 2 MiB / 1 GiB leaf
inline constexpr BitField kAddress = bits(51, 12);
inline constexpr BitField kExecuteDisable = bit(63);  // with NXE; reserved without
}  // namespace fl_entry

// ---------------------------------------------------------------------------------------------------
// Memory, configuration, access.

enum class FetchStatus { ok, error };  // error: the memory system answered with an error

class TableMemory {
public:
    virtual ~TableMemory() = default;
    // 64-bit single-copy-atomic little-endian read of a paging entry at a host physical address.
    virtual FetchStatus read64(std::uint64_t address, std::uint64_t& value) = 0;
    // Atomic compare-and-exchange for accessed/dirty updates: stores `desired` only if the entry still
    // equals `expected`; `observed` gets what memory held before.
    virtual FetchStatus compare_exchange64(std::uint64_t address, std::uint64_t expected, std::uint64_t desired,
                                           std::uint64_t& observed) = 0;
};

// One request. A read is !write; execute is a read with ER = 1; supervisor is PR = 1.
struct Access {
    bool write = false;
    bool execute = false;
    bool supervisor = false;
};

// A second-level table as a PASID-table entry (SLPTPTR, AW, SLEE, SLADE) or legacy context entry
// (SLPTPTR, AW) selects it, with the unit's capabilities that change what an entry may hold.
struct SecondLevelConfig {
    std::uint64_t root = 0;             // SLPTPTR (bits 11:0 are ignored)
    unsigned input_bits = 48;           // 39, 48 or 57: levels = (input_bits - 12) / 9
    unsigned max_input_bits = 64;       // MGAW: inputs at or above min(input_bits, this) are refused
    bool execute_enabled = false;       // SLEE
    bool accessed_dirty = false;        // SLADE
    bool snoop_allowed = false;         // ECAP.SC: SNP (bit 11) legal in leaves
    bool page_2m = false;               // SLLPS bit 0
    bool page_1g = false;               // SLLPS bit 1
    unsigned host_address_bits = 48;    // address bits at or above it in an entry are reserved
};

// A first-level table as a PASID-table entry selects it, with the unit's capabilities. In a nested
// walk the addresses in first-level entries are guest-physical; host_address_bits then bounds what
// an entry may hold (the second-level width bounds what it may reach: SFL.5).
struct FirstLevelConfig {
    std::uint64_t root = 0;             // FLPTPTR (bits 11:0 are ignored)
    bool five_level = false;            // FLPM = 1
    bool page_1g = false;               // CAP.FL1GP
    bool write_protect = false;         // WPE: supervisor writes honour R/W
    bool no_execute_enabled = false;    // NXE: XD is honoured (reserved otherwise)
    bool smep = false;                  // supervisor execute of user pages faults
    bool extended_accessed = false;     // EAFE: EA is set together with A
    unsigned host_address_bits = 48;
};

constexpr unsigned first_level_levels(const FirstLevelConfig& config) { return config.five_level ? 5 : 4; }

// ---------------------------------------------------------------------------------------------------
// Results.

// What the entries of a walk (nested: of both stages) allow, with the configuration's rules folded
// in, so that a cached translation is checked without the configuration (check_access).
struct Permissions {
    bool read = false;                  // second-level R (first-level entries are readable when present)
    bool write = false;                 // for user requests: R/W (and second-level W)
    bool execute = false;               // for user requests: not XD (and read, and X under SLEE)
    bool user = false;                  // U/S at every first-level level; true for second-level only
    bool supervisor_write = false;      // write, or read-only pages with WPE = 0
    bool supervisor_execute = false;    // execute, and not a user page under SMEP
    // The leaf entries already record a write (D set), or their stage does not track it (second
    // level without SLADE). False: a write served from a cached translation must walk again so the
    // walk sets D.
    bool dirty = false;
};

enum class Stage : std::uint8_t { first, second };

enum class FaultKind : std::uint8_t {
    none,
    access_error,           // the memory system answered a read of an entry with an error
    not_present,            // first level P = 0; second level R = W = 0
    reserved_bits,
    read_denied,
    write_denied,
    execute_denied,
    user_denied,            // a user request met U/S = 0
    non_canonical,          // first-level input not sign-extended from bit 47 / 56
    input_beyond_width,     // second-level input at or above its width
    output_beyond_width,    // nested: the first-level output is beyond the second-level width
    ad_update_failed,       // the compare-and-exchange answered with an error, or kept losing races
    invalid_configuration,  // the configuration names a width the walk cannot use
};
const char* to_string(FaultKind kind);

struct WalkFault {
    FaultKind kind = FaultKind::none;
    Stage stage = Stage::second;
    // Nested: a second-level fault met while translating the address of a first-level table
    // (nested_table), for reading it or, for an A/D update, writing it (ad_update_write); whether that
    // table was the first-level root (FLPTPTR), and the first-level level being walked.
    bool nested_table = false;
    bool ad_update_write = false;
    bool first_level_root = false;
    unsigned first_level = 0;
    // The entry being read, its level (1 = page table ... 5) and whether it is in the stage's root
    // table. Faults found before any read carry the top level (0 for invalid_configuration) and
    // address 0.
    unsigned level = 0;
    std::uint64_t entry_address = 0;
    bool in_root_table = false;
};

struct Translation {
    std::uint64_t output_address = 0;   // page or block base | offset (nested: host physical)
    unsigned size_bits = 0;             // 12, 21 or 30; nested: the smaller of the two leaves
    unsigned level = 0;                 // leaf level (nested: the first level's)
    std::uint64_t leaf = 0;             // leaf entry as left by the walk (nested: the first level's)
    unsigned second_level_leaf_level = 0;  // nested: the output's second-level leaf
    std::uint64_t second_level_leaf = 0;
    Permissions permissions;
    bool snoop = false;                 // second-level leaf SNP
    bool global = false;                // first-level leaf G (the IOTLB decides what it means)
    bool write_through = false;         // first-level leaf PWT, PCD, PAT (recorded, not interpreted)
    bool cache_disable = false;
    bool pat = false;
};

struct WalkResult {
    WalkFault fault;
    Translation translation;            // valid when ok()
    unsigned fetches = 0;               // paging-entry reads, both stages
    unsigned second_level_fetches = 0;  // of which second-level reads
    unsigned entry_updates = 0;         // compare-and-exchange attempts (A/D)
    bool ok() const { return fault.kind == FaultKind::none; }
};

// The most attempts at one entry's A/D update before a walk gives up with ad_update_failed.
inline constexpr unsigned kMaxEntryUpdateAttempts = 4;

// ---------------------------------------------------------------------------------------------------
// Paging-structure cache hook, one per walk stage (the caller tags it with the context: domain,
// PASID, table root). `prefix` is the input address shifted right by level_shift(level + 1): the bits
// the levels above `level` resolve, so one entry serves every input that shares those levels. The
// table is the address the stage sees (in a nested walk, first-level tables are guest-physical and are
// translated through the second level again, whose own cache shortens that). The rights are what the
// entries above allowed, AND-ed (first level: execute is "no XD seen").

struct TableRights {
    bool read = true;
    bool write = true;
    bool execute = true;
    bool user = true;
};

class WalkCache {
public:
    virtual ~WalkCache() = default;
    virtual bool lookup(unsigned level, std::uint64_t prefix, std::uint64_t& table, TableRights& rights) = 0;
    virtual void fill(unsigned level, std::uint64_t prefix, std::uint64_t table, const TableRights& rights) = 0;
};

// ---------------------------------------------------------------------------------------------------
// Walks. Each checks `access` against the rights it gathers and performs the A/D updates the access
// calls for; with a cache it starts at the deepest cached level and fills the tables it descends to.

WalkResult second_level_walk(const SecondLevelConfig& config, std::uint64_t input_address, const Access& access,
                             TableMemory& memory, WalkCache* cache = nullptr);

WalkResult first_level_walk(const FirstLevelConfig& config, std::uint64_t input_address, const Access& access,
                            TableMemory& memory, WalkCache* cache = nullptr);

WalkResult nested_walk(const FirstLevelConfig& first, const SecondLevelConfig& second, std::uint64_t input_address,
                       const Access& access, TableMemory& memory, WalkCache* first_cache = nullptr,
                       WalkCache* second_cache = nullptr);

// The fault `access` meets against `permissions` (from a walk, kept in an IOTLB), or none. The walks
// use the same rules. Order: user_denied, then write_denied (writes), read_denied, execute_denied.
FaultKind check_access(const Permissions& permissions, const Access& access);

// True when a write served from a translation with these permissions must walk again to set D.
constexpr bool write_needs_walk(const Permissions& permissions) { return !permissions.dirty; }

// The fault-recording reason for a walk fault (table in the header comment).
FaultReason scalable_reason(const WalkFault& fault);
FaultReason legacy_reason(const WalkFault& fault, const Access& access);

}  // namespace iommu_vp::vtd
