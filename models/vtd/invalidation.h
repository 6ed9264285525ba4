// VT-d invalidation requests, as plain C++: the descriptors of the queued invalidation interface
// (VT-d 6.5.2, and the page group response of 7.6.1) and the commands of the register-based
// interface (CCMD_REG, IOTLB_REG + IVA_REG; 6.5.1, 11.4.6) are decoded into one description per
// cache, so that the model applies every invalidation with one piece of code whichever interface
// asked for it. Also the invalidation queue's registers (IQA, IQH, IQT; 11.4.9) and the IQERCD.IQEI
// error codes (11.4.9.9). No SystemC; the decoders allocate nothing (describe() does, for the `cmd`
// log).
//
// Models:
// - Queued descriptors 0x1 context-cache, 0x2 IOTLB, 0x5 invalidation wait, 0x6 PASID-based IOTLB,
//   0x7 PASID-cache: decoded and checked, ready to apply.
// - 0x3 device-TLB, 0x8 PASID-based device-TLB (with ECAP.DT; invalid types without), with the
//   range their address and S bit encode (device_tlb_range), and 0x9 page group response (with
//   ECAP.PRS): decoded and checked; the model delivers them to the endpoint. 0x4 interrupt entry
//   cache (interrupt remapping is not modelled): decoded and checked only.
// - Which descriptor types are legal in which translation-table mode and width (Table 26 of the
//   specification): legacy mode (RTADDR.TTM = 00) accepts 0x1..0x5 in 128- and 256-bit queues;
//   scalable mode (TTM = 01) accepts 0x1..0x9 and only in a 256-bit queue (a 128-bit queue is
//   IQEI 5); the reserved TTM 10 accepts nothing (IQEI 7). Device-TLB types need ECAP.DT, the page
//   group response needs ECAP.PRS (otherwise IQEI 3).
// - The scalable-mode meaning of the legacy descriptors (6.5.2.1, 6.5.2.3): the context cache is
//   not tagged by domain there, so a domain-selective context-cache invalidation is performed as
//   global and the DID of a device-selective one is ignored.
// - Register-based invalidation: CIRG/IIRG decode, the actual granularity reported in CAIG/IAIG,
//   and the register values written back on completion.
//
// Choices and interpretations (where the specification names no IQEI code or leaves it open):
// - A reserved or unsupported granularity in a valid descriptor type (G = 00 for context-cache and
//   IOTLB, 00/01 for PASID-based IOTLB, 10 for PASID-cache, page-selective IOTLB without CAP.PSI)
//   and an IOTLB AM above CAP.MAMV are reported as IQEI 4 (reserved field violation). The
//   specification calls them invalid descriptors without a code.
// - Fields a granularity ignores are decoded as zero (an IOTLB address below page granularity, a
//   context-cache SID below device granularity, a PASID-cache PASID at domain granularity), so the
//   model cannot use them by mistake.
// - Address bits at or above MGAW in an IOTLB descriptor or IVA_REG, DID bits at or above the
//   domain-ID width, and status-address bits at or above the host address width are ignored, as the
//   specification says; the low address bits that AM masks are ignored (not an error).
// - Drain flags are effective values: hardware with VER.MAX >= 2 always drains, so drain_reads and
//   drain_writes are 1 on this model whatever DR/DW say; PASID-based IOTLB invalidations always drain.
// - PFSID and MIP of the device-TLB descriptors are accepted whatever ECAP.DIT says (Linux writes
//   PFSID unconditionally); the wait descriptor's PD bit is reserved unless the unit implements
//   page requests (this model reports ECAP.PDS only together with PRS).
// - TTM = 11 (abort-DMA mode) is an invalid TTM (IQEI 7): ECAP.ADMS is not implemented. TTM = 01 on
//   a unit without scalable mode is also an invalid TTM.
// - Register-based requests fail (CAIG/IAIG = 00) when TTM is not legacy, when the requested
//   granularity is 00, when VER.MAX >= 6, and (IOTLB) when a page-selective AM exceeds MAMV. A
//   page-selective request on a unit without CAP.PSI is performed, and reported, as domain-selective.
//
// Does not model: the HPT cache invalidation descriptor (0xA, VT-d 5.x; invalid type here), the
// interrupt-entry cache itself, device-TLB invalidation messages and their completions (the model's:
// vtd_invalidation.cpp), abort-DMA mode, and what a register-based request does while queued invalidation is enabled (the
// specification leaves it undefined; the caller decides).
#pragma once

