// MasterAttrs, the one master-ID extension: clone, copy_from and the payload's deep copy keep every
// field; equality; the log description; lookup on a payload without the extension.
#include "models/common/master_attrs.h"

#include "sc_test.h"

#include <gtest/gtest.h>

#include <tlm>

namespace iommu_vp {
namespace {

// Every field away from its default.
MasterAttrs all_fields_set() {
    MasterAttrs a(0x1234);
    a.has_substream = true;
    a.substream_id = 0xABCDE;
    a.privileged = true;
    a.instruction = true;
    a.ats = AtsState::translated;
    return a;
}

void expect_all_fields_equal(const MasterAttrs& actual, const MasterAttrs& expected) {
    EXPECT_EQ(actual.stream_id, expected.stream_id);
    EXPECT_EQ(actual.has_substream, expected.has_substream);
    EXPECT_EQ(actual.substream_id, expected.substream_id);
    EXPECT_EQ(actual.privileged, expected.privileged);
    EXPECT_EQ(actual.instruction, expected.instruction);
    EXPECT_EQ(actual.ats, expected.ats);
}

class MasterAttrsTest : public iommu_vp::testing::ScTest {};

TEST_F(MasterAttrsTest, CloneKeepsEveryField) {
    const MasterAttrs original = all_fields_set();
    tlm::tlm_extension_base* clone = original.clone();
    auto* copy = dynamic_cast<MasterAttrs*>(clone);
    ASSERT_NE(copy, nullptr);
    EXPECT_NE(copy, &original);
    expect_all_fields_equal(*copy, original);
    clone->free();  // the extension's own way of deleting itself
}

TEST_F(MasterAttrsTest, CopyFromKeepsEveryField) {
    const MasterAttrs source = all_fields_set();
    MasterAttrs target;
    target.copy_from(source);
    expect_all_fields_equal(target, source);

    // And back to defaults: copy_from overwrites, it does not merge.
    const MasterAttrs defaults;
    target.copy_from(defaults);
    expect_all_fields_equal(target, defaults);
}

TEST_F(MasterAttrsTest, PayloadDeepCopyCarriesTheExtension) {
    MasterAttrs attrs = all_fields_set();
    tlm::tlm_generic_payload source, fresh, reused;
    source.set_extension(&attrs);

    fresh.deep_copy_from(source);  // no extension yet: the payload clones one
    const MasterAttrs* cloned = find_master_attrs(fresh);
    ASSERT_NE(cloned, nullptr);
    EXPECT_NE(cloned, &attrs);
    expect_all_fields_equal(*cloned, attrs);

    MasterAttrs existing(7);
    reused.set_extension(&existing);
    reused.deep_copy_from(source);  // an extension already there: copy_from into it
    EXPECT_EQ(find_master_attrs(reused), &existing);
    expect_all_fields_equal(existing, attrs);

    // The payloads free the extensions they still hold when destroyed: hand back the test's own.
    source.clear_extension(&attrs);
    reused.clear_extension(&existing);
}

TEST_F(MasterAttrsTest, PayloadWithoutTheExtensionHasNone) {
    tlm::tlm_generic_payload p;
    EXPECT_EQ(find_master_attrs(p), nullptr);
}

TEST_F(MasterAttrsTest, EqualityComparesEveryMeaningfulField) {
    const MasterAttrs a = all_fields_set();
    MasterAttrs b = a;
    EXPECT_EQ(a, b);
    b.stream_id = 1;
    EXPECT_NE(a, b);
    b = a;
    b.substream_id = 1;
    EXPECT_NE(a, b);
    b = a;
    b.privileged = false;
    EXPECT_NE(a, b);
    b = a;
    b.instruction = false;
    EXPECT_NE(a, b);
    b = a;
    b.ats = AtsState::untranslated;
    EXPECT_NE(a, b);
    b = a;
    b.has_substream = false;
    EXPECT_NE(a, b);

    // The substream ID is meaningful only with has_substream.
    MasterAttrs x(5), y(5);
    x.substream_id = 1;
    y.substream_id = 2;
    EXPECT_EQ(x, y);
}

TEST_F(MasterAttrsTest, DescribeNamesTheSetAttributes) {
    MasterAttrs a(0x12);
    a.has_substream = true;
    a.substream_id = 3;
    a.privileged = true;
    EXPECT_EQ(a.describe(), "stream=0x12 pasid=0x3 priv");  // the header's example
    EXPECT_EQ(MasterAttrs(0x10).describe(), "stream=0x10");
    const MasterAttrs all = all_fields_set();
    EXPECT_EQ(all.describe(), "stream=0x1234 pasid=0xabcde priv instr ats=translated");
    EXPECT_STREQ(to_string(AtsState::translation_request), "translation_request");
}

}  // namespace
}  // namespace iommu_vp
