#include "env/revisions.h"

#include <algorithm>
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/fs.h"

namespace graft::env {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;

const fs::path kConformance = fs::path(GRAFT_CONFORMANCE_DIR);
constexpr std::string_view kRecipes = "file://{CONF}/conda/test-recipes/noarch::";

// The history file at `relative` in the corpus, or nullopt (the test then skips).
std::optional<std::string> corpus_file(const std::string& relative) {
  auto text = base::read_file(kConformance / relative);
  if (!text) return std::nullopt;
  return *text;
}

#define CORPUS_OR_SKIP(var, relative) \
  auto var = corpus_file(relative);   \
  if (!var) GTEST_SKIP() << "conformance corpus absent (" << relative << "); skipping"

conda::PrefixRecord installed(const std::string& name, const std::string& version,
                              const std::string& build = "0") {
  conda::PrefixRecord record;
  record.name = name;
  record.version = version;
  record.build = build;
  record.channel = "file://{CONF}/conda/test-recipes/noarch";
  record.subdir = "noarch";
  return record;
}

std::vector<conda::PrefixRecord> s2_installed() {
  return {installed("dependency", "2.0"), installed("dependent", "2.0"),
          installed("pip", "99.99.99", "py399_0"), installed("python", "3.99.99"),
          installed("sample_noarch_python", "1.0", "py_0")};
}

bool in_state(const Revision& revision, std::string_view needle) {
  return std::any_of(revision.state.begin(), revision.state.end(), [&](const std::string& dist) {
    return dist.find(needle) != std::string::npos;
  });
}

TEST(ParseHistoryDist, SplitsLikeCondasDistStrToQuad) {
  struct Case {
    std::string text, channel, name, version, build;
  };
  const std::vector<Case> cases = {
      {"file:///c/noarch::dependent-1.0-0", "file:///c/noarch", "dependent", "1.0", "0"},
      {"conda-forge::python_abi-3.12-5_cp312", "conda-forge", "python_abi", "3.12", "5_cp312"},
      {"ca-certificates-2024.8.30-hbcca054_0", "<unknown>", "ca-certificates", "2024.8.30",
       "hbcca054_0"},
      {"pkgs/main/linux-64::zlib-1.2.11-h7b6447c_3.tar.bz2", "pkgs/main/linux-64", "zlib", "1.2.11",
       "h7b6447c_3"},
      {"https://conda.anaconda.org/conda-forge/noarch::wheel-0.45.1-pyhd8ed1ab_1.conda",
       "https://conda.anaconda.org/conda-forge/noarch", "wheel", "0.45.1", "pyhd8ed1ab_1"},
  };
  for (const Case& c : cases) {
    auto dist = parse_history_dist(c.text);
    ASSERT_TRUE(dist) << c.text;
    EXPECT_EQ(dist->text, c.text);
    EXPECT_EQ(dist->channel, c.channel) << c.text;
    EXPECT_EQ(dist->name, c.name) << c.text;
    EXPECT_EQ(dist->version, c.version) << c.text;
    EXPECT_EQ(dist->build, c.build) << c.text;
  }
  for (std::string bad : {"nodashes", "c::a-b", "-0"}) {
    auto dist = parse_history_dist(bad);
    ASSERT_FALSE(dist) << bad;
    EXPECT_EQ(
        dist.error().message(),
        "'" + bad + "' is not a package of the history: expected [channel::]name-version-build");
  }
}

TEST(SamePackage, MatchesTheFormsCondaAndMambaWrite) {
  auto dist = [](const char* text) { return *parse_history_dist(text); };
  const HistoryDist mamba_added = dist("conda-forge::cpp-tabulate-1.0-hc9558a2_0");
  EXPECT_TRUE(same_package(
      mamba_added,
      dist("https://conda.anaconda.org/conda-forge/linux-64::cpp-tabulate-1.0-hc9558a2_0")));
  EXPECT_TRUE(same_package(mamba_added, dist("conda-forge/linux-64::cpp-tabulate-1.0-hc9558a2_0")));
  EXPECT_TRUE(same_package(mamba_added, dist("cpp-tabulate-1.0-hc9558a2_0")));
  EXPECT_FALSE(same_package(mamba_added, dist("conda-forge::cpp-tabulate-1.5-hf52228f_1")));
  EXPECT_FALSE(same_package(mamba_added, dist("bioconda::cpp-tabulate-1.0-hc9558a2_0")));
  EXPECT_FALSE(
      same_package(dist("conda-forge/linux-64::a-1-0"), dist("conda-forge/osx-64::a-1-0")));
  conda::PrefixRecord record = installed("dependency", "1.0");
  EXPECT_TRUE(
      same_package(dist("file://{CONF}/conda/test-recipes/noarch::dependency-1.0-0"), record));
  EXPECT_FALSE(same_package(dist("file:///elsewhere/noarch::dependency-1.0-0"), record));
}

TEST(ReplayHistory, CondasTestRecipesScenario) {
  CORPUS_OR_SKIP(text, "oracle/conda-26.7.1/s2_rec_rev1.conda-meta/history");
  const auto revisions = replay_history(parse_history(*text));
  ASSERT_EQ(revisions.size(), 4u);
  const std::string prefix(kRecipes);
  EXPECT_THAT(revisions[0].state,
              ElementsAre(prefix + "dependency-1.0-0", prefix + "dependent-1.0-0"));
  EXPECT_EQ(revisions[1].state.size(), 5u);
  EXPECT_THAT(revisions[2].state, Contains(prefix + "dependency-2.0-0"));
  EXPECT_THAT(revisions[2].state, Not(Contains(prefix + "dependency-1.0-0")));
  // The revert (rev 3) is back at rev 1's state.
  EXPECT_EQ(revisions[3].state, revisions[1].state);
  EXPECT_EQ(revisions[3].number, 3);
  EXPECT_EQ(revisions[3].timestamp, "{DATE}");
}

// mamba removes with a full URL ("-https://conda.anaconda.org/conda-forge/linux-64::...")
// what it added as "+conda-forge::...": the removal still applies.
TEST(ReplayHistory, MambaHistoryWithUrlRemovals) {
  CORPUS_OR_SKIP(text, "mamba/history/parse/conda-meta/history");
  const auto revisions = replay_history(parse_history(*text));
  std::vector<std::size_t> sizes;
  for (const auto& revision : revisions) sizes.push_back(revision.state.size());
  EXPECT_THAT(sizes, ElementsAre(1u, 9u, 10u, 10u, 30u, 29u, 26u, 28u));
  EXPECT_TRUE(in_state(revisions[2], "cpp-tabulate-1.0-hc9558a2_0"));
  EXPECT_FALSE(in_state(revisions[3], "cpp-tabulate-1.0-"));
  EXPECT_TRUE(in_state(revisions[3], "cpp-tabulate-1.5-hf52228f_1"));
  EXPECT_FALSE(in_state(revisions[5], "setuptools-"));
  EXPECT_TRUE(in_state(revisions[5], "wheel-0.45.1-"));
  EXPECT_FALSE(in_state(revisions[6], "nlohmann_json-"));
  EXPECT_FALSE(in_state(revisions[7], "xtl-0.7.2-"));
  EXPECT_TRUE(in_state(revisions[7], "conda-forge::xtl-0.8.0-h84d6215_0"));
  EXPECT_TRUE(in_state(revisions[7], "conda-forge::wheel-0.40.0-pyhd8ed1ab_1"));
}

TEST(ReplayHistory, MambaMetadataAndCrasherFiles) {
  CORPUS_OR_SKIP(metadata, "mamba/history/parse_metadata/conda-meta/history");
  const auto entries = parse_history(*metadata);
  const auto revisions = replay_history(entries);
  ASSERT_EQ(revisions.size(), 1u);
  EXPECT_EQ(revisions[0].state.size(), 40u);
  EXPECT_THAT(revisions[0].state, Contains("conda-forge::pandas-2.2.3-py312hf9745cd_1"));
  std::vector<conda::PrefixRecord> records = {installed("pandas", "2.2.3", "py312hf9745cd_1")};
  EXPECT_THAT(requested_specs(entries, records), ElementsAre("pandas[version='>=0.25.2,<3']"));

  CORPUS_OR_SKIP(crasher, "mamba/history/parse_segfault/conda-meta/history");
  const auto odd = parse_history(*crasher);
  ASSERT_EQ(odd.size(), 1u);
  EXPECT_EQ(odd[0].timestamp, "x");
  EXPECT_TRUE(replay_history(odd)[0].state.empty());
  EXPECT_EQ(format_revisions(odd), "x  (rev 0)\n\n");
}

TEST(ReplayHistory, CondaEnvMetadataFile) {
  CORPUS_OR_SKIP(text, "conda/env_metadata/envpy313tosx_whl/conda-meta/history");
  const auto revisions = replay_history(parse_history(*text));
  ASSERT_FALSE(revisions.empty());
  EXPECT_EQ(revisions[0].state.size(), 16u);
  EXPECT_THAT(revisions[0].state,
              Contains("conda-forge/osx-arm64::python-3.13.2-hfd29fff_1_cp313t"));
}

// What conda tolerates: text before the first header, blank and CRLF lines, a header with
// text after "<==", the old whole-state format, pre-4.5 spec lists, duplicate lines.
TEST(ReplayHistory, OddLinesCondaTolerates) {
  const std::string text =
      "stray line before any header\r\n"
      "==> 2017-05-02 17:04:24 <==\r\n"
      "alabaster-0.7.6-py35_0\r\n"
      "abstract-rendering-0.5.1-np110py35_0\r\n"
      "\r\n"
      "==>2017-05-03 10:00:00<== trailing\n"
      "# cmd: /opt/conda/bin/conda install python>=3.5.1 jupyter\n"
      "# install specs: python>=3.5.1,jupyter >=1.0.0,<2.0,mkl@\n"
      "+defaults::python-3.5.1-0\n"
      "+defaults::python-3.5.1-0\n"
      "  +defaults::jupyter-1.0.0-py35_0  \n"
      "==> 2017-05-04 10:00:00 <==\n"
      "# cmd: conda env config vars set A=1\n"
      "==> 2017-05-05 10:00:00 <==\n"
      "# cmd: conda remove alabaster\n"
      "-alabaster-0.7.6-py35_0\n"
      "# remove specs: ['alabaster']\n";
  const auto entries = parse_history(text);
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[1].timestamp, "2017-05-03 10:00:00");
  EXPECT_THAT(entries[1].update_specs, ElementsAre("python>=3.5.1", "jupyter >=1.0.0,<2.0"));
  const auto revisions = replay_history(entries);
  EXPECT_THAT(revisions[0].state,
              ElementsAre("abstract-rendering-0.5.1-np110py35_0", "alabaster-0.7.6-py35_0"));
  EXPECT_EQ(revisions[1].state.size(), 4u);
  EXPECT_EQ(revisions[2].state, revisions[1].state);  // a block without dists changes nothing
  EXPECT_THAT(revisions[3].state,
              ElementsAre("abstract-rendering-0.5.1-np110py35_0", "defaults::jupyter-1.0.0-py35_0",
                          "defaults::python-3.5.1-0"));
  EXPECT_EQ(format_revisions(entries),
            "2017-05-02 17:04:24  (rev 0)\n"
            "    abstract-rendering-0.5.1-np110py35_0\n"
            "    alabaster-0.7.6-py35_0\n\n"
            "2017-05-03 10:00:00  (rev 1)\n"
            "    +jupyter-1.0.0\n"
            "    +python-3.5.1\n\n"
            "2017-05-04 10:00:00  (rev 2)\n\n"
            "2017-05-05 10:00:00  (rev 3)\n"
            "    -alabaster-0.7.6 (<unknown>)\n\n");
}

