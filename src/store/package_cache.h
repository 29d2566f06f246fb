// The package cache: conda's `pkgs/` layout, shared safely between graft processes.
//
//   pkgs/<fn>                                  the archive as downloaded
//   pkgs/<fn without extension>/               the extracted package
//   pkgs/<fn without extension>/info/repodata_record.json
//                                              the channel's record plus url, channel, fn,
//                                              md5, sha256, size (what conda writes)
//   pkgs/urls.txt                              one line per downloaded archive URL
//   pkgs/cache/                                repodata cache (repodata_cache.h)
//
// A cached package is used only when complete, which means the same for packages conda
// extracted and for graft's: `info/repodata_record.json` exists and matches the record
// (conda writes it last, after the extraction; so does graft). graft writes it only after
// an extraction in which every write succeeded, once syncfs(2) has put the extracted bytes
// on disk, with an fsync of its own; the directory is then renamed into place and `pkgs/`
// fsynced. So a full disk, a crash or a power loss leaves a package without the marker
// (ignored, then replaced), never a marked package with missing bytes.
//
// Several directories may be given (conda's `pkgs_dirs`): all are searched, the first
// writable one receives new packages. Entries appear atomically: extraction goes to a
// ".graft-tmp-*" directory that is renamed into place under an exclusive flock on
// `pkgs/.graft.lock`. Every PackageCache holds a shared flock on `pkgs/.graft-session.lock`
// while it lives; open() removes ".graft-tmp-*" leftovers of crashed runs only when it can
// take that lock exclusively (no other graft process is using the cache).
//
// Thread-safety: a PackageCache may be used from several threads at once; separate
// PackageCache objects (in one or many processes) over the same directory coordinate
// through the locks above.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/file_lock.h"
#include "base/result.h"
#include "conda/record.h"

namespace graft::store {

struct CacheOptions {
  // How long to wait for another process's critical section (rename into place, urls.txt).
  std::chrono::milliseconds lock_timeout{120000};
};

// Waits up to `timeout` until no graft process has the cache directory `dir` open (every
// PackageCache holds a shared session lock on each writable directory it uses) and keeps
// new ones from opening it while the returned lock lives: for removing packages that a
// running create could be about to link. Errors: kUnavailable naming the directory when
// the timeout passes, kIo.
[[nodiscard]] Result<base::FileLock> lock_out_cache_sessions(const std::filesystem::path& dir,
                                                             std::chrono::milliseconds timeout);

class PackageCache {
 public:
  // Opens the cache over `pkgs_dirs` (searched in order), creating the first writable one.
  // Errors: kInvalidArgument (empty list), kIo ("no writable package cache in ..."),
  // kUnavailable (lock timeout).
  [[nodiscard]] static Result<PackageCache> open(std::vector<std::filesystem::path> pkgs_dirs,
                                                 const CacheOptions& options = {});

  PackageCache(PackageCache&&) noexcept;
  PackageCache& operator=(PackageCache&&) noexcept;
  ~PackageCache();

  // Where new packages go.
  [[nodiscard]] const std::filesystem::path& writable_dir() const;
  [[nodiscard]] const std::vector<std::filesystem::path>& dirs() const;
  // The repodata cache directory, `<writable>/cache` (created by open()).
  [[nodiscard]] std::filesystem::path repodata_dir() const;
  // Leftover temporaries open() removed (for logs and tests).
  [[nodiscard]] std::size_t swept() const;

  // The extracted directory of `record` in any cache directory, when it is valid: its
  // info/repodata_record.json exists and its sha256 (else md5) equals the record's. With
  // no digest on either side the file name must match. nullopt when absent or stale.
  [[nodiscard]] std::optional<std::filesystem::path> find_extracted(
      const conda::PackageRecord& record) const;
  // The archive `<dir>/<fn>` whose bytes match the record's sha256 (else md5; else its
  // size), in any cache directory. Reads (hashes) each candidate.
  [[nodiscard]] std::optional<std::filesystem::path> find_archive(
      const conda::PackageRecord& record) const;

  // Puts `staged` (a fully extracted package, with info/repodata_record.json, created
  // under writable_dir()) in place as `<writable>/<stem>` under the exclusive lock.
  // When a valid entry appeared meanwhile (another process won the race) `staged` is
  // removed and that entry returned; a stale entry is replaced. When `downloaded_url` is
  // not empty it is appended to urls.txt. Errors: kIo, kUnavailable (lock timeout).
  [[nodiscard]] Result<std::filesystem::path> install_extracted(
      const std::filesystem::path& staged, const conda::PackageRecord& record,
      const std::string& downloaded_url);

  // Takes the cache's exclusive lock (for repodata cache writes and the like).
  [[nodiscard]] Result<base::FileLock> lock_exclusive() const;

 private:
  struct State;
  explicit PackageCache(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// The extracted directory name of a record: its fn without ".conda"/".tar.bz2" (falling
// back to the URL's file name, then to name-version-build).
[[nodiscard]] std::string package_stem(const conda::PackageRecord& record);
// The archive file name of a record: fn, else the URL's file name.
[[nodiscard]] std::string package_file_name(const conda::PackageRecord& record);

}  // namespace graft::store
