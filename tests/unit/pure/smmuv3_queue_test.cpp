// SMMUv3 queue pointer arithmetic, queue base decoding, CMDQ_CONS.ERR, Event queue overflow and
// GERROR. Every expected value is worked out by hand from SMMUv3 3.5.1 (index plus wrap bit),
// 6.3.26/6.3.28/6.3.29 (BASE, CONS), 7.1, 7.4 and 7.5; the register layouts are restated here.
#include "models/smmuv3/gerror.h"
#include "models/smmuv3/queue_pointers.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace {

using namespace iommu_vp::smmuv3;

// 8-entry queue: index bits [2:0], wrap bit 3.
constexpr unsigned kLog2 = 3;

TEST(Smmuv3QueuePointers, IndexAndWrapSitJustAboveEachOther) {
    EXPECT_EQ(queue_index(0b1101, kLog2), 5u);
    EXPECT_TRUE(queue_wrap(0b1101, kLog2));
    EXPECT_EQ(queue_index(0b0101, kLog2), 5u);
    EXPECT_FALSE(queue_wrap(0b0101, kLog2));
    // 128 entries: index [6:0], wrap bit 7 (the example of SMMUv3 3.5.1).
    EXPECT_EQ(queue_index(0xFF, 7), 0x7Fu);
    EXPECT_TRUE(queue_wrap(0xFF, 7));
    EXPECT_FALSE(queue_wrap(0x7F, 7));
    // Bits above the wrap bit (ERR, OVFLG) are not part of the pointer.
    EXPECT_EQ(index_and_wrap(0x81000105u, 8), 0x105u);
}

TEST(Smmuv3QueuePointers, EmptyWhenIndexAndWrapEqualFullWhenOnlyWrapDiffers) {
    EXPECT_TRUE(queue_empty(0b0101, 0b0101, kLog2));
    EXPECT_FALSE(queue_full(0b0101, 0b0101, kLog2));
    EXPECT_TRUE(queue_full(0b1101, 0b0101, kLog2));
    EXPECT_FALSE(queue_empty(0b1101, 0b0101, kLog2));
    EXPECT_TRUE(queue_full(0b0101, 0b1101, kLog2));
    EXPECT_FALSE(queue_full(0b0110, 0b0101, kLog2));
    EXPECT_FALSE(queue_empty(0b0110, 0b0101, kLog2));
    // Extra high bits do not disturb the comparison.
    EXPECT_TRUE(queue_empty(0x80000003u, 0x3u, kLog2));
}

TEST(Smmuv3QueuePointers, OccupancyCountsAcrossTheWrap) {
    EXPECT_EQ(queue_used(0b0101, 0b0101, kLog2), 0u);
    EXPECT_EQ(queue_used(0b1101, 0b0101, kLog2), 8u);  // full
    EXPECT_EQ(queue_used(0b0110, 0b0010, kLog2), 4u);  // 2..5 used
    EXPECT_EQ(queue_used(0b1010, 0b0110, kLog2), 4u);  // 6, 7, 0, 1 used
    EXPECT_EQ(queue_free(0b1010, 0b0110, kLog2), 4u);
    EXPECT_EQ(queue_free(0b0000, 0b0000, kLog2), 8u);
    EXPECT_EQ(queue_free(0b1000, 0b0000, kLog2), 0u);
}

TEST(Smmuv3QueuePointers, IncrementWrapsToZeroAndTogglesTheWrapBit) {
    EXPECT_EQ(queue_increment(0b0011, kLog2), 0b0100u);
    EXPECT_EQ(queue_increment(0b0111, kLog2), 0b1000u);  // index 7 -> 0, wrap 0 -> 1
    EXPECT_EQ(queue_increment(0b1111, kLog2), 0b0000u);  // index 7 -> 0, wrap 1 -> 0
    EXPECT_EQ(queue_increment(0x01000007u, kLog2), 0b1000u);  // ERR bits dropped
    // One-entry queue: no index bits, the wrap flag is bit 0.
    EXPECT_EQ(queue_increment(0, 0), 1u);
    EXPECT_EQ(queue_increment(1, 0), 0u);
    EXPECT_TRUE(queue_full(1, 0, 0));
    EXPECT_TRUE(queue_empty(1, 1, 0));
    // The largest queue: 19 index bits, wrap bit 19.
    EXPECT_EQ(queue_increment(0x7FFFF, 19), 0x80000u);
    EXPECT_EQ(queue_increment(0xFFFFF, 19), 0x00000u);
}

