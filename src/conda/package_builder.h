// Packs a directory as a conda package: what `graft pack` does.
//
// The package gets the metadata conda-build writes: info/index.json, info/paths.json
// (paths_version 1), info/files, info/has_prefix (when files hold the prefix placeholder),
// info/link.json (noarch: python) and info/about.json (when a license is given).
//
// Build string: conda-build hashes the variant into `h<7 hex>_<num>` only when the recipe
// has variant dependencies; without them it writes `<build_number>`. graft has no variants,
// so the default is `<build_number>` ("0"), and `py_<build_number>` for noarch: python, as
// conda-build writes for those.
//
// Pure parts (plan_package, the *_json functions) take values and return text; only
// pack_package() touches the disk. Thread-safety: all functions are reentrant.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "conda/archive.h"

namespace graft::conda {

enum class NoarchKind { kNone, kGeneric, kPython };

struct PackOptions {
  std::filesystem::path source_dir;  // the files to package, laid out as in the prefix
  std::string name;
  std::string version;
  std::string build;  // empty: "<build_number>", or "py_<build_number>" for noarch python
  std::int64_t build_number = 0;
  std::vector<std::string> depends;     // MatchSpec strings
  std::vector<std::string> constrains;  // MatchSpec strings (run_constrained)
  NoarchKind noarch = NoarchKind::kNone;
  std::string subdir;  // empty: "noarch" for noarch packages, else the host's subdir
  // "cmd = module:function" console scripts; noarch python only.
  std::vector<std::string> entry_points;
  // Files containing this string are listed in has_prefix; empty: no detection.
  std::string prefix_placeholder;
  std::string license;
  ArchiveFormat format = ArchiveFormat::kConda;
  std::filesystem::path output_dir;  // must exist; empty: the current directory
  std::int64_t timestamp_ms = 0;     // index.json "timestamp", milliseconds since the epoch
  int compression_level = 0;         // 0: WriteOptions' default for the format
  Overwrite overwrite = Overwrite::kRefuse;
};

// Validated options with every default filled in.
struct PackagePlan {
  PackOptions options;
  std::string subdir;
  std::string build;
  std::string file_name;  // "<name>-<version>-<build>.conda"
  std::vector<std::string> depends;      // trimmed, sorted, without duplicates
  std::vector<std::string> constrains;   // trimmed, sorted, without duplicates
  std::vector<std::string> entry_points; // normalized to "cmd = module:function"
};

// The subdir graft itself was built for, e.g. "linux-64".
[[nodiscard]] std::string_view native_subdir();

// Checks names, version, build, specs, entry points and their combinations (pure).
// kInvalidArgument with the cause, e.g. "'1.0-1' is not a valid version: ...".
[[nodiscard]] Result<PackagePlan> plan_package(const PackOptions& options);

// One file of the package as paths.json describes it.
struct PackagedPath {
  std::string path;  // relative, '/'-separated
  bool symlink = false;
  std::string sha256;  // of the content (a symlink's target file; empty file's when dangling)
  std::uint64_t size = 0;
  bool has_placeholder = false;
  bool binary = false;  // has a NUL byte: has_prefix mode "binary", else "text"
};

// The metadata files, as conda-build formats them (sorted keys, 2-space indent).
[[nodiscard]] std::string index_json(const PackagePlan& plan);
// `paths` must be sorted by path.
[[nodiscard]] std::string paths_json(const PackagePlan& plan,
                                     const std::vector<PackagedPath>& paths);
[[nodiscard]] std::string files_list(const std::vector<PackagedPath>& paths);
// "" when no file holds the placeholder.
[[nodiscard]] std::string has_prefix(const PackagePlan& plan,
                                     const std::vector<PackagedPath>& paths);
// "" unless noarch python.
[[nodiscard]] std::string link_json(const PackagePlan& plan);
// "" unless a license is given.
[[nodiscard]] std::string about_json(const PackagePlan& plan);

struct PackResult {
  std::filesystem::path output;  // the written archive
  std::string index_json;        // the info/index.json it holds
  std::size_t files = 0;         // payload files and symlinks
  std::size_t prefix_files = 0;  // of which hold the placeholder
};

// Plans, scans the source directory (it must not hold info/; only files, directories and
// symlinks that stay inside it) and writes the archive. Errors: kInvalidArgument (bad
// option or source layout), kNotFound (source or output dir missing), kAlreadyExists
// (the archive exists and overwrite is kRefuse), kIo.
[[nodiscard]] Result<PackResult> pack_package(const PackOptions& options);

}  // namespace graft::conda
