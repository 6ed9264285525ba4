// io-pgtable tables on the kernel runtime (KernelPgtableMemory): built by a software thread in the
// platform's simulated RAM and read back by the test straight from the RAM model (transport_dbg on
// its target socket), never through the software, and walked there by the hardware models' own
// walkers (models/vtd/page_walk.h, models/smmuv3/vmsa_walk.h).
//
// What is checked: every table page comes from the DMA-coherent window, naturally aligned; a table
// reads as zeros in RAM once the format hands it out (the window is filled with garbage first, so
// zeroing that never reached RAM would show); after map_pages / unmap_pages return, RAM holds what
// the hardware must see; with the runtime's checking memory order, at each link (the compare-and-set
// that installs a table) RAM already holds the table exactly as the CPU sees it, and a walker running
// concurrently on another CPU, polling RAM every couple of nanoseconds while the stores drain, never
// finds garbage, never a wrong address, and never loses a page that stays mapped (the split of a
// live 2M superpage is hitless for the rest of it); destroying the table gives every page back.
//
// Expected values are the mappings the test makes and the architecture's table shapes (a 4-level
// VT-d walk needs a table at each level below the root; 2M / 4K = 512 leaves in a split; a 16K
// stage 2 with a 40-bit IPA and PA starts at level 2 with 16 concatenated tables).
#include "sc_test.h"
#include "models/smmuv3/features.h"
#include "models/smmuv3/ste.h"
#include "models/smmuv3/vmsa_walk.h"
#include "models/vtd/page_walk.h"
#include "sw_stack/iommu/pgtable/io_pgtable.h"
#include "sw_stack/iommu/pgtable/kernel_pgtable_memory.h"
#include "sw_stack/iommu/prot.h"
#include "sw_stack/kernel/dma_memory.h"
#include "sw_stack/kernel/runtime.h"
#include "unit/systemc/kernel_bench.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace iommu_vp {
namespace {

using namespace testing::kernel_bench;
using kernel::Runtime;

constexpr std::uint64_t kWindow = kRam + 0x100'0000;  // the DMA-coherent window, inside RAM
constexpr std::uint64_t kWindowSize = 0x40'0000;      // 4 MiB
constexpr std::uint64_t kGarbage = 0xA5A5'A5A5'A5A5'A5A5ull;
constexpr std::uint64_t kLinkAddress = 0x0000'FFFF'FFFF'F000ull;  // a link's table address, both formats

constexpr std::uint64_t k4K = 1ull << 12, k16K = 1ull << 14, k2M = 1ull << 21, k32M = 1ull << 25, k1G = 1ull << 30;
constexpr int kRw = iommu::IOMMU_READ | iommu::IOMMU_WRITE;

sc_core::sc_time ns(double n) { return sc_core::sc_time(n, sc_core::SC_NS); }

// ---- the RAM model, read and written by the test through its debug transport ----------------------

unsigned ram_debug(Bench& bench, tlm::tlm_command command, std::uint64_t pa, std::uint8_t* data, unsigned length) {
    tlm::tlm_generic_payload p;
    p.set_command(command);
    p.set_address(pa - kRam);  // the router hands RAM its local address
    p.set_data_ptr(data);
    p.set_data_length(length);
    p.set_streaming_width(length);
    return bench.ram->target.get_base_interface().transport_dbg(p);
}

std::uint64_t ram_read64(Bench& bench, std::uint64_t pa) {
    std::uint8_t bytes[8] = {};
    EXPECT_EQ(ram_debug(bench, tlm::TLM_READ_COMMAND, pa, bytes, 8), 8u) << std::hex << pa;
    std::uint64_t value = 0;
    for (unsigned i = 8; i-- > 0;) value = (value << 8) | bytes[i];
    return value;
}

void ram_fill_garbage(Bench& bench, std::uint64_t pa, std::uint64_t size) {
    std::vector<std::uint8_t> chunk(4096, static_cast<std::uint8_t>(kGarbage));
    for (std::uint64_t off = 0; off < size; off += chunk.size()) {
        ASSERT_EQ(ram_debug(bench, tlm::TLM_WRITE_COMMAND, pa + off, chunk.data(), 4096), 4096u);
    }
}

// Words of [pa, pa + bytes) in RAM that are not zero.
std::size_t ram_nonzero_words(Bench& bench, std::uint64_t pa, std::size_t bytes) {
    std::size_t n = 0;
    for (std::uint64_t a = pa; a < pa + bytes; a += 8) n += ram_read64(bench, a) != 0;
    return n;
}

// The RAM model as the IOMMU models' walkers read it.
class RamView : public vtd::TableMemory, public vmsa::DescriptorReader {
public:
    explicit RamView(Bench& bench) : bench_(bench) {}
    vtd::FetchStatus read64(std::uint64_t address, std::uint64_t& value) override {
        value = ram_read64(bench_, address);
        return vtd::FetchStatus::ok;
    }
    vtd::FetchStatus compare_exchange64(std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t& observed) override {
        ADD_FAILURE() << "no accessed/dirty update expected (SLADE off)";
        observed = 0;
        return vtd::FetchStatus::error;
    }
    vmsa::FetchStatus read_descriptor(std::uint64_t address, std::uint64_t& descriptor) override {
        descriptor = ram_read64(bench_, address);
        return vmsa::FetchStatus::ok;
    }

private:
    Bench& bench_;
};

// KernelPgtableMemory with the test watching: where tables come from, and at each link (the
// compare-and-set installing a table) what RAM holds of the table about to be linked.
class ObservedMemory final : public iommu::IoPgtableMemory {
public:
    explicit ObservedMemory(Bench& bench) : bench_(bench) {}

