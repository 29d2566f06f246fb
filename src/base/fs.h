// Filesystem helpers: whole-file read, atomic write, the link fallback chain, tree walk,
// temporary directories. Every function returns a Status/Result; none throws.
// Thread-safety: all functions are safe to call concurrently on different paths.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace graft::base {

namespace fs = std::filesystem;

// `path` made absolute (against the working directory) and lexically normal, without a
// trailing '/': the one spelling of a path that comparisons of prefixes and cache entries
// use. Touches no file; a path that cannot be made absolute is only normalized.
[[nodiscard]] fs::path normal_absolute(const fs::path& path);

// Reads a whole file. kNotFound when it does not exist, kIo otherwise.
[[nodiscard]] Result<std::string> read_file(const fs::path& path);

enum class Durability { kFsync, kNoFsync };

// Writes `content` to `path` atomically: a temp file beside it, fsync (unless kNoFsync),
// rename over the target, fsync of the directory. Readers see the old or the new file.
[[nodiscard]] Status write_file_atomic(const fs::path& path, std::string_view content,
                                       Durability durability = Durability::kFsync);

// Writes a command's output file (`env export -f`) where the user named it, as a shell
// redirect or conda (which opens the path for writing) would, without ever replacing what
// is not a regular file: a regular file or a new name is replaced atomically
// (write_file_atomic); a symlink is followed and its target written the same
// way; a character device or FIFO (/dev/stdout, a named pipe) is written through, never
// renamed over. Errors: kInvalidArgument for a directory, block device or socket
// ("cannot write to 'x': it is a directory"), kIo (e.g. /dev/full: "No space left on device").
[[nodiscard]] Status write_output_file(const fs::path& path, std::string_view content);

// How link_or_copy placed a file.
enum class LinkKind { kHardLink, kReflink, kCopy };
[[nodiscard]] std::string_view link_kind_name(LinkKind kind);

enum class LinkPolicy {
  kPreferHardLink,  // hard link -> reflink -> copy
  kCopyOnly,        // reflink -> copy (never share the inode)
};

struct LinkOutcome {
  LinkKind kind = LinkKind::kHardLink;
  // Why the cheaper ways failed, e.g. "hard link: Invalid cross-device link"; empty when
  // the first choice worked.
  std::string fallback_reason;
};

// Places `source` (a regular file) at `target`, which must not exist: hard link first, then
// reflink (FICLONE), then a byte copy, keeping the permission bits. Parent dirs must exist.
[[nodiscard]] Result<LinkOutcome> link_or_copy(const fs::path& source, const fs::path& target,
                                               LinkPolicy policy = LinkPolicy::kPreferHardLink);

// Copies a regular file's bytes and mode to `target` (reflink when the filesystem can).
[[nodiscard]] Status copy_file_contents(const fs::path& source, const fs::path& target);
// The same to the new file `name` in the open directory `directory_fd` (O_EXCL: an existing
// name, a symlink included, is kAlreadyExists; nothing is followed at `name`).
[[nodiscard]] Status copy_file_contents_at(const fs::path& source, int directory_fd,
                                           const std::string& name);

// Owns a file descriptor (-1: none) and closes it on destruction. Movable, not copyable.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd();
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_ = -1;
};

enum class EntryType { kFile, kDirectory, kSymlink, kOther };

struct WalkEntry {
  fs::path relative;  // relative to the walked root, with '/' separators
  EntryType type = EntryType::kOther;
};

// Lists everything under `root` (not following symlinks), depth first, each directory
// before its contents, entries within a directory sorted by name.
[[nodiscard]] Result<std::vector<WalkEntry>> walk(const fs::path& root);

// Creates directories (like mkdir -p); kIo with the path on failure.
[[nodiscard]] Status make_directories(const fs::path& path);

// Removes a file or directory tree; no error when it does not exist.
[[nodiscard]] Status remove_tree(const fs::path& path);

// Renames, replacing an empty directory or a file at `to` (rename(2) semantics).
[[nodiscard]] Status rename_path(const fs::path& from, const fs::path& to);

// A directory removed (recursively) when the object dies. Not copyable; movable.
class TempDir {
 public:
  // Creates a fresh directory under `parent` (default: the system temp dir) named
  // "<prefix>XXXXXX".
  [[nodiscard]] static Result<TempDir> create(std::string_view prefix = "graft-",
                                              const fs::path& parent = {});
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  [[nodiscard]] const fs::path& path() const { return path_; }
  // Keeps the directory on destruction and returns its path.
  fs::path release();

 private:
  explicit TempDir(fs::path path) : path_(std::move(path)) {}
  fs::path path_;
};

// The errno text of `error_number`, e.g. "No such file or directory".
[[nodiscard]] std::string errno_text(int error_number);

}  // namespace graft::base
