#include "platform/io/script.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <stdexcept>

namespace iommu_vp::platform {
namespace {

const std::map<std::string, ScriptVerb>& verbs() {
    static const std::map<std::string, ScriptVerb> table = {
        {"write32", ScriptVerb::write32}, {"write64", ScriptVerb::write64}, {"read32", ScriptVerb::read32},
        {"read64", ScriptVerb::read64},   {"poll32", ScriptVerb::poll32},   {"poll64", ScriptVerb::poll64},
        {"memwrite", ScriptVerb::memwrite}, {"memread", ScriptVerb::memread}, {"memload", ScriptVerb::memload},
        {"wait", ScriptVerb::wait},       {"dma", ScriptVerb::dma}};
    return table;
}

// A parse problem; caught per line and reported with its location.
struct ScriptError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class LineReader {
public:
    explicit LineReader(const std::string& text) {
        std::istringstream in(text);
        words_.assign(std::istream_iterator<std::string>(in), std::istream_iterator<std::string>());
    }
    bool done() const { return next_ >= words_.size(); }
    const std::string& peek() const { return words_.at(next_); }
    std::string word(const char* what) {
        if (done()) throw ScriptError(std::string("missing ") + what);
        return words_[next_++];
    }
    std::uint64_t number(const char* what) {
        const std::string text = word(what);
        std::uint64_t value = 0;
        std::string problem;
        if (!parse_config_integer(text, false, value, problem)) throw ScriptError(std::string(what) + ": " + problem);
        return value;
    }
    double nanoseconds(const char* what) {
        const std::string text = word(what);
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        if (*end != '\0' || !(value >= 0) || !std::isfinite(value))
            throw ScriptError(std::string(what) + ": '" + text + "' is not a non-negative number of ns");
        return value;
    }
    void finish() const {
        if (!done()) throw ScriptError("unexpected '" + words_[next_] + "'");
    }

private:
    std::vector<std::string> words_;
    std::size_t next_ = 0;
};

std::vector<std::uint8_t> parse_hex_bytes(const std::string& text) {
    if (text.size() % 2) throw ScriptError("hex bytes '" + text + "' have an odd number of digits");
    std::vector<std::uint8_t> bytes;
    for (std::size_t i = 0; i < text.size(); i += 2) {
        const std::string pair = text.substr(i, 2);
        char* end = nullptr;
        const unsigned long v = std::strtoul(pair.c_str(), &end, 16);
        if (*end != '\0' || !std::isxdigit(static_cast<unsigned char>(pair[0])))
            throw ScriptError("'" + text + "' is not a string of hex bytes");
        bytes.push_back(static_cast<std::uint8_t>(v));
    }
    return bytes;
}

std::vector<std::uint8_t> read_binary_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ScriptError("cannot open '" + path + "'");
    return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void check_value_width(const ScriptCommand& c, std::uint64_t value) {
    if (c.access_bytes() == 4 && value > 0xFFFF'FFFFu) throw ScriptError("value does not fit in 32 bits");
}

void parse_register_verb(ScriptCommand& c, LineReader& r) {
    c.address = r.number("address");
    if (c.verb == ScriptVerb::write32 || c.verb == ScriptVerb::write64) {
        c.value = r.number("value");
        check_value_width(c, c.value);
    } else if (c.verb == ScriptVerb::poll32 || c.verb == ScriptVerb::poll64) {
        c.mask = r.number("mask");
        c.value = r.number("value");
        c.time_ns = r.nanoseconds("timeout");
        check_value_width(c, c.mask);
    } else if (!r.done()) {
        if (r.word("expect") != "expect") throw ScriptError("expected 'expect VALUE [mask MASK]'");
        c.has_expect = true;
        c.value = r.number("expected value");
        if (!r.done()) {
            if (r.word("mask") != "mask") throw ScriptError("expected 'mask MASK'");
            c.mask = r.number("mask");
        }
        check_value_width(c, c.value);
    }
    if (c.address % c.access_bytes()) throw ScriptError("address is not aligned to the access size");
}

void parse_dma(ScriptCommand& c, LineReader& r) {
    c.master = r.word("master name");
    const std::string direction = r.word("read or write");
    if (direction != "read" && direction != "write") throw ScriptError("'" + direction + "' is not read or write");
    c.is_read = direction == "read";
    c.address = r.number("address");
    c.length = r.number("length");
    if (c.length == 0 || c.length > 0x10000) throw ScriptError("length must be 1 to 65536");
    while (!r.done()) {
        const std::string option = r.word("option");
        auto value_of = [&](const char* key) { return option.substr(std::string(key).size()); };
        std::string problem;
        std::uint64_t value = 0;
        if (option.rfind("stream=", 0) == 0) {
            if (!parse_config_integer(value_of("stream="), false, value, problem) || value > 0xFFFF'FFFFu)
                throw ScriptError("bad stream '" + option + "'");
            c.stream = static_cast<std::uint32_t>(value);
        } else if (option.rfind("pasid=", 0) == 0) {
            if (!parse_config_integer(value_of("pasid="), false, value, problem) || value >= (1u << 20))
                throw ScriptError("bad pasid '" + option + "' (20 bits)");
            c.pasid = static_cast<std::uint32_t>(value);
        } else if (option == "priv") {
            c.privileged = true;
        } else if (option == "instr") {
            c.instruction = true;
        } else if (option.rfind("expect=", 0) == 0) {
            const std::string status = value_of("expect=");
            if (status != "ok" && status != "error" && status != "address_error")
                throw ScriptError("expect= takes ok, error or address_error, not '" + status + "'");
            c.expect_status = status;
        } else if (c.bytes.empty()) {
            c.bytes = parse_hex_bytes(option);
            if (c.bytes.size() != c.length) throw ScriptError("data has " + std::to_string(c.bytes.size()) +
                                                              " bytes, length says " + std::to_string(c.length));
        } else {
            throw ScriptError("unexpected '" + option + "'");
        }
    }
    if (!c.is_read && c.bytes.empty()) throw ScriptError("a dma write needs its data as HEXBYTES");
}

ScriptCommand parse_line(const std::string& text, const std::string& directory) {
    LineReader r(text);
    ScriptCommand c;
    c.text = text;
    const std::string verb = r.word("verb");
    auto it = verbs().find(verb);
    if (it == verbs().end()) {
        std::vector<std::string> names;
        for (const auto& entry : verbs()) names.push_back(entry.first);
        const std::string suggestion = nearest_key(verb, names);
        throw ScriptError("unknown verb '" + verb + "'" + (suggestion.empty() ? "" : "; did you mean '" + suggestion + "'?"));
    }
    c.verb = it->second;
    switch (c.verb) {
    case ScriptVerb::memwrite:
        c.address = r.number("address");
        c.bytes = parse_hex_bytes(r.word("hex bytes"));
        break;
    case ScriptVerb::memread:
        c.address = r.number("address");
        c.length = r.number("length");
        if (!r.done()) {
            if (r.word("expect") != "expect") throw ScriptError("expected 'expect HEXBYTES'");
            c.has_expect = true;
            c.bytes = parse_hex_bytes(r.word("expected bytes"));
            if (c.bytes.size() != c.length) throw ScriptError("expected data length differs from LEN");
        }
        break;
    case ScriptVerb::memload: {
        c.address = r.number("address");
        const std::string file = r.word("file");
        c.bytes = read_binary_file(file.front() == '/' ? file : directory + "/" + file);
        break;
    }
    case ScriptVerb::wait: c.time_ns = r.nanoseconds("time"); break;
    case ScriptVerb::dma: parse_dma(c, r); break;
    default: parse_register_verb(c, r); break;
    }
    r.finish();
    return c;
}

}  // namespace

unsigned ScriptCommand::access_bytes() const {
    switch (verb) {
    case ScriptVerb::write64:
    case ScriptVerb::read64:
    case ScriptVerb::poll64: return 8;
    default: return 4;
    }
}

std::string to_hex_bytes(const std::vector<std::uint8_t>& bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (std::uint8_t b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 0xF];
    }
    return out;
}

ScriptParseResult parse_script(std::istream& in, const std::string& name, const std::string& directory) {
    ScriptParseResult result;
    unsigned line_number = 0;
    for (std::string line; std::getline(in, line);) {
        ++line_number;
        const std::size_t hash = line.find('#');
        if (hash != std::string::npos) line.resize(hash);
        const std::size_t last = line.find_last_not_of(" \t\r");
        if (last == std::string::npos) continue;
        line.resize(last + 1);
        const std::string location = name + ":" + std::to_string(line_number);
        try {
            ScriptCommand command = parse_line(line, directory);
            command.location = location;
            result.commands.push_back(std::move(command));
        } catch (const ScriptError& e) {
            result.errors.push_back({location, e.what()});
        }
    }
    return result;
}

ScriptParseResult parse_script_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) return ScriptParseResult{{}, {Diagnostic{path, "cannot open the script"}}};
    const std::size_t slash = path.find_last_of('/');
    return parse_script(in, path, slash == std::string::npos ? "." : path.substr(0, slash));
}

}  // namespace iommu_vp::platform
