#include "models/vtd/fault_record.h"

#include <cstdio>

namespace iommu_vp::vtd {
namespace {

namespace lo = frcd_lo;
namespace hi = frcd_hi;

// T1 is the request type's high bit, T2 its low bit (VT-d 11.4.7.6: 00 write, 01 page request,
// 10 read, 11 AtomicOp).
constexpr unsigned kT1Bit = 0b10;
constexpr unsigned kT2Bit = 0b01;

}  // namespace

unsigned fault_info_bits(const Features& features) {
    // FI bits 63:N are reserved, N being the largest AGAW supported (VT-d 11.4.7.6).
    if (features.sagaw_57) return 57;
    if (features.sagaw_48) return 48;
    if (features.sagaw_39) return 39;
    return 64;  // no second-stage widths: keep the address as given
}

std::array<std::uint64_t, 2> encode_fault_record(const FaultRecord& record, const Features& features) {
    const unsigned type = static_cast<unsigned>(record.type);
    const std::uint64_t fi = record.address & lo::FI.mask() & low_mask(fault_info_bits(features));

    std::uint64_t word1 = 0;
    word1 = hi::SID.insert(word1, record.source_id);
    word1 = hi::FR.insert(word1, static_cast<std::uint64_t>(record.reason));
    word1 = hi::T1.insert(word1, (type & kT1Bit) != 0);
    word1 = hi::T2.insert(word1, (type & kT2Bit) != 0);
    // PP, PV, PRIV and EXE are RsvdZ without ECAP.PASID and only meaningful with PP (EXE only for
    // reads).
    if (features.pasid && record.pasid_present) {
        word1 = hi::PP.insert(word1, 1);
        word1 = hi::PV.insert(word1, record.pasid);
        word1 = hi::PRIV.insert(word1, record.privileged);
        word1 = hi::EXE.insert(word1, record.execute && record.type == FaultRequestType::read);
    }
    // AT is RsvdZ without device-TLB support.
    if (features.device_tlb) word1 = hi::AT.insert(word1, static_cast<std::uint64_t>(record.address_type));
    word1 = hi::F.insert(word1, record.fault);
    return {fi, word1};
}

FaultRecord decode_fault_record(std::uint64_t word0, std::uint64_t word1) {
    FaultRecord record;
    record.address = word0 & lo::FI.mask();
    record.source_id = static_cast<std::uint16_t>(hi::SID.extract(word1));
    record.reason = static_cast<FaultReason>(hi::FR.extract(word1));
    const unsigned type = (hi::T1.is_set_in(word1) ? kT1Bit : 0u) | (hi::T2.is_set_in(word1) ? kT2Bit : 0u);
    record.type = static_cast<FaultRequestType>(type);
    record.pasid_present = hi::PP.is_set_in(word1);
    record.pasid = static_cast<std::uint32_t>(hi::PV.extract(word1));
    record.privileged = hi::PRIV.is_set_in(word1);
    record.execute = hi::EXE.is_set_in(word1);
    record.address_type = static_cast<FaultAddressType>(hi::AT.extract(word1));
    record.fault = hi::F.is_set_in(word1);
    return record;
}

const char* fault_request_type_name(FaultRequestType type) {
    switch (type) {
    case FaultRequestType::write: return "write";
    case FaultRequestType::page_request: return "page_request";
    case FaultRequestType::read: return "read";
    case FaultRequestType::atomic: return "atomic";
    }
    return "?";
}

const char* fault_address_type_name(FaultAddressType type) {
    switch (type) {
    case FaultAddressType::untranslated: return "untranslated";
    case FaultAddressType::translation_request: return "translation_request";
    case FaultAddressType::translated: return "translated";
    case FaultAddressType::reserved: return "reserved";
    }
    return "?";
}

std::string describe(const FaultRecord& record) {
    const unsigned sid = record.source_id;
    char buffer[160];
    std::snprintf(buffer, sizeof buffer, "FRCD F=%u FR=0x%x SID=0x%x (%02x:%02x.%x) FI=0x%llx T=%s AT=%s PP=%u",
                  record.fault ? 1u : 0u, static_cast<unsigned>(record.reason), sid, sid >> 8, (sid >> 3) & 0x1F,
                  sid & 0x7, static_cast<unsigned long long>(record.address), fault_request_type_name(record.type),
                  fault_address_type_name(record.address_type), record.pasid_present ? 1u : 0u);
    std::string text = buffer;
    if (record.pasid_present) {
        std::snprintf(buffer, sizeof buffer, " PV=0x%x PRIV=%u EXE=%u", static_cast<unsigned>(record.pasid),
                      record.privileged ? 1u : 0u, record.execute ? 1u : 0u);
        text += buffer;
    }
    return text;
}

}  // namespace iommu_vp::vtd
