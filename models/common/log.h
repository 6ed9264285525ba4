// Category-filtered logging shared by every model and the platform.
//
// A disabled category costs one load and a branch: IVP_LOG builds its message only when the category
// is on. Categories are selected by the platform (`--log reg,fault`); models never decide where output
// goes. The time stamp comes from a hook the SystemC side installs, so pure-core code can log too.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace iommu_vp {

enum class LogCategory : unsigned {
    guest_error,    // software programmed something the architecture calls an error
    unimplemented,  // software used a feature the model does not model (logged once per feature)
    reg,            // every register access, decoded by field name
    cmd,            // commands and invalidation descriptors processed by a model
    fault,          // translation faults and the records written for them
    sw,             // the co-simulated software stack
    dma,            // every transaction issued by a traffic master
    script,         // register-level script execution
    config,         // configuration and elaboration
    count_          // number of categories; not a category
};

namespace log {

// Name used on the command line for each category, in enum order.
std::string_view category_name(LogCategory category);
std::optional<LogCategory> category_from_name(std::string_view name);
std::vector<std::string_view> all_category_names();

inline unsigned& enabled_mask() {
    static unsigned mask = 0;
    return mask;
}
inline bool enabled(LogCategory category) {
    return (enabled_mask() >> static_cast<unsigned>(category)) & 1u;
}
void enable(LogCategory category, bool on = true);
void disable_all();

// Where lines go (default std::cerr); the stream must outlive logging.
void set_sink(std::ostream* sink);
// Prefix source of the time stamp (for example the SystemC kernel's time); none prints no stamp.
void set_time_source(std::function<std::string()> now);

void emit(LogCategory category, std::string_view source, const std::string& message);

// Logs `message` under `unimplemented` only the first time `feature` is reported by `source`.
void unimplemented_once(std::string_view source, std::string_view feature);

}  // namespace log
}  // namespace iommu_vp

#define IVP_LOG(category, source, stream_expr)                                   \
    do {                                                                         \
        if (__builtin_expect(::iommu_vp::log::enabled(category), 0)) {           \
            std::ostringstream ivp_log_stream_;                                  \
            ivp_log_stream_ << stream_expr;                                      \
            ::iommu_vp::log::emit(category, source, ivp_log_stream_.str());      \
        }                                                                        \
    } while (0)