TEST(FormatRevisions, MatchesCondaListRevisions) {
  CORPUS_OR_SKIP(history, "oracle/conda-26.7.1/s2_rec.conda-meta/history");
  CORPUS_OR_SKIP(expected, "oracle/conda-26.7.1/s2_revisions.out");
  EXPECT_EQ(format_revisions(parse_history(*history)), *expected);
}

TEST(FormatRevisions, JsonIsCondasObjectLog) {
  const std::string text =
      "==> 2026-01-01 00:00:00 <==\n# cmd: conda create -n x a\n+c/noarch::a-1.0-0\n"
      "+c/noarch::b-2.0-0\n"
      "==> 2026-01-02 00:00:00 <==\n# cmd: conda install a=2 b=1\n-c/noarch::a-1.0-0\n"
      "-c/noarch::b-2.0-0\n+c/noarch::a-2.0-0\n+c/noarch::b-1.0-0\n+defaults::z-1-0\n";
  // conda's key order (date, rev, install, remove, upgrade, downgrade; old before new) and
  // no final newline, as conda 26's `list --revisions --json` prints them.
  EXPECT_EQ(format_revisions_json(parse_history(text)),
            R"([
  {
    "date": "2026-01-01 00:00:00",
    "rev": 0,
    "install": [
      "a-1.0-0-c/noarch",
      "b-2.0-0-c/noarch"
    ],
    "remove": [],
    "upgrade": [],
    "downgrade": []
  },
  {
    "date": "2026-01-02 00:00:00",
    "rev": 1,
    "install": [
      "z-1-0-defaults"
    ],
    "remove": [],
    "upgrade": [
      {
        "old": "a-1.0-0-c/noarch",
        "new": "a-2.0-0-c/noarch"
      }
    ],
    "downgrade": [
      {
        "old": "b-2.0-0-c/noarch",
        "new": "b-1.0-0-c/noarch"
      }
    ]
  }
])");
  EXPECT_EQ(format_revisions_json({}), "[]");
  // Not UTF-8 (conda would fail reading it): replaced, never an exception.
  EXPECT_THAT(format_revisions_json(parse_history("==> \xff <==\n+c::a-1-0\n")),
              ::testing::HasSubstr("\"date\": \"\\ufffd\""));
}

