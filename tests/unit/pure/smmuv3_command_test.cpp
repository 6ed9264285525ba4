// SMMUv3 command decoding. Commands are built here with this file's own encoders, whose bit
// positions are written from the command layouts of SMMUv3 4.1 .. 4.7 (opcode [7:0], SSec 10,
// SSV 11, SubstreamID [31:12], StreamID [63:32], VMID [47:32], ASID [63:48], NUM [16:12],
// SCALE [24:20]; in the second word Leaf 0, Range [4:0], Size [4:0] / [5:0], TTL [9:8], TG [11:10],
// Address [63:12] or [55:12]; CMD_SYNC CS [13:12], MSH [23:22], MSIAttr [27:24], MSIData [63:32],
// MSIAddress [55:2]), not from command.h's constants. Expected values are worked out by hand.
#include "models/smmuv3/command.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace {

using namespace iommu_vp::smmuv3;

struct Cmd {
    std::uint64_t dw0 = 0;
    std::uint64_t dw1 = 0;
};

std::uint64_t at(std::uint64_t value, unsigned lsb) { return value << lsb; }

Cmd opcode_only(std::uint8_t opcode) { return {opcode, 0}; }
Cmd prefetch_config(std::uint32_t sid, std::uint32_t ssid, bool ssv) {
    return {0x01 | at(ssv, 11) | at(ssid, 12) | at(sid, 32), 0};
}
Cmd prefetch_addr(std::uint32_t sid, std::uint32_t ssid, bool ssv, std::uint64_t addr, unsigned size) {
    return {0x02 | at(ssv, 11) | at(ssid, 12) | at(sid, 32), (addr & ~0xFFFull) | size};
}
Cmd cfgi_ste(std::uint32_t sid, bool leaf) { return {0x03 | at(sid, 32), leaf ? 1ull : 0ull}; }
Cmd cfgi_ste_range(std::uint32_t sid, unsigned range) { return {0x04 | at(sid, 32), range}; }
Cmd cfgi_cd(std::uint32_t sid, std::uint32_t ssid, bool leaf) {
    return {0x05 | at(ssid, 12) | at(sid, 32), leaf ? 1ull : 0ull};
}
Cmd cfgi_cd_all(std::uint32_t sid) { return {0x06 | at(sid, 32), 0}; }
Cmd tlbi_nh_all(std::uint16_t vmid) { return {0x10 | at(vmid, 32), 0}; }
Cmd tlbi_nh_asid(std::uint16_t vmid, std::uint16_t asid) { return {0x11 | at(vmid, 32) | at(asid, 48), 0}; }
Cmd tlbi_nh_va(std::uint16_t vmid, std::uint16_t asid, std::uint64_t va, bool leaf) {
    return {0x12 | at(vmid, 32) | at(asid, 48), (va & ~0xFFFull) | (leaf ? 1 : 0)};
}
Cmd tlbi_nh_vaa(std::uint16_t vmid, std::uint64_t va, bool leaf) {
    return {0x13 | at(vmid, 32), (va & ~0xFFFull) | (leaf ? 1 : 0)};
}
Cmd tlbi_s12_vmall(std::uint16_t vmid) { return {0x28 | at(vmid, 32), 0}; }
Cmd tlbi_s2_ipa(std::uint16_t vmid, std::uint64_t ipa, bool leaf) {
    return {0x2A | at(vmid, 32), (ipa & 0x00FFFFFFFFFFF000ull) | (leaf ? 1 : 0)};
}
Cmd cmd_sync(unsigned cs, unsigned msh, unsigned attr, std::uint32_t data, std::uint64_t msi_addr) {
    return {0x46 | at(cs, 12) | at(msh, 22) | at(attr, 24) | at(data, 32), msi_addr & 0x00FFFFFFFFFFFFFCull};
}
Cmd with_range(Cmd c, unsigned num, unsigned scale, unsigned ttl, unsigned tg) {
    c.dw0 |= at(num, 12) | at(scale, 20);
    c.dw1 |= at(ttl, 8) | at(tg, 10);
    return c;
}
Cmd with_ssec(Cmd c) {
    c.dw0 |= at(1, 10);
    return c;
}

Features defaults() { return Features{}; }  // S1 + S2, SEV, MSI, no Hyp/ATS/PRI/stall/RIL, 16/8-bit SID/SSID

