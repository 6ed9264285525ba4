// Reads a platform description: YAML file, `--set` overrides, validation against the schema.
//
// Every problem is reported, not just the first, as "FILE:LINE:COL: message" (or "--set ARG:
// message" for an override), with the allowed values or the nearest valid key. The result is the
// effective configuration: a JSON tree with every key of the schema present, defaults filled in,
// sizes and hex numbers normalised to integers.
#pragma once

#include "platform/config/schema.h"

#include <nlohmann/json.hpp>

#include "models/dma/trace_record.h"

#include <map>
#include <string>
#include <vector>

namespace iommu_vp::platform {

struct Diagnostic {
    std::string location;  // "file:line:col", "--set ARG" or "file"
    std::string message;

    std::string to_string() const { return location + ": " + message; }
};

struct LoadedConfig {
    std::string file;        // as given
    std::string directory;   // relative paths in the configuration (trace files) are resolved from here
    nlohmann::ordered_json effective;
    std::map<std::string, std::string> locations;  // dotted path -> where it was written
    std::map<std::string, std::vector<TraceRecord>> traces;  // master name -> its parsed trace file

    // Where a dotted path was written; falls back to the closest written parent, then the file.
    std::string location_of(const std::string& path) const;
};

struct LoadResult {
    LoadedConfig config;
    std::vector<Diagnostic> errors;

    bool ok() const { return errors.empty(); }
};

// `overrides` are "path.to.key=value" strings (the value is read as YAML).
LoadResult load_config_file(const std::string& path, const std::vector<std::string>& overrides);
LoadResult load_config_text(const std::string& text, const std::string& name,
                            const std::vector<std::string>& overrides);

// Parses an unsigned integer as the schema accepts it: decimal or 0x-hex, '_' separators, and with
// `size_suffixes` a binary suffix (KiB, MiB, GiB, TiB). Returns false with `error` set otherwise.
bool parse_config_integer(const std::string& text, bool size_suffixes, std::uint64_t& value, std::string& error);

// The candidate closest to `word` by edit distance, or "" when none is close enough to be a typo.
std::string nearest_key(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace iommu_vp::platform
