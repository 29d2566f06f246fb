// Cloning an environment (`graft create -n B --clone A`): what the source holds beyond
// its packages, and how that is carried into the new environment.
//
// The packages are linked by env::apply() exactly as create links them (hard links,
// placeholder files copied and rewritten for B). This module reads the source once
// (records, from-history specs, untracked entries) and provides the before_commit hook
// that copies, into B's staging directory so they appear atomically with the rest:
//  - untracked entries (pip installs, user files: in A but in no record's `files`);
//  - conda-meta/pinned and conda-meta/state (conda drops both).
// conda-meta/frozen is not carried over (a clone of a frozen baseline is editable);
// conda-meta/history and created_at are written anew by apply().
//
// Thread-safety: functions only read the source and write the given target; concurrent
// calls on different targets are safe. The source must not change while it is cloned.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "base/fs.h"
#include "base/result.h"
#include "conda/prefix_record.h"

namespace graft::env {

// Everything a clone reads from its source environment.
struct CloneSource {
  std::filesystem::path prefix;              // absolute, lexically normal
  std::vector<conda::PrefixRecord> records;  // every record, sorted by name
  // The specs `graft env export --from-history` prints for the source (history_specs()):
  // the clone's history records them, so its from-history export equals the source's.
  std::vector<std::string> history_specs;
  std::vector<base::WalkEntry> untracked;  // find_untracked(prefix, records)
};

// Reads `prefix` (an environment: it has conda-meta/), listing its directories on a second
// thread while the records are parsed. Errors: kNotFound "no environment
// at '<prefix>': it has no conda-meta directory", those of load_records (kCorrupt naming
// the broken record, kIo) and of find_untracked.
[[nodiscard]] Result<CloneSource> read_clone_source(const std::filesystem::path& prefix);

// The entries of `prefix` that no record lists, sorted by path: regular files, symlinks
// and empty directories. Left out: conda-meta/, the top-level directories conda's clone
// skips too (pkgs, envs, conda-bld, .conda_lock, .nonadmin) and graft's staging and trash
// directories. Reads directories only: no file is opened or hashed, and none is stat-ed
// when the filesystem reports entry types. Errors: kIo when a directory cannot be listed.
[[nodiscard]] Result<std::vector<base::WalkEntry>> find_untracked(
    const std::filesystem::path& prefix, const std::vector<conda::PrefixRecord>& records);

struct UntrackedCopy {
  std::filesystem::path source;        // the source environment (absolute)
  std::filesystem::path final_prefix;  // the new environment's path once in place
  unsigned threads = 0;                // 0: base::default_file_threads()
};

// Copies `entries` (relative to copy.source) into `write_root`:
//  - regular files are copied, never hard-linked (editing one environment must not change
//    the other), keeping their permission bits; a text file (no NUL byte in its first
//    8 KiB, at most 64 MiB) that contains copy.source gets it replaced by
//    copy.final_prefix (replace_prefix text mode, shebangs included); others are copied
//    byte for byte (reflink when the filesystem can);
//  - a symlink whose target is copy.source or lies under it is re-pointed to the same place
//    under copy.final_prefix; other symlinks are recreated as they are;
//  - directories are created; other entry types (sockets, fifos) are skipped.
// An entry whose path already exists in write_root (a package file) is left as it is.
// Errors: kIo naming the path, kNotFound when an entry vanished meanwhile.
[[nodiscard]] Status copy_untracked(const UntrackedCopy& copy,
                                    const std::vector<base::WalkEntry>& entries,
                                    const std::filesystem::path& write_root);

// Copies conda-meta/pinned and conda-meta/state of `source` (when present) into
// `write_root`/conda-meta, byte for byte. conda-meta/frozen is deliberately not copied.
// Errors: kIo.
[[nodiscard]] Status copy_clone_metadata(const std::filesystem::path& source,
                                         const std::filesystem::path& write_root);

// The TransactionOptions::before_commit hook of a clone of `source` to `final_prefix`:
// copy_untracked() of source.untracked, then copy_clone_metadata(). The hook owns copies of
// what it needs; `source` may go away before it runs.
[[nodiscard]] std::function<Status(const std::filesystem::path&)> clone_before_commit(
    const CloneSource& source, const std::filesystem::path& final_prefix, unsigned threads = 0);

// `requested_spec` for the clone of `record`: its requested_spec, else the last of its
// requested_specs, else "" (it was installed as a dependency).
[[nodiscard]] std::string clone_requested_spec(const conda::PrefixRecord& record);

}  // namespace graft::env
