#include "sw_stack/kernel/sync.h"

#include "sw_stack/kernel/interleave.h"
#include "sw_stack/kernel/io.h"
#include "sw_stack/kernel/runtime.h"

namespace iommu_vp::kernel {
LockClassId LockBase::lock_class() {
    if (!class_registered_) {
        class_id_ = Runtime::get().lock_validator().lock_class(class_name_, kind_);
        class_registered_ = true;
    }
    return class_id_;
}

void LockBase::check_acquire(Thread& thread, const std::string& site, bool read, bool trylock) {
    Runtime& rt = Runtime::get();
    rt.lock_validator().before_acquire(thread.id(), lock_class(), this, AcquireSite{site}, read, trylock);
    rt.collect_validator_reports();
}

void LockBase::note_acquired(Thread& thread, const std::string& site, bool read) {
    Runtime& rt = Runtime::get();
    if (!read) owner_ = &thread;
    rt.lock_validator().acquired(thread.id(), lock_class(), this, AcquireSite{site}, read);
    rt.wait_graph().add_holder(this, thread.id());
    rt.collect_validator_reports();
}

void LockBase::note_released(Thread& thread, bool read) {
    Runtime& rt = Runtime::get();
    const ThreadId recorded_owner = owner_ ? owner_->id() : thread.id();
    rt.lock_validator().released(thread.id(), lock_class(), this, recorded_owner);
    rt.wait_graph().remove_holder(this, read ? thread.id() : recorded_owner);
    if (!read) owner_ = nullptr;
    rt.collect_validator_reports();
    released_.notify(sc_core::SC_ZERO_TIME);
}

void LockBase::wait_until_released(bool spinning, const char* file, unsigned line) {
    Runtime::get().wait_on(WaitTarget::lock, this, class_name_, released_, spinning, file, line);
}

// ---- Mutex --------------------------------------------------------------------------------------

void Mutex::lock(const char* file, unsigned line) {
    Runtime& rt = Runtime::get();
    Thread& thread = rt.self();
    interleaving_point("lock.acquire:", class_name_);
    rt.might_sleep(file, line);
    check_acquire(thread, site_text(file, line), false, false);
    while (owner_) wait_until_released(false, file, line);
    note_acquired(thread, site_text(file, line), false);
}

bool Mutex::trylock(const char* file, unsigned line) {
    Thread& thread = Runtime::get().self();
    const std::string site = site_text(file, line);
    check_acquire(thread, site, false, true);
    if (owner_) return false;
    note_acquired(thread, site, false);
    return true;
}

void Mutex::unlock() {
    Thread& thread = Runtime::get().self();
    release_stores();  // an unlock is a release point
    note_released(thread, false);
    interleaving_point("lock.release:", class_name_);
}

// ---- SpinLock -----------------------------------------------------------------------------------

void SpinLock::acquire(bool irqsave, const char* file, unsigned line) {
    Thread& thread = Runtime::get().self();
    // Preemption (and with irqsave, interrupts) is disabled before spinning, as spin_lock does.
    ++thread.preempt_count;
    if (irqsave) ++thread.irqs_disabled;
    check_acquire(thread, site_text(file, line), false, false);
    while (owner_) wait_until_released(true, file, line);
    note_acquired(thread, site_text(file, line), false);
}

void SpinLock::release(bool irqsave) {
    Thread& thread = Runtime::get().self();
    release_stores();
    note_released(thread, false);
    if (irqsave && thread.irqs_disabled > 0) --thread.irqs_disabled;
    if (thread.preempt_count > 0) --thread.preempt_count;
}

void SpinLock::lock(const char* file, unsigned line) {
    interleaving_point("lock.acquire:", class_name_);
    acquire(false, file, line);
}
void SpinLock::unlock() {
    release(false);
    interleaving_point("lock.release:", class_name_);
}
void SpinLock::lock_irqsave(const char* file, unsigned line) {
    interleaving_point("lock.acquire:", class_name_);
    acquire(true, file, line);
}
void SpinLock::unlock_irqrestore() {
    release(true);
    interleaving_point("lock.release:", class_name_);
}

// ---- RwSemaphore --------------------------------------------------------------------------------

void RwSemaphore::down_read(const char* file, unsigned line) {
    Runtime& rt = Runtime::get();
    Thread& thread = rt.self();
    interleaving_point("lock.acquire:", class_name_);
    rt.might_sleep(file, line);
    check_acquire(thread, site_text(file, line), true, false);
    while (owner_) wait_until_released(false, file, line);
    ++readers_;
    note_acquired(thread, site_text(file, line), true);
}

void RwSemaphore::up_read() {
    Thread& thread = Runtime::get().self();
    release_stores();
    if (readers_ > 0) --readers_;
    note_released(thread, true);
    interleaving_point("lock.release:", class_name_);
}

void RwSemaphore::down_write(const char* file, unsigned line) {
    Runtime& rt = Runtime::get();
    Thread& thread = rt.self();
    interleaving_point("lock.acquire:", class_name_);
    rt.might_sleep(file, line);
    check_acquire(thread, site_text(file, line), false, false);
    while (owner_ || readers_ > 0) wait_until_released(false, file, line);
    note_acquired(thread, site_text(file, line), false);
}

void RwSemaphore::up_write() {
    Thread& thread = Runtime::get().self();
    release_stores();
    note_released(thread, false);
    interleaving_point("lock.release:", class_name_);
}

// ---- assertions ---------------------------------------------------------------------------------

void assert_held(const LockBase& lock, const char* file, unsigned line) {
    Runtime& rt = Runtime::get();
    rt.lock_validator().assert_held(rt.self().id(), &lock, lock.class_name() + " at " + site_text(file, line));
    rt.collect_validator_reports();
}

void assert_not_held(const LockBase& lock, const char* file, unsigned line) {
    Runtime& rt = Runtime::get();
    rt.lock_validator().assert_not_held(rt.self().id(), &lock, lock.class_name() + " at " + site_text(file, line));
    rt.collect_validator_reports();
}

// ---- Completion ---------------------------------------------------------------------------------

void Completion::complete() {
    if (done_ != kAll) ++done_;
    completed_.notify(sc_core::SC_ZERO_TIME);
}

void Completion::complete_all() {
    done_ = kAll;
    completed_.notify(sc_core::SC_ZERO_TIME);
}

void Completion::expect_completer(const Thread& thread) {
    WaitGraph& waits = Runtime::get().wait_graph();
    if (completer_) waits.remove_holder(this, completer_->id());
    completer_ = &thread;
    waits.add_holder(this, thread.id());
}

void Completion::wait(const char* file, unsigned line) {
    Runtime& rt = Runtime::get();
    while (done_ == 0) rt.wait_on(WaitTarget::completion, this, name_, completed_, false, file, line);
    if (done_ != kAll) --done_;
}

bool Completion::wait_timeout(const sc_core::sc_time& timeout, const char* file, unsigned line) {
    Runtime& rt = Runtime::get();
    rt.might_sleep(file, line);
    const sc_core::sc_time deadline = sc_core::sc_time_stamp() + timeout;
    while (done_ == 0) {
        const sc_core::sc_time now = sc_core::sc_time_stamp();
        if (now >= deadline) return false;
        // A bounded wait is not a hang: it is not entered in the wait-for graph.
        sc_core::wait(deadline - now, completed_);
    }
    if (done_ != kAll) --done_;
    return true;
}

void WaitQueue::sleep(const char* file, unsigned line) {
    Runtime::get().wait_on(WaitTarget::other, this, name_, woken_, false, file, line);
}

}  // namespace iommu_vp::kernel
