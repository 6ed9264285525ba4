// Declarative register bank: a table of registers (name, offset, width, reset value, writable and
// write-1-to-clear masks, named fields, read/write hooks). The same table drives bus accesses, the
// `reg` log category (field-by-field decoding) and register dumps.
//
// Accesses are 32 or 64 bits wide. A 64-bit register may also be accessed as two 32-bit halves, as
// both SMMUv3 (for most 64-bit registers) and VT-d allow; a 64-bit access to a 32-bit register is
// refused (`bad_size`), and the owning model decides what the bus sees.
//
// Pure C++: no SystemC, so models' register behaviour is testable without a kernel.
#pragma once

#include "models/common/bitfield.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace iommu_vp {

struct RegisterField {
    std::string name;
    BitField field;
};

// What a write hook is told: the whole register before and after, and which bytes the access hit.
struct RegisterWrite {
    std::uint64_t old_value;
    std::uint64_t new_value;
    std::uint64_t written_value;   // the raw value software wrote, aligned to the register
    std::uint64_t written_mask;    // which bits of the register the access covered
};

struct RegisterSpec {
    std::string name;
    std::uint64_t offset = 0;
    unsigned width_bytes = 4;        // 4 or 8
    std::uint64_t reset = 0;
    std::uint64_t writable = 0;      // bits a write stores
    std::uint64_t w1c = 0;           // bits a written 1 clears (a written 0 leaves them)
    std::vector<RegisterField> fields;
    // Called before a read returns; may compute the value (for example a live status). Its result
    // is what the bus sees; the stored value is unchanged.
    std::function<std::uint64_t(std::uint64_t stored)> on_read;
    // Called after a write has updated the stored value.
    std::function<void(const RegisterWrite&)> on_write;
};

// A register's layout without behaviour: what a model's register table lists (hooks are attached by
// name afterwards, so the table stays data).
struct RegisterLayout {
    std::string name;
    std::uint64_t offset;
    unsigned width_bytes;
    std::uint64_t reset;
    std::uint64_t writable;
    std::uint64_t w1c;
    std::vector<RegisterField> fields;
};

enum class RegisterAccessStatus { ok, unmapped, bad_size, misaligned };

class RegisterBank {
public:
    explicit RegisterBank(std::string name);

    // Adds a register; overlapping or malformed definitions are model bugs and throw.
    void add(RegisterSpec spec);
    void add(const RegisterLayout& layout);

    RegisterAccessStatus read(std::uint64_t offset, unsigned size_bytes, std::uint64_t& value);
    RegisterAccessStatus write(std::uint64_t offset, unsigned size_bytes, std::uint64_t value);
    // Side-effect-free read for debug transport and dumps: no hook, no log.
    RegisterAccessStatus peek(std::uint64_t offset, unsigned size_bytes, std::uint64_t& value) const;

    // Attaches behaviour to a register of the table (a model keeps its table as data and its
    // side effects in named hooks).
    void set_read_hook(std::string_view name, std::function<std::uint64_t(std::uint64_t stored)> hook);
    void set_write_hook(std::string_view name, std::function<void(const RegisterWrite&)> hook);

    // Hardware-side access by name: bypasses masks and hooks.
    std::uint64_t get(std::string_view name) const;
    void set(std::string_view name, std::uint64_t value);

    void reset();

    // "CR0 = 0x5 {SMMUEN=1, EVTQEN=0, CMDQEN=1}": one-bit fields as 0/1, wider fields in hex (ADDR=0x401).
    std::string describe(std::string_view name, std::uint64_t value) const;
    const std::string& name() const { return name_; }
    std::vector<std::string> register_names() const;

private:
    struct Register {
        RegisterSpec spec;
        std::uint64_t value;
    };
    struct Hit {
        Register* reg;
        unsigned byte_in_reg;
    };

    Hit locate(std::uint64_t offset) const;
    static RegisterAccessStatus check_access(const Hit& hit, unsigned size_bytes);
    Register& by_name(std::string_view name);
    const Register& by_name(std::string_view name) const;
    void log_access(const char* what, const Register& reg, std::uint64_t value) const;

    std::string name_;
    std::vector<Register> registers_;            // in the order the table lists them
    std::map<std::uint64_t, std::size_t> by_offset_;  // offset -> index into registers_
};

}  // namespace iommu_vp
