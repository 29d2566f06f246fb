#include "env/locations.h"

#include <cstdlib>
#include <ctime>
#include <filesystem>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/strings.h"
#include "env/testing.h"

namespace graft::env {
namespace {

namespace fs = std::filesystem;

TEST(EnvironmentDetails, ReadCreatedAtHistoryAndFrozen) {
  auto dir = base::TempDir::create("graft-env-test-");
  ASSERT_TRUE(dir);
  const fs::path root = dir->path();
  const fs::path prefix = root / "envs" / "ml";
  testing::write_text(prefix / "conda-meta" / "created_at", "1796190282.256741");
  testing::write_text(prefix / "conda-meta" / "frozen", "{}");
  const EnvironmentDetails details = environment_details(root, prefix);
  EXPECT_EQ(details.name, "ml");
  ASSERT_TRUE(details.created.has_value());
  EXPECT_DOUBLE_EQ(*details.created, 1796190282.256741);
  EXPECT_TRUE(details.last_modified.has_value()) << "conda-meta/'s time without a history";
  EXPECT_TRUE(details.frozen);
  EXPECT_TRUE(details.writable);
  const EnvironmentDetails bare = environment_details(root, root / "elsewhere");
  EXPECT_EQ(bare.name, "");
  EXPECT_FALSE(bare.created || bare.last_modified || bare.frozen || bare.writable);
}

TEST(IsoLocalTime, PrintsAsPythonsIsoformat) {
  const char* saved = std::getenv("TZ");
  const std::string old = saved == nullptr ? "" : saved;
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  EXPECT_EQ(iso_local_time(1796190282.256741), "2026-12-02T05:44:42.256741");
  EXPECT_EQ(iso_local_time(1700000000.0), "2023-11-14T22:13:20");
  if (saved == nullptr) {
    ::unsetenv("TZ");
  } else {
    ::setenv("TZ", old.c_str(), 1);
  }
  ::tzset();
}

TEST(RootPrefix, FlagThenGraftThenCondaThenHome) {
  EXPECT_EQ(*root_prefix("/flag/", {{"GRAFT_ROOT_PREFIX", "/g"}}), fs::path("/flag"));
  EXPECT_EQ(*root_prefix("", {{"GRAFT_ROOT_PREFIX", "/g"}, {"CONDA_ROOT_PREFIX", "/c"}}),
            fs::path("/g"));
  EXPECT_EQ(*root_prefix("", {{"CONDA_ROOT_PREFIX", "/c/./x"}, {"HOME", "/h"}}),
            fs::path("/c/x"));
  EXPECT_EQ(*root_prefix("", {{"HOME", "/home/u"}}), fs::path("/home/u/.graft"));
  auto none = root_prefix("", {});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message(), "cannot find the root prefix: HOME is not set");
}

TEST(NamedPrefix, MapsNamesAndRejectsBadOnes) {
  EXPECT_EQ(*named_prefix("/r", "ml"), fs::path("/r/envs/ml"));
  EXPECT_EQ(*named_prefix("/r", "base"), fs::path("/r"));
  struct Case {
    const char* name;
    const char* message;
  };
  for (const Case& c : {Case{"a/b", "'a/b' is not a valid environment name: it contains '/'"},
                        Case{"", "'' is not a valid environment name: it is empty"},
                        Case{"..", "'..' is not a valid environment name: it names a directory link"},
                        Case{"x y", "'x y' is not a valid environment name: it contains ' '"}}) {
    auto result = named_prefix("/r", c.name);
    ASSERT_FALSE(result) << c.name;
    EXPECT_EQ(result.error().message(), c.message);
  }
}

class LocationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = base::TempDir::create("graft-loc-");
    ASSERT_TRUE(dir);
    dir_ = std::make_unique<base::TempDir>(std::move(*dir));
    root_ = dir_->path() / "root";
    fs::create_directories(root_ / "envs/ml-gpu/conda-meta");
    fs::create_directories(root_ / "envs/not-an-env");
  }
  std::unique_ptr<base::TempDir> dir_;
  fs::path root_;
};

TEST_F(LocationsTest, ResolvesNamesPathsAndTheActiveEnvironment) {
  const Environment environment{{"GRAFT_ROOT_PREFIX", root_.string()}};
  EXPECT_EQ(*resolve_existing_prefix({.name = "ml-gpu"}, environment), root_ / "envs/ml-gpu");
  EXPECT_EQ(*resolve_existing_prefix({.path = root_ / "envs/ml-gpu/"}, {}), root_ / "envs/ml-gpu");
  EXPECT_EQ(*resolve_existing_prefix({}, {{"CONDA_PREFIX", (root_ / "envs/ml-gpu").string()}}),
            root_ / "envs/ml-gpu");
  EXPECT_EQ(environment_names(root_), std::vector<std::string>{"ml-gpu"});
}

TEST_F(LocationsTest, EnvsDirsAreSearchedInOrderAndTheFirstTakesNewNames) {
  const fs::path team = dir_->path() / "team-envs";
  fs::create_directories(team / "serving/conda-meta");
  const std::vector<fs::path> dirs{team, root_ / "envs"};
  EXPECT_EQ(*named_prefix(root_, dirs, "serving"), team / "serving");
  EXPECT_EQ(*named_prefix(root_, dirs, "ml-gpu"), root_ / "envs/ml-gpu");
  EXPECT_EQ(*named_prefix(root_, dirs, "fresh"), team / "fresh");
  EXPECT_EQ(*named_prefix(root_, dirs, "base"), root_);
  EXPECT_EQ(environment_names(dirs), (std::vector<std::string>{"ml-gpu", "serving"}));
  const Environment environment{{"GRAFT_ROOT_PREFIX", root_.string()}};
  EXPECT_EQ(*resolve_existing_prefix({.name = "serving", .envs_dirs = dirs}, environment),
            team / "serving");
  auto missing = resolve_existing_prefix({.name = "servin", .envs_dirs = dirs}, environment);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().hint(), "did you mean 'serving'?");
  EXPECT_EQ(known_environments(root_, {}, dirs),
            (std::vector<fs::path>{root_ / "envs/ml-gpu", team / "serving"}));
}

