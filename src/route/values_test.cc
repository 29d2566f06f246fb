#include "route/values.h"

#include <gtest/gtest.h>

namespace graft::route {
namespace {

struct AddressCase {
  std::string text;
  PortPolicy policy;
  std::string host;  // "" when an error is expected
  std::uint16_t port;
  std::string error;
};

TEST(ParseAddress, Table) {
  const AddressCase cases[] = {
      {"127.0.0.1:8080", PortPolicy::kRequireNonZero, "127.0.0.1", 8080, ""},
      {"localhost:1", PortPolicy::kRequireNonZero, "localhost", 1, ""},
      {"[::1]:9000", PortPolicy::kRequireNonZero, "::1", 9000, ""},
      {"0.0.0.0:0", PortPolicy::kAllowZero, "0.0.0.0", 0, ""},
      {"api.internal:65535", PortPolicy::kRequireNonZero, "api.internal", 65535, ""},
      {"127.0.0.1:0", PortPolicy::kRequireNonZero, "", 0,
       "'127.0.0.1:0' is not a valid address: the port must be a number from 1 to 65535"},
      {"127.0.0.1:65536", PortPolicy::kAllowZero, "", 0,
       "'127.0.0.1:65536' is not a valid address: the port must be a number from 0 to 65535"},
      {"8080", PortPolicy::kAllowZero, "", 0, "'8080' is not a valid address: expected host:port"},
      {":8080", PortPolicy::kAllowZero, "", 0, "':8080' is not a valid address: the host is empty"},
      {"host:http", PortPolicy::kAllowZero, "", 0,
       "'host:http' is not a valid address: the port must be a number from 0 to 65535"},
      {"::1:80", PortPolicy::kAllowZero, "", 0,
       "'::1:80' is not a valid address: write IPv6 hosts in brackets, e.g. [::1]:8080"},
      {"[::1:80", PortPolicy::kAllowZero, "", 0, "'[::1:80' is not a valid address: missing ']'"},
      {"[::1]80", PortPolicy::kAllowZero, "", 0,
       "'[::1]80' is not a valid address: expected ':port' after ']'"},
      {"a b:80", PortPolicy::kAllowZero, "", 0,
       "'a b:80' is not a valid address: invalid character in host 'a b'"},
  };
  for (const AddressCase& c : cases) {
    SCOPED_TRACE(c.text);
    Result<Address> address = parse_address(c.text, c.policy);
    if (c.error.empty()) {
      ASSERT_TRUE(address) << address.error().message();
      EXPECT_EQ(address->host, c.host);
      EXPECT_EQ(address->port, c.port);
      EXPECT_EQ(*parse_address(address->to_string(), c.policy), *address) << "round trip";
    } else {
      ASSERT_FALSE(address);
      EXPECT_EQ(address.error().message(), c.error);
      EXPECT_EQ(address.error().code(), ErrorCode::kInvalidArgument);
    }
  }
}

TEST(ParseAddress, FormatsIpv6InBrackets) {
  EXPECT_EQ((Address{.host = "::1", .port = 80}).to_string(), "[::1]:80");
  EXPECT_EQ((Address{.host = "10.0.0.1", .port = 80}).to_string(), "10.0.0.1:80");
}

TEST(IsLoopback, Table) {
  const std::pair<std::string, bool> cases[] = {
      {"127.0.0.1", true}, {"127.1.2.3", true},    {"localhost", true}, {"LOCALHOST", true},
      {"::1", true},       {"0.0.0.0", false},     {"10.0.0.1", false}, {"127.0.0.256", false},
      {"127.0.0", false},  {"127.example", false}, {"::", false},       {"example.com", false},
  };
  for (const auto& [host, loopback] : cases) {
    EXPECT_EQ(is_loopback({.host = host, .port = 1}), loopback) << host;
  }
}

TEST(ParseDuration, Valid) {
  using std::chrono::milliseconds;
  const std::pair<std::string, milliseconds> cases[] = {
      {"250ms", milliseconds(250)},  {"1s", milliseconds(1000)},
      {"2m", milliseconds(120'000)}, {"1h", milliseconds(3'600'000)},
      {"1500us", milliseconds(1)},   {"24h", milliseconds(86'400'000)},
  };
  for (const auto& [text, expected] : cases) {
    Result<milliseconds> parsed = parse_duration(text);
    ASSERT_TRUE(parsed) << text << ": " << parsed.error().message();
    EXPECT_EQ(*parsed, expected) << text;
  }
}

TEST(ParseDuration, Errors) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "'' is not a valid duration: expected a whole number and a unit, e.g. 250ms, 1s, 2m"},
      {"1", "'1' is not a valid duration: missing unit (us, ms, s, m or h)"},
      {"1.5s", "'1.5s' is not a valid duration: unknown unit '.5s' (us, ms, s, m or h)"},
      {"10d", "'10d' is not a valid duration: unknown unit 'd' (us, ms, s, m or h)"},
      {"-1s",
       "'-1s' is not a valid duration: expected a whole number and a unit, e.g. 250ms, "
       "1s, 2m"},
      {"0s", "'0s' is not a valid duration: must be greater than zero"},
      {"25h", "'25h' is not a valid duration: longer than 24h"},
      {"99999999999999999999999s",
       "'99999999999999999999999s' is not a valid duration: "
       "longer than 24h"},
      {"5000000000h", "'5000000000h' is not a valid duration: longer than 24h"},
      {"999us", "'999us' is not a valid duration: shorter than 1ms"},
  };
  for (const auto& [text, message] : cases) {
    Result<std::chrono::milliseconds> parsed = parse_duration(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().message(), message);
  }
}

TEST(FormatDuration, RoundTrips) {
  for (std::string text : {"250ms", "1s", "90s", "2m", "1h", "1001ms"}) {
    EXPECT_EQ(format_duration(*parse_duration(text)), text);
  }
}

TEST(ParseStickyKey, Table) {
  const std::pair<std::string, StickyKey> valid[] = {
      {"none", {}},
      {"header:X-User-Id", {StickySource::kHeader, "X-User-Id"}},
      {"cookie:uid", {StickySource::kCookie, "uid"}},
      {"query:user", {StickySource::kQuery, "user"}},
      {"auth:sub", {StickySource::kSubject, "sub"}},
  };
  for (const auto& [text, key] : valid) {
    Result<StickyKey> parsed = parse_sticky_key(text);
    ASSERT_TRUE(parsed) << text;
    EXPECT_EQ(*parsed, key);
    EXPECT_EQ(parsed->to_string(), text);
  }
  const std::pair<std::string, std::string> invalid[] = {
      {"user",
       "'user' is not a valid sticky key: expected header:NAME, cookie:NAME, "
       "query:NAME, auth:sub or none"},
      {"body:x",
       "'body:x' is not a valid sticky key: unknown source 'body' (header, cookie, "
       "query, auth:sub or none)"},
      {"auth:iss",
       "'auth:iss' is not a valid sticky key: unknown source 'auth' (header, cookie, "
       "query, auth:sub or none)"},
      {"header:", "'header:' is not a valid sticky key: the name after ':' is empty"},
      {"header:X User",
       "'header:X User' is not a valid sticky key: invalid character ' ' in "
       "the name"},
  };
  for (const auto& [text, message] : invalid) {
    Result<StickyKey> parsed = parse_sticky_key(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().message(), message);
  }
}

}  // namespace
}  // namespace graft::route