TEST(Smmuv3QueuePointers, ProducingUntilFullThenConsumingUntilEmpty) {
    std::uint32_t prod = 0b0110;  // index 6, wrap 0
    std::uint32_t cons = 0b0110;
    for (int i = 0; i < 8; ++i) {
        EXPECT_FALSE(queue_full(prod, cons, kLog2)) << i;
        prod = queue_increment(prod, kLog2);
    }
    EXPECT_EQ(prod, 0b1110u);
    EXPECT_TRUE(queue_full(prod, cons, kLog2));
    for (int i = 0; i < 8; ++i) {
        EXPECT_FALSE(queue_empty(prod, cons, kLog2)) << i;
        cons = queue_increment(cons, kLog2);
    }
    EXPECT_EQ(cons, 0b1110u);
    EXPECT_TRUE(queue_empty(prod, cons, kLog2));
}

TEST(Smmuv3QueuePointers, InconsistentIndexPairsAreDetected) {
    EXPECT_TRUE(queue_consistent(0b0101, 0b0011, kLog2));   // WR > RD, same wrap
    EXPECT_FALSE(queue_consistent(0b1101, 0b0011, kLog2));  // WR > RD, wraps differ
    EXPECT_FALSE(queue_consistent(0b0010, 0b0110, kLog2));  // WR < RD, same wrap
    EXPECT_TRUE(queue_consistent(0b1010, 0b0110, kLog2));   // WR < RD, wraps differ
    EXPECT_TRUE(queue_consistent(0b1010, 0b0010, kLog2));   // full
}

TEST(Smmuv3QueuePointers, Log2SizeAboveTheIdrLimitIsCapped) {
    EXPECT_EQ(effective_log2size(12, 8), 8u);
    EXPECT_EQ(effective_log2size(8, 8), 8u);
    EXPECT_EQ(effective_log2size(5, 8), 5u);
    EXPECT_EQ(effective_log2size(31, 19), 19u);
}

// *_BASE: LOG2SIZE [4:0], ADDR [55:5], RA/WA bit 62.
TEST(Smmuv3QueueGeometry, BaseAlignedToTheQueueSize) {
    // 256 commands of 16 bytes = 4 KiB; ADDR 0x80_4000_1A20 is aligned down to 0x80_4000_1000.
    const std::uint64_t reg = (1ull << 62) | 0x0000008040001A20ull | 8;
    const QueueGeometry q = QueueGeometry::from_base_register(reg, 8, command_entry_bytes);
    EXPECT_EQ(q.log2size, 8u);
    EXPECT_EQ(q.entries(), 256u);
    EXPECT_EQ(q.size_bytes(), 4096u);
    EXPECT_EQ(q.base, 0x0000008040001000ull);
    // PROD 0x105: index 5 (wrap 1) -> base + 5 * 16.
    EXPECT_EQ(q.slot_address(0x105), 0x0000008040001050ull);
    EXPECT_EQ(q.slot_address(0x0FF), 0x0000008040001FF0ull);
}

TEST(Smmuv3QueueGeometry, ProgrammedSizeAboveTheLimitUsesTheLimit) {
    // LOG2SIZE 12 on an SMMU with CMDQS 8: 256 entries, 4 KiB alignment, the index is 8 bits.
    const std::uint64_t reg = 0x0000000012345000ull | 12;
    const QueueGeometry q = QueueGeometry::from_base_register(reg, 8, command_entry_bytes);
    EXPECT_EQ(q.log2size, 8u);
    EXPECT_EQ(q.base, 0x0000000012345000ull);
    EXPECT_EQ(q.slot_address(0x1FF), 0x0000000012345FF0ull);
}

TEST(Smmuv3QueueGeometry, SmallEventQueueAndMinimumAlignment) {
    // 2 events of 32 bytes = 64 bytes: ADDR 0x1000_0060 aligns to 0x1000_0040.
    const QueueGeometry events = QueueGeometry::from_base_register(0x10000060ull | 1, 8, event_entry_bytes);
    EXPECT_EQ(events.base, 0x10000040ull);
    EXPECT_EQ(events.slot_address(0b01), 0x10000060ull);
    EXPECT_EQ(events.slot_address(0b11), 0x10000060ull);
    // 1 command of 16 bytes: the 32-byte minimum keeps ADDR as written.
    const QueueGeometry one = QueueGeometry::from_base_register(0x10000020ull, 8, command_entry_bytes);
    EXPECT_EQ(one.log2size, 0u);
    EXPECT_EQ(one.base, 0x10000020ull);
    // Bits [61:56] and 63 are not part of ADDR.
    const QueueGeometry high = QueueGeometry::from_base_register((1ull << 58) | (1ull << 63) | 0x2000ull | 4, 8,
                                                                 command_entry_bytes);
    EXPECT_EQ(high.base, 0x2000ull);
}

