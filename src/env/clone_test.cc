#include "env/clone.h"

#include <sys/stat.h>

#include <filesystem>
#include <memory>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/fs.h"
#include "env/frozen.h"
#include "env/prefix_data.h"
#include "env/testing.h"
#include "env/transaction.h"

namespace graft::env {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::make_package;
using testing::read_text;
using testing::TestPackage;
using testing::write_text;

const std::string kPlaceholder = "/opt/anaconda1anaconda2anaconda3";

class CloneTest : public testing::ScratchTest {
 protected:
  void SetUp() override {
    ScratchTest::SetUp();
    source_ = dir_->path() / "envs" / "a";
    target_ = dir_->path() / "envs" / "b";
  }

  // Environment `a` with one package: a placeholder text file, a plain file, a symlink.
  void make_source() {
    TestPackage spec{.name = "tool",
                     .files = {{"etc/tool.conf", "home=" + kPlaceholder + "\n"},
                               {"lib/data/blob.txt", "plain\n"}},
                     .symlinks = {{"lib/tool.so", "data/blob.txt"}},
                     .placeholder = kPlaceholder};
    link_ = {{.info = testing::load(make_package(pkgs_, spec)), .requested_spec = "tool>=1"}};
    auto applied = apply(source_, {}, link_, options("graft create -n a tool>=1", {"tool>=1"}));
    ASSERT_TRUE(applied) << applied.error().message();
  }

  TransactionOptions options(std::string command, std::vector<std::string> specs) {
    return {.command = std::move(command),
            .update_specs = std::move(specs),
            .now_seconds = 1700000000,
            .script_environment = {{"PATH", "/usr/bin:/bin"}}};
  }

  // What a user or pip put into `a` beside the package.
  void add_untracked() {
    write_text(source_ / "notes.txt", "data in " + source_.string() + "/data\n");
    write_text(source_ / "bin/run", "#!" + source_.string() + "/bin/python\nprint(1)\n");
    fs::permissions(source_ / "bin/run", fs::perms(0750));
    write_text(source_ / "lib/model.bin", std::string("\0", 1) + source_.string());
    write_text(source_ / "lib/data/user.txt", "mine\n");
    fs::create_directories(source_ / "cache/empty");
    fs::create_symlink(source_ / "lib/tool.so", source_ / "lib/user-link.so");
    fs::create_symlink(source_, source_ / "self");
    fs::create_symlink("data/user.txt", source_ / "lib/relative");
    fs::create_symlink("/usr/lib", source_ / "lib/outside");
    write_text(source_ / ".condarc", "envs_dirs: [" + source_.string() + "/envs]\n");
  }

