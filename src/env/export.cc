// Environment export in conda 26's formats; see export.h.
#include "env/export.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <system_error>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "base/strings.h"
#include "conda/match_spec.h"
#include "env/history.h"
#include "env/listing.h"
#include "env/prefix_data.h"
#include "env/site_packages.h"
#include "env/state.h"

namespace graft::env {
namespace fs = std::filesystem;
namespace {

// The four lines `conda list --explicit` starts with ("<env>" is literal).
std::string explicit_header(const ExplicitOptions& options) {
  return "# This file may be used to create an environment using:\n"
         "# $ conda create --name <env> --file <this file>\n"
         "# platform: " +
         options.platform + "\n# created-by: " + options.created_by + "\n";
}

// "file:///c/linux-64" -> "file:///c" when the record's subdir ends the channel.
std::string channel_base(const conda::PackageRecord& record) {
  const std::string suffix = "/" + record.subdir;
  if (!record.subdir.empty() && base::ends_with(record.channel, suffix)) {
    return record.channel.substr(0, record.channel.size() - suffix.size());
  }
  return record.channel;
}

bool looks_special(std::string_view value) {
  static const std::set<std::string, std::less<>> kReserved = {"true", "false", "yes",  "no",
                                                               "on",   "off",   "null", "~"};
  if (value.empty() || kReserved.count(base::to_lower(value)) != 0) return true;
  if (std::string_view("-?:,[]{}#&*!|>'\"%@`").find(value.front()) != std::string_view::npos) {
    return value.size() == 1 || value.front() != '-' || value[1] == ' ';
  }
  if (value.find(": ") != std::string_view::npos || value.find(" #") != std::string_view::npos ||
      value.back() == ':' || value.back() == ' ' || value.front() == ' ') {
    return true;
  }
  std::size_t used = 0;
  try {
    (void)std::stod(std::string(value), &used);
  } catch (const std::exception&) {
    return false;
  }
  return used == value.size();
}

// A YAML scalar as ruamel.yaml writes it: plain when unambiguous, else single-quoted.
std::string yaml_scalar(std::string_view value) {
  if (!looks_special(value)) return std::string(value);
  return "'" + base::replace_all(value, "'", "''") + "'";
}

std::string strip_fuzzy(std::string_view version) {
  if (base::ends_with(version, ".*"))
    version.remove_suffix(2);
  else if (base::ends_with(version, "*"))
    version.remove_suffix(1);
  return std::string(version);
}

bool is_plain_version(std::string_view version) {
  return version.find_first_of("<>=!~,|* ") == std::string_view::npos;
}

// conda 26's export form of a requested spec: no channel, "name=ver=build", "name=2.0" for
// a fuzzy "2.0.*", "name==2.0" for an exact one, operators kept ("name>=1.0").
std::string export_spec(const conda::MatchSpec& spec) {
  std::string out = spec.name();
  auto version = spec.get(conda::MatchSpecField::kVersion);
  auto build = spec.get(conda::MatchSpecField::kBuild);
  std::string text = version ? std::string(*version) : "";
  if (base::starts_with(text, "==")) text = text.substr(2);
  if (build) return out + "=" + (text.empty() ? "*" : text) + "=" + std::string(*build);
  if (text.empty()) return out;
  if (base::ends_with(text, "*") && is_plain_version(strip_fuzzy(text))) {
    return out + "=" + strip_fuzzy(text);
  }
  return out + (is_plain_version(text) ? "==" : "") + text;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// parents[i]: indices of the records record i depends on (itself excluded).
std::vector<std::set<std::size_t>> dependency_parents(
    const std::vector<conda::PackageRecord>& records) {
  std::map<std::string, std::size_t> by_name;
  for (std::size_t i = 0; i < records.size(); ++i) by_name.emplace(records[i].name, i);
  std::vector<std::set<std::size_t>> parents(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    std::vector<std::string> names;
    for (const auto& text : records[i].depends) {
      auto spec = conda::MatchSpec::parse(text);
      if (spec && spec->has_exact_name()) names.push_back(spec->name());
    }
    if (records[i].noarch == "python") names.push_back("python");
    // conda's special case: python's dependency on pip would make a cycle; pip goes after.
    if (records[i].name == "python") std::erase(names, "pip");
    for (const auto& name : names) {
      auto found = by_name.find(name);
      if (found != by_name.end() && found->second != i) parents[i].insert(found->second);
    }
  }
  return parents;
}

// The records ready next: every one without unplaced parents, or (a cycle) the one with the
// fewest, smallest name first.
std::vector<std::size_t> next_level(const std::vector<conda::PackageRecord>& records,
                                    const std::vector<std::set<std::size_t>>& parents,
                                    const std::vector<bool>& placed) {
  std::vector<std::size_t> ready;
  std::size_t fewest = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (placed[i]) continue;
    if (parents[i].empty())
      ready.push_back(i);
    else if (ready.empty() && (fewest == 0 || parents[i].size() < parents[fewest - 1].size() ||
                               (parents[i].size() == parents[fewest - 1].size() &&
                                records[i].name < records[fewest - 1].name))) {
      fewest = i + 1;
    }
  }
  if (ready.empty() && fewest != 0) ready.push_back(fewest - 1);
  std::sort(ready.begin(), ready.end(),
            [&](std::size_t a, std::size_t b) { return records[a].name < records[b].name; });
  return ready;
}

}  // namespace

Result<ExportFormat> parse_export_format(std::string_view text) {
  static const std::map<std::string, ExportFormat, std::less<>> kFormats = {
      {"environment-yaml", ExportFormat::kEnvironmentYaml},
      {"yaml", ExportFormat::kEnvironmentYaml},
      {"yml", ExportFormat::kEnvironmentYaml},
      {"environment-json", ExportFormat::kEnvironmentJson},
      {"json", ExportFormat::kEnvironmentJson},
      {"explicit", ExportFormat::kExplicit},
      {"requirements", ExportFormat::kRequirements},
      {"reqs", ExportFormat::kRequirements},
      {"txt", ExportFormat::kRequirements}};
  auto found = kFormats.find(text);
  if (found != kFormats.end()) return found->second;
  return fail(ErrorCode::kInvalidArgument,
              "'" + std::string(text) +
                  "' is not a valid export format: expected one of 'environment-yaml', "
                  "'environment-json', 'explicit', 'requirements'");
}

std::vector<std::string> history_specs(std::string_view history) {
  std::vector<std::string> out;
  for (const conda::MatchSpec& spec : latest_requested_specs(parse_history(history), false)) {
    out.push_back(export_spec(spec));
  }
  return out;
}

EnvironmentExport make_export(const fs::path& prefix, std::vector<conda::PackageRecord> records,
                              std::string_view history, const ExportOptions& options) {
  EnvironmentExport out;
  out.name = options.name.empty() ? prefix.filename().string() : options.name;
  out.prefix = prefix.string();
  if (options.source == SpecSource::kHistory) {
    out.dependencies = history_specs(history);
    return out;
  }
  std::sort(records.begin(), records.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  for (const auto& record : records) {
    std::string channel = channel_base(record);
    if (!options.ignore_channels && !channel.empty() &&
        std::find(out.channels.begin(), out.channels.end(), channel) == out.channels.end()) {
      out.channels.push_back(std::move(channel));
    }
    std::string dependency = record.name + "=" + record.version;
    if (options.builds == BuildStrings::kInclude) dependency += "=" + record.build;
    out.dependencies.push_back(std::move(dependency));
  }
  return out;
}

Result<std::vector<conda::PackageRecord>> load_package_records(const fs::path& prefix) {
  GRAFT_ASSIGN_OR_RETURN(auto installed,
                         load_records(prefix, conda::PrefixRecordParts::kPackageOnly));
  return std::vector<conda::PackageRecord>(std::make_move_iterator(installed.begin()),
                                           std::make_move_iterator(installed.end()));
}

Result<EnvironmentExport> collect_export(const fs::path& prefix, const ExportOptions& options) {
  GRAFT_ASSIGN_OR_RETURN(auto records, load_package_records(prefix));
  std::string history;
  if (options.source == SpecSource::kHistory) history = read_text(prefix / "conda-meta/history");
  EnvironmentExport out = make_export(prefix, std::move(records), history, options);
  if (options.source == SpecSource::kInstalled) out.pip = pip_distributions(prefix);
  GRAFT_ASSIGN_OR_RETURN(out.variables, read_env_vars(prefix));  // unset ones left out
  return out;
}

std::string format_environment_yaml(const EnvironmentExport& data) {
  std::string out = "name: " + yaml_scalar(data.name) + "\n";
  if (!data.channels.empty()) {
    out += "channels:\n";
    for (const auto& channel : data.channels) out += "  - " + yaml_scalar(channel) + "\n";
  }
  if (!data.dependencies.empty() || !data.pip.empty()) {
    out += "dependencies:\n";
    for (const auto& dependency : data.dependencies) out += "  - " + yaml_scalar(dependency) + "\n";
    if (!data.pip.empty()) out += "  - pip:\n";
    for (const auto& pip : data.pip) out += "      - " + yaml_scalar(pip) + "\n";
  }
  if (!data.variables.empty()) {
    out += "variables:\n";
    for (const auto& [key, value] : data.variables) {
      out += "  " + yaml_scalar(key) + ": " + yaml_scalar(value) + "\n";
    }
  }
  return out + "prefix: " + yaml_scalar(data.prefix) + "\n";
}

std::string format_environment_json(const EnvironmentExport& data) {
  nlohmann::ordered_json json = nlohmann::ordered_json::object();
  json["name"] = data.name;
  if (!data.channels.empty()) json["channels"] = data.channels;
  nlohmann::ordered_json dependencies = data.dependencies;
  if (!data.pip.empty()) dependencies.push_back({{"pip", data.pip}});
  if (!dependencies.empty()) json["dependencies"] = dependencies;
  if (!data.variables.empty()) {
    nlohmann::ordered_json variables = nlohmann::ordered_json::object();
    for (const auto& [key, value] : data.variables) variables[key] = value;
    json["variables"] = variables;
  }
  json["prefix"] = data.prefix;
  return json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::string format_explicit(const std::vector<conda::PackageRecord>& records,
                            const ExplicitOptions& options) {
  std::string out = explicit_header(options) + "@EXPLICIT\n";
  for (const auto& record : explicit_order(records)) {
    if (record.url.empty()) continue;
    out += record.url;
    if (options.hash == ExplicitHash::kMd5 && !record.md5.empty()) out += "#" + record.md5;
    if (options.hash == ExplicitHash::kSha256 && !record.sha256.empty()) {
      out += "#" + record.sha256;
    }
    out += "\n";
  }
  return out;
}

std::string format_requirements(const std::vector<conda::PackageRecord>& records,
                                const ExplicitOptions& options) {
  std::vector<std::string> lines;
  for (const auto& record : records) {
    const std::string channel = channel_names(record).canonical;
    lines.push_back((channel.empty() ? "" : channel + "::") + record.name + "==" + record.version +
                    "=" + record.build);
  }
  std::sort(lines.begin(), lines.end());
  std::string out = explicit_header(options);
  out +=
      "# Note: This is a conda requirements file (MatchSpec format)\n"
      "# Contains conda package specifications, not pip requirements\n\n";
  for (const auto& line : lines) out += line + "\n";
  return out;
}

std::vector<conda::PackageRecord> explicit_order(std::vector<conda::PackageRecord> records) {
  auto parents = dependency_parents(records);
  std::vector<bool> placed(records.size(), false);
  std::vector<conda::PackageRecord> ordered;
  ordered.reserve(records.size());
  // As conda's PrefixGraph: records nothing depends on and that depend on nothing go first.
  std::vector<bool> is_parent(records.size(), false);
  for (const auto& set : parents) {
    for (std::size_t parent : set) is_parent[parent] = true;
  }
  std::vector<std::size_t> disconnected;
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (parents[i].empty() && !is_parent[i]) disconnected.push_back(i);
  }
  std::sort(disconnected.begin(), disconnected.end(),
            [&](std::size_t a, std::size_t b) { return records[a].name < records[b].name; });
  for (std::size_t index : disconnected) {
    placed[index] = true;
    ordered.push_back(std::move(records[index]));
  }
  while (ordered.size() < records.size()) {
    const auto level = next_level(records, parents, placed);
    for (std::size_t index : level) placed[index] = true;
    for (std::size_t index : level) {
      ordered.push_back(std::move(records[index]));
      for (auto& set : parents) set.erase(index);
    }
  }
  return ordered;
}

}  // namespace graft::env
