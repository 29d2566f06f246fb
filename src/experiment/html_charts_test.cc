#include "experiment/html_charts.h"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace graft::experiment {
namespace {

using namespace std::chrono_literals;
using registry::Assignment;

registry::Time at_seconds(double seconds) {
  return registry::from_micros(1'796'000'000'000'000 + static_cast<std::int64_t>(seconds * 1e6));
}

registry::ExperimentRecord two_variants() {
  registry::ExperimentRecord record;
  record.variants = {{.name = "baseline"}, {.name = "treatment"}};
  return record;
}

// 100 requests over 9.9 s: every tenth of the first half, then all, to the treatment.
std::vector<Assignment> ramp() {
  std::vector<Assignment> out;
  for (int i = 0; i < 100; ++i) {
    const bool treated = i % 10 == 0 || i >= 50;
    out.push_back({.request_id = "r" + std::to_string(i),
                   .variant = treated ? "treatment" : "baseline",
                   .at = at_seconds(i * 0.1),
                   .latency = treated ? 8ms : 2ms});
  }
  return out;
}

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

TEST(HtmlEscape, ReplacesEveryMarkupCharacter) {
  EXPECT_EQ(html_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(html_escape("plain"), "plain");
}

TEST(TrafficSeries, CountsEachVariantPerBucket) {
  const std::vector<Assignment> all = ramp();
  const TrafficSeries series = traffic_series(two_variants(), all, 60);
  // 9.9 s of requests in buckets of at least one second: 10 buckets of 10 requests.
  EXPECT_EQ(series.bucket, std::chrono::microseconds(1s));
  ASSERT_EQ(series.counts.size(), 10u);
  EXPECT_EQ(series.variants, (std::vector<std::string>{"baseline", "treatment"}));
  EXPECT_EQ(series.counts[0], (std::vector<std::int64_t>{9, 1}));
  EXPECT_EQ(series.counts[9], (std::vector<std::int64_t>{0, 10}));
  // Fewer buckets: wider ones, still every request counted.
  const TrafficSeries coarse = traffic_series(two_variants(), all, 2);
  ASSERT_EQ(coarse.counts.size(), 2u);
  EXPECT_EQ(coarse.counts[0][0] + coarse.counts[0][1] + coarse.counts[1][0] + coarse.counts[1][1],
            100);
  EXPECT_TRUE(traffic_series(two_variants(), {}, 60).counts.empty());
}

TEST(TrafficSeries, AVariantOutsideTheRecordGetsItsOwnColumn) {
  std::vector<Assignment> all = ramp();
  all[3].variant = "shadow";
  const TrafficSeries series = traffic_series(two_variants(), all, 60);
  EXPECT_EQ(series.variants.back(), "shadow");
  EXPECT_EQ(series.counts[0][2], 1);
}

TEST(TrafficChart, StacksEachBucketAndMarksEachStep) {
  const std::vector<Assignment> all = ramp();
  const std::vector<registry::Step> steps = {{.index = 0, .weight = 10, .started = at_seconds(0)},
                                             {.index = 1, .weight = 100, .started = at_seconds(5)}};
  const std::string html =
      traffic_chart_html(traffic_series(two_variants(), all, 60), steps, "start <UTC>");
  // One bar per variant and bucket (zero height when the variant had none).
  EXPECT_EQ(count(html, "<rect"), 20u);
  EXPECT_NE(html.find("+0 s: treatment 1 requests"), std::string::npos);
  // 860 px for 10 buckets: the second step at 5 s is at 40 + 430.
  EXPECT_NE(html.find("<line class=\"step\" x1=\"470.0\""), std::string::npos);
  EXPECT_NE(html.find(">100%</text>"), std::string::npos);
  EXPECT_NE(html.find("start &lt;UTC&gt;"), std::string::npos);
}

TEST(LatencyHistograms, ShareOneScaleAndMarkThePercentiles) {
  const std::vector<Assignment> all = ramp();
  const std::string html = latency_histograms_html(
      {"baseline", "treatment"}, all,
      {{"treatment", {.p50_ms = 8, .p99_ms = 8}}, {"<evil>", {.p50_ms = 1}}});
  EXPECT_EQ(count(html, "class=\"histogram\""), 2u);
  // 2 ms and 8 ms fall in the first and the last of the shared bins.
  EXPECT_NE(html.find("2 to 2.09 ms: 45 requests"), std::string::npos) << html;
  EXPECT_NE(html.find("ms: 55 requests"), std::string::npos);
  EXPECT_EQ(count(html, "<line class=\"p50\""), 1u) << "the baseline has no marks";
  EXPECT_NE(html.find(">p99 8 ms</text>"), std::string::npos);
  EXPECT_EQ(html.find("evil"), std::string::npos);
  EXPECT_NE(latency_histograms_html({"baseline"}, {}, {}).find("no latencies were recorded"),
            std::string::npos);
}

}  // namespace
}  // namespace graft::experiment
