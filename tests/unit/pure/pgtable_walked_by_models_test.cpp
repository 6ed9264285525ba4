// The software io-pgtable formats (sw_stack/iommu/pgtable) walked by the hardware models' own table
// walkers (models/vtd/page_walk.h, models/smmuv3/vmsa_walk.h): two independently written encodings
// of the same architectures must agree.
//
// Each case builds a table with alloc_io_pgtable_ops into a shared fake memory, then programs the
// model only from what the format reports (root, level count / AW, TCR / VTCR fields, MAIR), the way
// a driver would: a VT-d PASID-table entry (VT-d 9.6) or an SMMUv3 CD (5.4) / STE (5.2) is packed
// here from the specification's bit positions and decoded by the model's own decoder, which gives
// the walk configuration. The expected results are the mappings the test made (IOVA -> PA, page or
// block size and its level, permissions); the architecture's rules (which level holds which size,
// which start level a VTCR must name) are worked out here by hand.
#include "models/smmuv3/cd.h"
#include "models/smmuv3/features.h"
#include "models/smmuv3/ste.h"
#include "models/smmuv3/vmsa_walk.h"
#include "models/vtd/features.h"
#include "models/vtd/page_walk.h"
#include "models/vtd/pasid_entry.h"
#include "sw_stack/iommu/iotlb_gather.h"
#include "sw_stack/iommu/pgtable/io_pgtable.h"
#include "sw_stack/iommu/prot.h"
#include "tests/unit/pure/fake_pgtable_memory.h"

#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace io = iommu_vp::iommu;
namespace vtd = iommu_vp::vtd;
namespace vmsa = iommu_vp::vmsa;
namespace smmu = iommu_vp::smmuv3;
using io::testing::FakePgtableMemory;

constexpr std::uint64_t bit(unsigned n) { return std::uint64_t{1} << n; }
constexpr std::uint64_t k4K = bit(12), k16K = bit(14), k64K = bit(16);
constexpr std::uint64_t k2M = bit(21), k32M = bit(25), k512M = bit(29), k1G = bit(30), k4T = bit(42);

constexpr int R = io::IOMMU_READ;
constexpr int W = io::IOMMU_WRITE;
constexpr int C = io::IOMMU_CACHE;
constexpr int NX = io::IOMMU_NOEXEC;

unsigned log2_of(std::uint64_t size) {
    unsigned n = 0;
    while ((std::uint64_t{1} << n) < size) ++n;
    return n;
}

// Places `value` at bits [hi:lo] of a multi-word structure, the bit numbering the specifications use
// (bit n of the structure is bit n % 64 of word n / 64).
template <std::size_t N>
void put_bits(std::array<std::uint64_t, N>& words, unsigned hi, unsigned lo, std::uint64_t value) {
    for (unsigned b = lo; b <= hi; ++b) {
        const std::uint64_t m = bit(b % 64);
        if ((value >> (b - lo)) & 1) {
            words[b / 64] |= m;
        } else {
            words[b / 64] &= ~m;
        }
    }
}

// The fake memory as the models' walkers see it: plain reads of what the software wrote (no event
// log), and compare-and-exchanges for the VT-d accessed/dirty updates, counted.
class WalkerView : public vtd::TableMemory, public vmsa::DescriptorReader {
public:
    explicit WalkerView(FakePgtableMemory& memory) : memory_(memory) {}
    vtd::FetchStatus read64(std::uint64_t address, std::uint64_t& value) override {
        value = memory_.word(address);
        return vtd::FetchStatus::ok;
    }
    vtd::FetchStatus compare_exchange64(std::uint64_t address, std::uint64_t expected, std::uint64_t desired,
                                        std::uint64_t& observed) override {
        ++updates;
        observed = memory_.word(address);
        if (observed == expected) memory_.poke(address, desired);
        return vtd::FetchStatus::ok;
    }
    vmsa::FetchStatus read_descriptor(std::uint64_t address, std::uint64_t& descriptor) override {
        descriptor = memory_.word(address);
        return vmsa::FetchStatus::ok;
    }
    unsigned updates = 0;

private:
    FakePgtableMemory& memory_;
};

// One mapping a case makes, with what a walk of it must give.
struct Mapping {
    std::uint64_t iova;
    std::uint64_t pa;
    std::uint64_t size;   // one page or block of this size
    int prot;
    unsigned level;       // the level the leaf must be at (VT-d: 1 = 4K; Arm: 3 = the granule's page)
};

