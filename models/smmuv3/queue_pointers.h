// SMMUv3 circular queues (Command, Event and PRI queues): the register fields of *_BASE, *_PROD and
// *_CONS and the index arithmetic on them (SMMUv3 3.5.1; 6.3.26 CMDQ_BASE, 6.3.27 CMDQ_PROD,
// 6.3.28 CMDQ_CONS, 6.3.29 EVENTQ_BASE and the EVENTQ_PROD/CONS descriptions; 7.1 Command queue
// errors; 7.4 Event queue overflow). Plain C++, no SystemC, nothing here allocates.
//
// A queue holds 2^LOG2SIZE entries. PROD and CONS carry an index in bits [LOG2SIZE-1:0] and a wrap
// flag in bit [LOG2SIZE]; the flag toggles each time the index wraps, so equal indices mean empty
// when the wrap flags are equal and full when they differ, and every entry can be used.
//
// Models: index/wrap extraction, empty, full, occupancy, increment with wrap, the slot address of
// an index (QUEUE_BASE.ADDR aligned to the queue size, 32 bytes minimum), LOG2SIZE capped at
// IDR1.CMDQS/EVENTQS, the consistency rule for written indices, CMDQ_CONS.ERR and its CERROR codes,
// EVENTQ_PROD.OVFLG / EVENTQ_CONS.OVACKFLG, PRIQ_PROD.OVFLG / PRIQ_CONS.OVACKFLG (8.1).
// Does not model: Enhanced Command queues (ECMDQ), the Secure and Realm queue copies, the RA/WA
// allocation hints (decoded, never used), QUEUES_PRESET.
#pragma once

#include "models/common/bitfield.h"

#include <cstdint>

namespace iommu_vp::smmuv3 {

// Largest LOG2SIZE the architecture allows: PROD and CONS are 20 bits, 19 index bits plus the wrap
// flag (SMMUv3 3.5.1).
inline constexpr unsigned max_queue_log2size = 19;

// Entry sizes in bytes (SMMUv3 4.1.1, 7.3, 8.1).
inline constexpr unsigned command_entry_bytes = 16;
inline constexpr unsigned event_entry_bytes = 32;
inline constexpr unsigned pri_entry_bytes = 16;

// Register fields.
namespace queue_field {
// SMMU_CMDQ_BASE / SMMU_EVENTQ_BASE / SMMU_PRIQ_BASE (64-bit).
inline constexpr BitField BASE_LOG2SIZE = bits(4, 0);
inline constexpr BitField BASE_ADDR = bits(55, 5);     // PA[55:5]; bits above and below read as zero
inline constexpr BitField BASE_RA_WA = bit(62);        // CMDQ: RA (read-allocate); EVENTQ/PRIQ: WA
// SMMU_*_PROD / SMMU_*_CONS (32-bit): index and wrap flag share bits [19:0].
inline constexpr BitField POINTER = bits(19, 0);
inline constexpr BitField CMDQ_CONS_ERR = bits(30, 24);  // CERROR code, valid while GERROR.CMDQ_ERR active
inline constexpr BitField EVENTQ_PROD_OVFLG = bit(31);   // toggled by the SMMU on overflow
inline constexpr BitField EVENTQ_CONS_OVACKFLG = bit(31);  // software copies OVFLG here to acknowledge
// The PRI queue's flags sit where the Event queue's do (SMMUv3 6.3.31, 6.3.32).
inline constexpr BitField PRIQ_PROD_OVFLG = bit(31);
inline constexpr BitField PRIQ_CONS_OVACKFLG = bit(31);
}  // namespace queue_field

// CMDQ_CONS.ERR codes (SMMUv3 7.1).
enum class CommandError : std::uint8_t {
    none = 0x00,          // CERROR_NONE: never reported, defined for completeness
    ill = 0x01,           // CERROR_ILL: unknown opcode, or a valid opcode with illegal parameters
    abt = 0x02,           // CERROR_ABT: external abort on the command fetch
    atc_inv_sync = 0x03,  // CERROR_ATC_INV_SYNC: a CMD_SYNC could not complete a CMD_ATC_INV
};

const char* command_error_name(CommandError error);  // "CERROR_ILL" etc.

// LOG2SIZE as the SMMU uses it: a programmed value above the IDR1 maximum (CMDQS, EVENTQS, PRIQS) is
// capped at that maximum for every use except reading the register back (SMMUv3 6.3.26, 6.3.29).
constexpr unsigned effective_log2size(unsigned programmed_log2size, unsigned idr_max_log2size) {
    return programmed_log2size < idr_max_log2size ? programmed_log2size : idr_max_log2size;
}

// Index and wrap flag of a PROD/CONS value for a queue of 2^log2size entries.
constexpr std::uint32_t queue_index(std::uint32_t pointer, unsigned log2size) {
    return static_cast<std::uint32_t>(pointer & low_mask(log2size));
}
constexpr bool queue_wrap(std::uint32_t pointer, unsigned log2size) {
    return ((pointer >> log2size) & 1u) != 0;
}
// Index and wrap together (bits [log2size:0]); the bits above are not part of the pointer (for
// CONS they read as zero, SMMUv3 6.3.28).
constexpr std::uint32_t index_and_wrap(std::uint32_t pointer, unsigned log2size) {
    return static_cast<std::uint32_t>(pointer & low_mask(log2size + 1));
}

// Empty: indices and wrap flags equal. Full: indices equal, wrap flags differ (SMMUv3 3.5.1).
constexpr bool queue_empty(std::uint32_t prod, std::uint32_t cons, unsigned log2size) {
    return index_and_wrap(prod, log2size) == index_and_wrap(cons, log2size);
}
constexpr bool queue_full(std::uint32_t prod, std::uint32_t cons, unsigned log2size) {
    return queue_index(prod, log2size) == queue_index(cons, log2size) &&
           queue_wrap(prod, log2size) != queue_wrap(cons, log2size);
}

// Whether PROD and CONS describe a possible queue state. Written indices with PROD.WR > CONS.RD and
// different wraps, or PROD.WR < CONS.RD and equal wraps, are inconsistent (SMMUv3 3.5.1).
// CONSTRAINED UNPREDICTABLE choice of this model: while the indices are inconsistent it neither
// consumes commands nor produces events; an output queue is treated as full.
constexpr bool queue_consistent(std::uint32_t prod, std::uint32_t cons, unsigned log2size) {
    const std::uint32_t p = queue_index(prod, log2size);
    const std::uint32_t c = queue_index(cons, log2size);
    const bool same_wrap = queue_wrap(prod, log2size) == queue_wrap(cons, log2size);
    if (p > c) return same_wrap;
    if (p < c) return !same_wrap;
    return true;
}

// Entries between CONS and PROD (0..2^log2size) for a consistent pair.
constexpr std::uint32_t queue_used(std::uint32_t prod, std::uint32_t cons, unsigned log2size) {
    const std::uint32_t span = static_cast<std::uint32_t>(low_mask(log2size + 1));
    return (index_and_wrap(prod, log2size) - index_and_wrap(cons, log2size)) & span;
}
constexpr std::uint32_t queue_free(std::uint32_t prod, std::uint32_t cons, unsigned log2size) {
    return (std::uint32_t{1} << log2size) - queue_used(prod, cons, log2size);
}

// The pointer after one entry: the index increments and wraps to 0 past the top entry, toggling the
// wrap flag. Only the index and wrap bits are returned.
constexpr std::uint32_t queue_increment(std::uint32_t pointer, unsigned log2size) {
    return index_and_wrap(index_and_wrap(pointer, log2size) + 1, log2size);
}

// One queue as the SMMU sees it after software programmed its *_BASE register.
struct QueueGeometry {
    std::uint64_t base = 0;    // effective base address, aligned
    unsigned log2size = 0;     // effective (capped) LOG2SIZE
    unsigned entry_bytes = command_entry_bytes;

