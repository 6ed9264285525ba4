// Lock-order validator of the co-simulated kernel runtime, in the spirit of Linux lockdep
// (iommu-core.md §14, rules L1, L3, L4, L5-L9).
//
// What it models. Every lock belongs to a class (one class per kind of lock, e.g. all group->mutex
// instances are one class "group->mutex"). Each time a thread is about to take a lock while holding
// others, the validator records the dependency "held class -> new class" together with the first
// thread that established it and that thread's whole acquisition chain. When a new dependency closes
// a cycle in the class graph, the order inversion is reported at once, even if the lock is free and
// this run never hangs: another interleaving would. Work items are pseudo-locks (rule L4): running a
// work item holds its class around the body, and waiting for it (flush_work, cancel_work_sync)
// briefly "takes" it, so "hold L, wait for W" plus "W takes L" is a cycle L -> W -> L.
// Per-instance checks: recursive locking (L1), unlock by a non-owner or of a lock not held, sleeping
// under a spinlock (L9), lockdep_assert_held / lockdep_assert_not_held (L5-L8).
//
// What it does not model: lockdep's IRQ-state inversions (a lock taken both in hard-IRQ context and
// with interrupts enabled), subclass annotations (two instances of one class nested are neither an
// edge nor a report; per-instance order is the wait graph's business), recursive-read semantics
// (a rwsem read lock orders like a write lock, as down_read does in lockdep), locks still held when a
// thread or a work body ends, and RCU.
//
// Pure C++, single-threaded: SystemC runs one process at a time, so the runtime calls in sequence.
// Report texts are meant for an engineer who never saw this code; the formats are in the .cpp file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace iommu_vp::kernel {

// A software thread as the runtime numbers it (small integers, stable for the thread's life).
using ThreadId = std::uint32_t;
// "No thread": what the runtime passes as the recorded owner of a free or reader-held lock.
inline constexpr ThreadId kNoThread = std::numeric_limits<ThreadId>::max();

// Index of a lock class, returned by LockValidator::lock_class().
using LockClassId = std::uint32_t;

enum class LockKind {
    mutex,             // sleeping, one owner
    spinlock,          // non-sleeping; holding one makes the thread atomic
    spinlock_irqsave,  // as spinlock, taken with interrupts disabled
    rwsem,             // sleeping; one writer or several readers
    work               // pseudo-lock of a work item (held while its body runs)
};

// Where a lock is taken: "iommu.cpp:123 iommu_probe_device" or any name; shown as is in reports.
struct AcquireSite {
    std::string text;
};

enum class ReportKind {
    lock_inversion,          // a cycle in the lock-class order (L3)
    recursive_locking,       // a thread takes an instance it already holds (L1)
    unlock_not_owner,        // a thread releases a lock another thread holds
    unlock_not_held,         // a thread releases a lock nobody holds
    sleep_in_atomic,         // sleeping while holding a spinlock or in atomic context (L9)
    assert_held_failed,      // lockdep_assert_held (L5, L7)
    assert_not_held_failed,  // lockdep_assert_not_held (L6, L8)
    wait_under_lock_work     // a cycle through a work item: waiting for work that takes a held lock (L4)
};

// Stable lower-case name of a report kind ("lock_inversion", ...), for logs and statistics.
const char* report_kind_name(ReportKind kind);

struct Report {
    ReportKind kind;
    std::string title;  // one line: what went wrong and with which locks
    std::string text;   // several lines: which threads, which locks, taken where, in which order
};

class LockValidator {
public:
    // Finds the class called `name` or creates it. Asking for an existing name with another kind is
    // a bug in the runtime and throws std::invalid_argument.
    LockClassId lock_class(const std::string& name, LockKind kind);
    const std::string& class_name(LockClassId cls) const;
    LockKind class_kind(LockClassId cls) const;

    // Names a thread for reports; a thread id seen again starts with an empty held stack. Threads
    // the validator was never told about are named "#<id>".
    void thread_started(ThreadId thread, std::string name);

    // Called BEFORE a thread blocks for or takes a lock. Checks recursion (the same instance already
    // held by this thread; only a rwsem read lock on top of a read lock is allowed), records the
    // dependencies held class -> this class with the thread's chain, and reports an inversion the
    // first time a dependency closes a cycle. A recursive acquisition records no dependency (the thread
    // hangs there; lockdep stops there too). A trylock is neither checked nor ordered: it cannot block
    // (but the locks taken while it is held do order after it).
    // Sleeping locks should also be preceded by might_sleep(), as mutex_lock() does in Linux.
    void before_acquire(ThreadId thread, LockClassId cls, const void* instance, const AcquireSite& site,
                        bool read = false, bool trylock = false);
    // The lock is now held: pushes it onto the thread's held stack.
    void acquired(ThreadId thread, LockClassId cls, const void* instance, const AcquireSite& site,
                  bool read = false);
    // The thread releases `instance` (in any order, not only the most recent). `recorded_owner` is
    // the owner the runtime knows of, kNoThread if none (free, or held for reading). Reports an
    // unlock by a thread that does not hold it, naming the holder, or of a lock nobody holds. In the
    // first case the holder's record is dropped, as the runtime has released the lock.
    void released(ThreadId thread, LockClassId cls, const void* instance, ThreadId recorded_owner,
                  const AcquireSite& site = {});

