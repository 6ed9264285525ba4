#include "models/interconnect/router.h"

#include "models/common/log.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace iommu_vp {

using sc_core::sc_time;

class Router::RoutedAddress {
public:
    RoutedAddress(const Router& router, tlm::tlm_generic_payload& payload)
        : payload_(payload), original_(payload.get_address()), window_(router.decode(original_)) {
        if (window_) payload_.set_address(original_ - window_->base + window_->target_offset);
    }
    ~RoutedAddress() { payload_.set_address(original_); }
    RoutedAddress(const RoutedAddress&) = delete;
    RoutedAddress& operator=(const RoutedAddress&) = delete;

    const AddressWindow* window() const { return window_; }

private:
    tlm::tlm_generic_payload& payload_;
    const std::uint64_t original_;
    const AddressWindow* const window_;
};

Router::Router(sc_core::sc_module_name name, const RouterParams& params)
    : sc_module(name),
      upstream("upstream", params.initiator_ports),
      downstream("downstream", params.target_ports),
      params_(params),
      stats_(basename()),
      transactions_(stats_.counter("transactions", "transactions routed to a target")),
      decode_errors_(stats_.counter("decode_errors", "transactions to addresses no window maps")),
      dmi_forwarded_(stats_.counter("dmi_grants_forwarded", "direct memory pointers passed to initiators")),
      dmi_invalidations_(stats_.counter("dmi_invalidations", "invalidations passed back to initiators")) {
    validate_windows();
    for (unsigned i = 0; i < upstream.size(); ++i) {
        upstream[i].register_b_transport(this, &Router::b_transport, static_cast<int>(i));
        upstream[i].register_transport_dbg(this, &Router::transport_dbg, static_cast<int>(i));
        upstream[i].register_get_direct_mem_ptr(this, &Router::get_direct_mem_ptr, static_cast<int>(i));
    }
    for (unsigned i = 0; i < downstream.size(); ++i)
        downstream[i].register_invalidate_direct_mem_ptr(this, &Router::invalidate_direct_mem_ptr, static_cast<int>(i));
}

void Router::validate_windows() const {
    auto fail = [&](const AddressWindow& w, const std::string& why) {
        throw std::invalid_argument(std::string(name()) + ": window '" + w.name + "' " + why);
    };
    for (const AddressWindow& w : params_.windows) {
        if (w.size == 0) fail(w, "has size 0");
        if (w.last() < w.base) fail(w, "wraps past the end of the address space");
        if (w.target_port >= params_.target_ports) fail(w, "names target port " + std::to_string(w.target_port) +
                                                              " of " + std::to_string(params_.target_ports));
    }
    for (std::size_t i = 0; i < params_.windows.size(); ++i) {
        const AddressWindow& w = params_.windows[i];
        auto [it, inserted] = const_cast<Router*>(this)->window_by_base_.emplace(w.base, i);
        if (!inserted) fail(w, "starts where '" + params_.windows[it->second].name + "' starts");
    }
    const AddressWindow* previous = nullptr;
    for (const auto& [base, index] : window_by_base_) {
        const AddressWindow& w = params_.windows[index];
        if (previous && previous->last() >= w.base) fail(w, "overlaps '" + previous->name + "'");
        previous = &w;
    }
}

const AddressWindow* Router::decode(std::uint64_t address) const {
    auto it = window_by_base_.upper_bound(address);
    if (it == window_by_base_.begin()) return nullptr;
    const AddressWindow& w = params_.windows[std::prev(it)->second];
    return address <= w.last() ? &w : nullptr;
}

void Router::b_transport(int, tlm::tlm_generic_payload& payload, sc_time& delay) {
    delay += params_.hop_latency;
    RoutedAddress routed(*this, payload);
    if (!routed.window()) {
        ++decode_errors_;
        IVP_LOG(LogCategory::guest_error, name(), "decode error at 0x" << std::hex << payload.get_address());
        payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    ++transactions_;
    downstream[routed.window()->target_port]->b_transport(payload, delay);
}

unsigned int Router::transport_dbg(int, tlm::tlm_generic_payload& payload) {
    RoutedAddress routed(*this, payload);
    if (!routed.window()) return 0;
    // Debug accesses do not cross the window's end: the next window may belong to another target.
    const AddressWindow& w = *routed.window();
    const std::uint64_t room = (w.target_offset + (w.size - 1)) - payload.get_address() + 1;
    const unsigned length = payload.get_data_length();
    if (room < length) payload.set_data_length(static_cast<unsigned>(room));
    const unsigned done = downstream[w.target_port]->transport_dbg(payload);
    payload.set_data_length(length);
    return done;
}

bool Router::get_direct_mem_ptr(int, tlm::tlm_generic_payload& payload, tlm::tlm_dmi& dmi) {
    RoutedAddress routed(*this, payload);
    const AddressWindow* w = routed.window();
    if (!w) return false;
    const bool granted = downstream[w->target_port]->get_direct_mem_ptr(payload, dmi);
    // Translate the target's range back to system addresses, clipped to this window.
    const std::uint64_t window_end_target = w->target_offset + (w->size - 1);
    std::uint64_t start = std::max<std::uint64_t>(dmi.get_start_address(), w->target_offset);
    std::uint64_t end = std::min<std::uint64_t>(dmi.get_end_address(), window_end_target);
    if (start > end) start = end = payload.get_address();  // target answered outside the window
    if (granted) dmi.set_dmi_ptr(dmi.get_dmi_ptr() + (start - dmi.get_start_address()));
    dmi.set_start_address(start - w->target_offset + w->base);
    dmi.set_end_address(end - w->target_offset + w->base);
    if (granted) ++dmi_forwarded_;
    return granted;
}

void Router::invalidate_direct_mem_ptr(int target_port, sc_dt::uint64 start, sc_dt::uint64 end) {
    for (const AddressWindow& w : params_.windows) {
        if (static_cast<int>(w.target_port) != target_port) continue;
        const std::uint64_t window_end_target = w.target_offset + (w.size - 1);
        if (end < w.target_offset || start > window_end_target) continue;
        const std::uint64_t lo = std::max<std::uint64_t>(start, w.target_offset) - w.target_offset + w.base;
        const std::uint64_t hi = std::min<std::uint64_t>(end, window_end_target) - w.target_offset + w.base;
        ++dmi_invalidations_;
        for (TargetSocket& socket : upstream) socket->invalidate_direct_mem_ptr(lo, hi);
    }
}

}  // namespace iommu_vp
