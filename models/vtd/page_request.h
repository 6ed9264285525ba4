// VT-d page requests as plain C++ (no SystemC): the 32-byte page-request descriptor the unit writes
// into the page-request queue (VT-d 7.5.1), the queue as PQA_REG describes it and the PQH/PQT
// arithmetic (VT-d 11.4.11), and the PRG response codes of the page group response descriptor
// (VT-d 7.6.1). The model (vtd_page_requests.cpp) decides what is written and when.
//
// Descriptor layout, confirmed by two sources (Linux drivers/iommu/intel/prq.c `struct page_req_dsc`
// and QEMU hw/i386/intel_iommu_internal.h VTD_PRD_*; fact sheet B.12):
//   qw0: type [7:0] (1: page request), PP (PASID present) 8, RID [31:16], PASID [51:32], EXE
//        (execute requested) 52, PM (privileged mode requested) 53
//   qw1: RD 0, WR 1, LPIG (last page in group) 2, PRG index [11:3], ADDR [63:12]
//   qw2, qw3: private data; this model never has any (PDP, bit 9 of qw0 in older Linux, stays 0).
// The type value 1 is QEMU's (VTD_PRD_TYPE); Linux does not look at it (unconfirmed).
// Queue (fact sheet B.12, QEMU vtd_prq_size): PQA [63:12] is the base, PQS [2:0] gives 2^PQS pages
// of 4 KiB, so 2^(PQS + 7) descriptors; PQH and PQT hold byte offsets in bits [18:5]. The queue is
// full when advancing the tail would make it equal the head: one slot always stays empty (QEMU).
// Offsets at or beyond the queue's size are taken modulo the size (a choice: the specification
// leaves such programming undefined).
#pragma once

#include "models/common/bitfield.h"
#include "models/vtd/features.h"

#include <array>
#include <cstdint>
#include <string>

namespace iommu_vp::vtd {

inline constexpr unsigned kPageRequestDescriptorBytes = 32;
inline constexpr std::uint8_t kPageRequestDescriptorType = 1;

namespace page_request_field {
// qw0.
inline constexpr BitField TYPE = bits(7, 0);
inline constexpr BitField PP = bit(8);
inline constexpr BitField RID = bits(31, 16);
inline constexpr BitField PASID = bits(51, 32);
inline constexpr BitField EXE = bit(52);
inline constexpr BitField PM = bit(53);
// qw1.
inline constexpr BitField RD = bit(0);
inline constexpr BitField WR = bit(1);
inline constexpr BitField LPIG = bit(2);
inline constexpr BitField PRGI = bits(11, 3);
inline constexpr BitField ADDR = bits(63, 12);
}  // namespace page_request_field

struct PageRequestDescriptor {
    std::uint16_t requester_id = 0;    // RID
    bool pasid_present = false;        // PP
    std::uint32_t pasid = 0;
    bool execute = false;              // EXE
    bool privileged = false;           // PM
    bool read = false;                 // RD
    bool write = false;                // WR
    bool last = false;                 // LPIG
    std::uint16_t group_index = 0;     // PRG index, 9 bits
    std::uint64_t address = 0;         // page address, bits [11:0] zero
};

using PageRequestWords = std::array<std::uint64_t, 4>;

PageRequestWords encode_page_request(const PageRequestDescriptor& descriptor);
PageRequestDescriptor decode_page_request(const PageRequestWords& words);

// The page-request queue as PQA_REG describes it.
struct PageRequestQueue {
    std::uint64_t base = 0;            // 4 KiB aligned, below the host address width
    unsigned size_log2_pages = 0;      // PQS

    static PageRequestQueue from_pqa(std::uint64_t pqa, const Features& features);

    std::uint64_t size_bytes() const { return std::uint64_t{4096} << size_log2_pages; }
    std::uint32_t entries() const { return static_cast<std::uint32_t>(size_bytes() / kPageRequestDescriptorBytes); }
    // The index a PQH/PQT value points at (modulo the queue).
    std::uint32_t index_of(std::uint64_t pointer_register) const;
    std::uint64_t pointer_register(std::uint32_t index) const {
        return std::uint64_t{index} * kPageRequestDescriptorBytes;
    }
    std::uint64_t descriptor_address(std::uint32_t index) const { return base + pointer_register(index); }
    std::uint32_t next_index(std::uint32_t index) const { return (index + 1) % entries(); }
    // No room for one more descriptor: the tail's next slot is the head.
    bool is_full(std::uint64_t pqh, std::uint64_t pqt) const { return next_index(index_of(pqt)) == index_of(pqh); }
};

// Page group response Response Code (VT-d 7.6.1, PCIe PRG Response): 0 success, 1 invalid request,
// 0xF response failure; the other values are reserved.
enum class PageResponseCode : std::uint8_t { success = 0x0, invalid_request = 0x1, response_failure = 0xF };

// "PRQ rid=0x18 pasid=0x5 addr=0x7000 r=1 w=1 x=0 pm=0 last=1 prgi=0x3" for the `cmd` log.
std::string describe(const PageRequestDescriptor& descriptor);

}  // namespace iommu_vp::vtd
