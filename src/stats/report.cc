#include "stats/report.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "stats/mann_whitney.h"

namespace graft::stats {
namespace {

using Json = nlohmann::ordered_json;

constexpr double kAlpha = 0.05;
constexpr double kPower = 0.8;

Status check_samples(const VariantInput& input) {
  if (!input.latency_samples_us) return ok();
  for (double sample : *input.latency_samples_us) {
    if (!std::isfinite(sample) || sample < 0) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("variant '{}' has latency {}: latencies must be finite and not "
                              "negative",
                              input.name, sample));
    }
  }
  return ok();
}

Status check_input(const VariantInput& input, std::set<std::string>& names) {
  if (input.name.empty()) {
    return fail(ErrorCode::kInvalidArgument, "a variant has an empty name");
  }
  if (!names.insert(input.name).second) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("variant '{}' is listed twice", input.name));
  }
  if (input.errors > input.requests) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("variant '{}' has {} errors but only {} requests", input.name,
                            input.errors, input.requests));
  }
  if (!std::isfinite(input.weight) || input.weight < 0) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("variant '{}' has weight {}: weights must be finite and not "
                            "negative",
                            input.name, input.weight));
  }
  return check_samples(input);
}

std::optional<double> percentile_ms(const VariantInput& input, double percent) {
  const std::optional<double> micros =
      input.latency_samples_us ? percentile_nearest_rank(*input.latency_samples_us, percent)
                               : input.latency.percentile(percent);
  if (!micros) return std::nullopt;
  return *micros / 1000.0;
}

VariantSummary summarize(const VariantInput& input) {
  return VariantSummary{
      .name = input.name,
      .requests = input.requests,
      .users = input.users,
      .errors = input.errors,
      .error_rate = Proportion{input.errors, input.requests}.rate(),
      .latency = {.p50_ms = percentile_ms(input, 50),
                  .p95_ms = percentile_ms(input, 95),
                  .p99_ms = percentile_ms(input, 99)},
      .outcome_users = input.outcome.count(),
      .outcome_mean = input.outcome.mean(),
  };
}

// The histogram of a variant's latencies: its samples when it has them.
LatencyHistogram histogram_of(const VariantInput& input) {
  if (!input.latency_samples_us) return input.latency;
  LatencyHistogram histogram;
  for (double sample : *input.latency_samples_us) {
    histogram.record(static_cast<std::uint64_t>(std::llround(sample)));
  }
  return histogram;
}

LatencyComparison compare_latency(const VariantInput& treatment, const VariantInput& baseline,
                                  const VariantSummary& t, const VariantSummary& b) {
  LatencyComparison result;
  if (t.latency.p99_ms && b.latency.p99_ms && *b.latency.p99_ms > 0) {
    result.p99_ratio = *t.latency.p99_ms / *b.latency.p99_ms;
  }
  const MannWhitneyResult test =
      treatment.latency_samples_us && baseline.latency_samples_us
          ? mann_whitney_u(*treatment.latency_samples_us, *baseline.latency_samples_us)
          : mann_whitney_u(histogram_of(treatment), histogram_of(baseline));
  result.mann_whitney_p = test.p_value;
  return result;
}

OutcomeComparison compare_outcome(const Moments& treatment, const Moments& baseline) {
  OutcomeComparison result;
  result.delta = treatment.mean() - baseline.mean();
  result.lift = relative_lift(treatment, baseline, kAlpha);
  result.p_value = welch_t_test(treatment, baseline).p_value;
  const std::optional<double> needed = users_for_power(treatment, baseline, kAlpha, kPower);
  if (needed) {
    const double have = static_cast<double>(std::min(treatment.count(), baseline.count()));
    result.users_needed = static_cast<std::uint64_t>(std::max(0.0, std::ceil(*needed) - have));
  }
  return result;
}

Result<SrmResult> srm_of(std::span<const VariantInput> inputs) {
  std::vector<SrmArm> arms;
  for (const VariantInput& input : inputs) arms.push_back({input.users, input.weight});
  return sample_ratio_mismatch(arms);
}

Json optional_json(const std::optional<double>& value) {
  return value ? Json(*value) : Json(nullptr);
}

Json variant_json(const VariantSummary& v) {
  return Json{{"requests", v.requests},
              {"users", v.users},
              {"errors", v.errors},
              {"error_rate", v.error_rate},
              {"latency_ms",
               {{"p50", optional_json(v.latency.p50_ms)},
                {"p95", optional_json(v.latency.p95_ms)},
                {"p99", optional_json(v.latency.p99_ms)}}},
              {"outcome", {{"users", v.outcome_users}, {"mean", v.outcome_mean}}}};
}

Json comparison_json(const Comparison& c) {
  const OutcomeComparison& o = c.outcome;
  return Json{
      {"error_rate",
       {{"delta", c.error_rate.delta},
        {"ci95", Json::array({c.error_rate.ci.low, c.error_rate.ci.high})},
        {"p_value", c.error_rate.p_value}}},
      {"latency",
       {{"p99_ratio", optional_json(c.latency.p99_ratio)},
        {"mann_whitney_p", c.latency.mann_whitney_p}}},
      {"outcome",
       {{"delta", o.delta},
        {"lift", o.lift ? Json(o.lift->lift) : Json(nullptr)},
        {"lift_ci95", o.lift ? Json::array({o.lift->ci.low, o.lift->ci.high}) : Json(nullptr)},
        {"p_value", o.p_value},
        {"users_needed", o.users_needed ? Json(*o.users_needed) : Json(nullptr)}}}};
}

}  // namespace

Result<Report> build_report(std::span<const VariantInput> inputs) {
  if (inputs.empty()) return fail(ErrorCode::kInvalidArgument, "no variants to report on");
  std::set<std::string> names;
  for (const VariantInput& input : inputs) GRAFT_RETURN_IF_ERROR(check_input(input, names));
  Report report;
  GRAFT_ASSIGN_OR_RETURN(report.srm, srm_of(inputs));
  for (const VariantInput& input : inputs) report.variants.push_back(summarize(input));
  const VariantInput& baseline = inputs.front();
  for (std::size_t i = 1; i < inputs.size(); ++i) {
    const VariantInput& treatment = inputs[i];
    report.comparisons.push_back(Comparison{
        .variant = treatment.name,
        .error_rate = compare_proportions({treatment.errors, treatment.requests},
                                          {baseline.errors, baseline.requests}, kAlpha),
        .latency =
            compare_latency(treatment, baseline, report.variants[i], report.variants.front()),
        .outcome = compare_outcome(treatment.outcome, baseline.outcome),
    });
  }
  return report;
}

nlohmann::ordered_json to_json(const Report& report) {
  Json variants = Json::object();
  for (const VariantSummary& variant : report.variants) {
    variants[variant.name] = variant_json(variant);
  }
  Json comparisons = Json::object();
  for (const Comparison& comparison : report.comparisons) {
    comparisons[comparison.variant] = comparison_json(comparison);
  }
  const bool finite_chi2 = std::isfinite(report.srm.chi2);
  return Json{{"variants", std::move(variants)},
              {"srm",
               {{"chi2", finite_chi2 ? Json(report.srm.chi2) : Json(nullptr)},
                {"p_value", report.srm.p_value},
                {"mismatch", report.srm.mismatch}}},
              {"comparisons", std::move(comparisons)}};
}

}  // namespace graft::stats
