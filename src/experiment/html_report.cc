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

constexpr std::string_view kColors[] = {"#4e79a7", "#f28e2b", "#59a14f",
                                        "#e15759", "#b07aa1", "#76b7b2"};

std::string_view color(std::size_t index) {
  return kColors[index % std::size(kColors)];
}

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

std::string legend(const std::vector<std::string>& variants) {
  std::string out = "<div>";
  for (std::size_t i = 0; i < variants.size(); ++i) {
    out += fmt::format("<span class=\"swatch\" style=\"background:{}\"></span>{}", color(i),
                       html_escape(variants[i]));
  }
  return out + "</div>\n";
}

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

constexpr double kTrafficWidth = 900, kTrafficHeight = 200, kTrafficLeft = 40;

// Stacked bars (each bucket's share per variant) and a line (requests per bucket).
std::string traffic_bars(const TrafficSeries& series, double bar) {
  std::int64_t peak = 1;
  for (const auto& counts : series.counts) {
    std::int64_t total = 0;
    for (std::int64_t c : counts) total += c;
    peak = std::max(peak, total);
  }
  const double seconds = std::chrono::duration<double>(series.bucket).count();
  std::string out, line;
  for (std::size_t b = 0; b < series.counts.size(); ++b) {
    std::int64_t total = 0;
    for (std::int64_t c : series.counts[b]) total += c;
    const double x = kTrafficLeft + bar * static_cast<double>(b);
    double y = kTrafficHeight;
    for (std::size_t v = 0; v < series.counts[b].size() && total > 0; ++v) {
      const double h =
          kTrafficHeight * static_cast<double>(series.counts[b][v]) / static_cast<double>(total);
      y -= h;
      out += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\">"
          "<title>+{:.0f} s: {} {} requests</title></rect>\n",
          x, y, std::max(bar - 1, 0.5), h, color(v), seconds * static_cast<double>(b),
          html_escape(series.variants[v]), series.counts[b][v]);
    }
    line += fmt::format(
        "{}{:.1f},{:.1f}", line.empty() ? "" : " ", x + bar / 2,
        kTrafficHeight - kTrafficHeight * static_cast<double>(total) / static_cast<double>(peak));
  }
  return out + fmt::format(
                   "<polyline points=\"{}\" fill=\"none\" stroke=\"#222\" "
                   "stroke-width=\"1.5\"><title>peak {:.4g} requests/s</title></polyline>\n",
                   line, static_cast<double>(peak) / seconds);
}

// A dashed line where each step began, labelled with the treatment's weight.
std::string step_markers(const TrafficSeries& series, std::span<const registry::Step> steps,
                         double bar) {
  std::string out;
  for (const registry::Step& step : steps) {
    const double buckets = std::chrono::duration<double>(step.started - series.from) /
                           std::chrono::duration<double>(series.bucket);
    const double x = kTrafficLeft + bar * std::max(buckets, 0.0);
    if (x > kTrafficWidth) continue;
    out += fmt::format(
        "<line class=\"step\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"0\" y2=\"{1}\" "
        "stroke=\"#000\" stroke-dasharray=\"4 3\"/><text x=\"{2:.1f}\" y=\"{3}\">{4}%</text>\n",
        x, kTrafficHeight, x + 3, kTrafficHeight + 12, step.weight);
  }
  return out;
}

