// create / install / update / remove end to end: the real binary against a channel built
// in the test (graft pack + graft index) and conda's test-recipes channel, with conda 26's
// recorded behaviour (oracle) as the reference.
#include <sys/stat.h>

#include <fstream>

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

class InstallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = scratch_dir();
    root_ = dir_ / "root";
  }

  // graft VERB --root-prefix ROOT ARGS... -y
  e2e::Run verb(const std::string& name, std::vector<std::string> args) {
    args.insert(args.begin(), {name, "--root-prefix", root_.string()});
    args.push_back("-y");
    return graft(args, dir_);
  }

  // A channel with lib 1.0 / 2.0 (a text file holding the prefix placeholder) and app 1.0
  // depending on lib.
  fs::path build_channel() {
    fs::path channel = dir_ / "channel";
    fs::create_directories(channel / "linux-64");
    for (std::string version : {"1.0", "2.0"}) {
      fs::path source = dir_ / ("lib-" + version);
      write(source / "share/lib/config.txt",
            "prefix=/opt/anaconda1anaconda2anaconda3\nversion=" + version + "\n");
      write(source / "share/lib/data.bin", std::string(4096, 'x'));
      e2e::Run packed = graft({"pack", source.string(), "--name", "lib", "--version", version,
                          "--subdir", "linux-64", "--prefix-placeholder",
                          "/opt/anaconda1anaconda2anaconda3", "--output-dir",
                          (channel / "linux-64").string()});
      EXPECT_EQ(packed.exit_code, 0) << packed.err;
    }
    fs::path app = dir_ / "app-src";
    write(app / "bin/app", "#!/bin/sh\necho app\n");
    e2e::Run packed = graft({"pack", app.string(), "--name", "app", "--version", "1.0", "--noarch",
                        "generic", "--depends", "lib >=1.0", "--output-dir",
                        (channel / "noarch").string()});
    EXPECT_EQ(packed.exit_code, 0) << packed.err;
    e2e::Run indexed = graft({"index", channel.string()});
    EXPECT_EQ(indexed.exit_code, 0) << indexed.err;
    return channel;
  }

  fs::path dir_;
  fs::path root_;
};

