// The DMA API over the IOMMU (dma-iommu.c): the IOVA cookie of DMA domains, map and unmap, strict
// invalidation and the flush queues of lazy domains (section 8).
#include "sw_stack/iommu/dma_iommu.h"

#include "sw_stack/iommu/core_internal.h"
#include "sw_stack/iommu/iova.h"
#include "sw_stack/kernel/dma_memory.h"
#include "sw_stack/kernel/interleave.h"
#include "sw_stack/kernel/io.h"
#include "sw_stack/kernel/pci.h"
#include "sw_stack/kernel/runtime.h"
#include "sw_stack/kernel/sched.h"
#include "sw_stack/kernel/warn.h"

#include <deque>

namespace iommu_vp::iommu {
namespace {

constexpr std::uint64_t kDma32Limit = 0xffff'ffffull;

// An IOVA range waiting on a flush queue, with the table pages its unmap freed.
struct FlushQueueEntry {
    std::uint64_t pfn = 0;
    std::uint64_t pages = 0;
    std::vector<std::uint64_t> freelist;
    std::uint64_t flush_count = 0;  // flushes started when it was queued
};

struct FlushQueue {
    kernel::SpinLock lock{"fq->lock"};
    std::deque<FlushQueueEntry> entries;
};

// iommu_dma_cookie: the IOVA space of one DMA domain and, for DMA_FQ, its flush queues.
struct DmaCookie {
    explicit DmaCookie(IommuDomain& owner) : domain(owner), fq_timer("fq_timer", [this] { flush_timeout(); }) {}

    IommuDomain& domain;
    std::uint64_t granule = 0;
    std::uint64_t start_pfn = 0;
    std::unique_ptr<IovaDomain> iovad;
    kernel::SpinLock iova_lock{"iova_rbtree_lock"};
    bool fq_enabled = false;
    unsigned fq_size = 0;
    sc_core::sc_time fq_timeout;
    std::vector<std::unique_ptr<FlushQueue>> queues;  // one per CPU
    std::uint64_t flush_start_count = 0;
    std::uint64_t flush_finish_count = 0;
    kernel::Timer fq_timer;
    DmaDomainStats stats;

