// The statistics every IOMMU model keeps about device traffic, under the same names and meanings, so
// a study can compare SMMUv3 and VT-d column by column, and the one place that turns what a
// translation did (cache look-ups, table reads) into added latency and walker occupancy.
#pragma once

#include "models/common/busy_until.h"
#include "models/common/latency_histogram.h"
#include "models/common/stats.h"
#include "models/common/translation_work.h"

#include <systemc>

namespace iommu_vp {

struct TranslationStats {
    explicit TranslationStats(StatsGroup& group);

    Counter& bypassed;
    Counter& aborted;
    Counter& translated;
    Counter& faults;
    Counter& missing_attributes;
    LatencyHistogram& translation_latency;
    Counter& tlb_hits;
    Counter& tlb_misses;
    Counter& tlb_probes;
    Counter& walk_cache_hits;
    Counter& walk_cache_misses;
    Counter& config_hits;
    Counter& config_misses;
    Counter& walks;
    Counter& descriptor_fetches;
    Counter& walk_queue_wait_ps;
    Counter& dmi_refused;
};

// The model's costs of that work on top of the memory reads themselves.
struct TranslationCosts {
    sc_core::sc_time config_hit;   // per configuration-cache hit
    sc_core::sc_time tlb_lookup;   // per TLB look-up, hit or miss
    sc_core::sc_time walk_step;    // walker work per table read
};

// The walk part of account_translation_work (out of line: a warm TLB makes walks rare).
void account_walk(TranslationStats& stats, unsigned descriptor_fetches, const sc_core::sc_time& walk_step,
                  BusyUntilResource& walkers, const sc_core::sc_time& walk_started, sc_core::sc_time& delay);

// Counts `work` and adds its costs to `delay`. A translation that read memory occupies one of the
// `walkers` from `walk_started` (the delay when it began) to its end, and waits for a free walker
// first; the wait is added to `delay` too. Inline: it runs on every translation, and a hit only
// counts and adds.
inline void account_translation_work(TranslationStats& stats, const TranslationWork& work,
                                     const TranslationCosts& costs, BusyUntilResource& walkers,
                                     const sc_core::sc_time& walk_started, sc_core::sc_time& delay) {
    stats.config_hits.add(work.config_hits);
    stats.config_misses.add(work.config_fetches);
    // n hits cost n times the hit cost: added n times (the same sum as from_value(value * n), without
    // a library call; n is the handful of configuration structures a translation uses).
    for (unsigned i = 0; i < work.config_hits; ++i) delay += costs.config_hit;
    if (work.tlb_looked_up) {
        ++(work.tlb_hit ? stats.tlb_hits : stats.tlb_misses);
        stats.tlb_probes.add(work.tlb_probes);
        delay += costs.tlb_lookup;
    }
    stats.walk_cache_hits.add(work.walk_cache_hits);
    stats.walk_cache_misses.add(work.walk_cache_misses);
    if (work.descriptor_fetches != 0)
        account_walk(stats, work.descriptor_fetches, costs.walk_step, walkers, walk_started, delay);
}

}  // namespace iommu_vp
