// Statistics that models expose: named counters and latency histograms in a named group, kept in the
// order they were declared so that every output built from them is deterministic. Models only count;
// the platform walks the groups and writes JSON.
#pragma once

#include "models/common/latency_histogram.h"

#include <cstdint>
#include <deque>
#include <string>

namespace iommu_vp {

struct Counter {
    std::string name;
    std::string description;
    std::uint64_t value = 0;

    void add(std::uint64_t n = 1) { value += n; }
    Counter& operator++() {
        ++value;
        return *this;
    }
};

struct NamedHistogram {
    std::string name;
    std::string description;
    LatencyHistogram histogram;
};

class StatsGroup {
public:
    explicit StatsGroup(std::string name) : name_(std::move(name)) {}

    // References stay valid for the group's lifetime (models keep them for the hot path).
    Counter& counter(std::string name, std::string description);
    LatencyHistogram& histogram(std::string name, std::string description);
    StatsGroup& child(std::string name);

    const std::string& name() const { return name_; }
    const std::deque<Counter>& counters() const { return counters_; }
    const std::deque<NamedHistogram>& histograms() const { return histograms_; }
    const std::deque<StatsGroup>& children() const { return children_; }

    const Counter* find_counter(const std::string& name) const;
    const LatencyHistogram* find_histogram(const std::string& name) const;

private:
    std::string name_;
    std::deque<Counter> counters_;
    std::deque<NamedHistogram> histograms_;
    std::deque<StatsGroup> children_;
};

// Implemented by every model that has statistics.
class StatsSource {
public:
    virtual ~StatsSource() = default;
    virtual const StatsGroup& stats() const = 0;
};

}  // namespace iommu_vp
