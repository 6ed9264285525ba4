// The iommu-vp command as a user runs it: exit statuses, messages, outputs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kExe = IOMMU_VP_EXE;
const std::string kSource = IOMMU_VP_SOURCE_DIR;
const std::string kDefault = kSource + "/vp_configs/default.yaml";
const std::string kScripts = kSource + "/tests/scripts";

struct Result {
    int status;
    std::string output;  // standard output and standard error together
};

Result run(const std::string& args) {
    const std::string command = kExe + " " + args + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    std::string output;
    std::array<char, 4096> buffer;
    for (std::size_t n; (n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0;) output.append(buffer.data(), n);
    const int raw = pclose(pipe);
    return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, output};
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

class CliTest : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = fs::temp_directory_path() / ("iommu_vp_cli_" + std::string(info->name()) + "_" + std::to_string(getpid()));
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    fs::path write(const std::string& name, const std::string& text) {
        const fs::path path = dir_ / name;
        std::ofstream(path) << text;
        return path;
    }

    fs::path dir_;
};

TEST_F(CliTest, HelpAndVersionExitZero) {
    const Result help = run("--help");
    EXPECT_EQ(help.status, 0);
    EXPECT_THAT(help.output, HasSubstr("usage: iommu-vp run CONFIG"));
    const Result version = run("--version");
    EXPECT_EQ(version.status, 0);
    EXPECT_THAT(version.output, HasSubstr("iommu-vp 0."));
}

TEST_F(CliTest, WrongUsagePrintsUsageAndExitsTwo) {
    for (const std::string& args : std::vector<std::string>{"", "frobnicate", "run", "run " + kDefault + " --no-such-option",
                                   "run " + kDefault + " --seed notanumber", "config " + kDefault + " --reference",
                                   "run " + kDefault + " --log reg,nosuchcategory"}) {
        const Result r = run(args);
        EXPECT_EQ(r.status, 2) << "args: " << args;
        EXPECT_THAT(r.output, HasSubstr("usage: iommu-vp")) << "args: " << args;
    }
}

TEST_F(CliTest, TypoInKeyNamesFileLineAndNearestKey) {
    const fs::path config = write("typo.yaml",
                                  "memories:\n"
                                  "  ram: {base: 0x80000000, size: 1MiB}\n"
                                  "masters:\n"
                                  "  dma0:\n"
                                  "    base: 0x80000000\n"
                                  "    cuont: 10\n");
    const Result r = run("validate " + config.string());
    EXPECT_EQ(r.status, 2);
    EXPECT_THAT(r.output, HasSubstr(config.string() + ":6:5: unknown key 'cuont' in masters.dma0; did you mean 'count'?"));
}

TEST_F(CliTest, OutOfRangeValueListsAllowedRange) {
    const Result r = run("validate " + kDefault + " --set masters.dma0.outstanding=0");
    EXPECT_EQ(r.status, 2);
    EXPECT_THAT(r.output, HasSubstr("--set masters.dma0.outstanding=0: value 0 is out of range for 'outstanding' "
                                    "(allowed: 1 to 256)"));
}

TEST_F(CliTest, MalformedYamlReportsLineAndNothingIsSimulated) {
    const fs::path config = write("broken.yaml", "masters:\n  dma0: [unclosed\n");
    const fs::path stats = dir_ / "stats.json";
    const Result r = run("run " + config.string() + " --stats " + stats.string());
    EXPECT_EQ(r.status, 2);
    EXPECT_THAT(r.output, HasSubstr(config.string() + ":"));
    EXPECT_THAT(r.output, HasSubstr("YAML syntax error"));
    EXPECT_FALSE(fs::exists(stats));
}

