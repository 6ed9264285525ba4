#include "models/smmuv3/stream_table.h"

namespace iommu_vp::smmuv3 {
namespace {

constexpr unsigned kSteBytesLog2 = 6;
constexpr unsigned kL1StdBytesLog2 = 3;
constexpr unsigned kMinL1TableAlignmentLog2 = 6;  // 2-level base: at least 64-byte aligned

bool is_valid_split(unsigned split) { return split == 6 || split == 8 || split == 10; }

// Bits [n-1:0] cleared; n may exceed 63 (a LOG2SIZE of 63 aligns the whole address away).
std::uint64_t clear_low_bits(std::uint64_t value, unsigned n) { return value & ~low_mask(n); }

bool beyond_oas(std::uint64_t address, const Features& features) {
    return features.oas_bits < 64 && (address >> features.oas_bits) != 0;
}

// SMMUv3 6.3.24: a linear table is aligned to its size, ADDR[LOG2SIZE+5:0] = 0; a 2-level table to
// the larger of 64 bytes and the level-1 table, ADDR[MAX(5, LOG2SIZE-SPLIT-1+3):0] = 0. Both use
// LOG2SIZE as written, not capped by SIDSIZE.
std::uint64_t aligned_base(const StreamTableConfig& t) {
    if (!t.two_level) return clear_low_bits(t.base, t.log2size + kSteBytesLog2);
    unsigned bits_cleared = kMinL1TableAlignmentLog2;
    if (t.log2size > t.split) {
        const unsigned l1_bytes_log2 = t.log2size - t.split + kL1StdBytesLog2;
        if (l1_bytes_log2 > bits_cleared) bits_cleared = l1_bytes_log2;
    }
    return clear_low_bits(t.base, bits_cleared);
}

// Fetch addresses beyond the OAS (SMMUv3 3.4.3, item 5): CONSTRAINED UNPREDICTABLE between
// truncating the address to the OAS and F_STE_FETCH. This model chooses F_STE_FETCH, so that a
// driver that programs an out-of-range table sees an event rather than a read of another address.
template <typename T>
Decoded<T> fetch_beyond_oas() {
    return decoded_error<T>(ConfigOutcome::ste_fetch, "Stream table fetch address is beyond the OAS");
}

}  // namespace

StreamTableConfig decode_stream_table_config(std::uint64_t strtab_base, std::uint32_t strtab_base_cfg,
                                             const Features& features) {
    StreamTableConfig t;
    t.base = strtab_base::kAddr.extract(strtab_base) << strtab_base::kAddr.lsb;
    t.read_allocate = strtab_base::kRa.is_set_in(strtab_base);
    // FMT: reserved values behave as linear; without IDR0.ST_LEVEL the field is RES0 (6.3.25).
    t.two_level = features.two_level_stream_table &&
                  strtab_base_cfg::kFmt.extract(strtab_base_cfg) == strtab_base_cfg::kFmtTwoLevel;
    t.log2size = static_cast<unsigned>(strtab_base_cfg::kLog2Size.extract(strtab_base_cfg));
    t.effective_log2size = t.log2size < features.sid_bits ? t.log2size : features.sid_bits;
    // SPLIT: values other than 6, 8 and 10 are reserved and behave as 6 (6.3.25).
    const unsigned split = static_cast<unsigned>(strtab_base_cfg::kSplit.extract(strtab_base_cfg));
    t.split = is_valid_split(split) ? split : 6;
    t.effective_base = aligned_base(t);
    return t;
}

Decoded<StreamTableStep> locate_stream_entry(const StreamTableConfig& table, const Features& features,
                                             std::uint32_t stream_id) {
    // SMMUv3 6.3.25 and 7.3.3: a StreamID >= 2^(effective LOG2SIZE) is out of range.
    if ((std::uint64_t{stream_id} >> table.effective_log2size) != 0)
        return decoded_error<StreamTableStep>(ConfigOutcome::bad_streamid,
                                              "StreamID >= 2^STRTAB_BASE_CFG.LOG2SIZE (or IDR1.SIDSIZE)");
    StreamTableStep step;
    if (table.two_level) {
        // The level-1 table is indexed by StreamID[LOG2SIZE-1:SPLIT] (SMMUv3 3.3.1.2).
        step.is_l1_descriptor = true;
        step.address = table.effective_base + (std::uint64_t{stream_id} >> table.split) * kL1StdBytes;
    } else {
        step.address = table.effective_base + std::uint64_t{stream_id} * kSteBytes;
    }
    if (beyond_oas(step.address, features)) return fetch_beyond_oas<StreamTableStep>();
    return decoded_ok(step);
}

L1StreamDescriptor decode_l1_stream_descriptor(std::uint64_t descriptor) {
    L1StreamDescriptor d;
    d.span = static_cast<unsigned>(l1std::kSpan.extract(descriptor));
    d.l2_pointer = l1std::kL2Ptr.extract(descriptor) << l1std::kL2Ptr.lsb;
    return d;
}

Decoded<std::uint64_t> locate_ste_in_level2(const StreamTableConfig& table, const Features& features,
                                            std::uint64_t l1_descriptor, std::uint32_t stream_id) {
    const L1StreamDescriptor d = decode_l1_stream_descriptor(l1_descriptor);
    // SMMUv3 5.1.1 and 7.3.3: Span 0, a reserved Span (12..31 behave as 0) and a Span beyond
    // SPLIT + 1 all make the StreamIDs of this descriptor invalid.
    if (d.span == 0 || d.span > l1std::kMaxSpan)
        return decoded_error<std::uint64_t>(ConfigOutcome::bad_streamid, "L1STD.Span is 0 (invalid) or reserved");
    if (d.span > table.split + 1)
        return decoded_error<std::uint64_t>(ConfigOutcome::bad_streamid, "L1STD.Span > STRTAB_BASE_CFG.SPLIT + 1");
    // The level-2 array holds 2^(Span-1) STEs, indexed by StreamID[SPLIT-1:0].
    const std::uint64_t index = stream_id & low_mask(table.split);
    const unsigned entries_log2 = d.span - 1;
    if ((index >> entries_log2) != 0)
        return decoded_error<std::uint64_t>(ConfigOutcome::bad_streamid,
                                            "StreamID[SPLIT-1:0] is outside the L1STD.Span");
    // L2Ptr[5 + (Span-1):0] are treated as zero: the array is aligned to its size (5.1).
    const std::uint64_t l2_base = clear_low_bits(d.l2_pointer, entries_log2 + kSteBytesLog2);
    const std::uint64_t address = l2_base + index * kSteBytes;
    if (beyond_oas(address, features)) return fetch_beyond_oas<std::uint64_t>();
    return decoded_ok(address);
}

}  // namespace iommu_vp::smmuv3