TEST_F(LocationsTest, UnknownNameSuggestsTheClosest) {
  auto result = resolve_existing_prefix({.name = "ml-gpo"}, {{"GRAFT_ROOT_PREFIX", root_.string()}});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(result.error().message(),
            "environment 'ml-gpo' does not exist at " + (root_ / "envs/ml-gpo").string());
  EXPECT_EQ(result.error().hint(), "did you mean 'ml-gpu'?");
  auto both = resolve_existing_prefix({.name = "a", .path = "/b"}, {});
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().message(), "cannot use both -n and -p: pick one");
  auto none = resolve_existing_prefix({}, {});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().hint(), "pass -n NAME or -p PATH");
  auto not_env = resolve_existing_prefix({.path = root_ / "envs/not-an-env"}, {});
  ASSERT_FALSE(not_env);
  EXPECT_EQ(not_env.error().code(), ErrorCode::kNotFound);
}

TEST_F(LocationsTest, RegistryHasNoDuplicatesAndKeepsOtherLines) {
  auto registry = environments_registry({{"HOME", dir_->path().string()}});
  ASSERT_TRUE(registry);
  EXPECT_EQ(*registry, dir_->path() / ".conda/environments.txt");
  testing::write_text(*registry, "/opt/conda\n/opt/conda/envs/old\n");
  ASSERT_TRUE(register_environment(*registry, "/x/envs/a"));
  ASSERT_TRUE(register_environment(*registry, "/x/envs/a/"));
  ASSERT_TRUE(register_environment(*registry, "/x/envs/b"));
  EXPECT_EQ(testing::read_text(*registry),
            "/opt/conda\n/opt/conda/envs/old\n/x/envs/a\n/x/envs/b\n");
  ASSERT_TRUE(unregister_environment(*registry, "/x/envs/a"));
  EXPECT_EQ(testing::read_text(*registry), "/opt/conda\n/opt/conda/envs/old\n/x/envs/b\n");
}

TEST_F(LocationsTest, KnownEnvironmentsJoinRootEnvsAndRegistry) {
  const fs::path registry = dir_->path() / ".conda/environments.txt";
  const fs::path elsewhere = dir_->path() / "projects/app/.env";
  fs::create_directories(elsewhere / "conda-meta");
  fs::create_directories(root_ / "envs/.graft-trash-old-x1/conda-meta");  // hidden: never listed
  testing::write_text(registry, (root_ / "envs/ml-gpu").string() + "\n" + elsewhere.string() +
                                    "/\n/gone/env\nrelative/env\n" +
                                    (root_ / "envs/not-an-env").string() + "\n");
  EXPECT_EQ(known_environments(root_, registry),
            (std::vector<fs::path>{elsewhere, root_ / "envs/ml-gpu"}));
  fs::create_directories(root_ / "conda-meta");  // the root prefix is an environment too
  EXPECT_EQ(known_environments(root_, ""), (std::vector<fs::path>{root_, root_ / "envs/ml-gpu"}));
}

TEST(EnvironmentName, BaseNamedOrUnnamed) {
  EXPECT_EQ(environment_name("/r", "/r/"), "base");
  EXPECT_EQ(environment_name("/r", "/r/envs/ml"), "ml");
  EXPECT_EQ(environment_name("/r/", "/r/envs/./ml/"), "ml");
  EXPECT_EQ(environment_name("/r", "/r/envs/ml/sub"), "");
  EXPECT_EQ(environment_name("/r", "/elsewhere/ml"), "");
}

TEST(ActivePrefix, IsTheNormalCondaPrefix) {
  EXPECT_EQ(active_prefix({{"CONDA_PREFIX", "/r/envs/./ml/"}}), fs::path("/r/envs/ml"));
  EXPECT_EQ(active_prefix({{"CONDA_PREFIX", ""}}), std::nullopt);
  EXPECT_EQ(active_prefix({}), std::nullopt);
}

TEST_F(LocationsTest, RemoveEnvironmentDeletesItAndItsRegistryLine) {
  const fs::path registry = dir_->path() / ".conda/environments.txt";
  const fs::path prefix = root_ / "envs/ml-gpu";
  testing::write_text(prefix / "lib/libx.so", "x");
  ASSERT_TRUE(register_environment(registry, prefix));
  ASSERT_TRUE(register_environment(registry, "/other/env"));
  ASSERT_TRUE(remove_environment(prefix, registry));
  EXPECT_FALSE(fs::exists(prefix));
  EXPECT_EQ(testing::read_text(registry), "/other/env\n");
  std::vector<std::string> left;
  for (const auto& entry : fs::directory_iterator(root_ / "envs")) {
    left.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(left, std::vector<std::string>{"not-an-env"});  // no trash left behind
}

TEST_F(LocationsTest, RemoveEnvironmentThatCannotBeMovedChangesNothing) {
  auto result = remove_environment(root_ / "envs/absent", "");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(base::starts_with(result.error().message(),
                                "cannot remove environment '" + (root_ / "envs/absent").string() +
                                    "': "))
      << result.error().message();
  EXPECT_EQ(environment_names(root_), std::vector<std::string>{"ml-gpu"});
  EXPECT_EQ(std::distance(fs::directory_iterator(root_ / "envs"), fs::directory_iterator()), 2);
}

}  // namespace
}  // namespace graft::env
