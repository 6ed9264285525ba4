#include "sw_stack/kernel/io.h"

#include "sw_stack/kernel/runtime.h"

#include <sstream>

namespace iommu_vp::kernel {
namespace {

// A bus error is a report, not a crash: the access completes with all ones (reads) as on PCIe.
void bus_error(const char* what, std::uint64_t address) {
    Runtime& rt = Runtime::get();
    std::ostringstream text;
    Thread* thread = rt.current();
    text << "thread \"" << (thread ? thread->name() : "?") << "\": " << what << " at 0x" << std::hex << address
         << " answered with a bus error";
    rt.report({"bus_error", std::string(what) + " bus error", text.str(), sc_core::sc_time_stamp()});
}

void mmio_jitter() {
    Runtime& rt = Runtime::get();
    const sc_core::sc_time jitter = rt.params().mmio_jitter;
    if (jitter == sc_core::SC_ZERO_TIME) return;
    rt.delay(sc_core::sc_time::from_value(rt.random_below(static_cast<std::uint64_t>(jitter.value()) + 1)));
}

std::uint64_t mmio_read(std::uint64_t address, unsigned size) {
    Runtime& rt = Runtime::get();
    mmio_jitter();
    std::uint64_t value = 0;
    if (!rt.machine().mmio_read(address, size, value)) {
        bus_error("MMIO read", address);
        return size >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * size)) - 1;
    }
    return value;
}

void mmio_write(std::uint64_t address, unsigned size, std::uint64_t value, bool relaxed) {
    Runtime& rt = Runtime::get();
    if (!relaxed) release_stores();
    mmio_jitter();
    if (!rt.machine().mmio_write(address, size, value)) bus_error("MMIO write", address);
}

StoreBuffer& my_store_buffer() {
    Runtime& rt = Runtime::get();
    return rt.store_buffer(rt.self().cpu());
}

}  // namespace

std::uint8_t readb(std::uint64_t a) { return static_cast<std::uint8_t>(mmio_read(a, 1)); }
std::uint16_t readw(std::uint64_t a) { return static_cast<std::uint16_t>(mmio_read(a, 2)); }
std::uint32_t readl(std::uint64_t a) { return static_cast<std::uint32_t>(mmio_read(a, 4)); }
std::uint64_t readq(std::uint64_t a) { return mmio_read(a, 8); }
std::uint32_t readl_relaxed(std::uint64_t a) { return static_cast<std::uint32_t>(mmio_read(a, 4)); }
std::uint64_t readq_relaxed(std::uint64_t a) { return mmio_read(a, 8); }
void writeb(std::uint8_t v, std::uint64_t a) { mmio_write(a, 1, v, false); }
void writew(std::uint16_t v, std::uint64_t a) { mmio_write(a, 2, v, false); }
void writel(std::uint32_t v, std::uint64_t a) { mmio_write(a, 4, v, false); }
void writeq(std::uint64_t v, std::uint64_t a) { mmio_write(a, 8, v, false); }
void writel_relaxed(std::uint32_t v, std::uint64_t a) { mmio_write(a, 4, v, true); }
void writeq_relaxed(std::uint64_t v, std::uint64_t a) { mmio_write(a, 8, v, true); }

void release_stores() {
    Runtime& rt = Runtime::get();
    StoreBuffer& buffer = my_store_buffer();
    if (buffer.empty()) return;
    const std::size_t lines = buffer.pending_cache_lines();
    for (const BufferedStore& store : buffer.release_all())
        if (!rt.machine().memory_write(store.address, store.bytes.data(), store.bytes.size()))
            bus_error("store", store.address);
    rt.delay(rt.params().release_per_line * static_cast<double>(lines));
}

void wmb() { release_stores(); }
void dma_wmb() { release_stores(); }
void smp_wmb() { release_stores(); }
void mb() { release_stores(); }
void smp_mb() { release_stores(); }
void rmb() {}
void dma_rmb() {}

void memory_write(std::uint64_t address, const void* data, std::size_t length) {
    my_store_buffer().store(address, static_cast<const std::uint8_t*>(data), length);
}

void memory_read(std::uint64_t address, void* data, std::size_t length) {
    auto* bytes = static_cast<std::uint8_t*>(data);
    if (!Runtime::get().machine().memory_read(address, bytes, length)) bus_error("load", address);
    my_store_buffer().forward(address, bytes, length);
}

void memory_write64(std::uint64_t address, std::uint64_t value) {
    std::uint8_t bytes[8];
    for (unsigned i = 0; i < 8; ++i) bytes[i] = static_cast<std::uint8_t>(value >> (8 * i));
    memory_write(address, bytes, sizeof bytes);
}

std::uint64_t memory_read64(std::uint64_t address) {
    std::uint8_t bytes[8];
    memory_read(address, bytes, sizeof bytes);
    std::uint64_t value = 0;
    for (unsigned i = 8; i-- > 0;) value = (value << 8) | bytes[i];
    return value;
}

void memory_write32(std::uint64_t address, std::uint32_t value) {
    std::uint8_t bytes[4];
    for (unsigned i = 0; i < 4; ++i) bytes[i] = static_cast<std::uint8_t>(value >> (8 * i));
    memory_write(address, bytes, sizeof bytes);
}

std::uint32_t memory_read32(std::uint64_t address) {
    std::uint8_t bytes[4];
    memory_read(address, bytes, sizeof bytes);
    return static_cast<std::uint32_t>(bytes[0] | bytes[1] << 8 | bytes[2] << 16 | static_cast<std::uint32_t>(bytes[3]) << 24);
}

std::uint64_t cmpxchg64(std::uint64_t address, std::uint64_t expected, std::uint64_t desired) {
    // Linux's cmpxchg is fully ordered: earlier stores are visible before it.
    release_stores();
    std::uint64_t observed = 0;
    if (!Runtime::get().machine().memory_compare_exchange64(address, expected, desired, observed))
        bus_error("cmpxchg", address);
    return observed;
}

}  // namespace iommu_vp::kernel
