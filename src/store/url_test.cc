#include "store/url.h"

#include <gtest/gtest.h>

namespace graft::store {
namespace {

TEST(UrlTest, LocalPaths) {
  struct Case {
    std::string url;
    std::string path;  // "" = error
  };
  const std::vector<Case> cases = {
      {"file:///srv/chan/linux-64/a.conda", "/srv/chan/linux-64/a.conda"},
      {"file://localhost/srv/x", "/srv/x"},
      {"FILE:///a%20b/c%2Fd", "/a b/c/d"},
      {"/plain/path.conda", "/plain/path.conda"},
      {"relative/dir", "relative/dir"},
      {"file://otherhost/x", ""},
      {"https://conda.anaconda.org/x", ""},
      {"file://", ""},
  };
  for (const Case& test : cases) {
    auto path = local_path_of(test.url);
    if (test.path.empty()) {
      EXPECT_FALSE(path.has_value()) << test.url;
      if (!path) {
        EXPECT_EQ(path.error().code(), ErrorCode::kInvalidArgument);
      }
    } else {
      ASSERT_TRUE(path.has_value()) << test.url;
      EXPECT_EQ(path->string(), test.path) << test.url;
    }
  }
  EXPECT_EQ(local_path_of("file://otherhost/x").error().message(),
            "'file://otherhost/x' is not a local path: host 'otherhost' is not this machine");
}

TEST(UrlTest, RemoteSchemesAndNames) {
  EXPECT_TRUE(is_remote_url("https://conda.anaconda.org"));
  EXPECT_TRUE(is_remote_url("HTTP://x"));
  EXPECT_FALSE(is_remote_url("file:///x"));
  EXPECT_FALSE(is_remote_url("/http://x"));
  EXPECT_EQ(url_basename("https://x/linux-64/a-1-0.conda?token=1#frag"), "a-1-0.conda");
  EXPECT_EQ(url_basename("https://x/linux-64/"), "linux-64");
  EXPECT_EQ(url_basename("a.conda"), "a.conda");
  EXPECT_EQ(join_url("https://x/chan/", "/linux-64"), "https://x/chan/linux-64");
  EXPECT_EQ(join_url("file:///c", "noarch"), "file:///c/noarch");
}

TEST(UrlTest, HttpDateIsImfFixdate) {
  EXPECT_EQ(http_date(std::chrono::system_clock::from_time_t(784111777)),
            "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(http_date(std::chrono::system_clock::from_time_t(0)),
            "Thu, 01 Jan 1970 00:00:00 GMT");
}

TEST(UrlTest, CacheControlMaxAge) {
  EXPECT_EQ(cache_control_max_age("public, max-age=1200"), 1200);
  EXPECT_EQ(cache_control_max_age("Max-Age=30, must-revalidate"), 30);
  EXPECT_EQ(cache_control_max_age("no-cache"), std::nullopt);
  EXPECT_EQ(cache_control_max_age("max-age=abc"), std::nullopt);
  EXPECT_EQ(cache_control_max_age(""), std::nullopt);
}

}  // namespace
}  // namespace graft::store
