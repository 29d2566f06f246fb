#include "stats/report.h"

#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "stats/mann_whitney.h"

namespace graft::stats {
namespace {

using Json = nlohmann::ordered_json;

std::vector<std::string> keys_of(const Json& object) {
  std::vector<std::string> keys;
  for (const auto& item : object.items()) keys.push_back(item.key());
  return keys;
}

VariantInput variant(std::string name, double weight, std::uint64_t seed, double slow = 1,
                     double value = 1) {
  std::mt19937_64 random(seed);
  std::lognormal_distribution<double> latency(std::log(20'000.0 * slow), 0.5);
  std::exponential_distribution<double> outcome(1 / value);
  VariantInput input{
      .name = std::move(name), .requests = 1000, .users = 400, .errors = 10, .weight = weight};
  for (std::uint64_t i = 0; i < input.requests; ++i) {
    input.latency.record(static_cast<std::uint64_t>(latency(random)));
  }
  for (std::uint64_t i = 0; i < input.users; ++i) input.outcome.add(outcome(random));
  return input;
}

TEST(Report, JsonHasTheShapeOfIssue11) {
  const std::vector<VariantInput> inputs = {variant("baseline", 50, 1),
                                            variant("treatment", 50, 2, 1.3, 1.2)};
  Result<Report> report = build_report(inputs);
  ASSERT_TRUE(report) << report.error().message();
  const Json json = to_json(*report);
  EXPECT_EQ(keys_of(json), (std::vector<std::string>{"variants", "srm", "comparisons"}));
  EXPECT_EQ(keys_of(json["variants"]), (std::vector<std::string>{"baseline", "treatment"}));
  EXPECT_EQ(keys_of(json["variants"]["baseline"]),
            (std::vector<std::string>{"requests", "users", "errors", "error_rate", "latency_ms",
                                      "outcome"}));
  EXPECT_EQ(keys_of(json["variants"]["baseline"]["latency_ms"]),
            (std::vector<std::string>{"p50", "p95", "p99"}));
  EXPECT_EQ(keys_of(json["variants"]["baseline"]["outcome"]),
            (std::vector<std::string>{"users", "mean"}));
  EXPECT_EQ(keys_of(json["srm"]), (std::vector<std::string>{"chi2", "p_value", "mismatch"}));
  EXPECT_EQ(keys_of(json["comparisons"]), (std::vector<std::string>{"treatment"}));
  const Json& comparison = json["comparisons"]["treatment"];
  EXPECT_EQ(keys_of(comparison), (std::vector<std::string>{"error_rate", "latency", "outcome"}));
  EXPECT_EQ(keys_of(comparison["error_rate"]),
            (std::vector<std::string>{"delta", "ci95", "p_value"}));
  EXPECT_EQ(keys_of(comparison["latency"]),
            (std::vector<std::string>{"p99_ratio", "mann_whitney_p"}));
  EXPECT_EQ(keys_of(comparison["outcome"]),
            (std::vector<std::string>{"delta", "lift", "lift_ci95", "p_value", "users_needed"}));
  EXPECT_EQ(json["variants"]["treatment"]["requests"], 1000);
  EXPECT_EQ(json["variants"]["treatment"]["error_rate"], 0.01);
  EXPECT_EQ(comparison["error_rate"]["ci95"].size(), 2u);
  EXPECT_TRUE(comparison["outcome"]["users_needed"].is_number_unsigned());
  EXPECT_FALSE(json["srm"]["mismatch"].get<bool>());
}

TEST(Report, FiguresComeFromTheStatisticsFunctions) {
  std::vector<VariantInput> inputs = {variant("b", 90, 1), variant("t", 10, 2, 1.3, 1.2)};
  inputs[1].errors = 25;
  const Report report = build_report(inputs).value();
  const Comparison& c = report.comparisons.at(0);
  const ProportionComparison errors = compare_proportions({25, 1000}, {10, 1000});
  EXPECT_EQ(c.error_rate.delta, errors.delta);
  EXPECT_EQ(c.error_rate.ci, errors.ci);
  EXPECT_EQ(c.error_rate.p_value, errors.p_value);
  EXPECT_EQ(c.latency.mann_whitney_p, mann_whitney_u(inputs[1].latency, inputs[0].latency).p_value);
  EXPECT_EQ(*c.latency.p99_ratio,
            *inputs[1].latency.percentile(99) / *inputs[0].latency.percentile(99));
  EXPECT_EQ(*report.variants[0].latency.p50_ms, *inputs[0].latency.percentile(50) / 1000);
  EXPECT_EQ(c.outcome.p_value, welch_t_test(inputs[1].outcome, inputs[0].outcome).p_value);
  EXPECT_EQ(c.outcome.lift->lift, relative_lift(inputs[1].outcome, inputs[0].outcome)->lift);
  const double needed = *users_for_power(inputs[1].outcome, inputs[0].outcome);
  EXPECT_EQ(*c.outcome.users_needed,
            static_cast<std::uint64_t>(std::max(0.0, std::ceil(needed) - 400)));
  // 400 users each against weights 90/10: a mismatch.
  EXPECT_TRUE(report.srm.mismatch);
}

TEST(Report, ExactSamplesGiveNearestRankPercentiles) {
  VariantInput b{.name = "b", .weight = 1, .latency_samples_us = std::vector<double>{}};
  VariantInput t{.name = "t", .weight = 1, .latency_samples_us = std::vector<double>{}};
  for (int i = 1; i <= 100; ++i) b.latency_samples_us->push_back(i * 1000.0);
  for (int i = 1; i <= 100; ++i) t.latency_samples_us->push_back(i * 1500.0);
  const Report report = build_report(std::vector<VariantInput>{b, t}).value();
  EXPECT_EQ(report.variants[0].latency.p50_ms, 50.0);
  EXPECT_EQ(report.variants[0].latency.p95_ms, 95.0);
  EXPECT_EQ(report.variants[1].latency.p99_ms, 148.5);
  EXPECT_EQ(report.comparisons[0].latency.p99_ratio, 1.5);
  EXPECT_EQ(report.comparisons[0].latency.mann_whitney_p,
            mann_whitney_u(*t.latency_samples_us, *b.latency_samples_us).p_value);
}

TEST(Report, EmptyExperimentHasNoEvidenceAndNullsWhereUndefined) {
  const std::vector<VariantInput> inputs = {{.name = "baseline", .weight = 90},
                                            {.name = "treatment", .weight = 10}};
  const Json json = to_json(build_report(inputs).value());
  const Json expected = Json::parse(R"({
    "variants": {
      "baseline": {"requests": 0, "users": 0, "errors": 0, "error_rate": 0.0,
                   "latency_ms": {"p50": null, "p95": null, "p99": null},
                   "outcome": {"users": 0, "mean": 0.0}},
      "treatment": {"requests": 0, "users": 0, "errors": 0, "error_rate": 0.0,
                    "latency_ms": {"p50": null, "p95": null, "p99": null},
                    "outcome": {"users": 0, "mean": 0.0}}},
    "srm": {"chi2": 0.0, "p_value": 1.0, "mismatch": false},
    "comparisons": {"treatment": {
      "error_rate": {"delta": 0.0, "ci95": [-1.0, 1.0], "p_value": 1.0},
      "latency": {"p99_ratio": null, "mann_whitney_p": 1.0},
      "outcome": {"delta": 0.0, "lift": null, "lift_ci95": null, "p_value": 1.0,
                  "users_needed": null}}}})");
  EXPECT_EQ(json, expected) << json.dump(2);
}

TEST(Report, InfiniteChiSquareIsNull) {
  const std::vector<VariantInput> inputs = {{.name = "b", .users = 10, .weight = 100},
                                            {.name = "t", .users = 3, .weight = 0}};
  const Json json = to_json(build_report(inputs).value());
  EXPECT_TRUE(json["srm"]["chi2"].is_null());
  EXPECT_EQ(json["srm"]["p_value"], 0.0);
  EXPECT_EQ(json["srm"]["mismatch"], true);
}

TEST(Report, InvalidInputs) {
  const std::vector<std::pair<std::vector<VariantInput>, std::string>> cases = {
      {{}, "no variants to report on"},
      {{{.name = "", .weight = 1}}, "a variant has an empty name"},
      {{{.name = "a", .weight = 1}, {.name = "a", .weight = 1}}, "variant 'a' is listed twice"},
      {{{.name = "a", .requests = 10, .errors = 12, .weight = 1}},
       "variant 'a' has 12 errors but only 10 requests"},
      {{{.name = "a", .weight = -2}},
       "variant 'a' has weight -2: weights must be finite and not negative"},
      {{{.name = "a", .weight = 0}, {.name = "b", .weight = 0}},
       "every weight is 0: at least one variant must have a positive weight"},
      {{{.name = "a", .weight = 1, .latency_samples_us = std::vector<double>{3, NAN}}},
       "variant 'a' has latency nan: latencies must be finite and not negative"},
  };
  for (const auto& [inputs, message] : cases) {
    Result<Report> report = build_report(inputs);
    ASSERT_FALSE(report) << message;
    EXPECT_EQ(report.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(report.error().message(), message);
  }
}

}  // namespace
}  // namespace graft::stats
