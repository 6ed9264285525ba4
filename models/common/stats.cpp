#include "models/common/stats.h"

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

}  // namespace iommu_vp
