// RouteConfig: the validated contents of route.yml (the same block is embedded in an
// experiment spec). Parsing is pure: the caller reads the file and passes its text.
//
//   listen: 127.0.0.1:8080
//   admin: 127.0.0.1:8081          # loopback unless token_file is set
//   token_file: admin.token        # optional bearer token for the admin API
//   sticky: header:X-User-Id       # header:NAME | cookie:NAME | query:NAME | none
//   salt: ctr-v3                   # a new salt reshuffles users
//   variants:                      # order matters: the first is the baseline
//     baseline:  {upstreams: [127.0.0.1:9001, 127.0.0.1:9003], weight: 90}
//     treatment: {upstreams: [127.0.0.1:9002], weight: 10}
//   mirror: {variant: shadow, percent: 100}
//   health: {path: /health, interval: 1s, timeout: 1s, fails: 3, passes: 2}
//   access_log: access.jsonl
//   limits: {max_header_bytes: 16384, max_body_bytes: 10485760, max_connections: 10000,
//            min_body_rate: 1024}
//   timeouts: {connect: 2s, read: 30s, idle: 60s, header: 10s, first_byte: 2s, body: 10s}
//   override: {header: X-Graft-Variant, enabled: true, require_token: false}
//   auth: {jwt: {algorithms: [RS256], key_file: jwt.pem}}   # see auth_config.h
//   rate_limit: {key: auth:sub, rate: 50/s, burst: 100}
//
// Only `listen` and `variants` are required; every other field has the default shown in
// the structs below. Paths (token_file, access_log) are returned as written; the caller
// resolves relative ones against the directory of the config file.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "route/auth_config.h"
#include "route/values.h"

namespace graft::route {

// Largest accepted weight; weights are relative, so 1,000,000 leaves room for ppm splits.
inline constexpr std::uint32_t kMaxWeight = 1'000'000;
// Largest number of variants in one route (baseline included).
inline constexpr std::size_t kMaxVariants = 64;

struct VariantConfig {
  std::string name;                // [A-Za-z0-9_.-]+, unique; shown in X-Graft-Variant
  std::vector<Address> upstreams;  // at least one; requests are balanced across them
  std::uint32_t weight = 0;        // relative share of traffic, 0..kMaxWeight
  friend bool operator==(const VariantConfig&, const VariantConfig&) = default;
};

// Shadow traffic: a copy of `percent` % of requests also goes to `variant`, whose
// response is discarded. The variant is defined under `variants` (usually weight 0) and
// is never the baseline.
struct MirrorConfig {
  std::string variant;
  std::uint32_t percent = 100;  // 0..100
  friend bool operator==(const MirrorConfig&, const MirrorConfig&) = default;
};

// Active health checks of every upstream: GET `path` every `interval`; an upstream is
// marked down after `fails` consecutive failures and up again after `passes` successes.
struct HealthConfig {
  std::string path = "/health";  // starts with '/'
  std::chrono::milliseconds interval{1000};
  std::chrono::milliseconds timeout{1000};  // per probe
  std::uint32_t fails = 3;                  // >= 1
  std::uint32_t passes = 2;                 // >= 1
  friend bool operator==(const HealthConfig&, const HealthConfig&) = default;
};

// Hard limits of the data plane; exceeding one gets 431/413/503 from the proxy.
struct LimitsConfig {
  std::uint64_t max_header_bytes = 16 * 1024;       // request line + headers, >= 1024
  std::uint64_t max_body_bytes = 10 * 1024 * 1024;  // request body
  std::uint64_t max_connections = 10'000;           // concurrent client connections, >= 1
  // Request bodies must arrive at this many bytes per second on average, after a grace of
  // timeouts.body (408 or a closed connection otherwise); 0: no minimum.
  std::uint64_t min_body_rate = 1024;
  friend bool operator==(const LimitsConfig&, const LimitsConfig&) = default;
};

struct TimeoutsConfig {
  std::chrono::milliseconds connect{2'000};  // to an upstream
  std::chrono::milliseconds read{30'000};    // waiting for upstream response bytes
  std::chrono::milliseconds idle{60'000};    // keep-alive client connection with no request
  std::chrono::milliseconds header{10'000};  // client sending the request head (slowloris)
  // A new connection sending its first byte: much shorter than `header`, so connections
  // opened and left silent do not hold max_connections.
  std::chrono::milliseconds first_byte{2'000};
  std::chrono::milliseconds body{10'000};  // the longest pause within a request body
  friend bool operator==(const TimeoutsConfig&, const TimeoutsConfig&) = default;
};

// Tester overrides: a request carrying `header: <variant name>` goes to that variant.
struct OverrideConfig {
  std::string header = "X-Graft-Variant";
  bool enabled = true;
  bool require_token = false;  // only honour the header with a valid admin bearer token
  friend bool operator==(const OverrideConfig&, const OverrideConfig&) = default;
};

struct RouteConfig {
  Address listen;                                    // required
  Address admin{.host = "127.0.0.1", .port = 8081};  // loopback unless token_file is set
  std::string token_file;                            // empty: no token
  StickyKey sticky;                                  // default none
  std::string salt;                                  // default ""
  std::vector<VariantConfig> variants;               // >= 1, first is the baseline
  std::optional<MirrorConfig> mirror;
  HealthConfig health;
  std::string access_log;  // empty: no access log
  LimitsConfig limits;
  TimeoutsConfig timeouts;
  OverrideConfig overrides;                   // YAML key `override`
  std::optional<AuthConfig> auth;             // none: requests are not authenticated
  std::optional<RateLimitConfig> rate_limit;  // none: no rate limit
  friend bool operator==(const RouteConfig&, const RouteConfig&) = default;
};

// Parses and validates route.yml text. `file_name` is used in messages only. Every error
// is kInvalidArgument, formatted "file:line: message" (1-based line of the offending node)
// followed by the source line and a caret under the column, e.g.
//   route.yml:7: weight of 'treatment' must be a non-negative integer, got -5
//     treatment: {upstreams: [127.0.0.1:9002], weight: -5}
//                                                      ^
// Checks: YAML syntax; unknown keys (with "did you mean 'x'?"); types; addresses;
// durations; weights non-negative, at most kMaxWeight and not all 0; unique variant names;
// mirror variant defined and not the baseline; admin on loopback unless token_file is set;
// admin and listen differ; `auth:sub` keys have an `auth` block; the auth and rate_limit
// blocks (auth_config.h).
[[nodiscard]] Result<RouteConfig> parse_route_config(std::string_view text,
                                                     std::string_view file_name);

// The same checks on a block nested in a larger YAML document (the experiment spec):
// `text` is the whole document and `key` the top-level key holding the route block.
// Line numbers refer to the whole document. Errors as above; a missing key is an error.
// With `variants`, the block has no `variants` key of its own (an error there): the
// config gets these (an experiment's variants, upstreams filled in when its replicas run),
// and `mirror` refers to them.
[[nodiscard]] Result<RouteConfig> parse_route_config_at(
    std::string_view text, std::string_view file_name, std::string_view key,
    const std::vector<VariantConfig>* variants = nullptr);

// Checks the cross-field rules (weights, mirror, admin, names) of a config built in code.
// Errors as above but without a location.
[[nodiscard]] Status validate_route_config(const RouteConfig& config);

}  // namespace graft::route
