#include "models/vtd/registers.h"

#include <utility>
#include <vector>

namespace iommu_vp::vtd {
namespace {

std::uint64_t set_if(bool condition, BitField field, std::uint64_t value = 1) {
    return condition ? field.insert(0, value) : 0;
}

std::vector<RegisterField> msi_data_fields() { return {{"IMD", event_data::IMD}, {"EIMD", event_data::EIMD}}; }
std::vector<RegisterField> msi_control_fields() { return {{"IM", event_control::IM}, {"IP", event_control::IP}}; }

std::vector<RegisterField> command_status_fields() {
    return {{"TE", gcmd::TE},     {"SRTP", gcmd::SRTP}, {"SFL", gcmd::SFL},     {"EAFL", gcmd::EAFL}, {"WBF", gcmd::WBF},
            {"QIE", gcmd::QIE},   {"IRE", gcmd::IRE},   {"SIRTP", gcmd::SIRTP}, {"CFI", gcmd::CFI}};
}

// The page-request queue and its event (VT-d 11.4.11), present with ECAP.PRS. PQT is writable as
// well as PQH: software initialises both before it programs PQA (Linux writes 0 to each; QEMU
// makes both writable); the unit then moves PQT and software PQH. The page-request event is masked
// out of reset, as the fault and invalidation events are.
void add_page_request_registers(std::vector<RegisterLayout>& table, const Features& f) {
    const std::uint64_t host_address = bits(f.host_address_bits - 1, 12).mask();
    const std::uint64_t pointer = page_queue_pointer::PQH_PQT.mask();
    table.push_back({"PQH", reg::PQH, 8, 0, pointer, 0, {{"PQH", page_queue_pointer::PQH_PQT}}});
    table.push_back({"PQT", reg::PQT, 8, 0, pointer, 0, {{"PQT", page_queue_pointer::PQH_PQT}}});
    table.push_back({"PQA", reg::PQA, 8, 0, host_address | pqa::PQS.mask(), 0, {{"PQS", pqa::PQS}, {"PQA", pqa::PQA}}});
    table.push_back({"PRS", reg::PRS, 4, 0, 0, prs::PPR.mask() | prs::PRO.mask(), {{"PPR", prs::PPR}, {"PRO", prs::PRO}}});
    table.push_back({"PECTL", reg::PECTL, 4, event_control::IM.mask(), event_control::IM.mask(), 0, msi_control_fields()});
    table.push_back({"PEDATA", reg::PEDATA, 4, 0, event_data::IMD.mask() | event_data::EIMD.mask(), 0, msi_data_fields()});
    table.push_back({"PEADDR", reg::PEADDR, 4, 0, event_address::MA.mask(), 0, {{"MA", event_address::MA}}});
    table.push_back({"PEUADDR", reg::PEUADDR, 4, 0, 0xffff'ffff, 0, {}});
}

}  // namespace

std::string fault_record_name(unsigned index, bool high) {
    return "FRCD" + std::to_string(index) + (high ? "_HI" : "_LO");
}

std::uint32_t ver_value(const Features& f) {
    return static_cast<std::uint32_t>(ver::MAX.insert(0, f.version_major) | ver::MIN.insert(0, f.version_minor));
}

std::uint64_t cap_value(const Features& f) {
    std::uint64_t v = cap::ND.insert(0, (f.domain_id_bits - 4) / 2);
    v |= set_if(f.required_write_buffer_flush, cap::RWBF);
    v |= set_if(f.caching_mode, cap::CM);
    const std::uint64_t sagaw = set_if(f.sagaw_39, bit(cap::kSagaw39)) | set_if(f.sagaw_48, bit(cap::kSagaw48)) |
                                set_if(f.sagaw_57, bit(cap::kSagaw57));
    v |= cap::SAGAW.insert(0, sagaw);
    v |= cap::MGAW.insert(0, f.mgaw_bits - 1);
    v |= cap::FRO.insert(0, f.fault_record_offset);
    const std::uint64_t sllps = set_if(f.second_level_2m, bit(cap::kSllps2M)) | set_if(f.second_level_1g, bit(cap::kSllps1G));
    v |= cap::SLLPS.insert(0, sllps);
    v |= set_if(f.page_selective_invalidation, cap::PSI);
    v |= cap::NFR.insert(0, f.fault_records - 1);
    v |= cap::MAMV.insert(0, f.max_address_mask);
    v |= set_if(f.write_draining, cap::DWD);
    v |= set_if(f.read_draining, cap::DRD);
    v |= set_if(f.first_level && f.first_level_1g, cap::FL1GP);
    v |= set_if(f.first_level && f.first_level_5level, cap::FL5LP);
    return v;
}

std::uint64_t ecap_value(const Features& f) {
    std::uint64_t v = set_if(f.page_walk_coherency, ecap::C);
    v |= set_if(f.queued_invalidation, ecap::QI);
    v |= set_if(f.device_tlb, ecap::DT);
    v |= set_if(f.interrupt_remapping, ecap::IR);
    v |= set_if(f.pass_through, ecap::PT);
    v |= set_if(f.snoop_control, ecap::SC);
    v |= ecap::IRO.insert(0, f.iotlb_register_offset);
    v |= ecap::MHMV.insert(0, f.max_handle_mask);
    v |= set_if(f.nested, ecap::NEST);
    v |= set_if(f.page_requests, ecap::PRS);
    // The no-write flag of translation requests is honoured whenever ATS is (NWFS), and a wait
    // descriptor may drain page requests whenever there are page requests (PDS).
    v |= set_if(f.device_tlb, ecap::NWFS);
    v |= set_if(f.page_requests, ecap::PDS);
    v |= set_if(f.execute_requests, ecap::ERS);
    v |= set_if(f.supervisor_requests, ecap::SRS);
    v |= set_if(f.pasid, ecap::PSS, f.pasid_bits - 1);
    v |= set_if(f.pasid, ecap::PASID);
    v |= set_if(f.scalable_mode, ecap::SMTS);
    v |= set_if(f.second_level_ad, ecap::SLADS);
    v |= set_if(f.second_level, ecap::SLTS);
    v |= set_if(f.first_level, ecap::FLTS);
    v |= set_if(f.scalable_mode && f.page_walk_coherency, ecap::SMPWCS);
    v |= set_if(f.rid_pasid, ecap::RPS);
    return v;
}

void add_registers(RegisterBank& bank, const Features& f) {
    const std::uint64_t host_address = bits(f.host_address_bits - 1, 12).mask();
    // RTADDR.TTM is stored as written and latched by SRTP whatever it holds; a mode the unit does not
    // implement faults each request (RTA.1) and stops the invalidation queue (IQEI 7).
    const std::uint64_t rtaddr_writable = host_address | rtaddr::TTM.mask();
    const std::uint64_t ccmd_writable =
        ccmd::DID.mask() | ccmd::SID.mask() | ccmd::FM.mask() | ccmd::CIRG.mask() | ccmd::ICC.mask();
    const std::uint64_t iotlb_writable = iotlb_reg::DID.mask() | set_if(f.write_draining, iotlb_reg::DW) |
                                         set_if(f.read_draining, iotlb_reg::DR) | iotlb_reg::IIRG.mask() |
                                         iotlb_reg::IVT.mask();
    const std::uint64_t fsts_w1c = fsts::PFO.mask() | fsts::IQE.mask() | fsts::ICE.mask() | fsts::ITE.mask();
    const std::uint64_t msi_address = event_address::MA.mask();
    const std::uint64_t qi_writable = f.queued_invalidation ? ~std::uint64_t{0} : 0;
    const std::uint64_t iqa_writable =
        qi_writable & (host_address | iqa::QS.mask() | set_if(f.scalable_mode, iqa::DW));
    const std::vector<RegisterField> rtaddr_fields = {{"TTM", rtaddr::TTM}, {"RTA", rtaddr::RTA}};
    const std::vector<RegisterField> fsts_fields = {{"PFO", fsts::PFO}, {"PPF", fsts::PPF}, {"IQE", fsts::IQE},
                                                    {"ICE", fsts::ICE}, {"ITE", fsts::ITE}, {"FRI", fsts::FRI}};

    std::vector<RegisterLayout> table = {
        {"VER", reg::VER, 4, ver_value(f), 0, 0, {{"MAX", ver::MAX}, {"MIN", ver::MIN}}},
        {"CAP", reg::CAP, 8, cap_value(f), 0, 0,
         {{"ND", cap::ND},       {"RWBF", cap::RWBF}, {"CM", cap::CM},       {"SAGAW", cap::SAGAW},
          {"MGAW", cap::MGAW},   {"FRO", cap::FRO},   {"SLLPS", cap::SLLPS}, {"PSI", cap::PSI},
          {"NFR", cap::NFR},     {"MAMV", cap::MAMV}, {"DWD", cap::DWD},     {"DRD", cap::DRD},
          {"FL1GP", cap::FL1GP}, {"FL5LP", cap::FL5LP}}},
        {"ECAP", reg::ECAP, 8, ecap_value(f), 0, 0,
         {{"C", ecap::C},         {"QI", ecap::QI},       {"DT", ecap::DT},       {"IR", ecap::IR},
          {"PT", ecap::PT},       {"SC", ecap::SC},       {"IRO", ecap::IRO},     {"NEST", ecap::NEST},
          {"PRS", ecap::PRS},     {"ERS", ecap::ERS},     {"SRS", ecap::SRS},     {"NWFS", ecap::NWFS},
          {"PSS", ecap::PSS},     {"PDS", ecap::PDS},
          {"PASID", ecap::PASID}, {"SMTS", ecap::SMTS},   {"SLADS", ecap::SLADS}, {"SLTS", ecap::SLTS},
          {"FLTS", ecap::FLTS},   {"SMPWCS", ecap::SMPWCS}, {"RPS", ecap::RPS}}},
        // GCMD's fields are write-only: nothing is stored (reads, debug ones too, return zero) and the
        // model's hook acts on the value written.
        {"GCMD", reg::GCMD, 4, 0, 0, 0, command_status_fields()},
        {"GSTS", reg::GSTS, 4, 0, 0, 0, command_status_fields()},
        {"RTADDR", reg::RTADDR, 8, 0, rtaddr_writable, 0, rtaddr_fields},
        {"CCMD", reg::CCMD, 8, 0, ccmd_writable, 0,
         {{"DID", ccmd::DID}, {"SID", ccmd::SID}, {"FM", ccmd::FM}, {"CAIG", ccmd::CAIG}, {"CIRG", ccmd::CIRG},
          {"ICC", ccmd::ICC}}},
        {"FSTS", reg::FSTS, 4, 0, 0, fsts_w1c, fsts_fields},
        // Fault events are masked out of reset (VT-d 11.4.9.2: FECTL.IM resets to 1).
        {"FECTL", reg::FECTL, 4, event_control::IM.mask(), event_control::IM.mask(), 0, msi_control_fields()},
        {"FEDATA", reg::FEDATA, 4, 0, event_data::IMD.mask() | event_data::EIMD.mask(), 0, msi_data_fields()},
        {"FEADDR", reg::FEADDR, 4, 0, msi_address, 0, {{"MA", event_address::MA}}},
        {"FEUADDR", reg::FEUADDR, 4, 0, 0xffff'ffff, 0, {}},
        {"IQH", reg::IQH, 8, 0, 0, 0, {{"QH", queue_pointer::QH_QT}}},
        {"IQT", reg::IQT, 8, 0, qi_writable & queue_pointer::QH_QT.mask(), 0, {{"QT", queue_pointer::QH_QT}}},
        {"IQA", reg::IQA, 8, 0, iqa_writable, 0, {{"QS", iqa::QS}, {"DW", iqa::DW}, {"IQA", iqa::IQA}}},
        {"ICS", reg::ICS, 4, 0, 0, qi_writable & ics::IWC.mask(), {{"IWC", ics::IWC}}},
        {"IECTL", reg::IECTL, 4, event_control::IM.mask(), qi_writable & event_control::IM.mask(), 0,
         msi_control_fields()},
        {"IEDATA", reg::IEDATA, 4, 0, qi_writable & (event_data::IMD.mask() | event_data::EIMD.mask()), 0,
         msi_data_fields()},
        {"IEADDR", reg::IEADDR, 4, 0, qi_writable & msi_address, 0, {{"MA", event_address::MA}}},
        {"IEUADDR", reg::IEUADDR, 4, 0, qi_writable & 0xffff'ffff, 0, {}},
        {"IQERCD", reg::IQERCD, 8, 0, 0, 0,
         {{"IQEI", iqercd::IQEI}, {"ITESID", iqercd::ITESID}, {"ICESID", iqercd::ICESID}}},
        {"IVA", f.iotlb_registers_offset(), 8, 0, iva::ADDR.mask() | iva::IH.mask() | iva::AM.mask(), 0,
         {{"AM", iva::AM}, {"IH", iva::IH}, {"ADDR", iva::ADDR}}},
        {"IOTLB", f.iotlb_registers_offset() + 8, 8, 0, iotlb_writable, 0,
         {{"DID", iotlb_reg::DID}, {"DW", iotlb_reg::DW}, {"DR", iotlb_reg::DR}, {"IAIG", iotlb_reg::IAIG},
          {"IIRG", iotlb_reg::IIRG}, {"IVT", iotlb_reg::IVT}}},
    };
    for (unsigned n = 0; n < f.fault_records; ++n) {
        table.push_back({fault_record_name(n, false), fault_record_offset(f, n, false), 8, 0, 0, 0,
                         {{"FI", frcd_lo::FI}}});
        // F is the only bit software changes: writing 1 clears the record.
        table.push_back({fault_record_name(n, true), fault_record_offset(f, n, true), 8, 0, 0, frcd_hi::F.mask(),
                         {{"SID", frcd_hi::SID}, {"T2", frcd_hi::T2}, {"PRIV", frcd_hi::PRIV}, {"EXE", frcd_hi::EXE},
                          {"PP", frcd_hi::PP}, {"FR", frcd_hi::FR}, {"PV", frcd_hi::PV}, {"AT", frcd_hi::AT},
                          {"T1", frcd_hi::T1}, {"F", frcd_hi::F}}});
    }
    if (f.page_requests) add_page_request_registers(table, f);
    for (const RegisterLayout& layout : table) bank.add(layout);
}

}  // namespace iommu_vp::vtd
