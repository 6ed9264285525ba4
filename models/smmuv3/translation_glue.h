// What the Smmuv3 module's translation paths share (smmuv3_translation.cpp for ordinary traffic,
// smmuv3_ats.cpp for ATS requests and PRI): table and structure reads through the downstream socket,
// and a TranslationResult's work in the shared accounting's words. Internal to the model.
#pragma once

#include "models/common/downstream_access.h"
#include "models/common/translation_work.h"
#include "models/smmuv3/translate.h"

#include <systemc>

namespace iommu_vp::smmuv3 {

// Table and configuration-structure reads through the downstream socket (timed, or debug when
// there is no delay), and HTTU's descriptor compare-and-swap (never a write when debug).
class DownstreamReader : public TableReader {
public:
    DownstreamReader(DownstreamAccess::Socket& socket, sc_core::sc_time* delay, PayloadPool& pool)
        : access_(socket, delay, pool) {}
    bool read(std::uint64_t address, std::uint8_t* bytes, unsigned length) override {
        return access_.read(address, bytes, length);
    }
    bool compare_exchange64(std::uint64_t address, std::uint64_t expected, std::uint64_t desired,
                            std::uint64_t& observed) override {
        return access_.compare_exchange64(address, expected, desired, observed);
    }

private:
    DownstreamAccess access_;
};

// What a translation did, in the words of the shared accounting.
inline TranslationWork translation_work(const TranslationResult& result) {
    TranslationWork work;
    work.config_hits = (result.ste_cache_hit ? 1u : 0u) + (result.cd_cache_hit ? 1u : 0u);
    work.config_fetches = (result.ste_fetched ? 1u : 0u) + (result.cd_fetched ? 1u : 0u);
    work.tlb_looked_up = result.tlb_looked_up;
    work.tlb_hit = result.tlb_hit;
    work.tlb_probes = result.tlb_probes;
    work.walk_cache_hits = result.walk_cache_hits;
    work.walk_cache_misses = result.walk_cache_misses;
    work.descriptor_fetches = result.descriptor_fetches;
    return work;
}

}  // namespace iommu_vp::smmuv3