#include "models/common/bitfield.h"
#include "models/vtd/features.h"
#include "models/vtd/registers.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace iommu_vp::vtd {

// RTADDR_REG.TTM (VT-d 11.4.5).
enum class TranslationTableMode : std::uint8_t { legacy = 0, scalable = 1, reserved = 2, abort_dma = 3 };

constexpr TranslationTableMode translation_table_mode(std::uint64_t ttm_field) {
    return static_cast<TranslationTableMode>(ttm_field & 0b11);
}

// IQERCD_REG.IQEI (VT-d 11.4.9.9); `none` is the architectural "info not available" value.
enum class QueueError : std::uint8_t {
    none = 0,
    invalid_tail = 1,     // IQT beyond the queue
    fetch_error = 2,      // the descriptor read failed
    invalid_type = 3,     // type unknown, or not valid in this mode and for these features
    reserved_field = 4,   // a reserved field is set in a valid descriptor type (and see the choices above)
    invalid_width = 5,    // IQA.DW = 0 in scalable mode, or DW = 1 without scalable-mode support
    tail_misaligned = 6,  // IQA.DW = 1 and IQT bit 4 set
    invalid_ttm = 7,      // RTADDR.TTM is a value this unit does not implement
};

// "reserved field violation" etc.; codes 8..15 are "undefined".
const char* describe_iqei(unsigned code);

// IQA_REG.DW: 128-bit or 256-bit descriptors.
enum class DescriptorWidth : std::uint8_t { bits128 = 0, bits256 = 1 };

// Descriptor types (VT-d 6.5.2, 7.6.1): bits [3:0] and, as type[6:4], bits [11:9] of the first word.
enum class DescriptorType : std::uint8_t {
    context_cache = 0x1,
    iotlb = 0x2,
    device_tlb = 0x3,
    interrupt_entry_cache = 0x4,
    wait = 0x5,
    pasid_iotlb = 0x6,
    pasid_cache = 0x7,
    pasid_device_tlb = 0x8,
    page_group_response = 0x9,
};

// "cc_inv_dsc", "iotlb_inv_dsc", ... (the specification's short names); "reserved" otherwise.
const char* descriptor_type_name(std::uint8_t type);

// Descriptor fields, as {lsb, width} within the 64-bit word that holds them: qw0 is bits [63:0] of
// the descriptor, qw1 bits [127:64]; qw2 and qw3 (256-bit queues) are reserved for every type here.
namespace descriptor_field {
// qw0, every type.
inline constexpr BitField TYPE_LO = bits(3, 0);
inline constexpr BitField TYPE_HI = bits(11, 9);     // type[6:4]
// qw0, context-cache (0x1), IOTLB (0x2), PASID-based IOTLB (0x6), PASID-cache (0x7).
inline constexpr BitField GRANULARITY = bits(5, 4);
inline constexpr BitField DID = bits(31, 16);
// qw0, context-cache.
inline constexpr BitField CC_SID = bits(47, 32);
inline constexpr BitField CC_FM = bits(49, 48);
// qw0, IOTLB.
inline constexpr BitField IOTLB_DW = bit(6);
inline constexpr BitField IOTLB_DR = bit(7);
// qw0, PASID-based types (0x6, 0x7, 0x8, 0x9).
inline constexpr BitField PASID = bits(51, 32);
// qw1, IOTLB and PASID-based IOTLB.
inline constexpr BitField AM = bits(5, 0);
inline constexpr BitField IH = bit(6);
inline constexpr BitField ADDR = bits(63, 12);
// Device-TLB (0x3): qw0, then qw1 (S, ADDR).
inline constexpr BitField DT_PFSID_LO = bits(15, 12);  // PFSID[3:0]
inline constexpr BitField DT_MIP = bits(20, 16);
inline constexpr BitField DT_SID = bits(47, 32);
inline constexpr BitField DT_PFSID_HI = bits(63, 52);  // PFSID[15:4]
inline constexpr BitField DT_SIZE = bit(0);
// PASID-based device-TLB (0x8): qw0 (also PFSID as for 0x3), then qw1 (GI, S, ADDR).
inline constexpr BitField PDT_MIP = bits(8, 4);
inline constexpr BitField PDT_SID = bits(31, 16);
inline constexpr BitField PDT_GLOBAL = bit(0);
inline constexpr BitField PDT_SIZE = bit(11);
// Interrupt entry cache (0x4), qw0.
inline constexpr BitField IEC_G = bit(4);              // 0 global, 1 index-selective
inline constexpr BitField IEC_IM = bits(31, 27);
inline constexpr BitField IEC_IIDX = bits(47, 32);
// Invalidation wait (0x5): qw0, then qw1.
inline constexpr BitField WAIT_IF = bit(4);
inline constexpr BitField WAIT_SW = bit(5);
inline constexpr BitField WAIT_FN = bit(6);
inline constexpr BitField WAIT_PD = bit(7);
inline constexpr BitField WAIT_STATUS_DATA = bits(63, 32);
inline constexpr BitField WAIT_STATUS_ADDR = bits(63, 2);  // bits at or above HAW are ignored
// Page group response (0x9): qw0, then qw1.
inline constexpr BitField PGR_PP = bit(4);
inline constexpr BitField PGR_RC = bits(15, 12);
inline constexpr BitField PGR_RID = bits(31, 16);
inline constexpr BitField PGR_IGNORED = bit(2);        // qw1 bit 66: ignored, not reserved
inline constexpr BitField PGR_PRGI = bits(11, 3);
}  // namespace descriptor_field



