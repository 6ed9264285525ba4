#include "sw_stack/kernel/runtime.h"

#include "sw_stack/kernel/interleave.h"

#include <iostream>
#include <sstream>
#include <stdexcept>

namespace iommu_vp::kernel {
namespace {

Runtime* the_runtime = nullptr;

}  // namespace

std::string site_text(const char* file, unsigned line) {
    std::string path = file ? file : "?";
    const std::size_t slash = path.find_last_of('/');
    if (slash != std::string::npos) path = path.substr(slash + 1);
    return path + ":" + std::to_string(line);
}

Runtime::Runtime(Machine& machine, const RuntimeParams& params)
    : machine_(machine), params_(params), random_(params.seed), sink_(&std::cerr) {
    if (the_runtime) throw std::logic_error("kernel::Runtime: one runtime per simulation");
    if (params_.cpus == 0) throw std::invalid_argument("kernel::Runtime: cpus must be at least 1");
    for (unsigned cpu = 0; cpu < params_.cpus; ++cpu)
        store_buffers_.push_back(
            std::make_unique<StoreBuffer>(params_.ordering, params_.seed ^ (0x5bd1e995ull * (cpu + 1))));
    if (params_.dma_window_size != 0)
        dma_allocator_ = std::make_unique<CoherentAllocator>(params_.dma_window_base, params_.dma_window_size);
    the_runtime = this;
    std::vector<std::string> errors;
    command_line_ = CommandLine::parse(params_.command_line, &errors);
    for (const std::string& error : errors)
        report({"command_line", "malformed kernel command line", error, sc_core::SC_ZERO_TIME});
    sc_core::sc_spawn_options method;
    method.spawn_method();
    method.dont_initialize();
    method.set_sensitivity(&all_waiting_check_);
    sc_core::sc_spawn([this] { check_all_waiting(); }, "kernel_hang_check", &method);
    sc_core::sc_spawn_options watchdog;
    watchdog.spawn_method();
    watchdog.dont_initialize();
    watchdog.set_sensitivity(&watchdog_);
    sc_core::sc_spawn([this] { check_watchdog(); }, "kernel_watchdog", &watchdog);
}

Runtime::~Runtime() {
    if (the_runtime == this) the_runtime = nullptr;
}

Runtime& Runtime::get() {
    if (!the_runtime) throw std::logic_error("kernel::Runtime::get(): no runtime in this simulation");
    return *the_runtime;
}

Thread& Runtime::spawn(std::string name, std::function<void()> body, int cpu) {
    const unsigned placed = cpu >= 0 ? static_cast<unsigned>(cpu) % params_.cpus : next_cpu_++ % params_.cpus;
    threads_.push_back(std::unique_ptr<Thread>(
        new Thread(static_cast<ThreadId>(threads_.size()), std::move(name), placed, std::move(body))));
    Thread& thread = *threads_.back();
    validator_.thread_started(thread.id(), thread.name());
    waits_.thread_started(thread.id(), thread.name());
    std::string process_name = "sw_" + thread.name();  // "0000:00:02.0" is a fine thread name, not a SystemC one
    for (char& c : process_name)
        if (c == '.' || c == ' ' || c == '\t') c = '_';
    const sc_core::sc_process_handle handle =
        sc_core::sc_spawn([this, &thread] { run_thread(thread); }, process_name.c_str());
    by_process_[handle.get_process_object()] = &thread;
    return thread;
}

void Runtime::run_thread(Thread& thread) {
    if (params_.start_jitter != sc_core::SC_ZERO_TIME) {
        const auto range = static_cast<std::uint64_t>(params_.start_jitter.value());
        sc_core::wait(sc_core::sc_time::from_value(random_below(range + 1)));
    }
    thread.body_();
    const std::vector<std::string> held = validator_.held_locks(thread.id());
    if (!held.empty()) {
        std::ostringstream text;
        text << "thread \"" << thread.name() << "\" exited holding:";
        for (const std::string& lock : held) text << "\n  " << lock;
        report({"lock_held_at_exit", "thread exited with locks held", text.str(), sc_core::sc_time_stamp()});
    }
    thread.finished_ = true;
    waits_.thread_finished(thread.id());
    thread.finished_event_.notify(sc_core::SC_ZERO_TIME);
}

void Runtime::join(Thread& thread) {
    while (!thread.finished()) wait_on(WaitTarget::other, &thread, thread.name(), thread.finished_event_);
}

Thread* Runtime::current() {
    const sc_core::sc_process_handle handle = sc_core::sc_get_current_process_handle();
    if (!handle.valid()) return nullptr;
    const auto it = by_process_.find(handle.get_process_object());
    return it == by_process_.end() ? nullptr : it->second;
}

Thread& Runtime::self() {
    Thread* thread = current();
    if (!thread) throw std::logic_error("kernel runtime: called outside a software thread");
    return *thread;
}

void Runtime::might_sleep(const char* file, unsigned line) {
    Thread& thread = self();
    validator_.might_sleep(thread.id(), thread.in_atomic(), site_text(file, line));
    collect_validator_reports();
}

void Runtime::wait_on(WaitTarget::Kind kind, const void* object, const std::string& name, sc_core::sc_event& wake,
                      bool spinning, const char* file, unsigned line) {
    Thread& thread = self();
    if (!spinning) might_sleep(file, line);
    enter_wait(thread, WaitTarget{kind, object, name}, file, line);
    // Nothing allocated lives on this stack while the thread waits (it may never wake).
    sc_core::wait(wake);
    waiting_since_.erase(thread.id());
    waits_.clear_waiting(thread.id());
    interleaving_point("wake:", name);
}

void Runtime::enter_wait(Thread& thread, const WaitTarget& target, const char* file, unsigned line) {
    waits_.set_waiting(thread.id(), target);
    if (const auto cycle = waits_.cycle_from(thread.id())) {
        report({"deadlock", "deadlock: a wait-for cycle among threads",
                "deadlock detected when thread \"" + thread.name() + "\" started waiting at " + site_text(file, line) +
                    ":\n" + waits_.describe(*cycle),
                sc_core::sc_time_stamp()});
        if (params_.stop_on_hang) sc_core::sc_stop();
    }
    waiting_since_[thread.id()] =
        Waiting{sc_core::sc_time_stamp(), target.name + " (at " + site_text(file, line) + ")"};
    arm_watchdog();
    all_waiting_check_.notify(sc_core::SC_ZERO_TIME);
}

void Runtime::wait_idle(sc_core::sc_event& work) {
    const ThreadId id = self().id();
    idle_threads_.insert(id);
    all_waiting_check_.notify(sc_core::SC_ZERO_TIME);  // the others may all be stuck already
    sc_core::wait(work);
    idle_threads_.erase(id);
}

void Runtime::arm_watchdog() {
    if (waiting_since_.empty()) return;
    sc_core::sc_time earliest = sc_core::sc_max_time();
    for (const auto& [id, w] : waiting_since_)
        if (!w.reported && w.since < earliest) earliest = w.since;
    if (earliest == sc_core::sc_max_time()) return;
    const sc_core::sc_time deadline = earliest + params_.watchdog;
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    watchdog_.notify(deadline > now ? deadline - now : sc_core::SC_ZERO_TIME);  // keeps the earliest notification
}

void Runtime::check_watchdog() {
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    for (auto& [id, w] : waiting_since_) {
        if (w.reported || now - w.since < params_.watchdog) continue;
        w.reported = true;
        report({"watchdog", "thread blocked longer than the watchdog",
                "thread \"" + threads_.at(id)->name() + "\" has waited " + (now - w.since).to_string() + " for " +
                    w.what + ":\n" + waits_.describe_all(),
                now});
    }
    arm_watchdog();
}

void Runtime::check_all_waiting() {
    // Runs a delta after a thread started waiting: if every live software thread but the idle service
    // threads now waits on a runtime primitive and the simulation has nothing else to do (no hardware
    // event, no timer), no thread can ever be woken.
    // The watchdog's own timer is not activity that could wake anyone: set it aside while looking.
    watchdog_.cancel();
    const bool activity = sc_core::sc_pending_activity();
    arm_watchdog();
    if (hang_reported_ || activity || !waits_.all_waiting(idle_threads_)) return;
    hang_reported_ = true;
    report({"hang", "every thread waits and nothing can wake them",
            "no software thread can make progress and no hardware activity is pending:\n" + waits_.describe_all(),
            sc_core::sc_time_stamp()});
    if (params_.stop_on_hang) sc_core::sc_stop();
}

void Runtime::delay(const sc_core::sc_time& duration) { sc_core::wait(duration); }

void Runtime::report(RuntimeReport r) {
    if (sink_) *sink_ << "[kernel] " << r.at << " " << r.title << " (seed " << params_.seed << ")\n" << r.text << "\n";
    reports_.push_back(std::move(r));
}

void Runtime::collect_validator_reports() {
    for (Report& r : validator_.take_reports())
        report({report_kind_name(r.kind), std::move(r.title), std::move(r.text), sc_core::sc_time_stamp()});
}

std::size_t Runtime::report_count(const std::string& kind) const {
    std::size_t n = 0;
    for (const RuntimeReport& r : reports_) n += r.kind == kind ? 1 : 0;
    return n;
}

std::uint64_t Runtime::random_below(std::uint64_t bound) {
    return random_.below(bound);
}

}  // namespace iommu_vp::kernel
