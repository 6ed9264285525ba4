#include "models/smmuv3/ste.h"

namespace iommu_vp::smmuv3 {
namespace {

// IMPLEMENTATION DEFINED: IDR0.NS1ATS. Split-stage ATS (STE.EATS == 0b10) is not implemented, so
// the SMMU advertises NS1ATS == 1 and such an STE is ILLEGAL when ATS is implemented.
constexpr bool kSplitStageAtsSupported = false;

// Without IDR3.STT the largest TxSZ is 39 (SMMUv3 5.2 S2T0SZ, 5.4 T0SZ).
constexpr unsigned kMaxTxSz = 39;
// A 4 KiB or 16 KiB granule without DS addresses at most 48 bits (SMMUv3 5.2 S2TTB).
constexpr unsigned kSmallGranuleAddressBits = 48;

enum ConfigBits : unsigned { kConfigStage1 = 0b001, kConfigStage2 = 0b010, kConfigTranslate = 0b100 };

unsigned field(const SteWords& w, unsigned word, BitField f) { return static_cast<unsigned>(f.extract(w[word])); }
bool flag(const SteWords& w, unsigned word, BitField f) { return f.is_set_in(w[word]); }

bool beyond(std::uint64_t address, unsigned address_bits) {
    return address_bits < 64 && (address >> address_bits) != 0;
}

StreamMode mode_of(unsigned config) {
    if ((config & kConfigTranslate) == 0) return StreamMode::abort;
    switch (config & (kConfigStage1 | kConfigStage2)) {
    case kConfigStage1: return StreamMode::stage1;
    case kConfigStage2: return StreamMode::stage2;
    case kConfigStage1 | kConfigStage2: return StreamMode::nested;
    default: return StreamMode::bypass;
    }
}

// S1Fmt is IGNORED (one CD) when substreams are disabled or unsupported; 0b11 behaves as 0b00.
CdTableFormat cd_table_format(unsigned s1_fmt, unsigned s1_cd_max, const Features& f) {
    if (f.ssid_bits == 0 || s1_cd_max == 0) return CdTableFormat::single;
    if (s1_fmt == 0b01) return CdTableFormat::two_level_4k;
    if (s1_fmt == 0b10) return CdTableFormat::two_level_64k;
    return CdTableFormat::linear;
}

// S1DSS 0b11 is reserved and behaves as 0b00.
DefaultSubstream default_substream(unsigned s1dss) {
    if (s1dss == 0b01) return DefaultSubstream::bypass;
    if (s1dss == 0b10) return DefaultSubstream::substream0;
    return DefaultSubstream::terminate;
}

// STRW is used only for a stage-1-only STE (Config == 0b101) on an SMMU with IDR0.Hyp (SMMUv3 5.2
// STRW, 5.2.2 IgnoreSTESTRW): RES0 without Hyp (or without stage 1), IGNORED with stage 2 enabled
// (StreamWorld NS-EL1) and for bypass. Where used, 0b00 is NS-EL1, 0b10 NS-EL2 or NS-EL2-E2H as
// SMMU_CR2.E2H says, 0bx1 is reserved and ILLEGAL (check_strw).
bool strw_used(const StreamConfig& c, const Features& f) {
    return f.has_hyp() && c.mode == StreamMode::stage1;
}

// EATS is IGNORED without IDR0.ATS and when Config[1:0] == 0b00; 0b11 needs IDR3.DPT (not
// implemented) and behaves as 0b00.
unsigned effective_eats(const StreamConfig& c, const Features& f) {
    if (!f.ats || (c.config & (kConfigStage1 | kConfigStage2)) == 0 || c.eats == 0b11) return 0;
    return c.eats;
}

void decode_stage1_fields(const SteWords& w, const Features& f, StreamConfig& c) {
    c.s1_fmt = field(w, 0, ste::kS1Fmt);
    c.s1_context_ptr = ste::kS1ContextPtr.extract(w[0]) << ste::kS1ContextPtr.lsb;
    c.s1_cd_max = field(w, 0, ste::kS1CdMax);
    c.s1_format = cd_table_format(c.s1_fmt, c.s1_cd_max, f);
    c.s1_dss = default_substream(field(w, 1, ste::kS1Dss));
    c.s1_cir = field(w, 1, ste::kS1Cir);
    c.s1_cor = field(w, 1, ste::kS1Cor);
    c.s1_csh = field(w, 1, ste::kS1Csh);
    c.s1_stall_disable = flag(w, 1, ste::kS1StallD);
    c.strw = field(w, 1, ste::kStrw);
}

void decode_attribute_fields(const SteWords& w, const Features& f, StreamConfig& c) {
    c.eats = field(w, 1, ste::kEats);
    c.ppar = f.pri && f.ssid_bits != 0 && flag(w, 1, ste::kPpar);
    c.merge_events = flag(w, 1, ste::kMev);
    c.cont = field(w, 1, ste::kCont);
    c.mem_attr = field(w, 1, ste::kMemAttr);
    c.mtcfg = flag(w, 1, ste::kMtCfg);
    c.alloccfg = field(w, 1, ste::kAllocCfg);
    c.shcfg = field(w, 1, ste::kShCfg);
    c.nscfg = field(w, 1, ste::kNsCfg);
    c.privcfg = field(w, 1, ste::kPrivCfg);
    c.instcfg = field(w, 1, ste::kInstCfg);
}

void decode_stage2_fields(const SteWords& w, const Features& f, StreamConfig& c) {
    c.s2_vmid = field(w, 2, ste::kS2Vmid);
    c.s2_t0sz = field(w, 2, ste::kS2T0Sz);
    c.s2_sl0 = field(w, 2, ste::kS2Sl0);
    c.s2_ir0 = field(w, 2, ste::kS2Ir0);
    c.s2_or0 = field(w, 2, ste::kS2Or0);
    c.s2_sh0 = field(w, 2, ste::kS2Sh0);
    c.s2_tg = field(w, 2, ste::kS2Tg);
    c.s2_ps = field(w, 2, ste::kS2Ps);
    c.s2_aa64 = flag(w, 2, ste::kS2Aa64);
    c.s2_endi = flag(w, 2, ste::kS2Endi);
    c.s2_affd = flag(w, 2, ste::kS2Affd);
    c.s2_ptw = flag(w, 2, ste::kS2Ptw);
    c.s2_hd = flag(w, 2, ste::kS2Hd);
    c.s2_ha = flag(w, 2, ste::kS2Ha);
    c.s2_s = flag(w, 2, ste::kS2S);
    c.s2_r = flag(w, 2, ste::kS2R);
    c.s2_ttb = ste::kS2Ttb.extract(w[3]) << ste::kS2Ttb.lsb;
    c.s2_output_bits = effective_output_bits(c.s2_ps, f);
}

StreamConfig decode_fields(const SteWords& w, const Features& f) {
    StreamConfig c;
    c.valid = flag(w, 0, ste::kV);
    c.config = field(w, 0, ste::kConfig);
    c.mode = mode_of(c.config);
    decode_stage1_fields(w, f, c);
    decode_attribute_fields(w, f, c);
    decode_stage2_fields(w, f, c);
    c.effective_eats = effective_eats(c, f);
    c.el2_stream_world = strw_used(c, f) && c.strw == 0b10;
    return c;
}

// Each check returns the reason the STE is ILLEGAL, or nullptr. Order follows SteIllegal (5.2.2).
const char* check_stages(const StreamConfig& c, const Features& f) {
    if (c.has_stage1() && !f.stage1) return "STE.Config enables stage 1, which is not implemented (IDR0.S1P)";
    if (c.has_stage2() && !f.stage2) return "STE.Config enables stage 2, which is not implemented (IDR0.S2P)";
    return nullptr;
}

const char* check_ats(const StreamConfig& c, const Features& f) {
    if (!f.ats || (c.config & (kConfigStage1 | kConfigStage2)) == 0) return nullptr;
    if (c.eats == 0b10 && (c.mode != StreamMode::nested || c.s2_s || !kSplitStageAtsSupported))
        return "STE.EATS == 0b10 (split-stage ATS) needs Config 0b111, S2S == 0 and IDR0.NS1ATS == 0";
    if (c.eats == 0b01 && c.s2_s && c.has_stage2()) return "STE.EATS == 0b01 (full ATS) with stage 2 and S2S == 1";
    return nullptr;
}

const char* check_strw(const StreamConfig& c, const Features& f) {
    if (strw_used(c, f) && (c.strw & 0b01) != 0) return "STE.STRW is reserved (0bx1)";
    return nullptr;
}

const char* check_stage1(const StreamConfig& c, const Features& f) {
    if (!c.has_stage1()) return nullptr;
    if (c.s1_stall_disable && f.stall_model != StallModel::stall_and_terminate)
        return "STE.S1STALLD == 1 but IDR0.STALL_MODEL is not 0b00 (stall not configurable)";
    if (f.ssid_bits != 0 && c.s1_cd_max > f.ssid_bits) return "STE.S1CDMax > IDR1.SSIDSIZE";
    if (f.ssid_bits != 0 && c.s1_cd_max != 0 && !f.two_level_cd && (c.s1_fmt == 0b01 || c.s1_fmt == 0b10))
        return "STE.S1Fmt selects a 2-level CD table but IDR0.CD2L == 0";
    // SMMUv3 3.4.3: a stage-1-only S1ContextPtr beyond the OAS is C_BAD_STE (SMMUv3.1 and later). For
    // an IPA beyond the IAS it is CONSTRAINED UNPREDICTABLE between C_BAD_STE and a stage-2
    // Translation fault: this model chooses C_BAD_STE (IAS == OAS here).
    if (beyond(c.s1_context_ptr, intermediate_address_bits(f))) return "STE.S1ContextPtr is beyond the IAS/OAS";
    return nullptr;
}

const char* check_stage2_model(const StreamConfig& c, const Features& f) {
    if (c.s2_s && f.stall_model == StallModel::terminate_only)
        return "STE.S2S == 1 but IDR0.STALL_MODEL is terminate-only";
    if (!c.s2_s && f.stall_model == StallModel::stall_forced) return "STE.S2S == 0 but IDR0.STALL_MODEL forces stall";
    if (!c.s2_aa64) return "STE.S2AA64 == 0 selects VMSAv8-32 LPAE tables, not implemented (IDR0.TTF)";
    if ((c.s2_ha || c.s2_hd) && f.httu == 0) return "STE.S2HA/S2HD set but IDR0.HTTU == 0";
    if (c.s2_hd && f.httu == 1) return "STE.S2HD set but IDR0.HTTU == 0b01 (access flag only)";
    return nullptr;
}

const char* check_stage2_tables(const StreamConfig& c, const Features& f) {
    const unsigned granule = tg0_granule_bits(c.s2_tg);
    if (granule == 0 || !f.supports_granule(granule)) return "STE.S2TG is reserved or not advertised in IDR5";
    if (beyond(c.s2_ttb, c.s2_output_bits)) return "STE.S2TTB is beyond the effective S2PS";
    if (granule != 16 && beyond(c.s2_ttb, kSmallGranuleAddressBits))
        return "STE.S2TTB is beyond 48 bits with a 4 KiB or 16 KiB granule";
    // S2T0SZ range (SMMUv3.1 and later: out of range is ILLEGAL): at least MAX(16, 64 - IAS), or
    // MAX(12, 64 - IAS) with the 64 KiB granule; at most 39 without IDR3.STT.
    const unsigned ias = intermediate_address_bits(f);
    const unsigned floor = granule == 16 ? 12 : 16;
    const unsigned min_t0sz = 64 - ias > floor ? 64 - ias : floor;
    if (c.s2_t0sz < min_t0sz || c.s2_t0sz > kMaxTxSz) return "STE.S2T0SZ is out of range";
    if (64 - c.s2_t0sz > 48) return "STE.S2T0SZ selects a 52-bit IPA, which this model does not walk";
    if (!vmsa::start_level_stage2(granule, c.s2_sl0, 64 - c.s2_t0sz))
        return "STE.S2SL0 is inconsistent with S2T0SZ and S2TG";
    if (f.endianness == TableEndianness::little && c.s2_endi)
        return "STE.S2ENDI selects big-endian tables, IDR0.TTENDIAN is little-endian only";
    if (f.endianness == TableEndianness::big && !c.s2_endi)
        return "STE.S2ENDI selects little-endian tables, IDR0.TTENDIAN is big-endian only";
    return nullptr;
}

// S2VMID is IGNORED for abort and bypass, without stage 2, and for a stage-1-only STE whose used
// STRW selects a StreamWorld other than EL1 (IgnoreSTES2VMID, 5.2.2).
const char* check_vmid(const StreamConfig& c, const Features& f) {
    const bool ignored = c.mode == StreamMode::abort || c.mode == StreamMode::bypass || !f.stage2 ||
                         (strw_used(c, f) && c.strw != 0);
    if (!ignored && !f.vmid16 && (c.s2_vmid >> 8) != 0) return "STE.S2VMID[15:8] != 0 but IDR0.VMID16 == 0";
    return nullptr;
}

const char* illegal_reason(const StreamConfig& c, const Features& f) {
    for (const char* reason : {check_stages(c, f), check_ats(c, f), check_strw(c, f), check_stage1(c, f)})
        if (reason) return reason;
    if (c.has_stage2()) {
        if (const char* reason = check_stage2_model(c, f)) return reason;
        if (const char* reason = check_stage2_tables(c, f)) return reason;
    }
    return check_vmid(c, f);
}

vmsa::WalkConfig stage2_walk(const StreamConfig& c) {
    vmsa::WalkConfig walk;
    walk.stage = vmsa::Stage::two;
    walk.granule_bits = tg0_granule_bits(c.s2_tg);
    walk.input_bits = 64 - c.s2_t0sz;
    walk.start_level = *vmsa::start_level_stage2(walk.granule_bits, c.s2_sl0, walk.input_bits);
    walk.output_bits = c.s2_output_bits;
    // HTTU (SMMUv3 5.2 S2HA, S2HD; 3.13): with S2HA the SMMU sets the Access flag in the descriptor
    // and S2AFFD is IGNORED; S2HD counts only with S2HA ({S2HA, S2HD} == 0b01 is reserved and, where
    // not ILLEGAL, behaves as both 0).
    // access_flag_fault_disabled keeps saying that no Access flag fault occurs with S2HA.
    walk.access_flag_fault_disabled = c.s2_affd || c.s2_ha;
    walk.hardware_access_flag = c.s2_ha;
    walk.hardware_dirty = c.s2_ha && c.s2_hd;
    walk.table_base = aligned_table_base(c.s2_ttb, walk);
    return walk;
}

}  // namespace

unsigned effective_output_bits(unsigned ps_encoding, const Features& features) {
    const unsigned encoding = ps_encoding == 0b111 ? 0b110 : ps_encoding;
    const unsigned bits = address_size_bits(encoding);
    return bits < features.oas_bits ? bits : features.oas_bits;
}

unsigned intermediate_address_bits(const Features& features) { return features.oas_bits; }

unsigned tg0_granule_bits(unsigned tg) {
    switch (tg) {
    case 0b00: return 12;
    case 0b01: return 16;
    case 0b10: return 14;
    default: return 0;
    }
}

std::uint64_t aligned_table_base(std::uint64_t ttb, const vmsa::WalkConfig& walk) {
    const unsigned resolved = walk.input_bits - vmsa::level_shift(walk.granule_bits, walk.start_level);
    unsigned table_bytes_log2 = resolved + 3;  // 8-byte descriptors
    if (walk.output_bits >= 52 && table_bytes_log2 < 6) table_bytes_log2 = 6;
    return ttb & ~low_mask(table_bytes_log2);
}

Decoded<StreamConfig> decode_ste(const SteWords& words, const Features& features) {
    StreamConfig c = decode_fields(words, features);
    if (!c.valid) return decoded_error<StreamConfig>(ConfigOutcome::bad_ste, "STE.V == 0");
    // Config 0b000 aborts without an event; the other 0b0xx values are reserved and behave as it.
    if (c.mode == StreamMode::abort)
        return Decoded<StreamConfig>{ConfigOutcome::abort_silently, "STE.Config == 0b0xx (abort, no event)", c};
    if (const char* reason = illegal_reason(c, features))
        return decoded_error<StreamConfig>(ConfigOutcome::bad_ste, reason);
    if (c.has_stage2()) c.stage2 = stage2_walk(c);
    return decoded_ok(c);
}

StreamWorld stream_world(const StreamConfig& config, bool cr2_e2h) {
    if (!config.el2_stream_world) return StreamWorld::ns_el1;
    return cr2_e2h ? StreamWorld::ns_el2_e2h : StreamWorld::ns_el2;
}

}  // namespace iommu_vp::smmuv3
