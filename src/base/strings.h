// Small string helpers used across modules.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace graft::base {

[[nodiscard]] std::vector<std::string_view> split(std::string_view text, char separator);
[[nodiscard]] std::string_view trim(std::string_view text);
[[nodiscard]] std::string to_lower(std::string_view text);
[[nodiscard]] std::string join(const std::vector<std::string>& parts, std::string_view separator);
[[nodiscard]] bool starts_with(std::string_view text, std::string_view prefix);
[[nodiscard]] bool ends_with(std::string_view text, std::string_view suffix);
// Replaces every occurrence of `from` (non-empty) with `to`.
[[nodiscard]] std::string replace_all(std::string_view text, std::string_view from,
                                      std::string_view to);

// Levenshtein distance, for "did you mean 'x'?".
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to `name` when it is close enough to be a likely typo, else "".
[[nodiscard]] std::string closest_match(std::string_view name,
                                        const std::vector<std::string>& candidates);

// How many bytes of an outside input (a name, a spec, a line) an error message quotes.
inline constexpr std::size_t kMessageQuoteLimit = 200;
// `text` when it has at most `limit` bytes, else its first `limit` bytes (never splitting
// a UTF-8 character) and "...": so that a huge input never makes a huge message.
[[nodiscard]] std::string abbreviate(std::string_view text, std::size_t limit = kMessageQuoteLimit);

// Quotes an argv element for display in a shell-like way ("a b" -> 'a b').
[[nodiscard]] std::string shell_quote(std::string_view word);

}  // namespace graft::base
