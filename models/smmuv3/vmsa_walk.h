// One VMSAv8-64 translation-table walk (stage 1 or stage 2) as an SMMUv3 performs it: plain C++,
// no SystemC, so the walk is tested on its own and every descriptor fetch goes through a reader
// that the model backs with its downstream socket (or, for nested translation, with stage 2).
//
// Models: 4 KiB, 16 KiB and 64 KiB granules; every starting level, with up to 16 concatenated
// tables at the stage-2 starting level; table, block and page descriptors; hierarchical table
// attributes (APTable, PXNTable, XNTable); stage-1 AP/PXN/UXN and stage-2 S2AP/XN permissions;
// the access flag (fault unless AFFD); output-size checks; external aborts on descriptor fetch.
// Hardware update of the Access flag and dirty state (HTTU, SMMUv3 3.13) of the leaf: with HA a leaf
// with AF == 0 gets AF set in memory instead of an Access flag fault (AFFD is then IGNORED); with HD
// a write through a writable-clean leaf (DBM == 1 with AP[2] == 1 at stage 1, S2AP[1] == 0 at stage
// 2) that the leaf permits once dirty marks it dirty (AP[2] cleared, S2AP[1] set) instead of a
// permission fault. Each update is one atomic compare-and-swap of the descriptor through the
// reader; when memory no longer holds what the walk read (software changed it), the walk examines
// the value it found instead, from the start (it may now be invalid, a table or read-only), and
// tries again, at most kMaxUpdateAttempts times. Table descriptors' Access flag (HAFT, IDR0.HTTU
// == 0b11) is not updated: only leaves have one without HAFT.
// A walk reads at most one descriptor per level, so it ends whatever the tables contain.
// Does not model: HAFT, the Indirect Permission Scheme, 52-bit input addresses, 52-bit output with
// 4 KiB or 16 KiB granules (FEAT_LPA2), IDR3.XNX's split stage-2 execute-never, the Contiguous hint
// (each translation covers its own page or block).
//
// Fault names follow the SMMUv3 event records they become (SMMUv3 7.3): translation ->
// F_TRANSLATION, address_size -> F_ADDR_SIZE, access_flag -> F_ACCESS, permission -> F_PERMISSION,
// external_abort -> F_WALK_EABT.
#pragma once

#include <cstdint>
#include <optional>

