// PrefixRecord: one installed package, as stored in <prefix>/conda-meta/<name>-<version>-
// <build>.json. It is the channel's PackageRecord plus what linking added: the files, the
// per-file paths_data, how it was linked, where the package came from, and the specs the
// user asked for.
//
// parse_prefix_record / write_prefix_record are pure (bytes in, bytes out); the env module
// reads and writes the files. write_prefix_record reproduces conda 26 byte for byte: conda's
// field order (PackageRecord fields, then requested_spec, package_tarball_full_path,
// extracted_package_dir, files, paths_data, link, and requested_specs last), Python
// json.dumps(indent=2), no trailing newline. Unknown fields are kept and written last.
//
// Plain values: copyable, comparable; concurrent reads are safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "conda/record.h"

namespace graft::conda {

// One entry of paths_data.paths (conda's PathDataV1). Empty strings are absent fields.
struct PathEntry {
  std::string path;                // "_path", relative to the prefix
  std::string prefix_placeholder;  // set when the file has the build prefix embedded
  std::string file_mode;           // "text" or "binary" with a placeholder, else ""
  std::optional<bool> no_link;
  std::string path_type;  // "hardlink", "softlink", "directory", "pyc_file", ...
  std::string sha256;     // of the file in the package
  std::optional<std::uint64_t> size_in_bytes;
  std::string sha256_in_prefix;  // of the file as linked (after prefix replacement)
  std::vector<JsonField> extra;  // other fields ("inode_paths", unknown), kept verbatim

  friend bool operator==(const PathEntry&, const PathEntry&) = default;
};

struct PathsData {
  std::int64_t paths_version = 1;
  std::vector<PathEntry> paths;

  friend bool operator==(const PathsData&, const PathsData&) = default;
};

// How the package's files were placed (conda's LinkType values, written as numbers).
enum class LinkType { kHardLink = 1, kSoftLink = 2, kCopy = 3, kDirectory = 4 };

struct Link {
  std::string source;  // the extracted package directory linked from
  std::optional<LinkType> type;

  friend bool operator==(const Link&, const Link&) = default;
};

struct PrefixRecord : PackageRecord {
  std::string package_tarball_full_path;  // the package file in the cache, "" if unknown
  std::string extracted_package_dir;      // the extracted package in the cache, "" if unknown
  std::vector<std::string> files;         // every file, relative to the prefix
  std::optional<PathsData> paths_data;
  std::optional<Link> link;
  std::string requested_spec;  // legacy single spec, "" when installed as a dependency
  // The specs the user asked for (read from "requested_specs" or "_requested_specs"; an old
  // file's requested_spec becomes a one-element list). nullopt: never recorded.
  std::optional<std::vector<std::string>> requested_specs;

  friend bool operator==(const PrefixRecord&, const PrefixRecord&) = default;
};

// How much of a conda-meta record to read.
enum class PrefixRecordParts {
  kAll,          // everything
  kPackageOnly,  // skip "files" and "paths_data" (left empty): for list/export, which
                 // need only the package fields of environments with many files. They are
                 // stepped over unparsed (simdjson stage 1 only: ~3 ms instead of ~10 for
                 // a 20,000-file record), so a syntax error inside them is reported only
                 // when it breaks strings, UTF-8 or bracket nesting.
  kFiles,        // skip only "paths_data", the same way: package fields and the file list
                 // (clone's untracked-file listing)
};

// Parses a conda-meta/*.json file. `source` names it in errors (the path). Errors (kCorrupt):
// "<source>:<line>:<column>: invalid JSON: ...", "<source>: not UTF-8 text: ...",
// "<source>: expected a JSON object", "<source>: field 'files': expected a list of strings",
// "<source>: macOS metadata file (AppleDouble), not a package record" (with a hint).
[[nodiscard]] Result<PrefixRecord> parse_prefix_record(
    std::string_view json, std::string_view source,
    PrefixRecordParts parts = PrefixRecordParts::kAll);

// Serializes exactly as conda 26 writes conda-meta/<dist>.json.
[[nodiscard]] std::string write_prefix_record(const PrefixRecord& record);

// A PrefixRecord for `package` with no install data yet (files, paths, link empty).
[[nodiscard]] PrefixRecord make_prefix_record(PackageRecord package);

// "<name>-<version>-<build>.json", the record's file name in conda-meta/.
[[nodiscard]] std::string prefix_record_file_name(const PackageRecord& record);

// Whether conda reads `file_name` (a conda-meta/ entry) as a record: "*.json" and not a
// dot file (macOS "._x.json" AppleDouble files are skipped, as conda's glob skips them).
[[nodiscard]] bool is_prefix_record_file_name(std::string_view file_name);

}  // namespace graft::conda
