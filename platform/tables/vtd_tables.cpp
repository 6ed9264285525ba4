#include "platform/tables/vtd_tables.h"

#include "platform/tables/memory_image.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <utility>

namespace iommu_vp::platform {
namespace {

// --- Encodings (the builder's own; see the header) -------------------------------------------

// A field of a register, entry or descriptor word: bits [hi:lo].
struct Field {
    unsigned hi;
    unsigned lo;
    constexpr std::uint64_t mask() const {
        return (hi - lo == 63 ? ~std::uint64_t{0} : (std::uint64_t{1} << (hi - lo + 1)) - 1) << lo;
    }
    // `value` placed in the field (a value too wide for it is cut to the field).
    constexpr std::uint64_t of(std::uint64_t value) const { return (value << lo) & mask(); }
    // An address whose significant bits sit in place in the field (table pointers, page frames).
    constexpr std::uint64_t address(std::uint64_t a) const { return a & mask(); }
};
constexpr Field bits(unsigned hi, unsigned lo) { return Field{hi, lo}; }
constexpr Field bit(unsigned n) { return Field{n, n}; }

// Register offsets from the unit's base (VT-d 10.4).
namespace reg {
constexpr std::uint64_t gcmd = 0x18, gsts = 0x1c, rtaddr = 0x20, iqh = 0x80, iqt = 0x88, iqa = 0x90;
}  // namespace reg

// GCMD and GSTS share bit positions: TE/TES, SRTP/RTPS, QIE/QIES.
namespace gcmd {
constexpr Field te = bit(31), srtp = bit(30), qie = bit(26);
}  // namespace gcmd

namespace rtaddr {
constexpr Field ttm = bits(11, 10), address = bits(63, 12);
constexpr std::uint64_t ttm_legacy = 0b00, ttm_scalable = 0b01;
}  // namespace rtaddr

// IQA: QS (2^QS pages), DW (256-bit descriptors), base. IQH/IQT: the descriptor offset in bytes
// lives in [18:4], so the register value is the byte offset itself.
namespace iqa {
constexpr Field qs = bits(2, 0), dw = bit(11), address = bits(63, 12);
}  // namespace iqa
constexpr Field kQueuePointer = bits(18, 4);

// Queued-invalidation descriptors (VT-d 6.5.2): type in [3:0], granularity in [5:4].
namespace desc {
constexpr Field type = bits(3, 0), granularity = bits(5, 4);
constexpr std::uint64_t context_cache = 0x1, iotlb = 0x2, wait = 0x5, pasid_cache = 0x7;
constexpr std::uint64_t cc_global = 1, iotlb_global = 1, pc_global = 3;
// Invalidation wait: status write, fence, status data; the second word holds the status address.
constexpr Field wait_sw = bit(5), wait_fn = bit(6), wait_status_data = bits(63, 32);
constexpr Field wait_status_address = bits(63, 2);
}  // namespace desc
constexpr std::uint32_t kWaitStatusDone = 1;  // what the wait writes to the status word

// Legacy root entry (low word; the high word is reserved).
namespace root_entry {
constexpr Field present = bit(0), context_table = bits(63, 12);
}  // namespace root_entry

// Scalable-mode root entry: the same layout in each word, low for devfn 0-127 (LP, LCTP), high for
// devfn 128-255 (UP, UCTP).
namespace sm_root_entry {
constexpr Field present = bit(0), context_table = bits(63, 12);
}  // namespace sm_root_entry

// Legacy context entry: low and high words.
namespace context_entry {
constexpr Field present = bit(0), fault_disable = bit(1), translation_type = bits(3, 2), sl_table = bits(63, 12);
constexpr Field address_width = bits(2, 0), domain_id = bits(23, 8);
constexpr std::uint64_t tt_untranslated = 0b00, tt_device_tlb = 0b01, tt_pass_through = 0b10;
}  // namespace context_entry

// Scalable-mode context entry (32 bytes): word 0 and word 1; words 2 and 3 are reserved.
namespace sm_context_entry {
constexpr Field present = bit(0), fault_disable = bit(1), device_tlb = bit(2), pasid_enable = bit(3),
                page_requests = bit(4), directory_size = bits(11, 9), directory = bits(63, 12);
constexpr Field rid_pasid = bits(19, 0);
}  // namespace sm_context_entry

namespace pasid_dir_entry {
constexpr Field present = bit(0), fault_disable = bit(1), table = bits(63, 12);
}  // namespace pasid_dir_entry

// Scalable-mode PASID-table entry (64 bytes): words 0, 1, 2; words 3-7 are left zero.
namespace pasid_entry {
constexpr Field present = bit(0), fault_disable = bit(1), address_width = bits(4, 2), pgtt = bits(8, 6),
                sl_table = bits(63, 12);
constexpr Field domain_id = bits(15, 0);
constexpr Field supervisor_requests = bit(0), fl_paging_mode = bits(3, 2), fl_table = bits(63, 12);
constexpr std::uint64_t pgtt_first_level = 1, pgtt_second_level = 2, pgtt_nested = 3, pgtt_pass_through = 4;
constexpr std::uint64_t flpm_4level = 0, flpm_5level = 1;
}  // namespace pasid_entry

// Second-level paging entry.
namespace sl_entry {
constexpr Field read = bit(0), write = bit(1), page_size = bit(7), address = bits(51, 12);
}  // namespace sl_entry

// First-level (IA-32e) paging entry.
namespace fl_entry {
constexpr Field present = bit(0), writable = bit(1), user = bit(2), page_size = bit(7), address = bits(51, 12);
}  // namespace fl_entry

constexpr unsigned kPageBits = 12;
constexpr std::uint64_t kPageBytes = std::uint64_t{1} << kPageBits;
constexpr unsigned kBitsPerLevel = 9;
constexpr std::uint64_t kEntriesPerTable = std::uint64_t{1} << kBitsPerLevel;
constexpr unsigned kOutputBits = 52;                      // the widest physical address an entry holds
constexpr unsigned kPasidBits = 20;
constexpr unsigned kPasidTableBits = 6;                   // PASID[5:0] indexes a 64-entry table
constexpr std::uint64_t kRootEntryBytes = 16, kLegacyContextBytes = 16, kScalableContextBytes = 32,
                        kPasidDirEntryBytes = 8, kPasidEntryBytes = 64, kPagingEntryBytes = 8;
constexpr unsigned kScalableContextsPerTable = 128;       // devfn 0-127 low, 128-255 high
constexpr unsigned kDirectorySizeBias = 7;                // PDTS n: 2^(n + 7) directory entries
constexpr std::uint64_t kLegacyDescriptorBytes = 16, kScalableDescriptorBytes = 32;

// AW encoding of a second-level width (context and PASID-table entries): 1, 2, 3 for 39, 48, 57.
int address_width_code(unsigned bits_wide) {
    switch (bits_wide) {
    case 39: return 1;
    case 48: return 2;
    case 57: return 3;
    default: return -1;
    }
}

unsigned level_shift(unsigned level) { return kPageBits + kBitsPerLevel * (level - 1); }  // level 1: 4 KiB

std::string hex(std::uint64_t v) {
    std::ostringstream os;
    os << "0x" << std::hex << v;
    return os.str();
}

const char* name_of(VtdTranslation t) {
    switch (t) {
    case VtdTranslation::second_level: return "second-level";
    case VtdTranslation::first_level: return "first-level";
    case VtdTranslation::nested: return "nested";
    case VtdTranslation::pass_through: return "pass-through";
    case VtdTranslation::blocked: return "blocked";
    }
    return "?";
}

bool has_tables(VtdTranslation t) {
    return t == VtdTranslation::second_level || t == VtdTranslation::first_level || t == VtdTranslation::nested;
}

// The two page-table formats: second-level (R/W, input below 2^AW) and first-level (IA-32e, a
// canonical input of 48 or 57 bits), 9 bits of input per level over a 4 KiB page.
struct PagingFormat {
    bool first_level = false;
    unsigned levels = 4;
    bool leaf_2m = true;  // the unit implements 2 MiB leaves (level 2)
    bool leaf_1g = true;  // and 1 GiB leaves (level 3)