    std::optional<std::uint64_t> alloc_table(std::size_t bytes) override {
        const auto address = inner_.alloc_table(bytes);
        if (address) {
            live[*address] = bytes;
            allocations.push_back(*address);
            if (*address < kWindow || *address + bytes > kWindow + kWindowSize) ++outside_window;
            if (*address % bytes != 0) ++misaligned;
        }
        return address;
    }
    void free_table(std::uint64_t address, std::size_t bytes) override {
        const auto it = live.find(address);
        if (it == live.end() || it->second != bytes) {
            ++bad_frees;
        } else {
            live.erase(it);
        }
        inner_.free_table(address, bytes);
    }
    std::uint64_t read64(std::uint64_t address) override { return inner_.read64(address); }
    void write64(std::uint64_t address, std::uint64_t value) override { inner_.write64(address, value); }
    void publish() override { inner_.publish(); }

    std::uint64_t cmpxchg64(std::uint64_t address, std::uint64_t expected, std::uint64_t desired) override {
        // The link is not visible yet...
        if (ram_read64(bench_, address) != expected) ++link_visible_early;
        // ...and the table it names is already in RAM exactly as this CPU sees it.
        const auto it = live.find(desired & kLinkAddress);
        if (it == live.end()) {
            ++unknown_links;
        } else {
            std::size_t nonzero = 0;
            for (std::uint64_t a = it->first; a < it->first + it->second; a += 8) {
                const std::uint64_t in_ram = ram_read64(bench_, a);
                if (in_ram != inner_.read64(a)) ++stale_words_at_link;
                nonzero += in_ram != 0;
            }
            nonzero_words_at_link.push_back(nonzero);
        }
        const std::uint64_t old = inner_.cmpxchg64(address, expected, desired);
        if (old == expected && ram_read64(bench_, address) != desired) ++link_not_visible;
        return old;
    }

