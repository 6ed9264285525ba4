// Reads DMA trace files for traffic masters to replay.
//
// One record per line: `time_ns,op,address,size,stream[,pasid]`, where op is `read` or `write`
// (`r`/`w`), numbers are decimal or 0x-hex, and time_ns is the issue time after the master starts.
// Blank lines and lines starting with '#' are skipped. Records must be in non-decreasing time order.
// Unless 4 KiB crossing is allowed, a record that crosses a 4 KiB boundary is an error: a trace is
// replayed as written, never silently split.
#pragma once

#include "models/dma/trace_record.h"
#include "platform/config/config_loader.h"

#include <istream>
#include <string>
#include <vector>

namespace iommu_vp::platform {

struct TraceParseResult {
    std::vector<TraceRecord> records;
    std::vector<Diagnostic> errors;  // located at "file:line"
};

TraceParseResult parse_trace(std::istream& in, const std::string& name, bool allow_4k_crossing);
TraceParseResult parse_trace_file(const std::string& path, bool allow_4k_crossing);

}  // namespace iommu_vp::platform
