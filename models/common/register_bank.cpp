#include "models/common/register_bank.h"

#include "models/common/log.h"

#include <iomanip>
#include <sstream>
#include <stdexcept>

namespace iommu_vp {

RegisterBank::RegisterBank(std::string name) : name_(std::move(name)) {}

void RegisterBank::add(RegisterSpec spec) {
    if (spec.width_bytes != 4 && spec.width_bytes != 8)
        throw std::logic_error(name_ + "." + spec.name + ": register width must be 4 or 8 bytes");
    if (spec.offset % spec.width_bytes != 0)
        throw std::logic_error(name_ + "." + spec.name + ": register offset not aligned to its width");
    const std::uint64_t end = spec.offset + spec.width_bytes;
    auto next = by_offset_.lower_bound(spec.offset);
    if (next != by_offset_.end() && next->first < end)
        throw std::logic_error(name_ + "." + spec.name + ": overlaps " + registers_[next->second].spec.name);
    if (next != by_offset_.begin()) {
        const Register& prev = registers_[std::prev(next)->second];
        if (prev.spec.offset + prev.spec.width_bytes > spec.offset)
            throw std::logic_error(name_ + "." + spec.name + ": overlaps " + prev.spec.name);
    }
    by_offset_.emplace(spec.offset, registers_.size());
    const std::uint64_t reset = spec.reset;
    registers_.push_back(Register{std::move(spec), reset});
}

RegisterBank::Hit RegisterBank::locate(std::uint64_t offset) const {
    auto it = by_offset_.upper_bound(offset);
    if (it == by_offset_.begin()) return {nullptr, 0};
    --it;
    Register& reg = const_cast<Register&>(registers_[it->second]);
    if (offset >= reg.spec.offset + reg.spec.width_bytes) return {nullptr, 0};
    return {&reg, static_cast<unsigned>(offset - reg.spec.offset)};
}

RegisterAccessStatus RegisterBank::check_access(const Hit& hit, unsigned size_bytes) {
    if (!hit.reg) return RegisterAccessStatus::unmapped;
    if (size_bytes != 4 && size_bytes != 8) return RegisterAccessStatus::bad_size;
    if (size_bytes > hit.reg->spec.width_bytes) return RegisterAccessStatus::bad_size;
    if (hit.byte_in_reg % size_bytes != 0) return RegisterAccessStatus::misaligned;
    return RegisterAccessStatus::ok;
}

RegisterAccessStatus RegisterBank::peek(std::uint64_t offset, unsigned size_bytes, std::uint64_t& value) const {
    const Hit hit = locate(offset);
    const RegisterAccessStatus status = check_access(hit, size_bytes);
    if (status != RegisterAccessStatus::ok) return status;
    value = BitField{hit.byte_in_reg * 8, size_bytes * 8}.extract(hit.reg->value);
    return status;
}

void RegisterBank::add(const RegisterLayout& layout) {
    RegisterSpec spec;
    spec.name = layout.name;
    spec.offset = layout.offset;
    spec.width_bytes = layout.width_bytes;
    spec.reset = layout.reset;
    spec.writable = layout.writable;
    spec.w1c = layout.w1c;
    spec.fields = layout.fields;
    add(std::move(spec));
}

RegisterAccessStatus RegisterBank::read(std::uint64_t offset, unsigned size_bytes, std::uint64_t& value) {
    const Hit hit = locate(offset);
    const RegisterAccessStatus status = check_access(hit, size_bytes);
    if (status != RegisterAccessStatus::ok) return status;
    Register& reg = *hit.reg;
    const std::uint64_t full = reg.spec.on_read ? reg.spec.on_read(reg.value) : reg.value;
    value = BitField{hit.byte_in_reg * 8, size_bytes * 8}.extract(full);
    log_access("read ", reg, full);
    return status;
}

RegisterAccessStatus RegisterBank::write(std::uint64_t offset, unsigned size_bytes, std::uint64_t value) {
    const Hit hit = locate(offset);
    const RegisterAccessStatus status = check_access(hit, size_bytes);
    if (status != RegisterAccessStatus::ok) return status;
    Register& reg = *hit.reg;
    const BitField lane{hit.byte_in_reg * 8, size_bytes * 8};
    const std::uint64_t covered = lane.mask();
    const std::uint64_t written = lane.insert(0, value);

    const std::uint64_t old_value = reg.value;
    const std::uint64_t stored_bits = reg.spec.writable & covered;
    const std::uint64_t cleared_bits = reg.spec.w1c & covered & written;
    reg.value = ((old_value & ~stored_bits) | (written & stored_bits)) & ~cleared_bits;
    log_access("write", reg, written);
    if (reg.spec.on_write) reg.spec.on_write(RegisterWrite{old_value, reg.value, written, covered});
    return status;
}

RegisterBank::Register& RegisterBank::by_name(std::string_view name) {
    for (Register& reg : registers_)
        if (reg.spec.name == name) return reg;
    throw std::logic_error(name_ + ": no register named " + std::string(name));
}

const RegisterBank::Register& RegisterBank::by_name(std::string_view name) const {
    return const_cast<RegisterBank*>(this)->by_name(name);
}

void RegisterBank::set_read_hook(std::string_view name, std::function<std::uint64_t(std::uint64_t)> hook) {
    by_name(name).spec.on_read = std::move(hook);
}

void RegisterBank::set_write_hook(std::string_view name, std::function<void(const RegisterWrite&)> hook) {
    by_name(name).spec.on_write = std::move(hook);
}

std::uint64_t RegisterBank::get(std::string_view name) const { return by_name(name).value; }

void RegisterBank::set(std::string_view name, std::uint64_t value) {
    Register& reg = by_name(name);
    reg.value = value & low_mask(reg.spec.width_bytes * 8);
}

void RegisterBank::reset() {
    for (Register& reg : registers_) reg.value = reg.spec.reset;
}

std::string RegisterBank::describe(std::string_view name, std::uint64_t value) const {
    const Register& reg = by_name(name);
    std::ostringstream os;
    os << reg.spec.name << " = 0x" << std::hex << value;
    if (!reg.spec.fields.empty()) {
        os << " {";
        const char* sep = "";
        for (const RegisterField& f : reg.spec.fields) {
            // One-bit fields read as flags (=0/=1), as the header's example shows; wider fields in hex.
            os << sep << f.name << (f.field.width == 1 ? "=" : "=0x") << f.field.extract(value);
            sep = ", ";
        }
        os << '}';
    }
    return os.str();
}

std::vector<std::string> RegisterBank::register_names() const {
    std::vector<std::string> names;
    for (const Register& reg : registers_) names.push_back(reg.spec.name);
    return names;
}

void RegisterBank::log_access(const char* what, const Register& reg, std::uint64_t value) const {
    IVP_LOG(LogCategory::reg, name_, what << ' ' << describe(reg.spec.name, value));
}

}  // namespace iommu_vp
