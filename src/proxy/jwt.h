// JWT bearer tokens (RFC 7519, JWS compact form) checked against configured keys:
// HS256 (HMAC-SHA256 with a shared secret), RS256 (RSASSA-PKCS1-v1_5 with SHA-256) and
// ES256 (ECDSA P-256 with SHA-256; JOSE's raw r||s signature is converted to DER for
// OpenSSL). Every key has one algorithm, fixed by its type: a token is only checked with a
// key of its own algorithm, so "none", algorithms outside the allowed list, and an HS256
// token "signed" with an RSA public key's text are refused (bad_algorithm).
//
// Order of checks: shape (three base64url parts, JSON objects, at most 8 KiB), algorithm,
// key, signature, then the claims: exp and nbf (NumericDate, with the configured leeway),
// aud and iss when configured, sub a string when present.
//
// Tokens that verified are remembered (token_cache.h, up to kTokenCacheEntries) with the
// window their exp/nbf allow, so a client's repeated token skips the parse and signature.
//
// Thread-safety: JwtKeys is immutable after creation; JwtVerifier's verify() may run on any
// number of threads at once.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"
#include "proxy/auth_result.h"
#include "proxy/token_cache.h"
#include "route/auth_config.h"

namespace graft::proxy {

// Longest token accepted, in bytes.
inline constexpr std::size_t kMaxTokenBytes = 8 * 1024;
// Verified tokens remembered per verifier.
inline constexpr std::size_t kTokenCacheEntries = 16 * 1024;

class JwtKeys {
 public:
  struct Key;  // defined in jwt.cc

  // A key file: a PEM public key ("-----BEGIN PUBLIC KEY-----", RSA of at least 2048 bits
  // or EC P-256) or else an HS256 shared secret (the file's bytes, surrounding whitespace
  // trimmed, at least 32 bytes). `file_name` is used in messages only; no key material is
  // ever put in a message. Errors: kInvalidArgument.
  [[nodiscard]] static Result<JwtKeys> from_key_file(std::string_view text,
                                                     std::string_view file_name);
  // A JWK Set (RFC 7517): {"keys": [{"kty": "RSA", "kid", "n", "e"} | {"kty": "EC",
  // "crv": "P-256", "x", "y"} | {"kty": "oct", "k"}, ...]}. A key's "alg", when given,
  // must match its type; keys with "use" other than "sig" are skipped.
  [[nodiscard]] static Result<JwtKeys> from_jwks(std::string_view text, std::string_view file_name);

  JwtKeys();
  ~JwtKeys();
  JwtKeys(JwtKeys&&) noexcept;
  JwtKeys& operator=(JwtKeys&&) noexcept;

  [[nodiscard]] std::size_t size() const { return keys_.size(); }
  // The key a token with `kid` (empty: none given) and `algorithm` is checked with:
  // the key with that kid, or the only key when the set has one; null when none fits.
  [[nodiscard]] const Key* find(std::string_view kid) const;
  [[nodiscard]] bool has(route::JwtAlgorithm algorithm) const;
  // The algorithms of the keys, e.g. "RS256, ES256".
  [[nodiscard]] std::string describe() const;

 private:
  std::vector<std::shared_ptr<const Key>> keys_;
  bool from_set_ = false;  // a JWKS: a token must name its key unless the set has one
};

class JwtVerifier {
 public:
  // Errors (kInvalidArgument): an allowed algorithm has no key in `keys`
  // ("'auth.jwt.algorithms' allows RS256 but 'ec.pem' has no RS256 key (it holds ES256)").
  [[nodiscard]] static Result<JwtVerifier> create(route::JwtConfig config, JwtKeys keys,
                                                  std::string_view keys_name);

  // Checks a compact-form token at wall-clock time `now`.
  [[nodiscard]] AuthResult verify(std::string_view token,
                                  std::chrono::system_clock::time_point now) const;

 private:
  JwtVerifier(route::JwtConfig config, JwtKeys keys);
  // The claims at `now`; on success also the window in which they hold.
  [[nodiscard]] AuthResult check_claims(const nlohmann::json& claims,
                                        std::chrono::system_clock::time_point now,
                                        std::chrono::system_clock::time_point* valid_from,
                                        std::chrono::system_clock::time_point* valid_until) const;

  route::JwtConfig config_;
  JwtKeys keys_;
  std::unique_ptr<TokenCache> cache_;
};

}  // namespace graft::proxy
