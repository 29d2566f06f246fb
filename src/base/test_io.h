// I/O failures made real for tests (tests only; header-only so every test binary can use
// them): a small tmpfs that fills up, a file size limit, a FIFO whose blocked readers are
// let go, and data whose damage shows. Not thread-safe; each object belongs to one test.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "base/fs.h"
#include "base/result.h"

namespace graft::base {

// A tmpfs of a given size: a disk that really fills up. Mounting needs root
// (CAP_SYS_ADMIN): when the kernel refuses, mount() says why and the test skips with
// GTEST_SKIP. The file system is unmounted and its directory removed when the object dies.
class TestTmpfs {
 public:
  // Mounts a tmpfs of `bytes` on a fresh directory under the system temp dir.
  // kUnavailable with the kernel's reason when mounting is refused (not root, no
  // CAP_SYS_ADMIN, a container without mount rights).
  [[nodiscard]] static Result<TestTmpfs> mount(std::uint64_t bytes) {
    GRAFT_ASSIGN_OR_RETURN(TempDir directory, TempDir::create("graft-tmpfs-"));
    const std::string options = "size=" + std::to_string(bytes) + ",mode=0755";
    if (::mount("tmpfs", directory.path().c_str(), "tmpfs", 0, options.c_str()) != 0) {
      return fail(ErrorCode::kUnavailable, "cannot mount a tmpfs on '" + directory.path().string() +
                                               "': " + errno_text(errno) +
                                               " (this test needs root)");
    }
    return TestTmpfs(std::move(directory));
  }

  TestTmpfs(TestTmpfs&& other) noexcept
      : directory_(std::move(other.directory_)), mounted_(std::exchange(other.mounted_, false)) {}
  TestTmpfs& operator=(TestTmpfs&&) = delete;
  TestTmpfs(const TestTmpfs&) = delete;
  TestTmpfs& operator=(const TestTmpfs&) = delete;
  ~TestTmpfs() {
    if (mounted_ && ::umount2(directory_->path().c_str(), 0) != 0) {
      ::umount2(directory_->path().c_str(), MNT_DETACH);  // busy: detach, freed when idle
    }
  }  // then directory_ removes the (now empty) mount point

  [[nodiscard]] const std::filesystem::path& path() const { return directory_->path(); }

  // Changes the size: more room, or less (to fill the disk without writing).
  [[nodiscard]] Status resize(std::uint64_t bytes) const {
    const std::string options = "size=" + std::to_string(bytes);
    if (::mount("tmpfs", path().c_str(), "tmpfs", MS_REMOUNT, options.c_str()) != 0) {
      return fail(ErrorCode::kIo,
                  "cannot resize the tmpfs at '" + path().string() + "': " + errno_text(errno));
    }
    return ok();
  }

 private:
  explicit TestTmpfs(TempDir directory) : directory_(std::move(directory)), mounted_(true) {}
  std::optional<TempDir> directory_;
  bool mounted_ = false;
};

// Sets RLIMIT_FSIZE for this process (and the processes it starts) while it lives, with
// SIGXFSZ ignored: a write() past the limit then fails with EFBIG ("File too large").
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    rlimit limited = saved_;
    limited.rlim_cur = bytes;
    saved_handler_ = ::signal(SIGXFSZ, SIG_IGN);
    ::setrlimit(RLIMIT_FSIZE, &limited);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    ::signal(SIGXFSZ, saved_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit saved_{};
  sighandler_t saved_handler_ = SIG_DFL;
};

// From `delay` on, opens the FIFO at `path` for writing (and closes it at once) every
// 100 ms until destroyed, so a reader blocked in open() is let go: code that wrongly
// waits on a FIFO makes its test fail in bounded time instead of hanging it.
class FifoUnblocker {
 public:
  FifoUnblocker(std::filesystem::path path, std::chrono::milliseconds delay)
      : thread_([this, path = std::move(path), delay] {
          const auto start = std::chrono::steady_clock::now();
          while (!stop_) {
            if (std::chrono::steady_clock::now() - start >= delay) {
              const int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
              if (fd >= 0) ::close(fd);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
          }
        }) {}
  ~FifoUnblocker() {
    stop_ = true;
    thread_.join();
  }
  FifoUnblocker(const FifoUnblocker&) = delete;
  FifoUnblocker& operator=(const FifoUnblocker&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// `size` bytes of numbered lines: data that is not NUL bytes, so a copy of it with holes
// where writes failed differs from it.
inline std::string test_text(std::size_t size) {
  std::string text;
  while (text.size() < size) text += "line " + std::to_string(text.size()) + "\n";
  text.resize(size);
  return text;
}

}  // namespace graft::base