// ---- what an invalidation asks for ------------------------------------------------------------

// Context-cache granularity: the G field of cc_inv_dsc and CCMD.CIRG/CAIG share this encoding.
enum class ContextGranularity : std::uint8_t { global = 1, domain = 2, device = 3 };

struct ContextCacheInvalidation {
    ContextGranularity requested = ContextGranularity::global;
    ContextGranularity granularity = ContextGranularity::global;  // what is performed
    std::uint16_t domain_id = 0;       // domain and device granularity, legacy mode
    bool match_domain = true;          // false in scalable mode: context entries carry no DID there
    std::uint16_t source_id = 0;       // device granularity
    std::uint8_t function_mask = 0;    // FM: 1 masks SID bit 2, 2 bits 2:1, 3 bits 2:0 (Table 21)

    // The SID bits a device-selective invalidation compares.
    std::uint16_t source_id_mask() const;
    // Whether a context-cache entry for `source_id` in `domain_id` is invalidated.
    bool covers(std::uint16_t entry_source_id, std::uint16_t entry_domain_id) const;
};

// IOTLB granularity: the G field of iotlb_inv_dsc and IOTLB_REG.IIRG/IAIG share this encoding. A
// PASID-based IOTLB invalidation (p_iotlb_inv_dsc) is `domain` (G = 10: every entry of the PASID in
// the domain) or `page` (G = 11: a region within the PASID) with `pasid` set.
enum class IotlbGranularity : std::uint8_t { global = 1, domain = 2, page = 3 };

struct IotlbInvalidation {
    IotlbGranularity requested = IotlbGranularity::global;
    IotlbGranularity granularity = IotlbGranularity::global;  // what is performed
    std::uint16_t domain_id = 0;       // domain and page granularity
    std::uint64_t address = 0;         // page granularity: the region's first byte (low AM bits cleared)
    std::uint8_t address_mask = 0;     // AM: the region is 2^AM 4 KiB pages
    bool leaf_only = false;            // IH: paging-structure caches may be kept
    bool drain_reads = false;          // effective, see the header comment
    bool drain_writes = false;
    std::optional<std::uint32_t> pasid;  // set for PASID-based IOTLB invalidations

    bool is_pasid_based() const { return pasid.has_value(); }
    // Number of address bits the region spans (12 + AM, at most 64).
    unsigned region_bits() const;
    std::uint64_t last_address() const;  // inclusive
    // Whether the page-granularity region contains `input_address`. For a page-selective IOTLB
    // invalidation without PASID, entries from first-stage or nested translation of the domain are
    // invalidated whatever their address (VT-d 6.5.2.3, Table 23); the cache applies that rule.
    bool covers_address(std::uint64_t input_address) const;
};

// PASID-cache granularity (pc_inv_dsc G field; 10 is reserved).
enum class PasidCacheGranularity : std::uint8_t { domain = 0, pasid = 1, global = 3 };

struct PasidCacheInvalidation {
    PasidCacheGranularity granularity = PasidCacheGranularity::global;
    std::uint16_t domain_id = 0;       // domain and PASID granularity
    std::uint32_t pasid = 0;           // PASID granularity
};

