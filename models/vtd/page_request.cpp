#include "models/vtd/page_request.h"

#include "models/vtd/registers.h"

#include <cstdio>

namespace iommu_vp::vtd {
namespace {

namespace f = page_request_field;

}  // namespace

PageRequestWords encode_page_request(const PageRequestDescriptor& d) {
    std::uint64_t qw0 = f::TYPE.insert(0, kPageRequestDescriptorType);
    qw0 = f::PP.insert(qw0, d.pasid_present);
    qw0 = f::RID.insert(qw0, d.requester_id);
    if (d.pasid_present) qw0 = f::PASID.insert(qw0, d.pasid);
    qw0 = f::EXE.insert(qw0, d.execute);
    qw0 = f::PM.insert(qw0, d.privileged);
    std::uint64_t qw1 = f::RD.insert(0, d.read);
    qw1 = f::WR.insert(qw1, d.write);
    qw1 = f::LPIG.insert(qw1, d.last);
    qw1 = f::PRGI.insert(qw1, d.group_index);
    qw1 |= d.address & f::ADDR.mask();
    return {qw0, qw1, 0, 0};
}

PageRequestDescriptor decode_page_request(const PageRequestWords& w) {
    PageRequestDescriptor d;
    d.requester_id = static_cast<std::uint16_t>(f::RID.extract(w[0]));
    d.pasid_present = f::PP.is_set_in(w[0]);
    d.pasid = static_cast<std::uint32_t>(f::PASID.extract(w[0]));
    d.execute = f::EXE.is_set_in(w[0]);
    d.privileged = f::PM.is_set_in(w[0]);
    d.read = f::RD.is_set_in(w[1]);
    d.write = f::WR.is_set_in(w[1]);
    d.last = f::LPIG.is_set_in(w[1]);
    d.group_index = static_cast<std::uint16_t>(f::PRGI.extract(w[1]));
    d.address = w[1] & f::ADDR.mask();
    return d;
}

PageRequestQueue PageRequestQueue::from_pqa(std::uint64_t value, const Features& features) {
    PageRequestQueue queue;
    queue.base = value & pqa::PQA.mask() & low_mask(features.host_address_bits);
    queue.size_log2_pages = static_cast<unsigned>(pqa::PQS.extract(value));
    return queue;
}

std::uint32_t PageRequestQueue::index_of(std::uint64_t pointer) const {
    return static_cast<std::uint32_t>(page_queue_pointer::PQH_PQT.extract(pointer) % entries());
}

std::string describe(const PageRequestDescriptor& d) {
    char text[160];
    std::snprintf(text, sizeof text, "PRQ rid=0x%x pasid=%s0x%x addr=0x%llx r=%u w=%u x=%u pm=%u last=%u prgi=0x%x",
                  static_cast<unsigned>(d.requester_id), d.pasid_present ? "" : "(none)", static_cast<unsigned>(d.pasid),
                  static_cast<unsigned long long>(d.address), d.read ? 1u : 0u, d.write ? 1u : 0u,
                  d.execute ? 1u : 0u, d.privileged ? 1u : 0u, d.last ? 1u : 0u,
                  static_cast<unsigned>(d.group_index));
    return text;
}

}  // namespace iommu_vp::vtd
