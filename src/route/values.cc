#include "route/values.h"

#include <charconv>
#include <optional>

#include <fmt/core.h>

#include "base/strings.h"

namespace graft::route {
namespace {

constexpr std::int64_t kMaxDurationMs = 24LL * 60 * 60 * 1000;

// Parses all of `text` as a decimal unsigned number; nullopt on any other character.
std::optional<std::uint64_t> parse_unsigned(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

tl::unexpected<Error> bad_address(std::string_view text, std::string_view cause) {
  return fail(ErrorCode::kInvalidArgument,
              fmt::format("'{}' is not a valid address: {}", text, cause));
}

}  // namespace

std::string Address::to_string() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

Result<Address> parse_address(std::string_view text, PortPolicy policy) {
  std::string_view host;
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos) return bad_address(text, "missing ']'");
    host = text.substr(1, close - 1);
    rest = text.substr(close + 1);
    if (rest.empty() || rest.front() != ':') {
      return bad_address(text, "expected ':port' after ']'");
    }
    rest.remove_prefix(1);
  } else {
    std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad_address(text, "expected host:port");
    host = text.substr(0, colon);
    rest = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return bad_address(text, "write IPv6 hosts in brackets, e.g. [::1]:8080");
    }
  }
  if (host.empty()) return bad_address(text, "the host is empty");
  for (char c : host) {
    if (c == ' ' || c == '/' || c == '[' || c == ']' || c < 0x21 || c == 0x7f) {
      return bad_address(text, fmt::format("invalid character in host '{}'", host));
    }
  }
  std::optional<std::uint64_t> port = parse_unsigned(rest);
  std::uint64_t min_port = policy == PortPolicy::kAllowZero ? 0 : 1;
  if (!port || *port < min_port || *port > 65535) {
    return bad_address(text, fmt::format("the port must be a number from {} to 65535", min_port));
  }
  return Address{.host = std::string(host), .port = static_cast<std::uint16_t>(*port)};
}

bool is_loopback(const Address& address) {
  const std::string host = base::to_lower(address.host);
  if (host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1") return true;
  auto parts = base::split(host, '.');
  if (parts.size() != 4 || parts[0] != "127") return false;
  for (std::string_view part : parts) {
    std::optional<std::uint64_t> octet = parse_unsigned(part);
    if (!octet || *octet > 255) return false;
  }
  return true;
}

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  std::string_view unit = text.substr(digits);
  auto bad = [&](std::string_view cause) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is not a valid duration: {}", text, cause));
  };
  if (digits == 0) return bad("expected a whole number and a unit, e.g. 250ms, 1s, 2m");
  std::optional<std::uint64_t> number = parse_unsigned(text.substr(0, digits));
  if (!number) return bad("longer than 24h");
  std::uint64_t microseconds_per_unit = 0;
  if (unit == "us") microseconds_per_unit = 1;
  if (unit == "ms") microseconds_per_unit = 1'000;
  if (unit == "s") microseconds_per_unit = 1'000'000;
  if (unit == "m") microseconds_per_unit = 60'000'000;
  if (unit == "h") microseconds_per_unit = 3'600'000'000;
  if (microseconds_per_unit == 0) {
    return bad(unit.empty() ? "missing unit (us, ms, s, m or h)"
                            : fmt::format("unknown unit '{}' (us, ms, s, m or h)", unit));
  }
  if (*number == 0) return bad("must be greater than zero");
  const std::uint64_t max_us = static_cast<std::uint64_t>(kMaxDurationMs) * 1000;
  if (*number > max_us / microseconds_per_unit) return bad("longer than 24h");
  std::uint64_t total_us = *number * microseconds_per_unit;
  if (total_us < 1000) return bad("shorter than 1ms");
  return std::chrono::milliseconds(total_us / 1000);
}

std::string format_duration(std::chrono::milliseconds duration) {
  std::int64_t ms = duration.count();
  if (ms != 0 && ms % 3'600'000 == 0) return fmt::format("{}h", ms / 3'600'000);
  if (ms != 0 && ms % 60'000 == 0) return fmt::format("{}m", ms / 60'000);
  if (ms != 0 && ms % 1'000 == 0) return fmt::format("{}s", ms / 1'000);
  return fmt::format("{}ms", ms);
}

std::string StickyKey::to_string() const {
  switch (source) {
    case StickySource::kNone: return "none";
    case StickySource::kHeader: return "header:" + name;
    case StickySource::kCookie: return "cookie:" + name;
    case StickySource::kQuery: return "query:" + name;
    case StickySource::kSubject: return "auth:sub";
  }
  return "none";
}

Result<StickyKey> parse_sticky_key(std::string_view text) {
  if (text == "none") return StickyKey{};
  if (text == "auth:sub") return StickyKey{StickySource::kSubject, "sub"};
  auto bad = [&](std::string_view cause) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is not a valid sticky key: {}", text, cause));
  };
  std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return bad("expected header:NAME, cookie:NAME, query:NAME, auth:sub or none");
  }
  std::string_view kind = text.substr(0, colon);
  std::string_view name = text.substr(colon + 1);
  StickyKey key;
  if (kind == "header")
    key.source = StickySource::kHeader;
  else if (kind == "cookie")
    key.source = StickySource::kCookie;
  else if (kind == "query")
    key.source = StickySource::kQuery;
  else
    return bad(fmt::format("unknown source '{}' (header, cookie, query, auth:sub or none)", kind));
  if (name.empty()) return bad("the name after ':' is empty");
  for (char c : name) {
    bool token = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!token) return bad(fmt::format("invalid character '{}' in the name", c));
  }
  key.name = std::string(name);
  return key;
}

}  // namespace graft::route
