// The text and JSON renderings of an environment diff; see diff.h.
#include <algorithm>
#include <functional>

#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "env/diff.h"

namespace graft::env {
namespace {

char marker(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kAdded: return '+';
    case ChangeKind::kRemoved: return '-';
    case ChangeKind::kChanged: return '~';
  }
  return '~';
}

std::string plural(std::size_t count, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", count, count == 1 ? one : many);
}

std::string counts_text(const SideCounts& counts) {
  return fmt::format("{}, {}, {}, {}, {}, {}", plural(counts.packages, "package", "packages"),
                     plural(counts.tracked_files, "tracked file", "tracked files"),
                     plural(counts.untracked_files, "untracked file", "untracked files"),
                     plural(counts.pip, "pip package", "pip packages"),
                     plural(counts.env_vars, "env var", "env vars"),
                     plural(counts.pins, "pin", "pins"));
}

// "packages: 1 changed, 2 only in B".
template <typename Item>
std::string section_title(std::string_view title, const std::vector<Item>& items) {
  std::size_t changed = 0, removed = 0, added = 0;
  for (const auto& item : items) {
    (item.kind == ChangeKind::kChanged   ? changed
     : item.kind == ChangeKind::kRemoved ? removed
                                         : added)++;
  }
  std::vector<std::string> parts;
  if (changed != 0) parts.push_back(fmt::format("{} changed", changed));
  if (removed != 0) parts.push_back(fmt::format("{} only in A", removed));
  if (added != 0) parts.push_back(fmt::format("{} only in B", added));
  return fmt::format("{}: {}\n", title, base::join(parts, ", "));
}

std::string package_side(const PackageState& state, const std::vector<std::string>& fields,
                         bool whole) {
  std::string out = state.version + " " + state.build;
  const auto has = [&](std::string_view field) {
    return std::find(fields.begin(), fields.end(), field) != fields.end();
  };
  if ((whole || has("channel")) && !state.channel.empty()) out += " (" + state.channel + ")";
  if (has("sha256")) out += " sha256 " + state.sha256.substr(0, 16);
  return out;
}

std::string package_lines(const std::vector<PackageDifference>& packages) {
  std::size_t width = 0;
  for (const auto& item : packages) width = std::max(width, item.name.size());
  std::string out;
  for (const auto& item : packages) {
    std::string line = fmt::format("  {} {:<{}}  ", marker(item.kind), item.name, width);
    if (item.kind == ChangeKind::kAdded) line += package_side(item.b, item.fields, true);
    if (item.kind == ChangeKind::kRemoved) line += package_side(item.a, item.fields, true);
    if (item.kind == ChangeKind::kChanged) {
      line += package_side(item.a, item.fields, false) + "  ->  " +
              package_side(item.b, item.fields, false) + "  [" + base::join(item.fields, ", ") +
              "]";
    }
    out += line + "\n";
  }
  return out;
}

// Files: "~ PATH (PACKAGE): DETAIL [A: x, B: y]"; "+ PATH" / "- PATH" for untracked files.
std::string file_line(const Difference& item) {
  std::string line = fmt::format("  {} {}", marker(item.kind), item.key);
  if (!item.package.empty()) line += " (" + item.package + ")";
  if (!item.detail.empty()) line += ": " + item.detail;
  if (!item.a.empty() || !item.b.empty()) line += fmt::format(" [A: {}, B: {}]", item.a, item.b);
  return line + "\n";
}

// Pip, env vars and pins: "~ KEY<sep>A  ->  B", "+ KEY<sep>B", "- KEY<sep>A".
std::string value_line(const Difference& item, std::string_view separator) {
  std::string line = fmt::format("  {} {}{}", marker(item.kind), item.key, separator);
  if (item.kind == ChangeKind::kAdded) return line + item.b + "\n";
  if (item.kind == ChangeKind::kRemoved) return line + item.a + "\n";
  return line + item.a + "  ->  " + item.b + "\n";
}

std::string value_section(std::string_view title, const std::vector<Difference>& items,
                          const std::function<std::string(const Difference&)>& line) {
  if (items.empty()) return "";
  std::string out = section_title(title, items);
  for (const auto& item : items) out += line(item);
  return out;
}

nlohmann::json side_json(const std::string& label, const std::string& prefix,
                         const SideCounts& counts) {
  return {{"name", label},
          {"prefix", prefix},
          {"packages", counts.packages},
          {"tracked_files", counts.tracked_files},
          {"untracked_files", counts.untracked_files},
          {"pip", counts.pip},
          {"env_vars", counts.env_vars},
          {"pins", counts.pins}};
}

nlohmann::json package_state_json(const PackageState& state) {
  return {{"version", state.version},
          {"build", state.build},
          {"channel", state.channel},
          {"sha256", state.sha256}};
}

nlohmann::json differences_json(const std::vector<Difference>& items, const char* key_name) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& item : items) {
    nlohmann::json entry = {{"change", change_kind_name(item.kind)}, {key_name, item.key}};
    entry["a"] = item.kind == ChangeKind::kAdded ? nlohmann::json() : nlohmann::json(item.a);
    entry["b"] = item.kind == ChangeKind::kRemoved ? nlohmann::json() : nlohmann::json(item.b);
    if (!item.detail.empty()) entry["detail"] = item.detail;
    if (!item.package.empty()) entry["package"] = item.package;
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace

std::string format_diff_text(const DiffReport& report, const DiffLabels& labels) {
  std::string out = fmt::format("--- A: {}  ({})\n+++ B: {}  ({})\n", labels.a, report.a_prefix,
                                labels.b, report.b_prefix);
  if (!report.packages.empty()) {
    out += "\n" + section_title("packages", report.packages) + package_lines(report.packages);
  }
  const auto section = [&](std::string_view title, const std::vector<Difference>& items,
                           const std::function<std::string(const Difference&)>& line) {
    if (!items.empty()) out += "\n" + value_section(title, items, line);
  };
  section("tracked files", report.files, file_line);
  section("untracked files", report.untracked, file_line);
  section("pip packages", report.pip, [](const auto& item) { return value_line(item, " "); });
  section("env vars", report.env_vars, [](const auto& item) { return value_line(item, " = "); });
  section("pins", report.pins, [](const auto& item) { return value_line(item, ": "); });
  if (report.identical()) {
    return out + fmt::format("identical: {} ({} compared by content)\n",
                             counts_text(report.a_counts),
                             plural(report.files_hashed, "file", "files"));
  }
  return out + fmt::format("\n{} between A and B\n  A: {}\n  B: {}\n",
                           plural(report.total(), "difference", "differences"),
                           counts_text(report.a_counts), counts_text(report.b_counts));
}

std::string format_diff_json(const DiffReport& report, const DiffLabels& labels) {
  nlohmann::json packages = nlohmann::json::array();
  for (const auto& item : report.packages) {
    packages.push_back(
        {{"change", change_kind_name(item.kind)},
         {"name", item.name},
         {"a", item.kind == ChangeKind::kAdded ? nlohmann::json() : package_state_json(item.a)},
         {"b", item.kind == ChangeKind::kRemoved ? nlohmann::json() : package_state_json(item.b)},
         {"fields", item.fields}});
  }
  const nlohmann::json out = {{"a", side_json(labels.a, report.a_prefix, report.a_counts)},
                              {"b", side_json(labels.b, report.b_prefix, report.b_counts)},
                              {"identical", report.identical()},
                              {"differences", report.total()},
                              {"files_hashed", report.files_hashed},
                              {"packages", packages},
                              {"files", differences_json(report.files, "path")},
                              {"untracked", differences_json(report.untracked, "path")},
                              {"pip", differences_json(report.pip, "name")},
                              {"env_vars", differences_json(report.env_vars, "name")},
                              {"pins", differences_json(report.pins, "name")}};
  return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace graft::env
