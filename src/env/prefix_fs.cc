#include "env/prefix_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <vector>

#include "base/strings.h"
#include "conda/archive.h"

namespace graft::env {
namespace fs = std::filesystem;
namespace {

constexpr int kDirectoryFlags = O_PATH | O_DIRECTORY | O_CLOEXEC;

std::atomic<bool> openat2_missing{false};
std::atomic<bool> force_walk{false};

std::string single_quoted(std::string_view text) {
  return "'" + std::string(text) + "'";
}

Error io_error(std::string_view what, std::string_view path, int error_number) {
  return Error(error_number == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
               "cannot " + std::string(what) + " " + single_quoted(path) + ": " +
                   base::errno_text(error_number));
}

// Why `component` of `directory_fd` (spelled `shown` from the root) can not be entered.
Error not_enterable(int directory_fd, const char* component, std::string_view shown,
                    int error_number) {
  struct stat info {};
  if (::fstatat(directory_fd, component, &info, AT_SYMLINK_NOFOLLOW) != 0) {
    return io_error("open directory", shown, errno);
  }
  if (S_ISLNK(info.st_mode)) {
    return Error(ErrorCode::kConflict, single_quoted(shown) + " is a symlink, not a directory");
  }
  if (!S_ISDIR(info.st_mode)) {
    return Error(ErrorCode::kConflict, single_quoted(shown) + " is not a directory");
  }
  return io_error("open directory", shown, error_number);
}

// One openat(O_NOFOLLOW) per component; `make` creates missing ones first.
Result<base::Fd> walk(int root_fd, std::string_view relative, bool make) {
  base::Fd current(::openat(root_fd, ".", kDirectoryFlags));
  if (current.get() < 0) return fail(io_error("open directory", ".", errno));
  if (relative.empty()) return current;
  std::size_t end = 0;
  for (std::string_view component : base::split(relative, '/')) {
    end += component.size() + (end == 0 ? 0 : 1);
    const std::string name(component);
    const std::string_view shown = relative.substr(0, end);
    if (make && ::mkdirat(current.get(), name.c_str(), 0755) != 0 && errno != EEXIST) {
      return fail(io_error("make directory", shown, errno));
    }
    base::Fd next(::openat(current.get(), name.c_str(), kDirectoryFlags | O_NOFOLLOW));
    if (next.get() < 0) return fail(not_enterable(current.get(), name.c_str(), shown, errno));
    current = std::move(next);
  }
  return current;
}

// openat2 beneath the root: -1 with errno; ENOSYS where the kernel has none.
int open_beneath(int root_fd, const std::string& relative, Symlinks symlinks) {
  open_how how{};
  how.flags = kDirectoryFlags;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  if (symlinks == Symlinks::kRefuse) how.resolve |= RESOLVE_NO_SYMLINKS;
  int fd = -1;
  do {
    fd = static_cast<int>(::syscall(SYS_openat2, root_fd, relative.c_str(), &how, sizeof(how)));
  } while (fd < 0 && errno == EAGAIN);
  return fd;
}

}  // namespace

Status check_prefix_path(std::string_view path) {
  return conda::check_member_path(path);
}

Status check_package_names(const conda::PackageRecord& record) {
  for (const auto& [what, text] :
       {std::pair{"name", &record.name}, std::pair{"version", &record.version},
        std::pair{"build", &record.build}}) {
    std::string cause;
    if (text->empty() && text == &record.name) cause = "it is empty";
    if (*text == "." || *text == "..") cause = "it is a directory name";
    if (text->find('/') != std::string::npos) cause = "it has a '/'";
    if (text->find('\0') != std::string::npos) cause = "it has a NUL byte";
    if (!cause.empty()) {
      return fail(ErrorCode::kCorrupt, "package " + std::string(what) + " " + single_quoted(*text) +
                                           " cannot name a file: " + cause);
    }
  }
  return ok();
}

std::pair<std::string_view, std::string_view> split_parent(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return {std::string_view(), path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

Result<PrefixRoot> PrefixRoot::open(const fs::path& root) {
  base::Fd fd(::open(root.c_str(), kDirectoryFlags));
  if (fd.get() < 0) return fail(io_error("open directory", root.string(), errno));
  return PrefixRoot(root, std::move(fd));
}

Result<base::Fd> PrefixRoot::open_directory(std::string_view relative, Symlinks symlinks) const {
  if (relative.empty() || force_walk.load(std::memory_order_relaxed) ||
      openat2_missing.load(std::memory_order_relaxed)) {
    return walk(fd(), relative, /*make=*/false);
  }
  base::Fd opened(open_beneath(fd(), std::string(relative), symlinks));
  if (opened.get() >= 0) return opened;
  const int error_number = errno;
  if (error_number == ENOSYS || error_number == EPERM) {
    openat2_missing.store(true, std::memory_order_relaxed);
    return walk(fd(), relative, /*make=*/false);
  }
  if (error_number == EXDEV) {
    return fail(ErrorCode::kConflict,
                single_quoted(relative) + " leads outside the environment through a symlink");
  }
  // The walk names the component at fault (a symlink, a file, a missing directory).
  return walk(fd(), relative, /*make=*/false);
}

Status PrefixRoot::make_directories(std::string_view relative) const {
  GRAFT_RETURN_IF_ERROR(walk(fd(), relative, /*make=*/true));
  return ok();
}

Result<int> DirectoryCursor::parent_of(std::string_view path) {
  const std::string_view directory = split_parent(path).first;
  if (fd_.get() >= 0 && directory == directory_) return fd_.get();
  fd_ = base::Fd();
  GRAFT_ASSIGN_OR_RETURN(fd_, root_.open_directory(directory, symlinks_));
  directory_ = std::string(directory);
  return fd_.get();
}

Status remove_tree_at(int directory_fd, const std::string& name, std::string_view shown) {
  if (::unlinkat(directory_fd, name.c_str(), 0) == 0 || errno == ENOENT) return ok();
  if (errno != EISDIR) return fail(io_error("remove", shown, errno));
  const int fd =
      ::openat(directory_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return fail(io_error("open directory", shown, errno));
  DIR* listing = ::fdopendir(fd);
  if (listing == nullptr) {
    ::close(fd);
    return fail(io_error("list", shown, errno));
  }
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(listing)) {
    const std::string_view entry_name = entry->d_name;
    if (entry_name != "." && entry_name != "..") names.emplace_back(entry_name);
  }
  Status removed = ok();
  for (const std::string& entry : names) {
    removed = remove_tree_at(::dirfd(listing), entry, std::string(shown) + "/" + entry);
    if (!removed) break;
  }
  ::closedir(listing);
  GRAFT_RETURN_IF_ERROR(removed);
  if (::unlinkat(directory_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return fail(io_error("remove", shown, errno));
  }
  return ok();
}

Status unlink_beneath(const fs::path& root, std::string_view relative) {
  GRAFT_ASSIGN_OR_RETURN(PrefixRoot opened, PrefixRoot::open(root));
  const auto [directory, leaf] = split_parent(relative);
  auto parent = opened.open_directory(directory, Symlinks::kFollowBeneath);
  if (!parent)
    return parent.error().code() == ErrorCode::kNotFound ? ok() : Status(fail(parent.error()));
  if (::unlinkat(parent->get(), std::string(leaf).c_str(), 0) != 0 && errno != ENOENT &&
      errno != EISDIR) {
    return fail(io_error("remove", (root / relative).string(), errno));
  }
  return ok();
}

Status rename_from_beneath(const fs::path& root, std::string_view relative, const fs::path& to) {
  GRAFT_ASSIGN_OR_RETURN(PrefixRoot opened, PrefixRoot::open(root));
  const auto [directory, leaf] = split_parent(relative);
  GRAFT_ASSIGN_OR_RETURN(base::Fd parent,
                         opened.open_directory(directory, Symlinks::kFollowBeneath));
  if (::renameat(parent.get(), std::string(leaf).c_str(), AT_FDCWD, to.c_str()) != 0) {
    return fail(io_error("move aside", (root / relative).string(), errno));
  }
  return ok();
}

Status rename_to_beneath(const fs::path& from, const fs::path& root, std::string_view relative) {
  GRAFT_ASSIGN_OR_RETURN(PrefixRoot opened, PrefixRoot::open(root));
  const auto [directory, leaf] = split_parent(relative);
  GRAFT_RETURN_IF_ERROR(opened.make_directories(directory));
  GRAFT_ASSIGN_OR_RETURN(base::Fd parent, opened.open_directory(directory, Symlinks::kRefuse));
  if (::renameat(AT_FDCWD, from.c_str(), parent.get(), std::string(leaf).c_str()) != 0) {
    return fail(io_error("restore", (root / relative).string(), errno));
  }
  return ok();
}

void prune_directories_beneath(const fs::path& root, const std::vector<std::string>& directories) {
  auto opened = PrefixRoot::open(root);
  if (!opened) return;
  DirectoryCursor cursor(*opened, Symlinks::kFollowBeneath);
  for (const std::string& directory : directories) {
    auto parent = cursor.parent_of(directory);
    if (parent)
      ::unlinkat(*parent, std::string(split_parent(directory).second).c_str(), AT_REMOVEDIR);
  }
}

void force_component_walk_for_testing(bool force) {
  force_walk.store(force);
}

}  // namespace graft::env
