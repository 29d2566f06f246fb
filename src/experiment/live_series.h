// The time series behind the live dashboard's charts (dashboard.h): per variant, requests
// per second, error rate and latency p50 / p99 in consecutive intervals, from the proxy's
// cumulative per-variant figures (proxy::VariantSnapshot): each sample minus the one before.
//
// Pure: the caller takes the snapshots and passes the time in. Keeps the last `capacity`
// points; every variant has a value (or null) at every point, so the arrays line up.
// Thread-safety: none; Dashboard holds a lock around it.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "proxy/metrics.h"

namespace graft::experiment {

class LiveSeries {
 public:
  // `variants` are shown from the start, in this order; others are added when first seen.
  // `capacity` >= 1 points are kept.
  LiveSeries(const std::vector<std::string>& variants, std::size_t capacity);

  // Adds the point from the previous sample to `snapshots`, taken at `steady` (for the
  // interval) and `wall` (the point's time). The first sample only sets the starting
  // figures, as does one less than a second after the previous (its rates would be noise).
  // A variant whose counters went back (the proxy restarted) starts over from this sample.
  void add(std::chrono::steady_clock::time_point steady, std::chrono::system_clock::time_point wall,
           std::span<const proxy::VariantSnapshot> snapshots);

  // {"t": [unix seconds, ...], "variants": {"NAME": {"requests": total, "errors": total,
  //  "rps": [...], "error_rate": [...], "p50_ms": [...], "p99_ms": [...]}}}; error_rate and
  // the latencies are null at a point where the variant had no request.
  [[nodiscard]] nlohmann::ordered_json to_json() const;

  // Points kept.
  [[nodiscard]] std::size_t size() const { return times_.size(); }

 private:
  struct Column {
    std::string name;
    proxy::VariantSnapshot last;  // the figures at the previous sample
    std::deque<double> rps;
    std::deque<std::optional<double>> error_rate;
    std::deque<std::optional<double>> p50_ms;
    std::deque<std::optional<double>> p99_ms;
  };
  Column& column(const std::string& name);
  void push(Column& column, const proxy::VariantSnapshot* now, double seconds);
  void trim();

  std::size_t capacity_;
  std::vector<Column> columns_;
  std::deque<double> times_;  // unix seconds
  std::optional<std::chrono::steady_clock::time_point> previous_;
};

}  // namespace graft::experiment