TEST(RequestedSpecs, FollowsCondasSpecMap) {
  CORPUS_OR_SKIP(history, "oracle/conda-26.7.1/s2_rec.conda-meta/history");
  const auto entries = parse_history(*history);
  // The update specs conda wrote for its revert (s2_rec_rev1 history).
  EXPECT_THAT(requested_specs(entries, s2_installed()),
              ElementsAre("dependent=2.0", "sample_noarch_python", "python=3.99.99"));
  auto without_python = s2_installed();
  std::erase_if(without_python, [](const auto& r) { return r.name == "python"; });
  EXPECT_THAT(requested_specs(entries, without_python),
              ElementsAre("dependent=2.0", "sample_noarch_python"));
  const std::string text =
      "==> d <==\n# cmd: conda create a b\n# update specs: ['a', 'b>=1']\n"
      "==> d <==\n# update specs: ['c']\n"  // no "# cmd:": conda ignores the block
      "==> d <==\n# cmd: conda remove a\n# remove specs: ['a']\n"
      "==> d <==\n# cmd: conda install a=2 python_abi=*=*_cp313t\n"
      "# update specs: ['a=2', 'python_abi=*=*_cp313t']\n";
  std::vector<conda::PrefixRecord> all = {installed("a", "2"), installed("b", "1"),
                                          installed("c", "1"), installed("python_abi", "3.13")};
  // Specs as conda prints them (str(MatchSpec)), the form it writes into the revert's block.
  EXPECT_THAT(requested_specs(parse_history(text), all),
              ElementsAre("b[version='>=1']", "a=2", "python_abi[build=*_cp313t]"));
}

