#include "models/smmuv3/command.h"

#include "models/common/field_text.h"

#include "models/common/little_endian.h"

#include <cstdio>

namespace iommu_vp::smmuv3 {
namespace {

namespace f = command_field;
using Op = CommandOpcode;

struct Words {
    std::uint64_t dw0;
    std::uint64_t dw1;
};

// ---- illegal results --------------------------------------------------------------------------

DecodedCommand& make_illegal(DecodedCommand& out, const char* reason) {
    out.kind = CommandKind::illegal;
    out.illegal_reason = reason;
    return out;
}

// SSec == 1 on the Non-secure Command queue is ILLEGAL whether or not Secure state exists (4.1.6).
bool ssec_illegal(DecodedCommand& out, const Words& w) {
    out.ssec = f::SSEC.is_set_in(w.dw0);
    if (out.ssec) make_illegal(out, "SSec == 1 on the Non-secure Command queue");
    return out.ssec;
}

// ---- range checks (4.1.7) ---------------------------------------------------------------------

bool stream_id_out_of_range(std::uint64_t stream_id, const Features& features) {
    return features.sid_bits < 32 && (stream_id >> features.sid_bits) != 0;
}
bool substream_id_out_of_range(std::uint64_t substream_id, const Features& features) {
    return (substream_id >> features.ssid_bits) != 0;
}

void decode_stream(DecodedCommand& out, const Words& w, const Features& features) {
    out.stream_id = static_cast<std::uint32_t>(f::STREAM_ID.extract(w.dw0));
    out.out_of_range = stream_id_out_of_range(out.stream_id, features);
}

void decode_substream(DecodedCommand& out, const Words& w, const Features& features, bool always_used) {
    out.ssv = f::SSV.is_set_in(w.dw0);
    out.substream_id = static_cast<std::uint32_t>(f::SUBSTREAM_ID.extract(w.dw0));
    if ((out.ssv || always_used) && substream_id_out_of_range(out.substream_id, features))
        out.out_of_range = true;
}

// ---- prefetch (4.2) ---------------------------------------------------------------------------

DecodedCommand& decode_prefetch(DecodedCommand& out, const Words& w, const Features& features, bool with_addr) {
    if (ssec_illegal(out, w)) return out;
    decode_stream(out, w, features);
    decode_substream(out, w, features, false);
    if (!with_addr) {
        out.kind = CommandKind::prefetch_config;
        return out;
    }
    out.kind = CommandKind::prefetch_addr;
    out.size = static_cast<std::uint8_t>(f::PREFETCH_SIZE.extract(w.dw1));
    out.address = f::VA.extract(w.dw1) << f::VA.lsb;
    return out;
}

// ---- configuration invalidation (4.3) ---------------------------------------------------------

DecodedCommand& decode_cfgi_ste(DecodedCommand& out, const Words& w, const Features& features, bool range) {
    if (ssec_illegal(out, w)) return out;
    decode_stream(out, w, features);
    if (!range) {
        out.kind = CommandKind::cfgi_ste;
        out.leaf = f::LEAF.is_set_in(w.dw1);
        return out;
    }
    out.ste_range = static_cast<std::uint8_t>(f::STE_RANGE.extract(w.dw1));
    // CMD_CFGI_ALL (4.3.6): Range == 31 covers every StreamID, the StreamID field is IGNORED.
    out.kind = out.ste_range == 31 ? CommandKind::cfgi_all : CommandKind::cfgi_ste_range;
    out.out_of_range = out.kind == CommandKind::cfgi_ste_range &&
                       stream_id_out_of_range(out.first_stream_id(), features);
    return out;
}

DecodedCommand& decode_cfgi_cd(DecodedCommand& out, const Words& w, const Features& features, bool all) {
    if (!features.stage1) return make_illegal(out, "CMD_CFGI_CD* without stage 1 (IDR0.S1P == 0)");
    if (ssec_illegal(out, w)) return out;
    decode_stream(out, w, features);
    if (all) {
        out.kind = CommandKind::cfgi_cd_all;
        return out;
    }
    out.kind = CommandKind::cfgi_cd;
    out.leaf = f::LEAF.is_set_in(w.dw1);
    // The SubstreamID is a CD table index (SSV is not part of CFGI_CD); out of range is the
    // CONSTRAINED UNPREDICTABLE case of 4.3.3 and 4.1.7, not an error.
    out.substream_id = static_cast<std::uint32_t>(f::SUBSTREAM_ID.extract(w.dw0));
    if (substream_id_out_of_range(out.substream_id, features)) out.out_of_range = true;
    return out;
}

// ---- TLB invalidation (4.4) -------------------------------------------------------------------

// NUM/SCALE/TTL/TG (4.4.1.1). Without IDR3.RIL they are RES0: ignored, and flagged so that the model
// logs software setting them. With RIL: TG == 0 makes NUM, SCALE and TTL RES0 (ignored: a single
// address); TTL == 1 with the 16 KiB granule is reserved without IDR5.DS (this model has no DS) and
// counts as TTL == 0; TG != 0 with NUM, SCALE and TTL all 0 is reserved (CERROR_ILL).
bool decode_tlbi_range(DecodedCommand& out, const Words& w, const Features& features) {
    TlbiRange range;
    range.num = static_cast<std::uint8_t>(f::NUM.extract(w.dw0));
    range.scale = static_cast<std::uint8_t>(f::SCALE.extract(w.dw0));
    range.ttl = static_cast<std::uint8_t>(f::TTL.extract(w.dw1));
    range.tg = static_cast<std::uint8_t>(f::TG.extract(w.dw1));
    if (!features.range_invalidation) {
        out.range_fields_ignored = !range.is_zero();
        return true;
    }
    if (!range.is_range()) return true;  // RES0 fields: out.range stays zero
    if (range.tg == 2 && range.ttl == 1) range.ttl = 0;
    out.range = range;
    if (range.num == 0 && range.scale == 0 && range.ttl == 0) {
        make_illegal(out, "TLBI with TG != 0 and NUM, SCALE and TTL all 0 (reserved)");
        return false;
    }
    return true;
}

void decode_tlbi_address(DecodedCommand& out, const Words& w, BitField address_field) {
    out.leaf = f::LEAF.is_set_in(w.dw1);
    out.address = address_field.extract(w.dw1) << address_field.lsb;
}

// VMID of a CMD_TLBI_NH_*: matched only when stage 2 is implemented, RES0 otherwise (4.4.2). Choice
// for a non-zero VMID without stage 2: it is ignored (taken as 0, the VMID every stage-1-only entry
// carries), one of the two permitted behaviours.
std::uint16_t nh_vmid(const Words& w, const Features& features) {
    return features.stage2 ? static_cast<std::uint16_t>(f::VMID.extract(w.dw0)) : 0;
}

DecodedCommand& decode_tlbi_nh(DecodedCommand& out, const Words& w, const Features& features, Op op) {
    if (!features.stage1) return make_illegal(out, "CMD_TLBI_NH_* without stage 1 (IDR0.S1P == 0)");
    out.vmid = nh_vmid(w, features);
    switch (op) {
    case Op::CMD_TLBI_NH_ALL: out.kind = CommandKind::tlbi_nh_all; return out;
    case Op::CMD_TLBI_NH_ASID:
        out.kind = CommandKind::tlbi_nh_asid;
        out.asid = static_cast<std::uint16_t>(f::ASID.extract(w.dw0));
        return out;
    case Op::CMD_TLBI_NH_VA:
        out.asid = static_cast<std::uint16_t>(f::ASID.extract(w.dw0));
        out.kind = CommandKind::tlbi_nh_va;
        break;
    default: out.kind = CommandKind::tlbi_nh_vaa; break;
    }
    decode_tlbi_address(out, w, f::VA);
    decode_tlbi_range(out, w, features);
    return out;
}

DecodedCommand& decode_tlbi_s2(DecodedCommand& out, const Words& w, const Features& features, bool by_ipa) {
    if (!features.stage2) return make_illegal(out, "stage-2 TLBI without stage 2 (IDR0.S2P == 0)");
    out.vmid = static_cast<std::uint16_t>(f::VMID.extract(w.dw0));
    if (!by_ipa) {
        out.kind = CommandKind::tlbi_s12_vmall;
        return out;
    }
    out.kind = CommandKind::tlbi_s2_ipa;
    decode_tlbi_address(out, w, f::PA);
    decode_tlbi_range(out, w, features);
    return out;
}

// CMD_TLBI_EL2_* (4.4.2.7 .. 4.4.2.10): CERROR_ILL without IDR0.Hyp (which needs both stages, so a
// stage-2-only SMMU refuses them as 4.4.2 says). ASID [63:48] for EL2_ASID and EL2_VA; the address
// forms carry Leaf, the address and the range fields as the NH forms (no VMID: EL2 entries have none).
DecodedCommand& decode_tlbi_el2(DecodedCommand& out, const Words& w, const Features& features, Op op) {
    if (!features.has_hyp()) return make_illegal(out, "CMD_TLBI_EL2_* without IDR0.Hyp");
    switch (op) {
    case Op::CMD_TLBI_EL2_ALL: out.kind = CommandKind::tlbi_el2_all; return out;
    case Op::CMD_TLBI_EL2_ASID:
        out.kind = CommandKind::tlbi_el2_asid;
        out.asid = static_cast<std::uint16_t>(f::ASID.extract(w.dw0));
        return out;
    case Op::CMD_TLBI_EL2_VA:
        out.kind = CommandKind::tlbi_el2_va;
        out.asid = static_cast<std::uint16_t>(f::ASID.extract(w.dw0));
        break;
    default: out.kind = CommandKind::tlbi_el2_vaa; break;
    }
    decode_tlbi_address(out, w, f::VA);
    decode_tlbi_range(out, w, features);
    return out;
}

// ---- ATS and PRI (4.5) ------------------------------------------------------------------------

DecodedCommand& decode_atc_inv(DecodedCommand& out, const Words& w, const Features& features) {
    if (!features.ats) return make_illegal(out, "CMD_ATC_INV without IDR0.ATS");
    decode_stream(out, w, features);
    decode_substream(out, w, features, false);
    out.atc_global = f::ATC_GLOBAL.is_set_in(w.dw0);
    out.size = static_cast<std::uint8_t>(f::ATC_SIZE.extract(w.dw1));
    out.address = f::VA.extract(w.dw1) << f::VA.lsb;
    // Size > 52 may raise CERROR_ILL or use an UNKNOWN span (4.5.1); this model's choice: ILL.
    if (out.size > 52) return make_illegal(out, "CMD_ATC_INV with Size > 52");
    out.kind = CommandKind::atc_inv;
    return out;
}

DecodedCommand& decode_pri_resp(DecodedCommand& out, const Words& w, const Features& features) {
    if (!features.pri) return make_illegal(out, "CMD_PRI_RESP without IDR0.PRI");
    decode_stream(out, w, features);
    decode_substream(out, w, features, false);
    out.prg_index = static_cast<std::uint16_t>(f::PRI_PRGINDEX.extract(w.dw1));
    out.pri_response = static_cast<std::uint8_t>(f::PRI_RESP.extract(w.dw1));
    if (out.pri_response == 0b11) return make_illegal(out, "CMD_PRI_RESP with Resp == 0b11 (reserved)");
    out.kind = CommandKind::pri_resp;
    return out;
}

// ---- stall (4.7.1, 4.7.2) ---------------------------------------------------------------------

DecodedCommand& decode_stall_command(DecodedCommand& out, const Words& w, const Features& features, bool resume) {
    if (features.stall_model == StallModel::terminate_only)
        return make_illegal(out, "CMD_RESUME/CMD_STALL_TERM without a stall model (IDR0.STALL_MODEL == 0b01)");
    if (ssec_illegal(out, w)) return out;
    decode_stream(out, w, features);
    if (!resume) {
        out.kind = CommandKind::stall_term;
        return out;
    }
    out.resume_retry = f::RESUME_AC.is_set_in(w.dw0);
    // Ab is IGNORED for a retry, and with TERM_MODEL == 1 a termination always aborts (4.7.1).
    out.resume_abort = !out.resume_retry && (f::RESUME_AB.is_set_in(w.dw0) || features.term_model_abort_only);
    out.stag = static_cast<std::uint16_t>(f::RESUME_STAG.extract(w.dw1));
    out.kind = CommandKind::resume;
    return out;
}

// ---- CMD_SYNC (4.7.3) -------------------------------------------------------------------------

DecodedCommand& decode_sync(DecodedCommand& out, const Words& w, const Features& features) {
    const auto cs = static_cast<std::uint8_t>(f::SYNC_CS.extract(w.dw0));
    if (cs == 0b11) return make_illegal(out, "CMD_SYNC with CS == 0b11 (reserved)");
    out.kind = CommandKind::sync;
    out.completion_signal = static_cast<SyncSignal>(cs);
    out.msh = static_cast<std::uint8_t>(f::SYNC_MSH.extract(w.dw0));
    out.msi_attr = static_cast<std::uint8_t>(f::SYNC_MSIATTR.extract(w.dw0));
    out.msi_data = static_cast<std::uint32_t>(f::SYNC_MSIDATA.extract(w.dw0));
    out.msi_address = f::SYNC_MSIADDR.extract(w.dw1) << f::SYNC_MSIADDR.lsb;
    // SIG_SEV sends an event only with IDR0.SEV; otherwise it is SIG_NONE (not an error).
    out.effective_signal = (out.completion_signal == SyncSignal::SIG_SEV && !features.sev)
                               ? SyncSignal::SIG_NONE
                               : out.completion_signal;
    out.sends_msi = out.effective_signal == SyncSignal::SIG_IRQ && features.msi && out.msi_address != 0;
    return out;
}

// ---- dispatch ---------------------------------------------------------------------------------

DecodedCommand& decode_tlbi(DecodedCommand& out, const Words& w, const Features& features, Op op) {
    switch (op) {
    case Op::CMD_TLBI_NH_ALL:
    case Op::CMD_TLBI_NH_ASID:
    case Op::CMD_TLBI_NH_VA:
    case Op::CMD_TLBI_NH_VAA: return decode_tlbi_nh(out, w, features, op);
    case Op::CMD_TLBI_EL2_ALL:
    case Op::CMD_TLBI_EL2_ASID:
    case Op::CMD_TLBI_EL2_VA:
    case Op::CMD_TLBI_EL2_VAA: return decode_tlbi_el2(out, w, features, op);
    case Op::CMD_TLBI_S12_VMALL: return decode_tlbi_s2(out, w, features, false);
    case Op::CMD_TLBI_S2_IPA: return decode_tlbi_s2(out, w, features, true);
    case Op::CMD_TLBI_NSNH_ALL: out.kind = CommandKind::tlbi_nsnh_all; return out;
    default: return make_illegal(out, "reserved opcode");
    }
}

// Opcodes that are architected but always ILLEGAL on this model's Non-secure Command queue.
const char* always_illegal_reason(std::uint8_t opcode) {
    switch (static_cast<Op>(opcode)) {
    case Op::CMD_CFGI_VMS_PIDM: return "CMD_CFGI_VMS_PIDM without MPAM (IDR3.MPAM == 0)";
    case Op::CMD_TLBI_EL3_ALL:
    case Op::CMD_TLBI_EL3_VA: return "CMD_TLBI_EL3_* on the Non-secure Command queue";
    case Op::CMD_TLBI_S_EL2_ALL:
    case Op::CMD_TLBI_S_EL2_ASID:
    case Op::CMD_TLBI_S_EL2_VA:
    case Op::CMD_TLBI_S_EL2_VAA:
    case Op::CMD_TLBI_S_S12_VMALL:
    case Op::CMD_TLBI_S_S2_IPA:
    case Op::CMD_TLBI_SNH_ALL: return "Secure-only command on the Non-secure Command queue";
    case Op::CMD_DPTI_ALL:
    case Op::CMD_DPTI_PA: return "CMD_DPTI_* without DPT (IDR3.DPT == 0)";
    default: break;
    }
    if (opcode >= 0x80 && opcode <= 0x8F) return "IMPLEMENTATION DEFINED opcode (none implemented)";
    return nullptr;
}

}  // namespace

DecodedCommand decode_command(std::uint64_t dw0, std::uint64_t dw1, const Features& features) {
    const Words w{dw0, dw1};
    DecodedCommand out;
    out.opcode = static_cast<std::uint8_t>(f::OPCODE.extract(dw0));
    if (const char* reason = always_illegal_reason(out.opcode)) return make_illegal(out, reason);
    const auto op = static_cast<Op>(out.opcode);
    switch (op) {
    case Op::CMD_PREFETCH_CONFIG: return decode_prefetch(out, w, features, false);
    case Op::CMD_PREFETCH_ADDR: return decode_prefetch(out, w, features, true);
    case Op::CMD_CFGI_STE: return decode_cfgi_ste(out, w, features, false);
    case Op::CMD_CFGI_STE_RANGE: return decode_cfgi_ste(out, w, features, true);
    case Op::CMD_CFGI_CD: return decode_cfgi_cd(out, w, features, false);
    case Op::CMD_CFGI_CD_ALL: return decode_cfgi_cd(out, w, features, true);
    case Op::CMD_ATC_INV: return decode_atc_inv(out, w, features);
    case Op::CMD_PRI_RESP: return decode_pri_resp(out, w, features);
    case Op::CMD_RESUME: return decode_stall_command(out, w, features, true);
    case Op::CMD_STALL_TERM: return decode_stall_command(out, w, features, false);
    case Op::CMD_SYNC: return decode_sync(out, w, features);
    default: return decode_tlbi(out, w, features, op);
    }
}

std::array<std::uint64_t, 2> command_words(const std::uint8_t* bytes16) {
    return {load_le(bytes16, 8), load_le(bytes16 + 8, 8)};
}

TlbiAddressRange tlbi_address_range(const DecodedCommand& command) {
    TlbiAddressRange r;
    r.first = command.address;
    r.last = command.address;
    const TlbiRange& range = command.range;
    if (!range.is_range()) return r;
    r.granule_bits = range.granule_bits();
    r.leaf_level = range.ttl;
    // At most 32 * 2^31 granules of 64 KiB: 2^52 bytes, so only the sum can overflow.
    const std::uint64_t bytes = range.granules() << r.granule_bits;
    const std::uint64_t room = ~std::uint64_t{0} - command.address;  // bytes after Address
    r.last = bytes - 1 > room ? ~std::uint64_t{0} : command.address + (bytes - 1);
    return r;
}

const char* command_opcode_name(std::uint8_t opcode) {
    switch (static_cast<Op>(opcode)) {
    case Op::CMD_PREFETCH_CONFIG: return "CMD_PREFETCH_CONFIG";
    case Op::CMD_PREFETCH_ADDR: return "CMD_PREFETCH_ADDR";
    case Op::CMD_CFGI_STE: return "CMD_CFGI_STE";
    case Op::CMD_CFGI_STE_RANGE: return "CMD_CFGI_STE_RANGE";
    case Op::CMD_CFGI_CD: return "CMD_CFGI_CD";
    case Op::CMD_CFGI_CD_ALL: return "CMD_CFGI_CD_ALL";
    case Op::CMD_CFGI_VMS_PIDM: return "CMD_CFGI_VMS_PIDM";
    case Op::CMD_TLBI_NH_ALL: return "CMD_TLBI_NH_ALL";
    case Op::CMD_TLBI_NH_ASID: return "CMD_TLBI_NH_ASID";
    case Op::CMD_TLBI_NH_VA: return "CMD_TLBI_NH_VA";
    case Op::CMD_TLBI_NH_VAA: return "CMD_TLBI_NH_VAA";
    case Op::CMD_TLBI_EL3_ALL: return "CMD_TLBI_EL3_ALL";
    case Op::CMD_TLBI_EL3_VA: return "CMD_TLBI_EL3_VA";
    case Op::CMD_TLBI_EL2_ALL: return "CMD_TLBI_EL2_ALL";
    case Op::CMD_TLBI_EL2_ASID: return "CMD_TLBI_EL2_ASID";
    case Op::CMD_TLBI_EL2_VA: return "CMD_TLBI_EL2_VA";
    case Op::CMD_TLBI_EL2_VAA: return "CMD_TLBI_EL2_VAA";
    case Op::CMD_TLBI_S12_VMALL: return "CMD_TLBI_S12_VMALL";
    case Op::CMD_TLBI_S2_IPA: return "CMD_TLBI_S2_IPA";
    case Op::CMD_TLBI_NSNH_ALL: return "CMD_TLBI_NSNH_ALL";
    case Op::CMD_ATC_INV: return "CMD_ATC_INV";
    case Op::CMD_PRI_RESP: return "CMD_PRI_RESP";
    case Op::CMD_RESUME: return "CMD_RESUME";
    case Op::CMD_STALL_TERM: return "CMD_STALL_TERM";
    case Op::CMD_SYNC: return "CMD_SYNC";
    case Op::CMD_TLBI_S_EL2_ALL: return "CMD_TLBI_S_EL2_ALL";
    case Op::CMD_TLBI_S_EL2_ASID: return "CMD_TLBI_S_EL2_ASID";
    case Op::CMD_TLBI_S_EL2_VA: return "CMD_TLBI_S_EL2_VA";
    case Op::CMD_TLBI_S_EL2_VAA: return "CMD_TLBI_S_EL2_VAA";
    case Op::CMD_TLBI_S_S12_VMALL: return "CMD_TLBI_S_S12_VMALL";
    case Op::CMD_TLBI_S_S2_IPA: return "CMD_TLBI_S_S2_IPA";
    case Op::CMD_TLBI_SNH_ALL: return "CMD_TLBI_SNH_ALL";
    case Op::CMD_DPTI_ALL: return "CMD_DPTI_ALL";
    case Op::CMD_DPTI_PA: return "CMD_DPTI_PA";
    }
    if (opcode >= 0x80 && opcode <= 0x8F) return "IMPLEMENTATION DEFINED";
    return "reserved";
}

// ---- describe (the `cmd` log; allocates) -------------------------------------------------------
namespace {


void describe_stream(std::string& text, const DecodedCommand& c, bool with_substream) {
    append_field(text, "sid", c.stream_id);
    if (with_substream) {
        append_field(text, "ssv", c.ssv);
        append_field(text, "ssid", c.substream_id);
    }
}

void describe_tlbi_address(std::string& text, const DecodedCommand& c) {
    append_field(text, "addr", c.address);
    append_field(text, "leaf", c.leaf);
    if (c.range.is_range() || c.range.ttl != 0) {
        append_field(text, "num", c.range.num);
        append_field(text, "scale", c.range.scale);
        append_field(text, "ttl", c.range.ttl);
        append_field(text, "tg", c.range.tg);
    }
    if (c.range_fields_ignored) text += " range_fields_ignored(RIL=0)";
}

void describe_sync(std::string& text, const DecodedCommand& c) {
    static const char* const signals[] = {"SIG_NONE", "SIG_IRQ", "SIG_SEV"};
    text += " cs=";
    text += signals[static_cast<unsigned>(c.completion_signal)];
    if (c.effective_signal != c.completion_signal) text += "(as SIG_NONE: no IDR0.SEV)";
    append_field(text, "msh", c.msh);
    append_field(text, "msiattr", c.msi_attr);
    append_field(text, "msidata", c.msi_data);
    append_field(text, "msiaddr", c.msi_address);
}

void describe_fields(std::string& text, const DecodedCommand& c) {
    switch (c.kind) {
    case CommandKind::prefetch_config: describe_stream(text, c, true); break;
    case CommandKind::prefetch_addr:
        describe_stream(text, c, true);
        append_field(text, "size", c.size);
        append_field(text, "addr", c.address);
        break;
    case CommandKind::cfgi_ste:
        describe_stream(text, c, false);
        append_field(text, "leaf", c.leaf);
        break;
    case CommandKind::cfgi_ste_range:
        describe_stream(text, c, false);
        append_field(text, "range", c.ste_range);
        break;
    case CommandKind::cfgi_all: text += " (CMD_CFGI_ALL)"; break;
    case CommandKind::cfgi_cd:
        describe_stream(text, c, false);
        append_field(text, "ssid", c.substream_id);
        append_field(text, "leaf", c.leaf);
        break;
    case CommandKind::cfgi_cd_all: describe_stream(text, c, false); break;
    case CommandKind::tlbi_nh_all:
    case CommandKind::tlbi_s12_vmall: append_field(text, "vmid", c.vmid); break;
    case CommandKind::tlbi_nh_asid:
        append_field(text, "vmid", c.vmid);
        append_field(text, "asid", c.asid);
        break;
    case CommandKind::tlbi_nh_va:
        append_field(text, "vmid", c.vmid);
        append_field(text, "asid", c.asid);
        describe_tlbi_address(text, c);
        break;
    case CommandKind::tlbi_nh_vaa:
    case CommandKind::tlbi_s2_ipa:
        append_field(text, "vmid", c.vmid);
        describe_tlbi_address(text, c);
        break;
    case CommandKind::tlbi_nsnh_all:
    case CommandKind::tlbi_el2_all: break;
    case CommandKind::tlbi_el2_asid: append_field(text, "asid", c.asid); break;
    case CommandKind::tlbi_el2_va:
        append_field(text, "asid", c.asid);
        describe_tlbi_address(text, c);
        break;
    case CommandKind::tlbi_el2_vaa: describe_tlbi_address(text, c); break;
    case CommandKind::atc_inv:
        describe_stream(text, c, true);
        append_field(text, "global", c.atc_global);
        append_field(text, "size", c.size);
        append_field(text, "addr", c.address);
        break;
    case CommandKind::pri_resp:
        describe_stream(text, c, true);
        append_field(text, "prgi", c.prg_index);
        append_field(text, "resp", c.pri_response);
        break;
    case CommandKind::resume:
        append_field(text, "sid", c.stream_id);
        append_field(text, "stag", c.stag);
        text += c.resume_retry ? " retry" : (c.resume_abort ? " terminate(abort)" : " terminate(raz/wi)");
        break;
    case CommandKind::stall_term: append_field(text, "sid", c.stream_id); break;
    case CommandKind::sync: describe_sync(text, c); break;
    case CommandKind::illegal: break;
    }
}

}  // namespace

std::string describe(const DecodedCommand& command) {
    std::string text = command_opcode_name(command.opcode);
    if (command.is_illegal()) {
        append_field(text, "opcode", command.opcode);
        text += " CERROR_ILL: ";
        text += command.illegal_reason ? command.illegal_reason : "illegal";
        return text;
    }
    describe_fields(text, command);
    if (command.ssec) text += " ssec=1";
    if (command.out_of_range) text += " (parameter out of range: no effect)";
    return text;
}

const char* command_kind_name(CommandKind kind) {
    switch (kind) {
    case CommandKind::illegal: return "illegal";
    case CommandKind::prefetch_config: return "prefetch_config";
    case CommandKind::prefetch_addr: return "prefetch_addr";
    case CommandKind::cfgi_ste: return "cfgi_ste";
    case CommandKind::cfgi_ste_range: return "cfgi_ste_range";
    case CommandKind::cfgi_all: return "cfgi_all";
    case CommandKind::cfgi_cd: return "cfgi_cd";
    case CommandKind::cfgi_cd_all: return "cfgi_cd_all";
    case CommandKind::tlbi_nh_all: return "tlbi_nh_all";
    case CommandKind::tlbi_nh_asid: return "tlbi_nh_asid";
    case CommandKind::tlbi_nh_va: return "tlbi_nh_va";
    case CommandKind::tlbi_nh_vaa: return "tlbi_nh_vaa";
    case CommandKind::tlbi_s12_vmall: return "tlbi_s12_vmall";
    case CommandKind::tlbi_s2_ipa: return "tlbi_s2_ipa";
    case CommandKind::tlbi_nsnh_all: return "tlbi_nsnh_all";
    case CommandKind::tlbi_el2_all: return "tlbi_el2_all";
    case CommandKind::tlbi_el2_asid: return "tlbi_el2_asid";
    case CommandKind::tlbi_el2_va: return "tlbi_el2_va";
    case CommandKind::tlbi_el2_vaa: return "tlbi_el2_vaa";
    case CommandKind::atc_inv: return "atc_inv";
    case CommandKind::pri_resp: return "pri_resp";
    case CommandKind::resume: return "resume";
    case CommandKind::stall_term: return "stall_term";
    case CommandKind::sync: return "sync";
    }
    return "?";
}

}  // namespace iommu_vp::smmuv3
