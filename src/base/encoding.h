// Byte encodings: base64 (RFC 4648 section 4), base64url (section 5, as JOSE writes it:
// no padding) and hex. Pure functions, thread-safe. Decoders return nullopt on any
// character outside the alphabet or a length no encoder produces.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace graft::base {

[[nodiscard]] std::string base64_encode(std::string_view bytes);
// Accepts the standard alphabet with or without '=' padding.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);

// The URL-safe alphabet ('-', '_'), without padding.
[[nodiscard]] std::string base64url_encode(std::string_view bytes);
// Accepts the URL-safe alphabet without padding (JOSE), and with it.
[[nodiscard]] std::optional<std::string> base64url_decode(std::string_view text);

// Lowercase hex.
[[nodiscard]] std::string hex_encode(std::string_view bytes);
// Either case; an even number of digits.
[[nodiscard]] std::optional<std::string> hex_decode(std::string_view text);

}  // namespace graft::base
