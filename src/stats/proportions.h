// Two proportions (error rates): Wilson and Newcombe intervals, the pooled z-test.
// Pure functions, thread-safe, defined for every input (see each function for the
// degenerate cases). Counts are 64-bit; the arithmetic is in double/long double, so
// counts up to 2^53 keep full precision.
#pragma once

#include <cstdint>

namespace graft::stats {

struct Proportion {
  std::uint64_t successes = 0;  // e.g. errors; at most `trials` (larger values are capped)
  std::uint64_t trials = 0;     // e.g. requests

  // successes / trials, 0 when trials is 0.
  [[nodiscard]] double rate() const;
};

struct Interval {
  double low = 0;
  double high = 0;
  friend bool operator==(const Interval&, const Interval&) = default;
};

// The Wilson score interval of level 1 - alpha: statsmodels proportion_confint(successes,
// trials, alpha, method="wilson"). [0, 1] when trials is 0.
[[nodiscard]] Interval wilson_interval(Proportion proportion, double alpha = 0.05);

struct ProportionComparison {
  double delta = 0;    // rate(treatment) - rate(baseline)
  Interval ci;         // Newcombe's hybrid score interval of the difference
  double z = 0;        // pooled two-proportion z statistic (0 when undefined)
  double p_value = 1;  // its two-sided p-value
};

// The treatment's rate minus the baseline's, with
//  - ci: Newcombe (1998) method 10, from the two Wilson intervals: statsmodels
//    confint_proportions_2indep(t.successes, t.trials, b.successes, b.trials,
//    method="newcomb", compare="diff", alpha=alpha);
//  - p_value: the pooled two-proportion z-test, two-sided: statsmodels
//    proportions_ztest([t.successes, b.successes], [t.trials, b.trials]).
// When a variant has no trials, or the pooled rate is 0 or 1, the test has no evidence:
// z = 0, p = 1 (statsmodels gives NaN there).
[[nodiscard]] ProportionComparison compare_proportions(Proportion treatment, Proportion baseline,
                                                       double alpha = 0.05);

}  // namespace graft::stats
