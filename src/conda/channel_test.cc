#include "conda/channel.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace graft::conda {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

ChannelContext test_context() {
  ChannelContext context;
  context.working_directory = "/home/u/work";
  context.home_directory = "/home/u";
  return context;
}

struct ParseCase {
  const char* value;
  const char* canonical_name;
  const char* base_url;
  const char* name;
  const char* platform;
  const char* token;
  const char* package_filename;
};

TEST(ChannelTest, ParsesLikeConda) {
  const ParseCase cases[] = {
      {"conda-forge", "conda-forge", "https://conda.anaconda.org/conda-forge", "conda-forge", "",
       "", ""},
      {"conda-forge/label/dev", "conda-forge/label/dev",
       "https://conda.anaconda.org/conda-forge/label/dev", "conda-forge/label/dev", "", "", ""},
      {"conda-forge/linux-64", "conda-forge", "https://conda.anaconda.org/conda-forge",
       "conda-forge", "linux-64", "", ""},
      {"https://conda.anaconda.org/conda-forge/linux-64", "conda-forge",
       "https://conda.anaconda.org/conda-forge", "conda-forge", "linux-64", "", ""},
      {"https://conda.anaconda.org/t/tk-123/conda-forge/noarch/six-1.0-0.conda", "conda-forge",
       "https://conda.anaconda.org/conda-forge", "conda-forge", "noarch", "tk-123",
       "six-1.0-0.conda"},
      {"https://host.example:8080/prefix/chan/osx-arm64", "https://host.example:8080/prefix/chan",
       "https://host.example:8080/prefix/chan", "chan", "osx-arm64", "", ""},
      {"pkgs/main", "defaults", "https://repo.anaconda.com/pkgs/main", "pkgs/main", "", "", ""},
      {"https://repo.anaconda.com/pkgs/r/win-64", "defaults", "https://repo.anaconda.com/pkgs/r",
       "pkgs/r", "win-64", "", ""},
      {"file:///srv/chan", "file:///srv/chan", "file:///srv/chan", "chan", "", "", ""},
      {"file:///srv/conformance/conda/conda_format_repo/linux-64",
       "file:///srv/conformance/conda/conda_format_repo",
       "file:///srv/conformance/conda/conda_format_repo", "conda_format_repo", "linux-64", "", ""},
      {"/srv/chan/", "file:///srv/chan", "file:///srv/chan", "chan", "", "", ""},
      {"./chan", "file:///home/u/work/chan", "file:///home/u/work/chan", "chan", "", "", ""},
      {"../other/chan/noarch", "file:///home/u/other/chan", "file:///home/u/other/chan", "chan",
       "noarch", "", ""},
      {"~/chan", "file:///home/u/chan", "file:///home/u/chan", "chan", "", "", ""},
      {"/chan", "file:///chan", "file:///chan", "chan", "", "", ""},
  };
  for (const ParseCase& c : cases) {
    auto channel = parse_channel(c.value, test_context());
    ASSERT_TRUE(channel) << c.value << ": " << channel.error().message();
    EXPECT_EQ(channel->canonical_name, c.canonical_name) << c.value;
    EXPECT_THAT(channel->base_urls, ElementsAre(c.base_url)) << c.value;
    EXPECT_EQ(channel->name, c.name) << c.value;
    EXPECT_EQ(channel->platform, c.platform) << c.value;
    EXPECT_EQ(channel->token, c.token) << c.value;
    EXPECT_EQ(channel->package_filename, c.package_filename) << c.value;
  }
}

TEST(ChannelTest, DefaultsIsAMultichannel) {
  auto channel = parse_channel("defaults", test_context());
  ASSERT_TRUE(channel);
  EXPECT_EQ(channel->canonical_name, "defaults");
  EXPECT_THAT(channel->base_urls, ElementsAre("https://repo.anaconda.com/pkgs/main",
                                              "https://repo.anaconda.com/pkgs/r"));
  EXPECT_THAT(repodata_urls(*channel, "linux-64"),
              ElementsAre("https://repo.anaconda.com/pkgs/main/linux-64/repodata.json",
                          "https://repo.anaconda.com/pkgs/main/noarch/repodata.json",
                          "https://repo.anaconda.com/pkgs/r/linux-64/repodata.json",
                          "https://repo.anaconda.com/pkgs/r/noarch/repodata.json"));
}

