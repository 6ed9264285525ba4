#include "models/common/random.h"

namespace iommu_vp {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

RandomStream::RandomStream(std::uint64_t seed) {
    for (std::uint64_t& word : state_) word = splitmix64(seed);
}

std::uint64_t RandomStream::next_u64() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
}

std::uint64_t RandomStream::uniform_below(std::uint64_t bound) {
    if (bound == 0) return 0;
    // Largest multiple of bound that fits: draws at or above it would bias the low values.
    const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % bound);
    std::uint64_t draw;
    do {
        draw = next_u64();
    } while (draw >= limit);
    return draw % bound;
}

std::uint64_t RandomStream::uniform_between(std::uint64_t lo, std::uint64_t hi) {
    if (hi <= lo) return lo;
    const std::uint64_t span = hi - lo;
    if (span == ~std::uint64_t{0}) return next_u64();
    return lo + uniform_below(span + 1);
}

double RandomStream::uniform_unit() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

bool RandomStream::bernoulli(double p) {
    if (p <= 0.0) return false;
    if (p >= 1.0) return true;
    return uniform_unit() < p;
}

std::uint64_t stream_seed(std::uint64_t run_seed, std::string_view stream_name) {
    std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a offset basis
    for (unsigned char c : stream_name) {
        hash ^= c;
        hash *= 0x100000001b3ULL;  // FNV-1a prime
    }
    std::uint64_t mix = run_seed ^ hash;
    return splitmix64(mix);
}

}  // namespace iommu_vp
