#include "experiment/html_report.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>
#include <set>

#include <fmt/core.h>

namespace graft::experiment {
namespace {

using Json = nlohmann::ordered_json;

std::string time_text(registry::Time at, const char* format = "%Y-%m-%d %H:%M:%S") {
  const auto seconds = static_cast<std::time_t>(registry::to_micros(at) / 1'000'000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[40];
  std::strftime(buffer, sizeof buffer, format, &utc);
  return buffer;
}

// A number of the report, or "-" when it is missing or null.
std::string number(const Json& value, std::string_view format = "{:.4g}") {
  if (!value.is_number()) return "-";
  return fmt::format(fmt::runtime(format), value.get<double>());
}

const Json& at(const Json& object, std::string_view key) {
  static const Json kNull;
  if (!object.is_object()) return kNull;
  auto found = object.find(key);
  return found == object.end() ? kNull : *found;
}

// A fraction as a signed percentage: 0.153 -> "+15.30%".
std::string percent(const Json& value) {
  if (!value.is_number()) return "-";
  return fmt::format("{:+.2f}%", value.get<double>() * 100);
}

std::string interval(const Json& pair, bool as_percent = false) {
  if (!pair.is_array() || pair.size() != 2) return "-";
  auto shown = [&](const Json& v) { return as_percent ? percent(v) : number(v, "{:+.4g}"); };
  return fmt::format("[{}, {}]", shown(pair[0]), shown(pair[1]));
}

constexpr std::string_view kStyle = R"(<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:980px;color:#222;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}
.verdict{padding:14px 18px;border-radius:6px;font-size:17px;margin:12px 0}
.promoted{background:#e3f4e1;border-left:6px solid #2e7d32}
.rolled_back,.failed{background:#fbe4e4;border-left:6px solid #c62828}
.other{background:#eef1f5;border-left:6px solid #607d8b}
table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f5f5f5}td.l,th.l{text-align:left}.muted{color:#777}
.charts{display:flex;gap:12px;flex-wrap:wrap}.swatch{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px}
pre{background:#f7f7f7;padding:8px;overflow:auto}.add{color:#2e7d32}.del{color:#c62828}
</style>
)";

std::string verdict_section(const registry::ExperimentRecord& record) {
  const registry::Experiment& e = record.experiment;
  const std::string state(registry::state_name(e.state));
  const bool decided = e.state == registry::ExperimentState::kPromoted ||
                       e.state == registry::ExperimentState::kRolledBack ||
                       e.state == registry::ExperimentState::kFailed;
  std::string reason =
      record.decisions.empty() ? "no decision yet" : record.decisions.back().reason;
  std::string weights;
  for (const auto& [name, weight] : e.weights) {
    weights += fmt::format("{}{} {}%", weights.empty() ? "" : ", ", html_escape(name), weight);
  }
  return fmt::format(
      "<h1>Experiment {}</h1>\n<div class=\"muted\">created {} UTC</div>\n"
      "<div class=\"verdict {}\" id=\"verdict\"><b>{}</b>: {}<br><span class=\"muted\">final "
      "weights: {}</span></div>\n",
      html_escape(e.name), time_text(e.created), decided ? state : "other", html_escape(state),
      html_escape(reason), weights);
}

// Each variant's p50 and p99 from the report, for the histograms.
std::map<std::string, LatencyMarks, std::less<>> latency_marks(const Json& report) {
  std::map<std::string, LatencyMarks, std::less<>> marks;
  const Json& variants = at(report, "variants");
  if (!variants.is_object()) return marks;
  for (const auto& [name, v] : variants.items()) {
    const Json& latency = at(v, "latency_ms");
    auto value = [&](std::string_view key) -> std::optional<double> {
      const Json& figure = at(latency, key);
      return figure.is_number() ? std::optional(figure.get<double>()) : std::nullopt;
    };
    marks[name] = {.p50_ms = value("p50"), .p99_ms = value("p99")};
  }
  return marks;
}

std::string metrics_section(const Json& report) {
  std::string out =
      "<h2>Metrics</h2>\n<table id=\"variants\"><tr><th class=\"l\">variant</th><th>requests</th>"
      "<th>users</th><th>errors</th><th>error rate</th><th>p50 ms</th><th>p95 ms</th>"
      "<th>p99 ms</th><th>outcome users</th><th>outcome mean</th></tr>\n";
  const Json& variants = at(report, "variants");
  if (variants.is_object()) {
    for (const auto& [name, v] : variants.items()) {
      const Json& latency = at(v, "latency_ms");
      out += fmt::format(
          "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
          "<td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
          html_escape(name), number(at(v, "requests"), "{:.0f}"), number(at(v, "users"), "{:.0f}"),
          number(at(v, "errors"), "{:.0f}"), number(at(v, "error_rate")),
          number(at(latency, "p50")), number(at(latency, "p95")), number(at(latency, "p99")),
          number(at(at(v, "outcome"), "users"), "{:.0f}"), number(at(at(v, "outcome"), "mean")));
    }
  }
  out += "</table>\n";
  const Json& srm = at(report, "srm");
  out += fmt::format("<p>Sample ratio: chi² {}, p {}{}</p>\n", number(at(srm, "chi2")),
                     number(at(srm, "p_value")),
                     at(srm, "mismatch") == true ? " <b class=\"del\">MISMATCH</b>" : "");
  out +=
      "<table id=\"comparisons\"><tr><th class=\"l\">treatment vs baseline</th>"
      "<th>error rate Δ</th><th>95% interval</th><th>p</th><th>p99 ratio</th>"
      "<th>Mann-Whitney p</th><th>outcome Δ</th><th>lift</th><th>lift 95% interval</th>"
      "<th>p</th><th>users needed</th></tr>\n";
  const Json& comparisons = at(report, "comparisons");
  if (comparisons.is_object()) {
    for (const auto& [name, c] : comparisons.items()) {
      const Json& errors = at(c, "error_rate");
      const Json& outcome = at(c, "outcome");
      out += fmt::format(
          "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
          "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
          html_escape(name), number(at(errors, "delta"), "{:+.4g}"), interval(at(errors, "ci95")),
          number(at(errors, "p_value")), number(at(at(c, "latency"), "p99_ratio")),
          number(at(at(c, "latency"), "mann_whitney_p")), number(at(outcome, "delta"), "{:+.4g}"),
          percent(at(outcome, "lift")), interval(at(outcome, "lift_ci95"), true),
          number(at(outcome, "p_value")), number(at(outcome, "users_needed"), "{:.0f}"));
    }
  }
  return out + "</table>\n";
}

std::string decisions_section(const registry::ExperimentRecord& record) {
  std::string out =
      "<h2>Decisions</h2>\n<table id=\"decisions\"><tr><th class=\"l\">time "
      "(UTC)</th><th class=\"l\">action</th><th class=\"l\">by</th>"
      "<th class=\"l\">reason</th></tr>\n";
  for (const registry::Decision& d : record.decisions) {
    out += fmt::format(
        "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td>"
        "<td class=\"l\">{}</td></tr>\n",
        time_text(d.at), registry::action_name(d.action),
        d.origin == registry::DecisionOrigin::kManual ? "a person" : "controller",
        html_escape(d.reason));
  }
  out += "</table>\n<p class=\"muted\">steps: ";
  for (const registry::Step& s : record.steps) {
    out += fmt::format("{}% from {}; ", s.weight, time_text(s.started, "%H:%M:%S"));
  }
  return out + "</p>\n";
}

std::string environments_section(const registry::ExperimentRecord& record) {
  std::string out =
      "<h2>Environments</h2>\n<table id=\"environments\"><tr><th class=\"l\">"
      "variant</th><th class=\"l\">environment</th><th class=\"l\">prefix</th>"
      "<th class=\"l\">environment.yml sha256</th><th class=\"l\">lock sha256</th>"
      "</tr>\n";
  for (const registry::Variant& v : record.variants) {
    out += fmt::format(
        "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td>"
        "<td class=\"l\"><code>{}</code></td><td class=\"l\"><code>{}</code></td></tr>\n",
        html_escape(v.name), html_escape(v.env_name), html_escape(v.prefix),
        html_escape(v.environment_sha256), html_escape(v.lock_sha256));
  }
  out += "</table>\n";
  if (record.variants.empty()) return out;
  const registry::Variant& baseline = record.variants.front();
  for (std::size_t i = 1; i < record.variants.size(); ++i) {
    const registry::Variant& treatment = record.variants[i];
    const DependencyDiff diff = diff_dependencies(baseline.environment, treatment.environment);
    out += fmt::format("<p>Dependencies of <b>{}</b> against <b>{}</b>:</p>\n<pre class=\"diff\">",
                       html_escape(treatment.name), html_escape(baseline.name));
    for (const std::string& line : diff.removed) {
      out += fmt::format("<span class=\"del\">- {}</span>\n", html_escape(line));
    }
    for (const std::string& line : diff.added) {
      out += fmt::format("<span class=\"add\">+ {}</span>\n", html_escape(line));
    }
    if (diff.removed.empty() && diff.added.empty()) out += "(identical)\n";
    out += "</pre>\n";
  }
  return out;
}

std::string provenance_section(const registry::ExperimentRecord& record) {
  const registry::CodeVersion& code = record.experiment.code;
  return fmt::format(
      "<h2>Code and data</h2>\n<table id=\"provenance\"><tr><th class=\"l\">code</th>"
      "<td class=\"l\">{} @ <code>{}</code>{}</td></tr>\n<tr><th class=\"l\">dataset</th>"
      "<td class=\"l\">{}</td></tr>\n<tr><th class=\"l\">salt</th><td class=\"l\">{}</td>"
      "</tr></table>\n",
      code.repository.empty() ? "-" : html_escape(code.repository),
      code.commit.empty() ? "-" : html_escape(code.commit),
      code.dirty ? " (uncommitted changes)" : "",
      record.experiment.dataset.empty() ? "-" : html_escape(record.experiment.dataset),
      html_escape(record.experiment.salt));
}

// The lines of `dependencies:` items ("  - name=ver=build"), pip entries included.
std::vector<std::string> dependency_lines(std::string_view yaml) {
  std::vector<std::string> out;
  bool inside = false;
  std::size_t start = 0;
  while (start < yaml.size()) {
    std::size_t end = yaml.find('\n', start);
    if (end == std::string_view::npos) end = yaml.size();
    std::string_view line = yaml.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line[0] != ' ' && line[0] != '-') inside = line == "dependencies:";
    const std::size_t dash = line.find("- ");
    if (!inside || dash == std::string_view::npos) continue;
    if (line.substr(0, dash).find_first_not_of(' ') != std::string_view::npos) continue;
    std::string item(line.substr(dash + 2));
    if (item != "pip:") out.push_back(std::move(item));
  }
  return out;
}

}  // namespace

DependencyDiff diff_dependencies(std::string_view baseline, std::string_view treatment) {
  const std::vector<std::string> before = dependency_lines(baseline);
  const std::vector<std::string> after = dependency_lines(treatment);
  const std::set<std::string> before_set(before.begin(), before.end());
  const std::set<std::string> after_set(after.begin(), after.end());
  DependencyDiff diff;
  for (const std::string& line : before) {
    if (!after_set.contains(line)) diff.removed.push_back(line);
  }
  for (const std::string& line : after) {
    if (!before_set.contains(line)) diff.added.push_back(line);
  }
  return diff;
}

std::string render_html_report(const registry::ExperimentRecord& record,
                               std::span<const registry::Assignment> assignments,
                               const nlohmann::ordered_json& report) {
  const TrafficSeries series = traffic_series(record, assignments, 60);
  std::string page = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>graft experiment {}</title>\n{}</head>\n<body>\n",
      html_escape(record.experiment.name), kStyle);
  page += verdict_section(record);
  page += traffic_chart_html(series, record.steps, time_text(series.from) + " UTC");
  page += latency_histograms_html(series.variants, assignments, latency_marks(report));
  page += metrics_section(report);
  page += decisions_section(record);
  page += environments_section(record);
  page += provenance_section(record);
  page += "<p class=\"muted\">written by graft exp report --html</p>\n</body>\n</html>\n";
  return page;
}

}  // namespace graft::experiment
