// Prometheus metrics of the proxy (prometheus-cpp core registry + text serializer).
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
//   graft_proxy_access_log_dropped_total                counter
//   graft_proxy_route_generation                        gauge
//
// Thread-safety: Metrics is safe from any thread (prometheus-cpp locks on series
// creation). A MetricsRecorder caches series pointers for one thread and must only be used
// by that thread; its fast path takes no lock except the histogram's own.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace graft::proxy {

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  prometheus::Counter& requests(std::string_view variant, int status);
  prometheus::Histogram& latency(std::string_view variant);
  prometheus::Counter& failovers(std::string_view variant);
  void set_upstream_healthy(std::string_view variant, std::string_view upstream, bool healthy);
  void count_retry();
  void count_mirror_sent();
  void count_mirror_dropped();
  void set_access_log_dropped(std::uint64_t total);
  void set_route_generation(std::uint64_t generation);

  // The Prometheus text exposition format (version 0.0.4) of every series.
  [[nodiscard]] std::string serialize() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Histogram>* latency_;
  prometheus::Family<prometheus::Gauge>* healthy_;
  prometheus::Family<prometheus::Counter>* failovers_;
  prometheus::Counter* retries_;
  prometheus::Counter* mirror_sent_;
  prometheus::Counter* mirror_dropped_;
  prometheus::Gauge* access_log_dropped_;
  prometheus::Gauge* generation_;
};

// Per-thread cache of the request series of each variant.
class MetricsRecorder {
 public:
  explicit MetricsRecorder(Metrics* metrics) : metrics_(metrics) {}
  // Counts one finished request: status and latency in seconds.
  void record(std::string_view variant, int status, double seconds);
  void failover(std::string_view variant);
  Metrics& metrics() { return *metrics_; }

 private:
  struct VariantSeries {
    std::string name;
    prometheus::Histogram* latency = nullptr;
    std::unordered_map<int, prometheus::Counter*> by_status;
  };
  Metrics* metrics_;
  std::vector<VariantSeries> variants_;  // few variants: a linear scan beats hashing
};

}  // namespace graft::proxy
