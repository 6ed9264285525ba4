#include "models/common/master_attrs.h"

#include <sstream>

namespace iommu_vp {

const char* to_string(AtsState state) {
    switch (state) {
    case AtsState::untranslated: return "untranslated";
    case AtsState::translation_request: return "translation_request";
    case AtsState::translated: return "translated";
    }
    return "?";
}

tlm::tlm_extension_base* MasterAttrs::clone() const { return new MasterAttrs(*this); }

void MasterAttrs::copy_from(const tlm::tlm_extension_base& other) {
    *this = static_cast<const MasterAttrs&>(other);
}

bool MasterAttrs::operator==(const MasterAttrs& other) const {
    return stream_id == other.stream_id && has_substream == other.has_substream &&
           (!has_substream || substream_id == other.substream_id) && privileged == other.privileged &&
           instruction == other.instruction && ats == other.ats;
}

std::string MasterAttrs::describe() const {
    std::ostringstream os;
    os << "stream=0x" << std::hex << stream_id;
    if (has_substream) os << " pasid=0x" << substream_id;
    if (privileged) os << " priv";
    if (instruction) os << " instr";
    if (ats != AtsState::untranslated) os << " ats=" << to_string(ats);
    return os.str();
}

}  // namespace iommu_vp
