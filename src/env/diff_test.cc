#include "env/diff.h"

#include <filesystem>
#include <memory>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/hash.h"
#include "base/strings.h"
#include "env/prefix_data.h"
#include "env/state.h"
#include "env/testing.h"

namespace graft::env {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kPlaceholder = "/opt/anaconda1anaconda2anaconda3";

// A package file; "@PREFIX@" in `content` is the placeholder, replaced when linked.
struct File {
  std::string path;
  std::string content;
};

// Installs a package into `prefix` as conda would record it.
void install(const fs::path& prefix, const std::string& name, const std::string& version,
             const std::vector<File>& files, bool record_in_prefix_hash = true) {
  conda::PackageRecord package{.name = name,
                               .version = version,
                               .build = "h0_0",
                               .subdir = "linux-64",
                               .sha256 = base::sha256_hex(name + version),
                               .channel = "https://conda.example/forge/linux-64"};
  auto record = conda::make_prefix_record(package);
  record.paths_data.emplace();
  for (const auto& file : files) {
    const bool has_prefix = file.content.find("@PREFIX@") != std::string::npos;
    const std::string linked = base::replace_all(file.content, "@PREFIX@", prefix.string());
    conda::PathEntry entry{
        .path = file.path,
        .path_type = "hardlink",
        .sha256 = base::sha256_hex(base::replace_all(file.content, "@PREFIX@", kPlaceholder)),
        .size_in_bytes = file.content.size()};
    if (has_prefix) {
      entry.prefix_placeholder = kPlaceholder;
      entry.file_mode = "text";
      if (record_in_prefix_hash) entry.sha256_in_prefix = base::sha256_hex(linked);
    }
    record.paths_data->paths.push_back(entry);
    record.files.push_back(file.path);
    testing::write_text(prefix / file.path, linked);
  }
  ASSERT_TRUE(write_record(prefix, record));
}

// A noarch: python package whose entry point bin/serve the linker wrote: recorded without a
// hash, its shebang naming the prefix's python.
void install_entry_point(const fs::path& prefix, const std::string& function = "main") {
  conda::PackageRecord package{.name = "server",
                               .version = "1.0",
                               .build = "py_0",
                               .subdir = "noarch",
                               .sha256 = base::sha256_hex("server"),
                               .channel = "https://conda.example/forge/noarch"};
  auto record = conda::make_prefix_record(package);
  record.paths_data.emplace();
  record.paths_data->paths.push_back({.path = "bin/serve", .path_type = "unix_python_entry_point"});
  record.files.push_back("bin/serve");
  testing::write_text(
      prefix / "bin/serve",
      "#!" + prefix.string() + "/bin/python3.12\nfrom server import " + function + "\nmain()\n");
  ASSERT_TRUE(write_record(prefix, record));
}

class DiffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = base::TempDir::create("graft-diff-");
    ASSERT_TRUE(dir);
    dir_ = std::make_unique<base::TempDir>(std::move(*dir));
    a_ = dir_->path() / "envs/baseline";
    b_ = dir_->path() / "envs/treatment-with-a-longer-name";
    for (const fs::path& prefix : {a_, b_}) build(prefix);
  }

  // The same environment at each prefix: what a clone makes.
  void build(const fs::path& prefix) {
    install(prefix, "zlib", "1.2.11",
            {{"lib/libz.so", std::string("\x7f"
                                         "ELF\0\1",
                                         6)},
             {"lib/pkgconfig/zlib.pc", "prefix=@PREFIX@\n"}});
    install(prefix, "tool", "2.0", {{"bin/tool", "#!/bin/sh\necho @PREFIX@\n"}}, false);
    testing::write_text(prefix / "train.py", "DATA = '" + prefix.string() + "/share/data'\n");
    testing::write_text(prefix / "share/data/x.bin", std::string(1000, '\1'));
    fs::create_symlink(prefix / "share/data", prefix / "data");
    testing::write_text(prefix / "lib/python3.12/site-packages/tiny-0.1.dist-info/METADATA",
                        "Name: tiny\nVersion: 0.1\n");
    testing::write_text(prefix / "conda-meta/pinned", "# pins\nzlib 1.2.*\n");
    ASSERT_TRUE(set_env_vars(prefix, {{"LR", "0.1"}, {"DATA", prefix.string() + "/share"}}));
  }

  DiffReport diff() {
    auto report = diff_environments(a_, b_, {.threads = 2});
    EXPECT_TRUE(report) << report.error().message();
    return report ? *report : DiffReport{};
  }

  std::unique_ptr<base::TempDir> dir_;
  fs::path a_, b_;
};

