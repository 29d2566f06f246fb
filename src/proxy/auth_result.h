// What checking a request's credentials decides: the verified subject, or why not.
// Shared by the JWT verifier (jwt.h) and the request-signature verifier
// (request_signature.h). Pure values, thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace graft::proxy {

// Why a request was refused (401). Names go to /metrics, never the credential itself.
enum class AuthFailure {
  kMissing,      // no credentials at all
  kMalformed,    // not a well-formed token / signature headers
  kAlgorithm,    // "none", an unknown or not allowed algorithm, or one the key is not for
  kUnknownKey,   // no key with that kid / key id
  kSignature,    // the signature does not verify
  kExpired,      // exp passed (leeway included)
  kNotYetValid,  // nbf in the future (leeway included)
  kAudience,     // aud does not contain the configured audience
  kIssuer,       // iss is not the configured issuer
  kClockSkew,    // a signed request's timestamp is outside the skew window
};
inline constexpr std::size_t kAuthFailureCount = 10;

// "missing_credentials", "malformed", "bad_algorithm", "unknown_key", "bad_signature",
// "expired", "not_yet_valid", "wrong_audience", "wrong_issuer", "clock_skew".
[[nodiscard]] std::string_view auth_failure_name(AuthFailure failure);
// A short sentence for a WWW-Authenticate error_description: "the token has expired".
[[nodiscard]] std::string_view auth_failure_description(AuthFailure failure);

struct Identity {
  std::string subject;  // JWT "sub" (may be empty when the token has none) or the key id
};

using AuthResult = tl::expected<Identity, AuthFailure>;

}  // namespace graft::proxy
