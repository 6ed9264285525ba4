#include "models/smmuv3/event.h"

#include "models/common/little_endian.h"

#include <cstdio>

namespace iommu_vp::smmuv3 {
namespace {

namespace f = event_field;

// Which fields an event's record carries (SMMUv3 7.3.2 .. 7.3.20). Everything else is RES0.
struct Layout {
    enum class Substream : std::uint8_t { none, with_ssv, always } substream = Substream::none;
    bool rnw = false;           // RnW
    bool attributes = false;    // PnU, InD (with RnW)
    bool stage = false;         // S2, CLASS
    bool translation = false;   // Stall, STAG, NSIPA, IPA (F_TRANSLATION .. F_PERMISSION)
    bool ttrnw = false;         // F_PERMISSION
    bool input_addr = false;
    bool ipa_only = false;      // IPA without the rest of `translation` (F_TLB_CONFLICT)
    bool fetch_addr = false;
    const BitField* reason = nullptr;
};

Layout layout_of(EventType type) {
    using S = Layout::Substream;
    Layout l;
    switch (type) {
    case EventType::F_UUT:
        l.substream = S::with_ssv;
        l.rnw = l.attributes = l.input_addr = true;
        l.reason = &f::UUT_REASON;
        break;
    case EventType::C_BAD_STREAMID:
    case EventType::C_BAD_STE:
    case EventType::C_BAD_CD: l.substream = S::with_ssv; break;
    case EventType::F_STE_FETCH:
    case EventType::F_CD_FETCH:
    case EventType::F_VMS_FETCH:
        l.substream = S::with_ssv;
        l.fetch_addr = true;
        l.reason = &f::FETCH_REASON;
        break;
    case EventType::F_BAD_ATS_TREQ:
        l.substream = S::with_ssv;
        l.input_addr = true;
        break;
    case EventType::F_TRANSL_FORBIDDEN: l.rnw = l.input_addr = true; break;
    case EventType::C_BAD_SUBSTREAMID: l.substream = S::always; break;
    case EventType::F_WALK_EABT:
        l.substream = S::with_ssv;
        l.rnw = l.attributes = l.stage = l.input_addr = l.fetch_addr = true;
        break;
    case EventType::F_TRANSLATION:
    case EventType::F_ADDR_SIZE:
    case EventType::F_ACCESS:
    case EventType::F_PERMISSION:
        l.substream = S::with_ssv;
        l.rnw = l.attributes = l.stage = l.translation = l.input_addr = true;
        l.ttrnw = type == EventType::F_PERMISSION;
        break;
    case EventType::F_TLB_CONFLICT:
        l.substream = S::with_ssv;
        l.rnw = l.attributes = l.input_addr = l.ipa_only = true;
        break;
    case EventType::F_CFG_CONFLICT:
        l.substream = S::with_ssv;
        l.reason = &f::CFG_CONFLICT_REASON;
        break;
    default: break;  // F_STREAM_DISABLED: StreamID only; E_PAGE_REQUEST not modelled
    }
    return l;
}

std::uint64_t encode_dw0(const EventRecord& r, const Layout& l) {
    std::uint64_t dw0 = f::EVENT_ID.insert(0, static_cast<std::uint64_t>(r.type));
    dw0 = f::STREAM_ID.insert(dw0, r.stream_id);
    if (l.substream == Layout::Substream::always) return f::SUBSTREAM_ID.insert(dw0, r.substream_id);
    if (l.substream == Layout::Substream::with_ssv && r.ssv) {
        dw0 = f::SSV.insert(dw0, 1);
        dw0 = f::SUBSTREAM_ID.insert(dw0, r.substream_id);
    }
    return dw0;
}

std::uint64_t encode_dw1(const EventRecord& r, const Layout& l) {
    std::uint64_t dw1 = 0;
    if (l.reason) dw1 = l.reason->insert(dw1, r.reason);
    if (l.rnw) dw1 = f::RNW.insert(dw1, r.rnw);
    if (l.attributes) {
        dw1 = f::PNU.insert(dw1, r.pnu);
        dw1 = f::IND.insert(dw1, r.ind && r.rnw);  // InD == 0 when RnW == 0
    }
    if (l.stage || l.ipa_only) dw1 = f::S2.insert(dw1, r.s2);
    if (l.stage) dw1 = f::CLASS.insert(dw1, static_cast<std::uint64_t>(r.event_class));
    if (l.translation) {
        dw1 = f::STALL.insert(dw1, r.stall);
        if (r.stall) dw1 = f::STAG.insert(dw1, r.stag);
        dw1 = f::NSIPA.insert(dw1, r.nsipa);
    }
    if (l.ttrnw && r.event_class == EventClass::TT) dw1 = f::TTRNW.insert(dw1, r.ttrnw);
    return dw1;
}

std::uint64_t encode_dw3(const EventRecord& r, const Layout& l) {
    if (l.fetch_addr) return f::FETCH_ADDR.insert(0, r.fetch_addr >> f::FETCH_ADDR.lsb);
    if ((l.translation || l.ipa_only) && r.s2) return f::IPA.insert(0, r.ipa >> f::IPA.lsb);
    return 0;
}

const char* class_name(EventClass event_class) {
    switch (event_class) {
    case EventClass::CD: return "CD";
    case EventClass::TT: return "TT";
    case EventClass::IN: return "IN";
    }
    return "reserved";
}

void append(std::string& text, const char* name, std::uint64_t value) {
    char buffer[48];
    std::snprintf(buffer, sizeof buffer, " %s=0x%llx", name, static_cast<unsigned long long>(value));
    text += buffer;
}

}  // namespace

std::array<std::uint64_t, 4> EventRecord::encode() const {
    const Layout l = layout_of(type);
    return {encode_dw0(*this, l), encode_dw1(*this, l), l.input_addr ? input_addr : 0, encode_dw3(*this, l)};
}

std::array<std::uint8_t, 32> EventRecord::encode_bytes() const {
    const std::array<std::uint64_t, 4> words = encode();
    std::array<std::uint8_t, 32> bytes{};
    for (unsigned i = 0; i < words.size(); ++i) store_le(bytes.data() + 8 * i, 8, words[i]);
    return bytes;
}

const char* event_type_name(EventType type) {
    switch (type) {
    case EventType::F_UUT: return "F_UUT";
    case EventType::C_BAD_STREAMID: return "C_BAD_STREAMID";
    case EventType::F_STE_FETCH: return "F_STE_FETCH";
    case EventType::C_BAD_STE: return "C_BAD_STE";
    case EventType::F_BAD_ATS_TREQ: return "F_BAD_ATS_TREQ";
    case EventType::F_STREAM_DISABLED: return "F_STREAM_DISABLED";
    case EventType::F_TRANSL_FORBIDDEN: return "F_TRANSL_FORBIDDEN";
    case EventType::C_BAD_SUBSTREAMID: return "C_BAD_SUBSTREAMID";
    case EventType::F_CD_FETCH: return "F_CD_FETCH";
    case EventType::C_BAD_CD: return "C_BAD_CD";
    case EventType::F_WALK_EABT: return "F_WALK_EABT";
    case EventType::F_TRANSLATION: return "F_TRANSLATION";
    case EventType::F_ADDR_SIZE: return "F_ADDR_SIZE";
    case EventType::F_ACCESS: return "F_ACCESS";
    case EventType::F_PERMISSION: return "F_PERMISSION";
    case EventType::F_TLB_CONFLICT: return "F_TLB_CONFLICT";
    case EventType::F_CFG_CONFLICT: return "F_CFG_CONFLICT";
    case EventType::E_PAGE_REQUEST: return "E_PAGE_REQUEST";
    case EventType::F_VMS_FETCH: return "F_VMS_FETCH";
    }
    return "reserved event";
}

std::string describe(const EventRecord& r) {
    const Layout l = layout_of(r.type);
    std::string text = event_type_name(r.type);
    append(text, "sid", r.stream_id);
    if (l.substream == Layout::Substream::with_ssv) append(text, "ssv", r.ssv);
    if (l.substream == Layout::Substream::always || (l.substream == Layout::Substream::with_ssv && r.ssv))
        append(text, "ssid", r.substream_id);
    if (l.input_addr) append(text, "input", r.input_addr);
    if (l.stage) {
        append(text, "s2", r.s2);
        text += " class=";
        text += class_name(r.event_class);
    }
    if (l.rnw) text += r.rnw ? " read" : " write";
    if (l.attributes) text += std::string(r.pnu ? " priv" : " unpriv") + (r.ind && r.rnw ? " instr" : " data");
    if ((l.translation || l.ipa_only) && r.s2) append(text, "ipa", r.ipa);
    if (l.translation && r.stall) append(text, "stag", r.stag);
    if (l.ttrnw && r.event_class == EventClass::TT) text += r.ttrnw ? " ttread" : " ttwrite";
    if (l.fetch_addr) append(text, "fetch", r.fetch_addr);
    if (l.reason && r.reason != 0) append(text, "reason", r.reason);
    return text;
}

}  // namespace iommu_vp::smmuv3