DecodedCommand decode(const Cmd& c, const Features& features = defaults()) {
    return decode_command(c.dw0, c.dw1, features);
}

void expect_illegal(const Cmd& c, const Features& features = defaults()) {
    const DecodedCommand d = decode(c, features);
    EXPECT_TRUE(d.is_illegal()) << describe(d);
    EXPECT_EQ(d.error(), CommandError::ill);
    EXPECT_NE(d.illegal_reason, nullptr);
}

TEST(Smmuv3CommandEncoding, TestEncoderMatchesHandWrittenWords) {
    // CMD_TLBI_NH_VA(VMID 1, ASID 0x2A, VA 0x7FFF_1234_5000, Leaf 1).
    const Cmd c = tlbi_nh_va(1, 0x2A, 0x00007FFF12345000ull, true);
    EXPECT_EQ(c.dw0, 0x002A000100000012ull);
    EXPECT_EQ(c.dw1, 0x00007FFF12345001ull);
    // CMD_SYNC(CS = IRQ, MSH = ISH, MSIAttr 0xF, MSIData 0xCAFE, MSIAddress 0x8000_1004).
    const Cmd s = cmd_sync(1, 3, 0xF, 0xCAFE, 0x80001004ull);
    EXPECT_EQ(s.dw0, 0x0000CAFE0FC01046ull);
    EXPECT_EQ(s.dw1, 0x0000000080001004ull);
}

TEST(Smmuv3CommandDecode, PrefetchConfig) {
    const DecodedCommand d = decode(prefetch_config(0x1234, 0x56, true));
    EXPECT_EQ(d.kind, CommandKind::prefetch_config);
    EXPECT_EQ(d.opcode, 0x01);
    EXPECT_EQ(d.stream_id, 0x1234u);
    EXPECT_TRUE(d.ssv);
    EXPECT_EQ(d.substream_id, 0x56u);
    EXPECT_FALSE(d.out_of_range);
    EXPECT_EQ(d.error(), CommandError::none);
}

TEST(Smmuv3CommandDecode, PrefetchAddr) {
    const DecodedCommand d = decode(prefetch_addr(7, 0, false, 0xFFFF800012345000ull, 5));
    EXPECT_EQ(d.kind, CommandKind::prefetch_addr);
    EXPECT_EQ(d.stream_id, 7u);
    EXPECT_FALSE(d.ssv);
    EXPECT_EQ(d.size, 5);
    EXPECT_EQ(d.address, 0xFFFF800012345000ull);
}

TEST(Smmuv3CommandDecode, CfgiSte) {
    const DecodedCommand leaf = decode(cfgi_ste(0xBEEF, true));
    EXPECT_EQ(leaf.kind, CommandKind::cfgi_ste);
    EXPECT_EQ(leaf.stream_id, 0xBEEFu);
    EXPECT_TRUE(leaf.leaf);
    EXPECT_FALSE(decode(cfgi_ste(0xBEEF, false)).leaf);
}

TEST(Smmuv3CommandDecode, CfgiSteRangeCoversAnAlignedPowerOfTwo) {
    // Range 3: 2^4 = 16 StreamIDs; SID 0x1234 -> 0x1230 .. 0x123F.
    const DecodedCommand d = decode(cfgi_ste_range(0x1234, 3));
    EXPECT_EQ(d.kind, CommandKind::cfgi_ste_range);
    EXPECT_EQ(d.ste_range, 3);
    EXPECT_EQ(d.first_stream_id(), 0x1230u);
    EXPECT_EQ(d.last_stream_id(), 0x123Fu);
    // Range 0: two StreamIDs.
    const DecodedCommand two = decode(cfgi_ste_range(0x7, 0));
    EXPECT_EQ(two.first_stream_id(), 0x6u);
    EXPECT_EQ(two.last_stream_id(), 0x7u);
}

TEST(Smmuv3CommandDecode, CfgiAllIsSteRangeWithRange31) {
    const DecodedCommand d = decode(cfgi_ste_range(0xFFFF, 31));
    EXPECT_EQ(d.kind, CommandKind::cfgi_all);
    EXPECT_EQ(d.opcode, 0x04);
    EXPECT_EQ(d.first_stream_id(), 0u);
    EXPECT_EQ(d.last_stream_id(), 0xFFFFFFFFull);
    EXPECT_FALSE(d.out_of_range);
    EXPECT_EQ(decode(cfgi_ste_range(0, 30)).kind, CommandKind::cfgi_ste_range);
}

