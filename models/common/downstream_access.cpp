#include "models/common/downstream_access.h"

#include "models/common/little_endian.h"
#include "models/common/payload.h"

namespace iommu_vp {

tlm::tlm_generic_payload* PayloadPool::take() {
    if (free_.empty()) {
        all_.push_back(std::make_unique<tlm::tlm_generic_payload>());
        return all_.back().get();
    }
    tlm::tlm_generic_payload* payload = free_.back();
    free_.pop_back();
    return payload;
}

bool DownstreamAccess::access(bool is_read, std::uint64_t address, std::uint8_t* bytes, unsigned length) {
    if (!payload_) payload_ = pool_.take();
    tlm::tlm_generic_payload& p = *payload_;
    prepare_payload(p, is_read, address, bytes, length);
    if (!delay_) {
        // Debug writes are never issued: a debug translation must leave memory as it found it.
        return is_read && socket_->transport_dbg(p) == length;
    }
    socket_->b_transport(p, *delay_);
    return p.is_response_ok();
}

bool DownstreamAccess::read64(std::uint64_t address, std::uint64_t& value) {
    std::uint8_t bytes[8];
    if (!read(address, bytes, sizeof bytes)) return false;
    value = load_le(bytes, sizeof bytes);
    return true;
}

bool DownstreamAccess::compare_exchange64(std::uint64_t address, std::uint64_t expected, std::uint64_t desired,
                                          std::uint64_t& observed) {
    if (!read64(address, observed)) return false;
    if (observed != expected || is_debug()) return true;
    std::uint8_t bytes[8];
    store_le(bytes, sizeof bytes, desired);
    return write(address, bytes, sizeof bytes);
}

bool send_msi(tlm::tlm_initiator_socket<>& socket, std::uint64_t address, std::uint32_t data) {
    std::uint8_t bytes[4];
    store_le(bytes, sizeof bytes, data);
    tlm::tlm_generic_payload msi;
    prepare_payload(msi, false, address, bytes, sizeof bytes);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    socket->b_transport(msi, delay);
    return msi.is_response_ok();
}

}  // namespace iommu_vp
