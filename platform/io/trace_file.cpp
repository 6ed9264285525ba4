#include "platform/io/trace_file.h"

#include "platform/config/config_loader.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace iommu_vp::platform {
namespace {

std::vector<std::string> split_fields(const std::string& line) {
    std::vector<std::string> fields;
    std::stringstream in(line);
    for (std::string field; std::getline(in, field, ',');) {
        const std::size_t first = field.find_first_not_of(" \t\r");
        const std::size_t last = field.find_last_not_of(" \t\r");
        fields.push_back(first == std::string::npos ? "" : field.substr(first, last - first + 1));
    }
    return fields;
}

// Parses one record; returns "" or the problem.
std::string parse_record(const std::vector<std::string>& f, TraceRecord& record) {
    if (f.size() != 5 && f.size() != 6) return "expected time_ns,op,address,size,stream[,pasid]";
    char* end = nullptr;
    const double time_ns = std::strtod(f[0].c_str(), &end);
    if (f[0].empty() || *end != '\0' || !(time_ns >= 0) || !std::isfinite(time_ns))
        return "time '" + f[0] + "' is not a non-negative number of ns";
    record.time_ps = static_cast<std::uint64_t>(std::llround(time_ns * 1000.0));
    if (f[1] == "read" || f[1] == "r") record.is_read = true;
    else if (f[1] == "write" || f[1] == "w") record.is_read = false;
    else return "op '" + f[1] + "' is not read or write";
    std::string problem;
    std::uint64_t value = 0;
    if (!parse_config_integer(f[2], false, record.address, problem)) return "address: " + problem;
    if (!parse_config_integer(f[3], false, value, problem)) return "size: " + problem;
    if (value == 0 || value > 0x10000) return "size " + f[3] + " is out of range (1 to 65536)";
    record.size = static_cast<unsigned>(value);
    if (!parse_config_integer(f[4], false, value, problem)) return "stream: " + problem;
    if (value > 0xFFFF'FFFFu) return "stream " + f[4] + " does not fit in 32 bits";
    record.stream_id = static_cast<std::uint32_t>(value);
    record.has_pasid = f.size() == 6;
    if (record.has_pasid) {
        if (!parse_config_integer(f[5], false, value, problem)) return "pasid: " + problem;
        if (value >= (1u << 20)) return "pasid " + f[5] + " does not fit in 20 bits";
        record.pasid = static_cast<std::uint32_t>(value);
    }
    return {};
}

}  // namespace

TraceParseResult parse_trace(std::istream& in, const std::string& name, bool allow_4k_crossing) {
    TraceParseResult result;
    unsigned line_number = 0;
    for (std::string line; std::getline(in, line);) {
        ++line_number;
        const std::size_t first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos || line[first] == '#') continue;
        const std::string where = name + ":" + std::to_string(line_number);
        TraceRecord record;
        const std::string problem = parse_record(split_fields(line), record);
        if (!problem.empty()) {
            result.errors.push_back({where, problem});
            continue;
        }
        if (!result.records.empty() && record.time_ps < result.records.back().time_ps)
            result.errors.push_back({where, "time goes backwards (records must be in time order)"});
        if (!allow_4k_crossing && record.address / 4096 != (record.address + record.size - 1) / 4096)
            result.errors.push_back({where, "record crosses a 4 KiB boundary (set allow_4k_crossing to replay it)"});
        result.records.push_back(record);
    }
    if (result.records.empty() && result.errors.empty()) result.errors.push_back({name, "trace has no records"});
    return result;
}

TraceParseResult parse_trace_file(const std::string& path, bool allow_4k_crossing) {
    std::ifstream in(path);
    if (!in) return TraceParseResult{{}, {Diagnostic{path, "cannot open the trace file"}}};
    return parse_trace(in, path, allow_4k_crossing);
}

}  // namespace iommu_vp::platform
