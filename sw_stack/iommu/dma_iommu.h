// The DMA API over the IOMMU (Linux kernel/dma/mapping.c with drivers/iommu/dma-iommu.c; section 8 of
// ../shared/spec/iommu-core.md): what device drivers call to make a buffer reachable by their device.
//
// A device whose default domain is a DMA type (dev->dma_iommu) gets IOVAs from its domain's IOVA
// allocator (iova.h: top-down below the DMA mask, per-CPU range caches) mapped through iommu_map; any
// other device is mapped directly (the DMA address is the physical address, as dma-direct does).
//
// Unmapping follows the domain type: DMA (strict) invalidates and waits before the IOVA is freed and
// before dma_unmap_* returns; DMA_FQ (lazy) queues the IOVA and the freed table pages on the CPU's
// flush queue, which releases them only after a full flush that started after the unmap (I-DMA-1):
// when the queue is full, or when the flush-queue timer fires (sw.core.fq_size, sw.core.fq_timeout_ms).
//
// Address-space layout of a DMA domain's IOVA space: granule = the domain's smallest page size; IOVA 0
// (and everything below the aperture start) is never handed out; allocation is top-down from
// min(dma_mask, aperture end); every reserved region the driver reports except software-MSI windows
// is reserved (hardware MSI windows are then mapped 1:1 by the driver's regions, direct regions by the
// core at default-domain setup). PCI devices try below 4 GiB first (the 32-bit hint) and drop the hint
// for good after the first failure there.
//
// Not modelled: swiotlb bouncing (untrusted devices are mapped in place), IOMMU_MMIO/privileged
// attributes from DMA attrs, dma_map_resource, non-contiguous allocations, sync_single_for_cpu/device
// (the platform's memory is coherent), PCI host-bridge windows as reserved ranges.
#pragma once

#include "sw_stack/iommu/iommu.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace iommu_vp::iommu {

enum class DmaDirection { bidirectional, to_device, from_device };

inline constexpr std::uint64_t DMA_MAPPING_ERROR = ~0ull;
inline bool dma_mapping_error(std::uint64_t dma_addr) { return dma_addr == DMA_MAPPING_ERROR; }

// One scatterlist entry: the CPU side (paddr, length) and, after dma_map_sg, the DMA side. Merged
// entries leave dma_length 0 on all but the first of a merged run.
struct ScatterEntry {
    std::uint64_t paddr = 0;
    std::uint64_t length = 0;
    std::uint64_t dma_address = 0;
    std::uint64_t dma_length = 0;
};

std::uint64_t dma_map_single(Device& dev, std::uint64_t paddr, std::uint64_t size, DmaDirection dir);
void dma_unmap_single(Device& dev, std::uint64_t dma_addr, std::uint64_t size, DmaDirection dir);
// The number of DMA segments (0 on failure: nothing stays mapped).
int dma_map_sg(Device& dev, std::vector<ScatterEntry>& sg, DmaDirection dir);
void dma_unmap_sg(Device& dev, std::vector<ScatterEntry>& sg, DmaDirection dir);

// Memory the CPU and the device share: physical pages from the runtime's coherent pool, mapped for the
// device. Returns the physical address (what the CPU uses) and sets dma_handle.
std::optional<std::uint64_t> dma_alloc_coherent(Device& dev, std::uint64_t size, std::uint64_t& dma_handle);
void dma_free_coherent(Device& dev, std::uint64_t size, std::uint64_t paddr, std::uint64_t dma_handle);

// What a DMA domain's cookie counted.
struct DmaDomainStats {
    std::uint64_t maps = 0;
    std::uint64_t unmaps = 0;
    std::uint64_t map_failures = 0;
    std::uint64_t strict_syncs = 0;        // iotlb_sync before an unmap returned
    std::uint64_t fq_queued = 0;           // IOVAs put on a flush queue
    std::uint64_t fq_full_flushes = 0;     // flush_iotlb_all because a queue was full
    std::uint64_t fq_timer_flushes = 0;    // flush_iotlb_all from the flush-queue timer
    std::uint64_t fq_released = 0;         // queued IOVAs released after a completed flush
    std::uint64_t pages_freed = 0;         // page-table pages released after invalidation
};
// nullptr when the domain has no DMA cookie.
const DmaDomainStats* iommu_dma_stats(const IommuDomain& domain);

}  // namespace iommu_vp::iommu
