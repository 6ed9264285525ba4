// Sparse byte store for simulated memories of up to 2^52 bytes: 4 KiB pages are allocated on first
// write (or when a direct pointer is handed out), and bytes never written read as zero.
//
// Pure C++, so the platform's table builders and tests can use it without a SystemC kernel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>

namespace iommu_vp {

class SparseStore {
public:
    static constexpr std::uint64_t kPageBytes = 4096;
    static constexpr std::uint64_t kMaxSizeBytes = std::uint64_t{1} << 52;

    // Throws std::invalid_argument for a size of 0 or above kMaxSizeBytes.
    explicit SparseStore(std::uint64_t size_bytes);

    std::uint64_t size() const { return size_; }
    bool contains(std::uint64_t address, std::uint64_t length) const {
        return length <= size_ && address <= size_ - length;
    }

    // Both require contains(address, length); they may cross page boundaries.
    void read(std::uint64_t address, std::uint8_t* out, std::size_t length) const;
    void write(std::uint64_t address, const std::uint8_t* in, std::size_t length);

    // Pointer to the page that holds `address` (allocated if needed) and the page's first address.
    std::uint8_t* page_for(std::uint64_t address, std::uint64_t& page_base);

    std::size_t allocated_pages() const { return pages_.size(); }

private:
    using Page = std::unique_ptr<std::uint8_t[]>;
    const std::uint8_t* find_page(std::uint64_t page_number) const;
    std::uint8_t* page(std::uint64_t page_number);

    std::uint64_t size_;
    std::unordered_map<std::uint64_t, Page> pages_;
};

}  // namespace iommu_vp
