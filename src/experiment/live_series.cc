#include "experiment/live_series.h"

#include <algorithm>

namespace graft::experiment {
namespace {

using Json = nlohmann::ordered_json;

constexpr auto kMinimumInterval = std::chrono::seconds(1);

Json optional_array(const std::deque<std::optional<double>>& values) {
  Json out = Json::array();
  for (const std::optional<double>& value : values) {
    out.push_back(value ? Json(*value) : Json(nullptr));
  }
  return out;
}

// `now` minus `before`, or nullopt when a counter went back (the figures started over).
std::optional<proxy::VariantSnapshot> difference(const proxy::VariantSnapshot& now,
                                                 const proxy::VariantSnapshot& before) {
  if (now.requests < before.requests || now.errors < before.errors) return std::nullopt;
  auto latency = now.latency.subtract(before.latency);
  if (!latency) return std::nullopt;
  return proxy::VariantSnapshot{
      .name = now.name,
      .requests = now.requests - before.requests,
      .errors = now.errors - before.errors,
      .failovers = now.failovers - std::min(now.failovers, before.failovers),
      .latency = std::move(*latency)};
}

std::optional<double> percentile_ms(const stats::LatencyHistogram& latency, double percent) {
  auto micros = latency.percentile(percent);
  if (!micros) return std::nullopt;
  return *micros / 1000.0;
}

}  // namespace

LiveSeries::LiveSeries(const std::vector<std::string>& variants, std::size_t capacity)
    : capacity_(std::max<std::size_t>(capacity, 1)) {
  for (const std::string& name : variants) column(name);
}

LiveSeries::Column& LiveSeries::column(const std::string& name) {
  for (Column& existing : columns_) {
    if (existing.name == name) return existing;
  }
  Column& added = columns_.emplace_back();
  added.name = name;
  added.last.name = name;
  // Points before the variant was seen: no traffic.
  added.rps.assign(times_.size(), 0.0);
  added.error_rate.assign(times_.size(), std::nullopt);
  added.p50_ms.assign(times_.size(), std::nullopt);
  added.p99_ms.assign(times_.size(), std::nullopt);
  return added;
}

void LiveSeries::add(std::chrono::steady_clock::time_point steady,
                     std::chrono::system_clock::time_point wall,
                     std::span<const proxy::VariantSnapshot> snapshots) {
  for (const proxy::VariantSnapshot& snapshot : snapshots) column(snapshot.name);
  const bool first = !previous_;
  if (!first && steady - *previous_ < kMinimumInterval) return;
  const double seconds = first ? 0.0 : std::chrono::duration<double>(steady - *previous_).count();
  previous_ = steady;
  if (!first) {
    times_.push_back(std::chrono::duration<double>(wall.time_since_epoch()).count());
  }
  for (Column& column : columns_) {
    const auto now = std::find_if(snapshots.begin(), snapshots.end(), [&](const auto& snapshot) {
      return snapshot.name == column.name;
    });
    const proxy::VariantSnapshot* found = now == snapshots.end() ? nullptr : &*now;
    if (!first) push(column, found, seconds);
    if (found != nullptr) column.last = *found;
  }
  trim();
}

void LiveSeries::push(Column& column, const proxy::VariantSnapshot* now, double seconds) {
  std::optional<proxy::VariantSnapshot> delta;
  if (now != nullptr) delta = difference(*now, column.last);
  if (!delta || delta->requests == 0) {
    column.rps.push_back(0.0);
    column.error_rate.push_back(std::nullopt);
    column.p50_ms.push_back(std::nullopt);
    column.p99_ms.push_back(std::nullopt);
    return;
  }
  const auto requests = static_cast<double>(delta->requests);
  column.rps.push_back(requests / seconds);
  column.error_rate.push_back(static_cast<double>(delta->errors) / requests);
  column.p50_ms.push_back(percentile_ms(delta->latency, 50));
  column.p99_ms.push_back(percentile_ms(delta->latency, 99));
}

void LiveSeries::trim() {
  while (times_.size() > capacity_) {
    times_.pop_front();
    for (Column& column : columns_) {
      column.rps.pop_front();
      column.error_rate.pop_front();
      column.p50_ms.pop_front();
      column.p99_ms.pop_front();
    }
  }
}

Json LiveSeries::to_json() const {
  Json variants = Json::object();
  for (const Column& column : columns_) {
    variants[column.name] = Json{{"requests", column.last.requests},
                                 {"errors", column.last.errors},
                                 {"rps", Json(column.rps)},
                                 {"error_rate", optional_array(column.error_rate)},
                                 {"p50_ms", optional_array(column.p50_ms)},
                                 {"p99_ms", optional_array(column.p99_ms)}};
  }
  return Json{{"t", Json(times_)}, {"variants", std::move(variants)}};
}

}  // namespace graft::experiment
