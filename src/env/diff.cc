// Environment diff: packages, pip, env vars and pins, and the orchestration; the file
// comparison is in diff_files.cc, the output in diff_format.cc. See diff.h.
#include "env/diff.h"

#include <algorithm>
#include <map>
#include <system_error>

#include "base/fs.h"
#include "base/strings.h"
#include "conda/match_spec.h"
#include "env/diff_files.h"
#include "env/export.h"
#include "env/pinned.h"
#include "env/prefix_data.h"
#include "env/site_packages.h"
#include "env/state.h"

namespace graft::env {
namespace fs = std::filesystem;
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

PackageState package_state(const conda::PackageRecord& record) {
  std::string channel = record.channel;
  if (!record.subdir.empty() && base::ends_with(channel, "/" + record.subdir)) {
    channel.resize(channel.size() - record.subdir.size() - 1);
  }
  return {.version = record.version,
          .build = record.build,
          .channel = channel,
          .sha256 = record.sha256};
}

std::vector<std::string> changed_fields(const PackageState& a, const PackageState& b) {
  std::vector<std::string> fields;
  if (a.version != b.version) fields.emplace_back("version");
  if (a.build != b.build) fields.emplace_back("build");
  if (a.channel != b.channel) fields.emplace_back("channel");
  // Another version or build has another hash anyway; a hash recorded on one side only
  // says nothing.
  if (fields.empty() && !a.sha256.empty() && !b.sha256.empty() && a.sha256 != b.sha256) {
    fields.emplace_back("sha256");
  }
  return fields;
}

// Package differences, and the names installed identically in both (compared file by file).
std::vector<PackageDifference> diff_packages(const std::vector<conda::PrefixRecord>& a,
                                             const std::vector<conda::PrefixRecord>& b,
                                             std::set<std::string>& same) {
  std::map<std::string, PackageState> a_states, b_states;
  for (const auto& record : a) a_states.emplace(record.name, package_state(record));
  for (const auto& record : b) b_states.emplace(record.name, package_state(record));
  std::vector<PackageDifference> out;
  for (const auto& [name, state] : a_states) {
    auto found = b_states.find(name);
    if (found == b_states.end()) {
      out.push_back({.kind = ChangeKind::kRemoved, .name = name, .a = state});
      continue;
    }
    auto fields = changed_fields(state, found->second);
    if (fields.empty()) {
      same.insert(name);
      continue;
    }
    out.push_back({.kind = ChangeKind::kChanged,
                   .name = name,
                   .a = state,
                   .b = found->second,
                   .fields = std::move(fields)});
  }
  for (const auto& [name, state] : b_states) {
    if (a_states.count(name) == 0) {
      out.push_back({.kind = ChangeKind::kAdded, .name = name, .b = state});
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.name < y.name; });
  return out;
}

// "name==version" lines as (name, version); names compared case-insensitively, as pip does.
Entries pip_entries(const fs::path& prefix) {
  Entries out;
  for (const std::string& line : pip_distributions(prefix)) {
    const std::size_t split = line.find("==");
    out.emplace_back(base::to_lower(line.substr(0, split)),
                     split == std::string::npos ? "" : line.substr(split + 2));
  }
  return out;
}

// conda-meta/pinned as (package name, line) (env/pinned.h); two pins of one name are both
// kept, keyed by their text.
Result<Entries> pin_entries(const fs::path& prefix) {
  GRAFT_ASSIGN_OR_RETURN(std::vector<Pin> pins, read_pins(prefix));
  Entries out;
  for (Pin& pin : pins) {
    std::string key = pin.spec.name();
    if (std::any_of(out.begin(), out.end(), [&](const auto& e) { return e.first == key; })) {
      key = pin.text;
    }
    out.emplace_back(std::move(key), std::move(pin.text));
  }
  return out;
}

// Variables are compared with A's prefix replaced by B's in A's values (a clone's
// variables may name its own prefix); the report shows A's values as they are.
Result<std::vector<Difference>> diff_env_vars(const fs::path& a, const fs::path& b,
                                              SideCounts& a_counts, SideCounts& b_counts) {
  GRAFT_ASSIGN_OR_RETURN(EnvVars a_vars, read_env_vars(a));
  GRAFT_ASSIGN_OR_RETURN(EnvVars b_vars, read_env_vars(b));
  a_counts.env_vars = a_vars.size();
  b_counts.env_vars = b_vars.size();
  const std::map<std::string, std::string> a_original(a_vars.begin(), a_vars.end());
  for (auto& [key, value] : a_vars) value = base::replace_all(value, a.string(), b.string());
  std::vector<Difference> out = diff_values(a_vars, b_vars);
  for (Difference& difference : out) {
    if (difference.kind != ChangeKind::kAdded) difference.a = a_original.at(difference.key);
  }
  return out;
}

Status check_environment(const fs::path& prefix) {
  std::error_code error;
  if (fs::is_directory(prefix / "conda-meta", error)) return ok();
  return fail(ErrorCode::kNotFound,
              "no environment at '" + prefix.string() + "': it has no conda-meta directory");
}

}  // namespace

