// Installs the SystemC kernel's time as the time stamp of log lines.
#pragma once

namespace iommu_vp {
void use_systemc_time_in_logs();
}
