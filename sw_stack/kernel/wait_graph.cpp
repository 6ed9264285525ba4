#include "sw_stack/kernel/wait_graph.h"

#include <utility>

namespace iommu_vp::kernel {
namespace {

// How each kind of object is named, and how its holders relate to it, in the texts.
struct KindWords {
    const char* prefix;      // before the object's name
    const char* held_by;     // before the holders' names
    const char* no_holder;   // when nobody holds it
};

KindWords words_for(WaitTarget::Kind kind) {
    switch (kind) {
    case WaitTarget::lock: return {"", "held by", "(free)"};
    case WaitTarget::completion: return {"completion ", "expected from", "(no thread is expected to complete it)"};
    case WaitTarget::work: return {"work ", "being run by", "(not running)"};
    case WaitTarget::other: break;
    }
    return {"", "held by", "(no holder recorded)"};
}

// "completion fw_loaded", "work quarantine_work": the kind word once, even if the runtime's name
// already starts with it (it reuses the name in texts of its own).
std::string target_text(const WaitTarget& target) {
    const std::string prefix = words_for(target.kind).prefix;
    if (target.name.compare(0, prefix.size(), prefix) == 0) return target.name;
    return prefix + target.name;
}

}  // namespace

// ---- Threads, waits and holders ----

void WaitGraph::thread_started(ThreadId thread, std::string name) {
    threads_[thread] = ThreadInfo{std::move(name), false, std::nullopt};
}

void WaitGraph::thread_finished(ThreadId thread) {
    ThreadInfo& info = thread_info(thread);
    info.finished = true;
    info.waiting.reset();
}

WaitGraph::ThreadInfo& WaitGraph::thread_info(ThreadId thread) {
    const auto [it, inserted] = threads_.try_emplace(thread);
    if (inserted) it->second.name = "#" + std::to_string(thread);
    return it->second;
}

void WaitGraph::set_waiting(ThreadId thread, const WaitTarget& target) {
    thread_info(thread).waiting = target;
}

void WaitGraph::clear_waiting(ThreadId thread) {
    thread_info(thread).waiting.reset();
}

void WaitGraph::add_holder(const void* object, ThreadId thread) {
    thread_info(thread);
    holders_[object].insert(thread);
}

void WaitGraph::remove_holder(const void* object, ThreadId thread) {
    const auto it = holders_.find(object);
    if (it == holders_.end()) return;
    it->second.erase(thread);
    if (it->second.empty()) holders_.erase(it);
}

bool WaitGraph::is_waiting(ThreadId thread) const {
    return waiting_target(thread) != nullptr;
}

std::set<ThreadId> WaitGraph::holders(const void* object) const {
    const auto it = holders_.find(object);
    return it == holders_.end() ? std::set<ThreadId>{} : it->second;
}

const WaitTarget* WaitGraph::waiting_target(ThreadId thread) const {
    const auto it = threads_.find(thread);
    if (it == threads_.end() || !it->second.waiting) return nullptr;
    return &*it->second.waiting;
}

// ---- Cycles ----

std::optional<std::vector<WaitStep>> WaitGraph::cycle_from(ThreadId start) const {
    std::vector<WaitStep> path;
    std::set<ThreadId> visited;
    if (extend_cycle(start, start, path, visited)) return path;
    return std::nullopt;
}

// Depth-first from `thread` along "waits on an object held by". A thread already on the way (or
// already explored) leads to no new cycle through `start`, so each thread is entered once.
bool WaitGraph::extend_cycle(ThreadId thread, ThreadId start, std::vector<WaitStep>& path,
                             std::set<ThreadId>& visited) const {
    const WaitTarget* target = waiting_target(thread);
    if (target == nullptr || !visited.insert(thread).second) return false;
    for (ThreadId holder : holders(target->object)) {
        path.push_back(WaitStep{thread, *target, holder});
        if (holder == start || extend_cycle(holder, start, path, visited)) return true;
        path.pop_back();
    }
    return false;
}

std::optional<std::vector<WaitStep>> WaitGraph::find_cycle() const {
    for (const auto& [thread, info] : threads_) {
        if (!info.waiting) continue;
        if (auto cycle = cycle_from(thread)) return cycle;
    }
    return std::nullopt;
}

bool WaitGraph::all_waiting(const std::set<ThreadId>& ignore) const {
    bool any_live = false;
    for (const auto& [thread, info] : threads_) {
        if (info.finished || ignore.count(thread)) continue;
        if (!info.waiting) return false;
        any_live = true;
    }
    return any_live;
}

// ---- Texts ----

std::string WaitGraph::quoted_thread(ThreadId thread) const {
    const auto it = threads_.find(thread);
    const std::string name = it == threads_.end() ? "#" + std::to_string(thread) : it->second.name;
    return "thread \"" + name + "\"";
}

std::string WaitGraph::describe(const std::vector<WaitStep>& cycle) const {
    std::string text;
    for (const WaitStep& step : cycle) {
        const KindWords words = words_for(step.target.kind);
        if (!text.empty()) text += "; ";
        text += quoted_thread(step.thread) + " waits for " + target_text(step.target) + " " + words.held_by + " " +
                quoted_thread(step.holder);
    }
    return text;
}

// 'thread "A" waits for group->mutex held by thread "B", thread "C"', or '... (free)'.
std::string WaitGraph::describe_wait(ThreadId thread, const WaitTarget& target) const {
    const KindWords words = words_for(target.kind);
    std::string text = quoted_thread(thread) + " waits for " + target_text(target) + " ";
    const std::set<ThreadId> holding = holders(target.object);
    if (holding.empty()) return text + words.no_holder;
    text += words.held_by;
    bool first = true;
    for (ThreadId holder : holding) {
        text += (first ? " " : ", ") + quoted_thread(holder);
        first = false;
    }
    return text;
}

std::string WaitGraph::describe_all() const {
    std::string text;
    for (const auto& [thread, info] : threads_) {
        if (!text.empty()) text += "\n";
        if (info.finished)
            text += quoted_thread(thread) + " has finished";
        else if (info.waiting)
            text += describe_wait(thread, *info.waiting);
        else
            text += quoted_thread(thread) + " is runnable";
    }
    return text;
}

}  // namespace iommu_vp::kernel
