#include "env/env_lock.h"

#include <system_error>

#include "base/fs.h"

namespace graft::env {
namespace fs = std::filesystem;
namespace {

fs::path lock_path(const fs::path& prefix) {
  return prefix / "conda-meta" / kEnvLockName;
}

Error busy(const fs::path& prefix) {
  return Error(ErrorCode::kUnavailable,
               "environment '" + prefix.string() + "' is being changed by another graft process")
      .with_hint("wait for it to finish, then try again");
}

Status check_environment(const fs::path& prefix) {
  std::error_code error;
  if (fs::is_directory(prefix / "conda-meta", error)) return ok();
  return fail(ErrorCode::kNotFound,
              "no environment at '" + prefix.string() + "': it has no conda-meta directory");
}

// Takes the lock, waiting up to `timeout`; nullopt when it stayed busy.
Result<std::optional<EnvLock>> lock(const fs::path& given, std::chrono::milliseconds timeout,
                                    EnvLock (*make)(base::FileLock, const fs::path&)) {
  const fs::path prefix = fs::absolute(given).lexically_normal();
  GRAFT_RETURN_IF_ERROR(check_environment(prefix));
  auto taken = base::FileLock::acquire(lock_path(prefix), base::LockMode::kExclusive, timeout);
  if (!taken) {
    if (taken.error().code() == ErrorCode::kUnavailable) return std::optional<EnvLock>();
    return fail(std::move(taken).error());
  }
  // The environment was removed (its conda-meta moved away) while we waited.
  if (!taken->still_at_path()) GRAFT_RETURN_IF_ERROR(check_environment(prefix));
  if (!taken->still_at_path()) return lock(prefix, timeout, make);
  return std::optional<EnvLock>(make(std::move(*taken), prefix));
}

}  // namespace

Result<EnvLock> EnvLock::acquire(const fs::path& prefix, std::chrono::milliseconds timeout) {
  GRAFT_ASSIGN_OR_RETURN(std::optional<EnvLock> taken,
                         lock(prefix, timeout, [](base::FileLock file, const fs::path& path) {
                           return EnvLock(std::move(file), path);
                         }));
  if (!taken) return fail(busy(fs::absolute(prefix).lexically_normal()));
  return std::move(*taken);
}

Result<std::optional<EnvLock>> EnvLock::try_acquire(const fs::path& prefix) {
  return lock(prefix, std::chrono::milliseconds(0), [](base::FileLock file, const fs::path& path) {
    return EnvLock(std::move(file), path);
  });
}

Result<Recovery> recover_if_abandoned(const fs::path& prefix) {
  if (!has_journal(prefix)) return Recovery::kNothing;
  GRAFT_ASSIGN_OR_RETURN(std::optional<EnvLock> lock, EnvLock::try_acquire(prefix));
  if (!lock) return Recovery::kNothing;  // its writer is alive and at work
  return recover_journal(prefix);
}

}  // namespace graft::env
