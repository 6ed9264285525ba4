// The lock-order validator (iommu-core.md §14): order inversions reported when they become possible,
// not when they hang (L3), recursion (L1), unlock checks, sleeping under a spinlock (L9), lock
// assertions (L5-L8) and work items as pseudo-locks (L4). Expected texts are written out by hand from
// the report formats, not produced by the code under test.
#include "sw_stack/kernel/lock_validator.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace iommu_vp::kernel {
namespace {

class LockValidatorTest : public ::testing::Test {
protected:
    // The runtime's way of taking and dropping a lock: check, then hold; release with itself as owner.
    void take(ThreadId thread, LockClassId cls, const void* instance, const std::string& site) {
        validator.before_acquire(thread, cls, instance, AcquireSite{site});
        validator.acquired(thread, cls, instance, AcquireSite{site});
    }
    void drop(ThreadId thread, LockClassId cls, const void* instance) {
        validator.released(thread, cls, instance, thread);
    }
    std::size_t total_reports() const {
        std::size_t total = 0;
        for (ReportKind kind : {ReportKind::lock_inversion, ReportKind::recursive_locking, ReportKind::unlock_not_owner,
                                ReportKind::unlock_not_held, ReportKind::sleep_in_atomic,
                                ReportKind::assert_held_failed, ReportKind::assert_not_held_failed,
                                ReportKind::wait_under_lock_work})
            total += validator.report_count(kind);
        return total;
    }

    LockValidator validator;
    const LockClassId device_lock = validator.lock_class("device_lock", LockKind::mutex);
    const LockClassId probe_lock = validator.lock_class("iommu_probe_device_lock", LockKind::mutex);
    const LockClassId group_mutex = validator.lock_class("group->mutex", LockKind::mutex);
    const LockClassId dev_iommu_lock = validator.lock_class("dev_iommu->lock", LockKind::mutex);
    const LockClassId device_list_lock = validator.lock_class("iommu_device_lock", LockKind::spinlock);
    const LockClassId fq_lock = validator.lock_class("fq->lock", LockKind::spinlock_irqsave);
    const LockClassId rwsem = validator.lock_class("dev_rwsem", LockKind::rwsem);
    const LockClassId quarantine_work = validator.lock_class("quarantine_work", LockKind::work);

