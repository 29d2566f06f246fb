#include "store/clean.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <system_error>

#include "base/fs.h"
#include "base/strings.h"
#include "store/download.h"

namespace graft::store {
namespace {

namespace fs = std::filesystem;

// The size of a file or tree and whether any file in it is hard-linked elsewhere.
struct Measure {
  std::uint64_t bytes = 0;
  bool shared = false;  // some non-directory has st_nlink > 1
  std::string error;    // "cannot read '<path>': <cause>" when something could not be read
};

std::string cannot_read(const fs::path& path, const std::string& cause) {
  return "cannot read '" + path.string() + "': " + cause;
}

// Adds one lstat'ed entry to `measure`; false (with measure.error set) when lstat fails.
bool add_entry(const fs::path& path, Measure& measure, bool* is_directory) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    measure.error = cannot_read(path, base::errno_text(errno));
    return false;
  }
  *is_directory = S_ISDIR(info.st_mode);
  if (!*is_directory) {
    measure.bytes += static_cast<std::uint64_t>(info.st_size);
    measure.shared = measure.shared || info.st_nlink > 1;
  }
  return true;
}

Measure measure(const fs::path& path) {
  Measure result;
  bool is_directory = false;
  if (!add_entry(path, result, &is_directory) || !is_directory) return result;
  std::error_code error;
  for (fs::recursive_directory_iterator it(path, error), end; !error && it != end;
       it.increment(error)) {
    if (!add_entry(it->path(), result, &is_directory)) return result;
  }
  if (error) result.error = cannot_read(path, error.message());
  return result;
}


std::set<fs::path> normalized(const std::set<fs::path>& paths) {
  std::set<fs::path> result;
  for (const fs::path& path : paths) result.insert(base::normal_absolute(path));
  return result;
}

bool is_tarball(std::string_view name) {
  for (std::string_view suffix : {".conda", ".tar.bz2", ".conda.part", ".tar.bz2.part"}) {
    if (base::ends_with(name, suffix) && name.size() > suffix.size()) return true;
  }
  return false;
}

bool writable_directory(const fs::path& dir) {
  std::error_code error;
  return fs::is_directory(dir, error) && ::access(dir.c_str(), W_OK | X_OK) == 0;
}

// Visible entry names directly under `dir`, sorted.
std::vector<std::string> visible_names(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code error;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    std::string name = it->path().filename().string();
    if (!base::starts_with(name, ".")) names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool in_use(const fs::path& dir, const Measure& measured, const std::set<fs::path>& referenced) {
  return measured.shared || !measured.error.empty() || referenced.contains(base::normal_absolute(dir));
}

// Adds `name` (an entry of `dir`) to the plan lists it belongs to.
void plan_entry(const fs::path& dir, const std::string& name, const CleanOptions& options,
                const std::set<fs::path>& referenced, CleanPlan& plan) {
  const fs::path path = dir / name;
  std::error_code error;
  const bool is_directory = fs::is_directory(fs::symlink_status(path, error));
  const bool wanted = is_directory ? options.targets.packages && fs::is_directory(path / "info", error)
                                   : options.targets.tarballs && is_tarball(name);
  if (!wanted) return;
  const Measure measured = measure(path);
  if (!measured.error.empty()) {
    plan.warnings.push_back(measured.error);
    return;
  }
  CacheEntry entry{.pkgs_dir = dir, .name = name, .bytes = measured.bytes};
  if (!is_directory) {
    if (!measured.shared) plan.tarballs.push_back(std::move(entry));
  } else if (in_use(path, measured, referenced)) {
    plan.kept_packages.push_back(std::move(entry));
  } else {
    plan.packages.push_back(std::move(entry));
  }
}

void plan_index_cache(const fs::path& dir, CleanPlan& plan) {
  std::error_code error;
  if (!fs::is_directory(dir / "cache", error)) return;
  const Measure measured = measure(dir / "cache");
  if (!measured.error.empty()) {
    plan.warnings.push_back(measured.error);
    return;
  }
  plan.index_caches.push_back({.pkgs_dir = dir, .name = "cache", .bytes = measured.bytes});
}

enum class EntryKind { kTarball, kIndexCache, kPackage };

// Moves a directory to a ".graft-tmp-*" name beside it (swept by PackageCache::open if we
// die), then deletes it.
Status move_aside_and_remove(const fs::path& path) {
  GRAFT_ASSIGN_OR_RETURN(base::TempDir trash,
                         base::TempDir::create(std::string(kTempPrefix) + "clean-",
                                               path.parent_path()));
  GRAFT_RETURN_IF_ERROR(base::rename_path(path, trash.path()));
  GRAFT_RETURN_IF_ERROR(base::remove_tree(trash.path()));
  trash.release();
  return ok();
}

// Removes one planned entry under the cache lock; false when it must be left alone now.
Result<bool> remove_entry(const CacheEntry& entry, EntryKind kind,
                          const std::set<fs::path>& referenced) {
  const fs::path path = entry.path();
  std::error_code error;
  if (!fs::exists(fs::symlink_status(path, error))) return false;
  if (kind == EntryKind::kTarball) {
    if (measure(path).shared) return false;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return fail(ErrorCode::kIo, "cannot remove '" + path.string() + "': " +
                                      base::errno_text(errno));
    }
    return true;
  }
  if (kind == EntryKind::kPackage && in_use(path, measure(path), referenced)) return false;
  GRAFT_RETURN_IF_ERROR(move_aside_and_remove(path));
  return true;
}

