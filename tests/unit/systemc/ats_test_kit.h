// Test-side ATS messages from a device, shared by the SMMUv3 and VT-d ATS tests: a translation
// request whose completion the IOMMU fills in, and a Page Request Message. Each is sent from the
// calling SC_THREAD through a TestInitiator and waits for its annotated delay.
#pragma once

#include "models/common/ats.h"
#include "models/common/master_attrs.h"
#include "models/common/payload.h"
#include "unit/systemc/tlm_test_kit.h"

#include <array>
#include <cstdint>

namespace iommu_vp::testing {

// What an IOMMU answered to a translation request.
struct Completion {
    tlm::tlm_response_status response = tlm::TLM_INCOMPLETE_RESPONSE;
    AtsTranslation translation;
    bool data_untouched = false;  // the payload's buffer came back as it went (nothing was read)
};

inline Completion translation_request(TestInitiator& device, std::uint64_t address, MasterAttrs attrs,
                                      bool no_write) {
    Completion c;
    attrs.ats = AtsState::translation_request;
    c.translation.no_write = no_write;
    std::array<std::uint8_t, 8> buffer{};
    buffer.fill(0xa5);
    tlm::tlm_generic_payload p;
    prepare_payload(p, true, address, buffer.data(), static_cast<unsigned>(buffer.size()));
    p.set_extension(&attrs);
    p.set_extension(&c.translation);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    device.socket->b_transport(p, delay);
    p.clear_extension(&attrs);
    p.clear_extension(&c.translation);
    sc_core::wait(delay);
    c.response = p.get_response_status();
    c.data_untouched = true;
    for (std::uint8_t byte : buffer) c.data_untouched = c.data_untouched && byte == 0xa5;
    return c;
}

// A Page Request Message with the device's attributes (its requester ID and PASID).
inline tlm::tlm_response_status send_page_request(TestInitiator& device, MasterAttrs attrs,
                                                  PageRequestMessage message) {
    std::array<std::uint8_t, 8> unused{};
    tlm::tlm_generic_payload p;
    prepare_payload(p, false, message.address, unused.data(), static_cast<unsigned>(unused.size()));
    p.set_extension(&attrs);
    p.set_extension(&message);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    device.socket->b_transport(p, delay);
    p.clear_extension(&attrs);
    p.clear_extension(&message);
    sc_core::wait(delay);
    return p.get_response_status();
}

}  // namespace iommu_vp::testing
