#include "solve/sat.h"

#include <algorithm>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace graft::solve::sat {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A tiny problem builder: keys are "name" (any package of that name) or "name!rank"
// (a package of that name whose rank is not `rank`).
class Builder {
 public:
  Builder() {
    problem_.repos.push_back({.name = "installed", .installed = true});
    problem_.resolve = [this](KeyIndex key, std::vector<PackageIndex>& out) {
      const std::string& text = problem_.keys[key];
      auto bang = text.find('!');
      std::string name = text.substr(0, bang);
      for (PackageIndex i = 0; i < problem_.packages.size(); ++i) {
        const Package& package = problem_.packages[i];
        if (package.name != name) continue;
        if (bang != std::string::npos && std::to_string(package.rank) == text.substr(bang + 1)) {
          continue;
        }
        out.push_back(i);
      }
    };
  }
  std::uint32_t repo(std::string name, int priority) {
    problem_.repos.push_back({.name = std::move(name), .priority = priority});
    return static_cast<std::uint32_t>(problem_.repos.size() - 1);
  }
  KeyIndex key(const std::string& text) {
    auto found = std::find(problem_.keys.begin(), problem_.keys.end(), text);
    if (found != problem_.keys.end()) return static_cast<KeyIndex>(found - problem_.keys.begin());
    problem_.keys.push_back(text);
    return static_cast<KeyIndex>(problem_.keys.size() - 1);
  }
  PackageIndex add(std::string name, std::uint32_t rank, std::uint32_t repo,
                   std::vector<std::string> depends = {}, std::vector<std::string> conflicts = {}) {
    Package package{.name = std::move(name), .rank = rank, .repo = repo};
    for (const auto& text : depends) package.depends.push_back(key(text));
    for (const auto& text : conflicts) package.conflicts.push_back(key(text));
    problem_.packages.push_back(std::move(package));
    return static_cast<PackageIndex>(problem_.packages.size() - 1);
  }
  void job(JobKind kind, std::uint32_t target) { problem_.jobs.push_back({kind, target}); }
  Problem& problem() { return problem_; }

 private:
  Problem problem_;
};

TEST(SatTest, InstallsBestRankAndItsDependencies) {
  Builder b;
  auto channel = b.repo("channel", 0);
  b.add("lib", 1, channel);
  auto lib2 = b.add("lib", 2, channel);
  b.add("app", 1, channel, {"lib"});
  auto app2 = b.add("app", 2, channel, {"lib"});
  b.job(JobKind::kInstall, b.key("app"));
  Outcome outcome = solve_sat(b.problem());
  ASSERT_TRUE(outcome.solved);
  EXPECT_THAT(outcome.installed, ElementsAre(lib2, app2));
}

TEST(SatTest, ConflictsExcludeMatchedPackages) {
  Builder b;
  auto channel = b.repo("channel", 0);
  auto lib1 = b.add("lib", 1, channel);
  b.add("lib", 2, channel);
  auto app = b.add("app", 1, channel, {"lib"}, {"lib!1"});  // only lib rank 1 allowed
  b.job(JobKind::kInstall, b.key("app"));
  Outcome outcome = solve_sat(b.problem());
  ASSERT_TRUE(outcome.solved);
  EXPECT_THAT(outcome.installed, ElementsAre(lib1, app));
}

TEST(SatTest, ReportsNothingMatchesWithTheDependencyKey) {
  Builder b;
  auto channel = b.repo("channel", 0);
  auto app = b.add("app", 1, channel, {"missing"});
  b.job(JobKind::kInstall, b.key("app"));
  Outcome outcome = solve_sat(b.problem());
  ASSERT_FALSE(outcome.solved);
  ASSERT_EQ(outcome.problems.size(), 1u);
  bool found = false;
  for (const Rule& rule : outcome.problems[0]) {
    if (rule.kind != RuleKind::kNothingMatches) continue;
    found = true;
    EXPECT_EQ(rule.source, app);
    ASSERT_TRUE(rule.key.has_value());
    EXPECT_EQ(b.problem().keys[*rule.key], "missing");
  }
  EXPECT_TRUE(found);
}

