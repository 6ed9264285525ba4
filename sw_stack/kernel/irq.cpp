#include "sw_stack/kernel/irq.h"

#include "sw_stack/kernel/runtime.h"

#include <deque>
#include <map>
#include <memory>

namespace iommu_vp::kernel {
namespace {

struct Action {
    std::string name;
    IrqHandler handler;
    IrqThreadFunction thread_function;
    // Wake-ups of the handler thread not yet served; an idle handler thread waits on a plain event
    // (it is not waiting for anything a hang could involve).
    unsigned wakeups = 0;
    sc_core::sc_event woken;
};

// Delivered interrupts wait here for the interrupt thread; handlers are looked up at run time, so an
// interrupt delivered before request_irq is spurious.
class InterruptDispatcher : public InterruptReceiver {
public:
    static InterruptDispatcher& get() {
        static std::unique_ptr<InterruptDispatcher> dispatcher;
        if (!dispatcher) dispatcher = std::unique_ptr<InterruptDispatcher>(new InterruptDispatcher());
        return *dispatcher;
    }

    void interrupt_vector(std::uint32_t vector) override { post(irq_of_vector(vector)); }
    void interrupt_line(unsigned line, bool level) override {
        if (level) post(irq_of_line(line));  // level-high lines are delivered once per rising edge
    }

    int add(unsigned irq, IrqHandler handler, IrqThreadFunction thread_function, const std::string& name) {
        if (!handler && !thread_function) return -22;
        if (actions_.count(irq)) return -16;
        auto action = std::make_unique<Action>();
        action->name = name;
        action->handler = std::move(handler);
        action->thread_function = std::move(thread_function);
        if (action->thread_function) {
            Action* raw = action.get();
            Runtime::get().spawn("irq/" + std::to_string(irq) + "-" + name, [raw] { run_thread(*raw); });
        }
        actions_[irq] = std::move(action);
        return 0;
    }
    void remove(unsigned irq) { actions_.erase(irq); }
    std::uint64_t spurious() const { return spurious_; }

private:
    InterruptDispatcher() {
        Runtime::get().spawn("irq", [this] { run(); }, 0);
    }

    void post(unsigned irq) {
        pending_.push_back(irq);
        delivered_.notify(sc_core::SC_ZERO_TIME);
    }

    static void run_thread(Action& action) {
        for (;;) {
            while (action.wakeups == 0) Runtime::get().wait_idle(action.woken);
            --action.wakeups;
            action.thread_function();
        }
    }

    void run() {
        Thread& self = Runtime::get().self();
        for (;;) {
            while (pending_.empty()) Runtime::get().wait_idle(delivered_);
            const unsigned irq = pending_.front();
            pending_.pop_front();
            const auto it = actions_.find(irq);
            if (it == actions_.end()) {
                ++spurious_;
                continue;
            }
            Action& action = *it->second;
            IrqReturn result = IrqReturn::wake_thread;
            if (action.handler) {
                self.hardirq = true;
                result = action.handler();
                self.hardirq = false;
            }
            if (result == IrqReturn::wake_thread && action.thread_function) {
                ++action.wakeups;
                action.woken.notify(sc_core::SC_ZERO_TIME);
            }
        }
    }

    std::map<unsigned, std::unique_ptr<Action>> actions_;
    std::deque<unsigned> pending_;
    sc_core::sc_event delivered_;
    std::uint64_t spurious_ = 0;
};

}  // namespace

int request_irq(unsigned irq, IrqHandler handler, const std::string& name) {
    return InterruptDispatcher::get().add(irq, std::move(handler), nullptr, name);
}

int request_threaded_irq(unsigned irq, IrqHandler handler, IrqThreadFunction thread_function,
                         const std::string& name) {
    return InterruptDispatcher::get().add(irq, std::move(handler), std::move(thread_function), name);
}

void free_irq(unsigned irq) { InterruptDispatcher::get().remove(irq); }

InterruptReceiver& interrupt_receiver() { return InterruptDispatcher::get(); }

std::uint64_t spurious_interrupts() { return InterruptDispatcher::get().spurious(); }

}  // namespace iommu_vp::kernel
