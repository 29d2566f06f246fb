// Compares every fixed-horizon figure with scipy / statsmodels / numpy (testdata/
// reference.py) on inputs generated here with a fixed seed: equal to 1e-6 relative.
// Debian's python3 (/usr/bin/python3, else python3 on PATH) with python3-scipy and
// python3-statsmodels is part of the build's dependencies (scripts/setup installs them):
// when they are missing these tests fail, saying so.
#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/subprocess.h"
#include "stats/histogram.h"
#include "stats/mann_whitney.h"
#include "stats/means.h"
#include "stats/proportions.h"
#include "stats/srm.h"

namespace graft::stats {
namespace {

using Json = nlohmann::json;

constexpr double kRelative = 1e-6;

// Debian's interpreter, which the python3-* packages serve, even when another python3
// (pyenv, a virtualenv) comes first on PATH.
std::string python() {
  return std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

// Runs reference.py on {"kind": kind, "cases": cases}; returns its results (empty after a
// test failure).
Json reference(const std::string& kind, const Json& cases) {
  const std::string script = std::string(GRAFT_SOURCE_DIR) + "/src/stats/testdata/reference.py";
  const Json request = {{"kind", kind}, {"cases", cases}};
  Result<base::ProcessResult> run =
      base::run_process({.argv = {python(), script}, .stdin_data = request.dump()});
  if (!run) {
    ADD_FAILURE() << "cannot run python3 (scripts/setup installs it): " << run.error().message();
    return Json::array();
  }
  if (run->exit_code != 0) {
    ADD_FAILURE() << "reference.py failed (exit " << run->exit_code << "): " << run->stderr_text;
    return Json::array();
  }
  Json results = Json::parse(run->stdout_text)["results"];
  EXPECT_EQ(results.size(), cases.size());
  return results;
}

// |actual - expected| <= 1e-6 |expected|, or <= floor for figures that may be near 0.
// The default floor only forgives subnormal p-values (scipy flushes some to 0).
void expect_close(double actual, const Json& expected, const std::string& what,
                  double floor = 1e-300) {
  const double e = expected.get<double>();
  EXPECT_LE(std::fabs(actual - e), std::max(kRelative * std::fabs(e), floor))
      << what << ": graft " << actual << ", reference " << e;
}

std::vector<double> draw(std::mt19937_64& random, int count, double scale, bool ties) {
  std::gamma_distribution<double> gamma(2.0, scale);
  std::vector<double> values;
  for (int i = 0; i < count; ++i) {
    const double v = gamma(random);
    values.push_back(ties ? std::round(v) : v);
  }
  return values;
}

TEST(ScipyReference, ErrorRates) {
  std::mt19937_64 random(11);
  std::vector<std::array<std::uint64_t, 4>> inputs = {
      {0, 100, 3, 120},
      {50, 50, 40, 60},
      {1, 1, 0, 1},
      {7, 70, 7, 70},
      {1'000'000'000, 100'000'000'000, 999'000'000, 100'000'000'000}};
  for (int i = 0; i < 200; ++i) {
    const std::uint64_t tn = 1 + random() % (i < 100 ? 500 : 2'000'000);
    const std::uint64_t bn = 1 + random() % (i < 100 ? 500 : 2'000'000);
    const double rate = std::uniform_real_distribution<double>(0, 0.5)(random);
    inputs.push_back({std::binomial_distribution<std::uint64_t>(tn, rate * 1.1)(random), tn,
                      std::binomial_distribution<std::uint64_t>(bn, rate)(random), bn});
  }
  Json cases = Json::array();
  for (const auto& [tx, tn, bx, bn] : inputs) {
    cases.push_back({{"t_x", tx}, {"t_n", tn}, {"b_x", bx}, {"b_n", bn}});
  }
  const Json results = reference("proportions", cases);
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& [tx, tn, bx, bn] = inputs[i];
    const std::string what = cases[i].dump();
    const ProportionComparison ours = compare_proportions({tx, tn}, {bx, bn});
    expect_close(ours.delta, results[i]["delta"], what + " delta", 1e-15);
    expect_close(ours.ci.low, results[i]["low"], what + " newcombe low", 1e-12);
    expect_close(ours.ci.high, results[i]["high"], what + " newcombe high", 1e-12);
    const Interval wilson = wilson_interval({tx, tn});
    expect_close(wilson.low, results[i]["wilson_low"], what + " wilson low", 1e-12);
    expect_close(wilson.high, results[i]["wilson_high"], what + " wilson high", 1e-12);
    if (!results[i]["p"].is_null()) expect_close(ours.p_value, results[i]["p"], what + " p");
  }
}

TEST(ScipyReference, SampleRatioMismatch) {
  std::mt19937_64 random(12);
  Json cases = Json::array();
  std::vector<std::vector<SrmArm>> inputs;
  for (int i = 0; i < 100; ++i) {
    const int variants = 2 + i % 3;
    std::vector<SrmArm> arms;
    Json users = Json::array(), weights = Json::array();
    for (int v = 0; v < variants; ++v) {
      const double weight = 1 + static_cast<double>(random() % 99);
      const std::uint64_t count = random() % (i < 50 ? 1000 : 10'000'000);
      arms.push_back({count, weight});
      users.push_back(count);
      weights.push_back(weight);
    }
    inputs.push_back(arms);
    cases.push_back({{"users", users}, {"weights", weights}});
  }
  const Json results = reference("srm", cases);
  for (std::size_t i = 0; i < results.size(); ++i) {
    const SrmResult ours = sample_ratio_mismatch(inputs[i]).value();
    expect_close(ours.chi2, results[i]["chi2"], cases[i].dump() + " chi2");
    expect_close(ours.p_value, results[i]["p"], cases[i].dump() + " p");
  }
}

TEST(ScipyReference, MannWhitneyOnSamplesAndHistograms) {
  std::mt19937_64 random(13);
  Json cases = Json::array();
  std::vector<MannWhitneyResult> ours;
  for (int i = 0; i < 60; ++i) {
    const int nx = 1 + static_cast<int>(random() % (i < 30 ? 30 : 3000));
    const int ny = 1 + static_cast<int>(random() % (i < 30 ? 30 : 3000));
    const bool ties = i % 2 == 0;
    const std::vector<double> x = draw(random, nx, ties ? 3.0 : 1000.0, ties);
    const std::vector<double> y = draw(random, ny, ties ? 3.3 : 1050.0, ties);
    cases.push_back({{"x", x}, {"y", y}});
    ours.push_back(mann_whitney_u(x, y));
  }
  // Histograms: scipy on the bucket values gives what the histogram overload gives.
  for (int i = 0; i < 10; ++i) {
    LatencyHistogram hx, hy;
    std::vector<double> x, y;
    for (double v : draw(random, 2000, 10'000, true)) {
      const auto micros = static_cast<std::uint64_t>(v);
      hx.record(micros);
      x.push_back(LatencyHistogram::bucket_value(LatencyHistogram::bucket_index(micros)));
    }
    for (double v : draw(random, 1500, 10'500 + 100.0 * i, true)) {
      const auto micros = static_cast<std::uint64_t>(v);
      hy.record(micros);
      y.push_back(LatencyHistogram::bucket_value(LatencyHistogram::bucket_index(micros)));
    }
    cases.push_back({{"x", x}, {"y", y}});
    ours.push_back(mann_whitney_u(hx, hy));
  }
  const Json results = reference("mann_whitney", cases);
  for (std::size_t i = 0; i < results.size(); ++i) {
    const std::string what = "case " + std::to_string(i);
    expect_close(ours[i].u, results[i]["u"], what + " U");
    expect_close(ours[i].p_value, results[i]["p"], what + " p");
  }
}

TEST(ScipyReference, OutcomeMeans) {
  std::mt19937_64 random(14);
  Json cases = Json::array();
  std::vector<std::pair<Moments, Moments>> ours;
  for (int i = 0; i < 80; ++i) {
    const int nt = 2 + static_cast<int>(random() % (i < 40 ? 40 : 5000));
    const int nb = 2 + static_cast<int>(random() % (i < 40 ? 40 : 5000));
    const std::vector<double> t = draw(random, nt, 1.0 + 0.01 * i, i % 3 == 0);
    const std::vector<double> b = draw(random, nb, 1.0, i % 3 == 0);
    Moments mt, mb;
    for (double v : t) mt.add(v);
    for (double v : b) mb.add(v);
    if (mt.mean() == mb.mean() || mb.mean() == 0) continue;
    cases.push_back({{"t", t}, {"b", b}});
    ours.emplace_back(mt, mb);
  }
  const Json results = reference("welch", cases);
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& [t, b] = ours[i];
    const std::string what = "case " + std::to_string(i);
    const WelchResult welch = welch_t_test(t, b);
    expect_close(welch.t, results[i]["t"], what + " t");
    expect_close(welch.p_value, results[i]["p"], what + " p");
    expect_close(t.mean() - b.mean(),
                 results[i]["mean_t"].get<double>() - results[i]["mean_b"].get<double>(),
                 what + " delta", 1e-12);
    const Lift lift = relative_lift(t, b).value();
    expect_close(lift.lift, results[i]["lift"], what + " lift", 1e-12);
    expect_close(lift.ci.low, results[i]["lift_low"], what + " lift low", 1e-12);
    expect_close(lift.ci.high, results[i]["lift_high"], what + " lift high", 1e-12);
    expect_close(users_for_power(t, b).value(), results[i]["users_for_power"],
                 what + " users for power");
  }
}

TEST(ScipyReference, NearestRankPercentiles) {
  std::mt19937_64 random(15);
  const std::vector<double> percents = {0, 1, 5, 25, 50, 75, 90, 95, 99, 100};
  Json cases = Json::array();
  std::vector<std::vector<double>> inputs;
  for (int i = 0; i < 50; ++i) {
    inputs.push_back(draw(random, 1 + static_cast<int>(random() % 5000), 5000, i % 2 == 0));
    cases.push_back({{"values", inputs.back()}, {"percents", percents}});
  }
  const Json results = reference("percentiles", cases);
  for (std::size_t i = 0; i < results.size(); ++i) {
    for (std::size_t p = 0; p < percents.size(); ++p) {
      EXPECT_EQ(percentile_nearest_rank(inputs[i], percents[p]),
                results[i]["values"][p].get<double>())
          << "case " << i << " percent " << percents[p];
    }
  }
}

}  // namespace
}  // namespace graft::stats
