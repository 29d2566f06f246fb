#include "experiment/live_series.h"

#include <gtest/gtest.h>

namespace graft::experiment {
namespace {

using Json = nlohmann::ordered_json;
using std::chrono::seconds;

const std::chrono::steady_clock::time_point kStart{};
const std::chrono::system_clock::time_point kWall{seconds(1'800'000'000)};

// A snapshot of `requests` requests, `errors` of them errors, each taking `micros`.
proxy::VariantSnapshot figures(const std::string& name, std::uint64_t requests,
                               std::uint64_t errors, std::uint64_t micros) {
  proxy::VariantSnapshot snapshot{.name = name, .requests = requests, .errors = errors};
  snapshot.latency.record(micros, requests);
  return snapshot;
}

TEST(LiveSeries, EachPointIsTheDifferenceFromThePreviousSample) {
  LiveSeries series({"baseline", "treatment"}, 10);
  series.add(kStart, kWall, std::vector{figures("baseline", 100, 0, 2000)});
  EXPECT_EQ(series.size(), 0u);  // the first sample only sets the starting figures
  proxy::VariantSnapshot baseline = figures("baseline", 100, 0, 2000);
  baseline.requests += 40;
  baseline.errors += 4;
  baseline.latency.record(10'000, 40);
  series.add(kStart + seconds(2), kWall + seconds(2),
             std::vector{baseline, figures("treatment", 10, 0, 50'000)});
  const Json json = series.to_json();
  EXPECT_EQ(json["t"], Json::array({1'800'000'002.0}));
  const Json& b = json["variants"]["baseline"];
  EXPECT_EQ(b["rps"], Json::array({20.0}));  // 40 requests in 2 s
  EXPECT_EQ(b["error_rate"], Json::array({0.1}));
  EXPECT_NEAR(b["p50_ms"][0].get<double>(), 10.0, 0.1);  // only the new requests count
  EXPECT_EQ(b["requests"], 140);
  EXPECT_EQ(b["errors"], 4);
  const Json& t = json["variants"]["treatment"];
  EXPECT_EQ(t["rps"], Json::array({5.0}));
  EXPECT_NEAR(t["p99_ms"][0].get<double>(), 50.0, 0.5);
}

TEST(LiveSeries, AnIntervalWithoutRequestsHasNoRatesButZeroThroughput) {
  LiveSeries series({"baseline", "treatment"}, 10);
  series.add(kStart, kWall, std::vector{figures("baseline", 5, 0, 1000)});
  series.add(kStart + seconds(1), kWall + seconds(1), std::vector{figures("baseline", 5, 0, 1000)});
  const Json json = series.to_json();
  EXPECT_EQ(json["variants"]["baseline"]["rps"], Json::array({0.0}));
  EXPECT_EQ(json["variants"]["baseline"]["error_rate"], Json::array({nullptr}));
  EXPECT_EQ(json["variants"]["baseline"]["p50_ms"], Json::array({nullptr}));
  EXPECT_EQ(json["variants"]["treatment"]["p99_ms"], Json::array({nullptr}));
}

TEST(LiveSeries, SamplesLessThanASecondApartAreSkipped) {
  LiveSeries series({"baseline"}, 10);
  series.add(kStart, kWall, std::vector{figures("baseline", 1, 0, 1000)});
  series.add(kStart + std::chrono::milliseconds(300), kWall,
             std::vector{figures("baseline", 9, 0, 1000)});
  EXPECT_EQ(series.size(), 0u);
  series.add(kStart + seconds(1), kWall, std::vector{figures("baseline", 11, 0, 1000)});
  EXPECT_EQ(series.to_json()["variants"]["baseline"]["rps"], Json::array({10.0}));
}

TEST(LiveSeries, KeepsTheLastPointsAndLinesUpVariantsSeenLater) {
  LiveSeries series({"baseline"}, 3);
  for (int i = 0; i <= 5; ++i) {
    std::vector<proxy::VariantSnapshot> snapshots{figures("baseline", 10u * i, 0, 1000)};
    if (i >= 4) snapshots.push_back(figures("shadow", 3u * (i - 3), 0, 1000));
    series.add(kStart + seconds(i), kWall + seconds(i), snapshots);
  }
  const Json json = series.to_json();
  EXPECT_EQ(json["t"].size(), 3u);
  EXPECT_EQ(json["t"][0], 1'800'000'003.0);
  EXPECT_EQ(json["variants"]["baseline"]["rps"], Json::array({10.0, 10.0, 10.0}));
  EXPECT_EQ(json["variants"]["shadow"]["rps"], Json::array({0.0, 3.0, 3.0}));
}

TEST(LiveSeries, CountersThatWentBackStartOver) {
  LiveSeries series({"baseline"}, 10);
  series.add(kStart, kWall, std::vector{figures("baseline", 50, 0, 1000)});
  series.add(kStart + seconds(1), kWall, std::vector{figures("baseline", 5, 0, 1000)});
  series.add(kStart + seconds(2), kWall, std::vector{figures("baseline", 9, 0, 1000)});
  EXPECT_EQ(series.to_json()["variants"]["baseline"]["rps"], Json::array({0.0, 4.0}));
}

}  // namespace
}  // namespace graft::experiment
