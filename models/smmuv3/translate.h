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
// StreamWorlds (5.2 STRW, with IDR0.Hyp and SMMU_CR2.E2H): NS-EL1 (VMID- and ASID-tagged), NS-EL2
// (only TTB0, CD.ASID IGNORED so every entry is global, no VMID; one privilege level: AP[1],
// APTable[0], PXN and PXNTable have no effect, XN is bit 54 with XNTable) and NS-EL2-E2H (two ranges,
// ASID-tagged, no VMID); the TLB and walk cache tag entries with the StreamWorld.
// ATS (SMMUv3 3.9.1): a translation request (RequestKind::translation_request) is checked against
// the effective STE.EATS (F_BAD_ATS_TREQ when ATS is not allowed, bypass included), then translated
// through every enabled stage without the access's permission check; what the completion grants is
// worked out from the final permissions as 13.7.1 describes (ats_grant), and ats_answer() says how
// a terminated one is answered (3.9.1.2). A nested request whose stage 1 grants nothing stops
// there. A translated transaction (RequestKind::translated; the model asks only with CR0.ATSCHK ==
// 1) is checked against the STE alone: F_TRANSL_FORBIDDEN for bypass and EATS == 0b00 (3.9.1.3).
// Stalls (3.12.2, 5.5): a Translation-related fault (F_TRANSLATION, F_ADDR_SIZE, F_ACCESS,
// F_PERMISSION) of an untranslated transaction at a stage whose S flag is set (CD.S, STE.S2S;
// stage-2 faults of CD fetches and stage-1 walks included) is marked `stall`; the model holds the
// transaction. Never for translation requests (R == W == 0 instead, 5.5) nor for the F_ADDR_SIZE of
// a bypassed stage 1 (always an abort, 3.12).
// HTTU (SMMUv3 3.13; CD.HA/HD, STE.S2HA/S2HD): the walks set AF and mark writable-clean leaves dirty
// in memory by compare-and-swap through the reader (vmsa_walk.h). Stage 2 sets AF for CD and L1CD
// fetches and stage-1 table reads too but never marks them dirty (3.13.2, 3.13.3.1); a nested
// stage-1 descriptor update is a write to its IPA, translated by stage 2 as a write (stage-2 AF and
// dirty updates included; a stage 2 that forbids it is a stage-2 F_PERMISSION with CLASS = TT and
// TTRnW = 0: 3.13.5, 7.3.16). AF is set whether or not the access then faults on permission (3.13.2
// leaves it UNKNOWN); nothing is marked dirty for an access that would fault. A TLB entry of a
// writable-clean page serves reads; a write (or an ATS translation request with NW == 0) that hits
// it walks again, so the descriptor in memory is marked dirty before the write proceeds. ATS
// translation requests update as transactions do (3.13.7.1): AF, and with HD and NW == 0 the dirty
// state of a writable-clean page, then W is granted; a nested request whose stage 1 does not grant
// write leaves both stages clean. Debug translations (a reader that never writes) update nothing.
// Does not model: STE/CD attribute overrides other than PRIVCFG and INSTCFG (stored only),
// split-stage ATS (EATS == 0b10 is ILLEGAL: NS1ATS), HAFT, the speculative stage-2 dirty update that
// 3.13.4 permits.
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
    // HTTU's atomic compare-and-swap of the 64-bit little-endian descriptor at physical address
    // `address`: `observed` gets what it held, `desired` is stored only if that equals `expected`
    // (DownstreamAccess::compare_exchange64). False on an external abort. Readers that cannot write
    // (the default) answer false: a translation without HA or HD never asks.
    virtual bool compare_exchange64(std::uint64_t /*address*/, std::uint64_t /*expected*/,
                                    std::uint64_t /*desired*/, std::uint64_t& /*observed*/) {
        return false;
    }
};

// What kind of transaction is translated (MasterAttrs::ats).
enum class RequestKind : std::uint8_t { untranslated, translation_request, translated };

