#include "route/auth_config.h"

#include <string>

#include <gtest/gtest.h>

#include "route/config.h"

namespace graft::route {
namespace {

using std::chrono::milliseconds;

const std::string kHead =
    "listen: 127.0.0.1:8080\nvariants:\n  baseline: {upstreams: [127.0.0.1:9001], weight: 1}\n";

Result<RouteConfig> parse(const std::string& tail) {
  return parse_route_config(kHead + tail, "route.yml");
}

TEST(AuthConfig, JwtBlockWithEveryKey) {
  auto config = parse(
      "sticky: auth:sub\n"
      "auth:\n  jwt: {algorithms: [RS256, ES256], key_file: jwt.pem, audience: api,\n"
      "        issuer: 'https://id.example', leeway: 5s}\n"
      "rate_limit: {key: auth:sub, rate: 600/m, burst: 20, max_clients: 1000}\n");
  ASSERT_TRUE(config) << config.error().message();
  ASSERT_TRUE(config->auth);
  EXPECT_EQ(config->auth->scheme, AuthScheme::kJwt);
  EXPECT_EQ(config->auth->jwt,
            (JwtConfig{.algorithms = {JwtAlgorithm::kRs256, JwtAlgorithm::kEs256},
                       .key_file = "jwt.pem",
                       .audience = "api",
                       .issuer = "https://id.example",
                       .leeway = milliseconds(5000)}));
  EXPECT_EQ(config->sticky, (StickyKey{StickySource::kSubject, "sub"}));
  ASSERT_TRUE(config->rate_limit);
  EXPECT_EQ(*config->rate_limit,
            (RateLimitConfig{
                .key = RateKeySource::kSubject, .rate = 10, .burst = 20, .max_clients = 1000}));
  EXPECT_TRUE(validate_route_config(*config));
}

TEST(AuthConfig, HmacBlockAndDefaults) {
  auto config = parse(
      "auth: {hmac: {keys_file: clients.keys}}\n"
      "rate_limit: {key: 'header:X-Api-Key', rate: 2.5}\n");
  ASSERT_TRUE(config) << config.error().message();
  EXPECT_EQ(config->auth->scheme, AuthScheme::kHmac);
  EXPECT_EQ(config->auth->hmac, (HmacConfig{"clients.keys", milliseconds(300'000)}));
  EXPECT_EQ(*config->rate_limit, (RateLimitConfig{.key = RateKeySource::kHeader,
                                                  .header = "X-Api-Key",
                                                  .rate = 2.5,
                                                  .burst = 3,
                                                  .max_clients = 100'000}));
  auto plain = parse("rate_limit: {key: address, rate: 100}\n");
  ASSERT_TRUE(plain) << plain.error().message();
  EXPECT_FALSE(plain->auth);
  EXPECT_EQ(plain->rate_limit->key, RateKeySource::kAddress);
  EXPECT_EQ(plain->rate_limit->burst, 100u);
}

TEST(AuthConfig, JwtDefaultsToA30SecondLeewayAndNoAudience) {
  auto config = parse("auth: {jwt: {algorithms: [HS256], jwks_file: keys.json}}\n");
  ASSERT_TRUE(config) << config.error().message();
  EXPECT_EQ(config->auth->jwt.jwks_file, "keys.json");
  EXPECT_EQ(config->auth->jwt.leeway, milliseconds(30'000));
  EXPECT_TRUE(config->auth->jwt.audience.empty());
}

TEST(AuthConfig, BadBlocksGiveLocatedMessages) {
  const std::pair<std::string, std::string> cases[] = {
      {"auth: {}\n", "route.yml:4: 'auth' needs one of 'jwt' or 'hmac'"},
      {"auth: {jwt: {algorithms: [HS256], key_file: k}, hmac: {keys_file: f}}\n",
       "route.yml:4: 'auth' takes one of 'jwt' or 'hmac', not both"},
      {"auth: {jwt: {algorithms: [none], key_file: k}}\n",
       "route.yml:4: 'none' is not an allowed JWT algorithm: use HS256, RS256 or ES256"},
      {"auth: {jwt: {algorithms: [hs256], key_file: k}}\n",
       "route.yml:4: 'hs256' is not an allowed JWT algorithm: use HS256, RS256 or ES256"},
      {"auth: {jwt: {algorithms: [], key_file: k}}\n",
       "route.yml:4: 'auth.jwt.algorithms' must list at least one of HS256, RS256, ES256"},
      {"auth: {jwt: {algorithms: RS256, key_file: k}}\n",
       "route.yml:4: 'auth.jwt.algorithms' must be a list, e.g. [RS256]"},
      {"auth: {jwt: {algorithms: [RS256, RS256], key_file: k}}\n",
       "route.yml:4: 'RS256' is listed twice in 'auth.jwt.algorithms'"},
      {"auth: {jwt: {key_file: k}}\n", "route.yml:4: 'auth.jwt' has no 'algorithms'"},
      {"auth: {jwt: {algorithms: [RS256]}}\n",
       "route.yml:4: 'auth.jwt' needs 'key_file' or 'jwks_file'"},
      {"auth: {jwt: {algorithms: [RS256], key_file: a, jwks_file: b}}\n",
       "route.yml:4: 'auth.jwt' takes 'key_file' or 'jwks_file', not both"},
      {"auth: {jwt: {algorithms: [RS256], key_file: a, audiance: x}}\n",
       "route.yml:4: unknown key 'audiance' in 'auth.jwt', did you mean 'audience'?"},
      {"auth: {jwt: {algorithms: [RS256], key_file: a, leeway: 2h}}\n",
       "route.yml:4: 'auth.jwt.leeway' must be at most 5m, got 2h"},
      {"auth: {hmac: {skew: 10s}}\n", "route.yml:4: 'auth.hmac' has no 'keys_file'"},
      {"auth: {hmac: {keys_file: f, skew: 2h}}\n",
       "route.yml:4: 'auth.hmac.skew' must be at most 1h, got 2h"},
      {"sticky: auth:sub\n",
       "route.yml:4: 'sticky: auth:sub' needs an 'auth' block: the subject comes from it"},
      {"rate_limit: {key: auth:sub, rate: 1}\n",
       "route.yml:4: 'rate_limit.key: auth:sub' needs an 'auth' block: the subject comes from "
       "it"},
      {"rate_limit: {rate: 1}\n", "route.yml:4: 'rate_limit' has no 'key'"},
      {"rate_limit: {key: address}\n", "route.yml:4: 'rate_limit' has no 'rate'"},
      {"rate_limit: {key: cookie:x, rate: 1}\n",
       "route.yml:4: 'cookie:x' is not a valid rate limit key: use auth:sub, header:NAME or "
       "address"},
      {"rate_limit: {key: 'header:a b', rate: 1}\n",
       "route.yml:4: 'header:a b' is not a valid rate limit key: use auth:sub, header:NAME or "
       "address"},
      {"rate_limit: {key: address, rate: 0}\n",
       "route.yml:4: '0' is not a valid rate: must be greater than zero"},
      {"rate_limit: {key: address, rate: 5/d}\n",
       "route.yml:4: '5/d' is not a valid rate: unknown unit 'd' (s, m or h)"},
      {"rate_limit: {key: address, rate: lots}\n",
       "route.yml:4: 'lots' is not a valid rate: expected a number, e.g. 50/s"},
      {"rate_limit: {key: address, rate: 1, burst: 0}\n",
       "route.yml:4: 'rate_limit.burst' must be at least 1, got 0"},
      {"rate_limit: {key: address, rate: 1, max_clients: 0}\n",
       "route.yml:4: 'rate_limit.max_clients' must be at least 1, got 0"},
  };
  for (const auto& [tail, message] : cases) {
    auto config = parse(tail);
    ASSERT_FALSE(config) << tail;
    std::string first_line =
        config.error().message().substr(0, config.error().message().find('\n'));
    EXPECT_EQ(first_line, message) << tail;
  }
}

TEST(ParseRate, UnitsAndLimits) {
  EXPECT_EQ(parse_rate("50/s").value(), 50.0);
  EXPECT_EQ(parse_rate("120/m").value(), 2.0);
  EXPECT_EQ(parse_rate("36/h").value(), 0.01);
  EXPECT_EQ(parse_rate("0.5").value(), 0.5);
  EXPECT_EQ(parse_rate("2000000/s").error().message(),
            "'2000000/s' is not a valid rate: above 1000000/s");
  EXPECT_EQ(parse_rate("nan").error().message(),
            "'nan' is not a valid rate: expected a number, e.g. 50/s");
}

TEST(ValidateRouteConfig, SubjectKeysNeedAuth) {
  RouteConfig config;
  config.listen = {"127.0.0.1", 8080};
  config.variants = {{"baseline", {{"127.0.0.1", 9001}}, 1}};
  config.sticky = {StickySource::kSubject, "sub"};
  EXPECT_EQ(validate_route_config(config).error().message(),
            "'sticky: auth:sub' needs an 'auth' block: the subject comes from it");
  config.auth = AuthConfig{.jwt = {.algorithms = {JwtAlgorithm::kHs256}, .key_file = "k"}};
  EXPECT_TRUE(validate_route_config(config));
}

}  // namespace
}  // namespace graft::route
