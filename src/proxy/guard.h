// Guard: the data path's client authentication (JWT bearer tokens or HMAC request
// signatures) and per-client rate limits, as configured by route.yml's `auth` and
// `rate_limit` blocks (route/auth_config.h). The session asks it twice per request:
// authenticate() before routing (401 on failure; the subject may be the sticky key), and
// limit() after routing (429), so rate-limit refusals are counted per variant.
//
// Metrics (appended to /metrics):
//   graft_proxy_rejections_total{reason,variant}   counter; reason is an auth failure
//                                                  name (auth_result.h, variant "none") or
//                                                  "rate_limited" (the routed variant)
//   graft_proxy_rate_limit_buckets                 gauge, client buckets held
//   graft_proxy_rate_limit_evictions_total         counter, active buckets dropped for room
//
// Credentials are never logged or counted by value.
// Thread-safety: every member may be called from any thread at once.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "proxy/auth_result.h"
#include "proxy/http_parser.h"
#include "proxy/jwt.h"
#include "proxy/rate_limit.h"
#include "proxy/request_signature.h"
#include "route/config.h"

namespace graft::proxy {

class Guard {
 public:
  // Reads the key files (relative paths resolve against `config_dir`). Null when the config
  // has neither `auth` nor `rate_limit`. Errors: kIo (a key file cannot be read),
  // kInvalidArgument (a bad key file, or algorithms without a key), naming the file.
  [[nodiscard]] static Result<std::unique_ptr<Guard>> create(
      const route::RouteConfig& config, const std::filesystem::path& config_dir);
  ~Guard();

  [[nodiscard]] bool authenticates() const { return jwt_ || signatures_; }
  // HMAC signatures cover the body: the session must hold the whole body first.
  [[nodiscard]] bool needs_body() const { return signatures_ != nullptr; }
  [[nodiscard]] bool limits() const { return limiter_ != nullptr; }

  // Checks the request's credentials at wall-clock `now`. `body` is the whole request body
  // when needs_body(). Counts a failure. Without `auth` every request passes, subject "".
  [[nodiscard]] AuthResult authenticate(const RequestHead& head, std::string_view body,
                                        std::chrono::system_clock::time_point now);
  // The WWW-Authenticate value for a failure (RFC 6750 for bearer tokens).
  [[nodiscard]] std::string challenge(AuthFailure failure) const;

  // Takes a token from the client's bucket: the key is the subject, a header or
  // `remote_ip` (also when the subject or header is missing). Counts a refusal under
  // `variant`. Without `rate_limit` every request passes.
  [[nodiscard]] RateDecision limit(const RequestHead& head, std::string_view subject,
                                   std::string_view remote_ip, std::string_view variant,
                                   std::chrono::steady_clock::time_point now);

  // The metric families above in the Prometheus text format.
  [[nodiscard]] std::string metrics_text() const;

 private:
  Guard() = default;

  std::optional<route::RateLimitConfig> rate_config_;
  std::unique_ptr<JwtVerifier> jwt_;
  std::unique_ptr<RequestSignatureVerifier> signatures_;
  std::unique_ptr<RateLimiter> limiter_;
  std::array<std::atomic<std::uint64_t>, kAuthFailureCount> refused_{};
  mutable std::mutex limited_mutex_;                           // taken on refusals only
  std::map<std::string, std::uint64_t, std::less<>> limited_;  // by variant
};

}  // namespace graft::proxy
