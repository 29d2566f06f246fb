#include "conda/channel_index.h"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "conda/package_builder.h"

namespace graft::conda {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Json = nlohmann::json;

fs::path conformance() { return fs::path(GRAFT_CONFORMANCE_DIR) / "conda"; }

Json read_json(const fs::path& path) {
  auto text = base::read_file(path);
  return text ? Json::parse(*text) : Json();
}

class ChannelIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = base::TempDir::create("index-test-");
    ASSERT_TRUE(dir) << dir.error().message();
    scratch_ = std::make_unique<base::TempDir>(std::move(*dir));
    channel_ = scratch_->path() / "channel";
    fs::create_directories(channel_);
  }
  // Copies the package files (not the repodata) of a corpus subdir into the channel.
  void copy_packages(const fs::path& from, const std::string& subdir) {
    fs::create_directories(channel_ / subdir);
    for (const auto& entry : fs::directory_iterator(from)) {
      if (!archive_stem(entry.path()).empty()) {
        fs::copy_file(entry.path(), channel_ / subdir / entry.path().filename());
      }
    }
  }
  // Packs a tiny noarch package into the channel's `subdir`.
  void pack(const std::string& name, const std::string& subdir, ArchiveFormat format) {
    fs::path source = scratch_->path() / ("src-" + name);
    fs::create_directories(source);
    std::ofstream(source / "README") << name;
    fs::create_directories(channel_ / subdir);
    auto packed = pack_package({.source_dir = source, .name = name, .version = "1.0",
                                .noarch = NoarchKind::kGeneric, .format = format,
                                .output_dir = channel_ / subdir, .timestamp_ms = 1000});
    ASSERT_TRUE(packed) << packed.error().message();
  }

  std::unique_ptr<base::TempDir> scratch_;
  fs::path channel_;
};

TEST(RepodataRecord, DropsWhatCondaIndexDropsAndAddsDigests) {
  const std::string index_json = R"({"arch": "x86_64", "build": "h1_0", "build_number": 0,
      "depends": ["libgcc-ng >=7"], "has_prefix": true, "license": "MIT",
      "license_family": "MIT", "machine": "x86_64", "name": "a", "platform": "linux",
      "subdir": "linux-64", "target-triplet": "x", "timestamp": 1542814864621,
      "track_features": "f1 f2", "ucs": 4, "version": "1.0", "custom": {"k": 1}})";
  auto record = repodata_record(index_json, "a-1.0-h1_0.conda",
                                {.sha256 = "ab", .md5 = "cd", .size = 42}, "index.json");
  ASSERT_TRUE(record) << record.error().message();
  EXPECT_EQ(record->name, "a");
  EXPECT_EQ(record->md5, "cd");
  EXPECT_EQ(record->sha256, "ab");
  EXPECT_EQ(record->size, 42u);
  EXPECT_EQ(record->license_family, "MIT");
  EXPECT_THAT(record->track_features, ElementsAre("f1", "f2"));
  ASSERT_EQ(record->extra.size(), 1u);
  EXPECT_EQ(record->extra[0].key, "custom");
  EXPECT_EQ(repodata_record("[1]", "x.conda", {}, "x/index.json").error().code(),
            ErrorCode::kCorrupt);
}

TEST_F(ChannelIndexTest, MatchesCondaIndexOnTheTestRecipes) {
  fs::path recipes = conformance() / "test-recipes/noarch";
  if (!fs::exists(recipes)) GTEST_SKIP() << "conformance corpus absent at " << recipes;
  copy_packages(recipes, "noarch");
  auto report = index_channel({.channel_dir = channel_, .threads = 2});
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_TRUE(report->skipped.empty()) << report->skipped.front();
  Json expected = read_json(recipes / "repodata.json");
  Json actual = read_json(channel_ / "noarch/repodata.json");
  ASSERT_EQ(actual["packages.conda"].size(), expected["packages.conda"].size());
  for (const auto& [fn, record] : expected["packages.conda"].items()) {
    EXPECT_EQ(actual["packages.conda"][fn], record) << fn;
  }
  EXPECT_EQ(actual["info"], expected["info"]);
  EXPECT_EQ(actual["repodata_version"], 1);
  EXPECT_EQ(actual["packages"], Json::object());
  ASSERT_EQ(report->subdirs.size(), 1u);
  EXPECT_EQ(report->subdirs[0].conda, expected["packages.conda"].size());
}

