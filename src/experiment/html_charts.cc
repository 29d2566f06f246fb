#include "experiment/html_charts.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <fmt/core.h>

namespace graft::experiment {
namespace {

constexpr std::string_view kColors[] = {"#4e79a7", "#f28e2b", "#59a14f",
                                        "#e15759", "#b07aa1", "#76b7b2"};

std::string_view color(std::size_t index) {
  return kColors[index % std::size(kColors)];
}

std::string legend(const std::vector<std::string>& variants) {
  std::string out = "<div>";
  for (std::size_t i = 0; i < variants.size(); ++i) {
    out += fmt::format("<span class=\"swatch\" style=\"background:{}\"></span>{}", color(i),
                       html_escape(variants[i]));
  }
  return out + "</div>\n";
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

// One variant's latencies in the shared bins, with its percentiles from the report.
struct Histogram {
  std::string name;
  std::size_t index = 0;  // picks the colour
  std::vector<std::int64_t> bins;
  std::int64_t total = 0;
  LatencyMarks marks;
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
  const std::pair<const char*, std::optional<double>> marks[] = {{"p50", histogram.marks.p50_ms},
                                                                 {"p99", histogram.marks.p99_ms}};
  for (const auto& [name, value] : marks) {
    if (!value || *value <= 0) continue;
    const double x =
        std::clamp(std::log(*value / scale.low_ms) / std::log(ratio), 0.0, 1.0) * kWidth;
    out += fmt::format(
        "<line class=\"{0}\" x1=\"{1:.1f}\" x2=\"{1:.1f}\" y1=\"0\" y2=\"{2}\" stroke=\"#000\" "
        "stroke-dasharray=\"3 2\"/><text x=\"{3:.1f}\" y=\"10\">{0} {4:.3g} ms</text>\n",
        name, x, kHeight, std::min(x + 2, kWidth - 70), *value);
  }
  return out + fmt::format(
                   "<text x=\"0\" y=\"{0}\">{1:.3g} ms</text><text x=\"{2}\" y=\"{0}\" "
                   "text-anchor=\"end\">{3:.3g} ms</text></svg></div>\n",
                   kHeight + 13, scale.low_ms, kWidth, scale.high_ms);
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

std::string traffic_chart_html(const TrafficSeries& series, std::span<const registry::Step> steps,
                               std::string_view start_label) {
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
                   "<text x=\"{}\" y=\"{}\">{}</text><text x=\"{}\" y=\"{}\" "
                   "text-anchor=\"end\">+{:.0f} s</text>\n</svg>\n",
                   kTrafficLeft, kTrafficHeight + 26, html_escape(start_label), kTrafficWidth,
                   kTrafficHeight + 26, seconds * static_cast<double>(series.counts.size()));
}

// Log-spaced bins over every variant's latencies, the same for all, so bars compare.
std::string latency_histograms_html(const std::vector<std::string>& variants,
                                    std::span<const registry::Assignment> assignments,
                                    const std::map<std::string, LatencyMarks, std::less<>>& marks) {
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
    auto mark = marks.find(variants[i]);
    histograms.push_back({.name = variants[i],
                          .index = i,
                          .bins = std::vector<std::int64_t>(kBins, 0),
                          .marks = mark == marks.end() ? LatencyMarks{} : mark->second});
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

}  // namespace graft::experiment
