// The schema of a platform description. Every default carries the reason it was chosen; the
// reference configuration (vp_configs/reference.yaml) is generated from this table.
#include "platform/config/schema.h"
#include "sw_stack/iommu/options.h"

namespace iommu_vp::platform {
namespace {

constexpr std::uint64_t kU32Max = 0xFFFF'FFFFu;
constexpr std::uint64_t kAddressMax = (std::uint64_t{1} << 52) - 1;
constexpr double kNsMax = 1.0e12;  // 1000 s of simulated time

SchemaNode simulation_schema() {
    return map_key("simulation", "how the simulation runs",
                   {
                       number_key("quantum_ns", 1000, 1, kNsMax,
                                  "temporal-decoupling quantum: how far an initiator may run ahead of the kernel (ns)",
                                  "1 us bounds the skew between masters to a few memory round trips while keeping "
                                  "context switches rare; lower it for tighter interleaving, raise it for host speed"),
                       number_key("max_time_ns", 0, 0, kNsMax,
                                  "stop the run at this simulated time (ns); 0 runs until every master is done",
                                  "unbounded by default: traffic counts and durations end a run"),
                       integer_key("seed", 1, 0, ~std::uint64_t{0},
                                   "seed of every random stream (traffic, replacement, timing jitter); --seed "
                                   "overrides it"),
                       number_key("timing_jitter_ns", 0, 0, kNsMax,
                                  "timing perturbation: every master's start and each of its think times gain a "
                                  "uniform extra delay up to this (ns), drawn from the seed; 0 is off",
                                  "off, so that latency figures carry no noise nobody asked for; set it (with "
                                  "several seeds) to run one scenario over other interleavings"),
                       number_key("script_poll_interval_ns", 100, 0.001, kNsMax,
                                  "pause between the reads of a script's poll32/poll64 (ns)",
                                  "a driver's poll loop with a short delay between reads; keeps a poll of a register "
                                  "that answers in zero time from spinning at one instant"),
                   });
}

// The IOMMU core's options, one key per row of its option table (sw_stack/iommu/options.h).
SchemaNode core_options_schema() {
    std::vector<SchemaNode> keys;
    for (const iommu::CoreOptionInfo& option : iommu::core_option_table()) {
        if (option.flag)
            keys.push_back(boolean_key(option.name, option.default_value != 0, option.description));
        else
            keys.push_back(integer_key(option.name, option.default_value, 1, iommu::kCoreOptionCountMax,
                                       option.description));
    }
    return map_key("core",
                   "the IOMMU core's options, passed to the software as sw.core.<name>= on the kernel command line "
                   "(before command_line, whose settings win)",
                   std::move(keys));
}

SchemaNode software_schema() {
    SchemaNode window = size_key("dma_window_base", 0, 0, kAddressMax,
                                 "start of the RAM window dma_alloc_coherent hands out; none gives software no DMA "
                                 "memory",
                                 "none by default: a study chooses where software's queues and tables live");
    window.nullable = true;
    window.default_value = nullptr;
    return map_key(
        "software", "the CPU that runs the co-simulated software and its kernel runtime",
        {
            boolean_key("enabled", false, "build the CPU and the kernel runtime",
                        "off: traffic studies need no software, and without it the platform is unchanged"),
            integer_key("cpus", 4, 1, 64, "simulated CPUs (smp_processor_id, per-CPU store buffers)",
                        "a small SMP system: enough for races between probe, work and interrupt threads"),
            choice_key("ordering", "program_order", {"program_order", "checking"},
                       "memory model: buffered stores released in program order at each release point, or held to "
                       "the last legal point and released in a seeded order (checking)"),
            number_key("mmio_cost_ns", 20, 0, kNsMax, "CPU-side cost of an uncached register access, on top of the bus (ns)",
                       "an assumption: ~40 cycles of a 2 GHz core for the uncached path"),
            number_key("memory_cost_ns", 5, 0, kNsMax, "CPU-side cost of a memory access, on top of the bus (ns)",
                       "an assumption: an L2 hit at 2 GHz"),
            number_key("release_per_line_ns", 10, 0, kNsMax,
                       "cost of making one cache line of buffered stores visible at a release point (ns)",
                       "an assumption of a few tens of cycles for a write to reach the point of coherence"),
            number_key("watchdog_ns", 1e9, 1, kNsMax, "a thread blocked this long on a runtime primitive is reported (ns)",
                       "1 s of simulated time, the regression scenarios' deadlock oracle"),
            number_key("mmio_jitter_ns", 0, 0, kNsMax,
                       "perturbation: each MMIO access costs up to this much more, drawn from the seed (ns); 0 is off",
                       "off, so that runs are exact unless an exploration asks for other interleavings"),
            number_key("start_jitter_ns", 0, 0, kNsMax,
                       "perturbation: each software thread starts up to this much later, drawn from the seed (ns)",
                       "off, as mmio_jitter_ns"),
            window,
            size_key("dma_window_size", 0x100'0000, 0x1000, kAddressMax, "bytes of the DMA window",
                     "16 MiB: room for every queue and table a few IOMMUs need"),
            string_key("command_line", "", "the kernel command line software sees (iommu.passthrough=, iommu.strict=, ...)"),
            core_options_schema(),
        });
}

SchemaNode bus_schema() {
    return map_key("bus", "the system interconnect that every master and target hangs off",
                   {
                       number_key("hop_latency_ns", 2, 0, kNsMax, "latency added by the interconnect per transaction (ns)",
                                  "2 cycles of a 1 GHz interconnect clock (a switch and a register slice); an "
                                  "assumption: set the integrator's figure"),
                   });
}

SchemaNode memory_schema() {
    SchemaNode base = size_key("base", 0, 0, kAddressMax, "first system address of the memory");
    base.required = true;
    base.example = 0x8000'0000u;
    SchemaNode size = size_key("size", 0, 4096, std::uint64_t{1} << 52, "bytes (suffixes KiB, MiB, GiB, TiB allowed)");
    size.required = true;
    size.example = std::uint64_t{1} << 30;
    return named_map_key(
        "memories", "memories on the bus, by name", "ram",
        map_key("", "one memory",
                {
                    base,
                    size,
                    number_key("read_latency_ns", 50, 0, kNsMax, "latency of a read from request to data (ns)",
                               "DDR4-3200 CL22: tRCD + tCL = 2 x 13.75 ns plus controller and PHY, about 50 ns "
                               "unloaded"),
                    number_key("write_latency_ns", 50, 0, kNsMax, "latency of a write until it is accepted (ns)",
                               "taken equal to the read latency (no posted-write buffer modelled)"),
                    number_key("bandwidth_gbps", 0, 0, 10000,
                               "sustained bandwidth in GB/s (bytes per ns); 0 is unlimited",
                               "off by default so that latency studies see the IOMMU alone; one DDR4-3200 x64 "
                               "channel peaks at 25.6 GB/s"),
                    boolean_key("dmi", true, "hand out direct memory pointers (always refused while bandwidth is limited)"),
                }));
}

SchemaNode interrupts_schema() {
    return map_key("interrupts", "the interrupt controller",
                   {
                       integer_key("lines", 32, 0, 1024, "wired interrupt lines"),
                       size_key("msi_doorbell_base", 0x0800'0000, 0, kAddressMax,
                                "system address of the MSI doorbell window (a 32-bit write of D raises vector D)",
                                "below the default RAM at 0x8000_0000, clear of it"),
                       size_key("msi_doorbell_size", 0x1000, 4, 0x1000'0000, "bytes of the doorbell window",
                                "one 4 KiB page, as an MSI frame or a GITS_TRANSLATER page occupies"),
                       number_key("delivery_latency_ns", 10, 0, kNsMax,
                                  "from a doorbell write landing, or a wired line changing, to delivery at the CPU (ns)",
                                  "an assumption of a few interconnect and distributor cycles"),
                   });
}

SchemaNode irq_line_key(std::string key, std::string description) {
    SchemaNode line = integer_key(std::move(key), 0, 0, 1023, std::move(description) + "; none leaves it unconnected");
    line.nullable = true;
    line.default_value = nullptr;
    return line;
}

SchemaNode cache_key(std::string key, std::uint64_t sets, std::uint64_t ways, const std::string& what) {
    return map_key(std::move(key), what + ": geometry and replacement; 0 sets or 0 ways disables it",
                   {
                       integer_key("sets", sets, 0, 1 << 16, "sets", "an assumption; sweep it"),
                       integer_key("ways", ways, 0, 64, "ways per set", "an assumption; sweep it"),
                       choice_key("replacement", "lru", {"lru", "random"}, "replacement policy"),
                   });
}

// Where a table builder may place its structures; none leaves the IOMMU out of reset.
SchemaNode tables_region_key(const std::string& iommu) {
    SchemaNode region = size_key("region_base", 0, 0, kAddressMax,
                                 "physical memory the builder fills with the " + iommu + "'s structures; none: the " +
                                     iommu + " is left out of reset for software or a script to program");
    region.nullable = true;
    region.default_value = nullptr;
    return region;
}

// Address ranges a table builder maps; `input` says what the input address is.
SchemaNode mappings_schema(const std::string& input) {
    SchemaNode first = size_key("input", 0, 0, kAddressMax, "first input address (" + input + ")");
    first.required = true;
    first.example = 0;
    SchemaNode output = size_key("output", 0, 0, kAddressMax, "first physical address");
    output.required = true;
    output.example = 0x8000'0000u;
    SchemaNode size = size_key("size", 0, 0x1000, kAddressMax, "bytes mapped (a multiple of 4 KiB)");
    size.required = true;
    size.example = 0x10'0000u;
    return named_map_key(
        "mappings", "address ranges the tables map, by name", "m0",
        map_key("", "one mapping", {first, output, size, boolean_key("writable", true, "writes are permitted")}));
}

SchemaNode smmuv3_tables_schema() {
    const SchemaNode mappings = mappings_schema("VA for stage 1, IPA for stage 2");
    return map_key(
        "tables", "structures built before the run, as a driver would leave them (platform/tables)",
        {
            tables_region_key("SMMU"),
            size_key("region_size", 16u << 20, 0x4000, kAddressMax, "bytes of the region",
                     "room for the queues and a few streams' page tables"),
            named_map_key(
                "streams", "streams to configure, by name", "s0",
                map_key("", "one stream",
                        {
                            integer_key("stream_id", 0, 0, 0xffff, "StreamID"),
                            choice_key("translation", "stage1", {"bypass", "abort", "stage1", "stage2"},
                                       "what the STE does: pass through, abort, translate at stage 1 (one CD, "
                                       "4 KiB granule, 48-bit VA) or at stage 2 (48-bit IPA)"),
                            integer_key("asid", 1, 0, 0xffff, "ASID of the CD (stage 1)"),
                            integer_key("vmid", 1, 0, 0xffff, "VMID of the STE (stage 2)"),
                            boolean_key("ats", false,
                                        "STE.EATS = 0b01: the stream's endpoint may use ATS (needs the SMMU's ats)"),
                            mappings,
                            named_map_key(
                                "contexts",
                                "stage-1 substream contexts beyond the default one (CD 0, which traffic without "
                                "a SubstreamID uses), by name",
                                "c1",
                                map_key("", "one context",
                                        {integer_key("substream_id", 1, 1, (1u << 20) - 1, "SubstreamID (PASID)"),
                                         integer_key("asid", 2, 0, 0xffff, "ASID of the context's CD"),
                                         mappings})),
                        })),
        });
}

SchemaNode smmuv3_schema() {
    SchemaNode base = size_key("base", 0, 0, kAddressMax,
                               "system address of the 128 KiB register window (page 0, then page 1 at +0x10000)");
    base.required = true;
    base.example = 0x0900'0000u;
    return named_map_key(
        "smmuv3", "Arm SMMUv3 instances, by name; masters name one as their port", "smmu0",
        map_key("", "one SMMUv3",
                {
                    base,
                    boolean_key("stage1", true, "stage 1 translation implemented (IDR0.S1P)"),
                    boolean_key("stage2", true, "stage 2 translation implemented (IDR0.S2P)"),
                    integer_key("sid_bits", 16, 0, 32, "StreamID bits (IDR1.SIDSIZE)",
                                "16 bits hold a PCIe requester ID (bus, device, function)"),
                    integer_key("ssid_bits", 8, 0, 20, "SubstreamID bits (IDR1.SSIDSIZE); 0: no substreams",
                                "an assumption: 256 contexts per stream keeps CD tables small; PCIe PASIDs allow 20"),
                    integer_key("oas_bits", 48, 32, 52, "output (physical) address size in bits (IDR5.OAS): 32, 36, "
                                                        "40, 42, 44, 48 or 52",
                                "a 48-bit physical address space, as most Armv8 servers have"),
                    boolean_key("granule_4k", true, "4 KiB translation granule (IDR5.GRAN4K)"),
                    boolean_key("granule_16k", false, "16 KiB translation granule (IDR5.GRAN16K)"),
                    boolean_key("granule_64k", true, "64 KiB translation granule (IDR5.GRAN64K)"),
                    boolean_key("two_level_stream_table", true, "2-level stream tables (IDR0.ST_LEVEL)"),
                    boolean_key("two_level_cd", true, "2-level context-descriptor tables (IDR0.CD2L)"),
                    boolean_key("msi", true, "MSI generation (IDR0.MSI)"),
                    boolean_key("asid16", true, "16-bit ASIDs (IDR0.ASID16)"),
                    boolean_key("vmid16", true, "16-bit VMIDs (IDR0.VMID16)"),
                    integer_key("cmdq_log2_entries", 8, 0, 19, "log2 of the largest command queue (IDR1.CMDQS)",
                                "256 commands: Linux needs more than 64 for its batches"),
                    integer_key("evtq_log2_entries", 8, 0, 19, "log2 of the largest event queue (IDR1.EVENTQS)",
                                "an assumption: 256 records absorb a burst of faults between interrupts"),
                    boolean_key("hyp", false,
                                "EL2 translation regimes (IDR0.HYP): CR2.E2H, STE.STRW and CMD_TLBI_EL2_*; needs stage1 "
                                "and stage2",
                                "off, as on an SMMUv3.0; a VHE Linux takes another path when it is advertised"),
                    boolean_key("range_invalidation", false,
                                "range TLB invalidation (IDR3.RIL): TLBI commands with TG/SCALE/NUM/TTL",
                                "off, as on an SMMUv3.0, so Linux issues the per-page TLBIs the studies were "
                                "calibrated on"),
                    integer_key("httu", 0, 0, 2,
                                "hardware update of translation tables (IDR0.HTTU): 0 none, 1 Access flag, 2 Access "
                                "flag and dirty state (CD.HA/HD, STE.S2HA/S2HD)",
                                "0: the studies were calibrated without it, and Linux sets HA/HD only when advertised"),
                    choice_key("stall_model", "terminate_only", {"stall_and_terminate", "terminate_only", "stall_forced"},
                               "IDR0.STALL_MODEL: whether faulting transactions may stall (CD.S, STE.S2S) until "
                               "CMD_RESUME, must terminate, or must stall"),
                    integer_key("max_stalled_transactions", 16, 1, 65536,
                                "transactions stalled at once; beyond it the SMMU accepts no new transaction until "
                                "one is resumed",
                                "an assumption: about the transaction slots of one TBU"),
                    integer_key("arch_minor", 0, 0, 3, "architecture minor revision reported in AIDR (3.x)",
                                "0: the default features are SMMUv3.0's; report 2 with hyp and range_invalidation"),
                    boolean_key("ats", false,
                                "ATS (IDR0.ATS): translation requests, translated requests, CMD_ATC_INV",
                                "off: most integrations have no ATS-capable root complex"),
                    boolean_key("pri", false, "PRI (IDR0.PRI): the PRI queue and CMD_PRI_RESP; needs ats",
                                "off, as ats"),
                    integer_key("priq_log2_entries", 8, 0, 19, "log2 of the largest PRI queue (IDR1.PRIQS)",
                                "256 entries, as the event queue: the page-request credits of a few endpoints"),
                    number_key("atc_invalidation_timeout_ns", 100000, 1, kNsMax,
                               "a CMD_ATC_INV its endpoint has not completed this long after it was sent fails the "
                               "CMD_SYNC after it with CERROR_ATC_INV_SYNC (ns)",
                               "100 us, the modelled time-out of the quarantine scenario (iommu-core.md section 13, S4)"),
                    number_key("page_request_latency_ns", 20, 0, kNsMax,
                               "processing of one page request before it is queued (ns)",
                               "an assumption of about ten SMMU cycles, as command_latency_ns"),
                    boolean_key("gbpa_abort_at_reset", false,
                                "GBPA.ABORT out of reset: deny all traffic until software enables the SMMU"),
                    number_key("register_latency_ns", 10, 0, kNsMax, "register access on the programming interface (ns)",
                               "an assumption: a register slice and decode, a few cycles of a ~500 MHz SMMU clock"),
                    number_key("acknowledge_latency_ns", 100, 0.001, kNsMax,
                               "from a write to CR0, IRQ_CTRL or GBPA to its acknowledgement (ns)",
                               "an assumption of tens of SMMU cycles; never zero, so a driver that does not poll "
                               "the acknowledgement misbehaves as on silicon"),
                    number_key("command_latency_ns", 20, 0, kNsMax, "processing of one command once fetched (ns)",
                               "an assumption of about ten SMMU cycles to decode and act on a command"),
                    number_key("tlb_lookup_latency_ns", 4, 0, kNsMax, "a TLB lookup, hit or miss (ns)",
                               "an assumption: two cycles of a 500 MHz SMMU clock"),
                    number_key("config_hit_latency_ns", 4, 0, kNsMax,
                               "a configuration-cache hit for the STE or the CD (ns)", "taken equal to the TLB lookup"),
                    number_key("walk_step_latency_ns", 4, 0, kNsMax,
                               "walker work per descriptor read, on top of the memory's latency (ns)",
                               "an assumption: one cycle to issue the read, one to decode the descriptor"),
                    integer_key("page_table_walkers", 4, 1, 64, "page-table walks in flight at once",
                                "an assumption in the range of shipping SMMUs' walk concurrency"),
                    cache_key("tlb", 64, 4, "the TLB of complete translations"),
                    cache_key("ste_cache", 16, 4, "the configuration cache's STEs"),
                    cache_key("cd_cache", 16, 4, "the configuration cache's CDs"),
                    cache_key("walk_cache", 16, 4, "the walk cache of intermediate table addresses"),
                    smmuv3_tables_schema(),
                    irq_line_key("evtq_irq_line", "interrupt-controller line of the event-queue interrupt"),
                    irq_line_key("gerror_irq_line", "interrupt-controller line of the global-error interrupt"),
                    irq_line_key("cmd_sync_irq_line", "interrupt-controller line of the CMD_SYNC interrupt"),
                    irq_line_key("priq_irq_line", "interrupt-controller line of the PRI-queue interrupt"),
                }));
}

SchemaNode vtd_translation_key(const std::string& default_value, const std::string& what) {
    return choice_key("translation", default_value, {"second_level", "first_level", "nested", "pass_through", "blocked"},
                      "what the " + what + " does: translate through second-level tables, first-level (IA-32e) "
                      "tables or both (nested; scalable mode only for first_level and nested), pass through, or "
                      "block every request (a present entry that maps nothing, so faults are recorded)");
}

SchemaNode vtd_tables_schema() {
    const SchemaNode mappings =
        mappings_schema("DMA address for second-level translation, virtual address for first-level and nested");
    SchemaNode requester = string_key("requester", "", "PCI requester ID of the device: \"bus:device.function\" in "
                                                       "hex as lspci prints it, or the 16-bit source-id");
    requester.required = true;
    requester.example = "00:03.0";
    return map_key(
        "tables",
        "structures built before the run, as a driver would leave them (platform/tables): root and context "
        "tables, PASID tables, page tables (2 MiB and 1 GiB leaves where aligned and the unit has them), an "
        "invalidation queue; then queued invalidation, the root table and translation are enabled",
        {
            tables_region_key("unit"),
            size_key("region_size", 16u << 20, 0x4000, kAddressMax, "bytes of the region",
                     "room for the queue, the root table and a few devices' context, PASID and page tables"),
            choice_key("mode", "legacy", {"legacy", "scalable"},
                       "translation-table mode (RTADDR.TTM): legacy (16-byte context entries, second level only) "
                       "or scalable (PASID tables; needs scalable_mode)"),
            integer_key("address_width", 48, 39, 57,
                        "second-level input width of every context and PASID-table entry (AW): 39, 48 or 57 bits "
                        "(3, 4 or 5 levels; the unit must implement it in SAGAW)",
                        "48 bits, 4-level tables, as Linux uses on parts with 48-bit SAGAW"),
            boolean_key("first_level_5level", false,
                        "5-level (57-bit) first-level tables (FLPM 1; needs the unit's first_level_5level)"),
            named_map_key(
                "devices", "devices (requester IDs) to give context entries, by name", "nic",
                map_key("", "one device",
                        {
                            requester,
                            vtd_translation_key("second_level", "device's entry (PASID 0 in scalable mode)"),
                            integer_key("domain_id", 1, 0, 0xffff, "domain ID of the device's entry"),
                            boolean_key("device_tlb", false,
                                        "the device may use ATS: legacy TT = 1 (with second_level translation), "
                                        "scalable DTE; needs the unit's device_tlb"),
                            boolean_key("page_requests", false,
                                        "the device may send page requests (scalable PRE); needs the unit's "
                                        "page_requests and device_tlb here"),
                            mappings,
                            named_map_key(
                                "pasids", "PASID contexts beyond the device's own (scalable mode), by name", "p1",
                                map_key("", "one PASID context",
                                        {integer_key("pasid", 1, 1, (1u << 20) - 1, "PASID"),
                                         vtd_translation_key("first_level", "PASID's entry"),
                                         integer_key("domain_id", 2, 0, 0xffff, "domain ID of the PASID's entry"),
                                         mappings})),
                        })),
        });
}

// What the unit implements, as CAP and ECAP report it (models/vtd/features.h).
std::vector<SchemaNode> vtd_feature_keys() {
    const std::string as_qemu = "as QEMU's model and current Intel server parts report";
    return {
        integer_key("domain_id_bits", 16, 4, 16, "domain-ID bits (CAP.ND = (bits - 4) / 2): 4, 6, 8, 10, 12, 14 or 16",
                    "65536 domains (ND = 6), " + as_qemu),
        boolean_key("required_write_buffer_flush", false,
                    "software must flush the write buffer before the unit sees table updates (CAP.RWBF)",
                    "a coherent unit needs no flush; only early chipsets set it"),
        boolean_key("caching_mode", false,
                    "caching mode (CAP.CM): not-present and faulting entries may be cached, so software must "
                    "invalidate after making an entry present",
                    "hardware reports 0; virtual IOMMUs set it to see every mapping"),
        boolean_key("sagaw_39", true, "39-bit, 3-level second-level tables (CAP.SAGAW bit 1)", as_qemu),
        boolean_key("sagaw_48", true, "48-bit, 4-level second-level tables (CAP.SAGAW bit 2)", as_qemu),
        boolean_key("sagaw_57", false, "57-bit, 5-level second-level tables (CAP.SAGAW bit 3)",
                    "only parts built for 5-level paging report it"),
        integer_key("mgaw_bits", 48, 39, 57, "largest input address width in bits (CAP.MGAW + 1); at least "
                                             "host_address_bits",
                    "the 4-level tables' 48 bits"),
        integer_key("fault_records", 8, 1, 256, "fault-recording registers (CAP.NFR + 1)",
                    "an assumption: 8 records absorb a burst of faults between interrupts (QEMU has 1)"),
        integer_key("fault_record_offset", 0x40, 0, 0x3ff,
                    "where the fault records start, in 16-byte units (CAP.FRO): 64 (0x40) puts them at offset 0x400",
                    "above every architected register the model implements"),
        integer_key("iotlb_register_offset", 0x50, 0, 0x3ff,
                    "where IVA_REG and IOTLB_REG sit, in 16-byte units (ECAP.IRO): 80 (0x50) puts them at offset 0x500",
                    "after the 8 default fault records, which end at 0x480"),
        boolean_key("second_level_2m", true, "2 MiB second-level pages (CAP.SLLPS bit 0)", as_qemu),
        boolean_key("second_level_1g", true, "1 GiB second-level pages (CAP.SLLPS bit 1)", as_qemu),
        boolean_key("page_selective_invalidation", true, "page-selective IOTLB invalidation (CAP.PSI)", as_qemu),
        integer_key("max_address_mask", 18, 0, 63, "largest address mask of a page-selective invalidation (CAP.MAMV)",
                    "2^18 pages (1 GiB), " + as_qemu),
        boolean_key("first_level_1g", true, "1 GiB first-level pages (CAP.FL1GP; with first_level)", as_qemu),
        boolean_key("first_level_5level", false, "5-level first-level paging (CAP.FL5LP; with first_level)",
                    "only parts built for 5-level paging report it"),
        boolean_key("queued_invalidation", true, "queued invalidation (ECAP.QI)",
                    "every unit since VT-d 1.2 has it; scalable mode needs it"),
        boolean_key("pass_through", true, "pass-through translation type (ECAP.PT)", as_qemu),
        boolean_key("snoop_control", true, "snoop control (ECAP.SC)", as_qemu),
        boolean_key("nested", true, "nested first- and second-level translation (ECAP.NEST)",
                    "scalable-mode parts implement it for guest shared virtual addressing"),
        boolean_key("supervisor_requests", true, "requests with supervisor privilege (ECAP.SRS)",
                    "built tables set SRE in every PASID-table entry"),
        integer_key("pasid_bits", 20, 1, 20, "PASID bits (ECAP.PSS + 1)", "the full 20-bit PCIe PASID"),
        boolean_key("pasid", true, "PASID support (ECAP.PASID; with scalable_mode)", as_qemu),
        boolean_key("scalable_mode", true, "scalable-mode translation (ECAP.SMTS; needs queued_invalidation)",
                    "VT-d 3.0, the version the model implements"),
        boolean_key("second_level", true, "second-level translation in scalable mode (ECAP.SLTS)", as_qemu),
        boolean_key("first_level", true, "first-level translation (ECAP.FLTS; with scalable_mode)", as_qemu),
        boolean_key("rid_pasid", true, "the context entry's RID_PASID is honoured (ECAP.RPS)", as_qemu),
        boolean_key("device_tlb", false,
                    "device-TLBs (ECAP.DT): ATS translation requests, translated requests and device-TLB "
                    "invalidation; needs queued_invalidation",
                    "off: only ATS studies need it, and a unit without it refuses ATS requests"),
        boolean_key("page_requests", false, "page requests (ECAP.PRS): the page-request queue; needs device_tlb and "
                                            "scalable_mode",
                    "off, as device_tlb"),
        integer_key("host_address_bits", 48, 32, 52,
                    "host address width: physical-address bits the unit's outputs and table pointers may use "
                    "(the DMAR table's HAW)",
                    "a 48-bit physical address space, as most x86 servers have"),
    };
}

std::vector<SchemaNode> vtd_timing_keys() {
    return {
        number_key("register_latency_ns", 10, 0, kNsMax, "register access on the programming interface (ns)",
                   "an assumption: a register slice and decode, a few cycles of a ~500 MHz uncore clock"),
        number_key("status_latency_ns", 100, 0.001, kNsMax,
                   "from a GCMD write to GSTS reflecting it (TES, RTPS, QIES, WBFS) (ns)",
                   "an assumption of tens of cycles; never zero, so a driver that does not poll GSTS misbehaves "
                   "as on silicon"),
        number_key("register_invalidation_latency_ns", 100, 0, kNsMax,
                   "a register-based invalidation (CCMD or IOTLB_REG) from the write to ICC or IVT clearing (ns)",
                   "an assumption: as the status handshake"),
        number_key("descriptor_latency_ns", 20, 0, kNsMax, "processing of one invalidation descriptor once fetched (ns)",
                   "an assumption of about ten cycles, as the SMMUv3's per-command cost"),
        number_key("iotlb_lookup_latency_ns", 4, 0, kNsMax, "an IOTLB look-up, hit or miss (ns)",
                   "an assumption: two cycles of a 500 MHz clock"),
        number_key("config_hit_latency_ns", 4, 0, kNsMax, "a context- or PASID-cache hit (ns)",
                   "taken equal to the IOTLB look-up"),
        number_key("walk_step_latency_ns", 4, 0, kNsMax,
                   "walker work per entry read, on top of the memory's latency (ns)",
                   "an assumption: one cycle to issue the read, one to decode the entry"),
        integer_key("page_table_walkers", 4, 1, 64, "page walks in flight at once",
                    "an assumption in the range of shipping units' walk concurrency"),
        number_key("device_tlb_invalidation_timeout_ns", 100000, 1, kNsMax,
                   "a device-TLB invalidation not completed by its endpoint this long after it was sent sets "
                   "FSTS.ITE (ns)",
                   "100 us, the modelled time-out of the quarantine scenario (iommu-core.md section 13, S4)"),
        number_key("page_request_latency_ns", 20, 0, kNsMax, "processing of one page request before it is queued (ns)",
                   "an assumption of about ten cycles, as descriptor_latency_ns"),
    };
}

SchemaNode vtd_schema() {
    SchemaNode base = size_key("base", 0, 0, kAddressMax, "system address of the 4 KiB register page");
    base.required = true;
    base.example = 0xfed9'0000u;
    std::vector<SchemaNode> unit = {base};
    for (std::vector<SchemaNode> keys : {vtd_feature_keys(), vtd_timing_keys()})
        unit.insert(unit.end(), keys.begin(), keys.end());
    for (SchemaNode key : {cache_key("context_cache", 16, 4, "the context cache (context entries by source-id)"),
                           cache_key("pasid_cache", 16, 4, "the PASID cache (PASID-table entries)"),
                           cache_key("iotlb", 64, 4, "the IOTLB of complete translations"),
                           cache_key("paging_structure_cache", 16, 4,
                                     "the paging-structure caches of intermediate table addresses"),
                           boolean_key("cache_faults_in_caching_mode", true,
                                       "with caching_mode, keep faulting context and PASID entries and not-present "
                                       "pages in the caches (ignored otherwise)",
                                       "what caching mode permits and exists to expose: software that skips the "
                                       "invalidation it requires keeps faulting"),
                           vtd_tables_schema()})
        unit.push_back(std::move(key));
    return named_map_key("vtd", "Intel VT-d DMA-remapping units, by name; masters name one as their port", "dmar0",
                         map_key("", "one VT-d remapping unit (a DRHD of the DMAR table)", std::move(unit)));
}

// An ATS-capable PCIe endpoint (models/dma/ats_endpoint.h): its address-translation cache and PRI.
SchemaNode master_ats_schema() {
    return map_key(
        "ats",
        "ATS: the master is a PCIe endpoint whose accesses are translated by its own address-translation cache "
        "(translation requests to its IOMMU on a miss) and issued as translated requests",
        {
            boolean_key("enabled", false, "make the master ATS-capable (its port must be an SMMUv3 or VT-d unit)",
                        "off: a plain master sends untranslated requests"),
            cache_key("cache", 16, 4, "the endpoint's address-translation cache (4 KiB entries)"),
            number_key("lookup_ns", 2, 0, kNsMax, "an address-translation-cache look-up (ns)",
                       "an assumption: two cycles of a 1 GHz device clock"),
            number_key("invalidation_latency_ns", 1000, 0, kNsMax,
                       "from an ATC invalidation request to its completion (ns)",
                       "an assumption: devices answer in microseconds (PCIe allows up to a minute)"),
            boolean_key("ignore_invalidations", false,
                        "fault injection: invalidations are neither performed nor completed (the IOMMU times out)"),
            boolean_key("pri", false, "on a translation without permission, send a page request and retry once "
                                      "it is answered"),
        });
}

SchemaNode master_schema() {
    SchemaNode pasid = integer_key("pasid", 0, 0, (1u << 20) - 1, "SubstreamID / PASID on every transaction; none for no PASID");
    pasid.nullable = true;
    pasid.default_value = nullptr;
    SchemaNode base = size_key("base", 0, 0, kAddressMax, "first address of the traffic window");
    base.required = true;
    base.example = 0x8000'0000u;
    SchemaNode requester = string_key("requester", "",
                                      "PCI requester ID instead of stream_id, as \"bus:device.function\" in hex as "
                                      "lspci prints it (\"00:03.0\" is stream_id bus << 8 | device << 3 | function "
                                      "= 0x18); given with stream_id, the two must agree; none: stream_id");
    requester.nullable = true;
    requester.default_value = nullptr;
    return named_map_key(
        "masters", "traffic-generating DMA masters, by name", "dma0",
        map_key("", "one master",
                {
                    reference_key("port", "master_port", "bus",
                                  "what the master's initiator socket binds to: the bus, or an SMMUv3 or a VT-d "
                                  "unit by name"),
                    integer_key("stream_id", 0, 0, kU32Max, "StreamID (SMMUv3) or requester ID (VT-d) on every transaction"),
                    requester,
                    pasid,
                    boolean_key("privileged", false, "transactions are privileged"),
                    boolean_key("instruction", false, "transactions are instruction fetches"),
                    choice_key("pattern", "sequential", {"sequential", "strided", "random", "trace"},
                               "address pattern; trace replays the file named by `trace`"),
                    base,
                    size_key("window", 0x10000, 1, kAddressMax, "bytes of the traffic window"),
                    size_key("stride", 0, 0, kAddressMax, "bytes between transaction starts (strided only)"),
                    size_key("size", 64, 1, 0x10000, "bytes per transaction",
                             "one 64-byte cache line, the common DMA burst"),
                    number_key("read_fraction", 1.0, 0.0, 1.0, "probability that a transaction is a read"),
                    integer_key("count", 1000, 0, ~std::uint64_t{0},
                                "transactions in all (0: no limit, then duration_ns must be set)"),
                    number_key("duration_ns", 0, 0, kNsMax, "stop issuing after this long (ns); 0: no limit"),
                    number_key("start_ns", 0, 0, kNsMax, "when the master starts (ns)"),
                    number_key("think_time_ns", 0, 0, kNsMax, "pause between a stream's transactions (ns)"),
                    integer_key("outstanding", 1, 1, 256, "concurrent streams of transactions"),
                    boolean_key("allow_4k_crossing", false,
                                "let transactions cross 4 KiB boundaries (AXI and PCIe forbid it; for IOMMU tests)"),
                    string_key("trace", "", "trace file (time_ns,op,address,size,stream[,pasid] per line), relative "
                                            "to the configuration file"),
                    boolean_key("use_dmi", false, "use direct memory pointers when a target grants them"),
                    boolean_key("enabled", true, "generate traffic (false: the master only serves scripts)"),
                    master_ats_schema(),
                }));
}

SchemaNode build_platform_schema() {
    SchemaNode root = map_key("", "an iommu-vp platform description",
                              {
                                  integer_key("version", kConfigSchemaVersion, kConfigSchemaVersion,
                                              kConfigSchemaVersion, "configuration format version"),
                                  simulation_schema(),
                                  bus_schema(),
                                  memory_schema(),
                                  interrupts_schema(),
                                  smmuv3_schema(),
                                  vtd_schema(),
                                  master_schema(),
                                  software_schema(),
                              });
    return root;
}

}  // namespace

const SchemaNode& platform_schema() {
    static const SchemaNode schema = build_platform_schema();
    return schema;
}

}  // namespace iommu_vp::platform
