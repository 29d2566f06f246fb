// Small URL and HTTP helpers for the store: which package locations are local, the file
// name a URL ends in, HTTP dates and Cache-Control parsing. Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace graft::store {

// `text` in single quotes, as error messages name things: "'x'". (Built by appending,
// which also keeps GCC 12's -O3 -Wrestrict false positive on "'" + std::string away.)
[[nodiscard]] std::string quote(std::string_view text);

// True for "http://" and "https://" URLs (case-insensitive scheme).
[[nodiscard]] bool is_remote_url(std::string_view url);

// The local file a "file://" URL or a plain path names ("file:///a%20b/x" -> "/a b/x").
// kInvalidArgument for any other scheme or a "file://host/..." URL with a host other than
// "localhost".
[[nodiscard]] Result<std::filesystem::path> local_path_of(std::string_view url);

// The last path segment of a URL or path, without query or fragment ("x.conda").
[[nodiscard]] std::string url_basename(std::string_view url);

// `base` and `name` joined with exactly one '/'.
[[nodiscard]] std::string join_url(std::string_view base, std::string_view name);

// An IMF-fixdate as HTTP uses it: "Sun, 06 Nov 1994 08:49:37 GMT".
[[nodiscard]] std::string http_date(std::chrono::system_clock::time_point time);

// The max-age of a Cache-Control value in seconds ("public, max-age=30" -> 30); nullopt
// when there is none (conda then treats the cache as expired).
[[nodiscard]] std::optional<std::int64_t> cache_control_max_age(std::string_view value);

}  // namespace graft::store
