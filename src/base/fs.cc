#include "base/fs.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>

#include "base/disk.h"

namespace graft::base {
namespace {

Error io_error(std::string_view action, const fs::path& path, int error_number) {
  ErrorCode code = error_number == ENOENT ? ErrorCode::kNotFound
                   : error_number == EEXIST ? ErrorCode::kAlreadyExists
                                            : ErrorCode::kIo;
  return Error(code, std::string(action) + " '" + path.string() + "': " + errno_text(error_number));
}

Status write_all(int fd, std::string_view content, const fs::path& path) {
  while (!content.empty()) {
    ssize_t written = ::write(fd, content.data(), content.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) return fail(io_error("cannot write", path, errno));
    content.remove_prefix(static_cast<std::size_t>(written));
  }
  return ok();
}

std::string random_suffix() {
  static std::atomic<std::uint64_t> counter{0};
  std::random_device device;
  std::uint64_t value = (static_cast<std::uint64_t>(device()) << 32) ^ device() ^
                        (counter.fetch_add(1) * 0x9E3779B97F4A7C15ull) ^
                        static_cast<std::uint64_t>(::getpid());
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string suffix;
  for (int i = 0; i < 10; ++i) {
    suffix.push_back(kAlphabet[value % 36]);
    value /= 36;
  }
  return suffix;
}

// Copies bytes from an open source to a new target file (`target` relative to the
// directory `target_directory`, or AT_FDCWD); tries FICLONE first.
Result<LinkKind> copy_contents(const fs::path& source, int target_directory, const fs::path& target,
                               bool try_reflink, std::string* reason) {
  Fd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) return fail(io_error("cannot open", source, errno));
  struct stat status {};
  if (::fstat(in.get(), &status) != 0) return fail(io_error("cannot stat", source, errno));
  Fd out(::openat(target_directory, target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                  status.st_mode & 07777));
  if (out.get() < 0) return fail(io_error("cannot create", target, errno));
  if (try_reflink) {
    if (::ioctl(out.get(), FICLONE, in.get()) == 0) return LinkKind::kReflink;
    if (reason != nullptr) *reason += "; reflink: " + errno_text(errno);
  }
  off_t offset = 0;
  while (offset < status.st_size) {
    ssize_t sent = ::sendfile(out.get(), in.get(), &offset,
                              static_cast<std::size_t>(status.st_size - offset));
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) {
      int error_number = sent < 0 ? errno : EIO;
      ::unlinkat(target_directory, target.c_str(), 0);
      return fail(io_error("cannot copy to", target, error_number));
    }
  }
  ::fchmod(out.get(), status.st_mode & 07777);
  return LinkKind::kCopy;
}

}  // namespace

std::string errno_text(int error_number) {
  char buffer[256];
  return ::strerror_r(error_number, buffer, sizeof(buffer));
}

fs::path normal_absolute(const fs::path& path) {
  std::error_code error;
  fs::path absolute = fs::absolute(path, error);
  std::string text = (error ? path : absolute).lexically_normal().string();
  while (text.size() > 1 && text.back() == '/') text.pop_back();
  return text;
}

Result<std::string> read_file(const fs::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return fail(io_error("cannot open", path, errno));
  // Read straight into the string, sized from fstat (+1 byte to see the end without a
  // second call); files whose size is unknown or growing (/proc, pipes) grow it by doubling.
  std::string content;
  struct stat status {};
  std::size_t capacity = 65536;
  if (::fstat(fd.get(), &status) == 0 && status.st_size > 0) {
    capacity = static_cast<std::size_t>(status.st_size) + 1;
  }
  content.resize(capacity);
  std::size_t size = 0;
  while (true) {
    if (size == content.size()) content.resize(content.size() * 2);
    ssize_t count = ::read(fd.get(), content.data() + size, content.size() - size);
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) return fail(io_error("cannot read", path, errno));
    if (count == 0) break;
    size += static_cast<std::size_t>(count);
  }
  content.resize(size);
  return content;
}

Status write_file_atomic(const fs::path& path, std::string_view content, Durability durability) {
  fs::path temp = path;
  temp += ".graft-tmp-" + random_suffix();
  Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (fd.get() < 0) return fail(io_error("cannot create", temp, errno));
  Status written = write_all(fd.get(), content, temp);
  if (written && durability == Durability::kFsync && ::fsync(fd.get()) != 0) {
    written = fail(io_error("cannot sync", temp, errno));
  }
  if (::close(fd.release()) != 0 && written) written = fail(io_error("cannot close", temp, errno));
  if (written && ::rename(temp.c_str(), path.c_str()) != 0) {
    written = fail(io_error("cannot rename onto", path, errno));
  }
  if (!written) {
    ::unlink(temp.c_str());
    return written;
  }
  if (durability == Durability::kFsync) return sync_directory(path.parent_path());
  return ok();
}

namespace {

Status write_through(const fs::path& path, std::string_view content) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (fd.get() < 0) return fail(io_error("cannot open", path, errno));
  GRAFT_RETURN_IF_ERROR(write_all(fd.get(), content, path));
  if (::close(fd.release()) != 0) return fail(io_error("cannot close", path, errno));
  return ok();
}

std::string_view kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

