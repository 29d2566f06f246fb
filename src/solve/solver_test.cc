// solve() on conda's test-recipes channel (conformance/conda/test-recipes/noarch).
#include "solve/solver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "solve/testing.h"

namespace graft::solve {
namespace {

using testing::dists;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::specs;

class TestRecipesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GRAFT_SOLVE_REQUIRE_CONFORMANCE();
    channel_ = {.name = "test-recipes",
                .records = testing::load_repodata("conda/test-recipes/noarch/repodata.json",
                                                  "test-recipes")};
    ASSERT_FALSE(channel_.records.empty());
  }

  Request request(const std::vector<std::string>& install) const {
    Request out;
    out.install = specs(install);
    out.channels = {channel_};
    return out;
  }

  // The channel's records for these dist names, as if installed.
  std::vector<conda::PackageRecord> installed(const std::vector<std::string>& names) const {
    std::vector<conda::PackageRecord> out;
    for (const auto& name : names) {
      for (const auto& record : channel_.records) {
        if (conda::dist_name(record) == name) out.push_back(record);
      }
    }
    EXPECT_EQ(out.size(), names.size());
    return out;
  }

  ChannelRecords channel_;
};

TEST_F(TestRecipesTest, InstallsTheRequestedVersionWithItsDependencyFirst) {
  auto transaction = solve(request({"dependent=1.0"}));
  ASSERT_TRUE(transaction) << transaction.error().message();
  EXPECT_THAT(dists(transaction->link), ElementsAre("dependency-1.0-0", "dependent-1.0-0"));
  EXPECT_THAT(transaction->unlink, IsEmpty());
}

TEST_F(TestRecipesTest, PicksTheNewestVersionByDefault) {
  auto transaction = solve(request({"another_dependent"}));
  ASSERT_TRUE(transaction) << transaction.error().message();
  EXPECT_THAT(dists(transaction->link),
              ElementsAre("dependency-2.0-0", "dependent-2.0-0", "another_dependent-2.0-0"));
}

TEST_F(TestRecipesTest, PythonPullsInPipAsCondaDoes) {
  Request with_pip = request({"python=3.99.99", "sample_noarch_python"});
  auto transaction = solve(with_pip);
  ASSERT_TRUE(transaction) << transaction.error().message();
  EXPECT_THAT(dists(transaction->link), ElementsAre("python-3.99.99-0", "pip-99.99.99-py399_0",
                                                    "sample_noarch_python-1.0-py_0"));
  with_pip.options.add_pip_as_python_dependency = false;
  auto without = solve(with_pip);
  ASSERT_TRUE(without) << without.error().message();
  EXPECT_THAT(dists(without->link),
              ElementsAre("python-3.99.99-0", "sample_noarch_python-1.0-py_0"));
}

TEST_F(TestRecipesTest, ABuildTiedToAnotherVersionIsExplained) {
  auto result = solve(request({"buildstring=1.0=versioned_1", "versioned=2"}));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message(),
            "cannot satisfy the request:\n"
            "- you asked for 'buildstring=1.0=versioned_1'\n"
            "  - buildstring-1.0-versioned_1 requires 'versioned 1.*', which rules out "
            "versioned-2.0-0: only one 'versioned' can be installed\n"
            "- you asked for 'versioned=2'\n");
}

TEST_F(TestRecipesTest, VersionedBuildsFollowTheirDependency) {
  struct Case {
    std::string spec;
    std::vector<std::string> link;
  };
  const std::vector<Case> cases = {
      {"buildstring", {"versioned-2.0-0", "buildstring-1.0-versioned_2"}},
      {"buildstring=1.0=versioned_1", {"versioned-1.0-0", "buildstring-1.0-versioned_1"}},
      {"buildstring[build=versioned_2]", {"versioned-2.0-0", "buildstring-1.0-versioned_2"}},
  };
  for (const auto& c : cases) {
    auto transaction = solve(request({c.spec}));
    ASSERT_TRUE(transaction) << c.spec << ": " << transaction.error().message();
    EXPECT_EQ(dists(transaction->link), c.link) << c.spec;
  }
  // Asking for versioned 1.0 forces the matching build of buildstring.
  auto forced = solve(request({"buildstring", "versioned=1.0"}));
  ASSERT_TRUE(forced) << forced.error().message();
  EXPECT_THAT(dists(forced->link), ElementsAre("versioned-1.0-0", "buildstring-1.0-versioned_1"));
}

