#include "env/transaction.h"

#include <signal.h>
#include <sys/stat.h>

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/hash.h"
#include "base/interrupt.h"
#include "env/journal.h"
#include "env/prefix_data.h"
#include "env/testing.h"

namespace graft::env {
namespace {

namespace fs = std::filesystem;
using testing::make_package;
using testing::read_text;
using testing::TestPackage;
using ::testing::HasSubstr;

const std::string kLongPlaceholder = "/build_placeholder_" + std::string(150, 'p');

class TransactionTest : public testing::ScratchTest {
 protected:
  void SetUp() override {
    ScratchTest::SetUp();
    prefix_ = dir_->path() / "envs" / "e";
  }

  PackageToLink package(const TestPackage& spec, std::string requested = "") {
    return PackageToLink{.info = testing::load(make_package(pkgs_, spec)),
                         .requested_spec = std::move(requested)};
  }

  Result<TransactionResult> run(const std::vector<PackageToLink>& link,
                                const std::vector<conda::PrefixRecord>& unlink = {}) {
    TransactionOptions options{.command = "graft test", .now_seconds = 1700000000,
                               .script_environment = {{"PATH", "/usr/bin:/bin"}}};
    return apply(prefix_, unlink, link, options);
  }

  std::vector<conda::PrefixRecord> records() {
    auto loaded = load_records(prefix_);
    EXPECT_TRUE(loaded);
    return loaded ? *loaded : std::vector<conda::PrefixRecord>{};
  }

  // Every entry under the environments' directory, to prove nothing was left behind.
  std::vector<std::string> envs_listing() {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_->path() / "envs")) {
      names.push_back(entry.path().filename().string());
    }
    return names;
  }

  fs::path prefix_;
};

TEST_F(TransactionTest, LinksFilesRewritesPlaceholdersForTheFinalPrefix) {
  const std::string binary = std::string("\x7f" "ELF\0", 5) + kLongPlaceholder + "/lib" +
                             std::string(1, '\0') + "end";
  TestPackage spec{.name = "tool",
                   .files = {{"bin/tool", "#!" + kLongPlaceholder + "/bin/python\nprint(1)\n"},
                             {"lib/libtool.so.1", binary},
                             {"share/data.txt", "plain\n"}},
                   .symlinks = {{"lib/libtool.so", "libtool.so.1"}},
                   .executables = {"bin/tool"},
                   .placeholder = kLongPlaceholder};
  PackageToLink tool = package(spec, "tool");
  auto result = run({tool});
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_TRUE(result->created);

  EXPECT_EQ(read_text(prefix_ / "bin/tool"), "#!" + prefix_.string() + "/bin/python\nprint(1)\n");
  EXPECT_EQ(fs::status(prefix_ / "bin/tool").permissions() & fs::perms::owner_exec,
            fs::perms::owner_exec);
  const std::string linked_binary = read_text(prefix_ / "lib/libtool.so.1");
  ASSERT_EQ(linked_binary.size(), binary.size());
  EXPECT_EQ(linked_binary.substr(5, prefix_.string().size() + 4), prefix_.string() + "/lib");
  EXPECT_EQ(fs::read_symlink(prefix_ / "lib/libtool.so"), "libtool.so.1");
  struct stat cache_stat, env_stat;
  ASSERT_EQ(::stat((tool.info.directory / "share/data.txt").c_str(), &cache_stat), 0);
  ASSERT_EQ(::stat((prefix_ / "share/data.txt").c_str(), &env_stat), 0);
  EXPECT_EQ(cache_stat.st_ino, env_stat.st_ino) << "plain files are hard linked";

  auto installed = records();
  ASSERT_EQ(installed.size(), 1u);
  const conda::PrefixRecord& record = installed[0];
  EXPECT_EQ(record.requested_spec, "tool");
  EXPECT_THAT(record.files, ::testing::ElementsAre("bin/tool", "lib/libtool.so", "lib/libtool.so.1",
                                                   "share/data.txt"));
  ASSERT_TRUE(record.paths_data);
  const auto& entries = record.paths_data->paths;
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].prefix_placeholder, kLongPlaceholder);
  EXPECT_EQ(entries[0].file_mode, "text");
  EXPECT_EQ(entries[0].sha256_in_prefix, base::sha256_hex(read_text(prefix_ / "bin/tool")));
  EXPECT_NE(entries[0].sha256_in_prefix, entries[0].sha256);
  EXPECT_EQ(entries[1].path_type, "softlink");
  EXPECT_EQ(entries[1].sha256_in_prefix, "");
  EXPECT_EQ(entries[2].file_mode, "binary");
  EXPECT_EQ(entries[3].sha256_in_prefix, entries[3].sha256);
  EXPECT_EQ(record.link->type, conda::LinkType::kHardLink);
  EXPECT_THAT(read_text(prefix_ / "conda-meta/history"), HasSubstr("# cmd: graft test\n"));
  // Python's str(float): what conda writes (the time is fixed here).
  EXPECT_EQ(read_text(prefix_ / "conda-meta/created_at"), "1700000000.0");
  EXPECT_THAT(envs_listing(), ::testing::ElementsAre("e")) << "no staging directory left";
}