    // Lock instances: only their addresses matter.
    int smmu0_device = 0, dmaA_device = 0, probe = 0, group0 = 0, group1 = 0, dev_iommu = 0, device_list = 0,
        fq = 0, rw = 0;
};

// ---- Classes ----

TEST_F(LockValidatorTest, ClassesAreFoundByNameAndAKindMismatchIsARuntimeBug) {
    EXPECT_EQ(validator.lock_class("group->mutex", LockKind::mutex), group_mutex);
    EXPECT_NE(validator.lock_class("another", LockKind::mutex), group_mutex);
    EXPECT_EQ(validator.class_name(fq_lock), "fq->lock");
    EXPECT_EQ(validator.class_kind(fq_lock), LockKind::spinlock_irqsave);
    EXPECT_THROW(validator.lock_class("group->mutex", LockKind::spinlock), std::invalid_argument);
    EXPECT_THROW(validator.class_name(999), std::out_of_range);
    EXPECT_THROW(validator.work_started(1, group_mutex), std::invalid_argument);
}

// ---- Order inversions (L3) ----

TEST_F(LockValidatorTest, AbbaInTwoThreadsThatNeverOverlapIsReportedOnceWithBothChains) {
    validator.thread_started(1, "bus-walk");
    validator.thread_started(2, "probe-worker");
    // bus-walk: device_lock(smmu0) -> group->mutex -> iommu_probe_device_lock, then lets go of all.
    take(1, device_lock, &smmu0_device, "dd.c:500");
    take(1, group_mutex, &group0, "iommu.cpp:200");
    take(1, probe_lock, &probe, "iommu.cpp:210");
    drop(1, probe_lock, &probe);
    drop(1, group_mutex, &group0);
    drop(1, device_lock, &smmu0_device);
    EXPECT_EQ(total_reports(), 0u);

    // Much later, with every lock free: the opposite order. Reported before the lock is even taken.
    take(2, probe_lock, &probe, "iommu.cpp:90");
    validator.before_acquire(2, group_mutex, &group0, AcquireSite{"iommu.cpp:95"});
    std::vector<Report> reports = validator.take_reports();
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].kind, ReportKind::lock_inversion);
    EXPECT_EQ(reports[0].title, "possible circular locking dependency: iommu_probe_device_lock -> group->mutex -> "
                                "iommu_probe_device_lock");
    EXPECT_EQ(reports[0].text,
              "possible circular locking dependency: thread \"probe-worker\" takes group->mutex while holding "
              "iommu_probe_device_lock,\n"
              "but the opposite order was established earlier:\n"
              "  thread \"bus-walk\" held group->mutex (iommu.cpp:200) and then took iommu_probe_device_lock "
              "(iommu.cpp:210)\n"
              "  thread \"probe-worker\" holds iommu_probe_device_lock (iommu.cpp:90) and is taking group->mutex "
              "(iommu.cpp:95)\n"
              "acquisition chains (held locks outermost first, then the one taken or waited for):\n"
              "  thread \"bus-walk\": device_lock (dd.c:500) -> group->mutex (iommu.cpp:200) -> "
              "iommu_probe_device_lock (iommu.cpp:210)\n"
              "  thread \"probe-worker\": iommu_probe_device_lock (iommu.cpp:90) -> group->mutex (iommu.cpp:95)");

    // Doing it again, on another group and from another thread, is the same problem: no new report.
    validator.acquired(2, group_mutex, &group0, AcquireSite{"iommu.cpp:95"});
    drop(2, group_mutex, &group0);
    drop(2, probe_lock, &probe);
    take(3, probe_lock, &probe, "iommu.cpp:90");
    take(3, group_mutex, &group1, "iommu.cpp:95");
    EXPECT_TRUE(validator.take_reports().empty());
    EXPECT_EQ(validator.report_count(ReportKind::lock_inversion), 1u);
    EXPECT_EQ(total_reports(), 1u);
}

TEST_F(LockValidatorTest, ThreeClassCycleListsEveryDependencyWithItsFirstWitness) {
    const LockClassId lock_a = validator.lock_class("lock_a", LockKind::mutex);
    const LockClassId lock_b = validator.lock_class("lock_b", LockKind::mutex);
    const LockClassId lock_c = validator.lock_class("lock_c", LockKind::mutex);
    int a = 0, b = 0, c = 0;
    validator.thread_started(1, "T1");
    validator.thread_started(2, "T2");
    validator.thread_started(3, "T3");
    take(1, lock_a, &a, "a.cpp:1");
    take(1, lock_b, &b, "a.cpp:2");
    drop(1, lock_b, &b);
    drop(1, lock_a, &a);
    take(2, lock_b, &b, "b.cpp:1");
    take(2, lock_c, &c, "b.cpp:2");
    drop(2, lock_c, &c);
    drop(2, lock_b, &b);
    // A second witness of a -> b does not replace the first one.
    take(2, lock_a, &a, "b.cpp:7");
    take(2, lock_b, &b, "b.cpp:8");
    drop(2, lock_b, &b);
    drop(2, lock_a, &a);
    EXPECT_EQ(total_reports(), 0u);

    take(3, lock_c, &c, "c.cpp:1");
    validator.before_acquire(3, lock_a, &a, AcquireSite{"c.cpp:2"});
    std::vector<Report> reports = validator.take_reports();
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].kind, ReportKind::lock_inversion);
    EXPECT_EQ(reports[0].title, "possible circular locking dependency: lock_c -> lock_a -> lock_b -> lock_c");
    EXPECT_EQ(reports[0].text,
              "possible circular locking dependency: thread \"T3\" takes lock_a while holding lock_c,\n"
              "but the opposite order was established earlier:\n"
              "  thread \"T1\" held lock_a (a.cpp:1) and then took lock_b (a.cpp:2)\n"
              "  thread \"T2\" held lock_b (b.cpp:1) and then took lock_c (b.cpp:2)\n"
              "  thread \"T3\" holds lock_c (c.cpp:1) and is taking lock_a (c.cpp:2)\n"
              "acquisition chains (held locks outermost first, then the one taken or waited for):\n"
              "  thread \"T1\": lock_a (a.cpp:1) -> lock_b (a.cpp:2)\n"
              "  thread \"T2\": lock_b (b.cpp:1) -> lock_c (b.cpp:2)\n"
              "  thread \"T3\": lock_c (c.cpp:1) -> lock_a (c.cpp:2)");
}