TEST_F(DiffTest, ACopyAtAnotherPrefixIsIdentical) {
  const DiffReport report = diff();
  EXPECT_TRUE(report.identical()) << format_diff_text(report, {"a", "b"});
  EXPECT_EQ(report.a_counts.packages, 2u);
  EXPECT_EQ(report.a_counts.tracked_files, 3u);
  EXPECT_EQ(report.a_counts.untracked_files, 4u);  // train.py, x.bin, data, METADATA
  EXPECT_EQ(report.a_counts.env_vars, 2u);
  EXPECT_EQ(report.a_counts.pins, 1u);
  EXPECT_EQ(report.a_counts.pip, 1u);
  EXPECT_EQ(format_diff_text(report, {"baseline", "treatment"}),
            "--- A: baseline  (" + a_.string() + ")\n+++ B: treatment  (" + b_.string() +
                ")\nidentical: 2 packages, 3 tracked files, 4 untracked files, 1 pip package, "
                "2 env vars, 1 pin (" +
                std::to_string(report.files_hashed) + " files compared by content)\n");
}

TEST_F(DiffTest, HardLinkedFilesAreIdenticalWithoutReadingThem) {
  const DiffReport before = diff();
  fs::remove(b_ / "lib/libz.so");
  fs::create_hard_link(a_ / "lib/libz.so", b_ / "lib/libz.so");
  const DiffReport after = diff();
  EXPECT_TRUE(after.identical());
  EXPECT_EQ(after.files_hashed, before.files_hashed - 2);
}

TEST_F(DiffTest, PackageChangesNameTheirFields) {
  fs::remove_all(b_ / "conda-meta");
  fs::create_directories(b_ / "conda-meta");
  install(b_, "zlib", "1.3", {{"lib/libz.so", "new"}});
  install(b_, "extra", "0.1", {});
  const DiffReport report = diff();
  ASSERT_EQ(report.packages.size(), 3u);
  EXPECT_EQ(report.packages[0].name, "extra");
  EXPECT_EQ(report.packages[0].kind, ChangeKind::kAdded);
  EXPECT_EQ(report.packages[0].b.channel, "https://conda.example/forge");
  EXPECT_EQ(report.packages[1].name, "tool");
  EXPECT_EQ(report.packages[1].kind, ChangeKind::kRemoved);
  EXPECT_EQ(report.packages[2].name, "zlib");
  EXPECT_THAT(report.packages[2].fields, ElementsAre("version"));
  const std::string text = format_diff_text(report, {"a", "b"});
  EXPECT_THAT(text, HasSubstr("packages: 1 changed, 1 only in A, 1 only in B\n"
                              "  + extra  0.1 h0_0 (https://conda.example/forge)\n"
                              "  - tool   2.0 h0_0 (https://conda.example/forge)\n"));
  EXPECT_THAT(text, HasSubstr("  ~ zlib   1.2.11 h0_0  ->  1.3 h0_0  [version]\n"));
}

TEST_F(DiffTest, FilesChangedInPlaceAreAttributed) {
  testing::write_text(b_ / "lib/libz.so", "patched");
  testing::write_text(a_ / "lib/pkgconfig/zlib.pc", "prefix=/elsewhere\n");
  fs::remove(a_ / "bin/tool");
  const DiffReport report = diff();
  ASSERT_EQ(report.files.size(), 3u) << format_diff_text(report, {"a", "b"});
  EXPECT_EQ(report.files[0].key, "bin/tool");
  EXPECT_EQ(report.files[0].detail, "missing in A");
  EXPECT_EQ(report.files[0].package, "tool-2.0-h0_0");
  EXPECT_EQ(report.files[1].key, "lib/libz.so");
  EXPECT_EQ(report.files[1].detail, "differs from its record in B");
  EXPECT_EQ(report.files[1].b, "sha256 " + base::sha256_hex("patched").substr(0, 16));
  EXPECT_EQ(report.files[2].detail, "differs from its record in A");
  EXPECT_THAT(format_diff_text(report, {"a", "b"}),
              HasSubstr("\ntracked files: 3 changed\n  ~ bin/tool (tool-2.0-h0_0): missing in A "
                        "[A: missing, B: a file]\n"));
}

TEST_F(DiffTest, PlaceholderFilesWithoutARecordedHashAreComparedAfterSubstitution) {
  testing::write_text(b_ / "bin/tool", "#!/bin/sh\necho " + a_.string() + "\n");
  const DiffReport report = diff();
  ASSERT_EQ(report.files.size(), 1u);
  EXPECT_EQ(report.files[0].detail, "content differs after prefix substitution");
}

