#include "models/common/register_window.h"

#include "models/common/little_endian.h"
#include "models/common/log.h"

namespace iommu_vp {

RegisterAccessCounters RegisterAccessCounters::create(StatsGroup& g) {
    return {g.counter("register_reads", "register reads on the programming interface"),
            g.counter("register_writes", "register writes on the programming interface"),
            g.counter("register_errors", "register accesses refused (size, alignment, byte enables)")};
}

void serve_register_access(RegisterBank& bank, tlm::tlm_generic_payload& p, const std::string& owner,
                           RegisterAccessCounters counters) {
    const unsigned length = p.get_data_length();
    if (p.get_byte_enable_ptr() || p.get_streaming_width() != length) {
        ++counters.errors;
        IVP_LOG(LogCategory::guest_error, owner, "register access with byte enables or streaming at 0x"
                                                     << std::hex << p.get_address());
        p.set_response_status(p.get_byte_enable_ptr() ? tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE
                                                       : tlm::TLM_BURST_ERROR_RESPONSE);
        return;
    }
    std::uint64_t value = 0;
    RegisterAccessStatus status = RegisterAccessStatus::ok;
    if (p.is_read()) {
        ++counters.reads;
        status = bank.read(p.get_address(), length, value);
    } else if (p.is_write()) {
        ++counters.writes;
        value = load_le(p.get_data_ptr(), length);
        status = bank.write(p.get_address(), length, value);
    }

    switch (status) {
    case RegisterAccessStatus::ok:
        if (p.is_read()) store_le(p.get_data_ptr(), length, value);
        p.set_response_status(tlm::TLM_OK_RESPONSE);
        return;
    case RegisterAccessStatus::unmapped:
        IVP_LOG(LogCategory::guest_error, owner, "access to unmapped register offset 0x" << std::hex
                                                     << p.get_address() << " (RAZ/WI)");
        if (p.is_read() && length <= 8) store_le(p.get_data_ptr(), length, 0);
        p.set_response_status(length == 4 || length == 8 ? tlm::TLM_OK_RESPONSE : tlm::TLM_GENERIC_ERROR_RESPONSE);
        return;
    case RegisterAccessStatus::bad_size:
    case RegisterAccessStatus::misaligned:
        // Both architectures leave other access sizes unpredictable; the models answer with an error.
        ++counters.errors;
        IVP_LOG(LogCategory::guest_error, owner, length << "-byte register access at 0x" << std::hex
                                                     << p.get_address() << " refused");
        p.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
        return;
    }
}

unsigned int peek_register_access(const RegisterBank& bank, tlm::tlm_generic_payload& p) {
    if (!p.is_read()) return 0;
    const unsigned length = p.get_data_length();
    std::uint64_t value = 0;
    if (bank.peek(p.get_address(), length, value) != RegisterAccessStatus::ok) return 0;
    store_le(p.get_data_ptr(), length, value);
    return length;
}

}  // namespace iommu_vp
