// What extraction must refuse beyond hostile paths (archive_test.cc): a write that fails
// part-way (a full disk, a file size limit), a package that expands past what its
// info/paths.json declares (a decompression bomb), and anything but a regular file.
#include <sys/stat.h>

#include <chrono>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/test_io.h"
#include "conda/archive.h"
#include "conda/test_archives.h"

namespace graft::conda {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::make_conda;
using testing::make_tarball;
using testing::Member;
using testing::paths_json;
using testing::write_bytes;

constexpr std::uint64_t kMiB = 1 << 20;

class ArchiveLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = base::TempDir::create("archive-limits-test-");
    ASSERT_TRUE(dir) << dir.error().message();
    scratch_.emplace(std::move(*dir));
  }
  fs::path path(const std::string& name) const { return scratch_->path() / name; }

  // Writes a package `name` + `ext` whose info/ holds index.json and `info`, and whose
  // payload is `payload`; returns its path.
  fs::path package(const std::string& name, const std::string& ext,
                   const std::vector<Member>& payload, const std::vector<Member>& info = {}) {
    std::vector<Member> info_members = {{.path = "info/index.json", .data = "{}"}};
    info_members.insert(info_members.end(), info.begin(), info.end());
    std::vector<Member> all = info_members;
    all.insert(all.end(), payload.begin(), payload.end());
    const fs::path file = path(name + ext);
    write_bytes(file,
                ext == ".conda" ? make_conda(payload, info_members) : make_tarball(all, "bzip2"));
    return file;
  }

  std::optional<base::TempDir> scratch_;
};

const std::vector<std::string> kFormats = {".conda", ".tar.bz2"};

TEST_F(ArchiveLimitsTest, AFullDiskFailsTheExtractionNamingTheFileAndLeavesNothing) {
  auto disk = base::TestTmpfs::mount(kMiB);
  if (!disk) GTEST_SKIP() << disk.error().message();
  for (const std::string& ext : kFormats) {
    SCOPED_TRACE(ext);
    // The large file comes last: no later write fails to give the failure away.
    const fs::path file = package("full", ext,
                                  {{.path = "share/a", .data = "first\n"},
                                   {.path = "share/blob", .data = base::test_text(4 * kMiB)}});
    const fs::path out = disk->path() / ("out" + ext);
    auto stats = extract_archive(file, out);
    ASSERT_FALSE(stats) << "extracted into a full disk; 'share/blob' holds "
                        << fs::file_size(out / "share/blob") << " bytes";
    EXPECT_EQ(stats.error().code(), ErrorCode::kIo);
    EXPECT_THAT(stats.error().message(), HasSubstr("'share/blob'"));
    EXPECT_THAT(stats.error().message(), HasSubstr("No space left on device"));
    EXPECT_THAT(stats.error().message(), HasSubstr(file.filename().string()));
    EXPECT_FALSE(fs::exists(out));
    EXPECT_TRUE(fs::is_empty(disk->path()));
  }
}

TEST_F(ArchiveLimitsTest, AFileSizeLimitFailsTheExtractionNamingTheFile) {
  for (const std::string& ext : kFormats) {
    SCOPED_TRACE(ext);
    const fs::path file = package("limited", ext,
                                  {{.path = "share/blob", .data = base::test_text(3 * kMiB)},
                                   {.path = "share/z", .data = "last\n"}});
    const fs::path out = path("out" + ext);
    Result<ExtractStats> stats = ExtractStats{};
    {
      base::FileSizeLimit limit(kMiB);
      stats = extract_archive(file, out);
    }
    ASSERT_FALSE(stats);
    EXPECT_EQ(stats.error().code(), ErrorCode::kIo);
    EXPECT_THAT(stats.error().message(), HasSubstr("'share/blob'"));
    EXPECT_THAT(stats.error().message(), HasSubstr("File too large"));
    EXPECT_FALSE(fs::exists(out));
  }
}

TEST_F(ArchiveLimitsTest, AMemberLargerThanPathsJsonDeclaresIsRefused) {
  for (const std::string& ext : kFormats) {
    SCOPED_TRACE(ext);
    const fs::path file = package("bomb", ext,
                                  {{.path = "share/ok", .data = "fine\n"},
                                   {.path = "share/x", .data = "0123456789", .zeros = 64 * kMiB}},
                                  {paths_json({{"share/ok", 5}, {"share/x", 10}})});
    const fs::path out = path("out" + ext);
    auto stats = extract_archive(file, out);
    ASSERT_FALSE(stats);
    EXPECT_EQ(stats.error().code(), ErrorCode::kCorrupt);
    EXPECT_THAT(stats.error().message(),
                HasSubstr("'share/x' is larger than the 10 bytes 'info/paths.json' declares"));
    EXPECT_FALSE(fs::exists(out));
  }
}

