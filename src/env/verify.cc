// Environment verification; see verify.h.
#include "env/verify.h"

#include <algorithm>
#include <set>
#include <system_error>
#include <tuple>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "base/hash.h"
#include "base/parallel.h"
#include "env/prefix_data.h"

namespace graft::env {
namespace fs = std::filesystem;
namespace {

struct Check {
  conda::PathEntry entry;
  std::string package;
};

bool is_generated(const conda::PathEntry& entry) {
  return entry.path_type == "pyc_file" || entry.path_type.find("entry_point") != std::string::npos;
}

// Every recorded path, as linked.
std::vector<Check> recorded_checks(const std::vector<conda::PrefixRecord>& records) {
  std::vector<Check> checks;
  for (const auto& record : records) {
    const std::string package = conda::dist_name(record);
    for (conda::PathEntry& entry : linked_entries(record))
      checks.push_back({std::move(entry), package});
  }
  return checks;
}

VerifyProblem modified(const conda::PathEntry& entry, std::string detail) {
  return {.kind = ProblemKind::kModified, .path = entry.path, .detail = std::move(detail)};
}

std::optional<VerifyProblem> check_regular(const fs::path& full, const conda::PathEntry& entry,
                                           VerifyDepth depth) {
  std::error_code error;
  if (!fs::is_regular_file(full, error)) return modified(entry, "not a regular file");
  // Text-mode prefix replacement changes the length; binary mode keeps it.
  const bool size_known = entry.size_in_bytes && !is_generated(entry) &&
                          (entry.prefix_placeholder.empty() || entry.file_mode == "binary");
  if (size_known) {
    const auto size = fs::file_size(full, error);
    if (!error && size != *entry.size_in_bytes) {
      return modified(entry, "size " + std::to_string(size) + " bytes, recorded " +
                                 std::to_string(*entry.size_in_bytes));
    }
  }
  if (depth == VerifyDepth::kSizeOnly) return std::nullopt;
  const std::string expected = expected_sha256(entry);
  if (expected.empty()) return std::nullopt;
  auto actual = base::file_digest_hex(full, base::DigestKind::kSha256);
  if (!actual) return modified(entry, "cannot be read: " + actual.error().message());
  if (*actual != expected) return modified(entry, "sha256 differs from the record");
  return std::nullopt;
}

std::vector<VerifyProblem> untracked_files(const std::vector<Check>& checks,
                                           std::vector<base::WalkEntry> entries) {
  std::set<std::string> recorded;
  for (const auto& check : checks) recorded.insert(check.entry.path);
  std::vector<VerifyProblem> out;
  for (const auto& entry : entries) {
    const std::string path = entry.relative.generic_string();
    if (entry.type == base::EntryType::kDirectory || path == "conda-meta" ||
        path.rfind("conda-meta/", 0) == 0 || recorded.count(path) != 0) {
      continue;
    }
    out.push_back({.kind = ProblemKind::kUntracked, .path = path});
  }
  return out;
}

}  // namespace

std::vector<conda::PathEntry> linked_entries(const conda::PrefixRecord& record) {
  std::vector<conda::PathEntry> entries;
  if (!record.paths_data) {
    for (const auto& file : record.files) entries.push_back({.path = file});
    return entries;
  }
  entries = record.paths_data->paths;
  if (entries.size() == record.files.size()) {
    for (std::size_t i = 0; i < entries.size(); ++i) entries[i].path = record.files[i];
  }
  return entries;
}

std::string expected_sha256(const conda::PathEntry& entry) {
  if (!entry.sha256_in_prefix.empty()) return entry.sha256_in_prefix;
  if (entry.prefix_placeholder.empty() && !is_generated(entry)) return entry.sha256;
  return "";
}

std::string_view problem_kind_name(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::kMissing: return "missing";
    case ProblemKind::kModified: return "modified";
    case ProblemKind::kUntracked: return "untracked";
    case ProblemKind::kCorrupt: return "corrupt";
  }
  return "unknown";
}

