// PackageRecord: one package as a channel describes it (a repodata.json entry, a package's
// info/index.json, a package cache's info/repodata_record.json). Field names and meaning
// follow conda's models (conda/models/records.py); PrefixRecord (prefix_record.h) extends it.
//
// Reading keeps every field: those graft does not model go to `extra` as JSON text, so a
// record read and written again loses nothing. Writing follows conda 26 byte for byte:
// conda's field order, Python json.dumps(indent=2) formatting, no trailing newline.
//
// Records are plain values: copyable, comparable, no hidden state; concurrent reads are safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace graft::conda {

// A field kept verbatim: its name and its value as minified JSON text (`"x86_64"`, `null`,
// `{"a":[1,2]}`).
struct JsonField {
  std::string key;
  std::string json;

  friend bool operator==(const JsonField&, const JsonField&) = default;
};

struct PackageRecord {
  std::string name;
  std::string version;  // as written; parse with conda::Version when ordering matters
  std::string build;    // "build" (or its alias "build_string")
  std::int64_t build_number = 0;
  std::vector<std::string> depends;         // MatchSpec strings; null reads as empty
  std::vector<std::string> constrains;      // MatchSpec strings (run_constrained)
  std::vector<std::string> track_features;  // read from "a b", "a,b" or a list
  std::string features;                     // legacy features, normalized to space-separated
  std::string subdir;                       // "linux-64", "noarch", ...
  std::string noarch;  // "", "generic" or "python" (legacy `true` reads as "generic")
  std::string license;
  std::string md5;
  std::string sha256;
  std::uint64_t size = 0;      // bytes of the package file; 0 = unknown (not written)
  std::int64_t timestamp = 0;  // milliseconds since the epoch (seconds are normalized); 0 = unknown
  std::string fn;              // file name, e.g. "zlib-1.2.11-h7b6447c_3.conda"
  std::string channel;  // channel URL or name as recorded (conda 26: "<channel url>/<subdir>")
  std::string url;      // full package URL
  std::string license_family;
  std::string package_type;  // "", "noarch_generic", "noarch_python", "virtual_system", ...
  std::string python_site_packages_path;
  // Every other field, in the order read (see JsonField). Fields conda knows but graft does
  // not model (arch, platform, date, legacy_bz2_md5, ...) are written at conda's position,
  // unknown ones after all known fields.
  std::vector<JsonField> extra;

  friend bool operator==(const PackageRecord&, const PackageRecord&) = default;
};

// "name-version-build", the dist name conda uses for conda-meta/<dist>.json and pkgs/<dist>/.
[[nodiscard]] std::string dist_name(const PackageRecord& record);

// The file name without ".conda" / ".tar.bz2" (pkgs/<this>/ is the extracted directory);
// `fn` unchanged when it has neither extension.
[[nodiscard]] std::string strip_package_extension(std::string_view fn);

// Parses one record object: info/repodata_record.json, info/index.json or a repodata entry
// given alone. `source` names the input in errors (usually the file path). Errors:
// kCorrupt "<source>:<line>:<column>: invalid JSON: ...", "<source>: not UTF-8 text ...",
// "<source>: expected a JSON object", "<source>: field 'x': expected ...".
[[nodiscard]] Result<PackageRecord> parse_package_record(std::string_view json,
                                                         std::string_view source);

// Serializes like conda 26 writes info/repodata_record.json (PackageRecord.dump(), keys in
// conda's field order, Python json indent=2, no trailing newline).
[[nodiscard]] std::string write_package_record(const PackageRecord& record);

}  // namespace graft::conda