// Offsets within a mapping that the walks probe: its first byte, one inside, its last byte.
std::vector<std::uint64_t> probes(const Mapping& m) { return {0, m.size / 2 + 0x48, m.size - 1}; }

int map_one(io::IoPgtable& table, const Mapping& m) {
    std::uint64_t mapped = 0;
    const int err = table.map_pages(m.iova, m.pa, m.size, 1, m.prot, &mapped);
    EXPECT_EQ(mapped, err == 0 ? m.size : 0u);
    return err;
}

void unmap_one(io::IoPgtable& table, const Mapping& m) {
    io::IommuIotlbGather gather;
    EXPECT_EQ(table.unmap_pages(m.iova, m.size, 1, &gather), m.size);
    // The driver's invalidation has completed: the unlinked table pages may go.
    table.put_pages_list(gather.freelist);
}

// ================================================================================================
// VT-d.

// VT-d Features for these tests: every width (SAGAW 39/48/57, MGAW 57), 5-level first level.
vtd::Features vtd_features() {
    vtd::Features f;
    f.sagaw_57 = true;
    f.mgaw_bits = 57;
    f.first_level_5level = true;
    return f;
}

// A scalable-mode PASID-table entry (VT-d 9.6) as a driver fills it from the table's outputs:
// P (bit 0), AW [4:2], PGTT [8:6], SLPTPTR [63:12], DID [79:64], FLPM [131:130], NXE (133),
// FLPTPTR [191:140].
vtd::PasidEntryWords second_level_pasid_entry(const io::VtdPgtableCfg& out) {
    std::array<std::uint64_t, 8> w{};
    put_bits(w, 0, 0, 1);
    put_bits(w, 4, 2, out.agaw);
    put_bits(w, 8, 6, 2);  // PGTT second-level
    put_bits(w, 63, 12, out.root >> 12);
    put_bits(w, 79, 64, 7);  // DID
    return w;
}

vtd::PasidEntryWords first_level_pasid_entry(const io::VtdPgtableCfg& out, bool nxe) {
    std::array<std::uint64_t, 8> w{};
    put_bits(w, 0, 0, 1);
    put_bits(w, 8, 6, 1);  // PGTT first-level
    put_bits(w, 79, 64, 7);
    put_bits(w, 131, 130, out.five_level ? 1 : 0);
    put_bits(w, 133, 133, nxe ? 1 : 0);
    put_bits(w, 191, 140, out.root >> 12);
    return w;
}

// The walk configuration as the model's translation builds it from a decoded PASID entry.
vtd::SecondLevelConfig second_level_config(const vtd::PasidEntry& pe, const vtd::Features& f) {
    vtd::SecondLevelConfig c;
    c.root = pe.second_level_table;
    c.input_bits = pe.second_level_input_bits;
    c.max_input_bits = f.mgaw_bits;
    c.execute_enabled = pe.second_level_execute;
    c.accessed_dirty = pe.second_level_access_dirty;
    c.snoop_allowed = f.snoop_control;
    c.page_2m = f.second_level_2m;
    c.page_1g = f.second_level_1g;
    c.host_address_bits = f.host_address_bits;
    return c;
}

vtd::FirstLevelConfig first_level_config(const vtd::PasidEntry& pe, const vtd::Features& f) {
    vtd::FirstLevelConfig c;
    c.root = pe.first_level_table;
    c.five_level = pe.first_level_levels == 5;
    c.page_1g = f.first_level_1g;
    c.write_protect = pe.write_protect;
    c.no_execute_enabled = pe.no_execute;
    c.smep = pe.supervisor_execute_prevent;
    c.extended_accessed = pe.extended_accessed;
    c.host_address_bits = f.host_address_bits;
    return c;
}

vtd::Access vtd_access(bool write, bool execute = false) {
    vtd::Access a;
    a.write = write;
    a.execute = execute;
    a.supervisor = false;
    return a;
}

