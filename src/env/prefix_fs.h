// Paths inside a prefix: the one check of every name a package (or a conda-meta record)
// supplies, and filesystem calls that never leave the prefix whatever symlinks packages
// combine (package A ships `x/y -> ..`, B and C then write `x/y/z/...`).
//
// Parent directories are opened component by component without following symlinks
// (openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS when the kernel has it, else one
// openat(O_NOFOLLOW) per component), and files are then created, linked, renamed and
// removed with the *at() calls relative to that directory.
//
// Thread-safety: a PrefixRoot may be shared by threads (it is only read); a
// DirectoryCursor belongs to one thread.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/fs.h"
#include "base/result.h"
#include "conda/record.h"

namespace graft::env {

// Checks a prefix-relative path a package or a record supplies ("lib/libz.so"): relative,
// non-empty, no "", "." or ".." component, no NUL. kCorrupt with the cause, e.g.
// "'../x' has a '..' component".
[[nodiscard]] Status check_prefix_path(std::string_view path);

// Checks that the package's name, version and build can name files in a prefix
// (conda-meta/<name>-<version>-<build>.json, bin/.<name>-post-link.sh): without '/' or NUL,
// not "." or "..", and a name that is not empty. kCorrupt: "package name '../x' cannot name a file:
// ...".
[[nodiscard]] Status check_package_names(const conda::PackageRecord& record);

// How symlinks met among a path's parent directories are treated.
enum class Symlinks {
  kRefuse,         // an error (placing files: a package never writes through a symlink)
  kFollowBeneath,  // followed while they stay inside the prefix (removing files); refused
                   // where the kernel has no openat2
};

// ("a/b", "c") for "a/b/c"; ("", "c") for "c".
[[nodiscard]] std::pair<std::string_view, std::string_view> split_parent(std::string_view path);

// An open directory (a prefix or a staging prefix) under which relative paths resolve.
class PrefixRoot {
 public:
  // Errors: kNotFound, kIo.
  [[nodiscard]] static Result<PrefixRoot> open(const std::filesystem::path& root);

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] int fd() const { return fd_.get(); }

  // Opens the directory at `relative` ("" is the root itself). Errors: kNotFound (a
  // component is missing), kConflict "'x/y' is a symlink, not a directory" or "'x/y' is not
  // a directory" (or, following, "'x/y' leads outside the environment"), kIo.
  [[nodiscard]] Result<base::Fd> open_directory(std::string_view relative, Symlinks symlinks) const;

  // Makes the directory `relative` and its missing parents (mode 0755), never following a
  // symlink. Errors as open_directory, kIo.
  [[nodiscard]] Status make_directories(std::string_view relative) const;

 private:
  PrefixRoot(std::filesystem::path path, base::Fd fd)
      : path_(std::move(path)), fd_(std::move(fd)) {}
  std::filesystem::path path_;
  base::Fd fd_;
};

// The parent directory of the last path asked for, kept open: linking threads take whole
// directories, so each resolves a directory once.
class DirectoryCursor {
 public:
  DirectoryCursor(const PrefixRoot& root, Symlinks symlinks) : root_(root), symlinks_(symlinks) {}
  // The open parent directory of `path` (valid until the next call). Errors as
  // PrefixRoot::open_directory.
  [[nodiscard]] Result<int> parent_of(std::string_view path);

 private:
  const PrefixRoot& root_;
  Symlinks symlinks_;
  std::string directory_;
  base::Fd fd_;
};

// Removes `name` in the open directory `directory_fd`: a file, a symlink (not what it points
// to) or a whole directory tree. Absent is fine. Errors: kIo naming `shown`.
[[nodiscard]] Status remove_tree_at(int directory_fd, const std::string& name,
                                    std::string_view shown);

// Single calls for the journal and unlinking (each opens the root): remove the file or
// symlink <root>/<relative> (absent is fine; a directory is left); move it to the absolute
// path `to`; move `from` back to <root>/<relative>, making its parents. Parents are resolved
// with Symlinks::kFollowBeneath. Errors: kConflict (a parent leads outside), kIo.
[[nodiscard]] Status unlink_beneath(const std::filesystem::path& root, std::string_view relative);
[[nodiscard]] Status rename_from_beneath(const std::filesystem::path& root,
                                         std::string_view relative,
                                         const std::filesystem::path& to);
[[nodiscard]] Status rename_to_beneath(const std::filesystem::path& from,
                                       const std::filesystem::path& root,
                                       std::string_view relative);

// Removes each of `directories` (prefix-relative, children before their parents) that is
// empty, never beyond the prefix; the others stay. Best effort.
void prune_directories_beneath(const std::filesystem::path& root,
                               const std::vector<std::string>& directories);

// For tests: resolve with the openat() walk even where openat2 exists.
void force_component_walk_for_testing(bool force);

}  // namespace graft::env
