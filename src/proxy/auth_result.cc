#include "proxy/auth_result.h"

namespace graft::proxy {

std::string_view auth_failure_name(AuthFailure failure) {
  switch (failure) {
    case AuthFailure::kMissing: return "missing_credentials";
    case AuthFailure::kMalformed: return "malformed";
    case AuthFailure::kAlgorithm: return "bad_algorithm";
    case AuthFailure::kUnknownKey: return "unknown_key";
    case AuthFailure::kSignature: return "bad_signature";
    case AuthFailure::kExpired: return "expired";
    case AuthFailure::kNotYetValid: return "not_yet_valid";
    case AuthFailure::kAudience: return "wrong_audience";
    case AuthFailure::kIssuer: return "wrong_issuer";
    case AuthFailure::kClockSkew: return "clock_skew";
  }
  return "malformed";
}

std::string_view auth_failure_description(AuthFailure failure) {
  switch (failure) {
    case AuthFailure::kMissing: return "credentials are required";
    case AuthFailure::kMalformed: return "the credentials are malformed";
    case AuthFailure::kAlgorithm: return "the signing algorithm is not accepted";
    case AuthFailure::kUnknownKey: return "the signing key is unknown";
    case AuthFailure::kSignature: return "the signature does not verify";
    case AuthFailure::kExpired: return "the token has expired";
    case AuthFailure::kNotYetValid: return "the token is not valid yet";
    case AuthFailure::kAudience: return "the token is for another audience";
    case AuthFailure::kIssuer: return "the token is from another issuer";
    case AuthFailure::kClockSkew: return "the request timestamp is too far from the server's clock";
  }
  return "the credentials are malformed";
}

}  // namespace graft::proxy
