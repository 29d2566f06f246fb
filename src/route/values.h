// Scalar values of route.yml: socket addresses, durations and sticky-key sources.
// Pure functions, thread-safe. Errors are kInvalidArgument with a message that names the
// offending text in quotes and the cause after a colon; callers add "file:line: ".
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace graft::route {

// A TCP endpoint "host:port". IPv6 literals are written in brackets ("[::1]:8080") and
// stored without them (host "::1").
struct Address {
  std::string host;        // name or IP literal, never empty
  std::uint16_t port = 0;  // 0 only where PortPolicy::kAllowZero (listen on any free port)

  // "host:port", bracketing hosts that contain ':'.
  [[nodiscard]] std::string to_string() const;
  friend bool operator==(const Address&, const Address&) = default;
};

enum class PortPolicy {
  kRequireNonZero,  // upstreams: port 1-65535
  kAllowZero,       // listen/admin: 0 asks the kernel for a free port
};

// Parses "host:port" / "[v6]:port". Errors: missing port, empty host, port not a number
// in range, unbalanced brackets.
[[nodiscard]] Result<Address> parse_address(std::string_view text, PortPolicy policy);

// True for "localhost", 127.0.0.0/8 and ::1: addresses other machines cannot reach.
[[nodiscard]] bool is_loopback(const Address& address);

// Parses a positive whole duration with a unit: "250ms", "1s", "2m", "1h" (also "us").
// Errors: missing/unknown unit, not a whole number, zero, overflow past 24 hours.
[[nodiscard]] Result<std::chrono::milliseconds> parse_duration(std::string_view text);

// Formats a duration the way parse_duration reads it, choosing the largest exact unit
// ("1500ms", "2s", "3m").
[[nodiscard]] std::string format_duration(std::chrono::milliseconds duration);

// Where a request's sticky key (the user identity) comes from.
enum class StickySource {
  kNone,     // no stickiness: every request is a fresh weighted draw
  kHeader,   // request header `name` (matched case-insensitively by the proxy)
  kCookie,   // cookie `name` in the Cookie header
  kQuery,    // query-string parameter `name`
  kSubject,  // "auth:sub": the subject the proxy verified (needs an `auth` block)
};

struct StickyKey {
  StickySource source = StickySource::kNone;
  std::string name;  // empty for kNone, "sub" for kSubject

  // "header:X-User-Id", "cookie:uid", "query:user", "auth:sub", "none".
  [[nodiscard]] std::string to_string() const;
  friend bool operator==(const StickyKey&, const StickyKey&) = default;
};

// Parses "header:NAME", "cookie:NAME", "query:NAME", "auth:sub" or "none".
[[nodiscard]] Result<StickyKey> parse_sticky_key(std::string_view text);

}  // namespace graft::route
