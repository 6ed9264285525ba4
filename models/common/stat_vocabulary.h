// Statistic names every IOMMU model uses, so a study can compare SMMUv3 and VT-d column by column.
// Counters count events; histograms hold latencies in picoseconds.
#pragma once

namespace iommu_vp::stat_names {

inline constexpr const char* kTranslations = "translations";              // upstream transactions translated or bypassed
inline constexpr const char* kFaults = "faults";                          // transactions terminated by a fault
inline constexpr const char* kTlbHits = "tlb_hits";
inline constexpr const char* kTlbMisses = "tlb_misses";
inline constexpr const char* kConfigCacheHits = "config_cache_hits";      // STE/CD or context/PASID entries
inline constexpr const char* kConfigCacheMisses = "config_cache_misses";
inline constexpr const char* kWalkCacheHits = "walk_cache_hits";
inline constexpr const char* kWalkCacheMisses = "walk_cache_misses";
inline constexpr const char* kWalks = "walks";                            // page-table walks started
inline constexpr const char* kDescriptorFetches = "descriptor_fetches";   // table-entry reads issued downstream
inline constexpr const char* kWalkQueueDelays = "walk_queue_delays";      // walks that waited for a free walker
inline constexpr const char* kTranslationLatency = "translation_latency"; // input to output, per transaction
inline constexpr const char* kWalkLatency = "walk_latency";
inline constexpr const char* kCommands = "commands";                      // commands or descriptors processed
inline constexpr const char* kInvalidations = "invalidations";

}  // namespace iommu_vp::stat_names
