#include "base/disk.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

#include "base/fs.h"

namespace graft::base {
namespace {

namespace fs = std::filesystem;

Error io_error(std::string_view action, const fs::path& path, int error_number) {
  const bool missing = error_number == ENOENT || error_number == ENOTDIR;
  const ErrorCode code = missing ? ErrorCode::kNotFound : ErrorCode::kIo;
  return Error(code, std::string(action) + " '" + path.string() + "': " + errno_text(error_number));
}

// Closes a descriptor on scope exit unless released.
class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  [[nodiscard]] int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

std::string_view file_type_name(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a fifo";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "an unknown kind of file";
}

}  // namespace

Result<int> open_regular_file(const fs::path& path) {
  Descriptor fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) return fail(io_error("cannot open", path, errno));
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return fail(io_error("cannot stat", path, errno));
  if (!S_ISREG(info.st_mode)) {
    return fail(ErrorCode::kInvalidArgument, "'" + path.string() +
                                                 "' is not a regular file: it is " +
                                                 std::string(file_type_name(info.st_mode)));
  }
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
    return fail(io_error("cannot open", path, errno));
  }
  return fd.release();
}

Status sync_file_system(const fs::path& path) {
  Descriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return fail(io_error("cannot open", path, errno));
  if (::syncfs(fd.get()) != 0) {
    return fail(io_error("cannot flush the file system of", path, errno));
  }
  return ok();
}

Status sync_directory(const fs::path& directory) {
  const fs::path name = directory.empty() ? fs::path(".") : directory;
  Descriptor fd(::open(name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return fail(io_error("cannot open directory", name, errno));
  if (::fsync(fd.get()) != 0) return fail(io_error("cannot sync directory", name, errno));
  return ok();
}

}  // namespace graft::base
