// Hostile and careless packages can not write, overwrite or delete anything outside the
// prefix: names that climb out (entry points, paths, has_prefix, link script names, noarch
// targets, conda-meta records), and symlinks of several packages that combine into a way out
// (A ships `x/y -> ..`, B `x/y/z -> ..`, C writes `x/y/z/evil.txt`).
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "env/link_scripts.h"
#include "env/linker.h"
#include "env/prefix_data.h"
#include "env/prefix_fs.h"
#include "env/testing.h"
#include "env/transaction.h"

namespace graft::env {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::read_text;
using testing::write_text;

class EscapeTest : public testing::ScratchTest {
 protected:
  void SetUp() override {
    ScratchTest::SetUp();
    prefix_ = dir_->path() / "envs/env";
    fs::create_directories(prefix_);
  }

  PackageToLink package(const testing::TestPackage& spec) {
    return {.info = testing::load(testing::make_package(pkgs_, spec))};
  }

  Status link(const std::vector<PackageToLink>& packages, Journal* journal = nullptr) {
    LinkTarget target{.write_prefix = prefix_, .final_prefix = prefix_, .threads = 1};
    auto linked = link_packages(packages, target, journal);
    if (!linked) return fail(linked.error());
    return ok();
  }

  // Every entry of the scratch directory outside the prefix and the package cache.
  std::vector<std::string> outside() const {
    std::vector<std::string> found;
    for (const auto& entry : fs::recursive_directory_iterator(dir_->path())) {
      const std::string relative = fs::relative(entry.path(), dir_->path()).string();
      if (relative.rfind("pkgs", 0) == 0 || relative.rfind("envs", 0) == 0) continue;
      found.push_back(relative);
    }
    return found;
  }

  PackageToLink symlink_a() { return package({.name = "a", .symlinks = {{"x/y", ".."}}}); }
  PackageToLink symlink_b() { return package({.name = "b", .symlinks = {{"x/y/z", ".."}}}); }
  PackageToLink writer_c() {
    return package({.name = "c", .files = {{"x/y/z/evil.txt", "pwned\n"}}});
  }

  fs::path prefix_;
};

TEST_F(EscapeTest, EntryPointThatClimbsOutIsRefusedAndNothingIsWritten) {
  write_text(dir_->path() / "victim.txt", "precious\n");
  PackageToLink tool = package({.name = "tool",
                                .files = {{"site-packages/tool/__init__.py", "def main(): pass\n"}},
                                .noarch = conda::NoarchKind::kPython,
                                .entry_points = {"../../../victim.txt = tool:main"}});
  LinkTarget target{
      .write_prefix = prefix_,
      .final_prefix = prefix_,
      .python = PythonTarget{.version = "3.12", .site_packages = "lib/python3.12/site-packages"}};
  auto linked = link_packages({tool}, target, nullptr);
  ASSERT_FALSE(linked);
  EXPECT_EQ(linked.error().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(linked.error().message(),
            "linking 'tool-1.0-py_0': unsafe path: 'bin/../../../victim.txt' has a '..' component");
  EXPECT_EQ(read_text(dir_->path() / "victim.txt"), "precious\n");
  EXPECT_TRUE(fs::is_empty(prefix_));
}

TEST_F(EscapeTest, NoarchSitePackagesOutsideThePrefixIsRefused) {
  PackageToLink tool = package({.name = "tool",
                                .files = {{"site-packages/tool.py", "x = 1\n"}},
                                .noarch = conda::NoarchKind::kPython});
  LinkTarget target{.write_prefix = prefix_,
                    .final_prefix = prefix_,
                    .python = PythonTarget{.version = "3.12", .site_packages = "../../site"}};
  auto linked = link_packages({tool}, target, nullptr);
  ASSERT_FALSE(linked);
  EXPECT_EQ(linked.error().message(),
            "linking 'tool-1.0-py_0': unsafe path: '../../site/tool.py' has a '..' component");
  EXPECT_EQ(outside(), std::vector<std::string>{});
}

TEST_F(EscapeTest, HasPrefixPathThatClimbsOutIsRefused) {
  const fs::path extracted =
      testing::make_package(pkgs_, {.name = "legacy", .files = {{"a.txt", "a"}}});
  fs::remove(extracted / "info/paths.json");
  write_text(extracted / "info/files", "a.txt\n");
  write_text(extracted / "info/has_prefix", "/opt/anaconda1anaconda2anaconda3 text ../../a.txt\n");
  auto info = read_package_info(extracted);
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(info.error().message(), "'" + (extracted / "info/has_prefix").string() +
                                        "': '../../a.txt' has a '..' component");
}

TEST_F(EscapeTest, LinkScriptOfANameThatClimbsOutDoesNotRun) {
  write_text(dir_->path() / "evil-post-link.sh", "touch \"$PREFIX/../ran\"\n");
  conda::PackageRecord record;
  record.name = "./../../evil";  // bin/.<name>-post-link.sh is bin/../../../evil-post-link.sh
  record.version = "1";
  record.build = "0";
  ScriptContext context{.prefix = prefix_, .script_root = prefix_};
  auto outcome = run_link_script(record, ScriptAction::kPostLink, context);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().message(),
            "package name './../../evil' cannot name a file: it has a '/'");
  EXPECT_FALSE(fs::exists(dir_->path() / "envs/ran"));
}

TEST_F(EscapeTest, RemoveNeverDeletesWhatARecordListsOutsideThePrefix) {
  write_text(dir_->path() / "victim.txt", "precious\n");
  fs::create_symlink("../..", prefix_ / "up");  // a symlink out, as a package could ship
  write_text(prefix_ / "share/mine.txt", "mine\n");
  conda::PrefixRecord record =
      testing::installed_record("pkg", {"share/mine.txt", "up/victim.txt"});
  ASSERT_TRUE(write_record(prefix_, record));
  ASSERT_TRUE(unlink_package(prefix_, record, nullptr));
  EXPECT_EQ(read_text(dir_->path() / "victim.txt"), "precious\n");
  EXPECT_FALSE(fs::exists(prefix_ / "share/mine.txt"));

  record.files = {"share/other.txt", "../../victim.txt"};
  write_text(prefix_ / "share/other.txt", "other\n");
  auto refused = unlink_package(prefix_, record, nullptr);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kCorrupt);
  EXPECT_THAT(refused.error().message(),
              HasSubstr("names an unsafe path: '../../victim.txt' has a '..' component"));
  EXPECT_EQ(read_text(dir_->path() / "victim.txt"), "precious\n");
  EXPECT_TRUE(fs::exists(prefix_ / "share/other.txt"))
      << "nothing is removed when one path is unsafe";
}