TEST_F(TestRecipesTest, RunConstrainedRestrictsWithoutInstalling) {
  auto alone = solve(request({"run_constrained"}));
  ASSERT_TRUE(alone) << alone.error().message();
  EXPECT_THAT(dists(alone->link), ElementsAre("run_constrained-1.0-0"));

  auto steered = solve(request({"run_constrained", "dependent"}));
  ASSERT_TRUE(steered) << steered.error().message();
  EXPECT_THAT(dists(steered->link),
              ElementsAre("dependency-2.0-0", "dependent-2.0-0", "run_constrained-1.0-0"));

  auto clash = solve(request({"dependent=1.0", "run_constrained"}));
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code(), ErrorCode::kConflict);
  EXPECT_EQ(clash.error().message(),
            "cannot satisfy the request:\n"
            "- you asked for 'dependent=1.0'\n"
            "  - dependent-1.0-0 requires 'dependency >=1.0,<2.0a0', which only "
            "dependency-1.0-0 provides\n"
            "- you asked for 'run_constrained'\n"
            "  - run_constrained-1.0-0 constrains 'dependency>=2.0', which rules out "
            "dependency-1.0-0\n");
}

TEST_F(TestRecipesTest, ExplainsAnUnsatisfiablePackage) {
  auto result = solve(request({"unsatisfiable"}));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::kConflict);
  EXPECT_EQ(result.error().message(),
            "cannot satisfy the request:\n"
            "- you asked for 'unsatisfiable'\n"
            "  - unsatisfiable-1.0-0 requires 'versioned <1.0', but nothing matches it: "
            "'versioned' versions available: 2.0, 1.0\n");
}

TEST_F(TestRecipesTest, ARequestNothingMatchesListsTheVersionsThatExist) {
  // conda: PackagesNotFoundInChannelsError ... versioned[version='<1.0'] (s2_unsat.err).
  auto result = solve(request({"versioned<1.0"}));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(result.error().message(),
            "no package in the channels matches the request:\n"
            "- you asked for 'versioned<1.0'\n"
            "  - nothing matches it: 'versioned' versions available: 2.0, 1.0\n");
}

TEST_F(TestRecipesTest, AnUnknownNameSuggestsTheClosestOne) {
  auto result = solve(request({"dependnt"}));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(result.error().message(), "package 'dependnt' is not available from the channels");
  EXPECT_EQ(result.error().hint(), "did you mean 'dependent'?");
}

TEST_F(TestRecipesTest, InstalledPackagesAreKeptWhenTheyStillFit) {
  Request keep = request({"another_dependent"});
  keep.installed = installed({"dependency-1.0-0", "dependent-1.0-0"});
  auto transaction = solve(keep);
  ASSERT_TRUE(transaction) << transaction.error().message();
  EXPECT_THAT(dists(transaction->link), ElementsAre("another_dependent-2.0-0"));
  EXPECT_THAT(transaction->unlink, IsEmpty());
}

TEST_F(TestRecipesTest, InstallingANewerVersionReplacesTheOldOnes) {
  // conformance oracle s2_update: dependency and dependent 1.0 -> 2.0.
  Request upgrade = request({"dependent=2.0"});
  upgrade.installed = installed({"dependency-1.0-0", "dependent-1.0-0"});
  auto transaction = solve(upgrade);
  ASSERT_TRUE(transaction) << transaction.error().message();
  EXPECT_THAT(dists(transaction->link), ElementsAre("dependency-2.0-0", "dependent-2.0-0"));
  EXPECT_THAT(dists(transaction->unlink), ElementsAre("dependent-1.0-0", "dependency-1.0-0"));
}

