#include "platform/tables/smmuv3_tables.h"

#include "platform/tables/memory_image.h"

#include <map>
#include <sstream>

namespace iommu_vp::platform {
namespace {

// --- Encodings (the builder's own; see the header) -------------------------------------------

// SMMUv3 register offsets (SMMUv3 6.3) and the values written to them.
constexpr std::uint64_t kCr0 = 0x20, kCr0Ack = 0x24, kCr1 = 0x28, kCr2 = 0x2c, kStrtabBase = 0x80, kStrtabBaseCfg = 0x88,
                        kCmdqBase = 0x90, kEvtqBase = 0xa0;
constexpr std::uint32_t kCr0SmmuEn = 1u << 0, kCr0EvtqEn = 1u << 2, kCr0CmdqEn = 1u << 3;
// CR1: queue and table accesses write-back cacheable (IC = OC = 0b01), inner shareable (SH = 0b11).
constexpr std::uint32_t kCr1WriteBackInnerShareable = 0x1 | (0x1 << 2) | (0x3 << 4) | (0x1 << 6) | (0x1 << 8) | (0x3 << 10);
constexpr std::uint32_t kCr2RecordInvalidSidPrivateTlb = (1u << 1) | (1u << 2);  // RECINVSID, PTM
constexpr unsigned kEventQueueLog2 = 7;    // 128 records of 32 bytes
constexpr unsigned kCommandQueueLog2 = 6;  // 64 commands of 16 bytes

// STE (SMMUv3 5.2): word 0 V [0], Config [3:1], S1ContextPtr [51:6]; word 1 S1CIR [3:2], S1COR
// [5:4], S1CSH [7:6], EATS [29:28], SHCFG [45:44]; word 2 S2VMID [15:0], S2T0SZ [37:32], S2SL0 [39:38], S2IR0
// [41:40], S2OR0 [43:42], S2SH0 [45:44], S2TG [47:46], S2PS [50:48], S2AA64 [51], S2R [58];
// word 3 S2TTB [51:4].
constexpr std::uint64_t kSteValid = 1;
constexpr std::uint64_t kSteConfigAbort = 0b000ull << 1, kSteConfigBypass = 0b100ull << 1,
                        kSteConfigStage1 = 0b101ull << 1, kSteConfigStage2 = 0b110ull << 1;
constexpr std::uint64_t kSteS1WriteBackInnerShareable = (0b01ull << 2) | (0b01ull << 4) | (0b11ull << 6);
constexpr std::uint64_t kSteShcfgIncoming = 0b01ull << 44;
constexpr std::uint64_t kSteEatsFull = 0b01ull << 28;  // full ATS
constexpr std::uint64_t kSteS1DssSubstream0 = 0b10;  // word 1 S1DSS [1:0]: no SubstreamID -> CD 0

// CD (SMMUv3 5.4): T0SZ [5:0], TG0 [7:6] (0 = 4 KiB), IRGN0 [9:8], ORGN0 [11:10], SH0 [13:12],
// EPD1 [30], V [31], IPS [34:32], AA64 [41], R [45], A [46], ASET [47], ASID [63:48]; word 1 TTB0
// [51:4]; word 3 MAIR.
constexpr std::uint64_t kCdWord0Fixed = 16u /* T0SZ: 48-bit VA */ | (0b01ull << 8) | (0b01ull << 10) |
                                        (0b11ull << 12) | (1ull << 30) | (1ull << 31) | (1ull << 41) |
                                        (1ull << 45) | (1ull << 46) | (1ull << 47);
constexpr std::uint64_t kMairNormalWriteBack = 0xff;  // attribute 0: Normal, write-back

// VMSAv8-64 descriptors (Arm ARM D8.3), 4 KiB granule: table and page 0b11, block 0b01; AF [10];
// stage 1 AttrIndx [4:2], AP [7:6] (0b01 RW at any level, 0b11 RO), SH [9:8], nG [11]; stage 2
// MemAttr [5:2] (0b1111 Normal write-back), S2AP [7:6] (0b11 RW, 0b01 RO), SH [9:8].
constexpr std::uint64_t kTable = 0b11, kPage = 0b11, kBlock = 0b01;
constexpr std::uint64_t kAccessFlag = 1ull << 10, kInnerShareable = 0b11ull << 8;
constexpr std::uint64_t kStage1ReadWrite = 0b01ull << 6, kStage1ReadOnly = 0b11ull << 6, kNotGlobal = 1ull << 11;
constexpr std::uint64_t kStage2Normal = 0b1111ull << 2, kStage2ReadWrite = 0b11ull << 6, kStage2ReadOnly = 0b01ull << 6;
constexpr std::uint64_t kAddressBits47To12 = ((1ull << 48) - 1) & ~0xfffull;

constexpr unsigned kGranuleBits = 12;
constexpr unsigned kInputBits = 48;
constexpr std::uint64_t kTableBytes = 4096;

unsigned level_shift(unsigned level) { return kGranuleBits + 9 * (3 - level); }

// IPS / S2PS / OAS encodings (SMMUv3 6.3.6).
int address_size_code(unsigned bits) {
    switch (bits) {
    case 32: return 0;
    case 36: return 1;
    case 40: return 2;
    case 42: return 3;
    case 44: return 4;
    case 48: return 5;
    case 52: return 6;
    default: return -1;
    }
}

std::string hex(std::uint64_t v) {
    std::ostringstream os;
    os << "0x" << std::hex << v;
    return os.str();
}

// --- Building ---------------------------------------------------------------------------------

class Builder {
public:
    explicit Builder(const TablesSpec& spec) : spec_(spec), image_(spec.region_base, spec.region_size) {}

