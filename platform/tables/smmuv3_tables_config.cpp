#include "platform/tables/smmuv3_tables_config.h"

namespace iommu_vp::platform {

std::optional<TablesSpec> smmuv3_tables_spec(const nlohmann::ordered_json& smmu) {
    const nlohmann::ordered_json& tables = smmu["tables"];
    if (tables["region_base"].is_null()) return std::nullopt;
    TablesSpec spec;
    spec.region_base = tables["region_base"];
    spec.region_size = tables["region_size"];
    spec.output_bits = smmu["oas_bits"];
    for (const auto& [name, s] : tables["streams"].items()) {
        TableStream stream;
        stream.name = name;
        stream.stream_id = s["stream_id"];
        const std::string translation = s["translation"];
        stream.translation = translation == "bypass"   ? StreamTranslation::bypass
                             : translation == "abort"  ? StreamTranslation::abort
                             : translation == "stage2" ? StreamTranslation::stage2
                                                       : StreamTranslation::stage1;
        stream.asid = s["asid"];
        stream.ats = s["ats"];
        stream.vmid = s["vmid"];
        for (const auto& [mapping_name, m] : s["mappings"].items())
            stream.mappings.push_back(TableMapping{m["input"], m["output"], m["size"], m["writable"]});
        for (const auto& [context_name, c] : s["contexts"].items()) {
            TableContext context;
            context.name = context_name;
            context.substream_id = c["substream_id"];
            context.asid = c["asid"];
            for (const auto& [mapping_name, m] : c["mappings"].items())
                context.mappings.push_back(TableMapping{m["input"], m["output"], m["size"], m["writable"]});
            stream.contexts.push_back(std::move(context));
        }
        spec.streams.push_back(std::move(stream));
    }
    return spec;
}

}  // namespace iommu_vp::platform
