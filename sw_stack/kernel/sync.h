// Locks, completions and wait queues of the kernel runtime, each checked by the lock-order validator
// and entered in the wait-for graph while a thread waits on it.
//
// Every lock has a class name (all group mutexes share "group->mutex"; the validator orders classes,
// and tracks instances for recursion and ownership) and records where it was taken (the caller's
// file and line, filled in by default arguments). Acquiring and releasing pass interleaving points
// "lock.acquire:<class>" and "lock.release:<class>", and every wait ends at "wake:<name>", through
// which a scenario can park a thread.
//
// Mutex and RwSemaphore sleep (might_sleep is checked); SpinLock spins: it disables preemption (and,
// with lock_irqsave, interrupts) before it waits, so sleeping while holding one is reported. An unlock
// is a release point of the memory model: the CPU's buffered stores become visible first.
#pragma once

#include "sw_stack/kernel/lock_validator.h"

#include <systemc>

#include <cstdint>
#include <string>

namespace iommu_vp::kernel {

class Thread;

// What every lock shares: its class (registered with the validator at first use) and its owner.
class LockBase {
public:
    explicit LockBase(std::string class_name, LockKind kind) : class_name_(std::move(class_name)), kind_(kind) {}
    LockBase(const LockBase&) = delete;
    LockBase& operator=(const LockBase&) = delete;

    const std::string& class_name() const { return class_name_; }
    Thread* owner() const { return owner_; }
    bool is_locked() const { return owner_ != nullptr; }

protected:
    LockClassId lock_class();
    // The validator's checks before taking, and the bookkeeping after taking and releasing.
    void check_acquire(Thread& thread, const std::string& site, bool read, bool trylock);
    void note_acquired(Thread& thread, const std::string& site, bool read);
    void note_released(Thread& thread, bool read);
    void wait_until_released(bool spinning, const char* file, unsigned line);

    std::string class_name_;
    LockKind kind_;
    bool class_registered_ = false;
    LockClassId class_id_ = 0;
    Thread* owner_ = nullptr;
    sc_core::sc_event released_;
};

class Mutex : public LockBase {
public:
    explicit Mutex(std::string class_name) : LockBase(std::move(class_name), LockKind::mutex) {}
    void lock(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE());
    bool trylock(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE());
    void unlock();
};

class SpinLock : public LockBase {
public:
    explicit SpinLock(std::string class_name) : LockBase(std::move(class_name), LockKind::spinlock) {}
    void lock(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE());
    void unlock();
    // spin_lock_irqsave / spin_unlock_irqrestore: interrupts stay disabled while held.
    void lock_irqsave(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE());
    void unlock_irqrestore();

private:
    void acquire(bool irqsave, const char* file, unsigned line);
    void release(bool irqsave);
};

class RwSemaphore : public LockBase {
public:
    explicit RwSemaphore(std::string class_name) : LockBase(std::move(class_name), LockKind::rwsem) {}
    void down_read(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE());
    void up_read();
    void down_write(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE());
    void up_write();
    unsigned readers() const { return readers_; }

private:
    unsigned readers_ = 0;
};

// RAII holders, as guard(mutex) in Linux.
template <typename Lock>
class Guard {
public:
    explicit Guard(Lock& lock, const char* file = __builtin_FILE(), unsigned line = __builtin_LINE()) : lock_(lock) {
        lock_.lock(file, line);
    }
    ~Guard() { lock_.unlock(); }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

private:
    Lock& lock_;
};

// lockdep_assert_held / lockdep_assert_not_held.
void assert_held(const LockBase& lock, const char* file = __builtin_FILE(), unsigned line = __builtin_LINE());
void assert_not_held(const LockBase& lock, const char* file = __builtin_FILE(), unsigned line = __builtin_LINE());

class Completion {
public:
    explicit Completion(std::string name = "completion") : name_(std::move(name)) {}
    void complete();
    void complete_all();
    void wait(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE());
    // False when `timeout` passed first.
    bool wait_timeout(const sc_core::sc_time& timeout, const char* file = __builtin_FILE(),
                      unsigned line = __builtin_LINE());
    bool done() const { return done_ > 0; }
    void reinit() { done_ = 0; }
    // Names the thread expected to complete it, so a wait-for cycle through it can be seen.
    void expect_completer(const Thread& thread);

private:
    static constexpr unsigned kAll = ~0u;
    std::string name_;
    unsigned done_ = 0;
    sc_core::sc_event completed_;
    const Thread* completer_ = nullptr;
};

// wait_event / wake_up: a thread waits until a condition holds, re-checking it at every wake-up.
class WaitQueue {
public:
    explicit WaitQueue(std::string name = "wait queue") : name_(std::move(name)) {}
    template <typename Condition>
    void wait_event(Condition condition, const char* file = __builtin_FILE(), unsigned line = __builtin_LINE()) {
        while (!condition()) sleep(file, line);
    }
    void wake_up() { woken_.notify(sc_core::SC_ZERO_TIME); }

private:
    void sleep(const char* file, unsigned line);
    std::string name_;
    sc_core::sc_event woken_;
};

}  // namespace iommu_vp::kernel
