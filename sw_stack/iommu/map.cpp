// iommu_map / iommu_unmap (section 8.2, 8.3): page-size selection, partial-progress accounting and the
// driver's sync calls, on paging domains only.
#include "sw_stack/iommu/core_internal.h"
#include "sw_stack/kernel/errno.h"
#include "sw_stack/kernel/warn.h"

namespace iommu_vp::iommu {
namespace {

std::uint64_t lowest_bit(std::uint64_t value) { return value & (~value + 1); }

// Bits 0..bit set (GENMASK(bit, 0)).
std::uint64_t mask_through(unsigned bit) { return bit >= 63 ? ~0ull : (1ull << (bit + 1)) - 1; }
unsigned highest_set(std::uint64_t value) { return 63u - static_cast<unsigned>(__builtin_clzll(value)); }

// iommu_pgsize: the largest supported page size that the alignment of iova and paddr and the remaining
// size allow, and how many of them to map before a larger supported size becomes usable.
std::uint64_t choose_pgsize(std::uint64_t pgsize_bitmap, std::uint64_t iova, std::uint64_t paddr, std::uint64_t size,
                            std::uint64_t& count) {
    const std::uint64_t address_merge = iova | paddr;
    std::uint64_t sizes = pgsize_bitmap & mask_through(highest_set(size));
    if (address_merge) sizes &= mask_through(static_cast<unsigned>(__builtin_ctzll(address_merge)));
    if (!sizes) return 0;
    const unsigned pgsize_shift = highest_set(sizes);
    const std::uint64_t pgsize = 1ull << pgsize_shift;
    const std::uint64_t larger = pgsize_bitmap & ~mask_through(pgsize_shift);
    if (larger) {
        const std::uint64_t next = lowest_bit(larger);
        // A larger page can only ever be used if iova and paddr sit alike within it; then map up to its
        // boundary with this size when the larger one fits after it.
        if (((iova ^ paddr) & (next - 1)) == 0) {
            const std::uint64_t offset = next - (address_merge & (next - 1));
            if (offset + next <= size) size = offset;
        }
    }
    count = size >> pgsize_shift;
    return pgsize;
}

}  // namespace

namespace {

// Maps one physically contiguous range without the sync; `done` says how much was mapped.
int map_range(IommuDomain& domain, std::uint64_t iova, std::uint64_t paddr, std::uint64_t size, int prot,
              std::uint64_t& done) {
    const std::uint64_t min_pagesz = lowest_bit(domain.pgsize_bitmap);
    if (!size || ((iova | paddr | size) & (min_pagesz - 1))) return -EINVAL;
    while (done < size) {
        std::uint64_t count = 0;
        const std::uint64_t pgsize = choose_pgsize(domain.pgsize_bitmap, iova + done, paddr + done, size - done, count);
        if (!pgsize) return -EINVAL;
        std::uint64_t mapped = 0;
        const int ret = domain.map_pages(iova + done, paddr + done, pgsize, count, prot, mapped);
        done += mapped;
        if (ret) return ret;
        if (kernel::warn_on(mapped == 0, "map_pages_no_progress", domain.name)) return -EINVAL;
    }
    return 0;
}

}  // namespace

int iommu_map_pieces(IommuDomain& domain, std::uint64_t iova,
                     const std::vector<std::pair<std::uint64_t, std::uint64_t>>& pieces, int prot) {
    if (used_domain_after_free(domain)) return -EINVAL;
    if (!domain.is_paging() || !domain.pgsize_bitmap) return -EINVAL;
    std::uint64_t total = 0;
    int ret = 0;
    for (const auto& [paddr, size] : pieces) {
        std::uint64_t done = 0;
        ret = map_range(domain, iova + total, paddr, size, prot, done);
        total += done;
        if (ret) break;
    }
    if (!ret) ret = domain.iotlb_sync_map(iova, total);
    if (ret && total) iommu_unmap(domain, iova, total);  // undo the partial mapping
    return ret;
}

int iommu_map(IommuDomain& domain, std::uint64_t iova, std::uint64_t paddr, std::uint64_t size, int prot) {
    return iommu_map_pieces(domain, iova, {{paddr, size}}, prot);
}

std::uint64_t iommu_unmap_fast(IommuDomain& domain, std::uint64_t iova, std::uint64_t size, IommuIotlbGather& gather) {
    if (used_domain_after_free(domain)) return 0;
    if (!domain.is_paging() || !domain.pgsize_bitmap) return 0;
    const std::uint64_t min_pagesz = lowest_bit(domain.pgsize_bitmap);
    if (!size || ((iova | size) & (min_pagesz - 1))) {
        note("unmap_unaligned");  // Linux: pr_err
        return 0;
    }
    std::uint64_t done = 0;
    while (done < size) {
        std::uint64_t count = 0;
        const std::uint64_t pgsize = choose_pgsize(domain.pgsize_bitmap, iova + done, iova + done, size - done, count);
        if (!pgsize) break;
        const std::uint64_t unmapped = domain.unmap_pages(iova + done, pgsize, count, gather);
        if (!unmapped) break;
        done += unmapped;
    }
    return done;
}

std::uint64_t iommu_unmap(IommuDomain& domain, std::uint64_t iova, std::uint64_t size) {
    IommuIotlbGather gather;
    const std::uint64_t unmapped = iommu_unmap_fast(domain, iova, size, gather);
    domain.iotlb_sync(gather);
    return unmapped;
}

std::uint64_t iommu_iova_to_phys(IommuDomain& domain, std::uint64_t iova) {
    if (domain.type == IOMMU_DOMAIN_IDENTITY) return iova;
    if (domain.type == IOMMU_DOMAIN_BLOCKED) return 0;
    return domain.iova_to_phys(iova);
}

void iommu_iotlb_sync(IommuDomain& domain, IommuIotlbGather& gather) { domain.iotlb_sync(gather); }
void iommu_flush_iotlb_all(IommuDomain& domain) { domain.flush_iotlb_all(); }

void iommu_get_resv_regions(Device& dev, std::vector<IommuResvRegion>& regions) {
    if (const IommuOps* ops = dev_iommu_ops(dev)) const_cast<IommuOps*>(ops)->get_resv_regions(dev, regions);
}

}  // namespace iommu_vp::iommu