    std::map<std::uint64_t, std::size_t> live;
    std::vector<std::uint64_t> allocations;
    std::vector<std::size_t> nonzero_words_at_link;  // one per link, in order
    int outside_window = 0;
    int misaligned = 0;
    int bad_frees = 0;
    int unknown_links = 0;
    int stale_words_at_link = 0;
    int link_visible_early = 0;
    int link_not_visible = 0;

private:
    Bench& bench_;
    iommu::KernelPgtableMemory inner_;
};

// An address the concurrent walker checks, and what it may see there now.
struct Probe {
    enum class State { maybe, present, absent };
    std::uint64_t iova;
    std::uint64_t pa;
    State state = State::maybe;
};

// Sets the walker's stop flag however the driver's body ends.
struct StopOnExit {
    bool& stop;
    ~StopOnExit() { stop = true; }
};

// What the concurrent walker saw.
struct WalkerLog {
    unsigned rounds = 0;
    unsigned translated = 0;
    unsigned wrong_address = 0;  // a translation to somewhere else
    unsigned lost = 0;           // a fault where the page had to be present
    unsigned stale = 0;          // a translation where the page had to be absent
    unsigned bad_faults = 0;     // any fault other than "not mapped" (garbage in a table)
};

kernel::RuntimeParams params(kernel::OrderingMode ordering) {
    kernel::RuntimeParams p;
    p.dma_window_base = kWindow;
    p.dma_window_size = kWindowSize;
    p.ordering = ordering;
    p.seed = 0x5eed'0017;
    return p;
}

void expect_no_reports(Bench& bench) {
    bench.runtime->collect_validator_reports();
    EXPECT_TRUE(bench.runtime->reports().empty()) << bench.reports.str();
}

vtd::SecondLevelConfig second_level_config(const iommu::VtdPgtableCfg& out) {
    vtd::SecondLevelConfig c;
    c.root = out.root;
    c.input_bits = 30 + 9 * out.agaw;  // AW 1, 2, 3: 39, 48, 57 bits (VT-d 9.6)
    c.snoop_allowed = true;
    c.page_2m = true;
    c.page_1g = true;
    c.host_address_bits = 48;
    return c;
}

vtd::Access read_access() { return vtd::Access{}; }

class PgtableKernelMemoryTest : public iommu_vp::testing::ScTest {};

// Program order: (a) every table page from the DMA window and the root zeroed in RAM, (b) after
// map_pages and unmap_pages return, RAM holds what the VT-d walker must find, (d) destruction gives
// back every page.
TEST_F(PgtableKernelMemoryTest, VtdTablesComeFromTheDmaWindowAreInRamAfterMapAndAllReturn) {
    Bench bench(params(kernel::OrderingMode::program_order));
    ram_fill_garbage(bench, kWindow, kWindowSize);
    bool finished = false;
    bench.runtime->spawn("driver", [&] {
        const std::uint64_t start = kernel::dma_bytes_in_use();
        ObservedMemory memory(bench);
        iommu::IoPgtableCfg cfg;
        cfg.pgsize_bitmap = k4K | k2M | k1G;
        cfg.ias = 48;
        cfg.oas = 48;
        std::string why;
        auto table = iommu::alloc_io_pgtable_ops(iommu::IoPgtableFmt::VTD_SECOND_LEVEL, cfg, memory, &why);
        ASSERT_TRUE(table) << why;
        ASSERT_EQ(cfg.vtd_cfg.levels, 4u);
        EXPECT_EQ(ram_nonzero_words(bench, cfg.vtd_cfg.root, 4096), 0u);  // the root's zeros reached RAM
        const vtd::SecondLevelConfig sl = second_level_config(cfg.vtd_cfg);
        RamView ram(bench);

        // A 4K page (new tables at levels 3, 2 and 1), its read-only neighbour, and a read-only 2M
        // superpage under another level-4 entry (new tables at levels 3 and 2).
        struct Map {
            std::uint64_t iova, pa, size;
            int prot;
        };
        const std::vector<Map> maps = {{0x12'3456'7000, 0x1'2345'6000, k4K, kRw},
                                       {0x12'3456'8000, 0x1'2345'9000, k4K, iommu::IOMMU_READ},
                                       {0x80'4060'0000, 0x2'00C0'0000, k2M, iommu::IOMMU_READ}};
        for (const Map& m : maps) {
            std::uint64_t mapped = 0;
            ASSERT_EQ(table->map_pages(m.iova, m.pa, m.size, 1, m.prot, &mapped), 0);
            // (b) map_pages has returned: the hardware finds the mapping in RAM.
            for (const std::uint64_t off : {std::uint64_t{0}, m.size - 8}) {
                const vtd::WalkResult r = vtd::second_level_walk(sl, m.iova + off, read_access(), ram);
                ASSERT_TRUE(r.ok()) << vtd::to_string(r.fault.kind) << std::hex << " at 0x" << m.iova + off;
                EXPECT_EQ(r.translation.output_address, m.pa + off);
                EXPECT_EQ(r.translation.size_bits, m.size == k4K ? 12u : 21u);
                EXPECT_EQ(r.translation.permissions.write, (m.prot & iommu::IOMMU_WRITE) != 0);
            }
        }
        // (a) The root and five tables (levels 3, 2, 1 for the pages; 3, 2 for the superpage), all in
        // the window, 4K-aligned, and each linked exactly once.
        EXPECT_EQ(memory.allocations.size(), 6u);
        EXPECT_EQ(memory.outside_window, 0);
        EXPECT_EQ(memory.misaligned, 0);
        EXPECT_EQ(memory.nonzero_words_at_link.size(), 5u);
        EXPECT_EQ(kernel::dma_bytes_in_use(), start + 6 * 4096);

        // (b) Unmap: once unmap_pages returns the walker faults there, and only there.
        EXPECT_EQ(table->unmap_pages(0x12'3456'7000, k4K, 1, nullptr), k4K);
        EXPECT_EQ(vtd::second_level_walk(sl, 0x12'3456'7000, read_access(), ram).fault.kind,
                  vtd::FaultKind::not_present);
        EXPECT_EQ(vtd::second_level_walk(sl, 0x12'3456'8010, read_access(), ram).translation.output_address,
                  0x1'2345'9010u);
        EXPECT_EQ(table->unmap_pages(0x80'4060'0000, k2M, 1, nullptr), k2M);
        EXPECT_EQ(vtd::second_level_walk(sl, 0x80'4060'1000, read_access(), ram).fault.kind,
                  vtd::FaultKind::not_present);

        // (d) Destruction returns every page.
        table.reset();
        EXPECT_TRUE(memory.live.empty());
        EXPECT_EQ(memory.bad_frees, 0);
        EXPECT_EQ(kernel::dma_bytes_in_use(), start);
        finished = true;
    }, 0);
    sc_core::sc_start();
    EXPECT_TRUE(finished);
    expect_no_reports(bench);
}

// The walker thread: polls RAM every 2 ns with `walk_one` until `stop`, checking every probe
// against what it may see then.
template <typename WalkOne>
void run_walker(const bool& ready, const bool& stop, std::vector<Probe>& probes, WalkerLog& log, WalkOne walk_one) {
    // Bounded, so a driver that failed an assertion half-way cannot keep the simulation running.
    while (!stop && sc_core::sc_time_stamp() < sc_core::sc_time(100, sc_core::SC_MS)) {
        if (ready) {
            ++log.rounds;
            for (const Probe& p : probes) walk_one(p, log);
        }
        Runtime::get().delay(ns(2));
    }
}

// Checking memory order, VT-d second level: a walker on another CPU polls RAM while the driver maps
// a page and a 2M superpage, then unmaps one 4K page out of the superpage with split_block (a full
// table of 512 leaves linked in place of the live superpage), then unmaps everything. (c) At every
// link RAM already holds the table as the CPU sees it; the walker never meets garbage, a wrong
// address or a page of the superpage missing during the split. (d) Every page comes back.
TEST_F(PgtableKernelMemoryTest, CheckingOrderVtdWalkerNeverSeesALinkBeforeItsTable) {
    Bench bench(params(kernel::OrderingMode::checking));
    ram_fill_garbage(bench, kWindow, kWindowSize);
    bool ready = false, stop = false, finished = false;
    vtd::SecondLevelConfig sl;
    constexpr std::uint64_t kPage = 0x12'3456'7000, kPagePa = 0x1'2345'6000;
    constexpr std::uint64_t kSuper = 0x80'4060'0000, kSuperPa = 0x2'00C0'0000;
    constexpr std::uint64_t kHole = kSuper + 0x5000;  // the page the split unmaps
    using State = Probe::State;
    std::vector<Probe> probes = {{kPage, kPagePa},
                                 {kPage + 0xFF8, kPagePa + 0xFF8},
                                 {kSuper, kSuperPa},
                                 {kHole + 0x10, kSuperPa + 0x5010},
                                 {kSuper + 0x4FF8, kSuperPa + 0x4FF8},
                                 {kSuper + 0x6000, kSuperPa + 0x6000},
                                 {kSuper + 0x1F'FFF8, kSuperPa + 0x1F'FFF8}};
    const auto set_state = [&](std::uint64_t from, std::uint64_t to, State state) {
        for (Probe& p : probes) {
            if (p.iova >= from && p.iova < to) p.state = state;
        }
    };
    WalkerLog log;
    RamView ram(bench);

    bench.runtime->spawn("driver", [&] {
        const StopOnExit guard{stop};
        const std::uint64_t start = kernel::dma_bytes_in_use();
        ObservedMemory memory(bench);
        iommu::IoPgtableCfg cfg;
        cfg.pgsize_bitmap = k4K | k2M | k1G;
        cfg.ias = 48;
        cfg.oas = 48;
        cfg.partial_block_unmap = iommu::PartialBlockUnmap::split_block;
        std::string why;
        auto table = iommu::alloc_io_pgtable_ops(iommu::IoPgtableFmt::VTD_SECOND_LEVEL, cfg, memory, &why);
        ASSERT_TRUE(table) << why;
        sl = second_level_config(cfg.vtd_cfg);
        ready = true;  // the root is published: the walker may start

        std::uint64_t mapped = 0;
        ASSERT_EQ(table->map_pages(kPage, kPagePa, k4K, 1, kRw, &mapped), 0);
        set_state(kPage, kPage + k4K, State::present);
        ASSERT_EQ(table->map_pages(kSuper, kSuperPa, k2M, 1, kRw, &mapped), 0);
        set_state(kSuper, kSuper + k2M, State::present);

        // The split: the rest of the superpage must stay visible throughout.
        set_state(kHole, kHole + k4K, State::maybe);
        EXPECT_EQ(table->unmap_pages(kHole, k4K, 1, nullptr), k4K);
        set_state(kHole, kHole + k4K, State::absent);
        const vtd::WalkResult beside = vtd::second_level_walk(sl, kHole + k4K, read_access(), ram);
        EXPECT_TRUE(beside.ok());
        EXPECT_EQ(beside.translation.size_bits, 12u);  // now a 4K leaf of the split table

        set_state(0, ~0ull, State::maybe);
        EXPECT_EQ(table->unmap_pages(kPage, k4K, 1, nullptr), k4K);
        EXPECT_EQ(table->unmap_pages(kSuper, k4K, 512, nullptr), k2M);
        set_state(0, ~0ull, State::absent);
        Runtime::get().delay(ns(10));  // a few more walker rounds over the empty tables

        // (c) Links: levels 3, 2, 1 for the page, 3, 2 for the superpage, all empty when linked; then
        // the split table, holding its 512 leaves when linked.
        EXPECT_EQ(memory.nonzero_words_at_link, (std::vector<std::size_t>{0, 0, 0, 0, 0, 512}));
        EXPECT_EQ(memory.unknown_links, 0);
        EXPECT_EQ(memory.stale_words_at_link, 0);
        EXPECT_EQ(memory.link_visible_early, 0);
        EXPECT_EQ(memory.link_not_visible, 0);
        EXPECT_EQ(memory.outside_window, 0);

        // (d)
        stop = true;
        table.reset();
        EXPECT_TRUE(memory.live.empty());
        EXPECT_EQ(memory.bad_frees, 0);
        EXPECT_EQ(kernel::dma_bytes_in_use(), start);
        finished = true;
    }, 0);
    bench.runtime->spawn("walker", [&] {
        run_walker(ready, stop, probes, log, [&](const Probe& p, WalkerLog& l) {
            const vtd::WalkResult r = vtd::second_level_walk(sl, p.iova, read_access(), ram);
            if (r.ok()) {
                ++l.translated;
                l.wrong_address += r.translation.output_address != p.pa;
                l.stale += p.state == State::absent;
            } else if (r.fault.kind == vtd::FaultKind::not_present) {
                l.lost += p.state == State::present;
            } else {
                if (++l.bad_faults == 1) {  // the first only: a broken order would repeat every round
                    ADD_FAILURE() << "walker: " << vtd::to_string(r.fault.kind) << std::hex << " at 0x" << p.iova;
                }
            }
        });
    }, 1);
    sc_core::sc_start();
    EXPECT_TRUE(finished);
    EXPECT_GT(log.rounds, 100u);
    EXPECT_GT(log.translated, 100u);
    EXPECT_EQ(log.wrong_address, 0u);
    EXPECT_EQ(log.lost, 0u);
    EXPECT_EQ(log.stale, 0u);
    EXPECT_EQ(log.bad_faults, 0u);
    expect_no_reports(bench);
}

// Checking memory order, Arm stage 2 with a 16K granule and 40-bit IPA and PA: the start table is
// 16 concatenated 16K tables at level 2 (256K, aligned to 256K: TTB alignment) taken from the DMA
// window; pages in its first and last tables (new level-3 tables) and a 32M block in it. The SMMUv3
// walker, configured from the reported VTCR as the SMMU decodes an STE, polls RAM concurrently.
TEST_F(PgtableKernelMemoryTest, CheckingOrderArmStage2ConcatenatedRootFromTheWindowWalksFromRam) {
    Bench bench(params(kernel::OrderingMode::checking));
    ram_fill_garbage(bench, kWindow, kWindowSize);
    bool ready = false, stop = false, finished = false;
    vmsa::WalkConfig walk;
    smmuv3::Features features;
    features.granule_16k = true;
    using State = Probe::State;
    struct Map {
        std::uint64_t ipa, pa, size;
    };
    const std::vector<Map> maps = {{0x0000'4000, 0x12'3450'0000, k16K},          // first concatenated table
                                   {0xFF'FFFF'C000, 0x23'4560'C000, k16K},       // last one
                                   {0x80'0200'0000, 0x40'0600'0000, k32M}};      // a block in the start table
    std::vector<Probe> probes;
    for (const Map& m : maps) {
        probes.push_back({m.ipa, m.pa});
        probes.push_back({m.ipa + m.size - 8, m.pa + m.size - 8});
    }
    WalkerLog log;
    RamView ram(bench);

    bench.runtime->spawn("driver", [&] {
        const StopOnExit guard{stop};
        const std::uint64_t start = kernel::dma_bytes_in_use();
        ObservedMemory memory(bench);
        iommu::IoPgtableCfg cfg;
        cfg.pgsize_bitmap = k16K | k32M;
        cfg.ias = 40;
        cfg.oas = 40;
        std::string why;
        auto table = iommu::alloc_io_pgtable_ops(iommu::IoPgtableFmt::ARM_64_LPAE_S2, cfg, memory, &why);
        ASSERT_TRUE(table) << why;
        const iommu::ArmLpaeS2Cfg& s2 = cfg.arm_lpae_s2_cfg;
        // (a) The start table: 256K from the window, aligned to its size, zeros in RAM.
        ASSERT_EQ(memory.allocations.size(), 1u);
        EXPECT_EQ(memory.live.at(s2.vttbr), 16 * k16K);
        EXPECT_EQ(memory.outside_window, 0);
        EXPECT_EQ(memory.misaligned, 0);
        EXPECT_EQ(ram_nonzero_words(bench, s2.vttbr, 16 * k16K), 0u);

        // The stage-2 walk as an SMMU decodes S2TG, S2T0SZ, S2SL0, S2PS and S2TTB.
        walk.stage = vmsa::Stage::two;
        walk.granule_bits = smmuv3::tg0_granule_bits(s2.vtcr.tg0);
        walk.input_bits = 64 - s2.vtcr.t0sz;
        const auto level = vmsa::start_level_stage2(walk.granule_bits, s2.vtcr.sl0, walk.input_bits);
        ASSERT_TRUE(level);
        EXPECT_EQ(*level, 2u);
        walk.start_level = *level;
        walk.output_bits = smmuv3::effective_output_bits(s2.vtcr.ps, features);
        walk.table_base = s2.vttbr;
        ready = true;

        for (const Map& m : maps) {
            std::uint64_t mapped = 0;
            ASSERT_EQ(table->map_pages(m.ipa, m.pa, m.size, 1, kRw, &mapped), 0);
            for (Probe& p : probes) {
                if (p.iova >= m.ipa && p.iova < m.ipa + m.size) p.state = State::present;
            }
        }
        // (c) Two level-3 tables linked, each empty (zeros in RAM) when linked.
        EXPECT_EQ(memory.nonzero_words_at_link, (std::vector<std::size_t>{0, 0}));
        EXPECT_EQ(memory.unknown_links, 0);
        EXPECT_EQ(memory.stale_words_at_link, 0);
        EXPECT_EQ(memory.link_visible_early, 0);
        EXPECT_EQ(memory.link_not_visible, 0);
        EXPECT_EQ(memory.outside_window, 0);
        EXPECT_EQ(memory.misaligned, 0);

        for (Probe& p : probes) p.state = State::maybe;
        for (const Map& m : maps) EXPECT_EQ(table->unmap_pages(m.ipa, m.size, 1, nullptr), m.size);
        for (Probe& p : probes) p.state = State::absent;
        Runtime::get().delay(ns(10));

        // (d)
        stop = true;
        table.reset();
        EXPECT_TRUE(memory.live.empty());
        EXPECT_EQ(memory.bad_frees, 0);
        EXPECT_EQ(kernel::dma_bytes_in_use(), start);
        finished = true;
    }, 0);
    bench.runtime->spawn("walker", [&] {
        run_walker(ready, stop, probes, log, [&](const Probe& p, WalkerLog& l) {
            const vmsa::WalkResult r = vmsa::walk(walk, p.iova, ram);
            if (r.ok()) {
                ++l.translated;
                l.wrong_address += r.translation.output_address != p.pa;
                l.stale += p.state == State::absent;
            } else if (r.fault.type == vmsa::FaultType::translation) {
                l.lost += p.state == State::present;
            } else {
                if (++l.bad_faults == 1) {
                    ADD_FAILURE() << "walker: " << vmsa::to_string(r.fault.type) << " at level " << r.fault.level
                                  << std::hex << " for 0x" << p.iova;
                }
            }
        });
    }, 1);
    sc_core::sc_start();
    EXPECT_TRUE(finished);
    EXPECT_GT(log.rounds, 100u);
    EXPECT_GT(log.translated, 10u);
    EXPECT_EQ(log.wrong_address, 0u);
    EXPECT_EQ(log.lost, 0u);
    EXPECT_EQ(log.stale, 0u);
    EXPECT_EQ(log.bad_faults, 0u);
    expect_no_reports(bench);
}

}  // namespace
}  // namespace iommu_vp
