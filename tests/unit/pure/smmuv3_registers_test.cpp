// SMMUv3 register table: identification values worked out by hand from SMMUv3 6.3.1 (IDR0),
// 6.3.2 (IDR1), 6.3.6 (IDR5), 6.3.7 (IIDR), and the reset and writable rules of chapter 6.
#include "models/smmuv3/registers.h"

#include <gtest/gtest.h>

namespace {

using namespace iommu_vp;
using namespace iommu_vp::smmuv3;

RegisterBank make_bank(const Features& features, bool abort_at_reset = false) {
    RegisterBank bank("smmu");
    add_registers(bank, features, Identity{}, abort_at_reset);
    return bank;
}

std::uint64_t read(RegisterBank& bank, std::uint64_t offset, unsigned size = 4) {
    std::uint64_t value = 0;
    EXPECT_EQ(bank.read(offset, size, value), RegisterAccessStatus::ok) << std::hex << offset;
    return value;
}

TEST(Smmuv3Registers, IdentificationRegistersOfTheDefaultFeatures) {
    RegisterBank bank = make_bank(Features{});
    // IDR0: S2P(0) S1P(1) TTF=AArch64(3:2 = 0b10) COHACC(4) ASID16(12) MSI(13) SEV(14) VMID16(18)
    // CD2L(19) TTENDIAN=little(22:21 = 0b10) STALL_MODEL=terminate only(25:24 = 0b01) ST_LEVEL=2-level(27).
    EXPECT_EQ(read(bank, 0x000), 0x1u | 0x2u | 0x8u | 0x10u | 0x1000u | 0x2000u | 0x4000u | 0x40000u | 0x80000u |
                                     0x400000u | 0x1000000u | 0x8000000u);
    // IDR1: SIDSIZE 16 (5:0), SSIDSIZE 8 (10:6), EVENTQS 8 (20:16), CMDQS 8 (25:21).
    EXPECT_EQ(read(bank, 0x004), 16u | (8u << 6) | (8u << 16) | (8u << 21));
    // IDR5: OAS 48 bits = 0b101, GRAN4K (4), GRAN64K (6).
    EXPECT_EQ(read(bank, 0x014), 0x5u | 0x10u | 0x40u);
    // IIDR: Implementer 0x43b in 11:0, ProductID 0x483 in 31:20.
    EXPECT_EQ(read(bank, 0x018), 0x4830043bu);
}

TEST(Smmuv3Registers, AbsentFeaturesAreNotAdvertised) {
    Features f;
    f.stage1 = false;
    f.msi = false;
    f.two_level_stream_table = false;
    f.granule_64k = false;
    f.granule_16k = true;
    f.oas_bits = 40;
    RegisterBank bank = make_bank(f);
    const std::uint64_t idr0 = read(bank, 0x000);
    EXPECT_EQ(idr0 & 0x2u, 0u);         // S1P
    EXPECT_EQ(idr0 & 0x1u, 1u);         // S2P
    EXPECT_EQ(idr0 & 0x2000u, 0u);      // MSI
    EXPECT_EQ(idr0 & 0x18000000u, 0u);  // ST_LEVEL linear only
    EXPECT_EQ(read(bank, 0x014), 0x2u | 0x10u | 0x20u);  // OAS 40 = 0b010, GRAN4K, GRAN16K
    // Without MSI the IRQ_CFG registers keep nothing.
    bank.write(0x068, 8, 0x1234'5678'9abcull);
    EXPECT_EQ(read(bank, 0x068, 8), 0u);
}

TEST(Smmuv3Registers, OffsetsOfPageZeroAndPageOne) {
    RegisterBank bank = make_bank(Features{});
    EXPECT_EQ(bank.write(0x10000 + 0xac, 4, 0x3), RegisterAccessStatus::ok);  // EVTQ_CONS, page 1
    EXPECT_EQ(bank.get("EVTQ_CONS"), 0x3u);
    EXPECT_EQ(bank.write(0x98, 4, 0x5), RegisterAccessStatus::ok);  // CMDQ_PROD, page 0
    EXPECT_EQ(bank.get("CMDQ_PROD"), 0x5u);
    std::uint64_t value = 0;
    EXPECT_EQ(bank.read(0xa8, 4, value), RegisterAccessStatus::unmapped);  // EVTQ_PROD is not on page 0
}

TEST(Smmuv3Registers, WritableBitsFollowTheFeatures) {
    RegisterBank bank = make_bank(Features{});
    bank.write(0x020, 4, 0xffffffff);
    EXPECT_EQ(read(bank, 0x020), 0xdu);  // SMMUEN, EVTQEN, CMDQEN; no PRI, no ATS
    EXPECT_EQ(read(bank, 0x024), 0u);    // CR0ACK is the model's to change
    bank.write(0x064, 4, 0xffffffff);
    // GERRORN: CMDQ_ERR(0) EVTQ_ABT_ERR(2) MSI_CMDQ(4) MSI_EVTQ(5) MSI_GERROR(7) SFM(8); no PRI bits.
    EXPECT_EQ(read(bank, 0x064), 0x1b5u);
    bank.write(0x060, 4, 0xffffffff);
    EXPECT_EQ(read(bank, 0x060), 0u);    // GERROR is read-only
    // STRTAB_BASE: ADDR 55:6 and RA 62; the 32-bit halves reach the same register.
    bank.write(0x080, 4, 0xffffffff);
    bank.write(0x084, 4, 0xffffffff);
    EXPECT_EQ(read(bank, 0x080, 8), 0x40ff'ffff'ffff'ffc0ull);
}

TEST(Smmuv3Registers, GbpaResetsToUseIncomingAndOptionallyAbort) {
    RegisterBank open = make_bank(Features{});
    EXPECT_EQ(read(open, 0x044), 0x1000u);  // SHCFG = 0b01, use incoming
    RegisterBank deny = make_bank(Features{}, true);
    EXPECT_EQ(read(deny, 0x044), 0x101000u);  // and ABORT (bit 20)
}

}  // namespace