TEST(Smmuv3CommandDecode, CfgiCdAndCdAll) {
    const DecodedCommand cd = decode(cfgi_cd(0x42, 0x9, true));
    EXPECT_EQ(cd.kind, CommandKind::cfgi_cd);
    EXPECT_EQ(cd.stream_id, 0x42u);
    EXPECT_EQ(cd.substream_id, 0x9u);
    EXPECT_TRUE(cd.leaf);
    const DecodedCommand all = decode(cfgi_cd_all(0x43));
    EXPECT_EQ(all.kind, CommandKind::cfgi_cd_all);
    EXPECT_EQ(all.stream_id, 0x43u);
}

TEST(Smmuv3CommandDecode, TlbiNhAllAndAsid) {
    const DecodedCommand all = decode(tlbi_nh_all(0x1234));
    EXPECT_EQ(all.kind, CommandKind::tlbi_nh_all);
    EXPECT_EQ(all.vmid, 0x1234);
    const DecodedCommand asid = decode(tlbi_nh_asid(0x0005, 0xABCD));
    EXPECT_EQ(asid.kind, CommandKind::tlbi_nh_asid);
    EXPECT_EQ(asid.vmid, 0x0005);
    EXPECT_EQ(asid.asid, 0xABCD);
}

TEST(Smmuv3CommandDecode, TlbiNhVaFromRawWords) {
    const DecodedCommand d = decode_command(0x002A000100000012ull, 0x00007FFF12345001ull, defaults());
    EXPECT_EQ(d.kind, CommandKind::tlbi_nh_va);
    EXPECT_EQ(d.vmid, 1);
    EXPECT_EQ(d.asid, 0x2A);
    EXPECT_EQ(d.address, 0x00007FFF12345000ull);
    EXPECT_TRUE(d.leaf);
    EXPECT_FALSE(d.range_fields_ignored);
}

TEST(Smmuv3CommandDecode, TlbiNhVaaAndUpperHalfAddress) {
    const DecodedCommand d = decode(tlbi_nh_vaa(9, 0xFFFFFFFFFFFFF000ull, false));
    EXPECT_EQ(d.kind, CommandKind::tlbi_nh_vaa);
    EXPECT_EQ(d.vmid, 9);
    EXPECT_EQ(d.asid, 0);
    EXPECT_EQ(d.address, 0xFFFFFFFFFFFFF000ull);
    EXPECT_FALSE(d.leaf);
}

TEST(Smmuv3CommandDecode, TlbiStage2) {
    const DecodedCommand vmall = decode(tlbi_s12_vmall(0x77));
    EXPECT_EQ(vmall.kind, CommandKind::tlbi_s12_vmall);
    EXPECT_EQ(vmall.vmid, 0x77);
    // IPA field is Address[55:12].
    const DecodedCommand ipa = decode(tlbi_s2_ipa(0x78, 0x00F0001234567000ull, true));
    EXPECT_EQ(ipa.kind, CommandKind::tlbi_s2_ipa);
    EXPECT_EQ(ipa.vmid, 0x78);
    EXPECT_EQ(ipa.address, 0x00F0001234567000ull);
    EXPECT_TRUE(ipa.leaf);
    // Bits above 55 are not part of the IPA.
    EXPECT_EQ(decode_command(0x2A, 0xFF00000000001000ull, defaults()).address, 0x1000ull);
}

TEST(Smmuv3CommandDecode, TlbiNsnhAll) {
    EXPECT_EQ(decode(opcode_only(0x30)).kind, CommandKind::tlbi_nsnh_all);
    Features s2_only = defaults();
    s2_only.stage1 = false;
    EXPECT_EQ(decode(opcode_only(0x30), s2_only).kind, CommandKind::tlbi_nsnh_all);
}