std::optional<VerifyProblem> check_path(const fs::path& prefix, const conda::PathEntry& entry,
                                        VerifyDepth depth) {
  const fs::path full = prefix / entry.path;
  std::error_code error;
  const auto status = fs::symlink_status(full, error);
  if (!fs::exists(status)) {
    // A .pyc is compiled at link time when the env's python can; python rebuilds it anyway.
    if (entry.path_type == "pyc_file") return std::nullopt;
    return VerifyProblem{.kind = ProblemKind::kMissing, .path = entry.path};
  }
  if (entry.path_type == "directory") {
    if (fs::is_directory(status)) return std::nullopt;
    return modified(entry, "not a directory");
  }
  if (entry.path_type == "softlink") {
    if (!fs::is_symlink(status)) return modified(entry, "not a symlink");
    if (!fs::exists(full, error)) {
      return modified(entry,
                      "dangling symlink to '" + fs::read_symlink(full, error).string() + "'");
    }
    return std::nullopt;
  }
  return check_regular(full, entry, depth);
}

Result<VerifyReport> verify_prefix(const fs::path& prefix, const VerifyOptions& options) {
  std::error_code error;
  if (!fs::is_directory(prefix / "conda-meta", error)) {
    return fail(ErrorCode::kNotFound,
                "no environment at '" + prefix.string() + "': it has no conda-meta directory");
  }
  GRAFT_ASSIGN_OR_RETURN(PrefixRecords loaded, load_records_keeping_broken(prefix));
  const std::vector<conda::PrefixRecord>& records = loaded.records;
  const auto checks = recorded_checks(records);
  std::vector<std::optional<VerifyProblem>> results(checks.size());
  const unsigned threads = options.threads == 0 ? base::default_file_threads() : options.threads;
  GRAFT_RETURN_IF_ERROR(base::parallel_for(checks.size(), threads, [&](std::size_t i) -> Status {
    results[i] = check_path(prefix, checks[i].entry, options.depth);
    if (results[i]) results[i]->package = checks[i].package;
    return ok();
  }));
  VerifyReport report{.prefix = prefix.string(),
                      .files = checks.size(),
                      .packages = records.size() + loaded.broken.size()};
  for (BrokenRecord& broken : loaded.broken) {
    report.problems.push_back({.kind = ProblemKind::kCorrupt,
                               .path = broken.file,
                               .package = broken.dist,
                               .detail = broken.error.message()});
  }
  for (auto& result : results) {
    if (result) report.problems.push_back(std::move(*result));
  }
  if (options.extra == ExtraFiles::kReport) {
    GRAFT_ASSIGN_OR_RETURN(auto entries, base::walk(prefix));
    for (auto& problem : untracked_files(checks, std::move(entries))) {
      report.problems.push_back(std::move(problem));
    }
  }
  std::sort(report.problems.begin(), report.problems.end(), [](const auto& a, const auto& b) {
    return std::tie(a.path, a.kind) < std::tie(b.path, b.kind);
  });
  return report;
}

std::vector<std::string> damaged_packages(const VerifyReport& report) {
  std::set<std::string> packages;
  for (const auto& problem : report.problems) {
    if (problem.kind != ProblemKind::kUntracked && !problem.package.empty()) {
      packages.insert(problem.package);
    }
  }
  return {packages.begin(), packages.end()};
}

std::string format_verify_text(const VerifyReport& report) {
  std::string out;
  for (const auto& problem : report.problems) {
    out += std::string(problem_kind_name(problem.kind)) + ": " + problem.path;
    if (!problem.package.empty()) out += " (" + problem.package + ")";
    if (!problem.detail.empty()) out += ": " + problem.detail;
    out += "\n";
  }
  out += "verified " + std::to_string(report.files) + (report.files == 1 ? " file" : " files") +
         " of " + std::to_string(report.packages) +
         (report.packages == 1 ? " package: " : " packages: ");
  const std::size_t count = report.problems.size();
  if (count == 0) return out + "no drift\n";
  return out + std::to_string(count) + (count == 1 ? " problem\n" : " problems\n");
}

std::string format_verify_json(const VerifyReport& report) {
  nlohmann::ordered_json problems = nlohmann::ordered_json::array();
  for (const auto& problem : report.problems) {
    problems.push_back({{"kind", problem_kind_name(problem.kind)},
                        {"path", problem.path},
                        {"package", problem.package},
                        {"detail", problem.detail}});
  }
  nlohmann::ordered_json json = {{"prefix", report.prefix},
                                 {"packages", report.packages},
                                 {"files", report.files},
                                 {"ok", report.problems.empty()},
                                 {"problems", problems}};
  return json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace graft::env