TEST_F(CliTest, UnwritableStatisticsPathFailsBeforeSimulating) {
    const fs::path stats = dir_ / "no_such_directory" / "stats.json";
    const Result r = run("run " + kDefault + " --stats " + stats.string());
    EXPECT_EQ(r.status, 2);
    EXPECT_THAT(r.output, HasSubstr(stats.string() + ": cannot write the statistics file"));
    EXPECT_THAT(r.output, Not(HasSubstr("simulated time:")));
}

TEST_F(CliTest, DuplicateKeysAreAnError) {
    const fs::path config = write("dup.yaml", "bus:\n  hop_latency_ns: 1\n  hop_latency_ns: 2\n");
    const Result r = run("validate " + config.string());
    EXPECT_EQ(r.status, 2);
    EXPECT_THAT(r.output, HasSubstr(config.string() + ":3:3: key 'hop_latency_ns' is given twice in bus"));
}

TEST_F(CliTest, EveryShippedConfigValidates) {
    for (const auto& entry : fs::directory_iterator(kSource + "/vp_configs")) {
        if (entry.path().extension() != ".yaml") continue;
        const Result r = run("validate " + entry.path().string());
        EXPECT_EQ(r.status, 0) << entry.path() << "\n" << r.output;
    }
}

TEST_F(CliTest, ReferenceConfigIsGeneratedFromTheSchema) {
    const Result r = run("config --reference");
    ASSERT_EQ(r.status, 0);
    EXPECT_EQ(r.output, read_file(kSource + "/vp_configs/reference.yaml"))
        << "vp_configs/reference.yaml is out of date: run `make reference`";
}

TEST_F(CliTest, EffectiveConfigShowsDefaultsAndOverrides) {
    const Result r = run("config " + kDefault + " --set masters.dma0.count=7");
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_THAT(r.output, HasSubstr("    count: 7\n"));
    EXPECT_THAT(r.output, HasSubstr("    allow_4k_crossing: false\n"));  // a default not written in the file
    EXPECT_THAT(r.output, HasSubstr("    base: 0x80000000\n"));
}

TEST_F(CliTest, RunPrintsSummaryAndWritesStatistics) {
    const fs::path stats = dir_ / "stats.json";
    const Result r = run("run " + kDefault + " --set masters.dma0.count=100 --seed 3 --stats " + stats.string());
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_THAT(r.output, HasSubstr("simulated time:"));
    EXPECT_THAT(r.output, HasSubstr("dma0"));
    EXPECT_THAT(r.output, Not(HasSubstr("SystemC 2.3")));  // no banner
    const auto json = nlohmann::json::parse(read_file(stats));
    EXPECT_EQ(json["schema_version"], 1);
    EXPECT_EQ(json["seed"], 3);
    EXPECT_EQ(json["config"]["simulation"]["seed"], 3);
    EXPECT_EQ(json["config"]["masters"]["dma0"]["count"], 100);
    EXPECT_EQ(json["components"]["dma0"]["counters"]["transactions"], 100);
    EXPECT_EQ(json["components"]["dma0"]["counters"]["response_ok"], 100);
    EXPECT_EQ(json["components"]["dma0"]["histograms"]["latency"]["count"], 100);
}

TEST_F(CliTest, ScriptWithEveryVerbPasses) {
    const fs::path stats = dir_ / "stats.json";
    const Result r = run("run " + kDefault + " --set masters.dma0.count=50 --set masters.dma1.count=50 --script " +
                         kScripts + "/every_verb.script --stats " + stats.string());
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_THAT(r.output, Not(HasSubstr("FAIL")));
    EXPECT_THAT(r.output, HasSubstr("every_verb.script:7: read32   0x80200010 expect 0x0000beef mask 0x0000ffff "
                                    "-> 0xdeadbeef ok"));
    EXPECT_THAT(r.output, HasSubstr("-> ok a0a1a2a3a4a5a6a7"));
    EXPECT_THAT(r.output, HasSubstr("-> address_error"));
    const auto json = nlohmann::json::parse(read_file(stats));
    EXPECT_EQ(json["script"]["commands"], 17);
    // The doorbell write of 42 reached the CPU as one vector.
    EXPECT_EQ(json["components"]["cpu"]["counters"]["vectors_received"], 1);
    // dma0 issued its 50 generated transactions and the script's two.
    EXPECT_EQ(json["components"]["dma0"]["counters"]["transactions"], 52);
}

