#include "models/smmuv3/registers.h"

#include "models/smmuv3/gerror.h"
#include "models/smmuv3/queue_pointers.h"
#include "models/smmuv3/stream_table.h"

#include <utility>
#include <vector>

namespace iommu_vp::smmuv3 {
namespace {

std::uint64_t set_if(bool condition, BitField field, std::uint64_t value = 1) {
    return condition ? field.insert(0, value) : 0;
}

// Queue index registers hold an index and a wrap bit below bit 20 (the largest queue is 2^19).
constexpr BitField kQueueIndexAndWrap = queue_field::POINTER;

std::vector<RegisterField> msi_address_fields() { return {{"ADDR", irq_cfg::ADDR}}; }
std::vector<RegisterField> msi_attribute_fields() { return {{"MemAttr", irq_cfg::MemAttr}, {"SH", irq_cfg::SH}}; }
std::vector<RegisterField> queue_base_fields() {
    return {{"LOG2SIZE", queue_field::BASE_LOG2SIZE}, {"ADDR", queue_field::BASE_ADDR},
            {"RA_WA", queue_field::BASE_RA_WA}};
}

}  // namespace

std::uint32_t idr0_value(const Features& f) {
    std::uint64_t v = 0;
    v |= set_if(f.stage2, idr0::S2P);
    v |= set_if(f.stage1, idr0::S1P);
    v |= idr0::TTF.insert(0, idr0::kTtfAArch64);
    v |= set_if(f.coherent_access, idr0::COHACC);
    v |= idr0::HTTU.insert(0, f.httu);
    v |= set_if(f.has_hyp(), idr0::HYP);  // RES0 without both stages
    v |= set_if(f.ats, idr0::ATS);
    v |= set_if(f.ats, idr0::NS1ATS);  // split-stage ATS (STE.EATS == 0b10) is not implemented
    v |= set_if(f.asid16, idr0::ASID16);
    v |= set_if(f.msi, idr0::MSI);
    v |= set_if(f.sev, idr0::SEV);
    v |= set_if(f.pri, idr0::PRI);
    v |= set_if(f.vmid16, idr0::VMID16);
    v |= set_if(f.two_level_cd, idr0::CD2L);
    v |= idr0::TTENDIAN.insert(0, static_cast<unsigned>(f.endianness));
    v |= idr0::STALL_MODEL.insert(0, static_cast<unsigned>(f.stall_model));
    v |= set_if(f.term_model_abort_only, idr0::TERM_MODEL);
    v |= set_if(f.two_level_stream_table, idr0::ST_LEVEL);
    return static_cast<std::uint32_t>(v);
}

std::uint32_t idr1_value(const Features& f) {
    std::uint64_t v = 0;
    v = idr1::SIDSIZE.insert(v, f.sid_bits);
    v = idr1::SSIDSIZE.insert(v, f.ssid_bits);
    if (f.pri) v = idr1::PRIQS.insert(v, f.priq_log2_entries);
    v = idr1::EVENTQS.insert(v, f.evtq_log2_entries);
    v = idr1::CMDQS.insert(v, f.cmdq_log2_entries);
    return static_cast<std::uint32_t>(v);
}

std::uint32_t idr3_value(const Features& f) {
    return static_cast<std::uint32_t>(set_if(f.xnx, idr3::XNX) | set_if(f.range_invalidation, idr3::RIL));
}

std::uint32_t idr5_value(const Features& f) {
    std::uint64_t v = idr5::OAS.insert(0, address_size_encoding(f.oas_bits));
    v |= set_if(f.granule_4k, idr5::GRAN4K);
    v |= set_if(f.granule_16k, idr5::GRAN16K);
    v |= set_if(f.granule_64k, idr5::GRAN64K);
    return static_cast<std::uint32_t>(v);
}

void add_registers(RegisterBank& bank, const Features& f, const Identity& id, bool gbpa_abort_at_reset) {
    const std::uint64_t cr0_writable = cr0::SMMUEN.mask() | cr0::EVTQEN.mask() | cr0::CMDQEN.mask() |
                                       set_if(f.pri, cr0::PRIQEN) | set_if(f.ats, cr0::ATSCHK);
    // CR2.E2H is RES0 without Hyp (6.3.12).
    const std::uint64_t cr2_writable = cr2::RECINVSID.mask() | cr2::PTM.mask() | set_if(f.has_hyp(), cr2::E2H);
    const std::uint64_t irq_writable =
        irq_ctrl::GERROR_IRQEN.mask() | irq_ctrl::EVTQ_IRQEN.mask() | set_if(f.pri, irq_ctrl::PRIQ_IRQEN);
    const std::uint64_t gbpa_writable = gbpa::MemAttr.mask() | gbpa::MTCFG.mask() | gbpa::ALLOCCFG.mask() |
                                        gbpa::SHCFG.mask() | gbpa::PRIVCFG.mask() | gbpa::INSTCFG.mask() |
                                        gbpa::ABORT.mask() | gbpa::UPDATE.mask();
    // GBPA resets to "use incoming" shareability (SHCFG = 1) and, if asked, to a default-deny ABORT
    // (both IMPLEMENTATION DEFINED, SMMUv3 6.3.14).
    const std::uint64_t gbpa_reset = gbpa::SHCFG.insert(0, 1) | set_if(gbpa_abort_at_reset, gbpa::ABORT);
    // Without MSI support the IRQ_CFG registers are RES0.
    const std::uint64_t msi_addr = f.msi ? irq_cfg::ADDR.mask() : 0;
    const std::uint64_t msi_data = f.msi ? irq_cfg::DATA.mask() : 0;
    const std::uint64_t msi_attr = f.msi ? (irq_cfg::MemAttr.mask() | irq_cfg::SH.mask()) : 0;
    const std::uint64_t iidr = iidr::Implementer.insert(0, id.implementer) | iidr::Revision.insert(0, id.revision) |
                               iidr::Variant.insert(0, id.variant) | iidr::ProductID.insert(0, id.product_id);
    const std::uint64_t aidr = aidr::ArchMajorRev.insert(0, 0) | aidr::ArchMinorRev.insert(0, id.arch_minor);
    const std::uint64_t queue_base_writable =
        queue_field::BASE_LOG2SIZE.mask() | queue_field::BASE_ADDR.mask() | queue_field::BASE_RA_WA.mask();
    const std::vector<RegisterField> cr0_fields = {{"SMMUEN", cr0::SMMUEN}, {"PRIQEN", cr0::PRIQEN},
                                                   {"EVTQEN", cr0::EVTQEN}, {"CMDQEN", cr0::CMDQEN},
                                                   {"ATSCHK", cr0::ATSCHK}};
    const std::vector<RegisterField> irq_fields = {{"GERROR_IRQEN", irq_ctrl::GERROR_IRQEN},
                                                   {"PRIQ_IRQEN", irq_ctrl::PRIQ_IRQEN},
                                                   {"EVTQ_IRQEN", irq_ctrl::EVTQ_IRQEN}};
    const std::vector<RegisterField> gerror_fields = {
        {"CMDQ_ERR", gerror::CMDQ_ERR},           {"EVTQ_ABT_ERR", gerror::EVENTQ_ABT_ERR},
        {"PRIQ_ABT_ERR", gerror::PRIQ_ABT_ERR},   {"MSI_CMDQ_ABT_ERR", gerror::MSI_CMDQ_ABT_ERR},
        {"MSI_EVTQ_ABT_ERR", gerror::MSI_EVENTQ_ABT_ERR}, {"MSI_PRIQ_ABT_ERR", gerror::MSI_PRIQ_ABT_ERR},
        {"MSI_GERROR_ABT_ERR", gerror::MSI_GERROR_ABT_ERR}, {"SFM_ERR", gerror::SFM_ERR}};

    const std::vector<RegisterLayout> table = {
        {"IDR0", reg::IDR0, 4, idr0_value(f), 0, 0,
         {{"S2P", idr0::S2P}, {"S1P", idr0::S1P}, {"TTF", idr0::TTF}, {"COHACC", idr0::COHACC},
          {"HTTU", idr0::HTTU}, {"HYP", idr0::HYP}, {"ATS", idr0::ATS}, {"NS1ATS", idr0::NS1ATS},
          {"ASID16", idr0::ASID16},
          {"MSI", idr0::MSI}, {"SEV", idr0::SEV}, {"PRI", idr0::PRI}, {"VMID16", idr0::VMID16},
          {"CD2L", idr0::CD2L}, {"TTENDIAN", idr0::TTENDIAN}, {"STALL_MODEL", idr0::STALL_MODEL},
          {"TERM_MODEL", idr0::TERM_MODEL}, {"ST_LEVEL", idr0::ST_LEVEL}}},
        {"IDR1", reg::IDR1, 4, idr1_value(f), 0, 0,
         {{"SIDSIZE", idr1::SIDSIZE}, {"SSIDSIZE", idr1::SSIDSIZE}, {"PRIQS", idr1::PRIQS},
          {"EVENTQS", idr1::EVENTQS}, {"CMDQS", idr1::CMDQS}}},
        {"IDR2", reg::IDR2, 4, 0, 0, 0, {}},
        {"IDR3", reg::IDR3, 4, idr3_value(f), 0, 0, {{"XNX", idr3::XNX}, {"RIL", idr3::RIL}}},
        {"IDR4", reg::IDR4, 4, 0, 0, 0, {}},
        {"IDR5", reg::IDR5, 4, idr5_value(f), 0, 0,
         {{"OAS", idr5::OAS}, {"GRAN4K", idr5::GRAN4K}, {"GRAN16K", idr5::GRAN16K}, {"GRAN64K", idr5::GRAN64K}}},
        {"IIDR", reg::IIDR, 4, iidr, 0, 0,
         {{"Implementer", iidr::Implementer}, {"Revision", iidr::Revision}, {"Variant", iidr::Variant},
          {"ProductID", iidr::ProductID}}},
        {"AIDR", reg::AIDR, 4, aidr, 0, 0, {{"ArchMinorRev", aidr::ArchMinorRev}, {"ArchMajorRev", aidr::ArchMajorRev}}},
        {"CR0", reg::CR0, 4, 0, cr0_writable, 0, cr0_fields},
        {"CR0ACK", reg::CR0ACK, 4, 0, 0, 0, cr0_fields},
        {"CR1", reg::CR1, 4, 0, bits(11, 0).mask(), 0,
         {{"QUEUE_IC", cr1::QUEUE_IC}, {"QUEUE_OC", cr1::QUEUE_OC}, {"QUEUE_SH", cr1::QUEUE_SH},
          {"TABLE_IC", cr1::TABLE_IC}, {"TABLE_OC", cr1::TABLE_OC}, {"TABLE_SH", cr1::TABLE_SH}}},
        {"CR2", reg::CR2, 4, 0, cr2_writable, 0, {{"E2H", cr2::E2H}, {"RECINVSID", cr2::RECINVSID}, {"PTM", cr2::PTM}}},
        {"STATUSR", reg::STATUSR, 4, 0, 0, 0, {}},
        {"GBPA", reg::GBPA, 4, gbpa_reset, gbpa_writable, 0,
         {{"MemAttr", gbpa::MemAttr}, {"MTCFG", gbpa::MTCFG}, {"ALLOCCFG", gbpa::ALLOCCFG},
          {"SHCFG", gbpa::SHCFG}, {"PRIVCFG", gbpa::PRIVCFG}, {"INSTCFG", gbpa::INSTCFG},
          {"ABORT", gbpa::ABORT}, {"UPDATE", gbpa::UPDATE}}},
        {"AGBPA", reg::AGBPA, 4, 0, 0, 0, {}},
        {"IRQ_CTRL", reg::IRQ_CTRL, 4, 0, irq_writable, 0, irq_fields},
        {"IRQ_CTRLACK", reg::IRQ_CTRLACK, 4, 0, 0, 0, irq_fields},
        {"GERROR", reg::GERROR, 4, 0, 0, 0, gerror_fields},
        {"GERRORN", reg::GERRORN, 4, 0, gerror::defined_mask(f.msi, f.pri), 0, gerror_fields},
        {"GERROR_IRQ_CFG0", reg::GERROR_IRQ_CFG0, 8, 0, msi_addr, 0, msi_address_fields()},
        {"GERROR_IRQ_CFG1", reg::GERROR_IRQ_CFG1, 4, 0, msi_data, 0, {{"DATA", irq_cfg::DATA}}},
        {"GERROR_IRQ_CFG2", reg::GERROR_IRQ_CFG2, 4, 0, msi_attr, 0, msi_attribute_fields()},
        {"STRTAB_BASE", reg::STRTAB_BASE, 8, 0, strtab_base::kAddr.mask() | strtab_base::kRa.mask(), 0,
         {{"ADDR", strtab_base::kAddr}, {"RA", strtab_base::kRa}}},
        {"STRTAB_BASE_CFG", reg::STRTAB_BASE_CFG, 4, 0,
         strtab_base_cfg::kLog2Size.mask() | strtab_base_cfg::kSplit.mask() | strtab_base_cfg::kFmt.mask(), 0,
         {{"LOG2SIZE", strtab_base_cfg::kLog2Size}, {"SPLIT", strtab_base_cfg::kSplit}, {"FMT", strtab_base_cfg::kFmt}}},
        {"CMDQ_BASE", reg::CMDQ_BASE, 8, 0,
         queue_base_writable, 0, queue_base_fields()},
        {"CMDQ_PROD", reg::CMDQ_PROD, 4, 0, kQueueIndexAndWrap.mask(), 0, {{"WR", kQueueIndexAndWrap}}},
        {"CMDQ_CONS", reg::CMDQ_CONS, 4, 0, kQueueIndexAndWrap.mask(), 0,
         {{"RD", kQueueIndexAndWrap}, {"ERR", queue_field::CMDQ_CONS_ERR}}},
        {"EVTQ_BASE", reg::EVTQ_BASE, 8, 0,
         queue_base_writable, 0, queue_base_fields()},
        {"EVTQ_PROD", reg::EVTQ_PROD, 4, 0, kQueueIndexAndWrap.mask() | queue_field::EVENTQ_PROD_OVFLG.mask(), 0,
         {{"WR", kQueueIndexAndWrap}, {"OVFLG", queue_field::EVENTQ_PROD_OVFLG}}},
        {"EVTQ_CONS", reg::EVTQ_CONS, 4, 0, kQueueIndexAndWrap.mask() | queue_field::EVENTQ_CONS_OVACKFLG.mask(), 0,
         {{"RD", kQueueIndexAndWrap}, {"OVACKFLG", queue_field::EVENTQ_CONS_OVACKFLG}}},
        {"EVTQ_IRQ_CFG0", reg::EVTQ_IRQ_CFG0, 8, 0, msi_addr, 0, msi_address_fields()},
        {"EVTQ_IRQ_CFG1", reg::EVTQ_IRQ_CFG1, 4, 0, msi_data, 0, {{"DATA", irq_cfg::DATA}}},
        {"EVTQ_IRQ_CFG2", reg::EVTQ_IRQ_CFG2, 4, 0, msi_attr, 0, msi_attribute_fields()},
    };
    for (const RegisterLayout& layout : table) bank.add(layout);
    if (!f.pri) return;  // the PRI queue registers are RES0 without IDR0.PRI (6.3.30 .. 6.3.36)
    const std::vector<RegisterLayout> pri_queue = {
        {"PRIQ_BASE", reg::PRIQ_BASE, 8, 0, queue_base_writable, 0, queue_base_fields()},
        {"PRIQ_PROD", reg::PRIQ_PROD, 4, 0, kQueueIndexAndWrap.mask() | queue_field::PRIQ_PROD_OVFLG.mask(), 0,
         {{"WR", kQueueIndexAndWrap}, {"OVFLG", queue_field::PRIQ_PROD_OVFLG}}},
        {"PRIQ_CONS", reg::PRIQ_CONS, 4, 0, kQueueIndexAndWrap.mask() | queue_field::PRIQ_CONS_OVACKFLG.mask(), 0,
         {{"RD", kQueueIndexAndWrap}, {"OVACKFLG", queue_field::PRIQ_CONS_OVACKFLG}}},
        {"PRIQ_IRQ_CFG0", reg::PRIQ_IRQ_CFG0, 8, 0, msi_addr, 0, msi_address_fields()},
        {"PRIQ_IRQ_CFG1", reg::PRIQ_IRQ_CFG1, 4, 0, msi_data, 0, {{"DATA", irq_cfg::DATA}}},
        {"PRIQ_IRQ_CFG2", reg::PRIQ_IRQ_CFG2, 4, 0, f.msi ? msi_attr | irq_cfg::PRIQ_LO.mask() : 0, 0,
         {{"MemAttr", irq_cfg::MemAttr}, {"SH", irq_cfg::SH}, {"LO", irq_cfg::PRIQ_LO}}},
    };
    for (const RegisterLayout& layout : pri_queue) bank.add(layout);
}

}  // namespace iommu_vp::smmuv3
