#include "platform/sc/script_runner.h"

#include "models/common/little_endian.h"

#include "models/common/log.h"
#include "models/common/payload.h"

#include <algorithm>
#include <cstring>
#include <iomanip>
#include <sstream>

namespace iommu_vp::platform {

using sc_core::sc_time;

namespace {

std::string hex_value(std::uint64_t value, unsigned bytes) {
    std::ostringstream os;
    os << "0x" << std::hex << std::setw(static_cast<int>(bytes * 2)) << std::setfill('0') << value;
    return os.str();
}

std::string status_word(tlm::tlm_response_status status) {
    return TrafficMaster::response_name(status);
}

// The word a script's expect= uses for a response status.
std::string expect_word(tlm::tlm_response_status status) {
    switch (status) {
    case tlm::TLM_OK_RESPONSE: return "ok";
    case tlm::TLM_ADDRESS_ERROR_RESPONSE: return "address_error";
    default: return "error";
    }
}

}  // namespace

void ScriptRunner::run(const std::vector<ScriptCommand>& commands) {
    for (const ScriptCommand& c : commands) {
        const Outcome outcome = execute(c);
        ++commands_run_;
        out_ << c.location << ": " << c.text << " -> " << outcome.result;
        if (!outcome.failure.empty()) {
            out_ << " FAIL: " << outcome.failure;
            failures_.push_back(c.location + ": " + outcome.failure);
        }
        out_ << '\n';
        IVP_LOG(LogCategory::script, c.location, c.text << " -> " << outcome.result);
    }
    out_.flush();
}

ScriptRunner::Outcome ScriptRunner::execute(const ScriptCommand& c) {
    switch (c.verb) {
    case ScriptVerb::write32:
    case ScriptVerb::write64: return register_write(c);
    case ScriptVerb::read32:
    case ScriptVerb::read64: return register_read(c);
    case ScriptVerb::poll32:
    case ScriptVerb::poll64: return poll(c);
    case ScriptVerb::memwrite:
    case ScriptVerb::memload: return memory_write(c);
    case ScriptVerb::memread: return memory_read(c);
    case ScriptVerb::wait:
        sc_core::wait(nanoseconds(c.time_ns));
        return {"ok", ""};
    case ScriptVerb::dma: return dma(c);
    }
    return {"?", "unknown verb"};
}

tlm::tlm_response_status ScriptRunner::bus_access(bool is_read, std::uint64_t address, std::uint8_t* data,
                                                  unsigned length) {
    tlm::tlm_generic_payload p;
    prepare_payload(p, is_read, address, data, length);
    sc_time delay = sc_core::SC_ZERO_TIME;
    platform_.script_socket->b_transport(p, delay);
    sc_core::wait(delay);
    return p.get_response_status();
}

unsigned ScriptRunner::debug_access(bool is_read, std::uint64_t address, std::uint8_t* data, unsigned length) {
    tlm::tlm_generic_payload p;
    prepare_payload(p, is_read, address, data, length);
    return platform_.script_socket->transport_dbg(p);
}

ScriptRunner::Outcome ScriptRunner::register_write(const ScriptCommand& c) {
    std::uint8_t data[8];
    store_le(data, c.access_bytes(), c.value);
    const tlm::tlm_response_status status = bus_access(false, c.address, data, c.access_bytes());
    if (status != tlm::TLM_OK_RESPONSE) return {status_word(status), "bus answered " + status_word(status)};
    return {"ok", ""};
}

ScriptRunner::Outcome ScriptRunner::register_read(const ScriptCommand& c) {
    std::uint8_t data[8] = {};
    const tlm::tlm_response_status status = bus_access(true, c.address, data, c.access_bytes());
    if (status != tlm::TLM_OK_RESPONSE) return {status_word(status), "bus answered " + status_word(status)};
    const std::uint64_t value = load_le(data, c.access_bytes());
    const std::string shown = hex_value(value, c.access_bytes()) + " ok";
    if (c.has_expect && (value & c.mask) != (c.value & c.mask))
        return {shown, "expected " + hex_value(c.value, c.access_bytes()) + " mask " + hex_value(c.mask, c.access_bytes())};
    return {shown, ""};
}

ScriptRunner::Outcome ScriptRunner::poll(const ScriptCommand& c) {
    const sc_time start = sc_core::sc_time_stamp();
    const sc_time timeout = nanoseconds(c.time_ns);
    std::uint8_t data[8] = {};
    for (;;) {
        const tlm::tlm_response_status status = bus_access(true, c.address, data, c.access_bytes());
        if (status != tlm::TLM_OK_RESPONSE) return {status_word(status), "bus answered " + status_word(status)};
        const std::uint64_t value = load_le(data, c.access_bytes());
        const sc_time elapsed = sc_core::sc_time_stamp() - start;
        if ((value & c.mask) == (c.value & c.mask))
            return {hex_value(value, c.access_bytes()) + " after " + elapsed.to_string(), ""};
        if (elapsed >= timeout)
            return {hex_value(value, c.access_bytes()) + " after " + elapsed.to_string(),
                    "timed out waiting for " + hex_value(c.value, c.access_bytes()) + " mask " +
                        hex_value(c.mask, c.access_bytes())};
        sc_core::wait(platform_.config().script_poll_interval);
    }
}

ScriptRunner::Outcome ScriptRunner::memory_write(const ScriptCommand& c) {
    std::vector<std::uint8_t> bytes = c.bytes;
    const unsigned length = static_cast<unsigned>(bytes.size());
    const unsigned done = debug_access(false, c.address, bytes.data(), length);
    const std::string result = std::to_string(done) + " bytes";
    if (done != length) return {result, "only " + std::to_string(done) + " of " + std::to_string(length) + " bytes reached memory"};
    return {result, ""};
}

ScriptRunner::Outcome ScriptRunner::memory_read(const ScriptCommand& c) {
    std::vector<std::uint8_t> bytes(c.length);
    const unsigned done = debug_access(true, c.address, bytes.data(), static_cast<unsigned>(bytes.size()));
    bytes.resize(done);
    const std::string result = to_hex_bytes(bytes);
    if (done != c.length) return {result, "only " + std::to_string(done) + " of " + std::to_string(c.length) + " bytes readable"};
    if (c.has_expect && bytes != c.bytes) return {result, "expected " + to_hex_bytes(c.bytes)};
    return {result, ""};
}

ScriptRunner::Outcome ScriptRunner::dma(const ScriptCommand& c) {
    TrafficMaster* master = platform_.find_master(c.master);
    DirectAccess access;
    access.is_read = c.is_read;
    access.address = c.address;
    access.length = static_cast<unsigned>(c.length);
    if (!c.is_read) access.data = c.bytes;
    access.attrs = master->default_attrs();
    if (c.stream) access.attrs.stream_id = *c.stream;
    if (c.pasid) {
        access.attrs.has_substream = true;
        access.attrs.substream_id = *c.pasid;
    }
    access.attrs.privileged = access.attrs.privileged || c.privileged;
    access.attrs.instruction = access.attrs.instruction || c.instruction;
    const tlm::tlm_response_status status = master->issue(access);
    std::string result = status_word(status);
    if (c.is_read && status == tlm::TLM_OK_RESPONSE) result += " " + to_hex_bytes(access.data);
    const std::string expected_status = c.expect_status.value_or("ok");
    if (expect_word(status) != expected_status) return {result, "expected " + expected_status};
    if (c.is_read && !c.bytes.empty() && status == tlm::TLM_OK_RESPONSE && access.data != c.bytes)
        return {result, "expected data " + to_hex_bytes(c.bytes)};
    return {result, ""};
}

std::vector<Diagnostic> check_script_masters(const std::vector<ScriptCommand>& commands,
                                             const std::vector<std::string>& master_names) {
    std::vector<Diagnostic> errors;
    for (const ScriptCommand& c : commands) {
        if (c.verb != ScriptVerb::dma) continue;
        if (std::find(master_names.begin(), master_names.end(), c.master) != master_names.end()) continue;
        std::string list;
        for (const std::string& n : master_names) list += (list.empty() ? "" : ", ") + n;
        errors.push_back({c.location, "no master named '" + c.master + "' (masters: " + (list.empty() ? "none" : list) + ")"});
    }
    return errors;
}

}  // namespace iommu_vp::platform
