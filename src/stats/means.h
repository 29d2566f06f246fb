// Per-user means: running moments, Welch's t-test, relative lift, and sample size for
// power. Pure, thread-safe (Moments is a plain value).
#pragma once

#include <cstdint>
#include <optional>

#include "stats/proportions.h"

namespace graft::stats {

// Count, mean and sum of squared deviations of a stream of values, updated one value at
// a time (Welford) and mergeable (Chan et al.): constant memory, no catastrophic
// cancellation, whatever the number of values.
class Moments {
 public:
  void add(double value);
  Moments& operator+=(const Moments& other);

  [[nodiscard]] std::uint64_t count() const { return count_; }
  [[nodiscard]] double mean() const { return mean_; }  // 0 when empty
  // The sample variance (divisor n - 1); 0 with fewer than two values.
  [[nodiscard]] double variance() const;

 private:
  std::uint64_t count_ = 0;
  double mean_ = 0;
  double m2_ = 0;  // sum of squared deviations from the mean
};

struct WelchResult {
  double t = 0;        // (mean(treatment) - mean(baseline)) / standard error
  double df = 0;       // Welch-Satterthwaite degrees of freedom
  double p_value = 1;  // two-sided
};

// Welch's unequal-variance t-test: scipy.stats.ttest_ind(treatment, baseline,
// equal_var=False). Degenerate cases (scipy gives NaN): fewer than two values in a
// variant is no evidence (t 0, p 1); both variances 0 gives p 1 when the means are equal
// and p 0 (t = +-inf, df = n1 + n2 - 2) when they differ.
[[nodiscard]] WelchResult welch_t_test(const Moments& treatment, const Moments& baseline);

struct Lift {
  double lift = 0;  // mean(treatment) / mean(baseline) - 1
  Interval ci;      // delta-method interval of level 1 - alpha
};

// The relative lift with its delta-method interval: with m, v, n the mean, sample
// variance and count of each variant, Var(lift) = v_t / (n_t m_b^2) + m_t^2 v_b / (n_b m_b^4),
// ci = lift -+ z(1 - alpha/2) sqrt(Var). nullopt when the baseline mean is 0 or a variant
// has fewer than two values.
[[nodiscard]] std::optional<Lift> relative_lift(const Moments& treatment, const Moments& baseline,
                                                double alpha = 0.05);

// Users per variant for a two-sided test of level alpha to reach `power` at the observed
// effect, with equal variants: statsmodels NormalIndPower().solve_power(effect_size=d,
// alpha=alpha, power=power, ratio=1) where d = |m_t - m_b| / sqrt((v_t + v_b) / 2)
// (Cohen's d with the average variance). The normal (not t) power is used: it has a
// closed form in d, and differs from TTestIndPower by about one user. Not rounded.
// nullopt when the effect is 0 or undefined (fewer than two values in a variant): no
// sample size reaches the power; 0 when the variances are 0 and the means differ.
[[nodiscard]] std::optional<double> users_for_power(const Moments& treatment,
                                                    const Moments& baseline, double alpha = 0.05,
                                                    double power = 0.8);

}  // namespace graft::stats