    bool has_leaf(unsigned level) const { return level == 1 || (level == 2 && leaf_2m) || (level == 3 && leaf_1g); }

    unsigned input_bits() const { return kPageBits + kBitsPerLevel * levels; }

    std::uint64_t table_entry(std::uint64_t next) const {
        if (first_level)  // the leaf decides: tables above it allow everything
            return fl_entry::present.of(1) | fl_entry::writable.of(1) | fl_entry::user.of(1) |
                   fl_entry::address.address(next);
        return sl_entry::read.of(1) | sl_entry::write.of(1) | sl_entry::address.address(next);
    }

    // Above level 1 a leaf is a large page (PS).
    std::uint64_t leaf_entry(std::uint64_t output, bool writable, unsigned level) const {
        const bool large = level > 1;
        if (first_level)
            return fl_entry::present.of(1) | fl_entry::writable.of(writable) | fl_entry::user.of(1) |
                   fl_entry::page_size.of(large) | fl_entry::address.address(output);
        return sl_entry::read.of(1) | sl_entry::write.of(writable) | sl_entry::page_size.of(large) |
               sl_entry::address.address(output);
    }

    bool is_leaf(std::uint64_t entry, unsigned level) const {
        const Field page_size = first_level ? fl_entry::page_size : sl_entry::page_size;
        return level == 1 || (entry & page_size.mask()) != 0;
    }

