// Builds the in-memory structures an SMMUv3 driver would leave behind (stream table, STEs, CDs,
// VMSAv8-64 page tables, event and command queues) from a configuration's `tables:` section, and
// the register writes that enable the SMMU, so that architects can study translation before the
// software stack exists.
//
// The encodings here are the platform's own, written from the SMMUv3 and Arm ARM descriptor
// formats, and deliberately independent of models/smmuv3: a mistake shared by the builder and the
// model could not be seen, two independent encodings that must agree can.
//
// Scope: a linear stream table; per stream bypass, abort, stage 1 (4 KiB granule, 48-bit VA; one
// CD, or a linear CD table when the stream has substream contexts: S1DSS then sends traffic
// without a SubstreamID to CD 0) or stage 2 (4 KiB granule, 48-bit IPA from level 0); mappings as
// 1 GiB and 2 MiB blocks where aligned and 4 KiB pages otherwise. Not built: nested streams,
// 16/64 KiB granules, 2-level tables.
#pragma once

#include "platform/tables/built_tables.h"

#include <cstdint>
#include <string>
#include <vector>

namespace iommu_vp::platform {

enum class StreamTranslation { bypass, abort, stage1, stage2 };

struct TableMapping {
    std::uint64_t input = 0;   // VA (stage 1) or IPA (stage 2)
    std::uint64_t output = 0;  // physical address
    std::uint64_t size = 0;
    bool writable = true;
};

// A stage-1 context beyond the stream's default one: its own CD (at index substream_id of the
// stream's CD table), ASID and page tables.
struct TableContext {
    std::string name;
    std::uint32_t substream_id = 1;
    std::uint16_t asid = 2;
    std::vector<TableMapping> mappings;
};

struct TableStream {
    std::string name;
    std::uint32_t stream_id = 0;
    StreamTranslation translation = StreamTranslation::stage1;
    std::uint16_t asid = 1;                 // of the default context (CD 0)
    std::uint16_t vmid = 1;
    bool ats = false;                       // STE.EATS = 0b01: translation requests are answered
    std::vector<TableMapping> mappings;     // of the default context
    std::vector<TableContext> contexts;     // substreams (stage 1 only)
};

struct TablesSpec {
    std::uint64_t region_base = 0;  // physical memory the builder may fill
    std::uint64_t region_size = 0;
    unsigned output_bits = 48;      // the SMMU's OAS: IPS and S2PS are set to it
    std::vector<TableStream> streams;
};

BuiltTables build_smmuv3_tables(const TablesSpec& spec);

}  // namespace iommu_vp::platform
