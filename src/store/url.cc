#include "store/url.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <ctime>

#include "base/strings.h"

namespace graft::store {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

bool has_scheme(std::string_view url) {
  const auto colon = url.find("://");
  if (colon == std::string_view::npos || colon == 0) return false;
  for (char c : url.substr(0, colon)) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('\'');
  out.append(text);
  out.push_back('\'');
  return out;
}

bool is_remote_url(std::string_view url) {
  const std::string lower = base::to_lower(url.substr(0, 8));
  return base::starts_with(lower, "http://") || base::starts_with(lower, "https://");
}

Result<std::filesystem::path> local_path_of(std::string_view url) {
  if (!has_scheme(url)) return std::filesystem::path(std::string(url));
  if (base::to_lower(url.substr(0, 7)) != "file://") {
    return fail(ErrorCode::kInvalidArgument,
                quote(url) + " is not a local path: unsupported scheme");
  }
  std::string_view rest = url.substr(7);
  const auto slash = rest.find('/');
  const std::string_view host = rest.substr(0, slash);
  if (!host.empty() && base::to_lower(host) != "localhost") {
    return fail(ErrorCode::kInvalidArgument,
                quote(url) + " is not a local path: host " + quote(host) +
                    " is not this machine");
  }
  if (slash == std::string_view::npos) {
    return fail(ErrorCode::kInvalidArgument, quote(url) + " has no path");
  }
  return std::filesystem::path(percent_decode(rest.substr(slash)));
}

std::string url_basename(std::string_view url) {
  const auto end = url.find_first_of("?#");
  if (end != std::string_view::npos) url = url.substr(0, end);
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  const auto slash = url.rfind('/');
  return std::string(slash == std::string_view::npos ? url : url.substr(slash + 1));
}

std::string join_url(std::string_view base, std::string_view name) {
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  while (!name.empty() && name.front() == '/') name.remove_prefix(1);
  return std::string(base) + "/" + std::string(name);
}

std::string http_date(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm parts{};
  ::gmtime_r(&seconds, &parts);
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::array<char, 40> buffer{};
  std::snprintf(buffer.data(), buffer.size(), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                kDays[parts.tm_wday], parts.tm_mday, kMonths[parts.tm_mon],
                parts.tm_year + 1900, parts.tm_hour, parts.tm_min, parts.tm_sec);
  return buffer.data();
}

std::optional<std::int64_t> cache_control_max_age(std::string_view value) {
  const std::string lower = base::to_lower(value);
  const auto at = lower.find("max-age=");
  if (at == std::string::npos) return std::nullopt;
  const char* begin = lower.data() + at + 8;
  const char* end = lower.data() + lower.size();
  std::int64_t seconds = 0;
  const auto [next, error] = std::from_chars(begin, end, seconds);
  if (error != std::errc() || next == begin) return std::nullopt;
  return seconds;
}

}  // namespace graft::store
