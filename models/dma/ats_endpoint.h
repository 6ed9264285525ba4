// AtsEndpoint: the ATS side of a PCIe endpoint (an Address Translation Cache with its requests), for
// any master model to own: the traffic master and DMA-engine-style masters translate through it.
//
// translate() answers from the ATC when it holds a translation with the permission the access needs
// (after `lookup_cost`); otherwise it sends a translation request through the owner's transport,
// caches the completion and answers from it. A completion without permission ("no translation")
// leads, when PRI is enabled, to a page request and a wait for its response, then one more
// translation request. Invalidations (atc_invalidate) take `invalidation_latency` in the endpoint's
// own process, drop every covering entry and then complete; a translation request in flight when an
// invalidation arrives is used for its access but not cached, so no stale entry outlives the
// completion. The fault-injection knob `ignore_invalidations` keeps the entries and never completes,
// which is what an IOMMU's invalidation time-out paths need.
//
// Entries are kept per 4 KiB page, tagged by PASID (or none), each remembering the translated range
// it came from; a global translation matches every PASID. Statistics: lookups, hits, misses,
// translation requests and their failures, page requests and responses, invalidations received,
// completed and ignored, completions not cached because an invalidation overtook them.
//
// Not modelled: translated-request ordering against invalidations (the endpoint completes an
// invalidation without waiting for its own translated requests in flight: the owner's accesses are
// blocking, so none is in flight when the owner's thread is not), multiple translations per
// request, the Smallest Translation Unit, ATS memory attributes.
#pragma once

#include "models/common/ats.h"
#include "models/common/master_attrs.h"
#include "models/common/set_assoc_cache.h"
#include "models/common/stats.h"

#include <systemc>
#include <tlm>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>

namespace iommu_vp {

struct AtsEndpointParams {
    // Geometry of the ATC: 16 sets x 4 ways, 64 entries of 4 KiB. An assumption: endpoint ATCs are
    // small (tens of entries) and sized for the device's working set of descriptor rings and buffers.
    CacheGeometry cache{16, 4, ReplacementPolicy::lru};
    // An ATC lookup: 2 ns, two cycles of a 1 GHz device clock (an assumption).
    sc_core::sc_time lookup_cost = sc_core::sc_time(2, sc_core::SC_NS);
    // From an invalidation request to its completion: 1 us, an assumption for a device that walks a
    // small ATC and drains its queues (PCIe allows up to a minute; devices answer in microseconds).
    sc_core::sc_time invalidation_latency = sc_core::sc_time(1, sc_core::SC_US);
    // Fault injection: invalidations are neither performed nor completed.
    bool ignore_invalidations = false;
    // PRI: a "no translation" completion leads to a page request (when enabled).
    bool pri_enabled = false;
    std::uint64_t seed = 0;  // of the random replacement policy
};

class AtsEndpoint : public sc_core::sc_module, public AtsEndpointIf {
public:
    // The IOMMU's port binds to this.
    sc_core::sc_export<AtsEndpointIf> ats;

    // How the endpoint reaches its IOMMU: the owner's blocking transport (its initiator socket).
    using Transport = std::function<void(tlm::tlm_generic_payload&, sc_core::sc_time&)>;

    SC_HAS_PROCESS(AtsEndpoint);
    // The counters go into `owner_stats` when given (the owning master's group), else into a group of
    // the endpoint's own.
    AtsEndpoint(sc_core::sc_module_name name, const AtsEndpointParams& params, Transport transport,
                StatsGroup* owner_stats = nullptr);

    const AtsEndpointParams& params() const { return params_; }
    const StatsGroup& stats() const { return stats_; }

    // The output address for an access by `attrs` (its stream and PASID) at `address`, or nullopt
    // when the IOMMU gives none (the access must not be made). Called from an SC_THREAD; may wait
    // for a page response. `delay` is the caller's annotated delay (temporal decoupling).
    std::optional<std::uint64_t> translate(const MasterAttrs& attrs, std::uint64_t address, bool write,
                                           sc_core::sc_time& delay);

    // Entries held now (for tests and reports).
    std::size_t cached_pages() const;

    // AtsEndpointIf.
    bool ats_serves(std::uint32_t requester) const override;
    void atc_invalidate(const AtcInvalidation& request, AtcInvalidationCompleter& completer) override;
    void pri_response(std::uint32_t requester, bool has_pasid, std::uint32_t pasid, std::uint32_t group_index,
                      PrgResponseCode code) override;

    // The requester ID the endpoint answers for; set by the owner from its StreamID.
    void set_requester(std::uint32_t requester) { requester_ = requester; }

private:
    struct Key {
        std::uint32_t pasid_tag;  // PASID + 1, 0 for none
        std::uint64_t page;       // address >> 12
        bool operator==(const Key& other) const { return pasid_tag == other.pasid_tag && page == other.page; }
    };
    struct KeyHash {
        std::size_t operator()(const Key& key) const { return static_cast<std::size_t>(key.page ^ (key.pasid_tag * 0x9e37u)); }
    };
    struct Entry {
        std::uint64_t range_base = 0;        // untranslated start of the translated range
        std::uint64_t range_bytes = 0;
        std::uint64_t translated_base = 0;
        bool read = false, write = false, global = false;
    };
    struct PendingInvalidation {
        AtcInvalidation request;
        AtcInvalidationCompleter* completer;
        sc_core::sc_time due;
    };
    struct PendingGroup {
        bool answered = false;
        PrgResponseCode code = PrgResponseCode::success;
    };

    std::optional<AtsTranslation> request_translation(const MasterAttrs& attrs, std::uint64_t page, bool write,
                                                      sc_core::sc_time& delay);
    bool request_page(const MasterAttrs& attrs, std::uint64_t page, bool write, sc_core::sc_time& delay);
    const Entry* find(const MasterAttrs& attrs, std::uint64_t address, bool write);
    void fill(const MasterAttrs& attrs, std::uint64_t page, const AtsTranslation& translation);
    void invalidation_process();

    AtsEndpointParams params_;
    Transport transport_;
    std::uint32_t requester_ = 0;
    SetAssocCache<Key, Entry, KeyHash> cache_;
    std::uint64_t invalidation_epoch_ = 0;  // bumped when an invalidation arrives
    std::deque<PendingInvalidation> pending_invalidations_;
    sc_core::sc_event invalidation_arrived_;
    std::map<std::uint64_t, PendingGroup> page_groups_;  // by PASID tag << 9 | group index
    sc_core::sc_event page_response_arrived_;
    std::uint32_t next_group_index_ = 0;

    StatsGroup own_stats_;
    StatsGroup& stats_;
    Counter& lookups_;
    Counter& hits_;
    Counter& misses_;
    Counter& translation_requests_;
    Counter& translation_failures_;
    Counter& page_requests_;
    Counter& page_responses_;
    Counter& invalidations_received_;
    Counter& invalidations_completed_;
    Counter& invalidations_ignored_;
    Counter& not_cached_stale_;
};

}  // namespace iommu_vp
