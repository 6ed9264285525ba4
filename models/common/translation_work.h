// What one translation did, as an IOMMU's pure translation code reports it to the model, which
// counts it and turns it into latency (translation_stats.h).
#pragma once

#include "models/common/stats.h"

#include <string>

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

// One requester's statistics (an SMMUv3 stream, a VT-d source-id), under the same names in both
// models. The counters belong to the model's statistics group.
struct RequesterStats {
    Counter* translations = nullptr;
    Counter* faults = nullptr;
    Counter* tlb_hits = nullptr;
    Counter* walks = nullptr;
    Counter* descriptor_fetches = nullptr;

    // Registers the counters in a child group of `parent` called `name`.
    static RequesterStats create(StatsGroup& parent, const std::string& name);
    // Counts one translation (one page of a transaction) or fault and what it did (inline: it is on
    // every translation's path).
    void account(const TranslationWork& work, bool faulted) {
        ++*(faulted ? faults : translations);
        if (work.tlb_hit) ++*tlb_hits;
        if (work.descriptor_fetches) {
            ++*walks;
            descriptor_fetches->add(work.descriptor_fetches);
        }
    }
};

}  // namespace iommu_vp
