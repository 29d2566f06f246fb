// Always-valid inference for a controller that looks at the data every window.
//
// A fixed-horizon test read again at every look raises false alarms far more often than
// its alpha. These intervals are asymptotic confidence sequences (Waudby-Smith, Arbour,
// Sinha, Kennedy, Ramdas, "Time-uniform central limit theory and asymptotic confidence
// sequences", Annals of Statistics 2024, Theorem 2.2; the form GrowthBook's sequential
// testing uses): with N the samples of both variants together and se the usual standard
// error of the difference,
//     half-width = se * sqrt( 2 (N rho^2 + 1) / (N rho^2) * log( sqrt(N rho^2 + 1) / alpha ) )
//     rho^2      = ( -2 log alpha + log(-2 log alpha + 1) ) / N*
// where N* (tuning_samples) is the N at which the sequence is tightest. The probability
// that any interval of the sequence, at any number of looks taken at any times, misses
// the true difference is at most alpha (asymptotically). Pass cumulative data, not one
// window's: the sequence is over all the data seen so far.
//
// Pure functions, thread-safe.
#pragma once

#include "stats/histogram.h"
#include "stats/means.h"
#include "stats/proportions.h"

namespace graft::stats {

struct SequentialOptions {
  double alpha = 0.05;           // in (0, 1): the error probability over every look at once
  double tuning_samples = 5000;  // N* > 0: both variants' samples where the width is least;
                                 // it changes the width, never the validity
};

// The confidence sequence's interval for rate(treatment) - rate(baseline), clipped to
// [-1, 1]. The variance uses (successes + 1/2) / (trials + 1) for each rate, so a rate of
// 0 or 1 on few trials does not collapse the interval. [-1, 1] when a variant has no
// trials.
[[nodiscard]] Interval sequential_proportion_difference(Proportion treatment, Proportion baseline,
                                                        const SequentialOptions& options = {});

// The confidence sequence's interval for mean(treatment) - mean(baseline).
// [-inf, +inf] when a variant has fewer than two values.
[[nodiscard]] Interval sequential_mean_difference(const Moments& treatment, const Moments& baseline,
                                                  const SequentialOptions& options = {});

// An interval for percentile(treatment) / percentile(baseline) (percent in (0, 100), e.g.
// 99 for the p99 guardrail), valid at every look. For a variant of n values and p =
// percent / 100, the number of values below the true percentile is Binomial(n, p); the
// sequence above, with the known variance p (1 - p) / n and N = n, bounds its rate within
// p -+ h_n at every n at once. So the true percentile lies between the values of ranks
// floor(n (p - h_n)) and ceil(n (p + h_n)) (taken at their buckets' outer edges). The
// ratio's interval divides the treatment's bounds by the baseline's; at most alpha in all
// (alpha/2 each side of each variant, asymptotically). With few values a rank falls
// outside [1, n] and the bound is 0 or +inf: e.g. the p99 needs about 1,000 values per
// variant before its upper bound is finite.
[[nodiscard]] Interval sequential_percentile_ratio(const LatencyHistogram& treatment,
                                                   const LatencyHistogram& baseline, double percent,
                                                   const SequentialOptions& options = {});

// The multiplier of the standard error above (> z(1 - alpha/2) at every N).
[[nodiscard]] double sequential_multiplier(double samples, const SequentialOptions& options);

// Where a guardrail's limit stands against an interval of the difference.
enum class Evidence {
  kAboveLimit,    // low > limit: the difference exceeds the limit (a breach: roll back)
  kWithinLimit,   // high <= limit: the difference is at most the limit
  kInconclusive,  // the interval contains the limit
};

[[nodiscard]] Evidence evidence_against(const Interval& interval, double limit);

}  // namespace graft::stats