TEST_F(LockValidatorTest, TheDocumentedOrderInManyThreadsAndSubsetsIsNeverReported) {
    // device_lock -> iommu_probe_device_lock -> group->mutex -> dev_iommu->lock -> leaf spinlocks (§4.2).
    for (ThreadId thread = 1; thread <= 3; ++thread) {
        take(thread, device_lock, &dmaA_device, "dd.c:500");
        take(thread, probe_lock, &probe, "iommu.cpp:90");
        take(thread, group_mutex, thread == 2 ? &group1 : &group0, "iommu.cpp:95");
        take(thread, dev_iommu_lock, &dev_iommu, "iommu.cpp:300");
        take(thread, device_list_lock, &device_list, "iommu.cpp:170");
        take(thread, fq_lock, &fq, "dma-iommu.cpp:60");
        drop(thread, fq_lock, &fq);
        drop(thread, device_list_lock, &device_list);
        drop(thread, dev_iommu_lock, &dev_iommu);
        drop(thread, group_mutex, thread == 2 ? &group1 : &group0);
        drop(thread, probe_lock, &probe);
        drop(thread, device_lock, &dmaA_device);
    }
    // Subsets in the same order, and locks released out of order.
    take(4, probe_lock, &probe, "iommu.cpp:400");
    take(4, device_list_lock, &device_list, "iommu.cpp:401");
    drop(4, probe_lock, &probe);
    drop(4, device_list_lock, &device_list);
    take(5, group_mutex, &group0, "iommu.cpp:500");
    take(5, fq_lock, &fq, "iommu.cpp:501");
    EXPECT_EQ(total_reports(), 0u);
    EXPECT_TRUE(validator.take_reports().empty());
}

TEST_F(LockValidatorTest, TrylockAddsNoDependencyButLocksTakenUnderItOrderAfterIt) {
    validator.thread_started(1, "T1");
    validator.thread_started(2, "T2");
    validator.thread_started(3, "T3");
    // T1 holds group->mutex and trylocks iommu_probe_device_lock: no group->mutex -> probe dependency...
    take(1, group_mutex, &group0, "g.cpp:1");
    validator.before_acquire(1, probe_lock, &probe, AcquireSite{"g.cpp:2"}, false, true);
    validator.acquired(1, probe_lock, &probe, AcquireSite{"g.cpp:2"});
    // ...but dev_iommu->lock taken under the trylocked lock orders after it.
    take(1, dev_iommu_lock, &dev_iommu, "g.cpp:3");
    drop(1, dev_iommu_lock, &dev_iommu);
    drop(1, probe_lock, &probe);
    drop(1, group_mutex, &group0);

    take(2, probe_lock, &probe, "p.cpp:1");
    take(2, group_mutex, &group0, "p.cpp:2");  // would be an inversion had the trylock added an edge
    EXPECT_EQ(total_reports(), 0u);

    take(3, dev_iommu_lock, &dev_iommu, "d.cpp:1");
    validator.before_acquire(3, probe_lock, &probe, AcquireSite{"d.cpp:2"});
    std::vector<Report> reports = validator.take_reports();
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].title, "possible circular locking dependency: dev_iommu->lock -> iommu_probe_device_lock "
                                "-> dev_iommu->lock");
    EXPECT_NE(reports[0].text.find("  thread \"T1\" held iommu_probe_device_lock (g.cpp:2) and then took "
                                   "dev_iommu->lock (g.cpp:3)\n"),
              std::string::npos)
        << reports[0].text;
}

