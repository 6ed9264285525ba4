#include "platform/config/vtd_features.h"

namespace iommu_vp::platform {

vtd::Features vtd_features(const nlohmann::ordered_json& u) {
    vtd::Features f;
    f.domain_id_bits = u["domain_id_bits"];
    f.required_write_buffer_flush = u["required_write_buffer_flush"];
    f.caching_mode = u["caching_mode"];
    f.sagaw_39 = u["sagaw_39"];
    f.sagaw_48 = u["sagaw_48"];
    f.sagaw_57 = u["sagaw_57"];
    f.mgaw_bits = u["mgaw_bits"];
    f.fault_records = u["fault_records"];
    f.fault_record_offset = u["fault_record_offset"];
    f.iotlb_register_offset = u["iotlb_register_offset"];
    f.second_level_2m = u["second_level_2m"];
    f.second_level_1g = u["second_level_1g"];
    f.page_selective_invalidation = u["page_selective_invalidation"];
    f.max_address_mask = u["max_address_mask"];
    f.first_level_1g = u["first_level_1g"];
    f.first_level_5level = u["first_level_5level"];
    f.queued_invalidation = u["queued_invalidation"];
    f.pass_through = u["pass_through"];
    f.snoop_control = u["snoop_control"];
    f.nested = u["nested"];
    f.supervisor_requests = u["supervisor_requests"];
    f.pasid_bits = u["pasid_bits"];
    f.pasid = u["pasid"];
    f.scalable_mode = u["scalable_mode"];
    f.second_level = u["second_level"];
    f.first_level = u["first_level"];
    f.rid_pasid = u["rid_pasid"];
    f.device_tlb = u["device_tlb"];
    f.page_requests = u["page_requests"];
    f.host_address_bits = u["host_address_bits"];
    return f;
}

}  // namespace iommu_vp::platform
