// The kernel runtime: software threads in simulated time on a few simulated CPUs, and the services
// every primitive shares (blocking with lock-order and hang checks, reports, perturbation).
//
// Software threads are SystemC threads. They are synchronised, not temporally decoupled: every
// cost (an MMIO access, a store-buffer release, a delay) is waited for at once, so the order in
// which threads take locks, poll registers and see hardware updates follows simulated time. (The
// traffic masters elsewhere in the platform use the global quantum; software never does.)
//
// Determinism: the same configuration and seed give the same interleaving. A seed can perturb MMIO
// costs and thread start times within configured bounds (off unless asked for), so a scenario can
// be run across many interleavings; the seed is printed with every report.
//
// One runtime exists per simulation (SystemC allows one elaboration per process); kernel code finds
// it with Runtime::get(), as Linux code finds `current`.
#pragma once

#include "sw_stack/kernel/coherent_allocator.h"
#include "sw_stack/kernel/command_line.h"
#include "sw_stack/kernel/firmware.h"
#include "sw_stack/kernel/lock_validator.h"
#include "sw_stack/kernel/machine.h"
#include "sw_stack/kernel/store_buffer.h"
#include "sw_stack/kernel/wait_graph.h"

#include <systemc>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace iommu_vp::kernel {

struct RuntimeParams {
    // Simulated CPUs; threads are placed round-robin unless pinned. A CPU gives a thread its
    // smp_processor_id() and its store buffer; CPU time is not rationed (threads on one CPU run as
    // if time-sliced at every blocking point).
    unsigned cpus = 4;
    std::uint64_t seed = 0;
    // Memory ordering: program_order releases buffered stores in program order at each release point;
    // checking holds them to the last legal point and releases them in a seeded order.
    OrderingMode ordering = OrderingMode::program_order;
    // Cost of making one cache line of buffered stores visible at a release point: an assumption of a
    // few tens of CPU cycles for a write to reach the point of coherence.
    sc_core::sc_time release_per_line = sc_core::sc_time(10, sc_core::SC_NS);
    // A thread blocked on a runtime primitive for this long is reported (iommu-core.md section 12:
    // 1 s of simulated time).
    sc_core::sc_time watchdog = sc_core::sc_time(1, sc_core::SC_SEC);
    // Perturbation (0: off): each MMIO access costs up to this much more, each spawned thread starts up
    // to this much later, drawn from the seed.
    sc_core::sc_time mmio_jitter = sc_core::SC_ZERO_TIME;
    sc_core::sc_time start_jitter = sc_core::SC_ZERO_TIME;
    // A detected deadlock or an all-threads-waiting hang stops the simulation (after the report).
    bool stop_on_hang = true;
    // The kernel command line software reads (command_line()).
    std::string command_line;
    // The RAM window dma_alloc_coherent hands out (size 0: none).
    std::uint64_t dma_window_base = 0;
    std::uint64_t dma_window_size = 0;
};

class Runtime;

// "sync.cpp:42": where a lock was taken or a wait began, for reports.
std::string site_text(const char* file, unsigned line);

// A software thread. Created with Runtime::spawn (kthread_run); runs its body once.
class Thread {
public:
    ThreadId id() const { return id_; }
    const std::string& name() const { return name_; }
    unsigned cpu() const { return cpu_; }
    bool finished() const { return finished_; }

    // Kernel execution context, as Linux keeps it per task: preemption and interrupt-disable depths
    // and whether the thread is a hard-interrupt handler.
    int preempt_count = 0;
    int irqs_disabled = 0;
    bool hardirq = false;
    bool in_atomic() const { return preempt_count > 0 || irqs_disabled > 0 || hardirq; }
    // The interleaving point the thread is passing (kept here, not on its stack, while a scenario
    // holds it there).
    std::string at_point;

private:
    friend class Runtime;
    Thread(ThreadId id, std::string name, unsigned cpu, std::function<void()> body)
        : id_(id), name_(std::move(name)), cpu_(cpu), body_(std::move(body)) {}

    ThreadId id_;
    std::string name_;
    unsigned cpu_;
    std::function<void()> body_;
    bool finished_ = false;
    sc_core::sc_event finished_event_;
};

// What a report is about, beyond the validator's kinds.
struct RuntimeReport {
    std::string kind;   // "lock_inversion", "deadlock", "hang", "watchdog", "warning", "bug", ...
    std::string title;  // one line
    std::string text;   // the whole report
    sc_core::sc_time at;
};

class Runtime {
public:
    Runtime(Machine& machine, const RuntimeParams& params);
    ~Runtime();
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    // The runtime of this simulation (BUG if there is none).
    static Runtime& get();

