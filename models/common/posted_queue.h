// Posted work: messages a model accepts at once (a posted write: the sender goes on) and acts on later,
// in arrival order, each once its time has come, in the model's own process. Both IOMMUs queue page
// requests this way.
#pragma once

#include <systemc>

#include <deque>
#include <utility>

namespace iommu_vp {

template <typename Item>
class PostedQueue {
public:
    // Accepts `item`, to be acted on at the absolute time `due` (not before earlier items).
    void post(Item item, const sc_core::sc_time& due) {
        items_.push_back({std::move(item), due});
        arrived_.notify(sc_core::SC_ZERO_TIME);
    }
    // From the owner's SC_THREAD: waits until the oldest item is due, then takes it. Items dropped by
    // clear() while it waits are not returned.
    Item take_when_due() {
        for (;;) {
            while (items_.empty()) sc_core::wait(arrived_);
            const sc_core::sc_time due = items_.front().due;
            const sc_core::sc_time now = sc_core::sc_time_stamp();
            if (due > now) {
                sc_core::wait(due - now);
                continue;  // a reset may have emptied the queue meanwhile
            }
            Item item = std::move(items_.front().item);
            items_.pop_front();
            return item;
        }
    }
    void clear() { items_.clear(); }
    bool empty() const { return items_.empty(); }
    std::size_t size() const { return items_.size(); }

private:
    struct Posted {
        Item item;
        sc_core::sc_time due;
    };
    std::deque<Posted> items_;
    sc_core::sc_event arrived_;
};

}  // namespace iommu_vp
