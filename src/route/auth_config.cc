#include "route/auth_config.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include "base/yaml.h"
#include "route/values.h"

namespace graft::route {
namespace {

constexpr double kMaxRatePerSecond = 1'000'000;
constexpr auto kMaxLeeway = std::chrono::minutes(5);
constexpr auto kMaxSkew = std::chrono::hours(1);

Result<std::vector<JwtAlgorithm>> parse_algorithms(const YamlReader& reader,
                                                   const YAML::Node& node) {
  if (!node.IsSequence()) {
    return fail(reader.error_at(node, "'auth.jwt.algorithms' must be a list, e.g. [RS256]"));
  }
  if (node.size() == 0) {
    return fail(reader.error_at(
        node, "'auth.jwt.algorithms' must list at least one of HS256, RS256, ES256"));
  }
  std::vector<JwtAlgorithm> algorithms;
  for (const YAML::Node& item : node) {
    GRAFT_ASSIGN_OR_RETURN(std::string name, reader.string(item, "a JWT algorithm"));
    auto algorithm = parse_jwt_algorithm(name);
    if (!algorithm) {
      return fail(reader.error_at(item, fmt::format("'{}' is not an allowed JWT algorithm: use "
                                                    "HS256, RS256 or ES256",
                                                    name)));
    }
    if (std::find(algorithms.begin(), algorithms.end(), *algorithm) != algorithms.end()) {
      return fail(reader.error_at(
          item, fmt::format("'{}' is listed twice in 'auth.jwt.algorithms'", name)));
    }
    algorithms.push_back(*algorithm);
  }
  return algorithms;
}

// A duration no longer than `maximum`.
Result<std::chrono::milliseconds> bounded_duration(const YamlReader& reader, const YAML::Node& node,
                                                   std::string_view what,
                                                   std::chrono::milliseconds maximum) {
  GRAFT_ASSIGN_OR_RETURN(std::string text, reader.string(node, what));
  auto parsed = parse_duration(text);
  if (!parsed) return fail(reader.error_at(node, parsed.error().message()));
  const std::chrono::milliseconds value = *parsed;
  if (value > maximum) {
    return fail(reader.error_at(node, fmt::format("{} must be at most {}, got {}", what,
                                                  format_duration(maximum), node.Scalar())));
  }
  return value;
}

Result<JwtConfig> parse_jwt(const YamlReader& reader, const YAML::Node& node) {
  GRAFT_RETURN_IF_ERROR(reader.expect_map(node, "'auth.jwt'"));
  GRAFT_RETURN_IF_ERROR(reader.check_keys(
      node, "auth.jwt", {"algorithms", "key_file", "jwks_file", "audience", "issuer", "leeway"}));
  if (!node["algorithms"]) return fail(reader.error_at(node, "'auth.jwt' has no 'algorithms'"));
  JwtConfig jwt;
  GRAFT_ASSIGN_OR_RETURN(jwt.algorithms, parse_algorithms(reader, node["algorithms"]));
  if (!node["key_file"] && !node["jwks_file"]) {
    return fail(reader.error_at(node, "'auth.jwt' needs 'key_file' or 'jwks_file'"));
  }
  if (node["key_file"] && node["jwks_file"]) {
    return fail(reader.error_at(node, "'auth.jwt' takes 'key_file' or 'jwks_file', not both"));
  }
  const std::pair<const char*, std::string*> strings[] = {{"key_file", &jwt.key_file},
                                                          {"jwks_file", &jwt.jwks_file},
                                                          {"audience", &jwt.audience},
                                                          {"issuer", &jwt.issuer}};
  for (const auto& [key, field] : strings) {
    if (!node[key]) continue;
    GRAFT_ASSIGN_OR_RETURN(*field, reader.string(node[key], fmt::format("'auth.jwt.{}'", key)));
  }
  if (node["leeway"]) {
    GRAFT_ASSIGN_OR_RETURN(
        jwt.leeway, bounded_duration(reader, node["leeway"], "'auth.jwt.leeway'", kMaxLeeway));
  }
  return jwt;
}

Result<HmacConfig> parse_hmac(const YamlReader& reader, const YAML::Node& node) {
  GRAFT_RETURN_IF_ERROR(reader.expect_map(node, "'auth.hmac'"));
  GRAFT_RETURN_IF_ERROR(reader.check_keys(node, "auth.hmac", {"keys_file", "skew"}));
  if (!node["keys_file"]) return fail(reader.error_at(node, "'auth.hmac' has no 'keys_file'"));
  HmacConfig hmac;
  GRAFT_ASSIGN_OR_RETURN(hmac.keys_file, reader.string(node["keys_file"], "'auth.hmac.keys_file'"));
  if (node["skew"]) {
    GRAFT_ASSIGN_OR_RETURN(hmac.skew,
                           bounded_duration(reader, node["skew"], "'auth.hmac.skew'", kMaxSkew));
  }
  return hmac;
}

Result<RateLimitConfig> parse_rate_key(std::string_view text) {
  RateLimitConfig limit;
  if (text == "auth:sub") {
    limit.key = RateKeySource::kSubject;
    return limit;
  }
  if (text == "address") return limit;
  auto as_sticky = parse_sticky_key(text);
  if (!as_sticky || as_sticky->source != StickySource::kHeader) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is not a valid rate limit key: use auth:sub, header:NAME or "
                            "address",
                            text));
  }
  limit.key = RateKeySource::kHeader;
  limit.header = as_sticky->name;
  return limit;
}

