#include "stats/proportions.h"

#include <cmath>

#include <gtest/gtest.h>

#include "stats/distributions.h"

namespace graft::stats {
namespace {

TEST(Proportion, Rate) {
  EXPECT_EQ((Proportion{3, 12}).rate(), 0.25);
  EXPECT_EQ((Proportion{0, 0}).rate(), 0.0);
  EXPECT_EQ((Proportion{9, 4}).rate(), 1.0) << "successes are capped at trials";
}

TEST(WilsonInterval, ClosedFormAtTheEdges) {
  const double z = normal_quantile(0.975);
  const double z2 = z * z;
  // 0 of n: [0, z^2 / (n + z^2)].
  const Interval none = wilson_interval({0, 10});
  EXPECT_NEAR(none.low, 0.0, 1e-15);
  EXPECT_NEAR(none.high, z2 / (10 + z2), 1e-15);
  // n of n mirrors it.
  const Interval all = wilson_interval({10, 10});
  EXPECT_NEAR(all.low, 10 / (10 + z2), 1e-15);
  EXPECT_NEAR(all.high, 1.0, 1e-15);
  EXPECT_EQ(wilson_interval({0, 0}), (Interval{0, 1}));
}

TEST(WilsonInterval, ContainsTheRateAndNarrowsWithTrials) {
  double previous_width = 1;
  for (std::uint64_t n : {10ull, 100ull, 10'000ull, 1'000'000ull, 1'000'000'000'000ull}) {
    const Interval interval = wilson_interval({n / 5, n});
    EXPECT_LT(interval.low, 0.2);
    EXPECT_GT(interval.high, 0.2);
    EXPECT_LT(interval.high - interval.low, previous_width);
    previous_width = interval.high - interval.low;
  }
  EXPECT_GT(wilson_interval({5, 50}, 0.01).high, wilson_interval({5, 50}, 0.05).high);
}

TEST(CompareProportions, PooledZTestByHand) {
  // 20/100 against 10/100: pooled 0.15, se = sqrt(0.15 * 0.85 * 0.02).
  const ProportionComparison result = compare_proportions({20, 100}, {10, 100});
  EXPECT_NEAR(result.delta, 0.1, 1e-15);
  EXPECT_NEAR(result.z, 0.1 / std::sqrt(0.15 * 0.85 * 0.02), 1e-12);
  EXPECT_NEAR(result.p_value, 2 * normal_sf(result.z), 1e-15);
  EXPECT_LT(result.ci.low, 0.1);
  EXPECT_GT(result.ci.high, 0.1);
  const ProportionComparison swapped = compare_proportions({10, 100}, {20, 100});
  EXPECT_NEAR(swapped.ci.low, -result.ci.high, 1e-15);
  EXPECT_NEAR(swapped.ci.high, -result.ci.low, 1e-15);
  EXPECT_EQ(swapped.p_value, result.p_value);
}

TEST(CompareProportions, NewcombeCombinesTheWilsonIntervals) {
  const Proportion t{30, 200};
  const Proportion b{12, 180};
  const Interval wt = wilson_interval(t);
  const Interval wb = wilson_interval(b);
  const ProportionComparison result = compare_proportions(t, b);
  const double delta = 30.0 / 200 - 12.0 / 180;
  EXPECT_NEAR(result.ci.low,
              delta - std::sqrt(std::pow(0.15 - wt.low, 2) + std::pow(wb.high - 12.0 / 180, 2)),
              1e-15);
  EXPECT_NEAR(result.ci.high,
              delta + std::sqrt(std::pow(wt.high - 0.15, 2) + std::pow(12.0 / 180 - wb.low, 2)),
              1e-15);
}

TEST(CompareProportions, DegenerateInputsHaveNoEvidence) {
  const std::pair<Proportion, Proportion> cases[] = {
      {{0, 0}, {0, 0}},        // nothing yet
      {{0, 500}, {0, 800}},    // no errors anywhere
      {{500, 500}, {80, 80}},  // every request failed
      {{3, 40}, {0, 0}},       // one variant empty
      {{7, 70}, {7, 70}},      // identical
  };
  for (const auto& [t, b] : cases) {
    const ProportionComparison result = compare_proportions(t, b);
    EXPECT_EQ(result.p_value, 1.0) << t.successes << "/" << t.trials;
    EXPECT_TRUE(std::isfinite(result.ci.low) && std::isfinite(result.ci.high));
    EXPECT_LE(result.ci.low, result.delta);
    EXPECT_GE(result.ci.high, result.delta);
  }
}

TEST(CompareProportions, HugeCountsDoNotOverflow) {
  const std::uint64_t trillion = 1'000'000'000'000;
  const ProportionComparison same =
      compare_proportions({trillion, 100 * trillion}, {trillion, 100 * trillion});
  EXPECT_EQ(same.delta, 0.0);
  EXPECT_EQ(same.p_value, 1.0);
  EXPECT_LT(same.ci.high - same.ci.low, 1e-6);
  const ProportionComparison apart =
      compare_proportions({trillion + trillion / 1000, 100 * trillion}, {trillion, 100 * trillion});
  EXPECT_NEAR(apart.delta, 1e-5, 1e-12);
  EXPECT_LT(apart.p_value, 1e-100);
  EXPECT_GT(apart.ci.low, 0.0);
}

}  // namespace
}  // namespace graft::stats
