#include "route/config.h"

#include <string>

#include <gtest/gtest.h>

namespace graft::route {
namespace {

using std::chrono::milliseconds;

constexpr const char* kFullConfig = R"(listen: 127.0.0.1:8080
admin: 127.0.0.1:8081          # admin API, /metrics; loopback unless a token is set
token_file: admin.token
sticky: header:X-User-Id
salt: ctr-v3
variants:
  baseline:  {upstreams: [127.0.0.1:9001, 127.0.0.1:9003], weight: 90}
  treatment: {upstreams: [127.0.0.1:9002], weight: 10}
  shadow:    {upstreams: ['[::1]:9004']}
mirror: {variant: shadow, percent: 100}
health: {path: /health, interval: 1s, fails: 3, passes: 2}
access_log: access.jsonl
limits: {max_header_bytes: 8192, max_body_bytes: 1048576, max_connections: 500, min_body_rate: 0}
timeouts: {connect: 250ms, read: 2m, idle: 90s, header: 5s, first_byte: 1s, body: 20s}
override: {header: X-Tester, enabled: true, require_token: true}
)";

TEST(ParseRouteConfig, FullExample) {
  Result<RouteConfig> config = parse_route_config(kFullConfig, "route.yml");
  ASSERT_TRUE(config) << config.error().message();
  EXPECT_EQ(config->listen, (Address{"127.0.0.1", 8080}));
  EXPECT_EQ(config->admin, (Address{"127.0.0.1", 8081}));
  EXPECT_EQ(config->token_file, "admin.token");
  EXPECT_EQ(config->sticky, (StickyKey{StickySource::kHeader, "X-User-Id"}));
  EXPECT_EQ(config->salt, "ctr-v3");
  ASSERT_EQ(config->variants.size(), 3u);
  EXPECT_EQ(config->variants[0],
            (VariantConfig{"baseline", {{"127.0.0.1", 9001}, {"127.0.0.1", 9003}}, 90}));
  EXPECT_EQ(config->variants[1], (VariantConfig{"treatment", {{"127.0.0.1", 9002}}, 10}));
  EXPECT_EQ(config->variants[2], (VariantConfig{"shadow", {{"::1", 9004}}, 0}));
  EXPECT_EQ(config->mirror, (MirrorConfig{"shadow", 100}));
  EXPECT_EQ(config->health,
            (HealthConfig{"/health", milliseconds(1000), milliseconds(1000), 3, 2}));
  EXPECT_EQ(config->access_log, "access.jsonl");
  EXPECT_EQ(config->limits, (LimitsConfig{8192, 1048576, 500, 0}));
  EXPECT_EQ(config->timeouts,
            (TimeoutsConfig{milliseconds(250), milliseconds(120'000), milliseconds(90'000),
                            milliseconds(5'000), milliseconds(1'000), milliseconds(20'000)}));
  EXPECT_EQ(config->overrides, (OverrideConfig{"X-Tester", true, true}));
  EXPECT_TRUE(validate_route_config(*config));
}

TEST(ParseRouteConfig, MinimalConfigGetsDefaults) {
  Result<RouteConfig> config = parse_route_config(
      "listen: 0.0.0.0:0\nvariants:\n  only: {upstreams: [localhost:5000], weight: 1}\n",
      "route.yml");
  ASSERT_TRUE(config) << config.error().message();
  RouteConfig expected;
  expected.listen = {"0.0.0.0", 0};
  expected.variants = {{"only", {{"localhost", 5000}}, 1}};
  EXPECT_EQ(*config, expected);
  EXPECT_EQ(config->admin, (Address{"127.0.0.1", 8081}));
  EXPECT_EQ(config->timeouts.header, milliseconds(10'000));
  EXPECT_EQ(config->timeouts.first_byte, milliseconds(2'000));
  EXPECT_EQ(config->timeouts.body, milliseconds(10'000));
  EXPECT_EQ(config->limits.min_body_rate, 1024u);
  EXPECT_EQ(config->limits.max_body_bytes, 10u * 1024 * 1024);
  EXPECT_EQ(config->overrides.header, "X-Graft-Variant");
  EXPECT_FALSE(config->mirror);
}

TEST(ParseRouteConfig, VariantOrderIsDocumentOrder) {
  Result<RouteConfig> config = parse_route_config(
      "listen: 127.0.0.1:1\nvariants:\n  zeta: {upstreams: [h:1], weight: 1}\n"
      "  alpha: {upstreams: [h:2], weight: 1}\n  mid: {upstreams: [h:3]}\n",
      "route.yml");
  ASSERT_TRUE(config) << config.error().message();
  EXPECT_EQ(config->variants[0].name, "zeta");
  EXPECT_EQ(config->variants[1].name, "alpha");
  EXPECT_EQ(config->variants[2].name, "mid");
}

// Every bad file and the first line of its message, verbatim.
struct BadFile {
  std::string text;
  std::string message;
};

constexpr const char* kVariants =
    "variants:\n  baseline: {upstreams: [127.0.0.1:9001], weight: 90}\n"
    "  treatment: {upstreams: [127.0.0.1:9002], weight: 10}\n";

TEST(ParseRouteConfig, BadFilesGiveExactMessages) {
  const std::string listen = "listen: 127.0.0.1:8080\n";
  const std::string ok = listen + kVariants;
  const BadFile cases[] = {
      {"", "route.yml: the route config is empty: expected a map with 'listen' and 'variants'"},
      {"- a\n- b\n", "route.yml:1: the route config must be a map, got a list"},
      {"listen: [a\n", "route.yml:2: invalid YAML: end of sequence flow not found"},
      {kVariants, "route.yml:1: missing key 'listen'"},
      {listen, "route.yml:1: missing key 'variants'"},
      {ok + "varaints: {}\n", "route.yml:5: unknown key 'varaints', did you mean 'variants'?"},
      {ok + "zzz: 1\n",
       "route.yml:5: unknown key 'zzz': expected one of listen, admin, token_file, sticky, "
       "salt, variants, mirror, health, access_log, limits, timeouts, override, auth, "
       "rate_limit"},
      {ok + "salt: a\nsalt: b\n", "route.yml:6: key 'salt' is given twice"},
      {"listen: 127.0.0.1:8080\nvariants:\n"
       "  baseline: {upstreams: [127.0.0.1:9001], weight: 90}\n"
       "  treatment: {upstreams: [127.0.0.1:9002], weight: -5}\n",
       "route.yml:4: weight of 'treatment' must be a non-negative integer, got -5"},
      {"listen: 127.0.0.1:8080\nvariants:\n  baseline: {upstreams: [h:1], weight: 1.5}\n",
       "route.yml:3: weight of 'baseline' must be a non-negative integer, got 1.5"},
      {"listen: 127.0.0.1:8080\nvariants:\n  baseline: {upstreams: [h:1], weight: 2000000}\n",
       "route.yml:3: weight of 'baseline' must be at most 1000000, got 2000000"},
      {"listen: 127.0.0.1:8080\nvariants:\n  a: {upstreams: [h:1], weight: 0}\n"
       "  b: {upstreams: [h:2], weight: 0}\n",
       "route.yml:3: all weights are 0: give at least one variant a positive weight"},
      {"listen: 127.0.0.1:8080\nvariants:\n  a: {upstreams: [h:1], weight: 1}\n"
       "  a: {upstreams: [h:2], weight: 1}\n",
       "route.yml:4: variant 'a' is defined twice"},
      {"listen: 127.0.0.1:8080\nvariants:\n  a: {upstreams: [h:1], wieght: 1}\n",
       "route.yml:3: unknown key 'wieght' in 'a', did you mean 'weight'?"},
      {"listen: 127.0.0.1:8080\nvariants:\n  a: {weight: 1}\n",
       "route.yml:3: variant 'a' has no 'upstreams'"},
      {"listen: 127.0.0.1:8080\nvariants:\n  a: {upstreams: [], weight: 1}\n",
       "route.yml:3: variant 'a' has no upstreams: list at least one host:port"},
      {"listen: 127.0.0.1:8080\nvariants:\n  a: {upstreams: h:1, weight: 1}\n",
       "route.yml:3: 'upstreams' of 'a' must be a list of host:port"},
      {"listen: 127.0.0.1:8080\nvariants:\n  a: {upstreams: [h:0], weight: 1}\n",
       "route.yml:3: 'h:0' is not a valid address: the port must be a number from 1 to 65535"},
      {"listen: 127.0.0.1:8080\nvariants:\n  a:\n  b: {upstreams: [h:2], weight: 1}\n",
       "route.yml:3: variant 'a' has no value: give it 'upstreams' and a 'weight'"},
      {"listen: 127.0.0.1:8080\nvariants:\n  a: 5\n",
       "route.yml:3: variant 'a' must be a map, got a number"},
      {"listen: 127.0.0.1:8080\nvariants: []\n",
       "route.yml:2: 'variants' must be a map, got a list"},
      {"listen: 127.0.0.1:8080\nvariants: {}\n",
       "route.yml:2: no variants: define at least the baseline under 'variants'"},
      {"listen: 127.0.0.1:8080\nvariants:\n  'a b': {upstreams: [h:1], weight: 1}\n",
       "route.yml:3: 'a b' is not a valid variant name: use 1 to 64 letters, digits, '_', '.' "
       "or '-'"},
      {"listen: 8080\n" + std::string(kVariants),
       "route.yml:1: '8080' is not a valid address: expected host:port"},
      {"listen: [::1]:8080\n" + std::string(kVariants),
       "route.yml:1: invalid YAML: end of map not found"},
      {"listen: {a: 1}\n" + std::string(kVariants),
       "route.yml:1: 'listen' must be host:port, got a map: quote IPv6 addresses, e.g. "
       "'[::1]:8080'"},
      {ok + "admin: 0.0.0.0:8081\n",
       "route.yml:5: admin address '0.0.0.0:8081' is not loopback: set 'token_file' to require "
       "a bearer token, or listen on 127.0.0.1"},
      {ok + "admin: 127.0.0.1:8080\n",
       "route.yml:5: admin and listen are both '127.0.0.1:8080': give the admin API its own port"},
      {ok + "sticky: user\n",
       "route.yml:5: 'user' is not a valid sticky key: expected header:NAME, cookie:NAME, "
       "query:NAME, auth:sub or none"},
      {ok + "mirror: {variant: shadw}\n",
       "route.yml:5: mirror variant 'shadw' is not defined: the variants are 'baseline', "
       "'treatment'"},
      {ok + "mirror: {variant: treatmnt}\n",
       "route.yml:5: mirror variant 'treatmnt' is not defined, did you mean 'treatment'?"},
      {ok + "mirror: {variant: baseline}\n",
       "route.yml:5: mirror variant 'baseline' is the baseline: mirror to a separate variant "
       "(weight 0 is fine)"},
      {ok + "mirror: {variant: treatment, percent: 101}\n",
       "route.yml:5: mirror percent must be from 0 to 100, got 101"},
      {ok + "mirror: {percent: 5}\n", "route.yml:5: 'mirror' has no 'variant'"},
      {ok + "health: {interval: 1}\n",
       "route.yml:5: '1' is not a valid duration: missing unit (us, ms, s, m or h)"},
      {ok + "health: {path: health}\n",
       "route.yml:5: 'health.path' must start with '/', got 'health'"},
      {ok + "health:\nlimits: {}\n", "route.yml:5: 'health' has no value"},
      {ok + "health: {fails: 0}\n", "route.yml:5: 'health.fails' must be at least 1, got 0"},
      {ok + "health: {intervall: 1s}\n",
       "route.yml:5: unknown key 'intervall' in 'health', did you mean 'interval'?"},
      {ok + "limits: {max_header_bytes: 100}\n",
       "route.yml:5: 'limits.max_header_bytes' must be at least 1024, got 100"},
      {ok + "limits: {max_body_bytes: 99999999999999999999999}\n",
       "route.yml:5: 'limits.max_body_bytes' is too large: 99999999999999999999999"},
      {ok + "timeouts: {conect: 1s}\n",
       "route.yml:5: unknown key 'conect' in 'timeouts', did you mean 'connect'?"},
      {ok + "timeouts:\n  read: 0s\n",
       "route.yml:6: '0s' is not a valid duration: must be "
       "greater than zero"},
      {ok + "override: {enabled: maybe}\n",
       "route.yml:5: 'override.enabled' must be true or false, got maybe"},
      {ok + "override: {header: 'X Bad'}\n", "route.yml:5: 'X Bad' is not a valid header name"},
      {ok + "salt: [a]\n", "route.yml:5: 'salt' must be a string, got a list"},
      {ok + "token_file:\n", "route.yml:5: 'token_file' has no value"},
  };
  for (const BadFile& c : cases) {
    Result<RouteConfig> config = parse_route_config(c.text, "route.yml");
    ASSERT_FALSE(config) << c.text;
    EXPECT_EQ(config.error().code(), ErrorCode::kInvalidArgument);
    const std::string& message = config.error().message();
    EXPECT_EQ(message.substr(0, message.find('\n')), c.message) << c.text;
  }
}

TEST(ParseRouteConfig, ErrorShowsTheSourceLineAndACaret) {
  const std::string text = std::string("listen: 127.0.0.1:8080\nvariants:\n") +
                           "  baseline:  {upstreams: [127.0.0.1:9001], weight: 90}\n" +
                           "  treatment: {upstreams: [127.0.0.1:9002], weight: -5}\n";
  Result<RouteConfig> config = parse_route_config(text, "route.yml");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().message(),
            "route.yml:4: weight of 'treatment' must be a non-negative integer, got -5\n"
            "  treatment: {upstreams: [127.0.0.1:9002], weight: -5}\n"
            "                                                   ^");
}

TEST(ParseRouteConfigAt, NestedBlockKeepsDocumentLineNumbers) {
  const std::string document = std::string("name: ctr\nroute:\n  listen: 127.0.0.1:8080\n") +
                               "  variants:\n    baseline: {upstreams: [h:1], weight: x}\n";
  Result<RouteConfig> config = parse_route_config_at(document, "experiment.yml", "route");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().message().substr(0, config.error().message().find('\n')),
            "experiment.yml:5: weight of 'baseline' must be a non-negative integer, got x");

  Result<RouteConfig> good = parse_route_config_at(
      "name: ctr\nroute:\n  listen: 127.0.0.1:8080\n  variants: {b: {upstreams: [h:1], weight: "
      "1}}\n",
      "experiment.yml", "route");
  ASSERT_TRUE(good) << good.error().message();
  EXPECT_EQ(good->variants[0].name, "b");

  Result<RouteConfig> missing = parse_route_config_at("name: ctr\n", "experiment.yml", "route");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message().substr(0, missing.error().message().find('\n')),
            "experiment.yml:1: missing key 'route'");
}

TEST(ValidateRouteConfig, CrossFieldRulesWithoutLocation) {
  RouteConfig config;
  config.listen = {"127.0.0.1", 8080};
  config.variants = {{"baseline", {{"h", 1}}, 1}};
  EXPECT_TRUE(validate_route_config(config));
  config.admin = {"10.0.0.5", 8081};
  Status status = validate_route_config(config);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().message(),
            "admin address '10.0.0.5:8081' is not loopback: set 'token_file' to require a "
            "bearer token, or listen on 127.0.0.1");
  config.token_file = "admin.token";
  EXPECT_TRUE(validate_route_config(config));
  config.mirror = MirrorConfig{"nope", 10};
  EXPECT_EQ(validate_route_config(config).error().message(),
            "mirror variant 'nope' is not defined: the variants are 'baseline'");
}

}  // namespace
}  // namespace graft::route
