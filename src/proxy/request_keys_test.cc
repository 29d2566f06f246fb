#include "proxy/request_keys.h"

#include <gtest/gtest.h>

namespace graft::proxy {
namespace {

TEST(RequestKeys, CookieAndQueryValues) {
  EXPECT_EQ(cookie_value("a=1; uid=\"u-7\"; b=2", "uid").value_or(""), "u-7");
  EXPECT_EQ(cookie_value("a=1;uid=x", "uid").value_or(""), "x");
  EXPECT_FALSE(cookie_value("auid=1", "uid"));
  EXPECT_EQ(query_value("/p?x=1&user=bob#frag", "user").value_or(""), "bob");
  EXPECT_FALSE(query_value("/p?username=bob", "user"));
  EXPECT_FALSE(query_value("/p", "user"));
}

TEST(RequestKeys, StickyValueBySource) {
  RequestHead head;
  std::size_t scan = 0;
  std::string text =
      "GET /x?u=q1 HTTP/1.1\r\nHost: t\r\nX-User: h1\r\nCookie: u=c1\r\nX-Empty: \r\n\r\n";
  ASSERT_EQ(parse_request(text, 4096, &scan, &head), ParseStatus::kComplete);
  using route::StickySource;
  EXPECT_EQ(sticky_value(head, {StickySource::kHeader, "x-user"}).value_or(""), "h1");
  EXPECT_EQ(sticky_value(head, {StickySource::kCookie, "u"}).value_or(""), "c1");
  EXPECT_EQ(sticky_value(head, {StickySource::kQuery, "u"}).value_or(""), "q1");
  EXPECT_FALSE(sticky_value(head, {StickySource::kHeader, "x-empty"}));
  EXPECT_FALSE(sticky_value(head, {StickySource::kNone, ""}));
}

TEST(RequestKeys, BearerTokens) {
  EXPECT_TRUE(bearer_token_matches("Bearer abc", "abc"));
  EXPECT_TRUE(bearer_token_matches("bearer abc", "abc"));
  EXPECT_FALSE(bearer_token_matches("Bearer abcd", "abc"));
  EXPECT_FALSE(bearer_token_matches("Basic abc", "abc"));
  EXPECT_FALSE(bearer_token_matches(std::nullopt, "abc"));
  EXPECT_FALSE(bearer_token_matches("Bearer ", ""));
  EXPECT_EQ(bearer_token("Bearer  a.b.c "), "a.b.c");
  EXPECT_EQ(bearer_token("BEARER x"), "x");
  EXPECT_EQ(bearer_token("Bearer "), std::nullopt);
  EXPECT_EQ(bearer_token("Bearerx"), std::nullopt);
  EXPECT_EQ(bearer_token("Basic YTpi"), std::nullopt);
}

TEST(RequestKeys, RequestIds) {
  EXPECT_EQ(format_request_id(0x0123456789abcdefULL, 0xfULL), "0123456789abcdef000000000000000f");
  EXPECT_TRUE(acceptable_request_id("abc-123"));
  EXPECT_FALSE(acceptable_request_id(""));
  EXPECT_FALSE(acceptable_request_id("a b"));
  EXPECT_FALSE(acceptable_request_id(std::string(129, 'a')));
}

}  // namespace
}  // namespace graft::proxy
