// The experiment report of issue 11 section 4: per-variant figures, the sample ratio
// mismatch test, and each treatment's comparison with the baseline (fixed-horizon
// figures; the controller's decisions use sequential.h). Pure, thread-safe.
//
// JSON (to_json), keys in this order:
//   {"variants": {NAME: {"requests", "users", "errors", "error_rate",
//                        "latency_ms": {"p50", "p95", "p99"}, "outcome": {"users", "mean"}}},
//    "srm": {"chi2", "p_value", "mismatch"},
//    "comparisons": {TREATMENT: {
//        "error_rate": {"delta", "ci95": [low, high], "p_value"},
//        "latency": {"p99_ratio", "mann_whitney_p"},
//        "outcome": {"delta", "lift", "lift_ci95": [low, high], "p_value", "users_needed"}}}}
// A figure that is undefined for the data is null: percentiles of a variant without
// latencies, p99_ratio when a p99 is missing or the baseline's is 0, lift and lift_ci95
// when the baseline's mean is 0 or a variant has fewer than two users with outcomes,
// users_needed when the observed effect is 0 (no sample size reaches the power), chi2
// when a variant of weight 0 has users (it is infinite).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"
#include "stats/histogram.h"
#include "stats/means.h"
#include "stats/proportions.h"
#include "stats/srm.h"

namespace graft::stats {

// What one variant saw (one window or the whole run, as the caller chooses).
struct VariantInput {
  std::string name;  // unique, not empty; the first input is the baseline
  std::uint64_t requests = 0;
  std::uint64_t users = 0;   // distinct users (sticky keys)
  std::uint64_t errors = 0;  // status >= 500 and proxy-side failures; <= requests
  double weight = 0;         // the weight in force (relative, finite, >= 0), for SRM
  LatencyHistogram latency;  // live: the latencies, microseconds
  // Offline: the exact latencies (microseconds, finite, >= 0). When set, percentiles are
  // exact nearest-rank values and the histogram is ignored.
  std::optional<std::vector<double>> latency_samples_us;
  Moments outcome;  // one value per user: the sum of that user's outcomes
};

struct LatencyPercentiles {
  std::optional<double> p50_ms;
  std::optional<double> p95_ms;
  std::optional<double> p99_ms;
};

struct VariantSummary {
  std::string name;
  std::uint64_t requests = 0;
  std::uint64_t users = 0;
  std::uint64_t errors = 0;
  double error_rate = 0;  // errors / requests, 0 without requests
  LatencyPercentiles latency;
  std::uint64_t outcome_users = 0;
  double outcome_mean = 0;
};

struct LatencyComparison {
  std::optional<double> p99_ratio;  // treatment p99 / baseline p99
  double mann_whitney_p = 1;        // two-sided; exact samples when both have them
};

struct OutcomeComparison {
  double delta = 0;          // mean(treatment) - mean(baseline), per user
  std::optional<Lift> lift;  // relative lift and its 95% delta-method interval
  double p_value = 1;        // Welch's t-test, two-sided
  // Users per variant still needed for 80% power at the observed effect (alpha 0.05):
  // ceil(users_for_power) minus the smaller variant's outcome users, at least 0.
  std::optional<std::uint64_t> users_needed;
};

struct Comparison {
  std::string variant;              // the treatment compared with the baseline
  ProportionComparison error_rate;  // rate difference, Newcombe 95% interval, z-test
  LatencyComparison latency;
  OutcomeComparison outcome;
};

struct Report {
  std::vector<VariantSummary> variants;  // in input order, baseline first
  SrmResult srm;
  std::vector<Comparison> comparisons;  // one per treatment, in input order
};

// Builds the report. Errors (kInvalidArgument): no variants, an empty or repeated name,
// more errors than requests, a negative or non-finite weight, every weight 0, a latency
// sample that is negative or not finite.
[[nodiscard]] Result<Report> build_report(std::span<const VariantInput> inputs);

// The report as JSON, in the shape above.
[[nodiscard]] nlohmann::ordered_json to_json(const Report& report);

}  // namespace graft::stats