TEST(Smmuv3CommandDecode, SyncFields) {
    const DecodedCommand d = decode(cmd_sync(1, 3, 0xF, 0xCAFE, 0x0000008000001004ull));
    EXPECT_EQ(d.kind, CommandKind::sync);
    EXPECT_EQ(d.completion_signal, SyncSignal::SIG_IRQ);
    EXPECT_EQ(d.effective_signal, SyncSignal::SIG_IRQ);
    EXPECT_EQ(d.msh, 3);
    EXPECT_EQ(d.msi_attr, 0xF);
    EXPECT_EQ(d.msi_data, 0xCAFEu);
    EXPECT_EQ(d.msi_address, 0x0000008000001004ull);
    EXPECT_TRUE(d.sends_msi);
}

TEST(Smmuv3CommandDecode, SyncSignalVariants) {
    const DecodedCommand none = decode(cmd_sync(0, 0, 0, 0, 0x1000));
    EXPECT_EQ(none.completion_signal, SyncSignal::SIG_NONE);
    EXPECT_FALSE(none.sends_msi);
    // SIG_IRQ with MSIAddress 0: no MSI (a wired interrupt only).
    EXPECT_FALSE(decode(cmd_sync(1, 0, 0, 0, 0)).sends_msi);
    // SIG_IRQ without IDR0.MSI: MSIAddress and MSIData are IGNORED.
    Features no_msi = defaults();
    no_msi.msi = false;
    EXPECT_FALSE(decode(cmd_sync(1, 0, 0, 1, 0x1000), no_msi).sends_msi);
    // SIG_SEV with IDR0.SEV.
    EXPECT_EQ(decode(cmd_sync(2, 0, 0, 0, 0)).effective_signal, SyncSignal::SIG_SEV);
    // MSH 0b01 is reserved and behaves as 0b00.
    EXPECT_EQ(decode(cmd_sync(0, 1, 0, 0, 0)).effective_msh(), 0);
    EXPECT_EQ(decode(cmd_sync(0, 2, 0, 0, 0)).effective_msh(), 2);
}

TEST(Smmuv3CommandDecode, SyncSevWithoutIdr0SevIsSigNoneNotIllegal) {
    // SMMUv3 4.7.3: without IDR0.SEV, SIG_SEV is equivalent to SIG_NONE.
    Features no_sev = defaults();
    no_sev.sev = false;
    const DecodedCommand d = decode(cmd_sync(2, 0, 0, 0, 0), no_sev);
    EXPECT_EQ(d.kind, CommandKind::sync);
    EXPECT_EQ(d.completion_signal, SyncSignal::SIG_SEV);
    EXPECT_EQ(d.effective_signal, SyncSignal::SIG_NONE);
}

TEST(Smmuv3CommandDecode, CommandWordsAreLittleEndian) {
    const std::uint8_t bytes[16] = {0x12, 0x00, 0x00, 0x00, 0x01, 0x00, 0x2A, 0x00,
                                    0x01, 0x50, 0x34, 0x12, 0xFF, 0x7F, 0x00, 0x00};
    const auto words = command_words(bytes);
    EXPECT_EQ(words[0], 0x002A000100000012ull);
    EXPECT_EQ(words[1], 0x00007FFF12345001ull);
}

// ---- illegal commands (CERROR_ILL) -------------------------------------------------------------

TEST(Smmuv3CommandIllegal, ReservedAndImplementationDefinedOpcodes) {
    for (unsigned op : {0x00u, 0x08u, 0x0Au, 0x0Fu, 0x14u, 0x17u, 0x19u, 0x1Bu, 0x24u, 0x29u, 0x2Bu, 0x31u,
                        0x42u, 0x43u, 0x47u, 0x4Fu, 0x54u, 0x59u, 0x61u, 0x71u, 0x74u, 0x80u, 0x8Fu, 0x90u, 0xFFu}) {
        SCOPED_TRACE(op);
        expect_illegal(opcode_only(static_cast<std::uint8_t>(op)));
    }
}

TEST(Smmuv3CommandIllegal, CommandsForFeaturesThisModelNeverHas) {
    expect_illegal(opcode_only(0x07));  // CMD_CFGI_VMS_PIDM: no MPAM
    expect_illegal(opcode_only(0x18));  // CMD_TLBI_EL3_ALL on the Non-secure queue
    expect_illegal(opcode_only(0x1A));  // CMD_TLBI_EL3_VA
    for (unsigned op : {0x50u, 0x51u, 0x52u, 0x53u, 0x58u, 0x5Au, 0x60u}) {  // Secure-only
        SCOPED_TRACE(op);
        expect_illegal(opcode_only(static_cast<std::uint8_t>(op)));
    }
    expect_illegal(opcode_only(0x70));  // CMD_DPTI_ALL: no DPT
    expect_illegal(opcode_only(0x73));  // CMD_DPTI_PA
}