    std::uint64_t next_table(std::uint64_t entry) const {
        return entry & (first_level ? fl_entry::address : sl_entry::address).mask();
    }

    // Whether [input, input + size) is translatable: below 2^AW for the second level; within one
    // canonical half (bits above the width copy its top bit) for the first level.
    bool covers(std::uint64_t input, std::uint64_t size) const {
        const std::uint64_t last = input + (size - 1);
        if (size == 0 || last < input) return false;
        if (!first_level) return input_bits() >= 64 || last < (std::uint64_t{1} << input_bits());
        const std::uint64_t half = std::uint64_t{1} << (input_bits() - 1);
        return last < half || input >= ~(half - 1);
    }
};

// --- Building ---------------------------------------------------------------------------------

class Builder {
public:
    explicit Builder(const VtdTablesSpec& spec) : spec_(spec), image_(spec.region_base, spec.region_size) {}

    BuiltTables build();

private:
    bool scalable() const { return spec_.mode == VtdTableMode::scalable; }
    PagingFormat second_level() const {
        return PagingFormat{false, (spec_.address_width - kPageBits) / kBitsPerLevel, spec_.second_level_2m,
                            spec_.second_level_1g};
    }
    PagingFormat first_level() const {
        return PagingFormat{true, spec_.first_level_5level ? 5u : 4u, true, spec_.first_level_1g};
    }

    void check_spec();
    void claim_domain(std::uint16_t domain_id, VtdTranslation t, const std::string& who);

    std::uint64_t allocate(std::uint64_t bytes, std::uint64_t alignment);
    std::uint64_t new_table() { return allocate(kPageBytes, kPageBytes); }
    void put64(std::uint64_t address, std::uint64_t value) { image_.put64(address, value); }
    std::uint64_t get64(std::uint64_t address) const { return image_.get64(address); }

    void map(std::uint64_t root, const PagingFormat& format, const VtdMapping& m, std::uint64_t output_limit,
             const std::string& output_limit_name, const std::string& where);
    std::uint64_t empty_table();
    std::uint64_t identity_table();

