// apply(): the one way graft changes an environment's packages, all or nothing.
//
// A new environment is built in a staging directory beside its target
// (`<parent>/.<name>.graft-staging-<pid>`), with placeholders rewritten for the final path,
// and renamed into place; post-link scripts then run in place, and if one fails the
// environment is taken away again. An existing environment is changed in place through a
// Journal: unlinked and clobbered files are moved to a trash directory inside it, and any
// failure (a file that can not be linked, a binary prefix too long, a failing pre-/post-link
// script) rolls back every change, records included. Leftover staging and trash
// directories of dead graft processes are removed at the start of the next apply().
//
// On success conda-meta/<dist>.json files, a conda-meta/history block and (for a new
// environment) conda-meta/created_at are written, and the prefix is registered in
// environments.txt when a registry is given.
//
// One writer per environment: apply() holds the environment's lock (env_lock.h) while it
// works, the caller's (TransactionOptions::lock) or its own, and first finishes a journal a
// killed graft process left behind (recover_journal()). SIGINT and SIGTERM during apply()
// roll the change back before it returns (base/interrupt.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "conda/prefix_record.h"
#include "env/env_lock.h"
#include "env/linker.h"

namespace graft::env {

// Whether apply() may change an environment that exists.
enum class Target {
  kNewOrExisting,
  kNewOnly,  // create and clone: an environment that appeared meanwhile is refused
};

struct TransactionOptions {
  LinkMode mode = LinkMode::kHardLink;
  std::string command;                    // "# cmd:" of the history block
  std::vector<std::string> update_specs;  // "# update specs:"
  std::vector<std::string> remove_specs;  // "# remove specs:"
  std::int64_t now_seconds = 0;           // history time; 0: the current time
  std::filesystem::path registry;         // environments.txt to update; empty: none
  std::filesystem::path root_prefix;      // ROOT_PREFIX for link scripts
  // Environment link scripts start from; empty: the current process environment.
  std::map<std::string, std::string> script_environment;
  unsigned threads = 0;          // 0: base::default_file_threads()
  bool allow_softlinks = false;  // condarc allow_softlinks (see LinkTarget)
  // Runs after every package is linked and recorded, before the environment is committed,
  // with the directory being written: the staging directory of a new environment (so what
  // it writes appears atomically with the rest), or the prefix itself. Files it writes into
  // an existing prefix are not rolled back. A failure aborts the transaction.
  std::function<Status(const std::filesystem::path& write_root)> before_commit;
  // The caller's lock of the existing prefix, taken before it read the records the change
  // was computed from; null: apply() takes it (waiting up to kEnvLockTimeout).
  const EnvLock* lock = nullptr;
  Target target = Target::kNewOrExisting;
};

struct TransactionResult {
  bool created = false;                       // a new environment was made
  std::vector<conda::PrefixRecord> linked;    // the new records, in link order
  std::vector<std::string> warnings;          // clobbers, failed pre-unlink scripts, ...
  std::vector<std::string> messages;          // what link scripts asked to show the user
};

// Unlinks `unlink` (installed records of `prefix`) and links `link`, in order.
// Errors: kAlreadyExists (prefix is a non-empty directory that is not an environment, or
// with Target::kNewOnly an environment another process made meanwhile), kUnavailable (the
// environment's lock stayed busy; interrupted by SIGINT/SIGTERM), kNotFound/kConflict/kIo
// from linking (message names the package and path), kConflict for a failed
// pre-link/post-link script. On error the prefix is as it was before.
[[nodiscard]] Result<TransactionResult> apply(const std::filesystem::path& prefix,
                                              const std::vector<conda::PrefixRecord>& unlink,
                                              const std::vector<PackageToLink>& link,
                                              const TransactionOptions& options);

// "<parent>/.<name>.graft-staging-<pid>" for `prefix`.
[[nodiscard]] std::filesystem::path staging_path(const std::filesystem::path& prefix);

}  // namespace graft::env
