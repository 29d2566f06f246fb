// The data-path protection blocks of route.yml: client authentication (`auth`) and rate
// limits (`rate_limit`). Pure values; key files are named here and read by the proxy.
//
//   auth:                          # exactly one of jwt / hmac
//     jwt:
//       algorithms: [RS256]        # allowed: HS256, RS256, ES256 (never "none")
//       key_file: jwt.pem          # HS256: the shared secret; RS256/ES256: a PEM public key
//       jwks_file: jwks.json       # or a JWKS (keys picked by "kid"); one of the two
//       audience: orders-api       # optional: "aud" must contain it
//       issuer: https://id.example # optional: "iss" must equal it
//       leeway: 30s                # clock tolerance for exp/nbf
//     hmac:
//       keys_file: clients.keys    # one "KEY_ID SECRET" a line
//       skew: 300s                 # accepted |now - X-Graft-Timestamp|
//   rate_limit: {key: auth:sub, rate: 50/s, burst: 100, max_clients: 100000}
//
// `sticky: auth:sub` and `rate_limit.key: auth:sub` use the verified subject (the JWT's
// "sub", or the HMAC key id) and need an `auth` block.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace YAML {
class Node;
}

namespace graft::base {
class YamlReader;
}

namespace graft::route {

using base::YamlReader;

enum class JwtAlgorithm { kHs256, kRs256, kEs256 };

// "HS256", "RS256", "ES256".
[[nodiscard]] std::string_view jwt_algorithm_name(JwtAlgorithm algorithm);
// The algorithm named `name` exactly (JOSE names are case-sensitive), or nullopt.
[[nodiscard]] std::optional<JwtAlgorithm> parse_jwt_algorithm(std::string_view name);

struct JwtConfig {
  std::vector<JwtAlgorithm> algorithms;  // at least one, no repeats
  std::string key_file;                  // exactly one of key_file / jwks_file is set
  std::string jwks_file;
  std::string audience;  // empty: "aud" not checked
  std::string issuer;    // empty: "iss" not checked
  std::chrono::milliseconds leeway{30'000};
  friend bool operator==(const JwtConfig&, const JwtConfig&) = default;
};

struct HmacConfig {
  std::string keys_file;
  std::chrono::milliseconds skew{300'000};
  friend bool operator==(const HmacConfig&, const HmacConfig&) = default;
};

enum class AuthScheme { kJwt, kHmac };

struct AuthConfig {
  AuthScheme scheme = AuthScheme::kJwt;
  JwtConfig jwt;    // when scheme is kJwt
  HmacConfig hmac;  // when scheme is kHmac
  friend bool operator==(const AuthConfig&, const AuthConfig&) = default;
};

// Whose bucket a request takes a token from.
enum class RateKeySource {
  kSubject,  // "auth:sub": the verified subject
  kHeader,   // "header:NAME": a request header's value
  kAddress,  // "address": the client's IP address
};

// A token bucket per client key: `rate` tokens a second up to `burst`; a request takes one.
// A request without the key (no such header) is counted under its client address.
struct RateLimitConfig {
  RateKeySource key = RateKeySource::kAddress;
  std::string header;                   // for kHeader
  double rate = 0;                      // tokens per second, > 0
  std::uint32_t burst = 0;              // >= 1; default: the rate per second, rounded up
  std::uint64_t max_clients = 100'000;  // buckets kept; the least recently used go first
  friend bool operator==(const RateLimitConfig&, const RateLimitConfig&) = default;
};

// Parses "50/s", "3000/m", "10/h" or a bare number (per second) into tokens per second.
// Errors (kInvalidArgument): not a positive number, unknown unit, above 1,000,000/s.
[[nodiscard]] Result<double> parse_rate(std::string_view text);

// Internal to module route (config.cc): the `auth` and `rate_limit` blocks. Errors are
// located like every route.yml error.
[[nodiscard]] Result<AuthConfig> parse_auth_block(const YamlReader& reader, const YAML::Node& node);
[[nodiscard]] Result<RateLimitConfig> parse_rate_limit_block(const YamlReader& reader,
                                                             const YAML::Node& node);

}  // namespace graft::route
