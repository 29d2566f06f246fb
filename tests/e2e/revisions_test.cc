// `graft list --revisions` and `graft install --revision N` end to end: conda 26's S2
// scenario on test-recipes replayed with graft (create dependent=1.0, install python and
// sample_noarch_python, install dependent=2.0), then compared with what conda printed and
// wrote (oracle s2_revisions, s2_rollback, s2_rec_rev1).
#include <regex>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "base/strings.h"
#include "tests/e2e/e2e.h"

namespace graft::e2e {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class RevisionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = scratch_dir();
    root_ = dir_ / "root";
    prefix_ = root_ / "envs/rec";
  }

  // graft VERB --root-prefix ROOT -p PREFIX ARGS...
  e2e::Run verb(const std::string& name, std::vector<std::string> args) {
    args.insert(args.begin(), {name, "--root-prefix", root_.string(), "-p", prefix_.string()});
    return graft(args, dir_);
  }

  std::string channel() const {
    return "file://" + (conformance_dir() / "conda/test-recipes").string();
  }

  // The oracle's three steps: revisions 0, 1 and 2.
  void make_scenario() {
    const std::vector<std::pair<std::string, std::vector<std::string>>> steps = {
        {"create", {"dependent=1.0"}},
        {"install", {"python=3.99.99", "sample_noarch_python"}},
        {"install", {"dependent=2.0"}}};
    for (auto [name, specs] : steps) {
      specs.insert(specs.begin(), {"-c", channel(), "--override-channels", "-y"});
      e2e::Run ran = verb(name, specs);
      ASSERT_EQ(ran.exit_code, 0) << name << ": " << ran.err;
    }
  }

  // Oracle text with {CONF} and {T} replaced.
  std::string substituted(const std::string& text) const {
    return base::replace_all(base::replace_all(text, "{CONF}", conformance_dir().string()), "{T}",
                             dir_.string());
  }

  // The last block of a history file, without its date and command lines.
  static std::string last_block(const std::string& history) {
    std::string block;
    for (auto line : base::split(history, '\n')) {
      if (base::starts_with(line, "==> "))
        block.clear();
      else if (!base::starts_with(line, "# cmd: ") && !line.empty())
        block += std::string(line) + "\n";
    }
    return block;
  }

  fs::path dir_, root_, prefix_;
};

