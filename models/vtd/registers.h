// VT-d remapping-hardware registers (VT-d chapter 11): offsets, fields, and the register table with
// reset values and writable masks derived from the unit's Features. The IOTLB registers sit at
// ECAP.IRO and the fault-recording registers at CAP.FRO, so their offsets come from the Features.
// Plain C++: the model attaches the side-effect hooks; tests and the `reg` log use the table.
//
// The page-request registers (PQH, PQT, PQA, PRS, PECTL, PEDATA, PEADDR, PEUADDR; VT-d 11.4.11)
// are present only with ECAP.PRS.
// Not present (reads as zero, writes ignored, like every offset without a register): the advanced
// fault log (AFLOG, CAP.AFL = 0), the protected-memory registers (CAP.PLMR = PHMR = 0), the
// interrupt-remapping table address (ECAP.IR = 0), the page-request registers without ECAP.PRS,
// MTRRs (ECAP.MTS = 0), performance monitoring, enhanced and virtual commands.
#pragma once

#include "models/common/bitfield.h"
#include "models/common/register_bank.h"
#include "models/vtd/features.h"

#include <cstdint>
#include <string>

namespace iommu_vp::vtd {

// The register window is one 4 KiB page.
inline constexpr std::uint64_t kRegisterSpaceBytes = 0x1000;

namespace reg {
inline constexpr std::uint64_t VER = 0x000, CAP = 0x008, ECAP = 0x010, GCMD = 0x018, GSTS = 0x01c,
                               RTADDR = 0x020, CCMD = 0x028, FSTS = 0x034, FECTL = 0x038, FEDATA = 0x03c,
                               FEADDR = 0x040, FEUADDR = 0x044, IQH = 0x080, IQT = 0x088, IQA = 0x090,
                               ICS = 0x09c, IECTL = 0x0a0, IEDATA = 0x0a4, IEADDR = 0x0a8, IEUADDR = 0x0ac,
                               IQERCD = 0x0b0, PQH = 0x0c0, PQT = 0x0c8, PQA = 0x0d0, PRS = 0x0dc,
                               PECTL = 0x0e0, PEDATA = 0x0e4, PEADDR = 0x0e8, PEUADDR = 0x0ec;
}  // namespace reg

namespace ver {
inline constexpr BitField MIN = bits(3, 0), MAX = bits(7, 4);
}

namespace cap {
inline constexpr BitField ND = bits(2, 0), AFL = bit(3), RWBF = bit(4), PLMR = bit(5), PHMR = bit(6), CM = bit(7),
                          SAGAW = bits(12, 8), MGAW = bits(21, 16), ZLR = bit(22), FRO = bits(33, 24),
                          SLLPS = bits(37, 34), PSI = bit(39), NFR = bits(47, 40), MAMV = bits(53, 48),
                          DWD = bit(54), DRD = bit(55), FL1GP = bit(56), PI = bit(59), FL5LP = bit(60),
                          ESRTPS = bit(63);
// SAGAW bit positions within the field, SLLPS bit positions within the field.
inline constexpr unsigned kSagaw39 = 1, kSagaw48 = 2, kSagaw57 = 3;
inline constexpr unsigned kSllps2M = 0, kSllps1G = 1;
}  // namespace cap

namespace ecap {
inline constexpr BitField C = bit(0), QI = bit(1), DT = bit(2), IR = bit(3), EIM = bit(4), PT = bit(6), SC = bit(7),
                          IRO = bits(17, 8), MHMV = bits(23, 20), MTS = bit(25), NEST = bit(26), PRS = bit(29),
                          ERS = bit(30), SRS = bit(31), NWFS = bit(33), EAFS = bit(34), PSS = bits(39, 35),
                          PASID = bit(40), DIT = bit(41), PDS = bit(42), SMTS = bit(43), VCS = bit(44),
                          SLADS = bit(45), SLTS = bit(46), FLTS = bit(47), SMPWCS = bit(48), RPS = bit(49);
}  // namespace ecap

// GCMD and GSTS share bit positions: a command bit and the status bit that reports it.
namespace gcmd {
inline constexpr BitField TE = bit(31), SRTP = bit(30), SFL = bit(29), EAFL = bit(28), WBF = bit(27), QIE = bit(26),
                          IRE = bit(25), SIRTP = bit(24), CFI = bit(23);
// The commands that set a persistent state (the others are one-shot operations).
inline constexpr std::uint64_t kPersistent = TE.mask() | EAFL.mask() | QIE.mask() | IRE.mask() | CFI.mask();
}  // namespace gcmd

namespace rtaddr {
inline constexpr BitField TTM = bits(11, 10), RTA = bits(63, 12);  // TTM: TranslationTableMode (invalidation.h)
}  // namespace rtaddr

namespace ccmd {
inline constexpr BitField DID = bits(15, 0), SID = bits(31, 16), FM = bits(33, 32), CAIG = bits(60, 59),
                          CIRG = bits(62, 61), ICC = bit(63);
}

namespace iotlb_reg {
inline constexpr BitField DID = bits(47, 32), DW = bit(48), DR = bit(49), IAIG = bits(58, 57), IIRG = bits(61, 60),
                          IVT = bit(63);
}
namespace iva {
inline constexpr BitField AM = bits(5, 0), IH = bit(6), ADDR = bits(63, 12);
}

namespace fsts {
inline constexpr BitField PFO = bit(0), PPF = bit(1), AFO = bit(2), APF = bit(3), IQE = bit(4), ICE = bit(5),
                          ITE = bit(6), FRI = bits(15, 8);
}

// FECTL and IECTL: the interrupt mask and pending bits. xxDATA, xxADDR, xxUADDR: the MSI.
namespace event_control {
inline constexpr BitField IM = bit(31), IP = bit(30);
}
namespace event_data {
inline constexpr BitField IMD = bits(15, 0), EIMD = bits(31, 16);
}
namespace event_address {
inline constexpr BitField MA = bits(31, 2);
}

namespace iqa {
inline constexpr BitField QS = bits(2, 0), DW = bit(11), IQA = bits(63, 12);
}
namespace queue_pointer {
inline constexpr BitField QH_QT = bits(18, 4);  // IQH and IQT: a byte offset in 16-byte units
inline constexpr BitField RESERVED_256 = bit(4);  // must be 0 with 256-bit descriptors
}
namespace ics {
inline constexpr BitField IWC = bit(0);
}
namespace iqercd {
inline constexpr BitField IQEI = bits(3, 0), ITESID = bits(47, 32), ICESID = bits(63, 48);
}

// Page-request queue (VT-d 11.4.11; fact sheet B.12): PQH/PQT hold a byte offset in 32-byte units,
// PQA the queue's base and size (2^PQS pages of 4 KiB), PRS the pending and overflow bits (RW1C).
// PECTL/PEDATA/PEADDR/PEUADDR share the layouts of event_control, event_data and event_address.
namespace page_queue_pointer {
inline constexpr BitField PQH_PQT = bits(18, 5);
}
namespace pqa {
inline constexpr BitField PQS = bits(2, 0), PQA = bits(63, 12);
}
namespace prs {
inline constexpr BitField PPR = bit(0), PRO = bit(1);
}

// Fault-recording register n: two 64-bit registers (the low one holds FI, the high one the rest).
namespace frcd_hi {
inline constexpr BitField SID = bits(15, 0), T2 = bit(28), PRIV = bit(29), EXE = bit(30), PP = bit(31),
                          FR = bits(39, 32), PV = bits(59, 40), AT = bits(61, 60), T1 = bit(62), F = bit(63);
}
namespace frcd_lo {
inline constexpr BitField FI = bits(63, 12);
}

// Register names of the n-th fault record ("FRCD3_LO", "FRCD3_HI") and their offsets.
std::string fault_record_name(unsigned index, bool high);
inline std::uint64_t fault_record_offset(const Features& features, unsigned index, bool high) {
    return features.fault_records_offset() + 16 * std::uint64_t{index} + (high ? 8 : 0);
}

// The capability registers as this unit reports them.
std::uint32_t ver_value(const Features& features);
std::uint64_t cap_value(const Features& features);
std::uint64_t ecap_value(const Features& features);

// Adds every register of the unit to `bank`, with its reset value and the bits software can write
// (bits of absent features are read-only zero). Hooks are attached by the model.
void add_registers(RegisterBank& bank, const Features& features);

}  // namespace iommu_vp::vtd