TEST_F(CliTest, DisabledSmmuv3ScriptPasses) {
    const Result r = run("run " + kSource + "/vp_configs/smmuv3_bare.yaml --quiet --script " + kScripts +
                         "/smmuv3_disabled.script");
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_THAT(r.output, HasSubstr("smmuv3_disabled.script:10: dma dma0 write 0x80001000 8 0011223344556677 expect=ok -> ok"));
    EXPECT_THAT(r.output, Not(HasSubstr("FAILED")));
}

TEST_F(CliTest, Smmuv3BringUpScriptPasses) {
    const Result r = run("run " + kSource + "/vp_configs/smmuv3_bare.yaml --quiet --script " + kScripts +
                         "/smmuv3_bringup.script");
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_THAT(r.output, HasSubstr("dma dma0 read 0x8080605000 4 expect=error -> generic_error"));
    EXPECT_THAT(r.output, Not(HasSubstr("FAILED")));
}

TEST_F(CliTest, Smmuv3TrafficConfigTranslatesEveryTransactionThroughBuiltTables) {
    // The platform's table builder and the model's decoders encode independently; 20000 + 10000 +
    // 5000 transactions (the last through a substream context), each within one page, all translate
    // without a fault only if they agree.
    const Result r = run("run " + kSource + "/vp_configs/smmuv3_traffic.yaml");
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_THAT(r.output, HasSubstr("smmuv3 smmu0: 35000 translated, 0 faults"));
}

TEST_F(CliTest, Smmuv3LogsDecodeRegistersCommandsAndFaultsByFieldName) {
    const fs::path log = dir_ / "smmu.log";
    const Result r = run("run " + kSource + "/vp_configs/smmuv3_bare.yaml --quiet --script " + kScripts +
                         "/smmuv3_bringup.script --log reg,cmd,fault --log-file " + log.string());
    ASSERT_EQ(r.status, 0) << r.output;
    const std::string text = read_file(log);
    // CR0 = SMMUEN | EVTQEN | CMDQEN, field by field (SMMUv3 6.3.9).
    EXPECT_THAT(text, HasSubstr("[reg] platform.smmu0: write CR0 = 0xd {SMMUEN=1, PRIQEN=0, EVTQEN=1, CMDQEN=1, "
                                "ATSCHK=0}"));
    EXPECT_THAT(text, HasSubstr("[cmd] platform.smmu0: CMDQ[0] CMD_SYNC cs=SIG_IRQ"));
    EXPECT_THAT(text, HasSubstr("msidata=0x600df00d msiaddr=0x80150000"));
    EXPECT_THAT(text, HasSubstr("[fault] platform.smmu0: F_TRANSLATION sid=0x10"));
    EXPECT_THAT(text, HasSubstr("input=0x8080605000"));
}

TEST_F(CliTest, Smmuv3SummaryReportsCachesAndTranslationLatency) {
    const Result r = run("run " + kSource + "/vp_configs/smmuv3_bare.yaml --script " + kScripts +
                         "/smmuv3_bringup.script");
    ASSERT_EQ(r.status, 0) << r.output;
    // Three DMA transactions: a TLB miss that walks, a hit on the same page, a miss that faults.
    // The STE and CD are fetched once and then hit twice each. The first walk reads STE, CD and four
    // levels and fills the walk cache; the faulting one finds its level-3 table there and reads one
    // descriptor: 7 reads over 2 walks.
    EXPECT_THAT(r.output, HasSubstr("smmuv3 smmu0: 2 translated, 1 faults, TLB hits 33.3%, configuration cache "
                                    "hits 66.7%, walk cache hits 50.0%, 2 walks, 3.50 descriptor reads a walk"));
    EXPECT_THAT(r.output, HasSubstr("  translation latency ns: min / p50 / p90 / p99 / max"));
}

