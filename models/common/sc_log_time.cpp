#include "models/common/sc_log_time.h"

#include "models/common/log.h"

#include <systemc>

namespace iommu_vp {

void use_systemc_time_in_logs() {
    log::set_time_source([] { return sc_core::sc_time_stamp().to_string(); });
}

}  // namespace iommu_vp
