#include "models/common/translation_stats.h"

namespace iommu_vp {

TranslationStats::TranslationStats(StatsGroup& g)
    : bypassed(g.counter("bypassed", "transactions passed through untranslated (translation disabled)")),
      aborted(g.counter("aborted", "transactions terminated with an abort without a fault record")),
      translated(g.counter("translated", "transactions translated and passed downstream")),
      faults(g.counter("faults", "transactions terminated by a translation or configuration fault")),
      missing_attributes(g.counter("missing_master_attrs", "transactions without a MasterAttrs extension")),
      translation_latency(g.histogram("translation_latency", "IOMMU-added latency of a translated transaction")),
      tlb_hits(g.counter("tlb_hits", "translations found in the TLB")),
      tlb_misses(g.counter("tlb_misses", "TLB lookups that missed")),
      tlb_probes(g.counter("tlb_probes", "TLB probes (one per page size present, and per tag tried)")),
      walk_cache_hits(g.counter("walk_cache_hits", "walks that started from a table found in a walk cache")),
      walk_cache_misses(g.counter("walk_cache_misses", "walks that found no table in a walk cache")),
      config_hits(g.counter("config_cache_hits", "configuration structures found in a configuration cache")),
      config_misses(g.counter("config_cache_misses", "configuration structures fetched from memory")),
      walks(g.counter("walks", "translations that read descriptors or structures from memory")),
      descriptor_fetches(g.counter("descriptor_fetches", "configuration-structure and descriptor reads")),
      walk_queue_wait_ps(g.counter("walk_queue_wait_ps", "time walks waited for a free walker, in ps")),
      dmi_refused(g.counter("dmi_refused", "direct memory pointers refused to upstream masters")) {}

void account_walk(TranslationStats& stats, unsigned descriptor_fetches, const sc_core::sc_time& walk_step,
                  BusyUntilResource& walkers, const sc_core::sc_time& walk_started, sc_core::sc_time& delay) {
    // A walk: the walker's own work per read, and a wait for a free walker. The memory reads are
    // already in `delay`; the walk occupies a walker for all of it.
    ++stats.walks;
    stats.descriptor_fetches.add(descriptor_fetches);
    delay += sc_core::sc_time::from_value(walk_step.value() * descriptor_fetches);
    // No request can arrive before the kernel's current time: older bookings can go.
    walkers.forget_before(static_cast<std::uint64_t>(sc_core::sc_time_stamp().value()));
    const std::uint64_t arrival = static_cast<std::uint64_t>((sc_core::sc_time_stamp() + walk_started).value());
    const std::uint64_t duration = static_cast<std::uint64_t>((delay - walk_started).value());
    const std::uint64_t start = walkers.book(arrival, duration);
    const std::uint64_t wait = start - arrival;
    stats.walk_queue_wait_ps.add(wait);
    delay += sc_core::sc_time::from_value(wait);
}

}  // namespace iommu_vp
