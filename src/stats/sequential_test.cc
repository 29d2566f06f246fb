#include "stats/sequential.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "stats/distributions.h"

namespace graft::stats {
namespace {

constexpr int kExperiments = 2000;
constexpr int kLooks = 20;
constexpr double kAlpha = 0.05;

TEST(SequentialMultiplier, WiderThanTheFixedIntervalAndTightestNearTheTuning) {
  const SequentialOptions options{.alpha = kAlpha, .tuning_samples = 5000};
  const double z = normal_quantile(1 - kAlpha / 2);
  double previous_width = 1e300;
  for (double samples = 10; samples < 1e9; samples *= 1.5) {
    const double multiplier = sequential_multiplier(samples, options);
    ASSERT_GT(multiplier, z) << samples;
    // The width, se * multiplier with se ~ 1/sqrt(N), keeps shrinking as data comes in.
    ASSERT_LT(multiplier / std::sqrt(samples), previous_width) << samples;
    previous_width = multiplier / std::sqrt(samples);
  }
  // What the sequence costs over the fixed-horizon z is least near N*.
  auto cost = [&](double samples) { return sequential_multiplier(samples, options) / z; };
  EXPECT_LT(cost(5000), cost(500));
  EXPECT_LT(cost(5000), cost(500'000));
  EXPECT_LT(cost(5000), 1.6);
}

TEST(SequentialProportionDifference, DegenerateCounts) {
  EXPECT_EQ(sequential_proportion_difference({0, 0}, {3, 10}), (Interval{-1, 1}));
  // A single failed request must not look like certainty.
  const Interval one = sequential_proportion_difference({1, 1}, {0, 50});
  EXPECT_EQ(evidence_against(one, 0.005), Evidence::kInconclusive);
  const Interval none = sequential_proportion_difference({0, 1000}, {0, 1000});
  EXPECT_LT(none.low, 0.0);
  EXPECT_GT(none.high, 0.0);
  const std::uint64_t huge = 1'000'000'000'000'000;
  const Interval big = sequential_proportion_difference({huge / 100, huge}, {huge / 100, huge});
  EXPECT_TRUE(std::isfinite(big.low));
  EXPECT_LT(big.high - big.low, 1e-6);
}

TEST(SequentialMeanDifference, DegenerateCounts) {
  Moments one;
  one.add(4);
  Moments many;
  for (double v : {1.0, 2.0, 3.0}) many.add(v);
  const Interval open = sequential_mean_difference(one, many);
  EXPECT_TRUE(std::isinf(open.low) && std::isinf(open.high));
  const Interval same = sequential_mean_difference(many, many);
  EXPECT_LT(same.low, 0.0);
  EXPECT_GT(same.high, 0.0);
}

TEST(EvidenceAgainst, Table) {
  EXPECT_EQ(evidence_against({0.01, 0.03}, 0.005), Evidence::kAboveLimit);
  EXPECT_EQ(evidence_against({-0.01, 0.005}, 0.005), Evidence::kWithinLimit);
  EXPECT_EQ(evidence_against({0.0, 0.01}, 0.005), Evidence::kInconclusive);
}

// Each window adds `per_window` requests split by the treatment's share of that window;
// returns the first look (1-based) at which `breached` says so, 0 if none.
struct ErrorRateScenario {
  double baseline_rate = 0.02;
  double treatment_rate = 0.02;
  std::vector<double> treatment_share = {0.5};  // per look; the last repeats
  std::uint64_t per_window = 1000;
};

template <typename Breached>
int first_breach(const ErrorRateScenario& scenario, std::mt19937_64& random, Breached breached) {
  Proportion treatment, baseline;
  for (int look = 1; look <= kLooks; ++look) {
    const double share =
        scenario
            .treatment_share[std::min<std::size_t>(look - 1, scenario.treatment_share.size() - 1)];
    const auto to_treatment =
        std::binomial_distribution<std::uint64_t>(scenario.per_window, share)(random);
    const std::uint64_t to_baseline = scenario.per_window - to_treatment;
    treatment.trials += to_treatment;
    baseline.trials += to_baseline;
    treatment.successes +=
        std::binomial_distribution<std::uint64_t>(to_treatment, scenario.treatment_rate)(random);
    baseline.successes +=
        std::binomial_distribution<std::uint64_t>(to_baseline, scenario.baseline_rate)(random);
    if (breached(treatment, baseline)) return look;
  }
  return 0;
}

double breach_rate(const ErrorRateScenario& scenario, double max_delta, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  int rollbacks = 0;
  for (int i = 0; i < kExperiments; ++i) {
    rollbacks += first_breach(scenario, random, [&](Proportion t, Proportion b) {
                   return evidence_against(sequential_proportion_difference(t, b), max_delta) ==
                          Evidence::kAboveLimit;
                 }) > 0;
  }
  return static_cast<double>(rollbacks) / kExperiments;
}

TEST(SequentialAaSimulation, ErrorRateFalseRollbacksStayBelowAlpha) {
  const ErrorRateScenario even{.baseline_rate = 0.02, .treatment_rate = 0.02};
  const ErrorRateScenario ramp{.baseline_rate = 0.01,
                               .treatment_rate = 0.01,
                               .treatment_share = {0.01, 0.1, 0.5},
                               .per_window = 2000};
  const ErrorRateScenario frequent{.baseline_rate = 0.3, .treatment_rate = 0.3, .per_window = 200};
  for (const ErrorRateScenario& scenario : {even, ramp, frequent}) {
    // The strictest guardrail (any increase at all) and the (half a point).
    EXPECT_LE(breach_rate(scenario, 0.0, 1), kAlpha) << scenario.baseline_rate;
    EXPECT_LE(breach_rate(scenario, 0.005, 2), kAlpha) << scenario.baseline_rate;
  }
}

TEST(SequentialAaSimulation, PeekingAtAFixedHorizonTestWouldRaiseFalseAlarms) {
  // The same looks with the one-sided fixed 95% Newcombe bound: the reason for the above.
  std::mt19937_64 random(3);
  const ErrorRateScenario even{.baseline_rate = 0.02, .treatment_rate = 0.02};
  int alarms = 0;
  for (int i = 0; i < kExperiments; ++i) {
    alarms += first_breach(even, random, [](Proportion t, Proportion b) {
                return compare_proportions(t, b).ci.low > 0;
              }) > 0;
  }
  EXPECT_GT(static_cast<double>(alarms) / kExperiments, kAlpha);
}

TEST(SequentialAaSimulation, OutcomeMeansMissTheTruthAtMostAlpha) {
  // Per-user values: most users never click, clickers bring an exponential value.
  std::mt19937_64 random(4);
  std::bernoulli_distribution clicked(0.2);
  std::exponential_distribution<double> value(0.5);
  int misses = 0;
  for (int i = 0; i < kExperiments; ++i) {
    Moments treatment, baseline;
    bool missed = false;
    for (int look = 0; look < kLooks && !missed; ++look) {
      for (int user = 0; user < 100; ++user) {
        treatment.add(clicked(random) ? value(random) : 0.0);
        baseline.add(clicked(random) ? value(random) : 0.0);
      }
      const Interval interval = sequential_mean_difference(treatment, baseline);
      missed = interval.low > 0 || interval.high < 0;
    }
    misses += missed;
  }
  EXPECT_LE(static_cast<double>(misses) / kExperiments, kAlpha);
}

TEST(SequentialPowerSimulation, FivePointsMoreErrorsAreCaughtWithinAFewLooks) {
  // Baseline 1% errors, treatment 6%, 500 requests per variant per window, guardrail 0.5
  // point: rolled back by the third look (3,000 requests) nearly always.
  const ErrorRateScenario breach{.baseline_rate = 0.01, .treatment_rate = 0.06};
  std::mt19937_64 random(6);
  std::vector<int> looks;
  for (int i = 0; i < kExperiments; ++i) {
    looks.push_back(first_breach(breach, random, [](Proportion t, Proportion b) {
      return evidence_against(sequential_proportion_difference(t, b), 0.005) ==
             Evidence::kAboveLimit;
    }));
  }
  const auto within =
      std::count_if(looks.begin(), looks.end(), [](int look) { return look >= 1 && look <= 3; });
  EXPECT_GE(static_cast<double>(within) / kExperiments, 0.99);
  std::nth_element(looks.begin(), looks.begin() + kExperiments / 2, looks.end());
  EXPECT_LE(looks[kExperiments / 2], 2);
}

}  // namespace
}  // namespace graft::stats

namespace graft::stats {
namespace {

// Adds `count` lognormal latencies (median `median_us`) to `histogram`.
void add_latencies(LatencyHistogram& histogram, std::mt19937_64& random, int count,
                   double median_us) {
  std::lognormal_distribution<double> latency(std::log(median_us), 0.5);
  for (int i = 0; i < count; ++i) histogram.record(static_cast<std::uint64_t>(latency(random)));
}

TEST(SequentialPercentileRatio, NoEvidenceUntilTheTailHasData) {
  std::mt19937_64 random(8);
  LatencyHistogram t, b;
  add_latencies(t, random, 300, 60'000);
  add_latencies(b, random, 300, 20'000);
  const Interval few = sequential_percentile_ratio(t, b, 99);
  EXPECT_EQ(few.high, std::numeric_limits<double>::infinity());
  EXPECT_EQ(few.low, 0.0) << "300 values cannot bound a p99 from above";
  EXPECT_EQ(sequential_percentile_ratio(t, LatencyHistogram{}, 50).low, 0.0);
  EXPECT_EQ(sequential_percentile_ratio(t, b, 100).low, 0.0);
  add_latencies(t, random, 5000, 60'000);
  add_latencies(b, random, 5000, 20'000);
  const Interval many = sequential_percentile_ratio(t, b, 99);
  EXPECT_GT(many.low, 2.0);
  EXPECT_LT(many.high, 4.5);
  EXPECT_LT(many.low, 3.0);
  EXPECT_GT(many.high, 3.0);
}

TEST(SequentialAaSimulation, P99FalseRollbacksStayBelowAlpha) {
  std::mt19937_64 random(9);
  int rollbacks = 0;
  int misses = 0;
  for (int i = 0; i < kExperiments / 2; ++i) {
    LatencyHistogram t, b;
    bool rolled_back = false;
    bool missed = false;
    for (int look = 0; look < kLooks; ++look) {
      add_latencies(t, random, 250, 20'000);
      add_latencies(b, random, 250, 20'000);
      const Interval ratio = sequential_percentile_ratio(t, b, 99);
      rolled_back |= evidence_against(ratio, 1.0) == Evidence::kAboveLimit;
      missed |= ratio.low > 1.0 || ratio.high < 1.0;
    }
    rollbacks += rolled_back;
    misses += missed;
  }
  EXPECT_LE(rollbacks, kAlpha * kExperiments / 2);
  EXPECT_LE(misses, kAlpha * kExperiments / 2);
}

TEST(SequentialPowerSimulation, AThreeTimesSlowerTreatmentBreachesTheP99GuardrailSoon) {
  std::mt19937_64 random(10);
  int caught_by_fourth_look = 0;
  constexpr int kRuns = 200;
  for (int i = 0; i < kRuns; ++i) {
    LatencyHistogram t, b;
    for (int look = 1; look <= 4; ++look) {
      add_latencies(t, random, 500, 60'000);
      add_latencies(b, random, 500, 20'000);
      if (evidence_against(sequential_percentile_ratio(t, b, 99), 1.2) == Evidence::kAboveLimit) {
        ++caught_by_fourth_look;
        break;
      }
    }
  }
  EXPECT_GE(caught_by_fourth_look, kRuns * 99 / 100);
}

}  // namespace
}  // namespace graft::stats
