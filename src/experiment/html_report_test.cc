#include "experiment/html_report.h"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace graft::experiment {
namespace {

using namespace std::chrono_literals;
using registry::Assignment;
using registry::Time;

Time at_seconds(double seconds) {
  return registry::from_micros(1'796'000'000'000'000 + static_cast<std::int64_t>(seconds * 1e6));
}

constexpr const char* kBaselineYaml = R"(name: prod
channels:
  - file:///tmp/channel
dependencies:
  - ctr-model=1.0=py_0
  - python-shim=3.11=0
variables:
  MODEL_THREADS: '1'
prefix: /root/envs/prod
)";

constexpr const char* kTreatmentYaml = R"(name: cand
channels:
  - file:///tmp/channel
dependencies:
  - ctr-model=2.0=py_0
  - python-shim=3.11=0
  - pip:
    - extra==1.0
variables:
  MODEL_THREADS: '1'
prefix: /root/envs/cand
)";

registry::ExperimentRecord record() {
  registry::ExperimentRecord r;
  r.experiment.name = "ctr-<v2>";
  r.experiment.state = registry::ExperimentState::kPromoted;
  r.experiment.weights = {{"baseline", 0}, {"treatment", 100}};
  r.experiment.salt = "salt&pepper";
  r.experiment.created = at_seconds(0);
  r.experiment.code = {.repository = "/src/ctr", .commit = "0123abcd", .dirty = true};
  r.experiment.dataset = "clicks@2026-12-01 <synthetic>";
  r.variants = {{.name = "baseline", .env_name = "prod", .environment = kBaselineYaml},
                {.name = "treatment", .env_name = "cand", .environment = kTreatmentYaml}};
  r.steps = {{.index = 0, .weight = 10, .started = at_seconds(0)},
             {.index = 1, .weight = 100, .started = at_seconds(5)}};
  r.decisions = {{.at = at_seconds(5),
                  .action = registry::Action::kAdvance,
                  .reason = "step 1 passed: p99 ratio 1.1 <= 1.5"},
                 {.at = at_seconds(10),
                  .action = registry::Action::kPromote,
                  .reason = "the last step passed: \"treatment\" wins"}};
  return r;
}

// Ten requests a second for 10 s: the baseline's take 2 ms, the treatment's 8 ms; the
// treatment gets one in ten for 5 s, then all.
std::vector<Assignment> assignments() {
  std::vector<Assignment> out;
  for (std::int64_t tenth = 0; tenth < 100; ++tenth) {
    Assignment request{.request_id = "request-" + std::to_string(tenth),
                       .variant = "baseline",
                       .at = at_seconds(static_cast<double>(tenth) / 10),
                       .status = 200,
                       .latency = 2ms};
    if (tenth >= 50 || tenth % 10 == 0) {
      request.variant = "treatment";
      request.latency = 8ms;
    }
    out.push_back(std::move(request));
  }
  return out;
}

nlohmann::ordered_json report() {
  return nlohmann::ordered_json::parse(R"({
    "variants": {
      "baseline": {"requests": 45, "users": 40, "errors": 0, "error_rate": 0,
                   "latency_ms": {"p50": 2, "p95": 2, "p99": 2}, "outcome": {"users": 40, "mean": 0.1}},
      "treatment": {"requests": 55, "users": 50, "errors": 1, "error_rate": 0.018,
                    "latency_ms": {"p50": 8, "p95": 8, "p99": 8}, "outcome": {"users": 50, "mean": 0.2}}},
    "srm": {"chi2": null, "p_value": 0.5, "mismatch": false},
    "comparisons": {"treatment": {
      "error_rate": {"delta": 0.018, "ci95": [-0.01, 0.05], "p_value": 0.3},
      "latency": {"p99_ratio": 4, "mann_whitney_p": 0.0001},
      "outcome": {"delta": 0.1, "lift": 1.0, "lift_ci95": [0.25, 1.75], "p_value": 0.01,
                  "users_needed": 0}}}})");
}

TEST(DiffDependencies, KeepsOnlyTheLinesThatDiffer) {
  const DependencyDiff diff = diff_dependencies(kBaselineYaml, kTreatmentYaml);
  EXPECT_EQ(diff.removed, (std::vector<std::string>{"ctr-model=1.0=py_0"}));
  EXPECT_EQ(diff.added, (std::vector<std::string>{"ctr-model=2.0=py_0", "extra==1.0"}));
  const DependencyDiff same = diff_dependencies(kBaselineYaml, kBaselineYaml);
  EXPECT_TRUE(same.removed.empty());
  EXPECT_TRUE(same.added.empty());
}

