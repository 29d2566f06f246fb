#include "stats/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <vector>

#include <fmt/core.h>

namespace graft::stats {
namespace {

constexpr std::uint64_t kSubBuckets = std::uint64_t{1} << LatencyHistogram::kSubBucketBits;

// The exponent of the octave a bucket index lies in (kSubBucketBits for the exact range).
int octave_of(std::size_t index) {
  if (index < LatencyHistogram::kExactLimit) return LatencyHistogram::kSubBucketBits;
  return static_cast<int>(index / kSubBuckets) + LatencyHistogram::kSubBucketBits - 1;
}

}  // namespace

std::size_t LatencyHistogram::bucket_index(std::uint64_t micros) {
  micros = std::min(micros, kMaxMicros);
  if (micros < kSubBuckets) return static_cast<std::size_t>(micros);
  // For 2^e <= micros < 2^(e+1), e >= 6: 64 buckets of width 2^(e-6) per octave.
  const int shift = static_cast<int>(std::bit_width(micros)) - 1 - kSubBucketBits;
  return static_cast<std::size_t>(shift) * kSubBuckets + (micros >> shift);
}

std::uint64_t LatencyHistogram::bucket_lower(std::size_t index) {
  if (index < kExactLimit) return index;
  const int shift = octave_of(index) - kSubBucketBits;
  return (kSubBuckets + index % kSubBuckets) << shift;
}

std::uint64_t LatencyHistogram::bucket_upper(std::size_t index) {
  if (index < kExactLimit) return index;
  const int shift = octave_of(index) - kSubBucketBits;
  return bucket_lower(index) + (std::uint64_t{1} << shift) - 1;
}

double LatencyHistogram::bucket_value(std::size_t index) {
  return (static_cast<double>(bucket_lower(index)) + static_cast<double>(bucket_upper(index))) /
         2.0;
}

void LatencyHistogram::record(std::uint64_t micros, std::uint64_t count) {
  if (micros > kMaxMicros) clamped_ += count;
  counts_[bucket_index(micros)] += count;
  count_ += count;
}

std::size_t LatencyHistogram::bucket_at_rank(std::uint64_t rank) const {
  std::uint64_t seen = 0;
  std::size_t last = 0;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    if (counts_[i] == 0) continue;
    seen += counts_[i];
    last = i;
    if (seen >= rank) break;
  }
  return last;
}

std::optional<double> LatencyHistogram::percentile(double percent) const {
  if (count_ == 0 || !(percent >= 0.0 && percent <= 100.0)) return std::nullopt;
  return bucket_value(bucket_at_rank(nearest_rank(percent, count_)));
}

LatencyHistogram& LatencyHistogram::operator+=(const LatencyHistogram& other) {
  for (std::size_t i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  clamped_ += other.clamped_;
  return *this;
}

Result<LatencyHistogram> LatencyHistogram::subtract(const LatencyHistogram& earlier) const {
  LatencyHistogram delta;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    if (earlier.counts_[i] > counts_[i]) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("cannot subtract histograms: the earlier snapshot has {} values "
                              "in bucket [{}, {}] µs, more than the later one ({})",
                              earlier.counts_[i], bucket_lower(i), bucket_upper(i), counts_[i]));
    }
    delta.counts_[i] = counts_[i] - earlier.counts_[i];
  }
  delta.count_ = count_ - earlier.count_;
  delta.clamped_ = clamped_ >= earlier.clamped_ ? clamped_ - earlier.clamped_ : 0;
  return delta;
}

std::uint64_t nearest_rank(double percent, std::uint64_t count) {
  // percent * count / 100 in long double, forgiving the rounding of a decimal percent
  // (99.9% of 1000 values is rank 999, not 1000).
  const long double exact = static_cast<long double>(percent) * count / 100.0L;
  const long double rounded = std::round(exact);
  const long double position =
      std::fabs(exact - rounded) <= 1e-9L * std::max(1.0L, exact) ? rounded : std::ceil(exact);
  return std::clamp<std::uint64_t>(static_cast<std::uint64_t>(position), 1, count);
}

std::optional<double> percentile_nearest_rank(std::span<const double> values, double percent) {
  if (values.empty() || !(percent >= 0.0 && percent <= 100.0)) return std::nullopt;
  std::vector<double> sorted(values.begin(), values.end());
  const auto nth =
      sorted.begin() + static_cast<std::ptrdiff_t>(nearest_rank(percent, sorted.size()) - 1);
  std::nth_element(sorted.begin(), nth, sorted.end());
  return *nth;
}

}  // namespace graft::stats
