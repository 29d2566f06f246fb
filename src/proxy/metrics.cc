#include "proxy/metrics.h"

#include <algorithm>
#include <limits>
#include <utility>

#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace graft::proxy {
namespace {

// Adds `amount` to a counter that only the calling thread writes: a plain load and store,
// so the hot path has no locked instruction.
template <typename T>
void bump(std::atomic<T>& counter, T amount = 1) {
  counter.store(counter.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
}

std::uint64_t read(const std::atomic<std::uint64_t>& counter) {
  return counter.load(std::memory_order_relaxed);
}

// One variant's figures summed over the workers.
struct VariantSum {
  std::string name;
  std::vector<std::uint64_t> by_status;
  std::array<std::uint64_t, kLatencyBuckets.size() + 1> buckets{};
  double seconds = 0;
  std::uint64_t failovers = 0;
};

prometheus::MetricFamily family(std::string name, std::string help, prometheus::MetricType type) {
  return {std::move(name), std::move(help), type, {}};
}

prometheus::ClientMetric counter(std::vector<prometheus::ClientMetric::Label> labels,
                                 std::uint64_t value) {
  prometheus::ClientMetric metric;
  metric.label = std::move(labels);
  metric.counter.value = static_cast<double>(value);
  return metric;
}

}  // namespace

WorkerStats::Variant& WorkerStats::variant(std::string_view name) {
  if (last_ != nullptr && last_->name == name) return *last_;
  for (const auto& candidate : variants_) {
    if (candidate->name == name) return *(last_ = candidate.get());
  }
  auto added = std::make_unique<Variant>();
  added->name = std::string(name);
  std::lock_guard lock(growth_);
  variants_.push_back(std::move(added));
  return *(last_ = variants_.back().get());
}

void WorkerStats::record(std::string_view variant_name, int status, double seconds) {
  Variant& series = variant(variant_name);
  bump(requests_);
  std::size_t slot = status >= 0 && static_cast<std::size_t>(status) < kStatusSlots
                         ? static_cast<std::size_t>(status)
                         : 0;
  bump(series.by_status[slot]);
  // Prometheus buckets are inclusive upper bounds ("le").
  auto bound = std::lower_bound(kLatencyBuckets.begin(), kLatencyBuckets.end(), seconds);
  bump(series.buckets[static_cast<std::size_t>(bound - kLatencyBuckets.begin())]);
  const double micros = seconds > 0 ? seconds * 1e6 : 0;
  bump(series.fine[stats::LatencyHistogram::bucket_index(
      micros < static_cast<double>(stats::LatencyHistogram::kMaxMicros)
          ? static_cast<std::uint64_t>(micros)
          : stats::LatencyHistogram::kMaxMicros)]);
  bump(series.seconds, seconds);
}

void WorkerStats::failover(std::string_view variant_name) {
  bump(variant(variant_name).failovers);
}

void WorkerStats::count(Event event, std::uint64_t times) {
  bump(events_[static_cast<std::size_t>(event)], times);
}
void WorkerStats::connection_opened() {
  bump(connections_);
}
void WorkerStats::connection_closed() {
  bump(connections_, std::int64_t{-1});
}

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  healthy_ = &prometheus::BuildGauge()
                  .Name("graft_proxy_upstream_healthy")
                  .Help("1 when the upstream passes its health checks, else 0")
                  .Register(*registry_);
  access_log_dropped_ = &prometheus::BuildGauge()
                             .Name("graft_proxy_access_log_dropped_total")
                             .Help("Access log lines dropped (queue full or write failed)")
                             .Register(*registry_)
                             .Add({});
  generation_ = &prometheus::BuildGauge()
                     .Name("graft_proxy_route_generation")
                     .Help("Generation of the route table in use")
                     .Register(*registry_)
                     .Add({});
}

Metrics::~Metrics() = default;

WorkerStats& Metrics::add_worker() {
  std::lock_guard lock(workers_mutex_);
  workers_.push_back(std::make_unique<WorkerStats>());
  return *workers_.back();
}

Totals Metrics::totals() const {
  Totals totals;
  std::lock_guard lock(workers_mutex_);
  for (const auto& worker : workers_) {
    totals.requests += read(worker->requests_);
    totals.retries += read(worker->events_[static_cast<std::size_t>(Event::kRetry)]);
    totals.mirror_sent += read(worker->events_[static_cast<std::size_t>(Event::kMirrorSent)]);
    totals.mirror_dropped += read(worker->events_[static_cast<std::size_t>(Event::kMirrorDropped)]);
    totals.upstream_overruns +=
        read(worker->events_[static_cast<std::size_t>(Event::kUpstreamOverrun)]);
    totals.idle_closed += read(worker->events_[static_cast<std::size_t>(Event::kIdleClosed)]);
    std::lock_guard growth(worker->growth_);
    for (const auto& variant : worker->variants_) totals.failovers += read(variant->failovers);
  }
  return totals;
}

std::vector<VariantSnapshot> Metrics::snapshot() const {
  std::vector<VariantSnapshot> result;
  std::lock_guard lock(workers_mutex_);
  for (const auto& worker : workers_) {
    std::lock_guard growth(worker->growth_);
    for (const auto& variant : worker->variants_) {
      auto found = std::find_if(result.begin(), result.end(), [&](const VariantSnapshot& seen) {
        return seen.name == variant->name;
      });
      if (found == result.end()) found = result.insert(result.end(), {.name = variant->name});
      for (std::size_t status = 0; status < WorkerStats::kStatusSlots; ++status) {
        const std::uint64_t count = read(variant->by_status[status]);
        found->requests += count;
        if (status >= 500) found->errors += count;
      }
      found->failovers += read(variant->failovers);
      for (std::size_t i = 0; i < variant->fine.size(); ++i) {
        if (const std::uint64_t count = read(variant->fine[i]); count > 0) {
          found->latency.record(stats::LatencyHistogram::bucket_lower(i), count);
        }
      }
    }
  }
  return result;
}

