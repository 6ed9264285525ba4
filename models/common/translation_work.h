// What one translation did, as an IOMMU's pure translation code reports it to the model, which
// counts it and turns it into latency (translation_stats.h).
#pragma once

namespace iommu_vp {

struct TranslationWork {
    unsigned config_hits = 0;       // configuration structures found in a cache (STE/CD, context/PASID)
    unsigned config_fetches = 0;    // configuration structures read from memory
    bool tlb_looked_up = false;
    bool tlb_hit = false;
    unsigned tlb_probes = 0;
    unsigned walk_cache_hits = 0;   // walks that started below their first level thanks to a walk cache
    unsigned walk_cache_misses = 0; // walks that found nothing in a walk cache
    unsigned descriptor_fetches = 0;  // every table read (configuration structures and page tables)
};

}  // namespace iommu_vp
