// Builds what an Intel VT-d driver would leave behind in memory (root table, context tables, PASID
// directories and tables, second-level and first-level page tables, a one-page invalidation queue)
// from a table spec, and the register steps that make the remapping unit use them, so that
// architects can run traffic before the software stack exists.
//
// The encodings here are the platform's own, written from the VT-d root, context, PASID and paging
// entry layouts and the queued-invalidation descriptor formats, and deliberately independent of
// models/vtd: a mistake shared by the builder and the model could not be seen, two independent
// encodings that must agree can.
//
// Built:
// - Legacy mode (RTADDR.TTM 00): 16-byte root entries by bus, a context table per bus used, one
//   16-byte context entry per device: TT 00 (untranslated requests through the second level) or
//   TT 10 (pass-through), with AW (the spec's width) and the device's domain ID.
// - Scalable mode (TTM 01): root entries with a lower (devfn 0-127) and an upper (128-255) context
//   table pointer, 32-byte context entries (PASIDE when the device has PASID contexts, PDTS sized
//   for its largest PASID, RID_PASID 0), a PASID directory and 64-entry PASID tables. PASID 0
//   carries the device's own translation (requests without a PASID), each VtdPasidContext its own
//   entry: PGTT 1 first-level, 2 second-level, 3 nested, 4 pass-through.
// - Page tables of 4 KiB pages, with 2 MiB and 1 GiB leaves (PS) where input and output are both
//   aligned and the mapping covers the block, unless the spec says the unit lacks that size
//   (CAP.SLLPS, CAP.FL1GP): such a block is built of smaller leaves.
//   Second level: R, W; (AW - 12) / 9 levels. First level (IA-32e): P, R/W, U/S = 1 at every level
//   so user and supervisor requests both translate; A and D are left clear for the unit to set,
//   XD is never used (NXE 0); 4 levels, or 5 with first_level_5level (FLPM 1).
// - Register steps: queued invalidation on first (IQA: one 4 KiB page, 128-bit descriptors in
//   legacy mode and 256-bit (DW) in scalable mode; IQT 0; GCMD.QIE, poll GSTS.QIES), then RTADDR and
//   GCMD.SRTP (poll GSTS.RTPS), then the invalidations a driver owes after setting a root table,
//   as descriptors in the queue: context-cache global, PASID-cache global (scalable mode), IOTLB
//   global, then an invalidation wait (status write of 1 to a status word in the region, fence);
//   IQT past them and a poll of IQH until it reaches IQT; finally GCMD.TE, poll GSTS.TES. GCMD is
//   written with QIE kept set, as software must (it writes its persistent bits with each command).
//
// Decisions (where the architecture leaves the driver a choice):
// - "blocked" is a present entry that maps nothing: legacy, a context entry with TT 00 and FPD 0;
//   scalable, a PASID-table entry with PGTT 2 and FPD 0; both point at one all-zero second-level
//   table. Every request then faults at the first level of the walk and the fault is recorded,
//   and the device stays distinguishable from one not listed at all (root or context entry not
//   present). Linux instead clears the legacy context entry, and writes a scalable PASID entry with
//   only FPD set (faults not recorded); leaving a device out of the spec gets the former.
// - Nested (PGTT 3): the second level is an identity map (read/write) of the whole tables region
//   (the first-level tables live there) and of the output range of every nested mapping, shared by
//   all nested entries of the spec; the first level maps input -> output as given, so nested
//   traffic lands where first-level traffic would while exercising the two-dimensional walk. The
//   region and those outputs must lie below the second-level width.
// - SRE = 1 in every present PASID-table entry, so requests with PASID and supervisor privilege
//   are translated rather than refused (the unit must advertise ECAP.SRS). ERE, WPE, SMEP, EAFE,
//   SLEE, SLADE, PWSNP, PGSNP: 0. FPD 0 everywhere. DTE, PRE and RID_PRIV: 0.
// - Domain IDs tag cached translations, so two entries with different tables must not share one:
//   only pass-through entries may share a domain ID with each other, and blocked entries with each
//   other (they behave alike). The builder does not know CAP.ND or CAP.CM (DID 0 is reserved when
//   CM is set); choose domain IDs the unit implements.
//
// Not built: device-TLB (ATS) and page requests, interrupt remapping, register-based invalidation
// (iotlb_register_offset is accepted and unused: the invalidations go through the queue), 512 GiB
// leaves, execute permission, memory-type fields, PASID-selective or domain-selective invalidation.
#pragma once

#include "platform/tables/built_tables.h"

#include <cstdint>
#include <string>
#include <vector>

namespace iommu_vp::platform {

enum class VtdTableMode { legacy, scalable };

enum class VtdTranslation { second_level, first_level, nested, pass_through, blocked };

struct VtdMapping {
    std::uint64_t input = 0;   // DMA address (second level), or virtual address (first level, nested)
    std::uint64_t output = 0;  // physical address
    std::uint64_t size = 0;
    bool writable = true;
};

// A PASID beyond the device's own (scalable mode): its own PASID-table entry, domain ID and tables.
struct VtdPasidContext {
    std::string name;
    std::uint32_t pasid = 1;  // 1 .. 2^20 - 1 (PASID 0 is the device's own translation)
    VtdTranslation translation = VtdTranslation::first_level;
    std::uint16_t domain_id = 2;
    std::vector<VtdMapping> mappings;
};

struct VtdDevice {
    std::string name;
    std::uint16_t source_id = 0;  // bus << 8 | device << 3 | function
    VtdTranslation translation = VtdTranslation::second_level;
    std::uint16_t domain_id = 1;
    bool device_tlb = false;     // ATS allowed: legacy TT = 1 (second-level only), scalable DTE
    bool page_requests = false;  // scalable PRE (with device_tlb)
    std::vector<VtdMapping> mappings;      // of requests without PASID (RID_PASID in scalable mode)
    std::vector<VtdPasidContext> pasids;   // scalable mode only
};

struct VtdTablesSpec {
    std::uint64_t region_base = 0;  // physical memory the builder may fill
    std::uint64_t region_size = 0;
    VtdTableMode mode = VtdTableMode::legacy;
    unsigned address_width = 48;      // second-level AW: 39 (3-level), 48 (4-level) or 57 (5-level)
    bool first_level_5level = false;  // FLPM: 5-level (57-bit) first-level tables
    std::uint64_t iotlb_register_offset = 0x500;  // ECAP.IRO * 16 of the unit (unused, see above)
    // Large leaves the unit implements (CAP.SLLPS bits 0 and 1, CAP.FL1GP; 2 MiB first-level pages
    // are always there).
    bool second_level_2m = true;
    bool second_level_1g = true;
    bool first_level_1g = true;
    std::vector<VtdDevice> devices;
};

// The structures and register steps for `spec`, or BuiltTables::error naming what cannot be built
// (nothing else is filled in then).
BuiltTables build_vtd_tables(const VtdTablesSpec& spec);

}  // namespace iommu_vp::platform
