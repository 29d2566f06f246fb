// `graft diff A B` end to end: environments built by the real binary from a channel made in
// the test (a package with a prefix placeholder, so the two prefixes show in file bytes),
// compared by name and by path; exit 0 identical, 1 different, 2 error.
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
using ::testing::StartsWith;

constexpr const char* kPlaceholder = "/opt/anaconda1anaconda2anaconda3";

class DiffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = scratch_dir();
    root_ = dir_ / "root";
    channel_ = dir_ / "channel";
    for (std::string version : {"1.0", "2.0"}) {
      const fs::path source = dir_ / ("model-" + version);
      write(source / "etc/model.cfg",
            std::string("home=") + kPlaceholder + "\nv=" + version + "\n");
      write(source / "share/model/weights.bin", std::string(8192, 'w'));
      e2e::Run packed = graft({"pack", source.string(), "--name", "model", "--version", version,
                               "--noarch", "generic", "--prefix-placeholder", kPlaceholder,
                               "--output-dir", (channel_ / "noarch").string()});
      ASSERT_EQ(packed.exit_code, 0) << packed.err;
    }
    add_noarch_package(channel_, "tools", "1.0", {{"bin/tool", "#!/bin/sh\n"}});
    a_ = root_ / "envs/baseline";
    b_ = dir_ / "elsewhere/treatment";
    create({"-n", "baseline"});
    create({"-p", b_.string()});
    for (const fs::path& prefix : {a_, b_}) {
      write(prefix / "train.py", "ROOT = '" + prefix.string() + "'\n");
      ASSERT_EQ(run({"env", "config", "vars", "set", "-p", prefix.string(), "LR=0.1"}).exit_code,
                0);
    }
  }

  void create(std::vector<std::string> where) {
    std::vector<std::string> args = {"create",          "model=1.0",          "tools", "-y", "-c",
                                     channel_.string(), "--override-channels"};
    args.insert(args.end(), where.begin(), where.end());
    e2e::Run created = run(args);
    ASSERT_EQ(created.exit_code, 0) << created.err;
  }

  e2e::Run run(std::vector<std::string> args) {
    const std::size_t verb_words = args[0] == "env" ? 4 : 1;
    args.insert(args.begin() + verb_words, {"--root-prefix", root_.string()});
    return graft(args, dir_);
  }

  fs::path dir_, root_, channel_, a_, b_;
};

TEST_F(DiffTest, TheSameEnvironmentAtAnotherPrefixIsIdentical) {
  e2e::Run same = run({"diff", "baseline", b_.string()});
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
  EXPECT_THAT(same.out, StartsWith("--- A: baseline  (" + a_.string() + ")\n+++ B: " + b_.string() +
                                   "  (" + b_.string() +
                                   ")\nidentical: 2 "
                                   "packages, 3 tracked files, 1 untracked file, 0 pip packages, "
                                   "1 env var, 0 pins ("));
  e2e::Run json = run({"diff", "baseline", b_.string(), "--json"});
  EXPECT_EQ(json.exit_code, 0);
  auto parsed = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << json.out;
  EXPECT_EQ(parsed["identical"], true);
  EXPECT_EQ(parsed["a"]["prefix"], a_.string());
  EXPECT_EQ(parsed["b"]["packages"], 2);
}

TEST_F(DiffTest, AClonedTreatmentIsIdenticalUntilItsVariableChanges) {
  e2e::Run cloned = run({"create", "-n", "treatment", "--clone", "baseline", "-y"});
  ASSERT_EQ(cloned.exit_code, 0) << cloned.err;
  e2e::Run same = run({"diff", "baseline", "treatment"});
  EXPECT_EQ(same.exit_code, 0) << same.out;
  ASSERT_EQ(run({"env", "config", "vars", "set", "-n", "treatment", "LR=0.01"}).exit_code, 0);
  e2e::Run changed = run({"diff", "baseline", "treatment"});
  EXPECT_EQ(changed.exit_code, 1);
  EXPECT_THAT(changed.out, HasSubstr("\nenv vars: 1 changed\n  ~ LR = 0.1  ->  0.01\n\n"
                                     "1 difference between A and B\n"));
}

TEST_F(DiffTest, EverySectionShowsWhatChanged) {
  ASSERT_EQ(run({"install", "-p", b_.string(), "model=2.0", "-y", "-c", channel_.string(),
                 "--override-channels"})
                .exit_code,
            0);
  write(a_ / "etc/model.cfg", "tampered\n");
  write(b_ / "notes.md", "why\n");
  write(b_ / "conda-meta/pinned", "model 2.*\n");
  e2e::Run differs = run({"diff", "baseline", b_.string()});
  EXPECT_EQ(differs.exit_code, 1) << differs.err;
  EXPECT_THAT(differs.out,
              HasSubstr("\npackages: 1 changed\n  ~ model  1.0 0  ->  2.0 0  [version]\n"));
  EXPECT_THAT(differs.out, HasSubstr("\nuntracked files: 1 only in B\n  + notes.md\n"));
  EXPECT_THAT(differs.out, HasSubstr("\npins: 1 only in B\n  + model: model 2.*\n"));
  EXPECT_THAT(differs.out, HasSubstr("\n3 differences between A and B\n"));
  // model's files are not compared (the package changed); tampering with tools' file is.
  fs::remove(b_ / "bin/tool");  // it is hard-linked: writing through it would change A too
  write(b_ / "bin/tool", "#!/bin/sh\nexit 1\n");
  e2e::Run json = run({"diff", "baseline", b_.string(), "--json"});
  auto parsed = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << json.out;
  EXPECT_EQ(parsed["differences"], 4);
  EXPECT_EQ(parsed["packages"][0]["fields"], nlohmann::json({"version"}));
  EXPECT_EQ(parsed["files"][0]["path"], "bin/tool");
  EXPECT_EQ(parsed["files"][0]["detail"], "differs from its record in B");
  EXPECT_EQ(parsed["files"][0]["package"], "tools-1.0-0");
}

TEST_F(DiffTest, CondasOwnCloneComparesIdenticalToItsSource) {
  GRAFT_REQUIRE_CONFORMANCE();
  // S1's zlib env and conda's clone of it, as conda wrote their conda-meta/ (no files).
  const fs::path t = dir_ / "t";
  install_oracle_conda_meta("s1_zlib", t / "root/envs/zlib/conda-meta", t);
  install_oracle_conda_meta("s1_zlib2", t / "root/envs/zlib2/conda-meta", t);
  e2e::Run same = graft({"diff", "--root-prefix", (t / "root").string(), "zlib", "zlib2"});
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
  EXPECT_THAT(same.out, HasSubstr("\nidentical: 1 package, "));
  // Their records name another prefix, yet the package is the same one.
  e2e::Run json = graft({"diff", (t / "root/envs/zlib").string(), b_.string(), "--json"});
  auto parsed = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << json.out << json.err;
  EXPECT_EQ(parsed["packages"].size(), 3u);  // zlib only in A; model and tools only in B
}

TEST_F(DiffTest, UnknownEnvironmentsExitWithTwo) {
  e2e::Run missing = run({"diff", "baseline", "treatmnt"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("environment 'treatmnt' does not exist"));
  e2e::Run no_path = run({"diff", (dir_ / "nowhere").string(), "baseline"});
  EXPECT_EQ(no_path.exit_code, 2);
  EXPECT_EQ(no_path.out, "");
}

}  // namespace
}  // namespace graft::e2e
