#include "sw_stack/kernel/lock_validator.h"

// Report formats (the first line of each text; the title is a one-line summary of the same):
//
//   possible circular locking dependency: thread "T" takes B while holding A,
//   but the opposite order was established earlier:
//     thread "U" held B (b.cpp:1) and then took A (a.cpp:2)          one line per earlier dependency,
//     thread "T" holds A (a.cpp:3) and is taking B (b.cpp:4)         with its first witness; then ours
//   acquisition chains (held locks outermost first, then the one taken or waited for):
//     thread "U": C (c.cpp:9) -> B (b.cpp:1) -> A (a.cpp:2)         each witness's whole held stack
//     thread "T": A (a.cpp:3) -> B (b.cpp:4)
//
// A cycle through a work item reads the same under "possible deadlock waiting for a work item
// (rule L4):", with "running work W took L", "held L (...) and then waited for work W (...)".
// The per-instance reports name the thread, the lock and its site, and end with the thread's held
// stack ("thread "T" holds:" then "  #0 A (a.cpp:3)" per lock, or "thread "T" holds no locks").

#include <algorithm>
#include <deque>
#include <stdexcept>

namespace iommu_vp::kernel {
namespace {

std::string quoted_thread(const std::string& name) {
    return "thread \"" + name + "\"";
}

std::string with_site(const std::string& what, const std::string& site) {
    return site.empty() ? what : what + " (" + site + ")";
}

}  // namespace

const char* report_kind_name(ReportKind kind) {
    switch (kind) {
    case ReportKind::lock_inversion: return "lock_inversion";
    case ReportKind::recursive_locking: return "recursive_locking";
    case ReportKind::unlock_not_owner: return "unlock_not_owner";
    case ReportKind::unlock_not_held: return "unlock_not_held";
    case ReportKind::sleep_in_atomic: return "sleep_in_atomic";
    case ReportKind::assert_held_failed: return "assert_held_failed";
    case ReportKind::assert_not_held_failed: return "assert_not_held_failed";
    case ReportKind::wait_under_lock_work: return "wait_under_lock_work";
    }
    return "unknown";
}

// ---- Classes and threads ----

LockClassId LockValidator::lock_class(const std::string& name, LockKind kind) {
    const auto found = class_by_name_.find(name);
    if (found != class_by_name_.end()) {
        if (classes_[found->second].kind != kind)
            throw std::invalid_argument("lock class \"" + name + "\" already exists with another kind");
        return found->second;
    }
    const auto cls = static_cast<LockClassId>(classes_.size());
    classes_.push_back(LockClass{name, kind});
    class_by_name_.emplace(name, cls);
    return cls;
}

const LockValidator::LockClass& LockValidator::class_at(LockClassId cls) const {
    if (cls >= classes_.size()) throw std::out_of_range("unknown lock class " + std::to_string(cls));
    return classes_[cls];
}

const std::string& LockValidator::class_name(LockClassId cls) const {
    return class_at(cls).name;
}

LockKind LockValidator::class_kind(LockClassId cls) const {
    return class_at(cls).kind;
}

void LockValidator::require_work_class(LockClassId cls) const {
    if (!is_work(cls)) throw std::invalid_argument("lock class \"" + class_name(cls) + "\" is not a work item");
}

bool LockValidator::is_spinlock(LockClassId cls) const {
    const LockKind kind = class_kind(cls);
    return kind == LockKind::spinlock || kind == LockKind::spinlock_irqsave;
}

bool LockValidator::is_work(LockClassId cls) const {
    return class_kind(cls) == LockKind::work;
}

void LockValidator::thread_started(ThreadId thread, std::string name) {
    threads_[thread] = ThreadState{std::move(name), {}};
}

LockValidator::ThreadState& LockValidator::thread_state(ThreadId thread) {
    const auto [it, inserted] = threads_.try_emplace(thread);
    if (inserted) it->second.name = "#" + std::to_string(thread);
    return it->second;
}

// ---- Held stacks ----

// The innermost entry for `instance`: a rwsem read-held twice has two entries.
const LockValidator::HeldLock* LockValidator::find_held(const ThreadState& state, const void* instance) {
    if (instance == nullptr) return nullptr;
    for (auto it = state.held.rbegin(); it != state.held.rend(); ++it)
        if (it->instance == instance) return &*it;
    return nullptr;
}

// A running work item is the only held entry without an instance.
bool LockValidator::is_running_work(const ThreadState& state, LockClassId work) {
    return std::any_of(state.held.begin(), state.held.end(),
                       [work](const HeldLock& held) { return held.cls == work && held.instance == nullptr; });
}

// The thread holding `instance`, trying the runtime's recorded owner first (several readers may hold
// a rwsem; the one the runtime names is the one whose record must go).
LockValidator::ThreadState* LockValidator::find_holder(const void* instance, ThreadId preferred) {
    const auto owner = threads_.find(preferred);
    if (owner != threads_.end() && find_held(owner->second, instance)) return &owner->second;
    for (auto& [thread, state] : threads_)
        if (find_held(state, instance)) return &state;
    return nullptr;
}

void LockValidator::erase_last_held(ThreadState& state, const void* instance, LockClassId cls) {
    const auto matches = [&](const HeldLock& held) {
        return instance ? held.instance == instance : held.instance == nullptr && held.cls == cls;
    };
    const auto it = std::find_if(state.held.rbegin(), state.held.rend(), matches);
    if (it != state.held.rend()) state.held.erase(std::next(it).base());
}

bool LockValidator::holds(ThreadId thread, const void* instance) const {
    const auto it = threads_.find(thread);
    return it != threads_.end() && find_held(it->second, instance) != nullptr;
}

std::vector<std::string> LockValidator::held_locks(ThreadId thread) const {
    std::vector<std::string> described;
    const auto it = threads_.find(thread);
    if (it == threads_.end()) return described;
    for (const HeldLock& held : it->second.held) described.push_back(describe_lock(held));
    return described;
}

// ---- Acquire and release ----

void LockValidator::before_acquire(ThreadId thread, LockClassId cls, const void* instance, const AcquireSite& site,
                                   bool read, bool trylock) {
    class_at(cls);
    const ThreadState& state = thread_state(thread);
    // A trylock returns at once when the lock is busy, so it can neither self-deadlock nor be part of
    // an ABBA; the locks taken while it is held still order after it.
    if (trylock) return;
    const HeldLock next{cls, instance, site.text, read};
    // A thread that takes what it holds hangs right here; the order of its other locks against this
    // class says nothing more, so, as lockdep does, no dependency is recorded for it.
    if (is_recursive(state, next)) {
        report_recursion(state, next);
        return;
    }
    add_dependencies(state, next, Step::take);
}

void LockValidator::acquired(ThreadId thread, LockClassId cls, const void* instance, const AcquireSite& site,
                             bool read) {
    class_at(cls);
    thread_state(thread).held.push_back(HeldLock{cls, instance, site.text, read});
}

void LockValidator::released(ThreadId thread, LockClassId cls, const void* instance, ThreadId recorded_owner,
                             const AcquireSite& site) {
    class_at(cls);
    ThreadState& releaser = thread_state(thread);
    if (find_held(releaser, instance)) {
        erase_last_held(releaser, instance, cls);
        return;
    }
    const HeldLock release{cls, instance, site.text, false};
    if (ThreadState* holder = find_holder(instance, recorded_owner)) {
        report_unlock_not_owner(releaser, release, holder->name, find_held(*holder, instance));
        erase_last_held(*holder, instance, cls);  // the runtime has released it: keep the records true
        return;
    }
    // Held according to the runtime, though the validator never saw it taken.
    if (recorded_owner != kNoThread && recorded_owner != thread) {
        report_unlock_not_owner(releaser, release, thread_state(recorded_owner).name, nullptr);
        return;
    }
    report_unlock_not_held(releaser, release);
}

bool LockValidator::is_recursive(const ThreadState& state, const HeldLock& next) const {
    const HeldLock* held = find_held(state, next.instance);
    if (held == nullptr) return false;
    // Readers share a rwsem, so a second down_read by the same thread does not wait for itself.
    return !(next.read && held->read && class_kind(next.cls) == LockKind::rwsem);
}

void LockValidator::report_recursion(const ThreadState& state, const HeldLock& next) {
    std::string text = "possible recursive locking: " + quoted_thread(state.name) + " takes " + describe_lock(next) +
                       " but already holds this instance:\n  " + describe_lock(*find_held(state, next.instance)) +
                       "\n" + describe_held_stack(state);
    report(ReportKind::recursive_locking, "recursive|" + std::to_string(next.cls) + "|" + next.site,
           "possible recursive locking of " + display_name(next.cls), std::move(text));
}

// ---- Sleep checks and assertions ----

void LockValidator::might_sleep(ThreadId thread, bool atomic, const std::string& where) {
    const ThreadState& state = thread_state(thread);
    std::string spinlocks;
    std::string key = "sleep|" + where;
    std::size_t spinlock_count = 0;
    for (const HeldLock& held : state.held) {
        if (!is_spinlock(held.cls)) continue;
        spinlocks += (spinlock_count++ ? ", " : "") + describe_lock(held);
        key += "|" + std::to_string(held.cls);
    }
    if (spinlock_count == 0 && !atomic) return;
    const std::string reason = spinlock_count == 0 ? "in atomic context (preemption or interrupts disabled)"
                               : spinlock_count == 1 ? "while holding spinlock " + spinlocks
                                                     : "while holding spinlocks " + spinlocks;
    std::string text = "sleeping function called from atomic context: " + quoted_thread(state.name) +
                       " may sleep in " + where + " " + reason + "\n" + describe_held_stack(state);
    report(ReportKind::sleep_in_atomic, key, "sleeping function called from atomic context: " + where,
           std::move(text));
}

void LockValidator::assert_held(ThreadId thread, const void* instance, const std::string& what) {
    const ThreadState& state = thread_state(thread);
    if (find_held(state, instance)) return;
    std::string text = "lock assertion failed: " + quoted_thread(state.name) + " must hold " + what + ", but does not";
    if (const ThreadState* other = find_holder(instance, kNoThread))
        text += " (" + quoted_thread(other->name) + " holds it: " + describe_lock(*find_held(*other, instance)) + ")";
    text += "\n" + describe_held_stack(state);
    report(ReportKind::assert_held_failed, "held|" + what, "lockdep_assert_held failed: " + what, std::move(text));
}

void LockValidator::assert_not_held(ThreadId thread, const void* instance, const std::string& what) {
    const ThreadState& state = thread_state(thread);
    const HeldLock* held = find_held(state, instance);
    if (held == nullptr) return;
    std::string text = "lock assertion failed: " + quoted_thread(state.name) + " must not hold " + what +
                       ", but holds it: " + describe_lock(*held) + "\n" + describe_held_stack(state);
    report(ReportKind::assert_not_held_failed, "not_held|" + what, "lockdep_assert_not_held failed: " + what,
           std::move(text));
}

// ---- Work items as pseudo-locks ----

void LockValidator::work_started(ThreadId worker, LockClassId work) {
    require_work_class(work);
    ThreadState& state = thread_state(worker);
    const HeldLock running{work, nullptr, "", false};
    add_dependencies(state, running, Step::run_work);
    state.held.push_back(running);
}

void LockValidator::work_finished(ThreadId worker, LockClassId work) {
    require_work_class(work);
    erase_last_held(thread_state(worker), nullptr, work);
}

void LockValidator::work_waited(ThreadId waiter, LockClassId work, const AcquireSite& site) {
    require_work_class(work);
    const ThreadState& state = thread_state(waiter);
    const HeldLock wait{work, nullptr, site.text, false};
    if (is_running_work(state, work)) report_work_waits_for_itself(state, wait);
    add_dependencies(state, wait, Step::wait_for_work);
}

void LockValidator::report_work_waits_for_itself(const ThreadState& state, const HeldLock& wait) {
    std::string text = "possible deadlock waiting for a work item (rule L4): " + quoted_thread(state.name) +
                       " running " + display_name(wait.cls) + " waits for " + describe_lock(wait) +
                       ", which cannot finish before this wait does\n" + describe_held_stack(state);
    report(ReportKind::wait_under_lock_work, "self_wait|" + std::to_string(wait.cls) + "|" + wait.site,
           "work item waits for itself: " + display_name(wait.cls), std::move(text));
}

// ---- The class graph ----

// Every lock the thread holds now orders before `next`. Another instance of the same class adds no
// edge: nesting two instances of a class is per-instance order, left to the wait graph.
void LockValidator::add_dependencies(const ThreadState& state, const HeldLock& next, Step step) {
    for (std::size_t index = 0; index < state.held.size(); ++index) {
        const LockClassId from = state.held[index].cls;
        if (from == next.cls || dependencies_.count({from, next.cls})) continue;
        add_dependency(state, index, next, step);
    }
}

// Records a new dependency with its first witness, then looks for the way back: a path from the new
// target to the new source closes a cycle, i.e. some interleaving of the witnesses deadlocks.
void LockValidator::add_dependency(const ThreadState& state, std::size_t from_index, const HeldLock& next,
                                   Step step) {
    const Dependency dependency{state.held[from_index].cls, next.cls};
    DependencyWitness witness{state.name, state.held, from_index, step};
    witness.chain.push_back(next);
    dependencies_.emplace(dependency, std::move(witness));
    successors_[dependency.first].insert(dependency.second);

    const std::vector<LockClassId> path = find_path(dependency.second, dependency.first);
    if (path.empty()) return;
    std::vector<Dependency> cycle;
    for (std::size_t i = 0; i + 1 < path.size(); ++i) cycle.emplace_back(path[i], path[i + 1]);
    cycle.push_back(dependency);
    report_cycle(cycle);
}

// Breadth-first, so the shortest way round is reported; successors are visited in class order, so the
// same history always gives the same report. Returns the classes from `from` to `to`, or nothing.
std::vector<LockClassId> LockValidator::find_path(LockClassId from, LockClassId to) const {
    std::map<LockClassId, LockClassId> reached_from{{from, from}};
    std::deque<LockClassId> frontier{from};
    while (!frontier.empty() && !reached_from.count(to)) {
        const LockClassId cls = frontier.front();
        frontier.pop_front();
        const auto successors = successors_.find(cls);
        if (successors == successors_.end()) continue;
        for (LockClassId next : successors->second)
            if (reached_from.emplace(next, cls).second) frontier.push_back(next);
    }
    if (!reached_from.count(to)) return {};
    std::vector<LockClassId> path{to};
    while (path.back() != from) path.push_back(reached_from.at(path.back()));
    std::reverse(path.begin(), path.end());
    return path;
}

// `cycle` lists the earlier dependencies in path order, then the new one (the current thread's).
void LockValidator::report_cycle(const std::vector<Dependency>& cycle) {
    const DependencyWitness& current = dependencies_.at(cycle.back());
    const bool through_work = std::any_of(cycle.begin(), cycle.end(),
                                          [this](const Dependency& dependency) { return is_work(dependency.first); });
    const std::string kind_text = through_work ? "possible deadlock waiting for a work item"
                                               : "possible circular locking dependency";
    std::string text = kind_text + (through_work ? " (rule L4): " : ": ") + describe_cycle_headline(current) +
                       "\nbut the opposite order was established earlier:";
    std::vector<std::string> chains;
    for (const Dependency& dependency : cycle) {
        const DependencyWitness& witness = dependencies_.at(dependency);
        text += "\n  " + describe_dependency(witness, &witness == &current);
        std::string chain = describe_chain(witness);
        if (std::find(chains.begin(), chains.end(), chain) == chains.end()) chains.push_back(std::move(chain));
    }
    text += "\nacquisition chains (held locks outermost first, then the one taken or waited for):";
    for (const std::string& chain : chains) text += "\n  " + chain;
    report(through_work ? ReportKind::wait_under_lock_work : ReportKind::lock_inversion, cycle_key(cycle),
           kind_text + ": " + describe_cycle_classes(cycle), std::move(text));
}

// A cycle is the same problem whichever dependency closed it: the key is its set of dependencies.
std::string LockValidator::cycle_key(std::vector<Dependency> cycle) {
    std::sort(cycle.begin(), cycle.end());
    std::string key = "cycle";
    for (const Dependency& dependency : cycle)
        key += "|" + std::to_string(dependency.first) + ">" + std::to_string(dependency.second);
    return key;
}

// "A -> B -> C -> A", starting from the lock the current thread holds.
std::string LockValidator::describe_cycle_classes(const std::vector<Dependency>& cycle) const {
    std::string text = display_name(cycle.back().first) + " -> " + display_name(cycle.back().second);
    for (std::size_t i = 0; i + 1 < cycle.size(); ++i) text += " -> " + display_name(cycle[i].second);
    return text;
}

// ---- Unlock reports ----

void LockValidator::report_unlock_not_owner(const ThreadState& releaser, const HeldLock& release,
                                            const std::string& holder, const HeldLock* holder_entry) {
    std::string text = "unlock by a thread that does not own the lock: " + quoted_thread(releaser.name) +
                       " releases " + describe_release(release) + ", which " + quoted_thread(holder);
    text += holder_entry ? " holds: " + describe_lock(*holder_entry) : " owns according to the runtime";
    text += "\n" + describe_held_stack(releaser);
    report(ReportKind::unlock_not_owner,
           "not_owner|" + std::to_string(release.cls) + "|" + releaser.name + "|" + release.site,
           "unlock of " + display_name(release.cls) + " by " + quoted_thread(releaser.name) + ", not its owner",
           std::move(text));
}

void LockValidator::report_unlock_not_held(const ThreadState& releaser, const HeldLock& release) {
    std::string text = "unlock of a lock that is not held: " + quoted_thread(releaser.name) + " releases " +
                       describe_release(release) + ", but no thread holds it\n" + describe_held_stack(releaser);
    report(ReportKind::unlock_not_held,
           "not_held_unlock|" + std::to_string(release.cls) + "|" + releaser.name + "|" + release.site,
           "unlock of " + display_name(release.cls) + ", which is not held", std::move(text));
}

// ---- Reports ----

void LockValidator::report(ReportKind kind, const std::string& key, std::string title, std::string text) {
    if (!reported_keys_.insert(key).second) return;
    ++report_counts_[kind];
    pending_.push_back(Report{kind, std::move(title), std::move(text)});
}

std::vector<Report> LockValidator::take_reports() {
    return std::exchange(pending_, {});
}

std::size_t LockValidator::report_count(ReportKind kind) const {
    const auto it = report_counts_.find(kind);
    return it == report_counts_.end() ? 0 : it->second;
}

// ---- Texts ----

std::string LockValidator::display_name(LockClassId cls) const {
    return is_work(cls) ? "work " + class_name(cls) : class_name(cls);
}

// "group->mutex (iommu.cpp:88)", "dev_rwsem [read] (x.cpp:1)", "work W (running)".
std::string LockValidator::describe_lock(const HeldLock& lock) const {
    std::string text = display_name(lock.cls);
    if (class_kind(lock.cls) == LockKind::rwsem) text += lock.read ? " [read]" : " [write]";
    if (lock.site.empty() && is_work(lock.cls)) return text + " (running)";
    return with_site(text, lock.site);
}

// A release names no mode: the runtime does not say which one it drops.
std::string LockValidator::describe_release(const HeldLock& release) const {
    return with_site(display_name(release.cls), release.site);
}

std::string LockValidator::describe_chain(const DependencyWitness& witness) const {
    std::string text = quoted_thread(witness.thread) + ":";
    for (std::size_t i = 0; i < witness.chain.size(); ++i)
        text += (i ? " -> " : " ") + describe_lock(witness.chain[i]);
    return text;
}

// One dependency in a cycle: in the past tense for an earlier witness, in the present for the thread
// that is about to close the cycle.
std::string LockValidator::describe_dependency(const DependencyWitness& witness, bool current) const {
    static const char* const past[] = {"took", "waited for", "ran"};
    static const char* const present[] = {"is taking", "waits for", "starts running"};
    const HeldLock& from = witness.chain[witness.from_index];
    std::string text = quoted_thread(witness.thread) + " ";
    if (is_work(from.cls))
        text += "running " + display_name(from.cls) + " ";
    else
        text += (current ? "holds " : "held ") + describe_lock(from) + (current ? " and " : " and then ");
    const auto step = static_cast<std::size_t>(witness.step);
    return text + (current ? present[step] : past[step]) + " " + describe_lock(witness.chain.back());
}

// 'thread "T" takes B while holding A,' (names only: the sites follow on the dependency lines).
std::string LockValidator::describe_cycle_headline(const DependencyWitness& current) const {
    static const char* const verbs[] = {"takes", "waits for", "runs"};
    const HeldLock& from = current.chain[current.from_index];
    return quoted_thread(current.thread) + " " + verbs[static_cast<std::size_t>(current.step)] + " " +
           display_name(current.chain.back().cls) + (is_work(from.cls) ? " while running " : " while holding ") +
           display_name(from.cls) + ",";
}

std::string LockValidator::describe_held_stack(const ThreadState& state) const {
    if (state.held.empty()) return quoted_thread(state.name) + " holds no locks";
    std::string text = quoted_thread(state.name) + " holds:";
    for (std::size_t i = 0; i < state.held.size(); ++i)
        text += "\n  #" + std::to_string(i) + " " + describe_lock(state.held[i]);
    return text;
}

}  // namespace iommu_vp::kernel
