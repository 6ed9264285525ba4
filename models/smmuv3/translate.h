// One SMMUv3 translation from the configuration tables in memory, without caches: find the STE
// (SMMUv3 3.3), decode it, find and decode the CD, walk stage 1 and stage 2 (nested: every
// stage-1 table and CD access through stage 2), check permissions, and either produce the output
// address or the architected fault with its event record filled. Plain C++: the model supplies a
// reader backed by its downstream socket and acts on the result (forward, terminate, record).
//
// Models: linear and 2-level stream tables, the STE and CD checks of ste.h and cd.h, F_STE_FETCH,
// F_CD_FETCH and F_WALK_EABT on aborted fetches, stage-2 faults during nested walks reported with
// S2 = 1, the IPA and the CLASS of the access (CD, TT or IN), recording suppressed by CD.R and
// STE.S2R for translation-related faults (SMMUv3 5.5), CD.A = 0 terminating those as RAZ/WI.
// With caches (caches.h), decoded STEs and CDs come from the configuration cache and complete
// translations from the TLB when present; a TLB hit still checks the access's permissions.
// Does not model: walk caches, the stall model, ATS, hardware access/dirty update, STE/CD
// attribute overrides (stored only), S2PTW's device-memory check.
#pragma once

#include "models/common/fault_response.h"
#include "models/smmuv3/caches.h"
#include "models/smmuv3/config_outcome.h"
#include "models/smmuv3/event.h"
#include "models/smmuv3/features.h"
#include "models/smmuv3/stream_table.h"
#include "models/smmuv3/vmsa_walk.h"

#include <cstdint>
#include <optional>

namespace iommu_vp::smmuv3 {

// Physical reads of configuration structures and translation tables.
class TableReader {
public:
    virtual ~TableReader() = default;
    // Reads `length` bytes (8 or 64) at physical address `address`; false on an external abort.
    virtual bool read(std::uint64_t address, std::uint8_t* bytes, unsigned length) = 0;
};

struct TranslationRequest {
    std::uint32_t stream_id = 0;
    std::optional<std::uint32_t> substream_id;
    std::uint64_t address = 0;
    bool write = false;
    bool privileged = false;
    bool instruction = false;
};

// SMMU-wide state a translation depends on.
struct TranslationEnvironment {
    Features features;
    StreamTableConfig stream_table;
    bool record_invalid_stream_ids = false;  // CR2.RECINVSID
    bool cr2_e2h = false;
};

struct TranslationResult {
    enum class Kind { translated, terminated };
    Kind kind = Kind::terminated;
    std::uint64_t output_address = 0;
    unsigned size_bits = 12;                 // the page or block the translation covers
    FaultResponse response = FaultResponse::abort;  // for terminated transactions
    bool record_event = false;               // whether `event` goes to the event queue
    EventRecord event;
    const char* reason = "";                 // for the log: why a configuration was refused
    unsigned descriptor_fetches = 0;         // every table and structure read, both stages
    // What the caches did: configuration hits and the TLB probes and hit.
    bool ste_cache_hit = false;
    bool cd_cache_hit = false;
    bool ste_fetched = false;                // read from memory (a miss, or no configuration cache)
    bool cd_fetched = false;
    StreamStats* stream_stats = nullptr;     // the stream's statistics, once its STE is known
    unsigned walk_cache_hits = 0;            // walks that started below their first level thanks to the walk cache
    unsigned walk_cache_misses = 0;          // walks that found nothing in it
    bool tlb_looked_up = false;              // the TLB was consulted (an empty TLB takes no probe)
    bool tlb_hit = false;
    unsigned tlb_probes = 0;
};

TranslationResult translate(const TranslationRequest& request, const TranslationEnvironment& environment,
                            TableReader& reader, const TranslationCaches& caches = {});

}  // namespace iommu_vp::smmuv3
