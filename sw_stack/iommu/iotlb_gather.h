// The invalidation gather (struct iommu_iotlb_gather): what an unmap collects for the invalidation
// that must follow it, so one range invalidation covers many unmapped pages and the table pages the
// unmap freed are released only once the hardware can no longer walk them.
//
// Pure C++, no SystemC.
#pragma once

#include <cstdint>
#include <vector>

namespace iommu_vp::iommu {

struct IommuIotlbGather {
    std::uint64_t start = ~0ull;  // lowest IOVA unmapped (inclusive); ~0 while empty
    std::uint64_t end = 0;        // highest IOVA unmapped (inclusive)
    std::uint64_t pgsize = 0;     // the page size the range was unmapped with (0: none yet)
    // Table pages (physical addresses) the unmap took out of the tables: freed by whoever completes
    // the invalidation (strict: after the sync; lazy: when the flush queue releases the entry).
    std::vector<std::uint64_t> freelist;
    // The invalidation is deferred to a flush queue (iommu_iotlb_gather_queued): the format or the
    // driver may skip per-page invalidation.
    bool queued = false;

    bool empty() const { return start > end; }
    // iommu_iotlb_gather_add_range: widens the range to cover [iova, iova + size).
    void add_range(std::uint64_t iova, std::uint64_t size) {
        const std::uint64_t last = iova + size - 1;
        if (iova < start) start = iova;
        if (last > end) end = last;
    }
    // iommu_iotlb_gather_is_disjoint: the range would leave a gap with what is gathered already
    // (drivers that invalidate one contiguous range sync first).
    bool is_disjoint(std::uint64_t iova, std::uint64_t size) const {
        const std::uint64_t last = iova + size - 1;
        return !empty() && (last + 1 < start || iova > end + 1);
    }
    // iommu_iotlb_gather_add_page: a page of `size` joins; a different page size or a disjoint range
    // is the caller's cue to sync first (returns false then, without adding).
    bool add_page(std::uint64_t iova, std::uint64_t size) {
        if ((pgsize && pgsize != size) || is_disjoint(iova, size)) return false;
        pgsize = size;
        add_range(iova, size);
        return true;
    }
    void reset() { *this = IommuIotlbGather{}; }
};

}  // namespace iommu_vp::iommu
