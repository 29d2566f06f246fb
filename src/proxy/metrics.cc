#include "proxy/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace graft::proxy {
namespace {

const prometheus::Histogram::BucketBoundaries& latency_buckets() {
  static const prometheus::Histogram::BucketBoundaries buckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return buckets;
}

}  // namespace

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  requests_ = &prometheus::BuildCounter()
                   .Name("graft_proxy_requests_total")
                   .Help("Requests answered by the proxy, by variant and status")
                   .Register(*registry_);
  latency_ = &prometheus::BuildHistogram()
                  .Name("graft_proxy_request_duration_seconds")
                  .Help("Time from request head to last response byte, by variant")
                  .Register(*registry_);
  healthy_ = &prometheus::BuildGauge()
                  .Name("graft_proxy_upstream_healthy")
                  .Help("1 when the upstream passes its health checks, else 0")
                  .Register(*registry_);
  failovers_ = &prometheus::BuildCounter()
                    .Name("graft_proxy_failovers_total")
                    .Help("Requests sent to the baseline because the variant had no healthy "
                          "upstream")
                    .Register(*registry_);
  retries_ = &prometheus::BuildCounter()
                  .Name("graft_proxy_upstream_retries_total")
                  .Help("Requests retried on another upstream after a connect failure")
                  .Register(*registry_)
                  .Add({});
  auto& mirror = prometheus::BuildCounter()
                     .Name("graft_proxy_mirror_requests_total")
                     .Help("Mirror copies sent to the shadow variant")
                     .Register(*registry_);
  mirror_sent_ = &mirror.Add({});
  mirror_dropped_ = &prometheus::BuildCounter()
                         .Name("graft_proxy_mirror_dropped_total")
                         .Help("Mirror copies dropped (queue full or body over the bound)")
                         .Register(*registry_)
                         .Add({});
  access_log_dropped_ = &prometheus::BuildGauge()
                             .Name("graft_proxy_access_log_dropped_total")
                             .Help("Access log lines dropped because the queue was full")
                             .Register(*registry_)
                             .Add({});
  generation_ = &prometheus::BuildGauge()
                     .Name("graft_proxy_route_generation")
                     .Help("Generation of the route table in use")
                     .Register(*registry_)
                     .Add({});
}

Metrics::~Metrics() = default;

prometheus::Counter& Metrics::requests(std::string_view variant, int status) {
  return requests_->Add({{"variant", std::string(variant)}, {"status", std::to_string(status)}});
}

prometheus::Histogram& Metrics::latency(std::string_view variant) {
  return latency_->Add({{"variant", std::string(variant)}}, latency_buckets());
}

prometheus::Counter& Metrics::failovers(std::string_view variant) {
  return failovers_->Add({{"variant", std::string(variant)}});
}

void Metrics::set_upstream_healthy(std::string_view variant, std::string_view upstream,
                                   bool healthy) {
  healthy_->Add({{"variant", std::string(variant)}, {"upstream", std::string(upstream)}})
      .Set(healthy ? 1 : 0);
}

void Metrics::count_retry() { retries_->Increment(); }
void Metrics::count_mirror_sent() { mirror_sent_->Increment(); }
void Metrics::count_mirror_dropped() { mirror_dropped_->Increment(); }

void Metrics::set_access_log_dropped(std::uint64_t total) {
  access_log_dropped_->Set(static_cast<double>(total));
}

void Metrics::set_route_generation(std::uint64_t generation) {
  generation_->Set(static_cast<double>(generation));
}

std::string Metrics::serialize() const {
  prometheus::TextSerializer serializer;
  return serializer.Serialize(registry_->Collect());
}

void MetricsRecorder::record(std::string_view variant, int status, double seconds) {
  VariantSeries* series_ptr = nullptr;
  for (VariantSeries& candidate : variants_) {
    if (candidate.name == variant) series_ptr = &candidate;
  }
  if (series_ptr == nullptr) {
    variants_.push_back({std::string(variant), &metrics_->latency(variant), {}});
    series_ptr = &variants_.back();
  }
  VariantSeries& series = *series_ptr;
  auto counter = series.by_status.find(status);
  if (counter == series.by_status.end()) {
    counter = series.by_status.emplace(status, &metrics_->requests(variant, status)).first;
  }
  counter->second->Increment();
  series.latency->Observe(seconds);
}

void MetricsRecorder::failover(std::string_view variant) {
  metrics_->failovers(variant).Increment();
}

}  // namespace graft::proxy