// ---- Recursion (L1) ----

TEST_F(LockValidatorTest, RecursiveMutexLockingIsReportedAndRecordsNoDependency) {
    validator.thread_started(1, "smmu-probe");
    take(1, device_lock, &smmu0_device, "dd.c:500");
    take(1, device_lock, &dmaA_device, "dd.c:510");  // another instance of the class: not recursion
    drop(1, device_lock, &dmaA_device);
    take(1, probe_lock, &probe, "iommu.cpp:290");
    EXPECT_EQ(total_reports(), 0u);

    // S2a with the device-lock scheme: the walk reaches the SMMU's own device.
    validator.before_acquire(1, device_lock, &smmu0_device, AcquireSite{"iommu.cpp:300"});
    std::vector<Report> reports = validator.take_reports();
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].kind, ReportKind::recursive_locking);
    EXPECT_EQ(reports[0].title, "possible recursive locking of device_lock");
    EXPECT_EQ(reports[0].text,
              "possible recursive locking: thread \"smmu-probe\" takes device_lock (iommu.cpp:300) but already "
              "holds this instance:\n"
              "  device_lock (dd.c:500)\n"
              "thread \"smmu-probe\" holds:\n"
              "  #0 device_lock (dd.c:500)\n"
              "  #1 iommu_probe_device_lock (iommu.cpp:290)");
    // No iommu_probe_device_lock -> device_lock dependency was recorded from the recursion, so the
    // documented order (device_lock -> iommu_probe_device_lock) is not reported as inverted.
    EXPECT_EQ(validator.report_count(ReportKind::lock_inversion), 0u);
    // The same recursion at the same place is one problem.
    validator.before_acquire(1, device_lock, &smmu0_device, AcquireSite{"iommu.cpp:300"});
    EXPECT_TRUE(validator.take_reports().empty());
    EXPECT_EQ(validator.report_count(ReportKind::recursive_locking), 1u);
}

// L2: with the device-lock scheme the walk takes ANOTHER device's lock under iommu_probe_device_lock,
// against the order device_lock -> iommu_probe_device_lock that the same thread set up: an ABBA with
// any concurrent client probe, reported even though nothing hangs here.
TEST_F(LockValidatorTest, TheWalkTakingAnotherDevicesLockUnderTheProbeLockIsAnInversion) {
    validator.thread_started(1, "smmu-probe");
    take(1, device_lock, &smmu0_device, "dd.c:500");
    take(1, probe_lock, &probe, "iommu.cpp:290");
    validator.before_acquire(1, device_lock, &dmaA_device, AcquireSite{"iommu.cpp:295"});
    std::vector<Report> reports = validator.take_reports();
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].kind, ReportKind::lock_inversion);
    EXPECT_EQ(reports[0].text,
              "possible circular locking dependency: thread \"smmu-probe\" takes device_lock while holding "
              "iommu_probe_device_lock,\n"
              "but the opposite order was established earlier:\n"
              "  thread \"smmu-probe\" held device_lock (dd.c:500) and then took iommu_probe_device_lock "
              "(iommu.cpp:290)\n"
              "  thread \"smmu-probe\" holds iommu_probe_device_lock (iommu.cpp:290) and is taking device_lock "
              "(iommu.cpp:295)\n"
              "acquisition chains (held locks outermost first, then the one taken or waited for):\n"
              "  thread \"smmu-probe\": device_lock (dd.c:500) -> iommu_probe_device_lock (iommu.cpp:290)\n"
              "  thread \"smmu-probe\": device_lock (dd.c:500) -> iommu_probe_device_lock (iommu.cpp:290) -> "
              "device_lock (iommu.cpp:295)");
}

TEST_F(LockValidatorTest, RecursiveSpinlockIsReportedToo) {
    take(1, device_list_lock, &device_list, "iommu.cpp:170");
    validator.before_acquire(1, device_list_lock, &device_list, AcquireSite{"iommu.cpp:180"});
    EXPECT_EQ(validator.report_count(ReportKind::recursive_locking), 1u);
}

