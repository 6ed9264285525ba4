// SMMUv3 PRI queue entries: one PCIe Page Request message as the SMMU writes it to the PRI queue, 16
// little-endian bytes (SMMUv3 chapter 8). Plain C++, header only, nothing here allocates.
//
// Layout (bit n of the entry is bit n % 64 of word n / 64), confirmed against the specification's
// chapter 8 diagram and Linux's PRIQ_* definitions:
//   word 0: StreamID [31:0], SubstreamID [51:32], Priv 58, X (Exe) 59, R 60, W 61, Last 62, SSV 63.
//   word 1: PRGIndex [8:0], Page address [63:12] in bits [63:12].
// With SSV == 0 the SubstreamID is UNKNOWN (written as 0) and X and Priv are 0. A Stop Marker is a
// message with a PASID and L, W, R == 1, 0, 0: it is queued, never answered (SMMUv3 8.1, 8.2).
#pragma once

#include "models/common/bitfield.h"
#include "models/common/little_endian.h"

#include <array>
#include <cstdint>

namespace iommu_vp::smmuv3 {

namespace pri_field {
// word 0
inline constexpr BitField STREAM_ID = bits(31, 0);
inline constexpr BitField SUBSTREAM_ID = bits(51, 32);
inline constexpr BitField PRIV = bit(58);
inline constexpr BitField EXEC = bit(59);
inline constexpr BitField READ = bit(60);
inline constexpr BitField WRITE = bit(61);
inline constexpr BitField LAST = bit(62);
inline constexpr BitField SSV = bit(63);
// word 1
inline constexpr BitField PRG_INDEX = bits(8, 0);
inline constexpr BitField PAGE_ADDRESS = bits(63, 12);  // address bits [63:12] in place
}  // namespace pri_field

struct PriQueueEntry {
    std::uint32_t stream_id = 0;
    bool ssv = false;
    std::uint32_t substream_id = 0;
    bool privileged = false;
    bool execute = false;
    bool read = false;
    bool write = false;
    bool last = false;
    std::uint16_t prg_index = 0;
    std::uint64_t page_address = 0;  // bits [11:0] are not part of the entry

    // A Stop PASID marker (PCIe PRI): a message with a PASID and L, W, R == 1, 0, 0.
    bool is_stop_marker() const { return ssv && last && !write && !read; }

    std::array<std::uint64_t, 2> encode() const {
        namespace f = pri_field;
        std::uint64_t w0 = f::STREAM_ID.insert(0, stream_id);
        if (ssv) {
            w0 = f::SSV.insert(w0, 1);
            w0 = f::SUBSTREAM_ID.insert(w0, substream_id);
            w0 = f::PRIV.insert(w0, privileged);
            w0 = f::EXEC.insert(w0, execute);
        }
        w0 = f::READ.insert(w0, read);
        w0 = f::WRITE.insert(w0, write);
        w0 = f::LAST.insert(w0, last);
        std::uint64_t w1 = f::PRG_INDEX.insert(0, prg_index);
        w1 |= page_address & f::PAGE_ADDRESS.mask();
        return {w0, w1};
    }
    std::array<std::uint8_t, 16> encode_bytes() const {
        const std::array<std::uint64_t, 2> words = encode();
        std::array<std::uint8_t, 16> bytes{};
        store_le(bytes.data(), 8, words[0]);
        store_le(bytes.data() + 8, 8, words[1]);
        return bytes;
    }
};

}  // namespace iommu_vp::smmuv3
