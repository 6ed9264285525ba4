// vtd::translate() end to end against tables written by hand in a fake memory: legacy and
// scalable-mode root/context entries, PASID directory and table entries, first-level, second-level
// and nested walks, fault reasons and FPD, the translation caches and every invalidation (decoded
// from hand-encoded descriptor and register words), caching mode, nested IOTLB probes and the
// dirty-bit re-walk. Every table entry, descriptor and register value below is a literal worked out
// from the VT-d formats (/work/shared/spec/registers-and-formats.md Part B), never built with the
// model's field constants:
//   legacy root entry      P 0, CTP [63:12]; [127:64] reserved
//   legacy context entry   P 0, FPD 1, TT [3:2], [11:4] reserved, SLPTPTR [63:12];
//                          AW [66:64], 71 reserved, DID [87:72] (word 1 bits 23:8)
//   SM root entry          LP 0, LCTP [63:12] (devfn 0..127); UP 64, UCTP [127:76] (devfn 128..255)
//   SM context entry       P 0, FPD 1, DTE 2, PASIDE 3, PRE 4, [8:5] reserved, PDTS [11:9],
//                          PASIDDIRPTR [63:12]; RID_PASID [83:64], RID_PRIV 84
//   PASID directory entry  P 0, FPD 1, [11:2] reserved, SMPTBLPTR [63:12]; PASID[19:6] indexes it
//   PASID-table entry      P 0, FPD 1, AW [4:2], SLEE 5, PGTT [8:6], SLADE 9, [11:10] reserved,
//                          SLPTPTR [63:12]; DID [79:64]; SRE 128, ERE 129, FLPM [131:130], WPE 132,
//                          NXE 133, SMEP 134, EAFE 135, FLPTPTR [191:140]; PASID[5:0] indexes it
//   second-level entry     R 0, W 1, X 2, PS 7, A 8, D 9, SNP 11, ADDR [51:12], 62 reserved
//   first-level entry      P 0, R/W 1, U/S 2, PWT 3, PCD 4, A 5, D 6, PS 7, G 8, ADDR [51:12], XD 63
//   descriptors            type [3:0], G [5:4], DID [31:16], CC SID [47:32] FM [49:48],
//                          PASID [51:32]; qw1 AM [5:0], IH 6, ADDR [63:12]
//   CCMD_REG               DID [15:0], SID [31:16], FM [33:32], CIRG [62:61], ICC 63
//   IOTLB_REG / IVA_REG    DID [47:32], IIRG [61:60], IVT 63 / AM [5:0], IH 6, ADDR [63:12]
//
// Fault reasons translate() produces (from translate.cpp, context_entry.cpp, pasid_entry.cpp and
// page_walk.cpp) and where each is provoked here (TranslateFaultReasons.* cases unless named):
//   legacy   0x01 0x02 0x03 (TT = 3, AW not in SAGAW, error reading the SL root table) 0x04 0x05
//            0x06 0x07 0x08 0x09 0x0A 0x0B 0x0C 0x0D 0x0E 0x30 (TTM = 10; TTM = 01 without SMTS)
//            0x31
//   scalable 0x38 0x39 (lower and upper half) 0x3A 0x40 0x41 0x42 0x44 0x45 0x46 0x50 0x51 0x52
//            0x58 0x59 0x5A 0x5B (PGTT = 0, FLPM = 1 without FL5LP) 0x5C 0x5D 0x70 0x71 0x72 0x73
//            0x74 0x75 0x76 0x77 0x78 0x79 (SL only; nested output) 0x7A 0x7B 0x80 0x81
//            0x82 (needs ECAP.ERS, see below) 0x83 0x84 (SL input; nested output) 0x85 (FL; SL)
//            0x86 0x87 0x91
// Not reachable:
//   0x43 SCT.4  no check of the scalable-mode context entry yields it (context_entry.h: RID_PASID
//               without RPS is not a fault and every other bad field is SCT.3).
//   0x47 SCT.8, 0x48 SCT.9  page requests are not modelled; RID_PASID is never checked.
//   0x82 SGN.3 with the default Features: ECAP.ERS = 0 makes ERE Reserved(0), so every execute
//               request with PASID stops at 0x5C SPT.5 before the walk, and requests without PASID
//               carry no execute. Reached here with Features::execute_requests = true.
//   (0x5C SPT.5 IS reachable with the default Features, for that same reason: ERE is always 0.)
//   0x7C SSL.5, 0x90 SFL.9  page-walk snoop is not modelled (page_walk.h).
//   0x32 RTA.3, 0x33 RTA.4  page-group requests are not modelled.
//   0x78 SSL.1 / 0x07 LSL.1 through a failed second-level A/D update: SLADE is Reserved(0) without
//               ECAP.SLADS (Features::second_level_ad = false), so no second-level A/D update happens
//               (0x78 and 0x07 are reached through read errors instead).
//   0x5B SPT.4 / 0x03 LCT.4 from the walk's invalid_configuration: the PASID-entry and
//               context-entry decoders refuse every width the walk could not use first.
//   0x83 SGN.4 from a first-level walk: first-level walks never report input_beyond_width (they
//               report 0x80 non-canonical); 0x83 comes from pass-through (PGTT = 4) only.
#include "models/vtd/translate.h"

#include "models/vtd/caches.h"
#include "models/vtd/invalidation.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace iommu_vp;
using namespace iommu_vp::vtd;

// ---------------------------------------------------------------------------------------------------
// Fake memory: 64-bit words in a map (unwritten words read as zero), reads and compare-and-exchanges
// counted, chosen addresses answering with an error.

class FakeMemory : public TableMemory {
public:
    void put(std::uint64_t address, std::uint64_t value) { words_[address] = value; }
    std::uint64_t at(std::uint64_t address) const {
        const auto it = words_.find(address);
        return it == words_.end() ? 0 : it->second;
    }
    void fail_reads_at(std::uint64_t address) { read_errors_.insert(address); }
    void fail_updates_at(std::uint64_t address) { update_errors_.insert(address); }

    FetchStatus read64(std::uint64_t address, std::uint64_t& value) override {
        ++reads;
        read_log.push_back(address);
        if (read_errors_.count(address)) return FetchStatus::error;
        value = at(address);
        return FetchStatus::ok;
    }
    FetchStatus compare_exchange64(std::uint64_t address, std::uint64_t expected, std::uint64_t desired,
                                   std::uint64_t& observed) override {
        ++updates;
        if (update_errors_.count(address)) return FetchStatus::error;
        observed = at(address);
        if (observed == expected) words_[address] = desired;
        return FetchStatus::ok;
    }
    bool was_read(std::uint64_t address) const {
        for (std::uint64_t a : read_log)
            if (a == address) return true;
        return false;
    }
    void reset_counts() {
        reads = 0;
        updates = 0;
        read_log.clear();
    }

    unsigned reads = 0;
    unsigned updates = 0;
    std::vector<std::uint64_t> read_log;

private:
    std::map<std::uint64_t, std::uint64_t> words_;
    std::set<std::uint64_t> read_errors_;
    std::set<std::uint64_t> update_errors_;
};

unsigned code(const TranslationResult& r) { return static_cast<unsigned>(r.fault); }
bool faulted(const TranslationResult& r) { return r.kind == TranslationResult::Kind::faulted; }
bool translated(const TranslationResult& r) { return r.kind == TranslationResult::Kind::translated; }

// ---------------------------------------------------------------------------------------------------
// The tables. Source-id 0x0219: bus 2, device 3, function 1 (devfn 0x19).

constexpr std::uint16_t kSid = 0x0219;
constexpr std::uint64_t kLegacyRoot = 0x100000;    // RTADDR.RTA, TTM = 00
constexpr std::uint64_t kScalableRoot = 0x200000;  // RTADDR.RTA, TTM = 01

// Legacy: root entry of bus 2 at 0x100000 + 2 * 16; context table 0x101000, devfn 0x19's entry at
// 0x101000 + 0x19 * 16 = 0x101190; a 4-level second-level table 0x102000 (L4) -> 0x103000 (L3) ->
// 0x104000 (L2) -> 0x105000 (L1). The input 0x80_8060_n000 has indices L4 1, L3 2, L2 3, L1 n.
constexpr std::uint64_t kLegacyRootEntry = 0x100020;
constexpr std::uint64_t kLegacyContext = 0x101190;
constexpr std::uint64_t kLegacyPt = 0x105000;
constexpr std::uint64_t legacy_va(unsigned pt_index) { return 0x80'8060'0000ull + pt_index * 0x1000ull + 0xabc; }
constexpr std::uint64_t legacy_pte(unsigned pt_index) { return kLegacyPt + pt_index * 8ull; }

