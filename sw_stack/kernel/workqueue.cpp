#include "sw_stack/kernel/workqueue.h"

#include "sw_stack/kernel/runtime.h"

#include <memory>

namespace iommu_vp::kernel {
LockClassId Work::pseudo_lock() {
    if (!class_registered_) {
        class_id_ = Runtime::get().lock_validator().lock_class(name_, LockKind::work);
        class_registered_ = true;
    }
    return class_id_;
}

Workqueue::Workqueue(std::string name, unsigned workers) : name_(std::move(name)) {
    Runtime& rt = Runtime::get();
    for (unsigned i = 0; i < (workers == 0 ? 1 : workers); ++i)
        rt.spawn(name_ + "/" + std::to_string(i), [this] { worker(); });
}

bool Workqueue::queue(Work& work) {
    if (work.pending_) return false;
    work.pending_ = true;
    ++work.queued_;
    work.queue_ = this;
    queue_.push_back(&work);
    ++queued_count_;
    work_queued_.notify(sc_core::SC_ZERO_TIME);
    return true;
}

bool Workqueue::remove(Work& work) {
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
        if (*it != &work) continue;
        queue_.erase(it);
        work.pending_ = false;
        work.queue_ = nullptr;
        ++work.finished_;
        ++done_count_;  // it will not run: flushes need not wait for it
        item_done_.notify(sc_core::SC_ZERO_TIME);
        work.idle_.notify(sc_core::SC_ZERO_TIME);
        return true;
    }
    return false;
}

void Workqueue::worker() {
    Runtime& rt = Runtime::get();
    Thread& self = rt.self();
    for (;;) {
        while (queue_.empty()) rt.wait_idle(work_queued_);
        Work& work = *queue_.front();
        queue_.pop_front();
        work.pending_ = false;
        work.queue_ = nullptr;
        ++work.running_;
        rt.wait_graph().add_holder(&work, self.id());
        rt.lock_validator().work_started(self.id(), work.pseudo_lock());
        work.function_();
        rt.lock_validator().work_finished(self.id(), work.pseudo_lock());
        rt.collect_validator_reports();
        rt.wait_graph().remove_holder(&work, self.id());
        --work.running_;
        ++work.finished_;
        ++done_count_;
        item_done_.notify(sc_core::SC_ZERO_TIME);
        work.idle_.notify(sc_core::SC_ZERO_TIME);
    }
}

void Workqueue::flush(const char* file, unsigned line) {
    Runtime& rt = Runtime::get();
    const std::uint64_t target = queued_count_;
    while (done_count_ < target)
        rt.wait_on(WaitTarget::other, this, name_, item_done_, false, file, line);
}

bool queue_work(Workqueue& queue, Work& work) { return queue.queue(work); }

bool flush_work(Work& work, const char* file, unsigned line) {
    Runtime& rt = Runtime::get();
    Thread& self = rt.self();
    rt.lock_validator().work_waited(self.id(), work.pseudo_lock(), AcquireSite{site_text(file, line)});
    rt.collect_validator_reports();
    const bool busy = work.pending() || work.running();
    // The instance queued last before this call: it is the pending one, or the running one.
    const std::uint64_t target = work.queued_;
    while (busy && work.finished_ < target)
        rt.wait_on(WaitTarget::work, &work, work.name(), work.idle_, false, file, line);
    return busy;
}

bool cancel_work_sync(Work& work, const char* file, unsigned line) {
    const bool was_pending = work.queue_ && work.queue_->remove(work);
    flush_work(work, file, line);  // waits for a running instance; records the L4 dependency either way
    return was_pending;
}

Workqueue& system_wq() {
    static std::unique_ptr<Workqueue> queue;
    if (!queue) queue = std::make_unique<Workqueue>("events", 2);
    return *queue;
}

// ---- timers -------------------------------------------------------------------------------------

// The timer thread: fires due timers in expiry order, their callbacks in atomic context.
class TimerWheel {
public:
    static TimerWheel& get() {
        static std::unique_ptr<TimerWheel> wheel;
        if (!wheel) wheel = std::unique_ptr<TimerWheel>(new TimerWheel());
        return *wheel;
    }
    void arm(Timer& timer) {
        timers_.emplace(timer.expires_, &timer);
        changed_.notify(sc_core::SC_ZERO_TIME);
    }
    void disarm(Timer& timer) {
        for (auto it = timers_.begin(); it != timers_.end(); ++it)
            if (it->second == &timer) {
                timers_.erase(it);
                return;
            }
    }

private:
    TimerWheel() {
        Runtime::get().spawn("timers", [this] { run(); });
    }
    void run() {
        Runtime& rt = Runtime::get();
        Thread& self = rt.self();
        for (;;) {
            if (timers_.empty()) {
                rt.wait_idle(changed_);
                continue;
            }
            const sc_core::sc_time now = sc_core::sc_time_stamp();
            const auto first = timers_.begin();
            if (first->first > now) {
                sc_core::wait(first->first - now, changed_);
                continue;
            }
            Timer& timer = *first->second;
            timers_.erase(first);
            timer.pending_ = false;
            ++self.preempt_count;  // softirq context
            timer.running_ = true;
            timer.callback_();
            timer.running_ = false;
            timer.callback_done_.notify(sc_core::SC_ZERO_TIME);
            --self.preempt_count;
        }
    }

    std::multimap<sc_core::sc_time, Timer*> timers_;
    sc_core::sc_event changed_;
};

Timer::~Timer() {
    if (pending_) TimerWheel::get().disarm(*this);
}

bool Timer::modify(const sc_core::sc_time& delay) {
    const bool was_pending = remove();
    expires_ = sc_core::sc_time_stamp() + delay;
    pending_ = true;
    TimerWheel::get().arm(*this);
    return was_pending;
}

bool Timer::remove() {
    if (!pending_) return false;
    TimerWheel::get().disarm(*this);
    pending_ = false;
    return true;
}

bool Timer::remove_sync(const char* file, unsigned line) {
    const bool was_pending = remove();
    while (running_)
        Runtime::get().wait_on(WaitTarget::other, this, name_, callback_done_, false, file, line);
    return was_pending;
}

DelayedWork::DelayedWork(std::string name, std::function<void()> function)
    : work_(name, std::move(function)), timer_(name + " timer", [this] {
          if (target_) target_->queue(work_);
      }) {}

bool DelayedWork::queue(Workqueue& queue, const sc_core::sc_time& delay) {
    if (timer_.pending() || work_.pending()) return false;
    target_ = &queue;
    if (delay == sc_core::SC_ZERO_TIME) return queue.queue(work_);
    timer_.modify(delay);
    return true;
}

bool DelayedWork::cancel_sync(const char* file, unsigned line) {
    const bool was_armed = timer_.remove();
    return cancel_work_sync(work_, file, line) || was_armed;
}

}  // namespace iommu_vp::kernel
