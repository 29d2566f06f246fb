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

// Bounds, in microseconds, on the true `percent` percentile of the values in `histogram`.
Interval percentile_bounds(const LatencyHistogram& histogram, double percent,
                           const SequentialOptions& options) {
  const double n = static_cast<double>(histogram.count());
  if (n == 0) return {0, kInfinity};
  const double p = percent / 100;
  const double half = std::sqrt(p * (1 - p) / n) * sequential_multiplier(n, options);
  const double low_rank = std::floor(n * (p - half));
  const double high_rank = std::ceil(n * (p + half));
  Interval bounds{0, kInfinity};
  if (low_rank >= 1) {
    const auto rank = static_cast<std::uint64_t>(low_rank);
    bounds.low =
        static_cast<double>(LatencyHistogram::bucket_lower(histogram.bucket_at_rank(rank)));
  }
  if (high_rank <= n) {
    const auto rank = static_cast<std::uint64_t>(high_rank);
    // The exclusive upper edge: every value of the bucket is below it, and it is >= 1.
    bounds.high =
        static_cast<double>(LatencyHistogram::bucket_upper(histogram.bucket_at_rank(rank)) + 1);
  }
  return bounds;
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

Interval sequential_percentile_ratio(const LatencyHistogram& treatment,
                                     const LatencyHistogram& baseline, double percent,
                                     const SequentialOptions& options) {
  if (!(percent > 0 && percent < 100)) return {0, kInfinity};
  const Interval t = percentile_bounds(treatment, percent, options);
  const Interval b = percentile_bounds(baseline, percent, options);
  return {t.low / b.high, b.low > 0 ? t.high / b.low : kInfinity};
}

Evidence evidence_against(const Interval& interval, double limit) {
  if (interval.low > limit) return Evidence::kAboveLimit;
  if (interval.high <= limit) return Evidence::kWithinLimit;
  return Evidence::kInconclusive;
}

}  // namespace graft::stats
