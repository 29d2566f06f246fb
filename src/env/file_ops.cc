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

// Writes `bytes` to a new file (O_EXCL). Returns the errno, 0 on success; on a failed
// write (disk full, quota) the partial file is removed again, as it was ours.
int write_new_file(const fs::path& path, std::string_view bytes, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
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
  if (error_number != 0) ::unlink(path.c_str());
  return error_number;
}

Status move_out_of_the_way(const FileOp& op, const OpContext& context) {
  if (context.journal != nullptr) return context.journal->move_aside(op.target);
  return base::remove_tree(context.write_prefix / op.target);
}

// The helpers below return the errno of the step that failed (EEXIST when the target is
// taken), 0 on success; `error` receives failures that are not an errno.
int copy_into(const fs::path& source, const fs::path& target, std::optional<Error>& error) {
  struct stat info;
  if (::lstat(target.c_str(), &info) == 0) return EEXIST;
  if (auto status = base::copy_file_contents(source, target); !status) error = status.error();
  return 0;
}

int rewrite_into(FileOp& op, const fs::path& target, const std::string& final_prefix,
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
  return write_new_file(target, *replaced, info.st_mode & 07777);
}

int symlink_into(const fs::path& source, const fs::path& target, std::optional<Error>& error) {
  std::error_code code;
  const fs::path link_target = fs::read_symlink(source, code);
  // Listed as a softlink but stored as a file (old packages such as zlib 1.2.11): conda
  // copies it.
  if (code.value() == EINVAL) return copy_into(source, target, error);
  if (code) return code.value();
  return ::symlink(link_target.c_str(), target.c_str()) == 0 ? 0 : errno;
}

int hard_link_into(FileOp& op, const fs::path& target, bool allow_softlinks,
                   std::optional<Error>& error) {
  const fs::path& source = op.source;
  if (::link(source.c_str(), target.c_str()) == 0) return 0;
  const int error_number = errno;
  if (error_number == EEXIST || error_number == ENOENT) return error_number;
  if (allow_softlinks && error_number == EXDEV) {
    if (::symlink(source.c_str(), target.c_str()) != 0) return errno;
    op.softlinked = true;
    return 0;
  }
  auto placed = base::link_or_copy(source, target);  // reflink, then copy
  if (!placed) error = placed.error();
  return 0;
}

// One attempt at placing the file.
int attempt(FileOp& op, const OpContext& context, std::optional<Error>& error) {
  const fs::path target = context.write_prefix / op.target;
  switch (op.action) {
    case FileAction::kLink: return hard_link_into(op, target, context.allow_softlinks, error);
    case FileAction::kCopy: return copy_into(op.source, target, error);
    case FileAction::kRewrite: return rewrite_into(op, target, context.final_prefix, error);
    case FileAction::kSymlink: return symlink_into(op.source, target, error);
    case FileAction::kScript: return write_new_file(target, op.content, 0755);
    case FileAction::kDirectory:
      return ::mkdir(target.c_str(), 0755) == 0 || errno == EEXIST ? 0 : errno;
    case FileAction::kSkip: return 0;
  }
  return 0;
}

}  // namespace

Status run_file_op(FileOp& op, const OpContext& context) {
  for (int round = 0; round < 2; ++round) {
    std::optional<Error> error;
    const int error_number = attempt(op, context, error);
    if (error) return fail(std::move(*error).with_context("'" + op.target + "'"));
    if (error_number == 0) {
      if (context.journal != nullptr && op.action != FileAction::kSkip &&
          op.action != FileAction::kDirectory) {
        context.journal->record_created(op.target);
      }
      return ok();
    }
    if (error_number == ENOENT && op.action != FileAction::kScript) {
      return fail(Error(ErrorCode::kNotFound, "'" + op.target +
                                                  "' is missing from the extracted package at '" +
                                                  op.source.string() + "'")
                      .with_hint("the package cache entry is damaged: remove it and retry"));
    }
    if (error_number != EEXIST || round == 1) return fail(io_error("create", op.target, error_number));
    op.clobbered = true;
    GRAFT_RETURN_IF_ERROR(move_out_of_the_way(op, context));
  }
  return ok();
}

Status make_directories_in(const std::vector<std::string>& directories,
                           const OpContext& context) {
  for (const std::string& directory : directories) {
    const fs::path path = context.write_prefix / directory;
    if (::mkdir(path.c_str(), 0755) == 0) {
      if (context.journal != nullptr) context.journal->record_created_directory(directory);
      continue;
    }
    if (errno != EEXIST) return fail(io_error("make directory", directory, errno));
    struct stat info;
    if (::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) continue;
    // A file (or a dangling symlink) where a directory must go: clobber it.
    FileOp op{.target = directory};
    GRAFT_RETURN_IF_ERROR(move_out_of_the_way(op, context));
    if (::mkdir(path.c_str(), 0755) != 0) return fail(io_error("make directory", directory, errno));
    if (context.journal != nullptr) context.journal->record_created_directory(directory);
  }
  return ok();
}

}  // namespace graft::env::detail
