// graft exp analyze (the report computed offline from an access log) and graft exp report
// (a recorded experiment's report: terminal summary, --json, or a self-contained --html).
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "cli/exp_common.h"
#include "cli/exp_html.h"
#include "cli/json_output.h"
#include "cli/route_admin.h"
#include "cli/settings.h"
#include "cli/verb.h"
#include "experiment/traffic.h"
#include "stats/report.h"

namespace graft::cli {
namespace {

using Json = nlohmann::ordered_json;

struct ReportFlags {
  std::string root_prefix;
  std::string name;  // report: the experiment
  bool json = false;
  std::string output;    // report -o FILE
  std::string html;      // report --html FILE
  std::string log;       // analyze --log
  std::string feedback;  // analyze --feedback
  std::string weights;   // analyze --weights B=90,T=10
  std::string baseline;  // analyze --baseline
};

Result<std::map<std::string, std::uint32_t, std::less<>>> parse_weights_flag(
    const std::string& text, std::vector<std::string>* order) {
  std::map<std::string, std::uint32_t, std::less<>> weights;
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) parts.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  GRAFT_ASSIGN_OR_RETURN(nlohmann::json parsed, parse_weight_assignments(parts));
  for (const std::string& part : parts) order->push_back(part.substr(0, part.find('=')));
  for (const auto& [name, value] : parsed.items()) weights[name] = value.get<std::uint32_t>();
  return weights;
}

std::string format_report_text(const Json& report) {
  auto number = [](const Json& value, const char* format = "{:.4g}") -> std::string {
    if (value.is_null()) return "-";
    return fmt::format(fmt::runtime(format), value.get<double>());
  };
  std::string text =
      fmt::format("{:<16} {:>9} {:>7} {:>7} {:>9} {:>9} {:>9} {:>9}\n", "VARIANT", "REQUESTS",
                  "USERS", "ERRORS", "ERR RATE", "P50 MS", "P99 MS", "OUTCOME");
  for (const auto& [name, v] : report["variants"].items()) {
    text += fmt::format("{:<16} {:>9} {:>7} {:>7} {:>9} {:>9} {:>9} {:>9}\n", name,
                        v["requests"].get<std::uint64_t>(), v["users"].get<std::uint64_t>(),
                        v["errors"].get<std::uint64_t>(), number(v["error_rate"]),
                        number(v["latency_ms"]["p50"]), number(v["latency_ms"]["p99"]),
                        number(v["outcome"]["mean"]));
  }
  const Json& srm = report["srm"];
  text += fmt::format("sample ratio: chi2 {} p {}{}\n", number(srm["chi2"]), number(srm["p_value"]),
                      srm["mismatch"].get<bool>() ? " MISMATCH" : "");
  for (const auto& [name, c] : report["comparisons"].items()) {
    text += fmt::format(
        "{} vs baseline: error rate {:+.4f} [{}, {}] p {}; p99 ratio {} "
        "(Mann-Whitney p {}); outcome {:+.4g}, lift {} p {}\n",
        name, c["error_rate"]["delta"].get<double>(), number(c["error_rate"]["ci95"][0]),
        number(c["error_rate"]["ci95"][1]), number(c["error_rate"]["p_value"]),
        number(c["latency"]["p99_ratio"]), number(c["latency"]["mann_whitney_p"]),
        c["outcome"]["delta"].get<double>(), number(c["outcome"]["lift"]),
        number(c["outcome"]["p_value"]));
  }
  return text;
}

int run_analyze(const ReportFlags& flags) {
  auto text = base::read_file(flags.log);
  if (!text) return report_error(text.error());
  experiment::OfflineInput input{.baseline = flags.baseline};
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start < text->size()) {
    std::size_t end = text->find('\n', start);
    if (end == std::string::npos) end = text->size();
    std::string_view line(text->data() + start, end - start);
    start = end + 1;
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    auto request = experiment::parse_access_line(line);
    if (!request) {
      return report_error(
          Error(ErrorCode::kInvalidArgument,
                fmt::format("{}:{}: {}", flags.log, line_number, request.error().message())));
    }
    input.requests.push_back(std::move(*request));
  }
  if (!flags.feedback.empty()) {
    auto feedback_text = base::read_file(flags.feedback);
    if (!feedback_text) return report_error(feedback_text.error());
    auto values = experiment::parse_feedback(*feedback_text, registry::Time{});
    if (!values) {
      return report_error(Error(ErrorCode::kInvalidArgument,
                                fmt::format("{}: {}", flags.feedback, values.error().message())));
    }
    input.feedback = std::move(*values);
  }
  if (!flags.weights.empty()) {
    auto weights = parse_weights_flag(flags.weights, &input.order);
    if (!weights) return report_error(weights.error());
    input.weights = std::move(*weights);
    if (!flags.baseline.empty()) {
      std::erase(input.order, flags.baseline);
      input.order.insert(input.order.begin(), flags.baseline);
    }
  }
  auto result = experiment::analyze_offline(input);
  if (!result) return report_error(result.error());
  Json report = stats::to_json(result->report);
  if (flags.json) {
    std::fputs(json_text(report).c_str(), stdout);
  } else {
    std::fputs(format_report_text(report).c_str(), stdout);
  }
  if (result->unjoined > 0) {
    report_warning(
        fmt::format("{} feedback values name requests that are not in the log", result->unjoined));
  }
  return 0;
}

int run_report(const ReportFlags& flags) {
  auto root = graft_root(flags.root_prefix);
  if (!root) return report_error(root.error());
  auto record = load_record(*root, flags.name);
  if (!record) return report_error(record.error());
  auto report = recorded_report(*root, *record);
  if (!report) return report_error(report.error());
  if (!flags.html.empty()) {
    auto written = write_html_report(*root, *record, *report, flags.html);
    return written ? 0 : report_error(written.error());
  }
  const std::string text = flags.json ? json_text(*report) : format_report_text(*report);
  if (!flags.output.empty()) {
    if (auto written = base::write_output_file(flags.output, text); !written) {
      return report_error(written.error());
    }
    return 0;
  }
  std::fputs(text.c_str(), stdout);
  return 0;
}

GRAFT_VERB({.name = "exp analyze",
            .help = "the experiment report computed from an access log",
            .setup = [](CLI::App& command) -> VerbRun {
              auto flags = std::make_shared<ReportFlags>();
              command.add_option("--log", flags->log, "graft's JSON-lines access log")->required();
              command.add_option("--feedback", flags->feedback,
                                 "JSON lines of {request_id, value}");
              command.add_option(
                  "--weights", flags->weights,
                  "the weights in force, baseline first: B=90,T=10 (default: equal)");
              command.add_option("--baseline", flags->baseline,
                                 "the baseline variant (default: 'baseline', else the first in "
                                 "the log)");
              command.add_flag("--json", flags->json, "print the report JSON");
              return [flags] { return run_analyze(*flags); };
            }});

GRAFT_VERB({.name = "exp report",
            .help = "an experiment's report (live while it runs)",
            .setup = [](CLI::App& command) -> VerbRun {
              auto flags = std::make_shared<ReportFlags>();
              command.add_option("NAME", flags->name, "the experiment's name")->required();
              command.add_flag("--json", flags->json, "print the report JSON");
              command.add_option("-o,--output", flags->output, "write to a file");
              command.add_option("--html", flags->html,
                                 "write a self-contained HTML page (verdict, traffic, latency "
                                 "histograms, metrics, decisions, environment diff) to FILE");
              add_root_prefix_flag(command, flags->root_prefix);
              return [flags] { return run_report(*flags); };
            }});

}  // namespace
}  // namespace graft::cli
