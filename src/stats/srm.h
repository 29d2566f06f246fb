// Sample ratio mismatch: is the split of users over variants the one the weights ask for?
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <span>

#include "base/result.h"

namespace graft::stats {

// Below this p-value the split is a mismatch (issue 11: p < 0.001).
inline constexpr double kSrmThreshold = 0.001;

struct SrmArm {
  std::uint64_t users = 0;  // distinct users seen in the variant
  double weight = 0;        // its weight in force, relative (any scale), finite, >= 0
};

struct SrmResult {
  double chi2 = 0;  // +inf when a variant of weight 0 has users
  double p_value = 1;
  bool mismatch = false;  // p_value < kSrmThreshold
};

// Pearson's chi-square goodness of fit of the users per variant against the weights:
// scipy.stats.chisquare(users, total * weight / sum(weights)) over the variants of
// positive weight (df = their number - 1). A variant of weight 0 that has users is a
// mismatch (chi2 = +inf, p = 0); one without users is left out. Fewer than two variants
// of positive weight (or none at all), or no users, is no evidence: chi2 0, p 1.
// Errors: kInvalidArgument for a negative or non-finite weight, or when every weight of a
// non-empty list is 0.
[[nodiscard]] Result<SrmResult> sample_ratio_mismatch(std::span<const SrmArm> arms);

}  // namespace graft::stats