struct InvalidationWait {
    bool interrupt = false;            // IF: set ICS.IWC, maybe raise the completion interrupt
    bool status_write = false;         // SW: write status_data (32 bits) to status_address
    bool fence = false;                // FN: later descriptors wait for this one
    bool page_request_drain = false;   // PD
    std::uint32_t status_data = 0;
    std::uint64_t status_address = 0;  // 4-byte aligned, below the host address width
};

// Device-TLB invalidations, delivered by the model to the endpoint with that source-id.
struct DeviceTlbInvalidation {
    std::uint16_t source_id = 0;
    std::uint16_t pf_source_id = 0;    // PFSID
    std::uint8_t max_invs_pending = 0; // MIP
    bool size = false;                 // S: the range is encoded in the address's low set bits
    std::uint64_t address = 0;         // ADDR[63:12] in place
};

struct PasidDeviceTlbInvalidation {
    std::uint16_t source_id = 0;
    std::uint32_t pasid = 0;
    bool global = false;               // GI
    std::uint16_t pf_source_id = 0;
    std::uint8_t max_invs_pending = 0;
    bool size = false;
    std::uint64_t address = 0;
};

// Decoded only (interrupt remapping is not modelled).
struct InterruptEntryCacheInvalidation {
    bool index_selective = false;      // G
    std::uint8_t index_mask = 0;       // IM: 2^IM interrupt indexes
    std::uint16_t interrupt_index = 0; // IIDX
};

// Delivered by the model to the endpoint with that requester ID.
struct PageGroupResponse {
    std::uint16_t requester_id = 0;
    bool pasid_present = false;
    std::uint32_t pasid = 0;
    std::uint8_t response_code = 0;    // 0 success, 1 invalid request, 0xF response failure
    std::uint16_t prg_index = 0;
};

// The range a device-TLB invalidation covers (VT-d 6.5.2.5, 6.5.2.6; PCIe ATS Invalidate Request;
// fact sheet B.11): with S = 0 the 4 KiB page at ADDR. With S = 1 the address bits below the range
// are written as ones and the lowest clear bit at or above bit 12, bit n, gives a range of 2^(n+1)
// bytes (bit 12 clear: 8 KiB) aligned to its size; bit 63 clear with bits 62:12 set, or every bit
// set, covers the whole address space (Linux writes the former for a device-wide flush).
struct DeviceTlbRange {
    std::uint64_t address = 0;         // first byte, aligned to the size
    std::uint64_t bytes = 4096;        // meaningful unless `all`
    bool all = false;
};
DeviceTlbRange device_tlb_range(bool size, std::uint64_t address);

// ---- queued invalidation ----------------------------------------------------------------------

using DescriptorWords = std::array<std::uint64_t, 4>;  // qw0..qw3; qw2, qw3 unused with 128-bit

// The words of the descriptor at `bytes` (16 or 32 bytes, little-endian); qw2, qw3 are 0 for 128-bit.
DescriptorWords descriptor_words(const std::uint8_t* bytes, DescriptorWidth width);

struct DecodedDescriptor {
    std::uint8_t type = 0;             // the 7-bit type as written
    QueueError error = QueueError::none;
    const char* error_reason = nullptr;  // static text when error != none

    // The member for `type` is meaningful when error == none.
    ContextCacheInvalidation context_cache;
    IotlbInvalidation iotlb;           // 0x2 and 0x6
    PasidCacheInvalidation pasid_cache;
    InvalidationWait wait;
    DeviceTlbInvalidation device_tlb;
    PasidDeviceTlbInvalidation pasid_device_tlb;
    InterruptEntryCacheInvalidation interrupt_entry_cache;
    PageGroupResponse page_group_response;

    bool is_error() const { return error != QueueError::none; }
    DescriptorType descriptor_type() const { return static_cast<DescriptorType>(type); }
};

// The 7-bit type of a descriptor's first word.
std::uint8_t descriptor_type_of(std::uint64_t qw0);

// Checks the queue's width against the translation-table mode and the unit (IQEI 7, then 5).
QueueError check_queue_mode(DescriptorWidth width, TranslationTableMode mode, const Features& features);

// Decodes one descriptor fetched from a queue of `width` while RTADDR.TTM is `mode`. Checks, in
// order: the mode and width (IQEI 7, 5), the type (3), reserved fields including qw2/qw3 of a 256-bit
// queue (4), granularity, CAP.PSI and CAP.MAMV (4).
DecodedDescriptor decode_descriptor(const DescriptorWords& words, DescriptorWidth width, TranslationTableMode mode,
                                    const Features& features);