TEST(Smmuv3CommandIllegal, SsecOnTheNonSecureQueue) {
    expect_illegal(with_ssec(prefetch_config(1, 0, false)));
    expect_illegal(with_ssec(prefetch_addr(1, 0, false, 0x1000, 0)));
    expect_illegal(with_ssec(cfgi_ste(1, true)));
    expect_illegal(with_ssec(cfgi_ste_range(1, 31)));
    expect_illegal(with_ssec(cfgi_cd(1, 0, true)));
    expect_illegal(with_ssec(cfgi_cd_all(1)));
}

TEST(Smmuv3CommandIllegal, SyncCsReserved) {
    expect_illegal(cmd_sync(3, 0, 0, 0, 0));
}

TEST(Smmuv3CommandIllegal, StageOneCommandsWithoutStageOne) {
    Features s2_only = defaults();
    s2_only.stage1 = false;
    expect_illegal(cfgi_cd(1, 0, true), s2_only);
    expect_illegal(cfgi_cd_all(1), s2_only);
    expect_illegal(tlbi_nh_all(0), s2_only);
    expect_illegal(tlbi_nh_asid(0, 1), s2_only);
    expect_illegal(tlbi_nh_va(0, 1, 0x1000, false), s2_only);
    expect_illegal(tlbi_nh_vaa(0, 0x1000, false), s2_only);
    EXPECT_EQ(decode(cfgi_ste(1, true), s2_only).kind, CommandKind::cfgi_ste);
}

TEST(Smmuv3CommandIllegal, StageTwoCommandsWithoutStageTwo) {
    Features s1_only = defaults();
    s1_only.stage2 = false;
    expect_illegal(tlbi_s12_vmall(1), s1_only);
    expect_illegal(tlbi_s2_ipa(1, 0x1000, false), s1_only);
    EXPECT_EQ(decode(tlbi_nh_all(0), s1_only).kind, CommandKind::tlbi_nh_all);
}

TEST(Smmuv3CommandIllegal, LaterIssueCommandsWithoutTheirFeature) {
    const Features f = defaults();  // no Hyp, ATS, PRI; terminate-only stall model
    expect_illegal(opcode_only(0x20), f);  // CMD_TLBI_EL2_ALL
    expect_illegal(opcode_only(0x21), f);
    expect_illegal(opcode_only(0x22), f);
    expect_illegal(opcode_only(0x23), f);
    expect_illegal(opcode_only(0x40), f);  // CMD_ATC_INV
    expect_illegal(opcode_only(0x41), f);  // CMD_PRI_RESP
    expect_illegal(opcode_only(0x44), f);  // CMD_RESUME
    expect_illegal(opcode_only(0x45), f);  // CMD_STALL_TERM
}

TEST(Smmuv3CommandIllegal, ReservedFieldValuesOfLaterIssueCommands) {
    Features f = defaults();
    f.ats = true;
    f.pri = true;
    // CMD_ATC_INV Size [5:0] of 53 (model's choice for > 52).
    expect_illegal({0x40, 53}, f);
    EXPECT_EQ(decode({0x40, 52}, f).kind, CommandKind::atc_inv);
    // CMD_PRI_RESP Resp [13:12] == 0b11.
    expect_illegal({0x41, at(3, 12)}, f);
    EXPECT_EQ(decode({0x41, at(2, 12)}, f).kind, CommandKind::pri_resp);
}