TEST_F(CliTest, DisabledVtdScriptPasses) {
    const Result r = run("run " + kSource + "/vp_configs/vtd_bare.yaml --quiet --script " + kScripts +
                         "/vtd_disabled.script");
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_THAT(r.output, HasSubstr("vtd_disabled.script:20: read64  0xfed90008 expect 0x01d2078c402f0606 -> "
                                    "0x01d2078c402f0606 ok"));
    EXPECT_THAT(r.output, HasSubstr("dma dma0 write 0x80001000 8 0011223344556677 expect=ok -> ok"));
    EXPECT_THAT(r.output, Not(HasSubstr("FAILED")));
}

TEST_F(CliTest, VtdBringUpScriptPassesAndTheFaultEventReachesTheCpu) {
    const fs::path stats = dir_ / "stats.json";
    const Result r = run("run " + kSource + "/vp_configs/vtd_bare.yaml --script " + kScripts +
                         "/vtd_bringup.script --stats " + stats.string());
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_THAT(r.output, HasSubstr("dma dma0 read 0x8080605000 4 expect=error -> generic_error"));
    EXPECT_THAT(r.output, Not(HasSubstr("FAILED")));
    // Three DMA transactions: an IOTLB miss that walks, a hit on the same page, a miss that faults.
    // The context entry is fetched once and then hits twice. The first walk reads the 16-byte root
    // and context entries as two words each and four paging entries (8 reads) and fills the
    // paging-structure cache; the faulting one finds its level-1 table there and reads one entry:
    // 9 reads over 2 walks.
    EXPECT_THAT(r.output, HasSubstr("vtd dmar0: 2 translated, 1 faults, IOTLB hits 33.3%, context/PASID cache hits "
                                    "66.7%, walk cache hits 50.0%, 2 walks, 4.50 descriptor reads a walk"));
    EXPECT_THAT(r.output, HasSubstr("  translation latency ns: min / p50 / p90 / p99 / max"));
    // The fault-event MSI (FEDATA 0x45 to FEADDR 0xfee0_0000) went through the bus to the doorbell.
    const auto json = nlohmann::json::parse(read_file(stats));
    EXPECT_EQ(json["components"]["dmar0"]["counters"]["msis_sent"], 1);
    EXPECT_EQ(json["components"]["interrupts"]["counters"]["msis"], 1);
    EXPECT_EQ(json["components"]["cpu"]["counters"]["vectors_received"], 1);
}

TEST_F(CliTest, VtdFaultEventVectorIsTheOneSoftwareProgrammed) {
    const fs::path log = dir_ / "vtd.log";
    const Result r = run("run " + kSource + "/vp_configs/vtd_bare.yaml --quiet --script " + kScripts +
                         "/vtd_bringup.script --log fault,sw --log-file " + log.string());
    ASSERT_EQ(r.status, 0) << r.output;
    const std::string text = read_file(log);
    EXPECT_THAT(text, HasSubstr("[fault] platform.dmar0: FRCD0:"));
    EXPECT_THAT(text, HasSubstr("[sw] platform.cpu: vector 69"));  // FEDATA 0x45
}

