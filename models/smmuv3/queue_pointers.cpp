#include "models/smmuv3/queue_pointers.h"

namespace iommu_vp::smmuv3 {

const char* command_error_name(CommandError error) {
    switch (error) {
    case CommandError::none: return "CERROR_NONE";
    case CommandError::ill: return "CERROR_ILL";
    case CommandError::abt: return "CERROR_ABT";
    case CommandError::atc_inv_sync: return "CERROR_ATC_INV_SYNC";
    }
    return "CERROR_?";
}

QueueGeometry QueueGeometry::from_base_register(std::uint64_t base_register, unsigned idr_max_log2size,
                                                unsigned entry_bytes) {
    QueueGeometry geometry;
    geometry.entry_bytes = entry_bytes;
    const unsigned cap = idr_max_log2size < max_queue_log2size ? idr_max_log2size : max_queue_log2size;
    geometry.log2size =
        effective_log2size(static_cast<unsigned>(queue_field::BASE_LOG2SIZE.extract(base_register)), cap);
    // ADDR holds PA[55:5]; the SMMU ignores the low bits that the queue-size alignment needs
    // (SMMUv3 6.3.26: aligned to the larger of the queue size and 32 bytes).
    const std::uint64_t address = queue_field::BASE_ADDR.extract(base_register) << queue_field::BASE_ADDR.lsb;
    const std::uint64_t alignment = geometry.size_bytes() > 32 ? geometry.size_bytes() : 32;
    geometry.base = align_down(address, alignment);
    return geometry;
}

std::uint32_t cmdq_cons_with_error(std::uint32_t cons, unsigned log2size, CommandError error) {
    const std::uint64_t with_error =
        queue_field::CMDQ_CONS_ERR.insert(index_and_wrap(cons, log2size), static_cast<std::uint64_t>(error));
    return static_cast<std::uint32_t>(with_error);
}

CommandError cmdq_cons_error(std::uint32_t cons) {
    return static_cast<CommandError>(queue_field::CMDQ_CONS_ERR.extract(cons));
}

}  // namespace iommu_vp::smmuv3