TEST(Smmuv3CommandIllegal, RangeInvalidationReservedCombinations) {
    Features ril = defaults();
    ril.range_invalidation = true;
    // TG != 0 with NUM, SCALE and TTL all zero.
    expect_illegal(with_range(tlbi_nh_va(1, 2, 0x10000, true), 0, 0, 0, 1), ril);
    expect_illegal(with_range(tlbi_s2_ipa(1, 0x10000, true), 0, 0, 0, 3), ril);
    // 16 KiB granule with TTL 1 counts as TTL 0 without IDR5.DS.
    expect_illegal(with_range(tlbi_nh_vaa(1, 0x10000, true), 0, 0, 1, 2), ril);
    // Legal: a level hint, or a range.
    const DecodedCommand hint = decode(with_range(tlbi_nh_va(1, 2, 0x10000, true), 0, 0, 3, 1), ril);
    EXPECT_EQ(hint.kind, CommandKind::tlbi_nh_va);
    EXPECT_EQ(hint.range.ttl, 3);
    EXPECT_EQ(hint.range.tg, 1);
    const DecodedCommand range = decode(with_range(tlbi_nh_va(1, 2, 0x10000, true), 31, 31, 0, 3), ril);
    EXPECT_EQ(range.kind, CommandKind::tlbi_nh_va);
    EXPECT_EQ(range.range.num, 31);
    EXPECT_EQ(range.range.scale, 31);
    EXPECT_EQ(range.range.tg, 3);
    EXPECT_EQ(range.asid, 2);  // NUM/SCALE do not leak into other fields
}

// ---- later issues ------------------------------------------------------------------------------

TEST(Smmuv3CommandLaterIssue, RangeFieldsWithoutRilAreIgnoredAndFlagged) {
    const DecodedCommand d = decode(with_range(tlbi_nh_va(1, 2, 0x10000, true), 4, 1, 3, 1));
    EXPECT_EQ(d.kind, CommandKind::tlbi_nh_va);
    EXPECT_TRUE(d.range_fields_ignored);
    EXPECT_TRUE(d.range.is_zero());
    EXPECT_EQ(d.address, 0x10000ull);
    EXPECT_TRUE(d.leaf);
    // Even the reserved combination is not an error without RIL: the fields are RES0.
    const DecodedCommand reserved = decode(with_range(tlbi_s2_ipa(1, 0x10000, true), 0, 0, 0, 1));
    EXPECT_EQ(reserved.kind, CommandKind::tlbi_s2_ipa);
    EXPECT_TRUE(reserved.range_fields_ignored);
}

TEST(Smmuv3CommandLaterIssue, El2WithHyp) {
    Features hyp = defaults();
    hyp.hyp = true;
    EXPECT_EQ(decode(opcode_only(0x20), hyp).kind, CommandKind::tlbi_el2_all);
    const DecodedCommand asid = decode({0x21 | at(0x55, 48), 0}, hyp);
    EXPECT_EQ(asid.kind, CommandKind::tlbi_el2_asid);
    EXPECT_EQ(asid.asid, 0x55);
    const DecodedCommand va = decode({0x22 | at(0x66, 48), 0x0000000040003001ull}, hyp);
    EXPECT_EQ(va.kind, CommandKind::tlbi_el2_va);
    EXPECT_EQ(va.asid, 0x66);
    EXPECT_EQ(va.address, 0x40003000ull);
    EXPECT_TRUE(va.leaf);
    EXPECT_EQ(decode({0x23, 0x5000}, hyp).address, 0x5000ull);
}

TEST(Smmuv3CommandLaterIssue, AtsPriAndStall) {
    Features f = defaults();
    f.ats = true;
    f.pri = true;
    f.stall_model = StallModel::stall_and_terminate;
    // CMD_ATC_INV: SSV 11, Global 9, SSID, SID; Size [5:0], Address [63:12].
    const DecodedCommand atc = decode({0x40 | at(1, 9) | at(1, 11) | at(0x33, 12) | at(0x44, 32), 0x1234000ull | 4}, f);
    EXPECT_EQ(atc.kind, CommandKind::atc_inv);
    EXPECT_TRUE(atc.atc_global);
    EXPECT_TRUE(atc.ssv);
    EXPECT_EQ(atc.substream_id, 0x33u);
    EXPECT_EQ(atc.stream_id, 0x44u);
    EXPECT_EQ(atc.size, 4);
    EXPECT_EQ(atc.address, 0x1234000ull);
    // CMD_PRI_RESP: PRGIndex [8:0], Resp [13:12].
    const DecodedCommand pri = decode({0x41 | at(0x45, 32), at(2, 12) | 0x1AB}, f);
    EXPECT_EQ(pri.kind, CommandKind::pri_resp);
    EXPECT_EQ(pri.prg_index, 0x1AB);
    EXPECT_EQ(pri.pri_response, 2);
    // CMD_RESUME: Ac 12, Ab 13, StreamID; STAG [15:0].
    const DecodedCommand resume = decode({0x44 | at(1, 13) | at(0x46, 32), 0xBEEF}, f);
    EXPECT_EQ(resume.kind, CommandKind::resume);
    EXPECT_FALSE(resume.resume_retry);
    EXPECT_TRUE(resume.resume_abort);
    EXPECT_EQ(resume.stag, 0xBEEF);
    EXPECT_EQ(resume.stream_id, 0x46u);
    EXPECT_TRUE(decode({0x44 | at(1, 12), 0}, f).resume_retry);
    EXPECT_EQ(decode({0x45 | at(0x47, 32), 0}, f).kind, CommandKind::stall_term);
    expect_illegal(with_ssec({0x45, 0}), f);
}