    const RuntimeParams& params() const { return params_; }
    Machine& machine() { return machine_; }

    // Starts a software thread (kthread_run). `cpu` < 0: round-robin.
    Thread& spawn(std::string name, std::function<void()> body, int cpu = -1);
    // Waits until `thread` has finished (kthread_stop's wait, pthread_join).
    void join(Thread& thread);
    // The software thread running now, or nullptr (an elaboration callback, a hardware process).
    Thread* current();
    // The running software thread; a BUG when called from elsewhere.
    Thread& self();

    // Blocks the running thread until `wake` is notified, as a runtime primitive waiting on `object`
    // (of `kind`, called `name`): checks that the thread may sleep (unless `spinning`), enters the
    // wait-for graph, reports a wait-for cycle at once and an all-threads-waiting hang when nothing
    // else can run, and reports a wait longer than the watchdog. Returns when `wake` fires; callers
    // re-check their condition. `name` must outlive the wait (a member of the primitive): a thread
    // that never wakes keeps its stack, so nothing the wait allocates may live on it.
    void wait_on(WaitTarget::Kind kind, const void* object, const std::string& name, sc_core::sc_event& wake,
                 bool spinning = false, const char* file = __builtin_FILE(), unsigned line = __builtin_LINE());
    // An idle service thread (a work-queue worker, the timer thread, an interrupt thread) waits for
    // work: it is not waiting on anything a hang could involve, and while it idles it does not count
    // as a thread that could still make progress.
    void wait_idle(sc_core::sc_event& work);
    // Stops the running thread for good (after a BUG): it waits on an event nobody notifies, owned
    // by the runtime so that nothing allocated stays on the thread's stack.
    void park_forever() { sc_core::wait(never_); }
    // Lets simulated time pass for the running thread (msleep, udelay, a modelled cost).
    void delay(const sc_core::sc_time& duration);
    // A sleep check (might_sleep): reports when the running thread is in atomic context.
    void might_sleep(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE());

    LockValidator& lock_validator() { return validator_; }
    WaitGraph& wait_graph() { return waits_; }
    StoreBuffer& store_buffer(unsigned cpu) { return *store_buffers_.at(cpu); }
    CoherentAllocator* coherent_allocator() { return dma_allocator_.get(); }
    // The firmware description the platform hands the software (it must outlive the runtime); an
    // empty description until the platform sets one.
    void set_firmware(const FirmwareDescription& firmware) { firmware_ = &firmware; }
    const FirmwareDescription& firmware() const { return firmware_ ? *firmware_ : empty_firmware_; }
    // The parsed command line (malformed parameters were reported at construction).
    const CommandLine& command_line() const { return command_line_; }

    // Reports: kept for tests and the run's report, printed to the sink, counted by kind.
    void report(RuntimeReport report);
    // Moves the validator's new reports into the runtime's list.
    void collect_validator_reports();
    const std::vector<RuntimeReport>& reports() const { return reports_; }
    std::size_t report_count(const std::string& kind) const;
    void set_report_sink(std::ostream* sink) { sink_ = sink; }

    // Seeded draws for perturbation and the checking memory mode (one stream, so one seed replays).
    std::uint64_t random_below(std::uint64_t bound);

private:
    void run_thread(Thread& thread);
    void check_all_waiting();
    void check_watchdog();
    void enter_wait(Thread& thread, const WaitTarget& target, const char* file, unsigned line);
    void arm_watchdog();

    Machine& machine_;
    RuntimeParams params_;
    LockValidator validator_;
    WaitGraph waits_;
    std::vector<std::unique_ptr<StoreBuffer>> store_buffers_;
    std::unique_ptr<CoherentAllocator> dma_allocator_;
    CommandLine command_line_;
    const FirmwareDescription* firmware_ = nullptr;
    FirmwareDescription empty_firmware_;
    std::vector<std::unique_ptr<Thread>> threads_;
    std::map<const sc_core::sc_object*, Thread*> by_process_;
    unsigned next_cpu_ = 0;
    SplitMix64 random_;  // a fully specified generator: a seed replays on every machine
    std::vector<RuntimeReport> reports_;
    std::ostream* sink_;
    sc_core::sc_event all_waiting_check_;
    bool hang_reported_ = false;
    // The watchdog: one timed event for the earliest deadline of the threads waiting now (a timed wait
    // per thread would count as pending activity and hide an all-threads-waiting hang).
    struct Waiting {
        sc_core::sc_time since;
        std::string what;
        bool reported = false;
    };
    std::map<ThreadId, Waiting> waiting_since_;
    std::set<ThreadId> idle_threads_;
    sc_core::sc_event watchdog_;
    sc_core::sc_event never_;
};

}  // namespace iommu_vp::kernel
