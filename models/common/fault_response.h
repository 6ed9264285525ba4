// How an IOMMU's decision about a transaction shows on the bus, shared by SMMUv3 and VT-d so that the
// two models answer masters the same way.
//
//   FaultResponse            TLM response status            bus analogue
//   none                     whatever downstream returns     (translated or bypassed; passed on unchanged,
//                                                            so a downstream decode error stays
//                                                            TLM_ADDRESS_ERROR_RESPONSE)
//   abort                    TLM_GENERIC_ERROR_RESPONSE      AXI SLVERR; PCIe Unsupported Request or
//                                                            Completer Abort. Every translation fault,
//                                                            configuration error and global abort
//                                                            (SMMUv3 GBPA.ABORT, STE.Config=abort,
//                                                            VT-d blocked requests) that terminates with
//                                                            an abort.
//   address_out_of_range     TLM_ADDRESS_ERROR_RESPONSE      AXI DECERR: the input address lies outside
//                                                            what the IOMMU can take as input at all
//                                                            (above the largest input address size it
//                                                            implements), so no translation regime
//                                                            exists for it.
//   raz_wi                   TLM_OK_RESPONSE                 a terminated transaction that the
//                                                            architecture lets complete silently: reads
//                                                            return zeros and writes are dropped
//                                                            (SMMUv3 CD.A=0 for faults that terminate).
#pragma once

// The decision is plain C++ (pure-core translation code returns it); only applying it to a payload
// needs TLM, so the payload type is only declared here.
namespace tlm {
class tlm_generic_payload;
}

namespace iommu_vp {

enum class FaultResponse { none, abort, address_out_of_range, raz_wi };

const char* to_string(FaultResponse response);

// Sets the payload's response status (and, for raz_wi reads, zeros the data) for a transaction the
// IOMMU terminates. Must not be called with FaultResponse::none.
void terminate_transaction(tlm::tlm_generic_payload& payload, FaultResponse response);

}  // namespace iommu_vp