std::string traffic_section(const TrafficSeries& series, std::span<const registry::Step> steps) {
  std::string out = "<h2>Traffic per variant over time</h2>\n";
  if (series.counts.empty()) return out + "<p class=\"muted\">no requests were recorded</p>\n";
  const double bar = (kTrafficWidth - kTrafficLeft) / static_cast<double>(series.counts.size());
  const double seconds = std::chrono::duration<double>(series.bucket).count();
  out += fmt::format(
      "<p class=\"muted\">each bar: one {:.3g} s bucket, split by the share of its requests per "
      "variant; the line: requests per bucket; dashed: where each step began, with the "
      "treatment's weight</p>\n",
      seconds);
  out += legend(series.variants);
  out += fmt::format(
      "<svg id=\"traffic\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "xmlns=\"http://www.w3.org/2000/svg\" font-size=\"10\">\n"
      "<text x=\"0\" y=\"10\">100%</text><text x=\"0\" y=\"{2}\">0%</text>\n",
      kTrafficWidth, kTrafficHeight + 30, kTrafficHeight);
  out += traffic_bars(series, bar);
  out += step_markers(series, steps, bar);
  return out + fmt::format(
                   "<text x=\"{}\" y=\"{}\">{} UTC</text><text x=\"{}\" y=\"{}\" "
                   "text-anchor=\"end\">+{:.0f} s</text>\n</svg>\n",
                   kTrafficLeft, kTrafficHeight + 26, time_text(series.from), kTrafficWidth,
                   kTrafficHeight + 26, seconds * static_cast<double>(series.counts.size()));
}

// One variant's latencies in the shared bins, with its percentiles from the report.
struct Histogram {
  std::string name;
  std::size_t index = 0;  // picks the colour
  std::vector<std::int64_t> bins;
  std::int64_t total = 0;
  const Json* percentiles = nullptr;  // the report's latency_ms {p50, p95, p99}, or null
};

// Log-spaced bins from low_ms to high_ms; bar heights relative to the highest share.
struct HistogramScale {
  double low_ms = 0;
  double high_ms = 0;
  double peak_share = 0;
};

std::string histogram_svg(const Histogram& histogram, const HistogramScale& scale) {
  constexpr double kWidth = 300, kHeight = 140;
  std::string out = fmt::format(
      "<div><b>{}</b> <span class=\"muted\">{} requests</span><br>\n<svg class=\"histogram\" "
      "width=\"{}\" height=\"{}\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"10\">\n",
      html_escape(histogram.name), histogram.total, kWidth, kHeight + 16);
  const std::size_t count = histogram.bins.size();
  const double bar = kWidth / static_cast<double>(count);
  const double ratio = scale.high_ms / scale.low_ms;
  for (std::size_t i = 0; i < count; ++i) {
    const double share = histogram.total ? static_cast<double>(histogram.bins[i]) /
                                               static_cast<double>(histogram.total)
                                         : 0;
    const double h = scale.peak_share > 0 ? kHeight * share / scale.peak_share : 0;
    out += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\">"
        "<title>{:.3g} to {:.3g} ms: {} requests</title></rect>\n",
        bar * static_cast<double>(i), kHeight - h, std::max(bar - 1, 0.5), h,
        color(histogram.index), scale.low_ms * std::pow(ratio, static_cast<double>(i) / count),
        scale.low_ms * std::pow(ratio, static_cast<double>(i + 1) / count), histogram.bins[i]);
  }
  for (const char* name : {"p50", "p99"}) {
    const Json& value = histogram.percentiles ? at(*histogram.percentiles, name) : at(Json(), "");
    if (!value.is_number() || value.get<double>() <= 0) continue;
    const double x =
        std::clamp(std::log(value.get<double>() / scale.low_ms) / std::log(ratio), 0.0, 1.0) *
        kWidth;
    out += fmt::format(
        "<line class=\"{0}\" x1=\"{1:.1f}\" x2=\"{1:.1f}\" y1=\"0\" y2=\"{2}\" stroke=\"#000\" "
        "stroke-dasharray=\"3 2\"/><text x=\"{3:.1f}\" y=\"10\">{0} {4:.3g} ms</text>\n",
        name, x, kHeight, std::min(x + 2, kWidth - 70), value.get<double>());
  }
  return out + fmt::format(
                   "<text x=\"0\" y=\"{0}\">{1:.3g} ms</text><text x=\"{2}\" y=\"{0}\" "
                   "text-anchor=\"end\">{3:.3g} ms</text></svg></div>\n",
                   kHeight + 13, scale.low_ms, kWidth, scale.high_ms);
}