    // The thread is about to sleep (block on a mutex or a completion, msleep, wait for work).
    // `atomic` is the runtime's in_atomic() (preemption or interrupts disabled, hard-IRQ context).
    // Reports sleep_in_atomic naming the spinlocks held, or the atomic context if none is.
    void might_sleep(ThreadId thread, bool atomic, const std::string& where);

    // lockdep_assert_held / lockdep_assert_not_held, by instance; `what` names the lock and the
    // place that requires it, e.g. "group->mutex in iommu_setup_dma_ops".
    void assert_held(ThreadId thread, const void* instance, const std::string& what);
    void assert_not_held(ThreadId thread, const void* instance, const std::string& what);
    bool holds(ThreadId thread, const void* instance) const;
    // The thread's held locks, outermost first: "group->mutex (iommu.cpp:88)", "work W (running)".
    std::vector<std::string> held_locks(ThreadId thread) const;

    // Work items as pseudo-locks (rule L4). A worker holds the work's class while the body runs, so
    // the locks the body takes get edges work -> lock. Waiting for the work (flush_work,
    // cancel_work_sync) takes and drops the class in the waiter, adding edges held lock -> work. A
    // cycle through a work class is reported as wait_under_lock_work, whichever happened first. A
    // work body waiting for its own work item is reported the same way.
    void work_started(ThreadId worker, LockClassId work);
    void work_finished(ThreadId worker, LockClassId work);
    void work_waited(ThreadId waiter, LockClassId work, const AcquireSite& site);

    // Reports made since the last call, oldest first. Each distinct problem is reported once: a
    // cycle by its set of dependencies, the others by kind, lock class and site or assertion text.
    std::vector<Report> take_reports();
    // How many reports of `kind` were made since construction (taken or not).
    std::size_t report_count(ReportKind kind) const;

private:
    struct LockClass {
        std::string name;
        LockKind kind;
    };
    // One entry of a held stack, or one link of a recorded chain. A running work item has no
    // instance and an empty site.
    struct HeldLock {
        LockClassId cls;
        const void* instance;
        std::string site;
        bool read;
    };
    struct ThreadState {
        std::string name;
        std::vector<HeldLock> held;  // outermost first
    };
    // How a dependency's target was reached.
    enum class Step { take, wait_for_work, run_work };
    // The first thread that established a dependency from -> to: its held stack at that moment
    // followed by the new lock, and which held entry is the `from` end.
    struct DependencyWitness {
        std::string thread;
        std::vector<HeldLock> chain;
        std::size_t from_index;
        Step step;
    };
    using Dependency = std::pair<LockClassId, LockClassId>;  // from, to

    const LockClass& class_at(LockClassId cls) const;
    void require_work_class(LockClassId cls) const;
    bool is_spinlock(LockClassId cls) const;
    bool is_work(LockClassId cls) const;
    ThreadState& thread_state(ThreadId thread);
    static const HeldLock* find_held(const ThreadState& state, const void* instance);
    static bool is_running_work(const ThreadState& state, LockClassId work);
    ThreadState* find_holder(const void* instance, ThreadId preferred);
    static void erase_last_held(ThreadState& state, const void* instance, LockClassId cls);

    bool is_recursive(const ThreadState& state, const HeldLock& next) const;
    void report_recursion(const ThreadState& state, const HeldLock& next);
    void add_dependencies(const ThreadState& state, const HeldLock& next, Step step);
    void add_dependency(const ThreadState& state, std::size_t from_index, const HeldLock& next, Step step);
    std::vector<LockClassId> find_path(LockClassId from, LockClassId to) const;
    void report_cycle(const std::vector<Dependency>& cycle);
    static std::string cycle_key(std::vector<Dependency> cycle);
    std::string describe_cycle_classes(const std::vector<Dependency>& cycle) const;
    void report_work_waits_for_itself(const ThreadState& state, const HeldLock& wait);

    void report_unlock_not_owner(const ThreadState& releaser, const HeldLock& release, const std::string& holder,
                                 const HeldLock* holder_entry);
    void report_unlock_not_held(const ThreadState& releaser, const HeldLock& release);
    void report(ReportKind kind, const std::string& key, std::string title, std::string text);

    std::string display_name(LockClassId cls) const;
    std::string describe_lock(const HeldLock& lock) const;
    std::string describe_release(const HeldLock& release) const;
    std::string describe_chain(const DependencyWitness& witness) const;
    std::string describe_dependency(const DependencyWitness& witness, bool current) const;
    std::string describe_cycle_headline(const DependencyWitness& current) const;
    std::string describe_held_stack(const ThreadState& state) const;

    std::vector<LockClass> classes_;
    std::map<std::string, LockClassId> class_by_name_;
    std::map<ThreadId, ThreadState> threads_;
    // The class graph: every dependency ever seen, with its first witness.
    std::map<Dependency, DependencyWitness> dependencies_;
    std::map<LockClassId, std::set<LockClassId>> successors_;

    std::vector<Report> pending_;
    std::set<std::string> reported_keys_;
    std::map<ReportKind, std::size_t> report_counts_;
};

}  // namespace iommu_vp::kernel