// Dates vary: "2026-11-22 01:02:03  (rev 0)" -> "{DATE}  (rev 0)".
std::string without_dates(const std::string& text) {
  static const std::regex date(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d  \(rev )");
  return std::regex_replace(text, date, "{DATE}  (rev ");
}

TEST_F(RevisionsTest, ListRevisionsMatchesConda) {
  GRAFT_REQUIRE_CONFORMANCE();
  ASSERT_NO_FATAL_FAILURE(make_scenario());
  e2e::Run listed = verb("list", {"--revisions"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(without_dates(listed.out), oracle_output("s2_revisions", dir_));

  e2e::Run json = verb("list", {"--revisions", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  // conda 26's key order and ending (no final newline); no oracle holds this output.
  EXPECT_THAT(json.out, ::testing::StartsWith("[\n  {\n    \"date\": \""));
  EXPECT_EQ(json.out.back(), ']');
  auto events = nlohmann::json::parse(json.out);
  ASSERT_EQ(events.size(), 3u);
  std::vector<std::string> keys;
  const auto ordered = nlohmann::ordered_json::parse(json.out);
  for (const auto& [key, value] : ordered[0].items()) keys.push_back(key);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"date", "rev", "install", "remove", "upgrade", "downgrade"}));
  const std::string noarch = channel() + "/noarch";
  EXPECT_EQ(events[0]["install"],
            nlohmann::json({"dependency-1.0-0-" + noarch, "dependent-1.0-0-" + noarch}));
  EXPECT_EQ(events[2]["rev"], 2);
  EXPECT_EQ(events[2]["upgrade"][0]["old"], "dependency-1.0-0-" + noarch);
  EXPECT_EQ(events[2]["upgrade"][0]["new"], "dependency-2.0-0-" + noarch);
  EXPECT_TRUE(events[2]["downgrade"].empty());
}

// install --revision 1 undoes the update to dependent 2.0: the same records, files and
// history lines conda wrote (s2_rec_rev1).
TEST_F(RevisionsTest, InstallRevisionRestoresWhatCondaRestores) {
  GRAFT_REQUIRE_CONFORMANCE();
  ASSERT_NO_FATAL_FAILURE(make_scenario());
  e2e::Run reverted = verb("install", {"--revision", "1", "-y"});
  ASSERT_EQ(reverted.exit_code, 0) << reverted.err;
  EXPECT_THAT(reverted.out, HasSubstr("  added / updated specs:\n    - dependent=2.0\n"
                                      "    - python=3.99.99\n    - sample_noarch_python\n"));
  const fs::path oracle = conformance_dir() / "oracle/conda-26.7.1/s2_rec_rev1.conda-meta";
  static const std::regex timestamp(R"("timestamp": \d+)");
  for (const auto& entry : fs::directory_iterator(oracle)) {
    const std::string file = entry.path().filename().string();
    if (file == "history" || file == "created_at") continue;
    std::string ours =
        std::regex_replace(read(prefix_ / "conda-meta" / file), timestamp, "\"timestamp\": {TS}");
    EXPECT_EQ(ours, substituted(read(entry.path()))) << file;
  }
  EXPECT_FALSE(fs::exists(prefix_ / "conda-meta/dependent-2.0-0.json"));
  EXPECT_EQ(fs::hard_link_count(prefix_ / "lib/python3.99t/site-packages/sample.py"), 2u);
  // conda's block, except that graft wrote the install's specs in the order typed.
  std::string expected = last_block(substituted(read(oracle / "history")));
  expected =
      base::replace_all(expected, "['dependent=2.0', 'sample_noarch_python', 'python=3.99.99']",
                        "['dependent=2.0', 'python=3.99.99', 'sample_noarch_python']");
  EXPECT_EQ(last_block(read(prefix_ / "conda-meta/history")), expected);

  e2e::Run listed = verb("list", {"--revisions"});
  const std::string noarch = " (" + channel() + "/noarch)";
  EXPECT_THAT(listed.out,
              HasSubstr("  (rev 3)\n     dependency  {2.0" + noarch + " -> 1.0" + noarch +
                        "}\n     dependent  {2.0" + noarch + " -> 1.0" + noarch + "}\n\n"));
}

// A history conda wrote (the oracle's, over the same packages): graft appends the block
// conda appended, update specs in conda's order included.
TEST_F(RevisionsTest, RevertOfCondaWrittenHistoryWritesCondasBlock) {
  GRAFT_REQUIRE_CONFORMANCE();
  ASSERT_NO_FATAL_FAILURE(make_scenario());
  const fs::path oracle = conformance_dir() / "oracle/conda-26.7.1";
  write(prefix_ / "conda-meta/history", substituted(read(oracle / "s2_rec.conda-meta/history")));
  e2e::Run reverted = verb("install", {"--revision", "1", "-y"});
  ASSERT_EQ(reverted.exit_code, 0) << reverted.err;
  EXPECT_EQ(last_block(read(prefix_ / "conda-meta/history")),
            last_block(substituted(read(oracle / "s2_rec_rev1.conda-meta/history"))));
  EXPECT_THAT(read(prefix_ / "conda-meta/dependent-1.0-0.json"),
              HasSubstr("\"requested_spec\": \"dependent=2.0\""));
}

// Packages no longer in the cache come from the channel the history names.
TEST_F(RevisionsTest, FetchesFromTheHistorysChannelWhenTheCacheLacksThem) {
  GRAFT_REQUIRE_CONFORMANCE();
  ASSERT_NO_FATAL_FAILURE(make_scenario());
  for (const char* stale :
       {"dependency-1.0-0", "dependency-1.0-0.conda", "dependent-1.0-0", "dependent-1.0-0.conda"}) {
    fs::remove_all(root_ / "pkgs" / stale);
  }
  e2e::Run reverted = verb("install", {"--revision", "0", "-y"});
  ASSERT_EQ(reverted.exit_code, 0) << reverted.err;
  EXPECT_TRUE(fs::exists(root_ / "pkgs/dependent-1.0-0/info/repodata_record.json"));
  EXPECT_TRUE(fs::exists(prefix_ / "conda-meta/dependent-1.0-0.json"));
  EXPECT_FALSE(fs::exists(prefix_ / "conda-meta/python-3.99.99-0.json"));
  EXPECT_FALSE(fs::exists(prefix_ / "lib/python3.99t/site-packages/sample.py"));
}

TEST_F(RevisionsTest, DryRunAndJsonChangeNothing) {
  GRAFT_REQUIRE_CONFORMANCE();
  ASSERT_NO_FATAL_FAILURE(make_scenario());
  const std::string before = read(prefix_ / "conda-meta/history");
  e2e::Run dry = verb("install", {"--revision", "0", "--dry-run", "--json"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  auto plan = nlohmann::json::parse(dry.out);
  EXPECT_EQ(plan["dry_run"], true);
  EXPECT_EQ(plan["actions"]["UNLINK"].size(), 5u);
  EXPECT_EQ(plan["actions"]["LINK"].size(), 2u);
  EXPECT_EQ(read(prefix_ / "conda-meta/history"), before);
  EXPECT_TRUE(fs::exists(prefix_ / "conda-meta/dependent-2.0-0.json"));
  e2e::Run same = verb("install", {"--revision", "2", "-y"});
  ASSERT_EQ(same.exit_code, 0) << same.err;
  EXPECT_THAT(same.out, HasSubstr("All requested packages already installed."));
  EXPECT_EQ(read(prefix_ / "conda-meta/history"), before);
}

TEST_F(RevisionsTest, ErrorsSayWhatIsWrong) {
  GRAFT_REQUIRE_CONFORMANCE();
  ASSERT_NO_FATAL_FAILURE(make_scenario());
  const std::string before = read(prefix_ / "conda-meta/history");
  e2e::Run out_of_range = verb("install", {"--revision", "7", "-y"});
  EXPECT_NE(out_of_range.exit_code, 0);
  EXPECT_THAT(out_of_range.err,
              HasSubstr("revision 7 does not exist: the environment has revisions 0 to 2"));
  e2e::Run with_specs = verb("install", {"--revision", "1", "zlib", "-y"});
  EXPECT_NE(with_specs.exit_code, 0);
  EXPECT_THAT(with_specs.err, HasSubstr("'--revision' takes no package specs: got 'zlib'"));

  // A revision naming a package that exists nowhere.
  const std::string ghost = channel() + "/noarch::dependent-9.9-0";
  write(prefix_ / "conda-meta/history", before + "==> 2026-01-01 00:00:00 <==\n# cmd: x\n-" +
                                            channel() + "/noarch::dependent-2.0-0\n+" + ghost +
                                            "\n");
  e2e::Run missing = verb("install", {"--revision", "3", "-y", "--offline"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_THAT(missing.err, HasSubstr("cannot restore revision 3: '" + ghost +
                                     "' is in neither the package cache nor the channels"));
  EXPECT_TRUE(fs::exists(prefix_ / "conda-meta/dependent-2.0-0.json"));

  write(prefix_ / "conda-meta/frozen", "");
  e2e::Run frozen = verb("install", {"--revision", "1", "-y"});
  EXPECT_NE(frozen.exit_code, 0);
  EXPECT_THAT(frozen.err, HasSubstr("frozen"));
  EXPECT_TRUE(fs::exists(prefix_ / "conda-meta/dependent-2.0-0.json"));

  fs::remove(prefix_ / "conda-meta/history");
  e2e::Run no_history = verb("list", {"--revisions"});
  EXPECT_NE(no_history.exit_code, 0);
  EXPECT_THAT(no_history.err,
              HasSubstr("conda-meta/history' does not exist: the environment has no revisions"));
}

}  // namespace
}  // namespace graft::e2e