    void put_legacy_device(const VtdDevice& d);
    std::uint64_t context_table(std::uint8_t bus, bool upper);
    void put_scalable_device(const VtdDevice& d);
    void put_pasid_entry(std::uint64_t directory, std::uint32_t pasid, VtdTranslation t, std::uint16_t domain_id,
                         const std::vector<VtdMapping>& mappings, const std::string& where);

    void put_invalidations();
    std::vector<RegisterStep> register_steps() const;

    void fail(const std::string& message) {
        if (error_.empty()) error_ = message;
    }
    bool failed() const { return !error_.empty(); }

    struct DomainClaim {
        VtdTranslation translation;
        std::string who;
    };

    const VtdTablesSpec& spec_;
    MemoryImage image_;  // the structures laid out so far
    std::map<std::uint16_t, DomainClaim> domains_;
    std::map<std::pair<unsigned, bool>, std::uint64_t> context_tables_;  // by bus, upper half
    std::uint64_t queue_ = 0, root_ = 0, status_ = 0;
    std::uint64_t queue_tail_ = 0;                  // bytes of descriptors placed
    std::uint64_t empty_table_ = 0, identity_table_ = 0;
    std::string error_;
};

std::uint64_t Builder::allocate(std::uint64_t bytes, std::uint64_t alignment) {
    if (const std::optional<std::uint64_t> address = image_.allocate(bytes, alignment)) return *address;
    fail("the tables need more than the " + hex(spec_.region_size) + " bytes of their region");
    return 0;
}

// Domain IDs tag what the unit caches, so entries that translate differently need different ones
// (see the header): only pass-through entries, and only blocked entries, may share.
void Builder::claim_domain(std::uint16_t domain_id, VtdTranslation t, const std::string& who) {
    auto [it, fresh] = domains_.emplace(domain_id, DomainClaim{t, who});
    if (fresh) return;
    if (it->second.translation == t && !has_tables(t)) return;
    fail(who + ": domain ID " + std::to_string(domain_id) + " is also " + it->second.who +
         "'s (only pass-through entries, or blocked entries, may share a domain ID)");
}

void Builder::check_spec() {
    if (address_width_code(spec_.address_width) < 0) {
        fail("address width " + std::to_string(spec_.address_width) + " is not 39, 48 or 57");
        return;
    }
    const std::uint64_t region_end = spec_.region_base + spec_.region_size;
    if (region_end < spec_.region_base || region_end > (std::uint64_t{1} << kOutputBits))
        fail("the region " + hex(spec_.region_base) + " + " + hex(spec_.region_size) + " ends beyond " +
             std::to_string(kOutputBits) + " bits");
    std::map<std::uint16_t, std::string> source_ids;
    for (const VtdDevice& d : spec_.devices) {
        const std::string where = "device '" + d.name + "'";
        auto [it, fresh] = source_ids.emplace(d.source_id, d.name);
        if (!fresh) fail(where + ": source ID " + hex(d.source_id) + " is also device '" + it->second + "''s");
        if (d.page_requests && !(scalable() && d.device_tlb))
            fail(where + ": page requests need scalable mode and device_tlb");
        if (!scalable() && d.device_tlb && d.translation != VtdTranslation::second_level)
            fail(where + ": a legacy entry allows the device TLB only with second-level translation (TT = 1)");
        if (!scalable()) {
            if (d.translation == VtdTranslation::first_level || d.translation == VtdTranslation::nested)
                fail(where + ": " + name_of(d.translation) + " translation needs scalable mode");
            if (!d.pasids.empty()) fail(where + ": PASID contexts need scalable mode");
        }
        if (!has_tables(d.translation) && !d.mappings.empty())
            fail(where + ": a " + std::string(name_of(d.translation)) + " device takes no mappings");
        claim_domain(d.domain_id, d.translation, where);
        std::set<std::uint32_t> pasids;
        for (const VtdPasidContext& c : d.pasids) {
            const std::string who = where + " PASID context '" + c.name + "'";
            if (c.pasid == 0) fail(who + ": PASID 0 is the device's own translation (RID_PASID)");
            if (c.pasid >> kPasidBits) fail(who + ": PASID " + hex(c.pasid) + " is wider than 20 bits");
            if (!pasids.insert(c.pasid).second) fail(who + ": PASID " + hex(c.pasid) + " is given twice");
            if (!has_tables(c.translation) && !c.mappings.empty())
                fail(who + ": a " + std::string(name_of(c.translation)) + " context takes no mappings");
            claim_domain(c.domain_id, c.translation, who);
        }
    }
}

void Builder::map(std::uint64_t root, const PagingFormat& format, const VtdMapping& m, std::uint64_t output_limit,
                  const std::string& output_limit_name, const std::string& where) {
    if ((m.input | m.output | m.size) & (kPageBytes - 1)) {
        fail(where + ": input, output and size must be multiples of 4 KiB");
        return;
    }
    if (!format.covers(m.input, m.size)) {
        fail(where + ": the input range " + hex(m.input) + " + " + hex(m.size) + " is empty or not within " +
             (format.first_level ? "canonical " + std::to_string(format.input_bits()) + "-bit first-level"
                                 : "the " + std::to_string(format.input_bits()) + "-bit second-level") +
             " addresses");
        return;
    }
    if (m.output + m.size < m.output || m.output + m.size > output_limit) {
        fail(where + ": the output range " + hex(m.output) + " + " + hex(m.size) + " goes beyond " + output_limit_name);
        return;
    }
    for (std::uint64_t done = 0; done < m.size;) {
        const std::uint64_t input = m.input + done, output = m.output + done, left = m.size - done;
        // The largest leaf (1 GiB, 2 MiB, else 4 KiB) the unit implements, both addresses are aligned
        // to and the mapping still covers.
        unsigned level = 1;
        for (unsigned l : {3u, 2u}) {
            const std::uint64_t block = std::uint64_t{1} << level_shift(l);
            if (l <= format.levels && format.has_leaf(l) && ((input | output) & (block - 1)) == 0 && left >= block) {
                level = l;
                break;
            }
        }
        std::uint64_t table = root;
        for (unsigned l = format.levels; l > level; --l) {
            const std::uint64_t entry = table + kPagingEntryBytes * ((input >> level_shift(l)) & (kEntriesPerTable - 1));
            const std::uint64_t value = get64(entry);
            if (value == 0) {
                const std::uint64_t next = new_table();
                if (failed()) return;
                put64(entry, format.table_entry(next));
                table = next;
            } else if (format.is_leaf(value, l)) {
                fail(where + ": the mapping at input " + hex(input) + " overlaps another");
                return;
            } else {
                table = format.next_table(value);
            }
        }
        const std::uint64_t entry = table + kPagingEntryBytes * ((input >> level_shift(level)) & (kEntriesPerTable - 1));
        if (get64(entry) != 0) {
            fail(where + ": the mapping at input " + hex(input) + " overlaps another");
            return;
        }
        put64(entry, format.leaf_entry(output, m.writable, level));
        done += std::uint64_t{1} << level_shift(level);
    }
}

// The second-level table of blocked entries: all zero, shared (nothing in it ever changes).
std::uint64_t Builder::empty_table() {
    if (empty_table_ == 0) empty_table_ = new_table();
    return empty_table_;
}

// The second level of every nested entry: an identity map, read/write, of the tables region and
// of each nested mapping's output range (merged, so that no two ranges overlap).
std::uint64_t Builder::identity_table() {
    if (identity_table_ != 0) return identity_table_;
    const PagingFormat format = second_level();
    const std::uint64_t width_limit = std::uint64_t{1} << format.input_bits();
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;  // [begin, end)
    const std::uint64_t region_begin = spec_.region_base & ~(kPageBytes - 1);
    const std::uint64_t region_end = (spec_.region_base + spec_.region_size + kPageBytes - 1) & ~(kPageBytes - 1);
    if (region_end > width_limit) {
        fail("nested translation needs the tables region below the " + std::to_string(format.input_bits()) +
             "-bit second-level width (the first-level tables are reached through it)");
        return 0;
    }
    ranges.emplace_back(region_begin, region_end);
    auto add_outputs = [&](VtdTranslation t, const std::vector<VtdMapping>& mappings) {
        if (t != VtdTranslation::nested) return;
        for (const VtdMapping& m : mappings) {
            // Mappings that are wrong are reported when the first level maps them.
            const bool sound = ((m.output | m.size) & (kPageBytes - 1)) == 0 && m.size != 0 &&
                               m.output + m.size > m.output && m.output + m.size <= width_limit;
            if (sound) ranges.emplace_back(m.output, m.output + m.size);
        }
    };
    for (const VtdDevice& d : spec_.devices) {
        add_outputs(d.translation, d.mappings);
        for (const VtdPasidContext& c : d.pasids) add_outputs(c.translation, c.mappings);
    }
    std::sort(ranges.begin(), ranges.end());
    std::vector<std::pair<std::uint64_t, std::uint64_t>> merged;
    for (const auto& r : ranges) {
        if (!merged.empty() && r.first <= merged.back().second)
            merged.back().second = std::max(merged.back().second, r.second);
        else
            merged.push_back(r);
    }
    identity_table_ = new_table();
    if (failed()) return 0;
    for (const auto& [begin, end] : merged)
        map(identity_table_, format, VtdMapping{begin, begin, end - begin, true}, width_limit, "",
            "the nested second-level identity map");
    return identity_table_;
}

// A context table (legacy: the bus's only one; scalable: its lower or upper half), allocated and
// pointed at from the bus's root entry the first time a device on it needs it.
std::uint64_t Builder::context_table(std::uint8_t bus, bool upper) {
    auto it = context_tables_.find({bus, upper});
    if (it != context_tables_.end()) return it->second;
    const std::uint64_t table = new_table();
    if (failed()) return 0;
    context_tables_[{bus, upper}] = table;
    const std::uint64_t entry = root_ + kRootEntryBytes * bus;
    if (scalable())
        put64(entry + (upper ? 8 : 0), sm_root_entry::present.of(1) | sm_root_entry::context_table.address(table));
    else
        put64(entry, root_entry::present.of(1) | root_entry::context_table.address(table));
    return table;
}

void Builder::put_legacy_device(const VtdDevice& d) {
    const std::string where = "device '" + d.name + "'";
    const std::uint8_t bus = static_cast<std::uint8_t>(d.source_id >> 8);
    const std::uint8_t devfn = static_cast<std::uint8_t>(d.source_id);
    const std::uint64_t table = context_table(bus, false);
    if (failed()) return;
    const std::uint64_t entry = table + kLegacyContextBytes * devfn;
    using namespace context_entry;
    const std::uint64_t high = address_width.of(address_width_code(spec_.address_width)) | domain_id.of(d.domain_id);
    std::uint64_t low = present.of(1);
    switch (d.translation) {
    case VtdTranslation::second_level: {
        const std::uint64_t root = new_table();
        if (failed()) return;
        low |= translation_type.of(d.device_tlb ? tt_device_tlb : tt_untranslated) | sl_table.address(root);
        for (const VtdMapping& m : d.mappings)
            map(root, second_level(), m, std::uint64_t{1} << kOutputBits, "52 bits", where);
        break;
    }
    case VtdTranslation::pass_through:
        low |= translation_type.of(tt_pass_through);
        break;
    case VtdTranslation::blocked:
        low |= translation_type.of(tt_untranslated) | sl_table.address(empty_table());
        break;
    case VtdTranslation::first_level:
    case VtdTranslation::nested:
        return;  // refused by check_spec
    }
    put64(entry, low);
    put64(entry + 8, high);
}

void Builder::put_scalable_device(const VtdDevice& d) {
    const std::string where = "device '" + d.name + "'";
    const std::uint8_t bus = static_cast<std::uint8_t>(d.source_id >> 8);
    const std::uint8_t devfn = static_cast<std::uint8_t>(d.source_id);
    const bool upper = devfn >= kScalableContextsPerTable;
    const std::uint64_t table = context_table(bus, upper);
    if (failed()) return;
    const std::uint64_t entry = table + kScalableContextBytes * (devfn % kScalableContextsPerTable);

    // The smallest directory (2^(PDTS + 7) entries of 64 PASIDs each) that reaches the largest PASID.
    std::uint32_t largest = 0;
    for (const VtdPasidContext& c : d.pasids) largest = std::max(largest, c.pasid);
    unsigned pdts = 0;
    while ((std::uint64_t{1} << (pdts + kDirectorySizeBias)) <= (largest >> kPasidTableBits)) ++pdts;
    const std::uint64_t directory =
        allocate(kPasidDirEntryBytes << (pdts + kDirectorySizeBias), kPageBytes);  // PASIDDIRPTR is [63:12]
    if (failed()) return;

    using namespace sm_context_entry;
    put64(entry, present.of(1) | pasid_enable.of(d.pasids.empty() ? 0 : 1) | device_tlb.of(d.device_tlb ? 1 : 0) |
                     page_requests.of(d.page_requests ? 1 : 0) | directory_size.of(pdts) |
                     sm_context_entry::directory.address(directory));
    put64(entry + 8, rid_pasid.of(0));  // requests without PASID use PASID 0's entry
    put_pasid_entry(directory, 0, d.translation, d.domain_id, d.mappings, where);
    for (const VtdPasidContext& c : d.pasids)
        put_pasid_entry(directory, c.pasid, c.translation, c.domain_id, c.mappings,
                        where + " PASID " + hex(c.pasid) + " ('" + c.name + "')");
}

void Builder::put_pasid_entry(std::uint64_t directory, std::uint32_t pasid, VtdTranslation t,
                              std::uint16_t domain_id, const std::vector<VtdMapping>& mappings,
                              const std::string& where) {
    // PASID[19:6] picks the directory entry, PASID[5:0] the entry in its table.
    const std::uint64_t dir_entry = directory + kPasidDirEntryBytes * (pasid >> kPasidTableBits);
    std::uint64_t table = get64(dir_entry) & pasid_dir_entry::table.mask();
    if (table == 0) {
        table = new_table();
        if (failed()) return;
        put64(dir_entry, pasid_dir_entry::present.of(1) | pasid_dir_entry::table.address(table));
    }
    const std::uint64_t entry = table + kPasidEntryBytes * (pasid & ((1u << kPasidTableBits) - 1));

    using namespace pasid_entry;
    const std::uint64_t flpm = spec_.first_level_5level ? flpm_5level : flpm_4level;
    const std::uint64_t physical_limit = std::uint64_t{1} << kOutputBits;
    std::uint64_t word0 = present.of(1) | address_width.of(address_width_code(spec_.address_width));
    std::uint64_t word2 = supervisor_requests.of(1);
    switch (t) {
    case VtdTranslation::second_level: {
        const std::uint64_t root = new_table();
        if (failed()) return;
        word0 |= pgtt.of(pgtt_second_level) | sl_table.address(root);
        for (const VtdMapping& m : mappings) map(root, second_level(), m, physical_limit, "52 bits", where);
        break;
    }
    case VtdTranslation::first_level: {
        const std::uint64_t root = new_table();
        if (failed()) return;
        word0 |= pgtt.of(pgtt_first_level);
        word2 |= fl_paging_mode.of(flpm) | fl_table.address(root);
        for (const VtdMapping& m : mappings) map(root, first_level(), m, physical_limit, "52 bits", where);
        break;
    }
    case VtdTranslation::nested: {
        const std::uint64_t second = identity_table();
        const std::uint64_t root = new_table();
        if (failed()) return;
        word0 |= pgtt.of(pgtt_nested) | sl_table.address(second);
        word2 |= fl_paging_mode.of(flpm) | fl_table.address(root);
        // The first level's outputs are guest-physical: the identity second level must reach them.
        for (const VtdMapping& m : mappings)
            map(root, first_level(), m, std::uint64_t{1} << spec_.address_width,
                "the " + std::to_string(spec_.address_width) + "-bit second-level width", where);
        break;
    }
    case VtdTranslation::pass_through:
        word0 |= pgtt.of(pgtt_pass_through);
        break;
    case VtdTranslation::blocked:
        word0 |= pgtt.of(pgtt_second_level) | sl_table.address(empty_table());
        break;
    }
    put64(entry, word0);
    put64(entry + 8, pasid_entry::domain_id.of(domain_id));
    put64(entry + 16, word2);
}

// The invalidations a driver owes after SRTP (caches may hold entries from before), top down so
// that no lower cache refills from a stale upper one, then a wait whose status write marks the end.
void Builder::put_invalidations() {
    const std::uint64_t stride = scalable() ? kScalableDescriptorBytes : kLegacyDescriptorBytes;
    auto put = [&](std::uint64_t word0, std::uint64_t word1) {
        put64(queue_ + queue_tail_, word0);
        put64(queue_ + queue_tail_ + 8, word1);  // in 256-bit mode words 2 and 3 stay zero
        queue_tail_ += stride;
    };
    using namespace desc;
    put(type.of(context_cache) | granularity.of(cc_global), 0);
    if (scalable()) put(type.of(pasid_cache) | granularity.of(pc_global), 0);
    put(type.of(iotlb) | granularity.of(iotlb_global), 0);
    put(type.of(wait) | wait_sw.of(1) | wait_fn.of(1) | wait_status_data.of(kWaitStatusDone),
        wait_status_address.address(status_));
}

std::vector<RegisterStep> Builder::register_steps() const {
    using Step = RegisterStep;
    const std::uint64_t qie = gcmd::qie.of(1), srtp = gcmd::srtp.of(1), te = gcmd::te.of(1);
    const std::uint64_t queue = iqa::address.address(queue_) | iqa::dw.of(scalable() ? 1 : 0) | iqa::qs.of(0);
    const std::uint64_t root = rtaddr::address.address(root_) |
                               rtaddr::ttm.of(scalable() ? rtaddr::ttm_scalable : rtaddr::ttm_legacy);
    return {
        Step::write(reg::iqa, 8, queue, "IQA"),
        Step::write(reg::iqt, 8, 0, "IQT"),
        Step::write(reg::gcmd, 4, qie, "GCMD.QIE"),
        Step::poll(reg::gsts, qie, qie, "poll GSTS.QIES"),
        Step::write(reg::rtaddr, 8, root, "RTADDR"),
        Step::write(reg::gcmd, 4, qie | srtp, "GCMD.SRTP"),
        Step::poll(reg::gsts, srtp, srtp, "poll GSTS.RTPS"),
        Step::write(reg::iqt, 8, queue_tail_, "IQT"),
        Step::poll(reg::iqh, kQueuePointer.mask(), queue_tail_, "poll IQH = IQT"),
        Step::write(reg::gcmd, 4, qie | te, "GCMD.TE"),
        Step::poll(reg::gsts, te, te, "poll GSTS.TES"),
    };
}

BuiltTables Builder::build() {
    BuiltTables out;
    check_spec();
    if (!failed()) {
        queue_ = allocate(kPageBytes, kPageBytes);  // QS 0: one page
        root_ = new_table();
        status_ = allocate(8, 8);
    }
    for (const VtdDevice& d : spec_.devices) {
        if (failed()) break;
        if (scalable())
            put_scalable_device(d);
        else
            put_legacy_device(d);
    }
    if (failed()) {
        out.error = error_;
        return out;
    }
    put_invalidations();
    out.registers = register_steps();
    out.memory = image_.take_blocks();
    return out;
}

}  // namespace

BuiltTables build_vtd_tables(const VtdTablesSpec& spec) { return Builder(spec).build(); }

}  // namespace iommu_vp::platform
