// The Mann-Whitney U test, on samples or on latency histograms. Pure, thread-safe.
#pragma once

#include <span>

#include "stats/histogram.h"

namespace graft::stats {

struct MannWhitneyResult {
  double u = 0;        // U of the first sample: its rank sum minus n1 (n1 + 1) / 2
  double z = 0;        // the normal approximation's statistic (0 when undefined)
  double p_value = 1;  // two-sided
};

// scipy.stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic",
// use_continuity=True): midranks for ties, the tie-corrected variance and the continuity
// correction. When either sample is empty, or every value is equal, the test has no
// evidence: p = 1. Values must not be NaN. O((n1 + n2) log(n1 + n2)).
[[nodiscard]] MannWhitneyResult mann_whitney_u(std::span<const double> x,
                                               std::span<const double> y);

// The same test on two histograms, each bucket being one group of ties (the values of a
// bucket count as equal): what the test gives on samples of the bucket values. O(buckets),
// so a live controller need not keep samples.
[[nodiscard]] MannWhitneyResult mann_whitney_u(const LatencyHistogram& x,
                                               const LatencyHistogram& y);

}  // namespace graft::stats