TEST_F(ChannelIndexTest, IndexesBothFormatsAndWritesAnEmptyNoarch) {
  fs::path repo = conformance() / "conda_format_repo";
  if (!fs::exists(repo)) GTEST_SKIP() << "conformance corpus absent at " << repo;
  copy_packages(repo / "linux-64", "linux-64");
  auto report = index_channel({.channel_dir = channel_});
  ASSERT_TRUE(report) << report.error().message();
  Json expected = read_json(repo / "linux-64/repodata.json");
  Json actual = read_json(channel_ / "linux-64/repodata.json");
  for (const char* section : {"packages", "packages.conda"}) {
    const std::string fn = std::string("zlib-1.2.11-h7b6447c_3") +
                           (std::string(section) == "packages" ? ".tar.bz2" : ".conda");
    EXPECT_EQ(actual[section][fn], expected[section][fn]) << fn;
    EXPECT_EQ(actual[section].size(), 1u);
  }
  EXPECT_EQ(*base::read_file(channel_ / "noarch/repodata.json"),
            *base::read_file(repo / "noarch/repodata.json"));
  ASSERT_EQ(report->subdirs.size(), 2u);
  EXPECT_EQ(report->subdirs[0].subdir, "linux-64");
  EXPECT_EQ(report->subdirs[0].tar_bz2, 1u);
  EXPECT_EQ(report->subdirs[0].conda, 1u);
}

TEST_F(ChannelIndexTest, SkipsBrokenPackagesAndReportsThem) {
  pack("good", "noarch", ArchiveFormat::kConda);
  pack("old", "noarch", ArchiveFormat::kTarBz2);
  pack("misplaced", "linux-64", ArchiveFormat::kConda);
  std::ofstream(channel_ / "noarch/junk-1.0-0.conda") << "not a zip";
  fs::create_directories(channel_ / ".cache");
  fs::create_directories(channel_ / "docs");
  auto report = index_channel({.channel_dir = channel_, .threads = 3});
  ASSERT_TRUE(report) << report.error().message();
  ASSERT_EQ(report->skipped.size(), 2u);
  EXPECT_THAT(report->skipped[0], HasSubstr("'linux-64/misplaced-1.0-0.conda': its index.json "
                                            "says subdir 'noarch'"));
  EXPECT_THAT(report->skipped[1], HasSubstr("'noarch/junk-1.0-0.conda': "));
  Json noarch = read_json(channel_ / "noarch/repodata.json");
  EXPECT_EQ(noarch["packages.conda"].size(), 1u);
  EXPECT_EQ(noarch["packages.conda"]["good-1.0-0.conda"]["name"], "good");
  EXPECT_EQ(noarch["packages"]["old-1.0-0.tar.bz2"]["noarch"], "generic");
  EXPECT_FALSE(noarch["packages"]["old-1.0-0.tar.bz2"].contains("arch"));
  EXPECT_TRUE(fs::exists(channel_ / "linux-64/repodata.json"));
  EXPECT_FALSE(fs::exists(channel_ / "docs/repodata.json"));
  EXPECT_FALSE(fs::exists(channel_ / ".cache/repodata.json"));
}

TEST_F(ChannelIndexTest, SameOutputWithOneOrManyThreads) {
  for (int i = 0; i < 6; ++i) pack("p" + std::to_string(i), "noarch", ArchiveFormat::kConda);
  ASSERT_TRUE(index_channel({.channel_dir = channel_, .threads = 1}));
  std::string single = *base::read_file(channel_ / "noarch/repodata.json");
  ASSERT_TRUE(index_channel({.channel_dir = channel_, .threads = 4}));
  EXPECT_EQ(*base::read_file(channel_ / "noarch/repodata.json"), single);
  EXPECT_EQ(read_json(channel_ / "noarch/repodata.json")["packages.conda"].size(), 6u);
}

TEST(ChannelIndex, MissingChannel) {
  auto report = index_channel({.channel_dir = "/nonexistent/graft-channel"});
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(report.error().message(),
            "channel directory '/nonexistent/graft-channel' does not exist");
}

}  // namespace
}  // namespace graft::conda
