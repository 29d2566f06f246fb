#include "stats/histogram.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace graft::stats {
namespace {

using H = LatencyHistogram;

TEST(LatencyHistogram, BucketsTileTheRangeWithoutGaps) {
  EXPECT_EQ(H::bucket_lower(0), 0u);
  for (std::size_t i = 0; i + 1 < H::kBucketCount; ++i) {
    ASSERT_EQ(H::bucket_upper(i) + 1, H::bucket_lower(i + 1)) << "bucket " << i;
    ASSERT_LE(H::bucket_lower(i), H::bucket_upper(i));
  }
  EXPECT_EQ(H::bucket_upper(H::kBucketCount - 1), H::kMaxMicros);
}

TEST(LatencyHistogram, EveryValueLandsInItsBucketAndIsReportedWithin0_79Percent) {
  std::mt19937_64 random(7);
  std::vector<std::uint64_t> values;
  for (std::uint64_t v = 0; v < 5000; ++v) values.push_back(v);
  for (int i = 0; i < 200'000; ++i) values.push_back(random() % (H::kMaxMicros + 1));
  for (int e = 0; e <= 27; ++e) {
    values.push_back((std::uint64_t{1} << e) - 1);  // the last of each octave
    if (e <= H::kTopExponent) values.push_back(std::uint64_t{1} << e);
  }
  for (std::uint64_t v : values) {
    const std::size_t index = H::bucket_index(v);
    ASSERT_LT(index, H::kBucketCount);
    ASSERT_LE(H::bucket_lower(index), v);
    ASSERT_GE(H::bucket_upper(index), v);
    if (v > 0) {
      ASSERT_LE(std::fabs(H::bucket_value(index) - v) / v, 1.0 / 128) << v;
    }
  }
}

TEST(LatencyHistogram, BucketGrowthIsAtMost1_02AboveTheExactRange) {
  for (std::size_t i = H::kExactLimit; i < H::kBucketCount; ++i) {
    const double growth = static_cast<double>(H::bucket_upper(i) + 1) / H::bucket_lower(i);
    ASSERT_LE(growth, 1.0 + 1.0 / 64) << "bucket " << i;
  }
  for (std::size_t i = 0; i < H::kExactLimit; ++i) EXPECT_EQ(H::bucket_value(i), double(i));
}

// Latencies from 1 µs to 100 s, log-uniform, plus a lognormal body.
std::vector<double> random_latencies(std::mt19937_64& random, int count) {
  std::uniform_real_distribution<double> log_uniform(0.0, std::log(1e8));
  std::lognormal_distribution<double> body(std::log(20'000.0), 1.0);
  std::vector<double> values;
  for (int i = 0; i < count; ++i) {
    const double v = (i % 3 == 0) ? std::exp(log_uniform(random)) : body(random);
    values.push_back(std::floor(std::clamp(v, 1.0, 1e8)));
  }
  return values;
}

TEST(LatencyHistogram, PercentilesAreWithinOnePercentOfTheExactNearestRank) {
  std::mt19937_64 random(20240415);
  double worst = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const std::vector<double> values = random_latencies(random, 1 + trial * 37);
    H histogram;
    for (double v : values) histogram.record(static_cast<std::uint64_t>(v));
    for (double percent : {0.0, 1.0, 25.0, 50.0, 90.0, 95.0, 99.0, 99.9, 100.0}) {
      const double exact = *percentile_nearest_rank(values, percent);
      const double estimate = *histogram.percentile(percent);
      worst = std::max(worst, std::fabs(estimate - exact) / exact);
    }
  }
  EXPECT_LT(worst, 0.01);
  EXPECT_LE(worst, 1.0 / 128);
  EXPECT_GT(worst, 0.0) << "the test must exercise inexact buckets";
}

TEST(LatencyHistogram, MergeEqualsRecordingEverything) {
  std::mt19937_64 random(1);
  const std::vector<double> a = random_latencies(random, 5000);
  const std::vector<double> b = random_latencies(random, 3000);
  H ha, hb, both;
  for (double v : a) ha.record(static_cast<std::uint64_t>(v));
  for (double v : b) hb.record(static_cast<std::uint64_t>(v));
  for (double v : a) both.record(static_cast<std::uint64_t>(v));
  for (double v : b) both.record(static_cast<std::uint64_t>(v));
  ha += hb;
  EXPECT_EQ(ha, both);
  EXPECT_EQ(ha.count(), 8000u);
  EXPECT_EQ(std::accumulate(ha.counts().begin(), ha.counts().end(), std::uint64_t{0}), 8000u);
}

TEST(LatencyHistogram, SubtractingAnEarlierSnapshotGivesTheWindow) {
  H cumulative, window;
  cumulative.record(100, 5);
  cumulative.record(5000);
  const H snapshot = cumulative;
  for (std::uint64_t v : {7u, 100u, 250'000u, 999'999'999u}) {
    cumulative.record(v);
    window.record(v);
  }
  Result<H> delta = cumulative.subtract(snapshot);
  ASSERT_TRUE(delta) << delta.error().message();
  EXPECT_EQ(*delta, window);
  EXPECT_EQ(delta->count(), 4u);
  EXPECT_EQ(delta->clamped(), 1u);
}

TEST(LatencyHistogram, SubtractingALaterSnapshotIsAnError) {
  H earlier, later;
  later.record(10);
  earlier.record(10, 2);
  Result<H> delta = later.subtract(earlier);
  ASSERT_FALSE(delta);
  EXPECT_EQ(delta.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(delta.error().message(),
            "cannot subtract histograms: the earlier snapshot has 2 values in bucket [10, 10] "
            "µs, more than the later one (1)");
}

TEST(LatencyHistogram, ClampsValuesAboveTheRange) {
  H histogram;
  histogram.record(std::uint64_t{1} << 40);
  EXPECT_EQ(histogram.clamped(), 1u);
  EXPECT_EQ(histogram.counts().back(), 1u);
  EXPECT_EQ(*histogram.percentile(50), H::bucket_value(H::kBucketCount - 1));
}

TEST(LatencyHistogram, EmptyOrOutOfRangePercentileHasNoValue) {
  H histogram;
  EXPECT_FALSE(histogram.percentile(50));
  histogram.record(0);
  EXPECT_EQ(histogram.percentile(50), 0.0);
  EXPECT_FALSE(histogram.percentile(-1));
  EXPECT_FALSE(histogram.percentile(100.5));
  EXPECT_FALSE(histogram.percentile(std::nan("")));
}

TEST(PercentileNearestRank, Table) {
  const std::vector<double> ten = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
  const std::pair<double, double> cases[] = {
      {0, 1}, {10, 1}, {10.01, 2}, {50, 5}, {95, 10}, {99, 10}, {100, 10},
  };
  for (const auto& [percent, expected] : cases) {
    EXPECT_EQ(percentile_nearest_rank(ten, percent), expected) << percent;
  }
  std::vector<double> thousand(1000);
  std::iota(thousand.begin(), thousand.end(), 1.0);
  EXPECT_EQ(percentile_nearest_rank(thousand, 99.9), 999.0);
  EXPECT_EQ(percentile_nearest_rank(thousand, 99.95), 1000.0);
  EXPECT_EQ(percentile_nearest_rank(std::vector<double>{4.5}, 99), 4.5);
  EXPECT_FALSE(percentile_nearest_rank(std::vector<double>{}, 50));
  EXPECT_FALSE(percentile_nearest_rank(ten, 101));
}

TEST(NearestRank, HugeCounts) {
  EXPECT_EQ(nearest_rank(50, 3'000'000'000'000ull), 1'500'000'000'000ull);
  EXPECT_EQ(nearest_rank(99, 1), 1u);
  EXPECT_EQ(nearest_rank(0, 10), 1u);
}

}  // namespace
}  // namespace graft::stats
