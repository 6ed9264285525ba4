// The simulated CPU's store buffer: the memory model that decides when a CPU store to physical memory
// becomes visible to the hardware models (DMA masters, IOMMU table walkers, queue consumers).
//
// A real CPU only promises ordering at a few points: a write barrier (dma_wmb(), wmb()), an MMIO write
// with its implied barrier (writel()), a release (spin_unlock()). Between those points stores may reach
// memory late and in any order, except that stores to the same bytes stay in program order (coherence)
// and a naturally aligned 8-byte store is never torn (single-copy atomicity). The runtime buffers each
// store here and calls release_all() at those points, so a driver that rings a doorbell without a
// dma_wmb(), or updates a live table entry in an unsafe order, lets the hardware see the wrong thing.
//
//   program_order  the default: stores are released in program order (what most CPUs do most of the
//                  time); the runtime charges a cost per pending cache line.
//   checking       stores are released in an order drawn from a seed, so a test proves that a driver's
//                  correctness rests on its barriers and not on luck. Only coherence and atomicity are
//                  kept; every other reordering the architecture allows can happen.
//
// What is modelled: store-to-load forwarding, coherence per byte, atomicity per naturally aligned
// doubleword. What is not: loads passing loads, early partial drains between barriers (the runtime
// decides when to drain), and read-modify-write atomics. cmpxchg() and the other fully ordered atomics
// are built by the runtime from these pieces: release_all() (the implied full barrier), a load with
// forward(), then the new value stored and released as one 8-byte unit.
//
// Pure C++, no SystemC.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace iommu_vp {
namespace kernel {

// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014;
// the reference code is at prng.di.unimi.it/splitmix64.c). Implemented here rather than taken from
// <random>, whose distributions differ between standard libraries: a seed must name the same release
// order on every host.
class SplitMix64 {
public:
    explicit SplitMix64(std::uint64_t seed) : state_(seed) {}

    std::uint64_t next();
    // Uniform in [0, bound) for bound > 0, without modulo bias; 0 for bound 0.
    std::uint64_t below(std::uint64_t bound);

private:
    std::uint64_t state_;
};

enum class OrderingMode { program_order, checking };

// One unit of visibility: the bytes of one store, or one doubleword-sized piece of a longer one.
// A unit never crosses a naturally aligned 8-byte boundary and is always released whole.
struct BufferedStore {
    std::uint64_t address;
    std::vector<std::uint8_t> bytes;
    std::uint64_t sequence;  // program order: increases with every unit for the buffer's lifetime
};

class StoreBuffer {
public:
    // Throws std::invalid_argument unless cache_line_bytes is a power of two of at least 8 (a unit must
    // fit in one line).
    StoreBuffer(OrderingMode mode, std::uint64_t seed, unsigned cache_line_bytes = 64);

    // Buffers a store of `length` bytes. The store is cut at naturally aligned 8-byte boundaries and each
    // piece is one unit: a naturally aligned store of up to 8 bytes is therefore a single unit (single-copy
    // atomic), while a misaligned or memcpy-style store becomes several units with no atomicity between
    // them. A zero-length store buffers nothing (like memcpy(dst, src, 0)). Throws std::invalid_argument
    // unless the store ends below 2^64 (physical addresses have at most 52 bits, so only a caller's bug
    // gets there; forward() checks its range the same way).
    void store(std::uint64_t address, const std::uint8_t* data, std::size_t length);

    // Store-to-load forwarding: overlays the buffered bytes for [address, address + length) onto `data`,
    // which holds what memory returned; the newest store to a byte wins.
    void forward(std::uint64_t address, std::uint8_t* data, std::size_t length) const;

    // Everything buffered, in the order it becomes visible; the buffer is empty afterwards. In checking
    // mode the order is a permutation drawn from the seed in which units that share a byte keep their
    // program order. The generator is not reseeded between calls, so one seed names a whole run.
    std::vector<BufferedStore> release_all();

    std::size_t pending_stores() const { return pending_.size(); }  // units, not store() calls
    std::size_t pending_cache_lines() const;                         // distinct lines, for the release cost
    bool empty() const { return pending_.empty(); }

    OrderingMode mode() const { return mode_; }
    unsigned cache_line_bytes() const { return cache_line_bytes_; }

private:
    std::vector<BufferedStore> release_in_seeded_order();

    OrderingMode mode_;
    SplitMix64 random_;
    unsigned cache_line_bytes_;
    std::uint64_t next_sequence_ = 0;
    std::vector<BufferedStore> pending_;  // in program order
};

}  // namespace kernel
}  // namespace iommu_vp
