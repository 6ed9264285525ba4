// Test doubles for the io-pgtable seams: a recording IoPgtableMemory (a map of 64-bit words, a bump
// allocator of naturally aligned tables, every access, compare-and-set and publish in one event log)
// and a recording IommuFlushOps. The memory counts accesses outside live tables (use after free,
// stray pointers) instead of failing, so tests can assert that there were none.
//
// Pure C++, no SystemC.
#pragma once

#include "sw_stack/iommu/pgtable/io_pgtable.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

namespace iommu_vp::iommu::testing {

struct MemoryEvent {
    enum class Kind { alloc, free, write, cmpxchg, publish };
    Kind kind;
    std::uint64_t address = 0;
    std::uint64_t value = 0;   // write: the value; cmpxchg: the desired value
    std::size_t bytes = 0;     // alloc / free: the table's size
    bool swapped = false;      // cmpxchg: the expected value was there
};

class FakePgtableMemory : public iommu::IoPgtableMemory {
public:
    // Tables are handed out upwards from `base`; test output addresses should stay clear of it.
    explicit FakePgtableMemory(std::uint64_t base = 0xC000'0000ull) : next_(base) {}

    std::optional<std::uint64_t> alloc_table(std::size_t bytes) override {
        if (fail_allocations_after && allocations_ >= *fail_allocations_after) return std::nullopt;
        ++allocations_;
        next_ = (next_ + bytes - 1) & ~(std::uint64_t{bytes} - 1);
        const std::uint64_t address = next_;
        next_ += bytes;
        for (std::uint64_t a = address; a < address + bytes; a += 8) words_.erase(a);  // reads as zeros
        live_[address] = bytes;
        events.push_back({MemoryEvent::Kind::alloc, address, 0, bytes, false});
        return address;
    }
    void free_table(std::uint64_t address, std::size_t bytes) override {
        const auto it = live_.find(address);
        if (it == live_.end() || it->second != bytes) {
            ++bad_frees;
        } else {
            live_.erase(it);
        }
        events.push_back({MemoryEvent::Kind::free, address, 0, bytes, false});
    }
    std::uint64_t read64(std::uint64_t address) override {
        check(address);
        return word(address);
    }
    void write64(std::uint64_t address, std::uint64_t value) override {
        check(address);
        words_[address] = value;
        events.push_back({MemoryEvent::Kind::write, address, value, 0, false});
    }
    std::uint64_t cmpxchg64(std::uint64_t address, std::uint64_t expected, std::uint64_t desired) override {
        if (before_cmpxchg) before_cmpxchg(address);
        check(address);
        const std::uint64_t old = word(address);
        if (old == expected) words_[address] = desired;
        events.push_back({MemoryEvent::Kind::cmpxchg, address, desired, 0, old == expected});
        return old;
    }
    void publish() override {
        ++publishes;
        events.push_back({MemoryEvent::Kind::publish, 0, 0, 0, false});
    }

    // What memory holds (0 where nothing was written).
    std::uint64_t word(std::uint64_t address) const {
        const auto it = words_.find(address);
        return it == words_.end() ? 0 : it->second;
    }
    // A racing mapper's write, outside the event log.
    void poke(std::uint64_t address, std::uint64_t value) { words_[address] = value; }
    std::size_t live_tables() const { return live_.size(); }
    bool is_live_table(std::uint64_t address) const { return live_.count(address) != 0; }
    std::size_t table_bytes(std::uint64_t address) const {
        const auto it = live_.find(address);
        return it == live_.end() ? 0 : it->second;
    }
    std::size_t count(MemoryEvent::Kind kind) const {
        std::size_t n = 0;
        for (const MemoryEvent& e : events) n += e.kind == kind;
        return n;
    }

    std::vector<MemoryEvent> events;
    int publishes = 0;
    int bad_accesses = 0;  // misaligned, or outside every live table
    int bad_frees = 0;
    std::optional<std::size_t> fail_allocations_after;  // allocations that succeed before failures
    std::function<void(std::uint64_t address)> before_cmpxchg;

private:
    void check(std::uint64_t address) {
        if (address % 8 != 0) {
            ++bad_accesses;
            return;
        }
        auto it = live_.upper_bound(address);
        if (it == live_.begin()) {
            ++bad_accesses;
            return;
        }
        --it;
        if (address >= it->first + it->second) ++bad_accesses;
    }

    std::uint64_t next_;
    std::size_t allocations_ = 0;
    std::map<std::uint64_t, std::uint64_t> words_;
    std::map<std::uint64_t, std::size_t> live_;
};

// Records the flush callbacks; tlb_add_page feeds the gather as iommu_iotlb_gather_add_page does,
// counting the syncs a driver would have had to issue first.
class RecordingFlushOps : public iommu::IommuFlushOps {
public:
    struct Walk {
        std::uint64_t iova;
        std::uint64_t size;
        std::uint64_t granule;
    };
    struct Page {
        std::uint64_t iova;
        std::uint64_t granule;
    };

    void tlb_flush_all() override { ++flush_all; }
    void tlb_flush_walk(std::uint64_t iova, std::uint64_t size, std::uint64_t granule) override {
        walks.push_back({iova, size, granule});
    }
    void tlb_add_page(iommu::IommuIotlbGather& gather, std::uint64_t iova, std::uint64_t granule) override {
        pages.push_back({iova, granule});
        if (!gather.add_page(iova, granule)) {
            ++syncs;
            gather.start = ~0ull;
            gather.end = 0;
            gather.pgsize = 0;
            gather.add_page(iova, granule);
        }
    }

    int flush_all = 0;
    int syncs = 0;
    std::vector<Walk> walks;
    std::vector<Page> pages;
};

// Every table linked with a compare-and-set was published after its allocation and after the last
// write into it, and before the link: the order a concurrent walker needs. Returns the number of
// links checked; `failures` collects the addresses of tables linked too early.
inline std::size_t check_publish_before_link(const std::vector<MemoryEvent>& events,
                                             std::vector<std::uint64_t>& failures) {
    std::size_t links = 0;
    for (std::size_t k = 0; k < events.size(); ++k) {
        const MemoryEvent& link = events[k];
        if (link.kind != MemoryEvent::Kind::cmpxchg || !link.swapped) continue;
        // The table address in every modelled format's link: bits [47:12] (bits [51:48] unused here).
        const std::uint64_t table = link.value & 0x0000'FFFF'FFFF'F000ull;
        std::optional<std::size_t> alloc;
        std::size_t bytes = 0;
        for (std::size_t i = k; i-- > 0;) {
            if (events[i].kind == MemoryEvent::Kind::alloc && events[i].address == table) {
                alloc = i;
                bytes = events[i].bytes;
                break;
            }
        }
        if (!alloc) {
            failures.push_back(table);
            continue;
        }
        std::size_t last_fill = *alloc;
        for (std::size_t i = *alloc; i < k; ++i) {
            const MemoryEvent& e = events[i];
            if (e.kind == MemoryEvent::Kind::write && e.address >= table && e.address < table + bytes) last_fill = i;
        }
        bool published = false;
        for (std::size_t i = last_fill + 1; i < k; ++i) published |= events[i].kind == MemoryEvent::Kind::publish;
        if (!published) failures.push_back(table);
        ++links;
    }
    return links;
}

}  // namespace iommu_vp::iommu::testing
