// VT-d fault recording. The expected register words are written by hand from the layout of
// FRCD_REG in VT-d 11.4.7.6 (bit n of the register is bit n % 64 of word n / 64): FI [63:12];
// SID [79:64], T2 92, PRIV 93, EXE 94, PP 95, FR [103:96], PV [123:104], AT [125:124], T1 126
// (1 = read), F 127; and FSTS (11.4.7.1) / FECTL (11.4.7.2) bit positions. Not from fault_record.h.
#include "models/vtd/fault_record.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

namespace {

using namespace iommu_vp::vtd;
using Words = std::array<std::uint64_t, 2>;

Features defaults() { return Features{}; }  // PASID, no DT, SAGAW 39 + 48

FaultRecord record(FaultReason reason, std::uint16_t sid, std::uint64_t address, FaultRequestType type) {
    FaultRecord r;
    r.reason = reason;
    r.source_id = sid;
    r.address = address;
    r.type = type;
    return r;
}

TEST(VtdFaultRecord, LegacyWriteFault) {
    const FaultRecord r = record(FaultReason::write_denied, 0x0010, 0x12345678, FaultRequestType::write);
    // word0: FI = 0x12345000. word1: SID 0x10, FR 0x05 at [39:32], T1 = T2 = 0 (write), F (bit 63).
    const Words expected = {0x0000000012345000ull, 0x8000000500000010ull};
    EXPECT_EQ(encode_fault_record(r, defaults()), expected);
}

TEST(VtdFaultRecord, ReadFaultWithPasidPrivilegeAndExecute) {
    FaultRecord r = record(FaultReason::sm_read_denied, 0x0208, 0x00007FFF12345ABCull, FaultRequestType::read);
    r.pasid_present = true;
    r.pasid = 0x12345;
    r.privileged = true;
    r.execute = true;
    // word1: F (bit 63) | T1 (bit 62, read) | PV 0x12345 << 40 | FR 0x86 << 32 | PP (bit 31) |
    //        EXE (bit 30) | PRIV (bit 29) | SID 0x0208.
    const Words expected = {0x00007FFF12345000ull, 0xC1234586E0000208ull};
    EXPECT_EQ(encode_fault_record(r, defaults()), expected);
}

TEST(VtdFaultRecord, RequestTypeBits) {
    const Features features = defaults();
    // AtomicOp: T1 (bit 62) and T2 (bit 28). PASID present with EXE requested: EXE is written as 0
    // because it is only meaningful for reads.
    FaultRecord atomic = record(FaultReason::sm_write_denied, 0x0001, 0x1000, FaultRequestType::atomic);
    atomic.pasid_present = true;
    atomic.pasid = 0x7;
    atomic.execute = true;
    // word1: F | T1 | PV 7 << 40 (0x0000070000000000) | FR 0x85 << 32 | PP (bit 31) | T2 (bit 28) | SID 1.
    EXPECT_EQ(encode_fault_record(atomic, features)[1], 0xC000078590000001ull);
    // Page request: T2 only.
    const FaultRecord page_request = record(FaultReason::sm_page_request_disabled, 0x0001, 0x2000,
                                            FaultRequestType::page_request);
    EXPECT_EQ(encode_fault_record(page_request, features)[1], 0x8000004710000001ull);
    EXPECT_EQ(FaultRecord::request_type(true), FaultRequestType::write);
    EXPECT_EQ(FaultRecord::request_type(false), FaultRequestType::read);
}

TEST(VtdFaultRecord, FaultInfoLimitedToLargestAgaw) {
    const FaultRecord r = record(FaultReason::non_canonical, 0x0010, 0xFFFF800012345000ull, FaultRequestType::read);
    // SAGAW 39 + 48: FI bits 63:48 written as 0.
    EXPECT_EQ(encode_fault_record(r, defaults())[0], 0x0000800012345000ull);
    EXPECT_EQ(fault_info_bits(defaults()), 48u);
    Features five_level = defaults();
    five_level.sagaw_57 = true;
    EXPECT_EQ(fault_info_bits(five_level), 57u);
    EXPECT_EQ(encode_fault_record(r, five_level)[0], 0x01FF800012345000ull);
    Features three_level = defaults();
    three_level.sagaw_48 = false;
    EXPECT_EQ(fault_info_bits(three_level), 39u);
}

TEST(VtdFaultRecord, PasidFieldsReservedWithoutPasidSupport) {
    FaultRecord r = record(FaultReason::sm_read_denied, 0x0208, 0x1000, FaultRequestType::read);
    r.pasid_present = true;
    r.pasid = 0x12345;
    r.privileged = true;
    r.execute = true;
    Features no_pasid = defaults();
    no_pasid.pasid = false;
    // word1: F | T1 | FR 0x86 << 32 | SID 0x0208; no PP, PV, PRIV, EXE.
    EXPECT_EQ(encode_fault_record(r, no_pasid)[1], 0xC000008600000208ull);
    // PP = 0: PV, PRIV and EXE are written as 0 even on a PASID-capable unit.
    r.pasid_present = false;
    EXPECT_EQ(encode_fault_record(r, defaults())[1], 0xC000008600000208ull);
}

TEST(VtdFaultRecord, AddressTypeNeedsDeviceTlb) {
    FaultRecord r = record(FaultReason::read_denied, 0x0010, 0x1000, FaultRequestType::read);
    r.address_type = FaultAddressType::translated;
    // Without ECAP.DT the AT field is RsvdZ: word1 = F | T1 | FR 0x06 << 32 | SID 0x10.
    EXPECT_EQ(encode_fault_record(r, defaults())[1], 0xC000000600000010ull);
    Features dt = defaults();
    dt.device_tlb = true;
    // AT 10b at [61:60] (0x2000000000000000).
    EXPECT_EQ(encode_fault_record(r, dt)[1], 0xE000000600000010ull);
}

TEST(VtdFaultRecord, FaultBitClear) {
    FaultRecord r = record(FaultReason::write_denied, 0x0010, 0x12345678, FaultRequestType::write);
    r.fault = false;
    EXPECT_EQ(encode_fault_record(r, defaults())[1], 0x0000000500000010ull);
}

TEST(VtdFaultRecord, DecodeHandWrittenWords) {
    const FaultRecord r = decode_fault_record(0x00007FFF12345000ull, 0xC1234586E0000208ull);
    EXPECT_TRUE(r.fault);
    EXPECT_EQ(r.reason, FaultReason::sm_read_denied);
    EXPECT_EQ(r.source_id, 0x0208);
    EXPECT_EQ(r.address, 0x00007FFF12345000ull);
    EXPECT_EQ(r.type, FaultRequestType::read);
    EXPECT_TRUE(r.pasid_present);
    EXPECT_EQ(r.pasid, 0x12345u);
    EXPECT_TRUE(r.privileged);
    EXPECT_TRUE(r.execute);
    EXPECT_EQ(r.address_type, FaultAddressType::untranslated);
    // Low FI bits are not part of the address; AT 01b at [61:60]; T2 alone is a page request.
    const FaultRecord other = decode_fault_record(0x0000000012345FFFull, 0x9000004710000001ull);
    EXPECT_EQ(other.address, 0x12345000ull);
    EXPECT_EQ(other.address_type, FaultAddressType::translation_request);
    EXPECT_EQ(other.type, FaultRequestType::page_request);
    EXPECT_EQ(other.reason, FaultReason::sm_page_request_disabled);
}

TEST(VtdFaultRecord, RoundTrip) {
    Features dt = defaults();
    dt.device_tlb = true;
    FaultRecord r = record(FaultReason::fl_not_present, 0xFFFF, 0x0000FFFFFFFFF000ull, FaultRequestType::read);
    r.pasid_present = true;
    r.pasid = 0xFFFFF;
    r.privileged = true;
    r.execute = true;
    r.address_type = FaultAddressType::translation_request;
    const Words words = encode_fault_record(r, dt);
    const FaultRecord back = decode_fault_record(words[0], words[1]);
    EXPECT_EQ(back.reason, r.reason);
    EXPECT_EQ(back.source_id, r.source_id);
    EXPECT_EQ(back.address, r.address);
    EXPECT_EQ(back.type, r.type);
    EXPECT_EQ(back.pasid_present, r.pasid_present);
    EXPECT_EQ(back.pasid, r.pasid);
    EXPECT_EQ(back.privileged, r.privileged);
    EXPECT_EQ(back.execute, r.execute);
    EXPECT_EQ(back.address_type, r.address_type);
    EXPECT_EQ(back.fault, r.fault);
    // Every request type survives the T1:T2 split.
    for (FaultRequestType type : {FaultRequestType::write, FaultRequestType::page_request, FaultRequestType::read,
                                  FaultRequestType::atomic}) {
        const FaultRecord t = record(FaultReason::write_denied, 1, 0x1000, type);
        const Words w = encode_fault_record(t, defaults());
        EXPECT_EQ(decode_fault_record(w[0], w[1]).type, type);
    }
}

TEST(VtdFaultRecord, Describe) {
    const FaultRecord r = record(FaultReason::write_denied, 0x0010, 0x12345000, FaultRequestType::write);
    EXPECT_EQ(describe(r), "FRCD F=1 FR=0x5 SID=0x10 (00:02.0) FI=0x12345000 T=write AT=untranslated PP=0");
    FaultRecord p = record(FaultReason::sm_read_denied, 0x0208, 0x7FFF12345000ull, FaultRequestType::read);
    p.pasid_present = true;
    p.pasid = 0x12345;
    p.privileged = true;
    EXPECT_EQ(describe(p),
              "FRCD F=1 FR=0x86 SID=0x208 (02:01.0) FI=0x7fff12345000 T=read AT=untranslated PP=1 PV=0x12345 "
              "PRIV=1 EXE=0");
}

TEST(VtdFaultStatus, FieldPositions) {
    namespace fs = fsts;
    EXPECT_EQ(fs::PFO.mask(), 0x01u);
    EXPECT_EQ(fs::PPF.mask(), 0x02u);
    EXPECT_EQ(fs::AFO.mask(), 0x04u);
    EXPECT_EQ(fs::APF.mask(), 0x08u);
    EXPECT_EQ(fs::IQE.mask(), 0x10u);
    EXPECT_EQ(fs::ICE.mask(), 0x20u);
    EXPECT_EQ(fs::ITE.mask(), 0x40u);
    EXPECT_EQ(fs::FRI.mask(), 0xFF00u);
    EXPECT_EQ(fs::FRI.insert(0x2, 7), 0x0702u);  // FRI 7 with PPF
    namespace fe = event_control;
    EXPECT_EQ(fe::IM.mask(), 0x80000000u);
    EXPECT_EQ(fe::IP.mask(), 0x40000000u);
}

}  // namespace
