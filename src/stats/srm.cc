#include "stats/srm.h"

#include <cmath>
#include <limits>

#include <fmt/core.h>

#include "stats/distributions.h"

namespace graft::stats {
namespace {

Status check_weights(std::span<const SrmArm> arms) {
  double sum = 0;
  for (const SrmArm& arm : arms) {
    if (!std::isfinite(arm.weight) || arm.weight < 0) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("weight {} is not valid: weights must be finite and not negative",
                              arm.weight));
    }
    sum += arm.weight;
  }
  if (!arms.empty() && sum <= 0) {
    return fail(ErrorCode::kInvalidArgument,
                "every weight is 0: at least one variant must have a positive weight");
  }
  return ok();
}

}  // namespace

Result<SrmResult> sample_ratio_mismatch(std::span<const SrmArm> arms) {
  GRAFT_RETURN_IF_ERROR(check_weights(arms));
  long double total_users = 0;
  long double total_weight = 0;
  int weighted_arms = 0;
  for (const SrmArm& arm : arms) {
    if (arm.weight == 0 && arm.users > 0) {
      return SrmResult{
          .chi2 = std::numeric_limits<double>::infinity(), .p_value = 0, .mismatch = true};
    }
    if (arm.weight == 0) continue;
    total_users += arm.users;
    total_weight += arm.weight;
    ++weighted_arms;
  }
  if (weighted_arms < 2 || total_users == 0) return SrmResult{};
  long double chi2 = 0;
  for (const SrmArm& arm : arms) {
    if (arm.weight == 0) continue;
    const long double expected = total_users * arm.weight / total_weight;
    const long double difference = arm.users - expected;
    chi2 += difference * difference / expected;
  }
  SrmResult result{.chi2 = static_cast<double>(chi2)};
  result.p_value = chi_squared_sf(result.chi2, weighted_arms - 1);
  result.mismatch = result.p_value < kSrmThreshold;
  return result;
}

}  // namespace graft::stats
