#include "store/package_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "base/disk.h"
#include "base/fs.h"
#include "base/hash.h"
#include "base/log.h"
#include "base/strings.h"
#include "store/download.h"
#include "store/url.h"

namespace graft::store {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSessionLockName = ".graft-session.lock";
constexpr std::string_view kLockName = ".graft.lock";

// True when `dir` exists (or can be created) and we may create files in it.
bool usable_for_writing(const fs::path& dir) {
  if (!base::make_directories(dir)) return false;
  return ::access(dir.c_str(), W_OK | X_OK) == 0;
}

// Removes ".graft-tmp-*" entries directly under `dir`; returns how many.
std::size_t sweep_temporaries(const fs::path& dir) {
  std::size_t removed = 0;
  std::error_code error;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (!base::starts_with(name, kTempPrefix)) continue;
    if (base::remove_tree(it->path())) {
      ++removed;
      spdlog::debug("removed '{}' left by an interrupted run", it->path().string());
    }
  }
  return removed;
}

bool digests_match(const conda::PackageRecord& wanted, const conda::PackageRecord& cached) {
  if (!wanted.sha256.empty() && !cached.sha256.empty()) return wanted.sha256 == cached.sha256;
  if (!wanted.md5.empty() && !cached.md5.empty()) return wanted.md5 == cached.md5;
  return package_file_name(wanted) == package_file_name(cached);
}

// Whether `dir` holds a complete extraction of `record`.
bool extracted_is_valid(const fs::path& dir, const conda::PackageRecord& record) {
  const fs::path record_path = dir / "info" / "repodata_record.json";
  auto text = base::read_file(record_path);
  if (!text) return false;
  auto cached = conda::parse_package_record(*text, record_path.string());
  if (!cached) {
    spdlog::warn("ignoring cached package '{}': {}", dir.string(), cached.error().message());
    return false;
  }
  return digests_match(record, *cached);
}

bool archive_is_valid(const fs::path& archive, const conda::PackageRecord& record) {
  std::error_code error;
  if (!fs::is_regular_file(archive, error)) return false;
  if (record.sha256.empty() && record.md5.empty()) {
    return record.size == 0 || fs::file_size(archive, error) == record.size;
  }
  auto digests = base::file_digests(archive);
  if (!digests) return false;
  return record.sha256.empty() ? digests->md5 == record.md5 : digests->sha256 == record.sha256;
}

Status append_line(const fs::path& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return fail(ErrorCode::kIo,
                "cannot open '" + path.string() + "': " + base::errno_text(errno));
  }
  const std::string text = line + "\n";
  const ssize_t put = ::write(fd, text.data(), text.size());  // one O_APPEND write
  const int error_number = errno;
  ::close(fd);
  if (put != static_cast<ssize_t>(text.size())) {
    return fail(ErrorCode::kIo,
                "cannot append to '" + path.string() + "': " + base::errno_text(error_number));
  }
  return ok();
}

}  // namespace

struct PackageCache::State {
  std::vector<fs::path> dirs;
  fs::path writable;
  CacheOptions options;
  std::vector<base::FileLock> sessions;  // one shared lock per writable directory in `dirs`
  std::size_t swept = 0;
};

std::string package_file_name(const conda::PackageRecord& record) {
  if (!record.fn.empty()) return record.fn;
  return url_basename(record.url);
}

std::string package_stem(const conda::PackageRecord& record) {
  const std::string file_name = package_file_name(record);
  if (!file_name.empty()) return conda::strip_package_extension(file_name);
  return conda::dist_name(record);
}

namespace {

// Takes the session lock of `writable`; sweeps leftovers when nobody else holds it.
Result<base::FileLock> open_session(const fs::path& writable, std::chrono::milliseconds timeout,
                                    std::size_t* swept) {
  const fs::path lock_path = writable / kSessionLockName;
  if (auto exclusive = base::FileLock::try_acquire(lock_path, base::LockMode::kExclusive)) {
    *swept = sweep_temporaries(writable) + sweep_temporaries(writable / "cache");
    GRAFT_RETURN_IF_ERROR(exclusive->change_mode(base::LockMode::kShared, timeout));
    return std::move(*exclusive);
  } else if (exclusive.error().code() != ErrorCode::kUnavailable) {
    return fail(std::move(exclusive).error());
  }
  return base::FileLock::acquire(lock_path, base::LockMode::kShared, timeout);
}

}  // namespace

Result<base::FileLock> lock_out_cache_sessions(const fs::path& dir,
                                               std::chrono::milliseconds timeout) {
  auto lock = base::FileLock::acquire(dir / kSessionLockName, base::LockMode::kExclusive, timeout);
  if (!lock && lock.error().code() == ErrorCode::kUnavailable) {
    return fail(Error(ErrorCode::kUnavailable,
                      "the package cache '" + dir.string() +
                          "' is still in use by another graft process")
                    .with_hint("retry when the other create, install or update has finished"));
  }
  return lock;
}