TEST_F(TestRecipesTest, UpdateMovesNamedOrAllPackagesToTheBest) {
  Request update = request({});
  update.installed = installed({"dependency-1.0-0", "dependent-1.0-0", "versioned-1.0-0"});
  update.update = specs({"dependent"});
  auto named = solve(update);
  ASSERT_TRUE(named) << named.error().message();
  EXPECT_THAT(dists(named->link), ElementsAre("dependency-2.0-0", "dependent-2.0-0"));

  update.update.clear();
  update.update_all = true;
  auto all = solve(update);
  ASSERT_TRUE(all) << all.error().message();
  EXPECT_THAT(dists(all->link),
              ElementsAre("dependency-2.0-0", "dependent-2.0-0", "versioned-2.0-0"));
  EXPECT_EQ(all->unlink.size(), 3u);

  update.update_all = false;
  auto nothing = solve(update);
  ASSERT_TRUE(nothing) << nothing.error().message();
  EXPECT_TRUE(nothing->empty());
}

TEST_F(TestRecipesTest, FrozenInstalledPackagesExplainTheConflict) {
  Request frozen = request({"dependent=2.0"});
  frozen.installed = installed({"dependency-1.0-0"});
  frozen.options.update_scope = UpdateScope::kFreezeInstalled;
  auto result = solve(frozen);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::kConflict);
  EXPECT_EQ(result.error().message(),
            "cannot satisfy the request:\n"
            "- you asked for 'dependent=2.0'\n"
            "  - dependent-2.0-0 requires 'dependency >=2.0,<3.0a0', which rules out "
            "dependency-1.0-0 (installed): only one 'dependency' can be installed\n"
            "- dependency-1.0-0 (installed) is installed and kept as it is\n");
}

TEST_F(TestRecipesTest, RemoveTakesDependentsAlong) {
  Request remove = request({});
  remove.installed = installed(
      {"dependency-1.0-0", "dependent-1.0-0", "another_dependent-1.0-0", "versioned-1.0-0"});
  remove.remove = specs({"dependency"});
  auto transaction = solve(remove);
  ASSERT_TRUE(transaction) << transaction.error().message();
  EXPECT_THAT(transaction->link, IsEmpty());
  EXPECT_THAT(dists(transaction->unlink),
              ElementsAre("another_dependent-1.0-0", "dependent-1.0-0", "dependency-1.0-0"));

  remove.remove = specs({"another_dependent"});
  auto leaf = solve(remove);
  ASSERT_TRUE(leaf) << leaf.error().message();
  EXPECT_THAT(dists(leaf->unlink), ElementsAre("another_dependent-1.0-0"));

  remove.remove = specs({"python"});
  auto absent = solve(remove);
  ASSERT_FALSE(absent);
  EXPECT_EQ(absent.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(absent.error().message(), "cannot remove 'python': no installed package matches it");
}

TEST_F(TestRecipesTest, PinsHoldBackAndExplainConflicts) {
  Request pinned = request({"dependent"});
  pinned.pins = specs({"dependency 1.*"});
  auto held = solve(pinned);
  ASSERT_TRUE(held) << held.error().message();
  EXPECT_THAT(dists(held->link), ElementsAre("dependency-1.0-0", "dependent-1.0-0"));

  pinned.install = specs({"dependent=2.0"});
  auto clash = solve(pinned);
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code(), ErrorCode::kConflict);
  EXPECT_EQ(clash.error().message(),
            "cannot satisfy the request:\n"
            "- you asked for 'dependent=2.0'\n"
            "  - dependent-2.0-0 requires 'dependency >=2.0,<3.0a0', which only "
            "dependency-2.0-0 provides\n"
            "- 'dependency 1.*' is pinned, which rules out dependency-2.0-0\n");
}

}  // namespace
}  // namespace graft::solve
