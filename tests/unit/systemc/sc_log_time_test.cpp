// Log lines stamped with the SystemC kernel's time once use_systemc_time_in_logs() is installed.
#include "models/common/sc_log_time.h"

#include "models/common/log.h"
#include "sc_test.h"

#include <gtest/gtest.h>
#include <systemc>

#include <sstream>
#include <string>

namespace iommu_vp {
namespace {

class ScLogTimeTest : public iommu_vp::testing::ScTest {};

TEST_F(ScLogTimeTest, LinesCarryTheKernelTime) {
    std::ostringstream out;
    log::set_sink(&out);
    log::enable(LogCategory::sw);
    use_systemc_time_in_logs();
    sc_core::sc_spawn([] {
        sc_core::wait(sc_core::sc_time(250, sc_core::SC_NS));
        IVP_LOG(LogCategory::sw, "cpu", "tick");
    });
    sc_core::sc_start();
    log::set_sink(nullptr);
    log::disable_all();
    log::set_time_source({});
    EXPECT_EQ(out.str(), sc_core::sc_time(250, sc_core::SC_NS).to_string() + " [sw] cpu: tick\n");
}

}  // namespace
}  // namespace iommu_vp