TEST_F(LockValidatorTest, RwsemReadAfterReadIsAllowedButWriteAfterReadOrReadAfterWriteIsRecursion) {
    validator.thread_started(1, "reader");
    validator.thread_started(2, "writer");
    take(1, rwsem, &rw, "r.cpp:1");  // take() passes read = false: use the API directly for readers
    drop(1, rwsem, &rw);
    validator.before_acquire(1, rwsem, &rw, AcquireSite{"r.cpp:1"}, true);
    validator.acquired(1, rwsem, &rw, AcquireSite{"r.cpp:1"}, true);
    validator.before_acquire(1, rwsem, &rw, AcquireSite{"r.cpp:2"}, true);
    validator.acquired(1, rwsem, &rw, AcquireSite{"r.cpp:2"}, true);
    EXPECT_EQ(total_reports(), 0u);

    validator.before_acquire(1, rwsem, &rw, AcquireSite{"r.cpp:3"});
    std::vector<Report> reports = validator.take_reports();
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].kind, ReportKind::recursive_locking);
    EXPECT_EQ(reports[0].text,
              "possible recursive locking: thread \"reader\" takes dev_rwsem [write] (r.cpp:3) but already holds "
              "this instance:\n"
              "  dev_rwsem [read] (r.cpp:2)\n"
              "thread \"reader\" holds:\n"
              "  #0 dev_rwsem [read] (r.cpp:1)\n"
              "  #1 dev_rwsem [read] (r.cpp:2)");

    int other_rw = 0;
    take(2, rwsem, &other_rw, "w.cpp:1");
    validator.before_acquire(2, rwsem, &other_rw, AcquireSite{"w.cpp:2"}, true);
    EXPECT_EQ(validator.report_count(ReportKind::recursive_locking), 2u);
}

// ---- Unlock checks ----

TEST_F(LockValidatorTest, UnlockByANonOwnerNamesBothThreadsAndDropsTheOwnersRecord) {
    validator.thread_started(1, "owner");
    validator.thread_started(2, "other");
    take(1, group_mutex, &group0, "iommu.cpp:88");
    validator.released(2, group_mutex, &group0, 1, AcquireSite{"iommu.cpp:99"});
    std::vector<Report> reports = validator.take_reports();
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].kind, ReportKind::unlock_not_owner);
    EXPECT_EQ(reports[0].title, "unlock of group->mutex by thread \"other\", not its owner");
    EXPECT_EQ(reports[0].text,
              "unlock by a thread that does not own the lock: thread \"other\" releases group->mutex "
              "(iommu.cpp:99), which thread \"owner\" holds: group->mutex (iommu.cpp:88)\n"
              "thread \"other\" holds no locks");
    // The runtime has let the lock go, so the owner no longer holds it.
    EXPECT_FALSE(validator.holds(1, &group0));
}

TEST_F(LockValidatorTest, UnlockOfALockNobodyHoldsIsReportedOnceAndANormalUnlockIsNot) {
    validator.thread_started(1, "t");
    take(1, group_mutex, &group0, "iommu.cpp:88");
    drop(1, group_mutex, &group0);
    EXPECT_EQ(total_reports(), 0u);

    validator.released(1, group_mutex, &group0, kNoThread, AcquireSite{"iommu.cpp:120"});
    std::vector<Report> reports = validator.take_reports();
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].kind, ReportKind::unlock_not_held);
    EXPECT_EQ(reports[0].title, "unlock of group->mutex, which is not held");
    EXPECT_EQ(reports[0].text,
              "unlock of a lock that is not held: thread \"t\" releases group->mutex (iommu.cpp:120), but no thread "
              "holds it\n"
              "thread \"t\" holds no locks");
    validator.released(1, group_mutex, &group0, kNoThread, AcquireSite{"iommu.cpp:120"});
    EXPECT_EQ(validator.report_count(ReportKind::unlock_not_held), 1u);
}

// ---- Sleeping in atomic context (L9) ----