struct TranslationRequest {
    std::uint32_t stream_id = 0;
    std::optional<std::uint32_t> substream_id;
    std::uint64_t address = 0;
    // The access writes. For a translation request: write permission is asked for (NW == 0).
    bool write = false;
    // For a translation request: Priv and Exe of the PASID prefix (false without a PASID, 13.7).
    bool privileged = false;
    bool instruction = false;
    RequestKind kind = RequestKind::untranslated;
};

// SMMU-wide state a translation depends on.
struct TranslationEnvironment {
    Features features;
    StreamTableConfig stream_table;
    bool record_invalid_stream_ids = false;  // CR2.RECINVSID
    bool cr2_e2h = false;
    bool ats_check = false;                  // CR0.ATSCHK (acknowledged): EATS == 0b10 counts only with it
};

// What an ATS Translation Completion grants (SMMUv3 13.7.1). Exe implies R.
struct AtsGrant {
    bool read = false;
    bool write = false;
    bool execute = false;
    bool any() const { return read || write || execute; }
};

struct TranslationResult {
    enum class Kind { translated, terminated };
    Kind kind = Kind::terminated;
    std::uint64_t output_address = 0;
    unsigned size_bits = 12;                 // the page or block the translation covers
    FaultResponse response = FaultResponse::abort;  // for terminated transactions
    bool record_event = false;               // whether `event` goes to the event queue
    // A Translation-related fault of an untranslated transaction at a stage configured to stall
    // (CD.S at stage 1, STE.S2S at stage 2; SMMUv3 3.12.2, 5.5): the model stalls the transaction
    // instead of terminating it, and the event is always recorded (R is ignored), with Stall = 1.
    bool stall = false;
    EventRecord event;
    const char* reason = "";                 // for the log: why a configuration was refused
    unsigned descriptor_fetches = 0;         // every table and structure read (and HTTU swap), both stages
    vmsa::HardwareUpdates hardware_updates;  // HTTU: AF and dirty updates made, swaps that lost a race
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
    bool stream_aborted = false;             // STE.Config == 0b0xx: terminated without an event
    AtsGrant ats_grant;                      // translated translation requests: what the completion grants
};

TranslationResult translate(const TranslationRequest& request, const TranslationEnvironment& environment,
                            TableReader& reader, const TranslationCaches& caches = {});

// How an ATS Translation Request is answered (SMMUv3 3.9.1.2), from its TranslationResult:
//   translation          Success with the result's grant (R == W == 0 when it grants nothing);
//   no_translation       Success, R == W == 0: F_TRANSLATION, F_ADDR_SIZE, F_ACCESS, F_PERMISSION at
//                        either stage, stage-2 faults of CD fetches and stage-1 walks included;
//   unsupported_request  UR: F_BAD_ATS_TREQ, or STE.Config == 0b000 (no event);
//   completer_abort      CA: any other configuration error or external abort (C_BAD_STREAMID,
//                        F_STE_FETCH, C_BAD_STE, C_BAD_SUBSTREAMID, F_STREAM_DISABLED, F_CD_FETCH,
//                        C_BAD_CD, F_WALK_EABT). Without SMMU_CR2.REC_CFG_ATS (not implemented) none of
//                        them is recorded: of a translation request's faults only F_BAD_ATS_TREQ is.
enum class AtsAnswer : std::uint8_t { translation, no_translation, unsupported_request, completer_abort };
AtsAnswer ats_answer(const TranslationResult& result);

// The STE of `stream_id` when a valid one can be located (Config == 0b000 included), through the
// configuration cache when given; nullopt for C_BAD_STREAMID, F_STE_FETCH and C_BAD_STE. For checks
// that need only the STE (STE.PPAR of a PRI overflow auto-response, SMMUv3 8.1).
std::optional<StreamConfig> find_stream_config(std::uint32_t stream_id, const TranslationEnvironment& environment,
                                               TableReader& reader, const TranslationCaches& caches = {});

}  // namespace iommu_vp::smmuv3
