// SMMUv3 non-secure programming interface (SMMUv3 chapter 6): register offsets, fields, and the
// register table with reset values and writable masks derived from the instance's Features.
// Plain C++: the model attaches the side-effect hooks; tests and the register dump use the table.
#pragma once

#include "models/common/bitfield.h"
#include "models/common/register_bank.h"
#include "models/smmuv3/features.h"

#include <cstdint>

namespace iommu_vp::smmuv3 {

// Page 1 (the second 64 KiB page) holds the consumer/producer registers software polls.
inline constexpr std::uint64_t kPage1 = 0x10000;
inline constexpr std::uint64_t kRegisterSpaceBytes = 2 * kPage1;

namespace reg {
inline constexpr std::uint64_t IDR0 = 0x000, IDR1 = 0x004, IDR2 = 0x008, IDR3 = 0x00c, IDR4 = 0x010,
                               IDR5 = 0x014, IIDR = 0x018, AIDR = 0x01c;
inline constexpr std::uint64_t CR0 = 0x020, CR0ACK = 0x024, CR1 = 0x028, CR2 = 0x02c;
inline constexpr std::uint64_t STATUSR = 0x040, GBPA = 0x044, AGBPA = 0x048;
inline constexpr std::uint64_t IRQ_CTRL = 0x050, IRQ_CTRLACK = 0x054;
inline constexpr std::uint64_t GERROR = 0x060, GERRORN = 0x064;
inline constexpr std::uint64_t GERROR_IRQ_CFG0 = 0x068, GERROR_IRQ_CFG1 = 0x070, GERROR_IRQ_CFG2 = 0x074;
inline constexpr std::uint64_t STRTAB_BASE = 0x080, STRTAB_BASE_CFG = 0x088;
inline constexpr std::uint64_t CMDQ_BASE = 0x090, CMDQ_PROD = 0x098, CMDQ_CONS = 0x09c;
inline constexpr std::uint64_t EVTQ_BASE = 0x0a0;
inline constexpr std::uint64_t EVTQ_PROD = kPage1 + 0x0a8, EVTQ_CONS = kPage1 + 0x0ac;
inline constexpr std::uint64_t EVTQ_IRQ_CFG0 = 0x0b0, EVTQ_IRQ_CFG1 = 0x0b8, EVTQ_IRQ_CFG2 = 0x0bc;
// The PRI queue (SMMUv3 6.3.30 .. 6.3.36; present only with IDR0.PRI).
inline constexpr std::uint64_t PRIQ_BASE = 0x0c0;
inline constexpr std::uint64_t PRIQ_PROD = kPage1 + 0x0c8, PRIQ_CONS = kPage1 + 0x0cc;
inline constexpr std::uint64_t PRIQ_IRQ_CFG0 = 0x0d0, PRIQ_IRQ_CFG1 = 0x0d8, PRIQ_IRQ_CFG2 = 0x0dc;
}  // namespace reg

// IDR0 (SMMUv3 6.3.1).
namespace idr0 {
inline constexpr BitField S2P = bit(0), S1P = bit(1), TTF = bits(3, 2), COHACC = bit(4), BTM = bit(5),
                          HTTU = bits(7, 6), HYP = bit(9), ATS = bit(10), NS1ATS = bit(11), ASID16 = bit(12),
                          MSI = bit(13),
                          SEV = bit(14), PRI = bit(16), VMID16 = bit(18), CD2L = bit(19),
                          TTENDIAN = bits(22, 21), STALL_MODEL = bits(25, 24), TERM_MODEL = bit(26),
                          ST_LEVEL = bits(28, 27);
inline constexpr unsigned kTtfAArch64 = 2;
}  // namespace idr0

// IDR1 (6.3.2).
namespace idr1 {
inline constexpr BitField SIDSIZE = bits(5, 0), SSIDSIZE = bits(10, 6), PRIQS = bits(15, 11),
                          EVENTQS = bits(20, 16), CMDQS = bits(25, 21);
}

// IDR3 (6.3.4).
namespace idr3 {
inline constexpr BitField XNX = bit(4), RIL = bit(10);
}

// IDR5 (6.3.6).
namespace idr5 {
inline constexpr BitField OAS = bits(2, 0), GRAN4K = bit(4), GRAN16K = bit(5), GRAN64K = bit(6);
}

// IIDR (6.3.7) and AIDR (6.3.8).
namespace iidr {
inline constexpr BitField Implementer = bits(11, 0), Revision = bits(15, 12), Variant = bits(19, 16),
                          ProductID = bits(31, 20);
}
namespace aidr {
inline constexpr BitField ArchMinorRev = bits(3, 0), ArchMajorRev = bits(7, 4);
}

// CR0 and CR0ACK (6.3.9, 6.3.10).
namespace cr0 {
inline constexpr BitField SMMUEN = bit(0), PRIQEN = bit(1), EVTQEN = bit(2), CMDQEN = bit(3), ATSCHK = bit(4);
}

// CR1 (6.3.11): cacheability and shareability of queue and table accesses (stored only).
namespace cr1 {
inline constexpr BitField QUEUE_IC = bits(1, 0), QUEUE_OC = bits(3, 2), QUEUE_SH = bits(5, 4),
                          TABLE_IC = bits(7, 6), TABLE_OC = bits(9, 8), TABLE_SH = bits(11, 10);
}

// CR2 (6.3.12).
namespace cr2 {
inline constexpr BitField E2H = bit(0), RECINVSID = bit(1), PTM = bit(2);
}

// GBPA (6.3.14).
namespace gbpa {
inline constexpr BitField MemAttr = bits(3, 0), MTCFG = bit(4), ALLOCCFG = bits(11, 8), SHCFG = bits(13, 12),
                          PRIVCFG = bits(17, 16), INSTCFG = bits(19, 18), ABORT = bit(20), UPDATE = bit(31);
}

// IRQ_CTRL and IRQ_CTRLACK (6.3.16, 6.3.17).
namespace irq_ctrl {
inline constexpr BitField GERROR_IRQEN = bit(0), PRIQ_IRQEN = bit(1), EVTQ_IRQEN = bit(2);
}

// *_IRQ_CFG0/1/2 (6.3.19 - 6.3.21 and the EVTQ equivalents): MSI address, data and attributes.
namespace irq_cfg {
inline constexpr BitField ADDR = bits(51, 2);
inline constexpr BitField DATA = bits(31, 0);
inline constexpr BitField MemAttr = bits(3, 0), SH = bits(5, 4);
inline constexpr BitField PRIQ_LO = bit(31);  // PRIQ_IRQ_CFG2.LO: interrupt only for Last == 1 (6.3.36)
}

// STRTAB_BASE and STRTAB_BASE_CFG fields are in stream_table.h.

// The queue registers' fields (CMDQ_BASE, EVTQ_BASE, PRIQ_BASE, PROD, CONS) are in queue_pointers.h.

// The identification registers as this instance reports them.
std::uint32_t idr0_value(const Features& features);
std::uint32_t idr1_value(const Features& features);
std::uint32_t idr3_value(const Features& features);
std::uint32_t idr5_value(const Features& features);

// Values an integrator may set to identify the implementation (IIDR, AIDR).
struct Identity {
    std::uint32_t implementer = 0x43b;  // Arm's JEP106 code, as Arm's MMU-600 reports it
    std::uint32_t product_id = 0x483;   // MMU-600-like, so drivers take their usual paths
    std::uint32_t variant = 0;
    std::uint32_t revision = 0;
    // SMMUv3.0 by default: the default Features are those of v3.0. An instance with
    // Features::range_invalidation and Features::hyp (mandatory from v3.2) may report 2.
    unsigned arch_minor = 0;
};

// Adds every non-secure register of page 0 and page 1 to `bank`, with its reset value and the bits
// software can write (bits of absent features are read-only zero). Hooks are attached by the model.
void add_registers(RegisterBank& bank, const Features& features, const Identity& identity,
                   bool gbpa_abort_at_reset);

}  // namespace iommu_vp::smmuv3
