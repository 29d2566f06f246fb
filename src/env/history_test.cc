#include "env/history.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "base/fs.h"

namespace graft::env {
namespace {

namespace fs = std::filesystem;

conda::PackageRecord record(std::string channel, std::string subdir, std::string name) {
  conda::PackageRecord r;
  r.channel = std::move(channel);
  r.subdir = std::move(subdir);
  r.name = std::move(name);
  r.version = "1.0";
  r.build = "0";
  return r;
}

TEST(HistoryDist, UsesCondasCanonicalChannelNames) {
  EXPECT_EQ(history_dist(record("https://conda.anaconda.org/conda-forge/osx-arm64", "osx-arm64", "a")),
            "conda-forge/osx-arm64::a-1.0-0");
  EXPECT_EQ(history_dist(record("https://repo.anaconda.com/pkgs/main/linux-64", "linux-64", "a")),
            "pkgs/main/linux-64::a-1.0-0");
  EXPECT_EQ(history_dist(record("file:///c/test-recipes/noarch", "noarch", "dependency")),
            "file:///c/test-recipes/noarch::dependency-1.0-0");
  EXPECT_EQ(history_dist(record("conda-forge", "linux-64", "b")), "conda-forge/linux-64::b-1.0-0");
}

TEST(PythonListRepr, QuotesLikePython) {
  EXPECT_EQ(python_list_repr({}), "[]");
  EXPECT_EQ(python_list_repr({"sample_noarch_python", "python=3.99.99"}),
            "['sample_noarch_python', 'python=3.99.99']");
  EXPECT_EQ(python_list_repr({"it's"}), "[\"it's\"]");
  EXPECT_EQ(python_list_repr({"a'\"b"}), "['a\\'\"b']");
  EXPECT_EQ(python_list_repr({"back\\slash"}), "['back\\\\slash']");
}

// The third block of the oracle's s2_rec history, rebuilt from its parts.
TEST(FormatHistoryEntry, MatchesTheOracleBlock) {
  HistoryEntry entry{
      .timestamp = "{DATE}",
      .command = "conda install -p {T}/root/envs/rec -c file://{CONF}/conda/test-recipes "
                 "--override-channels dependent=2.0",
      .removed = {"file://{CONF}/conda/test-recipes/noarch::dependent-1.0-0",
                  "file://{CONF}/conda/test-recipes/noarch::dependency-1.0-0"},
      .added = {"file://{CONF}/conda/test-recipes/noarch::dependent-2.0-0",
                "file://{CONF}/conda/test-recipes/noarch::dependency-2.0-0"},
      .update_specs = {"dependent=2.0"}};
  const std::string expected =
      "==> {DATE} <==\n"
      "# cmd: conda install -p {T}/root/envs/rec -c file://{CONF}/conda/test-recipes "
      "--override-channels dependent=2.0\n"
      "# conda version: 26.7.1\n"
      "-file://{CONF}/conda/test-recipes/noarch::dependency-1.0-0\n"
      "-file://{CONF}/conda/test-recipes/noarch::dependent-1.0-0\n"
      "+file://{CONF}/conda/test-recipes/noarch::dependency-2.0-0\n"
      "+file://{CONF}/conda/test-recipes/noarch::dependent-2.0-0\n"
      "# update specs: ['dependent=2.0']\n";
  EXPECT_EQ(format_history_entry(entry), expected);
}

TEST(FormatHistoryEntry, RoundTripsTheOracleHistoryFile) {
  const fs::path file = fs::path(GRAFT_CONFORMANCE_DIR) / "oracle/conda-26.7.1/s2_rec.conda-meta/history";
  auto text = base::read_file(file);
  if (!text) GTEST_SKIP() << "conformance corpus absent (" << file << "); skipping";
  std::string rebuilt;
  for (const HistoryEntry& entry : parse_history(*text)) rebuilt += format_history_entry(entry);
  EXPECT_EQ(rebuilt, *text);
}

TEST(ParseHistory, ReadsCondaAndMambaFiles) {
  const fs::path root = fs::path(GRAFT_CONFORMANCE_DIR);
  auto conda_file = base::read_file(root / "conda/env_metadata/envpy313tosx_whl/conda-meta/history");
  if (!conda_file) GTEST_SKIP() << "conformance corpus absent; skipping";
  const auto entries = parse_history(*conda_file);
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries[0].timestamp, "2025-03-14 13:51:04");
  EXPECT_EQ(entries[0].conda_version, "25.1.2");
  EXPECT_EQ(entries[0].added.size(), 16u);
  EXPECT_EQ(entries[0].update_specs,
            (std::vector<std::string>{"python_abi[build=*_cp313t]", "python=3.13", "pip"}));
  for (const char* name : {"parse", "parse_metadata", "parse_segfault"}) {
    auto text = base::read_file(root / "mamba/history" / name / "conda-meta/history");
    ASSERT_TRUE(text) << name;
    EXPECT_FALSE(parse_history(*text).empty()) << name;
  }
}

// conda's History._parse_comment_line: any "<action> specs" word, pre-4.5 comma lists,
// "feature@" specs dropped; headers by "==> ... <==" at the start of the line.
TEST(ParseHistory, SpecActionsOldListsAndHeaders) {
  const std::string text =
      "# comment before any header\n"
      "==>2017-01-01 00:00:00<== (trailing)\n"
      "# cmd: conda create -n x python\n"
      "# create specs: python>=3.5.1,jupyter >=1.0.0,<2.0,mkl@,\n"
      "==> 2017-01-02 00:00:00 <==\n"
      "# uninstall specs: ['jupyter']\n"
      "# neutered specs: [\"python[version='>=3.5,<4']\"]\n"
      "# bogus line\n"
      "numpy-1.11.0-py35_0\n"
      "==> not a header\n";
  const auto entries = parse_history(text);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].timestamp, "2017-01-01 00:00:00");
  EXPECT_EQ(entries[0].command, "conda create -n x python");
  EXPECT_EQ(entries[0].update_specs,
            (std::vector<std::string>{"python>=3.5.1", "jupyter >=1.0.0,<2.0"}));
  EXPECT_EQ(entries[1].remove_specs, (std::vector<std::string>{"jupyter"}));
  EXPECT_EQ(entries[1].neutered_specs, (std::vector<std::string>{"python[version='>=3.5,<4']"}));
  EXPECT_EQ(entries[1].listed,
            (std::vector<std::string>{"numpy-1.11.0-py35_0", "==> not a header"}));
  EXPECT_TRUE(entries[1].added.empty());
}