std::string_view change_kind_name(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kAdded: return "added";
    case ChangeKind::kRemoved: return "removed";
    case ChangeKind::kChanged: return "changed";
  }
  return "changed";
}

std::size_t DiffReport::total() const {
  return packages.size() + files.size() + untracked.size() + pip.size() + env_vars.size() +
         pins.size();
}

std::vector<Difference> diff_values(const Entries& a, const Entries& b) {
  std::map<std::string, std::string> a_map(a.begin(), a.end()), b_map(b.begin(), b.end());
  std::vector<Difference> out;
  for (const auto& [key, value] : a_map) {
    auto found = b_map.find(key);
    if (found == b_map.end()) {
      out.push_back({.kind = ChangeKind::kRemoved, .key = key, .a = value});
    } else if (found->second != value) {
      out.push_back({.kind = ChangeKind::kChanged, .key = key, .a = value, .b = found->second});
    }
  }
  for (const auto& [key, value] : b_map) {
    if (a_map.count(key) == 0) out.push_back({.kind = ChangeKind::kAdded, .key = key, .b = value});
  }
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.key < y.key; });
  return out;
}

Result<DiffReport> diff_environments(const fs::path& a, const fs::path& b,
                                     const DiffOptions& options) {
  GRAFT_RETURN_IF_ERROR(check_environment(a));
  GRAFT_RETURN_IF_ERROR(check_environment(b));
  GRAFT_ASSIGN_OR_RETURN(auto a_records, load_records(a));
  GRAFT_ASSIGN_OR_RETURN(auto b_records, load_records(b));
  DiffReport report{.a_prefix = a.string(), .b_prefix = b.string()};
  detail::FileDiffInput input{.a_prefix = a,
                              .b_prefix = b,
                              .a_records = &a_records,
                              .b_records = &b_records,
                              .threads = options.threads};
  report.packages = diff_packages(a_records, b_records, input.same_packages);
  GRAFT_ASSIGN_OR_RETURN(auto files, detail::diff_files(input));
  report.files = std::move(files.files);
  report.untracked = std::move(files.untracked);
  report.files_hashed = files.hashed;

  const Entries a_pip = pip_entries(a), b_pip = pip_entries(b);
  report.pip = diff_values(a_pip, b_pip);
  GRAFT_ASSIGN_OR_RETURN(const Entries a_pins, pin_entries(a));
  GRAFT_ASSIGN_OR_RETURN(const Entries b_pins, pin_entries(b));
  report.pins = diff_values(a_pins, b_pins);
  report.a_counts = {.packages = a_records.size(),
                     .tracked_files = files.a_tracked,
                     .untracked_files = files.a_untracked,
                     .pip = a_pip.size(),
                     .pins = a_pins.size()};
  report.b_counts = {.packages = b_records.size(),
                     .tracked_files = files.b_tracked,
                     .untracked_files = files.b_untracked,
                     .pip = b_pip.size(),
                     .pins = b_pins.size()};
  GRAFT_ASSIGN_OR_RETURN(report.env_vars, diff_env_vars(a, b, report.a_counts, report.b_counts));
  return report;
}

}  // namespace graft::env
