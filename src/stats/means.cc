#include "stats/means.h"

#include <cmath>
#include <limits>

#include "stats/distributions.h"

namespace graft::stats {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// Variance of each variant's mean: v / n.
double variance_of_mean(const Moments& moments) {
  return moments.variance() / static_cast<double>(moments.count());
}

// The s > 0 with P(Z > c - s) + P(Z < -c - s) = power, c = z(1 - alpha/2): the
// standardised shift a two-sided normal test of level alpha detects with that power.
double detectable_shift(double alpha, double power) {
  const double critical = normal_quantile(1 - alpha / 2);
  auto power_at = [&](double s) { return normal_sf(critical - s) + normal_cdf(-critical - s); };
  double low = 0;
  double high = critical + normal_quantile(power) + 1;
  while (power_at(high) < power) high *= 2;
  for (int i = 0; i < 200 && low < high; ++i) {
    const double middle = (low + high) / 2;
    if (middle == low || middle == high) break;
    (power_at(middle) < power ? low : high) = middle;
  }
  return (low + high) / 2;
}

}  // namespace

void Moments::add(double value) {
  ++count_;
  const double delta = value - mean_;
  mean_ += delta / static_cast<double>(count_);
  m2_ += delta * (value - mean_);
}

Moments& Moments::operator+=(const Moments& other) {
  if (other.count_ == 0) return *this;
  if (count_ == 0) return *this = other;
  const double n_a = static_cast<double>(count_);
  const double n_b = static_cast<double>(other.count_);
  const double n = n_a + n_b;
  const double delta = other.mean_ - mean_;
  mean_ += delta * n_b / n;
  m2_ += other.m2_ + delta * delta * n_a * n_b / n;
  count_ += other.count_;
  return *this;
}

double Moments::variance() const {
  if (count_ < 2) return 0;
  return m2_ / static_cast<double>(count_ - 1);
}

WelchResult welch_t_test(const Moments& treatment, const Moments& baseline) {
  WelchResult result;
  if (treatment.count() < 2 || baseline.count() < 2) return result;
  const double difference = treatment.mean() - baseline.mean();
  const double v_t = variance_of_mean(treatment);
  const double v_b = variance_of_mean(baseline);
  const double v = v_t + v_b;
  if (!(v > 0)) {
    if (difference == 0) return result;
    result.t = std::copysign(kInfinity, difference);
    result.df = static_cast<double>(treatment.count() + baseline.count() - 2);
    result.p_value = 0;
    return result;
  }
  result.t = difference / std::sqrt(v);
  result.df = v * v /
              (v_t * v_t / static_cast<double>(treatment.count() - 1) +
               v_b * v_b / static_cast<double>(baseline.count() - 1));
  result.p_value = std::min(1.0, 2 * student_t_sf(std::fabs(result.t), result.df));
  return result;
}

std::optional<Lift> relative_lift(const Moments& treatment, const Moments& baseline, double alpha) {
  if (treatment.count() < 2 || baseline.count() < 2 || baseline.mean() == 0) {
    return std::nullopt;
  }
  const double m_t = treatment.mean();
  const double m_b = baseline.mean();
  const double variance = variance_of_mean(treatment) / (m_b * m_b) +
                          m_t * m_t * variance_of_mean(baseline) / (m_b * m_b * m_b * m_b);
  const double half = normal_quantile(1 - alpha / 2) * std::sqrt(variance);
  const double lift = m_t / m_b - 1;
  return Lift{.lift = lift, .ci = {lift - half, lift + half}};
}

std::optional<double> users_for_power(const Moments& treatment, const Moments& baseline,
                                      double alpha, double power) {
  if (treatment.count() < 2 || baseline.count() < 2) return std::nullopt;
  const double difference = std::fabs(treatment.mean() - baseline.mean());
  if (difference == 0) return std::nullopt;
  const double variance = (treatment.variance() + baseline.variance()) / 2;
  if (!(variance > 0)) return 0.0;
  const double effect = difference / std::sqrt(variance);
  // Per-variant n with n / 2 effective observations: shift = effect * sqrt(n / 2).
  const double shift = detectable_shift(alpha, power);
  return 2 * shift * shift / (effect * effect);
}

}  // namespace graft::stats
