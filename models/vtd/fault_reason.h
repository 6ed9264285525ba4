// VT-d fault reasons: the FR field of a fault-recording register (VT-d 7.1, Appendix A), legacy-mode
// codes 0x01..0x0E and scalable-mode codes 0x30 and above. Only the reasons this model can meet are
// named; the interrupt-remapping codes are absent because interrupt remapping is not modelled.
#pragma once

#include <cstdint>

namespace iommu_vp::vtd {

enum class FaultReason : std::uint8_t {
    none = 0x00,
    // Legacy mode (RTADDR.TTM = 00).
    root_not_present = 0x01,            // LRT.2
    context_not_present = 0x02,         // LCT.2
    context_invalid = 0x03,             // LCT.4: invalid programming (AW, TT not supported)
    address_beyond_width = 0x04,        // LGN.1: input above the domain's address width
    write_denied = 0x05,                // LGN.2
    read_denied = 0x06,                 // LGN.3
    paging_entry_access_error = 0x07,   // LSL.1
    root_access_error = 0x08,           // LRT.1
    context_access_error = 0x09,        // LCT.1
    root_reserved = 0x0A,               // LRT.3
    context_reserved = 0x0B,            // LCT.3
    paging_entry_reserved = 0x0C,       // LSL.2
    translation_type_blocked = 0x0D,    // LCT.5: TT does not allow this kind of request
    output_in_interrupt_range = 0x0E,   // LGN.4
    // Scalable mode (RTADDR.TTM = 01), and the root-table-address checks of both modes.
    invalid_root_table_address = 0x30,  // RTA.1
    pasid_request_in_legacy_mode = 0x31,  // RTA.2: TTM = 00 and the request carries a PASID
    page_request_in_legacy_mode = 0x32,   // RTA.3: TTM = 00 and a page request arrives
    sm_root_access_error = 0x38,        // SRT.1
    sm_root_not_present = 0x39,         // SRT.2
    sm_root_reserved = 0x3A,            // SRT.3
    sm_context_access_error = 0x40,     // SCT.1
    sm_context_not_present = 0x41,      // SCT.2
    sm_context_reserved = 0x42,         // SCT.3
    sm_context_invalid = 0x43,          // SCT.4
    sm_translation_request_blocked = 0x44,  // SCT.5: DTE = 0 for a translation request
    sm_pasid_disabled = 0x45,           // SCT.6: PASIDE = 0 for a request with PASID
    sm_pasid_beyond_directory = 0x46,   // SCT.7
    sm_page_request_disabled = 0x47,    // SCT.8
    sm_rid_pasid_error = 0x48,          // SCT.9
    pasid_directory_access_error = 0x50,  // SPD.1
    pasid_directory_not_present = 0x51,   // SPD.2
    pasid_directory_reserved = 0x52,      // SPD.3
    pasid_entry_access_error = 0x58,    // SPT.1
    pasid_entry_not_present = 0x59,     // SPT.2
    pasid_entry_reserved = 0x5A,        // SPT.3
    pasid_entry_invalid = 0x5B,         // SPT.4: invalid programming (PGTT, AW, FLPM)
    execute_requests_disabled = 0x5C,   // SPT.5: ERE = 0
    supervisor_requests_disabled = 0x5D,  // SPT.6: SRE = 0
    fl_access_error = 0x70,             // SFL.1
    fl_not_present = 0x71,              // SFL.2
    fl_reserved = 0x72,                 // SFL.3
    fl_root_access_error = 0x73,        // SFL.4: reading the first-level root (FLPTPTR)
    fl_table_beyond_limit = 0x74,       // SFL.5: nested, a first-level table address beyond the
                                        // second-level width
    fl_root_read_denied = 0x75,         // SFL.6: nested, second level denies reading the FL root
    fl_table_read_denied = 0x76,        // SFL.7: nested, second level denies reading an FL table
    fl_table_write_denied = 0x77,       // SFL.8: nested, second level denies the A/D write
    sl_access_error = 0x78,             // SSL.1
    sl_permission = 0x79,               // SSL.2: a second-level entry with R = W = 0
    sl_reserved = 0x7A,                 // SSL.3
    sl_invalid_pointer = 0x7B,          // SSL.4
    non_canonical = 0x80,               // SGN.1
    user_access_denied = 0x81,          // SGN.2: U/S = 0 for a user request
    execute_denied = 0x82,              // SGN.3
    input_beyond_width = 0x83,          // SGN.4
    sl_output_beyond_width = 0x84,      // SGN.5
    sm_write_denied = 0x85,             // SGN.6
    sm_read_denied = 0x86,              // SGN.7
    sm_output_in_interrupt_range = 0x87,  // SGN.8
    fl_ad_update_failed = 0x91,         // SFL.10
};

// "SCT.2 scalable-mode context entry not present" (for fault logs and statistics).
const char* to_string(FaultReason reason);

}  // namespace iommu_vp::vtd