TEST_F(LockValidatorTest, SleepingUnderAnIrqSaveSpinlockNamesTheSpinlock) {
    validator.thread_started(1, "fq-flush");
    take(1, group_mutex, &group0, "iommu.cpp:88");
    take(1, fq_lock, &fq, "fq.cpp:60");
    validator.might_sleep(1, true, "msleep (fq.cpp:70)");
    std::vector<Report> reports = validator.take_reports();
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].kind, ReportKind::sleep_in_atomic);
    EXPECT_EQ(reports[0].title, "sleeping function called from atomic context: msleep (fq.cpp:70)");
    EXPECT_EQ(reports[0].text,
              "sleeping function called from atomic context: thread \"fq-flush\" may sleep in msleep (fq.cpp:70) "
              "while holding spinlock fq->lock (fq.cpp:60)\n"
              "thread \"fq-flush\" holds:\n"
              "  #0 group->mutex (iommu.cpp:88)\n"
              "  #1 fq->lock (fq.cpp:60)");
}

TEST_F(LockValidatorTest, SleepingUnderAPlainSpinlockIsReportedEvenIfTheRuntimeSaysNotAtomic) {
    validator.thread_started(1, "register");
    take(1, device_list_lock, &device_list, "iommu.cpp:170");
    validator.might_sleep(1, false, "mutex_lock(group->mutex) (iommu.cpp:175)");
    std::vector<Report> reports = validator.take_reports();
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_NE(reports[0].text.find("while holding spinlock iommu_device_lock (iommu.cpp:170)"), std::string::npos)
        << reports[0].text;
}

TEST_F(LockValidatorTest, SleepingWithAMutexHeldIsFineAndAtomicContextWithoutSpinlocksIsNot) {
    validator.thread_started(1, "probe");
    take(1, group_mutex, &group0, "iommu.cpp:88");
    validator.might_sleep(1, false, "wait_for_completion(fw_loaded)");
    EXPECT_EQ(total_reports(), 0u);

    validator.thread_started(2, "irq");
    validator.might_sleep(2, true, "msleep (irq.cpp:5)");
    std::vector<Report> reports = validator.take_reports();
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].text,
              "sleeping function called from atomic context: thread \"irq\" may sleep in msleep (irq.cpp:5) in "
              "atomic context (preemption or interrupts disabled)\n"
              "thread \"irq\" holds no locks");
}

// ---- Assertions (L5-L8) ----

TEST_F(LockValidatorTest, AssertHeldAndAssertNotHeld) {
    validator.thread_started(1, "probe");
    validator.thread_started(2, "other");
    take(2, group_mutex, &group0, "iommu.cpp:88");
    take(1, probe_lock, &probe, "iommu.cpp:90");
    validator.assert_held(1, &probe, "iommu_probe_device_lock in __iommu_probe_device");
    validator.assert_not_held(1, &group0, "group->mutex in iommu_get_domain_for_dev");
    EXPECT_EQ(total_reports(), 0u);
    EXPECT_TRUE(validator.holds(1, &probe));
    EXPECT_FALSE(validator.holds(1, &group0));
    EXPECT_EQ(validator.held_locks(1), std::vector<std::string>{"iommu_probe_device_lock (iommu.cpp:90)"});
    EXPECT_TRUE(validator.held_locks(7).empty());

    validator.assert_held(1, &group0, "group->mutex in iommu_setup_dma_ops");
    validator.assert_not_held(1, &probe, "iommu_probe_device_lock before bus->dma_configure");
    std::vector<Report> reports = validator.take_reports();
    ASSERT_EQ(reports.size(), 2u);
    EXPECT_EQ(reports[0].kind, ReportKind::assert_held_failed);
    EXPECT_EQ(reports[0].title, "lockdep_assert_held failed: group->mutex in iommu_setup_dma_ops");
    EXPECT_EQ(reports[0].text,
              "lock assertion failed: thread \"probe\" must hold group->mutex in iommu_setup_dma_ops, but does not "
              "(thread \"other\" holds it: group->mutex (iommu.cpp:88))\n"
              "thread \"probe\" holds:\n"
              "  #0 iommu_probe_device_lock (iommu.cpp:90)");
    EXPECT_EQ(reports[1].kind, ReportKind::assert_not_held_failed);
    EXPECT_EQ(reports[1].title, "lockdep_assert_not_held failed: iommu_probe_device_lock before bus->dma_configure");
    EXPECT_EQ(reports[1].text,
              "lock assertion failed: thread \"probe\" must not hold iommu_probe_device_lock before "
              "bus->dma_configure, but holds it: iommu_probe_device_lock (iommu.cpp:90)\n"
              "thread \"probe\" holds:\n"
              "  #0 iommu_probe_device_lock (iommu.cpp:90)");
}