TEST(RenderHtmlReport, PutsTheVerdictFirstAndEverySection) {
  const std::vector<Assignment> all = assignments();
  const std::string page = render_html_report(record(), all, report());
  const auto verdict = page.find("id=\"verdict\"");
  ASSERT_NE(verdict, std::string::npos);
  EXPECT_NE(page.find("<b>promoted</b>: the last step passed: &quot;treatment&quot; wins"),
            std::string::npos);
  for (const char* section :
       {"id=\"traffic\"", "class=\"histogram\"", "id=\"variants\"", "id=\"comparisons\"",
        "id=\"decisions\"", "id=\"environments\"", "id=\"provenance\""}) {
    const auto found = page.find(section);
    EXPECT_NE(found, std::string::npos) << section;
    EXPECT_LT(verdict, found) << section;
  }
  // A marker where each step began (the second at 5 s of a 10 s run of 1 s buckets).
  EXPECT_NE(page.find("<line class=\"step\" x1=\"40.0\""), std::string::npos);
  EXPECT_NE(page.find("<line class=\"step\" x1=\"470.0\""), std::string::npos);
  EXPECT_NE(page.find(">100%</text>"), std::string::npos);
  // Each histogram marks the report's p50 and p99 (here 2 and 8 ms).
  EXPECT_NE(page.find(">p50 2 ms</text>"), std::string::npos);
  EXPECT_NE(page.find(">p99 8 ms</text>"), std::string::npos);
  // Deltas with their intervals, lift as percentages.
  EXPECT_NE(page.find("<td>+0.018</td><td>[-0.01, +0.05]</td>"), std::string::npos);
  EXPECT_NE(page.find("<td>+100.00%</td><td>[+25.00%, +175.00%]</td>"), std::string::npos);
  EXPECT_NE(page.find("chi² -, p 0.5"), std::string::npos) << "a null figure shows as '-'";
  // The decision timeline, the environment diff and the provenance.
  EXPECT_NE(page.find("step 1 passed: p99 ratio 1.1 &lt;= 1.5"), std::string::npos);
  EXPECT_NE(page.find("<span class=\"del\">- ctr-model=1.0=py_0</span>"), std::string::npos);
  EXPECT_NE(page.find("<span class=\"add\">+ ctr-model=2.0=py_0</span>"), std::string::npos);
  EXPECT_EQ(page.find("python-shim"), std::string::npos) << "identical lines are not shown";
  EXPECT_NE(page.find("<code>0123abcd</code> (uncommitted changes)"), std::string::npos);
  EXPECT_NE(page.find("clicks@2026-12-01 &lt;synthetic&gt;"), std::string::npos);
  EXPECT_NE(page.find("salt&amp;pepper"), std::string::npos);
  EXPECT_NE(page.find("Experiment ctr-&lt;v2&gt;"), std::string::npos);
}

TEST(RenderHtmlReport, IsSelfContainedAndEscapesEveryRecordedString) {
  registry::ExperimentRecord hostile = record();
  hostile.decisions.back().reason = "<script>alert(1)</script>";
  hostile.variants[1].name = "<img src=x onerror=alert(1)>";
  std::vector<Assignment> all = assignments();
  for (Assignment& a : all) {
    if (a.variant == "treatment") a.variant = hostile.variants[1].name;
  }
  nlohmann::ordered_json hostile_report = report();
  hostile_report["variants"]["<b>x</b>"] = hostile_report["variants"]["baseline"];
  const std::string page = render_html_report(hostile, all, hostile_report);
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_EQ(page.find("<b>x</b>"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  // Nothing is fetched: no external URL besides the SVG namespace, no script.
  std::string stripped = page;
  for (auto at = stripped.find("http://www.w3.org/2000/svg"); at != std::string::npos;
       at = stripped.find("http://www.w3.org/2000/svg")) {
    stripped.erase(at, 26);
  }
  EXPECT_EQ(stripped.find("http"), std::string::npos);
  for (const char* fetching : {"<link", "<script", "<img", "url(", "@import"}) {
    EXPECT_EQ(stripped.find(fetching), std::string::npos) << fetching;
  }
}

TEST(RenderHtmlReport, AnExperimentWithoutTrafficOrReportStillRenders) {
  registry::ExperimentRecord empty = record();
  empty.decisions.clear();
  empty.experiment.state = registry::ExperimentState::kRunning;
  const std::string page = render_html_report(empty, {}, nlohmann::ordered_json::object());
  EXPECT_NE(page.find("<b>running</b>: no decision yet"), std::string::npos);
  EXPECT_NE(page.find("no requests were recorded"), std::string::npos);
  EXPECT_NE(page.find("no latencies were recorded"), std::string::npos);
  EXPECT_NE(page.find("</html>"), std::string::npos);
}

}  // namespace
}  // namespace graft::experiment
