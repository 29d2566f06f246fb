#include "store/repodata_record.h"

#include <gtest/gtest.h>

namespace graft::store {
namespace {

const conda::PackageRecord kIndex{
    .name = "zlib", .version = "1.2.11", .build = "h7b6447c_3", .build_number = 3,
    .depends = {"libgcc-ng >=7.3.0"}, .subdir = "linux-64", .license = "zlib",
    .timestamp = 1542814864621, .license_family = "Other",
    .extra = {{"arch", "\"x86_64\""}, {"platform", "\"linux\""}}};

const ArchiveFacts kFacts{.fn = "zlib-1.2.11-h7b6447c_3.conda",
                          .url = "file:///chan/linux-64/zlib-1.2.11-h7b6447c_3.conda",
                          .sha256 = "f33a", .md5 = "cb23", .size = 105917};

TEST(RepodataRecordTest, SparseRecordIsCompletedFromIndexJson) {
  // What an @EXPLICIT line gives: a URL and a digest.
  const conda::PackageRecord sparse{.md5 = "cb23"};
  const conda::PackageRecord merged = make_repodata_record(sparse, kIndex, kFacts);
  EXPECT_EQ(merged.name, "zlib");
  EXPECT_EQ(merged.build_number, 3);
  EXPECT_EQ(merged.depends, kIndex.depends);
  EXPECT_EQ(merged.license_family, "Other");
  EXPECT_EQ(merged.timestamp, 1542814864621);
  EXPECT_EQ(merged.extra, kIndex.extra);
  EXPECT_EQ(merged.fn, kFacts.fn);
  EXPECT_EQ(merged.url, kFacts.url);
  EXPECT_EQ(merged.channel, "file:///chan/linux-64");
  EXPECT_EQ(merged.sha256, "f33a");
  EXPECT_EQ(merged.md5, "cb23");
  EXPECT_EQ(merged.size, 105917u);
}

TEST(RepodataRecordTest, NullFieldsOfIndexJsonAreDroppedAsCondaDoes) {
  conda::PackageRecord index = kIndex;
  index.extra = {{"arch", "null"}, {"platform", "null"}, {"binstar", "{}"}};
  const conda::PackageRecord merged = make_repodata_record({.md5 = "cb23"}, index, kFacts);
  ASSERT_EQ(merged.extra.size(), 1u);
  EXPECT_EQ(merged.extra[0].key, "binstar");
}

TEST(RepodataRecordTest, ChannelRecordWinsOverIndexJson) {
  // A repodata patch changed depends; the channel's record is what conda keeps.
  const conda::PackageRecord channel{
      .name = "zlib", .version = "1.2.11", .build = "h7b6447c_3", .build_number = 3,
      .depends = {"libgcc-ng >=11"}, .subdir = "linux-64", .md5 = "cb23", .sha256 = "f33a",
      .size = 105917, .fn = kFacts.fn, .channel = "https://repo.example/main/linux-64",
      .url = "https://repo.example/main/linux-64/" + kFacts.fn,
      .extra = {{"arch", "\"aarch64\""}}};
  const conda::PackageRecord merged = make_repodata_record(channel, kIndex, kFacts);
  EXPECT_EQ(merged.depends, channel.depends);
  EXPECT_EQ(merged.url, channel.url);
  EXPECT_EQ(merged.channel, channel.channel);
  // index.json's platform is not taken: conda gets arch and platform from the repodata.
  ASSERT_EQ(merged.extra.size(), 1u);
  EXPECT_EQ(merged.extra[0].json, "\"aarch64\"");
}

TEST(RepodataRecordTest, ChannelRecordGetsNoArchOrPlatformFromIndexJson) {
  // conda 26 writes a record without arch and platform when the repodata's info does not
  // set them, even for a package (python) whose index.json has them.
  const conda::PackageRecord channel{.name = "zlib", .size = 105917, .fn = kFacts.fn};
  const conda::PackageRecord merged = make_repodata_record(channel, kIndex, kFacts);
  EXPECT_TRUE(merged.extra.empty());
}

}  // namespace
}  // namespace graft::store
