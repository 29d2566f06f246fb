#include "experiment/spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace graft::experiment {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr std::string_view kSpec = R"(name: ctr-v3
route:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
  sticky: header:X-User-Id
  salt: ctr-v3
variants:
  baseline:
    env: recsys-base
    command: "python serve.py --port {port}"
    replicas: 2
    health: /health
    vars: {MODEL_DIR: models/v1}
  treatment:
    env: /opt/envs/recsys-v3
    command: python 'serve it.py' --port {port}
rollout:
  steps: [1, 10, 50, 100]
  interval: 30s
  min_requests: 200
analysis:
  alpha: 0.05
  guardrails:
    error_rate: {max_delta: 0.005}
    latency_p99_ms: {max_ratio: 1.2}
  outcome: {name: click, attribution: 60s}
record:
  code: .
  dataset: "s3://recsys/clicks@2024-04-15"
)";

std::string replace(std::string_view text, std::string_view from, std::string_view to) {
  std::string out(text);
  const std::size_t at = out.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  out.replace(at, from.size(), to);
  return out;
}

std::string error_of(const std::string& text) {
  auto spec = parse_experiment_spec(text, "experiment.yml");
  EXPECT_FALSE(spec.has_value());
  return spec ? "" : spec.error().message();
}

TEST(ExperimentSpec, ParsesTheIssueExample) {
  auto spec = parse_experiment_spec(kSpec, "experiment.yml");
  ASSERT_TRUE(spec.has_value()) << spec.error().message();
  EXPECT_EQ(spec->name, "ctr-v3");
  ASSERT_EQ(spec->variants.size(), 2u);
  EXPECT_EQ(spec->variants[0].name, "baseline");
  EXPECT_EQ(spec->variants[0].env, "recsys-base");
  EXPECT_THAT(spec->variants[0].argv, ElementsAre("python", "serve.py", "--port", "{port}"));
  EXPECT_EQ(spec->variants[0].replicas, 2u);
  EXPECT_EQ(spec->variants[0].health, "/health");
  EXPECT_EQ(spec->variants[0].vars.at("MODEL_DIR"), "models/v1");
  EXPECT_THAT(spec->variants[1].argv, ElementsAre("python", "serve it.py", "--port", "{port}"));
  EXPECT_EQ(spec->variants[1].replicas, 1u);
  EXPECT_THAT(spec->rollout.steps, ElementsAre(1u, 10u, 50u, 100u));
  EXPECT_EQ(spec->rollout.interval, 30s);
  EXPECT_EQ(spec->rollout.min_requests, 200u);
  EXPECT_DOUBLE_EQ(spec->analysis.alpha, 0.05);
  EXPECT_DOUBLE_EQ(*spec->analysis.error_rate_max_delta, 0.005);
  EXPECT_DOUBLE_EQ(*spec->analysis.latency_p99_max_ratio, 1.2);
  EXPECT_EQ(spec->analysis.outcome->name, "click");
  EXPECT_EQ(spec->analysis.outcome->attribution, 60s);
  EXPECT_EQ(spec->record.code, ".");
  EXPECT_EQ(spec->record.dataset, "s3://recsys/clicks@2024-04-15");
  // The route block gets the experiment's variants, all traffic on the baseline at first.
  ASSERT_EQ(spec->route.variants.size(), 2u);
  EXPECT_EQ(spec->route.variants[0].name, "baseline");
  EXPECT_EQ(spec->route.variants[0].weight, 100u);
  EXPECT_EQ(spec->route.variants[1].weight, 0u);
  EXPECT_EQ(spec->route.salt, "ctr-v3");
  EXPECT_EQ(spec->route.sticky.to_string(), "header:X-User-Id");
}

TEST(ExperimentSpec, UnknownKeysAreErrorsWithLineAndSuggestion) {
  std::string message = error_of(replace(kSpec, "  interval: 30s", "  intervall: 30s"));
  EXPECT_THAT(message, HasSubstr("experiment.yml:19:"));
  EXPECT_THAT(message, HasSubstr("unknown key 'intervall'"));
  EXPECT_THAT(message, HasSubstr("interval"));
  EXPECT_THAT(error_of(replace(kSpec, "    replicas: 2", "    replica: 2")),
              HasSubstr("did you mean 'replicas'"));
}