// Second level with 3, 4 and 5 levels: 4K pages, 2M and 1G superpages (the 1G one in the root
// table of a 3-level table), read-only and read-write leaves, SNP when asked; unmapped holes, an
// input beyond the width, and every mapping faulting once unmapped.
TEST(PgtableWalkedByModels, VtdSecondLevelAllWidthsSuperpagesAndPermissions) {
    const vtd::Features f = vtd_features();
    struct Case {
        unsigned levels;
        bool snoop;
    };
    for (const Case k : {Case{3, false}, Case{4, false}, Case{4, true}, Case{5, false}}) {
        const unsigned width = 12 + 9 * k.levels;  // 39, 48, 57
        SCOPED_TRACE("second level, " + std::to_string(k.levels) + " levels" + (k.snoop ? ", snoop" : ""));
        FakePgtableMemory memory;
        io::IoPgtableCfg cfg;
        cfg.pgsize_bitmap = k4K | k2M | k1G;
        cfg.ias = width;
        cfg.oas = 48;
        cfg.vtd_levels = k.levels;
        cfg.vtd_snoop = k.snoop;
        std::string why;
        auto table = io::alloc_io_pgtable_ops(io::IoPgtableFmt::VTD_SECOND_LEVEL, cfg, memory, &why);
        ASSERT_TRUE(table) << why;

        const auto pe = vtd::decode_pasid_entry(second_level_pasid_entry(cfg.vtd_cfg), f);
        ASSERT_TRUE(pe.ok()) << pe.reason;
        EXPECT_EQ(pe.value.second_level_input_bits, width);  // AW names the width the table was built for
        const vtd::SecondLevelConfig sl = second_level_config(pe.value, f);

        // IOVAs in the top half of the input space, so the root index is not 0.
        const std::uint64_t top = bit(width - 1);
        const std::vector<Mapping> maps = {
            {top + 0x3000, 0x1234'5000, k4K, R | W, 1},
            {top + 0x7000, 0x2345'6000, k4K, R, 1},
            {top + 0x4020'0000, 0x8'0060'0000, k2M, R | W, 2},
            {top + 0x8060'0000, 0x9'00A0'0000, k2M, R, 2},
            {top + 5 * k1G, 0x40'C000'0000, k1G, R, 3},
            {top + 7 * k1G, 0x7F'4000'0000, k1G, R | W, 3},
        };
        for (const Mapping& m : maps) ASSERT_EQ(map_one(*table, m), 0) << std::hex << m.iova;

        WalkerView view(memory);
        for (const Mapping& m : maps) {
            for (const std::uint64_t off : probes(m)) {
                SCOPED_TRACE(::testing::Message() << std::hex << "iova 0x" << m.iova + off);
                const vtd::WalkResult rd = vtd::second_level_walk(sl, m.iova + off, vtd_access(false), view);
                ASSERT_TRUE(rd.ok()) << vtd::to_string(rd.fault.kind);
                EXPECT_EQ(rd.translation.output_address, m.pa + off);
                EXPECT_EQ(rd.translation.size_bits, log2_of(m.size));
                EXPECT_EQ(rd.translation.level, m.level);
                EXPECT_TRUE(rd.translation.permissions.read);
                EXPECT_EQ(rd.translation.permissions.write, (m.prot & W) != 0);
                EXPECT_EQ(rd.translation.snoop, k.snoop);

                const vtd::WalkResult wr = vtd::second_level_walk(sl, m.iova + off, vtd_access(true), view);
                if (m.prot & W) {
                    EXPECT_TRUE(wr.ok()) << vtd::to_string(wr.fault.kind);
                    EXPECT_EQ(wr.translation.output_address, m.pa + off);
                } else {
                    EXPECT_EQ(wr.fault.kind, vtd::FaultKind::write_denied);
                }
            }
        }
        // Holes: the next 4K after a page, an empty 2M slot beside a superpage, an empty 1G slot.
        for (const std::uint64_t hole : {top + 0x4000, top + 0x4040'0000, top + 6 * k1G, std::uint64_t{0}}) {
            const vtd::WalkResult r = vtd::second_level_walk(sl, hole, vtd_access(false), view);
            EXPECT_EQ(r.fault.kind, vtd::FaultKind::not_present) << std::hex << hole;
        }
        // Beyond the width: the format refuses to map it, the model to walk it.
        const Mapping beyond{bit(width), 0x1000'0000, k4K, R | W, 1};
        EXPECT_EQ(map_one(*table, beyond), -EINVAL);
        EXPECT_EQ(vtd::second_level_walk(sl, bit(width), vtd_access(false), view).fault.kind,
                  vtd::FaultKind::input_beyond_width);
        EXPECT_EQ(view.updates, 0u);  // no SLADE: the walker never writes

        for (const Mapping& m : maps) {
            unmap_one(*table, m);
            for (const std::uint64_t off : probes(m)) {
                const vtd::WalkResult r = vtd::second_level_walk(sl, m.iova + off, vtd_access(false), view);
                EXPECT_EQ(r.fault.kind, vtd::FaultKind::not_present) << std::hex << m.iova + off;
            }
        }
        EXPECT_EQ(memory.bad_accesses, 0);
    }
}

// First level (IA-32e) with 4 and 5 levels: U/S on every entry (device requests are user requests),
// R/W only where mapped writable, XD only where IOMMU_NOEXEC asked for it (with NXE; without NXE no
// entry may carry XD, which is reserved then); A and D preset so the walker never has to update.
TEST(PgtableWalkedByModels, VtdFirstLevelFourAndFiveLevelsUserWriteAndExecuteDisable) {
    const vtd::Features f = vtd_features();
    struct Case {
        unsigned levels;
        bool nxe;  // the PASID entry's NXE; without it the mappings do not ask for IOMMU_NOEXEC
    };
    for (const Case k : {Case{4, true}, Case{5, true}, Case{4, false}}) {
        SCOPED_TRACE("first level, " + std::to_string(k.levels) + " levels, NXE " + std::to_string(k.nxe));
        const unsigned width = 12 + 9 * k.levels;  // 48, 57: the canonical lower half is below 2^(width-1)
        FakePgtableMemory memory;
        io::IoPgtableCfg cfg;
        cfg.pgsize_bitmap = k4K | k2M | k1G;
        cfg.ias = width;
        cfg.oas = 48;
        cfg.vtd_levels = k.levels;
        std::string why;
        auto table = io::alloc_io_pgtable_ops(io::IoPgtableFmt::VTD_FIRST_LEVEL, cfg, memory, &why);
        ASSERT_TRUE(table) << why;

        const auto pe = vtd::decode_pasid_entry(first_level_pasid_entry(cfg.vtd_cfg, k.nxe), f);
        ASSERT_TRUE(pe.ok()) << pe.reason;
        EXPECT_EQ(pe.value.first_level_levels, k.levels);  // FLPM names the table's level count
        const vtd::FirstLevelConfig fl = first_level_config(pe.value, f);

        const int nx = k.nxe ? NX : 0;
        const std::uint64_t top = bit(width - 2);  // high in the lower canonical half
        const std::vector<Mapping> maps = {
            {top + 0x3000, 0x1234'5000, k4K, R | W, 1},
            {top + 0x9000, 0x2345'6000, k4K, R | nx, 1},
            {top + 0x4020'0000, 0x8'0060'0000, k2M, R | W | nx, 2},
            {top + 0x8060'0000, 0x9'00A0'0000, k2M, R, 2},
            {top + 5 * k1G, 0x40'C000'0000, k1G, R | nx, 3},
            {top + 7 * k1G, 0x7F'4000'0000, k1G, R | W, 3},
        };
        for (const Mapping& m : maps) ASSERT_EQ(map_one(*table, m), 0) << std::hex << m.iova;

        WalkerView view(memory);
        for (const Mapping& m : maps) {
            for (const std::uint64_t off : probes(m)) {
                SCOPED_TRACE(::testing::Message() << std::hex << "iova 0x" << m.iova + off);
                const vtd::WalkResult rd = vtd::first_level_walk(fl, m.iova + off, vtd_access(false), view);
                ASSERT_TRUE(rd.ok()) << vtd::to_string(rd.fault.kind);
                EXPECT_EQ(rd.translation.output_address, m.pa + off);
                EXPECT_EQ(rd.translation.size_bits, log2_of(m.size));
                EXPECT_EQ(rd.translation.level, m.level);
                EXPECT_TRUE(rd.translation.permissions.user);
                EXPECT_EQ(rd.translation.permissions.write, (m.prot & W) != 0);
                EXPECT_EQ(rd.translation.permissions.execute, (m.prot & NX) == 0);

                const vtd::WalkResult wr = vtd::first_level_walk(fl, m.iova + off, vtd_access(true), view);
                if (m.prot & W) {
                    EXPECT_TRUE(wr.ok()) << vtd::to_string(wr.fault.kind);
                } else {
                    EXPECT_EQ(wr.fault.kind, vtd::FaultKind::write_denied);
                }
                const vtd::WalkResult ex = vtd::first_level_walk(fl, m.iova + off, vtd_access(false, true), view);
                if (m.prot & NX) {
                    EXPECT_EQ(ex.fault.kind, vtd::FaultKind::execute_denied);
                } else {
                    EXPECT_TRUE(ex.ok()) << vtd::to_string(ex.fault.kind);
                }
            }
        }
        // A and D were preset (Linux "Preset A/D bits"): no walk had to set them.
        EXPECT_EQ(view.updates, 0u);
        for (const std::uint64_t hole : {top + 0x4000, top + 0x4040'0000, top + 6 * k1G, std::uint64_t{0}}) {
            const vtd::WalkResult r = vtd::first_level_walk(fl, hole, vtd_access(false), view);
            EXPECT_EQ(r.fault.kind, vtd::FaultKind::not_present) << std::hex << hole;
        }
        for (const Mapping& m : maps) {
            unmap_one(*table, m);
            for (const std::uint64_t off : probes(m)) {
                const vtd::WalkResult r = vtd::first_level_walk(fl, m.iova + off, vtd_access(false), view);
                EXPECT_EQ(r.fault.kind, vtd::FaultKind::not_present) << std::hex << m.iova + off;
            }
        }
        EXPECT_EQ(memory.bad_accesses, 0);
    }
}

// ================================================================================================
// Arm LPAE through SMMUv3 CDs and STEs.

smmu::Features smmu_features() {
    smmu::Features f;
    f.granule_16k = true;
    f.oas_bits = 52;
    return f;
}

// A stage-1 CD (SMMUv3 5.4) as the arm-smmu-v3 driver fills it from arm_lpae_s1_cfg: T0SZ [5:0],
// TG0 [7:6], IR0 [9:8], OR0 [11:10], SH0 [13:12], EPD1 (30), V (31), IPS [34:32], AA64 (41),
// R (45), A (46), ASET (47), ASID [63:48]; TTB0 [115:68] (address bits [51:4]); MAIR [255:192].
smmu::CdWords stage1_cd(const io::ArmLpaeS1Cfg& out) {
    smmu::CdWords w{};
    put_bits(w, 5, 0, out.tcr.t0sz);
    put_bits(w, 7, 6, out.tcr.tg0);
    put_bits(w, 9, 8, out.tcr.irgn0);
    put_bits(w, 11, 10, out.tcr.orgn0);
    put_bits(w, 13, 12, out.tcr.sh0);
    put_bits(w, 30, 30, 1);
    put_bits(w, 31, 31, 1);
    put_bits(w, 34, 32, out.tcr.ips);
    put_bits(w, 41, 41, 1);
    put_bits(w, 45, 45, 1);
    put_bits(w, 46, 46, 1);
    put_bits(w, 47, 47, 1);
    put_bits(w, 63, 48, 0x21);
    put_bits(w, 115, 68, out.ttbr >> 4);
    put_bits(w, 255, 192, out.mair);
    return w;
}

smmu::StreamConfig stage1_stream() {
    smmu::StreamConfig s;
    s.valid = true;
    s.config = 0b101;
    s.mode = smmu::StreamMode::stage1;
    return s;
}

// A stage-2-only STE (SMMUv3 5.2) as arm_smmu_make_s2_domain_ste fills it from arm_lpae_s2_cfg:
// V (0), Config [3:1] = 0b110, S2VMID [143:128], S2T0SZ [165:160], S2SL0 [167:166], S2IR0 [169:168],
// S2OR0 [171:170], S2SH0 [173:172], S2TG [175:174], S2PS [178:176], S2AA64 (179), S2PTW (182),
// S2R (186), S2TTB [243:196] (address bits [51:4]).
smmu::SteWords stage2_ste(const io::ArmLpaeS2Cfg& out) {
    smmu::SteWords w{};
    put_bits(w, 0, 0, 1);
    put_bits(w, 3, 1, 0b110);
    put_bits(w, 143, 128, 3);
    put_bits(w, 165, 160, out.vtcr.t0sz);
    put_bits(w, 167, 166, out.vtcr.sl0);
    put_bits(w, 169, 168, out.vtcr.irgn0);
    put_bits(w, 171, 170, out.vtcr.orgn0);
    put_bits(w, 173, 172, out.vtcr.sh0);
    put_bits(w, 175, 174, out.vtcr.tg0);
    put_bits(w, 178, 176, out.vtcr.ps);
    put_bits(w, 179, 179, 1);
    put_bits(w, 182, 182, 1);
    put_bits(w, 186, 186, 1);
    put_bits(w, 243, 196, out.vttbr >> 4);
    return w;
}

struct ArmCase {
    unsigned granule_shift;
    unsigned ias;
    unsigned oas;
    unsigned start_level;     // what the architecture requires (worked out in the table below)
    std::uint64_t l1_block;   // the level-1 block size if the granule and oas give one, else 0
};

std::uint64_t l2_block_for(unsigned granule_shift) {
    return granule_shift == 12 ? k2M : granule_shift == 14 ? k32M : k512M;
}

// The mappings an Arm case makes: pages (read-write cacheable, read-only no-exec, and at stage 2
// write-only), a level-2 block (read-write no-exec) and a level-1 block (read-only cacheable) where
// one exists, at IOVAs in the top half of the input range (for a concatenated stage-2 start table:
// in its second half) and at output addresses in the top half of the output range.
std::vector<Mapping> arm_mappings(const ArmCase& k, bool stage2) {
    const std::uint64_t g = bit(k.granule_shift);
    const std::uint64_t b2 = l2_block_for(k.granule_shift);
    const std::uint64_t top = bit(k.ias - 1);
    const std::uint64_t pa_top = bit(k.oas - 1);
    std::vector<Mapping> maps = {
        {top + 3 * g, pa_top + 0x1000'0000 + 7 * g, g, R | W | C, 3},
        {top + 5 * g, pa_top + 0x2000'0000 + 9 * g, g, R | NX, 3},
        {top + 2 * b2, pa_top + 3 * b2, b2, R | W | NX, 2},
    };
    if (stage2) maps.push_back({top + 6 * g, pa_top + 0x3000'0000 + 11 * g, g, W, 3});
    if (k.l1_block) maps.push_back({top + k.l1_block, pa_top + 5 * k.l1_block, k.l1_block, R | C, 1});
    return maps;
}

std::string arm_case_name(const char* stage, const ArmCase& k) {
    return std::string(stage) + " granule " + std::to_string(bit(k.granule_shift) >> 10) + "K ias " +
           std::to_string(k.ias) + " oas " + std::to_string(k.oas);
}

std::unique_ptr<io::IoPgtable> alloc_arm(io::IoPgtableFmt fmt, const ArmCase& k, FakePgtableMemory& memory,
                                         io::IoPgtableCfg& cfg) {
    cfg.pgsize_bitmap = bit(k.granule_shift) | l2_block_for(k.granule_shift) | k.l1_block;
    cfg.ias = k.ias;
    cfg.oas = k.oas;
    cfg.coherent_walk = true;
    std::string why;
    auto table = io::alloc_io_pgtable_ops(fmt, cfg, memory, &why);
    EXPECT_TRUE(table) << why;
    return table;
}

// Stage 1 for each granule with a few ias/oas pairs, including a 52-bit output with the 64K granule
// (PA[51:48] in descriptor bits [15:12]) and its 4T level-1 block. Permissions as a device's
// unprivileged data accesses and instruction fetches meet them; the MAIR the format reports must
// give the cacheable mapping Normal write-back and the others Normal non-cacheable.
TEST(PgtableWalkedByModels, ArmStage1EveryGranulePagesBlocksAndPermissions) {
    const smmu::Features f = smmu_features();
    // Start levels (Arm ARM D8.2): the fewest levels resolving ias - granule bits at granule - 3 a level.
    const std::vector<ArmCase> cases = {
        {12, 48, 48, 0, k1G},  // 36 bits: 4 levels
        {12, 39, 44, 1, k1G},  // 27 bits: 3 levels
        {12, 32, 40, 1, k1G},  // 20 bits: 3 levels (a 4-entry start table)
        {14, 48, 48, 0, 0},    // 34 bits: 4 levels (a 2-entry start table)
        {14, 36, 40, 2, 0},    // 22 bits: 2 levels
        {16, 48, 52, 1, k4T},  // 32 bits: 3 levels; 52-bit output gives 4T blocks at level 1
        {16, 42, 48, 2, 0},    // 26 bits: 2 levels
    };
    for (const ArmCase& k : cases) {
        SCOPED_TRACE(arm_case_name("stage 1", k));
        FakePgtableMemory memory;
        io::IoPgtableCfg cfg;
        auto table = alloc_arm(io::IoPgtableFmt::ARM_64_LPAE_S1, k, memory, cfg);
        ASSERT_TRUE(table);

        const auto cd = smmu::decode_cd(stage1_cd(cfg.arm_lpae_s1_cfg), stage1_stream(), smmu::StreamWorld::ns_el1, f);
        ASSERT_TRUE(cd.ok()) << cd.reason;
        ASSERT_TRUE(cd.value.ttb0_enabled);
        ASSERT_FALSE(cd.value.ttb1_enabled);
        const vmsa::WalkConfig walk = cd.value.ttb0_walk;
        EXPECT_EQ(walk.granule_bits, k.granule_shift);
        EXPECT_EQ(walk.input_bits, k.ias);
        EXPECT_EQ(walk.output_bits, k.oas);
        EXPECT_EQ(walk.start_level, k.start_level);

        const std::vector<Mapping> maps = arm_mappings(k, false);
        for (const Mapping& m : maps) ASSERT_EQ(map_one(*table, m), 0) << std::hex << m.iova;

        WalkerView view(memory);
        for (const Mapping& m : maps) {
            for (const std::uint64_t off : probes(m)) {
                SCOPED_TRACE(::testing::Message() << std::hex << "iova 0x" << m.iova + off);
                const vmsa::WalkResult r = vmsa::walk(walk, m.iova + off, view);
                ASSERT_TRUE(r.ok()) << vmsa::to_string(r.fault.type) << " at level " << r.fault.level;
                EXPECT_EQ(r.translation.output_address, m.pa + off);
                EXPECT_EQ(r.translation.size_bits, log2_of(m.size));
                EXPECT_EQ(r.translation.level, m.level);
                const auto& p = r.translation.permissions;
                EXPECT_EQ(vmsa::check_access(vmsa::Stage::one, p, {false, false, false}), vmsa::FaultType::none);
                EXPECT_EQ(vmsa::check_access(vmsa::Stage::one, p, {true, false, false}),
                          (m.prot & W) ? vmsa::FaultType::none : vmsa::FaultType::permission);
                EXPECT_EQ(vmsa::check_access(vmsa::Stage::one, p, {false, false, true}),
                          (m.prot & NX) ? vmsa::FaultType::permission : vmsa::FaultType::none);
                const unsigned attr = static_cast<unsigned>((cd.value.mair >> (8 * r.translation.memory_attributes)) & 0xFF);
                EXPECT_EQ(attr, (m.prot & C) ? 0xFFu : 0x44u) << "AttrIndx " << r.translation.memory_attributes;
            }
        }
        const std::uint64_t hole = bit(k.ias - 1) + 4 * bit(k.granule_shift);
        EXPECT_EQ(vmsa::walk(walk, hole, view).fault.type, vmsa::FaultType::translation);
        EXPECT_EQ(vmsa::walk(walk, 0, view).fault.type, vmsa::FaultType::translation);
        if (k.ias < 48) {
            const Mapping beyond{bit(k.ias), bit(k.oas - 1), bit(k.granule_shift), R | W, 3};
            EXPECT_EQ(map_one(*table, beyond), -EINVAL);
            EXPECT_EQ(vmsa::walk(walk, bit(k.ias), view).fault.type, vmsa::FaultType::translation);
        }
        for (const Mapping& m : maps) {
            unmap_one(*table, m);
            for (const std::uint64_t off : probes(m)) {
                EXPECT_EQ(vmsa::walk(walk, m.iova + off, view).fault.type, vmsa::FaultType::translation)
                    << std::hex << m.iova + off;
            }
        }
        EXPECT_EQ(memory.bad_accesses, 0);
    }
}

// Stage 2 for each granule, including the start tables that must be concatenated (Arm ARM R_DXBSH,
// R_SRKBC: a 40-bit PA size with 4K cannot start at level 0, with 16K at level 1; a 48-bit IPA with
// 16K cannot start at level 0), where S2SL0 must name the level below. S2AP read-only, write-only
// and read-write, XN, and MemAttr write-back for cacheable mappings, non-cacheable otherwise.
TEST(PgtableWalkedByModels, ArmStage2EveryGranuleConcatenatedStartTablesAndPermissions) {
    const smmu::Features f = smmu_features();
    const std::vector<ArmCase> cases = {
        {12, 40, 40, 1, k1G},  // 28 bits: level 0 with 2 entries not allowed -> 2 tables at level 1
        {12, 48, 48, 0, k1G},  // 36 bits: 4 levels, level 0
        {12, 32, 44, 1, k1G},  // 20 bits: level 1 (4 entries)
        {14, 48, 48, 1, 0},    // 34 bits: level 0 not allowed -> 2 tables at level 1
        {14, 40, 40, 2, 0},    // 26 bits: level 1 not allowed with a 40-bit PA -> 16 tables at level 2
        {14, 36, 48, 2, 0},    // 22 bits: level 2 (2048 entries)
        {16, 48, 52, 1, k4T},  // 32 bits: level 1 (64 entries); 52-bit PA, 4T blocks
        {16, 40, 48, 2, 0},    // 24 bits: level 2 (2048 entries)
    };
    for (const ArmCase& k : cases) {
        SCOPED_TRACE(arm_case_name("stage 2", k));
        FakePgtableMemory memory;
        io::IoPgtableCfg cfg;
        auto table = alloc_arm(io::IoPgtableFmt::ARM_64_LPAE_S2, k, memory, cfg);
        ASSERT_TRUE(table);

        const auto ste = smmu::decode_ste(stage2_ste(cfg.arm_lpae_s2_cfg), f);
        ASSERT_TRUE(ste.ok()) << ste.reason;
        ASSERT_EQ(ste.value.mode, smmu::StreamMode::stage2);
        const vmsa::WalkConfig walk = ste.value.stage2;
        EXPECT_EQ(walk.granule_bits, k.granule_shift);
        EXPECT_EQ(walk.input_bits, k.ias);
        EXPECT_EQ(walk.output_bits, k.oas);
        EXPECT_EQ(walk.start_level, k.start_level);
        EXPECT_EQ(walk.table_base, cfg.arm_lpae_s2_cfg.vttbr);  // the start table is aligned to its size

        const std::vector<Mapping> maps = arm_mappings(k, true);
        for (const Mapping& m : maps) ASSERT_EQ(map_one(*table, m), 0) << std::hex << m.iova;

        WalkerView view(memory);
        for (const Mapping& m : maps) {
            for (const std::uint64_t off : probes(m)) {
                SCOPED_TRACE(::testing::Message() << std::hex << "ipa 0x" << m.iova + off);
                const vmsa::WalkResult r = vmsa::walk(walk, m.iova + off, view);
                ASSERT_TRUE(r.ok()) << vmsa::to_string(r.fault.type) << " at level " << r.fault.level;
                EXPECT_EQ(r.translation.output_address, m.pa + off);
                EXPECT_EQ(r.translation.size_bits, log2_of(m.size));
                EXPECT_EQ(r.translation.level, m.level);
                const auto& p = r.translation.permissions;
                EXPECT_EQ(vmsa::check_access(vmsa::Stage::two, p, {false, false, false}),
                          (m.prot & R) ? vmsa::FaultType::none : vmsa::FaultType::permission);
                EXPECT_EQ(vmsa::check_access(vmsa::Stage::two, p, {true, false, false}),
                          (m.prot & W) ? vmsa::FaultType::none : vmsa::FaultType::permission);
                EXPECT_EQ(vmsa::check_access(vmsa::Stage::two, p, {false, false, true}),
                          ((m.prot & R) && !(m.prot & NX)) ? vmsa::FaultType::none : vmsa::FaultType::permission);
                EXPECT_EQ(r.translation.memory_attributes, (m.prot & C) ? 0xFu : 0x5u);
            }
        }
        // The first half of a concatenated start table (and of any start table) is empty.
        EXPECT_EQ(vmsa::walk(walk, 3 * bit(k.granule_shift), view).fault.type, vmsa::FaultType::translation);
        const std::uint64_t hole = bit(k.ias - 1) + 4 * bit(k.granule_shift);
        EXPECT_EQ(vmsa::walk(walk, hole, view).fault.type, vmsa::FaultType::translation);
        if (k.ias < 48) {
            const Mapping beyond{bit(k.ias), bit(k.oas - 1), bit(k.granule_shift), R | W, 3};
            EXPECT_EQ(map_one(*table, beyond), -EINVAL);
            EXPECT_EQ(vmsa::walk(walk, bit(k.ias), view).fault.type, vmsa::FaultType::translation);
        }
        for (const Mapping& m : maps) {
            unmap_one(*table, m);
            for (const std::uint64_t off : probes(m)) {
                EXPECT_EQ(vmsa::walk(walk, m.iova + off, view).fault.type, vmsa::FaultType::translation)
                    << std::hex << m.iova + off;
            }
        }
        EXPECT_EQ(memory.bad_accesses, 0);
    }
}

}  // namespace
