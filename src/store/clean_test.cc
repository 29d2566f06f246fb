#include "store/clean.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/fs.h"
#include "store/test_packages.h"

namespace graft::store {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::list_dir;

std::vector<std::string> names(const std::vector<CacheEntry>& entries) {
  std::vector<std::string> result;
  for (const CacheEntry& entry : entries) result.push_back(entry.name);
  return result;
}

class CleanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto root = base::TempDir::create("graft-clean-test-");
    ASSERT_TRUE(root.has_value());
    root_ = std::move(*root);
    pkgs_ = root_->path() / "pkgs";
    ASSERT_TRUE(base::make_directories(pkgs_));
  }
  void write(const fs::path& file, const std::string& content) {
    ASSERT_TRUE(base::make_directories(file.parent_path()));
    ASSERT_TRUE(base::write_file_atomic(file, content, base::Durability::kNoFsync));
  }
  // An extracted package `name` whose payload is `bytes` bytes (plus a 2-byte index.json).
  fs::path package(const std::string& name, std::size_t bytes) {
    write(pkgs_ / name / "info/index.json", "{}");
    write(pkgs_ / name / "lib/payload.so", std::string(bytes, 'x'));
    return pkgs_ / name;
  }
  // Hard-links `file` into a fake environment, as create does.
  void link_into_environment(const fs::path& file) {
    const fs::path target = root_->path() / "env" / file.filename();
    ASSERT_TRUE(base::make_directories(target.parent_path()));
    ASSERT_EQ(::link(file.c_str(), target.c_str()), 0);
  }
  CleanPlan plan(CleanTargets targets, std::set<fs::path> referenced = {}) {
    const std::vector<fs::path> dirs = {pkgs_};
    return plan_clean(dirs, {.targets = targets, .referenced_packages = std::move(referenced)});
  }

  std::optional<base::TempDir> root_;
  fs::path pkgs_;
};

TEST_F(CleanTest, TarballsAreArchivesAndPartialDownloadsNotLinkedElsewhere) {
  write(pkgs_ / "zlib-1.2.11-0.conda", std::string(100, 'z'));
  write(pkgs_ / "zlib-1.2.11-0.tar.bz2", std::string(30, 'b'));
  write(pkgs_ / "numpy-2.0-0.conda.part", std::string(7, 'p'));
  write(pkgs_ / "linked-1-0.conda", "l");
  link_into_environment(pkgs_ / "linked-1-0.conda");
  write(pkgs_ / "urls.txt", "https://x/zlib-1.2.11-0.conda\n");
  write(pkgs_ / ".conda", "not an archive");
  write(pkgs_ / ".graft-tmp-zlib-1.2.11-0.conda-abc", "in progress");
  package("zlib-1.2.11-0", 10);

  const CleanPlan result = plan({.tarballs = true});
  EXPECT_THAT(names(result.tarballs),
              ElementsAre("numpy-2.0-0.conda.part", "zlib-1.2.11-0.conda", "zlib-1.2.11-0.tar.bz2"));
  EXPECT_EQ(result.tarballs[1], (CacheEntry{.pkgs_dir = pkgs_, .name = "zlib-1.2.11-0.conda",
                                            .bytes = 100}));
  EXPECT_THAT(result.packages, IsEmpty());
  EXPECT_THAT(result.index_caches, IsEmpty());
  EXPECT_THAT(result.warnings, IsEmpty());
}

TEST_F(CleanTest, PackagesInUseByLinksOrRecordsAreKept) {
  const fs::path linked = package("linked-1.0-0", 50);
  link_into_environment(linked / "lib/payload.so");
  const fs::path copied = package("copied-1.0-0", 60);
  package("unused-1.0-0", 70);
  write(pkgs_ / "not-a-package/lib/x", "x");  // no info/: not conda's
  package(".graft-tmp-extracting-1.0-0", 5);   // another process's work in progress

  const CleanPlan result = plan({.packages = true}, {copied.string() + "/"});
  EXPECT_THAT(names(result.packages), ElementsAre("unused-1.0-0"));
  EXPECT_EQ(result.packages[0].bytes, 72u);
  EXPECT_THAT(names(result.kept_packages), ElementsAre("copied-1.0-0", "linked-1.0-0"));
  EXPECT_THAT(result.tarballs, IsEmpty());
  EXPECT_TRUE(package_in_use(linked, {}));
  EXPECT_TRUE(package_in_use(copied, {copied}));
  EXPECT_FALSE(package_in_use(pkgs_ / "unused-1.0-0", {copied}));
}

TEST_F(CleanTest, IndexCacheIsTheCacheDirectory) {
  write(pkgs_ / "cache/497deca9.json", std::string(40, 'r'));
  write(pkgs_ / "cache/497deca9.info.json", std::string(2, 'i'));
  const CleanPlan result = plan({.index_cache = true});
  ASSERT_THAT(names(result.index_caches), ElementsAre("cache"));
  EXPECT_EQ(result.index_caches[0].bytes, 42u);
  EXPECT_THAT(plan({.tarballs = true, .packages = true}).index_caches, IsEmpty());
}

