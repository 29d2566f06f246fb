// The normal, chi-squared and Student's t distributions graft's tests need, computed by
// Boost.Math (kept out of this header). Pure functions, thread-safe. Arguments outside a
// distribution's domain (NaN, df <= 0) give NaN; infinities give the limits.
#pragma once

namespace graft::stats {

// Standard normal: P(Z <= z), P(Z > z), and the z with P(Z <= z) = p (p in (0, 1)).
[[nodiscard]] double normal_cdf(double z);
[[nodiscard]] double normal_sf(double z);
[[nodiscard]] double normal_quantile(double p);

// P(X > x) for X chi-squared with `df` degrees of freedom (df > 0).
[[nodiscard]] double chi_squared_sf(double x, double df);

// P(T > t) for T Student's t with `df` degrees of freedom (df > 0; +inf is the normal).
[[nodiscard]] double student_t_sf(double t, double df);

}  // namespace graft::stats