    BuiltTables build();

private:
    std::uint64_t allocate(std::uint64_t bytes, std::uint64_t alignment);
    void put64(std::uint64_t address, std::uint64_t value) { image_.put64(address, value); }
    std::uint64_t get64(std::uint64_t address) const { return image_.get64(address); }
    void map(std::uint64_t root, const TableMapping& m, bool stage2, const std::string& where);
    // Stage 2 takes a 48-bit IPA, or an IPA of the output size when that is smaller (S2T0SZ may not
    // exceed the IAS, which is the OAS here); from level 0 above 39 bits, else from level 1.
    unsigned stage2_input_bits() const { return spec_.output_bits < kInputBits ? spec_.output_bits : kInputBits; }
    unsigned stage2_start_level() const { return stage2_input_bits() > 39 ? 0 : 1; }
    std::uint64_t leaf(std::uint64_t output, bool writable, bool stage2, unsigned level) const;
    // A stage-1 CD at `cd` with its own page tables.
    void put_context(std::uint64_t cd, std::uint16_t asid, const std::vector<TableMapping>& mappings,
                     const std::string& where, int oas);
    void fail(const std::string& message) {
        if (error_.empty()) error_ = message;
    }

    const TablesSpec& spec_;
    MemoryImage image_;  // the structures laid out so far
    std::string error_;
};

std::uint64_t Builder::allocate(std::uint64_t bytes, std::uint64_t alignment) {
    if (const std::optional<std::uint64_t> address = image_.allocate(bytes, alignment)) return *address;
    fail("the tables need more than the " + hex(spec_.region_size) + " bytes of their region");
    return spec_.region_base;
}

std::uint64_t Builder::leaf(std::uint64_t output, bool writable, bool stage2, unsigned level) const {
    const std::uint64_t type = level == 3 ? kPage : kBlock;
    const std::uint64_t attributes =
        stage2 ? kStage2Normal | (writable ? kStage2ReadWrite : kStage2ReadOnly)
               : (writable ? kStage1ReadWrite : kStage1ReadOnly) | kNotGlobal;  // AttrIndx 0
    return (output & kAddressBits47To12) | type | kAccessFlag | kInnerShareable | attributes;
}

void Builder::map(std::uint64_t root, const TableMapping& m, bool stage2, const std::string& where) {
    const std::uint64_t page_mask = (1ull << kGranuleBits) - 1;
    const unsigned input_bits = stage2 ? stage2_input_bits() : kInputBits;
    const unsigned start_level = stage2 ? stage2_start_level() : 0;
    if ((m.input | m.output | m.size) & page_mask) {
        fail(where + ": input, output and size must be multiples of 4 KiB");
        return;
    }
    if (m.size == 0 || m.input + m.size > (1ull << input_bits) || m.input + m.size < m.input) {
        fail(where + ": the input range must be non-empty and within " + std::to_string(input_bits) + " bits");
        return;
    }
    if (m.output + m.size < m.output || m.output + m.size > (1ull << spec_.output_bits)) {
        fail(where + ": the output range exceeds the SMMU's " + std::to_string(spec_.output_bits) + "-bit output size");
        return;
    }
    for (std::uint64_t done = 0; done < m.size;) {
        const std::uint64_t input = m.input + done, output = m.output + done, left = m.size - done;
        // The largest block both addresses are aligned to and the mapping still covers.
        unsigned level = 3;
        for (unsigned l : {1u, 2u}) {
            const std::uint64_t block = 1ull << level_shift(l);
            if (((input | output) & (block - 1)) == 0 && left >= block) {
                level = l;
                break;
            }
        }
        std::uint64_t table = root;
        for (unsigned l = start_level; l < level; ++l) {
            const std::uint64_t entry = table + 8 * ((input >> level_shift(l)) & 0x1ff);
            const std::uint64_t descriptor = get64(entry);
            if (descriptor == 0) {
                const std::uint64_t next = allocate(kTableBytes, kTableBytes);
                put64(entry, next | kTable);
                table = next;
            } else if ((descriptor & 0b11) == kTable) {
                table = descriptor & kAddressBits47To12;
            } else {
                fail(where + ": overlaps another mapping at input " + hex(input));
                return;
            }
        }
        const std::uint64_t entry = table + 8 * ((input >> level_shift(level)) & 0x1ff);
        if (get64(entry) != 0) {
            fail(where + ": overlaps another mapping at input " + hex(input));
            return;
        }
        put64(entry, leaf(output, m.writable, stage2, level));
        done += 1ull << level_shift(level);
    }
}

void Builder::put_context(std::uint64_t cd, std::uint16_t asid, const std::vector<TableMapping>& mappings,
                          const std::string& where, int oas) {
    const std::uint64_t root = allocate(kTableBytes, kTableBytes);
    put64(cd, kCdWord0Fixed | (std::uint64_t(oas) << 32) | (std::uint64_t{asid} << 48));
    put64(cd + 8, root);
    put64(cd + 24, kMairNormalWriteBack);
    for (const TableMapping& m : mappings) map(root, m, false, where);
}

BuiltTables Builder::build() {
    BuiltTables out;
    const int oas = address_size_code(spec_.output_bits);
    if (oas < 0) {
        out.error = "output size " + std::to_string(spec_.output_bits) + " is not an SMMUv3 size";
        return out;
    }
    std::uint32_t max_sid = 0;
    for (const TableStream& s : spec_.streams) max_sid = std::max(max_sid, s.stream_id);
    unsigned log2_streams = 0;
    while ((std::uint64_t{1} << log2_streams) <= max_sid) ++log2_streams;
    const std::uint64_t stream_table_bytes = std::uint64_t{64} << log2_streams;
    const std::uint64_t stream_table = allocate(stream_table_bytes, stream_table_bytes);
    const std::uint64_t event_queue = allocate(std::uint64_t{32} << kEventQueueLog2, std::uint64_t{32} << kEventQueueLog2);
    const std::uint64_t command_queue =
        allocate(std::uint64_t{16} << kCommandQueueLog2, std::uint64_t{16} << kCommandQueueLog2);

    // Streams with different tables need different tags: the SMMU caches translations by VMID
    // and ASID, so two contexts sharing a tag would share entries (SMMUv3 3.17). Stage-1 streams
    // here all have VMID 0.
    std::map<std::uint32_t, std::string> asids, vmids;
    auto claim = [&](std::map<std::uint32_t, std::string>& used, std::uint32_t tag, const char* kind,
                     const std::string& who) {
        auto [it, fresh] = used.emplace(tag, who);
        if (!fresh) fail(who + ": " + kind + " " + std::to_string(tag) + " is also " + it->second + "'s");
    };
    for (const TableStream& s : spec_.streams) {
        if (s.translation == StreamTranslation::stage1) {
            claim(asids, s.asid, "ASID", "stream '" + s.name + "'");
            for (const TableContext& c : s.contexts)
                claim(asids, c.asid, "ASID", "stream '" + s.name + "' context '" + c.name + "'");
        } else if (s.translation == StreamTranslation::stage2) {
            claim(vmids, s.vmid, "VMID", "stream '" + s.name + "'");
        }
    }
    for (const TableStream& s : spec_.streams) {
        const std::uint64_t ste = stream_table + 64 * std::uint64_t{s.stream_id};
        if (get64(ste) != 0) fail("stream '" + s.name + "': StreamID " + hex(s.stream_id) + " is given twice");
        const std::string where = "stream '" + s.name + "'";
        if (s.ats && s.translation != StreamTranslation::stage1 && s.translation != StreamTranslation::stage2)
            fail(where + ": ATS (EATS) needs a translating stream (stage1 or stage2)");
        switch (s.translation) {
        case StreamTranslation::abort:
            put64(ste, kSteValid | kSteConfigAbort);
            break;
        case StreamTranslation::bypass:
            put64(ste, kSteValid | kSteConfigBypass);
            put64(ste + 8, kSteShcfgIncoming);
            break;
        case StreamTranslation::stage1: {
            // One CD, or a linear table of 2^S1CDMax CDs when there are substream contexts.
            std::uint32_t max_substream = 0;
            for (const TableContext& c : s.contexts) max_substream = std::max(max_substream, c.substream_id);
            unsigned cd_max = 0;
            while ((std::uint64_t{1} << cd_max) <= max_substream) ++cd_max;
            const std::uint64_t cd_table_bytes = std::uint64_t{64} << cd_max;
            const std::uint64_t cd_table = allocate(cd_table_bytes, cd_table_bytes);
            put64(ste, kSteValid | kSteConfigStage1 | (cd_table & ((1ull << 52) - 1) & ~0x3full) |
                           (std::uint64_t{cd_max} << 59));  // S1CDMax [63:59]; S1Fmt 0: linear
            put64(ste + 8, kSteS1WriteBackInnerShareable | (cd_max ? kSteS1DssSubstream0 : 0) |
                               (s.ats ? kSteEatsFull : 0));
            put_context(cd_table, s.asid, s.mappings, where, oas);
            for (const TableContext& c : s.contexts) {
                if (c.substream_id == 0) fail(where + ": context '" + c.name + "' uses SubstreamID 0, the default context's");
                const std::uint64_t cd = cd_table + 64 * std::uint64_t{c.substream_id};
                if (get64(cd) != 0) fail(where + ": SubstreamID " + hex(c.substream_id) + " is given twice");
                put_context(cd, c.asid, c.mappings, where + " context '" + c.name + "'", oas);
            }
            break;
        }
        case StreamTranslation::stage2: {
            const std::uint64_t root = allocate(kTableBytes, kTableBytes);
            put64(ste, kSteValid | kSteConfigStage2);
            put64(ste + 8, s.ats ? kSteEatsFull : 0);
            // S2T0SZ = 64 - IAS; S2SL0 0b10 starts at level 0, 0b01 at level 1 (4 KiB granule);
            // write-back inner-shareable walks.
            const std::uint64_t s2t0sz = 64 - stage2_input_bits();
            const std::uint64_t s2sl0 = stage2_start_level() == 0 ? 0b10 : 0b01;
            put64(ste + 16, std::uint64_t{s.vmid} | (s2t0sz << 32) | (s2sl0 << 38) | (0b01ull << 40) |
                                (0b01ull << 42) | (0b11ull << 44) | (std::uint64_t(oas) << 48) | (1ull << 51) |
                                (1ull << 58));
            put64(ste + 24, root);
            for (std::size_t i = 0; i < s.mappings.size(); ++i) map(root, s.mappings[i], true, where);
            break;
        }
        }
    }
    if (!error_.empty()) {
        out.error = error_;
        return out;
    }
    out.memory = image_.take_blocks();
    using Step = RegisterStep;
    const std::uint32_t cr0 = kCr0SmmuEn | kCr0EvtqEn | kCr0CmdqEn;
    out.registers = {
        Step::write(kStrtabBase, 8, stream_table, "STRTAB_BASE"),
        Step::write(kStrtabBaseCfg, 4, log2_streams, "STRTAB_BASE_CFG"),  // FMT 0: linear
        Step::write(kCmdqBase, 8, command_queue | kCommandQueueLog2, "CMDQ_BASE"),
        Step::write(kEvtqBase, 8, event_queue | kEventQueueLog2, "EVTQ_BASE"),
        Step::write(kCr1, 4, kCr1WriteBackInnerShareable, "CR1"),
        Step::write(kCr2, 4, kCr2RecordInvalidSidPrivateTlb, "CR2"),
        Step::write(kCr0, 4, cr0, "CR0"),
        Step::poll(kCr0Ack, cr0, cr0, "poll CR0ACK"),
    };
    return out;
}

}  // namespace

BuiltTables build_smmuv3_tables(const TablesSpec& spec) { return Builder(spec).build(); }

}  // namespace iommu_vp::platform