TEST_F(TransactionTest, CopyModeSharesNoInodes) {
  PackageToLink data = package({.name = "data", .files = {{"share/a.txt", "a\n"}}});
  TransactionOptions options{.mode = LinkMode::kCopy, .script_environment = {{"PATH", "/bin"}}};
  ASSERT_TRUE(apply(prefix_, {}, {data}, options));
  // The clock's time keeps its sub-second part, as conda 26 writes it ("1796190282.256741").
  EXPECT_THAT(read_text(prefix_ / "conda-meta/created_at"),
              ::testing::MatchesRegex("[0-9]{10}\\.[0-9]{1,6}"));
  struct stat cache_stat, env_stat;
  ASSERT_EQ(::stat((data.info.directory / "share/a.txt").c_str(), &cache_stat), 0);
  ASSERT_EQ(::stat((prefix_ / "share/a.txt").c_str(), &env_stat), 0);
  EXPECT_NE(cache_stat.st_ino, env_stat.st_ino);
  EXPECT_EQ(records()[0].link->type, conda::LinkType::kCopy);
}

TEST_F(TransactionTest, LongPrefixShebangBecomesUsrBinEnv) {
  prefix_ = dir_->path() / "envs" / std::string(140, 'l');
  PackageToLink tool = package({.name = "tool",
                                .files = {{"bin/tool", "#!" + kLongPlaceholder + "/bin/perl -w\n"}},
                                .placeholder = kLongPlaceholder});
  ASSERT_TRUE(run({tool}));
  EXPECT_EQ(read_text(prefix_ / "bin/tool"), "#!/usr/bin/env perl -w\n");
}

TEST_F(TransactionTest, BinaryPlaceholderShorterThanPrefixIsRefusedAndNothingIsLeft) {
  prefix_ = dir_->path() / "envs" / "an-environment-name-longer-than-the-placeholder";
  PackageToLink ok_package = package({.name = "fine", .files = {{"share/f", "f\n"}}});
  PackageToLink binary = package(
      {.name = "native",
       .files = {{"lib/x.so", std::string("/opt/anaconda1anaconda2anaconda3/lib\0", 37)}},
       .placeholder = "/opt/anaconda1anaconda2anaconda3"});
  auto result = run({ok_package, binary});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::kConflict);
  EXPECT_THAT(result.error().message(),
              HasSubstr("linking 'native-1.0-0': 'lib/x.so': prefix '" + prefix_.string() +
                        "' is longer than the placeholder '/opt/anaconda1anaconda2anaconda3'"));
  EXPECT_FALSE(fs::exists(prefix_));
  EXPECT_TRUE(envs_listing().empty());
}

TEST_F(TransactionTest, ClobberedPathLastPackageWinsWithAWarning) {
  PackageToLink a = package({.name = "clobber-a", .files = {{"share/same.txt", "from a\n"}}});
  PackageToLink b = package({.name = "clobber-b", .files = {{"share/same.txt", "from b\n"}}});
  auto result = run({a, b});
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(read_text(prefix_ / "share/same.txt"), "from b\n");
  EXPECT_THAT(result->warnings,
              ::testing::ElementsAre("'share/same.txt' is in both 'clobber-a' and 'clobber-b': "
                                     "the file of 'clobber-b' is kept"));
}

TEST_F(TransactionTest, ClobberOfAnInstalledFileIsUndoneOnRollback) {
  PackageToLink a = package({.name = "owner", .files = {{"share/same.txt", "owner\n"}}});
  ASSERT_TRUE(run({a}));
  PackageToLink b = package({.name = "intruder", .files = {{"share/same.txt", "intruder\n"}}});
  auto clobbering = run({b});
  ASSERT_TRUE(clobbering);
  EXPECT_THAT(clobbering->warnings,
              ::testing::ElementsAre("'share/same.txt' is in both 'owner' and 'intruder': the "
                                     "file of 'intruder' is kept"));
  EXPECT_EQ(read_text(prefix_ / "share/same.txt"), "intruder\n");
}

