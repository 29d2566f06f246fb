// What linking needs from an extracted package directory (pkgs/<dist>/): the record
// (info/repodata_record.json, else info/index.json), the file manifest (info/paths.json,
// else the legacy info/files + info/has_prefix + info/no_link) and the noarch settings of
// info/link.json.
//
// read_package_info() is thread-safe (it only reads). A PackageInfo is a plain value.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/result.h"
#include "conda/record.h"
#include "env/prefix_replace.h"

namespace graft::env {

// The legacy placeholder conda-build writes when has_prefix names no other.
inline constexpr std::string_view kDefaultPlaceholder = "/opt/anaconda1anaconda2anaconda3";

enum class PathType { kHardLink, kSoftLink, kDirectory };
// "hardlink", "softlink", "directory" as in paths.json.
[[nodiscard]] std::string_view path_type_name(PathType type);

// One entry of info/paths.json.
struct PackagePath {
  std::string path;  // relative to the package root, '/'-separated, checked (no '..')
  PathType type = PathType::kHardLink;
  std::string sha256;            // "" when the manifest has none
  std::uint64_t size = 0;        // size_in_bytes
  bool has_size = false;         // whether size_in_bytes was present
  std::string prefix_placeholder;  // "" when the file needs no rewriting
  FileMode file_mode = FileMode::kText;
  bool no_link = false;          // always copy, never hard link
};

struct PackageInfo {
  std::filesystem::path directory;  // the extracted package directory
  conda::PackageRecord record;
  std::vector<PackagePath> paths;   // in manifest order
  std::string noarch;               // "", "generic" or "python" (link.json, else record)
  // noarch.type of info/link.json ("" without one). conda compiles .pyc files only for a
  // package whose link.json says "python", whatever its record says.
  std::string link_noarch;
  std::vector<std::string> entry_points;  // link.json noarch.entry_points ("cmd = mod:fn")
};

// Reads the package at `directory`. Errors: kNotFound (no such directory, or neither
// repodata_record.json nor index.json), kCorrupt "'<file>': ..." for malformed metadata or
// an unsafe path ("'../x' has a '..' component").
[[nodiscard]] Result<PackageInfo> read_package_info(const std::filesystem::path& directory);

}  // namespace graft::env
