// Deterministic random numbers: one generator per named stream, and the project's own distribution
// functions. The standard library's distributions are implementation-defined, so the same seed would
// give different traffic with another standard library; these give the same numbers everywhere.
#pragma once

#include <cstdint>
#include <string_view>

namespace iommu_vp {

// xoshiro256** (Blackman and Vigna, 2018), seeded through SplitMix64 as its authors recommend.
class RandomStream {
public:
    explicit RandomStream(std::uint64_t seed = 0);

    std::uint64_t next_u64();
    // Uniform in [0, bound); bound 0 returns 0. Unbiased (rejection of the short last interval).
    std::uint64_t uniform_below(std::uint64_t bound);
    // Uniform in [lo, hi] inclusive.
    std::uint64_t uniform_between(std::uint64_t lo, std::uint64_t hi);
    // Uniform in [0, 1) with 53 random bits.
    double uniform_unit();
    // True with probability p (p <= 0 never, p >= 1 always).
    bool bernoulli(double p);

private:
    std::uint64_t state_[4];
};

// Seed of a named stream: a stable hash (FNV-1a) of the name mixed with the run's seed, so adding a
// stream never shifts the numbers another stream draws.
std::uint64_t stream_seed(std::uint64_t run_seed, std::string_view stream_name);

}  // namespace iommu_vp
