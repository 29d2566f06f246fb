// The charts of the HTML report (html_report.h), drawn as inline SVG by this code: traffic
// per variant over time, and latency histograms side by side. Pure: values in, HTML out;
// every string from the caller is escaped. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "registry/records.h"

namespace graft::experiment {

// `text` with &, <, >, " and ' replaced by character references.
[[nodiscard]] std::string html_escape(std::string_view text);

// Requests per variant in consecutive time buckets of equal width, for the traffic chart.
struct TrafficSeries {
  registry::Time from;
  registry::Duration bucket{0};                   // at least one second
  std::vector<std::string> variants;              // the record's, then any other seen
  std::vector<std::vector<std::int64_t>> counts;  // [bucket][variant]
};
// At most `max_buckets` (>= 1) buckets spanning the assignments (which are in arrival
// order); empty `counts` without assignments.
[[nodiscard]] TrafficSeries traffic_series(const registry::ExperimentRecord& record,
                                           std::span<const registry::Assignment> assignments,
                                           std::size_t max_buckets);

// A heading, a legend and an SVG: each bucket's requests split by variant (stacked shares),
// requests per bucket as a line, and a dashed marker where each of `steps` began.
// `start_label` names the first bucket's time ("2026-12-02 12:52:17 UTC").
[[nodiscard]] std::string traffic_chart_html(const TrafficSeries& series,
                                             std::span<const registry::Step> steps,
                                             std::string_view start_label);

// A variant's percentiles to mark on its histogram (milliseconds; unset: not drawn).
struct LatencyMarks {
  std::optional<double> p50_ms;
  std::optional<double> p99_ms;
};

// A heading and one histogram per variant (in `variants` order) of the assignments'
// latencies, in the same log-spaced bins and scale for all so they compare side by side.
[[nodiscard]] std::string latency_histograms_html(
    const std::vector<std::string>& variants, std::span<const registry::Assignment> assignments,
    const std::map<std::string, LatencyMarks, std::less<>>& marks);

}  // namespace graft::experiment
