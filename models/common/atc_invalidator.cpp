#include "models/common/atc_invalidator.h"

namespace iommu_vp {

AtcInvalidator::AtcInvalidator(const char* port_name) : endpoints(port_name) {}

AtsEndpointIf* AtcInvalidator::endpoint_for(std::uint32_t requester) {
    for (int i = 0; i < endpoints.size(); ++i)
        if (endpoints[i]->ats_serves(requester)) return endpoints[i];
    return nullptr;
}

std::uint64_t AtcInvalidator::send(AtcInvalidation request, const sc_core::sc_time& timeout) {
    const std::uint64_t sequence = next_sequence_++;
    ++sent_;
    sent_order_.push_back({sequence, request.requester, sc_core::sc_time_stamp() + timeout});
    AtsEndpointIf* target = endpoint_for(request.requester);
    if (!target) {
        ++without_endpoint_;
        ++completed_;
        return sequence;
    }
    request.tag = next_tag_++;
    outstanding_[request.tag] = sequence;
    target->atc_invalidate(request, *this);
    return sequence;
}

void AtcInvalidator::atc_invalidation_completed(const AtcInvalidation& request) {
    // A completion for a request given up on (timed out, or before a reset) is ignored.
    if (outstanding_.erase(request.tag) == 0) return;
    ++completed_;
    completion_.notify(sc_core::SC_ZERO_TIME);
}

bool AtcInvalidator::wait_until_completed(std::uint64_t sequence, const sc_core::sc_time& timeout) {
    const sc_core::sc_time deadline = sc_core::sc_time_stamp() + timeout;
    auto pending = [&] {
        for (const auto& [tag, sent_as] : outstanding_)
            if (sent_as < sequence) return true;
        return false;
    };
    while (pending()) {
        const sc_core::sc_time now = sc_core::sc_time_stamp();
        if (now >= deadline) {
            for (auto it = outstanding_.begin(); it != outstanding_.end();) {
                if (it->second < sequence) {
                    ++timed_out_;
                    it = outstanding_.erase(it);
                } else {
                    ++it;
                }
            }
            return false;
        }
        sc_core::wait(deadline - now, completion_);
    }
    return true;
}

AtcInvalidator::SyncOutcome AtcInvalidator::wait_for_sent() {
    SyncOutcome outcome;
    const std::uint64_t resets = resets_;
    while (!sent_order_.empty()) {
        const Sent next = sent_order_.front();
        const sc_core::sc_time now = sc_core::sc_time_stamp();
        const bool completed =
            wait_until_completed(next.sequence + 1, next.deadline > now ? next.deadline - now : sc_core::SC_ZERO_TIME);
        if (resets != resets_) {
            outcome.kind = SyncOutcome::Kind::abandoned;
            return outcome;
        }
        sent_order_.pop_front();
        if (!completed) {
            outcome.kind = SyncOutcome::Kind::timed_out;
            outcome.requester = next.requester;
            return outcome;
        }
        ++outcome.completed;
    }
    return outcome;
}

void AtcInvalidator::reset() {
    ++resets_;
    sent_order_.clear();
    outstanding_.clear();
    sent_ = completed_ = timed_out_ = without_endpoint_ = 0;
}

}  // namespace iommu_vp
