#include "proxy/request_signature.h"

#include <charconv>
#include <cstdint>

#include <fmt/core.h>

#include "base/encoding.h"
#include "base/hash.h"
#include "base/strings.h"

namespace graft::proxy {
namespace {

constexpr std::size_t kMinSecretBytes = 32;

bool valid_key_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '.' || c == '_' || c == '-';
    if (!allowed) return false;
  }
  return true;
}

// "KEY_ID SECRET" split on the run of spaces or tabs between them.
std::optional<std::pair<std::string_view, std::string_view>> split_line(std::string_view line) {
  std::size_t gap = line.find_first_of(" \t");
  if (gap == std::string_view::npos) return std::nullopt;
  std::size_t secret = line.find_first_not_of(" \t", gap);
  if (secret == std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(secret);
  if (rest.find_first_of(" \t") != std::string_view::npos) return std::nullopt;
  return std::pair(line.substr(0, gap), rest);
}

std::optional<std::int64_t> parse_seconds(std::string_view text) {
  std::int64_t value = 0;
  if (text.empty() || text.size() > 12 ||
      text.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

// The signature header as 32 MAC bytes: 64 hex digits, or base64 (either alphabet).
std::optional<std::string> decode_signature(std::string_view text) {
  auto bytes = text.size() == 2 * base::HmacSha256::kBytes ? base::hex_decode(text)
                                                           : base::base64_decode(text);
  if (!bytes) bytes = base::base64url_decode(text);
  if (!bytes || bytes->size() != base::HmacSha256::kBytes) return std::nullopt;
  return bytes;
}

tl::unexpected<AuthFailure> refuse(AuthFailure failure) {
  return tl::unexpected(failure);
}

}  // namespace

std::string string_to_sign(std::string_view method, std::string_view target,
                           std::string_view timestamp, std::string_view body) {
  return fmt::format("{}\n{}\n{}\n{}", method, target, timestamp, base::sha256_hex(body));
}

Result<RequestSignatureVerifier> RequestSignatureVerifier::create(route::HmacConfig config,
                                                                  std::string_view keys_text,
                                                                  std::string_view file_name) {
  RequestSignatureVerifier verifier(std::move(config));
  std::size_t number = 0;
  for (std::string_view raw : base::split(keys_text, '\n')) {
    ++number;
    std::string_view line = base::trim(raw);
    if (line.empty() || line.front() == '#') continue;
    auto bad = [&](std::string message) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("{}:{}: {}", file_name, number, message));
    };
    auto parts = split_line(line);
    if (!parts) return bad("expected 'KEY_ID SECRET'");
    auto [id, secret] = *parts;
    if (!valid_key_id(id)) {
      return bad(
          fmt::format("'{}' is not a valid key id: use letters, digits, '.', '_' or '-'", id));
    }
    if (secret.size() < kMinSecretBytes) {
      return bad(fmt::format("the secret of '{}' has {} bytes: use at least {} random bytes", id,
                             secret.size(), kMinSecretBytes));
    }
    if (!verifier.keys_.emplace(std::string(id), base::HmacSha256(secret)).second) {
      return bad(fmt::format("key id '{}' is given twice", id));
    }
  }
  if (verifier.keys_.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: no keys: add one 'KEY_ID SECRET' a line", file_name));
  }
  return verifier;
}

AuthResult RequestSignatureVerifier::verify(const SignedRequest& request,
                                            std::chrono::system_clock::time_point now) const {
  if (!request.key_id && !request.timestamp && !request.signature) {
    return refuse(AuthFailure::kMissing);
  }
  if (!request.key_id || !request.timestamp || !request.signature) {
    return refuse(AuthFailure::kMalformed);
  }
  auto timestamp = parse_seconds(*request.timestamp);
  auto mac = decode_signature(*request.signature);
  if (!timestamp || !mac) return refuse(AuthFailure::kMalformed);
  auto key = keys_.find(*request.key_id);
  if (key == keys_.end()) return refuse(AuthFailure::kUnknownKey);
  auto skew = std::chrono::duration_cast<std::chrono::seconds>(config_.skew).count();
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (*timestamp < seconds - skew || *timestamp > seconds + skew) {
    return refuse(AuthFailure::kClockSkew);
  }
  std::string signed_text =
      string_to_sign(request.method, request.target, *request.timestamp, request.body);
  if (!key->second.verify(signed_text, *mac)) return refuse(AuthFailure::kSignature);
  return Identity{key->first};
}

}  // namespace graft::proxy
