// One writer per environment: an exclusive lock (flock(2)) on <prefix>/conda-meta/.graft-lock,
// held by every operation that changes an environment (create, install, update, remove,
// clone's target, env remove, verify --repair) from before it reads the records until it
// is done. A new environment is locked in its staging directory; the lock stays with the
// file when the directory is renamed into place. The lock dies with its process, so a
// killed graft never leaves an environment locked.
//
// Thread-safety: one EnvLock is not shared between threads. Two EnvLock objects of one
// prefix conflict even inside one process.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string_view>

#include "base/file_lock.h"
#include "base/result.h"
#include "env/journal.h"

namespace graft::env {

// How long a writer waits for another one to finish before giving up.
inline constexpr std::chrono::milliseconds kEnvLockTimeout = std::chrono::minutes(2);

// The lock file's name in conda-meta.
inline constexpr std::string_view kEnvLockName = ".graft-lock";

class EnvLock {
 public:
  // Waits up to `timeout` for the lock of the environment at `prefix` (its conda-meta must
  // exist). Errors: kNotFound (no environment there, or it was removed while we waited),
  // kUnavailable "environment '<prefix>' is being changed by another graft process"
  // with a hint, kIo.
  [[nodiscard]] static Result<EnvLock> acquire(const std::filesystem::path& prefix,
                                               std::chrono::milliseconds timeout = kEnvLockTimeout);
  // One attempt: nullopt when another process holds the lock. Errors as acquire().
  [[nodiscard]] static Result<std::optional<EnvLock>> try_acquire(
      const std::filesystem::path& prefix);

  // The environment this lock was taken for (a staging directory keeps its final path).
  [[nodiscard]] const std::filesystem::path& prefix() const { return prefix_; }
  // Names the environment by its final path from now on (after a staging rename).
  void moved_to(std::filesystem::path prefix) { prefix_ = std::move(prefix); }

 private:
  EnvLock(base::FileLock lock, std::filesystem::path prefix)
      : lock_(std::move(lock)), prefix_(std::move(prefix)) {}
  base::FileLock lock_;
  std::filesystem::path prefix_;
};

// For commands that open an environment without changing it (list, verify, export, run,
// diff, clone's source): when a graft process died while changing `prefix`, takes the
// lock (without waiting: a live writer is left alone) and finishes its journal
// (recover_journal()). Errors as EnvLock::acquire and recover_journal.
[[nodiscard]] Result<Recovery> recover_if_abandoned(const std::filesystem::path& prefix);

}  // namespace graft::env
