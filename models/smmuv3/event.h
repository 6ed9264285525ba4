// SMMUv3 Event queue records: the fault and configuration-error events this model raises and their
// 32-byte little-endian encoding, laid out per event as SMMUv3 7.3 defines it. Plain C++, no
// SystemC; encode() allocates nothing (describe() does, and is only for the `fault` log).
//
// Models: F_UUT (7.3.2), C_BAD_STREAMID (7.3.3), F_STE_FETCH (7.3.4), C_BAD_STE (7.3.5),
// F_BAD_ATS_TREQ (7.3.6, see below), F_STREAM_DISABLED (7.3.7), F_TRANSL_FORBIDDEN (7.3.8),
// C_BAD_SUBSTREAMID (7.3.9), F_CD_FETCH (7.3.10), C_BAD_CD (7.3.11), F_WALK_EABT (7.3.12),
// F_TRANSLATION, F_ADDR_SIZE, F_ACCESS, F_PERMISSION (7.3.13 .. 7.3.16), F_TLB_CONFLICT (7.3.17),
// F_CFG_CONFLICT (7.3.18).
// F_BAD_ATS_TREQ carries the common StreamID, SSV and SubstreamID of word 0 and the request's page
// address in InputAddr (word 2, bits [11:0] zero); the record diagram was not available to confirm
// where its R/W/X/Priv and Span fields sit, so they are written as zero (unconfirmed).
// Stall and STAG (F_TRANSLATION .. F_PERMISSION) carry the stall model's Stall = 1 and stall tag.
// Does not model: E_PAGE_REQUEST, F_VMS_FETCH, IMPDEF events; the RME/GPC, MEC and
// permission-indirection fields (GPCF, Overlay, AssuredOnly, DirtyBit: always 0); 128-bit
// descriptors.
//
// Choices for fields the specification leaves UNKNOWN: SubstreamID is written as 0 when SSV == 0;
// STAG is written as 0 when Stall == 0; IPA is written as 0 when S2 == 0; TTRnW is written as 0
// unless CLASS == TT; InD is written as 0 for writes (the architecture requires InD == 0 when
// RnW == 0). Reason (IMPLEMENTATION DEFINED) is whatever the model puts in `reason`; the encoder
// writes it only where the layout has the field (F_UUT, F_STE_FETCH, F_CD_FETCH, F_CFG_CONFLICT).
#pragma once

#include "models/common/bitfield.h"

#include <array>
#include <cstdint>
#include <string>

namespace iommu_vp::smmuv3 {

// Event numbers, dw0[7:0] (SMMUv3 7.3).
enum class EventType : std::uint8_t {
    F_UUT = 0x01,
    C_BAD_STREAMID = 0x02,
    F_STE_FETCH = 0x03,
    C_BAD_STE = 0x04,
    F_BAD_ATS_TREQ = 0x05,
    F_STREAM_DISABLED = 0x06,
    F_TRANSL_FORBIDDEN = 0x07,
    C_BAD_SUBSTREAMID = 0x08,
    F_CD_FETCH = 0x09,
    C_BAD_CD = 0x0A,
    F_WALK_EABT = 0x0B,
    F_TRANSLATION = 0x10,
    F_ADDR_SIZE = 0x11,
    F_ACCESS = 0x12,
    F_PERMISSION = 0x13,
    F_TLB_CONFLICT = 0x20,
    F_CFG_CONFLICT = 0x21,
    E_PAGE_REQUEST = 0x24,      // not raised by this model
    F_VMS_FETCH = 0x25,         // not raised by this model
};

const char* event_type_name(EventType type);

// CLASS: what the faulting access was doing (SMMUv3 7.3).
enum class EventClass : std::uint8_t {
    CD = 0b00,  // fetching a CD
    TT = 0b01,  // fetching a stage-1 translation table descriptor
    IN = 0b10,  // translating the input address
};

// Event record fields. Bit positions count across the whole 256-bit record as the specification's
// diagrams do; dw<n> is bits [64n+63:64n].
namespace event_field {
// dw0
inline constexpr BitField EVENT_ID = bits(7, 0);
inline constexpr BitField SSV = bit(11);
inline constexpr BitField SUBSTREAM_ID = bits(31, 12);
inline constexpr BitField STREAM_ID = bits(63, 32);
// dw1 (record bits [127:64])
inline constexpr BitField STAG = bits(15, 0);              // [79:64]
inline constexpr BitField FETCH_REASON = bits(15, 0);      // [79:64]  F_STE_FETCH, F_CD_FETCH
inline constexpr BitField GPCF = bit(16);                  // [80]     fetch events (RME; always 0)
inline constexpr BitField UUT_REASON = bits(31, 16);       // [95:80]  F_UUT
inline constexpr BitField CFG_CONFLICT_REASON = bits(31, 0);  // [95:64] F_CFG_CONFLICT
inline constexpr BitField STALL = bit(31);                 // [95]
inline constexpr BitField PNU = bit(33);                   // [97]
inline constexpr BitField IND = bit(34);                   // [98]
inline constexpr BitField RNW = bit(35);                   // [99]
inline constexpr BitField NSIPA = bit(36);                 // [100]
inline constexpr BitField S2 = bit(39);                    // [103]
inline constexpr BitField CLASS = bits(41, 40);            // [105:104]
inline constexpr BitField TTRNW = bit(44);                 // [108]    F_PERMISSION
// dw2 (record bits [191:128])
inline constexpr BitField INPUT_ADDR = bits(63, 0);
// dw3 (record bits [255:192])
inline constexpr BitField IPA = bits(55, 12);              // [247:204] IPA[55:12]
inline constexpr BitField FETCH_ADDR = bits(55, 3);        // [247:195] FetchAddr[55:3]
}  // namespace event_field

struct EventRecord {
    EventType type = EventType::F_TRANSLATION;
    std::uint32_t stream_id = 0;
    bool ssv = false;
    std::uint32_t substream_id = 0;
    std::uint64_t input_addr = 0;        // the 64-bit address input to the SMMU
    std::uint64_t ipa = 0;               // post-stage-1 address (stage-2 faults), or the CD / S1 TT address
    std::uint64_t fetch_addr = 0;        // PA of the STE, CD or descriptor whose fetch aborted
    bool rnw = false;                    // 1: read
    bool ind = false;                    // 1: instruction (post-STE override)
    bool pnu = false;                    // 1: privileged (post-STE override)
    bool s2 = false;                     // fault at stage 2
    EventClass event_class = EventClass::IN;
    bool nsipa = false;                  // only on a Secure Event queue (always 0 here)
    bool ttrnw = false;                  // F_PERMISSION, CLASS == TT: 1 descriptor read, 0 write
    bool stall = false;                  // the transaction is stalled (SMMUv3 3.12.2)
    std::uint16_t stag = 0;
    std::uint32_t reason = 0;            // IMPLEMENTATION DEFINED cause, where the layout has one

    // The four little-endian 64-bit words of the record, fields placed per this event's layout.
    std::array<std::uint64_t, 4> encode() const;
    // The same as 32 bytes in memory order.
    std::array<std::uint8_t, 32> encode_bytes() const;
};

// "F_TRANSLATION sid=0x3 ssv=1 ssid=0x5 input=0x... s2=0 class=IN rnw=1 ..." for the `fault` log.
std::string describe(const EventRecord& record);

}  // namespace iommu_vp::smmuv3