TEST_F(CliTest, VtdTrafficConfigTranslatesEveryTransactionThroughBuiltTables) {
    // The platform's table builder and the model's decoders encode independently; 20000 + 10000
    // transactions through legacy-mode tables and 10000 + 5000 through scalable-mode ones (the last
    // with a PASID, through first-level tables), each within one page, all translate without a
    // fault only if they agree.
    const fs::path stats = dir_ / "stats.json";
    const Result r = run("run " + kSource + "/vp_configs/vtd_traffic.yaml --stats " + stats.string());
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_THAT(r.output, HasSubstr("vtd dmar0: 30000 translated, 0 faults, IOTLB hits "));
    EXPECT_THAT(r.output, HasSubstr("vtd dmar1: 15000 translated, 0 faults, IOTLB hits "));
    EXPECT_THAT(r.output, HasSubstr("  translation latency ns: min / p50 / p90 / p99 / max"));
    const auto json = nlohmann::json::parse(read_file(stats));
    for (const char* unit : {"dmar0", "dmar1"}) {
        const auto& counters = json["components"][unit]["counters"];
        EXPECT_EQ(counters["faults"], 0) << unit;
        EXPECT_EQ(counters["bypassed"], 0) << unit;  // translation was on before the first transaction
        EXPECT_GT(counters["walks"].get<int>(), 0) << unit;
    }
    for (const char* master : {"dma0", "dma1", "dma2", "dma3"})
        EXPECT_EQ(json["components"][master]["counters"]["transactions"],
                  json["components"][master]["counters"]["response_ok"])
            << master;
}

// An ATS study: the endpoint's 256-entry cache holds all 256 pages of its window, so after one
// translation request per page (more only where the random traffic's pages collide in a set) its
// accesses arrive translated; the plain master beside it keeps being translated by the IOMMU.
void expect_ats_study(const Result& r, const fs::path& stats, const char* iommu) {
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_THAT(r.output, HasSubstr("  anic ATS: ATC hits "));
    const auto json = nlohmann::json::parse(read_file(stats));
    const auto& anic = json["components"]["anic"]["counters"];
    const auto& unit = json["components"][iommu]["counters"];
    EXPECT_EQ(anic["response_ok"], 20000);
    EXPECT_GE(anic["translation_requests"].get<int>(), 256);
    EXPECT_LT(anic["translation_requests"].get<int>(), 2000);  // most accesses hit the endpoint's cache
    EXPECT_EQ(unit["ats_translation_requests"], anic["translation_requests"]);
    EXPECT_EQ(unit["ats_translated_requests"], 20000);
    EXPECT_EQ(unit["faults"], 0);
    EXPECT_EQ(json["components"]["nic"]["counters"]["response_ok"], 20000);
}

TEST_F(CliTest, VtdDeviceTlbConfigMovesTranslationToTheEndpoint) {
    const fs::path stats = dir_ / "stats.json";
    expect_ats_study(run("run " + kSource + "/vp_configs/vtd_devtlb.yaml --stats " + stats.string()), stats, "dmar0");
}

TEST_F(CliTest, Smmuv3AtsConfigMovesTranslationToTheEndpoint) {
    const fs::path stats = dir_ / "stats.json";
    expect_ats_study(run("run " + kSource + "/vp_configs/smmuv3_ats.yaml --stats " + stats.string()), stats, "smmu0");
}

TEST_F(CliTest, BadRequesterIdNamesFileLineAndTheAllowedForms) {
    const fs::path config = write("rid.yaml",
                                  "memories:\n"
                                  "  ram: {base: 0x80000000, size: 1MiB}\n"
                                  "vtd:\n"
                                  "  dmar0: {base: 0xfed90000}\n"
                                  "masters:\n"
                                  "  dma0:\n"
                                  "    port: dmar0\n"
                                  "    requester: \"00:20.0\"\n"
                                  "    base: 0x80000000\n");
    const Result r = run("validate " + config.string());
    EXPECT_EQ(r.status, 2);
    EXPECT_THAT(r.output, HasSubstr(config.string() + ":8:16: master 'dma0' requester '00:20.0' is not a PCI requester ID "
                                    "(allowed: \"bus:device.function\" in hex as lspci prints it, bus 00..ff, "
                                    "device 00..1f, function 0..7"));
}

