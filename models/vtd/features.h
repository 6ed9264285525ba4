// What one VT-d remapping unit implements: the model's parameters that VER, CAP and ECAP advertise
// (registers.h derives them from here) and that the entry, walk and descriptor decoders check
// software's programming against. What a unit does not implement is refused the way the
// architecture says: a context or PASID-table entry asking for an absent translation type or width
// is an invalid-programming fault, a descriptor type the unit does not know is an invalidation-queue
// error, a GCMD bit for an absent feature has no effect.
// Plain C++: shared by the decoders, the register bank, the model and the platform's checks.
#pragma once

#include <cstdint>
#include "models/common/bitfield.h"

#include <string>

namespace iommu_vp::vtd {

struct Features {
    // VER_REG: architecture version 3.0, the first with scalable mode.
    unsigned version_major = 3;
    unsigned version_minor = 0;

    // CAP_REG
    unsigned domain_id_bits = 16;       // ND = (bits - 4) / 2: 4, 6, 8, ..., 16 bits of domain ID
    bool required_write_buffer_flush = false;  // RWBF
    bool caching_mode = false;          // CM: not-present and erroneous entries may be cached
    bool sagaw_39 = true;               // SAGAW bit 1: 3-level second-level tables
    bool sagaw_48 = true;               // SAGAW bit 2: 4-level
    bool sagaw_57 = false;              // SAGAW bit 3: 5-level
    unsigned mgaw_bits = 48;            // MGAW + 1: the largest input address width
    unsigned fault_records = 8;         // NFR + 1
    // FRO, in 16-byte units: 0x400, above every architected register this model implements (the
    // enhanced-command registers that share 0x400 are not advertised).
    unsigned fault_record_offset = 0x40;
    bool second_level_2m = true;        // SLLPS bit 0
    bool second_level_1g = true;        // SLLPS bit 1
    bool page_selective_invalidation = true;  // PSI
    unsigned max_address_mask = 18;     // MAMV
    bool first_level_1g = true;         // FL1GP
    bool first_level_5level = false;    // FL5LP
    bool write_draining = true;         // DWD (drain fields are accepted and complete at once)
    bool read_draining = true;          // DRD

    // ECAP_REG
    bool page_walk_coherency = true;    // C
    bool queued_invalidation = true;    // QI
    bool device_tlb = false;            // DT: ATS translation and translated requests, device-TLB
                                        // invalidation (needs QI); NWFS is reported with it
    bool interrupt_remapping = false;   // IR (not modelled: refused; IRE/SIRTP have no effect)
    bool pass_through = true;           // PT
    bool snoop_control = true;          // SC
    // IRO, in 16-byte units: 0x500, after the fault records (8 of them end at 0x480).
    unsigned iotlb_register_offset = 0x50;
    unsigned max_handle_mask = 0;       // MHMV (interrupt remapping only)
    bool nested = true;                 // NEST
    bool page_requests = false;         // PRS: the page-request queue (needs DT and scalable mode);
                                        // PDS (page-request drain) is reported with it
    bool execute_requests = false;      // ERS: requests with PASID may ask for execute
    bool supervisor_requests = true;    // SRS
    unsigned pasid_bits = 20;           // PSS + 1
    bool pasid = true;                  // PASID
    bool scalable_mode = true;          // SMTS
    bool second_level_ad = false;       // SLADS: PASID entries may ask for second-level A/D update
    bool second_level = true;           // SLTS
    bool first_level = true;            // FLTS
    bool rid_pasid = true;              // RPS: the context entry's RID_PASID is honoured

    // Not a register field: the host address width, the number of physical-address bits the
    // unit's output and table pointers may use (the DMAR table's HAW on a real platform). Address
    // bits at or above it in an entry are reserved.
    unsigned host_address_bits = 48;

    bool supports_width(unsigned input_bits) const {
        return (input_bits == 39 && sagaw_39) || (input_bits == 48 && sagaw_48) || (input_bits == 57 && sagaw_57);
    }
    unsigned domain_count() const { return 1u << domain_id_bits; }
    // Byte offsets of the register groups the capabilities place.
    std::uint64_t iotlb_registers_offset() const { return std::uint64_t{iotlb_register_offset} * 16; }
    std::uint64_t fault_records_offset() const { return std::uint64_t{fault_record_offset} * 16; }
};

// Address bits at or above the host address width: reserved in every table pointer of an entry.
constexpr std::uint64_t above_host_width(const Features& f) { return ~low_mask(f.host_address_bits); }
// Whether any bit of `mask` is set in an entry word.
constexpr bool any_set(std::uint64_t word, std::uint64_t mask) { return (word & mask) != 0; }

// The bits of a DID field (in its entry word) above the unit's domain-ID width: reserved.
constexpr std::uint64_t unused_domain_id_bits(const Features& f, BitField did) {
    return did.mask() & ~(low_mask(f.domain_id_bits) << did.lsb);
}

// Checks that the parameters describe a unit the architecture allows and this model implements;
// returns an empty string when they do, else what is wrong (the model throws it at construction).
std::string check_features(const Features& features);

// Second-level address widths and level counts: AW encodings 1, 2, 3 (context entry AW, PASID-table
// entry AW) are 39, 48 and 57 bits, walked with 3, 4 and 5 levels of 9 bits over a 4 KiB page.
constexpr unsigned width_of_aw(unsigned aw) { return 30 + 9 * aw; }
constexpr unsigned levels_of_width(unsigned input_bits) { return (input_bits - 12) / 9; }
// AW encodings this model walks (0, the 30-bit 2-level width, is not modelled; 4..7 are reserved).
constexpr bool is_walkable_aw(unsigned aw) { return aw >= 1 && aw <= 3; }

}  // namespace iommu_vp::vtd