// ---- choices -----------------------------------------------------------------------------------

TEST(Smmuv3CommandChoices, OutOfRangeStreamAndSubstreamIdsAreNotErrors) {
    Features small = defaults();
    small.sid_bits = 8;
    small.ssid_bits = 4;
    const DecodedCommand ste = decode(cfgi_ste(0x100, true), small);
    EXPECT_EQ(ste.kind, CommandKind::cfgi_ste);
    EXPECT_TRUE(ste.out_of_range);
    EXPECT_FALSE(decode(cfgi_ste(0xFF, true), small).out_of_range);
    const DecodedCommand cd = decode(cfgi_cd(0x1, 0x10, true), small);
    EXPECT_EQ(cd.kind, CommandKind::cfgi_cd);
    EXPECT_TRUE(cd.out_of_range);
    EXPECT_FALSE(decode(cfgi_cd(0x1, 0xF, true), small).out_of_range);
    // A SubstreamID without SSV is not checked for prefetch.
    EXPECT_FALSE(decode(prefetch_config(1, 0x10, false), small).out_of_range);
    EXPECT_TRUE(decode(prefetch_config(1, 0x10, true), small).out_of_range);
    // A range starting beyond SIDSIZE is out of range; CFGI_ALL never is.
    EXPECT_TRUE(decode(cfgi_ste_range(0x200, 1), small).out_of_range);
    EXPECT_FALSE(decode(cfgi_ste_range(0x200, 31), small).out_of_range);
    // SSIDSIZE == 0: any non-zero SubstreamID of CFGI_CD is out of range.
    Features no_ssid = defaults();
    no_ssid.ssid_bits = 0;
    EXPECT_TRUE(decode(cfgi_cd(1, 1, true), no_ssid).out_of_range);
    EXPECT_FALSE(decode(cfgi_cd(1, 0, true), no_ssid).out_of_range);
}

TEST(Smmuv3CommandChoices, NhVmidIsIgnoredWithoutStageTwo) {
    Features s1_only = defaults();
    s1_only.stage2 = false;
    EXPECT_EQ(decode(tlbi_nh_asid(0x12, 0x34), s1_only).vmid, 0);
    EXPECT_EQ(decode(tlbi_nh_asid(0x12, 0x34), s1_only).asid, 0x34);
    EXPECT_EQ(decode(tlbi_nh_asid(0x12, 0x34)).vmid, 0x12);
}

TEST(Smmuv3CommandDescribe, NamesTheCommandAndItsFields) {
    const std::string va = describe(decode(tlbi_nh_va(1, 0x2A, 0x5000, true)));
    EXPECT_NE(va.find("CMD_TLBI_NH_VA"), std::string::npos) << va;
    EXPECT_NE(va.find("asid=0x2a"), std::string::npos) << va;
    EXPECT_NE(va.find("addr=0x5000"), std::string::npos) << va;
    const std::string ill = describe(decode(cmd_sync(3, 0, 0, 0, 0)));
    EXPECT_NE(ill.find("CMD_SYNC"), std::string::npos) << ill;
    EXPECT_NE(ill.find("CERROR_ILL"), std::string::npos) << ill;
    const std::string all = describe(decode(cfgi_ste_range(0, 31)));
    EXPECT_NE(all.find("CMD_CFGI_ALL"), std::string::npos) << all;
    EXPECT_STREQ(command_opcode_name(0x46), "CMD_SYNC");
    EXPECT_STREQ(command_opcode_name(0x09), "reserved");
    EXPECT_STREQ(command_opcode_name(0x85), "IMPLEMENTATION DEFINED");
}

}  // namespace