TEST(Smmuv3CommandQueueError, ErrFieldIsBits30To24) {
    EXPECT_EQ(cmdq_cons_with_error(0x105, 8, CommandError::ill), 0x01000105u);
    EXPECT_EQ(cmdq_cons_with_error(0x105, 8, CommandError::abt), 0x02000105u);
    EXPECT_EQ(cmdq_cons_with_error(0x03000105u, 8, CommandError::none), 0x00000105u);
    EXPECT_EQ(cmdq_cons_error(0x03000007u), CommandError::atc_inv_sync);
    EXPECT_EQ(cmdq_cons_error(0x01000000u), CommandError::ill);
    EXPECT_EQ(cmdq_cons_error(0x80000000u), CommandError::none);
    EXPECT_STREQ(command_error_name(CommandError::ill), "CERROR_ILL");
    EXPECT_STREQ(command_error_name(CommandError::atc_inv_sync), "CERROR_ATC_INV_SYNC");
    EXPECT_EQ(static_cast<int>(CommandError::none), 0);
    EXPECT_EQ(static_cast<int>(CommandError::abt), 2);
}

// EVENTQ_PROD.OVFLG and EVENTQ_CONS.OVACKFLG are bit 31.
TEST(Smmuv3EventQueueOverflow, OverflowTogglesOvflgOnceUntilAcknowledged) {
    std::uint32_t prod = 0x00000003;
    std::uint32_t cons = 0x00000000;
    EXPECT_FALSE(event_queue_overflowed(prod, cons));
    prod = eventq_prod_after_discard(prod, cons);
    EXPECT_EQ(prod, 0x80000003u);
    EXPECT_TRUE(event_queue_overflowed(prod, cons));
    // A second discard while the condition is present changes nothing.
    EXPECT_EQ(eventq_prod_after_discard(prod, cons), 0x80000003u);
    // Software acknowledges by copying OVFLG into OVACKFLG.
    cons = 0x80000003;
    EXPECT_FALSE(event_queue_overflowed(prod, cons));
    // The next overflow toggles OVFLG back to 0.
    prod = eventq_prod_after_discard(prod, cons);
    EXPECT_EQ(prod, 0x00000003u);
    EXPECT_TRUE(event_queue_overflowed(prod, cons));
}

TEST(Smmuv3EventQueueOverflow, WritingARecordKeepsOvflg) {
    EXPECT_EQ(eventq_prod_after_write(0x80000007u, kLog2), 0x80000008u);
    EXPECT_EQ(eventq_prod_after_write(0x0000000Fu, kLog2), 0x00000000u);
    EXPECT_EQ(eventq_prod_after_write(0x80000002u, kLog2), 0x80000003u);
}

TEST(Smmuv3Gerror, BitPositions) {
    EXPECT_EQ(gerror::CMDQ_ERR.mask(), 0x001u);
    EXPECT_EQ(gerror::EVENTQ_ABT_ERR.mask(), 0x004u);
    EXPECT_EQ(gerror::EVTQ_ABT_ERR.mask(), 0x004u);
    EXPECT_EQ(gerror::PRIQ_ABT_ERR.mask(), 0x008u);
    EXPECT_EQ(gerror::MSI_CMDQ_ABT_ERR.mask(), 0x010u);
    EXPECT_EQ(gerror::MSI_EVENTQ_ABT_ERR.mask(), 0x020u);
    EXPECT_EQ(gerror::MSI_PRIQ_ABT_ERR.mask(), 0x040u);
    EXPECT_EQ(gerror::MSI_GERROR_ABT_ERR.mask(), 0x080u);
    EXPECT_EQ(gerror::SFM_ERR.mask(), 0x100u);
    EXPECT_EQ(gerror::CMDQP_ERR.mask(), 0x200u);
    EXPECT_EQ(gerror::DPT_ERR.mask(), 0x400u);
    // With MSI and PRI, bits 0 and 2..8 (the mask Linux uses); bit 1 is always RES0.
    EXPECT_EQ(gerror::defined_mask(true, true), 0x1FDu);
    EXPECT_EQ(gerror::defined_mask(true, false), 0x1B5u);
    EXPECT_EQ(gerror::defined_mask(false, false), 0x105u);
}

TEST(Smmuv3Gerror, ActiveIsGerrorXorGerrornAndRaiseDoesNotToggleTwice) {
    EXPECT_EQ(gerror::active(0x5, 0x1), 0x4u);
    std::uint32_t gerror_value = 0;
    std::uint32_t gerrorn_value = 0;
    gerror_value = gerror::raise(gerror::CMDQ_ERR, gerror_value, gerrorn_value);
    EXPECT_EQ(gerror_value, 0x1u);
    EXPECT_TRUE(gerror::is_active(gerror::CMDQ_ERR, gerror_value, gerrorn_value));
    EXPECT_EQ(gerror::raise(gerror::CMDQ_ERR, gerror_value, gerrorn_value), 0x1u);  // still active
    gerrorn_value = 0x1;  // acknowledged
    EXPECT_FALSE(gerror::is_active(gerror::CMDQ_ERR, gerror_value, gerrorn_value));
    EXPECT_EQ(gerror::raise(gerror::CMDQ_ERR, gerror_value, gerrorn_value), 0x0u);  // toggles back
    EXPECT_EQ(gerror::raise(gerror::EVENTQ_ABT_ERR, 0x1, 0x1), 0x5u);
}

}  // namespace
