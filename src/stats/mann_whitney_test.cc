#include "stats/mann_whitney.h"

#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "stats/distributions.h"

namespace graft::stats {
namespace {

TEST(MannWhitney, SeparatedSamplesByHand) {
  // U_x = 0, U_y = 9, mean 4.5, no ties: sigma^2 = 3 * 3 * 7 / 12.
  const std::vector<double> x = {1, 2, 3};
  const std::vector<double> y = {4, 5, 6};
  const MannWhitneyResult result = mann_whitney_u(x, y);
  EXPECT_EQ(result.u, 0.0);
  EXPECT_NEAR(result.z, (9 - 4.5 - 0.5) / std::sqrt(9.0 * 7 / 12), 1e-15);
  EXPECT_NEAR(result.p_value, 2 * normal_sf(result.z), 1e-15);
  EXPECT_EQ(mann_whitney_u(y, x).p_value, result.p_value);
  EXPECT_EQ(mann_whitney_u(y, x).u, 9.0);
}

TEST(MannWhitney, TiesUseMidranksAndTheTieCorrection) {
  // Pooled 1 1 2 2 2 3: ranks 1.5 1.5 4 4 4 6. x = {1, 2, 2}: R = 1.5 + 4 + 4 = 9.5.
  const std::vector<double> x = {2, 1, 2};
  const std::vector<double> y = {3, 1, 2};
  const MannWhitneyResult result = mann_whitney_u(x, y);
  EXPECT_DOUBLE_EQ(result.u, 9.5 - 6);
  const double tie_term = (8 - 2) + (27 - 3);
  const double variance = 9.0 / 12 * (7 - tie_term / 30);
  // U = max(3.5, 5.5) = 5.5.
  EXPECT_NEAR(result.z, (5.5 - 4.5 - 0.5) / std::sqrt(variance), 1e-15);
}

TEST(MannWhitney, DegenerateInputsHaveNoEvidence) {
  const std::vector<double> empty;
  const std::vector<double> some = {1, 2, 3};
  const std::vector<double> fives(50, 5.0);
  EXPECT_EQ(mann_whitney_u(empty, some).p_value, 1.0);
  EXPECT_EQ(mann_whitney_u(some, empty).p_value, 1.0);
  EXPECT_EQ(mann_whitney_u(fives, fives).p_value, 1.0);
  EXPECT_EQ(mann_whitney_u(some, some).p_value, 1.0);
  EXPECT_EQ(mann_whitney_u(LatencyHistogram{}, LatencyHistogram{}).p_value, 1.0);
}

TEST(MannWhitney, HistogramsEqualSamplesOfTheirBucketValues) {
  std::mt19937_64 random(99);
  std::lognormal_distribution<double> fast(std::log(8000.0), 0.6);
  std::lognormal_distribution<double> slow(std::log(9000.0), 0.6);
  LatencyHistogram hx, hy;
  std::vector<double> x, y;
  for (int i = 0; i < 4000; ++i) {
    const auto a = static_cast<std::uint64_t>(fast(random));
    hx.record(a);
    x.push_back(LatencyHistogram::bucket_value(LatencyHistogram::bucket_index(a)));
  }
  for (int i = 0; i < 3000; ++i) {
    const auto b = static_cast<std::uint64_t>(slow(random));
    hy.record(b);
    y.push_back(LatencyHistogram::bucket_value(LatencyHistogram::bucket_index(b)));
  }
  const MannWhitneyResult from_samples = mann_whitney_u(x, y);
  const MannWhitneyResult from_histograms = mann_whitney_u(hx, hy);
  EXPECT_NEAR(from_histograms.u, from_samples.u, 1e-9 * from_samples.u);
  EXPECT_NEAR(from_histograms.p_value, from_samples.p_value, 1e-9 * from_samples.p_value);
  EXPECT_LT(from_histograms.p_value, 1e-6) << "a 12% shift in 7000 latencies is clear";
}

TEST(MannWhitney, HugeHistogramCounts) {
  LatencyHistogram a, b;
  a.record(1000, 4'000'000'000'000ull);
  a.record(2000, 4'000'000'000'000ull);
  b.record(1000, 4'000'000'000'000ull);
  b.record(2000, 4'000'000'000'000ull);
  const MannWhitneyResult same = mann_whitney_u(a, b);
  EXPECT_NEAR(same.p_value, 1.0, 1e-9);
  b.record(3000, 1'000'000'000'000ull);
  const MannWhitneyResult shifted = mann_whitney_u(a, b);
  EXPECT_TRUE(std::isfinite(shifted.z));
  EXPECT_LT(shifted.p_value, 1e-100);
}

}  // namespace
}  // namespace graft::stats
