// Declarative register bank: reset values, writable and write-1-to-clear masks, hooks, 32/64-bit
// accesses (including each half of a 64-bit register) and the status codes of bad accesses.
#include "models/common/register_bank.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

namespace iommu_vp {
namespace {

using Status = RegisterAccessStatus;

RegisterSpec reg32(std::string name, std::uint64_t offset, std::uint64_t reset, std::uint64_t writable,
                   std::uint64_t w1c = 0) {
    RegisterSpec spec;
    spec.name = std::move(name);
    spec.offset = offset;
    spec.width_bytes = 4;
    spec.reset = reset;
    spec.writable = writable;
    spec.w1c = w1c;
    return spec;
}

RegisterSpec reg64(std::string name, std::uint64_t offset, std::uint64_t reset, std::uint64_t writable) {
    RegisterSpec spec = reg32(std::move(name), offset, reset, writable);
    spec.width_bytes = 8;
    return spec;
}

std::uint64_t must_read(RegisterBank& bank, std::uint64_t offset, unsigned size) {
    std::uint64_t value = 0xBAD;
    EXPECT_EQ(bank.read(offset, size, value), Status::ok) << "offset 0x" << std::hex << offset;
    return value;
}

TEST(RegisterBank, ReadsResetValuesAndResetRestoresThem) {
    RegisterBank bank("blk");
    bank.add(reg32("IDR0", 0x0, 0x1234'5678, 0));
    bank.add(reg32("CR0", 0x20, 0x5, 0xFF));
    bank.add(reg64("BASE", 0x80, 0x1122'3344'5566'7788ULL, ~0ULL));
    EXPECT_EQ(must_read(bank, 0x0, 4), 0x1234'5678u);
    EXPECT_EQ(must_read(bank, 0x20, 4), 0x5u);
    EXPECT_EQ(must_read(bank, 0x80, 8), 0x1122'3344'5566'7788ULL);

    ASSERT_EQ(bank.write(0x20, 4, 0xAA), Status::ok);
    ASSERT_EQ(bank.write(0x80, 8, 0), Status::ok);
    bank.reset();
    EXPECT_EQ(must_read(bank, 0x20, 4), 0x5u);
    EXPECT_EQ(must_read(bank, 0x80, 8), 0x1122'3344'5566'7788ULL);
}

TEST(RegisterBank, ReadOnlyBitsKeepTheirValueOnWrite) {
    RegisterBank bank("blk");
    // Bits [7:4] read-only with reset 0xA0, bits [3:0] writable.
    bank.add(reg32("CTRL", 0x10, 0xA0, 0x0F));
    ASSERT_EQ(bank.write(0x10, 4, 0xFFFF'FF53), Status::ok);
    EXPECT_EQ(must_read(bank, 0x10, 4), 0xA3u);
    ASSERT_EQ(bank.write(0x10, 4, 0x0), Status::ok);
    EXPECT_EQ(must_read(bank, 0x10, 4), 0xA0u);
    EXPECT_EQ(bank.get("CTRL"), 0xA0u);
}

TEST(RegisterBank, WriteOneClearsW1cBitsAndWriteZeroLeavesThem) {
    RegisterBank bank("blk");
    // Status bits [3:0] are write-1-to-clear, bit 8 is an ordinary writable bit.
    bank.add(reg32("STATUS", 0x4, 0x0, 0x100, 0xF));
    bank.set("STATUS", 0xF);  // hardware sets all four status bits
    ASSERT_EQ(bank.write(0x4, 4, 0x5), Status::ok);  // clear bits 0 and 2
    EXPECT_EQ(must_read(bank, 0x4, 4), 0xAu);
    ASSERT_EQ(bank.write(0x4, 4, 0x100), Status::ok);  // zeros in the W1C bits leave them; bit 8 stored
    EXPECT_EQ(must_read(bank, 0x4, 4), 0x10Au);
    ASSERT_EQ(bank.write(0x4, 4, 0xA), Status::ok);  // clears the rest and writes 0 to bit 8
    EXPECT_EQ(must_read(bank, 0x4, 4), 0x0u);
}

TEST(RegisterBank, WriteHookSeesOldNewAndWrittenValues) {
    RegisterBank bank("blk");
    std::vector<RegisterWrite> seen;
    RegisterSpec spec = reg32("CR0", 0x20, 0x3, 0x0F, 0x30);
    spec.on_write = [&](const RegisterWrite& w) { seen.push_back(w); };
    bank.add(std::move(spec));
    bank.set("CR0", 0x33);
    ASSERT_EQ(bank.write(0x20, 4, 0x1C), Status::ok);  // low nibble := 0xC, W1C bit 4 cleared
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].old_value, 0x33u);
    EXPECT_EQ(seen[0].new_value, 0x2Cu);
    EXPECT_EQ(seen[0].written_value, 0x1Cu);
    EXPECT_EQ(seen[0].written_mask, 0xFFFF'FFFFu);
    EXPECT_EQ(bank.get("CR0"), 0x2Cu);  // the hook runs after the stored value is updated
}

TEST(RegisterBank, ReadHookComputesWhatTheBusSeesWithoutChangingStoredValue) {
    RegisterBank bank("blk");
    std::vector<std::uint64_t> stored_seen;
    RegisterSpec spec = reg32("LIVE", 0x8, 0x10, 0xFF);
    spec.on_read = [&](std::uint64_t stored) {
        stored_seen.push_back(stored);
        return stored | 0x1;  // a live "busy" bit
    };
    bank.add(std::move(spec));
    EXPECT_EQ(must_read(bank, 0x8, 4), 0x11u);
    ASSERT_EQ(stored_seen.size(), 1u);
    EXPECT_EQ(stored_seen[0], 0x10u);
    EXPECT_EQ(bank.get("LIVE"), 0x10u);

    std::uint64_t peeked = 0;
    ASSERT_EQ(bank.peek(0x8, 4, peeked), Status::ok);  // peek: no hook
    EXPECT_EQ(peeked, 0x10u);
    EXPECT_EQ(stored_seen.size(), 1u);
}

TEST(RegisterBank, SixtyFourBitRegisterAccessedWholeAndAsHalves) {
    RegisterBank bank("blk");
    std::vector<RegisterWrite> seen;
    RegisterSpec spec = reg64("Q_BASE", 0x40, 0x0, ~0ULL);
    spec.on_write = [&](const RegisterWrite& w) { seen.push_back(w); };
    bank.add(std::move(spec));

    ASSERT_EQ(bank.write(0x40, 8, 0x0123'4567'89AB'CDEFULL), Status::ok);
    EXPECT_EQ(must_read(bank, 0x40, 8), 0x0123'4567'89AB'CDEFULL);
    EXPECT_EQ(must_read(bank, 0x40, 4), 0x89AB'CDEFu);  // low half
    EXPECT_EQ(must_read(bank, 0x44, 4), 0x0123'4567u);  // high half

    ASSERT_EQ(bank.write(0x44, 4, 0xFEED'FACE), Status::ok);
    EXPECT_EQ(must_read(bank, 0x40, 8), 0xFEED'FACE'89AB'CDEFULL);
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[1].written_value, 0xFEED'FACE'0000'0000ULL);
    EXPECT_EQ(seen[1].written_mask, 0xFFFF'FFFF'0000'0000ULL);
    EXPECT_EQ(seen[1].old_value, 0x0123'4567'89AB'CDEFULL);

    ASSERT_EQ(bank.write(0x40, 4, 0x1111'2222), Status::ok);
    EXPECT_EQ(must_read(bank, 0x40, 8), 0xFEED'FACE'1111'2222ULL);
    EXPECT_EQ(seen[2].written_mask, 0x0000'0000'FFFF'FFFFULL);

    std::uint64_t half = 0;
    ASSERT_EQ(bank.peek(0x44, 4, half), Status::ok);
    EXPECT_EQ(half, 0xFEED'FACEu);
}

TEST(RegisterBank, ThirtyTwoBitWriteIgnoresValueBitsAboveItsWidth) {
    RegisterBank bank("blk");
    bank.add(reg64("R", 0x0, 0x0, ~0ULL));
    ASSERT_EQ(bank.write(0x0, 4, 0xFFFF'FFFF'0000'0001ULL), Status::ok);
    EXPECT_EQ(must_read(bank, 0x0, 8), 0x1u);
}

TEST(RegisterBank, BadAccessesReportTheirStatus) {
    RegisterBank bank("blk");
    bank.add(reg32("A", 0x0, 0x1, 0xFF));
    bank.add(reg64("B", 0x8, 0x2, ~0ULL));
    std::uint64_t value = 0x5555;

    EXPECT_EQ(bank.read(0x4, 4, value), Status::unmapped);    // gap between A and B
    EXPECT_EQ(bank.read(0x100, 4, value), Status::unmapped);  // beyond the last register
    EXPECT_EQ(bank.write(0x100, 4, 1), Status::unmapped);
    EXPECT_EQ(bank.read(0x0, 8, value), Status::bad_size);    // 64-bit access to a 32-bit register
    EXPECT_EQ(bank.write(0x0, 8, 1), Status::bad_size);
    EXPECT_EQ(bank.read(0x0, 2, value), Status::bad_size);    // only 32 and 64 bits
    EXPECT_EQ(bank.read(0x0, 1, value), Status::bad_size);
    EXPECT_EQ(bank.read(0x2, 4, value), Status::misaligned);  // inside A, not on a 32-bit lane
    EXPECT_EQ(bank.read(0xC, 8, value), Status::misaligned);  // 64-bit access to B's upper half
    EXPECT_EQ(bank.write(0xA, 4, 0xFF), Status::misaligned);
    EXPECT_EQ(bank.peek(0x4, 4, value), Status::unmapped);
    EXPECT_EQ(value, 0x5555u);  // failed accesses leave the output alone

    // None of the refused writes changed anything.
    EXPECT_EQ(bank.get("A"), 0x1u);
    EXPECT_EQ(bank.get("B"), 0x2u);
}

TEST(RegisterBank, MalformedTablesAreModelBugsAndThrow) {
    RegisterBank bank("blk");
    bank.add(reg64("B", 0x8, 0, 0));
    EXPECT_THROW(bank.add(reg32("OVERLAP_HIGH_HALF", 0xC, 0, 0)), std::logic_error);
    EXPECT_THROW(bank.add(reg64("OVERLAP_START", 0x8, 0, 0)), std::logic_error);
    EXPECT_THROW(bank.add(reg32("MISALIGNED", 0x2, 0, 0)), std::logic_error);
    RegisterSpec odd = reg32("ODD_WIDTH", 0x20, 0, 0);
    odd.width_bytes = 2;
    EXPECT_THROW(bank.add(odd), std::logic_error);
    EXPECT_NO_THROW(bank.add(reg32("NEXT", 0x10, 0, 0)));
    EXPECT_NO_THROW(bank.add(reg32("BEFORE", 0x4, 0, 0)));
    EXPECT_THROW(bank.get("NOPE"), std::logic_error);
}

TEST(RegisterBank, HardwareSetBypassesMasksButKeepsTheWidth) {
    RegisterBank bank("blk");
    bank.add(reg32("RO", 0x0, 0, 0));
    bank.set("RO", 0x1'2345'6789ULL);
    EXPECT_EQ(bank.get("RO"), 0x2345'6789u);
    EXPECT_EQ(must_read(bank, 0x0, 4), 0x2345'6789u);
}

TEST(RegisterBank, ListsRegistersInTableOrder) {
    RegisterBank bank("blk");
    bank.add(reg32("Z", 0x10, 0, 0));
    bank.add(reg32("A", 0x0, 0, 0));
    EXPECT_EQ(bank.register_names(), (std::vector<std::string>{"Z", "A"}));
    EXPECT_EQ(bank.name(), "blk");
}

TEST(RegisterBank, DescribeDecodesFieldsAsTheHeaderShows) {
    RegisterBank bank("smmu");
    RegisterSpec cr0 = reg32("CR0", 0x20, 0, 0xF);
    cr0.fields = {{"SMMUEN", bit(0)}, {"EVTQEN", bit(1)}, {"CMDQEN", bit(2)}};
    bank.add(std::move(cr0));
    // The header's example, with the three one-bit fields at bits 0, 1 and 2.
    EXPECT_EQ(bank.describe("CR0", 0x5), "CR0 = 0x5 {SMMUEN=1, EVTQEN=0, CMDQEN=1}");
}

TEST(RegisterBank, DescribeShowsWideFieldsInHex) {
    RegisterBank bank("smmu");
    RegisterSpec base = reg64("STRTAB_BASE", 0x80, 0, ~0ULL);
    base.fields = {{"ADDR", bits(51, 6)}, {"RA", bit(62)}};
    bank.add(std::move(base));
    EXPECT_EQ(bank.describe("STRTAB_BASE", 0x4000'0000'0001'0040ULL),
              "STRTAB_BASE = 0x4000000000010040 {ADDR=0x401, RA=1}");
}

}  // namespace
}  // namespace iommu_vp
