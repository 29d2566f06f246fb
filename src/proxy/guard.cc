#include "proxy/guard.h"

#include <fmt/format.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include "base/encoding.h"
#include "base/fs.h"
#include "base/hash.h"
#include "base/strings.h"
#include "proxy/request_keys.h"

namespace graft::proxy {
namespace {

constexpr std::string_view kRealm = "graft";
// Longer client keys (a header can be kilobytes) are kept as a 64-bit hash, so the
// limiter's memory stays max_clients times a small size.
constexpr std::size_t kMaxKeyBytes = 128;

// "<kind>:<value>", or "<kind>#<hex of the value's XXH3>" for a long value.
std::string bucket_key(char kind, std::string_view value) {
  std::string key(1, kind);
  if (value.size() <= kMaxKeyBytes) return key.append(":").append(value);
  std::uint64_t hash = base::xxh3_64(value);
  return key.append("#").append(
      base::hex_encode(std::string_view(reinterpret_cast<const char*>(&hash), sizeof hash)));
}

Result<std::string> read_key_file(const std::filesystem::path& config_dir, const std::string& name,
                                  std::string_view what) {
  std::filesystem::path path(name);
  if (path.is_relative() && !config_dir.empty()) path = config_dir / path;
  auto text = base::read_file(path);
  if (!text) {
    return fail(ErrorCode::kIo, fmt::format("cannot read {} '{}': {}", what, path.string(),
                                            text.error().message()));
  }
  return std::move(*text);
}

Result<std::unique_ptr<JwtVerifier>> load_jwt(const route::JwtConfig& config,
                                              const std::filesystem::path& config_dir) {
  bool is_set = !config.jwks_file.empty();
  const std::string& name = is_set ? config.jwks_file : config.key_file;
  GRAFT_ASSIGN_OR_RETURN(std::string text,
                         read_key_file(config_dir, name, is_set ? "JWKS file" : "JWT key file"));
  GRAFT_ASSIGN_OR_RETURN(
      JwtKeys keys, is_set ? JwtKeys::from_jwks(text, name) : JwtKeys::from_key_file(text, name));
  GRAFT_ASSIGN_OR_RETURN(JwtVerifier verifier, JwtVerifier::create(config, std::move(keys), name));
  return std::make_unique<JwtVerifier>(std::move(verifier));
}

Result<std::unique_ptr<RequestSignatureVerifier>> load_signatures(
    const route::HmacConfig& config, const std::filesystem::path& config_dir) {
  GRAFT_ASSIGN_OR_RETURN(std::string text,
                         read_key_file(config_dir, config.keys_file, "HMAC keys file"));
  GRAFT_ASSIGN_OR_RETURN(RequestSignatureVerifier verifier,
                         RequestSignatureVerifier::create(config, text, config.keys_file));
  return std::make_unique<RequestSignatureVerifier>(std::move(verifier));
}

prometheus::ClientMetric sample(std::vector<prometheus::ClientMetric::Label> labels, double value,
                                prometheus::MetricType type) {
  prometheus::ClientMetric metric;
  metric.label = std::move(labels);
  if (type == prometheus::MetricType::Counter)
    metric.counter.value = value;
  else
    metric.gauge.value = value;
  return metric;
}

}  // namespace

Guard::~Guard() = default;

Result<std::unique_ptr<Guard>> Guard::create(const route::RouteConfig& config,
                                             const std::filesystem::path& config_dir) {
  if (!config.auth && !config.rate_limit) return nullptr;
  std::unique_ptr<Guard> guard(new Guard());
  if (config.auth && config.auth->scheme == route::AuthScheme::kJwt) {
    GRAFT_ASSIGN_OR_RETURN(guard->jwt_, load_jwt(config.auth->jwt, config_dir));
  } else if (config.auth) {
    GRAFT_ASSIGN_OR_RETURN(guard->signatures_, load_signatures(config.auth->hmac, config_dir));
  }
  if (config.rate_limit) {
    guard->rate_config_ = config.rate_limit;
    guard->limiter_ = std::make_unique<RateLimiter>(
        RateLimiter::Options{.rate = config.rate_limit->rate,
                             .burst = static_cast<double>(config.rate_limit->burst),
                             .max_clients = config.rate_limit->max_clients});
  }
  return guard;
}

AuthResult Guard::authenticate(const RequestHead& head, std::string_view body,
                               std::chrono::system_clock::time_point now) {
  AuthResult result = Identity{};
  if (jwt_) {
    auto authorization = head.find("authorization");
    auto token = bearer_token(authorization);
    if (!authorization)
      result = tl::unexpected(AuthFailure::kMissing);
    else if (!token)
      result = tl::unexpected(AuthFailure::kMalformed);
    else
      result = jwt_->verify(*token, now);
  } else if (signatures_) {
    result = signatures_->verify({.method = head.method,
                                  .target = head.target,
                                  .body = body,
                                  .key_id = head.find("x-graft-key-id"),
                                  .timestamp = head.find("x-graft-timestamp"),
                                  .signature = head.find("x-graft-signature")},
                                 now);
  }
  if (!result)
    refused_[static_cast<std::size_t>(result.error())].fetch_add(1, std::memory_order_relaxed);
  return result;
}

std::string Guard::challenge(AuthFailure failure) const {
  std::string_view scheme = jwt_ ? "Bearer" : "Graft-HMAC-SHA256";
  if (failure == AuthFailure::kMissing) return fmt::format("{} realm=\"{}\"", scheme, kRealm);
  std::string_view error = jwt_ ? "invalid_token" : auth_failure_name(failure);
  return fmt::format("{} realm=\"{}\", error=\"{}\", error_description=\"{}\"", scheme, kRealm,
                     error, auth_failure_description(failure));
}

RateDecision Guard::limit(const RequestHead& head, std::string_view subject,
                          std::string_view remote_ip, std::string_view variant,
                          std::chrono::steady_clock::time_point now) {
  if (!limiter_) return {};
  std::string key;
  if (rate_config_->key == route::RateKeySource::kSubject && !subject.empty()) {
    key = bucket_key('s', subject);
  } else if (auto value = rate_config_->key == route::RateKeySource::kHeader
                              ? head.find(rate_config_->header)
                              : std::nullopt;
             value && !value->empty()) {
    key = bucket_key('h', *value);
  } else {
    key = bucket_key('a', remote_ip);
  }
  RateDecision decision = limiter_->acquire(key, now);
  if (!decision.allowed) {
    std::lock_guard lock(limited_mutex_);
    auto found = limited_.find(variant);
    if (found == limited_.end()) found = limited_.emplace(std::string(variant), 0).first;
    ++found->second;
  }
  return decision;
}

std::string Guard::metrics_text() const {
  using prometheus::MetricType;
  prometheus::MetricFamily rejections{"graft_proxy_rejections_total",
                                      "Requests refused by authentication (401) or rate limits "
                                      "(429), by reason and variant",
                                      MetricType::Counter,
                                      {}};
  for (std::size_t i = 0; i < kAuthFailureCount; ++i) {
    std::uint64_t count = refused_[i].load(std::memory_order_relaxed);
    if (count == 0) continue;
    std::string reason(auth_failure_name(static_cast<AuthFailure>(i)));
    rejections.metric.push_back(sample({{"reason", reason}, {"variant", "none"}},
                                       static_cast<double>(count), MetricType::Counter));
  }
  {
    std::lock_guard lock(limited_mutex_);
    for (const auto& [variant, count] : limited_) {
      std::string name = variant.empty() ? "none" : variant;
      rejections.metric.push_back(sample({{"reason", "rate_limited"}, {"variant", name}},
                                         static_cast<double>(count), MetricType::Counter));
    }
  }
  std::vector<prometheus::MetricFamily> families{std::move(rejections)};
  if (limiter_) {
    families.push_back({"graft_proxy_rate_limit_buckets",
                        "Client token buckets held",
                        MetricType::Gauge,
                        {sample({}, static_cast<double>(limiter_->size()), MetricType::Gauge)}});
    families.push_back(
        {"graft_proxy_rate_limit_evictions_total",
         "Active client buckets dropped to stay within max_clients",
         MetricType::Counter,
         {sample({}, static_cast<double>(limiter_->evictions()), MetricType::Counter)}});
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace graft::proxy