std::vector<WorkerFigures> Metrics::workers() const {
  std::vector<WorkerFigures> figures;
  std::lock_guard lock(workers_mutex_);
  for (const auto& worker : workers_) {
    figures.push_back(
        {worker->connections_.load(std::memory_order_relaxed), read(worker->requests_)});
  }
  return figures;
}

void Metrics::set_upstream_healthy(std::string_view variant, std::string_view upstream,
                                   bool healthy) {
  healthy_->Add({{"variant", std::string(variant)}, {"upstream", std::string(upstream)}})
      .Set(healthy ? 1 : 0);
}

void Metrics::set_access_log_dropped(std::uint64_t total) {
  access_log_dropped_->Set(static_cast<double>(total));
}

void Metrics::set_route_generation(std::uint64_t generation) {
  generation_->Set(static_cast<double>(generation));
}

std::string Metrics::serialize() const {
  std::vector<VariantSum> sums;
  Totals totals = this->totals();
  {
    std::lock_guard lock(workers_mutex_);
    for (const auto& worker : workers_) {
      std::lock_guard growth(worker->growth_);
      for (const auto& variant : worker->variants_) {
        auto sum = std::find_if(sums.begin(), sums.end(),
                                [&](const VariantSum& s) { return s.name == variant->name; });
        if (sum == sums.end()) {
          sums.push_back({variant->name, std::vector<std::uint64_t>(WorkerStats::kStatusSlots)});
          sum = sums.end() - 1;
        }
        for (std::size_t i = 0; i < WorkerStats::kStatusSlots; ++i) {
          sum->by_status[i] += read(variant->by_status[i]);
        }
        for (std::size_t i = 0; i < sum->buckets.size(); ++i) {
          sum->buckets[i] += read(variant->buckets[i]);
        }
        sum->seconds += variant->seconds.load(std::memory_order_relaxed);
        sum->failovers += read(variant->failovers);
      }
    }
  }

  auto requests =
      family("graft_proxy_requests_total", "Requests answered by the proxy, by variant and status",
             prometheus::MetricType::Counter);
  auto latency = family("graft_proxy_request_duration_seconds",
                        "Time from request head to last response byte, by variant",
                        prometheus::MetricType::Histogram);
  auto failovers = family("graft_proxy_failovers_total",
                          "Requests sent to the baseline because the variant had no healthy "
                          "upstream",
                          prometheus::MetricType::Counter);
  for (const VariantSum& sum : sums) {
    for (std::size_t status = 0; status < sum.by_status.size(); ++status) {
      if (sum.by_status[status] == 0) continue;
      requests.metric.push_back(counter({{"status", std::to_string(status)}, {"variant", sum.name}},
                                        sum.by_status[status]));
    }
    std::uint64_t cumulative = 0;
    prometheus::ClientMetric histogram;
    histogram.label = {{"variant", sum.name}};
    for (std::size_t i = 0; i < sum.buckets.size(); ++i) {
      cumulative += sum.buckets[i];
      double bound =
          i < kLatencyBuckets.size() ? kLatencyBuckets[i] : std::numeric_limits<double>::infinity();
      histogram.histogram.bucket.push_back({cumulative, bound});
    }
    histogram.histogram.sample_count = cumulative;
    histogram.histogram.sample_sum = sum.seconds;
    if (cumulative > 0) latency.metric.push_back(std::move(histogram));
    if (sum.failovers > 0)
      failovers.metric.push_back(counter({{"variant", sum.name}}, sum.failovers));
  }
  auto single = [](std::string name, std::string help, std::uint64_t value) {
    auto result = family(std::move(name), std::move(help), prometheus::MetricType::Counter);
    result.metric.push_back(counter({}, value));
    return result;
  };

  std::vector<prometheus::MetricFamily> registered = registry_->Collect();
  std::vector<prometheus::MetricFamily> families;
  families.push_back(std::move(requests));
  families.push_back(std::move(latency));
  families.push_back(std::move(registered.at(0)));  // upstream health
  families.push_back(std::move(failovers));
  families.push_back(single("graft_proxy_upstream_retries_total",
                            "Requests retried on another upstream after a connect failure",
                            totals.retries));
  families.push_back(single("graft_proxy_mirror_requests_total",
                            "Mirror copies sent to the shadow variant", totals.mirror_sent));
  families.push_back(single("graft_proxy_mirror_dropped_total",
                            "Mirror copies dropped (queue full or body over the bound)",
                            totals.mirror_dropped));
  families.push_back(single("graft_proxy_upstream_overruns_total",
                            "Upstream connections closed because bytes came past the end of "
                            "a response",
                            totals.upstream_overruns));
  families.push_back(single("graft_proxy_idle_connections_closed_total",
                            "Idle client connections closed to make room near max_connections",
                            totals.idle_closed));
  for (std::size_t i = 1; i < registered.size(); ++i) families.push_back(std::move(registered[i]));
  prometheus::TextSerializer serializer;
  return serializer.Serialize(families);
}

}  // namespace graft::proxy
