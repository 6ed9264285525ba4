// Base fixture for tests that elaborate and simulate a SystemC design (one per process).
#pragma once

#include <gtest/gtest.h>

namespace iommu_vp::testing {

class ScTest : public ::testing::Test {
protected:
    void SetUp() override {
        static bool kernel_used = false;
        if (kernel_used)
            GTEST_FAIL() << "SystemC allows one elaboration per process and an earlier test in this process "
                            "already elaborated one: run one test per process (ctest does; by hand, pick one with "
                            "--gtest_filter=Suite.Name)";
        kernel_used = true;
    }
};

}  // namespace iommu_vp::testing