TEST(ChannelTest, AliasAndCustomChannels) {
  ChannelContext context = test_context();
  context.channel_alias = "https://mirror.example/conda/";
  context.custom_channels["internal"] = "https://art.example/api/conda";
  auto forge = parse_channel("conda-forge", context);
  ASSERT_TRUE(forge);
  EXPECT_EQ(forge->base_url(), "https://mirror.example/conda/conda-forge");
  EXPECT_EQ(forge->canonical_name, "conda-forge");
  auto internal = parse_channel("internal/label/x", context);
  ASSERT_TRUE(internal);
  EXPECT_EQ(internal->base_url(), "https://art.example/api/conda/internal/label/x");
  EXPECT_EQ(internal->canonical_name, "internal/label/x");
  auto by_url = parse_channel("https://art.example/api/conda/internal/linux-64", context);
  ASSERT_TRUE(by_url);
  EXPECT_EQ(by_url->canonical_name, "internal");
}

TEST(ChannelTest, RepodataUrlsWithAndWithoutCredentials) {
  auto channel =
      parse_channel("https://me:pw@conda.anaconda.org/t/tk-123/conda-forge", test_context());
  ASSERT_TRUE(channel);
  EXPECT_EQ(channel->auth, "me:pw");
  EXPECT_THAT(repodata_urls(*channel, "linux-64"),
              ElementsAre("https://conda.anaconda.org/conda-forge/linux-64/repodata.json",
                          "https://conda.anaconda.org/conda-forge/noarch/repodata.json"));
  EXPECT_THAT(
      repodata_urls(*channel, "osx-arm64", Credentials::kWith),
      ElementsAre("https://me:pw@conda.anaconda.org/t/tk-123/conda-forge/osx-arm64/repodata.json",
                  "https://me:pw@conda.anaconda.org/t/tk-123/conda-forge/noarch/repodata.json"));
  auto pinned = parse_channel("conda-forge/osx-arm64", test_context());
  ASSERT_TRUE(pinned);
  EXPECT_THAT(repodata_urls(*pinned, "linux-64"),
              ElementsAre("https://conda.anaconda.org/conda-forge/osx-arm64/repodata.json",
                          "https://conda.anaconda.org/conda-forge/noarch/repodata.json"));
  EXPECT_THAT(repodata_urls(*pinned, "noarch").size(), 2U);
  auto noarch = parse_channel("conda-forge/noarch", test_context());
  ASSERT_TRUE(noarch);
  EXPECT_THAT(repodata_urls(*noarch, "linux-64"),
              ElementsAre("https://conda.anaconda.org/conda-forge/noarch/repodata.json"));
}

TEST(ChannelTest, RejectsWhatCannotBeResolved) {
  ChannelContext bare;
  const std::pair<const char*, const char*> cases[] = {
      {"", "channel '' is empty"},
      {"./chan", "channel './chan' is a relative path: no working directory to resolve it against"},
      {"~/chan", "channel '~/chan' is a home-relative path: no home directory known"},
      {"https://", "channel 'https://' is not a valid URL: missing host"},
  };
  for (const auto& [value, message] : cases) {
    auto channel = parse_channel(value, bare);
    ASSERT_FALSE(channel) << value;
    EXPECT_EQ(channel.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(channel.error().message(), message);
  }
}

TEST(ChannelTest, PlatformsAndSubdirs) {
  EXPECT_TRUE(is_known_subdir("linux-aarch64"));
  EXPECT_TRUE(is_known_subdir("win-arm64"));
  EXPECT_FALSE(is_known_subdir("linux"));
  EXPECT_EQ(known_subdirs().front(), "noarch");
  EXPECT_TRUE(is_known_subdir(compiled_platform()));
#if defined(__linux__) && defined(__x86_64__)
  EXPECT_EQ(compiled_platform(), "linux-64");
#endif
  EXPECT_EQ(running_platform("").value(), compiled_platform());
  EXPECT_EQ(running_platform("osx-arm64").value(), "osx-arm64");
  auto bad = running_platform("linux-65");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "CONDA_SUBDIR 'linux-65' is not a known subdir");
  EXPECT_EQ(bad.error().hint(), "did you mean 'linux-64'?");
}

TEST(ChannelTest, StripsTokens) {
  EXPECT_EQ(strip_url_token("https://h/t/abc/conda-forge/linux-64"),
            "https://h/conda-forge/linux-64");
  EXPECT_EQ(strip_url_token("https://h/conda-forge"), "https://h/conda-forge");
}

}  // namespace
}  // namespace graft::conda
