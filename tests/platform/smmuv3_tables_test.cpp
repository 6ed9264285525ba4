// The SMMUv3 table builder: structures placed and encoded as worked out by hand here from the
// SMMUv3 STE/CD layouts (5.2, 5.4) and VMSAv8-64 descriptors. The model decodes the same bytes
// independently; a CLI test runs traffic through both (vp_configs/smmuv3_traffic.yaml).
#include "platform/tables/smmuv3_tables.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tuple>

namespace iommu_vp::platform {
namespace {

using ::testing::HasSubstr;

std::uint64_t read64(const BuiltTables& t, std::uint64_t address) {
    for (const MemoryBlock& b : t.memory)
        if (address >= b.address && address + 8 <= b.address + b.bytes.size()) {
            std::uint64_t v = 0;
            for (unsigned i = 8; i-- > 0;) v = (v << 8) | b.bytes[address - b.address + i];
            return v;
        }
    ADD_FAILURE() << "no structure at 0x" << std::hex << address;
    return 0;
}

TablesSpec one_page_spec() {
    TablesSpec spec;
    spec.region_base = 0x8800'0000;
    spec.region_size = 1 << 20;
    TableStream s0;
    s0.name = "s0";
    s0.stream_id = 3;
    s0.translation = StreamTranslation::stage1;
    s0.asid = 5;
    s0.mappings.push_back(TableMapping{0x1000, 0x8000'2000, 0x1000, true});
    TableStream s1;
    s1.name = "s1";
    s1.stream_id = 1;
    s1.translation = StreamTranslation::bypass;
    spec.streams = {s0, s1};
    return spec;
}

// Layout: stream table (4 STEs, 256 B) at the region's start; event queue (4 KiB) at +0x1000;
// command queue (1 KiB) at +0x2000; s0's CD at +0x2400, its level-0 table at +0x3000 and the
// level-1, 2 and 3 tables the mapping needs at +0x4000, +0x5000, +0x6000.
TEST(Smmuv3Tables, StageOneStreamWithOnePage) {
    const BuiltTables t = build_smmuv3_tables(one_page_spec());
    ASSERT_EQ(t.error, "");
    // STE 3: V | Config 0b101 | S1ContextPtr; word 1: S1CIR = S1COR = WB-RA, S1CSH = ISH.
    EXPECT_EQ(read64(t, 0x8800'00c0), 0x8800'240bull);
    EXPECT_EQ(read64(t, 0x8800'00c8), 0xd4ull);
    // CD: T0SZ 16, IRGN0/ORGN0 WB-WA, SH0 ISH, EPD1, V, IPS 48 (0b101), AA64, R, A, ASET, ASID 5.
    EXPECT_EQ(read64(t, 0x8800'2400), 0x0005'e205'c000'3510ull);
    EXPECT_EQ(read64(t, 0x8800'2408), 0x8800'3000ull);  // TTB0
    EXPECT_EQ(read64(t, 0x8800'2418), 0xffull);         // MAIR: attribute 0 Normal WB
    EXPECT_EQ(read64(t, 0x8800'3000), 0x8800'4003ull);  // L0[0] -> table
    EXPECT_EQ(read64(t, 0x8800'4000), 0x8800'5003ull);  // L1[0] -> table
    EXPECT_EQ(read64(t, 0x8800'5000), 0x8800'6003ull);  // L2[0] -> table
    // L3[1]: page 0x8000_2000 | AF | SH = ISH | AP = RW at any level | nG.
    EXPECT_EQ(read64(t, 0x8800'6008), 0x8000'2f43ull);
    // STE 1: V | Config 0b100 (bypass), SHCFG = use incoming.
    EXPECT_EQ(read64(t, 0x8800'0040), 0x9ull);
    EXPECT_EQ(read64(t, 0x8800'0048), 1ull << 44);
}

TEST(Smmuv3Tables, AnAtsStreamSetsFullEats) {
    TablesSpec spec = one_page_spec();
    spec.streams[0].ats = true;
    const BuiltTables t = build_smmuv3_tables(spec);
    ASSERT_EQ(t.error, "");
    // STE 3 word 1 as above plus EATS = 0b01 (bits 29:28).
    EXPECT_EQ(read64(t, 0x8800'00c8), 0xd4ull | (1ull << 28));
    spec.streams[1].ats = true;  // a bypass stream cannot answer translation requests
    EXPECT_NE(build_smmuv3_tables(spec).error.find("ATS (EATS) needs a translating stream"), std::string::npos);
}

TEST(Smmuv3Tables, RegistersEnableTheSmmuLast) {
    const BuiltTables t = build_smmuv3_tables(one_page_spec());
    ASSERT_EQ(t.error, "");
    ASSERT_EQ(t.registers.size(), 8u);
    EXPECT_EQ(t.registers[0].offset, 0x80u);  // STRTAB_BASE
    EXPECT_EQ(t.registers[0].value, 0x8800'0000u);
    EXPECT_EQ(t.registers[1].value, 2u);      // STRTAB_BASE_CFG: linear, LOG2SIZE 2
    EXPECT_EQ(t.registers[2].value, 0x8800'2000u | 6);  // CMDQ_BASE, 64 entries
    EXPECT_EQ(t.registers[3].value, 0x8800'1000u | 7);  // EVTQ_BASE, 128 entries
    EXPECT_EQ(t.registers[6].offset, 0x20u);  // CR0 last: SMMUEN | EVTQEN | CMDQEN
    EXPECT_EQ(t.registers[6].value, 0xdu);
    EXPECT_EQ(t.registers[7].kind, RegisterStep::Kind::poll);
    EXPECT_EQ(t.registers[7].offset, 0x24u);  // CR0ACK
    EXPECT_EQ(t.registers[7].value, 0xdu);
    EXPECT_EQ(t.registers[7].mask, 0xdu);
}

TEST(Smmuv3Tables, AlignedRangesUseBlocks) {
    TablesSpec spec;
    spec.region_base = 0x8800'0000;
    spec.region_size = 1 << 20;
    TableStream s;
    s.name = "s2";
    s.stream_id = 0;
    s.translation = StreamTranslation::stage2;
    s.vmid = 7;
    s.mappings.push_back(TableMapping{0x4000'0000, 0xc000'0000, 1ull << 30, true});  // a 1 GiB block
    s.mappings.push_back(TableMapping{0x20'0000, 0x8040'0000, 2ull << 20, false});    // a 2 MiB block, RO
    spec.streams = {s};
    const BuiltTables t = build_smmuv3_tables(spec);
    ASSERT_EQ(t.error, "");
    // STE 0 (1-entry stream table at the start): V | Config 0b110; word 2: VMID 7, S2T0SZ 16,
    // S2SL0 0b10, S2IR0/S2OR0 WB, S2SH0 ISH, S2PS 48, S2AA64, S2R; word 3: S2TTB (level-0 table).
    EXPECT_EQ(read64(t, 0x8800'0000), 0xdull);
    EXPECT_EQ(read64(t, 0x8800'0010), 7ull | (16ull << 32) | (2ull << 38) | (1ull << 40) | (1ull << 42) |
                                          (3ull << 44) | (5ull << 48) | (1ull << 51) | (1ull << 58));
    const std::uint64_t root = read64(t, 0x8800'0018);
    const std::uint64_t l1 = read64(t, root) & ~0xfffull;  // L0[0]: both ranges are below 512 GiB
    // L1[1]: 1 GiB block at 0xc000_0000 | AF | SH | MemAttr 0b1111 | S2AP RW.
    EXPECT_EQ(read64(t, l1 + 8), 0xc000'0000ull | 0x1 | 0x400 | 0x300 | 0x3c | 0xc0);
    const std::uint64_t l2 = read64(t, l1) & ~0xfffull;  // L1[0] -> table
    // L2[1]: 2 MiB block at 0x8040_0000, S2AP read-only (0b01).
    EXPECT_EQ(read64(t, l2 + 8), 0x8040'0000ull | 0x1 | 0x400 | 0x300 | 0x3c | 0x40);
}

// A substream context: the stream gets a linear CD table of 2^S1CDMax CDs (S1CDMax 1: CDs 0 and 1,
// 128 bytes at +0x2400 after the queues), S1DSS = 0b10 (traffic without a SubstreamID uses CD 0).
// CD 0's tables take +0x3000 to +0x6000, CD 1's +0x7000 to +0xa000.
TEST(Smmuv3Tables, SubstreamContextsGetTheirOwnCds) {
    TablesSpec spec = one_page_spec();
    TableContext c1;
    c1.name = "c1";
    c1.substream_id = 1;
    c1.asid = 9;
    c1.mappings.push_back(TableMapping{0x2000, 0x8000'5000, 0x1000, true});
    spec.streams[0].contexts = {c1};
    const BuiltTables t = build_smmuv3_tables(spec);
    ASSERT_EQ(t.error, "");
    EXPECT_EQ(read64(t, 0x8800'00c0), 0x8800'240bull | (1ull << 59));  // S1CDMax 1
    EXPECT_EQ(read64(t, 0x8800'00c8), 0xd4ull | 0b10);                  // S1DSS: CD 0
    EXPECT_EQ(read64(t, 0x8800'2400), 0x0005'e205'c000'3510ull);        // CD 0, ASID 5
    EXPECT_EQ(read64(t, 0x8800'2440), 0x0009'e205'c000'3510ull);        // CD 1, ASID 9
    EXPECT_EQ(read64(t, 0x8800'2448), 0x8800'7000ull);
    EXPECT_EQ(read64(t, 0x8800'a010), 0x8000'5f43ull);                  // CD 1's L3[2]
}

// With a 40-bit output size the IPA is 40 bits too: S2T0SZ = 24, starting at level 0 (S2SL0 0b10,
// two level-0 entries); with 36 bits, S2T0SZ = 28 from level 1 (S2SL0 0b01).
TEST(Smmuv3Tables, StageTwoInputSizeFollowsTheOutputSize) {
    for (const auto& [oas, t0sz, sl0, code] : {std::tuple{40u, 24ull, 0b10ull, 2ull}, std::tuple{36u, 28ull, 0b01ull, 1ull}}) {
        TablesSpec spec;
        spec.region_base = 0x8800'0000;
        spec.region_size = 1 << 20;
        spec.output_bits = oas;
        TableStream s;
        s.name = "s2";
        s.translation = StreamTranslation::stage2;
        s.mappings.push_back(TableMapping{0x4000'0000, 0x4000'0000, 0x1000, true});
        spec.streams = {s};
        const BuiltTables t = build_smmuv3_tables(spec);
        ASSERT_EQ(t.error, "") << oas;
        const std::uint64_t word2 = read64(t, 0x8800'0010);
        EXPECT_EQ((word2 >> 32) & 0x3f, t0sz) << oas;
        EXPECT_EQ((word2 >> 38) & 0x3, sl0) << oas;
        EXPECT_EQ((word2 >> 48) & 0x7, code) << oas;  // S2PS
        spec.streams[0].mappings[0].input = 1ull << oas;  // beyond the IPA size
        EXPECT_THAT(build_smmuv3_tables(spec).error, HasSubstr("within " + std::to_string(oas) + " bits"));
    }
}

TEST(Smmuv3Tables, MistakesAreReportedNotBuilt) {
    TablesSpec spec = one_page_spec();
    spec.streams[0].mappings.push_back(TableMapping{0x1000, 0x8000'3000, 0x1000, true});
    EXPECT_THAT(build_smmuv3_tables(spec).error, HasSubstr("stream 's0': overlaps another mapping at input 0x1000"));

    spec = one_page_spec();
    spec.streams[0].mappings[0].size = 0x800;
    EXPECT_THAT(build_smmuv3_tables(spec).error, HasSubstr("multiples of 4 KiB"));

    spec = one_page_spec();
    spec.region_size = 0x3000;  // the queues alone need more
    EXPECT_THAT(build_smmuv3_tables(spec).error, HasSubstr("need more than the 0x3000 bytes"));

    spec = one_page_spec();
    spec.streams[1].stream_id = 3;
    EXPECT_THAT(build_smmuv3_tables(spec).error, HasSubstr("StreamID 0x3 is given twice"));

    spec = one_page_spec();
    spec.streams[1].translation = StreamTranslation::stage1;
    spec.streams[1].asid = 5;
    EXPECT_THAT(build_smmuv3_tables(spec).error, HasSubstr("stream 's1': ASID 5 is also stream 's0''s"));

    spec = one_page_spec();
    spec.output_bits = 32;
    spec.streams[0].mappings[0].output = 0x1'0000'0000;
    EXPECT_THAT(build_smmuv3_tables(spec).error, HasSubstr("exceeds the SMMU's 32-bit output size"));
}

}  // namespace
}  // namespace iommu_vp::platform