TEST_F(DiffTest, EntryPointsAreComparedAfterPrefixSubstitution) {
  install_entry_point(a_);
  install_entry_point(b_);
  EXPECT_TRUE(diff().files.empty()) << "each shebang names its own prefix's python";
  install_entry_point(b_, "other");
  const DiffReport report = diff();
  ASSERT_EQ(report.files.size(), 1u);
  EXPECT_EQ(report.files[0].key, "bin/serve");
  EXPECT_EQ(report.files[0].detail, "content differs after prefix substitution");
}

TEST_F(DiffTest, UntrackedFilesAddedRemovedAndChanged) {
  fs::remove(a_ / "share/data/x.bin");
  testing::write_text(b_ / "notes.md", "n");
  testing::write_text(b_ / "train.py", "DATA = 'other'\n");
  fs::remove(b_ / "data");
  fs::create_symlink(a_ / "share/data", b_ / "data");  // still points into A
  const DiffReport report = diff();
  std::vector<std::string> lines;
  for (const auto& item : report.untracked) {
    lines.push_back(std::string(change_kind_name(item.kind)) + " " + item.key + " " + item.detail);
  }
  EXPECT_THAT(lines, ElementsAre("changed data symlink target differs", "added notes.md ",
                                 "added share/data/x.bin ", "changed train.py content differs"));
}

TEST_F(DiffTest, PipEnvVarsAndPins) {
  testing::write_text(b_ / "lib/python3.12/site-packages/tiny-0.1.dist-info/METADATA",
                      "Name: tiny\nVersion: 0.2\n");
  ASSERT_TRUE(set_env_vars(b_, {{"LR", "0.01"}, {"SEED", "7"}}));
  ASSERT_TRUE(unset_env_vars(a_, {"DATA"}));
  testing::write_text(b_ / "conda-meta/pinned", "zlib 1.3.*\npython 3.12.*\n");
  const DiffReport report = diff();
  EXPECT_EQ(report.pip,
            (std::vector<Difference>{
                {.kind = ChangeKind::kChanged, .key = "tiny", .a = "0.1", .b = "0.2"}}));
  EXPECT_EQ(report.env_vars.size(), 3u);
  const std::string text = format_diff_text(report, {"a", "b"});
  EXPECT_THAT(text, HasSubstr("pip packages: 1 changed\n  ~ tiny 0.1  ->  0.2\n"));
  EXPECT_THAT(text, HasSubstr("env vars: 1 changed, 2 only in B\n  + DATA = " + b_.string() +
                              "/share\n  ~ LR = 0.1  ->  0.01\n  + SEED = 7\n"));
  EXPECT_THAT(text, HasSubstr("pins: 1 changed, 1 only in B\n  + python: python 3.12.*\n"
                              "  ~ zlib: zlib 1.2.*  ->  zlib 1.3.*\n"));
  EXPECT_THAT(text, HasSubstr("\n7 differences between A and B\n  A: 2 packages, "));
}

TEST_F(DiffTest, JsonHasStableKeys) {
  ASSERT_TRUE(set_env_vars(b_, {{"LR", "0.01"}}));
  const DiffReport report = diff();
  const std::string json = format_diff_json(report, {"baseline", "treatment"});
  EXPECT_THAT(json, HasSubstr("  \"env_vars\": [\n    {\n      \"a\": \"0.1\",\n      \"b\": "
                              "\"0.01\",\n      \"change\": \"changed\",\n      \"name\": \"LR\"\n"
                              "    }\n  ],\n"));
  EXPECT_THAT(json, HasSubstr("\"identical\": false"));
  EXPECT_THAT(json, HasSubstr("\"differences\": 1"));
  EXPECT_THAT(json, HasSubstr("\"name\": \"treatment\""));
}

TEST_F(DiffTest, MissingEnvironmentIsAnError) {
  auto report = diff_environments(a_, dir_->path() / "nope");
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(report.error().message(), "no environment at '" + (dir_->path() / "nope").string() +
                                          "': it has no conda-meta directory");
}

TEST(DiffValuesTest, AddedRemovedChangedSortedByKey) {
  const auto out =
      diff_values({{"b", "1"}, {"a", "1"}, {"c", "x"}}, {{"c", "y"}, {"d", "1"}, {"a", "1"}});
  EXPECT_EQ(out,
            (std::vector<Difference>{{.kind = ChangeKind::kRemoved, .key = "b", .a = "1"},
                                     {.kind = ChangeKind::kChanged, .key = "c", .a = "x", .b = "y"},
                                     {.kind = ChangeKind::kAdded, .key = "d", .b = "1"}}));
  EXPECT_TRUE(diff_values({}, {}).empty());
}

}  // namespace
}  // namespace graft::env
