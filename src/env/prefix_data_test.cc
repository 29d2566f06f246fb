#include "env/prefix_data.h"

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/fs.h"
#include "env/testing.h"

namespace graft::env {
namespace {

namespace fs = std::filesystem;
const fs::path kConda = fs::path(GRAFT_CONFORMANCE_DIR) / "conda";

TEST(LoadRecords, ReadsAnEnvironmentCondaWrote) {
  const fs::path prefix = kConda / "env_metadata/envpy313tosx_whl";
  if (!fs::exists(prefix)) GTEST_SKIP() << "conformance corpus absent; skipping";
  auto records = load_records(prefix);
  ASSERT_TRUE(records) << records.error().message();
  ASSERT_EQ(records->size(), 16u);
  EXPECT_EQ(records->front().name, "bzip2");
  EXPECT_EQ(records->back().name, "tzdata");
  const auto python = std::find_if(records->begin(), records->end(),
                                   [](const auto& r) { return r.name == "python"; });
  ASSERT_NE(python, records->end());
  EXPECT_EQ(python->build, "hfd29fff_1_cp313t");
  EXPECT_FALSE(python->files.empty());
}

TEST(LoadRecords, NamesTheCorruptFile) {
  const fs::path prefix = kConda / "corrupt/json";
  if (!fs::exists(prefix)) GTEST_SKIP() << "conformance corpus absent; skipping";
  auto records = load_records(prefix);
  ASSERT_FALSE(records);
  EXPECT_EQ(records.error().code(), ErrorCode::kCorrupt);
  EXPECT_THAT(records.error().message(),
              ::testing::HasSubstr((prefix / "conda-meta/corrupt-1.2.3-hashhash.json").string()));
}

TEST(LoadRecords, SkipsAppleDoubleFilesAndMissingCondaMeta) {
  const fs::path prefix = kConda / "corrupt/dot_underscore";
  if (!fs::exists(prefix)) GTEST_SKIP() << "conformance corpus absent; skipping";
  auto records = load_records(prefix);
  ASSERT_TRUE(records) << records.error().message();
  EXPECT_EQ(records->size(), 1u);
  auto dir = base::TempDir::create("graft-pd-");
  ASSERT_TRUE(dir);
  auto none = load_records(dir->path());
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST(UnlinkPackage, RemovesFilesRecordAndEmptyDirectoriesOnly) {
  auto dir = base::TempDir::create("graft-pd-");
  ASSERT_TRUE(dir);
  const fs::path prefix = dir->path();
  testing::write_text(prefix / "share/pkg/deep/a.txt", "a");
  testing::write_text(prefix / "share/other.txt", "keep");
  const conda::PrefixRecord record =
      testing::installed_record("pkg", {"share/pkg/deep/a.txt", "share/pkg/already-gone.txt"});
  ASSERT_TRUE(write_record(prefix, record));
  ASSERT_TRUE(fs::exists(prefix / "conda-meta/pkg-1-0.json"));
  ASSERT_TRUE(unlink_package(prefix, record, nullptr));
  EXPECT_FALSE(fs::exists(prefix / "share/pkg"));
  EXPECT_TRUE(fs::exists(prefix / "share/other.txt"));
  EXPECT_FALSE(fs::exists(prefix / "conda-meta/pkg-1-0.json"));
  EXPECT_TRUE(fs::exists(prefix / "conda-meta"));
}

}  // namespace
}  // namespace graft::env
