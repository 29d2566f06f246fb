#include "stats/srm.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "stats/distributions.h"

namespace graft::stats {
namespace {

SrmResult srm(std::vector<SrmArm> arms) {
  Result<SrmResult> result = sample_ratio_mismatch(arms);
  EXPECT_TRUE(result) << result.error().message();
  return result.value_or(SrmResult{});
}

TEST(SampleRatioMismatch, ExactSplitHasNoEvidence) {
  const SrmResult result = srm({{500, 90}, {500, 90}});
  EXPECT_EQ(result.chi2, 0.0);
  EXPECT_EQ(result.p_value, 1.0);
  EXPECT_FALSE(result.mismatch);
}

TEST(SampleRatioMismatch, PearsonStatisticAgainstTheWeights) {
  // Expected 50/50 of 100: (60-50)^2/50 + (40-50)^2/50 = 4, df 1: p = 2 P(Z > 2).
  SrmResult result = srm({{60, 1}, {40, 1}});
  EXPECT_DOUBLE_EQ(result.chi2, 4.0);
  EXPECT_NEAR(result.p_value, 2 * normal_sf(2.0), 1e-15);
  EXPECT_FALSE(result.mismatch);
  // Weights on another scale, three variants: expected 900, 90, 10 of 1000.
  result = srm({{870, 90}, {100, 9}, {30, 1}});
  EXPECT_NEAR(result.chi2, 900.0 / 900 + 100.0 / 90 + 400.0 / 10, 1e-12);
  EXPECT_NEAR(result.p_value / std::exp(-result.chi2 / 2), 1.0, 1e-12);  // df 2
  EXPECT_TRUE(result.mismatch);
}

TEST(SampleRatioMismatch, UsersInAVariantOfWeightZeroAreAMismatch) {
  const SrmResult result = srm({{1000, 100}, {3, 0}});
  EXPECT_TRUE(std::isinf(result.chi2));
  EXPECT_EQ(result.p_value, 0.0);
  EXPECT_TRUE(result.mismatch);
  EXPECT_FALSE(srm({{1000, 100}, {0, 0}}).mismatch);
}

TEST(SampleRatioMismatch, NoUsersOrOneWeightedVariantIsNoEvidence) {
  EXPECT_EQ(srm({{0, 1}, {0, 1}}).p_value, 1.0);
  EXPECT_EQ(srm({{700, 1}}).p_value, 1.0);
  EXPECT_EQ(srm({}).p_value, 1.0);
}

TEST(SampleRatioMismatch, HugeCounts) {
  const std::uint64_t billion = 1'000'000'000;
  const SrmResult even = srm({{500 * billion, 1}, {500 * billion, 1}});
  EXPECT_EQ(even.chi2, 0.0);
  const SrmResult off = srm({{500 * billion + 2'000'000, 1}, {500 * billion - 2'000'000, 1}});
  EXPECT_NEAR(off.chi2, 16.0, 1e-6);
  EXPECT_TRUE(off.mismatch);
}

TEST(SampleRatioMismatch, InvalidWeights) {
  const std::vector<std::pair<std::vector<SrmArm>, std::string>> cases = {
      {{{1, -1}, {1, 1}}, "weight -1 is not valid: weights must be finite and not negative"},
      {{{1, NAN}, {1, 1}}, "weight nan is not valid: weights must be finite and not negative"},
      {{{1, 0}, {1, 0}}, "every weight is 0: at least one variant must have a positive weight"},
  };
  for (const auto& [arms, message] : cases) {
    Result<SrmResult> result = sample_ratio_mismatch(arms);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(result.error().message(), message);
  }
}

}  // namespace
}  // namespace graft::stats
