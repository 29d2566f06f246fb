// Advisory whole-file locks (flock(2)) for sharing the package cache and environments
// between graft processes, and between threads of one process: the lock belongs to the open file
// description, so two FileLock objects conflict even inside one process.
//
// Thread-safety: one FileLock is not shared between threads; distinct objects are
// independent. Locks are released on destruction or when the process dies (no stale lock
// files to clean up by hand).
#pragma once

#include <chrono>
#include <filesystem>

#include "base/result.h"

namespace graft::base {

enum class LockMode { kShared, kExclusive };

class FileLock {
 public:
  // Opens (creating, mode 0644) `path` and waits up to `timeout` for the lock, polling.
  // Errors: kIo (the file can not be opened or locked), kUnavailable ("... is locked by
  // another process") when the timeout passes.
  [[nodiscard]] static Result<FileLock> acquire(const std::filesystem::path& path, LockMode mode,
                                                std::chrono::milliseconds timeout);
  // One attempt without waiting: kUnavailable when someone else holds a conflicting lock.
  [[nodiscard]] static Result<FileLock> try_acquire(const std::filesystem::path& path,
                                                    LockMode mode);

  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

  // Switches between shared and exclusive on the same file (not atomic: flock(2) drops the
  // old lock first). Waits up to `timeout` like acquire().
  [[nodiscard]] Status change_mode(LockMode mode, std::chrono::milliseconds timeout);

  // Whether `path` still names the locked file (a holder may have removed or replaced it
  // while this one waited).
  [[nodiscard]] bool still_at_path() const;

  [[nodiscard]] LockMode mode() const { return mode_; }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  FileLock(int fd, LockMode mode, std::filesystem::path path)
      : fd_(fd), mode_(mode), path_(std::move(path)) {}
  void release();

  int fd_ = -1;
  LockMode mode_ = LockMode::kShared;
  std::filesystem::path path_;
};

}  // namespace graft::base
