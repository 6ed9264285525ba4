#include "models/vtd/features.h"

#include <sstream>

namespace iommu_vp::vtd {
namespace {

// VER_REG holds the version in two 4-bit fields; scalable mode first appears in version 3.0.
constexpr unsigned kVersionFieldMax = 15;
constexpr unsigned kScalableModeMajor = 3;

// CAP.ND encodes 4 + 2 * ND bits of domain ID for ND = 0..6 (7 is reserved).
constexpr unsigned kMinDomainIdBits = 4;
constexpr unsigned kMaxDomainIdBits = 16;

constexpr unsigned kMinMgawBits = 39;
constexpr unsigned kMaxMgawBits = 57;
constexpr unsigned kMinHostAddressBits = 32;
constexpr unsigned kMaxHostAddressBits = 52;

constexpr unsigned kMaxFaultRecords = 256;   // CAP.NFR is 8 bits of (records - 1)
constexpr unsigned kMaxAddressMask = 63;     // CAP.MAMV is 6 bits
constexpr unsigned kMaxHandleMask = 15;      // ECAP.MHMV is 4 bits
constexpr unsigned kMaxPasidBits = 20;       // PASIDs are 20 bits (PSS + 1 <= 20)

// The register page: one 4 KiB page. The architected registers this model may implement run from
// VER_REG (0x000) to PEUADDR_REG (0x0EC..0x0EF). The optional groups above them (MTRRs at 0x100,
// performance monitoring at 0x300, enhanced commands at 0x400, virtual commands at 0xE00) belong
// to features this model never reports, so FRO and IRO may place their windows from 0x0F0 up
// (QEMU places IVA_REG at 0x0F0).
constexpr std::uint64_t kRegisterPageBytes = 4096;
constexpr std::uint64_t kArchitectedRegistersEnd = 0x0F0;
constexpr std::uint64_t kFaultRecordBytes = 16;
constexpr std::uint64_t kIotlbRegistersBytes = 16;  // IVA_REG and IOTLB_REG

struct Window {
    std::uint64_t begin;
    std::uint64_t end;  // exclusive
};

bool overlap(const Window& a, const Window& b) { return a.begin < b.end && b.begin < a.end; }

std::string hex(std::uint64_t value) {
    std::ostringstream text;
    text << "0x" << std::hex << value;
    return text.str();
}

// "vtd::Features::<parameter> = <value>; allowed: <allowed>".
std::string problem(const char* parameter, const std::string& value, const std::string& allowed) {
    return std::string("vtd::Features::") + parameter + " = " + value + "; allowed: " + allowed;
}
std::string problem(const char* parameter, unsigned value, const std::string& allowed) {
    return problem(parameter, std::to_string(value), allowed);
}
std::string problem(const char* parameter, bool value, const std::string& allowed) {
    return problem(parameter, std::string(value ? "true" : "false"), allowed);
}

std::string check_version(const Features& f) {
    if (f.version_major < 1 || f.version_major > kVersionFieldMax)
        return problem("version_major", f.version_major, "1..15 (VER_REG.Max is 4 bits)");
    if (f.version_minor > kVersionFieldMax) return problem("version_minor", f.version_minor, "0..15 (VER_REG.Min is 4 bits)");
    if (f.scalable_mode && f.version_major < kScalableModeMajor)
        return problem("version_major", f.version_major, "3 or more with scalable_mode (scalable mode is VT-d 3.0)");
    return {};
}

std::string check_widths(const Features& f) {
    const bool even = (f.domain_id_bits - kMinDomainIdBits) % 2 == 0;
    if (f.domain_id_bits < kMinDomainIdBits || f.domain_id_bits > kMaxDomainIdBits || !even)
        return problem("domain_id_bits", f.domain_id_bits, "4, 6, 8, 10, 12, 14 or 16 (CAP.ND = (bits - 4) / 2 = 0..6)");
    if (!f.sagaw_39 && !f.sagaw_48 && !f.sagaw_57)
        return problem("sagaw_39/sagaw_48/sagaw_57", std::string("all false"),
                       "at least one true (legacy context entries always walk second-level tables)");
    if (f.host_address_bits < kMinHostAddressBits || f.host_address_bits > kMaxHostAddressBits)
        return problem("host_address_bits", f.host_address_bits, "32..52");
    // MGAW limits the second-level input to min(MGAW, the entry's AW) and may sit above or below
    // the SAGAW widths, but it must cover the host address width (VT-d CAP_REG.MGAW).
    if (f.mgaw_bits < kMinMgawBits || f.mgaw_bits > kMaxMgawBits)
        return problem("mgaw_bits", f.mgaw_bits, "39..57");
    if (f.mgaw_bits < f.host_address_bits)
        return problem("mgaw_bits", f.mgaw_bits,
                       "at least host_address_bits (" + std::to_string(f.host_address_bits) + "): MGAW must cover the host address width");
    if (f.pasid_bits < 1 || f.pasid_bits > kMaxPasidBits) return problem("pasid_bits", f.pasid_bits, "1..20 (ECAP.PSS + 1)");
    return {};
}

std::string check_masks(const Features& f) {
    if (f.fault_records < 1 || f.fault_records > kMaxFaultRecords)
        return problem("fault_records", f.fault_records, "1..256 (CAP.NFR + 1)");
    if (f.max_address_mask > kMaxAddressMask) return problem("max_address_mask", f.max_address_mask, "0..63 (CAP.MAMV)");
    if (f.max_handle_mask > kMaxHandleMask) return problem("max_handle_mask", f.max_handle_mask, "0..15 (ECAP.MHMV)");
    return {};
}

std::string window_text(const Window& w) { return hex(w.begin) + ".." + hex(w.end - 1); }

// Where a window may go, for the messages.
const std::string kWindowRule = "inside the 4 KiB register page, at or above 0xf0 (after PEUADDR_REG), "
                                "not overlapping the other window";

std::string check_register_windows(const Features& f) {
    const Window faults{f.fault_records_offset(), f.fault_records_offset() + f.fault_records * kFaultRecordBytes};
    const Window iotlb{f.iotlb_registers_offset(), f.iotlb_registers_offset() + kIotlbRegistersBytes};
    const auto misplaced = [](const Window& w) { return w.begin < kArchitectedRegistersEnd || w.end > kRegisterPageBytes; };
    if (misplaced(faults))
        return problem("fault_record_offset", f.fault_record_offset,
                       "fault records (here " + window_text(faults) + ") " + kWindowRule);
    if (misplaced(iotlb))
        return problem("iotlb_register_offset", f.iotlb_register_offset,
                       "IVA_REG/IOTLB_REG (here " + window_text(iotlb) + ") " + kWindowRule);
    if (overlap(faults, iotlb))
        return problem("iotlb_register_offset", f.iotlb_register_offset,
                       "IVA_REG/IOTLB_REG (here " + window_text(iotlb) + ") outside the fault records at " + window_text(faults));
    return {};
}

std::string check_modes(const Features& f) {
    if (f.scalable_mode && !f.first_level && !f.second_level)
        return problem("scalable_mode", f.scalable_mode, "false unless first_level or second_level is true");
    // PASID-cache and PASID-based IOTLB invalidation exist only as queued descriptors.
    if (f.scalable_mode && !f.queued_invalidation)
        return problem("scalable_mode", f.scalable_mode, "false unless queued_invalidation is true");
    if (f.nested && (!f.first_level || !f.second_level))
        return problem("nested", f.nested, "false unless first_level and second_level are both true");
    if (f.first_level && !f.scalable_mode) return problem("first_level", f.first_level, "false unless scalable_mode is true");
    if (f.pasid && !f.scalable_mode) return problem("pasid", f.pasid, "false unless scalable_mode is true");
    // Interrupt-entry-cache invalidation exists only as a queued descriptor.
    if (f.interrupt_remapping && !f.queued_invalidation)
        return problem("interrupt_remapping", f.interrupt_remapping, "false unless queued_invalidation is true");
    // Device-TLB invalidation exists only as a queued descriptor (0x3, 0x8).
    if (f.device_tlb && !f.queued_invalidation)
        return problem("device_tlb", f.device_tlb, "false unless queued_invalidation is true");
    // Page requests come from endpoints that cache translations (ATS), and the page-group response
    // exists only as a queued descriptor of scalable mode (0x9); page requests in legacy mode fault
    // with RTA.3.
    if (f.page_requests && !f.device_tlb)
        return problem("page_requests", f.page_requests, "false unless device_tlb is true");
    if (f.page_requests && !f.scalable_mode)
        return problem("page_requests", f.page_requests, "false unless scalable_mode is true");
    return {};
}

// Features the architecture allows but this model does not implement yet.
std::string check_implemented(const Features& f) {
    if (f.interrupt_remapping)
        return problem("interrupt_remapping", f.interrupt_remapping, "false (interrupt remapping is not modelled)");
    return {};
}

}  // namespace

std::string check_features(const Features& features) {
    for (auto check : {check_version, check_widths, check_masks, check_register_windows, check_modes, check_implemented}) {
        std::string message = check(features);
        if (!message.empty()) return message;
    }
    return {};
}

}  // namespace iommu_vp::vtd