TEST_F(InstallTest, CreateLinksFromTheCacheAndRewritesPlaceholders) {
  fs::path channel = build_channel();
  e2e::Run run = verb("create", {"-n", "base-env", "-c", channel.string(), "app", "lib=1.0"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("The following NEW packages will be INSTALLED:"));
  fs::path prefix = root_ / "envs/base-env";
  EXPECT_EQ(read(prefix / "share/lib/config.txt"), "prefix=" + prefix.string() + "\nversion=1.0\n");
  struct stat data {};
  ASSERT_EQ(::stat((prefix / "share/lib/data.bin").c_str(), &data), 0);
  EXPECT_EQ(data.st_nlink, 2u) << "a file without placeholder is hard-linked from pkgs/";
  EXPECT_TRUE(fs::exists(prefix / "conda-meta/lib-1.0-0.json"));
  EXPECT_TRUE(fs::exists(prefix / "conda-meta/app-1.0-0.json"));
  std::string history = read(prefix / "conda-meta/history");
  EXPECT_THAT(history, HasSubstr("# update specs: ['app', 'lib=1.0']\n"));
  EXPECT_THAT(history, HasSubstr("::lib-1.0-0\n"));
}

TEST_F(InstallTest, UpdateThenRemoveChangeOnlyWhatWasAsked) {
  fs::path channel = build_channel();
  ASSERT_EQ(verb("create", {"-n", "e", "-c", channel.string(), "app", "lib=1.0"}).exit_code, 0);
  e2e::Run updated = verb("update", {"-n", "e", "-c", channel.string(), "lib"});
  ASSERT_EQ(updated.exit_code, 0) << updated.err;
  fs::path prefix = root_ / "envs/e";
  EXPECT_TRUE(fs::exists(prefix / "conda-meta/lib-2.0-0.json"));
  EXPECT_FALSE(fs::exists(prefix / "conda-meta/lib-1.0-0.json"));
  EXPECT_THAT(read(prefix / "share/lib/config.txt"), HasSubstr("version=2.0"));
  e2e::Run removed = verb("remove", {"-n", "e", "app"});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_FALSE(fs::exists(prefix / "bin/app"));
  EXPECT_FALSE(fs::exists(prefix / "conda-meta/app-1.0-0.json"));
  EXPECT_TRUE(fs::exists(prefix / "conda-meta/lib-2.0-0.json"));
  EXPECT_THAT(read(prefix / "conda-meta/history"), HasSubstr("# remove specs: ['app']\n"));
}

TEST_F(InstallTest, CreateOverAnExistingEnvironmentIsRefused) {
  fs::path channel = build_channel();
  ASSERT_EQ(verb("create", {"-n", "e", "-c", channel.string(), "lib"}).exit_code, 0);
  e2e::Run again = verb("create", {"-n", "e", "-c", channel.string(), "lib"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.err, "graft: error: environment 'e' already exists at " +
                           (root_ / "envs/e").string() +
                           "\nhint: remove it first ('graft env remove -n NAME') or pick another name\n");
}

TEST_F(InstallTest, UnsatisfiableRequestExplainsAndCreatesNothing) {
  fs::path channel = build_channel();
  e2e::Run run = verb("create", {"-n", "bad", "-c", channel.string(), "lib>=3"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("'lib' versions available: 2.0, 1.0"));
  EXPECT_FALSE(fs::exists(root_ / "envs/bad"));
}

TEST_F(InstallTest, OfflineWithoutCacheNamesWhatIsMissing) {
  e2e::Run run = verb("create", {"-n", "off", "--offline", "-c", "https://example.invalid/ch", "lib"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("offline"));
  EXPECT_FALSE(fs::exists(root_ / "envs/off"));
}

TEST_F(InstallTest, NoChannelsIsAClearError) {
  e2e::Run run = verb("create", {"-n", "x", "lib"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err, "graft: error: no channels to search\nhint: pass one with -c (a URL, a path, "
                     "or a name like conda-forge), or list them under 'channels:' in ~/.condarc\n");
}

// conda 26's S2 scenario on test-recipes: same history lines, same dry-run JSON actions.
TEST_F(InstallTest, MatchesCondaOnTestRecipes) {
  GRAFT_REQUIRE_CONFORMANCE();
  fs::path conformance = conformance_dir();
  fs::path oracle = conformance / "oracle/conda-26.7.1";
  std::string channel = "file://" + (conformance / "conda/test-recipes").string();
  fs::path prefix = root_ / "envs/rec";
  e2e::Run created = verb("create", {"-p", prefix.string(), "-c", channel, "--override-channels", "dependent=1.0"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  e2e::Run installed = verb("install", {"-p", prefix.string(), "-c", channel, "--override-channels",
                                   "python=3.99.99", "sample_noarch_python"});
  ASSERT_EQ(installed.exit_code, 0) << installed.err;
  // The noarch: python file lands where conda puts it (python 3.99t here, as in the oracle).
  EXPECT_TRUE(fs::exists(prefix / "lib/python3.99t/site-packages/sample.py"));
  auto without_volatile = [&](std::string text) {
    std::string kept;
    for (auto line : base::split(text, '\n')) {
      // conda orders "# update specs" by its internal set order, not as typed.
      if (base::starts_with(line, "==> ") || base::starts_with(line, "# cmd: ") ||
          base::starts_with(line, "# update specs: ")) {
        continue;
      }
      kept += std::string(line) + "\n";
    }
    return base::replace_all(base::replace_all(kept, "{CONF}", conformance.string()), "{T}", dir_.string());
  };
  std::string expected = read(oracle / "s2_rec.conda-meta/history");
  std::string actual = read(prefix / "conda-meta/history");
  // The oracle's history goes on with later steps; ours has the first two blocks.
  std::string history_ours = without_volatile(actual);
  while (!history_ours.empty() && history_ours.back() == '\n') history_ours.pop_back();
  EXPECT_EQ(history_ours, without_volatile(expected).substr(0, history_ours.size()));
  EXPECT_THAT(actual, HasSubstr("# update specs: ['python=3.99.99', 'sample_noarch_python']\n"));
  // As in the oracle, dependent 2.0 is installed before the dry run, so only
  // another_dependent is left to fetch.
  ASSERT_EQ(verb("install", {"-p", prefix.string(), "-c", channel, "--override-channels", "dependent=2.0"}).exit_code, 0);

  e2e::Run dry = verb("create", {"-p", (root_ / "envs/dry").string(), "-c", channel,
                            "--override-channels", "another_dependent", "--dry-run", "--json"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  auto ours = nlohmann::json::parse(dry.out);
  auto theirs = nlohmann::json::parse(base::replace_all(
      base::replace_all(base::replace_all(read(oracle / "s2_dry.out"), "{CONF}", conformance.string()),
                        "{T}", dir_.string()), "{TS}", "0"));
  EXPECT_EQ(ours["actions"]["LINK"], theirs["actions"]["LINK"]);
  EXPECT_EQ(ours["actions"]["PREFIX"], theirs["actions"]["PREFIX"]);
  EXPECT_EQ(ours["dry_run"], true);
  EXPECT_EQ(dry.out.back(), '}') << "conda's JSON ends at the closing brace, no newline";
  ASSERT_EQ(ours["actions"]["FETCH"].size(), 1u);
  EXPECT_EQ(ours["actions"]["FETCH"][0]["fn"], "another_dependent-2.0-0.conda");
  EXPECT_FALSE(fs::exists(root_ / "envs/dry"));
}

}  // namespace
}  // namespace graft::e2e