TEST_F(TransactionTest, FailureInAnExistingEnvironmentRollsEverythingBack) {
  PackageToLink base_package = package({.name = "base-pkg", .files = {{"share/base.txt", "b\n"}}});
  ASSERT_TRUE(run({base_package}));
  const std::string history_before = read_text(prefix_ / "conda-meta/history");

  PackageToLink fresh = package({.name = "fresh", .files = {{"share/fresh/a.txt", "a\n"}}});
  PackageToLink broken = package(
      {.name = "broken", .files = {{"share/broken/one.txt", "1\n"}, {"share/broken/two.txt", "2\n"}}});
  fs::remove(broken.info.directory / "share/broken/two.txt");  // the failure, midway
  auto result = run({fresh, broken}, records());  // also unlink base-pkg
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error().message(), HasSubstr("linking 'broken-1.0-0': "));
  EXPECT_THAT(result.error().message(),
              HasSubstr("'share/broken/two.txt' is missing from the extracted package at"));
  EXPECT_EQ(result.error().code(), ErrorCode::kNotFound);

  EXPECT_EQ(read_text(prefix_ / "share/base.txt"), "b\n") << "the unlinked package is restored";
  EXPECT_FALSE(fs::exists(prefix_ / "share/fresh"));
  EXPECT_FALSE(fs::exists(prefix_ / "share/broken"));
  auto installed = records();
  ASSERT_EQ(installed.size(), 1u);
  EXPECT_EQ(installed[0].name, "base-pkg");
  EXPECT_EQ(read_text(prefix_ / "conda-meta/history"), history_before);
  for (const auto& entry : fs::directory_iterator(prefix_)) {
    EXPECT_THAT(entry.path().filename().string(), ::testing::Not(HasSubstr("graft-trash")));
  }
}

TEST_F(TransactionTest, UpdateUnlinksTheOldVersionAndPrunesEmptyDirectories) {
  PackageToLink v1 = package({.name = "lib", .version = "1.0", .files = {{"share/v1/only.txt", "1\n"}}});
  ASSERT_TRUE(run({v1}, {}));
  PackageToLink v2 = package({.name = "lib", .version = "2.0", .files = {{"share/v2.txt", "2\n"}}});
  auto result = run({v2}, records());
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_FALSE(fs::exists(prefix_ / "share/v1"));
  EXPECT_TRUE(fs::exists(prefix_ / "share/v2.txt"));
  auto installed = records();
  ASSERT_EQ(installed.size(), 1u);
  EXPECT_EQ(installed[0].version, "2.0");
  const std::string history = read_text(prefix_ / "conda-meta/history");
  const std::string subdir(conda::native_subdir());
  EXPECT_THAT(history, HasSubstr("\n-<unknown>/" + subdir + "::lib-1.0-0\n+<unknown>/" + subdir +
                                 "::lib-2.0-0\n"));
}

TEST_F(TransactionTest, PostLinkScriptSeesCondasVariables) {
  PackageToLink scripted = package(
      {.name = "scripted",
       .version = "2.5",
       .files = {{"bin/.scripted-post-link.sh",
                  "echo \"$PREFIX|$PKG_NAME|$PKG_VERSION|$PKG_BUILDNUM\" > \"$PREFIX/out.txt\"\n"
                  "echo hello >> \"$PREFIX/.messages.txt\"\n"}}});
  auto result = run({scripted});
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(read_text(prefix_ / "out.txt"), prefix_.string() + "|scripted|2.5|0\n");
  EXPECT_THAT(result->messages, ::testing::ElementsAre("hello\n"));
}

TEST_F(TransactionTest, FailingPostLinkAbortsANewEnvironment) {
  PackageToLink failing = package(
      {.name = "failing", .files = {{"bin/.failing-post-link.sh", "echo oops >&2\nexit 3\n"}}});
  auto result = run({failing});
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error().message(),
              HasSubstr("post-link script failed for package 'failing-1.0-0': exit code 3"));
  EXPECT_FALSE(fs::exists(prefix_));
  EXPECT_TRUE(envs_listing().empty());
}

TEST_F(TransactionTest, FailingPostLinkInAnExistingEnvironmentRollsBack) {
  ASSERT_TRUE(run({package({.name = "first", .files = {{"share/1", "1"}}})}));
  PackageToLink failing = package(
      {.name = "failing", .files = {{"share/f", "f"}, {"bin/.failing-post-link.sh", "exit 1\n"}}});
  ASSERT_FALSE(run({failing}));
  EXPECT_FALSE(fs::exists(prefix_ / "share/f"));
  EXPECT_FALSE(fs::exists(prefix_ / "bin"));
  EXPECT_EQ(records().size(), 1u);
}

TEST_F(TransactionTest, LeftoverStagingOfADeadRunIsRemoved) {
  const fs::path stale = dir_->path() / "envs" / ".e.graft-staging-999999999";
  fs::create_directories(stale / "conda-meta");
  ASSERT_TRUE(run({package({.name = "a", .files = {{"share/a", "a"}}})}));
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_THAT(envs_listing(), ::testing::ElementsAre("e"));
}