Status write_output_file(const fs::path& path, std::string_view content) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    if (errno != ENOENT) return fail(io_error("cannot write to", path, errno));
    // A new name, or a symlink to one: the symlink's target is created.
    struct stat link {};
    if (::lstat(path.c_str(), &link) != 0 || !S_ISLNK(link.st_mode)) {
      return write_file_atomic(path, content);
    }
    std::error_code error;
    const fs::path link_target = fs::read_symlink(path, error);
    if (error) return fail(io_error("cannot resolve", path, error.value()));
    const fs::path target =
        link_target.is_absolute() ? link_target : path.parent_path() / link_target;
    return write_file_atomic(target, content);
  }
  if (S_ISCHR(info.st_mode) || S_ISFIFO(info.st_mode)) return write_through(path, content);
  if (!S_ISREG(info.st_mode)) {
    return fail(Error(ErrorCode::kInvalidArgument, "cannot write to '" + path.string() +
                                                       "': it is " +
                                                       std::string(kind_of(info.st_mode)))
                    .with_hint("name a file"));
  }
  std::error_code error;
  const fs::path target = fs::canonical(path, error);  // the symlink's target, if one
  if (error) return fail(io_error("cannot resolve", path, error.value()));
  return write_file_atomic(target, content);
}

std::string_view link_kind_name(LinkKind kind) {
  switch (kind) {
    case LinkKind::kHardLink: return "hardlink";
    case LinkKind::kReflink: return "reflink";
    case LinkKind::kCopy: return "copy";
  }
  return "copy";
}

Result<LinkOutcome> link_or_copy(const fs::path& source, const fs::path& target,
                                 LinkPolicy policy) {
  LinkOutcome outcome;
  if (policy == LinkPolicy::kPreferHardLink) {
    if (::link(source.c_str(), target.c_str()) == 0) return outcome;
    int error_number = errno;
    if (error_number == EEXIST || error_number == ENOENT) {
      return fail(io_error("cannot link to", target, error_number)
                      .with_context("linking '" + source.string() + "'"));
    }
    outcome.fallback_reason = "hard link: " + errno_text(error_number);
  }
  GRAFT_ASSIGN_OR_RETURN(outcome.kind, copy_contents(source, AT_FDCWD, target, /*try_reflink=*/true,
                                                     &outcome.fallback_reason));
  if (!outcome.fallback_reason.empty() && outcome.fallback_reason.front() == ';') {
    outcome.fallback_reason.erase(0, 2);
  }
  return outcome;
}

Status copy_file_contents(const fs::path& source, const fs::path& target) {
  GRAFT_RETURN_IF_ERROR(copy_contents(source, AT_FDCWD, target, /*try_reflink=*/true, nullptr));
  return ok();
}

Status copy_file_contents_at(const fs::path& source, int directory_fd, const std::string& name) {
  GRAFT_RETURN_IF_ERROR(copy_contents(source, directory_fd, name, /*try_reflink=*/true, nullptr));
  return ok();
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

Result<std::vector<WalkEntry>> walk(const fs::path& root) {
  std::vector<WalkEntry> entries;
  std::error_code error;
  if (!fs::is_directory(fs::symlink_status(root, error))) {
    return fail(ErrorCode::kNotFound, "'" + root.string() + "' is not a directory");
  }
  std::vector<fs::path> pending{fs::path()};
  while (!pending.empty()) {
    fs::path relative = std::move(pending.back());
    pending.pop_back();
    std::vector<WalkEntry> children;
    for (fs::directory_iterator it(root / relative, error), end; !error && it != end;
         it.increment(error)) {
      fs::file_status status = it->symlink_status(error);
      if (error) break;
      EntryType type = fs::is_symlink(status)     ? EntryType::kSymlink
                       : fs::is_directory(status) ? EntryType::kDirectory
                       : fs::is_regular_file(status) ? EntryType::kFile
                                                     : EntryType::kOther;
      children.push_back({relative / it->path().filename(), type});
    }
    if (error) {
      return fail(ErrorCode::kIo, "cannot list '" + (root / relative).string() + "': " + error.message());
    }
    for (const WalkEntry& child : children) {
      if (child.type == EntryType::kDirectory) pending.push_back(child.relative);
    }
    entries.insert(entries.end(), children.begin(), children.end());
  }
  // Path order compares component by component: each directory precedes its contents.
  std::sort(entries.begin(), entries.end(),
            [](const WalkEntry& a, const WalkEntry& b) { return a.relative < b.relative; });
  return entries;
}

Status make_directories(const fs::path& path) {
  std::error_code error;
  fs::create_directories(path, error);
  if (error) return fail(ErrorCode::kIo, "cannot create directory '" + path.string() + "': " + error.message());
  return ok();
}

Status remove_tree(const fs::path& path) {
  std::error_code error;
  fs::remove_all(path, error);
  if (error) return fail(ErrorCode::kIo, "cannot remove '" + path.string() + "': " + error.message());
  return ok();
}

Status rename_path(const fs::path& from, const fs::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return fail(io_error("cannot rename '" + from.string() + "' to", to, errno));
  }
  return ok();
}

Result<TempDir> TempDir::create(std::string_view prefix, const fs::path& parent) {
  fs::path base = parent;
  if (base.empty()) {
    std::error_code error;
    base = fs::temp_directory_path(error);
    if (error) base = "/tmp";
  }
  std::string pattern = (base / (std::string(prefix) + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return fail(io_error("cannot create a temporary directory in", base, errno));
  }
  return TempDir(fs::path(pattern));
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    if (!path_.empty()) (void)remove_tree(path_);
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

TempDir::~TempDir() {
  if (!path_.empty()) (void)remove_tree(path_);
}

fs::path TempDir::release() { return std::exchange(path_, {}); }

}  // namespace graft::base