TEST_F(ArchiveLimitsTest, ASmallPackageThatExpandsToGigabytesIsRefusedAtOnce) {
  // 2 GiB of zeros in a member paths.json does not list: the archive is a few dozen kB.
  const fs::path file = package(
      "bomb", ".conda",
      {{.path = "share/ok", .data = "fine\n"}, {.path = "share/undeclared", .zeros = 2048 * kMiB}},
      {paths_json({{"share/ok", 5}})});
  EXPECT_LT(fs::file_size(file), 100'000u);
  const auto start = std::chrono::steady_clock::now();
  auto stats = extract_archive(file, path("out"));
  ASSERT_FALSE(stats);
  EXPECT_EQ(stats.error().code(), ErrorCode::kCorrupt);
  EXPECT_THAT(stats.error().message(),
              HasSubstr("'share/undeclared' would take the package past 67108869 bytes"));
  EXPECT_THAT(stats.error().message(), HasSubstr("'info/paths.json' declares 5 bytes"));
  EXPECT_FALSE(fs::exists(path("out")));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST_F(ArchiveLimitsTest, UndeclaredBytesWithinTheAllowanceAreExtracted) {
  for (const std::string& ext : kFormats) {
    SCOPED_TRACE(ext);
    const fs::path file = package("fits", ext,
                                  {{.path = "share/ok", .data = "fine\n"},
                                   {.path = "share/extra", .data = base::test_text(1000)}},
                                  {paths_json({{"share/ok", 5}})});
    auto stats = extract_archive(file, path("out" + ext), {.limits = {.allowance_bytes = 2000}});
    ASSERT_TRUE(stats) << stats.error().message();
    EXPECT_EQ(fs::file_size(path("out" + ext) / "share/extra"), 1000u);
    auto refused =
        extract_archive(file, path("refused" + ext), {.limits = {.allowance_bytes = 500}});
    ASSERT_FALSE(refused);
    EXPECT_THAT(refused.error().message(), HasSubstr("'share/extra' would take the package past"));
    EXPECT_FALSE(fs::exists(path("refused" + ext)));
  }
}

TEST_F(ArchiveLimitsTest, APackageWithoutPathsJsonIsCappedByItsArchiveSize) {
  for (const std::string& ext : kFormats) {
    SCOPED_TRACE(ext);
    const fs::path file = package("legacy", ext, {{.path = "share/zeros", .zeros = 8 * kMiB}});
    const ExtractLimits small{.legacy_ratio = 10, .legacy_floor_bytes = kMiB};
    auto stats = extract_archive(file, path("out" + ext), {.limits = small});
    ASSERT_FALSE(stats);
    EXPECT_EQ(stats.error().code(), ErrorCode::kCorrupt);
    EXPECT_THAT(stats.error().message(),
                HasSubstr("'share/zeros' would take the package past 1048576 bytes"));
    EXPECT_THAT(stats.error().message(), HasSubstr("the package has no 'info/paths.json'"));
    EXPECT_FALSE(fs::exists(path("out" + ext)));
    auto roomy =
        extract_archive(file, path("roomy" + ext), {.limits = {.legacy_floor_bytes = 16 * kMiB}});
    ASSERT_TRUE(roomy) << roomy.error().message();
    EXPECT_EQ(fs::file_size(path("roomy" + ext) / "share/zeros"), 8 * kMiB);
  }
}

TEST_F(ArchiveLimitsTest, OnlyRegularFilesAreOpenedAsPackages) {
  const fs::path fifo = path("fifo-1-0.conda");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const fs::path zero = path("zero-1-0.tar.bz2");
  fs::create_symlink("/dev/zero", zero);
  const std::vector<std::pair<fs::path, std::string>> cases = {{fifo, "it is a fifo"},
                                                               {zero, "it is a character device"}};
  for (const auto& [file, kind] : cases) {
    SCOPED_TRACE(file.filename().string());
    base::FifoUnblocker unblock(fifo, std::chrono::milliseconds(1500));
    const auto start = std::chrono::steady_clock::now();
    auto stats = extract_archive(file, path("out"));
    auto info = read_info_files(file);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
    ASSERT_FALSE(stats);
    ASSERT_FALSE(info);
    EXPECT_THAT(stats.error().message(), HasSubstr("is not a regular file: " + kind));
    EXPECT_THAT(info.error().message(), HasSubstr("is not a regular file: " + kind));
    EXPECT_FALSE(fs::exists(path("out")));
  }
}

}  // namespace
}  // namespace graft::conda
