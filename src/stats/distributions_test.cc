#include "stats/distributions.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace graft::stats {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(Distributions, KnownQuantiles) {
  EXPECT_NEAR(normal_sf(1.959963984540054), 0.025, 1e-15);
  EXPECT_NEAR(normal_cdf(-1.959963984540054), 0.025, 1e-15);
  EXPECT_NEAR(normal_quantile(0.975), 1.959963984540054, 1e-14);
  EXPECT_NEAR(chi_squared_sf(3.841458820694124, 1), 0.05, 1e-14);
  // With one degree of freedom, P(X > x) = 2 P(Z > sqrt(x)).
  EXPECT_NEAR(chi_squared_sf(4.0, 1), 2 * normal_sf(2.0), 1e-15);
  EXPECT_NEAR(student_t_sf(2.228138851986273, 10), 0.025, 1e-14);
  EXPECT_NEAR(student_t_sf(0.0, 3), 0.5, 1e-15);
}

TEST(Distributions, TailsKeepRelativePrecision) {
  EXPECT_GT(normal_sf(30), 0.0);
  EXPECT_NEAR(normal_sf(10) / 7.619853024160527e-24, 1.0, 1e-12);
  EXPECT_GT(chi_squared_sf(1000, 2), 0.0);
  EXPECT_NEAR(chi_squared_sf(1000, 2) / std::exp(-500.0), 1.0, 1e-12);  // df 2: exp(-x/2)
}

TEST(Distributions, LimitsAndDomainErrors) {
  EXPECT_EQ(normal_sf(kInf), 0.0);
  EXPECT_EQ(normal_sf(-kInf), 1.0);
  EXPECT_EQ(normal_cdf(kInf), 1.0);
  EXPECT_EQ(chi_squared_sf(0, 3), 1.0);
  EXPECT_EQ(chi_squared_sf(kInf, 3), 0.0);
  EXPECT_EQ(student_t_sf(kInf, 3), 0.0);
  EXPECT_EQ(student_t_sf(1.5, kInf), normal_sf(1.5));
  EXPECT_TRUE(std::isnan(normal_quantile(0)));
  EXPECT_TRUE(std::isnan(normal_quantile(1)));
  EXPECT_TRUE(std::isnan(chi_squared_sf(1, 0)));
  EXPECT_TRUE(std::isnan(student_t_sf(1, -1)));
  EXPECT_TRUE(std::isnan(normal_sf(std::nan(""))));
}

}  // namespace
}  // namespace graft::stats
