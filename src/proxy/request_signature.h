// HMAC request signatures: a client with a key id and a shared secret signs each request.
//
//   X-Graft-Key-Id: KEY_ID
//   X-Graft-Timestamp: UNIX_SECONDS
//   X-Graft-Signature: HMAC-SHA256(secret, string_to_sign) as 64 hex digits or base64
//   string_to_sign = METHOD "\n" TARGET "\n" TIMESTAMP "\n" hex(SHA-256(body))
//
// TARGET is the request target exactly as sent (path and query). A request is accepted
// when its key id is known, |now - timestamp| is within the skew window and the signature
// matches (compared in constant time). Within the window a captured request can be
// replayed; use TLS in front of the proxy, as for bearer tokens.
//
// Thread-safety: immutable after creation; verify() may run on any number of threads.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/hmac.h"
#include "base/result.h"
#include "proxy/auth_result.h"
#include "route/auth_config.h"

namespace graft::proxy {

// What verify() reads from a request.
struct SignedRequest {
  std::string_view method;
  std::string_view target;
  std::string_view body;                      // the whole request body
  std::optional<std::string_view> key_id;     // X-Graft-Key-Id
  std::optional<std::string_view> timestamp;  // X-Graft-Timestamp
  std::optional<std::string_view> signature;  // X-Graft-Signature
};

// The bytes a client signs.
[[nodiscard]] std::string string_to_sign(std::string_view method, std::string_view target,
                                         std::string_view timestamp, std::string_view body);

class RequestSignatureVerifier {
 public:
  // `keys_text`: one "KEY_ID SECRET" a line (key ids of letters, digits, '.', '_', '-';
  // secrets of at least 32 bytes, no spaces); blank lines and lines starting with '#' are
  // skipped. Errors (kInvalidArgument): "clients.keys:3: ..." naming the line, never a secret.
  [[nodiscard]] static Result<RequestSignatureVerifier> create(route::HmacConfig config,
                                                               std::string_view keys_text,
                                                               std::string_view file_name);

  // No signature headers: missing_credentials; some or unreadable: malformed; then
  // unknown_key, clock_skew, bad_signature. The subject is the key id.
  [[nodiscard]] AuthResult verify(const SignedRequest& request,
                                  std::chrono::system_clock::time_point now) const;

  [[nodiscard]] std::size_t size() const { return keys_.size(); }

 private:
  explicit RequestSignatureVerifier(route::HmacConfig config) : config_(std::move(config)) {}

  route::HmacConfig config_;
  std::map<std::string, base::HmacSha256, std::less<>> keys_;
};

}  // namespace graft::proxy
