// Work queues, delayed work and timers.
//
// A Workqueue has its own worker threads (one: ordered; more: work items may run concurrently). A
// Work item is pending from queue_work until a worker picks it up, then running until its function
// returns; queue_work on a pending item does nothing and returns false, on a running one queues it
// again. flush_work waits for the instance queued last before the call to finish (not for instances
// queued later); cancel_work_sync removes a pending item and waits for a running one to finish. For the lock-order validator a work item is a
// pseudo-lock: its body runs "holding" it and flush/cancel_sync "take" it, so waiting for an item
// while holding a lock its body takes is reported (rule L4), whatever the order the run happened in.
//
// Timers run their callback in the timer thread with preemption disabled (softirq context: must not
// sleep). Delayed work is a timer that queues the work item.
#pragma once

#include "sw_stack/kernel/lock_validator.h"

#include <systemc>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>

namespace iommu_vp::kernel {

class Thread;
class Workqueue;

class Work {
public:
    // `name` is the pseudo-lock class ("iommu_quarantine_work"): items with one function share it.
    Work(std::string name, std::function<void()> function) : name_(std::move(name)), function_(std::move(function)) {}
    Work(const Work&) = delete;
    Work& operator=(const Work&) = delete;

    const std::string& name() const { return name_; }
    bool pending() const { return pending_; }
    bool running() const { return running_ > 0; }

private:
    friend class Workqueue;
    friend bool flush_work(Work&, const char*, unsigned);
    friend bool cancel_work_sync(Work&, const char*, unsigned);
    LockClassId pseudo_lock();

    std::string name_;
    std::function<void()> function_;
    bool pending_ = false;
    unsigned running_ = 0;
    std::uint64_t queued_ = 0;    // instances queued so far
    std::uint64_t finished_ = 0;  // instances run to the end or cancelled while pending
    Workqueue* queue_ = nullptr;  // where it is pending
    bool class_registered_ = false;
    LockClassId class_id_ = 0;
    sc_core::sc_event idle_;      // notified when it stops being pending or running
};

class Workqueue {
public:
    // Creates the worker threads (from elaboration or from a software thread).
    explicit Workqueue(std::string name, unsigned workers = 1);
    Workqueue(const Workqueue&) = delete;
    Workqueue& operator=(const Workqueue&) = delete;

    const std::string& name() const { return name_; }
    bool queue(Work& work);
    // Removes `work` if pending here; true if it was.
    bool remove(Work& work);
    // Waits until every item queued before the call has run.
    void flush(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE());

private:
    void worker();

    std::string name_;
    std::deque<Work*> queue_;
    sc_core::sc_event work_queued_;
    sc_core::sc_event item_done_;
    std::uint64_t queued_count_ = 0;
    std::uint64_t done_count_ = 0;
};

bool queue_work(Workqueue& queue, Work& work);
bool flush_work(Work& work, const char* file = __builtin_FILE(), unsigned line = __builtin_LINE());
bool cancel_work_sync(Work& work, const char* file = __builtin_FILE(), unsigned line = __builtin_LINE());

// The runtime's default queue (system_wq), created on first use.
Workqueue& system_wq();

class Timer {
public:
    Timer(std::string name, std::function<void()> callback) : name_(std::move(name)), callback_(std::move(callback)) {}
    ~Timer();
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    // (Re)arms the timer to fire `delay` from now (mod_timer). True if it was pending.
    bool modify(const sc_core::sc_time& delay);
    // Disarms it (del_timer); true if it was pending. A running callback is not waited for.
    bool remove();
    // Disarms it and waits until a running callback has returned (del_timer_sync / timer_shutdown_sync):
    // afterwards the callback's data may be freed. Must not be called from the callback itself.
    bool remove_sync(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE());
    bool pending() const { return pending_; }
    const std::string& name() const { return name_; }

private:
    friend class TimerWheel;
    std::string name_;
    std::function<void()> callback_;
    bool pending_ = false;
    bool running_ = false;
    sc_core::sc_time expires_;
    sc_core::sc_event callback_done_;
};

class DelayedWork {
public:
    DelayedWork(std::string name, std::function<void()> function);
    Work& work() { return work_; }
    // Queues the work on `queue` after `delay` (queue_delayed_work); false if already pending.
    bool queue(Workqueue& queue, const sc_core::sc_time& delay);
    // Disarms the timer and cancels the work, waiting for a running instance.
    bool cancel_sync(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE());

private:
    Work work_;
    Timer timer_;
    Workqueue* target_ = nullptr;
};

}  // namespace iommu_vp::kernel