namespace iommu_vp::vmsa {

enum class Stage { one, two };

// How one stage is set up: decoded from a CD (stage 1) or an STE (stage 2) by the caller.
struct WalkConfig {
    Stage stage = Stage::one;
    unsigned granule_bits = 12;        // 12, 14 or 16 (4, 16 or 64 KiB)
    unsigned input_bits = 48;          // 64 - TxSZ
    unsigned start_level = 0;          // from start_level_stage1() or start_level_stage2()
    std::uint64_t table_base = 0;      // TTB0/TTB1 or S2TTB
    unsigned output_bits = 48;         // IPS or S2PS, already capped by the SMMU's output size
    bool upper_range = false;          // stage 1 through TTB1: the bits above input_bits are all ones
    bool access_flag_fault_disabled = false;  // AFFD / S2AFFD (IGNORED with hardware_access_flag)
    // HTTU as it takes effect (CD.HA/HD, STE.S2HA/S2HD; SMMUv3 5.2, 5.4): {HD, HA} == 0b10 behaves as
    // both 0, so the decoders set hardware_dirty only together with hardware_access_flag.
    bool hardware_access_flag = false;
    bool hardware_dirty = false;
};

// Starting level of a stage-1 walk (Arm ARM D8.2): the fewest levels that resolve input_bits.
// nullopt when input_bits is outside 25..48 or the granule is not 12, 14 or 16 bits.
std::optional<unsigned> start_level_stage1(unsigned granule_bits, unsigned input_bits);

// Starting level of a stage-2 walk from S2SL0 (4 KiB: level 2 - SL0; 16 and 64 KiB: level 3 - SL0).
// nullopt when S2SL0 is reserved, or when the starting level with at most 16 concatenated tables
// cannot resolve exactly input_bits: an SMMUv3 treats that STE as ILLEGAL (C_BAD_STE).
std::optional<unsigned> start_level_stage2(unsigned granule_bits, unsigned sl0, unsigned input_bits);

// Lowest input-address bit that `level` resolves: the granule plus (granule - 3) bits per level
// below it.
constexpr unsigned level_shift(unsigned granule_bits, unsigned level) {
    return granule_bits + (3 - level) * (granule_bits - 3);
}

// What a descriptor fetch returned.
enum class FetchStatus {
    ok,
    external_abort,    // the memory system answered with an error
    stage2_fault,      // nested translation: stage 2 faulted on the table address (the reader holds why)
};

class DescriptorReader {
public:
    virtual ~DescriptorReader() = default;
    // A 64-bit single-copy-atomic little-endian read of the descriptor at `address` (an IPA for a
    // nested stage-1 walk, a PA otherwise).
    virtual FetchStatus read_descriptor(std::uint64_t address, std::uint64_t& descriptor) = 0;
    // The atomic compare-and-swap of a hardware update (HTTU): stores `desired` at `address` only if
    // the descriptor there still equals `expected`; `observed` gets what it held. A nested stage-1
    // walk's update is a write to the IPA, translated by stage 2 as a write. Readers that cannot
    // write (the default) answer external_abort: a walk without HTTU never asks.
    virtual FetchStatus compare_and_swap_descriptor(std::uint64_t /*address*/, std::uint64_t /*expected*/,
                                                    std::uint64_t /*desired*/, std::uint64_t& /*observed*/) {
        return FetchStatus::external_abort;
    }
};

enum class FaultType { none, translation, address_size, access_flag, permission, external_abort, stage2_fault };
const char* to_string(FaultType type);

struct Fault {
    FaultType type = FaultType::none;
    unsigned level = 0;                  // level of the lookup that faulted
    std::uint64_t descriptor_address = 0;  // for external_abort and stage2_fault: what was being read
};

// Permissions of a completed walk, with every table restriction folded in.
struct Permissions {
    // Stage 1 (EL1&0 regime).
    bool unprivileged_access = false;  // AP[1] and not APTable[0]
    bool read_only = false;            // AP[2] or APTable[1]
    bool privileged_execute_never = false;  // PXN, PXNTable, or writable at EL0 (Arm ARM D8.4)
    bool unprivileged_execute_never = false;  // UXN or XNTable
    // Stage 2.
    bool s2_read = false;
    bool s2_write = false;
    bool s2_execute_never = false;
    // HTTU with HD: the leaf is writable-clean and a write it permits once dirty would mark it dirty
    // in memory. Not a write permission (check_access refuses the write): a TLB entry with it serves
    // reads only, and a write walks again so that the descriptor in memory is updated.
    bool writable_clean = false;
};

struct Translation {
    std::uint64_t output_address = 0;
    unsigned level = 0;         // level of the leaf
    unsigned size_bits = 0;     // log2 of the page or block the leaf maps
    std::uint64_t leaf = 0;     // the leaf descriptor as read, with the walk's hardware updates
    Permissions permissions;
    bool not_global = false;    // stage 1 nG: the entry is ASID-tagged
    unsigned memory_attributes = 0;  // stage 1 AttrIndx or stage 2 MemAttr
};

// Hardware updates (HTTU) a walk made: successful compare-and-swaps that set AF and that marked a
// leaf dirty (one swap may do both), and swaps that found the descriptor changed by another agent
// (each is followed by a fresh examination of what memory held).
struct HardwareUpdates {
    unsigned access_flag = 0;
    unsigned dirty = 0;
    unsigned retries = 0;
    bool any() const { return (access_flag | dirty | retries) != 0; }
    HardwareUpdates& operator+=(const HardwareUpdates& o) {
        access_flag += o.access_flag;
        dirty += o.dirty;
        retries += o.retries;
        return *this;
    }
};

// The most compare-and-swap attempts on one descriptor before the walk gives up with an external
// abort on it (a model bound: the architecture retries until the update succeeds; a swap fails only
// when another agent wrote the descriptor after the walk read it, so reaching the bound needs a
// writer that changes it on every attempt).
inline constexpr unsigned kMaxUpdateAttempts = 8;

struct WalkResult {
    Fault fault;
    Translation translation;      // valid when fault.type == none
    unsigned descriptor_fetches = 0;
    HardwareUpdates updates;      // also for a walk that faulted after an update
    bool ok() const { return fault.type == FaultType::none; }
};

// Restrictions that stage-1 table descriptors pass down to every later level (APTable, PXNTable,
// XNTable), as a walk has gathered them so far.
struct TableAttributes {
    bool no_unprivileged = false;
    bool read_only = false;
    bool pxn = false;
    bool xn = false;
};

// A cache of intermediate table addresses for one translation context (the caller tags it with the
// context: stage, VMID, ASID, table base). `prefix` is the input address shifted right by the bits
// the levels below `level` resolve, so one entry serves every input that shares the upper levels.
class WalkCache {
public:
    virtual ~WalkCache() = default;
    // The table to read at `level` for inputs with this prefix, and the attributes gathered above it.
    virtual bool lookup(unsigned level, std::uint64_t prefix, std::uint64_t& table, TableAttributes& attributes) = 0;
    virtual void fill(unsigned level, std::uint64_t prefix, std::uint64_t table, const TableAttributes& attributes) = 0;
};

struct Access {
    bool write = false;
    bool privileged = false;
    bool instruction = false;
};

// Walks the tables of `config` for `input_address`. Permissions are not checked here (a TLB keeps
// the translation and checks each access against it): see check_access(). With a walk cache, the
// walk starts at the deepest cached level and fills the levels it reads. `access` is what the walk
// is for: with config.hardware_dirty a write marks a writable-clean leaf dirty when that makes the
// write permitted (a regime with one privilege level passes privileged accesses); without it
// nothing is marked dirty (the Access flag is still set with hardware_access_flag).
WalkResult walk(const WalkConfig& config, std::uint64_t input_address, DescriptorReader& reader,
                WalkCache* cache = nullptr, const Access* access = nullptr);

// FaultType::permission when `access` is not allowed by `translation` at `stage`, else none.
// Instruction fetches need read permission as well as execute permission at both stages (an
// instruction fetch is a read).
FaultType check_access(Stage stage, const Permissions& permissions, const Access& access);

}  // namespace iommu_vp::vmsa
