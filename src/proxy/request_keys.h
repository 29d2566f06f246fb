// Pure helpers that read routing inputs out of a parsed request head: the sticky key
// (header, cookie or query parameter), the admin bearer token, and request ids.
// Thread-safe (no state). Returned views point into the head's buffer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/http_parser.h"
#include "route/values.h"

namespace graft::proxy {

// The value of `name` in a Cookie header ("a=1; b=2"), or nullopt.
[[nodiscard]] std::optional<std::string_view> cookie_value(std::string_view cookie_header,
                                                           std::string_view name);
// The raw (not percent-decoded) value of parameter `name` in a request target's query.
[[nodiscard]] std::optional<std::string_view> query_value(std::string_view target,
                                                          std::string_view name);
// The sticky key of a request per `key`; nullopt when absent or empty, and for auth:sub
// (not in the head: the session passes the verified subject).
[[nodiscard]] std::optional<std::string_view> sticky_value(const RequestHead& head,
                                                           const route::StickyKey& key);

// The token of an Authorization value "Bearer <token>" (scheme case-insensitive, spaces
// around the token dropped); nullopt for any other scheme or an empty token.
[[nodiscard]] std::optional<std::string_view> bearer_token(
    std::optional<std::string_view> authorization);

// True when `authorization` is "Bearer <token>" with exactly `token`. Compares SHA-256
// digests with CRYPTO_memcmp, so the time taken does not depend on where they differ or on
// the token's length. An empty `token` never matches.
[[nodiscard]] bool bearer_token_matches(std::optional<std::string_view> authorization,
                                        std::string_view token);

// 32 lowercase hex digits from two random 64-bit values.
[[nodiscard]] std::string format_request_id(std::uint64_t high, std::uint64_t low);
// An incoming X-Request-Id is kept when it is 1..128 visible ASCII characters.
[[nodiscard]] bool acceptable_request_id(std::string_view id);

}  // namespace graft::proxy
