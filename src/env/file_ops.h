// Internal to the env module: the per-file operations of linking. Each places one path in
// a prefix, moving an existing path aside (through the journal) or replacing it when it
// is in the way, and reports that as a clobber.
//
// Every path is placed relative to its parent directory, opened without following symlinks
// (prefix_fs.h): a package never writes through a symlink, whatever other packages put there.
//
// Thread-safety: run_file_op() may run concurrently for different targets, each thread with
// its own DirectoryCursor.
#pragma once

#include <filesystem>
#include <string>

#include "base/result.h"
#include "env/journal.h"
#include "env/package_info.h"
#include "env/prefix_fs.h"

namespace graft::env::detail {

enum class FileAction {
  kLink,       // hard link, else reflink/copy
  kCopy,       // reflink/copy
  kRewrite,    // copy with the prefix placeholder replaced
  kSymlink,    // recreate the source symlink
  kDirectory,  // make an (empty) directory
  kScript,     // write `content` as an executable file
  kSkip,       // superseded by a later package's file at the same path
};

struct FileOp {
  std::string target;            // relative to the prefix
  std::filesystem::path source;  // absolute path in the extracted package (not for kScript)
  FileAction action = FileAction::kLink;
  const PackagePath* manifest = nullptr;  // placeholder and mode for kRewrite
  std::string content;                    // kScript
  // Outputs.
  std::string sha256_in_prefix;  // kRewrite: digest of the bytes written
  bool clobbered = false;        // something was already at `target`
  bool softlinked = false;       // kLink across filesystems became a symlink (allow_softlinks)
};

struct OpContext {
  const PrefixRoot* root = nullptr;  // the prefix being written (a staging dir or the prefix)
  std::string final_prefix;
  Journal* journal = nullptr;  // may be null: no undo records
  // condarc allow_softlinks: a hard link that the filesystem refuses (another device)
  // becomes a symlink into the package cache instead of a copy.
  bool allow_softlinks = false;
};

// Performs `op`; `cursor` (over context.root, Symlinks::kRefuse) opens its parent directory.
// Errors: kNotFound (source missing), kConflict (binary prefix too long; a parent directory
// is a symlink or a file), kIo; messages name the target path.
[[nodiscard]] Status run_file_op(FileOp& op, const OpContext& context, DirectoryCursor& cursor);

// Makes <root>/<relative> for each directory (parents listed first); records the ones it
// created in the journal. A file in the way is moved aside (clobbered); a symlink in the way
// is kConflict ("cannot make directory 'x/y': it is a symlink"), and `failed` (when given)
// receives the index of the directory that failed.
[[nodiscard]] Status make_directories_in(const std::vector<std::string>& directories,
                                         const OpContext& context, std::size_t* failed = nullptr);

// The hint of an error about a symlink where a package needs a directory.
inline constexpr std::string_view kSymlinkParentHint =
    "another package (or a user) put a symlink where this package needs a directory; graft "
    "never writes through a symlink: remove one of the two packages";

}  // namespace graft::env::detail