void write_legacy_tables(FakeMemory& m) {
    m.put(0x100020, 0x0000'0000'0010'1001);  // root: P | CTP 0x101000
    m.put(0x100028, 0x0000'0000'0000'0000);  // root bits 127:64 reserved
    m.put(0x101190, 0x0000'0000'0010'2001);  // context: P | FPD 0 | TT 00 | SLPTPTR 0x102000
    m.put(0x101198, 0x0000'0000'0000'0502);  // context: AW 010 (48-bit, 4 levels) | DID 5 at [87:72]
    m.put(0x102008, 0x0000'0000'0010'3003);  // L4[1]: R | W, table 0x103000
    m.put(0x103010, 0x0000'0000'0010'4003);  // L3[2]: R | W, table 0x104000
    m.put(0x104018, 0x0000'0000'0010'5003);  // L2[3]: R | W, table 0x105000
    m.put(0x105020, 0x0000'0045'6789'a003);  // L1[4]: R | W, page 0x45_6789_a000
    m.put(0x105028, 0x0000'0045'6789'b003);  // L1[5]: R | W, page 0x45_6789_b000
    m.put(0x105030, 0x0000'0045'6789'c003);  // L1[6]: R | W, page 0x45_6789_c000
    // L1[7] (0x105038) absent: R = W = 0, not present.
    m.put(0x105040, 0x0000'0045'6789'e001);  // L1[8]: R only
    m.put(0x105048, 0x0000'0045'6789'f002);  // L1[9]: W only
    m.put(0x105050, 0x4000'0045'6789'0003);  // L1[10]: R | W with bit 62 (reserved)
    m.put(0x105058, 0x0000'0000'fee0'0003);  // L1[11]: R | W, page 0xfee0_0000 (interrupt range)
    m.put(0x105060, 0x0000'0045'6789'1003);  // L1[12]: R | W (reads of it fail where a case says so)
}

// Scalable mode: root entry of bus 2 at 0x200000 + 2 * 16 (lower half, devfn 0..127) and +8 (upper
// half); context table 0x201000, devfn 0x19's 32-byte entry at 0x201000 + 0x19 * 32 = 0x201320; PASID
// directory 0x202000 (PDTS 0: 128 entries); PASID table 0x203000 for PASIDs 0..63, PASID n's 64-byte
// entry at 0x203000 + n * 64.
constexpr std::uint64_t kSmRootLower = 0x200020;
constexpr std::uint64_t kSmRootUpper = 0x200028;
constexpr std::uint64_t kSmContext = 0x201320;
constexpr std::uint64_t kPasidDirectory = 0x202000;
constexpr std::uint64_t pasid_entry_at(unsigned pasid) { return 0x203000ull + pasid * 64ull; }

constexpr std::uint32_t kFlPasid = 3;       // first-level only, DID 9
constexpr std::uint32_t kSlPasid = 4;       // second-level only, DID 0xa
constexpr std::uint32_t kNestedPasid = 5;   // nested, DID 0xb, SL 48-bit
constexpr std::uint32_t kPtPasid = 6;       // pass-through, DID 0xc
constexpr std::uint32_t kRidPasid = 7;      // RID_PASID: second-level only, DID 0xa
constexpr std::uint32_t kNested39Pasid = 8;   // nested, DID 0xd, SL 39-bit (3 levels)
constexpr std::uint32_t kNestedBadRoot = 10;  // nested, FLPTPTR GPA 0x7000 (not mapped by the SL)
constexpr std::uint32_t kFlExecPasid = 11;  // first-level only with ERE and NXE (needs ECAP.ERS)
constexpr std::uint32_t kAbsentPasid = 12;  // no entry written

void write_pasid_entry(FakeMemory& m, unsigned pasid, std::uint64_t w0, std::uint64_t w1, std::uint64_t w2) {
    m.put(pasid_entry_at(pasid) + 0, w0);
    m.put(pasid_entry_at(pasid) + 8, w1);
    m.put(pasid_entry_at(pasid) + 16, w2);
}

void write_scalable_tables(FakeMemory& m) {
    m.put(0x200020, 0x0000'0000'0020'1001);  // SM root lower half: LP | LCTP 0x201000 (upper half absent)
    m.put(0x201320, 0x0000'0000'0020'2009);  // SM context: P | PASIDE (3) | PDTS 0 | PASIDDIRPTR 0x202000
    m.put(0x201328, 0x0000'0000'0000'0007);  // SM context: RID_PASID 7, RID_PRIV 0; words 2, 3 zero
    m.put(0x202000, 0x0000'0000'0020'3001);  // directory[0] (PASIDs 0..63): P | SMPTBLPTR 0x203000
    // directory[1] (PASIDs 64..127) absent.
    // PASID 3: PGTT 001 (first level) at [8:6] | P; DID 9; FLPTPTR 0x500000 | SRE (128).
    write_pasid_entry(m, kFlPasid, 0x0000'0000'0000'0041, 0x9, 0x0000'0000'0050'0001);
    // PASID 4: SLPTPTR 0x300000 | PGTT 010 | AW 010 (48-bit) at [4:2] | P; DID 0xa.
    write_pasid_entry(m, kSlPasid, 0x0000'0000'0030'0089, 0xa, 0);
    // PASID 5: SLPTPTR 0x300000 | PGTT 011 (nested) | AW 010 | P; DID 0xb; FLPTPTR GPA 0x1000 | SRE.
    write_pasid_entry(m, kNestedPasid, 0x0000'0000'0030'00c9, 0xb, 0x0000'0000'0000'1001);
    // PASID 6: PGTT 100 (pass-through) | P; DID 0xc.
    write_pasid_entry(m, kPtPasid, 0x0000'0000'0000'0101, 0xc, 0);
    // PASID 7 (RID_PASID): as PASID 4.
    write_pasid_entry(m, kRidPasid, 0x0000'0000'0030'0089, 0xa, 0);
    // PASID 8: SLPTPTR 0x301000 | PGTT 011 | AW 001 (39-bit, 3 levels) | P; DID 0xd; FLPTPTR GPA 0x1000.
    write_pasid_entry(m, kNested39Pasid, 0x0000'0000'0030'10c5, 0xd, 0x0000'0000'0000'1001);
    // PASID 10: as PASID 5 but FLPTPTR GPA 0x7000 | SRE.
    write_pasid_entry(m, kNestedBadRoot, 0x0000'0000'0030'00c9, 0xb, 0x0000'0000'0000'7001);
    // PASID 11: PGTT 001 | P; DID 9; FLPTPTR 0x500000 | NXE (133) | ERE (129).
    write_pasid_entry(m, kFlExecPasid, 0x0000'0000'0000'0041, 0x9, 0x0000'0000'0050'0022);

    // Second-level tables (host physical), 4 levels: 0x300000 (L4) -> 0x301000 (L3) -> 0x302000 (L2)
    // -> 0x303000 (L1). Used as a 3-level (39-bit) table by PASID 8 from 0x301000.
    m.put(0x300000, 0x0000'0000'0030'1003);  // L4[0]: R | W
    m.put(0x301000, 0x0000'0000'0030'2003);  // L3[0]: R | W
    m.put(0x302000, 0x0000'0000'0030'3003);  // L2[0]: R | W, table 0x303000
    m.put(0x302010, 0x0000'0000'8000'0083);  // L2[2]: 2 MiB leaf (PS 7) | R | W: GPA 0x400000 -> 0x8000_0000
    m.put(0x303008, 0x0000'0000'0040'1003);  // L1[1]: GPA 0x1000 -> 0x401000, R | W
    m.put(0x303010, 0x0000'0000'0040'2003);  // L1[2]: GPA 0x2000 -> 0x402000
    m.put(0x303018, 0x0000'0000'0040'3003);  // L1[3]: GPA 0x3000 -> 0x403000
    m.put(0x303020, 0x0000'0000'0040'4003);  // L1[4]: GPA 0x4000 -> 0x404000
    m.put(0x303030, 0x0000'0012'3456'7003);  // L1[6]: GPA 0x6000 -> 0x12_3456_7000
    // L1[7] (GPA 0x7000) and L1[8] (GPA 0x8000) absent.
    m.put(0x303048, 0x0000'0000'0040'9001);  // L1[9]: GPA 0x9000 -> 0x409000, R only
    m.put(0x303050, 0x0000'0000'0040'a002);  // L1[10]: W only
    m.put(0x303058, 0x0000'0000'0040'b001);  // L1[11]: R only
    m.put(0x303060, 0x4000'0000'0040'c003);  // L1[12]: R | W with bit 62 (reserved)
    m.put(0x303068, 0x0000'0000'fee0'0003);  // L1[13]: GPA 0xd000 -> 0xfee0_0000 (interrupt range)
    m.put(0x303070, 0x0000'0000'0040'e003);  // L1[14]: R | W (reads of it fail where a case says so)

    // Nested first-level tables: guest-physical 0x1000 (PML4), 0x2000 (PDPT), 0x3000 (PD), 0x4000 (PT),
    // at host 0x401000..0x404000 through the second level above. Entries: P | R/W | U/S = 0x7.
    m.put(0x401000, 0x0000'0000'0000'2007);  // PML4[0]: PDPT GPA 0x2000
    m.put(0x402000, 0x0000'0000'0000'3007);  // PDPT[0]: PD GPA 0x3000
    m.put(0x402008, 0x0000'0100'0000'0007);  // PDPT[1]: PD GPA 0x100_0000_0000 (2^40)
    m.put(0x402010, 0x0000'0000'0000'8007);  // PDPT[2]: PD GPA 0x8000 (not mapped by the SL)
    m.put(0x402018, 0x0000'0000'0000'9007);  // PDPT[3]: PD GPA 0x9000 (read-only in the SL)
    m.put(0x403000, 0x0000'0000'0000'4007);  // PD[0]: PT GPA 0x4000
    m.put(0x403008, 0x0000'0000'0040'0087);  // PD[1]: 2 MiB leaf (PS) GPA 0x400000
    m.put(0x404028, 0x0000'0000'0000'6007);  // PT[5]: GPA 0x6000
    m.put(0x404038, 0x0000'0000'0000'7007);  // PT[7]: GPA 0x7000 (not mapped by the SL)
    m.put(0x404078, 0x0000'0100'0000'0007);  // PT[15]: GPA 2^40
    m.put(0x409000, 0x0000'0000'0040'0087);  // (PD at GPA 0x9000)[0]: 2 MiB leaf, A clear

    // First-level tables (host physical) of PASIDs 3 and 11: 0x500000 (PML4) -> 0x501000 (PDPT) ->
    // 0x502000 (PD) -> 0x503000 (PT). The input n * 0x1000 uses PT index n.
    m.put(0x500000, 0x0000'0000'0050'1007);  // PML4[0]: P | R/W | U/S
    m.put(0x501000, 0x0000'0000'0050'2007);  // PDPT[0]
    m.put(0x502000, 0x0000'0000'0050'3007);  // PD[0]: PT 0x503000
    m.put(0x502008, 0x0000'0000'4060'0087);  // PD[1]: 2 MiB leaf 0x4060_0000 | PS | U/S | R/W | P
    m.put(0x503028, 0x0000'0000'6666'6007);  // PT[5]: 0x6666_6000, user read/write
    // PT[6] (0x503030) absent: P = 0.
    m.put(0x503038, 0x8000'0000'6666'7007);  // PT[7]: XD (63) set: reserved unless NXE
    m.put(0x503040, 0x0000'0000'6666'8003);  // PT[8]: U/S = 0 (supervisor page)
    m.put(0x503048, 0x0000'0000'6666'9005);  // PT[9]: R/W = 0 (read-only user page)
    m.put(0x503050, 0x0000'0000'fee0'0007);  // PT[10]: page 0xfee0_0000 (interrupt range)
    m.put(0x503058, 0x0000'0000'6666'b007);  // PT[11]: (reads of it fail where a case says so)
    m.put(0x503060, 0x0000'0000'6666'c007);  // PT[12]: (its A update fails where a case says so)
    m.put(0x503068, 0x0000'0000'6666'd107);  // PT[13]: global (G 8) page 0x6666_d000
}

constexpr std::uint64_t fl_va(unsigned pt_index) { return pt_index * 0x1000ull + 0xabc; }

// ---------------------------------------------------------------------------------------------------
// A unit: memory, environment and real caches.

struct Unit {
    explicit Unit(bool scalable_mode) {
        write_legacy_tables(mem);
        write_scalable_tables(mem);
        env.root_table = scalable_mode ? kScalableRoot : kLegacyRoot;
        env.mode = scalable_mode ? TranslationTableMode::scalable : TranslationTableMode::legacy;
    }

    TranslationCaches caches() { return TranslationCaches{&context_cache, &pasid_cache, &iotlb, &paging_structure}; }

    TranslationResult run(const TranslationRequest& request) {
        mem.reset_counts();
        return translate(request, env, mem, caches());
    }
    TranslationResult run_uncached(const TranslationRequest& request) {
        mem.reset_counts();
        return translate(request, env, mem);
    }

    // Queued invalidation: decodes the descriptor (128-bit queue in legacy mode, 256-bit in scalable
    // mode) and applies it to the cache it names.
    void queued(std::uint64_t qw0, std::uint64_t qw1 = 0) {
        const DescriptorWidth width =
            env.mode == TranslationTableMode::scalable ? DescriptorWidth::bits256 : DescriptorWidth::bits128;
        const DecodedDescriptor d = decode_descriptor({qw0, qw1, 0, 0}, width, env.mode, env.features);
        ASSERT_FALSE(d.is_error()) << describe(d);
        switch (d.descriptor_type()) {
        case DescriptorType::context_cache: context_cache.invalidate(d.context_cache); break;
        case DescriptorType::iotlb:
        case DescriptorType::pasid_iotlb:
            iotlb.invalidate(d.iotlb);
            paging_structure.invalidate(d.iotlb);
            break;
        case DescriptorType::pasid_cache: pasid_cache.invalidate(d.pasid_cache); break;
        default: FAIL() << "not an invalidation: " << describe(d);
        }
    }
    // Register-based invalidation (legacy mode).
    void ccmd(std::uint64_t value) {
        const ContextCommand c = decode_context_command(value, env.mode, env.features);
        ASSERT_TRUE(c.performed) << describe(c);
        context_cache.invalidate(c.invalidation);
    }
    void iotlb_reg(std::uint64_t iotlb_value, std::uint64_t iva_value = 0) {
        const IotlbCommand c = decode_iotlb_command(iotlb_value, iva_value, env.mode, env.features);
        ASSERT_TRUE(c.performed) << describe(c);
        iotlb.invalidate(c.invalidation);
        paging_structure.invalidate(c.invalidation);
    }

    FakeMemory mem;
    TranslationEnvironment env;
    ContextCache context_cache{CacheGeometry{16, 4, ReplacementPolicy::lru}, 1};
    PasidCache pasid_cache{CacheGeometry{16, 4, ReplacementPolicy::lru}, 2};
    Iotlb iotlb{CacheGeometry{64, 4, ReplacementPolicy::lru}, 3};
    PagingStructureCache paging_structure{CacheGeometry{16, 4, ReplacementPolicy::lru}, 4};
};

TranslationRequest request(std::uint64_t address, bool write = false, std::optional<std::uint32_t> pasid = {},
                           bool supervisor = false, bool execute = false) {
    TranslationRequest r;
    r.source_id = kSid;
    r.pasid = pasid;
    r.address = address;
    r.access.write = write;
    r.access.supervisor = supervisor;
    r.access.execute = execute;
    return r;
}

// ---------------------------------------------------------------------------------------------------
// 1. Every fault reason, with FPD clear (always recorded) and FPD set (recorded only when the fault
// is not qualified: found before the entry holding FPD, or an error reading a structure).

struct FaultCase {
    std::string name;
    bool scalable;
    std::function<void(Unit&)> setup;  // changes to the default tables
    TranslationRequest request;
    unsigned code;
    bool qualified;
    std::optional<std::uint32_t> pasid;  // expected TranslationResult::pasid (scalable cases)
};

std::ostream& operator<<(std::ostream& os, const FaultCase& c) { return os << c.name; }

void no_change(Unit&) {}

std::vector<FaultCase> fault_cases() {
    const auto ats = [](std::uint64_t address) {
        TranslationRequest r = request(address);
        r.kind = RequestKind::translation_request;
        return r;
    };
    const std::uint64_t va = legacy_va(4);
    return {
        // ---- legacy (RTADDR.TTM = 00) ----
        {"L30_reserved_ttm", false, [](Unit& u) { u.env.mode = TranslationTableMode::reserved; }, request(va), 0x30,
         false, {}},
        {"L30_scalable_ttm_without_smts", false,
         [](Unit& u) {
             u.env.mode = TranslationTableMode::scalable;
             u.env.features.scalable_mode = false;
         },
         request(va), 0x30, false, {}},
        {"L31_pasid_in_legacy_mode", false, no_change, request(va, false, kFlPasid), 0x31, false, {}},
        {"L08_root_read_error", false, [](Unit& u) { u.mem.fail_reads_at(kLegacyRootEntry); }, request(va), 0x08,
         false, {}},
        {"L01_root_not_present", false, [](Unit& u) { u.mem.put(kLegacyRootEntry, 0x0000'0000'0010'1000); },
         request(va), 0x01, false, {}},
        {"L0A_root_reserved_bit1", false, [](Unit& u) { u.mem.put(kLegacyRootEntry, 0x0000'0000'0010'1003); },
         request(va), 0x0a, false, {}},
        {"L0A_root_upper_word", false, [](Unit& u) { u.mem.put(kLegacyRootEntry + 8, 0x1); }, request(va), 0x0a,
         false, {}},
        {"L09_context_read_error", false, [](Unit& u) { u.mem.fail_reads_at(kLegacyContext); }, request(va), 0x09,
         false, {}},
        {"L02_context_not_present", false, [](Unit& u) { u.mem.put(kLegacyContext, 0x0000'0000'0010'2000); },
         request(va), 0x02, true, {}},
        {"L0B_context_reserved_bit4", false, [](Unit& u) { u.mem.put(kLegacyContext, 0x0000'0000'0010'2011); },
         request(va), 0x0b, true, {}},
        {"L0B_context_reserved_bit71", false, [](Unit& u) { u.mem.put(kLegacyContext + 8, 0x0000'0000'0000'0582); },
         request(va), 0x0b, true, {}},
        {"L03_context_tt3", false, [](Unit& u) { u.mem.put(kLegacyContext, 0x0000'0000'0010'200d); }, request(va),
         0x03, true, {}},
        {"L03_context_aw_57_not_in_sagaw", false, [](Unit& u) { u.mem.put(kLegacyContext + 8, 0x0000'0000'0000'0503); },
         request(va), 0x03, true, {}},
        {"L03_sl_root_table_read_error", false, [](Unit& u) { u.mem.fail_reads_at(0x102008); }, request(va), 0x03,
         true, {}},
        {"L0D_translation_request_tt0", false, no_change, ats(va), 0x0d, true, {}},
        {"L04_address_beyond_aw", false, no_change, request(0x0001'0000'0000'0000), 0x04, true, {}},
        {"L05_write_to_read_only", false, no_change, request(legacy_va(8), true), 0x05, true, {}},
        {"L05_write_not_present", false, no_change, request(legacy_va(7), true), 0x05, true, {}},
        {"L06_read_write_only", false, no_change, request(legacy_va(9)), 0x06, true, {}},
        {"L06_read_not_present", false, no_change, request(legacy_va(7)), 0x06, true, {}},
        {"L07_paging_entry_read_error", false, [](Unit& u) { u.mem.fail_reads_at(legacy_pte(12)); },
         request(legacy_va(12)), 0x07, true, {}},
        {"L0C_paging_entry_bit62", false, no_change, request(legacy_va(10)), 0x0c, true, {}},
        {"L0E_output_in_interrupt_range", false, no_change, request(legacy_va(11)), 0x0e, true, {}},

        // ---- scalable mode (RTADDR.TTM = 01) ----
        {"S38_root_read_error", true, [](Unit& u) { u.mem.fail_reads_at(kSmRootLower); }, request(0x6abc), 0x38,
         false, {}},
        {"S39_root_lp_clear", true, [](Unit& u) { u.mem.put(kSmRootLower, 0x0000'0000'0020'1000); }, request(0x6abc),
         0x39, false, {}},
        {"S39_root_up_clear_devfn_0x99", true,
         [](Unit&) {},
         [] {
             TranslationRequest r = request(0x6abc);
             r.source_id = 0x0299;  // devfn 0x99 >= 128: the upper half at 0x200028, absent
             return r;
         }(),
         0x39, false, {}},
        {"S3A_root_reserved_bit1", true, [](Unit& u) { u.mem.put(kSmRootLower, 0x0000'0000'0020'1003); },
         request(0x6abc), 0x3a, false, {}},
        {"S40_context_read_error", true, [](Unit& u) { u.mem.fail_reads_at(kSmContext); }, request(0x6abc), 0x40,
         false, {}},
        {"S41_context_not_present", true, [](Unit& u) { u.mem.put(kSmContext, 0x0000'0000'0020'2008); },
         request(0x6abc), 0x41, true, {}},
        {"S42_context_reserved_bit5", true, [](Unit& u) { u.mem.put(kSmContext, 0x0000'0000'0020'2029); },
         request(0x6abc), 0x42, true, {}},
        {"S42_context_dte_without_dt", true, [](Unit& u) { u.mem.put(kSmContext, 0x0000'0000'0020'200d); },
         request(0x6abc), 0x42, true, {}},
        {"S42_context_rid_priv", true, [](Unit& u) { u.mem.put(kSmContext + 8, 0x0000'0000'0010'0007); },
         request(0x6abc), 0x42, true, {}},
        {"S44_translation_request_dte0", true, no_change, ats(0x6abc), 0x44, true, {}},
        {"S45_pasid_with_paside0", true, [](Unit& u) { u.mem.put(kSmContext, 0x0000'0000'0020'2001); },
         request(fl_va(5), false, kFlPasid), 0x45, true, {}},
        {"S46_pasid_beyond_directory", true, no_change, request(fl_va(5), false, 0x2000), 0x46, true, 0x2000},
        {"S50_directory_read_error", true, [](Unit& u) { u.mem.fail_reads_at(kPasidDirectory + 8); },
         request(fl_va(5), false, 0x40), 0x50, false, 0x40},
        {"S51_directory_not_present", true, no_change, request(fl_va(5), false, 0x40), 0x51, true, 0x40},
        {"S52_directory_reserved_bit2", true, [](Unit& u) { u.mem.put(kPasidDirectory + 8, 0x0000'0000'0020'4005); },
         request(fl_va(5), false, 0x40), 0x52, true, 0x40},
        {"S58_pasid_entry_read_error", true, [](Unit& u) { u.mem.fail_reads_at(pasid_entry_at(kFlPasid)); },
         request(fl_va(5), false, kFlPasid), 0x58, false, kFlPasid},
        {"S59_pasid_entry_not_present", true, no_change, request(fl_va(5), false, kAbsentPasid), 0x59, true,
         kAbsentPasid},
        {"S59_rid_pasid_entry_not_present", true, [](Unit& u) { u.mem.put(pasid_entry_at(kRidPasid), 0); },
         request(0x6abc), 0x59, true, kRidPasid},
        {"S5A_pasid_entry_reserved_bit10", true,
         [](Unit& u) { write_pasid_entry(u.mem, kAbsentPasid, 0x0000'0000'0000'0441, 0x9, 0x0000'0000'0050'0001); },
         request(fl_va(5), false, kAbsentPasid), 0x5a, true, kAbsentPasid},
        {"S5B_pasid_entry_pgtt0", true,
         [](Unit& u) { write_pasid_entry(u.mem, kAbsentPasid, 0x0000'0000'0000'0001, 0x9, 0x0000'0000'0050'0001); },
         request(fl_va(5), false, kAbsentPasid), 0x5b, true, kAbsentPasid},
        {"S5B_pasid_entry_flpm1_without_fl5lp", true,
         [](Unit& u) { write_pasid_entry(u.mem, kAbsentPasid, 0x0000'0000'0000'0041, 0x9, 0x0000'0000'0050'0005); },
         request(fl_va(5), false, kAbsentPasid), 0x5b, true, kAbsentPasid},
        {"S5C_execute_with_ere0", true, no_change, request(fl_va(5), false, kFlPasid, false, true), 0x5c, true,
         kFlPasid},
        {"S5D_supervisor_with_sre0", true, no_change, request(0x6abc, false, kSlPasid, true), 0x5d, true, kSlPasid},
        // First level (PASID 3).
        {"S70_fl_entry_read_error", true, [](Unit& u) { u.mem.fail_reads_at(0x503058); },
         request(fl_va(11), false, kFlPasid), 0x70, true, kFlPasid},
        {"S71_fl_not_present", true, no_change, request(fl_va(6), false, kFlPasid), 0x71, true, kFlPasid},
        {"S72_fl_xd_without_nxe", true, no_change, request(fl_va(7), false, kFlPasid), 0x72, true, kFlPasid},
        {"S73_fl_root_read_error", true, [](Unit& u) { u.mem.fail_reads_at(0x500000); },
         request(fl_va(5), false, kFlPasid), 0x73, true, kFlPasid},
        {"S80_non_canonical", true, no_change, request(0x0000'8000'0000'0000, false, kFlPasid), 0x80, true, kFlPasid},
        {"S81_user_on_supervisor_page", true, no_change, request(fl_va(8), false, kFlPasid), 0x81, true, kFlPasid},
        {"S82_execute_xd_page_with_ers", true, [](Unit& u) { u.env.features.execute_requests = true; },
         request(fl_va(7), false, kFlExecPasid, false, true), 0x82, true, kFlExecPasid},
        {"S85_fl_user_write_read_only", true, no_change, request(fl_va(9), true, kFlPasid), 0x85, true, kFlPasid},
        {"S87_fl_output_in_interrupt_range", true, no_change, request(fl_va(10), false, kFlPasid), 0x87, true,
         kFlPasid},
        {"S91_fl_accessed_update_fails", true, [](Unit& u) { u.mem.fail_updates_at(0x503060); },
         request(fl_va(12), false, kFlPasid), 0x91, true, kFlPasid},
        // Second level only (PASID 4; requests without PASID use RID_PASID 7, the same tables).
        {"S78_sl_entry_read_error", true, [](Unit& u) { u.mem.fail_reads_at(0x303070); },
         request(0xeabc, false, kSlPasid), 0x78, true, kSlPasid},
        {"S79_sl_not_present", true, no_change, request(0x7abc, false, kSlPasid), 0x79, true, kSlPasid},
        {"S79_sl_not_present_rid_pasid", true, no_change, request(0x7abc), 0x79, true, kRidPasid},
        {"S7A_sl_bit62", true, no_change, request(0xcabc, false, kSlPasid), 0x7a, true, kSlPasid},
        {"S7B_sl_root_read_error", true, [](Unit& u) { u.mem.fail_reads_at(0x300000); },
         request(0x6abc, false, kSlPasid), 0x7b, true, kSlPasid},
        {"S83_pass_through_beyond_haw", true, no_change, request(0x0001'0000'0000'0000, false, kPtPasid), 0x83, true,
         kPtPasid},
        {"S84_sl_input_beyond_aw", true, no_change, request(0x0001'0000'0000'0000, false, kSlPasid), 0x84, true,
         kSlPasid},
        {"S85_sl_write_read_only", true, no_change, request(0xbabc, true, kSlPasid), 0x85, true, kSlPasid},
        {"S86_sl_read_write_only", true, no_change, request(0xaabc, false, kSlPasid), 0x86, true, kSlPasid},
        {"S87_sl_output_in_interrupt_range", true, no_change, request(0xdabc, false, kSlPasid), 0x87, true, kSlPasid},
        // Nested.
        {"S74_nested_fl_table_beyond_sl_width", true, no_change, request(0x4000'0abc, false, kNested39Pasid), 0x74,
         true, kNested39Pasid},
        {"S75_nested_fl_root_not_mapped", true, no_change, request(0x5abc, false, kNestedBadRoot), 0x75, true,
         kNestedBadRoot},
        {"S76_nested_fl_table_not_mapped", true, no_change, request(0x8000'0abc, false, kNestedPasid), 0x76, true,
         kNestedPasid},
        {"S77_nested_fl_ad_write_denied", true, no_change, request(0xc000'0abc, false, kNestedPasid), 0x77, true,
         kNestedPasid},
        {"S79_nested_output_not_mapped", true, no_change, request(0x7abc, false, kNestedPasid), 0x79, true,
         kNestedPasid},
        {"S84_nested_output_beyond_sl_width", true, no_change, request(0xfabc, false, kNested39Pasid), 0x84, true,
         kNested39Pasid},
    };
}

class TranslateFaultReasons : public ::testing::TestWithParam<FaultCase> {};

TEST_P(TranslateFaultReasons, CodeRecordAndPasid) {
    const FaultCase& c = GetParam();
    for (const bool fpd : {false, true}) {
        SCOPED_TRACE(fpd ? "context FPD = 1" : "context FPD = 0");
        Unit u(c.scalable);
        c.setup(u);
        // FPD is bit 1 of the context entry's first word in both modes.
        const std::uint64_t context = c.scalable ? kSmContext : kLegacyContext;
        if (fpd) u.mem.put(context, u.mem.at(context) | 0x2);
        const TranslationResult r = u.run_uncached(c.request);
        ASSERT_TRUE(faulted(r)) << "translated to 0x" << std::hex << r.output_address;
        EXPECT_EQ(code(r), c.code) << std::hex << "got 0x" << code(r) << " (" << r.reason << ")";
        EXPECT_EQ(r.record_fault, !(fpd && c.qualified));
        if (c.pasid) {
            ASSERT_TRUE(r.pasid.has_value());
            EXPECT_EQ(*r.pasid, *c.pasid);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(All, TranslateFaultReasons, ::testing::ValuesIn(fault_cases()),
                         [](const ::testing::TestParamInfo<FaultCase>& param_info) { return param_info.param.name; });

// FPD held by the PASID-directory entry or by the PASID-table entry suppresses the qualified faults
// found from there on; an error reading the structure is recorded whatever FPD says.
TEST(FaultProcessingDisable, DirectoryEntryFpdSuppressesPasidEntryNotPresent) {
    Unit u(true);
    u.mem.put(kPasidDirectory, 0x0000'0000'0020'3003);  // directory[0]: P | FPD | SMPTBLPTR 0x203000
    const TranslationResult r = u.run_uncached(request(fl_va(5), false, kAbsentPasid));
    ASSERT_TRUE(faulted(r));
    EXPECT_EQ(code(r), 0x59u);
    EXPECT_FALSE(r.record_fault);
}

TEST(FaultProcessingDisable, PasidEntryFpdSuppressesWalkFaults) {
    Unit u(true);
    write_pasid_entry(u.mem, kFlPasid, 0x0000'0000'0000'0043, 0x9, 0x0000'0000'0050'0001);  // P | FPD | PGTT 1
    TranslationResult r = u.run_uncached(request(fl_va(6), false, kFlPasid));
    ASSERT_TRUE(faulted(r));
    EXPECT_EQ(code(r), 0x71u);
    EXPECT_FALSE(r.record_fault);
    r = u.run_uncached(request(fl_va(5), false, kFlPasid));  // the rest still translates
    ASSERT_TRUE(translated(r));
    EXPECT_EQ(r.output_address, 0x6666'6abcu);
}

TEST(FaultProcessingDisable, ContextFpdDoesNotHideDirectoryReadError) {
    Unit u(true);
    u.mem.put(kSmContext, 0x0000'0000'0020'200b);  // P | FPD | PASIDE
    u.mem.fail_reads_at(kPasidDirectory);
    const TranslationResult r = u.run_uncached(request(fl_va(5), false, kFlPasid));
    ASSERT_TRUE(faulted(r));
    EXPECT_EQ(code(r), 0x50u);
    EXPECT_TRUE(r.record_fault);
}

// The successful paths the fault cases branch from.
TEST(Translate, LegacySecondLevel) {
    Unit u(false);
    TranslationResult r = u.run_uncached(request(legacy_va(4)));
    ASSERT_TRUE(translated(r)) << std::hex << code(r);
    EXPECT_EQ(r.output_address, 0x45'6789'aabcu);
    EXPECT_EQ(r.size_bits, 12u);
    EXPECT_FALSE(r.pass_through);
    EXPECT_EQ(u.mem.reads, 2u + 2u + 4u);  // root (2 words), context (2 words), 4 levels
    // TT = 10: pass-through, the tables are not used.
    u.mem.put(kLegacyContext, 0x0000'0000'0010'2009);  // P | TT 10
    r = u.run_uncached(request(legacy_va(7)));
    ASSERT_TRUE(translated(r));
    EXPECT_TRUE(r.pass_through);
    EXPECT_EQ(r.output_address, legacy_va(7));
}

TEST(Translate, ScalableFirstLevelSecondLevelPassThrough) {
    Unit u(true);
    TranslationResult r = u.run_uncached(request(fl_va(5), true, kFlPasid));
    ASSERT_TRUE(translated(r)) << std::hex << code(r);
    EXPECT_EQ(r.output_address, 0x6666'6abcu);
    EXPECT_EQ(u.mem.at(0x503028), 0x0000'0000'6666'6067u);  // A (5) and D (6) set by the write
    r = u.run_uncached(request(0x6abc));  // no PASID: RID_PASID 7, second level
    ASSERT_TRUE(translated(r));
    EXPECT_EQ(r.output_address, 0x12'3456'7abcu);
    ASSERT_TRUE(r.pasid.has_value());
    EXPECT_EQ(*r.pasid, kRidPasid);
    r = u.run_uncached(request(0x1234'5678, false, kPtPasid));
    ASSERT_TRUE(translated(r));
    EXPECT_TRUE(r.pass_through);
    EXPECT_EQ(r.output_address, 0x1234'5678u);
    // A supervisor request through PASID 3 (SRE = 1) reaches a supervisor page.
    r = u.run_uncached(request(fl_va(8), false, kFlPasid, true));
    ASSERT_TRUE(translated(r));
    EXPECT_EQ(r.output_address, 0x6666'8abcu);
}

// ---------------------------------------------------------------------------------------------------
// 2. Invalidations: a stale cached result before, a fresh walk after.

enum class Interface { queued, registers };

class LegacyInvalidation : public ::testing::TestWithParam<Interface> {
protected:
    Unit u{false};
    bool queued() const { return GetParam() == Interface::queued; }
    void context_invalidation(std::uint64_t descriptor, std::uint64_t ccmd_value) {
        if (queued()) u.queued(descriptor);
        else u.ccmd(ccmd_value);
    }
    void iotlb_invalidation(std::uint64_t qw0, std::uint64_t qw1, std::uint64_t iotlb_value, std::uint64_t iva_value) {
        if (queued()) u.queued(qw0, qw1);
        else u.iotlb_reg(iotlb_value, iva_value);
    }
    // Caches the context and the translation of legacy_va(4), then turns the context entry into
    // pass-through (TT = 10): until the context cache forgets it, the old translation is served from
    // the caches with no memory read.
    void cache_then_switch_to_pass_through() {
        TranslationResult r = u.run(request(legacy_va(4)));
        ASSERT_TRUE(translated(r));
        ASSERT_EQ(r.output_address, 0x45'6789'aabcu);
        u.mem.put(kLegacyContext, 0x0000'0000'0010'2009);  // P | TT 10 (pass-through)
        expect_stale();
    }
    void expect_stale() {
        const TranslationResult r = u.run(request(legacy_va(4)));
        ASSERT_TRUE(translated(r));
        EXPECT_FALSE(r.pass_through);
        EXPECT_EQ(r.output_address, 0x45'6789'aabcu);
        EXPECT_EQ(u.mem.reads, 0u);
    }
    void expect_pass_through() {
        const TranslationResult r = u.run(request(legacy_va(4)));
        ASSERT_TRUE(translated(r));
        EXPECT_TRUE(r.pass_through);
        EXPECT_EQ(r.output_address, legacy_va(4));
        EXPECT_TRUE(u.mem.was_read(kLegacyContext));
    }
};

TEST_P(LegacyInvalidation, ContextCacheGlobal) {
    cache_then_switch_to_pass_through();
    // cc_inv_dsc: type 1 | G 01 (global) at [5:4]. CCMD: ICC (63) | CIRG 01 at [62:61].
    context_invalidation(0x0000'0000'0000'0011, 0xa000'0000'0000'0000);
    expect_pass_through();
}

TEST_P(LegacyInvalidation, ContextCacheDomain) {
    cache_then_switch_to_pass_through();
    // Domain 6: not this context's domain.
    // cc_inv_dsc: type 1 | G 10 | DID 6 at [31:16]. CCMD: ICC | CIRG 10 | DID 6 at [15:0].
    context_invalidation(0x0000'0000'0006'0021, 0xc000'0000'0000'0006);
    expect_stale();
    // Domain 5.
    context_invalidation(0x0000'0000'0005'0021, 0xc000'0000'0000'0005);
    expect_pass_through();
}

TEST_P(LegacyInvalidation, ContextCacheDeviceWithFunctionMask) {
    cache_then_switch_to_pass_through();
    // SID 0x0218 (function 0) with FM 01 (SID bit 2 masked): 0x0219 differs in bit 0, not covered.
    // cc_inv_dsc: type 1 | G 11 | DID 5 | SID 0x0218 at [47:32] | FM 01 at [49:48].
    // CCMD: ICC | CIRG 11 | FM 01 at [33:32] | SID 0x0218 at [31:16] | DID 5.
    context_invalidation(0x0001'0218'0005'0031, 0xe000'0001'0218'0005);
    expect_stale();
    // SID 0x0218 with FM 11 (SID bits 2:0 masked): covers functions 0..7 of device 3.
    context_invalidation(0x0003'0218'0005'0031, 0xe000'0003'0218'0005);
    expect_pass_through();
}

TEST_P(LegacyInvalidation, ContextCacheDeviceExact) {
    cache_then_switch_to_pass_through();
    // SID 0x0219, FM 00.
    context_invalidation(0x0000'0219'0005'0031, 0xe000'0000'0219'0005);
    expect_pass_through();
}

// Caches the translations of legacy_va(4), (5) and (6), then moves all three pages.
class LegacyIotlb : public LegacyInvalidation {
protected:
    void cache_then_move_pages() {
        for (unsigned i : {4u, 5u, 6u}) ASSERT_TRUE(translated(u.run(request(legacy_va(i)))));
        u.mem.put(legacy_pte(4), 0x0000'0055'5555'4003);
        u.mem.put(legacy_pte(5), 0x0000'0055'5555'5003);
        u.mem.put(legacy_pte(6), 0x0000'0055'5555'6003);
        for (unsigned i : {4u, 5u, 6u}) expect_old(i);
    }
    void expect_old(unsigned i) {
        SCOPED_TRACE(i);
        const TranslationResult r = u.run(request(legacy_va(i)));
        ASSERT_TRUE(translated(r));
        EXPECT_EQ(r.output_address, 0x45'6789'0abcu + (0xa + i - 4) * 0x1000u);
        EXPECT_TRUE(r.work.tlb_hit);
        EXPECT_EQ(u.mem.reads, 0u);
    }
    void expect_new(unsigned i, unsigned reads) {
        SCOPED_TRACE(i);
        const TranslationResult r = u.run(request(legacy_va(i)));
        ASSERT_TRUE(translated(r));
        EXPECT_EQ(r.output_address, 0x55'5555'0abcu + i * 0x1000u);
        EXPECT_FALSE(r.work.tlb_hit);
        EXPECT_EQ(u.mem.reads, reads);
    }
};

TEST_P(LegacyIotlb, Global) {
    cache_then_move_pages();
    // iotlb_inv_dsc: type 2 | G 01. IOTLB_REG: IVT (63) | IIRG 01 at [61:60].
    iotlb_invalidation(0x0000'0000'0000'0012, 0, 0x9000'0000'0000'0000, 0);
    for (unsigned i : {4u, 5u, 6u}) expect_new(i, i == 4 ? 4u : 1u);  // the first walk refills the PSC
}

TEST_P(LegacyIotlb, Domain) {
    cache_then_move_pages();
    // Domain 6: nothing of domain 5 goes.
    // iotlb_inv_dsc: type 2 | G 10 | DID 6 at [31:16]. IOTLB_REG: IVT | IIRG 10 | DID 6 at [47:32].
    iotlb_invalidation(0x0000'0000'0006'0022, 0, 0xa000'0006'0000'0000, 0);
    for (unsigned i : {4u, 5u, 6u}) expect_old(i);
    iotlb_invalidation(0x0000'0000'0005'0022, 0, 0xa000'0005'0000'0000, 0);
    for (unsigned i : {4u, 5u, 6u}) expect_new(i, i == 4 ? 4u : 1u);
}

TEST_P(LegacyIotlb, PageWithAddressMaskCoveringTwoPages) {
    cache_then_move_pages();
    // Page-selective, DID 5, ADDR 0x80_8060_4000 with AM 1: the 8 KiB region of pages 4 and 5.
    // iotlb_inv_dsc: type 2 | G 11 | DID 5; qw1 ADDR | AM 1. IOTLB_REG: IVT | IIRG 11 | DID 5;
    // IVA_REG: ADDR | AM 1.
    iotlb_invalidation(0x0000'0000'0005'0032, 0x0000'0080'8060'4001, 0xb000'0005'0000'0000, 0x0000'0080'8060'4001);
    expect_new(4, 4);  // IH = 0: the paging-structure caches of the region went too, a full walk
    expect_new(5, 1);
    expect_old(6);     // outside the region
}

TEST_P(LegacyIotlb, InvalidationHintKeepsPagingStructureCache) {
    ASSERT_TRUE(translated(u.run(request(legacy_va(4)))));
    // Move the L2 entry to a new page table 0x106000 whose entry 4 maps another page.
    u.mem.put(0x106020, 0x0000'0077'7777'7003);  // new L1[4]: R | W, page 0x77_7777_7000
    u.mem.put(0x104018, 0x0000'0000'0010'6003);  // L2[3]: R | W, table 0x106000
    // Page-selective with IH = 1 (qw1 / IVA bit 6): the leaf goes, the cached L1 table pointer stays,
    // so the walk reads only the old L1 entry and returns the old page.
    iotlb_invalidation(0x0000'0000'0005'0032, 0x0000'0080'8060'4040, 0xb000'0005'0000'0000, 0x0000'0080'8060'4040);
    TranslationResult r = u.run(request(legacy_va(4)));
    ASSERT_TRUE(translated(r));
    EXPECT_EQ(r.output_address, 0x45'6789'aabcu);
    EXPECT_FALSE(r.work.tlb_hit);
    EXPECT_EQ(u.mem.reads, 1u);
    EXPECT_TRUE(u.mem.was_read(legacy_pte(4)));
    // The same without IH: the walk starts at the root and sees the new table.
    iotlb_invalidation(0x0000'0000'0005'0032, 0x0000'0080'8060'4000, 0xb000'0005'0000'0000, 0x0000'0080'8060'4000);
    r = u.run(request(legacy_va(4)));
    ASSERT_TRUE(translated(r));
    EXPECT_EQ(r.output_address, 0x77'7777'7abcu);
    EXPECT_EQ(u.mem.reads, 4u);
}

INSTANTIATE_TEST_SUITE_P(Both, LegacyInvalidation, ::testing::Values(Interface::queued, Interface::registers),
                         [](const ::testing::TestParamInfo<Interface>& param_info) {
                             return param_info.param == Interface::queued ? "Queued" : "Registers";
                         });
INSTANTIATE_TEST_SUITE_P(Both, LegacyIotlb, ::testing::Values(Interface::queued, Interface::registers),
                         [](const ::testing::TestParamInfo<Interface>& param_info) {
                             return param_info.param == Interface::queued ? "Queued" : "Registers";
                         });

// PASID-based IOTLB invalidation (p_iotlb_inv_dsc, 256-bit queue, scalable mode) on first-level
// translations of PASID 3 in domain 9: a global page (PT[13]) and a non-global one (PT[5]).
TEST(PasidIotlbInvalidation, DomainInPasidSkipsGlobalPagesPageInPasidDoesNot) {
    Unit u(true);
    for (unsigned i : {5u, 13u}) ASSERT_TRUE(translated(u.run(request(fl_va(i), false, kFlPasid))));
    u.mem.put(0x503028, 0x0000'0000'7777'5007);  // PT[5] -> 0x7777_5000
    u.mem.put(0x503068, 0x0000'0000'7777'd107);  // PT[13] -> 0x7777_d000, G
    const auto expect = [&](unsigned i, std::uint64_t output, bool hit) {
        SCOPED_TRACE(i);
        const TranslationResult r = u.run(request(fl_va(i), false, kFlPasid));
        ASSERT_TRUE(translated(r));
        EXPECT_EQ(r.output_address, output);
        EXPECT_EQ(r.work.tlb_hit, hit);
        if (hit) {
            EXPECT_EQ(u.mem.reads, 0u);
        }
    };
    expect(5, 0x6666'6abc, true);
    expect(13, 0x6666'dabc, true);
    // Another PASID of the same domain: nothing changes.
    // type 6 | G 10 (non-global entries of the PASID) | DID 9 | PASID 4 at [51:32].
    u.queued(0x0000'0004'0009'0026);
    expect(5, 0x6666'6abc, true);
    // PASID 3: the non-global page goes, the global page stays.
    u.queued(0x0000'0003'0009'0026);
    expect(5, 0x7777'5abc, false);
    expect(13, 0x6666'dabc, true);
    // Page-selective within PASID 3 (G 11), ADDR 0xd000, AM 0: the global page goes too.
    u.queued(0x0000'0003'0009'0036, 0x0000'0000'0000'd000);
    expect(13, 0x7777'dabc, false);
}

TEST(PasidIotlbInvalidation, PageInPasidLeavesOtherPages) {
    Unit u(true);
    for (unsigned i : {5u, 9u}) ASSERT_TRUE(translated(u.run(request(fl_va(i), false, kFlPasid))));
    u.mem.put(0x503028, 0x0000'0000'7777'5007);
    u.mem.put(0x503048, 0x0000'0000'7777'9005);
    u.queued(0x0000'0003'0009'0036, 0x0000'0000'0000'5000);  // page 0x5000 of PASID 3, DID 9
    TranslationResult r = u.run(request(fl_va(5), false, kFlPasid));
    ASSERT_TRUE(translated(r));
    EXPECT_EQ(r.output_address, 0x7777'5abcu);
    r = u.run(request(fl_va(9), false, kFlPasid));
    ASSERT_TRUE(translated(r));
    EXPECT_EQ(r.output_address, 0x6666'9abcu);
    EXPECT_EQ(u.mem.reads, 0u);
}

// PASID-cache invalidation (pc_inv_dsc): PASID 3's entry (DID 9, first level) is turned into
// pass-through (PGTT 100). Until the PASID cache forgets it, the cached first-level translation is
// served with no memory read.
class PasidCacheInvalidation : public ::testing::Test {
protected:
    Unit u{true};
    void SetUp() override {
        ASSERT_TRUE(translated(u.run(request(fl_va(5), false, kFlPasid))));
        u.mem.put(pasid_entry_at(kFlPasid), 0x0000'0000'0000'0101);  // PGTT 100 | P, DID 9 kept
        expect_stale();
    }
    void expect_stale() {
        const TranslationResult r = u.run(request(fl_va(5), false, kFlPasid));
        ASSERT_TRUE(translated(r));
        EXPECT_FALSE(r.pass_through);
        EXPECT_EQ(r.output_address, 0x6666'6abcu);
        EXPECT_EQ(u.mem.reads, 0u);
    }
    void expect_fresh() {
        const TranslationResult r = u.run(request(fl_va(5), false, kFlPasid));
        ASSERT_TRUE(translated(r));
        EXPECT_TRUE(r.pass_through);
        EXPECT_EQ(r.output_address, fl_va(5));
        EXPECT_TRUE(u.mem.was_read(pasid_entry_at(kFlPasid)));
    }
};

TEST_F(PasidCacheInvalidation, Domain) {
    u.queued(0x0000'0000'000a'0007);  // type 7 | G 00 (domain) | DID 0xa: another domain
    expect_stale();
    u.queued(0x0000'0000'0009'0007);  // DID 9
    expect_fresh();
}

TEST_F(PasidCacheInvalidation, Pasid) {
    u.queued(0x0000'0004'0009'0017);  // type 7 | G 01 (PASID) | DID 9 | PASID 4: another PASID
    expect_stale();
    u.queued(0x0000'0003'0009'0017);  // PASID 3
    expect_fresh();
}

TEST_F(PasidCacheInvalidation, Global) {
    u.queued(0x0000'0000'0000'0037);  // type 7 | G 11 (global)
    expect_fresh();
}

// ---------------------------------------------------------------------------------------------------
// 3. Caching mode (cache_faults): faulting context entries, PASID entries and pages stay cached, so
// they keep faulting after software fixes the tables until the invalidation that covers them.

class CachingMode : public ::testing::TestWithParam<bool> {
protected:
    bool cache_faults() const { return GetParam(); }
};

TEST_P(CachingMode, LegacyContextNotPresent) {
    Unit u(false);
    u.env.cache_faults = cache_faults();
    u.mem.put(kLegacyContext, 0);  // the context entry is all zero (not present, DID 0)
    u.mem.put(kLegacyContext + 8, 0);
    TranslationResult r = u.run(request(legacy_va(4)));
    ASSERT_TRUE(faulted(r));
    EXPECT_EQ(code(r), 0x02u);
    u.mem.put(kLegacyContext, 0x0000'0000'0010'2001);
    u.mem.put(kLegacyContext + 8, 0x0000'0000'0000'0502);
    r = u.run(request(legacy_va(4)));
    if (cache_faults()) {
        ASSERT_TRUE(faulted(r));
        EXPECT_EQ(code(r), 0x02u);
        EXPECT_EQ(u.mem.reads, 0u);
        // Device-selective for another device: still cached.
        u.queued(0x0000'0218'0000'0031);  // type 1 | G 11 | DID 0 | SID 0x0218, FM 0
        EXPECT_EQ(code(u.run(request(legacy_va(4)))), 0x02u);
        // The flush Linux issues after a not-present to present change under CM: device-selective,
        // DID 0 (where not-present entries are cached), SID 0x0219.
        u.queued(0x0000'0219'0000'0031);
        r = u.run(request(legacy_va(4)));
    }
    ASSERT_TRUE(translated(r)) << std::hex << code(r);
    EXPECT_EQ(r.output_address, 0x45'6789'aabcu);
}

TEST_P(CachingMode, PasidEntryNotPresent) {
    Unit u(true);
    u.env.cache_faults = cache_faults();
    TranslationResult r = u.run(request(fl_va(5), false, kAbsentPasid));  // PASID 12: all-zero entry
    ASSERT_TRUE(faulted(r));
    EXPECT_EQ(code(r), 0x59u);
    // PASID 12 set up as PASID 3 (first level, DID 9).
    write_pasid_entry(u.mem, kAbsentPasid, 0x0000'0000'0000'0041, 0x9, 0x0000'0000'0050'0001);
    r = u.run(request(fl_va(5), false, kAbsentPasid));
    if (cache_faults()) {
        ASSERT_TRUE(faulted(r));
        EXPECT_EQ(code(r), 0x59u);
        EXPECT_EQ(u.mem.reads, 0u);
        u.queued(0x0000'0003'0000'0017);  // PASID-selective, DID 0, PASID 3: another PASID
        EXPECT_EQ(code(u.run(request(fl_va(5), false, kAbsentPasid))), 0x59u);
        // PASID-selective, DID 0 (the DID the cached all-zero entry holds), PASID 12.
        u.queued(0x0000'000c'0000'0017);
        r = u.run(request(fl_va(5), false, kAbsentPasid));
    }
    ASSERT_TRUE(translated(r)) << std::hex << code(r);
    EXPECT_EQ(r.output_address, 0x6666'6abcu);
}

TEST_P(CachingMode, SecondLevelPageNotPresent) {
    Unit u(false);
    u.env.cache_faults = cache_faults();
    TranslationResult r = u.run(request(legacy_va(7), true));
    ASSERT_TRUE(faulted(r));
    EXPECT_EQ(code(r), 0x05u);  // write to a not-present page
    u.mem.put(legacy_pte(7), 0x0000'0045'6789'd003);
    r = u.run(request(legacy_va(7)));
    if (cache_faults()) {
        ASSERT_TRUE(faulted(r));
        EXPECT_EQ(code(r), 0x06u);  // the cached not-present page, read this time
        EXPECT_EQ(u.mem.reads, 0u);
        // Page-selective for page 6 only: page 7 stays.
        u.queued(0x0000'0000'0005'0032, 0x0000'0080'8060'6000);
        EXPECT_EQ(code(u.run(request(legacy_va(7)))), 0x06u);
        u.queued(0x0000'0000'0005'0032, 0x0000'0080'8060'7000);  // DID 5, ADDR of page 7, AM 0
        r = u.run(request(legacy_va(7)));
    }
    ASSERT_TRUE(translated(r)) << std::hex << code(r);
    EXPECT_EQ(r.output_address, 0x45'6789'dabcu);
}

INSTANTIATE_TEST_SUITE_P(CacheFaults, CachingMode, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param_info) {
                             return param_info.param ? "On" : "Off";
                         });

// VT-d 6.1: under CM = 1 "any software updates to remapping structures other than first-stage
// mapping (including updates to not-present entries ...) requires explicit invalidation". A
// first-level entry made present needs no invalidation (Linux's __mapping_notify_one flushes on map
// only for second-level domains under CM), so a not-present first-level page must not be cached.
TEST(CachingModeFirstLevel, NotPresentIsNotCached) {
    Unit u(true);
    u.env.cache_faults = true;
    TranslationResult r = u.run(request(fl_va(6), false, kFlPasid));
    ASSERT_TRUE(faulted(r));
    EXPECT_EQ(code(r), 0x71u);
    u.mem.put(0x503030, 0x0000'0000'6666'6007);  // PT[6] made present, no invalidation
    r = u.run(request(fl_va(6), false, kFlPasid));
    ASSERT_TRUE(translated(r)) << std::hex << code(r);
    EXPECT_EQ(r.output_address, 0x6666'6abcu);
}

// ---------------------------------------------------------------------------------------------------
// 4. Nested translation (PGTT 011) end to end.

TEST(NestedTranslation, FourKilobytePageEndToEnd) {
    Unit u(true);
    TranslationResult r = u.run(request(0x5abc, false, kNestedPasid));
    ASSERT_TRUE(translated(r)) << std::hex << code(r);
    // VA 0x5abc -> (first level) GPA 0x6abc -> (second level) 0x12_3456_7abc.
    EXPECT_EQ(r.output_address, 0x12'3456'7abcu);
    EXPECT_EQ(r.size_bits, 12u);
    // The first-level entries (at their host addresses) have A (bit 5) set, the leaf no D.
    EXPECT_EQ(u.mem.at(0x401000), 0x2027u);
    EXPECT_EQ(u.mem.at(0x402000), 0x3027u);
    EXPECT_EQ(u.mem.at(0x403000), 0x4027u);
    EXPECT_EQ(u.mem.at(0x404028), 0x6027u);
    // A write walks again (D clear in the cached translation) and sets D (bit 6).
    r = u.run(request(0x5abc, true, kNestedPasid));
    ASSERT_TRUE(translated(r));
    EXPECT_EQ(r.output_address, 0x12'3456'7abcu);
    EXPECT_EQ(u.mem.at(0x404028), 0x6067u);
}

TEST(NestedTranslation, FaultWhileWritingAccessedBitOfFirstLevelTable) {
    // VA 0xc000_0abc: PDPT[3] -> PD at GPA 0x9000, which the second level maps read-only. The PD entry
    // is readable, but setting its A bit needs second-level write permission: SFL.8.
    Unit u(true);
    const TranslationResult r = u.run(request(0xc000'0abc, false, kNestedPasid));
    ASSERT_TRUE(faulted(r));
    EXPECT_EQ(code(r), 0x77u);
    EXPECT_TRUE(r.record_fault);
    EXPECT_EQ(u.mem.at(0x409000), 0x40'0087u);  // A not set
    EXPECT_EQ(u.mem.at(0x402018), 0x9027u);     // the PDPT entry above it was updated
    // Made writable in the second level (L1[9]: R | W) and flushed as software does after changing a
    // present entry (iotlb_inv_dsc type 2 | G 10 | DID 0xb), the walk completes: PD' entry 0 is a
    // 2 MiB leaf at GPA 0x400000, itself a 2 MiB page at 0x8000_0000.
    u.mem.put(0x303048, 0x0000'0000'0040'9003);
    u.queued(0x0000'0000'000b'0022);
    const TranslationResult ok = u.run(request(0xc000'0abc, false, kNestedPasid));
    ASSERT_TRUE(translated(ok)) << std::hex << code(ok);
    EXPECT_EQ(ok.output_address, 0x8000'0abcu);
    EXPECT_EQ(ok.size_bits, 21u);
}

TEST(NestedTranslation, IotlbProbesWithMixedPageSizes) {
    Unit u(true);
    // Empty IOTLB: no page size present, no probe.
    TranslationResult r = u.run(request(0x5abc, false, kNestedPasid));
    ASSERT_TRUE(translated(r));
    EXPECT_TRUE(r.work.tlb_looked_up);
    EXPECT_EQ(r.work.tlb_probes, 0u);
    EXPECT_EQ(r.size_bits, 12u);
    // VA 0x20_0123: first-level 2 MiB leaf (GPA 0x400000) and second-level 2 MiB leaf (0x8000_0000).
    // One size present (4 KiB): one probe, a miss, a walk.
    r = u.run(request(0x20'0123, false, kNestedPasid));
    ASSERT_TRUE(translated(r));
    EXPECT_EQ(r.output_address, 0x8000'0123u);
    EXPECT_EQ(r.size_bits, 21u);
    EXPECT_FALSE(r.work.tlb_hit);
    EXPECT_EQ(r.work.tlb_probes, 1u);
    EXPECT_GT(u.mem.reads, 0u);
    // Both sizes present: a 2 MiB hit costs two probes (4 KiB first), a 4 KiB hit one.
    r = u.run(request(0x3f'f456, false, kNestedPasid));  // elsewhere in the same 2 MiB page
    ASSERT_TRUE(translated(r));
    EXPECT_EQ(r.output_address, 0x801f'f456u);
    EXPECT_TRUE(r.work.tlb_hit);
    EXPECT_EQ(r.work.tlb_probes, 2u);
    EXPECT_EQ(u.mem.reads, 0u);
    r = u.run(request(0x5abc, false, kNestedPasid));
    ASSERT_TRUE(translated(r));
    EXPECT_TRUE(r.work.tlb_hit);
    EXPECT_EQ(r.work.tlb_probes, 1u);
    EXPECT_EQ(u.mem.reads, 0u);
    // A miss with both sizes present: two probes, then the walk (which faults: GPA 0x7000 is not
    // mapped by the second level).
    r = u.run(request(0x7abc, false, kNestedPasid));
    ASSERT_TRUE(faulted(r));
    EXPECT_EQ(code(r), 0x79u);
    EXPECT_EQ(r.work.tlb_probes, 2u);
    EXPECT_FALSE(r.work.tlb_hit);
}

// ---------------------------------------------------------------------------------------------------
// 5. A write through a cached read translation whose leaf has D clear walks again and sets D.

TEST(DirtyBit, WriteThroughCachedReadTranslationWalksAndSetsD) {
    Unit u(true);
    TranslationResult r = u.run(request(fl_va(5), false, kFlPasid));
    ASSERT_TRUE(translated(r));
    EXPECT_EQ(u.mem.at(0x503028), 0x0000'0000'6666'6027u);  // A set, D clear
    // A read hits.
    r = u.run(request(fl_va(5), false, kFlPasid));
    EXPECT_TRUE(r.work.tlb_hit);
    EXPECT_EQ(u.mem.reads, 0u);
    // The write finds the entry but must walk to set D.
    r = u.run(request(fl_va(5), true, kFlPasid));
    ASSERT_TRUE(translated(r));
    EXPECT_EQ(r.output_address, 0x6666'6abcu);
    EXPECT_FALSE(r.work.tlb_hit);
    EXPECT_GT(u.mem.reads, 0u);
    EXPECT_EQ(u.mem.updates, 1u);
    EXPECT_EQ(u.mem.at(0x503028), 0x0000'0000'6666'6067u);  // D (bit 6) set
    // Now dirty in the IOTLB: the next write hits.
    r = u.run(request(fl_va(5), true, kFlPasid));
    ASSERT_TRUE(translated(r));
    EXPECT_TRUE(r.work.tlb_hit);
    EXPECT_EQ(u.mem.reads, 0u);
    EXPECT_EQ(u.mem.updates, 0u);
}

TEST(DirtyBit, SecondLevelWithoutSladeDoesNotWalkAgain) {
    // Second level without SLADE tracks no D: a write through a cached read translation hits.
    Unit u(false);
    ASSERT_TRUE(translated(u.run(request(legacy_va(4)))));
    const TranslationResult r = u.run(request(legacy_va(4), true));
    ASSERT_TRUE(translated(r));
    EXPECT_TRUE(r.work.tlb_hit);
    EXPECT_EQ(u.mem.reads, 0u);
}

}  // namespace

namespace {

// A 2 MiB page whose first 1 MiB is the interrupt range: the first access, outside the range, fills
// the IOTLB with the whole page; a later access inside the range must still fault (LGN.4, 0x0E)
// although it hits the cached page.
TEST(InterruptRange, CachedLargePageStillFaultsInsideTheRange) {
    Unit u(false);
    u.mem.put(0x104020, 0x0000'0000'fee0'0083);  // L2[4]: R | W | PS, 2 MiB page 0xfee0_0000
    const std::uint64_t page = 0x80'8080'0000ull;  // L4 1, L3 2, L2 4
    TranslationResult r = u.run(request(page + 0x10'0040));
    ASSERT_TRUE(translated(r)) << std::hex << code(r);
    EXPECT_EQ(r.output_address, 0xfef0'0040u);
    EXPECT_EQ(r.size_bits, 21u);
    r = u.run(request(page + 0x40));
    EXPECT_EQ(u.mem.reads, 0u);  // served by the IOTLB
    ASSERT_TRUE(faulted(r));
    EXPECT_EQ(code(r), 0x0eu);
}

}  // namespace