Result<std::uint64_t> at_least_one(const YamlReader& reader, const YAML::Node& node,
                                   std::string_view what) {
  GRAFT_ASSIGN_OR_RETURN(std::uint64_t value, reader.unsigned_integer(node, what));
  if (value == 0)
    return fail(reader.error_at(node, fmt::format("{} must be at least 1, got 0", what)));
  return value;
}

}  // namespace

std::string_view jwt_algorithm_name(JwtAlgorithm algorithm) {
  switch (algorithm) {
    case JwtAlgorithm::kHs256: return "HS256";
    case JwtAlgorithm::kRs256: return "RS256";
    case JwtAlgorithm::kEs256: return "ES256";
  }
  return "HS256";
}

std::optional<JwtAlgorithm> parse_jwt_algorithm(std::string_view name) {
  for (JwtAlgorithm algorithm :
       {JwtAlgorithm::kHs256, JwtAlgorithm::kRs256, JwtAlgorithm::kEs256}) {
    if (jwt_algorithm_name(algorithm) == name) return algorithm;
  }
  return std::nullopt;
}

Result<double> parse_rate(std::string_view text) {
  auto bad = [&](std::string_view cause) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is not a valid rate: {}", text, cause));
  };
  std::size_t slash = text.find('/');
  std::string_view number = text.substr(0, slash);
  double per_unit = 0;
  auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), per_unit,
                                      std::chars_format::fixed);
  if (number.empty() || error != std::errc() || end != number.data() + number.size() ||
      !std::isfinite(per_unit)) {
    return bad("expected a number, e.g. 50/s");
  }
  double seconds = 1;
  if (slash != std::string_view::npos) {
    std::string_view unit = text.substr(slash + 1);
    if (unit == "m")
      seconds = 60;
    else if (unit == "h")
      seconds = 3600;
    else if (unit != "s")
      return bad(fmt::format("unknown unit '{}' (s, m or h)", unit));
  }
  if (per_unit <= 0) return bad("must be greater than zero");
  double rate = per_unit / seconds;
  if (rate > kMaxRatePerSecond) return bad("above 1000000/s");
  return rate;
}

Result<AuthConfig> parse_auth_block(const YamlReader& reader, const YAML::Node& node) {
  GRAFT_RETURN_IF_ERROR(reader.expect_map(node, "'auth'"));
  GRAFT_RETURN_IF_ERROR(reader.check_keys(node, "auth", {"jwt", "hmac"}));
  if (!node["jwt"] && !node["hmac"]) {
    return fail(reader.error_at(node, "'auth' needs one of 'jwt' or 'hmac'"));
  }
  if (node["jwt"] && node["hmac"]) {
    return fail(reader.error_at(node, "'auth' takes one of 'jwt' or 'hmac', not both"));
  }
  AuthConfig auth;
  if (node["jwt"]) {
    GRAFT_ASSIGN_OR_RETURN(auth.jwt, parse_jwt(reader, node["jwt"]));
    return auth;
  }
  auth.scheme = AuthScheme::kHmac;
  GRAFT_ASSIGN_OR_RETURN(auth.hmac, parse_hmac(reader, node["hmac"]));
  return auth;
}

Result<RateLimitConfig> parse_rate_limit_block(const YamlReader& reader, const YAML::Node& node) {
  GRAFT_RETURN_IF_ERROR(reader.expect_map(node, "'rate_limit'"));
  GRAFT_RETURN_IF_ERROR(
      reader.check_keys(node, "rate_limit", {"key", "rate", "burst", "max_clients"}));
  for (const char* required : {"key", "rate"}) {
    if (!node[required]) {
      return fail(reader.error_at(node, fmt::format("'rate_limit' has no '{}'", required)));
    }
  }
  GRAFT_ASSIGN_OR_RETURN(std::string key, reader.string(node["key"], "'rate_limit.key'"));
  auto limit = parse_rate_key(key);
  if (!limit) return fail(reader.error_at(node["key"], limit.error().message()));
  GRAFT_ASSIGN_OR_RETURN(std::string rate, reader.string(node["rate"], "'rate_limit.rate'"));
  auto parsed_rate = parse_rate(rate);
  if (!parsed_rate) return fail(reader.error_at(node["rate"], parsed_rate.error().message()));
  limit->rate = *parsed_rate;
  limit->burst = static_cast<std::uint32_t>(std::max(1.0, std::ceil(limit->rate)));
  if (node["burst"]) {
    GRAFT_ASSIGN_OR_RETURN(auto burst, at_least_one(reader, node["burst"], "'rate_limit.burst'"));
    limit->burst = static_cast<std::uint32_t>(std::min<std::uint64_t>(burst, 1'000'000'000));
  }
  if (node["max_clients"]) {
    GRAFT_ASSIGN_OR_RETURN(limit->max_clients,
                           at_least_one(reader, node["max_clients"], "'rate_limit.max_clients'"));
  }
  return std::move(*limit);
}

}  // namespace graft::route
