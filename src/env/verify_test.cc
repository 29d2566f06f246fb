#include "env/verify.h"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/hash.h"
#include "env/prefix_data.h"

namespace graft::env {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

conda::PathEntry file_entry(const std::string& path, const std::string& content) {
  conda::PathEntry entry;
  entry.path = path;
  entry.path_type = "hardlink";
  entry.sha256 = base::sha256_hex(content);
  entry.size_in_bytes = content.size();
  return entry;
}

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    prefix_ = fs::temp_directory_path() /
              ("graft-verify-test-" +
               std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(prefix_);
    conda::PackageRecord package;
    package.name = "pkg";
    package.version = "1.0";
    package.build = "0";
    package.subdir = "noarch";
    auto record = conda::make_prefix_record(package);
    conda::PathsData paths;
    paths.paths.push_back(file_entry("bin/tool", "#!/bin/sh\necho hi\n"));
    paths.paths.push_back(file_entry("share/data.txt", "data"));
    auto placeholder = file_entry("etc/pkg.pc", "prefix=/opt/anaconda1anaconda2anaconda3\n");
    placeholder.prefix_placeholder = "/opt/anaconda1anaconda2anaconda3";
    placeholder.file_mode = "text";
    const std::string linked = "prefix=" + prefix_.string() + "\n";
    placeholder.sha256_in_prefix = base::sha256_hex(linked);
    paths.paths.push_back(placeholder);
    conda::PathEntry link;
    link.path = "lib/current";
    link.path_type = "softlink";
    paths.paths.push_back(link);
    for (const auto& entry : paths.paths) record.files.push_back(entry.path);
    record.paths_data = paths;
    ASSERT_TRUE(write_record(prefix_, record));
    write(prefix_ / "bin/tool", "#!/bin/sh\necho hi\n");
    write(prefix_ / "share/data.txt", "data");
    write(prefix_ / "etc/pkg.pc", linked);
    fs::create_directories(prefix_ / "lib");
    fs::create_symlink("../share", prefix_ / "lib/current");
  }
  void TearDown() override { fs::remove_all(prefix_); }

  VerifyReport verify(VerifyOptions options = {}) {
    auto report = verify_prefix(prefix_, options);
    EXPECT_TRUE(report) << report.error().message();
    return report ? *report : VerifyReport{};
  }

  fs::path prefix_;
};

TEST_F(VerifyTest, IntactPrefixHasNoDrift) {
  auto report = verify();
  EXPECT_EQ(format_verify_text(report), "verified 4 files of 1 package: no drift\n");
}

TEST_F(VerifyTest, ReportsMissingModifiedAndDanglingWithDetails) {
  fs::remove(prefix_ / "bin/tool");
  write(prefix_ / "share/data.txt", "DATA");  // same size, other bytes
  write(prefix_ / "etc/pkg.pc", "prefix=/elsewhere\n");
  fs::remove(prefix_ / "lib/current");
  fs::create_symlink("../gone", prefix_ / "lib/current");
  EXPECT_EQ(format_verify_text(verify({.threads = 3})),
            "missing: bin/tool (pkg-1.0-0)\n"
            "modified: etc/pkg.pc (pkg-1.0-0): sha256 differs from the record\n"
            "modified: lib/current (pkg-1.0-0): dangling symlink to '../gone'\n"
            "modified: share/data.txt (pkg-1.0-0): sha256 differs from the record\n"
            "verified 4 files of 1 package: 4 problems\n");
}

TEST_F(VerifyTest, FastModeChecksSizesOnly) {
  write(prefix_ / "share/data.txt", "DATA");
  write(prefix_ / "bin/tool", "short");
  EXPECT_EQ(format_verify_text(verify({.depth = VerifyDepth::kSizeOnly})),
            "modified: bin/tool (pkg-1.0-0): size 5 bytes, recorded 18\n"
            "verified 4 files of 1 package: 1 problem\n");
}

TEST_F(VerifyTest, ExtraReportsUntrackedFilesOutsideCondaMeta) {
  write(prefix_ / "notes.txt", "mine");
  write(prefix_ / "conda-meta/state", "{}");
  EXPECT_EQ(format_verify_text(verify()), "verified 4 files of 1 package: no drift\n");
  EXPECT_EQ(format_verify_text(verify({.extra = ExtraFiles::kReport})),
            "untracked: notes.txt\nverified 4 files of 1 package: 1 problem\n");
}

TEST_F(VerifyTest, JsonListsProblems) {
  fs::remove(prefix_ / "share/data.txt");
  auto report = verify();
  report.prefix = "/p";
  EXPECT_EQ(format_verify_json(report),
            "{\n  \"prefix\": \"/p\",\n  \"packages\": 1,\n  \"files\": 4,\n  \"ok\": false,\n"
            "  \"problems\": [\n    {\n      \"kind\": \"missing\",\n      \"path\": "
            "\"share/data.txt\",\n      \"package\": \"pkg-1.0-0\",\n      \"detail\": \"\"\n"
            "    }\n  ]\n}\n");
}

TEST_F(VerifyTest, ABrokenRecordIsReportedAndTheOthersStillChecked) {
  write(prefix_ / "conda-meta/broken-2.0-1.json", "{\"name\": ");
  fs::remove(prefix_ / "share/data.txt");
  auto report = verify();
  ASSERT_EQ(report.problems.size(), 2u);
  const VerifyProblem& broken = report.problems[0];
  EXPECT_EQ(broken.kind, ProblemKind::kCorrupt);
  EXPECT_EQ(broken.path, "conda-meta/broken-2.0-1.json");
  EXPECT_EQ(broken.package, "broken-2.0-1");
  EXPECT_THAT(broken.detail,
              ::testing::StartsWith((prefix_ / "conda-meta/broken-2.0-1.json").string() + ":"));
  EXPECT_EQ(report.problems[1].path, "share/data.txt");
  EXPECT_EQ(report.packages, 2u);
  EXPECT_THAT(format_verify_text(report),
              ::testing::StartsWith("corrupt: conda-meta/broken-2.0-1.json (broken-2.0-1): "));
  EXPECT_EQ(damaged_packages(report), (std::vector<std::string>{"broken-2.0-1", "pkg-1.0-0"}));
}

TEST_F(VerifyTest, LoadRecordsNamesTheBrokenFileAndHowToRepair) {
  write(prefix_ / "conda-meta/broken-2.0-1.json", "[]");
  auto records = load_records(prefix_);
  ASSERT_FALSE(records);
  EXPECT_EQ(records.error().code(), ErrorCode::kCorrupt);
  EXPECT_THAT(records.error().message(),
              ::testing::HasSubstr((prefix_ / "conda-meta/broken-2.0-1.json").string()));
  EXPECT_EQ(records.error().hint(),
            "run 'graft verify --repair -p " + prefix_.string() +
                "' to reinstall the package from the package cache or its channel");
}

TEST(VerifyPrefix, NoCondaMetaIsAnError) {
  auto report = verify_prefix(fs::temp_directory_path() / "graft-verify-no-such-prefix", {});
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().message(),
            "no environment at '" +
                (fs::temp_directory_path() / "graft-verify-no-such-prefix").string() +
                "': it has no conda-meta directory");
}

}  // namespace
}  // namespace graft::env
