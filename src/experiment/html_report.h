// `graft exp report NAME --html FILE`: an experiment's report as one self-contained HTML
// page a person can mail (inline CSS and SVG, no script, nothing fetched): the verdict
// first, traffic per variant over time, latency histograms side by side, every metric with
// its delta and interval, the decision timeline with reasons, the environment diff between
// the variants, the code commit and the dataset.
//
// Pure: the caller reads the registry and the report; every string from them is escaped.
// The charts are html_charts.h's.
// Thread-safe (no shared state).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "experiment/html_charts.h"
#include "registry/records.h"

namespace graft::experiment {

// The dependency lines of two exported environment.yml texts that differ: `removed` are
// only in `baseline`, `added` only in `treatment`, each in the order they appear there.
struct DependencyDiff {
  std::vector<std::string> removed;
  std::vector<std::string> added;
};
[[nodiscard]] DependencyDiff diff_dependencies(std::string_view baseline,
                                               std::string_view treatment);

// The page. `report` has the shape of stats::to_json (report.json, or the live
// /experiment/report); missing parts show as "-". `assignments` are the experiment's, in
// arrival order: they give the traffic chart and the latency histograms.
[[nodiscard]] std::string render_html_report(const registry::ExperimentRecord& record,
                                             std::span<const registry::Assignment> assignments,
                                             const nlohmann::ordered_json& report);

}  // namespace graft::experiment