TEST(SatTest, JobThatNothingMatchesNamesTheJob) {
  Builder b;
  b.repo("channel", 0);
  b.job(JobKind::kInstall, b.key("ghost"));
  Outcome outcome = solve_sat(b.problem());
  ASSERT_FALSE(outcome.solved);
  ASSERT_EQ(outcome.problems.size(), 1u);
  ASSERT_EQ(outcome.problems[0].size(), 1u);
  EXPECT_EQ(outcome.problems[0][0].kind, RuleKind::kJobNothingMatches);
  EXPECT_EQ(outcome.problems[0][0].job, 0u);
}

TEST(SatTest, ConflictingJobsAreReportedAsJobRules) {
  Builder b;
  auto channel = b.repo("channel", 0);
  b.add("lib", 1, channel);
  b.add("lib", 2, channel);
  b.job(JobKind::kInstall, b.key("lib!1"));  // only rank 2
  b.job(JobKind::kInstall, b.key("lib!2"));  // only rank 1
  Outcome outcome = solve_sat(b.problem());
  ASSERT_FALSE(outcome.solved);
  ASSERT_EQ(outcome.problems.size(), 1u);
  std::vector<std::uint32_t> jobs;
  bool same_name = false;
  for (const Rule& rule : outcome.problems[0]) {
    if (rule.kind == RuleKind::kJob) {
      ASSERT_TRUE(rule.job.has_value());
      EXPECT_FALSE(rule.source.has_value());  // libsolv gives job indices there, not packages
      EXPECT_FALSE(rule.target.has_value());
      jobs.push_back(*rule.job);
    }
    same_name = same_name || rule.kind == RuleKind::kSameName;
  }
  std::sort(jobs.begin(), jobs.end());
  EXPECT_THAT(jobs, ElementsAre(0u, 1u));
  EXPECT_TRUE(same_name);
}

TEST(SatTest, StrictPriorityHidesLowerRepos) {
  Builder b;
  auto high = b.repo("high", 2);
  auto low = b.repo("low", 1);
  auto lib_high = b.add("lib", 1, high);
  b.add("lib", 5, low);
  b.job(JobKind::kInstall, b.key("lib!1"));
  b.problem().strict_repo_priority = true;
  EXPECT_FALSE(solve_sat(b.problem()).solved);
  b.problem().strict_repo_priority = false;
  b.problem().jobs.clear();
  b.job(JobKind::kInstall, b.key("lib"));
  Outcome flexible = solve_sat(b.problem());
  ASSERT_TRUE(flexible.solved);
  EXPECT_THAT(flexible.installed, ElementsAre(lib_high));  // priority beats rank
}

TEST(SatTest, InstalledPackagesStayUnlessUpdated) {
  Builder b;
  auto channel = b.repo("channel", 0);
  auto old_lib = b.add("lib", 1, 0);
  b.add("lib", 1, channel);
  auto new_lib = b.add("lib", 2, channel);
  b.job(JobKind::kInstall, b.key("lib"));
  Outcome kept = solve_sat(b.problem());
  ASSERT_TRUE(kept.solved);
  EXPECT_THAT(kept.installed, ElementsAre(old_lib));
  b.problem().jobs.clear();
  b.job(JobKind::kUpdateAll, 0);
  Outcome updated = solve_sat(b.problem());
  ASSERT_TRUE(updated.solved);
  EXPECT_THAT(updated.installed, ElementsAre(new_lib));
}

TEST(SatTest, EraseRemovesDependentsOnlyWhenAllowed) {
  Builder b;
  b.repo("channel", 0);
  auto lib = b.add("lib", 1, 0);
  b.add("app", 1, 0, {"lib"});
  b.job(JobKind::kErase, lib);
  EXPECT_FALSE(solve_sat(b.problem()).solved);
  b.problem().allow_uninstall = true;
  Outcome outcome = solve_sat(b.problem());
  ASSERT_TRUE(outcome.solved);
  EXPECT_THAT(outcome.installed, IsEmpty());
}

}  // namespace
}  // namespace graft::solve::sat
