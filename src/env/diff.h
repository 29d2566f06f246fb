// Comparing two installed environments A and B: what a team checks to prove that a
// treatment differs from its baseline only in the variable under test.
//
// Six sections are compared; B is "after", so "added" means only in B:
// - packages: by name; a package present in both differs when its version, build, channel
//   (recorded channel without the trailing subdir) or sha256 differs.
// - tracked files changed in place: the recorded files of every package installed identically in
//   both. A file differs when either side no longer matches its own record
//   (sha256_in_prefix, else sha256), when one side is missing or has another type, when a
//   symlink points elsewhere, or, when a record has no hash to go by, when the bytes differ
//   after A's prefix is replaced by B's (placeholder files and noarch: python entry points,
//   whose shebang names the prefix's python, legitimately hold their own prefix). Hard
//   links to one inode are identical without reading them; .pyc files (compiled at link
//   time) and directories are not compared.
// - untracked files: files no record owns (outside conda-meta/), by path; a file in both
//   differs when its bytes (after A's prefix → B's prefix in A's copy) or its symlink
//   target (same substitution) differ.
// - pip packages (export.h pip_distributions), env vars (state.h; A's values with A's
//   prefix replaced by B's) and pins (conda-meta/pinned, keyed by package name).
// conda-meta/history, created_at and frozen are not compared: a clone's history names its
// source, and a clone of a frozen baseline is meant to be editable. So a clone of A, whose
// prefix differs, comes out identical.
//
// diff_environments() reads both prefixes (hashing on worker threads); the rest is pure.
// Thread-safety: reentrant; nothing is shared.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace graft::env {

enum class ChangeKind { kAdded, kRemoved, kChanged };  // added: only in B; removed: only in A

// "added", "removed", "changed".
[[nodiscard]] std::string_view change_kind_name(ChangeKind kind);

// One package as the diff shows it.
struct PackageState {
  std::string version;
  std::string build;
  std::string channel;  // as recorded, without a trailing "/<subdir>"
  std::string sha256;   // of the package file; "" when not recorded

  friend bool operator==(const PackageState&, const PackageState&) = default;
};

struct PackageDifference {
  ChangeKind kind = ChangeKind::kChanged;
  std::string name;
  PackageState a;                   // empty when added
  PackageState b;                   // empty when removed
  std::vector<std::string> fields;  // what changed: "version", "build", "channel", "sha256"

  friend bool operator==(const PackageDifference&, const PackageDifference&) = default;
};

// A difference in any other section.
struct Difference {
  ChangeKind kind = ChangeKind::kChanged;
  std::string key;      // a path (files, untracked) or a name (pip, env vars, pins)
  std::string a;        // A's side in words ("" when added): a version, a value, "missing"
  std::string b;        // B's side ("" when removed)
  std::string detail;   // files: why ("differs from its record in B", "missing in A")
  std::string package;  // tracked files: the owning package ("zlib-1.2.11-h7b6447c_3")

  friend bool operator==(const Difference&, const Difference&) = default;
};

// What one side held, for the summary.
struct SideCounts {
  std::size_t packages = 0;
  std::size_t tracked_files = 0;  // recorded paths of the packages compared file by file
  std::size_t untracked_files = 0;
  std::size_t pip = 0;
  std::size_t env_vars = 0;
  std::size_t pins = 0;
};

struct DiffReport {
  std::string a_prefix, b_prefix;
  SideCounts a_counts, b_counts;
  std::size_t files_hashed = 0;  // files whose bytes were read (hard-linked pairs are not)
  // Each section sorted by key.
  std::vector<PackageDifference> packages;
  std::vector<Difference> files;
  std::vector<Difference> untracked;
  std::vector<Difference> pip;
  std::vector<Difference> env_vars;
  std::vector<Difference> pins;

  [[nodiscard]] std::size_t total() const;
  [[nodiscard]] bool identical() const { return total() == 0; }
};

struct DiffOptions {
  unsigned threads = 0;  // hashing threads; 0 = base::default_file_threads()
};

// Compares A and B. Errors: kNotFound "no environment at '<prefix>': it has no conda-meta
// directory", kCorrupt for a broken record or state file (the file is named), kIo.
// Differences are not errors: they are in the report.
[[nodiscard]] Result<DiffReport> diff_environments(const std::filesystem::path& a,
                                                   const std::filesystem::path& b,
                                                   const DiffOptions& options = {});

// Pure: the differences between two keyed value sets (pip, env vars, pins), sorted by key.
// Entries are (key, value); a key appears at most once on each side.
[[nodiscard]] std::vector<Difference> diff_values(
    const std::vector<std::pair<std::string, std::string>>& a,
    const std::vector<std::pair<std::string, std::string>>& b);

// How the user named each side in the output ("baseline", "/path/to/env").
struct DiffLabels {
  std::string a;
  std::string b;
};

// The human report: a header naming both sides, one block per section with differences
// ("- " only in A, "+ " only in B, "~ " changed), then one summary line: "identical: ..."
// with everything compared, or "N differences: ...".
[[nodiscard]] std::string format_diff_text(const DiffReport& report, const DiffLabels& labels);

// {"a": {...side}, "b": {...}, "identical", "differences", "files_hashed", "packages": [...],
// "files", "untracked", "pip", "env_vars", "pins"}; keys sorted, two-space indent.
[[nodiscard]] std::string format_diff_json(const DiffReport& report, const DiffLabels& labels);

}  // namespace graft::env