struct Pending {
  const CacheEntry* entry;
  EntryKind kind;
};

Status clean_directory(const fs::path& dir, const std::vector<Pending>& pending,
                       const std::set<fs::path>& referenced, const CacheOptions& cache_options,
                       CleanResult& result) {
  GRAFT_ASSIGN_OR_RETURN(base::FileLock lock,
                         lock_out_cache_sessions(dir, cache_options.lock_timeout));
  for (const Pending& item : pending) {
    GRAFT_ASSIGN_OR_RETURN(bool removed, remove_entry(*item.entry, item.kind, referenced));
    if (removed) {
      result.removed.push_back(item.entry->path());
      result.bytes_freed += item.entry->bytes;
    } else {
      result.skipped.push_back(item.entry->path());
    }
  }
  return ok();
}

}  // namespace

bool package_in_use(const fs::path& dir, const std::set<fs::path>& referenced_packages) {
  return in_use(dir, measure(dir), normalized(referenced_packages));
}

CleanPlan plan_clean(std::span<const fs::path> pkgs_dirs, const CleanOptions& options) {
  CleanPlan plan;
  const std::set<fs::path> referenced = normalized(options.referenced_packages);
  std::vector<fs::path> seen;
  for (const fs::path& given : pkgs_dirs) {
    const fs::path dir = base::normal_absolute(given);
    if (std::find(seen.begin(), seen.end(), dir) != seen.end() || !writable_directory(dir)) {
      continue;
    }
    seen.push_back(dir);
    if (options.targets.index_cache) plan_index_cache(dir, plan);
    if (!options.targets.tarballs && !options.targets.packages) continue;
    for (const std::string& name : visible_names(dir)) {
      plan_entry(dir, name, options, referenced, plan);
    }
  }
  return plan;
}

Result<CleanResult> execute_clean(const CleanPlan& plan, const std::set<fs::path>& referenced_packages,
                                  const CacheOptions& cache_options) {
  // Group by cache directory, keeping the plan's order within each.
  std::vector<std::pair<fs::path, std::vector<Pending>>> groups;
  auto add = [&](const std::vector<CacheEntry>& entries, EntryKind kind) {
    for (const CacheEntry& entry : entries) {
      auto group = std::find_if(groups.begin(), groups.end(),
                                [&](const auto& g) { return g.first == entry.pkgs_dir; });
      if (group == groups.end()) group = groups.insert(groups.end(), {entry.pkgs_dir, {}});
      group->second.push_back({&entry, kind});
    }
  };
  add(plan.tarballs, EntryKind::kTarball);
  add(plan.index_caches, EntryKind::kIndexCache);
  add(plan.packages, EntryKind::kPackage);
  const std::set<fs::path> referenced = normalized(referenced_packages);
  CleanResult result;
  for (const auto& [dir, pending] : groups) {
    GRAFT_RETURN_IF_ERROR(clean_directory(dir, pending, referenced, cache_options, result));
  }
  return result;
}

}  // namespace graft::store
