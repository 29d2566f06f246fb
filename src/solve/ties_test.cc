// Ties between builds of one version and build number (issue 14): a generated channel of
// ties, each case with the build conda 26 / micromamba 2.8 choose, and step 4's score.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "solve/order.h"
#include "solve/solver.h"
#include "solve/testing.h"

namespace graft::solve {
namespace {

using ::testing::ElementsAre;
using testing::record;
using testing::specs;

conda::PackageRecord build(std::string name, std::string version, std::string build_string,
                           std::vector<std::string> depends, std::int64_t timestamp = 0) {
  auto r = record(std::move(name), std::move(version), std::move(depends), std::move(build_string));
  r.timestamp = timestamp;
  return r;
}

conda::PackageRecord featured(conda::PackageRecord r, std::vector<std::string> features) {
  r.track_features = std::move(features);
  return r;
}

// The generated channel: the packages every case's builds depend on.
std::vector<conda::PackageRecord> base_channel() {
  return {
      build("python", "3.10.14", "h0", {}), build("python", "3.11.9", "h0", {}),
      build("python", "3.12.4", "h0", {}),  build("libx", "1.0.3", "0", {}),
      build("libx", "2.0.1", "0", {}),      build("extra1", "1.0", "0", {}),
      build("extra2", "1.0", "0", {}),      build("extra3", "1.0", "0", {}),
  };
}

// "name-version-build" of every linked record, sorted.
std::vector<std::string> solve_sorted(const std::vector<conda::PackageRecord>& records,
                                      const std::vector<std::string>& install) {
  Request request;
  request.channels = {{.name = "c", .records = base_channel()}};
  for (const auto& r : records) request.channels[0].records.push_back(r);
  request.install = specs(install);
  request.options.add_pip_as_python_dependency = false;
  auto transaction = solve(request);
  if (!transaction) return {"error: " + transaction.error().message()};
  auto out = testing::dists(transaction->link);
  std::sort(out.begin(), out.end());
  return out;
}

struct Case {
  std::string title;
  std::vector<conda::PackageRecord> records;  // as listed in the repodata: winner not first
  std::vector<std::string> install;
  std::vector<std::string> link;  // what conda's order gives, sorted
};

std::vector<Case> tie_cases() {
  const std::vector<conda::PackageRecord> python_variants = {
      build("pkga", "1.0", "py310_0", {"python >=3.10,<3.11", "extra1", "extra2", "extra3"}),
      build("pkga", "1.0", "py311_0", {"python >=3.11,<3.12"}),
      build("pkga", "1.0", "py312_0", {"python >=3.12,<3.13"}),
  };
  return {
      {"python variants: the newest python wins, the extras stay out",
       python_variants,
       {"pkga"},
       {"pkga-1.0-py312_0", "python-3.12.4-h0"}},
      {"python variants: an asked python still decides",
       python_variants,
       {"pkga", "python 3.10.*"},
       {"extra1-1.0-0", "extra2-1.0-0", "extra3-1.0-0", "pkga-1.0-py310_0", "python-3.10.14-h0"}},
      {"dependency versions: libx 2.0 beats libx 1.0",
       {build("app", "1.0", "a", {"libx 1.0.*"}), build("app", "1.0", "b", {"libx 2.0.*"})},
       {"app"},
       {"app-1.0-b", "libx-2.0.1-0"}},
      {"a higher build number wins before dependencies are compared",
       [] {
         auto newer = build("app", "1.0", "a_1", {"libx 1.0.*"});
         newer.build_number = 1;
         return std::vector{build("app", "1.0", "b_0", {"libx 2.0.*"}), newer};
       }(),
       {"app"},
       {"app-1.0-a_1", "libx-1.0.3-0"}},
      {"timestamps: equal dependencies, the newer build wins",
       {build("app", "1.0", "new", {"libx"}, 2000), build("app", "1.0", "old", {"libx"}, 1000)},
       {"app"},
       {"app-1.0-new", "libx-2.0.1-0"}},
      {"dependencies before timestamps",
       {build("app", "1.0", "new", {"libx 1.0.*"}, 2000),
        build("app", "1.0", "old", {"libx 2.0.*"}, 1000)},
       {"app"},
       {"app-1.0-old", "libx-2.0.1-0"}},
      {"extra dependencies neither win nor lose: the timestamp decides",
       {build("app", "1.0", "lean", {"python >=3.12"}, 1000),
        build("app", "1.0", "extras", {"python >=3.12", "extra1"}, 2000)},
       {"app"},
       {"app-1.0-extras", "extra1-1.0-0", "python-3.12.4-h0"}},
      {"features: a featured build loses to a plain one whatever its dependencies",
       {featured(build("app", "1.0", "fast", {"libx 2.0.*"}), {"mkl"}),
        build("app", "1.0", "plain", {"libx 1.0.*"})},
       {"app"},
       {"app-1.0-plain", "libx-1.0.3-0"}},
      {"features: fewer features win",
       {featured(build("app", "1.0", "two", {}), {"mkl", "debug"}),
        featured(build("app", "1.0", "one", {}), {"mkl"})},
       {"app"},
       {"app-1.0-one"}},
      {"a tie whose dependencies are ties: settled by their dependencies",
       {build("mid", "1.0", "x", {"libx 1.0.*"}), build("mid", "1.0", "y", {"libx 2.0.*"}),
        build("top", "1.0", "on_x", {"mid 1.0 x"}), build("top", "1.0", "on_y", {"mid 1.0 y"})},
       {"top"},
       {"libx-2.0.1-0", "mid-1.0-y", "top-1.0-on_y"}},
      {"one dependency newer, another older: even, the timestamp decides",
       {build("app", "1.0", "a", {"libx 2.0.*", "python 3.10.*"}, 2000),
        build("app", "1.0", "b", {"libx 1.0.*", "python 3.12.*"}, 1000)},
       {"app"},
       {"app-1.0-a", "libx-2.0.1-0", "python-3.10.14-h0"}},
      {"a dependency that only featured builds satisfy loses, even to an older one",
       {build("numpy", "1.20", "py38_pypy", {"python_abi 3.8.* *_pypy38"}),
        build("numpy", "1.20", "py37_cp", {"python_abi 3.7.* *_cp37"}),
        featured(build("python_abi", "3.8", "2_pypy38", {}), {"pypy"}),
        build("python_abi", "3.7", "2_cp37", {})},
       {"numpy"},
       {"numpy-1.20-py37_cp", "python_abi-3.7-2_cp37"}},
      {"a dependency cycle compares as equal and still solves",
       {build("cyc", "1.0", "a", {"loop 1.0 a"}, 1000),
        build("cyc", "1.0", "b", {"loop 1.0 b"}, 2000), build("loop", "1.0", "a", {"cyc 1.0 a"}),
        build("loop", "1.0", "b", {"cyc 1.0 b"})},
       {"cyc"},
       {"cyc-1.0-b", "loop-1.0-b"}},
  };
}

TEST(TiesTest, Conda26Order) {
  for (const auto& c : tie_cases()) {
    SCOPED_TRACE(c.title);
    EXPECT_EQ(solve_sorted(c.records, c.install), c.link);
  }
}

TEST(TiesTest, RepodataOrderDoesNotMatter) {
  for (auto c : tie_cases()) {
    SCOPED_TRACE(c.title);
    std::reverse(c.records.begin(), c.records.end());
    EXPECT_EQ(solve_sorted(c.records, c.install), c.link);
  }
}

// Transaction::choices (what `graft create --dry-run -v` logs) for some of the cases.
TEST(TiesTest, ChoicesSayWhyABuildWon) {
  struct Choice {
    std::size_t index;  // into tie_cases()
    std::vector<std::string> lines;
  };
  const std::vector<Choice> choices = {
      {0,
       {"chose pkga-1.0-py312_0 over pkga-1.0-py311_0 (and 1 more of the same version and "
        "build number): its dependencies reach newer 'python'"}},
      {1,
       {"chose pkga-1.0-py310_0 over pkga-1.0-py312_0 (and 1 more of the same version and "
        "build number): the request rules out the builds conda's order prefers"}},
      {2, {"chose app-1.0-b over app-1.0-a: its dependencies reach newer 'libx'"}},
      {3, {}},
      {4,
       {"chose app-1.0-new over app-1.0-old: its dependencies reach no further, and it is the "
        "newer build (timestamp)"}},
      {8, {"chose app-1.0-one over app-1.0-two: fewer track_features"}},
      {9,
       {"chose mid-1.0-y over mid-1.0-x: its dependencies reach newer 'libx'",
        "chose top-1.0-on_y over top-1.0-on_x: its dependencies reach newer 'mid'"}},
  };
  const auto cases = tie_cases();
  for (const auto& choice : choices) {
    const Case& c = cases[choice.index];
    SCOPED_TRACE(c.title);
    Request request;
    request.channels = {{.name = "c", .records = base_channel()}};
    for (const auto& r : c.records) request.channels[0].records.push_back(r);
    request.install = specs(c.install);
    auto transaction = solve(request);
    ASSERT_TRUE(transaction) << transaction.error().message();
    EXPECT_EQ(transaction->choices, choice.lines);
  }
}

TEST(DependencyScoresTest, EachDependencyVotesOnce) {
  using detail::Reach;
  // Three members; dependency 1: member 2 reaches furthest, 0 and 1 tie below it;
  // dependency 2: only member 0 requires it (no vote); dependency 3: member 0 beats 1.
  const std::vector<std::vector<Reach>> reaches = {
      {{.member = 0, .best = 1}, {.member = 1, .best = 1}, {.member = 2, .best = 3}},
      {{.member = 0, .best = 9}},
      {{.member = 0, .best = 5}, {.member = 1, .best = 2}},
  };
  EXPECT_THAT(detail::dependency_scores(3, reaches), ElementsAre(0, -2, 2));
  EXPECT_THAT(detail::dependency_scores(2, {}), ElementsAre(0, 0));
}

}  // namespace
}  // namespace graft::solve