TEST(ExperimentSpec, RejectsBadValuesNamingTheKey) {
  EXPECT_THAT(error_of(replace(kSpec, "name: ctr-v3", "name: Ctr V3")),
              HasSubstr("not a valid experiment name"));
  EXPECT_THAT(error_of(replace(kSpec, "[1, 10, 50, 100]", "[1, 10, 5, 100]")),
              HasSubstr("must not decrease"));
  EXPECT_THAT(error_of(replace(kSpec, "[1, 10, 50, 100]", "[0, 100]")),
              HasSubstr("from 1 to 100, got 0"));
  EXPECT_THAT(error_of(replace(kSpec, "[1, 10, 50, 100]", "[1, 101]")),
              HasSubstr("from 1 to 100, got 101"));
  EXPECT_THAT(error_of(replace(kSpec, "alpha: 0.05", "alpha: 2")),
              HasSubstr("'analysis.alpha' must be above 0 and at most 0.5, got 2"));
  EXPECT_THAT(error_of(replace(kSpec, "max_delta: 0.005", "max_delta: lots")),
              HasSubstr("'error_rate.max_delta' must be a number, got 'lots'"));
  EXPECT_THAT(error_of(replace(kSpec, "interval: 30s", "interval: 30")),
              HasSubstr("'rollout.interval'"));
  EXPECT_THAT(error_of(replace(kSpec, "replicas: 2", "replicas: 0")),
              HasSubstr("'replicas' of 'baseline' must be from 1 to 64, got 0"));
  EXPECT_THAT(error_of(replace(kSpec, "health: /health", "health: health")),
              HasSubstr("must be a path starting with '/'"));
  EXPECT_THAT(error_of(replace(kSpec, "MODEL_DIR: models/v1", "1BAD: x")),
              HasSubstr("'1BAD' is not a valid environment variable name"));
  EXPECT_THAT(error_of(replace(kSpec, R"(command: "python serve.py --port {port}")",
                               R"(command: "python 'serve.py")")),
              HasSubstr("unterminated single quote"));
}

TEST(ExperimentSpec, RequiresTwoVariantsWithEnvAndCommand) {
  std::string one = replace(kSpec, R"(  treatment:
    env: /opt/envs/recsys-v3
    command: python 'serve it.py' --port {port}
)",
                            "");
  EXPECT_THAT(error_of(one), HasSubstr("at least two variants"));
  EXPECT_THAT(error_of(replace(kSpec, "    env: recsys-base\n", "")),
              HasSubstr("variant 'baseline' has no 'env'"));
  EXPECT_THAT(error_of(replace(kSpec, "rollout:\n  steps: [1, 10, 50, 100]\n", "rollout:\n")),
              HasSubstr("'rollout'"));
  EXPECT_THAT(error_of(replace(kSpec, "name: ctr-v3\n", "")), HasSubstr("missing key 'name'"));
}

TEST(ExperimentSpec, RouteBlockIsCheckedAsRouteYmlWithoutVariants) {
  EXPECT_THAT(error_of(replace(kSpec, "  salt: ctr-v3\n",
                               "  salt: ctr-v3\n  variants: {a: {upstreams: [127.0.0.1:1]}}\n")),
              HasSubstr("'variants' belong at the top level"));
  EXPECT_THAT(error_of(replace(kSpec, "  listen: 127.0.0.1:0\n", "")),
              HasSubstr("missing key 'listen'"));
  EXPECT_THAT(error_of(replace(kSpec, "sticky: header:X-User-Id", "stiky: header:X-User-Id")),
              HasSubstr("did you mean 'sticky'"));
  // A mirror names one of the experiment's variants.
  EXPECT_THAT(
      error_of(replace(kSpec, "  salt: ctr-v3\n", "  salt: ctr-v3\n  mirror: {variant: shadow}\n")),
      HasSubstr("shadow"));
}

TEST(ExperimentSpec, TreatmentsShareTheTrafficOfAStep) {
  std::string three = replace(kSpec, "rollout:", R"(  second:
    env: other
    command: serve
rollout:)");
  EXPECT_THAT(error_of(three),
              HasSubstr("with 2 treatments each step's weight must be at most 50%"));
  auto fine = parse_experiment_spec(replace(three, "[1, 10, 50, 100]", "[1, 10, 50]"), "e.yml");
  ASSERT_TRUE(fine.has_value()) << fine.error().message();
  EXPECT_EQ(fine->variants.size(), 3u);
}

TEST(SplitCommand, HonoursQuotesAndEscapes) {
  EXPECT_THAT(split_command("a  b\tc").value(), ElementsAre("a", "b", "c"));
  EXPECT_THAT(split_command(R"(sh -c 'echo "hi there"')").value(),
              ElementsAre("sh", "-c", R"(echo "hi there")"));
  EXPECT_THAT(split_command(R"(say "a \"quoted\" word" x\ y)").value(),
              ElementsAre("say", R"(a "quoted" word)", "x y"));
  EXPECT_THAT(split_command(R"(empty '' "")").value(), ElementsAre("empty", "", ""));
  EXPECT_FALSE(split_command("   ").has_value());
  EXPECT_FALSE(split_command("\"open").has_value());
}

}  // namespace
}  // namespace graft::experiment
