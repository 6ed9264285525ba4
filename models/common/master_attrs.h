// MasterAttrs: the TLM-2.0 extension that every device transaction carries to an IOMMU.
//
// It holds what the bus carries besides address and data: the StreamID (SMMUv3) or PCI requester ID
// (VT-d source-id, bus<<8 | device<<3 | function), an optional SubstreamID / PASID, the privileged
// and instruction attributes, and the ATS state of the request. A translated ATS request's
// address is already a physical address.
#pragma once

#include <tlm>

#include <cstdint>
#include <string>

namespace iommu_vp {

enum class AtsState : std::uint8_t {
    untranslated,         // ordinary request: the IOMMU translates it
    translation_request,  // ATS translation request: the IOMMU answers with a translation
    translated,           // ATS translated request: the address is an output address
};

const char* to_string(AtsState state);

class MasterAttrs : public tlm::tlm_extension<MasterAttrs> {
public:
    std::uint32_t stream_id = 0;
    bool has_substream = false;
    std::uint32_t substream_id = 0;  // PASID on PCIe; meaningful only when has_substream
    bool privileged = false;
    bool instruction = false;
    AtsState ats = AtsState::untranslated;

    MasterAttrs() = default;
    explicit MasterAttrs(std::uint32_t stream) : stream_id(stream) {}

    tlm::tlm_extension_base* clone() const override;
    void copy_from(const tlm::tlm_extension_base& other) override;

    bool operator==(const MasterAttrs& other) const;
    bool operator!=(const MasterAttrs& other) const { return !(*this == other); }

    // "stream=0x12 pasid=0x3 priv" (for logs and script output)
    std::string describe() const;
};

// The transaction's MasterAttrs, or nullptr when the initiator attached none.
inline const MasterAttrs* find_master_attrs(const tlm::tlm_generic_payload& payload) {
    MasterAttrs* attrs = nullptr;
    payload.get_extension(attrs);
    return attrs;
}

}  // namespace iommu_vp
