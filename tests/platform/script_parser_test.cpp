// Script parsing: each verb's operands, and errors located by line.
#include "platform/io/script.h"
#include "platform/io/trace_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

namespace iommu_vp::platform {
namespace {

using ::testing::HasSubstr;

ScriptParseResult parse(const std::string& text) {
    std::istringstream in(text);
    return parse_script(in, "t.script", ".");
}

TEST(ScriptParser, RegisterVerbs) {
    const ScriptParseResult r = parse("write64 0x1000 0x1122334455667788\n"
                                      "read32 0x1004 expect 0xab mask 0xff  # comment\n"
                                      "\n"
                                      "poll32 0x1008 0x1 0x1 250.5\n");
    ASSERT_TRUE(r.errors.empty());
    ASSERT_EQ(r.commands.size(), 3u);
    EXPECT_EQ(r.commands[0].verb, ScriptVerb::write64);
    EXPECT_EQ(r.commands[0].value, 0x1122334455667788u);
    EXPECT_EQ(r.commands[0].access_bytes(), 8u);
    EXPECT_EQ(r.commands[1].location, "t.script:2");
    EXPECT_TRUE(r.commands[1].has_expect);
    EXPECT_EQ(r.commands[1].mask, 0xffu);
    EXPECT_EQ(r.commands[2].location, "t.script:4");
    EXPECT_DOUBLE_EQ(r.commands[2].time_ns, 250.5);
}

TEST(ScriptParser, DmaOptions) {
    const ScriptParseResult r = parse("dma dma0 write 0x80000000 2 beef stream=0x12 pasid=3 priv instr expect=error\n");
    ASSERT_TRUE(r.errors.empty()) << r.errors[0].to_string();
    const ScriptCommand& c = r.commands[0];
    EXPECT_EQ(c.master, "dma0");
    EXPECT_FALSE(c.is_read);
    EXPECT_EQ(c.bytes, (std::vector<std::uint8_t>{0xbe, 0xef}));
    EXPECT_EQ(c.stream, 0x12u);
    EXPECT_EQ(c.pasid, 3u);
    EXPECT_TRUE(c.privileged);
    EXPECT_TRUE(c.instruction);
    EXPECT_EQ(c.expect_status, "error");
}

TEST(ScriptParser, ErrorsNameTheLine) {
    const ScriptParseResult r = parse("write32 0x1000 0x100000000\n"   // value wider than 32 bits
                                      "read32 0x1002\n"                 // misaligned
                                      "memwrite 0x0 abc\n"              // odd hex digits
                                      "dma dma0 write 0x0 4\n"          // write without data
                                      "dma dma0 read 0x0 4 expect=maybe\n"
                                      "wait -5\n");
    ASSERT_EQ(r.errors.size(), 6u);
    EXPECT_EQ(r.errors[0].to_string(), "t.script:1: value does not fit in 32 bits");
    EXPECT_EQ(r.errors[1].to_string(), "t.script:2: address is not aligned to the access size");
    EXPECT_THAT(r.errors[2].to_string(), HasSubstr("t.script:3: hex bytes 'abc' have an odd number of digits"));
    EXPECT_EQ(r.errors[3].to_string(), "t.script:4: a dma write needs its data as HEXBYTES");
    EXPECT_THAT(r.errors[4].to_string(), HasSubstr("t.script:5: expect= takes ok, error or address_error"));
    EXPECT_THAT(r.errors[5].to_string(), HasSubstr("t.script:6: time"));
}

TEST(TraceParser, RecordsAndErrors) {
    std::istringstream good("# time,op,address,size,stream,pasid\n"
                            "0,read,0x1000,64,0x10\n"
                            "12.5,w,0x2000,128,7,3\n");
    const TraceParseResult r = parse_trace(good, "g.trace", false);
    ASSERT_TRUE(r.errors.empty());
    ASSERT_EQ(r.records.size(), 2u);
    EXPECT_TRUE(r.records[0].is_read);
    EXPECT_EQ(r.records[0].stream_id, 0x10u);
    EXPECT_FALSE(r.records[0].has_pasid);
    EXPECT_EQ(r.records[1].time_ps, 12500u);
    EXPECT_FALSE(r.records[1].is_read);
    EXPECT_TRUE(r.records[1].has_pasid);
    EXPECT_EQ(r.records[1].pasid, 3u);

    std::istringstream bad("10,read,0x1000,64,1\n"
                           "5,read,0x1000,64,1\n"          // back in time
                           "20,read,0x1fc0,128,1\n"        // crosses 0x2000
                           "30,fetch,0x0,4,1\n");
    const TraceParseResult e = parse_trace(bad, "b.trace", false);
    ASSERT_EQ(e.errors.size(), 3u);
    EXPECT_EQ(e.errors[0].to_string(), "b.trace:2: time goes backwards (records must be in time order)");
    EXPECT_EQ(e.errors[1].to_string(), "b.trace:3: record crosses a 4 KiB boundary (set allow_4k_crossing to replay it)");
    EXPECT_EQ(e.errors[2].to_string(), "b.trace:4: op 'fetch' is not read or write");
}

}  // namespace
}  // namespace iommu_vp::platform
