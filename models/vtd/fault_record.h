// VT-d primary fault logging, as plain C++: the 128-bit fault-recording register (FRCD_REG[n],
// VT-d 11.4.7.6) encoded from and decoded into a FaultRecord, and the fields of the fault status
// and fault event control registers that the model updates when it records a fault (FSTS_REG
// 11.4.7.1, FECTL_REG 11.4.7.2). The register is handled as two 64-bit words: word 0 is bits
// [63:0] (FI), word 1 bits [127:64] (everything else, F in its top bit). No SystemC; encoding
// allocates nothing (describe() does, for the `fault` log).
//
// Models: FI, SID, the request type T1:T2 (00 write, 01 page request, 10 read, 11 AtomicOp: T1 = 1
// is a read, as Linux and QEMU also have it), PP, PV, PRIV, EXE, FR, AT and F of DMA-remapping
// faults.
// Choices for fields the specification calls not relevant: PV, PRIV and EXE are written as 0 when
// PP = 0, EXE as 0 unless the request is a read. Fields a unit without the feature implements as
// RsvdZ are written as 0: PP, PV, PRIV, EXE without ECAP.PASID, AT without ECAP.DT. FI bits at or
// above the largest supported AGAW are written as 0 (the specification treats them as reserved).
// Does not model: interrupt-remapping faults (their FI carries the interrupt index in [63:48];
// interrupt remapping is not modelled), advanced fault logging (AFO/APF are defined for the FSTS
// layout of VT-d 3.x; later revisions reserve those bits).
#pragma once

#include "models/common/bitfield.h"
#include "models/vtd/fault_reason.h"
#include "models/vtd/features.h"
#include "models/vtd/registers.h"

#include <array>
#include <cstdint>
#include <string>

namespace iommu_vp::vtd {




// The faulted request's type, encoded as T1:T2 (VT-d 11.4.7.6).
enum class FaultRequestType : std::uint8_t { write = 0b00, page_request = 0b01, read = 0b10, atomic = 0b11 };

// AT of the faulted request (PCIe address type).
enum class FaultAddressType : std::uint8_t { untranslated = 0, translation_request = 1, translated = 2, reserved = 3 };

struct FaultRecord {
    FaultReason reason = FaultReason::none;
    std::uint16_t source_id = 0;          // requester ID: bus [15:8], device [7:3], function [2:0]
    std::uint64_t address = 0;            // faulting address; FI keeps bits [63:12]
    FaultRequestType type = FaultRequestType::write;
    bool pasid_present = false;           // PP
    std::uint32_t pasid = 0;              // PV
    bool privileged = false;              // PRIV: supervisor privilege requested
    bool execute = false;                 // EXE: execute requested (reads only)
    FaultAddressType address_type = FaultAddressType::untranslated;
    bool fault = true;                    // F

    static FaultRequestType request_type(bool write) { return write ? FaultRequestType::write : FaultRequestType::read; }
};

// FI width: the largest adjusted guest address width the unit supports (SAGAW).
unsigned fault_info_bits(const Features& features);

// The two words of FRCD_REG for `record` on a unit with `features` (see the choices above).
std::array<std::uint64_t, 2> encode_fault_record(const FaultRecord& record, const Features& features);

// The record in two FRCD_REG words; `address` is FI with bits [11:0] zero.
FaultRecord decode_fault_record(std::uint64_t word0, std::uint64_t word1);

// "FRCD F=1 FR=0x5 SID=0x10 (00:02.0) FI=0x12345000 T=write AT=untranslated PP=0" for the `fault` log.
std::string describe(const FaultRecord& record);

const char* fault_request_type_name(FaultRequestType type);
const char* fault_address_type_name(FaultAddressType type);

}  // namespace iommu_vp::vtd
