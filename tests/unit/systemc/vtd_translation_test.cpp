// VT-d with translation enabled: a driver-like CPU leaves root, context, PASID and paging structures
// in memory, latches the root table and enables translation; the device's requests are translated,
// split at page boundaries, or terminated with a fault record. Encodings come from the VT-d
// specification (chapter 9) and the fact sheet, written by hand:
//   legacy root entry: P bit 0, CTP [63:12]; context entry: P 0, FPD 1, TT [3:2] (2 = pass-through),
//     SLPTPTR [63:12], AW [66:64] (2 = 48-bit, 4 levels), DID [87:72];
//   scalable root entry: LP 0, LCTP [63:12]; scalable context entry: P 0, PASIDE 3, PDTS [11:9],
//     PASIDDIRPTR [63:12], RID_PASID [83:64]; PASID directory entry: P 0, table pointer [63:12];
//     PASID-table entry: P 0, AW [4:2], PGTT [8:6] (1 first level, 2 second level, 3 nested),
//     SLPTPTR [63:12], DID [79:64], SRE 128, FLPTPTR [191:140];
//   second-level entry: R 0, W 1, address [51:12]; first-level entry: P 0, R/W 1, U/S 2, A 5, D 6;
//   fault record (high word): SID [15:0], PP 31, FR [39:32], PV [59:40], T 62 (1 = read), F 63;
//   IOTLB_REG: IVT 63, IIRG [61:60] (1 global), IAIG [58:57]; CCMD: ICC 63, CIRG [62:61];
//   descriptors: type [3:0]; IOTLB G [5:4] (3 page), DID [31:16], qw1 ADDR [63:12] AM [5:0];
//   wait: SW 5, status data [63:32], qw1 status address; IQT/IQH offset [18:4] (128-bit: index << 4).
#include "models/memory/sparse_memory.h"
#include "models/vtd/vtd.h"