// ---- Work items as pseudo-locks (L4, scenario S4a) ----

TEST_F(LockValidatorTest, FlushingWorkUnderALockItsBodyTookEarlierIsReported) {
    validator.thread_started(3, "kworker");
    validator.thread_started(4, "hot-remove");
    validator.work_started(3, quarantine_work);
    take(3, group_mutex, &group0, "quarantine.cpp:40");
    EXPECT_EQ(validator.held_locks(3),
              (std::vector<std::string>{"work quarantine_work (running)", "group->mutex (quarantine.cpp:40)"}));
    drop(3, group_mutex, &group0);
    validator.work_finished(3, quarantine_work);
    EXPECT_TRUE(validator.held_locks(3).empty());

    take(4, group_mutex, &group0, "iommu.cpp:500");
    validator.work_waited(4, quarantine_work, AcquireSite{"iommu.cpp:510 cancel_work_sync"});
    std::vector<Report> reports = validator.take_reports();
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].kind, ReportKind::wait_under_lock_work);
    EXPECT_EQ(reports[0].title, "possible deadlock waiting for a work item: group->mutex -> work quarantine_work -> "
                                "group->mutex");
    EXPECT_EQ(reports[0].text,
              "possible deadlock waiting for a work item (rule L4): thread \"hot-remove\" waits for work "
              "quarantine_work while holding group->mutex,\n"
              "but the opposite order was established earlier:\n"
              "  thread \"kworker\" running work quarantine_work took group->mutex (quarantine.cpp:40)\n"
              "  thread \"hot-remove\" holds group->mutex (iommu.cpp:500) and waits for work quarantine_work "
              "(iommu.cpp:510 cancel_work_sync)\n"
              "acquisition chains (held locks outermost first, then the one taken or waited for):\n"
              "  thread \"kworker\": work quarantine_work (running) -> group->mutex (quarantine.cpp:40)\n"
              "  thread \"hot-remove\": group->mutex (iommu.cpp:500) -> work quarantine_work (iommu.cpp:510 "
              "cancel_work_sync)");
    EXPECT_EQ(validator.report_count(ReportKind::lock_inversion), 0u);
}

TEST_F(LockValidatorTest, WorkBodyTakingALockHeldByAnEarlierFlusherIsReported) {
    validator.thread_started(3, "kworker");
    validator.thread_started(4, "hot-remove");
    // The flush comes first (the work was not even running), then the body runs.
    take(4, group_mutex, &group0, "iommu.cpp:500");
    validator.work_waited(4, quarantine_work, AcquireSite{"iommu.cpp:510 cancel_work_sync"});
    drop(4, group_mutex, &group0);
    EXPECT_EQ(total_reports(), 0u);

    validator.work_started(3, quarantine_work);
    validator.before_acquire(3, group_mutex, &group0, AcquireSite{"quarantine.cpp:40"});
    std::vector<Report> reports = validator.take_reports();
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].kind, ReportKind::wait_under_lock_work);
    EXPECT_EQ(reports[0].title, "possible deadlock waiting for a work item: work quarantine_work -> group->mutex -> "
                                "work quarantine_work");
    EXPECT_EQ(reports[0].text,
              "possible deadlock waiting for a work item (rule L4): thread \"kworker\" takes group->mutex while "
              "running work quarantine_work,\n"
              "but the opposite order was established earlier:\n"
              "  thread \"hot-remove\" held group->mutex (iommu.cpp:500) and then waited for work quarantine_work "
              "(iommu.cpp:510 cancel_work_sync)\n"
              "  thread \"kworker\" running work quarantine_work is taking group->mutex (quarantine.cpp:40)\n"
              "acquisition chains (held locks outermost first, then the one taken or waited for):\n"
              "  thread \"hot-remove\": group->mutex (iommu.cpp:500) -> work quarantine_work (iommu.cpp:510 "
              "cancel_work_sync)\n"
              "  thread \"kworker\": work quarantine_work (running) -> group->mutex (quarantine.cpp:40)");
}

