// The architected outcomes of an SMMUv3 configuration lookup (Stream table, STE, CD table, CD) and
// of choosing a stage-1 translation table: what the decoders in stream_table.h, ste.h and cd.h
// return instead of a configuration when software's programming does not allow one. Each outcome
// is named after the event record it becomes (SMMUv3 7.3); the model fills the record and logs
// the reason as a guest error. Plain C++: no SystemC.
#pragma once

#include <cstdint>

namespace iommu_vp::smmuv3 {

enum class ConfigOutcome : std::uint8_t {
    ok,
    abort_silently,     // STE.Config == 0b0xx: the transaction is aborted, no event (SMMUv3 5.2, 7.3.7)
    bad_streamid,       // C_BAD_STREAMID (0x02), SMMUv3 7.3.3
    ste_fetch,          // F_STE_FETCH (0x03), SMMUv3 7.3.4
    bad_ste,            // C_BAD_STE (0x04), SMMUv3 7.3.5
    stream_disabled,    // F_STREAM_DISABLED (0x06), SMMUv3 7.3.7
    bad_substreamid,    // C_BAD_SUBSTREAMID (0x08), SMMUv3 7.3.9
    cd_fetch,           // F_CD_FETCH (0x09), SMMUv3 7.3.10
    bad_cd,             // C_BAD_CD (0x0A), SMMUv3 7.3.11
    translation_fault,  // F_TRANSLATION (0x10), SMMUv3 7.3.13: stage-1 input address outside both TTB ranges, or EPDx
};

// The SMMUv3 event name ("C_BAD_STE"), or "ok" / "abort (no event)".
constexpr const char* event_name(ConfigOutcome outcome) {
    switch (outcome) {
    case ConfigOutcome::ok: return "ok";
    case ConfigOutcome::abort_silently: return "abort (no event)";
    case ConfigOutcome::bad_streamid: return "C_BAD_STREAMID";
    case ConfigOutcome::ste_fetch: return "F_STE_FETCH";
    case ConfigOutcome::bad_ste: return "C_BAD_STE";
    case ConfigOutcome::stream_disabled: return "F_STREAM_DISABLED";
    case ConfigOutcome::bad_substreamid: return "C_BAD_SUBSTREAMID";
    case ConfigOutcome::cd_fetch: return "F_CD_FETCH";
    case ConfigOutcome::bad_cd: return "C_BAD_CD";
    case ConfigOutcome::translation_fault: return "F_TRANSLATION";
    }
    return "?";
}

// The event record's EventID (SMMUv3 7.3), 0 where no event is recorded.
constexpr std::uint8_t event_id(ConfigOutcome outcome) {
    switch (outcome) {
    case ConfigOutcome::ok:
    case ConfigOutcome::abort_silently: return 0x00;
    case ConfigOutcome::bad_streamid: return 0x02;
    case ConfigOutcome::ste_fetch: return 0x03;
    case ConfigOutcome::bad_ste: return 0x04;
    case ConfigOutcome::stream_disabled: return 0x06;
    case ConfigOutcome::bad_substreamid: return 0x08;
    case ConfigOutcome::cd_fetch: return 0x09;
    case ConfigOutcome::bad_cd: return 0x0A;
    case ConfigOutcome::translation_fault: return 0x10;
    }
    return 0x00;
}

// A decoded value, or the outcome that replaces it. `reason` is a static string for the
// guest-error log (never allocated); `value` is meaningful only when ok(), except where a decoder
// documents otherwise.
template <typename T>
struct Decoded {
    ConfigOutcome outcome = ConfigOutcome::ok;
    const char* reason = "";
    T value{};

    bool ok() const { return outcome == ConfigOutcome::ok; }
};

template <typename T>
Decoded<T> decoded_ok(const T& value) {
    return Decoded<T>{ConfigOutcome::ok, "", value};
}

template <typename T>
Decoded<T> decoded_error(ConfigOutcome outcome, const char* reason) {
    return Decoded<T>{outcome, reason, T{}};
}

}  // namespace iommu_vp::smmuv3
