// Cleaning the package cache the way `conda clean` does: package archives (--tarballs), the
// repodata cache (--index-cache) and extracted packages no environment uses (--packages).
//
// conda's rule for "in use" holds: an extracted package is kept when any file in it has more
// than one hard link (it is linked into an environment). graft adds a second rule: it is also
// kept when an environment's record names it as its extracted_package_dir (an environment
// that copied the files, or one on another filesystem).
//
// Only existing, writable cache directories are cleaned (conda's writable caches). Hidden
// entries (".graft-tmp-*" work in progress, lock files) are never touched.
//
// Planning only reads. Removal waits until no other graft process has the cache directory
// open and keeps new ones out meanwhile (lock_out_cache_sessions), so a create that found a
// package in the cache cannot lose it before linking; it then re-checks every package and
// moves each directory to a ".graft-tmp-*" name before deleting it, so an interrupted clean
// never leaves a half-deleted package that looks valid (PackageCache::open sweeps the
// leftovers).
//
// Thread-safety: the functions share no state; concurrent graft processes coordinate through
// the cache's session lock.
#pragma once

#include <cstdint>
#include <filesystem>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "store/package_cache.h"

namespace graft::store {

// What to clean; `conda clean --all` sets all three.
struct CleanTargets {
  bool tarballs = false;     // *.conda, *.tar.bz2 and their *.part downloads
  bool index_cache = false;  // <pkgs>/cache
  bool packages = false;     // extracted package directories no environment uses
};

// One file or directory directly under a cache directory.
struct CacheEntry {
  std::filesystem::path pkgs_dir;
  std::string name;         // "zlib-1.2.11-0.conda", "zlib-1.2.11-0", "cache"
  std::uint64_t bytes = 0;  // sum of st_size over its files (symlinks count their own size)

  [[nodiscard]] std::filesystem::path path() const { return pkgs_dir / name; }
  friend bool operator==(const CacheEntry&, const CacheEntry&) = default;
};

struct CleanOptions {
  CleanTargets targets;
  // Extracted package directories named by the records of known environments
  // (PrefixRecord::extracted_package_dir), absolute and lexically normal.
  std::set<std::filesystem::path> referenced_packages;
};

// What a clean would remove. Each list is in `pkgs_dirs` order, then by name.
struct CleanPlan {
  std::vector<CacheEntry> tarballs;
  std::vector<CacheEntry> index_caches;
  std::vector<CacheEntry> packages;
  std::vector<CacheEntry> kept_packages;  // extracted packages still in use
  // Entries that could not be read and are left alone: "cannot read '<path>': <cause>".
  std::vector<std::string> warnings;

  [[nodiscard]] bool empty() const {
    return tarballs.empty() && index_caches.empty() && packages.empty();
  }
};

// Scans the existing, writable directories among `pkgs_dirs` for the targets in `options`.
// Reads only; never fails (unreadable entries become warnings).
[[nodiscard]] CleanPlan plan_clean(std::span<const std::filesystem::path> pkgs_dirs,
                                   const CleanOptions& options);

// Whether the extracted package at `dir` is in use (see the rules above). A directory that
// can not be read counts as in use.
[[nodiscard]] bool package_in_use(const std::filesystem::path& dir,
                                  const std::set<std::filesystem::path>& referenced_packages);

struct CleanResult {
  std::vector<std::filesystem::path> removed;
  std::uint64_t bytes_freed = 0;  // the planned size of what was removed
  // Packages that came into use (or disappeared) after planning: left alone.
  std::vector<std::filesystem::path> skipped;
};

// Removes every entry of `plan` (tarballs, index caches, packages; kept_packages are never
// touched), holding each cache directory's exclusive lock while it works there. Errors:
// kUnavailable (lock timeout), kIo naming the entry that could not be removed (entries
// removed before it stay removed).
[[nodiscard]] Result<CleanResult> execute_clean(
    const CleanPlan& plan, const std::set<std::filesystem::path>& referenced_packages,
    const CacheOptions& cache_options = {});

}  // namespace graft::store