TEST_F(CliTest, FailingExpectExitsOneAndNamesTheLine) {
    const Result r = run("run " + kDefault + " --set masters.dma0.count=10 --set masters.dma1.count=10 --script " +
                         kScripts + "/failing_expect.script");
    EXPECT_EQ(r.status, 1);
    EXPECT_THAT(r.output, HasSubstr("FAILED " + kScripts + "/failing_expect.script:3: expected 0x00000002"));
    EXPECT_THAT(r.output, HasSubstr("failing_expect.script:4: read32  0x80200000 expect 0x1 -> 0x00000001 ok\n"));
}

TEST_F(CliTest, PollTimesOut) {
    const Result r = run("run " + kDefault + " --set masters.dma0.count=1 --set masters.dma1.count=1 --script " +
                         kScripts + "/poll_timeout.script");
    EXPECT_EQ(r.status, 1);
    EXPECT_THAT(r.output, HasSubstr("poll_timeout.script:2: timed out waiting for 0x00000001"));
}

TEST_F(CliTest, ScriptErrorsAreReportedBeforeSimulating) {
    const Result r = run("run " + kDefault + " --script " + kScripts + "/bad_syntax.script");
    EXPECT_EQ(r.status, 2);
    EXPECT_THAT(r.output, HasSubstr("bad_syntax.script:1: missing value"));
    EXPECT_THAT(r.output, HasSubstr("bad_syntax.script:2: unknown verb 'reed32'; did you mean 'read32'?"));
    EXPECT_THAT(r.output, Not(HasSubstr("simulated time")));
}

TEST_F(CliTest, UnknownScriptMasterIsReported) {
    const fs::path script = write("m.script", "dma dma7 read 0x80000000 4\n");
    const Result r = run("run " + kDefault + " --script " + script.string());
    EXPECT_EQ(r.status, 2);
    EXPECT_THAT(r.output, HasSubstr(script.string() + ":1: no master named 'dma7' (masters: dma0, dma1)"));
}

TEST_F(CliTest, PreScriptRunsBeforeTheMasters) {
    // The pre-script waits 1 us; masters start after it, so their first issue is at 1 us or later.
    const fs::path pre = write("pre.script", "wait 1000\n");
    const fs::path stats = dir_ / "stats.json";
    const Result r = run("run " + kDefault + " --set masters.dma0.count=1 --set masters.dma1.count=1 --pre-script " +
                         pre.string() + " --stats " + stats.string());
    ASSERT_EQ(r.status, 0) << r.output;
    const auto json = nlohmann::json::parse(read_file(stats));
    EXPECT_GE(json["simulated_time_ps"].get<std::uint64_t>(), 1'000'000u);
}

TEST_F(CliTest, EveryConfigIsDeterministicForASeed) {
    for (const auto& entry : fs::directory_iterator(kSource + "/vp_configs")) {
        if (entry.path().extension() != ".yaml") continue;
        const fs::path a = dir_ / "a.json", b = dir_ / "b.json";
        ASSERT_EQ(run("run " + entry.path().string() + " --quiet --seed 11 --stats " + a.string()).status, 0);
        ASSERT_EQ(run("run " + entry.path().string() + " --quiet --seed 11 --stats " + b.string()).status, 0);
        EXPECT_EQ(read_file(a), read_file(b)) << entry.path();
    }
}

TEST_F(CliTest, SeedChangesRandomTraffic) {
    const fs::path a = dir_ / "a.json", b = dir_ / "b.json";
    ASSERT_EQ(run("run " + kDefault + " --quiet --seed 1 --stats " + a.string()).status, 0);
    ASSERT_EQ(run("run " + kDefault + " --quiet --seed 2 --stats " + b.string()).status, 0);
    const auto ja = nlohmann::json::parse(read_file(a)), jb = nlohmann::json::parse(read_file(b));
    // dma1 mixes reads and writes at random: another seed draws another mix.
    EXPECT_NE(ja["components"]["dma1"]["counters"]["reads"], jb["components"]["dma1"]["counters"]["reads"]);
}