    // From a *_BASE value: LOG2SIZE capped at idr_max_log2size; the base address is ADDR aligned
    // down to the larger of the queue size in bytes and 32 bytes (SMMUv3 6.3.26).
    static QueueGeometry from_base_register(std::uint64_t base_register, unsigned idr_max_log2size,
                                            unsigned entry_bytes);

    std::uint32_t entries() const { return std::uint32_t{1} << log2size; }
    std::uint64_t size_bytes() const { return std::uint64_t{entry_bytes} << log2size; }
    // Address of the entry that `pointer` (a PROD or CONS value) indexes.
    std::uint64_t slot_address(std::uint32_t pointer) const {
        return base + std::uint64_t{queue_index(pointer, log2size)} * entry_bytes;
    }
};

// SMMU_CMDQ_CONS with the error code set and the index and wrap kept (SMMUv3 7.1: RD stays on the
// command that could not be consumed).
std::uint32_t cmdq_cons_with_error(std::uint32_t cons, unsigned log2size, CommandError error);
CommandError cmdq_cons_error(std::uint32_t cons);

// Event queue overflow (SMMUv3 7.4): the condition is present while EVENTQ_PROD.OVFLG differs from
// EVENTQ_CONS.OVACKFLG.
constexpr bool event_queue_overflowed(std::uint32_t eventq_prod, std::uint32_t eventq_cons) {
    return queue_field::EVENTQ_PROD_OVFLG.is_set_in(eventq_prod) !=
           queue_field::EVENTQ_CONS_OVACKFLG.is_set_in(eventq_cons);
}

// EVENTQ_PROD after the SMMU discards a record because the (enabled) queue is full: OVFLG toggles
// unless the overflow condition is already present, in which case nothing changes (a second
// overflow cannot be shown). Only discarded records overflow: a stall record waits for space
// instead, and nothing overflows while EVENTQEN == 0 (SMMUv3 7.4). The caller decides that a
// record is being discarded.
constexpr std::uint32_t eventq_prod_after_discard(std::uint32_t eventq_prod, std::uint32_t eventq_cons) {
    if (event_queue_overflowed(eventq_prod, eventq_cons)) return eventq_prod;
    return eventq_prod ^ static_cast<std::uint32_t>(queue_field::EVENTQ_PROD_OVFLG.mask());
}

// EVENTQ_PROD after the SMMU writes one record: WR increments, OVFLG is kept.
constexpr std::uint32_t eventq_prod_after_write(std::uint32_t eventq_prod, unsigned log2size) {
    const std::uint32_t flag = static_cast<std::uint32_t>(eventq_prod & queue_field::EVENTQ_PROD_OVFLG.mask());
    return flag | queue_increment(eventq_prod, log2size);
}

// PRI queue overflow (SMMUv3 8.1): the same flags and toggle rule as the Event queue's, with one
// difference the caller applies: while the overflow condition is present nothing is written to
// the PRI queue, even when it has room (an Event queue keeps recording).
constexpr bool pri_queue_overflowed(std::uint32_t priq_prod, std::uint32_t priq_cons) {
    return event_queue_overflowed(priq_prod, priq_cons);
}
constexpr std::uint32_t priq_prod_after_discard(std::uint32_t priq_prod, std::uint32_t priq_cons) {
    return eventq_prod_after_discard(priq_prod, priq_cons);
}
constexpr std::uint32_t priq_prod_after_write(std::uint32_t priq_prod, unsigned log2size) {
    return eventq_prod_after_write(priq_prod, log2size);
}

}  // namespace iommu_vp::smmuv3
