// The pipeline behind create / install / update / remove, shared with the commands that
// make a transaction without the solver (create --clone, create --file, install --revision)
// and with env create -f: gather what the command works on, make a Change, carry it out
// (plan, confirmation, fetch into the cache, env::apply). Not thread-safe: one per command.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli/settings.h"
#include "conda/match_spec.h"
#include "conda/prefix_record.h"
#include "env/env_lock.h"
#include "env/transaction.h"
#include "solve/solver.h"
#include "store/package_cache.h"

namespace graft::cli {

enum class Action { kCreate, kInstall, kUpdate, kRemove };

struct InstallFlags {
  Action action = Action::kInstall;
  std::string name;         // -n
  std::string path;         // -p
  std::string root_prefix;  // --root-prefix
  ChannelFlags channels;
  std::vector<std::string> specs;
  bool dry_run = false;
  bool json = false;
  bool yes = false;
  bool copy = false;
  bool all = false;
  std::string clone;        // create --clone SOURCE: a name, or a path when it has a '/'
  std::vector<std::string> files;  // create/install --file FILE (repeatable)
  std::vector<std::string> categories;  // --category NAME: lock file categories (default main)
  int revision = -1;        // install --revision N; -1: not given
  bool override_frozen = false;
  bool force_reinstall = false;  // install/update --force-reinstall: relink named packages
  std::string command_line;  // for the history block
};

// What one run works on, gathered before the transaction is made.
struct Context {
  Settings settings;
  std::filesystem::path prefix;                // the target environment
  std::vector<conda::PrefixRecord> installed;  // its records (none for create)
  std::vector<conda::MatchSpec> specs;         // flags.specs, parsed
  // The environment's lock (not for create: apply() locks the new one), held from before
  // the records were read until the change is applied. Shared: Context is copied.
  std::shared_ptr<env::EnvLock> lock;
};

// Loads settings (with --offline / --strict-channel-priority applied), resolves the target
// prefix (create: a new, absent or empty one; otherwise an existing environment that is
// not frozen unless --override-frozen, locked and recovered from an interrupted change),
// reads its records and parses flags.specs.
// Errors: kInvalidArgument (no -n/-p, bad spec), kAlreadyExists, kNotFound (unknown
// environment, with a did-you-mean), kConflict (frozen), kCorrupt (broken conda-meta).
[[nodiscard]] Result<Context> gather(const InstallFlags& flags);

// A transaction to carry out and how to record it.
struct Change {
  solve::Transaction transaction;
  // requested_spec of each linked package by name; names absent: installed as dependencies.
  std::map<std::string, std::string> requested_specs;
  env::TransactionOptions options;  // start from default_options()
  std::vector<std::string> added_specs;    // shown in the plan as "added / updated specs"
  std::vector<std::string> removed_specs;  // shown as "removed specs"
  // Runs after the transaction is applied and before the outcome is printed (e.g. the pip
  // step of an environment file); its failure is the command's failure. Undoing what the
  // transaction did is its own job.
  std::function<Status()> after_apply;
};

// The solver's change for create / install / update / remove of context.specs (flags.specs
// parsed). Errors: kInvalidArgument (no specs), kNotFound (update of a package that is not
// installed, unknown package), kConflict (unsatisfiable), channel loading errors.
[[nodiscard]] Result<Change> solve_change(const InstallFlags& flags, const Context& context,
                                          const store::PackageCache& cache);

// Link mode (--copy, always_copy), history command and specs, registry and root prefix.
[[nodiscard]] env::TransactionOptions default_options(const InstallFlags& flags,
                                                      const Context& context);

// Prints the plan (or conda's JSON), asks unless -y/--json, fetches change.transaction.link
// into `cache`, applies it and prints the outcome. Returns the process exit code; errors
// are reported on stderr. With --dry-run nothing changes.
[[nodiscard]] int carry_out(const InstallFlags& flags, const Context& context,
                            store::PackageCache& cache, Change change);

// Solver-driven create / install / update / remove; dispatches --clone, --file and
// --revision to the functions below. Returns the exit code.
[[nodiscard]] int run_install(const InstallFlags& flags);

// create --clone (cli/clone.cc), create/install --file (cli/create_file.cc),
// install --revision (cli/revision.cc). Each returns the exit code.
[[nodiscard]] int run_clone(const InstallFlags& flags);
[[nodiscard]] int run_from_file(const InstallFlags& flags);
[[nodiscard]] int run_revision(const InstallFlags& flags);

}  // namespace graft::cli