TEST_F(TransactionTest, RegistersTheEnvironmentOnce) {
  const fs::path registry = dir_->path() / "home/.conda/environments.txt";
  TransactionOptions options{.registry = registry, .script_environment = {{"PATH", "/bin"}}};
  ASSERT_TRUE(apply(prefix_, {}, {package({.name = "a", .files = {{"share/a", "a"}}})}, options));
  ASSERT_TRUE(apply(prefix_, {}, {package({.name = "b", .files = {{"share/b", "b"}}})}, options));
  EXPECT_EQ(read_text(registry), prefix_.string() + "\n");
}

TEST_F(TransactionTest, RefusesANonEmptyDirectoryThatIsNoEnvironment) {
  testing::write_text(prefix_ / "user-file", "mine");
  auto result = run({package({.name = "a", .files = {{"share/a", "a"}}})});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(result.error().message(), "'" + prefix_.string() + "' exists and is not an environment");
}

TEST_F(TransactionTest, ACreateRefusesAnEnvironmentMadeMeanwhile) {
  ASSERT_TRUE(run({package({.name = "first", .files = {{"share/first", "1"}}})}));
  TransactionOptions options{.script_environment = {{"PATH", "/bin"}}, .target = Target::kNewOnly};
  auto result =
      apply(prefix_, {}, {package({.name = "second", .files = {{"share/2", "2"}}})}, options);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(result.error().message(), "environment '" + prefix_.string() +
                                          "' already exists: another graft process created it "
                                          "meanwhile");
  ASSERT_EQ(records().size(), 1u) << "no second record merged in";
  EXPECT_EQ(records()[0].name, "first");
}

TEST_F(TransactionTest, AnUnlinkOfARecordNoLongerInstalledIsAConflict) {
  PackageToLink v1 = package({.name = "lib", .version = "1.0", .files = {{"share/v1", "1"}}});
  ASSERT_TRUE(run({v1}));
  const std::vector<conda::PrefixRecord> seen = records();
  PackageToLink v2 = package({.name = "lib", .version = "2.0", .files = {{"share/v2", "2"}}});
  ASSERT_TRUE(run({v2}, seen));
  PackageToLink v3 = package({.name = "lib", .version = "3.0", .files = {{"share/v3", "3"}}});
  auto stale = run({v3}, seen);  // computed before v2 arrived
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code(), ErrorCode::kConflict);
  EXPECT_EQ(stale.error().message(),
            "package 'lib-1.0-0' is no longer installed in '" + prefix_.string() + "'");
  ASSERT_EQ(records().size(), 1u);
  EXPECT_EQ(records()[0].version, "2.0");
}

TEST_F(TransactionTest, ASignalDuringAChangeRollsItBack) {
  PackageToLink v1 = package({.name = "lib", .version = "1.0", .files = {{"share/v1", "1"}}});
  ASSERT_TRUE(run({v1}));
  const std::string history = read_text(prefix_ / "conda-meta/history");
  PackageToLink v2 = package({.name = "lib", .version = "2.0", .files = {{"share/v2", "2"}}});
  base::set_interrupt_for_testing(SIGTERM);
  auto result = run({v2}, records());
  base::set_interrupt_for_testing(0);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(result.error().message(),
            "terminated (SIGTERM): the change of '" + prefix_.string() + "' was rolled back");
  EXPECT_EQ(read_text(prefix_ / "share/v1"), "1");
  EXPECT_FALSE(fs::exists(prefix_ / "share/v2"));
  ASSERT_EQ(records().size(), 1u);
  EXPECT_EQ(records()[0].version, "1.0");
  EXPECT_EQ(read_text(prefix_ / "conda-meta/history"), history);
  EXPECT_FALSE(has_journal(prefix_));
}

TEST_F(TransactionTest, AChangeFinishesTheJournalAKilledProcessLeft) {
  PackageToLink v1 = package({.name = "lib", .version = "1.0", .files = {{"share/v1", "1"}}});
  ASSERT_TRUE(run({v1}));
  {
    Journal killed(prefix_);  // dies after moving v1's file aside
    ASSERT_TRUE(killed.begin());
    ASSERT_TRUE(killed.move_aside("share/v1"));
  }
  PackageToLink other = package({.name = "other", .files = {{"share/other", "o"}}});
  auto result = run({other});
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_THAT(result->warnings,
              ::testing::Contains("environment '" + prefix_.string() +
                                  "': a change interrupted by the death of its graft process "
                                  "was rolled back"));
  EXPECT_EQ(read_text(prefix_ / "share/v1"), "1");
  EXPECT_EQ(records().size(), 2u);
}

}  // namespace
}  // namespace graft::env