    std::uint64_t pfn_of(std::uint64_t address) const { return address / granule; }
    void free_iova(std::uint64_t pfn, std::uint64_t pages);
    void free_pages(const std::vector<std::uint64_t>& freelist);
    void release_flushed(FlushQueue& queue);
    void flush_all();
    void flush_timeout();
    void queue_iova(std::uint64_t pfn, std::uint64_t pages, std::vector<std::uint64_t> freelist);
    void drop_queues();
};

void DmaCookie::free_iova(std::uint64_t pfn, std::uint64_t pages) {
    iova_lock.lock_irqsave();
    kernel::warn_on(!iovad->free_iova_fast(pfn, pages, kernel::smp_processor_id()), "iova_free_unknown",
                    domain.name + " pfn " + std::to_string(pfn));
    iova_lock.unlock_irqrestore();
}

void DmaCookie::free_pages(const std::vector<std::uint64_t>& freelist) {
    for (const std::uint64_t page : freelist) kernel::dma_free_coherent(page);
    stats.pages_freed += freelist.size();
}

// fq_ring_free: entries whose flush has completed go back to the allocator. With the queue's lock.
void DmaCookie::release_flushed(FlushQueue& queue) {
    while (!queue.entries.empty() && queue.entries.front().flush_count < flush_finish_count) {
        FlushQueueEntry& entry = queue.entries.front();
        free_iova(entry.pfn, entry.pages);
        free_pages(entry.freelist);
        ++stats.fq_released;
        queue.entries.pop_front();
    }
}

// fq_flush_iotlb: a flush that starts after every entry queued so far.
void DmaCookie::flush_all() {
    kernel::interleaving_point("fq.before_flush");
    ++flush_start_count;
    domain.flush_iotlb_all();
    ++flush_finish_count;
}

// fq_flush_timeout: runs in the timer's softirq context.
void DmaCookie::flush_timeout() {
    kernel::interleaving_point("fq.timer");
    ++stats.fq_timer_flushes;
    flush_all();
    for (auto& queue : queues) {
        queue->lock.lock_irqsave();
        release_flushed(*queue);
        queue->lock.unlock_irqrestore();
    }
}

void DmaCookie::queue_iova(std::uint64_t pfn, std::uint64_t pages, std::vector<std::uint64_t> freelist) {
    // The driver's PTE clearing must be visible before the range can be found on the queue.
    kernel::smp_mb();
    FlushQueue& queue = *queues.at(kernel::smp_processor_id());
    queue.lock.lock_irqsave();
    release_flushed(queue);
    if (queue.entries.size() >= fq_size) {
        ++stats.fq_full_flushes;
        flush_all();
        release_flushed(queue);
    }
    queue.entries.push_back({pfn, pages, std::move(freelist), flush_start_count});
    ++stats.fq_queued;
    queue.lock.unlock_irqrestore();
    if (!fq_timer.pending()) fq_timer.modify(fq_timeout);
}

// iommu_dma_free_fq: the domain is going away; its queued ranges need no more flushing.
void DmaCookie::drop_queues() {
    fq_timer.remove_sync();  // a running flush must finish before the cookie goes
    for (auto& queue : queues)
        for (FlushQueueEntry& entry : queue->entries) free_pages(entry.freelist);
    queues.clear();
}

DmaCookie* cookie_of(const IommuDomain& domain) {
    if (domain.cookie_type != IommuDomain::CookieType::dma_iova) return nullptr;
    return static_cast<DmaCookie*>(domain.iova_cookie.get());
}

bool dev_is_dma_coherent(Device& dev) {
    if (dev.fwnode) return dev.fwnode->dma_coherent;
    if (kernel::dev_is_pci(dev)) {
        const kernel::PciBus& root = kernel::pci_find_root_bus(*kernel::to_pci_dev(dev).bus);
        return root.host_bridge && root.host_bridge->node.dma_coherent;
    }
    return false;
}

// dma_info_to_prot.
int dma_prot(DmaDirection dir, bool coherent) {
    int prot = coherent ? IOMMU_CACHE : 0;
    switch (dir) {
        case DmaDirection::bidirectional: return prot | IOMMU_READ | IOMMU_WRITE;
        case DmaDirection::to_device: return prot | IOMMU_READ;
        case DmaDirection::from_device: return prot | IOMMU_WRITE;
    }
    return prot;
}

// iommu_dma_init_fq: a flush queue per CPU, when the driver can defer its flushes.
int init_flush_queues(DmaCookie& cookie) {
    if (cookie.fq_enabled) return 0;
    if (!cookie.domain.owner || !cookie.domain.owner->capable_deferred_flush()) return -EOPNOTSUPP;
    const CoreOptions& options = core().options;
    cookie.fq_size = options.fq_size;
    cookie.fq_timeout = sc_core::sc_time(options.fq_timeout_ms, sc_core::SC_MS);
    for (unsigned cpu = 0; cpu < kernel::Runtime::get().params().cpus; ++cpu)
        cookie.queues.push_back(std::make_unique<FlushQueue>());
    cookie.fq_enabled = true;
    return 0;
}

// Section 8.1: the IOVA space, its reserved ranges and, for DMA_FQ, the flush queues.
int init_domain(IommuDomain& domain, Device& dev) {
    DmaCookie* cookie = cookie_of(domain);
    if (!cookie || !domain.pgsize_bitmap) return -EINVAL;
    const std::uint64_t granule = domain.pgsize_bitmap & (~domain.pgsize_bitmap + 1);
    std::uint64_t start_pfn = std::max<std::uint64_t>(1, domain.geometry.aperture_start / granule);
    if (cookie->iovad) {
        // Every member shares the domain: it must agree on the layout.
        return cookie->granule == granule && cookie->start_pfn == start_pfn ? 0 : -EFAULT;
    }
    const unsigned cpus = kernel::Runtime::get().params().cpus;
    cookie->granule = granule;
    cookie->start_pfn = start_pfn;
    cookie->iovad = std::make_unique<IovaDomain>(granule, start_pfn, cpus);
    // Without deferred-flush support lazy mode is impossible: silently strict (as Linux does).
    if (domain.type == IOMMU_DOMAIN_DMA_FQ && init_flush_queues(*cookie) != 0) domain.type = IOMMU_DOMAIN_DMA;
    std::vector<IommuResvRegion> regions;
    iommu_get_resv_regions(dev, regions);
    for (const IommuResvRegion& region : regions) {
        if (region.type == ResvType::sw_msi || !region.length) continue;
        cookie->iovad->reserve_iova(region.start / granule, (region.start + region.length - 1) / granule);
    }
    return 0;
}

// iommu_dma_alloc_iova: top-down below the mask; PCI devices try 32-bit IOVAs first.
std::uint64_t alloc_iova(DmaCookie& cookie, Device& dev, std::uint64_t size, std::uint64_t dma_limit) {
    const IommuDomain& domain = cookie.domain;
    dma_limit = std::min(dma_limit, domain.geometry.aperture_end);
    const std::uint64_t pages = size / cookie.granule;
    const unsigned cpu = kernel::smp_processor_id();
    std::optional<Iova> iova;
    cookie.iova_lock.lock_irqsave();
    if (dev.iommu && dev.iommu->pci_32bit_workaround && dma_limit > kDma32Limit) {
        iova = cookie.iovad->alloc_iova_fast(pages, cookie.pfn_of(kDma32Limit), cpu, false);
        if (!iova) dev.iommu->pci_32bit_workaround = false;  // for good, as Linux
    }
    if (!iova) iova = cookie.iovad->alloc_iova_fast(pages, cookie.pfn_of(dma_limit), cpu, true);
    cookie.iova_lock.unlock_irqrestore();
    return iova ? iova->pfn_lo * cookie.granule : 0;
}

// The deferred attach of section 6, when the crash-kernel key is on.
bool deferred_attach_failed(Device& dev, IommuDomain& domain) {
    return iommu_deferred_attach_enabled() && iommu_deferred_attach(dev, domain) != 0;
}

// __iommu_dma_map: one physically contiguous buffer.
std::uint64_t map_buffer(Device& dev, std::uint64_t paddr, std::uint64_t size, int prot, std::uint64_t dma_mask) {
    IommuDomain* domain = iommu_get_dma_domain(dev);
    DmaCookie* cookie = domain ? cookie_of(*domain) : nullptr;
    if (!cookie || !cookie->iovad || deferred_attach_failed(dev, *domain)) return DMA_MAPPING_ERROR;
    const std::uint64_t offset = paddr & (cookie->granule - 1);
    const std::uint64_t mapped_size = (size + offset + cookie->granule - 1) & ~(cookie->granule - 1);
    kernel::interleaving_point("dma.map.before_iova_alloc:", dev.name());
    const std::uint64_t iova = alloc_iova(*cookie, dev, mapped_size, dma_mask);
    if (!iova) {
        ++cookie->stats.map_failures;
        return DMA_MAPPING_ERROR;
    }
    kernel::interleaving_point("dma.map.before_iommu_map:", dev.name());
    if (iommu_map(*domain, iova, paddr - offset, mapped_size, prot)) {
        cookie->free_iova(cookie->pfn_of(iova), mapped_size / cookie->granule);  // never through the queue
        ++cookie->stats.map_failures;
        return DMA_MAPPING_ERROR;
    }
    ++cookie->stats.maps;
    return iova + offset;
}

// __iommu_dma_unmap: strict syncs before the IOVA is freed; lazy queues it.
void unmap_buffer(Device& dev, std::uint64_t dma_addr, std::uint64_t size) {
    IommuDomain* domain = iommu_get_dma_domain(dev);
    DmaCookie* cookie = domain ? cookie_of(*domain) : nullptr;
    if (!cookie || !cookie->iovad) return;
    const std::uint64_t offset = dma_addr & (cookie->granule - 1);
    const std::uint64_t iova = dma_addr - offset;
    const std::uint64_t unmap_size = (size + offset + cookie->granule - 1) & ~(cookie->granule - 1);
    IommuIotlbGather gather;
    gather.queued = cookie->fq_enabled;
    const std::uint64_t unmapped = iommu_unmap_fast(*domain, iova, unmap_size, gather);
    kernel::warn_on(unmapped != unmap_size, "dma_unmap_size", domain->name + " " + std::to_string(unmapped) +
                                                                  " of " + std::to_string(unmap_size));
    ++cookie->stats.unmaps;
    kernel::interleaving_point("dma.unmap.before_sync:", dev.name());
    if (gather.queued) {
        cookie->queue_iova(cookie->pfn_of(iova), unmap_size / cookie->granule, std::move(gather.freelist));
        return;
    }
    iommu_iotlb_sync(*domain, gather);
    ++cookie->stats.strict_syncs;
    cookie->free_iova(cookie->pfn_of(iova), unmap_size / cookie->granule);
    cookie->free_pages(gather.freelist);
}

}  // namespace

int iommu_get_dma_cookie(IommuDomain& domain) {
    if (domain.cookie_type != IommuDomain::CookieType::none) return -EEXIST;
    domain.cookie_type = IommuDomain::CookieType::dma_iova;
    domain.iova_cookie = std::make_shared<DmaCookie>(domain);
    return 0;
}

void iommu_put_dma_cookie(IommuDomain& domain) {
    if (DmaCookie* cookie = cookie_of(domain)) cookie->drop_queues();
    domain.iova_cookie.reset();
    domain.cookie_type = IommuDomain::CookieType::none;
}

void iommu_setup_dma_ops(Device& dev, IommuDomain* domain) {
    kernel::assert_held(dev.iommu_group->mutex);  // rule L7
    if (kernel::dev_is_pci(dev) && dev.iommu) dev.iommu->pci_32bit_workaround = true;
    dev.dma_iommu = domain && iommu_is_dma_domain_type(domain->type);
    if (dev.dma_iommu && init_domain(*domain, dev) != 0) {
        // Linux keeps the platform's direct DMA then.
        kernel::warn_on(true, "iommu_dma_setup_failed", dev.name());
        dev.dma_iommu = false;
    }
}

int iommu_dma_init_fq(IommuDomain& domain) {
    DmaCookie* cookie = cookie_of(domain);
    return cookie && cookie->iovad ? init_flush_queues(*cookie) : -EINVAL;
}

const DmaDomainStats* iommu_dma_stats(const IommuDomain& domain) {
    const DmaCookie* cookie = cookie_of(domain);
    return cookie ? &cookie->stats : nullptr;
}

std::uint64_t dma_map_single(Device& dev, std::uint64_t paddr, std::uint64_t size, DmaDirection dir) {
    if (!size) return DMA_MAPPING_ERROR;
    if (!dev.dma_iommu)  // dma-direct: the device reaches memory by its physical address
        return paddr + size - 1 <= dev.dma_mask ? paddr : DMA_MAPPING_ERROR;
    return map_buffer(dev, paddr, size, dma_prot(dir, dev_is_dma_coherent(dev)), dev.dma_mask);
}

void dma_unmap_single(Device& dev, std::uint64_t dma_addr, std::uint64_t size, DmaDirection) {
    if (dev.dma_iommu) unmap_buffer(dev, dma_addr, size);
}

int dma_map_sg(Device& dev, std::vector<ScatterEntry>& sg, DmaDirection dir) {
    if (sg.empty()) return 0;
    if (!dev.dma_iommu) {
        for (ScatterEntry& entry : sg) {
            if (entry.paddr + entry.length - 1 > dev.dma_mask) return 0;
            entry.dma_address = entry.paddr;
            entry.dma_length = entry.length;
        }
        return static_cast<int>(sg.size());
    }
    IommuDomain* domain = iommu_get_dma_domain(dev);
    DmaCookie* cookie = domain ? cookie_of(*domain) : nullptr;
    if (!cookie || !cookie->iovad || deferred_attach_failed(dev, *domain)) return 0;
    // One IOVA range for the whole list, each entry padded to whole granules.
    const std::uint64_t granule = cookie->granule;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> pieces;
    std::uint64_t total = 0;
    for (const ScatterEntry& entry : sg) {
        const std::uint64_t offset = entry.paddr & (granule - 1);
        const std::uint64_t padded = (entry.length + offset + granule - 1) & ~(granule - 1);
        pieces.emplace_back(entry.paddr - offset, padded);
        total += padded;
    }
    const std::uint64_t iova = alloc_iova(*cookie, dev, total, dev.dma_mask);
    if (!iova) {
        ++cookie->stats.map_failures;
        return 0;
    }
    if (iommu_map_pieces(*domain, iova, pieces, dma_prot(dir, dev_is_dma_coherent(dev)))) {
        cookie->free_iova(cookie->pfn_of(iova), total / granule);
        ++cookie->stats.map_failures;
        return 0;
    }
    ++cookie->stats.maps;
    // __finalise_sg: entries that continue the previous one in IOVA space merge into one segment.
    int segments = 0;
    ScatterEntry* open = nullptr;
    std::uint64_t cursor = iova;
    for (std::size_t i = 0; i < sg.size(); ++i) {
        ScatterEntry& entry = sg[i];
        const std::uint64_t address = cursor + (entry.paddr & (granule - 1));
        entry.dma_length = 0;
        if (open && open->dma_address + open->dma_length == address) {
            open->dma_length += entry.length;
        } else {
            open = &entry;
            entry.dma_address = address;
            entry.dma_length = entry.length;
            ++segments;
        }
        cursor += pieces[i].second;
    }
    return segments;
}

void dma_unmap_sg(Device& dev, std::vector<ScatterEntry>& sg, DmaDirection) {
    if (!dev.dma_iommu || sg.empty()) return;
    IommuDomain* domain = iommu_get_dma_domain(dev);
    DmaCookie* cookie = domain ? cookie_of(*domain) : nullptr;
    if (!cookie) return;
    // The whole range mapped for the list: from the first segment to the end of the last one.
    const std::uint64_t start = sg.front().dma_address & ~(cookie->granule - 1);
    std::uint64_t end = start;
    for (const ScatterEntry& entry : sg)
        if (entry.dma_length) end = entry.dma_address + entry.dma_length;
    unmap_buffer(dev, start, end - start);
}

std::optional<std::uint64_t> dma_alloc_coherent(Device& dev, std::uint64_t size, std::uint64_t& dma_handle) {
    const std::optional<std::uint64_t> paddr = kernel::dma_alloc_coherent(size);
    if (!paddr) return std::nullopt;
    if (!dev.dma_iommu) {
        dma_handle = *paddr;
        return paddr;
    }
    dma_handle = map_buffer(dev, *paddr, size, dma_prot(DmaDirection::bidirectional, true), dev.coherent_dma_mask);
    if (dma_mapping_error(dma_handle)) {
        kernel::dma_free_coherent(*paddr);
        return std::nullopt;
    }
    return paddr;
}

void dma_free_coherent(Device& dev, std::uint64_t size, std::uint64_t paddr, std::uint64_t dma_handle) {
    if (dev.dma_iommu) unmap_buffer(dev, dma_handle, size);
    kernel::dma_free_coherent(paddr);
}

}  // namespace iommu_vp::iommu
