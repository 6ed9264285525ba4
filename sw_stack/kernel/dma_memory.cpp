#include "sw_stack/kernel/dma_memory.h"

#include "sw_stack/kernel/coherent_allocator.h"
#include "sw_stack/kernel/runtime.h"

#include <sstream>

namespace iommu_vp::kernel {

std::optional<std::uint64_t> dma_alloc_coherent(std::uint64_t size, std::uint64_t alignment) {
    CoherentAllocator* allocator = Runtime::get().coherent_allocator();
    if (!allocator) return std::nullopt;
    return allocator->allocate(size, alignment);
}

bool dma_free_coherent(std::uint64_t address) {
    Runtime& rt = Runtime::get();
    CoherentAllocator* allocator = rt.coherent_allocator();
    if (allocator && allocator->free(address)) return true;
    std::ostringstream text;
    Thread* thread = rt.current();
    text << "thread \"" << (thread ? thread->name() : "?") << "\" freed DMA memory at 0x" << std::hex << address
         << " that is not a live allocation (double free or a wrong address)";
    rt.report({"bad_dma_free", "bad dma_free_coherent", text.str(), sc_core::sc_time_stamp()});
    return false;
}

std::uint64_t dma_bytes_in_use() {
    CoherentAllocator* allocator = Runtime::get().coherent_allocator();
    return allocator ? allocator->bytes_in_use() : 0;
}

}  // namespace iommu_vp::kernel
