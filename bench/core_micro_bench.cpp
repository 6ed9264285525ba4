// Micro-benchmarks of the plain-C++ pieces every IOMMU model leans on in its hot path: cache
// look-ups, latency recording, register-bank accesses, sparse-memory reads, and what a log
// statement costs while its category is off (it must cost nothing measurable).
#include "models/common/latency_histogram.h"
#include "models/common/log.h"
#include "models/common/random.h"
#include "models/common/register_bank.h"
#include "models/common/set_assoc_cache.h"
#include "models/memory/sparse_store.h"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

namespace {

using namespace iommu_vp;

// A TLB-like geometry: 64 sets x 8 ways, page-number keys.
constexpr CacheGeometry kTlbGeometry{64, 8, ReplacementPolicy::lru};

void BM_CacheLookupHit(benchmark::State& state) {
    SetAssocCache<std::uint64_t, std::uint64_t> cache(kTlbGeometry);
    for (std::uint64_t page = 0; page < kTlbGeometry.entries(); ++page) cache.insert(page, page << 12);
    std::uint64_t page = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(cache.lookup(page));
        page = (page + 1) % kTlbGeometry.entries();
    }
}
BENCHMARK(BM_CacheLookupHit);

void BM_CacheMissAndFill(benchmark::State& state) {
    SetAssocCache<std::uint64_t, std::uint64_t> cache(kTlbGeometry);
    std::uint64_t page = 0;
    for (auto _ : state) {
        if (!cache.lookup(page)) cache.insert(page, page << 12);
        ++page;  // never repeats: every look-up misses and every fill evicts once the cache is full
    }
}
BENCHMARK(BM_CacheMissAndFill);

void BM_HistogramRecord(benchmark::State& state) {
    LatencyHistogram histogram;
    RandomStream random(1);
    std::vector<std::uint64_t> samples(4096);
    for (auto& sample : samples) sample = 1'000 + random.uniform_below(10'000'000);  // 1 ns .. 10 us in ps
    std::size_t i = 0;
    for (auto _ : state) {
        histogram.record_ps(samples[i]);
        i = (i + 1) % samples.size();
    }
    benchmark::DoNotOptimize(histogram.count());
}
BENCHMARK(BM_HistogramRecord);

RegisterBank make_bank() {
    RegisterBank bank("bench");
    RegisterSpec status;
    status.name = "STATUS";
    status.offset = 0x10;
    status.writable = 0xffff;
    status.w1c = 0xff0000;
    bank.add(status);
    return bank;
}

void BM_RegisterWriteLogOff(benchmark::State& state) {
    RegisterBank bank = make_bank();
    log::disable_all();
    std::uint64_t value = 0;
    for (auto _ : state) benchmark::DoNotOptimize(bank.write(0x10, 4, ++value));
}
BENCHMARK(BM_RegisterWriteLogOff);

void BM_SparseStoreRead64(benchmark::State& state) {
    SparseStore store(std::uint64_t{1} << 40);
    std::uint8_t line[64] = {1};
    for (std::uint64_t address = 0; address < (1u << 20); address += 64) store.write(address, line, sizeof line);
    std::uint64_t address = 0;
    for (auto _ : state) {
        store.read(address, line, sizeof line);
        benchmark::DoNotOptimize(line);
        address = (address + 64) % (1u << 20);
    }
}
BENCHMARK(BM_SparseStoreRead64);

// The same loop body with and without a log statement whose category is off; the two should be
// within noise of each other.
[[gnu::noinline]] std::uint64_t mix(std::uint64_t x) { return x * 0x9e3779b97f4a7c15ull + 1; }

void BM_LoopWithoutLog(benchmark::State& state) {
    std::uint64_t x = 1;
    for (auto _ : state) {
        x = mix(x);
        benchmark::DoNotOptimize(x);
    }
}
BENCHMARK(BM_LoopWithoutLog);

void BM_LoopWithDisabledLog(benchmark::State& state) {
    log::disable_all();
    std::uint64_t x = 1;
    for (auto _ : state) {
        x = mix(x);
        IVP_LOG(LogCategory::reg, "bench", "value " << x);
        benchmark::DoNotOptimize(x);
    }
}
BENCHMARK(BM_LoopWithDisabledLog);

}  // namespace

BENCHMARK_MAIN();