TEST_F(EscapeTest, RemoveThroughTheJournalNeverMovesAsideOutsideThePrefix) {
  write_text(dir_->path() / "victim.txt", "precious\n");
  fs::create_symlink("../..", prefix_ / "up");
  const conda::PrefixRecord record = testing::installed_record("pkg", {"up/victim.txt"});
  Journal journal(prefix_);
  ASSERT_TRUE(unlink_package(prefix_, record, &journal));
  ASSERT_TRUE(journal.commit());
  EXPECT_EQ(read_text(dir_->path() / "victim.txt"), "precious\n");
}

// Each package's symlink stays inside its own package; together they lead out.
TEST_F(EscapeTest, SymlinksOfThreePackagesInOneTransactionAreRefused) {
  auto status = link({symlink_a(), symlink_b(), writer_c()});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code(), ErrorCode::kConflict);
  EXPECT_EQ(status.error().message(),
            "linking 'b-1.0-0': cannot place 'x/y/z': 'x/y' is a symlink of 'a-1.0-0', not a "
            "directory");
  EXPECT_EQ(outside(), std::vector<std::string>{});
}

TEST_F(EscapeTest, SymlinksOfPackagesLinkedOneAfterAnotherAreRefused) {
  ASSERT_TRUE(link({symlink_a()}));
  auto b = link({symlink_b()});
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code(), ErrorCode::kConflict);
  EXPECT_EQ(b.error().message(), "linking 'b-1.0-0': cannot make directory 'x/y': it is a symlink");
  auto c = link({writer_c()});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message(), "linking 'c-1.0-0': cannot make directory 'x/y': it is a symlink");
  EXPECT_EQ(outside(), std::vector<std::string>{});
}

TEST_F(EscapeTest, AFileIsNeverPlacedThroughASymlinkedParent) {
  // A symlinked directory the linker did not make (here: made by hand after the directories
  // were created) is refused when the file is placed, with the openat() walk too.
  for (const bool walk : {false, true}) {
    force_component_walk_for_testing(walk);
    fs::remove_all(prefix_);
    fs::create_directories(prefix_ / "x");
    fs::create_symlink("../..", prefix_ / "x/y");
    auto root = PrefixRoot::open(prefix_);
    ASSERT_TRUE(root);
    DirectoryCursor cursor(*root, Symlinks::kRefuse);
    auto parent = cursor.parent_of("x/y/evil.txt");
    ASSERT_FALSE(parent) << "walk " << walk;
    EXPECT_EQ(parent.error().message(), "'x/y' is a symlink, not a directory") << "walk " << walk;
  }
  force_component_walk_for_testing(false);
  EXPECT_EQ(outside(), std::vector<std::string>{});
}

}  // namespace
}  // namespace graft::env
