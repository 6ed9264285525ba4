// Wait-for graph of the co-simulated kernel runtime, for the hang detector (iommu-core.md §12: a hang
// is a test failure with the wait-for graph dumped).
//
// Threads wait on objects (a lock, a completion, a work item, anything else the runtime blocks on);
// objects are held by threads (a lock's owner, each reader of a rwsem, the worker running a work
// item, the thread expected to complete a completion). A thread that waits on an object held by a
// thread that waits, and so on back to the first, can never run again: the runtime asks for the
// cycle through a thread each time that thread starts waiting (and after add_holder() for an object
// someone already waits on), and reports it at once.
//
// Every holder of an object counts: a lock becomes free only when all its holders let go, so one
// blocked holder is enough to block the waiter. That is exact for locks and readers; for a
// completion, register only the thread expected to complete it, not every thread that might.
//
// Pure C++, single-threaded: the runtime calls in sequence.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace iommu_vp::kernel {

// The same alias as in lock_validator.h: a software thread as the runtime numbers it.
using ThreadId = std::uint32_t;

// What a thread waits on. `object` identifies it (the lock, the completion, the work item); `name`
// is what the reports call it ("group->mutex", "fw_loaded", "quarantine_work"). The texts put the
// kind before completions and work items ("completion fw_loaded"), unless the name already starts
// with that word.
struct WaitTarget {
    enum Kind { lock, completion, work, other };
    Kind kind = other;
    const void* object = nullptr;
    std::string name;
};

// One link of a cycle: `thread` waits on `target`, which `holder` holds.
struct WaitStep {
    ThreadId thread;
    WaitTarget target;
    ThreadId holder;
};

class WaitGraph {
public:
    // Names a thread; a thread id seen again is alive and waits on nothing. Threads never announced
    // are named "#<id>".
    void thread_started(ThreadId thread, std::string name);
    // The thread has ended: it waits on nothing any more. What it still holds stays held (a lock
    // leaked by an ended thread blocks its waiters for ever; describe_all() shows it).
    void thread_finished(ThreadId thread);

    void set_waiting(ThreadId thread, const WaitTarget& target);
    void clear_waiting(ThreadId thread);
    void add_holder(const void* object, ThreadId thread);
    void remove_holder(const void* object, ThreadId thread);

    // The cycle through `start`, if any: start waits on an object held by a thread, which waits on
    // an object held by ... start. The first step is start's. A thread waiting on a lock it holds
    // itself is a cycle of one step. Holders are tried in thread-id order, so the answer is stable.
    std::optional<std::vector<WaitStep>> cycle_from(ThreadId start) const;
    // The first cycle through any waiting thread, trying threads in id order.
    std::optional<std::vector<WaitStep>> find_cycle() const;
    // 'thread "A" waits for group->mutex held by thread "B"; thread "B" waits for work W being run
    // by thread "A"'.
    std::string describe(const std::vector<WaitStep>& cycle) const;
    // True when there is at least one live thread outside `ignore` and every such thread waits on
    // something (the "all runnable threads blocked" oracle).
    bool all_waiting(const std::set<ThreadId>& ignore = {}) const;
    // One line per thread, in id order: what it waits on and who holds that, or that it is runnable
    // or has finished.
    std::string describe_all() const;

    bool is_waiting(ThreadId thread) const;
    std::set<ThreadId> holders(const void* object) const;

private:
    struct ThreadInfo {
        std::string name;
        bool finished = false;
        std::optional<WaitTarget> waiting;
    };

    ThreadInfo& thread_info(ThreadId thread);
    const WaitTarget* waiting_target(ThreadId thread) const;
    bool extend_cycle(ThreadId thread, ThreadId start, std::vector<WaitStep>& path, std::set<ThreadId>& visited) const;
    std::string quoted_thread(ThreadId thread) const;
    std::string describe_wait(ThreadId thread, const WaitTarget& target) const;

    std::map<ThreadId, ThreadInfo> threads_;
    std::map<const void*, std::set<ThreadId>> holders_;
};

}  // namespace iommu_vp::kernel
