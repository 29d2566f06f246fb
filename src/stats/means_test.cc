#include "stats/means.h"

#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "stats/distributions.h"

namespace graft::stats {
namespace {

Moments moments_of(const std::vector<double>& values) {
  Moments moments;
  for (double v : values) moments.add(v);
  return moments;
}

TEST(Moments, MeanAndSampleVariance) {
  const Moments m = moments_of({2, 4, 4, 4, 5, 5, 7, 9});
  EXPECT_EQ(m.count(), 8u);
  EXPECT_DOUBLE_EQ(m.mean(), 5.0);
  EXPECT_DOUBLE_EQ(m.variance(), 32.0 / 7);
  EXPECT_EQ(Moments{}.mean(), 0.0);
  EXPECT_EQ(moments_of({3}).variance(), 0.0);
}

TEST(Moments, MergingEqualsAddingEverything) {
  std::mt19937_64 random(5);
  std::normal_distribution<double> normal(1e9, 3.0);  // a large offset: no cancellation
  std::vector<double> a, b;
  for (int i = 0; i < 1000; ++i) a.push_back(normal(random));
  for (int i = 0; i < 300; ++i) b.push_back(normal(random));
  Moments merged = moments_of(a);
  merged += moments_of(b);
  std::vector<double> all = a;
  all.insert(all.end(), b.begin(), b.end());
  const Moments direct = moments_of(all);
  EXPECT_EQ(merged.count(), direct.count());
  EXPECT_NEAR(merged.mean(), direct.mean(), 1e-6);
  EXPECT_NEAR(merged.variance(), direct.variance(), 1e-6 * direct.variance());
  EXPECT_NEAR(direct.variance(), 9.0, 1.0);
  Moments empty;
  empty += direct;
  EXPECT_EQ(empty.mean(), direct.mean());
}

TEST(WelchTTest, ByHand) {
  const Moments t = moments_of({3, 4, 5, 6, 7});  // mean 5, variance 2.5
  const Moments b = moments_of({1, 2, 3});        // mean 2, variance 1
  const WelchResult result = welch_t_test(t, b);
  const double v_t = 2.5 / 5, v_b = 1.0 / 3;
  EXPECT_NEAR(result.t, 3 / std::sqrt(v_t + v_b), 1e-14);
  EXPECT_NEAR(result.df, std::pow(v_t + v_b, 2) / (v_t * v_t / 4 + v_b * v_b / 2), 1e-12);
  EXPECT_NEAR(result.p_value, 2 * student_t_sf(result.t, result.df), 1e-15);
  const WelchResult swapped = welch_t_test(b, t);
  EXPECT_EQ(swapped.t, -result.t);
  EXPECT_EQ(swapped.p_value, result.p_value);
}

TEST(WelchTTest, DegenerateCases) {
  EXPECT_EQ(welch_t_test(moments_of({1}), moments_of({1, 2, 3})).p_value, 1.0);
  EXPECT_EQ(welch_t_test(Moments{}, Moments{}).p_value, 1.0);
  EXPECT_EQ(welch_t_test(moments_of({4, 4}), moments_of({4, 4, 4})).p_value, 1.0);
  const WelchResult apart = welch_t_test(moments_of({5, 5}), moments_of({4, 4, 4}));
  EXPECT_EQ(apart.p_value, 0.0);
  EXPECT_TRUE(std::isinf(apart.t) && apart.t > 0);
  const Moments same = moments_of({1, 2, 3, 4});
  EXPECT_EQ(welch_t_test(same, same).p_value, 1.0);
}

TEST(RelativeLift, DeltaMethodByHand) {
  const Moments t = moments_of({3, 4, 5, 6, 7});  // m 5, v 2.5, n 5
  const Moments b = moments_of({1, 2, 3, 6});     // m 3, v 14/3, n 4
  const std::optional<Lift> lift = relative_lift(t, b);
  ASSERT_TRUE(lift);
  EXPECT_NEAR(lift->lift, 5.0 / 3 - 1, 1e-15);
  const double se = std::sqrt(2.5 / 5 / 9 + 25 * (14.0 / 3 / 4) / 81);
  EXPECT_NEAR(lift->ci.high - lift->lift, normal_quantile(0.975) * se, 1e-14);
  EXPECT_NEAR(lift->lift - lift->ci.low, normal_quantile(0.975) * se, 1e-14);
  EXPECT_FALSE(relative_lift(t, moments_of({1, -1})));  // baseline mean 0
  EXPECT_FALSE(relative_lift(t, moments_of({1})));
}

TEST(UsersForPower, MatchesTheNormalPowerEquation) {
  const Moments t = moments_of({1, 2, 3, 4, 5, 6});
  const Moments b = moments_of({0.5, 1.5, 2.5, 3.5, 4.5, 5.5});
  const std::optional<double> n = users_for_power(t, b);
  ASSERT_TRUE(n);
  const double d = 0.5 / std::sqrt(t.variance());
  const double shift = d * std::sqrt(*n / 2);
  const double c = normal_quantile(0.975);
  EXPECT_NEAR(normal_sf(c - shift) + normal_cdf(-c - shift), 0.8, 1e-12);
  // The textbook approximation 2 (z_a/2 + z_b)^2 / d^2 ignores the far tail: just below.
  const double approximate = 2 * std::pow(c + normal_quantile(0.8), 2) / (d * d);
  EXPECT_NEAR(*n, approximate, 1e-3 * approximate);
  EXPECT_GT(*users_for_power(t, b, 0.05, 0.9), *n);
  EXPECT_GT(*users_for_power(t, b, 0.01, 0.8), *n);
}

TEST(UsersForPower, NoEffectNeverReachesPower) {
  const Moments t = moments_of({1, 2, 3});
  EXPECT_FALSE(users_for_power(t, t));
  EXPECT_FALSE(users_for_power(t, moments_of({2})));
  EXPECT_EQ(users_for_power(moments_of({2, 2}), moments_of({1, 1})), 0.0);
}

}  // namespace
}  // namespace graft::stats
