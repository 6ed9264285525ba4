// SMMUv3 range invalidation (IDR3.RIL, SMMUv3 4.4.1.1) and the EL2 translation regimes (IDR0.Hyp,
// STE.STRW, SMMU_CR2.E2H; 4.4.2.7 .. 4.4.2.10, 5.2, 6.3.12), at register and memory level: a
// driver-like CPU leaves the stream table, CDs and stage-1 tables in memory, enables the SMMU and
// posts commands; a device writes through it. Stale translations are made visible by remapping
// pages in memory without telling the SMMU: a write lands in the old page until the invalidation
// the specification requires has completed (CMD_SYNC consumed).
// Encodings written here from the specification. STE (5.2): V [0], Config [3:1] (0b101 stage 1),
// S1ContextPtr [51:6]; STRW [95:94] = word 1 [31:30] (0b00 EL1, 0b10 EL2/EL2-E2H, 0bx1 reserved).
// CD (5.4): T0SZ [5:0], TG0 [7:6], EPD1 [30], V [31], IPS [34:32], AA64 [41], R [45], A [46], ASID
// [63:48]; TTB0 in word 1. Page descriptors: 0b11, AP[2:1] [7:6] = 0b01, AF [10]. Commands (4.1.1,
// 4.4): opcode [7:0], NUM [16:12], SCALE [24:20], VMID [47:32], ASID [63:48]; Leaf [64], TTL
// [73:72], TG [75:74], Address [127:76]; TLBI_NH_ALL 0x10, NH_ASID 0x11, NH_VA 0x12, EL2_ALL 0x20,
// EL2_ASID 0x21, EL2_VA 0x22, S12_VMALL 0x28, NSNH_ALL 0x30, CMD_SYNC 0x46. Registers (6.3): IDR0.Hyp
// [9], IDR3 (0x0C) RIL [10], CR2 (0x2C) E2H [0] RECINVSID [1], STRTAB_BASE 0x80, STRTAB_BASE_CFG
// 0x88, EVTQ_BASE 0xA0, EVTQ_PROD 0x100A8. Event records (7.3): EventID [7:0], StreamID [63:32];
// C_BAD_STE = 0x04.
#include "models/memory/sparse_memory.h"
#include "models/smmuv3/smmuv3.h"