#include "sc_test.h"
#include "unit/systemc/tlm_test_kit.h"
#include "unit/systemc/vtd_bench.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace iommu_vp {
namespace {

using testing::ns;
using testing::TestInitiator;
using namespace testing::vtd_bench;

class VtdTranslationTest : public iommu_vp::testing::ScTest {};

constexpr std::uint64_t kRootTable = 0x10'0000, kContextTable = 0x11'0000, kSecondLevel = 0x12'0000,
                        kQueue = 0x13'0000, kStatus = 0x14'0000, kPasidDirectory = 0x15'0000,
                        kPasidTable = 0x16'0000, kFirstLevel = 0x17'0000;
constexpr std::uint64_t kPage = 0x50'0000, kOtherPage = 0x60'0000, kFirstLevelPage = 0x70'0000;
// Input address with level indices 1, 2, 3, 4 (from level 4 down): (1 << 39) | (2 << 30) | (3 << 21) | (4 << 12).
constexpr std::uint64_t kIova = 0x0080'8060'4000ull;
constexpr unsigned kDevfn = 0x18;  // device 3, function 0 on bus 0: source-id 0x0018
constexpr std::uint16_t kDomain = 5;

void wait_until(double at_ns) { sc_core::wait(ns(at_ns) - sc_core::sc_time_stamp()); }

// Four levels of second-level tables at kSecondLevel mapping kIova -> kPage (read/write); kIova +
// 4 KiB is left unmapped.
void put_second_level(Bench& b) {
    b.put64(kSecondLevel + 1 * 8, (kSecondLevel + 0x1000) | 0x3);
    b.put64(kSecondLevel + 0x1000 + 2 * 8, (kSecondLevel + 0x2000) | 0x3);
    b.put64(kSecondLevel + 0x2000 + 3 * 8, (kSecondLevel + 0x3000) | 0x3);
    b.put64(kSecondLevel + 0x3000 + 4 * 8, kPage | 0x3);
}
constexpr std::uint64_t kLeafEntry = kSecondLevel + 0x3000 + 4 * 8;

// Legacy mode: bus 0's root entry, and a context entry for kDevfn translating through the tables.
void put_legacy_context(Bench& b) {
    b.put64(kRootTable, kContextTable | 1);
    b.put64(kContextTable + kDevfn * 16, kSecondLevel | 1);           // P, TT = 0
    b.put64(kContextTable + kDevfn * 16 + 8, 2 | (std::uint64_t{kDomain} << 8));  // AW = 48-bit, DID
    put_second_level(b);
}

void enable_translation(TestInitiator& cpu, std::uint64_t rtaddr = kRootTable, std::uint32_t keep = 0) {
    write64(cpu, RTADDR, rtaddr);
    command(cpu, keep | kSrtp, kSrtp, kSrtp);
    command(cpu, keep | kTe, kTe, kTe);
}

void enable_queue(TestInitiator& cpu, bool wide = false) {
    write64(cpu, IQT, 0);
    write64(cpu, IQA, kQueue | (wide ? 1u << 11 : 0));  // one page, 128- or 256-bit descriptors
    command(cpu, kQie, kQie, kQie);
}

std::uint64_t le(const std::vector<std::uint8_t>& bytes) {
    std::uint64_t v = 0;
    for (std::size_t i = bytes.size(); i-- > 0;) v = (v << 8) | bytes[i];
    return v;
}

TEST_F(VtdTranslationTest, LegacySecondLevelTranslatesAndSplitsAtThePageBoundary) {
    tlm::tlm_response_status write_status = tlm::TLM_INCOMPLETE_RESPONSE, straddle = tlm::TLM_INCOMPLETE_RESPONSE;
    std::uint64_t read_back = 0, frcd_lo = 0, frcd_hi = 0;
    std::uint32_t fsts = 0;
    const MasterAttrs dev = requester(0, 3, 0);
    Bench* bench = nullptr;
    Bench b(
        [&](TestInitiator& cpu) {
            put_legacy_context(*bench);
            enable_translation(cpu);
            wait_until(2000);
            fsts = read32(cpu, FSTS);
            frcd_lo = read64(cpu, FRCD0);
            frcd_hi = read64(cpu, FRCD0 + 8);
        },
        [&](TestInitiator& device) {
            wait_until(1000);
            write_status = dma_write(device, kIova + 0x10, {0x11, 0x22, 0x33, 0x44}, dev);
            read_back = le(dma_read(device, kIova + 0x10, 4, dev).data);
            // The last four bytes of the mapped page and the first four of the unmapped next one.
            straddle = dma_write(device, kIova + 0xffc, {1, 2, 3, 4, 5, 6, 7, 8}, dev);
        });
    bench = &b;
    sc_core::sc_start();
    EXPECT_EQ(write_status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(b.get64(kPage + 0x10) & 0xffff'ffff, 0x4433'2211u);
    EXPECT_EQ(read_back, 0x4433'2211u);
    EXPECT_EQ(straddle, tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(b.get64(kPage + 0xff8) >> 32, 0x0403'0201u);  // the first page's piece was performed
    EXPECT_EQ(fsts, 0x2u);                                   // PPF, FRI 0
    EXPECT_EQ(frcd_lo, kIova + 0x1000);                      // the second page faulted
    // F, FR 0x05 (write to a page with W = 0: the entry is not present), SID 0x18, write.
    EXPECT_EQ(frcd_hi, (1ull << 63) | (0x05ull << 32) | 0x18u);
}

TEST_F(VtdTranslationTest, IotlbAndContextCacheServeStaleEntriesUntilRegisterInvalidation) {
    std::vector<std::uint64_t> landed;  // where each of the device's writes went
    std::uint64_t iotlb_after = 1, ccmd_after = 1;
    tlm::tlm_response_status after_context = tlm::TLM_INCOMPLETE_RESPONSE;
    std::uint32_t frcd_fr = 0;
    const MasterAttrs dev = requester(0, 3, 0);
    Bench* bench = nullptr;
    sc_core::sc_event step, done;
    Bench b(
        [&](TestInitiator& cpu) {
            put_legacy_context(*bench);
            enable_translation(cpu);
            step.notify(sc_core::SC_ZERO_TIME);  // first access: fills the caches
            wait(done);
            bench->put64(kLeafEntry, kOtherPage | 0x3);  // remap without invalidating
            step.notify(sc_core::SC_ZERO_TIME);
            wait(done);
            write64(cpu, IOTLB_REG, (1ull << 63) | (1ull << 60));  // IVT, global
            while (read64(cpu, IOTLB_REG) >> 63) sc_core::wait(ns(10));
            iotlb_after = read64(cpu, IOTLB_REG);
            step.notify(sc_core::SC_ZERO_TIME);
            wait(done);
            bench->put64(kContextTable + kDevfn * 16, 0);  // remove the device without invalidating
            step.notify(sc_core::SC_ZERO_TIME);
            wait(done);
            write64(cpu, CCMD, (1ull << 63) | (1ull << 61));  // ICC, global
            while (read64(cpu, CCMD) >> 63) sc_core::wait(ns(10));
            ccmd_after = read64(cpu, CCMD);
            step.notify(sc_core::SC_ZERO_TIME);
            wait(done);
            frcd_fr = static_cast<std::uint32_t>(read64(cpu, FRCD0 + 8) >> 32) & 0xff;
        },
        [&](TestInitiator& device) {
            for (int i = 0; i < 5; ++i) {
                wait(step);
                const std::uint8_t marker = static_cast<std::uint8_t>(0xa0 + i);
                const tlm::tlm_response_status status = dma_write(device, kIova + 8 * i, {marker}, dev);
                if (i == 4) after_context = status;
                landed.push_back((bench->get64(kPage + 8 * i) & 0xff) == marker       ? kPage
                                 : (bench->get64(kOtherPage + 8 * i) & 0xff) == marker ? kOtherPage
                                                                                        : 0);
                done.notify(sc_core::SC_ZERO_TIME);
            }
        });
    bench = &b;
    sc_core::sc_start();
    ASSERT_EQ(landed.size(), 5u);
    EXPECT_EQ(landed[0], kPage);
    EXPECT_EQ(landed[1], kPage);       // stale: the IOTLB still holds the old translation
    EXPECT_EQ(landed[2], kOtherPage);  // after the global IOTLB invalidation
    EXPECT_EQ(iotlb_after, (1ull << 60) | (1ull << 57));  // IVT clear, IAIG = global
    EXPECT_EQ(landed[3], kOtherPage);  // stale context entry still used
    EXPECT_EQ(ccmd_after, (1ull << 61) | (1ull << 59));   // ICC clear, CAIG = global
    EXPECT_EQ(after_context, tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(landed[4], 0u);
    EXPECT_EQ(frcd_fr, 0x02u);  // context entry not present
}

TEST_F(VtdTranslationTest, QueuedPageInvalidationAndWaitStatusThenAnInvalidDescriptorStopsTheQueue) {
    std::vector<std::uint64_t> landed;
    std::uint64_t iqh_stopped = 0, iqercd = 0, iqh_final = 1;
    std::uint32_t fsts_stopped = 0, fsts_final = 1;
    const MasterAttrs dev = requester(0, 3, 0);
    Bench* bench = nullptr;
    sc_core::sc_event step, done;
    Bench b(
        [&](TestInitiator& cpu) {
            put_legacy_context(*bench);
            enable_queue(cpu);
            enable_translation(cpu, kRootTable, kQie);
            step.notify(sc_core::SC_ZERO_TIME);
            wait(done);
            bench->put64(kLeafEntry, kOtherPage | 0x3);
            // Page-selective IOTLB invalidation of kIova in domain 5, then a wait writing 0x1234.
            bench->put64(kQueue + 0x00, 0x2 | (3u << 4) | (std::uint64_t{kDomain} << 16));
            bench->put64(kQueue + 0x08, kIova);
            bench->put64(kQueue + 0x10, 0x5 | (1u << 5) | (0x1234ull << 32));
            bench->put64(kQueue + 0x18, kStatus);
            write64(cpu, IQT, 2 << 4);
            while (read64(cpu, IQH) != (2 << 4)) sc_core::wait(ns(10));
            step.notify(sc_core::SC_ZERO_TIME);
            wait(done);
            // Descriptor 2 has the reserved type 0; descriptor 3 is a wait writing 0x5678.
            bench->put64(kQueue + 0x20, 0x0);
            bench->put64(kQueue + 0x28, 0x0);
            bench->put64(kQueue + 0x30, 0x5 | (1u << 5) | (0x5678ull << 32));
            bench->put64(kQueue + 0x38, kStatus + 8);
            write64(cpu, IQT, 4 << 4);
            sc_core::wait(ns(500));
            iqh_stopped = read64(cpu, IQH);
            fsts_stopped = read32(cpu, FSTS);
            iqercd = read64(cpu, IQERCD);
            // Software fixes the descriptor (a wait without status write) and clears IQE.
            bench->put64(kQueue + 0x20, 0x5);
            write32(cpu, FSTS, kIqe);
            while (read64(cpu, IQH) != (4 << 4)) sc_core::wait(ns(10));
            iqh_final = read64(cpu, IQH);
            fsts_final = read32(cpu, FSTS);
        },
        [&](TestInitiator& device) {
            for (int i = 0; i < 2; ++i) {
                wait(step);
                const std::uint8_t marker = static_cast<std::uint8_t>(0xb0 + i);
                dma_write(device, kIova + 8 * i, {marker}, dev);
                landed.push_back((bench->get64(kPage + 8 * i) & 0xff) == marker ? kPage : kOtherPage);
                done.notify(sc_core::SC_ZERO_TIME);
            }
        });
    bench = &b;
    sc_core::sc_start();
    ASSERT_EQ(landed.size(), 2u);
    EXPECT_EQ(landed[0], kPage);
    EXPECT_EQ(landed[1], kOtherPage);  // the page-selective invalidation removed the stale entry
    EXPECT_EQ(b.get64(kStatus) & 0xffff'ffff, 0x1234u);
    EXPECT_EQ(iqh_stopped, 2u << 4);   // stopped at the bad descriptor
    EXPECT_EQ(fsts_stopped & kIqe, kIqe);
    EXPECT_EQ(iqercd & 0xf, 3u);       // IQEI: invalid descriptor type
    EXPECT_EQ(iqh_final, 4u << 4);
    EXPECT_EQ(fsts_final & kIqe, 0u);
    EXPECT_EQ(b.get64(kStatus + 8) & 0xffff'ffff, 0x5678u);  // the queue resumed after IQE was cleared
}

TEST_F(VtdTranslationTest, FaultProcessingDisableSuppressesQualifiedFaultsOnly) {
    std::uint32_t fsts_after_fpd = 1, fsts_after_plain = 0;
    std::uint64_t frcd_hi = 0;
    Bench* bench = nullptr;
    Bench b(
        [&](TestInitiator& cpu) {
            bench->put64(kRootTable, kContextTable | 1);
            bench->put64(kContextTable + 0x20 * 16, 0x2);  // devfn 0x20: not present, FPD
            enable_translation(cpu);
            wait_until(1500);
            fsts_after_fpd = read32(cpu, FSTS);
            wait_until(2500);
            fsts_after_plain = read32(cpu, FSTS);
            frcd_hi = read64(cpu, FRCD0 + 8);
        },
        [&](TestInitiator& device) {
            wait_until(1000);
            dma_read(device, 0x1000, 4, requester(0, 4, 0));  // devfn 0x20
            wait_until(2000);
            dma_read(device, 0x1000, 4, requester(1, 0, 0));  // bus 1: no root entry, never qualified
        });
    bench = &b;
    sc_core::sc_start();
    EXPECT_EQ(fsts_after_fpd, 0u);
    EXPECT_EQ(fsts_after_plain, 0x2u);
    // F, T = read, FR 0x01 (root entry not present), SID 0x0100.
    EXPECT_EQ(frcd_hi, (1ull << 63) | (1ull << 62) | (0x01ull << 32) | 0x0100u);
}

TEST_F(VtdTranslationTest, PassThroughAndInterruptRequestsAreNotRemapped) {
    tlm::tlm_response_status pt = tlm::TLM_INCOMPLETE_RESPONSE, msi = tlm::TLM_INCOMPLETE_RESPONSE;
    Bench* bench = nullptr;
    Bench b(
        [&](TestInitiator& cpu) {
            bench->put64(kRootTable, kContextTable | 1);
            bench->put64(kContextTable + 0x28 * 16, (2u << 2) | 1);  // devfn 0x28: P, TT = pass-through
            bench->put64(kContextTable + 0x28 * 16 + 8, 2 | (9u << 8));
            enable_translation(cpu);
        },
        [&](TestInitiator& device) {
            wait_until(1000);
            pt = dma_write(device, 0x12'3450, {0x77}, requester(0, 5, 0));
            // An untranslated write to the interrupt range from a device with no context at all.
            msi = dma_write(device, 0xfee0'0000, {0x41, 0, 0, 0}, requester(2, 0, 0));
        });
    bench = &b;
    sc_core::sc_start();
    EXPECT_EQ(pt, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(b.get64(0x12'3450) & 0xff, 0x77u);
    EXPECT_EQ(msi, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(b.get64(0xfee0'0000) & 0xff, 0x41u);
}

TEST_F(VtdTranslationTest, ScalableModeFirstLevelSetsAccessedAndDirtyAndRidPasidUsesSecondLevel) {
    tlm::tlm_response_status pasid_5 = tlm::TLM_INCOMPLETE_RESPONSE, without = tlm::TLM_INCOMPLETE_RESPONSE,
                             unknown_pasid = tlm::TLM_INCOMPLETE_RESPONSE;
    std::uint64_t frcd_hi = 0;
    const MasterAttrs dev = requester(0, 3, 0);
    Bench* bench = nullptr;
    Bench b(
        [&](TestInitiator& cpu) {
            Bench& m = *bench;
            m.put64(kRootTable, kContextTable | 1);                      // LP, LCTP
            m.put64(kContextTable + kDevfn * 32, kPasidDirectory | (1u << 3) | 1);  // P, PASIDE, PDTS 0
            m.put64(kPasidDirectory, kPasidTable | 1);                   // PASIDs 0..63
            // PASID 0 (RID_PASID): second level only, AW 48-bit, DID 7.
            m.put64(kPasidTable, kSecondLevel | (2u << 6) | (2u << 2) | 1);
            m.put64(kPasidTable + 8, 7);
            // PASID 5: first level only, DID 8, SRE, 4-level FLPTPTR.
            m.put64(kPasidTable + 5 * 64, (1u << 6) | 1);
            m.put64(kPasidTable + 5 * 64 + 8, 8);
            m.put64(kPasidTable + 5 * 64 + 16, kFirstLevel | 1);
            m.put64(kFirstLevel + 1 * 8, (kFirstLevel + 0x1000) | 0x7);  // P, R/W, U/S
            m.put64(kFirstLevel + 0x1000 + 2 * 8, (kFirstLevel + 0x2000) | 0x7);
            m.put64(kFirstLevel + 0x2000 + 3 * 8, (kFirstLevel + 0x3000) | 0x7);
            m.put64(kFirstLevel + 0x3000 + 4 * 8, kFirstLevelPage | 0x7);
            put_second_level(m);
            enable_translation(cpu, kRootTable | kTtmScalable);
            wait_until(20000);  // after the device's three requests and their walks
            frcd_hi = read64(cpu, FRCD0 + 8);
        },
        [&](TestInitiator& device) {
            wait_until(1000);
            pasid_5 = dma_write(device, kIova + 0x20, {0x5a}, with_pasid(dev, 5));
            without = dma_write(device, kIova + 0x20, {0xa5}, dev);
            unknown_pasid = dma_read(device, kIova, 4, with_pasid(dev, 6)).status;
        });
    bench = &b;
    sc_core::sc_start();
    EXPECT_EQ(pasid_5, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(b.get64(kFirstLevelPage + 0x20) & 0xff, 0x5au);
    // Accessed (bit 5) on every entry used, dirty (bit 6) on the leaf of the write.
    EXPECT_EQ(b.get64(kFirstLevel + 1 * 8), (kFirstLevel + 0x1000) | 0x27);
    EXPECT_EQ(b.get64(kFirstLevel + 0x1000 + 2 * 8), (kFirstLevel + 0x2000) | 0x27);
    EXPECT_EQ(b.get64(kFirstLevel + 0x2000 + 3 * 8), (kFirstLevel + 0x3000) | 0x27);
    EXPECT_EQ(b.get64(kFirstLevel + 0x3000 + 4 * 8), kFirstLevelPage | 0x67);
    EXPECT_EQ(without, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(b.get64(kPage + 0x20) & 0xff, 0xa5u);
    EXPECT_EQ(unknown_pasid, tlm::TLM_GENERIC_ERROR_RESPONSE);
    // F, T = read, PV 6, FR 0x59 (PASID entry not present), PP, SID 0x18.
    EXPECT_EQ(frcd_hi, (1ull << 63) | (1ull << 62) | (6ull << 40) | (0x59ull << 32) | (1ull << 31) | 0x18u);
}

}  // namespace
}  // namespace iommu_vp
