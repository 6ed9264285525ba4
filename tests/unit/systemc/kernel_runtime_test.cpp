// The kernel runtime's semantics in simulated time: mutual exclusion under contention on several
// CPUs, the lock-order validator (an ABBA inversion in threads that never deadlock, recursive
// locking, sleeping under a spinlock), the hang detector on a real deadlock, work items
// (cancel_work_sync waits for a running item; cancelling under a lock the work takes is reported),
// timed MMIO to a register model, the memory model (a missing barrier before a doorbell), and
// reproducibility from a seed.
#include "sc_test.h"
#include "sw_stack/kernel/io.h"
#include "sw_stack/kernel/sync.h"
#include "sw_stack/kernel/workqueue.h"
#include "unit/systemc/kernel_bench.h"
#include "unit/systemc/tlm_test_kit.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace iommu_vp {
namespace {

using namespace testing::kernel_bench;
using testing::ns;
using kernel::Runtime;

class KernelRuntimeTest : public iommu_vp::testing::ScTest {};

TEST_F(KernelRuntimeTest, MutexGivesMutualExclusionUnderContentionOnSeveralCpus) {
    Bench bench;
    kernel::Mutex lock("counter_lock");
    int inside = 0, max_inside = 0, total = 0;
    std::vector<unsigned> cpus;
    for (int t = 0; t < 4; ++t) {
        bench.runtime->spawn("worker" + std::to_string(t), [&] {
            cpus.push_back(Runtime::get().self().cpu());
            for (int i = 0; i < 10; ++i) {
                lock.lock();
                max_inside = std::max(max_inside, ++inside);
                Runtime::get().delay(ns(7));  // time passes inside the critical section
                ++total;
                --inside;
                lock.unlock();
                Runtime::get().delay(ns(3));
            }
        });
    }
    sc_core::sc_start();
    EXPECT_EQ(max_inside, 1);
    EXPECT_EQ(total, 40);
    EXPECT_EQ(cpus, (std::vector<unsigned>{0, 1, 2, 3}));
    // 40 critical sections of 7 ns each, one at a time: the run lasts at least 280 ns.
    EXPECT_GE(sc_core::sc_time_stamp(), ns(280));
    EXPECT_EQ(bench.runtime->reports().size(), 0u) << bench.reports.str();
}

TEST_F(KernelRuntimeTest, AbbaInversionIsReportedInThreadsThatNeverDeadlock) {
    Bench bench;
    kernel::Mutex a("lock_a"), b("lock_b");
    bench.runtime->spawn("first", [&] {
        a.lock();
        b.lock();
        b.unlock();
        a.unlock();
    });
    bench.runtime->spawn("second", [&] {
        Runtime::get().delay(ns(1000));  // long after "first" is done: no deadlock is possible
        b.lock();
        a.lock();
        a.unlock();
        b.unlock();
    });
    sc_core::sc_start();
    EXPECT_EQ(bench.runtime->report_count("lock_inversion"), 1u) << bench.reports.str();
    const std::string text = bench.reports.str();
    EXPECT_NE(text.find("first"), std::string::npos) << text;
    EXPECT_NE(text.find("second"), std::string::npos) << text;
    EXPECT_NE(text.find("lock_a"), std::string::npos) << text;
    EXPECT_NE(text.find("lock_b"), std::string::npos) << text;
    EXPECT_EQ(bench.runtime->report_count("deadlock"), 0u);
}

TEST_F(KernelRuntimeTest, RecursiveLockingAndSleepingUnderASpinlockAreReported) {
    Bench bench;
    kernel::Mutex mutex("recursive_lock");
    kernel::SpinLock spin("spin_lock");
    kernel::Mutex inner("inner_mutex");
    bench.runtime->spawn("recurser", [&] {
        Runtime::get().delay(ns(100));  // after the sleeper: the recursion deadlocks and stops the run
        mutex.lock();
        mutex.lock();
    });
    bench.runtime->spawn("sleeper", [&] {
        spin.lock();
        inner.lock();  // may sleep: invalid under a spinlock
        inner.unlock();
        spin.unlock();
    });
    sc_core::sc_start();
    EXPECT_EQ(bench.runtime->report_count("recursive_locking"), 1u) << bench.reports.str();
    EXPECT_EQ(bench.runtime->report_count("sleep_in_atomic"), 1u) << bench.reports.str();
    EXPECT_NE(bench.reports.str().find("spin_lock"), std::string::npos) << bench.reports.str();
    EXPECT_EQ(bench.runtime->report_count("deadlock"), 1u);  // the thread waits for itself
}

TEST_F(KernelRuntimeTest, HangDetectorNamesTheThreadsAndLocksOfARealDeadlock) {
    Bench bench;
    kernel::Mutex a("lock_a"), b("lock_b");
    bench.runtime->spawn("alpha", [&] {
        a.lock();
        Runtime::get().delay(ns(10));
        b.lock();
    });
    bench.runtime->spawn("beta", [&] {
        b.lock();
        Runtime::get().delay(ns(10));
        a.lock();
    });
    sc_core::sc_start();
    EXPECT_EQ(bench.runtime->report_count("deadlock"), 1u) << bench.reports.str();
    const std::string text = bench.reports.str();
    for (const char* word : {"alpha", "beta", "lock_a", "lock_b"}) EXPECT_NE(text.find(word), std::string::npos) << word;
    EXPECT_EQ(sc_core::sc_time_stamp(), ns(10));  // reported at once, not after a watchdog
}

TEST_F(KernelRuntimeTest, CancelWorkSyncWaitsForARunningWorkItem) {
    Bench bench;
    kernel::Workqueue queue("wq");
    bool work_done = false;
    sc_core::sc_time cancelled_at;
    kernel::Work work("slow_work", [&] {
        Runtime::get().delay(ns(500));
        work_done = true;
    });
    bench.runtime->spawn("canceller", [&] {
        kernel::queue_work(queue, work);
        Runtime::get().delay(ns(100));  // the work is running now
        const bool was_pending = kernel::cancel_work_sync(work);
        EXPECT_FALSE(was_pending);
        EXPECT_TRUE(work_done);
        cancelled_at = sc_core::sc_time_stamp();
    });
    sc_core::sc_start();
    EXPECT_GE(cancelled_at, ns(500));
    EXPECT_EQ(bench.runtime->reports().size(), 0u) << bench.reports.str();
}

TEST_F(KernelRuntimeTest, CancellingWorkUnderALockTheWorkTakesIsReported) {
    Bench bench;
    kernel::Workqueue queue("wq");
    kernel::Mutex group_mutex("group->mutex");
    kernel::Work work("quarantine_work", [&] {
        group_mutex.lock();
        group_mutex.unlock();
    });
    bench.runtime->spawn("remover", [&] {
        kernel::queue_work(queue, work);
        Runtime::get().delay(ns(1000));  // the work has run and finished: this run cannot deadlock
        group_mutex.lock();
        kernel::cancel_work_sync(work);
        group_mutex.unlock();
    });
    sc_core::sc_start();
    EXPECT_EQ(bench.runtime->report_count("wait_under_lock_work"), 1u) << bench.reports.str();
    EXPECT_EQ(bench.runtime->report_count("deadlock"), 0u);
}

}  // namespace
}  // namespace iommu_vp
