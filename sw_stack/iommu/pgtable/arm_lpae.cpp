#include "sw_stack/iommu/pgtable/arm_lpae.h"

#include "sw_stack/iommu/prot.h"

#include <algorithm>

namespace iommu_vp::iommu {

namespace {

// ---- VMSAv8-64 descriptor fields (Arm ARM D8.3; Linux ARM_LPAE_PTE_*) --------------------------
constexpr PteField kValid = pte_bit(0);
constexpr PteField kType = pte_bits(1, 0);
constexpr std::uint64_t kTypeBlock = 0b01;  // levels 0-2: a block (where the granule allows one)
constexpr std::uint64_t kTypeTable = 0b11;  // levels 0-2: a link to the next table
constexpr std::uint64_t kTypePage = 0b11;   // level 3: a page (0b01 is reserved there)

constexpr PteField kAttrIndx = pte_bits(4, 2);      // stage 1: MAIR attribute index
constexpr PteField kMemAttr = pte_bits(5, 2);       // stage 2: memory type, directly
constexpr PteField kApUnprivileged = pte_bit(6);    // stage 1 AP[1]: unprivileged accesses allowed
constexpr PteField kApReadOnly = pte_bit(7);        // stage 1 AP[2]: no writes
constexpr PteField kS2ApRead = pte_bit(6);          // stage 2 S2AP[0]
constexpr PteField kS2ApWrite = pte_bit(7);         // stage 2 S2AP[1]
constexpr PteField kShareability = pte_bits(9, 8);
constexpr PteField kAccessFlag = pte_bit(10);       // set: no access-flag fault on first use
constexpr PteField kNotGlobal = pte_bit(11);        // stage 1: TLB entries tagged with the ASID
// Stage 1: PXN (53) and UXN (54); stage 2: XN[1:0]. Linux sets both bits for IOMMU_NOEXEC.
constexpr PteField kExecuteNever = pte_bits(54, 53);
// Output (and next-table) address bits [47:12]; with the 64K granule PA[51:48] sit in [15:12],
// which a 64K-aligned address leaves free.
constexpr PteField kOutputAddress = pte_bits(47, 12);
constexpr PteField kOutputAddress64kLow = pte_bits(47, 16);
constexpr PteField kOutputAddress51To48 = pte_bits(15, 12);
constexpr unsigned kOutputAddressHighShift = 48;
// What a split keeps of a block (Linux's old iopte_prot: ATTR_LO [11:2] and XN; not Contiguous).
constexpr std::uint64_t kSplitKeptAttributes = pte_bits(11, 2).mask() | kExecuteNever.mask();

constexpr unsigned kShOuterShareable = 0b10;
constexpr unsigned kShInnerShareable = 0b11;

// MAIR attribute indices and values (Linux ARM_LPAE_MAIR_ATTR_*).
constexpr unsigned kMairIdxNonCacheable = 0;
constexpr unsigned kMairIdxCacheable = 1;
constexpr unsigned kMairIdxDevice = 2;
constexpr unsigned kMairIdxInnerNcOuterWb = 3;
constexpr std::uint64_t kMairAttrNonCacheable = 0x44;    // Normal, inner/outer non-cacheable
constexpr std::uint64_t kMairAttrWriteBackRwa = 0xff;    // Normal, inner/outer WB read/write-allocate
constexpr std::uint64_t kMairAttrDevice = 0x04;          // Device-nGnRE
constexpr std::uint64_t kMairAttrInnerNcOuterWb = 0xf4;  // Normal, inner NC, outer WB RWA
constexpr unsigned kMairAttrBits = 8;

// Stage-2 MemAttr values without FEAT_S2FWB (Linux ARM_LPAE_PTE_MEMATTR_*).
constexpr unsigned kMemAttrDevice = 0x1;              // Device-nGnRE
constexpr unsigned kMemAttrNonCacheable = 0x5;        // Normal inner/outer non-cacheable
constexpr unsigned kMemAttrWriteBack = 0xf;           // Normal inner/outer write-back

// TCR / VTCR encodings.
constexpr unsigned kTg0For4k = 0b00;
constexpr unsigned kTg0For64k = 0b01;
constexpr unsigned kTg0For16k = 0b10;
constexpr unsigned kRgnNonCacheable = 0b00;
constexpr unsigned kRgnWriteBackWa = 0b01;
constexpr unsigned kSl0Mask = 0b11;
struct PsEncoding {
    unsigned bits;
    unsigned ps;
};
constexpr PsEncoding kPsEncodings[] = {{32, 0}, {36, 1}, {40, 2}, {42, 3}, {44, 4}, {48, 5}, {52, 6}};

constexpr unsigned kPteShift = 3;  // log2 of an 8-byte descriptor
constexpr unsigned kMaxLevels = 4;
constexpr unsigned kLastLevel = 3;
constexpr unsigned kMaxAddressBits = 52;
constexpr unsigned kMaxAddressBitsWithoutLpa2 = 48;  // 4K and 16K granules
constexpr unsigned kMinInputBits = 32;
constexpr unsigned kMaxConcatenatedTables = 16;
constexpr unsigned k4kShift = 12;
constexpr unsigned k16kShift = 14;
constexpr unsigned k64kShift = 16;

constexpr std::uint64_t bit_at(unsigned shift) { return std::uint64_t{1} << shift; }

// The granule Linux picks (arm_lpae_restrict_pgsizes with a 4K CPU page): 4K when offered, else the
// smallest size offered from 4K up; 0 when only sizes below 4K are offered.
unsigned pick_granule_shift(std::uint64_t pgsize_bitmap) {
    if (pgsize_bitmap & bit_at(k4kShift)) return k4kShift;
    if (pgsize_bitmap & (bit_at(k4kShift) - 1)) return 0;
    for (const unsigned shift : {k16kShift, k64kShift}) {
        if (pgsize_bitmap & bit_at(shift)) return shift;
    }
    return 0;
}

// Page and block sizes of a granule (Arm ARM D8.2: a level-3 page and level-2/1 blocks).
std::uint64_t granule_page_sizes(unsigned granule_shift, unsigned oas) {
    switch (granule_shift) {
        case k4kShift: return bit_at(12) | bit_at(21) | bit_at(30);
        case k16kShift: return bit_at(14) | bit_at(25);
        case k64kShift: return bit_at(16) | bit_at(29) | (oas > kMaxAddressBitsWithoutLpa2 ? bit_at(42) : 0);
        default: return 0;
    }
}

unsigned tg0_encoding(unsigned granule_shift) {
    if (granule_shift == k4kShift) return kTg0For4k;
    return granule_shift == k16kShift ? kTg0For16k : kTg0For64k;
}

std::optional<unsigned> ps_encoding(unsigned oas) {
    for (const PsEncoding& e : kPsEncodings) {
        if (e.bits == oas) return e.ps;
    }
    return std::nullopt;
}

// Arm ARM DDI0487 K.a R_DXBSH / R_SRKBC as Linux's arm_lpae_concat_mandatory reads them.
bool concatenation_mandatory(unsigned granule_shift, unsigned start_level, unsigned ias, unsigned oas) {
    if (granule_shift == k16kShift && start_level == 0) return oas == 48 || ias == 48;
    if (granule_shift == k4kShift && start_level == 0) return oas == 40 || oas == 42;
    return granule_shift == k16kShift && start_level == 1 && oas == 40;
}

// Checks cfg's sizes and narrows them as Linux does; the granule's shift, or nullopt with the reason.
std::optional<unsigned> check_and_narrow(IoPgtableCfg& cfg, std::string& why) {
    const unsigned granule_shift = pick_granule_shift(cfg.pgsize_bitmap);
    if (!granule_shift) {
        why = "pgsize_bitmap offers no 4K, 16K or 64K granule";
        return std::nullopt;
    }
    if (cfg.ias < kMinInputBits || cfg.ias > kMaxAddressBits) {
        why = "ias " + std::to_string(cfg.ias) + " is outside 32..52";
        return std::nullopt;
    }
    if (cfg.oas > kMaxAddressBits) {
        why = "oas " + std::to_string(cfg.oas) + " is above 52";
        return std::nullopt;
    }
    cfg.pgsize_bitmap &= granule_page_sizes(granule_shift, cfg.oas);
    const unsigned max_bits = granule_shift == k64kShift ? kMaxAddressBits : kMaxAddressBitsWithoutLpa2;
    cfg.ias = std::min(cfg.ias, max_bits);
    cfg.oas = std::min(cfg.oas, max_bits);
    if (!ps_encoding(cfg.oas)) {
        why = "oas " + std::to_string(cfg.oas) + " has no IPS/PS encoding (32, 36, 40, 42, 44, 48, 52)";
        return std::nullopt;
    }
    return granule_shift;
}

// Works out the table layout for a checked cfg (arm_lpae_alloc_pgtable, then the stage-2
// concatenation); nullopt with the reason when the start level cannot be expressed.
std::optional<ArmLpaePgtable::Layout> plan_layout(IoPgtableFmt fmt, IoPgtableCfg& cfg, std::string& why) {
    const auto granule_shift = check_and_narrow(cfg, why);
    if (!granule_shift) return std::nullopt;
    ArmLpaePgtable::Layout layout;
    layout.granule_shift = *granule_shift;
    const unsigned bits_per_level = layout.granule_shift - kPteShift;
    const unsigned va_bits = cfg.ias - layout.granule_shift;
    const unsigned levels = (va_bits + bits_per_level - 1) / bits_per_level;
    layout.start_level = kMaxLevels - levels;
    layout.pgd_bits = va_bits - bits_per_level * (levels - 1);
    if (fmt == IoPgtableFmt::ARM_64_LPAE_S2 &&
        concatenation_mandatory(layout.granule_shift, layout.start_level, cfg.ias, cfg.oas)) {
        layout.concatenated = 1u << layout.pgd_bits;
        if (layout.concatenated > kMaxConcatenatedTables) {
            why = "the stage-2 start level would need " + std::to_string(layout.concatenated) +
                  " concatenated tables (at most 16)";
            return std::nullopt;
        }
        layout.pgd_bits += bits_per_level;
        ++layout.start_level;
    }
    // Blocks bigger than what one start-table entry maps have no level to live at (Linux keeps them
    // in the bitmap and fails the map).
    cfg.pgsize_bitmap &= bit_at(cfg.ias - layout.pgd_bits + 1) - 1;
    return layout;
}

// TCR fields as Linux's arm_64_lpae_alloc_pgtable_s1 fills them.
void fill_stage1_outputs(IoPgtableCfg& cfg, const ArmLpaePgtable::Layout& layout) {
    ArmLpaeTcr& tcr = cfg.arm_lpae_s1_cfg.tcr;
    tcr.sh0 = cfg.coherent_walk ? kShInnerShareable : kShOuterShareable;
    tcr.irgn0 = cfg.coherent_walk ? kRgnWriteBackWa : kRgnNonCacheable;
    tcr.orgn0 = tcr.irgn0;
    tcr.tg0 = tg0_encoding(layout.granule_shift);
    tcr.ips = *ps_encoding(cfg.oas);
    tcr.t0sz = 64 - cfg.ias;
    cfg.arm_lpae_s1_cfg.mair = (kMairAttrNonCacheable << (kMairIdxNonCacheable * kMairAttrBits)) |
                               (kMairAttrWriteBackRwa << (kMairIdxCacheable * kMairAttrBits)) |
                               (kMairAttrDevice << (kMairIdxDevice * kMairAttrBits)) |
                               (kMairAttrInnerNcOuterWb << (kMairIdxInnerNcOuterWb * kMairAttrBits));
}

// VTCR fields as Linux's arm_64_lpae_alloc_pgtable_s2 fills them. SL0 counts down from the deepest
// start level: 4K: 0 -> level 2, 1 -> 1, 2 -> 0; 16K/64K: 0 -> level 3, 1 -> 2, 2 -> 1.
void fill_stage2_outputs(IoPgtableCfg& cfg, const ArmLpaePgtable::Layout& layout) {
    ArmLpaeVtcr& vtcr = cfg.arm_lpae_s2_cfg.vtcr;
    vtcr.sh0 = cfg.coherent_walk ? kShInnerShareable : kShOuterShareable;
    vtcr.irgn0 = cfg.coherent_walk ? kRgnWriteBackWa : kRgnNonCacheable;
    vtcr.orgn0 = vtcr.irgn0;
    vtcr.tg0 = tg0_encoding(layout.granule_shift);
    vtcr.ps = *ps_encoding(cfg.oas);
    vtcr.t0sz = 64 - cfg.ias;
    const unsigned sl = layout.start_level + (layout.granule_shift == k4kShift ? 1 : 0);
    vtcr.sl0 = ~sl & kSl0Mask;
}

}  // namespace

// ---- construction ------------------------------------------------------------------------------

ArmLpaePgtable::ArmLpaePgtable(IoPgtableFmt fmt, const IoPgtableCfg& cfg, IoPgtableMemory& memory,
                               const Layout& layout)
    : IoPgtable(fmt, cfg, memory,
                Geometry{kMaxLevels - layout.start_level, layout.granule_shift, layout.granule_shift - kPteShift,
                         layout.pgd_bits},
                cfg.ias),
      layout_(layout) {}

ArmLpaePgtable::~ArmLpaePgtable() { free_io_pgtable(); }

std::unique_ptr<IoPgtable> alloc_arm_lpae_pgtable(IoPgtableFmt fmt, IoPgtableCfg& cfg, IoPgtableMemory& memory,
                                                  std::string& why) {
    IoPgtableCfg narrowed = cfg;
    const auto layout = plan_layout(fmt, narrowed, why);
    if (!layout) return nullptr;
    if (fmt == IoPgtableFmt::ARM_64_LPAE_S1) {
        fill_stage1_outputs(narrowed, *layout);
    } else {
        fill_stage2_outputs(narrowed, *layout);
    }
    auto table = std::make_unique<ArmLpaePgtable>(fmt, narrowed, memory, *layout);
    if (!table->alloc_root()) {
        why = "no memory for the start table";
        return nullptr;
    }
    if (fmt == IoPgtableFmt::ARM_64_LPAE_S1) {
        narrowed.arm_lpae_s1_cfg.ttbr = table->root();
    } else {
        narrowed.arm_lpae_s2_cfg.vttbr = table->root();
    }
    cfg = narrowed;
    table->mutable_cfg() = narrowed;
    return table;
}

// ---- descriptors -------------------------------------------------------------------------------

unsigned ArmLpaePgtable::step_for_size(std::uint64_t size) const {
    unsigned step = levels() - 1;
    while (step > 0 && block_size(step) < size) --step;
    return step;
}

std::uint64_t ArmLpaePgtable::pack_address(std::uint64_t paddr) const {
    std::uint64_t packed = paddr & kOutputAddress.mask();
    if (layout_.granule_shift == k64kShift) packed |= kOutputAddress51To48.place(paddr >> kOutputAddressHighShift);
    return packed;
}

std::uint64_t ArmLpaePgtable::pte_address(std::uint64_t pte) const {
    if (layout_.granule_shift != k64kShift) return pte & kOutputAddress.mask();
    return (pte & kOutputAddress64kLow.mask()) | (kOutputAddress51To48.extract(pte) << kOutputAddressHighShift);
}

std::uint64_t ArmLpaePgtable::prot_to_leaf_attributes(int prot) const {
    std::uint64_t pte = kAccessFlag.place(1);
    if (is_stage1()) {
        pte |= kNotGlobal.place(1);
        if (!(prot & IOMMU_WRITE) && (prot & IOMMU_READ)) pte |= kApReadOnly.place(1);
        if (!(prot & IOMMU_PRIV)) pte |= kApUnprivileged.place(1);
        if (prot & IOMMU_MMIO) {
            pte |= kAttrIndx.place(kMairIdxDevice);
        } else if (prot & IOMMU_CACHE) {
            pte |= kAttrIndx.place(kMairIdxCacheable);
        } else {
            pte |= kAttrIndx.place(kMairIdxNonCacheable);
        }
    } else {
        if (prot & IOMMU_READ) pte |= kS2ApRead.place(1);
        if (prot & IOMMU_WRITE) pte |= kS2ApWrite.place(1);
        if (prot & IOMMU_MMIO) {
            pte |= kMemAttr.place(kMemAttrDevice);
        } else if (prot & IOMMU_CACHE) {
            pte |= kMemAttr.place(kMemAttrWriteBack);
        } else {
            pte |= kMemAttr.place(kMemAttrNonCacheable);
        }
    }
    // Coherent (cacheable) memory is shared with the CPUs' inner domain; the rest outer-shareable.
    pte |= kShareability.place((prot & IOMMU_CACHE) ? kShInnerShareable : kShOuterShareable);
    if (prot & IOMMU_NOEXEC) pte |= kExecuteNever.mask();
    return pte;
}

std::uint64_t ArmLpaePgtable::make_leaf(std::uint64_t paddr, unsigned step, std::uint64_t attributes) const {
    const std::uint64_t type = arm_level(step) == kLastLevel ? kTypePage : kTypeBlock;
    return attributes | pack_address(paddr) | kType.place(type);
}

std::uint64_t ArmLpaePgtable::make_table_link(std::uint64_t table) const {
    return pack_address(table) | kType.place(kTypeTable);
}

bool ArmLpaePgtable::is_present(std::uint64_t pte) const { return kValid.is_set_in(pte); }

bool ArmLpaePgtable::is_leaf(std::uint64_t pte, unsigned step) const {
    const std::uint64_t type = kType.extract(pte);
    return arm_level(step) == kLastLevel ? type == kTypePage : type == kTypeBlock;
}

std::uint64_t ArmLpaePgtable::leaf_attributes(std::uint64_t pte) const { return pte & kSplitKeptAttributes; }

unsigned ArmLpaePgtable::map_step(std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t pgsize) const {
    return step_for_size(pgsize);
}

// ---- unmap -------------------------------------------------------------------------------------

std::uint64_t ArmLpaePgtable::unmap_range(std::uint64_t iova, std::uint64_t pgsize, std::uint64_t pgcount,
                                          IommuIotlbGather* gather) {
    const std::uint64_t total = pgsize * pgcount;
    std::uint64_t done = 0;
    while (done < total) {
        const std::uint64_t unmapped = unmap_in_one_table(iova + done, pgsize, (total - done) / pgsize, gather);
        if (unmapped == 0) break;
        done += unmapped;
    }
    return done;
}

std::uint64_t ArmLpaePgtable::unmap_in_one_table(std::uint64_t iova, std::uint64_t pgsize, std::uint64_t count,
                                                 IommuIotlbGather* gather) {
    const unsigned target = step_for_size(pgsize);
    EntryRef ref = walk(iova, target);
    while (ref.step < target && is_present(ref.pte)) {
        // A block larger than pgsize covers iova.
        switch (cfg().partial_block_unmap) {
            case PartialBlockUnmap::refuse: return 0;
            case PartialBlockUnmap::unmap_whole_block: return clear_whole_block(ref, iova, gather);
            case PartialBlockUnmap::split_block:
                if (!split_block(ref)) return 0;
                ref = walk(iova, target);
                break;
        }
    }
    if (!is_present(ref.pte)) return 0;
    return clear_run(ref.address, iova, ref.step, count, gather);
}

std::uint64_t ArmLpaePgtable::clear_run(std::uint64_t first, std::uint64_t iova, unsigned step,
                                        std::uint64_t count, IommuIotlbGather* gather) {
    const std::uint64_t size = block_size(step);
    const std::size_t run = static_cast<std::size_t>(std::min<std::uint64_t>(count, entries_to_table_end(iova, step)));
    std::size_t cleared = 0;
    for (; cleared < run; ++cleared) {
        const std::uint64_t address = first + cleared * sizeof(std::uint64_t);
        const EntryRef ref{address, memory().read64(address), step};
        if (!is_present(ref.pte)) break;
        if (is_leaf(ref.pte, step)) {
            memory().write64(ref.address, 0);
        } else {
            unlink_and_free_table(ref, iova + cleared * size);
        }
    }
    report_cleared(gather, iova, size, cleared);
    return cleared * size;
}

std::uint64_t ArmLpaePgtable::clear_whole_block(const EntryRef& block, std::uint64_t iova,
                                                IommuIotlbGather* gather) {
    const std::uint64_t size = block_size(block.step);
    memory().write64(block.address, 0);
    report_cleared(gather, iova & ~(size - 1), size, 1);
    return size;
}

void ArmLpaePgtable::report_cleared(IommuIotlbGather* gather, std::uint64_t iova, std::uint64_t size,
                                    std::size_t count) {
    // A flush queue invalidates everything later, so per-page reports are skipped (Linux:
    // iommu_iotlb_gather_queued).
    if (!gather || gather->queued || !tlb()) return;
    for (std::size_t i = 0; i < count; ++i) {
        tlb()->tlb_add_page(*gather, iova + i * size, size);
    }
}

}  // namespace iommu_vp::iommu
