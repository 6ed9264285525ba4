// The documented mapping from an IOMMU's decision about a transaction to the TLM response status.
#include "models/common/fault_response.h"

#include "models/common/payload.h"
#include "sc_test.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <tlm>
#include <vector>

namespace iommu_vp {
namespace {

class FaultResponseTest : public iommu_vp::testing::ScTest {};

TEST_F(FaultResponseTest, AbortIsAGenericError) {
    std::vector<std::uint8_t> data(4, 0x5A);
    tlm::tlm_generic_payload p;
    prepare_payload(p, true, 0x1000, data.data(), 4);
    terminate_transaction(p, FaultResponse::abort);
    EXPECT_EQ(p.get_response_status(), tlm::TLM_GENERIC_ERROR_RESPONSE);
}

TEST_F(FaultResponseTest, AddressOutOfRangeIsAnAddressError) {
    std::vector<std::uint8_t> data(4, 0x5A);
    tlm::tlm_generic_payload p;
    prepare_payload(p, false, 0xFFFF'0000'0000'0000ULL, data.data(), 4);
    terminate_transaction(p, FaultResponse::address_out_of_range);
    EXPECT_EQ(p.get_response_status(), tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

TEST_F(FaultResponseTest, RazWiReadCompletesOkWithZeros) {
    std::vector<std::uint8_t> data(16, 0x5A);
    tlm::tlm_generic_payload p;
    prepare_payload(p, true, 0x2000, data.data(), 16);
    terminate_transaction(p, FaultResponse::raz_wi);
    EXPECT_EQ(p.get_response_status(), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(data, std::vector<std::uint8_t>(16, 0));
}

TEST_F(FaultResponseTest, RazWiWriteCompletesOkAndLeavesTheWriteDataAlone) {
    std::vector<std::uint8_t> data(8, 0x5A);
    tlm::tlm_generic_payload p;
    prepare_payload(p, false, 0x2000, data.data(), 8);
    terminate_transaction(p, FaultResponse::raz_wi);
    EXPECT_EQ(p.get_response_status(), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(data, std::vector<std::uint8_t>(8, 0x5A));  // a write's buffer is the initiator's data
}

TEST_F(FaultResponseTest, NoneIsNotATerminationAndIsRefused) {
    std::uint8_t byte = 0;
    tlm::tlm_generic_payload p;
    prepare_payload(p, true, 0x0, &byte, 1);
    EXPECT_THROW(terminate_transaction(p, FaultResponse::none), std::logic_error);
    EXPECT_EQ(p.get_response_status(), tlm::TLM_INCOMPLETE_RESPONSE);
}

TEST_F(FaultResponseTest, NamesAreStable) {
    EXPECT_STREQ(to_string(FaultResponse::none), "none");
    EXPECT_STREQ(to_string(FaultResponse::abort), "abort");
    EXPECT_STREQ(to_string(FaultResponse::address_out_of_range), "address_out_of_range");
    EXPECT_STREQ(to_string(FaultResponse::raz_wi), "raz_wi");
}

}  // namespace
}  // namespace iommu_vp
