#include "models/smmuv3/cd.h"

namespace iommu_vp::smmuv3 {
namespace {

constexpr unsigned kCdBytesLog2 = 6;
constexpr unsigned kL1CdBytesLog2 = 3;
constexpr unsigned kMinL1TableAlignmentLog2 = 6;  // L1 CD tables: their size or 64 bytes
constexpr unsigned kLeafCds4kLog2 = 6;            // S1Fmt 0b01: 4 KiB leaves of 64 CDs
constexpr unsigned kLeafCds64kLog2 = 10;          // S1Fmt 0b10: 64 KiB leaves of 1024 CDs
// TxSZ range without IDR3.STT and with IDR5.VAX == 0 (48-bit VAs): 16..39 (SMMUv3 5.4 T0SZ).
constexpr unsigned kMinTxSz = 16;
constexpr unsigned kMaxTxSz = 39;
constexpr unsigned kSmallGranuleAddressBits = 48;
constexpr unsigned kTopByteShift = 56;
constexpr unsigned kRangeSelectBit = 55;

bool beyond(std::uint64_t address, unsigned address_bits) {
    return address_bits < 64 && (address >> address_bits) != 0;
}

Decoded<CdLocation> cd_at_index(const StreamConfig& ste, std::uint32_t index);

Decoded<CdLocation> bad_substream(const char* reason) {
    return decoded_error<CdLocation>(ConfigOutcome::bad_substreamid, reason);
}

// A transaction with a SubstreamID (SMMUv3 5.2 S1CDMax and S1DSS, 7.3.7, 7.3.9).
Decoded<CdLocation> locate_with_substream(const StreamConfig& ste, const Features& f, std::uint32_t ssid) {
    if (!ste.has_stage1()) return bad_substream("SubstreamID supplied but stage 1 is disabled (STE.Config)");
    if (f.ssid_bits == 0) return bad_substream("SubstreamID supplied but substreams are unsupported (IDR1.SSIDSIZE == 0)");
    if (ste.s1_cd_max == 0) return bad_substream("SubstreamID supplied but substreams are disabled (STE.S1CDMax == 0)");
    if ((std::uint64_t{ssid} >> ste.s1_cd_max) != 0) return bad_substream("SubstreamID >= 2^STE.S1CDMax");
    if (ssid == 0 && ste.s1_dss == DefaultSubstream::substream0)
        return decoded_error<CdLocation>(ConfigOutcome::stream_disabled,
                                         "SubstreamID 0 is reserved for non-substream traffic (STE.S1DSS == 0b10)");
    return cd_at_index(ste, ssid);
}

// A transaction without a SubstreamID.
Decoded<CdLocation> locate_without_substream(const StreamConfig& ste, const Features& f) {
    CdLocation bypass;
    bypass.stage1_bypass = true;
    if (!ste.has_stage1()) return decoded_ok(bypass);
    if (f.ssid_bits == 0 || ste.s1_cd_max == 0) return cd_at_index(ste, 0);
    switch (ste.s1_dss) {
    case DefaultSubstream::bypass: return decoded_ok(bypass);
    case DefaultSubstream::substream0: return cd_at_index(ste, 0);
    case DefaultSubstream::terminate: break;
    }
    return decoded_error<CdLocation>(ConfigOutcome::stream_disabled,
                                     "no SubstreamID and STE.S1DSS terminates non-substream traffic");
}

unsigned leaf_cds_log2(CdTableFormat format) {
    return format == CdTableFormat::two_level_4k ? kLeafCds4kLog2 : kLeafCds64kLog2;
}

// S1ContextPtr bits that are RES0 because of S1CDMax: CONSTRAINED UNPREDICTABLE (SMMUv3 5.2
// S1Fmt); this model treats them as zero, so a table is always aligned to its size (a linear table)
// or to MAX(64 bytes, its size) (a level-1 table).
Decoded<CdLocation> cd_at_index(const StreamConfig& ste, std::uint32_t index) {
    CdLocation location;
    location.substream = index;
    const std::uint64_t base = ste.s1_context_ptr;
    switch (ste.s1_format) {
    case CdTableFormat::single: location.address = base; break;
    case CdTableFormat::linear:
        location.address = (base & ~low_mask(ste.s1_cd_max + kCdBytesLog2)) + std::uint64_t{index} * kCdBytes;
        break;
    case CdTableFormat::two_level_4k:
    case CdTableFormat::two_level_64k: {
        const unsigned leaf_log2 = leaf_cds_log2(ste.s1_format);
        unsigned align_log2 = kMinL1TableAlignmentLog2;
        if (ste.s1_cd_max > leaf_log2 && ste.s1_cd_max - leaf_log2 + kL1CdBytesLog2 > align_log2)
            align_log2 = ste.s1_cd_max - leaf_log2 + kL1CdBytesLog2;
        location.is_l1_descriptor = true;
        location.address = (base & ~low_mask(align_log2)) + (std::uint64_t{index} >> leaf_log2) * kL1CdBytes;
        break;
    }
    }
    return decoded_ok(location);
}

// Each check returns why the CD is ILLEGAL, or nullptr. Order follows CdIllegal (5.4.2).
const char* check_fault_model(const ContextConfig& c, const StreamConfig& ste, const Features& f) {
    if (ste.s1_stall_disable && c.s) return "CD.S == 1 but STE.S1STALLD == 1";
    if (f.term_model_abort_only && !c.a) return "CD.A == 0 but IDR0.TERM_MODEL == 1 (abort only)";
    if (f.stall_model == StallModel::terminate_only && c.s) return "CD.S == 1 but IDR0.STALL_MODEL is terminate-only";
    if (f.stall_model == StallModel::stall_forced && !c.s) return "CD.S == 0 but IDR0.STALL_MODEL forces stall";
    return nullptr;
}

const char* check_format(const ContextConfig& c, const StreamConfig& ste, StreamWorld world, const Features& f) {
    if (c.ttb0_enabled || c.ttb1_enabled) {
        if (f.endianness == TableEndianness::little && c.endi)
            return "CD.ENDI selects big-endian tables, IDR0.TTENDIAN is little-endian only";
        if (f.endianness == TableEndianness::big && !c.endi)
            return "CD.ENDI selects little-endian tables, IDR0.TTENDIAN is big-endian only";
    }
    if (!c.aa64) return "CD.AA64 == 0 selects VMSAv8-32 LPAE tables, not implemented (IDR0.TTF)";
    if (ste.has_stage2() && !ste.s2_aa64) return "CD.AA64 == 1 on a VMSAv8-32 LPAE stage 2";
    if ((c.ha || c.hd) && f.httu == 0) return "CD.HA/HD set but IDR0.HTTU == 0";
    if (c.hd && f.httu == 1) return "CD.HD set but IDR0.HTTU == 0b01 (access flag only)";
    const bool asid_used = world == StreamWorld::ns_el1 || world == StreamWorld::ns_el2_e2h;
    if (asid_used && !f.asid16 && (c.asid >> 8) != 0) return "CD.ASID[15:8] != 0 but IDR0.ASID16 == 0";
    return nullptr;
}

const char* check_range(unsigned txsz, unsigned granule_bits, std::uint64_t ttb, unsigned output_bits,
                        const Features& f) {
    if (txsz < kMinTxSz || txsz > kMaxTxSz) return "CD.TxSZ is out of range (16..39)";
    if (granule_bits == 0 || !f.supports_granule(granule_bits)) return "CD.TGx is reserved or not advertised in IDR5";
    if (beyond(ttb, output_bits)) return "CD.TTBx is beyond the effective IPS";
    if (granule_bits != 16 && beyond(ttb, kSmallGranuleAddressBits))
        return "CD.TTBx is beyond 48 bits with a 4 KiB or 16 KiB granule";
    return nullptr;
}

const char* illegal_reason(const ContextConfig& c, const StreamConfig& ste, StreamWorld world, const Features& f) {
    if (const char* reason = check_fault_model(c, ste, f)) return reason;
    if (const char* reason = check_format(c, ste, world, f)) return reason;
    // Fields of a disabled range are IGNORED and not checked (5.4.1.1).
    if (c.ttb0_enabled)
        if (const char* reason = check_range(c.t0sz, c.granule0_bits, c.ttb0, c.output_bits, f)) return reason;
    if (c.ttb1_enabled)
        if (const char* reason = check_range(c.t1sz, c.granule1_bits, c.ttb1, c.output_bits, f)) return reason;
    return nullptr;
}

ContextConfig decode_fields(const CdWords& w, StreamWorld world, const Features& f) {
    auto field = [&](BitField bf) { return static_cast<unsigned>(bf.extract(w[0])); };
    auto flag = [&](BitField bf) { return bf.is_set_in(w[0]); };
    ContextConfig c;
    c.valid = flag(cd::kV);
    c.t0sz = field(cd::kT0Sz), c.tg0 = field(cd::kTg0), c.t1sz = field(cd::kT1Sz), c.tg1 = field(cd::kTg1);
    c.granule0_bits = tg0_granule_bits(c.tg0);
    c.granule1_bits = tg1_granule_bits(c.tg1);
    c.ir0 = field(cd::kIr0), c.or0 = field(cd::kOr0), c.sh0 = field(cd::kSh0);
    c.ir1 = field(cd::kIr1), c.or1 = field(cd::kOr1), c.sh1 = field(cd::kSh1);
    c.epd0 = flag(cd::kEpd0), c.epd1 = flag(cd::kEpd1), c.endi = flag(cd::kEndi);
    c.ips = field(cd::kIps);
    c.output_bits = effective_output_bits(c.ips, f);
    c.affd = flag(cd::kAffd), c.wxn = flag(cd::kWxn), c.uwxn = flag(cd::kUwxn), c.pan = flag(cd::kPan);
    c.aa64 = flag(cd::kAa64), c.ha = flag(cd::kHa), c.hd = flag(cd::kHd);
    c.s = flag(cd::kS), c.r = flag(cd::kR), c.a = flag(cd::kA), c.aset = flag(cd::kAset);
    c.asid = field(cd::kAsid);  // narrowed to ASID[7:0] without ASID16 once checked (decode_cd)
    c.had0 = cd::kHad.is_set_in(w[1]), c.had1 = cd::kHad.is_set_in(w[2]);
    c.ttb0 = cd::kTtb.extract(w[1]) << cd::kTtb.lsb;
    c.ttb1 = cd::kTtb.extract(w[2]) << cd::kTtb.lsb;
    c.mair = w[3];
    // An EL2 (not E2H) stream has one range, TTB0, which EPD0 cannot disable; TTB1, TBI1 and their
    // fields are RES0 (SMMUv3 5.4 EPD0, TBI1, 5.4.1).
    const bool single_range = world == StreamWorld::ns_el2;
    c.ttb0_enabled = single_range || !c.epd0;
    c.ttb1_enabled = !single_range && !c.epd1;
    c.tbi0 = flag(cd::kTbi0);
    c.tbi1 = !single_range && flag(cd::kTbi1);
    return c;
}

vmsa::WalkConfig stage1_walk(unsigned granule_bits, unsigned txsz, std::uint64_t ttb, bool upper,
                             const ContextConfig& c) {
    vmsa::WalkConfig walk;
    walk.stage = vmsa::Stage::one;
    walk.granule_bits = granule_bits;
    walk.input_bits = 64 - txsz;
    walk.start_level = *vmsa::start_level_stage1(granule_bits, walk.input_bits);
    walk.output_bits = c.output_bits;
    walk.upper_range = upper;
    // HTTU (SMMUv3 5.4 HA, HD; 3.13): with HA the SMMU sets the Access flag in the descriptor and
    // AFFD is IGNORED; HD counts only with HA ({HD, HA} == 0b10 is reserved and, where not ILLEGAL,
    // behaves as both 0).
    // access_flag_fault_disabled keeps saying that no Access flag fault occurs with HA.
    walk.access_flag_fault_disabled = c.affd || c.ha;
    walk.hardware_access_flag = c.ha;
    walk.hardware_dirty = c.ha && c.hd;
    walk.table_base = aligned_table_base(ttb, walk);
    return walk;
}

}  // namespace

Decoded<CdLocation> locate_cd(const StreamConfig& ste, const Features& features,
                              std::optional<std::uint32_t> substream_id) {
    if (substream_id) return locate_with_substream(ste, features, *substream_id);
    return locate_without_substream(ste, features);
}

Decoded<std::uint64_t> locate_cd_in_level2(const StreamConfig& ste, const Features& features,
                                           std::uint64_t l1_descriptor, std::uint32_t substream) {
    if (!l1cd::kV.is_set_in(l1_descriptor))
        return decoded_error<std::uint64_t>(ConfigOutcome::bad_substreamid, "L1CD.V == 0");
    const std::uint64_t l2_ptr = l1cd::kL2Ptr.extract(l1_descriptor) << l1cd::kL2Ptr.lsb;
    // SMMUv3 3.4.3: an L2Ptr beyond the OAS (stage 1 only) is C_BAD_SUBSTREAMID from SMMUv3.1; beyond
    // the IAS (an IPA) it is CONSTRAINED UNPREDICTABLE between C_BAD_SUBSTREAMID and a stage-2
    // Translation fault: this model chooses C_BAD_SUBSTREAMID.
    if (beyond(l2_ptr, intermediate_address_bits(features)))
        return decoded_error<std::uint64_t>(ConfigOutcome::bad_substreamid, "L1CD.L2Ptr is beyond the IAS/OAS");
    const unsigned leaf_log2 = leaf_cds_log2(ste.s1_format);
    // 4 KiB leaves: L2Ptr[11:0] are taken as zero. 64 KiB leaves: L2Ptr[15:12] are also RES0; the
    // specification does not say what a set bit does, and this model treats them as zero (a model
    // choice, matching how the SMMU aligns its other tables).
    const std::uint64_t l2_base = l2_ptr & ~low_mask(leaf_log2 + kCdBytesLog2);
    return decoded_ok(l2_base + (std::uint64_t{substream} & low_mask(leaf_log2)) * kCdBytes);
}

unsigned tg1_granule_bits(unsigned tg1) {
    switch (tg1) {
    case 0b01: return 14;
    case 0b10: return 12;
    case 0b11: return 16;
    default: return 0;
    }
}

Decoded<ContextConfig> decode_cd(const CdWords& words, const StreamConfig& ste, StreamWorld world,
                                 const Features& features) {
    ContextConfig c = decode_fields(words, world, features);
    if (!c.valid) return decoded_error<ContextConfig>(ConfigOutcome::bad_cd, "CD.V == 0");
    if (const char* reason = illegal_reason(c, ste, world, features))
        return decoded_error<ContextConfig>(ConfigOutcome::bad_cd, reason);
    if (!features.asid16) c.asid &= 0xff;
    if (c.ttb0_enabled) c.ttb0_walk = stage1_walk(c.granule0_bits, c.t0sz, c.ttb0, false, c);
    if (c.ttb1_enabled) c.ttb1_walk = stage1_walk(c.granule1_bits, c.t1sz, c.ttb1, true, c);
    return decoded_ok(c);
}

Decoded<TableSelection> select_translation_table(const ContextConfig& cd, std::uint64_t input_address) {
    TableSelection s;
    const bool upper = ((input_address >> kRangeSelectBit) & 1) != 0;
    s.ttb = upper ? 1 : 0;
    const bool tbi = upper ? cd.tbi1 : cd.tbi0;
    // Under TBI, VA[63:56] are taken as a sign-extension of VA[55] for translation (SMMUv3 3.4.1).
    const std::uint64_t top_byte = ~low_mask(kTopByteShift);
    s.walk_address = !tbi ? input_address : (upper ? input_address | top_byte : input_address & ~top_byte);
    const bool enabled = upper ? cd.ttb1_enabled : cd.ttb0_enabled;
    if (!enabled)
        return decoded_error<TableSelection>(ConfigOutcome::translation_fault,
                                             upper ? "input address selects TTB1, which is disabled (EPD1 or EL2)"
                                                   : "input address selects TTB0, which is disabled (EPD0)");
    s.walk = upper ? cd.ttb1_walk : cd.ttb0_walk;
    // VA[AddrTop:N-1] must all equal VA[55]: the bits above the range are all zeros (TTB0) or ones.
    const std::uint64_t above = s.walk_address >> s.walk.input_bits;
    const std::uint64_t expected = upper ? low_mask(64 - s.walk.input_bits) : 0;
    if (above != expected)
        return decoded_error<TableSelection>(ConfigOutcome::translation_fault,
                                             "input address is outside the TTBx range set by TxSZ");
    return decoded_ok(s);
}

}  // namespace iommu_vp::smmuv3
