#include "platform/tables/memory_image.h"

namespace iommu_vp::platform {

std::optional<std::uint64_t> MemoryImage::allocate(std::uint64_t bytes, std::uint64_t alignment) {
    const std::uint64_t address = (next_ + alignment - 1) & ~(alignment - 1);
    if (address < next_ || address > end_ || bytes > end_ - address) return std::nullopt;
    next_ = address + bytes;
    blocks_[address].assign(bytes, 0);
    return address;
}

void MemoryImage::put64(std::uint64_t address, std::uint64_t value) {
    auto it = blocks_.upper_bound(address);
    if (it == blocks_.begin()) return;
    --it;
    std::vector<std::uint8_t>& bytes = it->second;
    const std::uint64_t offset = address - it->first;
    if (offset + 8 > bytes.size()) return;
    for (unsigned i = 0; i < 8; ++i) bytes[offset + i] = static_cast<std::uint8_t>(value >> (8 * i));
}

std::uint64_t MemoryImage::get64(std::uint64_t address) const {
    auto it = blocks_.upper_bound(address);
    if (it == blocks_.begin()) return 0;
    --it;
    const std::uint64_t offset = address - it->first;
    if (offset + 8 > it->second.size()) return 0;
    std::uint64_t value = 0;
    for (unsigned i = 8; i-- > 0;) value = (value << 8) | it->second[offset + i];
    return value;
}

std::vector<MemoryBlock> MemoryImage::take_blocks() {
    std::vector<MemoryBlock> out;
    for (auto& [address, bytes] : blocks_) out.push_back(MemoryBlock{address, std::move(bytes)});
    blocks_.clear();
    return out;
}

}  // namespace iommu_vp::platform
