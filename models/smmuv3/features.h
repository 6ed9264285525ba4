// What one SMMUv3 instance implements: the model's parameters that the identification registers
// (IDR0, IDR1, IDR3, IDR5) advertise, and that the STE, CD and command decoders check software's
// programming against. What an instance does not implement is refused as the architecture says
// (an STE asking for an absent stage is ILLEGAL, a CD asking for an absent granule is ILLEGAL).
// Plain C++: shared by the decoders, the register bank and the model.
#pragma once

#include <cstdint>

namespace iommu_vp::smmuv3 {

// IDR0.STALL_MODEL encodings (SMMUv3 6.3.1).
enum class StallModel : std::uint8_t { stall_and_terminate = 0, terminate_only = 1, stall_forced = 2 };

// IDR0.TTENDIAN encodings.
enum class TableEndianness : std::uint8_t { mixed = 0, little = 2, big = 3 };

struct Features {
    // IDR0
    bool stage1 = true;                 // S1P
    bool stage2 = true;                 // S2P
    bool coherent_access = true;        // COHACC
    // HYP (6.3.1): EL2 and EL2-E2H stage-1 StreamWorlds (STE.STRW == 0b10 with SMMU_CR2.E2H), their
    // TLB tagging and the CMD_TLBI_EL2_* commands. Needs both stages (IDR0.Hyp is RES0 otherwise; the
    // model refuses hyp without them). Off by default: the default identity is SMMUv3.0 (AIDR), where
    // Hyp is optional (it is mandatory from SMMUv3.2 when both stages are implemented), and an SMMU
    // that advertises it makes a VHE Linux set CR2.E2H, give its stage-1 domains STRW == EL2 and
    // invalidate them with CMD_TLBI_EL2_*: a different driver path, to be chosen on purpose. An
    // integrator modelling an SMMUv3.2 or later part sets it, with range_invalidation and
    // Identity::arch_minor = 2.
    bool hyp = false;
    bool asid16 = true;                 // ASID16
    bool vmid16 = true;                 // VMID16
    bool msi = true;                    // MSI
    bool sev = true;                    // SEV: CMD_SYNC CS=SEV
    bool two_level_cd = true;           // CD2L
    bool two_level_stream_table = true; // ST_LEVEL = 1
    // ATS (PCIe Address Translation Services, SMMUv3 3.9): translation requests, translated traffic,
    // CMD_ATC_INV. Off by default: most integrations have no ATS-capable Root Complex, and an SMMU
    // that advertises ATS makes Linux enable it on every capable endpoint. Split-stage ATS is not
    // implemented: with ATS, IDR0.NS1ATS reads 1 (STE.EATS == 0b10 is ILLEGAL).
    bool ats = false;
    // PRI (page requests, the PRI queue, CMD_PRI_RESP; SMMUv3 3.9.1, chapter 8). Needs ATS.
    bool pri = false;
    // HTTU (6.3.1, 3.13): 0 no flag updates, 1 Access flag, 2 Access flag and dirty state (0b11,
    // Access flag of table descriptors, HAFT, is not modelled and refused at construction). With it,
    // CD.HA/HD and STE.S2HA/S2HD may enable hardware updates of the translation tables (ILLEGAL
    // beyond what it advertises). Off by default: the studies were calibrated on an SMMU without
    // HTTU (every descriptor is written with AF = 1 and final permissions by the software), and an
    // SMMU that advertises it lets Linux enable HA/HD in its CDs (HD for dirty tracking, with DBM
    // in the page tables), changing what the software stack does. Set it to model an MMU-600/700
    // class part, whose HTTU is 2 when the interconnect supports the atomic updates.
    unsigned httu = 0;
    // STALL_MODEL (SMMUv3 3.12.2, 5.5; Smmuv3Params::max_stalled_transactions bounds the stalls).
    // Terminate-only by default: a stalled transaction holds its master until software answers, and
    // Linux enables stalls only for platform devices firmware marks as stall-capable, so an SMMU
    // that can stall is chosen on purpose (Arm recommends 0b00 where usage cannot be anticipated).
    StallModel stall_model = StallModel::terminate_only;
    TableEndianness endianness = TableEndianness::little;
    bool term_model_abort_only = false; // TERM_MODEL = 1: CD.A = 0 (RAZ/WI) is not supported

    // IDR1
    unsigned sid_bits = 16;             // SIDSIZE
    unsigned ssid_bits = 8;             // SSIDSIZE (0: no substreams)
    unsigned cmdq_log2_entries = 8;     // CMDQS
    unsigned evtq_log2_entries = 8;     // EVENTQS
    // PRIQS (with PRI): log2 of the largest PRI queue, 0..19 (SMMUv3 chapter 8: at most 2^19
    // entries). 8, 256 entries of 16 bytes (4 KiB), as the event queue: enough for the page-request
    // credits of a few endpoints (PCIe PRI gives each endpoint its own allocation, typically tens).
    unsigned priq_log2_entries = 8;

    // IDR3
    // RIL (6.3.4, 4.4.1.1): range invalidation (TG, SCALE, NUM) and the level hint (TTL) of
    // CMD_TLBI_NH_VA/VAA, CMD_TLBI_EL2_VA/VAA and CMD_TLBI_S2_IPA. Without it those fields are RES0
    // and ignored. Off by default although every SMMUv3.2+ part has it (RIL is 1 in SMMUv3.2 and
    // later): the default identity is SMMUv3.0, and with RIL Linux replaces its per-page TLBIs by
    // range commands, changing the command traffic the existing studies were calibrated on. Set it
    // (with arch_minor = 2) to model a current part.
    bool range_invalidation = false;
    bool xnx = false;                   // XNX: two-bit stage-2 execute-never

    // IDR5
    unsigned oas_bits = 48;             // OAS: one of 32, 36, 40, 42, 44, 48, 52
    bool granule_4k = true;             // GRAN4K
    bool granule_16k = false;           // GRAN16K
    bool granule_64k = true;            // GRAN64K

    // IDR0.Hyp as the SMMU reports it: RES0 without both stages (SMMUv3 6.3.1).
    bool has_hyp() const { return hyp && stage1 && stage2; }

    bool supports_granule(unsigned granule_bits) const {
        return (granule_bits == 12 && granule_4k) || (granule_bits == 14 && granule_16k) ||
               (granule_bits == 16 && granule_64k);
    }
};

// The IDR5.OAS / CD.IPS / STE.S2PS encoding of an address size: 0..6 for 32, 36, 40, 42, 44, 48, 52
// bits. address_size_bits returns 0 for the reserved encoding 7.
unsigned address_size_bits(unsigned encoding);
unsigned address_size_encoding(unsigned bits);  // the encoding of the largest size <= bits

}  // namespace iommu_vp::smmuv3
