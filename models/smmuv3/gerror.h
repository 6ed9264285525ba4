// SMMU_GERROR / SMMU_GERRORN: the global error bits (SMMUv3 6.3.19 SMMU_GERROR, 6.3.20 SMMU_GERRORN
// in the issue read here; 6.3.15 in older issues) and the toggle/acknowledge rule of 7.5.
//
// An error is active while its GERROR bit differs from the same GERRORN bit. The SMMU activates an
// error by toggling GERROR; software acknowledges it by writing GERRORN so that the bits are equal
// again. Header only, plain C++.
//
// Models: every bit name. This model raises CMDQ_ERR, EVENTQ_ABT_ERR, MSI_CMDQ_ABT_ERR,
// MSI_EVENTQ_ABT_ERR and MSI_GERROR_ABT_ERR; PRIQ_* need PRI, CMDQP_ERR needs ECMDQ, DPT_ERR needs
// DPT and SFM_ERR needs the RAS service failure mode: none of them is modelled yet, so their bits
// stay equal (inactive).
#pragma once

#include "models/common/bitfield.h"

#include <cstdint>

namespace iommu_vp::smmuv3::gerror {

inline constexpr BitField CMDQ_ERR = bit(0);             // see CMDQ_CONS.ERR for the reason
// bit 1 is RES0
inline constexpr BitField EVENTQ_ABT_ERR = bit(2);       // an Event queue access aborted
inline constexpr BitField PRIQ_ABT_ERR = bit(3);         // a PRI queue access aborted (needs IDR0.PRI)
inline constexpr BitField MSI_CMDQ_ABT_ERR = bit(4);     // a CMD_SYNC MSI aborted (needs IDR0.MSI)
inline constexpr BitField MSI_EVENTQ_ABT_ERR = bit(5);   // an Event queue MSI aborted (needs IDR0.MSI)
inline constexpr BitField MSI_PRIQ_ABT_ERR = bit(6);     // a PRI queue MSI aborted (MSI and PRI)
inline constexpr BitField MSI_GERROR_ABT_ERR = bit(7);   // a GERROR MSI aborted (needs IDR0.MSI)
inline constexpr BitField SFM_ERR = bit(8);              // service failure mode entered
inline constexpr BitField CMDQP_ERR = bit(9);            // ECMDQ error (needs IDR1.ECMDQ)
inline constexpr BitField DPT_ERR = bit(10);             // DPT lookup fault (needs IDR3.DPT)

// Older issues of the specification (and Linux) spell the Event queue bits EVTQ.
inline constexpr BitField EVTQ_ABT_ERR = EVENTQ_ABT_ERR;
inline constexpr BitField MSI_EVTQ_ABT_ERR = MSI_EVENTQ_ABT_ERR;

// The GERROR bits an SMMU with (or without) MSI and PRI support defines; the others are RES0.
constexpr std::uint32_t defined_mask(bool msi, bool pri) {
    std::uint64_t mask = CMDQ_ERR.mask() | EVENTQ_ABT_ERR.mask() | SFM_ERR.mask();
    if (pri) mask |= PRIQ_ABT_ERR.mask();
    if (msi) mask |= MSI_CMDQ_ABT_ERR.mask() | MSI_EVENTQ_ABT_ERR.mask() | MSI_GERROR_ABT_ERR.mask();
    if (msi && pri) mask |= MSI_PRIQ_ABT_ERR.mask();
    return static_cast<std::uint32_t>(mask);
}

// Errors that are active: GERROR XOR GERRORN (SMMUv3 7.5).
constexpr std::uint32_t active(std::uint32_t gerror_value, std::uint32_t gerrorn_value) {
    return gerror_value ^ gerrorn_value;
}

constexpr bool is_active(BitField error, std::uint32_t gerror_value, std::uint32_t gerrorn_value) {
    return error.is_set_in(active(gerror_value, gerrorn_value));
}

// GERROR after the SMMU raises `error`. An error that is already active is not toggled again (that
// would deactivate it): a second occurrence while active is not separately visible (SMMUv3 7.5).
constexpr std::uint32_t raise(BitField error, std::uint32_t gerror_value, std::uint32_t gerrorn_value) {
    if (is_active(error, gerror_value, gerrorn_value)) return gerror_value;
    return gerror_value ^ static_cast<std::uint32_t>(error.mask());
}

}  // namespace iommu_vp::smmuv3::gerror
