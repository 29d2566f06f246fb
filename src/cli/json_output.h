// Every JSON graft prints is built with nlohmann::json and written by json_text(), never by
// hand: quotes and backslashes in paths are escaped, and bytes that are not UTF-8 (a path
// may hold any) become U+FFFD instead of throwing.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace graft::cli {

// `value` with a 2-space indent and a final newline. `Json` is nlohmann::json or
// nlohmann::ordered_json.
template <typename Json>
[[nodiscard]] std::string json_text(const Json& value) {
  return value.dump(2, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace) + "\n";
}

// As json_text() without the final newline: how conda 26 ends the JSON of `list`, `create`,
// `install` (the oracle's s1_list_json.out and s2_dry.out end at the closing bracket).
template <typename Json>
[[nodiscard]] std::string conda_json_text(const Json& value) {
  return value.dump(2, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace);
}

}  // namespace graft::cli
