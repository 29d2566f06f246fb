#include "proxy/metrics.h"

#include <gtest/gtest.h>

namespace graft::proxy {
namespace {

TEST(MetricsTest, SnapshotSumsTheWorkersPerVariantWithFineLatencies) {
  Metrics metrics;
  WorkerStats& first = metrics.add_worker();
  WorkerStats& second = metrics.add_worker();
  for (int i = 1; i <= 1000; ++i) first.record("baseline", 200, i * 1e-4);  // 0.1 .. 100 ms
  first.record("treatment", 503, 0.250);
  second.record("treatment", 200, 0.010);
  second.record("treatment", 500, 0.020);
  second.record("baseline", 404, 0.001);
  second.failover("treatment");

  std::vector<VariantSnapshot> snapshot = metrics.snapshot();
  ASSERT_EQ(snapshot.size(), 2u);
  const VariantSnapshot& baseline = snapshot[0];
  const VariantSnapshot& treatment = snapshot[1];
  EXPECT_EQ(baseline.name, "baseline");
  EXPECT_EQ(baseline.requests, 1001u);
  EXPECT_EQ(baseline.errors, 0u);
  EXPECT_EQ(baseline.latency.count(), 1001u);
  // the 99th percentile of 0.1 .. 100 ms (and one 1 ms) is 99 ms, within 1%
  EXPECT_NEAR(*baseline.latency.percentile(99), 99'000, 990);
  EXPECT_EQ(treatment.name, "treatment");
  EXPECT_EQ(treatment.requests, 3u);
  EXPECT_EQ(treatment.errors, 2u);
  EXPECT_EQ(treatment.failovers, 1u);
  EXPECT_NEAR(*treatment.latency.percentile(100), 250'000, 2'500);
}

TEST(MetricsTest, TwoSnapshotsGiveAWindow) {
  Metrics metrics;
  WorkerStats& worker = metrics.add_worker();
  worker.record("baseline", 200, 0.005);
  VariantSnapshot before = metrics.snapshot().front();
  worker.record("baseline", 200, 0.040);
  worker.record("baseline", 502, 0.041);
  VariantSnapshot after = metrics.snapshot().front();
  auto window = after.latency.subtract(before.latency);
  ASSERT_TRUE(window);
  EXPECT_EQ(window->count(), 2u);
  EXPECT_EQ(after.requests - before.requests, 2u);
  EXPECT_EQ(after.errors - before.errors, 1u);
  EXPECT_NEAR(*window->percentile(0), 40'000, 400);
}

}  // namespace
}  // namespace graft::proxy
