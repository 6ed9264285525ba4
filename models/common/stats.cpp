#include "models/common/stats.h"

#include "models/common/translation_work.h"

#include <stdexcept>

namespace iommu_vp {

Counter& StatsGroup::counter(std::string name, std::string description) {
    if (find_counter(name)) throw std::logic_error(name_ + ": counter " + name + " declared twice");
    return counters_.emplace_back(Counter{std::move(name), std::move(description), 0});
}

LatencyHistogram& StatsGroup::histogram(std::string name, std::string description) {
    if (find_histogram(name)) throw std::logic_error(name_ + ": histogram " + name + " declared twice");
    return histograms_.emplace_back(NamedHistogram{std::move(name), std::move(description), LatencyHistogram()})
        .histogram;
}

StatsGroup& StatsGroup::child(std::string name) {
    for (StatsGroup& group : children_)
        if (group.name() == name) return group;
    return children_.emplace_back(std::move(name));
}

const Counter* StatsGroup::find_counter(const std::string& name) const {
    for (const Counter& c : counters_)
        if (c.name == name) return &c;
    return nullptr;
}

const LatencyHistogram* StatsGroup::find_histogram(const std::string& name) const {
    for (const NamedHistogram& h : histograms_)
        if (h.name == name) return &h.histogram;
    return nullptr;
}

RequesterStats RequesterStats::create(StatsGroup& parent, const std::string& name) {
    StatsGroup& group = parent.child(name);
    RequesterStats s;
    s.translations = &group.counter("translations", "translations done (one per page a transaction touches)");
    s.faults = &group.counter("faults", "transactions of this requester terminated by a fault");
    s.tlb_hits = &group.counter("tlb_hits", "translations found in the TLB");
    s.walks = &group.counter("walks", "translations that read from memory");
    s.descriptor_fetches = &group.counter("descriptor_fetches", "configuration-structure and descriptor reads");
    return s;
}


}  // namespace iommu_vp
