#include "stats/mann_whitney.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "stats/distributions.h"

namespace graft::stats {
namespace {

// Accumulates tie groups in increasing order of value: `x` values of the first sample
// and `y` of the second share one value (one midrank).
class RankSums {
 public:
  void add_group(long double x, long double y) {
    const long double size = x + y;
    if (size == 0) return;
    const long double midrank = seen_ + (size + 1) / 2;
    rank_sum_x_ += x * midrank;
    tie_term_ += size * size * size - size;
    seen_ += size;
    n_x_ += x;
    n_y_ += y;
  }

  [[nodiscard]] MannWhitneyResult result() const;

 private:
  long double seen_ = 0;
  long double rank_sum_x_ = 0;
  long double tie_term_ = 0;  // sum over tie groups of t^3 - t
  long double n_x_ = 0;
  long double n_y_ = 0;
};

MannWhitneyResult RankSums::result() const {
  MannWhitneyResult result;
  if (n_x_ == 0 || n_y_ == 0) return result;
  const long double u_x = rank_sum_x_ - n_x_ * (n_x_ + 1) / 2;
  result.u = static_cast<double>(u_x);
  const long double n = n_x_ + n_y_;
  const long double variance = n_x_ * n_y_ / 12 * ((n + 1) - tie_term_ / (n * (n - 1)));
  if (!(variance > 0)) return result;  // every value equal
  // Two-sided: the larger of U_x and U_y, less the continuity correction.
  const long double u_max = std::max(u_x, n_x_ * n_y_ - u_x);
  result.z = static_cast<double>((u_max - n_x_ * n_y_ / 2 - 0.5L) / std::sqrt(variance));
  result.p_value = std::clamp(2 * normal_sf(result.z), 0.0, 1.0);
  return result;
}

}  // namespace

MannWhitneyResult mann_whitney_u(std::span<const double> x, std::span<const double> y) {
  std::vector<double> xs(x.begin(), x.end());
  std::vector<double> ys(y.begin(), y.end());
  std::sort(xs.begin(), xs.end());
  std::sort(ys.begin(), ys.end());
  RankSums sums;
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < xs.size() || j < ys.size()) {
    const double value = (j == ys.size() || (i < xs.size() && xs[i] < ys[j])) ? xs[i] : ys[j];
    long double count_x = 0;
    long double count_y = 0;
    for (; i < xs.size() && xs[i] == value; ++i) ++count_x;
    for (; j < ys.size() && ys[j] == value; ++j) ++count_y;
    sums.add_group(count_x, count_y);
  }
  return sums.result();
}

MannWhitneyResult mann_whitney_u(const LatencyHistogram& x, const LatencyHistogram& y) {
  RankSums sums;
  for (std::size_t i = 0; i < LatencyHistogram::kBucketCount; ++i) {
    sums.add_group(static_cast<long double>(x.counts()[i]),
                   static_cast<long double>(y.counts()[i]));
  }
  return sums.result();
}

}  // namespace graft::stats
