#include "stats/distributions.h"

#include <cmath>
#include <limits>

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>

namespace graft::stats {
namespace {

namespace policies = boost::math::policies;
// Report errors as NaN / limits instead of throwing: no exception crosses our API.
using Policy = policies::policy<policies::domain_error<policies::ignore_error>,
                                policies::overflow_error<policies::ignore_error>,
                                policies::underflow_error<policies::ignore_error>,
                                policies::evaluation_error<policies::ignore_error>,
                                policies::pole_error<policies::ignore_error>>;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const boost::math::normal_distribution<double, Policy>& standard_normal() {
  static const boost::math::normal_distribution<double, Policy> normal(0.0, 1.0);
  return normal;
}

}  // namespace

double normal_cdf(double z) {
  if (std::isnan(z)) return kNaN;
  if (std::isinf(z)) return z > 0 ? 1.0 : 0.0;
  return boost::math::cdf(standard_normal(), z);
}

double normal_sf(double z) {
  if (std::isnan(z)) return kNaN;
  if (std::isinf(z)) return z > 0 ? 0.0 : 1.0;
  return boost::math::cdf(boost::math::complement(standard_normal(), z));
}

double normal_quantile(double p) {
  if (!(p > 0.0 && p < 1.0)) return kNaN;
  return boost::math::quantile(standard_normal(), p);
}

double chi_squared_sf(double x, double df) {
  if (std::isnan(x) || !(df > 0.0)) return kNaN;
  if (x <= 0.0) return 1.0;
  if (std::isinf(x)) return 0.0;
  const boost::math::chi_squared_distribution<double, Policy> chi_squared(df);
  return boost::math::cdf(boost::math::complement(chi_squared, x));
}

double student_t_sf(double t, double df) {
  if (std::isnan(t) || !(df > 0.0)) return kNaN;
  if (std::isinf(t)) return t > 0 ? 0.0 : 1.0;
  if (std::isinf(df)) return normal_sf(t);
  const boost::math::students_t_distribution<double, Policy> student(df);
  return boost::math::cdf(boost::math::complement(student, t));
}

}  // namespace graft::stats
