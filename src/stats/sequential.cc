#include "stats/sequential.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace graft::stats {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// (successes + 1/2) / (trials + 1): a rate that is never exactly 0 or 1.
double shrunk_rate(Proportion proportion) {
  const double successes = static_cast<double>(std::min(proportion.successes, proportion.trials));
  return (successes + 0.5) / (static_cast<double>(proportion.trials) + 1);
}

double rate_variance(Proportion proportion) {
  const double rate = shrunk_rate(proportion);
  return rate * (1 - rate) / static_cast<double>(proportion.trials);
}

Interval around(double center, double half_width) {
  return {center - half_width, center + half_width};
}

}  // namespace

double sequential_multiplier(double samples, const SequentialOptions& options) {
  const double log_alpha = std::log(options.alpha);
  const double rho2 = (-2 * log_alpha + std::log(-2 * log_alpha + 1)) / options.tuning_samples;
  const double information = samples * rho2;
  return std::sqrt(2 * (information + 1) / information *
                   std::log(std::sqrt(information + 1) / options.alpha));
}

Interval sequential_proportion_difference(Proportion treatment, Proportion baseline,
                                          const SequentialOptions& options) {
  if (treatment.trials == 0 || baseline.trials == 0) return {-1, 1};
  const double samples = static_cast<double>(treatment.trials) + baseline.trials;
  const double standard_error = std::sqrt(rate_variance(treatment) + rate_variance(baseline));
  const Interval interval = around(treatment.rate() - baseline.rate(),
                                   standard_error * sequential_multiplier(samples, options));
  return {std::max(-1.0, interval.low), std::min(1.0, interval.high)};
}

Interval sequential_mean_difference(const Moments& treatment, const Moments& baseline,
                                    const SequentialOptions& options) {
  if (treatment.count() < 2 || baseline.count() < 2) return {-kInfinity, kInfinity};
  const double samples = static_cast<double>(treatment.count()) + baseline.count();
  const double standard_error =
      std::sqrt(treatment.variance() / static_cast<double>(treatment.count()) +
                baseline.variance() / static_cast<double>(baseline.count()));
  return around(treatment.mean() - baseline.mean(),
                standard_error * sequential_multiplier(samples, options));
}

Evidence evidence_against(const Interval& interval, double limit) {
  if (interval.low > limit) return Evidence::kAboveLimit;
  if (interval.high <= limit) return Evidence::kWithinLimit;
  return Evidence::kInconclusive;
}

}  // namespace graft::stats
