#include "models/vtd/fault_reason.h"

namespace iommu_vp::vtd {

// Each name is the VT-d condition code (the tag the fault-reason tables use) and what it means.
// The enumeration may carry any 8-bit value read back from a fault record, so a value the switch
// does not name falls through to a generic name.
const char* to_string(FaultReason reason) {
    switch (reason) {
    case FaultReason::none: return "no fault";
    case FaultReason::root_not_present: return "LRT.2 root entry not present";
    case FaultReason::context_not_present: return "LCT.2 context entry not present";
    case FaultReason::context_invalid: return "LCT.4 invalid context entry programming";
    case FaultReason::address_beyond_width: return "LGN.1 input address beyond the address width";
    case FaultReason::write_denied: return "LGN.2 write not permitted";
    case FaultReason::read_denied: return "LGN.3 read not permitted";
    case FaultReason::paging_entry_access_error: return "LSL.1 error reading a second-level paging entry";
    case FaultReason::root_access_error: return "LRT.1 error reading the root entry";
    case FaultReason::context_access_error: return "LCT.1 error reading the context entry";
    case FaultReason::root_reserved: return "LRT.3 reserved bits set in the root entry";
    case FaultReason::context_reserved: return "LCT.3 reserved bits set in the context entry";
    case FaultReason::paging_entry_reserved: return "LSL.2 reserved bits set in a second-level paging entry";
    case FaultReason::translation_type_blocked: return "LCT.5 request blocked by the context entry's translation type";
    case FaultReason::output_in_interrupt_range: return "LGN.4 output address in the interrupt range";
    case FaultReason::invalid_root_table_address: return "RTA.1 invalid root-table address";
    case FaultReason::pasid_request_in_legacy_mode: return "RTA.2 request with PASID in legacy mode";
    case FaultReason::page_request_in_legacy_mode: return "RTA.3 page request in legacy mode";
    case FaultReason::sm_root_access_error: return "SRT.1 error reading the scalable-mode root entry";
    case FaultReason::sm_root_not_present: return "SRT.2 scalable-mode root entry not present";
    case FaultReason::sm_root_reserved: return "SRT.3 reserved bits set in the scalable-mode root entry";
    case FaultReason::sm_context_access_error: return "SCT.1 error reading the scalable-mode context entry";
    case FaultReason::sm_context_not_present: return "SCT.2 scalable-mode context entry not present";
    case FaultReason::sm_context_reserved: return "SCT.3 reserved bits set in the scalable-mode context entry";
    case FaultReason::sm_context_invalid: return "SCT.4 invalid scalable-mode context entry programming";
    case FaultReason::sm_translation_request_blocked: return "SCT.5 translation request with DTE clear";
    case FaultReason::sm_pasid_disabled: return "SCT.6 request with PASID with PASIDE clear";
    case FaultReason::sm_pasid_beyond_directory: return "SCT.7 PASID beyond the PASID-directory size";
    case FaultReason::sm_page_request_disabled: return "SCT.8 page request with PRE clear";
    case FaultReason::sm_rid_pasid_error: return "SCT.9 RID_PASID error";
    case FaultReason::pasid_directory_access_error: return "SPD.1 error reading the PASID-directory entry";
    case FaultReason::pasid_directory_not_present: return "SPD.2 PASID-directory entry not present";
    case FaultReason::pasid_directory_reserved: return "SPD.3 reserved bits set in the PASID-directory entry";
    case FaultReason::pasid_entry_access_error: return "SPT.1 error reading the PASID-table entry";
    case FaultReason::pasid_entry_not_present: return "SPT.2 PASID-table entry not present";
    case FaultReason::pasid_entry_reserved: return "SPT.3 reserved bits set in the PASID-table entry";
    case FaultReason::pasid_entry_invalid: return "SPT.4 invalid PASID-table entry programming";
    case FaultReason::execute_requests_disabled: return "SPT.5 execute request with ERE clear";
    case FaultReason::supervisor_requests_disabled: return "SPT.6 supervisor request with SRE clear";
    case FaultReason::fl_access_error: return "SFL.1 error reading a first-level paging entry";
    case FaultReason::fl_not_present: return "SFL.2 first-level paging entry not present";
    case FaultReason::fl_reserved: return "SFL.3 reserved bits set in a first-level paging entry";
    case FaultReason::fl_root_access_error: return "SFL.4 error reading the first-level root (FLPTPTR)";
    case FaultReason::fl_table_beyond_limit: return "SFL.5 nested: first-level table address beyond the second-level width";
    case FaultReason::fl_root_read_denied: return "SFL.6 nested: second level denies reading the first-level root";
    case FaultReason::fl_table_read_denied: return "SFL.7 nested: second level denies reading a first-level table";
    case FaultReason::fl_table_write_denied: return "SFL.8 nested: second level denies the first-level A/D write";
    case FaultReason::sl_access_error: return "SSL.1 error reading a second-level paging entry";
    case FaultReason::sl_permission: return "SSL.2 second-level entry not present (R = W = 0)";
    case FaultReason::sl_reserved: return "SSL.3 reserved bits set in a second-level paging entry";
    case FaultReason::sl_invalid_pointer: return "SSL.4 invalid second-level table pointer";
    case FaultReason::non_canonical: return "SGN.1 first-level input address not canonical";
    case FaultReason::user_access_denied: return "SGN.2 user request to a supervisor page (U/S clear)";
    case FaultReason::execute_denied: return "SGN.3 execute not permitted";
    case FaultReason::input_beyond_width: return "SGN.4 input address beyond the hardware maximum";
    case FaultReason::sl_output_beyond_width: return "SGN.5 second-level output address beyond the maximum";
    case FaultReason::sm_write_denied: return "SGN.6 write not permitted";
    case FaultReason::sm_read_denied: return "SGN.7 read not permitted";
    case FaultReason::sm_output_in_interrupt_range: return "SGN.8 output address in the interrupt range";
    case FaultReason::fl_ad_update_failed: return "SFL.10 first-level A/D update failed";
    }
    return "unnamed fault reason";
}

}  // namespace iommu_vp::vtd
