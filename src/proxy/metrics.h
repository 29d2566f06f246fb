// Prometheus metrics of the proxy (prometheus-cpp text serializer).
//
//   graft_proxy_requests_total{variant,status}          counter
//   graft_proxy_request_duration_seconds{variant}       histogram (client-side latency)
//   graft_proxy_upstream_healthy{variant,upstream}      gauge, 1 healthy / 0 down
//   graft_proxy_failovers_total{variant}                counter, requests sent to the
//                                                       baseline because `variant` had
//                                                       no healthy upstream
//   graft_proxy_upstream_retries_total                  counter
//   graft_proxy_mirror_requests_total                   counter, mirror copies sent
//   graft_proxy_mirror_dropped_total                    counter, copies not sent (queue
//                                                       full or body over the bound)
//   graft_proxy_upstream_overruns_total                 counter, upstream connections
//                                                       closed because bytes came past
//                                                       the end of a response
//   graft_proxy_idle_connections_closed_total           counter, idle client connections
//                                                       closed to make room near
//                                                       max_connections
//   graft_proxy_access_log_dropped_total                counter, lines not written
//                                                       (queue full or write failed)
//   graft_proxy_route_generation                        gauge
//
// Per-request figures live in one WorkerStats per worker thread: only that thread writes
// them, with relaxed stores (no lock, no read-modify-write, no cache line shared with the
// other workers), and a scrape or /status sums the workers. The few control-plane gauges
// live in a prometheus-cpp registry.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "stats/histogram.h"

namespace prometheus {
class Registry;
class Gauge;
template <typename T>
class Family;
}  // namespace prometheus

namespace graft::proxy {

// Upper bounds, in seconds, of the latency histogram's buckets (+Inf is implied).
inline constexpr std::array<double, 14> kLatencyBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

// Events counted without a variant.
enum class Event { kRetry, kMirrorSent, kMirrorDropped, kUpstreamOverrun, kIdleClosed };
inline constexpr std::size_t kEventCount = 5;

// Sums over every worker, for /status.
struct Totals {
  std::uint64_t requests = 0;
  std::uint64_t failovers = 0;
  std::uint64_t retries = 0;
  std::uint64_t mirror_sent = 0;
  std::uint64_t mirror_dropped = 0;
  std::uint64_t upstream_overruns = 0;
  std::uint64_t idle_closed = 0;
};

// What one variant saw since the proxy started, summed over the workers: the typed view the
// experiment controller reads (take two snapshots and subtract for a window).
struct VariantSnapshot {
  std::string name;
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;         // status >= 500, the proxy's own 502/503/504 included
  std::uint64_t failovers = 0;      // requests of this variant sent to the baseline instead
  stats::LatencyHistogram latency;  // client-side latency, microseconds, within 1%
};

// One worker's open connections and requests so far, for /status.
struct WorkerFigures {
  std::int64_t connections = 0;
  std::uint64_t requests = 0;
};

// One worker thread's request statistics. The recording calls must only come from the
// thread that owns it; Metrics reads it from any thread.
class alignas(64) WorkerStats {
 public:
  // Counts one finished request: status and latency in seconds.
  void record(std::string_view variant, int status, double seconds);
  // Counts one request of `variant` sent to the baseline instead.
  void failover(std::string_view variant);
  void count(Event event, std::uint64_t times = 1);
  void connection_opened();
  void connection_closed();

 private:
  friend class Metrics;
  // Statuses 0-999 each have a slot; anything else counts as 0.
  static constexpr std::size_t kStatusSlots = 1000;
  struct Variant {
    std::string name;
    std::array<std::atomic<std::uint64_t>, kStatusSlots> by_status{};
    std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size() + 1> buckets{};
    // The same latencies in stats::LatencyHistogram's fine buckets (microseconds).
    std::array<std::atomic<std::uint64_t>, stats::LatencyHistogram::kBucketCount> fine{};
    std::atomic<double> seconds{0};
    std::atomic<std::uint64_t> failovers{0};
  };
  Variant& variant(std::string_view name);

  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::int64_t> connections_{0};
  std::array<std::atomic<std::uint64_t>, kEventCount> events_{};
  Variant* last_ = nullptr;  // the owner's most recent lookup
  std::mutex growth_;        // held while variants_ grows and while a reader reads
  std::vector<std::unique_ptr<Variant>> variants_;
};

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // A new worker's statistics, alive as long as this object.
  WorkerStats& add_worker();
  [[nodiscard]] Totals totals() const;
  [[nodiscard]] std::vector<WorkerFigures> workers() const;
  // Every variant that has seen a request, in the order first seen by any worker.
  [[nodiscard]] std::vector<VariantSnapshot> snapshot() const;

  void set_upstream_healthy(std::string_view variant, std::string_view upstream, bool healthy);
  void set_access_log_dropped(std::uint64_t total);
  void set_route_generation(std::uint64_t generation);

  // The Prometheus text exposition format (version 0.0.4) of every series.
  [[nodiscard]] std::string serialize() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Gauge>* healthy_;
  prometheus::Gauge* access_log_dropped_;
  prometheus::Gauge* generation_;
  mutable std::mutex workers_mutex_;
  std::vector<std::unique_ptr<WorkerStats>> workers_;
};

}  // namespace graft::proxy