TEST_F(LockValidatorTest, NoReportWhenTheWorkDoesNotTakeTheHeldLockOrTheWaitIsAfterTheUnlock) {
    validator.work_started(3, quarantine_work);
    take(3, dev_iommu_lock, &dev_iommu, "quarantine.cpp:30");
    drop(3, dev_iommu_lock, &dev_iommu);
    validator.work_finished(3, quarantine_work);
    // Flushing under group->mutex a work that never takes group->mutex.
    take(4, group_mutex, &group0, "iommu.cpp:500");
    validator.work_waited(4, quarantine_work, AcquireSite{"iommu.cpp:510"});
    drop(4, group_mutex, &group0);
    EXPECT_EQ(total_reports(), 0u);

    // v3 06/11's order: the body takes group->mutex, the remover cancels only after unlocking it.
    const LockClassId other_work = validator.lock_class("other_work", LockKind::work);
    validator.work_started(3, other_work);
    take(3, group_mutex, &group1, "quarantine.cpp:40");
    drop(3, group_mutex, &group1);
    validator.work_finished(3, other_work);
    take(4, group_mutex, &group1, "iommu.cpp:600");
    drop(4, group_mutex, &group1);
    validator.work_waited(4, other_work, AcquireSite{"iommu.cpp:610"});
    EXPECT_EQ(total_reports(), 0u);
}

TEST_F(LockValidatorTest, AWorkBodyWaitingForItsOwnWorkItemIsReported) {
    validator.thread_started(3, "kworker");
    validator.work_started(3, quarantine_work);
    validator.work_waited(3, quarantine_work, AcquireSite{"quarantine.cpp:50 flush_work"});
    std::vector<Report> reports = validator.take_reports();
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].kind, ReportKind::wait_under_lock_work);
    EXPECT_EQ(reports[0].text,
              "possible deadlock waiting for a work item (rule L4): thread \"kworker\" running work quarantine_work "
              "waits for work quarantine_work (quarantine.cpp:50 flush_work), which cannot finish before this wait "
              "does\n"
              "thread \"kworker\" holds:\n"
              "  #0 work quarantine_work (running)");
}

// ---- Report plumbing ----

TEST_F(LockValidatorTest, ReportsAreTakenInOrderOnceAndUnknownThreadsAreNamedByNumber) {
    take(9, device_list_lock, &device_list, "a.cpp:1");
    validator.might_sleep(9, false, "msleep");
    validator.released(9, group_mutex, &group0, kNoThread);
    std::vector<Report> reports = validator.take_reports();
    ASSERT_EQ(reports.size(), 2u);
    EXPECT_EQ(reports[0].kind, ReportKind::sleep_in_atomic);
    EXPECT_EQ(reports[1].kind, ReportKind::unlock_not_held);
    EXPECT_EQ(reports[1].text,
              "unlock of a lock that is not held: thread \"#9\" releases group->mutex, but no thread holds it\n"
              "thread \"#9\" holds:\n"
              "  #0 iommu_device_lock (a.cpp:1)");
    EXPECT_TRUE(validator.take_reports().empty());
    EXPECT_EQ(validator.report_count(ReportKind::sleep_in_atomic), 1u);
    EXPECT_STREQ(report_kind_name(ReportKind::wait_under_lock_work), "wait_under_lock_work");
}

}  // namespace
}  // namespace iommu_vp::kernel
