#include "conda/generated_channel.h"

#include <gtest/gtest.h>

#include "conda/repodata.h"

namespace graft::conda {
namespace {

TEST(GeneratedChannelTest, IsDeterministicAndCondaForgeShaped) {
  const GeneratedChannel channel =
      generate_channel({.seed = 7, .platform_records = 3000, .noarch_records = 800});
  const GeneratedChannel again =
      generate_channel({.seed = 7, .platform_records = 3000, .noarch_records = 800});
  EXPECT_EQ(channel.platform_json, again.platform_json);
  auto platform = parse_repodata(
      channel.platform_json,
      {.subdir_url = "file:///c/linux-64", .duplicates = DuplicateArchives::kKeepBoth});
  ASSERT_TRUE(platform.has_value()) << platform.error().message();
  EXPECT_GE(platform->records.size(), 3000u);
  EXPECT_LT(platform->records.size(), 3400u);
  std::size_t tar_bz2 = 0;
  std::size_t py312 = 0;
  for (const PackageRecord& record : platform->records) {
    tar_bz2 += record.fn.ends_with(".tar.bz2") ? 1 : 0;
    py312 += record.build.starts_with("py312") ? 1 : 0;
  }
  EXPECT_GT(tar_bz2, 300u);
  EXPECT_GT(py312, 100u);
  EXPECT_GT(channel.deep_closure, 10u);
  EXPECT_FALSE(channel.deep_name.empty());
}

}  // namespace
}  // namespace graft::conda
