#include "models/memory/sparse_store.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace iommu_vp {

SparseStore::SparseStore(std::uint64_t size_bytes) : size_(size_bytes) {
    if (size_bytes == 0 || size_bytes > kMaxSizeBytes)
        throw std::invalid_argument("memory size must be between 1 byte and 2^52 bytes, got " +
                                    std::to_string(size_bytes));
}

const std::uint8_t* SparseStore::find_page(std::uint64_t page_number) const {
    auto it = pages_.find(page_number);
    return it == pages_.end() ? nullptr : it->second.get();
}

std::uint8_t* SparseStore::page(std::uint64_t page_number) {
    Page& slot = pages_[page_number];
    if (!slot) slot = Page(new std::uint8_t[kPageBytes]());  // value-initialised: zeros
    return slot.get();
}

void SparseStore::read(std::uint64_t address, std::uint8_t* out, std::size_t length) const {
    while (length) {
        const std::uint64_t offset = address % kPageBytes;
        const std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(length, kPageBytes - offset));
        if (const std::uint8_t* p = find_page(address / kPageBytes))
            std::memcpy(out, p + offset, chunk);
        else
            std::memset(out, 0, chunk);
        address += chunk;
        out += chunk;
        length -= chunk;
    }
}

void SparseStore::write(std::uint64_t address, const std::uint8_t* in, std::size_t length) {
    while (length) {
        const std::uint64_t offset = address % kPageBytes;
        const std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(length, kPageBytes - offset));
        std::memcpy(page(address / kPageBytes) + offset, in, chunk);
        address += chunk;
        in += chunk;
        length -= chunk;
    }
}

std::uint8_t* SparseStore::page_for(std::uint64_t address, std::uint64_t& page_base) {
    page_base = address - address % kPageBytes;
    return page(address / kPageBytes);
}

}  // namespace iommu_vp
