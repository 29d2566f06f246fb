// conda-lock's unified lock file, version 1 (conda-lock.yml): `version: 1`, `metadata`
// (channels, platforms, sources, content_hash) and `package`, one entry per package and
// platform: name, version, manager ("conda" or "pip"), platform, url, hash {md5, sha256},
// dependencies, category (default "main") and optional. Read the way micromamba's
// env_lockfile reader does: every listed field checked, duplicates across categories
// merged.
//
// Pure (the caller reads the file): thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "conda/record.h"

namespace graft::env {

enum class LockManager { kConda, kPip };

struct LockedPackage {
  std::string name;
  std::string version;
  LockManager manager = LockManager::kConda;
  std::string platform;  // "linux-64", ...
  std::string url;
  std::string md5;                   // "" when the hash has none
  std::string sha256;                // "" when the hash has none
  std::vector<std::string> depends;  // "name spec" from the dependencies map, in file order
  std::string category = "main";
  bool optional = false;
};

struct CondaLock {
  std::vector<std::string> platforms;   // metadata.platforms
  std::vector<std::string> channels;    // metadata.channels[].url
  std::vector<LockedPackage> packages;  // in file order
};

// Whether `text` looks like a conda-lock file: a top-level 'version:' key (never part of a
// spec list or an @EXPLICIT file), so that a broken lock file is reported as one. Cheap.
[[nodiscard]] bool looks_like_conda_lock(std::string_view text);

// Parses a lock file. `source` names it in errors. Errors (kInvalidArgument,
// "<source>:<line>: ..." with the line and a caret when the position is known):
//   "invalid YAML: ..."; "unsupported lock file version '-1': graft reads conda-lock version 1";
//   "package '_libgcc_mutex' has no 'hash'" (also name, version, manager, platform, url);
//   "package 'x' has manager 'npm': expected 'conda' or 'pip'";
//   "package 'x' has a hash without md5 or sha256".
[[nodiscard]] Result<CondaLock> parse_conda_lock(std::string_view text, std::string_view source);

// The packages to install on `platform` from `categories` (a package in several categories
// is kept once, at its first place; a package whose category is not asked for is left
// out), in file order.
[[nodiscard]] std::vector<LockedPackage> select_packages(
    const CondaLock& lock, std::string_view platform, const std::vector<std::string>& categories);

// The sparse record of a conda package (see explicit_file.h record_from_url), with the
// lock's name, version, hashes and dependencies. Error: kInvalidArgument when the url does
// not name a package file.
[[nodiscard]] Result<conda::PackageRecord> locked_record(const LockedPackage& package);

}  // namespace graft::env