TEST(AppendHistory, AppendsBlocks) {
  auto dir = base::TempDir::create("graft-history-");
  ASSERT_TRUE(dir);
  HistoryEntry first{.timestamp = "2026-01-01 00:00:00", .command = "graft create -n x a",
                     .added = {"c/noarch::a-1-0"}, .update_specs = {"a"}};
  HistoryEntry second{.timestamp = "2026-01-02 00:00:00", .command = "graft remove -n x a",
                      .removed = {"c/noarch::a-1-0"}, .remove_specs = {"a"}};
  ASSERT_TRUE(append_history(dir->path(), first));
  ASSERT_TRUE(append_history(dir->path(), second));
  auto text = base::read_file(dir->path() / "conda-meta/history");
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, format_history_entry(first) + format_history_entry(second));
  EXPECT_EQ(history_timestamp(0).size(), 19u);
}

}  // namespace
}  // namespace graft::env

namespace graft::env {
namespace {

TEST(LatestRequestedSpecs, LaterSpecsReplaceRemovalForgetsAndCommandlessBlocksCanBeSkipped) {
  const std::vector<HistoryEntry> entries = {
      {.command = "create", .update_specs = {"a", "b>=1"}},
      {.command = "install", .update_specs = {"b>=2"}},
      {.command = "remove", .remove_specs = {"a"}},
      {.command = "install", .update_specs = {"a=2"}},
      {.update_specs = {"c"}},  // no "# cmd:" line
  };
  std::vector<std::string> all;
  for (const auto& spec : latest_requested_specs(entries, false)) all.push_back(spec.original());
  EXPECT_EQ(all, (std::vector<std::string>{"b>=2", "a=2", "c"}));
  EXPECT_EQ(latest_requested_specs(entries, true).size(), 2u);
}

}  // namespace
}  // namespace graft::env