  fs::path source_, target_;
  std::vector<PackageToLink> link_;
};

std::vector<std::string> paths(const std::vector<base::WalkEntry>& entries) {
  std::vector<std::string> out;
  for (const auto& entry : entries) out.push_back(entry.relative.generic_string());
  return out;
}

TEST_F(CloneTest, FindUntrackedListsWhatNoRecordOwns) {
  ASSERT_NO_FATAL_FAILURE(make_source());
  add_untracked();
  write_text(source_ / "conda-meta/pinned", "tool 1.*\n");
  write_text(source_ / "pkgs/stray.tar.bz2", "x");
  write_text(source_ / "envs/nested/conda-meta/history", "");
  write_text(source_ / ".graft-trash-123/old", "x");
  auto source = read_clone_source(source_);
  ASSERT_TRUE(source) << source.error().message();
  EXPECT_THAT(
      paths(source->untracked),
      ElementsAre(".condarc", "bin/run", "cache/empty", "lib/data/user.txt", "lib/model.bin",
                  "lib/outside", "lib/relative", "lib/user-link.so", "notes.txt", "self"));
  EXPECT_EQ(source->untracked[2].type, base::EntryType::kDirectory);
  EXPECT_EQ(source->untracked[7].type, base::EntryType::kSymlink);
  EXPECT_THAT(source->history_specs, ElementsAre("tool>=1"));
  ASSERT_EQ(source->records.size(), 1u);
  EXPECT_EQ(source->prefix, source_);
}

TEST_F(CloneTest, ReadSourceRefusesWhatIsNotAnEnvironment) {
  fs::create_directories(dir_->path() / "plain");
  auto source = read_clone_source(dir_->path() / "plain");
  ASSERT_FALSE(source);
  EXPECT_EQ(source.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(source.error().message(), "no environment at '" + (dir_->path() / "plain").string() +
                                          "': it has no conda-meta directory");
}

TEST_F(CloneTest, CopyUntrackedRewritesTextKeepsBinaryAndRepointsSymlinks) {
  ASSERT_NO_FATAL_FAILURE(make_source());
  add_untracked();
  auto source = read_clone_source(source_);
  ASSERT_TRUE(source);
  const fs::path root = dir_->path() / "staging";
  write_text(root / "lib/data/user.txt", "package file\n");  // already there: left alone
  ASSERT_TRUE(
      copy_untracked({.source = source_, .final_prefix = target_}, source->untracked, root));

  const std::string b = target_.string();
  struct Case {
    std::string path;
    std::string content;
  };
  for (const Case& c : std::vector<Case>{{"notes.txt", "data in " + b + "/data\n"},
                                         {"bin/run", "#!" + b + "/bin/python\nprint(1)\n"},
                                         {"lib/model.bin", std::string("\0", 1) + source_.string()},
                                         {"lib/data/user.txt", "package file\n"},
                                         {".condarc", "envs_dirs: [" + b + "/envs]\n"}}) {
    EXPECT_EQ(read_text(root / c.path), c.content) << c.path;
  }
  EXPECT_EQ(fs::status(root / "bin/run").permissions(), fs::perms(0750));
  EXPECT_EQ(fs::read_symlink(root / "lib/user-link.so"), target_ / "lib/tool.so");
  EXPECT_EQ(fs::read_symlink(root / "self"), target_);
  EXPECT_EQ(fs::read_symlink(root / "lib/relative"), "data/user.txt");
  EXPECT_EQ(fs::read_symlink(root / "lib/outside"), "/usr/lib");
  EXPECT_TRUE(fs::is_directory(root / "cache/empty"));
  struct stat from {
  }, to{};
  ASSERT_EQ(::stat((source_ / "lib/model.bin").c_str(), &from), 0);
  ASSERT_EQ(::stat((root / "lib/model.bin").c_str(), &to), 0);
  EXPECT_NE(from.st_ino, to.st_ino) << "untracked files are copied, never hard-linked";
}

// A package of the new environment may put a symlink where the source has a directory of
// untracked files (perhaps one leading outside, issue 10 item 6): nothing is written through
// it, and the copy goes on.
TEST_F(CloneTest, CopyUntrackedNeverWritesThroughASymlinkInTheNewEnvironment) {
  ASSERT_NO_FATAL_FAILURE(make_source());
  write_text(source_ / "share/mine/secret.txt", "user data\n");
  write_text(source_ / "notes.txt", "notes\n");
  auto source = read_clone_source(source_);
  ASSERT_TRUE(source);
  const fs::path root = dir_->path() / "staging";
  const fs::path outside = dir_->path() / "outside";
  fs::create_directories(outside);
  fs::create_directories(root / "share");
  fs::create_directory_symlink(outside, root / "share/mine");  // as a package would
  ASSERT_TRUE(
      copy_untracked({.source = source_, .final_prefix = target_}, source->untracked, root));
  EXPECT_TRUE(fs::is_empty(outside)) << "an untracked file was written through a symlink";
  EXPECT_EQ(read_text(root / "notes.txt"), "notes\n");
  EXPECT_TRUE(fs::is_symlink(root / "share/mine"));
}

TEST_F(CloneTest, MetadataCarriesPinnedAndStateButNotFrozen) {
  ASSERT_NO_FATAL_FAILURE(make_source());
  write_text(source_ / "conda-meta/pinned", "tool 1.*\n");
  write_text(source_ / "conda-meta/state", R"({"env_vars": {"MODE": "fast"}})");
  ASSERT_TRUE(freeze(source_, "baseline"));
  const fs::path root = dir_->path() / "staging";
  ASSERT_TRUE(copy_clone_metadata(source_, root));
  EXPECT_EQ(read_text(root / "conda-meta/pinned"), "tool 1.*\n");
  EXPECT_EQ(read_text(root / "conda-meta/state"), R"({"env_vars": {"MODE": "fast"}})");
  EXPECT_FALSE(fs::exists(root / "conda-meta/frozen"));
  const fs::path bare = dir_->path() / "bare";
  fs::create_directories(bare / "conda-meta");
  ASSERT_TRUE(copy_clone_metadata(bare, dir_->path() / "staging2"));
  EXPECT_FALSE(fs::exists(dir_->path() / "staging2/conda-meta/pinned"));
}

TEST_F(CloneTest, CloneThroughApplyIsWholeAndRecordsTheSourceSpecs) {
  ASSERT_NO_FATAL_FAILURE(make_source());
  add_untracked();
  write_text(source_ / "conda-meta/pinned", "tool 1.*\n");
  auto source = read_clone_source(source_);
  ASSERT_TRUE(source);
  TransactionOptions clone_options = options("graft create -n b --clone a", source->history_specs);
  clone_options.before_commit = clone_before_commit(*source, target_);
  std::vector<PackageToLink> link = link_;
  link[0].requested_spec = clone_requested_spec(source->records[0]);
  auto applied = apply(target_, {}, link, clone_options);
  ASSERT_TRUE(applied) << applied.error().message();

  EXPECT_EQ(read_text(target_ / "etc/tool.conf"), "home=" + target_.string() + "\n");
  EXPECT_EQ(read_text(target_ / "notes.txt"), "data in " + target_.string() + "/data\n");
  EXPECT_EQ(read_text(target_ / "conda-meta/pinned"), "tool 1.*\n");
  EXPECT_EQ(fs::read_symlink(target_ / "lib/user-link.so"), target_ / "lib/tool.so");
  struct stat cache {
  }, linked{};
  ASSERT_EQ(::stat((link_[0].info.directory / "lib/data/blob.txt").c_str(), &cache), 0);
  ASSERT_EQ(::stat((target_ / "lib/data/blob.txt").c_str(), &linked), 0);
  EXPECT_EQ(cache.st_ino, linked.st_ino) << "package files are hard-linked as create does";
  auto records = load_records(target_);
  ASSERT_TRUE(records);
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].requested_spec, "tool>=1");
  EXPECT_THAT(read_text(target_ / "conda-meta/history"),
              HasSubstr("# cmd: graft create -n b --clone a\n# conda version: 26.7.1\n"
                        "+<unknown>/linux-64::tool-1.0-0\n# update specs: ['tool>=1']\n"));
}

