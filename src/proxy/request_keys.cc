#include "proxy/request_keys.h"

#include <openssl/crypto.h>

#include "base/hash.h"

namespace graft::proxy {
namespace {

std::string_view trim_spaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Finds `name` in a list of `name=value` pairs separated by `separator`.
std::optional<std::string_view> pair_value(std::string_view list, char separator,
                                           std::string_view name) {
  while (!list.empty()) {
    std::size_t end = list.find(separator);
    std::string_view pair = trim_spaces(list.substr(0, end));
    std::size_t equals = pair.find('=');
    if (equals != std::string_view::npos && pair.substr(0, equals) == name) {
      return pair.substr(equals + 1);
    }
    if (end == std::string_view::npos) break;
    list.remove_prefix(end + 1);
  }
  return std::nullopt;
}

std::optional<std::string_view> non_empty(std::optional<std::string_view> value) {
  if (value && value->empty()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::string_view> cookie_value(std::string_view cookie_header,
                                             std::string_view name) {
  auto value = pair_value(cookie_header, ';', name);
  if (value && value->size() >= 2 && value->front() == '"' && value->back() == '"') {
    value = value->substr(1, value->size() - 2);
  }
  return value;
}

std::optional<std::string_view> query_value(std::string_view target, std::string_view name) {
  std::size_t question = target.find('?');
  if (question == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(question + 1);
  query = query.substr(0, query.find('#'));
  return pair_value(query, '&', name);
}

std::optional<std::string_view> sticky_value(const RequestHead& head,
                                             const route::StickyKey& key) {
  switch (key.source) {
    case route::StickySource::kNone:
      return std::nullopt;
    case route::StickySource::kHeader:
      return non_empty(head.find(key.name));
    case route::StickySource::kCookie: {
      auto cookie = head.find("cookie");
      return cookie ? non_empty(cookie_value(*cookie, key.name)) : std::nullopt;
    }
    case route::StickySource::kQuery:
      return non_empty(query_value(head.target, key.name));
    case route::StickySource::kSubject:
      return std::nullopt;  // the authenticated subject: the session supplies it
  }
  return std::nullopt;
}

std::optional<std::string_view> bearer_token(std::optional<std::string_view> authorization) {
  constexpr std::string_view kScheme = "Bearer ";
  if (!authorization || authorization->size() < kScheme.size() ||
      !iequals(authorization->substr(0, kScheme.size()), kScheme)) {
    return std::nullopt;
  }
  return non_empty(trim_spaces(authorization->substr(kScheme.size())));
}

bool bearer_token_matches(std::optional<std::string_view> authorization, std::string_view token) {
  auto presented = bearer_token(authorization);
  if (token.empty() || !presented) return false;
  std::string given = base::sha256_hex(*presented);
  std::string expected = base::sha256_hex(token);
  return CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

std::string format_request_id(std::uint64_t high, std::uint64_t low) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int i = 0; i < 16; ++i) {
    id[15 - i] = kHex[(high >> (4 * i)) & 0xf];
    id[31 - i] = kHex[(low >> (4 * i)) & 0xf];
  }
  return id;
}

bool acceptable_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

}  // namespace graft::proxy
