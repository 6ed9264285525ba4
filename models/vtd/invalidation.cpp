#include "models/vtd/invalidation.h"

#include "models/common/field_text.h"

#include "models/common/little_endian.h"

#include <cstdio>
#include <initializer_list>

namespace iommu_vp::vtd {
namespace {

namespace f = descriptor_field;

constexpr unsigned kPageShift = 12;
constexpr std::uint64_t kAllBits = ~std::uint64_t{0};

// ---- helpers shared by both interfaces --------------------------------------------------------

// Domain-ID bits at or above the width CAP.ND reports are ignored (VT-d 6.5.2.x DID, 11.4.6).
std::uint16_t domain_id_of(std::uint64_t did_field, const Features& features) {
    return static_cast<std::uint16_t>(did_field & low_mask(features.domain_id_bits));
}

// Hardware with VER.MAX >= 2 always drains before the next wait completes, ignoring DR/DW; older
// hardware drains when software asks and CAP.DRD/DWD say it can (VT-d 6.5.2.3, 11.4.2).
bool drains(bool requested, bool capability, const Features& features) {
    return features.version_major >= 2 || (requested && capability);
}

// The page-selective operands: ADDR with the bits at or above `address_bits` ignored, then aligned
// down to the 2^AM-page region (AM masks the low ADDR bits, VT-d Table 22).
void set_page_operands(IotlbInvalidation& inv, std::uint64_t addr_word, unsigned am, bool ih,
                       unsigned address_bits) {
    inv.address_mask = static_cast<std::uint8_t>(am);
    inv.leaf_only = ih;
    const std::uint64_t address = addr_word & f::ADDR.mask() & low_mask(address_bits);
    inv.address = address & ~low_mask(inv.region_bits());
}

// Fields a granularity ignores are kept at zero (header comment).
void clear_page_operands(IotlbInvalidation& inv) {
    inv.address = 0;
    inv.address_mask = 0;
    inv.leaf_only = false;
}

// ---- queued descriptors -----------------------------------------------------------------------

DecodedDescriptor& fail(DecodedDescriptor& out, QueueError error, const char* reason) {
    out.error = error;
    out.error_reason = reason;
    return out;
}

// Whether the type is legal in this mode with these features (VT-d Table 26, 6.5.2.5, 6.5.2.6,
// 7.6.1); the reason when it is not.
const char* type_illegal_reason(std::uint8_t type, TranslationTableMode mode, const Features& features) {
    const bool scalable = mode == TranslationTableMode::scalable;
    switch (static_cast<DescriptorType>(type)) {
    case DescriptorType::context_cache:
    case DescriptorType::iotlb:
    case DescriptorType::interrupt_entry_cache:
    case DescriptorType::wait: return nullptr;
    case DescriptorType::device_tlb:
        return features.device_tlb ? nullptr : "device-TLB descriptor without ECAP.DT";
    case DescriptorType::pasid_iotlb:
    case DescriptorType::pasid_cache:
        return scalable ? nullptr : "PASID-based descriptor in legacy mode";
    case DescriptorType::pasid_device_tlb:
        if (!scalable) return "PASID-based descriptor in legacy mode";
        return features.device_tlb ? nullptr : "device-TLB descriptor without ECAP.DT";
    case DescriptorType::page_group_response:
        if (!scalable) return "page group response in legacy mode";
        return features.page_requests ? nullptr : "page group response without ECAP.PRS";
    }
    return "unknown descriptor type";
}

// Reserved bits of a word: everything outside the listed fields.
constexpr std::uint64_t outside(std::initializer_list<BitField> fields) {
    std::uint64_t used = 0;
    for (const BitField& field : fields) used |= field.mask();
    return ~used;
}

bool reserved_set(std::uint64_t word, std::uint64_t reserved_mask) { return (word & reserved_mask) != 0; }

DecodedDescriptor& decode_context_cache(DecodedDescriptor& out, const DescriptorWords& w, TranslationTableMode mode,
                                        const Features& features) {
    constexpr std::uint64_t reserved0 =
        outside({f::TYPE_LO, f::GRANULARITY, f::TYPE_HI, f::DID, f::CC_SID, f::CC_FM});
    if (reserved_set(w[0], reserved0) || w[1] != 0) return fail(out, QueueError::reserved_field, "cc_inv_dsc reserved bits set");
    const unsigned g = static_cast<unsigned>(f::GRANULARITY.extract(w[0]));
    if (g == 0) return fail(out, QueueError::reserved_field, "cc_inv_dsc granularity 00 (reserved)");

    ContextCacheInvalidation& inv = out.context_cache;
    inv.requested = inv.granularity = static_cast<ContextGranularity>(g);
    const bool scalable = mode == TranslationTableMode::scalable;
    // Scalable-mode context entries carry no domain ID (VT-d 6.5.2.1): domain-selective becomes
    // global and the DID of a device-selective invalidation is ignored.
    if (scalable && inv.requested == ContextGranularity::domain) inv.granularity = ContextGranularity::global;
    inv.match_domain = !scalable;
    if (inv.granularity != ContextGranularity::global && !scalable)
        inv.domain_id = domain_id_of(f::DID.extract(w[0]), features);
    if (inv.granularity == ContextGranularity::device) {
        inv.source_id = static_cast<std::uint16_t>(f::CC_SID.extract(w[0]));
        inv.function_mask = static_cast<std::uint8_t>(f::CC_FM.extract(w[0]));
    }
    return out;
}

DecodedDescriptor& decode_iotlb(DecodedDescriptor& out, const DescriptorWords& w, const Features& features) {
    constexpr std::uint64_t reserved0 =
        outside({f::TYPE_LO, f::GRANULARITY, f::IOTLB_DW, f::IOTLB_DR, f::TYPE_HI, f::DID});
    constexpr std::uint64_t reserved1 = outside({f::AM, f::IH, f::ADDR});
    if (reserved_set(w[0], reserved0) || reserved_set(w[1], reserved1))
        return fail(out, QueueError::reserved_field, "iotlb_inv_dsc reserved bits set");
    const unsigned g = static_cast<unsigned>(f::GRANULARITY.extract(w[0]));
    if (g == 0) return fail(out, QueueError::reserved_field, "iotlb_inv_dsc granularity 00 (reserved)");

    IotlbInvalidation& inv = out.iotlb;
    inv.requested = inv.granularity = static_cast<IotlbGranularity>(g);
    inv.drain_reads = drains(f::IOTLB_DR.is_set_in(w[0]), features.read_draining, features);
    inv.drain_writes = drains(f::IOTLB_DW.is_set_in(w[0]), features.write_draining, features);
    if (inv.granularity == IotlbGranularity::global) return out;
    inv.domain_id = domain_id_of(f::DID.extract(w[0]), features);
    if (inv.granularity == IotlbGranularity::domain) return out;

    // Page-selective (VT-d 6.5.2.3): invalid without CAP.PSI; AM is limited by CAP.MAMV.
    if (!features.page_selective_invalidation)
        return fail(out, QueueError::reserved_field, "page-selective iotlb_inv_dsc without CAP.PSI");
    const unsigned am = static_cast<unsigned>(f::AM.extract(w[1]));
    if (am > features.max_address_mask) return fail(out, QueueError::reserved_field, "iotlb_inv_dsc AM above CAP.MAMV");
    set_page_operands(inv, w[1], am, f::IH.is_set_in(w[1]), features.mgaw_bits);
    return out;
}

DecodedDescriptor& decode_pasid_iotlb(DecodedDescriptor& out, const DescriptorWords& w, const Features& features) {
    constexpr std::uint64_t reserved0 = outside({f::TYPE_LO, f::GRANULARITY, f::TYPE_HI, f::DID, f::PASID});
    constexpr std::uint64_t reserved1 = outside({f::AM, f::IH, f::ADDR});
    if (reserved_set(w[0], reserved0) || reserved_set(w[1], reserved1))
        return fail(out, QueueError::reserved_field, "p_iotlb_inv_dsc reserved bits set");
    const unsigned g = static_cast<unsigned>(f::GRANULARITY.extract(w[0]));
    // G = 10 PASID-selective, 11 page-selective-within-PASID; 00 and 01 are reserved (VT-d 6.5.2.4).
    if (g < 2) return fail(out, QueueError::reserved_field, "p_iotlb_inv_dsc granularity 00/01 (reserved)");

    IotlbInvalidation& inv = out.iotlb;
    inv.requested = inv.granularity = static_cast<IotlbGranularity>(g);
    inv.domain_id = domain_id_of(f::DID.extract(w[0]), features);
    inv.pasid = static_cast<std::uint32_t>(f::PASID.extract(w[0]));
    // PASID-based IOTLB invalidations always drain (VT-d 6.5.2.4).
    inv.drain_reads = inv.drain_writes = true;
    // Any AM is supported here whatever CAP.MAMV says (VT-d 11.4.2 MAMV), and first-stage input
    // addresses are not limited to MGAW.
    if (inv.granularity == IotlbGranularity::page)
        set_page_operands(inv, w[1], static_cast<unsigned>(f::AM.extract(w[1])), f::IH.is_set_in(w[1]), 64);
    return out;
}

DecodedDescriptor& decode_pasid_cache(DecodedDescriptor& out, const DescriptorWords& w, const Features& features) {
    constexpr std::uint64_t reserved0 = outside({f::TYPE_LO, f::GRANULARITY, f::TYPE_HI, f::DID, f::PASID});
    if (reserved_set(w[0], reserved0) || w[1] != 0)
        return fail(out, QueueError::reserved_field, "pc_inv_dsc reserved bits set");
    const unsigned g = static_cast<unsigned>(f::GRANULARITY.extract(w[0]));
    if (g == 2) return fail(out, QueueError::reserved_field, "pc_inv_dsc granularity 10 (reserved)");

    PasidCacheInvalidation& inv = out.pasid_cache;
    inv.granularity = static_cast<PasidCacheGranularity>(g);
    if (inv.granularity == PasidCacheGranularity::global) return out;
    inv.domain_id = domain_id_of(f::DID.extract(w[0]), features);
    if (inv.granularity == PasidCacheGranularity::pasid) inv.pasid = static_cast<std::uint32_t>(f::PASID.extract(w[0]));
    return out;
}

// PD is reserved unless the unit drains page requests (ECAP.PDS), which this model reports together
// with page-request support. Status-address bits at or above HAW are ignored (VT-d 6.5.2.9).
DecodedDescriptor& decode_wait(DecodedDescriptor& out, const DescriptorWords& w, const Features& features) {
    const std::uint64_t reserved0 =
        outside({f::TYPE_LO, f::WAIT_IF, f::WAIT_SW, f::WAIT_FN, f::TYPE_HI, f::WAIT_STATUS_DATA}) &
        (features.page_requests ? ~f::WAIT_PD.mask() : kAllBits);
    constexpr std::uint64_t reserved1 = outside({f::WAIT_STATUS_ADDR});
    if (reserved_set(w[0], reserved0) || reserved_set(w[1], reserved1))
        return fail(out, QueueError::reserved_field, "inv_wait_dsc reserved bits set");

    InvalidationWait& wait = out.wait;
    wait.interrupt = f::WAIT_IF.is_set_in(w[0]);
    wait.status_write = f::WAIT_SW.is_set_in(w[0]);
    wait.fence = f::WAIT_FN.is_set_in(w[0]);
    wait.page_request_drain = f::WAIT_PD.is_set_in(w[0]);
    wait.status_data = static_cast<std::uint32_t>(f::WAIT_STATUS_DATA.extract(w[0]));
    wait.status_address = w[1] & f::WAIT_STATUS_ADDR.mask() & low_mask(features.host_address_bits);
    return out;
}

std::uint16_t pf_source_id(std::uint64_t qw0) {
    return static_cast<std::uint16_t>(f::DT_PFSID_LO.extract(qw0) |
                                      (f::DT_PFSID_HI.extract(qw0) << f::DT_PFSID_LO.width));
}

DecodedDescriptor& decode_device_tlb(DecodedDescriptor& out, const DescriptorWords& w) {
    constexpr std::uint64_t reserved0 =
        outside({f::TYPE_LO, f::TYPE_HI, f::DT_PFSID_LO, f::DT_MIP, f::DT_SID, f::DT_PFSID_HI});
    constexpr std::uint64_t reserved1 = outside({f::DT_SIZE, f::ADDR});
    if (reserved_set(w[0], reserved0) || reserved_set(w[1], reserved1))
        return fail(out, QueueError::reserved_field, "dev_tlb_inv_dsc reserved bits set");
    DeviceTlbInvalidation& inv = out.device_tlb;
    inv.source_id = static_cast<std::uint16_t>(f::DT_SID.extract(w[0]));
    inv.pf_source_id = pf_source_id(w[0]);
    inv.max_invs_pending = static_cast<std::uint8_t>(f::DT_MIP.extract(w[0]));
    inv.size = f::DT_SIZE.is_set_in(w[1]);
    inv.address = w[1] & f::ADDR.mask();
    return out;
}

DecodedDescriptor& decode_pasid_device_tlb(DecodedDescriptor& out, const DescriptorWords& w) {
    constexpr std::uint64_t reserved0 =
        outside({f::TYPE_LO, f::PDT_MIP, f::TYPE_HI, f::DT_PFSID_LO, f::PDT_SID, f::PASID, f::DT_PFSID_HI});
    constexpr std::uint64_t reserved1 = outside({f::PDT_GLOBAL, f::PDT_SIZE, f::ADDR});
    if (reserved_set(w[0], reserved0) || reserved_set(w[1], reserved1))
        return fail(out, QueueError::reserved_field, "p_dev_tlb_inv_dsc reserved bits set");
    PasidDeviceTlbInvalidation& inv = out.pasid_device_tlb;
    inv.source_id = static_cast<std::uint16_t>(f::PDT_SID.extract(w[0]));
    inv.pasid = static_cast<std::uint32_t>(f::PASID.extract(w[0]));
    inv.pf_source_id = pf_source_id(w[0]);
    inv.max_invs_pending = static_cast<std::uint8_t>(f::PDT_MIP.extract(w[0]));
    inv.global = f::PDT_GLOBAL.is_set_in(w[1]);
    inv.size = f::PDT_SIZE.is_set_in(w[1]);
    inv.address = w[1] & f::ADDR.mask();
    return out;
}

DecodedDescriptor& decode_interrupt_entry_cache(DecodedDescriptor& out, const DescriptorWords& w) {
    constexpr std::uint64_t reserved0 = outside({f::TYPE_LO, f::IEC_G, f::TYPE_HI, f::IEC_IM, f::IEC_IIDX});
    if (reserved_set(w[0], reserved0) || w[1] != 0)
        return fail(out, QueueError::reserved_field, "iec_inv_dsc reserved bits set");
    InterruptEntryCacheInvalidation& inv = out.interrupt_entry_cache;
    inv.index_selective = f::IEC_G.is_set_in(w[0]);
    if (inv.index_selective) {
        inv.index_mask = static_cast<std::uint8_t>(f::IEC_IM.extract(w[0]));
        inv.interrupt_index = static_cast<std::uint16_t>(f::IEC_IIDX.extract(w[0]));
    }
    return out;
}

DecodedDescriptor& decode_page_group_response(DecodedDescriptor& out, const DescriptorWords& w) {
    constexpr std::uint64_t reserved0 =
        outside({f::TYPE_LO, f::PGR_PP, f::TYPE_HI, f::PGR_RC, f::PGR_RID, f::PASID});
    constexpr std::uint64_t reserved1 = outside({f::PGR_IGNORED, f::PGR_PRGI});
    if (reserved_set(w[0], reserved0) || reserved_set(w[1], reserved1))
        return fail(out, QueueError::reserved_field, "page_grp_resp_dsc reserved bits set");
    PageGroupResponse& response = out.page_group_response;
    response.requester_id = static_cast<std::uint16_t>(f::PGR_RID.extract(w[0]));
    response.pasid_present = f::PGR_PP.is_set_in(w[0]);
    if (response.pasid_present) response.pasid = static_cast<std::uint32_t>(f::PASID.extract(w[0]));
    response.response_code = static_cast<std::uint8_t>(f::PGR_RC.extract(w[0]));
    response.prg_index = static_cast<std::uint16_t>(f::PGR_PRGI.extract(w[1]));
    return out;
}

// ---- describe helpers -------------------------------------------------------------------------


const char* context_granularity_name(ContextGranularity g) {
    switch (g) {
    case ContextGranularity::global: return "global";
    case ContextGranularity::domain: return "domain";
    case ContextGranularity::device: return "device";
    }
    return "?";
}

const char* iotlb_granularity_name(IotlbGranularity g, bool pasid_based) {
    switch (g) {
    case IotlbGranularity::global: return "global";
    case IotlbGranularity::domain: return pasid_based ? "pasid" : "domain";
    case IotlbGranularity::page: return "page";
    }
    return "?";
}

const char* pasid_cache_granularity_name(PasidCacheGranularity g) {
    switch (g) {
    case PasidCacheGranularity::domain: return "domain";
    case PasidCacheGranularity::pasid: return "pasid";
    case PasidCacheGranularity::global: return "global";
    }
    return "?";
}

}  // namespace

// ---- invalidation structs ---------------------------------------------------------------------

std::uint16_t ContextCacheInvalidation::source_id_mask() const {
    // FM masks function-number bits from the top down: bit 2, bits 2:1, bits 2:0 (VT-d Table 21,
    // CCMD.FM), for phantom functions.
    static constexpr std::uint16_t masked_bits[4] = {0x0, 0x4, 0x6, 0x7};
    return static_cast<std::uint16_t>(~masked_bits[function_mask & 3u]);
}

bool ContextCacheInvalidation::covers(std::uint16_t entry_source_id, std::uint16_t entry_domain_id) const {
    if (granularity == ContextGranularity::global) return true;
    const bool domain_matches = !match_domain || entry_domain_id == domain_id;
    if (granularity == ContextGranularity::domain) return domain_matches;
    const std::uint16_t mask = source_id_mask();
    return domain_matches && (entry_source_id & mask) == (source_id & mask);
}

unsigned IotlbInvalidation::region_bits() const {
    const unsigned bits_spanned = kPageShift + address_mask;
    return bits_spanned < 64 ? bits_spanned : 64;
}

std::uint64_t IotlbInvalidation::last_address() const { return address | low_mask(region_bits()); }

bool IotlbInvalidation::covers_address(std::uint64_t input_address) const {
    return input_address >= address && input_address <= last_address();
}

// ---- queued invalidation ----------------------------------------------------------------------

const char* describe_iqei(unsigned code) {
    switch (code) {
    case 0: return "info not available";
    case 1: return "invalid tail pointer";
    case 2: return "descriptor fetch error";
    case 3: return "invalid descriptor type";
    case 4: return "reserved field violation";
    case 5: return "invalid descriptor width";
    case 6: return "queue tail misaligned";
    case 7: return "invalid TTM";
    default: return "undefined";
    }
}

const char* descriptor_type_name(std::uint8_t type) {
    switch (static_cast<DescriptorType>(type)) {
    case DescriptorType::context_cache: return "cc_inv_dsc";
    case DescriptorType::iotlb: return "iotlb_inv_dsc";
    case DescriptorType::device_tlb: return "dev_tlb_inv_dsc";
    case DescriptorType::interrupt_entry_cache: return "iec_inv_dsc";
    case DescriptorType::wait: return "inv_wait_dsc";
    case DescriptorType::pasid_iotlb: return "p_iotlb_inv_dsc";
    case DescriptorType::pasid_cache: return "pc_inv_dsc";
    case DescriptorType::pasid_device_tlb: return "p_dev_tlb_inv_dsc";
    case DescriptorType::page_group_response: return "page_grp_resp_dsc";
    }
    return "reserved";
}

DescriptorWords descriptor_words(const std::uint8_t* bytes, DescriptorWidth width) {
    DescriptorWords words{};
    const unsigned count = width == DescriptorWidth::bits256 ? 4 : 2;
    for (unsigned i = 0; i < count; ++i) words[i] = load_le(bytes + 8 * i, 8);
    return words;
}

DeviceTlbRange device_tlb_range(bool size, std::uint64_t address) {
    constexpr unsigned kPageBits = 12;
    DeviceTlbRange range;
    const std::uint64_t page = address & ~low_mask(kPageBits);
    if (!size) {
        range.address = page;
        return range;
    }
    // The lowest clear bit at or above bit 12: the ones below it mark the range's size.
    const std::uint64_t ones = address | low_mask(kPageBits);
    if (~ones == 0) {
        range.all = true;
        return range;
    }
    unsigned n = kPageBits;
    while ((ones >> n) & 1) ++n;
    if (n >= 63) {
        range.all = true;
        return range;
    }
    range.bytes = std::uint64_t{1} << (n + 1);
    range.address = address & ~(range.bytes - 1);
    return range;
}

std::uint8_t descriptor_type_of(std::uint64_t qw0) {
    return static_cast<std::uint8_t>(f::TYPE_LO.extract(qw0) | (f::TYPE_HI.extract(qw0) << f::TYPE_LO.width));
}

QueueError check_queue_mode(DescriptorWidth width, TranslationTableMode mode, const Features& features) {
    // TTM 10 is reserved; 11 (abort-DMA) needs ECAP.ADMS, which this model does not implement.
    if (mode == TranslationTableMode::reserved || mode == TranslationTableMode::abort_dma) return QueueError::invalid_ttm;
    if (mode == TranslationTableMode::scalable && !features.scalable_mode) return QueueError::invalid_ttm;
    // 256-bit descriptors need ECAP.SMTS (or ADMS); scalable mode needs 256-bit descriptors
    // (VT-d 6.5.2, 11.4.9.9 code 5).
    if (width == DescriptorWidth::bits256 && !features.scalable_mode) return QueueError::invalid_width;
    if (width == DescriptorWidth::bits128 && mode == TranslationTableMode::scalable) return QueueError::invalid_width;
    return QueueError::none;
}

DecodedDescriptor decode_descriptor(const DescriptorWords& words, DescriptorWidth width, TranslationTableMode mode,
                                    const Features& features) {
    DecodedDescriptor out;
    out.type = descriptor_type_of(words[0]);
    switch (check_queue_mode(width, mode, features)) {
    case QueueError::none: break;
    case QueueError::invalid_ttm: return fail(out, QueueError::invalid_ttm, "RTADDR.TTM not implemented");
    default: return fail(out, QueueError::invalid_width, "descriptor width not valid in this mode");
    }
    if (const char* reason = type_illegal_reason(out.type, mode, features))
        return fail(out, QueueError::invalid_type, reason);
    // Every type here is a 128-bit descriptor padded with zeros, or a 256-bit one whose upper half
    // is reserved (VT-d 6.5.2.1 .. 6.5.2.9, 7.6.1).
    if (width == DescriptorWidth::bits256 && (words[2] | words[3]) != 0)
        return fail(out, QueueError::reserved_field, "descriptor bits 255:128 set");

    switch (static_cast<DescriptorType>(out.type)) {
    case DescriptorType::context_cache: return decode_context_cache(out, words, mode, features);
    case DescriptorType::iotlb: return decode_iotlb(out, words, features);
    case DescriptorType::device_tlb: return decode_device_tlb(out, words);
    case DescriptorType::interrupt_entry_cache: return decode_interrupt_entry_cache(out, words);
    case DescriptorType::wait: return decode_wait(out, words, features);
    case DescriptorType::pasid_iotlb: return decode_pasid_iotlb(out, words, features);
    case DescriptorType::pasid_cache: return decode_pasid_cache(out, words, features);
    case DescriptorType::pasid_device_tlb: return decode_pasid_device_tlb(out, words);
    case DescriptorType::page_group_response: return decode_page_group_response(out, words);
    }
    return fail(out, QueueError::invalid_type, "unknown descriptor type");  // not reached
}

InvalidationQueue InvalidationQueue::from_iqa(std::uint64_t iqa, const Features& features) {
    InvalidationQueue queue;
    // Base bits at or above the host address width may be ignored (VT-d 11.4.9.3); this model does.
    queue.base = iqa & iqa::IQA.mask() & low_mask(features.host_address_bits);
    queue.size_log2_pages = static_cast<unsigned>(iqa::QS.extract(iqa));
    queue.width = iqa::DW.is_set_in(iqa) ? DescriptorWidth::bits256 : DescriptorWidth::bits128;
    return queue;
}

std::uint32_t InvalidationQueue::index_of(std::uint64_t pointer_register) const {
    return static_cast<std::uint32_t>((pointer_register & queue_pointer::QH_QT.mask()) >> pointer_shift());
}

QueueError check_iqa(std::uint64_t iqa, const Features& features) {
    return iqa::DW.is_set_in(iqa) && !features.scalable_mode ? QueueError::invalid_width : QueueError::none;
}

QueueError check_tail(std::uint64_t iqt, const InvalidationQueue& queue) {
    if (queue.width == DescriptorWidth::bits256 && queue_pointer::RESERVED_256.is_set_in(iqt))
        return QueueError::tail_misaligned;
    if ((iqt & queue_pointer::QH_QT.mask()) >= queue.size_bytes()) return QueueError::invalid_tail;
    return QueueError::none;
}

// ---- register-based invalidation --------------------------------------------------------------

namespace {

// Why a register-based request is refused (CAIG/IAIG = 00, VT-d 11.4.6.1, 11.4.6.3), or nullptr.
const char* register_interface_refusal(TranslationTableMode mode, const Features& features) {
    if (features.version_major >= 6) return "register-based invalidation is not supported (VER.MAX >= 6)";
    if (mode != TranslationTableMode::legacy) return "register-based invalidation with RTADDR.TTM != legacy";
    return nullptr;
}

}  // namespace

ContextCommand decode_context_command(std::uint64_t ccmd, TranslationTableMode mode, const Features& features) {
    ContextCommand command;
    if ((command.error_reason = register_interface_refusal(mode, features))) return command;
    const unsigned cirg = static_cast<unsigned>(ccmd::CIRG.extract(ccmd));
    if (cirg == 0) {
        command.error_reason = "CCMD.CIRG 00 (reserved)";
        return command;
    }
    ContextCacheInvalidation& inv = command.invalidation;
    inv.requested = inv.granularity = static_cast<ContextGranularity>(cirg);
    if (inv.granularity != ContextGranularity::global) inv.domain_id = domain_id_of(ccmd::DID.extract(ccmd), features);
    if (inv.granularity == ContextGranularity::device) {
        inv.source_id = static_cast<std::uint16_t>(ccmd::SID.extract(ccmd));
        inv.function_mask = static_cast<std::uint8_t>(ccmd::FM.extract(ccmd));
    }
    command.performed = true;
    return command;
}

std::uint64_t context_command_completion(std::uint64_t ccmd, const ContextCommand& command) {
    return ccmd::CAIG.insert(ccmd::ICC.insert(ccmd, 0), command.actual_granularity());
}

IotlbCommand decode_iotlb_command(std::uint64_t iotlb_reg, std::uint64_t iva_reg, TranslationTableMode mode,
                                  const Features& features) {
    IotlbCommand command;
    if ((command.error_reason = register_interface_refusal(mode, features))) return command;
    const unsigned iirg = static_cast<unsigned>(iotlb_reg::IIRG.extract(iotlb_reg));
    if (iirg == 0) {
        command.error_reason = "IOTLB_REG.IIRG 00 (reserved)";
        return command;
    }
    IotlbInvalidation& inv = command.invalidation;
    inv.requested = inv.granularity = static_cast<IotlbGranularity>(iirg);
    // DR/DW are ignored when CAP.DRD/DWD are clear (VT-d 11.4.6.3).
    inv.drain_reads = drains(iotlb_reg::DR.is_set_in(iotlb_reg), features.read_draining, features);
    inv.drain_writes = drains(iotlb_reg::DW.is_set_in(iotlb_reg), features.write_draining, features);
    if (inv.granularity != IotlbGranularity::global) inv.domain_id = domain_id_of(iotlb_reg::DID.extract(iotlb_reg), features);
    if (inv.granularity == IotlbGranularity::page) {
        if (!features.page_selective_invalidation) {
            // Hardware may invalidate at a coarser granularity and reports what it did (IAIG = 10).
            inv.granularity = IotlbGranularity::domain;
            clear_page_operands(inv);
        } else {
            const unsigned am = static_cast<unsigned>(iva::AM.extract(iva_reg));
            // An unsupported address mask is an incorrect request: IAIG = 00 (VT-d 11.4.6.3).
            if (am > features.max_address_mask) {
                command.error_reason = "IVA_REG.AM above CAP.MAMV";
                return command;
            }
            set_page_operands(inv, iva_reg & iva::ADDR.mask(), am, iva::IH.is_set_in(iva_reg), features.mgaw_bits);
        }
    }
    command.performed = true;
    return command;
}

std::uint64_t iotlb_command_completion(std::uint64_t iotlb_reg, const IotlbCommand& command) {
    return iotlb_reg::IAIG.insert(iotlb_reg::IVT.insert(iotlb_reg, 0), command.actual_granularity());
}

// ---- describe ---------------------------------------------------------------------------------

std::string describe(const ContextCacheInvalidation& inv) {
    std::string text = "CC g=";
    text += context_granularity_name(inv.granularity);
    if (inv.requested != inv.granularity) {
        text += "(requested ";
        text += context_granularity_name(inv.requested);
        text += ")";
    }
    if (inv.granularity != ContextGranularity::global && inv.match_domain) append_field(text, "did", inv.domain_id);
    if (inv.granularity == ContextGranularity::device) {
        append_field(text, "sid", inv.source_id);
        append_field(text, "fm", inv.function_mask, false);
    }
    if (!inv.match_domain) text += " (scalable: did ignored)";
    return text;
}

std::string describe(const IotlbInvalidation& inv) {
    std::string text = inv.is_pasid_based() ? "PIOTLB g=" : "IOTLB g=";
    text += iotlb_granularity_name(inv.granularity, inv.is_pasid_based());
    if (inv.requested != inv.granularity) {
        text += "(requested ";
        text += iotlb_granularity_name(inv.requested, inv.is_pasid_based());
        text += ")";
    }
    if (inv.granularity != IotlbGranularity::global) append_field(text, "did", inv.domain_id);
    if (inv.pasid) append_field(text, "pasid", *inv.pasid);
    if (inv.granularity == IotlbGranularity::page) {
        append_field(text, "addr", inv.address);
        append_field(text, "am", inv.address_mask, false);
        append_field(text, "ih", inv.leaf_only, false);
    }
    if (!inv.is_pasid_based()) {
        append_field(text, "dr", inv.drain_reads, false);
        append_field(text, "dw", inv.drain_writes, false);
    }
    return text;
}

std::string describe(const PasidCacheInvalidation& inv) {
    std::string text = "PC g=";
    text += pasid_cache_granularity_name(inv.granularity);
    if (inv.granularity != PasidCacheGranularity::global) append_field(text, "did", inv.domain_id);
    if (inv.granularity == PasidCacheGranularity::pasid) append_field(text, "pasid", inv.pasid);
    return text;
}

std::string describe(const InvalidationWait& wait) {
    std::string text = "WAIT";
    append_field(text, "if", wait.interrupt, false);
    append_field(text, "sw", wait.status_write, false);
    append_field(text, "fn", wait.fence, false);
    append_field(text, "pd", wait.page_request_drain, false);
    if (wait.status_write) {
        append_field(text, "data", wait.status_data);
        append_field(text, "addr", wait.status_address);
    }
    return text;
}

std::string describe(const DeviceTlbInvalidation& inv) {
    std::string text = "DEVTLB";
    append_field(text, "sid", inv.source_id);
    append_field(text, "pfsid", inv.pf_source_id);
    append_field(text, "mip", inv.max_invs_pending, false);
    append_field(text, "s", inv.size, false);
    append_field(text, "addr", inv.address);
    return text;
}

std::string describe(const PasidDeviceTlbInvalidation& inv) {
    std::string text = "PDEVTLB";
    append_field(text, "sid", inv.source_id);
    append_field(text, "pasid", inv.pasid);
    append_field(text, "gi", inv.global, false);
    append_field(text, "pfsid", inv.pf_source_id);
    append_field(text, "mip", inv.max_invs_pending, false);
    append_field(text, "s", inv.size, false);
    append_field(text, "addr", inv.address);
    return text;
}

std::string describe(const InterruptEntryCacheInvalidation& inv) {
    std::string text = inv.index_selective ? "IEC g=index" : "IEC g=global";
    if (inv.index_selective) {
        append_field(text, "iidx", inv.interrupt_index);
        append_field(text, "im", inv.index_mask, false);
    }
    return text;
}

std::string describe(const PageGroupResponse& response) {
    std::string text = "PGRESP";
    append_field(text, "rid", response.requester_id);
    append_field(text, "pp", response.pasid_present, false);
    if (response.pasid_present) append_field(text, "pasid", response.pasid);
    append_field(text, "rc", response.response_code);
    append_field(text, "prgi", response.prg_index);
    return text;
}

std::string describe(const DecodedDescriptor& d) {
    if (d.is_error()) {
        std::string text = "IQE";
        append_field(text, "iqei", static_cast<unsigned>(d.error), false);
        text += " (";
        text += describe_iqei(static_cast<unsigned>(d.error));
        text += ")";
        append_field(text, "type", d.type);
        if (d.error_reason) {
            text += ": ";
            text += d.error_reason;
        }
        return text;
    }
    switch (d.descriptor_type()) {
    case DescriptorType::context_cache: return describe(d.context_cache);
    case DescriptorType::iotlb:
    case DescriptorType::pasid_iotlb: return describe(d.iotlb);
    case DescriptorType::device_tlb: return describe(d.device_tlb);
    case DescriptorType::interrupt_entry_cache: return describe(d.interrupt_entry_cache);
    case DescriptorType::wait: return describe(d.wait);
    case DescriptorType::pasid_cache: return describe(d.pasid_cache);
    case DescriptorType::pasid_device_tlb: return describe(d.pasid_device_tlb);
    case DescriptorType::page_group_response: return describe(d.page_group_response);
    }
    return "?";
}

namespace {

template <typename Command>
std::string describe_command(const char* register_name, const char* granularity_name, const Command& command) {
    std::string text = register_name;
    append_field(text, granularity_name, command.actual_granularity(), false);
    if (!command.performed) {
        text += " error: ";
        text += command.error_reason ? command.error_reason : "?";
        return text;
    }
    text += " ";
    text += describe(command.invalidation);
    return text;
}

}  // namespace

std::string describe(const ContextCommand& command) { return describe_command("CCMD", "caig", command); }
std::string describe(const IotlbCommand& command) { return describe_command("IOTLB_REG", "iaig", command); }

}  // namespace iommu_vp::vtd
