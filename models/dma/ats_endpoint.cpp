#include "models/dma/ats_endpoint.h"

#include <array>

namespace iommu_vp {
namespace {

constexpr unsigned kPageShift = 12;
constexpr std::uint64_t kPageBytes = std::uint64_t{1} << kPageShift;
constexpr std::uint32_t kGroupIndexMask = 0x1ff;  // PRG Index is 9 bits
// Global translations are kept under one tag that every PASID's lookup also tries.
constexpr std::uint32_t kGlobalTag = ~0u;

std::uint32_t pasid_tag(const MasterAttrs& attrs) { return attrs.has_substream ? attrs.substream_id + 1 : 0; }

// Sends one ATS message to the IOMMU (a translation request, a page request: no data moves) with the
// requester's attributes and `message` attached; true when it was answered OK.
template <typename Message>
bool send_message(const AtsEndpoint::Transport& transport, const MasterAttrs& attrs, AtsState state,
                  tlm::tlm_command command, std::uint64_t address, Message& message, sc_core::sc_time& delay) {
    std::array<std::uint8_t, 8> unused{};
    tlm::tlm_generic_payload payload;
    MasterAttrs request_attrs = attrs;
    request_attrs.ats = state;
    payload.set_command(command);
    payload.set_address(address);
    payload.set_data_ptr(unused.data());
    payload.set_data_length(static_cast<unsigned>(unused.size()));
    payload.set_streaming_width(static_cast<unsigned>(unused.size()));
    payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    payload.set_extension(&request_attrs);
    payload.set_extension(&message);
    transport(payload, delay);
    payload.clear_extension(&request_attrs);
    payload.clear_extension(&message);
    return payload.is_response_ok();
}

}  // namespace

AtsEndpoint::AtsEndpoint(sc_core::sc_module_name name, const AtsEndpointParams& params, Transport transport,
                         StatsGroup* owner_stats)
    : sc_core::sc_module(name),
      ats("ats"),
      params_(params),
      transport_(std::move(transport)),
      cache_(params.cache, params.seed),
      own_stats_(std::string(this->name())),
      stats_(owner_stats ? *owner_stats : own_stats_),
      lookups_(stats_.counter("atc_lookups", "ATC lookups")),
      hits_(stats_.counter("atc_hits", "lookups answered by the ATC")),
      misses_(stats_.counter("atc_misses", "lookups that needed a translation request")),
      translation_requests_(stats_.counter("translation_requests", "ATS translation requests sent")),
      translation_failures_(stats_.counter("translation_failures",
                                           "accesses the IOMMU gave no translation for (UR, CA, or no translation "
                                           "after any page request)")),
      page_requests_(stats_.counter("page_requests", "PRI page requests sent")),
      page_responses_(stats_.counter("page_responses", "PRG responses received")),
      invalidations_received_(stats_.counter("invalidations_received", "ATC invalidation requests received")),
      invalidations_completed_(stats_.counter("invalidations_completed", "ATC invalidations completed")),
      invalidations_ignored_(stats_.counter("invalidations_ignored", "invalidations dropped by fault injection")),
      not_cached_stale_(stats_.counter("completions_not_cached",
                                       "translations used once and not cached: an invalidation arrived while "
                                       "they were requested")) {
    ats.bind(*this);
    SC_THREAD(invalidation_process);
}

bool AtsEndpoint::ats_serves(std::uint32_t requester) const { return requester == requester_; }

std::size_t AtsEndpoint::cached_pages() const { return cache_.valid_entries(); }

const AtsEndpoint::Entry* AtsEndpoint::find(const MasterAttrs& attrs, std::uint64_t address, bool write) {
    const std::uint64_t page = address >> kPageShift;
    const std::array<std::uint32_t, 2> tags = {pasid_tag(attrs), kGlobalTag};
    for (std::size_t i = 0; i < (attrs.has_substream ? 2u : 1u); ++i) {
        const Entry* entry = cache_.lookup(Key{tags[i], page});
        if (entry && (write ? entry->write : entry->read)) return entry;
    }
    return nullptr;
}

void AtsEndpoint::fill(const MasterAttrs& attrs, std::uint64_t page, const AtsTranslation& translation) {
    Entry entry;
    entry.range_bytes = translation.range_bytes;
    entry.range_base = page & ~(translation.range_bytes - 1);
    entry.translated_base = translation.translated_address;
    entry.read = translation.read;
    entry.write = translation.write;
    entry.global = translation.global;
    cache_.insert(Key{translation.global ? kGlobalTag : pasid_tag(attrs), page >> kPageShift}, entry);
}

std::optional<AtsTranslation> AtsEndpoint::request_translation(const MasterAttrs& attrs, std::uint64_t page,
                                                               bool write, sc_core::sc_time& delay) {
    ++translation_requests_;
    AtsTranslation translation;
    translation.no_write = !write;
    if (!send_message(transport_, attrs, AtsState::translation_request, tlm::TLM_READ_COMMAND, page, translation,
                      delay) ||
        translation.status != AtsTranslation::Status::success)
        return std::nullopt;
    return translation;
}

bool AtsEndpoint::request_page(const MasterAttrs& attrs, std::uint64_t page, bool write, sc_core::sc_time& delay) {
    ++page_requests_;
    const std::uint32_t group = next_group_index_;
    next_group_index_ = (next_group_index_ + 1) & kGroupIndexMask;
    const std::uint64_t group_key = (std::uint64_t{pasid_tag(attrs)} << 9) | group;
    page_groups_[group_key] = PendingGroup{};
    PageRequestMessage message;
    message.address = page;
    message.group_index = group;
    message.last = true;
    message.read = true;
    message.write = write;
    message.privileged = attrs.privileged;
    message.execute = attrs.instruction;
    if (!send_message(transport_, attrs, attrs.ats, tlm::TLM_WRITE_COMMAND, page, message, delay)) {
        page_groups_.erase(group_key);
        return false;
    }
    // The response comes from the IOMMU's side, in simulated time: catch up, then wait for it.
    sc_core::wait(delay);
    delay = sc_core::SC_ZERO_TIME;
    while (!page_groups_[group_key].answered) sc_core::wait(page_response_arrived_);
    const PrgResponseCode code = page_groups_[group_key].code;
    page_groups_.erase(group_key);
    return code == PrgResponseCode::success;
}

std::optional<std::uint64_t> AtsEndpoint::translate(const MasterAttrs& attrs, std::uint64_t address, bool write,
                                                    sc_core::sc_time& delay) {
    ++lookups_;
    delay += params_.lookup_cost;
    if (const Entry* entry = find(attrs, address, write)) {
        ++hits_;
        return entry->translated_base + (address - entry->range_base);
    }
    ++misses_;
    const std::uint64_t page = address & ~(kPageBytes - 1);
    const std::uint64_t epoch = invalidation_epoch_;
    std::optional<AtsTranslation> translation = request_translation(attrs, page, write, delay);
    if (translation && translation->no_translation() && params_.pri_enabled) {
        if (request_page(attrs, page, write, delay)) translation = request_translation(attrs, page, write, delay);
    }
    if (!translation || !(write ? translation->write : translation->read) || translation->untranslated_only) {
        ++translation_failures_;
        return std::nullopt;
    }
    if (invalidation_epoch_ == epoch)
        fill(attrs, page, *translation);
    else
        ++not_cached_stale_;  // an invalidation may have covered it while it was in flight
    const std::uint64_t range_base = address & ~(translation->range_bytes - 1);
    return translation->translated_address + (address - range_base);
}

void AtsEndpoint::atc_invalidate(const AtcInvalidation& request, AtcInvalidationCompleter& completer) {
    ++invalidations_received_;
    if (params_.ignore_invalidations) {
        ++invalidations_ignored_;
        return;
    }
    ++invalidation_epoch_;
    pending_invalidations_.push_back({request, &completer, sc_core::sc_time_stamp() + params_.invalidation_latency});
    invalidation_arrived_.notify(sc_core::SC_ZERO_TIME);
}

void AtsEndpoint::invalidation_process() {
    for (;;) {
        while (pending_invalidations_.empty()) sc_core::wait(invalidation_arrived_);
        const PendingInvalidation next = pending_invalidations_.front();
        if (next.due > sc_core::sc_time_stamp()) sc_core::wait(next.due - sc_core::sc_time_stamp());
        pending_invalidations_.pop_front();
        const AtcInvalidation& request = next.request;
        // Without a PASID the request covers every entry of the range, whatever PASID it was asked
        // with (there is no way to name only the entries without one); with a PASID, that PASID's
        // entries and, when Global Invalidate is set, the global ones.
        const std::uint32_t tag = request.pasid + 1;
        cache_.invalidate_if([&](const Key& key, const Entry& entry) {
            const bool pasid_matches =
                !request.has_pasid || key.pasid_tag == tag || (request.global && key.pasid_tag == kGlobalTag);
            return pasid_matches && request.covers(entry.range_base, entry.range_bytes);
        });
        ++invalidations_completed_;
        next.completer->atc_invalidation_completed(request);
    }
}

void AtsEndpoint::pri_response(std::uint32_t requester, bool has_pasid, std::uint32_t pasid, std::uint32_t group_index,
                               PrgResponseCode code) {
    if (requester != requester_) return;
    ++page_responses_;
    const std::uint32_t index = group_index & kGroupIndexMask;
    auto found = page_groups_.find((std::uint64_t{has_pasid ? pasid + 1 : 0} << 9) | index);
    // A response without a PASID (an IOMMU's own answer to a request it could not queue) answers the
    // group of that index whatever PASID it was asked with: this endpoint does not require the PASID
    // in responses (the PRI capability's "PRG Response PASID Required" clear).
    if (found == page_groups_.end() && !has_pasid)
        for (auto it = page_groups_.begin(); it != page_groups_.end() && found == page_groups_.end(); ++it)
            if ((it->first & kGroupIndexMask) == index && !it->second.answered) found = it;
    if (found == page_groups_.end()) return;  // nobody waits for it (a stray or duplicate response)
    found->second.answered = true;
    found->second.code = code;
    page_response_arrived_.notify(sc_core::SC_ZERO_TIME);
}

}  // namespace iommu_vp