TEST_F(CloneTest, FailingCopyLeavesNoTarget) {
  ASSERT_NO_FATAL_FAILURE(make_source());
  write_text(source_ / "notes.txt", "x\n");
  auto source = read_clone_source(source_);
  ASSERT_TRUE(source);
  fs::remove(source_ / "notes.txt");  // vanishes between reading and copying
  TransactionOptions clone_options = options("graft create -n b --clone a", {});
  clone_options.before_commit = clone_before_commit(*source, target_);
  auto applied = apply(target_, {}, link_, clone_options);
  ASSERT_FALSE(applied);
  EXPECT_THAT(applied.error().message(), HasSubstr("notes.txt"));
  EXPECT_FALSE(fs::exists(target_));
  EXPECT_FALSE(fs::exists(staging_path(target_)));
}

TEST(CloneRequestedSpecTest, PrefersTheLegacyFieldThenTheLastSpec) {
  struct Case {
    std::string requested_spec;
    std::optional<std::vector<std::string>> requested_specs;
    std::string expected;
  };
  for (const Case& c : std::vector<Case>{{"numpy>=1", std::nullopt, "numpy>=1"},
                                         {"", std::vector<std::string>{"a", "a>=2"}, "a>=2"},
                                         {"", std::vector<std::string>{}, ""},
                                         {"", std::nullopt, ""}}) {
    conda::PrefixRecord record;
    record.requested_spec = c.requested_spec;
    record.requested_specs = c.requested_specs;
    EXPECT_EQ(clone_requested_spec(record), c.expected);
  }
}

}  // namespace
}  // namespace graft::env
