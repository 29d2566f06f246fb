#pragma once
// Verifying an installed environment against its conda-meta records: every recorded file
// exists with the recorded type, size and sha256 (sha256_in_prefix when the file was
// rewritten on link), and, on request, which files no record owns.
// Thread-safety: verify_prefix() may be called concurrently on different prefixes; it
// hashes files on its own worker threads and only reads the prefix.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "conda/prefix_record.h"

namespace graft::env {

enum class VerifyDepth { kHash, kSizeOnly };  // kSizeOnly is --fast: no hashing
enum class ExtraFiles { kIgnore, kReport };   // kReport is --extra

// A record's paths as linked: its paths_data entries, renamed by "files" (conda records
// noarch: python paths in package coordinates, "site-packages/x.py", and "files" where they
// were linked, in the same order); an old record without paths_data gives one bare entry
// per "files" line. Shared by verify and diff.
[[nodiscard]] std::vector<conda::PathEntry> linked_entries(const conda::PrefixRecord& record);

// The sha256 the linked file should have: sha256_in_prefix, else the package's sha256 for
// files linked unchanged; "" when the record cannot say (placeholders, .pyc, entry points).
[[nodiscard]] std::string expected_sha256(const conda::PathEntry& entry);

struct VerifyOptions {
  VerifyDepth depth = VerifyDepth::kHash;
  ExtraFiles extra = ExtraFiles::kIgnore;
  unsigned threads = 0;  // hashing threads; 0 = base::default_file_threads()
};

enum class ProblemKind {
  kMissing,
  kModified,
  kUntracked,
  kCorrupt,  // a conda-meta/*.json that cannot be read: path is the record, detail why
};

struct VerifyProblem {
  ProblemKind kind = ProblemKind::kMissing;
  std::string path;     // relative to the prefix, '/'-separated
  std::string package;  // "name-version-build"; "" for untracked files
  std::string detail;   // why it is modified ("size 3 bytes, recorded 5"); "" otherwise

  friend bool operator==(const VerifyProblem&, const VerifyProblem&) = default;
};

struct VerifyReport {
  std::string prefix;
  std::size_t files = 0;                // recorded paths checked
  std::size_t packages = 0;             // records read
  std::vector<VerifyProblem> problems;  // sorted by path, then kind
};

// Checks one recorded path of `prefix`; nullopt when it is as recorded. Reads the disk.
[[nodiscard]] std::optional<VerifyProblem> check_path(const std::filesystem::path& prefix,
                                                      const conda::PathEntry& entry,
                                                      VerifyDepth depth);

// Checks every record of `prefix`. Errors: kNotFound "no environment at '<prefix>': it has
// no conda-meta directory", kIo (conda-meta cannot be listed, --extra cannot walk the
// prefix). Drift is not an error: it is in the report, and so is a broken record (kCorrupt,
// whose files are then not checked).
[[nodiscard]] Result<VerifyReport> verify_prefix(const std::filesystem::path& prefix,
                                                 const VerifyOptions& options);

[[nodiscard]] std::string_view problem_kind_name(ProblemKind kind);  // "missing", ...

// The packages ("name-version-build") that problems of kind missing, modified or corrupt
// belong to, sorted, each once: what `verify --repair` reinstalls.
[[nodiscard]] std::vector<std::string> damaged_packages(const VerifyReport& report);

// "missing: PATH (PACKAGE)" / "modified: PATH (PACKAGE): DETAIL" / "untracked: PATH" lines,
// then "verified N files of M packages: no drift" or "...: K problems".
[[nodiscard]] std::string format_verify_text(const VerifyReport& report);
// {"prefix", "packages", "files", "ok", "problems": [{"kind", "path", "package", "detail"}]}
[[nodiscard]] std::string format_verify_json(const VerifyReport& report);

}  // namespace graft::env