TEST(FindRevision, NamesTheRangeWhenOutOfIt) {
  std::vector<Revision> revisions(4);
  for (int i = 0; i < 4; ++i) revisions[static_cast<std::size_t>(i)].number = i;
  ASSERT_TRUE(find_revision(revisions, 3));
  EXPECT_EQ(find_revision(revisions, 2)->number, 2);
  for (int bad : {7, 4, -1}) {
    auto found = find_revision(revisions, bad);
    ASSERT_FALSE(found);
    EXPECT_EQ(found.error().code(), ErrorCode::kNotFound);
    EXPECT_EQ(found.error().message(), "revision " + std::to_string(bad) +
                                           " does not exist: the environment has revisions 0 to 3");
  }
  EXPECT_EQ(find_revision({}, 0).error().message(),
            "revision 0 does not exist: the environment has no revisions");
}

TEST(PlanRevert, UnlinksWhatTheStateLacksAndLinksWhatIsMissing) {
  const std::string prefix(kRecipes);
  Revision rev1{.number = 1,
                .state = {prefix + "dependency-1.0-0", prefix + "dependent-1.0-0",
                          prefix + "pip-99.99.99-py399_0", prefix + "python-3.99.99-0",
                          prefix + "sample_noarch_python-1.0-py_0"}};
  auto plan = plan_revert(rev1, s2_installed());
  ASSERT_TRUE(plan) << plan.error().message();
  ASSERT_EQ(plan->unlink.size(), 2u);
  EXPECT_EQ(plan->unlink[0].name + "-" + plan->unlink[0].version, "dependency-2.0");
  EXPECT_EQ(plan->unlink[1].name + "-" + plan->unlink[1].version, "dependent-2.0");
  ASSERT_EQ(plan->link.size(), 2u);
  EXPECT_EQ(plan->link[0].text, prefix + "dependency-1.0-0");
  EXPECT_EQ(plan->link[1].text, prefix + "dependent-1.0-0");

  Revision same{
      .number = 2,
      .state = {prefix + "dependency-2.0-0", prefix + "dependent-2.0-0", "pip-99.99.99-py399_0",
                prefix + "python-3.99.99-0", prefix + "sample_noarch_python-1.0-py_0"}};
  plan = plan_revert(same, s2_installed());
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->unlink.empty());
  EXPECT_TRUE(plan->link.empty());

  Revision broken{.number = 0, .state = {"nodist"}};
  EXPECT_EQ(plan_revert(broken, s2_installed()).error().code(), ErrorCode::kInvalidArgument);
  Revision twice{.number = 2, .state = {"c::x-1-0", "c::x-2-0"}};
  auto refused = plan_revert(twice, {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message(),
            "revision 2 holds two packages named 'x': 'c::x-1-0' and 'c::x-2-0'");
}

}  // namespace
}  // namespace graft::env
