// VT-d invalidation: queued descriptors, the invalidation queue registers and register-based
// invalidation. Every descriptor and register value below is written by hand as a literal from the
// layouts of VT-d 6.5.2.x, 7.6.1 and 11.4.6 / 11.4.9 (type [3:0] + type[6:4] at [11:9], G [5:4],
// DID [31:16], CC SID [47:32] FM [49:48], IOTLB DW 6 DR 7, PASID [51:32], AM [5:0] IH 6 ADDR
// [63:12] in qw1; wait IF 4 SW 5 FN 6 PD 7 data [63:32], status address [63:2]; CCMD DID [15:0]
// SID [31:16] FM [33:32] CAIG [60:59] CIRG [62:61] ICC 63; IOTLB_REG DID [47:32] DW 48 DR 49 IAIG
// [58:57] IIRG [61:60] IVT 63; IVA AM [5:0] IH 6 ADDR [63:12]; IQA QS [2:0] DW 11 base [63:12];
// IQH/IQT [18:4]), not from invalidation.h's field constants.
#include "models/vtd/invalidation.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

namespace {

using namespace iommu_vp::vtd;

Features defaults() { return Features{}; }  // v3.0, 16-bit DID, MGAW 48, HAW 48, PSI, MAMV 18, SMTS, no DT/PRS

DecodedDescriptor legacy128(std::uint64_t qw0, std::uint64_t qw1, const Features& features = defaults()) {
    return decode_descriptor({qw0, qw1, 0, 0}, DescriptorWidth::bits128, TranslationTableMode::legacy, features);
}

DecodedDescriptor scalable256(std::uint64_t qw0, std::uint64_t qw1, const Features& features = defaults(),
                              std::uint64_t qw2 = 0, std::uint64_t qw3 = 0) {
    return decode_descriptor({qw0, qw1, qw2, qw3}, DescriptorWidth::bits256, TranslationTableMode::scalable, features);
}

void expect_error(const DecodedDescriptor& d, QueueError error) {
    EXPECT_TRUE(d.is_error()) << describe(d);
    EXPECT_EQ(d.error, error) << describe(d);
    EXPECT_NE(d.error_reason, nullptr);
}

void expect_ok(const DecodedDescriptor& d) { EXPECT_FALSE(d.is_error()) << describe(d); }

// ---- type field -------------------------------------------------------------------------------

TEST(VtdDescriptorType, TypeIsLowNibblePlusBits11To9) {
    EXPECT_EQ(descriptor_type_of(0x0000000000000002ull), 0x02);  // IOTLB
    // 0xA07: bits 11 and 9 set (type[6:4] = 101b), low nibble 7 -> 0x57.
    EXPECT_EQ(descriptor_type_of(0x0000000000000A07ull), 0x57);
    // Bit 9 alone: type 0x10. Bits 8 and 4..7 are not part of the type.
    EXPECT_EQ(descriptor_type_of(0x00000000000001F0ull), 0x00);
    EXPECT_EQ(descriptor_type_of(0x0000000000000200ull), 0x10);
}

TEST(VtdDescriptorType, UnknownTypesAreInvalidType) {
    expect_error(legacy128(0x0000000000000000ull, 0), QueueError::invalid_type);      // type 0
    expect_error(legacy128(0x0000000000000A07ull, 0), QueueError::invalid_type);      // 0x57
    expect_error(legacy128(0x0000000000000205ull, 0), QueueError::invalid_type);      // 0x15, not a wait
    expect_error(scalable256(0x000000000000000Aull, 0), QueueError::invalid_type);    // 0xA: HPT (VT-d 5.x)
    expect_error(scalable256(0x000000000000000Full, 0), QueueError::invalid_type);
}

TEST(VtdDescriptorType, Names) {
    EXPECT_STREQ(descriptor_type_name(0x1), "cc_inv_dsc");
    EXPECT_STREQ(descriptor_type_name(0x6), "p_iotlb_inv_dsc");
    EXPECT_STREQ(descriptor_type_name(0x9), "page_grp_resp_dsc");
    EXPECT_STREQ(descriptor_type_name(0x0), "reserved");
}

// ---- context-cache (0x1) ----------------------------------------------------------------------

TEST(VtdContextCacheDescriptor, Global) {
    // Type 1, G = 01 (0x10).
    const DecodedDescriptor d = legacy128(0x0000000000000011ull, 0);
    expect_ok(d);
    EXPECT_EQ(d.descriptor_type(), DescriptorType::context_cache);
    EXPECT_EQ(d.context_cache.granularity, ContextGranularity::global);
    EXPECT_TRUE(d.context_cache.covers(0x1234, 0x99));
}

TEST(VtdContextCacheDescriptor, DomainSelective) {
    // Type 1, G = 10 (0x20), DID 3 (0x30000).
    const DecodedDescriptor d = legacy128(0x0000000000030021ull, 0);
    expect_ok(d);
    EXPECT_EQ(d.context_cache.granularity, ContextGranularity::domain);
    EXPECT_EQ(d.context_cache.domain_id, 3);
    EXPECT_TRUE(d.context_cache.match_domain);
    EXPECT_TRUE(d.context_cache.covers(0x0010, 3));
    EXPECT_FALSE(d.context_cache.covers(0x0010, 4));
}

TEST(VtdContextCacheDescriptor, DeviceSelectiveWithFunctionMask) {
    // Type 1, G = 11 (0x30), DID 5 (0x50000), SID 0x0010 at [47:32], FM 1 at [49:48].
    const DecodedDescriptor d = legacy128(0x0001001000050031ull, 0);
    expect_ok(d);
    const ContextCacheInvalidation& cc = d.context_cache;
    EXPECT_EQ(cc.granularity, ContextGranularity::device);
    EXPECT_EQ(cc.domain_id, 5);
    EXPECT_EQ(cc.source_id, 0x0010);
    EXPECT_EQ(cc.function_mask, 1);
    // FM 1 masks SID bit 2 (not bit 0): 00:02.4 is covered, 00:02.1 is not.
    EXPECT_EQ(cc.source_id_mask(), 0xFFFB);
    EXPECT_TRUE(cc.covers(0x0014, 5));
    EXPECT_FALSE(cc.covers(0x0011, 5));
    EXPECT_FALSE(cc.covers(0x0014, 6));
}

TEST(VtdContextCacheDescriptor, FunctionMaskEncodings) {
    ContextCacheInvalidation cc;
    cc.function_mask = 0;
    EXPECT_EQ(cc.source_id_mask(), 0xFFFF);
    cc.function_mask = 2;  // bits 2:1
    EXPECT_EQ(cc.source_id_mask(), 0xFFF9);
    cc.function_mask = 3;  // bits 2:0
    EXPECT_EQ(cc.source_id_mask(), 0xFFF8);
}

TEST(VtdContextCacheDescriptor, ScalableModeDomainSelectiveIsGlobalAndDidIgnored) {
    // Same words as the legacy domain-selective case, in a 256-bit scalable-mode queue.
    const DecodedDescriptor d = scalable256(0x0000000000030021ull, 0);
    expect_ok(d);
    EXPECT_EQ(d.context_cache.requested, ContextGranularity::domain);
    EXPECT_EQ(d.context_cache.granularity, ContextGranularity::global);
    EXPECT_FALSE(d.context_cache.match_domain);
    EXPECT_EQ(d.context_cache.domain_id, 0);

    const DecodedDescriptor dev = scalable256(0x0001001000050031ull, 0);
    expect_ok(dev);
    EXPECT_EQ(dev.context_cache.granularity, ContextGranularity::device);
    EXPECT_EQ(dev.context_cache.domain_id, 0);
    EXPECT_TRUE(dev.context_cache.covers(0x0014, 0x77));  // any domain
    EXPECT_FALSE(dev.context_cache.covers(0x0011, 0x77));
}

TEST(VtdContextCacheDescriptor, DomainIdBitsAboveWidthIgnored) {
    Features features = defaults();
    features.domain_id_bits = 8;
    // DID 0x1203 at [31:16]; an 8-bit domain ID keeps 0x03.
    const DecodedDescriptor d = legacy128(0x0000000012030021ull, 0, features);
    expect_ok(d);
    EXPECT_EQ(d.context_cache.domain_id, 0x03);
}

TEST(VtdContextCacheDescriptor, Errors) {
    expect_error(legacy128(0x0000000000000001ull, 0), QueueError::reserved_field);  // G = 00
    expect_error(legacy128(0x0000000000000051ull, 0), QueueError::reserved_field);  // bit 6
    expect_error(legacy128(0x0000000000001011ull, 0), QueueError::reserved_field);  // bit 12
    expect_error(legacy128(0x0004000000000011ull, 0), QueueError::reserved_field);  // bit 50
    expect_error(legacy128(0x0000000000000011ull, 0x1), QueueError::reserved_field);  // qw1
}

// ---- IOTLB (0x2) ------------------------------------------------------------------------------

TEST(VtdIotlbDescriptor, PageSelectiveAlignsAddressToMask) {
    // qw0: type 2, G = 11 (0x30), DW (0x40), DR (0x80), DID 3 (0x30000).
    // qw1: ADDR 0x12345000, AM 2 -> the 16 KiB region 0x12344000..0x12347FFF.
    const DecodedDescriptor d = legacy128(0x00000000000300F2ull, 0x0000000012345002ull);
    expect_ok(d);
    const IotlbInvalidation& inv = d.iotlb;
    EXPECT_EQ(inv.granularity, IotlbGranularity::page);
    EXPECT_EQ(inv.domain_id, 3);
    EXPECT_EQ(inv.address, 0x12344000ull);
    EXPECT_EQ(inv.address_mask, 2);
    EXPECT_FALSE(inv.leaf_only);
    EXPECT_TRUE(inv.drain_reads);
    EXPECT_TRUE(inv.drain_writes);
    EXPECT_FALSE(inv.is_pasid_based());
    EXPECT_EQ(inv.last_address(), 0x12347FFFull);
    EXPECT_TRUE(inv.covers_address(0x12344000ull));
    EXPECT_TRUE(inv.covers_address(0x12347FFFull));
    EXPECT_FALSE(inv.covers_address(0x12348000ull));
    EXPECT_FALSE(inv.covers_address(0x12343FFFull));
    EXPECT_EQ(describe(d), "IOTLB g=page did=0x3 addr=0x12344000 am=2 ih=0 dr=1 dw=1");
}

TEST(VtdIotlbDescriptor, InvalidationHintAndLargestMask) {
    // qw1: ADDR 0x12340000, IH (0x40), AM 0.
    const DecodedDescriptor d = legacy128(0x0000000000030032ull, 0x0000000012340040ull);
    expect_ok(d);
    EXPECT_TRUE(d.iotlb.leaf_only);
    EXPECT_EQ(d.iotlb.address, 0x12340000ull);
    // AM 18 (MAMV): a 1 GiB region; ADDR 0x40012000 aligns down to 0x40000000.
    const DecodedDescriptor big = legacy128(0x0000000000030032ull, 0x0000000040012012ull);
    expect_ok(big);
    EXPECT_EQ(big.iotlb.address, 0x40000000ull);
    EXPECT_EQ(big.iotlb.last_address(), 0x7FFFFFFFull);
}

TEST(VtdIotlbDescriptor, AddressBitsAboveMgawIgnored) {
    // ADDR 0xFFFF800012345000 with MGAW 48: bits 63:48 ignored.
    const DecodedDescriptor d = legacy128(0x0000000000030032ull, 0xFFFF800012345000ull);
    expect_ok(d);
    EXPECT_EQ(d.iotlb.address, 0x0000800012345000ull);
}

TEST(VtdIotlbDescriptor, GlobalAndDomainIgnoreOperands) {
    // Type 2, G = 01.
    const DecodedDescriptor g = legacy128(0x0000000000000012ull, 0);
    expect_ok(g);
    EXPECT_EQ(g.iotlb.granularity, IotlbGranularity::global);
    EXPECT_EQ(g.iotlb.domain_id, 0);
    // Type 2, G = 10, DID 7; qw1 carries an address that domain granularity ignores.
    const DecodedDescriptor dom = legacy128(0x0000000000070022ull, 0x0000000012345000ull);
    expect_ok(dom);
    EXPECT_EQ(dom.iotlb.granularity, IotlbGranularity::domain);
    EXPECT_EQ(dom.iotlb.domain_id, 7);
    EXPECT_EQ(dom.iotlb.address, 0u);
    // VER.MAX >= 2 always drains, whatever DR/DW say.
    EXPECT_TRUE(dom.iotlb.drain_reads);
    EXPECT_TRUE(dom.iotlb.drain_writes);
}

TEST(VtdIotlbDescriptor, DrainFlagsOnVersionOneHardware) {
    Features features = defaults();
    features.version_major = 1;
    // G = 10 (0x20), DR (0x80), DID 3: reads drained, writes not.
    const DecodedDescriptor d = legacy128(0x00000000000300A2ull, 0, features);
    expect_ok(d);
    EXPECT_TRUE(d.iotlb.drain_reads);
    EXPECT_FALSE(d.iotlb.drain_writes);
    // Without CAP.DRD the DR flag is ignored.
    features.read_draining = false;
    EXPECT_FALSE(legacy128(0x00000000000300A2ull, 0, features).iotlb.drain_reads);
}

TEST(VtdIotlbDescriptor, Errors) {
    expect_error(legacy128(0x0000000000000002ull, 0), QueueError::reserved_field);           // G = 00
    expect_error(legacy128(0x0000000000000112ull, 0), QueueError::reserved_field);           // bit 8
    expect_error(legacy128(0x0000000100000012ull, 0), QueueError::reserved_field);           // bit 32
    expect_error(legacy128(0x0000000000000012ull, 0x80), QueueError::reserved_field);        // qw1 bit 7
    // AM 19 > MAMV 18.
    expect_error(legacy128(0x0000000000030032ull, 0x0000000000000013ull), QueueError::reserved_field);
    // Page-selective without CAP.PSI.
    Features no_psi = defaults();
    no_psi.page_selective_invalidation = false;
    expect_error(legacy128(0x0000000000030032ull, 0x0000000012345000ull, no_psi), QueueError::reserved_field);
    // Domain-selective is fine without PSI.
    expect_ok(legacy128(0x0000000000030022ull, 0, no_psi));
}

// ---- invalidation wait (0x5) ------------------------------------------------------------------

TEST(VtdWaitDescriptor, StatusWriteInterruptFence) {
    // qw0: type 5, IF (0x10), SW (0x20), FN (0x40), status data 2 at [63:32]. qw1: 0x7F001000.
    const DecodedDescriptor d = legacy128(0x0000000200000075ull, 0x000000007F001000ull);
    expect_ok(d);
    EXPECT_EQ(d.descriptor_type(), DescriptorType::wait);
    EXPECT_TRUE(d.wait.interrupt);
    EXPECT_TRUE(d.wait.status_write);
    EXPECT_TRUE(d.wait.fence);
    EXPECT_FALSE(d.wait.page_request_drain);
    EXPECT_EQ(d.wait.status_data, 2u);
    EXPECT_EQ(d.wait.status_address, 0x7F001000ull);
    EXPECT_EQ(describe(d), "WAIT if=1 sw=1 fn=1 pd=0 data=0x2 addr=0x7f001000");
}

TEST(VtdWaitDescriptor, FenceOnlyIsValid) {
    // Type 5 with FN only (Linux's no-op descriptor).
    const DecodedDescriptor d = legacy128(0x0000000000000045ull, 0);
    expect_ok(d);
    EXPECT_FALSE(d.wait.status_write);
    EXPECT_FALSE(d.wait.interrupt);
    EXPECT_TRUE(d.wait.fence);
}

TEST(VtdWaitDescriptor, StatusAddressAboveHawIgnored) {
    // SW (0x20); status address 0xFFFF12347F001000 with HAW 48 -> 0x12347F001000.
    const DecodedDescriptor d = legacy128(0x0000000100000025ull, 0xFFFF12347F001000ull);
    expect_ok(d);
    EXPECT_EQ(d.wait.status_address, 0x000012347F001000ull);
}

TEST(VtdWaitDescriptor, PageRequestDrainNeedsPageRequests) {
    // PD (0x80) | SW (0x20) | type 5.
    expect_error(legacy128(0x00000000000000A5ull, 0x1000), QueueError::reserved_field);
    Features prs = defaults();
    prs.page_requests = true;
    const DecodedDescriptor d = legacy128(0x00000000000000A5ull, 0x1000, prs);
    expect_ok(d);
    EXPECT_TRUE(d.wait.page_request_drain);
}

TEST(VtdWaitDescriptor, Errors) {
    expect_error(legacy128(0x0000000000000125ull, 0x1000), QueueError::reserved_field);  // bit 8
    expect_error(legacy128(0x0000000080000025ull, 0x1000), QueueError::reserved_field);  // bit 31
    expect_error(legacy128(0x0000000000000025ull, 0x1002), QueueError::reserved_field);  // qw1 bit 1
}

// ---- PASID-based IOTLB (0x6) ------------------------------------------------------------------

TEST(VtdPasidIotlbDescriptor, PageWithinPasid) {
    // qw0: type 6, G = 11 (0x30), DID 3 (0x30000), PASID 0x12345 at [51:32].
    // qw1: ADDR 0x7FFF12345000, IH (0x40), AM 1 -> 8 KiB region at 0x7FFF12344000.
    const DecodedDescriptor d = scalable256(0x0001234500030036ull, 0x00007FFF12345041ull);
    expect_ok(d);
    const IotlbInvalidation& inv = d.iotlb;
    EXPECT_EQ(d.descriptor_type(), DescriptorType::pasid_iotlb);
    EXPECT_TRUE(inv.is_pasid_based());
    EXPECT_EQ(*inv.pasid, 0x12345u);
    EXPECT_EQ(inv.granularity, IotlbGranularity::page);
    EXPECT_EQ(inv.domain_id, 3);
    EXPECT_EQ(inv.address, 0x00007FFF12344000ull);
    EXPECT_EQ(inv.address_mask, 1);
    EXPECT_TRUE(inv.leaf_only);
    EXPECT_TRUE(inv.drain_reads);
    EXPECT_TRUE(inv.drain_writes);
    EXPECT_EQ(describe(d), "PIOTLB g=page did=0x3 pasid=0x12345 addr=0x7fff12344000 am=1 ih=1");
}

TEST(VtdPasidIotlbDescriptor, PasidSelective) {
    // G = 10 (0x20); qw1 ignored at this granularity.
    const DecodedDescriptor d = scalable256(0x0001234500030026ull, 0x00007FFF12345041ull);
    expect_ok(d);
    EXPECT_EQ(d.iotlb.granularity, IotlbGranularity::domain);
    EXPECT_EQ(*d.iotlb.pasid, 0x12345u);
    EXPECT_EQ(d.iotlb.address, 0u);
    EXPECT_EQ(describe(d), "PIOTLB g=pasid did=0x3 pasid=0x12345");
}

TEST(VtdPasidIotlbDescriptor, AnyAddressMaskAndFullAddress) {
    // AM 40 (> MAMV): allowed for PASID-based invalidation; 52 address bits spanned.
    const DecodedDescriptor am40 = scalable256(0x0001234500030036ull, 0x0000000000000028ull);
    expect_ok(am40);
    EXPECT_EQ(am40.iotlb.address_mask, 40);
    EXPECT_EQ(am40.iotlb.last_address(), 0x000FFFFFFFFFFFFFull);
    // AM 63 spans the whole 64-bit space without overflowing.
    const DecodedDescriptor am63 = scalable256(0x0001234500030036ull, 0x000000000000003Full);
    expect_ok(am63);
    EXPECT_EQ(am63.iotlb.address, 0u);
    EXPECT_EQ(am63.iotlb.last_address(), 0xFFFFFFFFFFFFFFFFull);
    EXPECT_TRUE(am63.iotlb.covers_address(0xFFFF800000000000ull));
    // First-stage input addresses keep bits 63:48.
    const DecodedDescriptor high = scalable256(0x0001234500030036ull, 0xFFFF800012345000ull);
    expect_ok(high);
    EXPECT_EQ(high.iotlb.address, 0xFFFF800012345000ull);
}

TEST(VtdPasidIotlbDescriptor, Errors) {
    expect_error(scalable256(0x0001234500030006ull, 0), QueueError::reserved_field);  // G = 00
    expect_error(scalable256(0x0001234500030016ull, 0), QueueError::reserved_field);  // G = 01
    expect_error(scalable256(0x00012345000300B6ull, 0), QueueError::reserved_field);  // bit 7
    expect_error(scalable256(0x0011234500030036ull, 0), QueueError::reserved_field);  // bit 52
    expect_error(scalable256(0x0001234500030036ull, 0x100), QueueError::reserved_field);  // qw1 bit 8
    expect_error(scalable256(0x0001234500030036ull, 0, defaults(), 0x1), QueueError::reserved_field);  // qw2
    // Legacy mode, even in a 256-bit queue.
    expect_error(decode_descriptor({0x0001234500030036ull, 0, 0, 0}, DescriptorWidth::bits256,
                                   TranslationTableMode::legacy, defaults()),
                 QueueError::invalid_type);
}

// ---- PASID-cache (0x7) ------------------------------------------------------------------------

TEST(VtdPasidCacheDescriptor, Granularities) {
    // G = 00 domain-selective, DID 9, PASID 5 (ignored at this granularity).
    const DecodedDescriptor dom = scalable256(0x0000000500090007ull, 0);
    expect_ok(dom);
    EXPECT_EQ(dom.pasid_cache.granularity, PasidCacheGranularity::domain);
    EXPECT_EQ(dom.pasid_cache.domain_id, 9);
    EXPECT_EQ(dom.pasid_cache.pasid, 0u);
    // G = 01 PASID-selective.
    const DecodedDescriptor pasid = scalable256(0x0000000500090017ull, 0);
    expect_ok(pasid);
    EXPECT_EQ(pasid.pasid_cache.granularity, PasidCacheGranularity::pasid);
    EXPECT_EQ(pasid.pasid_cache.domain_id, 9);
    EXPECT_EQ(pasid.pasid_cache.pasid, 5u);
    EXPECT_EQ(describe(pasid), "PC g=pasid did=0x9 pasid=0x5");
    // G = 11 global.
    const DecodedDescriptor global = scalable256(0x0000000000000037ull, 0);
    expect_ok(global);
    EXPECT_EQ(global.pasid_cache.granularity, PasidCacheGranularity::global);
}

TEST(VtdPasidCacheDescriptor, Errors) {
    expect_error(scalable256(0x0000000000000027ull, 0), QueueError::reserved_field);    // G = 10
    expect_error(scalable256(0x0000000500090017ull, 0x1), QueueError::reserved_field);  // qw1
    expect_error(scalable256(0x0000000500091017ull, 0), QueueError::reserved_field);    // bit 12
    expect_error(legacy128(0x0000000500090017ull, 0), QueueError::invalid_type);        // legacy mode
}

// ---- device-TLB (0x3) and PASID-based device-TLB (0x8) ----------------------------------------

TEST(VtdDeviceTlbDescriptor, NeedsDeviceTlbSupport) {
    expect_error(legacy128(0x1230001000054003ull, 0x0000000012345001ull), QueueError::invalid_type);
}

TEST(VtdDeviceTlbDescriptor, Decoded) {
    Features dt = defaults();
    dt.device_tlb = true;
    // qw0: type 3, PFSID 0x1234 (PFSID[3:0] = 4 at [15:12], PFSID[15:4] = 0x123 at [63:52]),
    // MIP 5 at [20:16], SID 0x0010 at [47:32]. qw1: S (bit 0), ADDR 0x12345000.
    const DecodedDescriptor d = legacy128(0x1230001000054003ull, 0x0000000012345001ull, dt);
    expect_ok(d);
    EXPECT_EQ(d.device_tlb.source_id, 0x0010);
    EXPECT_EQ(d.device_tlb.pf_source_id, 0x1234);
    EXPECT_EQ(d.device_tlb.max_invs_pending, 5);
    EXPECT_TRUE(d.device_tlb.size);
    EXPECT_EQ(d.device_tlb.address, 0x12345000ull);
    expect_error(legacy128(0x1230001000054003ull, 0x0000000012345002ull, dt), QueueError::reserved_field);  // qw1 bit 1
    expect_error(legacy128(0x1230001000054013ull, 0x0000000012345001ull, dt), QueueError::reserved_field);  // bit 4
    expect_error(legacy128(0x1230001000254003ull, 0x0000000012345001ull, dt), QueueError::reserved_field);  // bit 21
}

TEST(VtdPasidDeviceTlbDescriptor, Decoded) {
    Features dt = defaults();
    dt.device_tlb = true;
    // qw0: type 8, MIP 3 at [8:4], PFSID 0x1234 as for type 3, SID 0x0010 at [31:16], PASID 0x12345
    // at [51:32]. qw1: GI (bit 0), S (bit 11), ADDR 0x12345000.
    const DecodedDescriptor d = scalable256(0x1231234500104038ull, 0x0000000012345801ull, dt);
    expect_ok(d);
    EXPECT_EQ(d.pasid_device_tlb.source_id, 0x0010);
    EXPECT_EQ(d.pasid_device_tlb.pasid, 0x12345u);
    EXPECT_EQ(d.pasid_device_tlb.pf_source_id, 0x1234);
    EXPECT_EQ(d.pasid_device_tlb.max_invs_pending, 3);
    EXPECT_TRUE(d.pasid_device_tlb.global);
    EXPECT_TRUE(d.pasid_device_tlb.size);
    EXPECT_EQ(d.pasid_device_tlb.address, 0x12345000ull);
    expect_error(scalable256(0x1231234500104038ull, 0x0000000012345803ull, dt), QueueError::reserved_field);  // qw1 bit 1
    expect_error(scalable256(0x1231234500104038ull, 0x0000000012345801ull), QueueError::invalid_type);  // no DT
}

// ---- interrupt entry cache (0x4) --------------------------------------------------------------

TEST(VtdInterruptEntryCacheDescriptor, GlobalAndIndexSelective) {
    const DecodedDescriptor global = legacy128(0x0000000000000004ull, 0);
    expect_ok(global);
    EXPECT_FALSE(global.interrupt_entry_cache.index_selective);
    // G (0x10), IM 3 at [31:27] (0x18000000), IIDX 0x42 at [47:32].
    const DecodedDescriptor index = legacy128(0x0000004218000014ull, 0);
    expect_ok(index);
    EXPECT_TRUE(index.interrupt_entry_cache.index_selective);
    EXPECT_EQ(index.interrupt_entry_cache.index_mask, 3);
    EXPECT_EQ(index.interrupt_entry_cache.interrupt_index, 0x42);
    expect_error(legacy128(0x0000000000001004ull, 0), QueueError::reserved_field);  // bit 12
    expect_error(legacy128(0x0000000000000004ull, 0x1), QueueError::reserved_field);  // qw1
}

// ---- page group response (0x9) ----------------------------------------------------------------

TEST(VtdPageGroupResponseDescriptor, DecodedWithPageRequests) {
    Features prs = defaults();
    prs.page_requests = true;
    // qw0: type 9, PP (0x10), RC 1 at [15:12], RID 0x0010 at [31:16], PASID 5 at [51:32].
    // qw1: PRGI 0x1FF at [11:3] (0xFF8) plus the ignored bit 2.
    const DecodedDescriptor d = scalable256(0x0000000500101019ull, 0x0000000000000FFCull, prs);
    expect_ok(d);
    EXPECT_EQ(d.page_group_response.requester_id, 0x0010);
    EXPECT_TRUE(d.page_group_response.pasid_present);
    EXPECT_EQ(d.page_group_response.pasid, 5u);
    EXPECT_EQ(d.page_group_response.response_code, 1);
    EXPECT_EQ(d.page_group_response.prg_index, 0x1FF);
    expect_error(scalable256(0x0000000500101019ull, 0x0000000000000FF9ull, prs), QueueError::reserved_field);  // qw1 bit 0
    expect_error(scalable256(0x0000000500101019ull, 0x0000000000000FF8ull), QueueError::invalid_type);  // no PRS
}

// ---- mode and width ---------------------------------------------------------------------------

TEST(VtdDescriptorMode, ScalableModeNeeds256BitDescriptors) {
    // A valid wait descriptor in a 128-bit queue while TTM = scalable.
    const DecodedDescriptor d = decode_descriptor({0x0000000000000045ull, 0, 0, 0}, DescriptorWidth::bits128,
                                                  TranslationTableMode::scalable, defaults());
    expect_error(d, QueueError::invalid_width);
}

TEST(VtdDescriptorMode, Wide256BitQueueNeedsScalableModeSupport) {
    Features legacy_only = defaults();
    legacy_only.scalable_mode = false;
    const DecodedDescriptor d = decode_descriptor({0x0000000000000045ull, 0, 0, 0}, DescriptorWidth::bits256,
                                                  TranslationTableMode::legacy, legacy_only);
    expect_error(d, QueueError::invalid_width);
    EXPECT_EQ(check_queue_mode(DescriptorWidth::bits128, TranslationTableMode::legacy, legacy_only), QueueError::none);
}

TEST(VtdDescriptorMode, InvalidTtm) {
    const DescriptorWords wait = {0x0000000000000045ull, 0, 0, 0};
    expect_error(decode_descriptor(wait, DescriptorWidth::bits256, TranslationTableMode::reserved, defaults()),
                 QueueError::invalid_ttm);
    expect_error(decode_descriptor(wait, DescriptorWidth::bits256, TranslationTableMode::abort_dma, defaults()),
                 QueueError::invalid_ttm);
    Features legacy_only = defaults();
    legacy_only.scalable_mode = false;
    expect_error(decode_descriptor(wait, DescriptorWidth::bits128, TranslationTableMode::scalable, legacy_only),
                 QueueError::invalid_ttm);
    EXPECT_EQ(translation_table_mode(0b10), TranslationTableMode::reserved);
    EXPECT_EQ(translation_table_mode(0b01), TranslationTableMode::scalable);
}

TEST(VtdDescriptorMode, LegacyDescriptorsIn256BitLegacyQueue) {
    // Types 0x1..0x5 are valid in a 256-bit legacy-mode queue; bits 255:128 must be zero.
    expect_ok(decode_descriptor({0x0000000000000045ull, 0, 0, 0}, DescriptorWidth::bits256,
                                TranslationTableMode::legacy, defaults()));
    expect_error(decode_descriptor({0x0000000000000045ull, 0, 0, 0x8000000000000000ull}, DescriptorWidth::bits256,
                                   TranslationTableMode::legacy, defaults()),
                 QueueError::reserved_field);
    // In a 128-bit queue the upper words are not part of the descriptor.
    expect_ok(decode_descriptor({0x0000000000000045ull, 0, ~0ull, ~0ull}, DescriptorWidth::bits128,
                                TranslationTableMode::legacy, defaults()));
}

TEST(VtdDescriptorMode, DescriptorWordsFromBytes) {
    std::array<std::uint8_t, 32> bytes{};
    for (unsigned i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i + 1);
    const DescriptorWords wide = descriptor_words(bytes.data(), DescriptorWidth::bits256);
    EXPECT_EQ(wide[0], 0x0807060504030201ull);
    EXPECT_EQ(wide[1], 0x100F0E0D0C0B0A09ull);
    EXPECT_EQ(wide[2], 0x1817161514131211ull);
    EXPECT_EQ(wide[3], 0x201F1E1D1C1B1A19ull);
    const DescriptorWords narrow = descriptor_words(bytes.data(), DescriptorWidth::bits128);
    EXPECT_EQ(narrow[1], 0x100F0E0D0C0B0A09ull);
    EXPECT_EQ(narrow[2], 0u);
    EXPECT_EQ(narrow[3], 0u);
}

// ---- invalidation queue registers -------------------------------------------------------------

TEST(VtdInvalidationQueue, Geometry128) {
    // IQA: base 0x123456000, QS 2 (16 KiB), DW 0.
    const InvalidationQueue queue = InvalidationQueue::from_iqa(0x0000000123456002ull, defaults());
    EXPECT_EQ(queue.base, 0x123456000ull);
    EXPECT_EQ(queue.width, DescriptorWidth::bits128);
    EXPECT_EQ(queue.size_bytes(), 0x4000u);
    EXPECT_EQ(queue.entries(), 1024u);  // 2^(2 + 8)
    EXPECT_EQ(queue.descriptor_bytes(), 16u);
    EXPECT_EQ(queue.descriptor_address(3), 0x123456030ull);
    EXPECT_EQ(queue.index_of(0x0000000000000120ull), 18u);           // 0x120 >> 4
    EXPECT_EQ(queue.index_of(0xFFFFFFFFFFF80128ull), 18u);           // bits outside [18:4] ignored
    EXPECT_EQ(queue.pointer_register(18), 0x120ull);
}

TEST(VtdInvalidationQueue, Geometry256) {
    // IQA: base 0x123456000, DW (0x800), QS 2.
    const InvalidationQueue queue = InvalidationQueue::from_iqa(0x0000000123456802ull, defaults());
    EXPECT_EQ(queue.width, DescriptorWidth::bits256);
    EXPECT_EQ(queue.entries(), 512u);  // 2^(2 + 7)
    EXPECT_EQ(queue.descriptor_bytes(), 32u);
    EXPECT_EQ(queue.descriptor_address(3), 0x123456060ull);
    EXPECT_EQ(queue.index_of(0x0000000000000120ull), 9u);  // 0x120 >> 5
    EXPECT_EQ(queue.pointer_register(9), 0x120ull);
}

TEST(VtdInvalidationQueue, BaseIgnoresLowBitsAndBitsAboveHaw) {
    // Bits 10:3 set (0x7F8) and bits 63:48 set; HAW 48.
    const InvalidationQueue queue = InvalidationQueue::from_iqa(0xFFFF0001234567F8ull, defaults());
    EXPECT_EQ(queue.base, 0x0000000123456000ull);
    EXPECT_EQ(queue.size_log2_pages, 0u);
    EXPECT_EQ(queue.width, DescriptorWidth::bits128);
}

TEST(VtdInvalidationQueue, LargestQueueAndWrap) {
    const InvalidationQueue largest = InvalidationQueue::from_iqa(0x0000000000000007ull, defaults());
    EXPECT_EQ(largest.entries(), 32768u);  // 2^(7 + 8)
    EXPECT_EQ(largest.size_bytes(), 0x80000u);
    const InvalidationQueue small = InvalidationQueue::from_iqa(0x0000000000001000ull, defaults());
    EXPECT_EQ(small.entries(), 256u);
    EXPECT_EQ(small.next_index(254), 255u);
    EXPECT_EQ(small.next_index(255), 0u);
}

TEST(VtdInvalidationQueue, TailChecks) {
    const InvalidationQueue narrow = InvalidationQueue::from_iqa(0x0000000000001000ull, defaults());  // 4 KiB
    EXPECT_EQ(check_tail(0x0000000000000FF0ull, narrow), QueueError::none);
    EXPECT_EQ(check_tail(0x0000000000000010ull, narrow), QueueError::none);  // bit 4 fine with 128-bit
    EXPECT_EQ(check_tail(0x0000000000001000ull, narrow), QueueError::invalid_tail);
    const InvalidationQueue wide = InvalidationQueue::from_iqa(0x0000000000001800ull, defaults());  // 4 KiB, DW
    EXPECT_EQ(check_tail(0x0000000000000FE0ull, wide), QueueError::none);
    EXPECT_EQ(check_tail(0x0000000000000010ull, wide), QueueError::tail_misaligned);
    EXPECT_EQ(check_tail(0x0000000000001010ull, wide), QueueError::tail_misaligned);  // misaligned first
    EXPECT_EQ(check_tail(0x0000000000001000ull, wide), QueueError::invalid_tail);
}

TEST(VtdInvalidationQueue, IqaWidthCheck) {
    EXPECT_EQ(check_iqa(0x0000000000001800ull, defaults()), QueueError::none);
    EXPECT_EQ(check_iqa(0x0000000000001000ull, defaults()), QueueError::none);
    Features legacy_only = defaults();
    legacy_only.scalable_mode = false;
    EXPECT_EQ(check_iqa(0x0000000000001800ull, legacy_only), QueueError::invalid_width);
    EXPECT_EQ(check_iqa(0x0000000000001000ull, legacy_only), QueueError::none);
}

TEST(VtdInvalidationQueue, IqeiNames) {
    EXPECT_STREQ(describe_iqei(0), "info not available");
    EXPECT_STREQ(describe_iqei(1), "invalid tail pointer");
    EXPECT_STREQ(describe_iqei(2), "descriptor fetch error");
    EXPECT_STREQ(describe_iqei(3), "invalid descriptor type");
    EXPECT_STREQ(describe_iqei(4), "reserved field violation");
    EXPECT_STREQ(describe_iqei(5), "invalid descriptor width");
    EXPECT_STREQ(describe_iqei(6), "queue tail misaligned");
    EXPECT_STREQ(describe_iqei(7), "invalid TTM");
    EXPECT_STREQ(describe_iqei(8), "undefined");
    EXPECT_STREQ(describe_iqei(15), "undefined");
    // The enum values are the architectural IQEI codes.
    EXPECT_EQ(static_cast<unsigned>(QueueError::invalid_tail), 1u);
    EXPECT_EQ(static_cast<unsigned>(QueueError::reserved_field), 4u);
    EXPECT_EQ(static_cast<unsigned>(QueueError::invalid_ttm), 7u);
}

TEST(VtdInvalidationQueue, ErrorDescription) {
    const DecodedDescriptor d = legacy128(0x0000000000000002ull, 0);
    EXPECT_EQ(describe(d), "IQE iqei=4 (reserved field violation) type=0x2: iotlb_inv_dsc granularity 00 (reserved)");
}

// ---- register-based invalidation --------------------------------------------------------------

TEST(VtdContextCommand, DeviceSelective) {
    // ICC (bit 63) | CIRG 11 (0x6000000000000000) | FM 2 at [33:32] | SID 0x0018 at [31:16] | DID 7.
    const std::uint64_t ccmd = 0xE000000200180007ull;
    const ContextCommand c = decode_context_command(ccmd, TranslationTableMode::legacy, defaults());
    ASSERT_TRUE(c.performed) << describe(c);
    EXPECT_EQ(c.invalidation.granularity, ContextGranularity::device);
    EXPECT_EQ(c.invalidation.domain_id, 7);
    EXPECT_EQ(c.invalidation.source_id, 0x0018);
    EXPECT_EQ(c.invalidation.function_mask, 2);
    EXPECT_TRUE(c.invalidation.covers(0x001E, 7));   // bits 2:1 masked
    EXPECT_FALSE(c.invalidation.covers(0x0019, 7));  // bit 0 is not
    EXPECT_EQ(c.actual_granularity(), 3u);
    // ICC cleared, CAIG 11 at [60:59] (0x1800000000000000).
    EXPECT_EQ(context_command_completion(ccmd, c), 0x7800000200180007ull);
    EXPECT_EQ(describe(c), "CCMD caig=3 CC g=device did=0x7 sid=0x18 fm=2");
}

TEST(VtdContextCommand, GlobalAndDomain) {
    const ContextCommand global = decode_context_command(0xA000000000000000ull, TranslationTableMode::legacy, defaults());
    ASSERT_TRUE(global.performed);
    EXPECT_EQ(global.invalidation.granularity, ContextGranularity::global);
    EXPECT_EQ(context_command_completion(0xA000000000000000ull, global), 0x2800000000000000ull);  // CAIG 01
    const ContextCommand domain = decode_context_command(0xC000000000000005ull, TranslationTableMode::legacy, defaults());
    ASSERT_TRUE(domain.performed);
    EXPECT_EQ(domain.invalidation.granularity, ContextGranularity::domain);
    EXPECT_EQ(domain.invalidation.domain_id, 5);
    EXPECT_EQ(context_command_completion(0xC000000000000005ull, domain), 0x5000000000000005ull);  // CAIG 10
    // A CAIG value written by software is replaced.
    EXPECT_EQ(context_command_completion(0xB800000000000000ull, global), 0x2800000000000000ull);
}

TEST(VtdContextCommand, Refused) {
    // CIRG 00.
    const ContextCommand reserved = decode_context_command(0x8000000000000005ull, TranslationTableMode::legacy, defaults());
    EXPECT_FALSE(reserved.performed);
    EXPECT_EQ(reserved.actual_granularity(), 0u);
    EXPECT_EQ(context_command_completion(0x8000000000000005ull, reserved), 0x0000000000000005ull);
    // Scalable mode.
    const ContextCommand scalable = decode_context_command(0xA000000000000000ull, TranslationTableMode::scalable, defaults());
    EXPECT_FALSE(scalable.performed);
    EXPECT_EQ(context_command_completion(0xA000000000000000ull, scalable), 0x2000000000000000ull);
    // Major version 6.
    Features v6 = defaults();
    v6.version_major = 6;
    EXPECT_FALSE(decode_context_command(0xA000000000000000ull, TranslationTableMode::legacy, v6).performed);
    EXPECT_EQ(describe(scalable), "CCMD caig=0 error: register-based invalidation with RTADDR.TTM != legacy");
}

TEST(VtdIotlbCommand, PageSelective) {
    // IOTLB_REG: IVT | IIRG 11 (0x3000000000000000) | DR (bit 49) | DW (bit 48) | DID 3 at [47:32].
    // IVA_REG: ADDR 0x12345000, IH (0x40), AM 2.
    const std::uint64_t iotlb = 0xB003000300000000ull;
    const IotlbCommand c = decode_iotlb_command(iotlb, 0x0000000012345042ull, TranslationTableMode::legacy, defaults());
    ASSERT_TRUE(c.performed) << describe(c);
    EXPECT_EQ(c.invalidation.granularity, IotlbGranularity::page);
    EXPECT_EQ(c.invalidation.domain_id, 3);
    EXPECT_EQ(c.invalidation.address, 0x12344000ull);
    EXPECT_EQ(c.invalidation.address_mask, 2);
    EXPECT_TRUE(c.invalidation.leaf_only);
    EXPECT_FALSE(c.invalidation.is_pasid_based());
    // IVT cleared, IAIG 11 at [58:57] (0x0600000000000000).
    EXPECT_EQ(iotlb_command_completion(iotlb, c), 0x3603000300000000ull);
}

TEST(VtdIotlbCommand, PageSelectiveWithoutPsiIsWidenedToDomain) {
    Features no_psi = defaults();
    no_psi.page_selective_invalidation = false;
    const std::uint64_t iotlb = 0xB003000300000000ull;
    const IotlbCommand c = decode_iotlb_command(iotlb, 0x0000000012345042ull, TranslationTableMode::legacy, no_psi);
    ASSERT_TRUE(c.performed);
    EXPECT_EQ(c.invalidation.requested, IotlbGranularity::page);
    EXPECT_EQ(c.invalidation.granularity, IotlbGranularity::domain);
    EXPECT_EQ(c.invalidation.address, 0u);
    EXPECT_EQ(c.actual_granularity(), 2u);
    EXPECT_EQ(iotlb_command_completion(iotlb, c), 0x3403000300000000ull);  // IAIG 10
    EXPECT_EQ(describe(c), "IOTLB_REG iaig=2 IOTLB g=domain(requested page) did=0x3 dr=1 dw=1");
}

TEST(VtdIotlbCommand, AddressMaskAboveMamvIsAnError) {
    const std::uint64_t iotlb = 0xB003000300000000ull;
    // IVA AM 19 > MAMV 18.
    const IotlbCommand c = decode_iotlb_command(iotlb, 0x0000000000000013ull, TranslationTableMode::legacy, defaults());
    EXPECT_FALSE(c.performed);
    EXPECT_EQ(iotlb_command_completion(iotlb, c), 0x3003000300000000ull);  // IAIG 00
}

TEST(VtdIotlbCommand, GlobalDomainAndRefusals) {
    const IotlbCommand global = decode_iotlb_command(0x9000000000000000ull, 0, TranslationTableMode::legacy, defaults());
    ASSERT_TRUE(global.performed);
    EXPECT_EQ(iotlb_command_completion(0x9000000000000000ull, global), 0x1200000000000000ull);  // IAIG 01
    Features narrow = defaults();
    narrow.domain_id_bits = 8;
    // IIRG 10, DID field 0x1203: an 8-bit domain ID keeps 0x03.
    const IotlbCommand domain = decode_iotlb_command(0xA000120300000000ull, 0, TranslationTableMode::legacy, narrow);
    ASSERT_TRUE(domain.performed);
    EXPECT_EQ(domain.invalidation.domain_id, 0x03);
    EXPECT_EQ(iotlb_command_completion(0xA000120300000000ull, domain), 0x2400120300000000ull);  // IAIG 10
    // IIRG 00, scalable mode.
    EXPECT_FALSE(decode_iotlb_command(0x8000000000000000ull, 0, TranslationTableMode::legacy, defaults()).performed);
    EXPECT_FALSE(decode_iotlb_command(0x9000000000000000ull, 0, TranslationTableMode::scalable, defaults()).performed);
}

TEST(VtdIotlbCommand, IvaReservedBitsIgnored) {
    // IVA bits 11:7 set (0xF80), AM 0, IH 0.
    const IotlbCommand c =
        decode_iotlb_command(0xB000000300000000ull, 0x0000000012345F80ull, TranslationTableMode::legacy, defaults());
    ASSERT_TRUE(c.performed);
    EXPECT_EQ(c.invalidation.address, 0x12345000ull);
    EXPECT_EQ(c.invalidation.address_mask, 0);
    EXPECT_FALSE(c.invalidation.leaf_only);
}

TEST(VtdInvalidationDescribe, ScalableContextCacheWidening) {
    const DecodedDescriptor d = scalable256(0x0000000000030021ull, 0);
    EXPECT_EQ(describe(d), "CC g=global(requested domain) (scalable: did ignored)");
}

TEST(VtdInvalidationDescribe, DecodedOnlyDescriptors) {
    EXPECT_EQ(describe(legacy128(0x0000004218000014ull, 0)), "IEC g=index iidx=0x42 im=3");
    Features dt = defaults();
    dt.device_tlb = true;
    EXPECT_EQ(describe(legacy128(0x1230001000054003ull, 0x0000000012345001ull, dt)),
              "DEVTLB sid=0x10 pfsid=0x1234 mip=5 s=1 addr=0x12345000");
}

}  // namespace