// Log-spaced bins over every variant's latencies, the same for all, so bars compare.
std::string latency_section(const std::vector<std::string>& variants,
                            std::span<const registry::Assignment> assignments, const Json& report) {
  std::string out = "<h2>Latency histograms</h2>\n";
  HistogramScale scale;
  for (const registry::Assignment& a : assignments) {
    const double ms = static_cast<double>(a.latency.count()) / 1000.0;
    if (ms <= 0) continue;
    scale.low_ms = scale.low_ms == 0 ? ms : std::min(scale.low_ms, ms);
    scale.high_ms = std::max(scale.high_ms, ms);
  }
  if (scale.high_ms == 0) return out + "<p class=\"muted\">no latencies were recorded</p>\n";
  scale.high_ms = std::max(scale.high_ms * 1.001, scale.low_ms * 1.01);
  constexpr std::size_t kBins = 30;
  std::vector<Histogram> histograms;
  for (std::size_t i = 0; i < variants.size(); ++i) {
    histograms.push_back(
        {.name = variants[i],
         .index = i,
         .bins = std::vector<std::int64_t>(kBins, 0),
         .percentiles = &at(at(at(report, "variants"), variants[i]), "latency_ms")});
  }
  for (const registry::Assignment& a : assignments) {
    const double ms = static_cast<double>(a.latency.count()) / 1000.0;
    auto found = std::find_if(histograms.begin(), histograms.end(),
                              [&](const Histogram& h) { return h.name == a.variant; });
    if (found == histograms.end() || ms <= 0) continue;
    const double position = std::log(ms / scale.low_ms) / std::log(scale.high_ms / scale.low_ms);
    ++found->bins[std::min(kBins - 1, static_cast<std::size_t>(position * kBins))];
    ++found->total;
  }
  for (const Histogram& h : histograms) {
    for (std::int64_t c : h.bins) {
      if (h.total > 0) {
        scale.peak_share = std::max(scale.peak_share, static_cast<double>(c) / h.total);
      }
    }
  }
  out +=
      "<p class=\"muted\">share of each variant's requests per latency bin (log scale, "
      "the same bins for every variant); dashed: the report's p50 and p99</p>\n"
      "<div class=\"charts\">\n";
  for (const Histogram& h : histograms) out += histogram_svg(h, scale);
  return out + "</div>\n";
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

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

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

TrafficSeries traffic_series(const registry::ExperimentRecord& record,
                             std::span<const registry::Assignment> assignments,
                             std::size_t max_buckets) {
  TrafficSeries series;
  for (const registry::Variant& v : record.variants) series.variants.push_back(v.name);
  if (assignments.empty()) return series;
  for (const registry::Assignment& a : assignments) {
    if (std::find(series.variants.begin(), series.variants.end(), a.variant) ==
        series.variants.end()) {
      series.variants.push_back(a.variant);
    }
  }
  series.from = assignments.front().at;
  const registry::Duration span = assignments.back().at - series.from + registry::Duration(1);
  const auto buckets = static_cast<std::int64_t>(std::max<std::size_t>(max_buckets, 1));
  series.bucket = std::max(registry::Duration(std::chrono::seconds(1)),
                           registry::Duration((span.count() + buckets - 1) / buckets));
  const auto used = static_cast<std::size_t>((span.count() - 1) / series.bucket.count() + 1);
  series.counts.assign(used, std::vector<std::int64_t>(series.variants.size(), 0));
  for (const registry::Assignment& a : assignments) {
    const auto bucket = static_cast<std::size_t>((a.at - series.from) / series.bucket);
    const auto variant = static_cast<std::size_t>(
        std::find(series.variants.begin(), series.variants.end(), a.variant) -
        series.variants.begin());
    ++series.counts[std::min(bucket, used - 1)][variant];
  }
  return series;
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
  page += traffic_section(series, record.steps);
  page += latency_section(series.variants, assignments, report);
  page += metrics_section(report);
  page += decisions_section(record);
  page += environments_section(record);
  page += provenance_section(record);
  page += "<p class=\"muted\">written by graft exp report --html</p>\n</body>\n</html>\n";
  return page;
}

}  // namespace graft::experiment