TEST_F(CleanTest, MissingReadOnlyAndRepeatedDirectoriesAreSkipped) {
  write(pkgs_ / "a-1-0.conda", "a");
  const fs::path read_only = root_->path() / "ro";
  write(read_only / "b-1-0.conda", "b");
  ASSERT_EQ(::chmod(read_only.c_str(), 0555), 0);
  const bool root_user = ::geteuid() == 0;  // root may write anywhere
  const std::vector<fs::path> dirs = {pkgs_, root_->path() / "absent", read_only,
                                      pkgs_.string() + "/."};
  const CleanPlan result = plan_clean(dirs, {.targets = {.tarballs = true}});
  ::chmod(read_only.c_str(), 0755);
  const std::vector<std::string> expected =
      root_user ? std::vector<std::string>{"a-1-0.conda", "b-1-0.conda"}
                : std::vector<std::string>{"a-1-0.conda"};
  EXPECT_EQ(names(result.tarballs), expected);
}

TEST_F(CleanTest, ExecuteRemovesWhatWasPlannedAndReportsBytes) {
  write(pkgs_ / "zlib-1.2.11-0.conda", std::string(100, 'z'));
  write(pkgs_ / "cache/497deca9.json", std::string(40, 'r'));
  package("unused-1.0-0", 70);
  const fs::path linked = package("linked-1.0-0", 50);
  link_into_environment(linked / "lib/payload.so");
  write(pkgs_ / "urls.txt", "u\n");

  const CleanPlan planned = plan({.tarballs = true, .index_cache = true, .packages = true});
  auto result = execute_clean(planned, {});
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_THAT(result->removed, ElementsAre(pkgs_ / "zlib-1.2.11-0.conda", pkgs_ / "cache",
                                           pkgs_ / "unused-1.0-0"));
  EXPECT_EQ(result->bytes_freed, 100u + 40u + 72u);
  EXPECT_THAT(result->skipped, IsEmpty());
  // Only the package in use, urls.txt and the cache's own lock files remain.
  std::vector<std::string> left;
  for (const std::string& name : list_dir(pkgs_)) {
    if (name[0] != '.' || name.find("tmp") != std::string::npos) left.push_back(name);
  }
  EXPECT_THAT(left, ElementsAre("linked-1.0-0", "urls.txt"));
}

TEST_F(CleanTest, PackageThatCameIntoUseAfterPlanningIsKept) {
  const fs::path late = package("late-1.0-0", 10);
  write(pkgs_ / "gone-1-0.conda", "g");
  const CleanPlan planned = plan({.tarballs = true, .packages = true});
  ASSERT_THAT(names(planned.packages), ElementsAre("late-1.0-0"));
  link_into_environment(late / "lib/payload.so");  // a create linked it meanwhile
  fs::remove(pkgs_ / "gone-1-0.conda");            // someone else removed it
  auto result = execute_clean(planned, {});
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_THAT(result->removed, IsEmpty());
  EXPECT_THAT(result->skipped, ElementsAre(pkgs_ / "gone-1-0.conda", late));
  EXPECT_EQ(result->bytes_freed, 0u);
  EXPECT_TRUE(fs::exists(late / "lib/payload.so"));
}

TEST_F(CleanTest, WaitsForTheCacheLockAndGivesUp) {
  package("unused-1.0-0", 10);
  const CleanPlan planned = plan({.packages = true});
  auto holder = PackageCache::open({pkgs_});
  ASSERT_TRUE(holder.has_value());
  auto lock = holder->lock_exclusive();
  ASSERT_TRUE(lock.has_value());
  auto result = execute_clean(planned, {}, {.lock_timeout = std::chrono::milliseconds(50)});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), ErrorCode::kUnavailable);
  EXPECT_TRUE(fs::exists(pkgs_ / "unused-1.0-0/info/index.json"));
}

TEST_F(CleanTest, WaitsUntilNoOtherProcessHasTheCacheOpen) {
  // A create that found this package in the cache holds the cache open until it has linked
  // it: clean must not take the package away in between.
  package("unused-1.0-0", 10);
  const CleanPlan planned = plan({.packages = true});
  auto in_use = PackageCache::open({pkgs_});
  ASSERT_TRUE(in_use.has_value());
  auto refused = execute_clean(planned, {}, {.lock_timeout = std::chrono::milliseconds(50)});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), ErrorCode::kUnavailable);
  EXPECT_THAT(refused.error().message(), ::testing::HasSubstr("in use by another graft process"));
  EXPECT_TRUE(fs::exists(pkgs_ / "unused-1.0-0/info/index.json"));

  in_use = fail(ErrorCode::kInvalidArgument, "closed");  // the create has finished
  auto removed = execute_clean(planned, {}, {.lock_timeout = std::chrono::milliseconds(50)});
  ASSERT_TRUE(removed.has_value()) << removed.error().message();
  EXPECT_FALSE(fs::exists(pkgs_ / "unused-1.0-0"));
}

TEST_F(CleanTest, ACacheOpenOnSeveralDirectoriesHoldsEveryWritableOne) {
  const fs::path second = root_->path() / "pkgs2";
  ASSERT_TRUE(base::make_directories(second / "unused-1.0-0/info"));
  write(second / "unused-1.0-0/info/index.json", "{}");
  const std::vector<fs::path> dirs = {second};
  const CleanPlan planned = plan_clean(dirs, {.targets = {.packages = true}});
  auto in_use = PackageCache::open({pkgs_, second});
  ASSERT_TRUE(in_use.has_value());
  auto refused = execute_clean(planned, {}, {.lock_timeout = std::chrono::milliseconds(50)});
  ASSERT_FALSE(refused.has_value());
  EXPECT_TRUE(fs::exists(second / "unused-1.0-0/info/index.json"));
}

}  // namespace
}  // namespace graft::store
