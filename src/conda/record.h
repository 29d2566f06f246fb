// PackageRecord (one repodata entry) and PrefixRecord (one conda-meta/*.json file).
// Field names and meaning follow conda's models (conda/models/records.py).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace graft::conda {

struct PackageRecord {
  std::string name;
  std::string version;  // as written; parse with conda::Version when ordering matters
  std::string build;
  std::int64_t build_number = 0;
  std::vector<std::string> depends;      // MatchSpec strings
  std::vector<std::string> constrains;   // MatchSpec strings (run_constrained)
  std::vector<std::string> track_features;
  std::string features;  // legacy space-separated features
  std::string subdir;    // "linux-64", "noarch", ...
  std::string noarch;    // "", "generic" or "python"
  std::string license;
  std::string md5;
  std::string sha256;
  std::uint64_t size = 0;
  std::int64_t timestamp = 0;  // milliseconds since the epoch (conda normalizes seconds)
  std::string fn;       // file name, e.g. "zlib-1.2.11-h7b6447c_3.conda"
  std::string channel;  // channel URL or name as recorded
  std::string url;      // full package URL
};

}  // namespace graft::conda
