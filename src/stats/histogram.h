// Latency histograms and exact percentiles.
//
// LatencyHistogram counts latencies in whole microseconds in fixed log-linear buckets
// (the HDR histogram layout): values below 128 µs each have their own bucket; above, every
// power of two [2^e, 2^(e+1)) is cut into 64 equal buckets, so a bucket's upper bound is at
// most 1 + 1/64 (1.0156) times its lower bound. A bucket reports the middle of the whole
// microseconds it holds, which is within 1/128 (0.79%) of any of them: a percentile read
// from the histogram is within 0.79% of the exact nearest-rank percentile of the recorded
// values. Values from 0 to kMaxMicros (2^27 - 1 µs, about 134 s) are kept; larger ones are
// counted as kMaxMicros (clamped()). record() is O(1) (integer operations only); memory is
// fixed (kBucketCount counters, about 11 KB); copy, +=, and subtract() are one pass over the
// counters, so a controller can keep cumulative snapshots and take per-window deltas.
//
// Thread-safety: a LatencyHistogram is a plain value; concurrent record() calls on one
// object race. Keep one per thread and merge them with +=.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "base/result.h"

namespace graft::stats {

class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 6;                            // 64 per octave
  static constexpr std::uint64_t kExactLimit = 2u << kSubBucketBits;  // 128: exact below
  static constexpr int kTopExponent = 26;                             // last octave 2^26
  static constexpr std::uint64_t kMaxMicros = (std::uint64_t{1} << (kTopExponent + 1)) - 1;
  static constexpr std::size_t kBucketCount =
      kExactLimit + (kTopExponent - kSubBucketBits) * (std::size_t{1} << kSubBucketBits);

  // Adds one latency (microseconds). Values above kMaxMicros count as kMaxMicros.
  void record(std::uint64_t micros) { record(micros, 1); }
  // Adds `count` latencies of the same value.
  void record(std::uint64_t micros, std::uint64_t count);

  [[nodiscard]] std::uint64_t count() const { return count_; }
  // How many recorded values were above kMaxMicros (and counted as kMaxMicros).
  [[nodiscard]] std::uint64_t clamped() const { return clamped_; }

  // The nearest-rank percentile (percent in [0, 100]): the value of rank ceil(percent/100 *
  // count) (rank 1 for percent 0) in increasing order, as the middle of its bucket, in
  // microseconds. nullopt when the histogram is empty or percent is outside [0, 100].
  [[nodiscard]] std::optional<double> percentile(double percent) const;

  // The index of the bucket holding the value of 1-based `rank` in increasing order
  // (rank in [1, count()]; a larger rank gives the last non-empty bucket).
  [[nodiscard]] std::size_t bucket_at_rank(std::uint64_t rank) const;

  // Adds every count of `other` (merging per-thread histograms).
  LatencyHistogram& operator+=(const LatencyHistogram& other);

  // This histogram minus an earlier cumulative snapshot of the same counters: the values
  // recorded in between. Errors: kInvalidArgument when `earlier` has more in some bucket
  // (it is not an earlier snapshot of this histogram, e.g. the counters were reset).
  [[nodiscard]] Result<LatencyHistogram> subtract(const LatencyHistogram& earlier) const;

  // The buckets, lowest first: counts()[i] values lie in [bucket_lower(i), bucket_upper(i)]
  // (whole microseconds, both inclusive) and are reported as bucket_value(i).
  [[nodiscard]] std::span<const std::uint64_t> counts() const { return counts_; }
  [[nodiscard]] static std::size_t bucket_index(std::uint64_t micros);
  [[nodiscard]] static std::uint64_t bucket_lower(std::size_t index);
  [[nodiscard]] static std::uint64_t bucket_upper(std::size_t index);
  [[nodiscard]] static double bucket_value(std::size_t index);

  friend bool operator==(const LatencyHistogram&, const LatencyHistogram&) = default;

 private:
  std::array<std::uint64_t, kBucketCount> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t clamped_ = 0;
};

// The exact nearest-rank percentile of `values` (any unit): the value of rank
// ceil(percent/100 * n) (rank 1 for percent 0) in increasing order; numpy's
// percentile(values, percent, method="inverted_cdf"). nullopt when `values` is empty or
// percent is outside [0, 100]. O(n) (a copy and nth_element).
[[nodiscard]] std::optional<double> percentile_nearest_rank(std::span<const double> values,
                                                            double percent);

// The 1-based nearest rank of `percent` among `count` values (count > 0).
[[nodiscard]] std::uint64_t nearest_rank(double percent, std::uint64_t count);

}  // namespace graft::stats
