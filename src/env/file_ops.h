// Internal to the env module: the per-file operations of linking. Each places one path in
// a prefix, moving an existing path aside (through the journal) or replacing it when it
// is in the way, and reports that as a clobber.
//
// Thread-safety: run_file_op() may run concurrently for different targets.
#pragma once

#include <filesystem>
#include <string>

#include "base/result.h"
#include "env/journal.h"
#include "env/package_info.h"

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
  std::filesystem::path write_prefix;
  std::string final_prefix;
  Journal* journal = nullptr;  // may be null: no undo records
  // condarc allow_softlinks: a hard link that the filesystem refuses (another device)
  // becomes a symlink into the package cache instead of a copy.
  bool allow_softlinks = false;
};

// Performs `op`. Errors: kNotFound (source missing), kConflict (binary prefix too long),
// kIo; messages name the target path.
[[nodiscard]] Status run_file_op(FileOp& op, const OpContext& context);

// Makes <write_prefix>/<relative> for each directory (parents listed first); records the
// ones it created in the journal. A file in the way is moved aside (clobbered).
[[nodiscard]] Status make_directories_in(const std::vector<std::string>& directories,
                                         const OpContext& context);

}  // namespace graft::env::detail
