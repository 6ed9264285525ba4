// VT-d root, context, PASID-directory and PASID-table entry decoding, fault-reason names and
// the Features check. Every entry is written as literal 64-bit words worked out by hand from the
// VT-d field positions (VT-d 9.1-9.6, the sheet's Part B.8-B.9), with a comment naming the bits
// that are set; nothing is built from the decoders' own field constants, so a wrong constant
// fails a test. Each reserved-bit and invalid-programming case sits next to a legal one.
#include "models/vtd/context_entry.h"
#include "models/vtd/fault_reason.h"
#include "models/vtd/features.h"
#include "models/vtd/pasid_entry.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace {

using namespace iommu_vp::vtd;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// ---------------------------------------------------------------------------------------------
// Legacy root entry: P bit 0, reserved [11:1], CTP [63:12], word 1 reserved.

TEST(VtdRootEntry, DecodesPresentEntry) {
    // P (bit 0), CTP = 0x12345000.
    const auto d = decode_root_entry({0x0000'0000'1234'5001, 0}, Features{});
    ASSERT_TRUE(d.ok()) << d.reason;
    EXPECT_TRUE(d.value.present);
    EXPECT_EQ(d.value.context_table, 0x1234'5000u);
}

TEST(VtdRootEntry, NotPresentComesBeforeReservedBits) {
    EXPECT_EQ(decode_root_entry({0x1234'5000, 0}, Features{}).fault, FaultReason::root_not_present);
    // Bit 1 (reserved) with P clear: still "not present".
    EXPECT_EQ(decode_root_entry({0x0000'0002, 0xffff}, Features{}).fault, FaultReason::root_not_present);
}

TEST(VtdRootEntry, ReservedBits) {
    const Features f;
    EXPECT_EQ(decode_root_entry({0x1234'5003, 0}, f).fault, FaultReason::root_reserved);  // bit 1
    EXPECT_EQ(decode_root_entry({0x1234'5801, 0}, f).fault, FaultReason::root_reserved);  // bit 11
    EXPECT_EQ(decode_root_entry({0x1234'5001, 1}, f).fault, FaultReason::root_reserved);  // bit 64
    EXPECT_EQ(decode_root_entry({0x1234'5001, 0x8000'0000'0000'0000}, f).fault, FaultReason::root_reserved);  // bit 127
}

TEST(VtdRootEntry, ContextPointerAboveHostAddressWidthIsReserved) {
    Features f;  // 48-bit host address width
    // P, CTP bit 48 set.
    EXPECT_EQ(decode_root_entry({0x0001'0000'0000'1001, 0}, f).fault, FaultReason::root_reserved);
    // P, CTP bit 47: the highest legal bit.
    EXPECT_TRUE(decode_root_entry({0x0000'8000'0000'1001, 0}, f).ok());
    f.host_address_bits = 52;
    f.mgaw_bits = 52;
    EXPECT_TRUE(decode_root_entry({0x0001'0000'0000'1001, 0}, f).ok());
}

// ---------------------------------------------------------------------------------------------
// Scalable-mode root entry: word 0 LP/LCTP (devfn 0..127), word 1 UP/UCTP (devfn 128..255).

TEST(VtdScalableRootEntry, SelectsTheHalfByDevfn) {
    // Lower: LP, LCTP = 0x10001000. Upper: UP, UCTP = 0x20002000.
    const RootWords w{0x1000'1001, 0x2000'2001};
    const auto lower = decode_sm_root_entry(w, 0x7f, Features{});
    ASSERT_TRUE(lower.ok()) << lower.reason;
    EXPECT_FALSE(lower.value.upper);
    EXPECT_EQ(lower.value.context_table, 0x1000'1000u);
    const auto upper = decode_sm_root_entry(w, 0x80, Features{});
    ASSERT_TRUE(upper.ok()) << upper.reason;
    EXPECT_TRUE(upper.value.upper);
    EXPECT_EQ(upper.value.context_table, 0x2000'2000u);
}

TEST(VtdScalableRootEntry, NotPresentHalf) {
    // LP set, UP clear.
    const RootWords w{0x1000'1001, 0x2000'2000};
    EXPECT_TRUE(decode_sm_root_entry(w, 0x00, Features{}).ok());
    EXPECT_EQ(decode_sm_root_entry(w, 0xff, Features{}).fault, FaultReason::sm_root_not_present);
}

TEST(VtdScalableRootEntry, ReservedBitsOfTheSelectedHalfOnly) {
    // Lower half clean; upper half has bit 1 (reserved) set.
    const RootWords w{0x1000'1001, 0x2000'2003};
    EXPECT_TRUE(decode_sm_root_entry(w, 0x10, Features{}).ok());
    EXPECT_EQ(decode_sm_root_entry(w, 0x90, Features{}).fault, FaultReason::sm_root_reserved);
    // Lower half: bit 11 reserved; LCTP bit 48 above the host address width.
    EXPECT_EQ(decode_sm_root_entry({0x1000'1801, 0}, 0, Features{}).fault, FaultReason::sm_root_reserved);
    EXPECT_EQ(decode_sm_root_entry({0x0001'0000'0000'1001, 0}, 0, Features{}).fault, FaultReason::sm_root_reserved);
}

// ---------------------------------------------------------------------------------------------
// Legacy context entry: word 0 P 0, FPD 1, TT [3:2], reserved [11:4], SLPTPTR [63:12];
// word 1 AW [2:0], AVAIL [6:3], reserved 7, DID [23:8], reserved [63:24].

// P, TT = 0, SLPTPTR = 0xabcde000 / AW = 2 (48-bit), DID = 5.
constexpr std::uint64_t kContextLo = 0x0000'0000'abcd'e001;
constexpr std::uint64_t kContextHi = 0x0000'0000'0000'0502;

TEST(VtdContextEntry, DecodesEveryField) {
    const auto d = decode_context_entry({kContextLo, kContextHi}, Features{});
    ASSERT_TRUE(d.ok()) << d.reason;
    EXPECT_TRUE(d.value.present);
    EXPECT_FALSE(d.value.fault_processing_disable);
    EXPECT_EQ(d.value.translation_type, TranslationType::translated);
    EXPECT_EQ(d.value.second_level_table, 0xabcd'e000u);
    EXPECT_EQ(d.value.address_width, 2u);
    EXPECT_EQ(d.value.input_bits, 48u);
    EXPECT_EQ(d.value.levels, 4u);
    EXPECT_EQ(d.value.domain_id, 5u);
    EXPECT_EQ(d.value.available, 0u);
}

TEST(VtdContextEntry, FaultProcessingDisableAndAvailableBits) {
    // FPD (bit 1) / AVAIL bits [70:67] = 0xf (word 1 bits 6:3 = 0x78) are ignored by hardware.
    const auto d = decode_context_entry({0xabcd'e003, 0x57a}, Features{});
    ASSERT_TRUE(d.ok()) << d.reason;
    EXPECT_TRUE(d.value.fault_processing_disable);
    EXPECT_EQ(d.value.available, 0xfu);
    EXPECT_EQ(d.value.domain_id, 5u);
}

TEST(VtdContextEntry, NotPresentKeepsFaultProcessingDisable) {
    // FPD only, P clear, and garbage in word 1.
    const auto d = decode_context_entry({0x2, 0xffff'ffff'ffff'ffff}, Features{});
    EXPECT_EQ(d.fault, FaultReason::context_not_present);
    EXPECT_TRUE(d.value.fault_processing_disable);
}

TEST(VtdContextEntry, ReservedBits) {
    const Features f;
    EXPECT_EQ(decode_context_entry({0xabcd'e011, kContextHi}, f).fault, FaultReason::context_reserved);  // bit 4
    EXPECT_EQ(decode_context_entry({0xabcd'e801, kContextHi}, f).fault, FaultReason::context_reserved);  // bit 11
    EXPECT_EQ(decode_context_entry({0x0001'0000'abcd'e001, kContextHi}, f).fault,
              FaultReason::context_reserved);                                                          // SLPTPTR bit 48
    EXPECT_EQ(decode_context_entry({kContextLo, 0x582}, f).fault, FaultReason::context_reserved);        // bit 71
    EXPECT_EQ(decode_context_entry({kContextLo, 0x0100'0502}, f).fault, FaultReason::context_reserved);  // bit 88
    EXPECT_EQ(decode_context_entry({kContextLo, 0x8000'0000'0000'0502}, f).fault,
              FaultReason::context_reserved);                                                          // bit 127
}

TEST(VtdContextEntry, FieldsNextToReservedBitsStayOutOfThem) {
    // Bit 88 (reserved) with DID = 5: the fault is "reserved" and DID still reads 5.
    const auto did = decode_context_entry({kContextLo, 0x0100'0502}, Features{});
    EXPECT_EQ(did.fault, FaultReason::context_reserved);
    EXPECT_EQ(did.value.domain_id, 5u);
    // Bit 71 (reserved) next to AVAIL [70:67]: AVAIL reads 0.
    const auto avail = decode_context_entry({kContextLo, 0x582}, Features{});
    EXPECT_EQ(avail.fault, FaultReason::context_reserved);
    EXPECT_EQ(avail.value.available, 0u);
    EXPECT_EQ(avail.value.address_width, 2u);
}

TEST(VtdContextEntry, DomainIdBitsAboveTheDomainCountAreReserved) {
    Features f;
    f.domain_id_bits = 8;
    // AW = 2, DID = 0xff (word 1 bits 15:8): fits 8 bits.
    EXPECT_TRUE(decode_context_entry({kContextLo, 0xff02}, f).ok());
    // AW = 2, DID = 0x100 (word 1 bit 16).
    EXPECT_EQ(decode_context_entry({kContextLo, 0x1'0002}, f).fault, FaultReason::context_reserved);
    f.domain_id_bits = 16;
    EXPECT_TRUE(decode_context_entry({kContextLo, 0x1'0002}, f).ok());
}

TEST(VtdContextEntry, TranslationTypes) {
    Features f;
    // TT = 1 (bits 3:2 = 01): device-TLB.
    EXPECT_EQ(decode_context_entry({0xabcd'e005, kContextHi}, f).fault, FaultReason::context_invalid);
    f.device_tlb = true;
    const auto dt = decode_context_entry({0xabcd'e005, kContextHi}, f);
    ASSERT_TRUE(dt.ok()) << dt.reason;
    EXPECT_EQ(dt.value.translation_type, TranslationType::translated_device_tlb);

    // TT = 2 (bits 3:2 = 10): pass-through.
    const auto pt = decode_context_entry({0xabcd'e009, kContextHi}, f);
    ASSERT_TRUE(pt.ok()) << pt.reason;
    EXPECT_EQ(pt.value.translation_type, TranslationType::pass_through);
    f.pass_through = false;
    EXPECT_EQ(decode_context_entry({0xabcd'e009, kContextHi}, f).fault, FaultReason::context_invalid);

    // TT = 3 (bits 3:2 = 11): reserved encoding.
    EXPECT_EQ(decode_context_entry({0xabcd'e00d, kContextHi}, Features{}).fault, FaultReason::context_invalid);
}

TEST(VtdContextEntry, AddressWidthMustBeInSagaw) {
    Features f;  // SAGAW 39 and 48
    // AW = 1 (39-bit, 3 levels), DID 5.
    const auto aw1 = decode_context_entry({kContextLo, 0x501}, f);
    ASSERT_TRUE(aw1.ok()) << aw1.reason;
    EXPECT_EQ(aw1.value.input_bits, 39u);
    EXPECT_EQ(aw1.value.levels, 3u);
    EXPECT_EQ(decode_context_entry({kContextLo, 0x503}, f).fault, FaultReason::context_invalid);  // AW 3, no 57
    EXPECT_EQ(decode_context_entry({kContextLo, 0x500}, f).fault, FaultReason::context_invalid);  // AW 0 (30-bit)
    EXPECT_EQ(decode_context_entry({kContextLo, 0x504}, f).fault, FaultReason::context_invalid);  // AW 4
    const auto aw6 = decode_context_entry({kContextLo, 0x506}, f);  // AW 6 (bits 2:0 = 110)
    EXPECT_EQ(aw6.fault, FaultReason::context_invalid);
    EXPECT_EQ(aw6.value.address_width, 6u);
    EXPECT_EQ(aw6.value.input_bits, 0u);
    f.sagaw_57 = true;
    const auto aw3 = decode_context_entry({kContextLo, 0x503}, f);
    ASSERT_TRUE(aw3.ok()) << aw3.reason;
    EXPECT_EQ(aw3.value.input_bits, 57u);
    EXPECT_EQ(aw3.value.levels, 5u);
}

TEST(VtdContextEntry, PassThroughDoesNotCheckAddressWidth) {
    // TT = 2 with AW = 0 and AW = 3: AW is not used for pass-through.
    EXPECT_TRUE(decode_context_entry({0xabcd'e009, 0x500}, Features{}).ok());
    EXPECT_TRUE(decode_context_entry({0xabcd'e009, 0x503}, Features{}).ok());
}

TEST(VtdContextEntry, ReservedBitsComeBeforeInvalidProgramming) {
    // TT = 3 and bit 4 set.
    EXPECT_EQ(decode_context_entry({0xabcd'e01d, kContextHi}, Features{}).fault, FaultReason::context_reserved);
}

TEST(VtdContextEntry, Describe) {
    const auto d = decode_context_entry({kContextLo, kContextHi}, Features{});
    EXPECT_EQ(describe(d.value), "P=1 FPD=0 TT=translated AW=48-bit DID=0x5 SLPTPTR=0xabcde000");
    EXPECT_EQ(describe(decode_root_entry({0x1234'5001, 0}, Features{}).value), "P=1 CTP=0x12345000");
    EXPECT_EQ(describe(decode_sm_root_entry({0, 0x2000'2001}, 0x80, Features{}).value), "UP=1 UCTP=0x20002000");
}

// ---------------------------------------------------------------------------------------------
// Scalable-mode context entry: word 0 P 0, FPD 1, DTE 2, PASIDE 3, PRE 4, reserved [8:5],
// PDTS [11:9], PASIDDIRPTR [63:12]; word 1 RID_PASID [19:0], RID_PRIV 20, reserved [63:21];
// words 2 and 3 reserved.

// P, PASIDE (bit 3), PDTS = 3 (bits 11:9 = 011), PASIDDIRPTR = 0x55555000 / RID_PASID = 0x12345.
constexpr std::uint64_t kSmContext0 = 0x0000'0000'5555'5609;
constexpr std::uint64_t kSmContext1 = 0x0000'0000'0001'2345;

TEST(VtdScalableContextEntry, DecodesEveryField) {
    const auto d = decode_sm_context_entry({kSmContext0, kSmContext1, 0, 0}, Features{});
    ASSERT_TRUE(d.ok()) << d.reason;
    EXPECT_TRUE(d.value.present);
    EXPECT_FALSE(d.value.fault_processing_disable);
    EXPECT_FALSE(d.value.device_tlb_enable);
    EXPECT_TRUE(d.value.pasid_enable);
    EXPECT_FALSE(d.value.page_request_enable);
    EXPECT_EQ(d.value.pasid_directory_size, 3u);
    EXPECT_EQ(d.value.directory_entries(), 1024u);
    EXPECT_EQ(d.value.pasid_directory, 0x5555'5000u);
    EXPECT_EQ(d.value.rid_pasid, 0x12345u);
    EXPECT_EQ(d.value.effective_rid_pasid, 0x12345u);
    EXPECT_FALSE(d.value.rid_privilege);
    EXPECT_EQ(describe(d.value),
              "P=1 FPD=0 DTE=0 PASIDE=1 PRE=0 PDTS=3 PASIDDIRPTR=0x55555000 RID_PASID=0x12345 RID_PRIV=0");
}

TEST(VtdScalableContextEntry, RidPasidWithoutRpsIsIgnored) {
    Features f;
    f.rid_pasid = false;
    const auto d = decode_sm_context_entry({kSmContext0, kSmContext1, 0, 0}, f);
    ASSERT_TRUE(d.ok()) << d.reason;
    EXPECT_EQ(d.value.rid_pasid, 0x12345u);
    EXPECT_EQ(d.value.effective_rid_pasid, 0u);
}

TEST(VtdScalableContextEntry, NotPresentKeepsFaultProcessingDisable) {
    const auto d = decode_sm_context_entry({0x2, 0, 0, 0}, Features{});  // FPD only
    EXPECT_EQ(d.fault, FaultReason::sm_context_not_present);
    EXPECT_TRUE(d.value.fault_processing_disable);
}

TEST(VtdScalableContextEntry, ReservedBits) {
    const Features f;
    EXPECT_EQ(decode_sm_context_entry({0x5555'5629, kSmContext1, 0, 0}, f).fault, FaultReason::sm_context_reserved);  // bit 5
    EXPECT_EQ(decode_sm_context_entry({0x5555'5709, kSmContext1, 0, 0}, f).fault, FaultReason::sm_context_reserved);  // bit 8
    EXPECT_EQ(decode_sm_context_entry({0x0001'0000'5555'5609, kSmContext1, 0, 0}, f).fault,
              FaultReason::sm_context_reserved);  // PASIDDIRPTR bit 48
    EXPECT_EQ(decode_sm_context_entry({kSmContext0, 0x21'2345, 0, 0}, f).fault, FaultReason::sm_context_reserved);  // bit 85
    EXPECT_EQ(decode_sm_context_entry({kSmContext0, kSmContext1, 1, 0}, f).fault, FaultReason::sm_context_reserved);  // bit 128
    EXPECT_EQ(decode_sm_context_entry({kSmContext0, kSmContext1, 0, 0x8000'0000'0000'0000}, f).fault,
              FaultReason::sm_context_reserved);  // bit 255
}

TEST(VtdScalableContextEntry, EnablesOfAbsentFeaturesAreReserved) {
    Features f;
    // DTE (bit 2) without ECAP.DT.
    EXPECT_EQ(decode_sm_context_entry({0x5555'560d, kSmContext1, 0, 0}, f).fault, FaultReason::sm_context_reserved);
    // PRE (bit 4) without ECAP.PRS.
    EXPECT_EQ(decode_sm_context_entry({0x5555'5619, kSmContext1, 0, 0}, f).fault, FaultReason::sm_context_reserved);
    // RID_PRIV (bit 84 = word 1 bit 20); the model never reports RPRIVS.
    EXPECT_EQ(decode_sm_context_entry({kSmContext0, 0x11'2345, 0, 0}, f).fault, FaultReason::sm_context_reserved);
    f.device_tlb = true;
    f.page_requests = true;
    const auto dte = decode_sm_context_entry({0x5555'560d, kSmContext1, 0, 0}, f);
    ASSERT_TRUE(dte.ok()) << dte.reason;
    EXPECT_TRUE(dte.value.device_tlb_enable);
    const auto pre = decode_sm_context_entry({0x5555'5619, kSmContext1, 0, 0}, f);
    ASSERT_TRUE(pre.ok()) << pre.reason;
    EXPECT_TRUE(pre.value.page_request_enable);
}

// ---------------------------------------------------------------------------------------------
// PASID-directory entry: P 0, FPD 1, reserved [11:2], SMPTBLPTR [63:12].

TEST(VtdPasidDirectoryEntry, Decodes) {
    const auto d = decode_pasid_directory_entry({0x7777'7003}, Features{});  // P, FPD, table 0x77777000
    ASSERT_TRUE(d.ok()) << d.reason;
    EXPECT_TRUE(d.value.present);
    EXPECT_TRUE(d.value.fault_processing_disable);
    EXPECT_EQ(d.value.pasid_table, 0x7777'7000u);
    EXPECT_EQ(describe(d.value), "P=1 FPD=1 SMPTBLPTR=0x77777000");
}

TEST(VtdPasidDirectoryEntry, NotPresentAndReserved) {
    const Features f;
    const auto np = decode_pasid_directory_entry({0x2}, f);  // FPD only
    EXPECT_EQ(np.fault, FaultReason::pasid_directory_not_present);
    EXPECT_TRUE(np.value.fault_processing_disable);
    EXPECT_EQ(decode_pasid_directory_entry({0x7777'7005}, f).fault, FaultReason::pasid_directory_reserved);  // bit 2
    EXPECT_EQ(decode_pasid_directory_entry({0x7777'7801}, f).fault, FaultReason::pasid_directory_reserved);  // bit 11
    EXPECT_EQ(decode_pasid_directory_entry({0x0001'0000'7777'7001}, f).fault,
              FaultReason::pasid_directory_reserved);  // bit 48
    EXPECT_TRUE(decode_pasid_directory_entry({0x0000'8000'7777'7001}, f).ok());  // bit 47
}

// ---------------------------------------------------------------------------------------------
// PASID-table entry (VT-d 3.x): word 0 P 0, FPD 1, AW [4:2], SLEE 5, PGTT [8:6], SLADE 9,
// reserved [11:10], SLPTPTR [63:12]; word 1 DID [15:0], reserved [22:16], PWSNP 23, PGSNP 24,
// CD 25, EMTE 26, EMT [29:27], PWT 30, PCD 31, PAT [63:32]; word 2 SRE 0, ERE 1, FLPM [3:2],
// WPE 4, NXE 5, SMEP 6, EAFE 7, reserved [11:8], FLPTPTR [63:12]; words 3..7 reserved.

// Second-level only: P, AW = 2 (bits 4:2 = 010), PGTT = 2 (bits 8:6 = 010), SLPTPTR = 0x88888000.
constexpr std::uint64_t kSecondLevel0 = 0x0000'0000'8888'8089;
// DID = 0x2a, PWSNP (bit 23).
constexpr std::uint64_t kSecondLevel1 = 0x0000'0000'0080'002a;
// First-level only: P, PGTT = 1 (bits 8:6 = 001), AW = 2 (Linux writes the unit's AGAW here too).
constexpr std::uint64_t kFirstLevel0 = 0x0000'0000'0000'0049;
constexpr std::uint64_t kFirstLevel1 = 0x0000'0000'0000'0001;  // DID = 1
// SRE (bit 0), WPE (bit 4), NXE (bit 5), FLPM = 0, FLPTPTR = 0x99999000.
constexpr std::uint64_t kFirstLevel2 = 0x0000'0000'9999'9031;

PasidEntryWords second_level_entry() { return {kSecondLevel0, kSecondLevel1, 0, 0, 0, 0, 0, 0}; }
PasidEntryWords first_level_entry() { return {kFirstLevel0, kFirstLevel1, kFirstLevel2, 0, 0, 0, 0, 0}; }

TEST(VtdPasidEntry, SecondLevelEntry) {
    const auto d = decode_pasid_entry(second_level_entry(), Features{});
    ASSERT_TRUE(d.ok()) << d.reason;
    EXPECT_TRUE(d.value.present);
    EXPECT_EQ(d.value.granular_type, 2u);
    EXPECT_TRUE(d.value.uses_second_level());
    EXPECT_FALSE(d.value.uses_first_level());
    EXPECT_EQ(d.value.address_width, 2u);
    EXPECT_EQ(d.value.second_level_input_bits, 48u);
    EXPECT_EQ(d.value.second_level_levels, 4u);
    EXPECT_EQ(d.value.second_level_table, 0x8888'8000u);
    EXPECT_EQ(d.value.domain_id, 0x2au);
    EXPECT_TRUE(d.value.page_walk_snoop);
    EXPECT_TRUE(contains(describe(d.value), "P=1 FPD=0 PGTT=second-level DID=0x2a AW=48-bit"));
    EXPECT_TRUE(contains(describe(d.value), "SLPTPTR=0x88888000"));
}

TEST(VtdPasidEntry, FirstLevelEntry) {
    const auto d = decode_pasid_entry(first_level_entry(), Features{});
    ASSERT_TRUE(d.ok()) << d.reason;
    EXPECT_EQ(d.value.granular_type, 1u);
    EXPECT_TRUE(d.value.uses_first_level());
    EXPECT_FALSE(d.value.uses_second_level());
    EXPECT_TRUE(d.value.supervisor_requests);
    EXPECT_TRUE(d.value.write_protect);
    EXPECT_TRUE(d.value.no_execute);
    EXPECT_EQ(d.value.first_level_paging_mode, 0u);
    EXPECT_EQ(d.value.first_level_levels, 4u);
    EXPECT_EQ(d.value.first_level_input_bits, 48u);
    EXPECT_EQ(d.value.first_level_table, 0x9999'9000u);
    EXPECT_EQ(d.value.domain_id, 1u);
}

TEST(VtdPasidEntry, DecodesEveryField) {
    // Word 0: SLPTPTR = 0x123456789000, SLADE (bit 9), PGTT = 3 (bits 8:6 = 011), SLEE (bit 5),
    //   AW = 1 (bits 4:2 = 001), FPD, P.
    // Word 1: PAT = 0x07060504, PCD, PWT, EMT = 5 (bits 29:27 = 101), EMTE, CD, PGSNP, PWSNP,
    //   DID = 0xbeef.
    // Word 2: FLPTPTR = 0xfedcba98000, EAFE, SMEP, NXE, WPE, FLPM = 1 (bits 3:2 = 01), ERE, SRE.
    const PasidEntryWords w{0x0000'1234'5678'92e7, 0x0706'0504'ef80'beef, 0x0000'0fed'cba9'80f7, 0, 0, 0, 0, 0};
    const auto d = decode_pasid_entry(w, Features{});
    EXPECT_EQ(d.fault, FaultReason::pasid_entry_reserved);  // memory-type fields without MTS; fields still decoded
    const PasidEntry& e = d.value;
    EXPECT_TRUE(e.present);
    EXPECT_TRUE(e.fault_processing_disable);
    EXPECT_EQ(e.address_width, 1u);
    EXPECT_EQ(e.second_level_input_bits, 39u);
    EXPECT_EQ(e.second_level_levels, 3u);
    EXPECT_TRUE(e.second_level_execute);
    EXPECT_EQ(e.granular_type, 3u);
    EXPECT_TRUE(e.second_level_access_dirty);
    EXPECT_EQ(e.second_level_table, 0x1234'5678'9000u);
    EXPECT_EQ(e.domain_id, 0xbeefu);
    EXPECT_TRUE(e.page_walk_snoop);
    EXPECT_TRUE(e.page_snoop);
    EXPECT_TRUE(e.cache_disable);
    EXPECT_TRUE(e.extended_memory_type_enable);
    EXPECT_EQ(e.extended_memory_type, 5u);
    EXPECT_TRUE(e.page_write_through);
    EXPECT_TRUE(e.page_cache_disable);
    EXPECT_EQ(e.page_attribute_table, 0x0706'0504u);
    EXPECT_TRUE(e.supervisor_requests);
    EXPECT_TRUE(e.execute_requests);
    EXPECT_EQ(e.first_level_paging_mode, 1u);
    EXPECT_EQ(e.first_level_levels, 5u);
    EXPECT_EQ(e.first_level_input_bits, 57u);
    EXPECT_TRUE(e.write_protect);
    EXPECT_TRUE(e.no_execute);
    EXPECT_TRUE(e.supervisor_execute_prevent);
    EXPECT_TRUE(e.extended_accessed);
    EXPECT_EQ(e.first_level_table, 0xfed'cba9'8000u);
    EXPECT_TRUE(contains(describe(e), "PGTT=nested"));
    EXPECT_TRUE(contains(describe(e), "EMT=5"));
    EXPECT_TRUE(contains(describe(e), "PAT=0x7060504"));
}

TEST(VtdPasidEntry, NotPresentKeepsFaultProcessingDisable) {
    const auto d = decode_pasid_entry({0x2, 0, 0, 0, 0, 0, 0, 0}, Features{});  // FPD only
    EXPECT_EQ(d.fault, FaultReason::pasid_entry_not_present);
    EXPECT_TRUE(d.value.fault_processing_disable);
    EXPECT_EQ(decode_pasid_entry({0, 0xffff, 0, 0, 0, 0, 0, 0}, Features{}).fault, FaultReason::pasid_entry_not_present);
}

TEST(VtdPasidEntry, ArchitectedReservedBits) {
    const Features f;
    auto with = [](unsigned word, std::uint64_t value) {
        PasidEntryWords w = second_level_entry();
        w[word] = value;
        return w;
    };
    EXPECT_EQ(decode_pasid_entry(with(0, 0x8888'8489), f).fault, FaultReason::pasid_entry_reserved);  // bit 10
    EXPECT_EQ(decode_pasid_entry(with(0, 0x8888'8889), f).fault, FaultReason::pasid_entry_reserved);  // bit 11
    EXPECT_EQ(decode_pasid_entry(with(0, 0x0001'0000'8888'8089), f).fault,
              FaultReason::pasid_entry_reserved);                                                      // SLPTPTR bit 48
    EXPECT_EQ(decode_pasid_entry(with(1, 0x0081'002a), f).fault, FaultReason::pasid_entry_reserved);  // bit 80
    EXPECT_EQ(decode_pasid_entry(with(1, 0x00c0'002a), f).fault, FaultReason::pasid_entry_reserved);  // bit 86
    EXPECT_EQ(decode_pasid_entry(with(2, 0x100), f).fault, FaultReason::pasid_entry_reserved);        // bit 136
    EXPECT_EQ(decode_pasid_entry(with(2, 0x800), f).fault, FaultReason::pasid_entry_reserved);        // bit 139
    EXPECT_EQ(decode_pasid_entry(with(2, 0x0001'0000'0000'0000), f).fault,
              FaultReason::pasid_entry_reserved);                                                      // FLPTPTR bit 48
    for (unsigned word = 3; word < 8; ++word) {
        EXPECT_EQ(decode_pasid_entry(with(word, 1), f).fault, FaultReason::pasid_entry_reserved) << "word " << word;
        EXPECT_EQ(decode_pasid_entry(with(word, 0x8000'0000'0000'0000), f).fault, FaultReason::pasid_entry_reserved)
            << "word " << word;
    }
}

TEST(VtdPasidEntry, DomainIdBitsAboveTheDomainCountAreReserved) {
    Features f;
    f.domain_id_bits = 8;
    PasidEntryWords w = second_level_entry();
    w[1] = 0xff;  // DID = 0xff
    EXPECT_TRUE(decode_pasid_entry(w, f).ok());
    w[1] = 0x100;  // DID = 0x100
    EXPECT_EQ(decode_pasid_entry(w, f).fault, FaultReason::pasid_entry_reserved);
}

TEST(VtdPasidEntry, MemoryTypeFieldsAreReservedWithoutMts) {
    const Features f;
    const std::uint64_t fields[] = {
        0x0000'0000'0200'002a,  // CD (bit 89)
        0x0000'0000'0400'002a,  // EMTE (bit 90)
        0x0000'0000'0800'002a,  // EMT = 1 (bit 91)
        0x0000'0000'4000'002a,  // PWT (bit 94)
        0x0000'0000'8000'002a,  // PCD (bit 95)
        0x0000'0001'0000'002a,  // PAT bit 96
        0x8000'0000'0000'002a,  // PAT bit 127
    };
    for (std::uint64_t word1 : fields) {
        PasidEntryWords w = second_level_entry();
        w[1] = word1;
        EXPECT_EQ(decode_pasid_entry(w, f).fault, FaultReason::pasid_entry_reserved) << std::hex << word1;
    }
}

TEST(VtdPasidEntry, PageSnoopNeedsSnoopControl) {
    Features f;
    PasidEntryWords w = second_level_entry();
    w[1] = 0x0100'002a;  // PGSNP (bit 88), DID 0x2a
    EXPECT_TRUE(decode_pasid_entry(w, f).ok());
    f.snoop_control = false;
    EXPECT_EQ(decode_pasid_entry(w, f).fault, FaultReason::pasid_entry_reserved);
}

TEST(VtdPasidEntry, FeatureEnablesWithoutTheFeatureAreReserved) {
    Features f;
    // SRE (bit 128) without SRS.
    EXPECT_TRUE(decode_pasid_entry(first_level_entry(), f).ok());
    f.supervisor_requests = false;
    EXPECT_EQ(decode_pasid_entry(first_level_entry(), f).fault, FaultReason::pasid_entry_reserved);

    // ERE (bit 129) without ERS.
    PasidEntryWords ere = first_level_entry();
    ere[2] = 0x9999'9033;  // SRE, ERE, WPE, NXE
    EXPECT_EQ(decode_pasid_entry(ere, Features{}).fault, FaultReason::pasid_entry_reserved);
    Features ers;
    ers.execute_requests = true;
    EXPECT_TRUE(decode_pasid_entry(ere, ers).ok());

    // SLADE (bit 9) without SLADS.
    PasidEntryWords slade = second_level_entry();
    slade[0] = 0x8888'8289;
    EXPECT_EQ(decode_pasid_entry(slade, Features{}).fault, FaultReason::pasid_entry_reserved);
    Features slads;
    slads.second_level_ad = true;
    EXPECT_TRUE(decode_pasid_entry(slade, slads).ok());

    // EAFE (bit 135): the model never reports EAFS.
    PasidEntryWords eafe = first_level_entry();
    eafe[2] = 0x9999'90b1;
    EXPECT_EQ(decode_pasid_entry(eafe, Features{}).fault, FaultReason::pasid_entry_reserved);

    // AW without SLTS (a first-level entry with AW = 2).
    Features no_second_level;
    no_second_level.second_level = false;
    no_second_level.nested = false;
    EXPECT_EQ(decode_pasid_entry(first_level_entry(), no_second_level).fault, FaultReason::pasid_entry_reserved);
    PasidEntryWords aw0 = first_level_entry();
    aw0[0] = 0x41;  // P, PGTT = 1, AW = 0
    EXPECT_TRUE(decode_pasid_entry(aw0, no_second_level).ok());
}

TEST(VtdPasidEntry, FirstLevelFlagsAreDecodedSeparately) {
    PasidEntryWords w = first_level_entry();
    w[2] = 0x9999'9041;  // SRE, SMEP (bit 134) only
    const auto smep = decode_pasid_entry(w, Features{});
    ASSERT_TRUE(smep.ok()) << smep.reason;
    EXPECT_TRUE(smep.value.supervisor_execute_prevent);
    EXPECT_FALSE(smep.value.extended_accessed);
    EXPECT_FALSE(smep.value.no_execute);
    EXPECT_FALSE(smep.value.write_protect);
    EXPECT_FALSE(smep.value.execute_requests);
    w[2] = 0x9999'9021;  // SRE, NXE (bit 133) only
    const auto nxe = decode_pasid_entry(w, Features{});
    ASSERT_TRUE(nxe.ok()) << nxe.reason;
    EXPECT_TRUE(nxe.value.no_execute);
    EXPECT_FALSE(nxe.value.supervisor_execute_prevent);
}

TEST(VtdPasidEntry, SecondLevelExecuteEnableIsDecodedOnly) {
    PasidEntryWords w = second_level_entry();
    w[0] = 0x8888'80a9;  // SLEE (bit 5)
    const auto d = decode_pasid_entry(w, Features{});
    ASSERT_TRUE(d.ok()) << d.reason;
    EXPECT_TRUE(d.value.second_level_execute);
}

TEST(VtdPasidEntry, GranularTypes) {
    Features f;
    // PGTT = 0, 5 and 7 are reserved encodings.
    EXPECT_EQ(decode_pasid_entry({0x1, 0, 0, 0, 0, 0, 0, 0}, f).fault, FaultReason::pasid_entry_invalid);
    EXPECT_EQ(decode_pasid_entry({0x141, 0, 0, 0, 0, 0, 0, 0}, f).fault, FaultReason::pasid_entry_invalid);
    EXPECT_EQ(decode_pasid_entry({0x1c1, 0, 0, 0, 0, 0, 0, 0}, f).fault, FaultReason::pasid_entry_invalid);

    // PGTT = 4: pass-through (P, bits 8:6 = 100).
    const auto pt = decode_pasid_entry({0x101, 0x1, 0, 0, 0, 0, 0, 0}, f);
    ASSERT_TRUE(pt.ok()) << pt.reason;
    EXPECT_EQ(pt.value.granular_type, 4u);
    EXPECT_TRUE(contains(describe(pt.value), "PGTT=pass-through"));

    // PGTT = 3: nested (P, AW = 2, bits 8:6 = 011), FLPTPTR = 0x99999000.
    const PasidEntryWords nested{0x8888'80c9, 0x2a, 0x9999'9000, 0, 0, 0, 0, 0};
    const auto n = decode_pasid_entry(nested, f);
    ASSERT_TRUE(n.ok()) << n.reason;
    EXPECT_TRUE(n.value.uses_first_level());
    EXPECT_TRUE(n.value.uses_second_level());

    Features no_pt;
    no_pt.pass_through = false;
    EXPECT_EQ(decode_pasid_entry({0x101, 0x1, 0, 0, 0, 0, 0, 0}, no_pt).fault, FaultReason::pasid_entry_invalid);
    Features no_nest;
    no_nest.nested = false;
    EXPECT_EQ(decode_pasid_entry(nested, no_nest).fault, FaultReason::pasid_entry_invalid);
    Features no_fl;
    no_fl.first_level = false;
    no_fl.nested = false;
    EXPECT_EQ(decode_pasid_entry(first_level_entry(), no_fl).fault, FaultReason::pasid_entry_invalid);
    Features no_sl;
    no_sl.second_level = false;
    no_sl.nested = false;
    // P, PGTT = 2, AW = 0 (an AW would be reserved without SLTS).
    EXPECT_EQ(decode_pasid_entry({0x8888'8081, 0x2a, 0, 0, 0, 0, 0, 0}, no_sl).fault, FaultReason::pasid_entry_invalid);
}

TEST(VtdPasidEntry, SecondLevelAddressWidth) {
    Features f;  // SAGAW 39 and 48
    auto aw = [](std::uint64_t word0) { return PasidEntryWords{word0, 0x2a, 0, 0, 0, 0, 0, 0}; };
    const auto aw1 = decode_pasid_entry(aw(0x8888'8085), f);  // AW = 1
    ASSERT_TRUE(aw1.ok()) << aw1.reason;
    EXPECT_EQ(aw1.value.second_level_input_bits, 39u);
    EXPECT_EQ(decode_pasid_entry(aw(0x8888'808d), f).fault, FaultReason::pasid_entry_invalid);  // AW = 3
    EXPECT_EQ(decode_pasid_entry(aw(0x8888'8081), f).fault, FaultReason::pasid_entry_invalid);  // AW = 0
    EXPECT_EQ(decode_pasid_entry(aw(0x8888'8091), f).fault, FaultReason::pasid_entry_invalid);  // AW = 4
    const auto aw6 = decode_pasid_entry(aw(0x8888'8099), f);  // AW = 6 (bits 4:2 = 110)
    EXPECT_EQ(aw6.fault, FaultReason::pasid_entry_invalid);
    EXPECT_EQ(aw6.value.address_width, 6u);
    f.sagaw_57 = true;
    EXPECT_TRUE(decode_pasid_entry(aw(0x8888'808d), f).ok());
    // First-level only: AW = 3 is not checked against SAGAW (P, PGTT = 1, AW = 3).
    EXPECT_TRUE(decode_pasid_entry({0x4d, 0x1, 0x9999'9000, 0, 0, 0, 0, 0}, Features{}).ok());
}

TEST(VtdPasidEntry, FirstLevelPagingMode) {
    Features f;
    PasidEntryWords w = first_level_entry();
    w[2] = 0x9999'9035;  // FLPM = 1 (bits 3:2 = 01), SRE, WPE, NXE
    EXPECT_EQ(decode_pasid_entry(w, f).fault, FaultReason::pasid_entry_invalid);
    f.first_level_5level = true;
    const auto five = decode_pasid_entry(w, f);
    ASSERT_TRUE(five.ok()) << five.reason;
    EXPECT_EQ(five.value.first_level_levels, 5u);
    EXPECT_EQ(five.value.first_level_input_bits, 57u);

    w[2] = 0x9999'9039;  // FLPM = 2
    EXPECT_EQ(decode_pasid_entry(w, f).fault, FaultReason::pasid_entry_reserved);
    w[2] = 0x9999'903d;  // FLPM = 3
    EXPECT_EQ(decode_pasid_entry(w, f).fault, FaultReason::pasid_entry_reserved);

    // Second-level only: the first-level fields are not used, FLPM = 2 is ignored.
    PasidEntryWords sl = second_level_entry();
    sl[2] = 0x8;
    EXPECT_TRUE(decode_pasid_entry(sl, Features{}).ok());
}

TEST(VtdPasidEntry, ReservedBitsComeBeforeInvalidProgramming) {
    // PGTT = 0 (invalid) and bit 10 (reserved).
    EXPECT_EQ(decode_pasid_entry({0x401, 0, 0, 0, 0, 0, 0, 0}, Features{}).fault, FaultReason::pasid_entry_reserved);
}

// ---------------------------------------------------------------------------------------------
// Where entries live.

TEST(VtdEntryAddresses, RootAndContext) {
    EXPECT_EQ(root_entry_address(0x1000'0000, 0x00), 0x1000'0000u);
    EXPECT_EQ(root_entry_address(0x1000'0000, 0x12), 0x1000'0120u);  // 0x12 * 16
    EXPECT_EQ(root_entry_address(0x1000'0000, 0xff), 0x1000'0ff0u);
    EXPECT_EQ(sm_root_half_address(0x1000'0000, 0x12, 0x7f), 0x1000'0120u);
    EXPECT_EQ(sm_root_half_address(0x1000'0000, 0x12, 0x80), 0x1000'0128u);  // upper half: +8
    EXPECT_EQ(context_entry_address(0x2000'0000, 0x08), 0x2000'0080u);      // 8 * 16
    EXPECT_EQ(context_entry_address(0x2000'0000, 0xff), 0x2000'0ff0u);
    EXPECT_EQ(sm_context_entry_address(0x2000'0000, 0x05), 0x2000'00a0u);   // 5 * 32
    EXPECT_EQ(sm_context_entry_address(0x2000'0000, 0x85), 0x2000'00a0u);   // devfn & 0x7f
    EXPECT_EQ(sm_context_entry_address(0x2000'0000, 0x7f), 0x2000'0fe0u);
    EXPECT_EQ(sm_context_entry_address(0x2000'0000, 0xff), 0x2000'0fe0u);
}

TEST(VtdEntryAddresses, PasidDirectoryAndTable) {
    // PASID 0x12345: directory index 0x48d (PASID >> 6), table index 0x05 (PASID & 0x3f).
    EXPECT_EQ(pasid_directory_entry_address(0x3000'0000, 0x12345), 0x3000'2468u);  // 0x48d * 8
    EXPECT_EQ(pasid_entry_address(0x4000'0000, 0x12345), 0x4000'0140u);            // 5 * 64
    // PASID 0xfffff: directory index 0x3fff, table index 0x3f.
    EXPECT_EQ(pasid_directory_entry_address(0x3000'0000, 0xfffff), 0x3001'fff8u);
    EXPECT_EQ(pasid_entry_address(0x4000'0000, 0xfffff), 0x4000'0fc0u);
    EXPECT_EQ(pasid_directory_entry_address(0x3000'0000, 0x3f), 0x3000'0000u);
    EXPECT_EQ(pasid_entry_address(0x4000'0000, 0x40), 0x4000'0000u);
}

TEST(VtdEntryAddresses, PasidBeyondDirectory) {
    EXPECT_EQ(pasid_directory_entries(0), 128u);
    EXPECT_EQ(pasid_directory_entries(3), 1024u);
    EXPECT_EQ(pasid_directory_entries(7), 16384u);
    // PDTS 0: 128 entries of 64 PASIDs = PASIDs 0..0x1fff.
    EXPECT_FALSE(pasid_beyond_directory(0x1fff, 0));
    EXPECT_TRUE(pasid_beyond_directory(0x2000, 0));
    // PDTS 3: 1024 entries = PASIDs 0..0xffff.
    EXPECT_FALSE(pasid_beyond_directory(0xffff, 3));
    EXPECT_TRUE(pasid_beyond_directory(0x10000, 3));
    // PDTS 7 covers every 20-bit PASID.
    EXPECT_FALSE(pasid_beyond_directory(0xfffff, 7));
}

// ---------------------------------------------------------------------------------------------
// Fault-reason names.

TEST(VtdFaultReason, Names) {
    EXPECT_STREQ(to_string(FaultReason::sm_context_not_present), "SCT.2 scalable-mode context entry not present");
    EXPECT_TRUE(contains(to_string(static_cast<FaultReason>(0x01)), "LRT.2"));
    EXPECT_TRUE(contains(to_string(static_cast<FaultReason>(0x0b)), "LCT.3"));
    EXPECT_TRUE(contains(to_string(static_cast<FaultReason>(0x3a)), "SRT.3"));
    EXPECT_TRUE(contains(to_string(static_cast<FaultReason>(0x5b)), "SPT.4"));
    EXPECT_TRUE(contains(to_string(static_cast<FaultReason>(0x91)), "SFL.10"));
    const std::string unnamed = to_string(static_cast<FaultReason>(0x20));  // interrupt remapping: not modelled
    EXPECT_EQ(unnamed, to_string(static_cast<FaultReason>(0xff)));
    EXPECT_EQ(unnamed, "unnamed fault reason");
    for (unsigned code = 0x01; code <= 0x0e; ++code)
        EXPECT_NE(to_string(static_cast<FaultReason>(code)), unnamed) << "legacy code " << code;
}

// ---------------------------------------------------------------------------------------------
// check_features.

// A legacy-mode-only unit: no scalable-mode features.
Features legacy_only() {
    Features f;
    f.scalable_mode = false;
    f.first_level = false;
    f.nested = false;
    f.pasid = false;
    return f;
}

TEST(VtdCheckFeatures, DefaultsAndLegacyOnlyAreAccepted) {
    EXPECT_EQ(check_features(Features{}), "");
    EXPECT_EQ(check_features(legacy_only()), "");
}

TEST(VtdCheckFeatures, Version) {
    Features f;
    f.version_major = 2;
    EXPECT_TRUE(contains(check_features(f), "version_major = 2"));
    Features legacy = legacy_only();
    legacy.version_major = 1;
    EXPECT_EQ(check_features(legacy), "");
    legacy.version_major = 0;
    EXPECT_TRUE(contains(check_features(legacy), "version_major = 0"));
    Features minor;
    minor.version_minor = 16;
    EXPECT_TRUE(contains(check_features(minor), "version_minor = 16"));
}

TEST(VtdCheckFeatures, DomainIdBits) {
    for (unsigned bits : {4u, 6u, 8u, 10u, 12u, 14u, 16u}) {
        Features f;
        f.domain_id_bits = bits;
        EXPECT_EQ(check_features(f), "") << bits;
    }
    for (unsigned bits : {0u, 2u, 5u, 15u, 18u}) {
        Features f;
        f.domain_id_bits = bits;
        const std::string message = check_features(f);
        EXPECT_TRUE(contains(message, "domain_id_bits = " + std::to_string(bits))) << message;
        EXPECT_TRUE(contains(message, "4, 6, 8, 10, 12, 14 or 16")) << message;
    }
}

TEST(VtdCheckFeatures, AddressWidths) {
    Features none;
    none.sagaw_39 = none.sagaw_48 = none.sagaw_57 = false;
    EXPECT_TRUE(contains(check_features(none), "sagaw"));

    Features f;
    f.mgaw_bits = 38;
    EXPECT_TRUE(contains(check_features(f), "mgaw_bits = 38"));
    f.mgaw_bits = 58;
    EXPECT_TRUE(contains(check_features(f), "mgaw_bits = 58"));
    f.mgaw_bits = 57;  // above every SAGAW width: allowed (input is min(MGAW, AW))
    EXPECT_EQ(check_features(f), "");
    f.mgaw_bits = 39;  // below the 48-bit host address width
    EXPECT_TRUE(contains(check_features(f), "mgaw_bits = 39"));
    f.host_address_bits = 39;  // MGAW below the largest SAGAW width is allowed
    EXPECT_EQ(check_features(f), "");

    Features haw;
    haw.host_address_bits = 31;
    EXPECT_TRUE(contains(check_features(haw), "host_address_bits = 31"));
    haw.host_address_bits = 53;
    haw.mgaw_bits = 57;
    EXPECT_TRUE(contains(check_features(haw), "host_address_bits = 53"));
    haw.host_address_bits = 52;
    EXPECT_EQ(check_features(haw), "");
}

TEST(VtdCheckFeatures, CountsAndMasks) {
    Features f;
    f.fault_records = 0;
    EXPECT_TRUE(contains(check_features(f), "fault_records = 0"));
    f.fault_records = 257;
    EXPECT_TRUE(contains(check_features(f), "fault_records = 257"));

    Features mamv;
    mamv.max_address_mask = 63;
    EXPECT_EQ(check_features(mamv), "");
    mamv.max_address_mask = 64;
    EXPECT_TRUE(contains(check_features(mamv), "max_address_mask = 64"));

    Features mhmv;
    mhmv.max_handle_mask = 16;
    EXPECT_TRUE(contains(check_features(mhmv), "max_handle_mask = 16"));

    Features pasid;
    pasid.pasid_bits = 1;
    EXPECT_EQ(check_features(pasid), "");
    pasid.pasid_bits = 0;
    EXPECT_TRUE(contains(check_features(pasid), "pasid_bits = 0"));
    pasid.pasid_bits = 21;
    EXPECT_TRUE(contains(check_features(pasid), "pasid_bits = 21"));
}

TEST(VtdCheckFeatures, RegisterWindows) {
    // QEMU's placement: IVA_REG at 0xf0, one fault record at 0x220.
    Features qemu;
    qemu.iotlb_register_offset = 0x0f;
    qemu.fault_record_offset = 0x22;
    qemu.fault_records = 1;
    EXPECT_EQ(check_features(qemu), "");

    Features low;
    low.fault_record_offset = 0x0e;  // 0xe0: PECTL_REG .. PEUADDR_REG
    EXPECT_TRUE(contains(check_features(low), "fault_record_offset = 14"));
    Features low_iotlb;
    low_iotlb.iotlb_register_offset = 0x08;  // 0x80: IQH_REG
    EXPECT_TRUE(contains(check_features(low_iotlb), "iotlb_register_offset = 8"));

    Features past_page;
    past_page.fault_record_offset = 0xff;  // 0xff0 with 8 records runs to 0x106f
    EXPECT_TRUE(contains(check_features(past_page), "fault_record_offset = 255"));
    Features last_slot;
    last_slot.iotlb_register_offset = 0xff;  // 0xff0..0xfff: the page's last 16 bytes
    EXPECT_EQ(check_features(last_slot), "");
    last_slot.iotlb_register_offset = 0x100;
    EXPECT_TRUE(contains(check_features(last_slot), "iotlb_register_offset = 256"));

    Features overlapping;  // fault records 0x400..0x47f (8 records)
    overlapping.iotlb_register_offset = 0x47;
    EXPECT_TRUE(contains(check_features(overlapping), "iotlb_register_offset = 71"));
    overlapping.iotlb_register_offset = 0x48;
    EXPECT_EQ(check_features(overlapping), "");
    overlapping.iotlb_register_offset = 0x3f;  // 0x3f0..0x3ff, just below the records
    EXPECT_EQ(check_features(overlapping), "");

    Features many;  // 200 records at 0x100..0xd7f, IOTLB registers at 0xf0
    many.fault_records = 200;
    many.fault_record_offset = 0x10;
    many.iotlb_register_offset = 0x0f;
    EXPECT_EQ(check_features(many), "");
}

TEST(VtdCheckFeatures, ModeDependencies) {
    Features neither;
    neither.first_level = neither.second_level = neither.nested = false;
    EXPECT_TRUE(contains(check_features(neither), "scalable_mode = true"));

    Features no_qi;
    no_qi.queued_invalidation = false;
    EXPECT_TRUE(contains(check_features(no_qi), "scalable_mode = true"));

    Features nested;
    nested.first_level = false;
    EXPECT_TRUE(contains(check_features(nested), "nested = true"));
    Features nested_sl;
    nested_sl.second_level = false;
    EXPECT_TRUE(contains(check_features(nested_sl), "nested = true"));
    nested_sl.nested = false;  // a first-level-only scalable unit
    EXPECT_EQ(check_features(nested_sl), "");

    Features first_level = legacy_only();
    first_level.first_level = true;
    EXPECT_TRUE(contains(check_features(first_level), "first_level = true"));

    Features pasid = legacy_only();
    pasid.pasid = true;
    EXPECT_TRUE(contains(check_features(pasid), "pasid = true"));

    Features ir = legacy_only();
    ir.queued_invalidation = false;
    EXPECT_EQ(check_features(ir), "");
    ir.interrupt_remapping = true;
    EXPECT_TRUE(contains(check_features(ir), "interrupt_remapping = true"));
}

TEST(VtdCheckFeatures, DeviceTlbNeedsQueuedInvalidationAndPageRequestsNeedDeviceTlbInScalableMode) {
    // Device-TLB invalidations exist only as queued descriptors; page requests are ATS's companions
    // and their checks read scalable-mode entries.
    Features dt = legacy_only();
    dt.device_tlb = true;
    dt.queued_invalidation = false;
    EXPECT_TRUE(contains(check_features(dt), "device_tlb = true"));
    dt.queued_invalidation = true;
    EXPECT_EQ(check_features(dt), "");
    Features prs;
    prs.page_requests = true;
    EXPECT_TRUE(contains(check_features(prs), "page_requests = true"));
    prs.device_tlb = true;
    EXPECT_EQ(check_features(prs), "");
    prs.scalable_mode = false;
    prs.first_level = prs.nested = prs.pasid = false;
    EXPECT_TRUE(contains(check_features(prs), "unless scalable_mode is true"));
}

TEST(VtdCheckFeatures, AccessedDirtyAndExecuteRequestsAreAccepted) {
    // The walks implement SLADE and execute permissions, so a unit may advertise SLADS and ERS.
    Features slads;
    slads.second_level_ad = true;
    slads.execute_requests = true;
    EXPECT_EQ(check_features(slads), "");
}

TEST(VtdCheckFeatures, MessageNamesParameterValueAndAllowedValues) {
    Features f;
    f.domain_id_bits = 5;
    EXPECT_EQ(check_features(f),
              "vtd::Features::domain_id_bits = 5; allowed: 4, 6, 8, 10, 12, 14 or 16 (CAP.ND = (bits - 4) / 2 = 0..6)");
}

}  // namespace
