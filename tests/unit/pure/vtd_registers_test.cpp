// VT-d register table: VER, CAP and ECAP worked out by hand from VT-d 11.4.1-11.4.3 for the default
// Features, the placement of the IOTLB and fault-recording registers by ECAP.IRO and CAP.FRO, and the
// reset and writable rules of chapter 11.
#include "models/vtd/registers.h"

#include <gtest/gtest.h>

namespace {

using namespace iommu_vp;
using namespace iommu_vp::vtd;

RegisterBank make_bank(const Features& features) {
    RegisterBank bank("vtd");
    add_registers(bank, features);
    return bank;
}

std::uint64_t read(RegisterBank& bank, std::uint64_t offset, unsigned size = 8) {
    std::uint64_t value = 0;
    EXPECT_EQ(bank.read(offset, size, value), RegisterAccessStatus::ok) << std::hex << offset;
    return value;
}

TEST(VtdRegisters, CapabilitiesOfTheDefaultFeatures) {
    RegisterBank bank = make_bank(Features{});
    // VER: major 3 in [7:4], minor 0.
    EXPECT_EQ(read(bank, 0x000, 4), 0x30u);
    // CAP: ND=6 [2:0]; SAGAW 39+48 = 0b00110 [12:8]; MGAW 47 [21:16]; FRO 0x40 [33:24]; SLLPS 2M+1G
    // [35:34]; PSI 39; NFR 7 [47:40]; MAMV 18 [53:48]; DWD 54; DRD 55; FL1GP 56.
    EXPECT_EQ(read(bank, 0x008), 0x01d2'078c'402f'0606ull);
    // ECAP: C 0, QI 1, PT 6, SC 7, IRO 0x50 [17:8], NEST 26, SRS 31, PSS 19 [39:35], PASID 40, SMTS 43,
    // SLTS 46, FLTS 47, SMPWCS 48, RPS 49.
    EXPECT_EQ(read(bank, 0x010), 0x0003'c998'8400'50c3ull);
}

TEST(VtdRegisters, AbsentFeaturesAreNotAdvertised) {
    Features f;
    f.scalable_mode = false;
    f.first_level = false;
    f.nested = false;
    f.pasid = false;
    f.queued_invalidation = false;
    f.sagaw_48 = false;
    f.mgaw_bits = 39;
    f.second_level_1g = false;
    f.domain_id_bits = 8;  // ND = 2
    RegisterBank bank = make_bank(f);
    const std::uint64_t cap = read(bank, 0x008);
    EXPECT_EQ(cap & 0x7, 2u);
    EXPECT_EQ((cap >> 8) & 0x1f, 0x2u);   // SAGAW: 39-bit only
    EXPECT_EQ((cap >> 16) & 0x3f, 38u);   // MGAW
    EXPECT_EQ((cap >> 34) & 0xf, 0x1u);   // SLLPS: 2 MiB only
    EXPECT_EQ((cap >> 56) & 1, 0u);       // FL1GP needs first-level translation
    const std::uint64_t ecap = read(bank, 0x010);
    EXPECT_EQ(ecap & 0x2, 0u);                       // QI
    EXPECT_EQ(ecap & (1ull << 26), 0u);              // NEST
    EXPECT_EQ(ecap & (0x1full << 35), 0u);           // PSS
    EXPECT_EQ(ecap & (1ull << 40), 0u);              // PASID
    EXPECT_EQ(ecap & (1ull << 43), 0u);              // SMTS
    EXPECT_EQ(ecap & (1ull << 47), 0u);              // FLTS
    // Without QI the queue registers keep their reset values.
    ASSERT_EQ(bank.write(0x088, 8, 0x7ff0), RegisterAccessStatus::ok);
    EXPECT_EQ(read(bank, 0x088), 0u);
}

TEST(VtdRegisters, IotlbAndFaultRecordingRegistersFollowIroAndFro) {
    Features f;
    f.iotlb_register_offset = 0x30;
    f.fault_record_offset = 0x50;
    f.fault_records = 2;
    RegisterBank bank = make_bank(f);
    // IVA at IRO*16 = 0x300, IOTLB_REG at +8; FRCD0 at FRO*16 = 0x500, FRCD1 at 0x510.
    ASSERT_EQ(bank.write(0x300, 8, 0x1234'5000 | 0x40 | 0x3), RegisterAccessStatus::ok);
    EXPECT_EQ(read(bank, 0x300), 0x1234'5043u);
    ASSERT_EQ(bank.write(0x308, 8, 0x2000'0000'0000'0000ull), RegisterAccessStatus::ok);  // IIRG = global
    EXPECT_EQ(read(bank, 0x308), 0x2000'0000'0000'0000ull);
    std::uint64_t value = 0;
    EXPECT_EQ(bank.read(0x518, 8, value), RegisterAccessStatus::ok);   // FRCD1 high half
    EXPECT_EQ(bank.read(0x520, 8, value), RegisterAccessStatus::unmapped);
    // The high half's F bit (127) is write-1-to-clear and nothing else is writable.
    bank.set("FRCD1_HI", 0x8000'0005'0000'0100ull);
    ASSERT_EQ(bank.write(0x51c, 4, 0x0000'0000u), RegisterAccessStatus::ok);  // a 0 leaves F set
    EXPECT_EQ(read(bank, 0x518), 0x8000'0005'0000'0100ull);
    ASSERT_EQ(bank.write(0x51c, 4, 0xffff'ffffu), RegisterAccessStatus::ok);
    EXPECT_EQ(read(bank, 0x518), 0x0000'0005'0000'0100ull);
}

TEST(VtdRegisters, ResetValuesAndWritableBits) {
    RegisterBank bank = make_bank(Features{});
    // Fault and invalidation-completion events are masked out of reset (IM, bit 31).
    EXPECT_EQ(read(bank, 0x038, 4), 0x8000'0000u);
    EXPECT_EQ(read(bank, 0x0a0, 4), 0x8000'0000u);
    // RTADDR keeps RTA below the 48-bit host address width and TTM [11:10]; bits [9:0] are reserved.
    ASSERT_EQ(bank.write(0x020, 8, ~0ull), RegisterAccessStatus::ok);
    EXPECT_EQ(read(bank, 0x020), 0x0000'ffff'ffff'fc00ull);
    // IQA: address, DW (bit 11, scalable mode advertised), QS [2:0]; bits [10:3] reserved.
    ASSERT_EQ(bank.write(0x090, 8, ~0ull), RegisterAccessStatus::ok);
    EXPECT_EQ(read(bank, 0x090), 0x0000'ffff'ffff'f807ull);
    // IQT: [18:4].
    ASSERT_EQ(bank.write(0x088, 8, ~0ull), RegisterAccessStatus::ok);
    EXPECT_EQ(read(bank, 0x088), 0x7fff0u);
    // FSTS: PFO, IQE, ICE, ITE are write-1-to-clear; PPF and FRI only hardware sets.
    bank.set("FSTS", 0x3f73);
    ASSERT_EQ(bank.write(0x034, 4, 0x71), RegisterAccessStatus::ok);
    EXPECT_EQ(read(bank, 0x034, 4), 0x3f02u);
    // Capability registers are read-only.
    ASSERT_EQ(bank.write(0x008, 8, 0), RegisterAccessStatus::ok);
    EXPECT_NE(read(bank, 0x008), 0u);
}

}  // namespace