#include "sc_test.h"
#include "unit/systemc/smmuv3_bench.h"
#include "unit/systemc/tlm_test_kit.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace iommu_vp {
namespace {

using namespace testing::smmuv3_bench;

constexpr std::uint64_t IDR3 = 0x0c, CR2 = 0x2c, STRTAB_BASE = 0x80, STRTAB_BASE_CFG = 0x88, EVTQ_BASE = 0xa0,
                        EVTQ_PROD = 0x100a8;
constexpr std::uint32_t kSmmuEn = 1u << 0, kEvtqEn = 1u << 2, kCmdqEn = 1u << 3;
constexpr std::uint32_t kCr2E2h = 1u << 0;

constexpr std::uint64_t kStreamTable = 0x1'0000, kCds = 0x2'0000, kTables = 0x3'0000, kOtherL3 = 0x3'8000,
                        kEventQueue = 0x6'0000, kCommandQueue = 0x7'0000;
constexpr unsigned kQueueLog2 = 4;              // 16 commands
constexpr std::uint64_t kOldPages = 0x8'0000;  // page i of the VA range maps to kOldPages + i * 4 KiB...
constexpr std::uint64_t kNewPages = 0xa'0000;  // ...until the test remaps it to kNewPages + i * 4 KiB
constexpr unsigned kPages = 8;
// VA of page 0, level indices 1, 2, 3, 0 (4 KiB granule, 48-bit VA): (1 << 39) | (2 << 30) | (3 << 21).
constexpr std::uint64_t kVa = 0x0000'0080'8060'0000ull;
constexpr std::uint64_t va(unsigned page) { return kVa + page * 0x1000ull; }

constexpr std::uint32_t kEl1Stream = 3, kEl2Stream = 4, kBadStream = 5;
constexpr unsigned kEl1CdAsid = 1, kEl2CdAsid = 7;  // the CDs' ASIDs

// ---- memory -------------------------------------------------------------------------------------

void put64(SparseMemory& m, std::uint64_t address, std::uint64_t value) {
    std::uint8_t b[8];
    for (unsigned i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(value >> (8 * i));
    m.store().write(address, b, 8);
}
std::uint64_t get64(SparseMemory& m, std::uint64_t address) {
    std::uint8_t b[8] = {};
    m.store().read(address, b, 8);
    std::uint64_t v = 0;
    for (unsigned i = 8; i-- > 0;) v = (v << 8) | b[i];
    return v;
}
std::uint8_t byte_at(SparseMemory& m, std::uint64_t address) { return static_cast<std::uint8_t>(get64(m, address)); }

constexpr std::uint64_t table(std::uint64_t address) { return address | 0b11; }
constexpr std::uint64_t page(std::uint64_t address) { return address | 0b11 | (1ull << 10) | (0b01ull << 6); }

// STE: valid, stage 1 only, the CD at `cd`, STRW as given.
void put_ste(SparseMemory& m, std::uint32_t sid, std::uint64_t cd, unsigned strw) {
    put64(m, kStreamTable + sid * 64, 1u | (0b101u << 1) | cd);
    put64(m, kStreamTable + sid * 64 + 8, std::uint64_t{strw} << 30);
}
// CD: T0SZ 16 (48-bit VA), 4 KiB granule, EPD1, V, IPS 48 bits, AA64, R, A, the ASID; TTB0 = kTables.
void put_cd(SparseMemory& m, std::uint64_t address, unsigned asid) {
    put64(m, address, 16u | (1ull << 30) | (1ull << 31) | (5ull << 32) | (1ull << 41) | (1ull << 45) | (1ull << 46) |
                          (std::uint64_t{asid} << 48));
    put64(m, address + 8, kTables);
}
// Stage-1 tables shared by every stream: levels 0, 1, 2, then the level-3 table `l3`, whose entries
// 0 .. kPages - 1 map the pages at `pages`.
void put_l3(SparseMemory& m, std::uint64_t l3, std::uint64_t pages) {
    for (unsigned i = 0; i < kPages; ++i) put64(m, l3 + i * 8, page(pages + i * 0x1000ull));
}
void put_tables(SparseMemory& m) {
    put64(m, kTables + 1 * 8, table(kTables + 0x1000));
    put64(m, kTables + 0x1000 + 2 * 8, table(kTables + 0x2000));
    put64(m, kTables + 0x2000 + 3 * 8, table(kTables + 0x3000));
    put_l3(m, kTables + 0x3000, kOldPages);
    put_ste(m, kEl1Stream, kCds, 0b00);
    put_cd(m, kCds, kEl1CdAsid);
    put_ste(m, kEl2Stream, kCds + 64, 0b10);
    put_cd(m, kCds + 64, kEl2CdAsid);
}
// Remaps page i of the VA range to kNewPages + i * 4 KiB, without telling the SMMU.
void remap(SparseMemory& m, unsigned i) { put64(m, kTables + 0x3000 + i * 8, page(kNewPages + i * 0x1000ull)); }

// ---- commands -----------------------------------------------------------------------------------

constexpr std::uint64_t at(std::uint64_t value, unsigned lsb) { return value << lsb; }
struct Command {
    std::uint64_t dw0 = 0, dw1 = 0;
};
struct Range {
    unsigned num = 0, scale = 0, ttl = 0, tg = 0;
    bool leaf = true;
};
Command tlbi_va(std::uint8_t opcode, std::uint64_t address, unsigned asid, const Range& r = {}) {
    return {opcode | at(r.num, 12) | at(r.scale, 20) | at(asid, 48),
            (r.leaf ? 1u : 0u) | at(r.ttl, 8) | at(r.tg, 10) | (address & ~0xfffull)};
}
Command opcode_asid(std::uint8_t opcode, unsigned asid = 0) { return {opcode | at(asid, 48), 0}; }
constexpr std::uint8_t kNhAll = 0x10, kNhAsid = 0x11, kNhVa = 0x12, kEl2All = 0x20, kEl2Asid = 0x21, kEl2Va = 0x22,
                       kS12Vmall = 0x28, kNsnhAll = 0x30, kSync = 0x46;

// A driver-like CPU: the tables, the enable sequence, and commands posted with a CMD_SYNC and waited
// for; the device's writes issued from the same thread, in order.
struct Driver {
    Bench& bench;
    TestInitiator& cpu;
    unsigned prod = 0;  // commands posted so far

    SparseMemory& memory() { return *bench.memory; }

    void enable(std::uint32_t cr2 = 0) {
        put_tables(memory());
        write32(cpu, CR2, cr2);
        write32(cpu, STRTAB_BASE, static_cast<std::uint32_t>(kStreamTable));
        write32(cpu, STRTAB_BASE_CFG, 4);  // linear, 16 StreamIDs
        write32(cpu, EVTQ_BASE, static_cast<std::uint32_t>(kEventQueue | 3));
        write32(cpu, CMDQ_BASE, static_cast<std::uint32_t>(kCommandQueue | kQueueLog2));
        write32(cpu, CR0, kSmmuEn | kEvtqEn | kCmdqEn);
        while (read32(cpu, CR0ACK) != (kSmmuEn | kEvtqEn | kCmdqEn)) sc_core::wait(ns(10));
    }
    // Posts `commands` and a CMD_SYNC (CS = SIG_NONE), then polls CMDQ_CONS until all are consumed.
    void invalidate(const std::vector<Command>& commands) {
        std::vector<Command> all = commands;
        all.push_back(Command{kSync, 0});
        for (const Command& c : all) {
            const std::uint64_t slot = kCommandQueue + 16 * (prod % (1u << kQueueLog2));
            put64(memory(), slot, c.dw0);
            put64(memory(), slot + 8, c.dw1);
            ++prod;
        }
        const std::uint32_t pointer = prod % (2u << kQueueLog2);  // index and wrap bit
        write32(cpu, CMDQ_PROD, pointer);
        while (read32(cpu, CMDQ_CONS) != pointer) sc_core::wait(ns(10));
    }
    // The device writes `value` at page i of the VA range through `sid`.
    tlm::tlm_response_status write(std::uint32_t sid, unsigned i, std::uint8_t value) {
        MasterAttrs attrs;
        attrs.stream_id = sid;
        const testing::LtResult r = bench.device->write(va(i), {value}, sc_core::SC_ZERO_TIME, &attrs);
        sc_core::wait(r.delay);
        return r.status;
    }
    void write_pages(std::uint32_t sid, std::uint8_t value) {
        for (unsigned i = 0; i < kPages; ++i) EXPECT_EQ(write(sid, i, value), tlm::TLM_OK_RESPONSE) << i;
    }
    // Where the last write to page i landed: 'o' the old page, 'n' the new one, '?' neither.
    char landed(unsigned i, std::uint8_t value) {
        if (byte_at(memory(), kNewPages + i * 0x1000ull) == value) return 'n';
        if (byte_at(memory(), kOldPages + i * 0x1000ull) == value) return 'o';
        return '?';
    }
    std::string landed_all(std::uint8_t value) {
        std::string s;
        for (unsigned i = 0; i < kPages; ++i) s += landed(i, value);
        return s;
    }
    std::uint64_t walks(std::uint32_t sid) {
        for (const StatsGroup& child : bench.smmu->stats().children()) {
            if (child.name() != "streams") continue;
            for (const StatsGroup& stream : child.children())
                if (stream.name() == "stream_0x" + std::to_string(sid)) return stream.find_counter("walks")->value;
        }
        return 0;
    }
};

// A bench whose CPU thread runs `script` with a Driver; `adjust` sets the SMMU's features.
void run(const std::function<void(Smmuv3Params&)>& adjust, const std::function<void(Driver&)>& script) {
    Bench* self = nullptr;
    Bench bench(
        [&](TestInitiator& cpu) {
            Driver driver{*self, cpu};
            script(driver);
        },
        idle, false, adjust);
    self = &bench;
    sc_core::sc_start();
}

void with_ril(Smmuv3Params& p) { p.features.range_invalidation = true; }
void with_hyp(Smmuv3Params& p) {
    p.features.hyp = true;
    p.features.range_invalidation = true;
}

class Smmuv3El2RangeTest : public iommu_vp::testing::ScTest {};

// ---- identification and CR2 ---------------------------------------------------------------------

// IDR0.Hyp [9], IDR3.RIL [10] and CR2.E2H [0] as software reads them after writing E2H = 1.
std::array<std::uint32_t, 3> identification(const std::function<void(Smmuv3Params&)>& adjust) {
    std::array<std::uint32_t, 3> seen{};
    run(adjust, [&](Driver& d) {
        write32(d.cpu, CR2, kCr2E2h);
        seen = {(read32(d.cpu, IDR0) >> 9) & 1, (read32(d.cpu, IDR3) >> 10) & 1, read32(d.cpu, CR2) & kCr2E2h};
    });
    return seen;
}

TEST_F(Smmuv3El2RangeTest, HypAndRilAreAdvertisedAndCr2E2hIsWritable) {
    EXPECT_EQ(identification(with_hyp), (std::array<std::uint32_t, 3>{1, 1, 1}));
}

TEST_F(Smmuv3El2RangeTest, ByDefaultNeitherIsAdvertisedAndE2hIsRes0) {
    EXPECT_EQ(identification({}), (std::array<std::uint32_t, 3>{0, 0, 0}));  // 6.3.1, 6.3.4, 6.3.12
}

TEST_F(Smmuv3El2RangeTest, Cr2IsReadOnlyOnceTheSmmuIsEnabled) {
    std::uint32_t cr2 = 0;
    run(with_hyp, [&](Driver& d) {
        d.enable(0);
        write32(d.cpu, CR2, kCr2E2h | (1u << 1));  // ignored while SMMUEN == 1 (6.3.12)
        cr2 = read32(d.cpu, CR2);
    });
    EXPECT_EQ(cr2, 0u);
}

// ---- range invalidation -------------------------------------------------------------------------

TEST_F(Smmuv3El2RangeTest, RangeTlbiReWalksThePagesInTheRangeOnly) {
    std::string filled, stale, after_range, after_other_granule, after_scale;
    run(with_ril, [&](Driver& d) {
        d.enable();
        d.write_pages(kEl1Stream, 0x11);  // eight TLB entries
        filled = d.landed_all(0x11);
        for (unsigned i = 0; i < kPages; ++i) remap(d.memory(), i);
        d.write_pages(kEl1Stream, 0x22);
        stale = d.landed_all(0x22);
        // Pages 2..5: TG 4 KiB, NUM 3, SCALE 0 ((3 + 1) * 2^0 pages), TTL 3, Leaf, from page 2.
        d.invalidate({tlbi_va(kNhVa, va(2), kEl1CdAsid, {3, 0, 3, 1, true})});
        d.write_pages(kEl1Stream, 0x33);
        after_range = d.landed_all(0x33);
        // The whole range again with TG 64 KiB: the entries were inserted with 4 KiB tables, outside
        // the scope TG names (4.4.1.1), so they stay.
        d.invalidate({tlbi_va(kNhVa, kVa, kEl1CdAsid, {0, 0, 3, 3, true})});
        d.write_pages(kEl1Stream, 0x44);
        after_other_granule = d.landed_all(0x44);
        // Pages 0..7 by SCALE: NUM 0, SCALE 3 (2^3 pages), TTL 0.
        d.invalidate({tlbi_va(kNhVa, kVa, kEl1CdAsid, {0, 3, 0, 1, true})});
        d.write_pages(kEl1Stream, 0x55);
        after_scale = d.landed_all(0x55);
    });
    EXPECT_EQ(filled, "oooooooo");
    EXPECT_EQ(stale, "oooooooo");          // every page served from the TLB
    EXPECT_EQ(after_range, "oonnnnoo");    // re-walked inside the range, stale outside it
    EXPECT_EQ(after_other_granule, "oonnnnoo");
    EXPECT_EQ(after_scale, "nnnnnnnn");
}

TEST_F(Smmuv3El2RangeTest, WithoutRilTheRangeFieldsAreIgnored) {
    std::string after;
    run({}, [&](Driver& d) {
        d.enable();
        d.write_pages(kEl1Stream, 0x11);
        for (unsigned i = 0; i < kPages; ++i) remap(d.memory(), i);
        // The same range command as above on an SMMU without RIL: NUM/SCALE/TTL/TG are RES0, so this
        // is CMD_TLBI_NH_VA of page 2 alone.
        d.invalidate({tlbi_va(kNhVa, va(2), kEl1CdAsid, {3, 0, 3, 1, true})});
        d.write_pages(kEl1Stream, 0x22);
        after = d.landed_all(0x22);
    });
    EXPECT_EQ(after, "oonooooo");
}

TEST_F(Smmuv3El2RangeTest, LeafRangeKeepsTheWalkCacheAndNonLeafRangeDropsIt) {
    std::string after_leaf, after_non_leaf;
    std::uint64_t walks_filled = 0, walks_after_leaf = 0;
    run(with_ril, [&](Driver& d) {
        d.enable();
        d.write_pages(kEl1Stream, 0x11);
        walks_filled = d.walks(kEl1Stream);
        // Point the level-2 entry at another level-3 table that maps the new pages: the walk cache
        // still holds the old level-3 table's address.
        put_l3(d.memory(), kOtherL3, kNewPages);
        put64(d.memory(), kTables + 0x2000 + 3 * 8, table(kOtherL3));
        // Leaf = 1 over pages 0..3: the TLB entries go, the walk-cache entries stay (4.4.2.4), so the
        // re-walks use the old level-3 table.
        d.invalidate({tlbi_va(kNhVa, kVa, kEl1CdAsid, {3, 0, 3, 1, true})});
        d.write_pages(kEl1Stream, 0x22);
        after_leaf = d.landed_all(0x22);
        walks_after_leaf = d.walks(kEl1Stream);
        // Leaf = 0 over pages 0..1 (as Linux sends it: TTL 0, NUM 1): the table entries covering the
        // range go too; pages 2..7 are still in the TLB.
        d.invalidate({tlbi_va(kNhVa, kVa, kEl1CdAsid, {1, 0, 0, 1, false})});
        d.write_pages(kEl1Stream, 0x33);
        after_non_leaf = d.landed_all(0x33);
    });
    EXPECT_EQ(walks_filled, kPages);
    EXPECT_EQ(after_leaf, "oooooooo");
    EXPECT_EQ(walks_after_leaf, kPages + 4);  // pages 0..3 were walked again
    EXPECT_EQ(after_non_leaf, "nnoooooo");
}

// ---- EL2 streams --------------------------------------------------------------------------------

TEST_F(Smmuv3El2RangeTest, El2EntriesSurviveEl1InvalidationAndGoWithTlbiEl2All) {
    std::string el1_after_nh, el2_after_nh, el2_after_el2_all;
    run(with_hyp, [&](Driver& d) {
        d.enable(0);  // E2H = 0: stream 4 (STRW 0b10) is NS-EL2, without ASID or VMID
        d.write_pages(kEl1Stream, 0x11);
        d.write_pages(kEl2Stream, 0x12);
        for (unsigned i = 0; i < kPages; ++i) remap(d.memory(), i);
        // Every EL1 and stage-2 invalidation, by VMID 0 (what the EL1 stream carries), the EL1
        // ASID, the EL2 CD's ASID and by address: none names an NS-EL2 entry (4.4.2.1 .. 4.4.2.4,
        // 4.4.3.2, 4.4.4.1).
        d.invalidate({opcode_asid(kNhAll), opcode_asid(kNhAsid, kEl1CdAsid), opcode_asid(kNhAsid, kEl2CdAsid),
                      tlbi_va(kNhVa, va(0), kEl2CdAsid), opcode_asid(kS12Vmall), opcode_asid(kNsnhAll)});
        d.write_pages(kEl1Stream, 0x21);
        el1_after_nh = d.landed_all(0x21);
        d.write_pages(kEl2Stream, 0x22);
        el2_after_nh = d.landed_all(0x22);
        d.invalidate({opcode_asid(kEl2All)});
        d.write_pages(kEl2Stream, 0x32);
        el2_after_el2_all = d.landed_all(0x32);
    });
    EXPECT_EQ(el1_after_nh, "nnnnnnnn");
    EXPECT_EQ(el2_after_nh, "oooooooo");
    EXPECT_EQ(el2_after_el2_all, "nnnnnnnn");
}

TEST_F(Smmuv3El2RangeTest, El2VaWithoutE2hIgnoresTheAsidAndTakesARange) {
    std::string after;
    run(with_hyp, [&](Driver& d) {
        d.enable(0);
        d.write_pages(kEl2Stream, 0x11);
        for (unsigned i = 0; i < kPages; ++i) remap(d.memory(), i);
        // E2H == 0: NS-EL2 entries by VA, whatever the ASID field says (4.4.2.8); pages 4..7.
        d.invalidate({tlbi_va(kEl2Va, va(4), 0x3ff, {1, 1, 3, 1, true})});
        d.write_pages(kEl2Stream, 0x22);
        after = d.landed_all(0x22);
    });
    EXPECT_EQ(after, "oooonnnn");
}

TEST_F(Smmuv3El2RangeTest, El2E2hEntriesGoWithTlbiEl2VaAndEl2AsidOfTheirAsid) {
    std::string after_el1_and_other_asid, after_el2_va, after_el2_asid;
    run(with_hyp, [&](Driver& d) {
        d.enable(kCr2E2h);  // stream 4 is NS-EL2-E2H: its entries carry the CD's ASID (7)
        d.write_pages(kEl2Stream, 0x11);
        for (unsigned i = 0; i < kPages; ++i) remap(d.memory(), i);
        d.invalidate({opcode_asid(kNhAll), opcode_asid(kNhAsid, kEl2CdAsid), opcode_asid(kNsnhAll),
                      opcode_asid(kEl2Asid, kEl2CdAsid + 1)});
        d.write_pages(kEl2Stream, 0x22);
        after_el1_and_other_asid = d.landed_all(0x22);
        // EL2_VA over pages 0 and 1 (NUM 1): with E2H it takes the entries of its ASID and the global
        // ones (4.4.2.8); these pages are global (nG == 0).
        d.invalidate({tlbi_va(kEl2Va, va(0), kEl2CdAsid, {1, 0, 3, 1, true})});
        d.write_pages(kEl2Stream, 0x33);
        after_el2_va = d.landed_all(0x33);
        // EL2_ASID takes non-global entries only (4.4.2.10): these global ones stay.
        d.invalidate({opcode_asid(kEl2Asid, kEl2CdAsid)});
        d.write_pages(kEl2Stream, 0x44);
        after_el2_asid = d.landed_all(0x44);
    });
    EXPECT_EQ(after_el1_and_other_asid, "oooooooo");
    EXPECT_EQ(after_el2_va, "nnoooooo");
    EXPECT_EQ(after_el2_asid, "nnoooooo");
}

TEST_F(Smmuv3El2RangeTest, El2AsidRemovesTheNonGlobalEntriesOfItsAsid) {
    std::string after_other_asid, after_asid;
    run(with_hyp, [&](Driver& d) {
        d.enable(kCr2E2h);
        // Mark the pages not-global (nG, bit 11) so that EL2-E2H entries are tagged with ASID 7.
        for (unsigned i = 0; i < kPages; ++i)
            put64(d.memory(), kTables + 0x3000 + i * 8, page(kOldPages + i * 0x1000ull) | (1ull << 11));
        d.write_pages(kEl2Stream, 0x11);
        for (unsigned i = 0; i < kPages; ++i)
            put64(d.memory(), kTables + 0x3000 + i * 8, page(kNewPages + i * 0x1000ull) | (1ull << 11));
        // Another ASID, by ASID and by address, and the EL1 command of the same ASID: all stale.
        d.invalidate({opcode_asid(kEl2Asid, kEl2CdAsid + 1), tlbi_va(kEl2Va, va(0), kEl2CdAsid + 1),
                      opcode_asid(kNhAsid, kEl2CdAsid)});
        d.write_pages(kEl2Stream, 0x22);
        after_other_asid = d.landed_all(0x22);
        d.invalidate({opcode_asid(kEl2Asid, kEl2CdAsid)});
        d.write_pages(kEl2Stream, 0x33);
        after_asid = d.landed_all(0x33);
    });
    EXPECT_EQ(after_other_asid, "oooooooo");
    EXPECT_EQ(after_asid, "nnnnnnnn");
}

// ---- STRW legality ------------------------------------------------------------------------------

// Streams 5 and 6: stage-1-only STEs with STRW 0b01 and 0b11 (reserved). Returns the device's
// write statuses, EVTQ_PROD and the first two event records' first words.
struct StrwOutcome {
    std::vector<tlm::tlm_response_status> status;
    std::uint32_t evtq_prod = 0;
    std::uint64_t record0 = 0, record1 = 0;
};
StrwOutcome reserved_strw(const std::function<void(Smmuv3Params&)>& adjust) {
    StrwOutcome out;
    run(adjust, [&](Driver& d) {
        d.enable();
        put_ste(d.memory(), kBadStream, kCds, 0b01);
        put_ste(d.memory(), kBadStream + 1, kCds, 0b11);
        out.status.push_back(d.write(kBadStream, 0, 0x11));
        out.status.push_back(d.write(kBadStream + 1, 0, 0x11));
        sc_core::wait(ns(1000));
        out.evtq_prod = read32(d.cpu, EVTQ_PROD);
        out.record0 = get64(d.memory(), kEventQueue);
        out.record1 = get64(d.memory(), kEventQueue + 32);
    });
    return out;
}

TEST_F(Smmuv3El2RangeTest, ReservedStrwIsCBadSteWithHyp) {
    const StrwOutcome out = reserved_strw(with_hyp);
    EXPECT_EQ(out.status, (std::vector<tlm::tlm_response_status>{tlm::TLM_GENERIC_ERROR_RESPONSE,
                                                                  tlm::TLM_GENERIC_ERROR_RESPONSE}));
    EXPECT_EQ(out.evtq_prod, 2u);
    EXPECT_EQ(out.record0, 0x04u | (std::uint64_t{kBadStream} << 32));  // C_BAD_STE
    EXPECT_EQ(out.record1, 0x04u | (std::uint64_t{kBadStream + 1} << 32));
}

TEST_F(Smmuv3El2RangeTest, StrwIsRes0WithoutHyp) {
    // Without IDR0.Hyp, STRW is RES0 (5.2): the same STEs are NS-EL1 streams and translate.
    const StrwOutcome out = reserved_strw({});
    EXPECT_EQ(out.status, (std::vector<tlm::tlm_response_status>{tlm::TLM_OK_RESPONSE, tlm::TLM_OK_RESPONSE}));
    EXPECT_EQ(out.evtq_prod, 0u);
}

}  // namespace
}  // namespace iommu_vp