Result<PackageCache> PackageCache::open(std::vector<fs::path> pkgs_dirs,
                                        const CacheOptions& options) {
  if (pkgs_dirs.empty()) {
    return fail(ErrorCode::kInvalidArgument, "no package cache directory given");
  }
  auto state = std::make_unique<State>();
  state->dirs = std::move(pkgs_dirs);
  state->options = options;
  for (const fs::path& dir : state->dirs) {
    if (usable_for_writing(dir)) {
      state->writable = dir;
      break;
    }
  }
  if (state->writable.empty()) {
    std::vector<std::string> names;
    for (const fs::path& dir : state->dirs) names.push_back(quote(dir.string()));
    return fail(Error(ErrorCode::kIo, "no writable package cache in " + base::join(names, ", "))
                    .with_hint("set pkgs_dirs to a directory you can write to"));
  }
  GRAFT_RETURN_IF_ERROR(base::make_directories(state->writable / "cache"));
  GRAFT_ASSIGN_OR_RETURN(base::FileLock session,
                         open_session(state->writable, options.lock_timeout, &state->swept));
  state->sessions.push_back(std::move(session));
  // Packages may be linked from any directory, and `graft clean` can empty any writable
  // one: hold every writable directory's session lock, not only the first's.
  for (const fs::path& dir : state->dirs) {
    if (dir == state->writable || !fs::is_directory(dir) || ::access(dir.c_str(), W_OK) != 0) {
      continue;
    }
    std::size_t swept = 0;
    GRAFT_ASSIGN_OR_RETURN(base::FileLock other, open_session(dir, options.lock_timeout, &swept));
    state->swept += swept;
    state->sessions.push_back(std::move(other));
  }
  return PackageCache(std::move(state));
}

PackageCache::PackageCache(std::unique_ptr<State> state) : state_(std::move(state)) {}
PackageCache::PackageCache(PackageCache&&) noexcept = default;
PackageCache& PackageCache::operator=(PackageCache&&) noexcept = default;
PackageCache::~PackageCache() = default;

const fs::path& PackageCache::writable_dir() const { return state_->writable; }
const std::vector<fs::path>& PackageCache::dirs() const { return state_->dirs; }
fs::path PackageCache::repodata_dir() const { return state_->writable / "cache"; }
std::size_t PackageCache::swept() const { return state_->swept; }

std::optional<fs::path> PackageCache::find_extracted(const conda::PackageRecord& record) const {
  const std::string stem = package_stem(record);
  for (const fs::path& dir : state_->dirs) {
    if (extracted_is_valid(dir / stem, record)) return dir / stem;
  }
  return std::nullopt;
}

std::optional<fs::path> PackageCache::find_archive(const conda::PackageRecord& record) const {
  const std::string file_name = package_file_name(record);
  if (file_name.empty()) return std::nullopt;
  for (const fs::path& dir : state_->dirs) {
    if (archive_is_valid(dir / file_name, record)) return dir / file_name;
  }
  return std::nullopt;
}

Result<base::FileLock> PackageCache::lock_exclusive() const {
  return base::FileLock::acquire(state_->writable / kLockName, base::LockMode::kExclusive,
                                 state_->options.lock_timeout);
}

Result<fs::path> PackageCache::install_extracted(const fs::path& staged,
                                                 const conda::PackageRecord& record,
                                                 const std::string& downloaded_url) {
  const fs::path target = state_->writable / package_stem(record);
  std::optional<base::TempDir> trash;  // a stale entry, removed after the lock is released
  {
    GRAFT_ASSIGN_OR_RETURN(base::FileLock lock, lock_exclusive());
    if (extracted_is_valid(target, record)) {
      GRAFT_RETURN_IF_ERROR(base::remove_tree(staged));
    } else {
      std::error_code error;
      if (fs::symlink_status(target, error).type() != fs::file_type::not_found) {
        GRAFT_ASSIGN_OR_RETURN(trash, base::TempDir::create(
                                          std::string(kTempPrefix) + "stale-", state_->writable));
        GRAFT_RETURN_IF_ERROR(base::rename_path(target, trash->path() / "entry"));
      }
      GRAFT_RETURN_IF_ERROR(base::rename_path(staged, target));
      GRAFT_RETURN_IF_ERROR(base::sync_directory(state_->writable));  // the name survives a crash
    }
    if (!downloaded_url.empty()) {
      GRAFT_RETURN_IF_ERROR(append_line(state_->writable / "urls.txt", downloaded_url));
    }
  }
  return target;
}

}  // namespace graft::store
