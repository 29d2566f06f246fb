#include "env/file_ops.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>

#include "base/fs.h"
#include "base/hash.h"
#include "env/prefix_replace.h"

namespace graft::env::detail {
namespace fs = std::filesystem;
namespace {

Error io_error(std::string_view what, const std::string& target, int error_number) {
  const ErrorCode code = error_number == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo;
  return Error(code, "cannot " + std::string(what) + " '" + target + "': " +
                         base::errno_text(error_number));
}

// Where an op writes: its parent directory (open) and its name there.
struct Place {
  int directory = -1;
  std::string name;
};

// Writes `bytes` to a new file (O_EXCL). Returns the errno, 0 on success; on a failed
// write (disk full, quota) the partial file is removed again, as it was ours.
int write_new_file(const Place& place, std::string_view bytes, mode_t mode) {
  const int fd = ::openat(place.directory, place.name.c_str(),
                          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return errno;
  int error_number = 0;
  std::size_t written = 0;
  while (written < bytes.size() && error_number == 0) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno != EINTR) error_number = errno;
    if (n > 0) written += static_cast<std::size_t>(n);
  }
  if (error_number == 0) ::fchmod(fd, mode);  // undo the umask, as a copy keeps the mode
  if (::close(fd) != 0 && error_number == 0) error_number = errno;
  if (error_number != 0) ::unlinkat(place.directory, place.name.c_str(), 0);
  return error_number;
}

Status move_out_of_the_way(const std::string& target, const Place& place,
                           const OpContext& context) {
  if (context.journal != nullptr) return context.journal->move_aside(target);
  return remove_tree_at(place.directory, place.name, target);
}

bool exists_at(const Place& place) {
  struct stat info;
  return ::fstatat(place.directory, place.name.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0;
}

// The helpers below return the errno of the step that failed (EEXIST when the target is
// taken), 0 on success; `error` receives failures that are not an errno.
int copy_into(const fs::path& source, const Place& place, std::optional<Error>& error) {
  if (exists_at(place)) return EEXIST;
  if (auto status = base::copy_file_contents_at(source, place.directory, place.name); !status) {
    error = status.error();
  }
  return 0;
}

int rewrite_into(FileOp& op, const Place& place, const std::string& final_prefix,
                 std::optional<Error>& error) {
  struct stat info;
  if (::stat(op.source.c_str(), &info) != 0) return errno;
  auto data = base::read_file(op.source);
  if (!data) {
    error = data.error();
    return 0;
  }
  auto replaced = replace_prefix(*data, op.manifest->file_mode, op.manifest->prefix_placeholder,
                                 final_prefix);
  if (!replaced) {
    error = replaced.error();
    return 0;
  }
  op.sha256_in_prefix = base::sha256_hex(*replaced);
  return write_new_file(place, *replaced, info.st_mode & 07777);
}

int symlink_into(const fs::path& source, const Place& place, std::optional<Error>& error) {
  std::error_code code;
  const fs::path link_target = fs::read_symlink(source, code);
  // Listed as a softlink but stored as a file (old packages such as zlib 1.2.11): conda
  // copies it.
  if (code.value() == EINVAL) return copy_into(source, place, error);
  if (code) return code.value();
  return ::symlinkat(link_target.c_str(), place.directory, place.name.c_str()) == 0 ? 0 : errno;
}

int hard_link_into(FileOp& op, const Place& place, bool allow_softlinks,
                   std::optional<Error>& error) {
  const fs::path& source = op.source;
  if (::linkat(AT_FDCWD, source.c_str(), place.directory, place.name.c_str(), 0) == 0) return 0;
  const int error_number = errno;
  if (error_number == EEXIST || error_number == ENOENT) return error_number;
  if (allow_softlinks && error_number == EXDEV) {
    if (::symlinkat(source.c_str(), place.directory, place.name.c_str()) != 0) return errno;
    op.softlinked = true;
    return 0;
  }
  // reflink, then copy
  if (auto placed = base::copy_file_contents_at(source, place.directory, place.name); !placed) {
    error = placed.error();
  }
  return 0;
}

// One attempt at placing the file.
int attempt(FileOp& op, const Place& place, const OpContext& context, std::optional<Error>& error) {
  switch (op.action) {
    case FileAction::kLink: return hard_link_into(op, place, context.allow_softlinks, error);
    case FileAction::kCopy: return copy_into(op.source, place, error);
    case FileAction::kRewrite: return rewrite_into(op, place, context.final_prefix, error);
    case FileAction::kSymlink: return symlink_into(op.source, place, error);
    case FileAction::kScript: return write_new_file(place, op.content, 0755);
    case FileAction::kDirectory:
      return ::mkdirat(place.directory, place.name.c_str(), 0755) == 0 || errno == EEXIST ? 0
                                                                                          : errno;
    case FileAction::kSkip: return 0;
  }
  return 0;
}

// An error opening the parent directory of `target`: what could not be placed, and why.
Error unplaceable(const std::string& target, Error cause) {
  Error error(cause.code(), "cannot place '" + target + "': " + cause.message());
  if (cause.code() == ErrorCode::kConflict) return error.with_hint(std::string(kSymlinkParentHint));
  return error;
}

Status make_directory(const std::string& directory, const OpContext& context,
                      DirectoryCursor& cursor) {
  auto parent = cursor.parent_of(directory);
  if (!parent) return fail(unplaceable(directory, std::move(parent).error()));
  const Place place{.directory = *parent, .name = std::string(split_parent(directory).second)};
  if (::mkdirat(place.directory, place.name.c_str(), 0755) != 0) {
    if (errno != EEXIST) return fail(io_error("make directory", directory, errno));
    struct stat info;
    if (::fstatat(place.directory, place.name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
      return fail(io_error("make directory", directory, errno));
    }
    if (S_ISDIR(info.st_mode)) return ok();
    if (S_ISLNK(info.st_mode)) {
      return fail(
          Error(ErrorCode::kConflict, "cannot make directory '" + directory + "': it is a symlink")
              .with_hint(std::string(kSymlinkParentHint)));
    }
    // A file where a directory must go: clobber it.
    GRAFT_RETURN_IF_ERROR(move_out_of_the_way(directory, place, context));
    if (::mkdirat(place.directory, place.name.c_str(), 0755) != 0) {
      return fail(io_error("make directory", directory, errno));
    }
  }
  if (context.journal != nullptr) return context.journal->record_created_directory(directory);
  return ok();
}

}  // namespace

Status run_file_op(FileOp& op, const OpContext& context, DirectoryCursor& cursor) {
  if (op.action == FileAction::kSkip) return ok();
  auto directory = cursor.parent_of(op.target);
  if (!directory) return fail(unplaceable(op.target, std::move(directory).error()));
  const Place place{.directory = *directory, .name = std::string(split_parent(op.target).second)};
  if (context.journal != nullptr && op.action != FileAction::kDirectory) {
    // Logged before the file exists, so a process killed in between leaves nothing the
    // log does not name; whatever is in the way goes aside first.
    if (exists_at(place)) {
      op.clobbered = true;
      GRAFT_RETURN_IF_ERROR(move_out_of_the_way(op.target, place, context));
    }
    GRAFT_RETURN_IF_ERROR(context.journal->record_created(op.target));
  }
  for (int round = 0; round < 2; ++round) {
    std::optional<Error> error;
    const int error_number = attempt(op, place, context, error);
    if (error) return fail(std::move(*error).with_context("'" + op.target + "'"));
    if (error_number == 0) return ok();
    if (error_number == ENOENT && op.action != FileAction::kScript) {
      return fail(Error(ErrorCode::kNotFound, "'" + op.target +
                                                  "' is missing from the extracted package at '" +
                                                  op.source.string() + "'")
                      .with_hint("the package cache entry is damaged: remove it and retry"));
    }
    if (error_number != EEXIST || round == 1) return fail(io_error("create", op.target, error_number));
    op.clobbered = true;
    GRAFT_RETURN_IF_ERROR(move_out_of_the_way(op.target, place, context));
  }
  return ok();
}

Status make_directories_in(const std::vector<std::string>& directories, const OpContext& context,
                           std::size_t* failed) {
  DirectoryCursor cursor(*context.root, Symlinks::kRefuse);
  for (std::size_t i = 0; i < directories.size(); ++i) {
    if (auto made = make_directory(directories[i], context, cursor); !made) {
      if (failed != nullptr) *failed = i;
      return made;
    }
  }
  return ok();
}

}  // namespace graft::env::detail