// dma0 alone (sequential, no randomness in its traffic): 20000 transactions over 4 streams, so
// 5000 think times per stream, and far below the memory's bandwidth, so it barely queues.
TEST_F(CliTest, TimingJitterIsOffByDefaultAndSeededWhenOn) {
    const std::string dma0_alone = " --quiet --set masters.dma1.enabled=false --set masters.dma1.count=0";
    auto simulated_ps = [&](const std::string& extra) {
        const fs::path stats = dir_ / "stats.json";
        const Result r = run("run " + kDefault + dma0_alone + extra + " --stats " + stats.string());
        EXPECT_EQ(r.status, 0) << r.output;
        return nlohmann::json::parse(read_file(stats))["simulated_time_ps"].get<double>();
    };
    // Off: the seed does not move any time stamp of a pattern without randomness.
    const double plain = simulated_ps(" --seed 1");
    EXPECT_EQ(simulated_ps(" --seed 2"), plain);

    // On, up to 10 ns: each stream gains 5001 draws of uniform [0, 10 ns], 25 us on average with a
    // spread of about 0.2 us, and the run ends with the slowest of the four streams.
    const std::string jitter = " --set simulation.timing_jitter_ns=10";
    const double seed1 = simulated_ps(jitter + " --seed 1");
    EXPECT_EQ(simulated_ps(jitter + " --seed 1"), seed1);
    EXPECT_NE(simulated_ps(jitter + " --seed 2"), seed1);
    EXPECT_GT(seed1 - plain, 24.0e6);
    EXPECT_LT(seed1 - plain, 26.5e6);
}

TEST_F(CliTest, LogCategoriesGoToTheLogFile) {
    const fs::path log = dir_ / "run.log";
    const Result r = run("run " + kDefault + " --quiet --set masters.dma0.count=2 --set masters.dma1.count=0 "
                         "--set masters.dma1.enabled=false --log dma --log-file " + log.string());
    ASSERT_EQ(r.status, 0) << r.output;
    const std::string text = read_file(log);
    EXPECT_THAT(text, HasSubstr("[dma] platform.dma0: read  0x80000000 +64 stream=0x10 -> ok"));
    EXPECT_THAT(text, HasSubstr("[dma] platform.dma0: read  0x80000040 +64"));
}

}  // namespace

namespace {

// With `software` enabled the platform has a CPU running the kernel runtime: the VT-d unit's
// fault-event MSI reaches it (no handler is registered, so the runtime counts it as spurious).
TEST_F(CliTest, SoftwareCpuReceivesTheInterruptsWhenEnabled) {
    const fs::path stats = dir_ / "stats.json";
    const Result r = run("run " + kSource + "/vp_configs/vtd_bare.yaml --script " + kScripts +
                         "/vtd_bringup.script --set software.enabled=true --set software.dma_window_base=0x9000_0000"
                         " --stats " + stats.string());
    ASSERT_EQ(r.status, 0) << r.output;
    const auto json = nlohmann::json::parse(read_file(stats));
    EXPECT_EQ(json["components"]["cpu0"]["counters"]["interrupts"], 1);
    EXPECT_EQ(json["components"]["cpu0"]["counters"]["interrupts_dropped"], 0);
    // No software ran, so the runtime found nothing; its findings and seed are in the report.
    EXPECT_EQ(json["software"]["reports"].size(), 0u);
    EXPECT_TRUE(json["software"].contains("seed"));
    EXPECT_THAT(r.output, HasSubstr("software: 0 reports"));
}

TEST_F(CliTest, SoftwareDmaWindowOutsideMemoryIsRefused) {
    const Result r = run("validate " + kSource + "/vp_configs/vtd_bare.yaml --set software.enabled=true"
                         " --set software.dma_window_base=0x1_0000_0000");
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_THAT(r.output, HasSubstr("dma_window_base"));
    EXPECT_THAT(r.output, HasSubstr("does not lie inside one memory"));
}

}  // namespace
