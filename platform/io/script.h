// Register-level scripts: bus operations that a scripted initiator performs in simulated time, the
// way a bring-up engineer pokes a device before software exists or a captured register trace is
// replayed (in the spirit of QEMU's qtest protocol).
//
//   write32|write64 ADDR VALUE
//   read32|read64   ADDR [expect VALUE [mask MASK]]
//   poll32|poll64   ADDR MASK VALUE TIMEOUT_NS       read until (value & MASK) == VALUE
//   memwrite        ADDR HEXBYTES                    debug transport: no simulated time
//   memread         ADDR LEN [expect HEXBYTES]       debug transport
//   memload         ADDR FILE                        debug transport; raw bytes of FILE
//   wait            NS
//   dma MASTER read|write ADDR LEN [HEXBYTES] [stream=N] [pasid=N] [priv] [instr]
//                   [expect=ok|error|address_error]  one transaction issued by the named master;
//                   HEXBYTES is the data of a write, or the expected data of a read
//
// Numbers are decimal or 0x-hex ('_' allowed); HEXBYTES is an even number of hex digits, first byte
// first. '#' starts a comment. Relative FILE paths are taken from the script's directory.
#pragma once

#include "platform/config/config_loader.h"

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <vector>

namespace iommu_vp::platform {

enum class ScriptVerb { write32, write64, read32, read64, poll32, poll64, memwrite, memread, memload, wait, dma };

struct ScriptCommand {
    ScriptVerb verb = ScriptVerb::wait;
    std::string location;     // "file:line"
    std::string text;         // the line as written, without comment
    std::uint64_t address = 0;
    std::uint64_t value = 0;  // write value, expected read value, poll value
    std::uint64_t mask = ~std::uint64_t{0};
    bool has_expect = false;
    std::uint64_t length = 0;
    std::vector<std::uint8_t> bytes;  // memwrite/memload data, memread/dma expected data, dma write data
    double time_ns = 0;       // wait, poll timeout
    // dma
    std::string master;
    bool is_read = true;
    std::optional<std::uint32_t> stream;
    std::optional<std::uint32_t> pasid;
    bool privileged = false;
    bool instruction = false;
    std::optional<std::string> expect_status;  // "ok", "error" or "address_error"

    unsigned access_bytes() const;  // 4 or 8 for register verbs
};

struct ScriptParseResult {
    std::vector<ScriptCommand> commands;
    std::vector<Diagnostic> errors;
};

ScriptParseResult parse_script(std::istream& in, const std::string& name, const std::string& directory);
ScriptParseResult parse_script_file(const std::string& path);

std::string to_hex_bytes(const std::vector<std::uint8_t>& bytes);

}  // namespace iommu_vp::platform
