#include "base/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <thread>
#include <utility>

#include "base/fs.h"

namespace graft::base {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(10);

int flock_operation(LockMode mode) {
  return mode == LockMode::kShared ? LOCK_SH : LOCK_EX;
}

// Takes the lock on an open descriptor, polling until `timeout` passes.
Status lock_fd(int fd, const std::filesystem::path& path, LockMode mode,
               std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (::flock(fd, flock_operation(mode) | LOCK_NB) == 0) return ok();
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) {
      return fail(ErrorCode::kIo, "cannot lock '" + path.string() + "': " + errno_text(errno));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return fail(
          Error(ErrorCode::kUnavailable, "'" + path.string() + "' is locked by another process")
              .with_hint("wait for the other graft process to finish, then try again"));
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

Result<int> open_lock_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return fail(ErrorCode::kIo,
                "cannot open lock file '" + path.string() + "': " + errno_text(errno));
  }
  return fd;
}

}  // namespace

Result<FileLock> FileLock::acquire(const std::filesystem::path& path, LockMode mode,
                                   std::chrono::milliseconds timeout) {
  GRAFT_ASSIGN_OR_RETURN(const int fd, open_lock_file(path));
  if (auto locked = lock_fd(fd, path, mode, timeout); !locked) {
    ::close(fd);
    return fail(std::move(locked).error());
  }
  return FileLock(fd, mode, path);
}

Result<FileLock> FileLock::try_acquire(const std::filesystem::path& path, LockMode mode) {
  return acquire(path, mode, std::chrono::milliseconds(0));
}

FileLock::FileLock(FileLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), mode_(other.mode_), path_(std::move(other.path_)) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = std::exchange(other.fd_, -1);
    mode_ = other.mode_;
    path_ = std::move(other.path_);
  }
  return *this;
}

FileLock::~FileLock() {
  release();
}

void FileLock::release() {
  if (fd_ >= 0) {
    ::close(fd_);  // closing the last descriptor of the description drops the lock
    fd_ = -1;
  }
}

bool FileLock::still_at_path() const {
  struct stat held {};
  struct stat named {};
  if (fd_ < 0 || ::fstat(fd_, &held) != 0 || ::stat(path_.c_str(), &named) != 0) return false;
  return held.st_dev == named.st_dev && held.st_ino == named.st_ino;
}

Status FileLock::change_mode(LockMode mode, std::chrono::milliseconds timeout) {
  if (mode == mode_) return ok();
  GRAFT_RETURN_IF_ERROR(lock_fd(fd_, path_, mode, timeout));
  mode_ = mode;
  return ok();
}

}  // namespace graft::base
