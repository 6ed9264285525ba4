// The wait-for graph of the hang detector: cycles through locks, work items and completions (the
// S2c and S4a hangs of iommu-core.md §13), no cycle while a holder can run, several holders, and the
// texts the hang report prints. Expected values are worked out by hand.
#include "sw_stack/kernel/wait_graph.h"

// The runtime includes both headers: their ThreadId aliases must agree.
#include "sw_stack/kernel/lock_validator.h"

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

namespace iommu_vp::kernel {
namespace {

static_assert(std::is_same_v<ThreadId, std::uint32_t>);

class WaitGraphTest : public ::testing::Test {
protected:
    WaitTarget lock(const void* object, const std::string& name) { return {WaitTarget::lock, object, name}; }

    // The threads of a cycle, in order, as (waiter, holder) pairs.
    static std::vector<std::pair<ThreadId, ThreadId>> links(const std::vector<WaitStep>& cycle) {
        std::vector<std::pair<ThreadId, ThreadId>> result;
        for (const WaitStep& step : cycle) result.emplace_back(step.thread, step.holder);
        return result;
    }

    WaitGraph graph;
    int group0 = 0, probe = 0, cmdq = 0, quarantine_work = 0, fw_loaded = 0, dmaB_device = 0, rw = 0;
};

TEST_F(WaitGraphTest, TwoThreadsThroughLocks) {
    graph.thread_started(1, "A");
    graph.thread_started(2, "B");
    graph.add_holder(&group0, 1);
    graph.add_holder(&probe, 2);
    graph.set_waiting(1, lock(&probe, "iommu_probe_device_lock"));
    EXPECT_FALSE(graph.cycle_from(1));  // B can still run and let go of the lock
    graph.set_waiting(2, lock(&group0, "group->mutex"));

    const auto cycle = graph.cycle_from(1);
    ASSERT_TRUE(cycle);
    EXPECT_EQ(links(*cycle), (std::vector<std::pair<ThreadId, ThreadId>>{{1, 2}, {2, 1}}));
    EXPECT_EQ((*cycle)[0].target.object, &probe);
    EXPECT_EQ(graph.describe(*cycle), "thread \"A\" waits for iommu_probe_device_lock held by thread \"B\"; "
                                      "thread \"B\" waits for group->mutex held by thread \"A\"");
    EXPECT_TRUE(graph.all_waiting());

    // B stops waiting (say, its lock attempt was interrupted): no cycle any more.
    graph.clear_waiting(2);
    EXPECT_FALSE(graph.cycle_from(1));
    EXPECT_FALSE(graph.all_waiting());
}

// S4a: the remover holds group->mutex and cancels the running work; the worker waits for the SMMU
// command-queue lock, which the event thread holds while it waits for group->mutex.
TEST_F(WaitGraphTest, ThreeThreadsThroughLocksAndAWorkItem) {
    graph.thread_started(1, "hot-remove");
    graph.thread_started(2, "kworker");
    graph.thread_started(3, "evtq-thread");
    graph.add_holder(&group0, 1);
    graph.add_holder(&quarantine_work, 2);  // the worker running it
    graph.add_holder(&cmdq, 3);
    graph.set_waiting(1, WaitTarget{WaitTarget::work, &quarantine_work, "quarantine_work"});
    graph.set_waiting(2, lock(&cmdq, "cmdq_lock"));
    EXPECT_FALSE(graph.find_cycle());
    graph.set_waiting(3, lock(&group0, "group->mutex"));

    const auto cycle = graph.cycle_from(2);
    ASSERT_TRUE(cycle);
    EXPECT_EQ(links(*cycle), (std::vector<std::pair<ThreadId, ThreadId>>{{2, 3}, {3, 1}, {1, 2}}));
    EXPECT_EQ(graph.describe(*cycle), "thread \"kworker\" waits for cmdq_lock held by thread \"evtq-thread\"; "
                                      "thread \"evtq-thread\" waits for group->mutex held by thread \"hot-remove\"; "
                                      "thread \"hot-remove\" waits for work quarantine_work being run by thread "
                                      "\"kworker\"");
    // The event thread gives the lock up: the cycle is gone.
    graph.remove_holder(&cmdq, 3);
    EXPECT_FALSE(graph.cycle_from(2));
    EXPECT_TRUE(graph.holders(&cmdq).empty());
}

// S2c: the SMMU probe waits for the client's device_lock; the client, inside its probe, waits for a
// completion the SMMU probe is expected to signal.
TEST_F(WaitGraphTest, CycleThroughACompletionWhoseCompleterWaitsOnTheFirstThread) {
    graph.thread_started(1, "smmu-probe");
    graph.thread_started(2, "dmaB-probe");
    graph.add_holder(&dmaB_device, 2);
    graph.add_holder(&fw_loaded, 1);  // the thread expected to complete it
    graph.set_waiting(2, WaitTarget{WaitTarget::completion, &fw_loaded, "fw_loaded"});
    EXPECT_FALSE(graph.cycle_from(2));
    graph.set_waiting(1, lock(&dmaB_device, "device_lock(dmaB)"));

    const auto cycle = graph.cycle_from(2);
    ASSERT_TRUE(cycle);
    EXPECT_EQ(graph.describe(*cycle), "thread \"dmaB-probe\" waits for completion fw_loaded expected from thread "
                                      "\"smmu-probe\"; thread \"smmu-probe\" waits for device_lock(dmaB) held by "
                                      "thread \"dmaB-probe\"");
}

TEST_F(WaitGraphTest, NoCycleWhileTheHolderIsRunnableAndALockLeakedByAFinishedThreadHangsItsWaiters) {
    graph.thread_started(1, "A");
    graph.thread_started(2, "B");
    graph.add_holder(&group0, 2);
    graph.set_waiting(1, lock(&group0, "group->mutex"));
    EXPECT_FALSE(graph.cycle_from(1));
    EXPECT_FALSE(graph.find_cycle());
    EXPECT_FALSE(graph.all_waiting());
    EXPECT_EQ(graph.describe_all(), "thread \"A\" waits for group->mutex held by thread \"B\"\n"
                                    "thread \"B\" is runnable");

    graph.thread_finished(2);  // without unlocking
    EXPECT_FALSE(graph.cycle_from(1));
    EXPECT_TRUE(graph.all_waiting());
    EXPECT_EQ(graph.describe_all(), "thread \"A\" waits for group->mutex held by thread \"B\"\n"
                                    "thread \"B\" has finished");
}

TEST_F(WaitGraphTest, AThreadWaitingForALockItHoldsIsACycleOfOne) {
    graph.thread_started(1, "smmu-probe");
    graph.add_holder(&dmaB_device, 1);
    graph.set_waiting(1, lock(&dmaB_device, "device_lock(smmu0)"));
    const auto cycle = graph.cycle_from(1);
    ASSERT_TRUE(cycle);
    EXPECT_EQ(graph.describe(*cycle), "thread \"smmu-probe\" waits for device_lock(smmu0) held by thread "
                                      "\"smmu-probe\"");
}

// A writer waits for two readers; the first can run, the second waits for the writer.
TEST_F(WaitGraphTest, OneBlockedReaderAmongSeveralHoldersIsEnoughForACycle) {
    graph.thread_started(1, "writer");
    graph.thread_started(2, "reader-1");
    graph.thread_started(3, "reader-2");
    graph.add_holder(&rw, 2);
    graph.add_holder(&rw, 3);
    graph.add_holder(&group0, 1);
    graph.set_waiting(1, lock(&rw, "dev_rwsem"));
    graph.set_waiting(3, lock(&group0, "group->mutex"));
    const auto cycle = graph.cycle_from(1);
    ASSERT_TRUE(cycle);
    EXPECT_EQ(links(*cycle), (std::vector<std::pair<ThreadId, ThreadId>>{{1, 3}, {3, 1}}));
    EXPECT_EQ(graph.holders(&rw), (std::set<ThreadId>{2, 3}));
    EXPECT_EQ(graph.describe_all(), "thread \"writer\" waits for dev_rwsem held by thread \"reader-1\", thread "
                                    "\"reader-2\"\n"
                                    "thread \"reader-1\" is runnable\n"
                                    "thread \"reader-2\" waits for group->mutex held by thread \"writer\"");
}

TEST_F(WaitGraphTest, AThreadBlockedBehindACycleIsNotOnItButFindCycleStillFindsIt) {
    graph.thread_started(1, "A");
    graph.thread_started(2, "B");
    graph.thread_started(3, "C");
    graph.add_holder(&group0, 1);
    graph.add_holder(&probe, 2);
    graph.set_waiting(1, lock(&probe, "iommu_probe_device_lock"));
    graph.set_waiting(2, lock(&group0, "group->mutex"));
    graph.set_waiting(3, lock(&group0, "group->mutex"));
    EXPECT_FALSE(graph.cycle_from(3));
    const auto cycle = graph.find_cycle();
    ASSERT_TRUE(cycle);
    EXPECT_EQ(links(*cycle), (std::vector<std::pair<ThreadId, ThreadId>>{{1, 2}, {2, 1}}));
}

TEST_F(WaitGraphTest, AllWaitingIgnoresIdleThreadsAndIsFalseWithNothingToWatch) {
    EXPECT_FALSE(graph.all_waiting());
    graph.thread_started(1, "probe");
    graph.thread_started(2, "idle-worker");
    graph.set_waiting(1, WaitTarget{WaitTarget::completion, &fw_loaded, "fw_loaded"});
    EXPECT_FALSE(graph.all_waiting());
    EXPECT_TRUE(graph.all_waiting({2}));
    EXPECT_FALSE(graph.all_waiting({1, 2}));
    EXPECT_TRUE(graph.is_waiting(1));
    EXPECT_FALSE(graph.is_waiting(2));
    // A thread that ends while marked waiting (killed by the harness) waits on nothing any more.
    graph.thread_started(3, "killed");
    graph.set_waiting(3, lock(&group0, "group->mutex"));
    graph.thread_finished(3);
    EXPECT_FALSE(graph.is_waiting(3));
    EXPECT_EQ(graph.describe_all(), "thread \"probe\" waits for completion fw_loaded (no thread is expected to "
                                    "complete it)\n"
                                    "thread \"idle-worker\" is runnable\n"
                                    "thread \"killed\" has finished");
}

TEST_F(WaitGraphTest, DescribeAllNamesEveryKindOfWaitAndUnannouncedThreadsByNumber) {
    graph.thread_started(1, "hot-remove");
    graph.add_holder(&quarantine_work, 7);
    graph.set_waiting(1, WaitTarget{WaitTarget::work, &quarantine_work, "quarantine_work"});
    graph.set_waiting(7, WaitTarget{WaitTarget::other, &cmdq, "CMD_SYNC"});
    graph.set_waiting(8, lock(&group0, "group->mutex"));
    // The runtime may name a work item "work X" itself: the kind word is not repeated.
    graph.set_waiting(9, WaitTarget{WaitTarget::work, &quarantine_work, "work quarantine_work"});
    EXPECT_EQ(graph.describe_all(), "thread \"hot-remove\" waits for work quarantine_work being run by thread \"#7\"\n"
                                    "thread \"#7\" waits for CMD_SYNC (no holder recorded)\n"
                                    "thread \"#8\" waits for group->mutex (free)\n"
                                    "thread \"#9\" waits for work quarantine_work being run by thread \"#7\"");
}

}  // namespace
}  // namespace iommu_vp::kernel
