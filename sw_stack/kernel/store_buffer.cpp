#include "sw_stack/kernel/store_buffer.h"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <unordered_map>
#include <utility>

namespace iommu_vp {
namespace kernel {
namespace {

// The widest single-copy-atomic store the modelled CPUs make (an aligned STR Xn / MOVQ).
constexpr std::uint64_t kAtomicUnitBytes = 8;

constexpr std::uint64_t kLastAddress = std::numeric_limits<std::uint64_t>::max();

bool is_power_of_two(std::uint64_t value) { return value != 0 && (value & (value - 1)) == 0; }

// True if [address, address + length) ends below 2^64, so its end can be held in a uint64_t.
bool fits_address_space(std::uint64_t address, std::size_t length) { return length <= kLastAddress - address; }

// Bytes from `address` to the end of its naturally aligned doubleword.
std::uint64_t bytes_to_unit_end(std::uint64_t address) { return kAtomicUnitBytes - (address % kAtomicUnitBytes); }

// For each unit (by index, in program order), the later units that must stay behind it. An edge joins
// consecutive writers of each byte: every pair of units sharing a byte is then ordered through that
// byte's chain, with at most eight edges per unit however long the buffer is.
std::vector<std::vector<std::size_t>> coherence_successors(const std::vector<BufferedStore>& units) {
    std::vector<std::vector<std::size_t>> successors(units.size());
    std::unordered_map<std::uint64_t, std::size_t> last_writer;  // byte address -> unit index
    for (std::size_t unit = 0; unit < units.size(); ++unit) {
        const BufferedStore& store = units[unit];
        for (std::uint64_t offset = 0; offset < store.bytes.size(); ++offset) {
            auto [it, first_writer] = last_writer.try_emplace(store.address + offset, unit);
            if (first_writer) continue;
            std::vector<std::size_t>& after = successors[it->second];
            if (after.empty() || after.back() != unit) after.push_back(unit);  // one edge per pair
            it->second = unit;
        }
    }
    return successors;
}

}  // namespace

std::uint64_t SplitMix64::next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

std::uint64_t SplitMix64::below(std::uint64_t bound) {
    if (bound == 0) return 0;
    // 2^64 mod bound: the draws below it belong to an incomplete last interval and would favour the
    // low results, so they are drawn again.
    const std::uint64_t biased_draws = (0 - bound) % bound;
    std::uint64_t draw;
    do {
        draw = next();
    } while (draw < biased_draws);
    return draw % bound;
}

StoreBuffer::StoreBuffer(OrderingMode mode, std::uint64_t seed, unsigned cache_line_bytes)
    : mode_(mode), random_(seed), cache_line_bytes_(cache_line_bytes) {
    if (!is_power_of_two(cache_line_bytes) || cache_line_bytes < kAtomicUnitBytes)
        throw std::invalid_argument("StoreBuffer: cache_line_bytes must be a power of two of at least 8");
}

void StoreBuffer::store(std::uint64_t address, const std::uint8_t* data, std::size_t length) {
    if (!fits_address_space(address, length))
        throw std::invalid_argument("StoreBuffer::store: a store must end below 2^64");
    std::size_t done = 0;
    while (done < length) {
        const std::uint64_t unit_address = address + done;
        const std::size_t unit_length =
            static_cast<std::size_t>(std::min<std::uint64_t>(bytes_to_unit_end(unit_address), length - done));
        pending_.push_back(BufferedStore{unit_address, std::vector<std::uint8_t>(data + done, data + done + unit_length),
                                         next_sequence_++});
        done += unit_length;
    }
}

void StoreBuffer::forward(std::uint64_t address, std::uint8_t* data, std::size_t length) const {
    if (!fits_address_space(address, length))
        throw std::invalid_argument("StoreBuffer::forward: a load must end below 2^64");
    const std::uint64_t end = address + length;
    // Program order, so a newer store to a byte overwrites what an older one put there.
    for (const BufferedStore& store : pending_) {
        const std::uint64_t store_end = store.address + store.bytes.size();
        const std::uint64_t first = std::max(address, store.address);
        const std::uint64_t last = std::min(end, store_end);
        for (std::uint64_t byte = first; byte < last; ++byte) data[byte - address] = store.bytes[byte - store.address];
    }
}

std::vector<BufferedStore> StoreBuffer::release_all() {
    if (mode_ == OrderingMode::checking) return release_in_seeded_order();
    std::vector<BufferedStore> released = std::move(pending_);
    pending_.clear();
    return released;
}

// A random topological order of the coherence graph: at each step any unit whose earlier same-byte
// writers are all out may go next, and the seed picks which.
std::vector<BufferedStore> StoreBuffer::release_in_seeded_order() {
    const std::vector<std::vector<std::size_t>> successors = coherence_successors(pending_);
    std::vector<std::size_t> writers_ahead(pending_.size(), 0);
    for (const std::vector<std::size_t>& after : successors)
        for (std::size_t unit : after) ++writers_ahead[unit];

    std::vector<std::size_t> ready;
    for (std::size_t unit = 0; unit < pending_.size(); ++unit)
        if (writers_ahead[unit] == 0) ready.push_back(unit);

    std::vector<BufferedStore> released;
    released.reserve(pending_.size());
    while (!ready.empty()) {
        const std::size_t pick = static_cast<std::size_t>(random_.below(ready.size()));
        const std::size_t unit = ready[pick];
        ready[pick] = ready.back();
        ready.pop_back();
        released.push_back(std::move(pending_[unit]));
        for (std::size_t next : successors[unit])
            if (--writers_ahead[next] == 0) ready.push_back(next);
    }
    pending_.clear();
    return released;
}

std::size_t StoreBuffer::pending_cache_lines() const {
    std::vector<std::uint64_t> lines;
    lines.reserve(pending_.size());
    for (const BufferedStore& store : pending_) lines.push_back(store.address / cache_line_bytes_);
    std::sort(lines.begin(), lines.end());
    return static_cast<std::size_t>(std::unique(lines.begin(), lines.end()) - lines.begin());
}

}  // namespace kernel
}  // namespace iommu_vp