// The invalidation queue as IQA_REG describes it.
struct InvalidationQueue {
    std::uint64_t base = 0;            // 4 KiB aligned, below the host address width
    unsigned size_log2_pages = 0;      // QS: 2^QS pages of 4 KiB
    DescriptorWidth width = DescriptorWidth::bits128;

    static InvalidationQueue from_iqa(std::uint64_t iqa, const Features& features);

    unsigned descriptor_bytes() const { return width == DescriptorWidth::bits256 ? 32 : 16; }
    // The shift from a descriptor index to the IQH/IQT byte offset.
    unsigned pointer_shift() const { return width == DescriptorWidth::bits256 ? 5 : 4; }
    std::uint64_t size_bytes() const { return std::uint64_t{4096} << size_log2_pages; }
    // 2^(QS + 8) descriptors of 128 bits, 2^(QS + 7) of 256 bits.
    std::uint32_t entries() const { return static_cast<std::uint32_t>(size_bytes() / descriptor_bytes()); }
    std::uint64_t descriptor_offset(std::uint32_t index) const { return std::uint64_t{index} << pointer_shift(); }
    std::uint64_t descriptor_address(std::uint32_t index) const { return base + descriptor_offset(index); }
    // The index an IQH/IQT value points at (QH/QT field >> 4 or >> 5).
    std::uint32_t index_of(std::uint64_t pointer_register) const;
    // The IQH value for `index`.
    std::uint64_t pointer_register(std::uint32_t index) const { return descriptor_offset(index); }
    std::uint32_t next_index(std::uint32_t index) const { return (index + 1) % entries(); }
};

// IQA_REG as written: DW = 1 without scalable-mode support is IQEI 5.
QueueError check_iqa(std::uint64_t iqa, const Features& features);

// IQT_REG against the queue: bit 4 set with 256-bit descriptors is IQEI 6, an offset at or beyond
// the end of the queue is IQEI 1.
QueueError check_tail(std::uint64_t iqt, const InvalidationQueue& queue);

// ---- register-based invalidation --------------------------------------------------------------

// A CCMD_REG write with ICC set.
struct ContextCommand {
    bool performed = false;            // false: nothing is invalidated and CAIG reads 00
    const char* error_reason = nullptr;
    ContextCacheInvalidation invalidation;
    // CAIG: the performed granularity, 00 when not performed.
    unsigned actual_granularity() const { return performed ? static_cast<unsigned>(invalidation.granularity) : 0; }
};

ContextCommand decode_context_command(std::uint64_t ccmd, TranslationTableMode mode, const Features& features);
// CCMD_REG after completion: ICC clear, CAIG set, the other bits as written.
std::uint64_t context_command_completion(std::uint64_t ccmd, const ContextCommand& command);

// An IOTLB_REG write with IVT set (IVA_REG supplies the page-selective operands).
struct IotlbCommand {
    bool performed = false;            // false: nothing is invalidated and IAIG reads 00
    const char* error_reason = nullptr;
    IotlbInvalidation invalidation;
    unsigned actual_granularity() const { return performed ? static_cast<unsigned>(invalidation.granularity) : 0; }
};

IotlbCommand decode_iotlb_command(std::uint64_t iotlb_reg, std::uint64_t iva_reg, TranslationTableMode mode,
                                  const Features& features);
// IOTLB_REG after completion: IVT clear, IAIG set, the other bits as written.
std::uint64_t iotlb_command_completion(std::uint64_t iotlb_reg, const IotlbCommand& command);

// ---- the `cmd` log ----------------------------------------------------------------------------

// "IOTLB g=page did=0x3 addr=0x12345000 am=2 ih=0 dr=1 dw=1" and the like.
std::string describe(const ContextCacheInvalidation& invalidation);
std::string describe(const IotlbInvalidation& invalidation);
std::string describe(const PasidCacheInvalidation& invalidation);
std::string describe(const InvalidationWait& wait);
std::string describe(const DeviceTlbInvalidation& invalidation);
std::string describe(const PasidDeviceTlbInvalidation& invalidation);
std::string describe(const InterruptEntryCacheInvalidation& invalidation);
std::string describe(const PageGroupResponse& response);
// The decoded member, or "IQE iqei=4 (reserved field violation) type=0x2: <reason>".
std::string describe(const DecodedDescriptor& descriptor);
// "CCMD caig=3 CC g=device ..." or "CCMD caig=0 error: <reason>".
std::string describe(const ContextCommand& command);
std::string describe(const IotlbCommand& command);

}  // namespace iommu_vp::vtd
