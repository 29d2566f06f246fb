#include "stats/proportions.h"

#include <algorithm>
#include <cmath>

#include "stats/distributions.h"

namespace graft::stats {
namespace {

// successes capped at trials, both as long double.
struct Counts {
  long double successes;
  long double trials;
};

Counts counts_of(Proportion proportion) {
  return {static_cast<long double>(std::min(proportion.successes, proportion.trials)),
          static_cast<long double>(proportion.trials)};
}

// The pooled two-proportion z statistic; 0 when it is undefined.
double pooled_z(Proportion treatment, Proportion baseline) {
  const Counts t = counts_of(treatment);
  const Counts b = counts_of(baseline);
  if (t.trials == 0 || b.trials == 0) return 0;
  const long double pooled = (t.successes + b.successes) / (t.trials + b.trials);
  const long double variance = pooled * (1 - pooled) * (1 / t.trials + 1 / b.trials);
  if (!(variance > 0)) return 0;
  return static_cast<double>((t.successes / t.trials - b.successes / b.trials) /
                             std::sqrt(variance));
}

}  // namespace

double Proportion::rate() const {
  if (trials == 0) return 0;
  const Counts counts = counts_of(*this);
  return static_cast<double>(counts.successes / counts.trials);
}

Interval wilson_interval(Proportion proportion, double alpha) {
  const Counts counts = counts_of(proportion);
  if (counts.trials == 0) return {0, 1};
  const long double z = normal_quantile(1 - alpha / 2);
  const long double z2 = z * z;
  const long double n = counts.trials;
  const long double rate = counts.successes / n;
  const long double denominator = 1 + z2 / n;
  const long double center = (rate + z2 / (2 * n)) / denominator;
  const long double half = z / denominator * std::sqrt(rate * (1 - rate) / n + z2 / (4 * n * n));
  return {static_cast<double>(center - half), static_cast<double>(center + half)};
}

ProportionComparison compare_proportions(Proportion treatment, Proportion baseline, double alpha) {
  const double rate_t = treatment.rate();
  const double rate_b = baseline.rate();
  const Interval wilson_t = wilson_interval(treatment, alpha);
  const Interval wilson_b = wilson_interval(baseline, alpha);
  ProportionComparison result;
  result.delta = rate_t - rate_b;
  result.ci.low = result.delta - std::hypot(rate_t - wilson_t.low, wilson_b.high - rate_b);
  result.ci.high = result.delta + std::hypot(wilson_t.high - rate_t, rate_b - wilson_b.low);
  result.z = pooled_z(treatment, baseline);
  result.p_value = std::min(1.0, 2 * normal_sf(std::fabs(result.z)));
  return result;
}

}  // namespace graft::stats
