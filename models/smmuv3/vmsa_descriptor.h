// VMSAv8-64 translation-table descriptor layout, as an SMMUv3 walks it (Arm ARM D8.3, "Translation
// table descriptor formats"; SMMUv3 3.4 for which stage-1 and stage-2 formats apply).
// Fields only: the walk itself is in vmsa_walk.h.
#pragma once

#include "models/common/bitfield.h"

#include <cstdint>

namespace iommu_vp::vmsa {

// Bits [1:0]: x0 invalid; at levels 0-2, 01 block and 11 table; at level 3, 11 page and 01 reserved.
inline constexpr BitField kValid = bit(0);
inline constexpr BitField kTableOrPage = bit(1);

// Table descriptors: hierarchical attributes that restrict every later level.
inline constexpr BitField kPxnTable = bit(59);
inline constexpr BitField kXnTable = bit(60);     // UXNTable for a regime with two privilege levels
inline constexpr BitField kApTable = bits(62, 61);
inline constexpr unsigned kApTableNoUnprivileged = 0b01;  // APTable[0]: no access at EL0
inline constexpr unsigned kApTableReadOnly = 0b10;        // APTable[1]: no write at any level

// Block and page descriptors, both stages.
inline constexpr BitField kAccessFlag = bit(10);
inline constexpr BitField kShareability = bits(9, 8);
inline constexpr BitField kDirtyBitModifier = bit(51);  // DBM: writable-clean when not writable (SMMUv3 3.13.3.1)
inline constexpr BitField kContiguous = bit(52);

// Stage-1 leaf attributes.
inline constexpr BitField kAttrIndx = bits(4, 2);
inline constexpr BitField kAp = bits(7, 6);          // AP[2:1]
inline constexpr unsigned kApUnprivileged = 0b01;    // AP[1]: EL0 has access
inline constexpr unsigned kApReadOnly = 0b10;        // AP[2]: no write
inline constexpr BitField kAp2 = bit(7);             // AP[2] alone: HTTU clears it to mark a page dirty
inline constexpr BitField kNotGlobal = bit(11);
inline constexpr BitField kPxn = bit(53);
inline constexpr BitField kUxn = bit(54);            // XN when the regime has one privilege level

// Stage-2 leaf attributes.
inline constexpr BitField kMemAttr = bits(5, 2);
inline constexpr BitField kS2Ap = bits(7, 6);
inline constexpr unsigned kS2ApRead = 0b01;
inline constexpr unsigned kS2ApWrite = 0b10;
inline constexpr BitField kS2Ap1 = bit(7);           // S2AP[1] (write) alone: HTTU sets it to mark a page dirty
inline constexpr BitField kS2Xn = bit(54);           // XN[1]; XN[0] (bit 53) needs IDR3.XNX

// Output address bits [47:granule]; with the 64 KiB granule and a 52-bit output size, bits
// [51:48] of the address are held in descriptor bits [15:12].
inline constexpr BitField kOutputAddress48 = bits(47, 0);  // masked further by the granule
inline constexpr BitField kOutputAddress51To48 = bits(15, 12);

}  // namespace iommu_vp::vmsa
