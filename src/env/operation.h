// The pipeline behind create / install / update / remove and the changes made without the
// solver (clone, explicit and lock files, revisions): gather what the operation works on,
// make a Change, carry it out (a plan the caller reviews, fetch into the package cache,
// env::apply). Options struct in, callbacks out: nothing here prints or prompts, so the
// CLI and the experiment runner drive the same code. Not thread-safe: one per operation.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "conda/match_spec.h"
#include "conda/prefix_record.h"
#include "env/clone.h"
#include "env/env_lock.h"
#include "env/journal.h"
#include "env/settings.h"
#include "env/transaction.h"
#include "solve/solver.h"
#include "store/package_cache.h"

namespace graft::base {
class Progress;
}

namespace graft::env {

enum class Action { kCreate, kInstall, kUpdate, kRemove };

// What to change and where: conda's create / install / update / remove arguments.
struct ChangeRequest {
  Action action = Action::kInstall;
  std::string name;                // the environment's name (-n), or
  std::string path;                // its path (-p)
  std::string root_prefix;         // --root-prefix; "" = $GRAFT_ROOT_PREFIX, ... (env/locations.h)
  ChannelChoice channels;          // -c, --override-channels, --offline, --strict-channel-priority
  std::vector<std::string> specs;  // package specs as given
  std::string clone;               // create --clone SOURCE: a name, or a path when it has a '/'
  bool copy = false;               // copy files instead of hard-linking them
  bool all = false;                // update --all / remove --all
  bool override_frozen = false;    // change a frozen environment anyway
  bool force_reinstall = false;    // relink the named packages even when installed as they are
  std::string command_line;        // for the history block
};

// What one operation works on, gathered before the transaction is made.
struct Context {
  Settings settings;
  std::filesystem::path prefix;                // the target environment
  std::vector<conda::PrefixRecord> installed;  // its records (none for create)
  std::vector<conda::MatchSpec> specs;         // request.specs, parsed
  // The environment's lock (not for create: apply() locks the new one), held from before
  // the records were read until the change is applied. Shared: Context is copied.
  std::shared_ptr<EnvLock> lock;
  // What finishing an interrupted earlier change did (recovery_message() says it).
  Recovery recovery = Recovery::kNothing;
};

// Loads settings (with request.channels' offline / strict priority applied), resolves the
// target prefix (create: a new, absent or empty one; otherwise an existing environment
// that is not frozen unless override_frozen, locked and recovered from an interrupted
// change), reads its records and parses request.specs.
// Errors: kInvalidArgument (no name or path, bad spec), kAlreadyExists, kNotFound (unknown
// environment, with a did-you-mean), kConflict (frozen), kCorrupt (broken conda-meta).
[[nodiscard]] Result<Context> gather(const ChangeRequest& request);

// A transaction to carry out and how to record it.
struct Change {
  solve::Transaction transaction;
  // requested_spec of each linked package by name; names absent: installed as dependencies.
  std::map<std::string, std::string> requested_specs;
  TransactionOptions options;              // start from default_options()
  std::vector<std::string> added_specs;    // shown in the plan as "added / updated specs"
  std::vector<std::string> removed_specs;  // shown as "removed specs"
  // Runs after the transaction is applied and before carry_out() returns (e.g. the pip step
  // of an environment file); its failure is the operation's failure. Undoing what the
  // transaction did is its own job.
  std::function<Status()> after_apply;
};

// The solver's change for create / install / update / remove of context.specs.
// Errors: kInvalidArgument (no specs), kNotFound (update of a package that is not
// installed, unknown package), kConflict (unsatisfiable), channel loading errors.
[[nodiscard]] Result<Change> solve_change(const ChangeRequest& request, const Context& context,
                                          const store::PackageCache& cache);

// Link mode (copy, always_copy), history command and specs, registry and root prefix.
[[nodiscard]] TransactionOptions default_options(const ChangeRequest& request,
                                                 const Context& context);

// The prefix of request.clone, the clone's source. The caller finishes an interrupted
// change in it (recover_if_abandoned) before reading it (read_clone_source). Errors: kNotFound,
// kInvalidArgument (the new environment would be inside the source).
[[nodiscard]] Result<std::filesystem::path> clone_source_prefix(const ChangeRequest& request,
                                                                const Context& context);

// create --clone: the source's records linked from the package cache (fetched by their
// recorded URL when missing), its untracked files, pins and env vars carried over. Offline,
// every package must be cached already: kNotFound names all that are not.
[[nodiscard]] Result<Change> clone_change(const ChangeRequest& request, const Context& context,
                                          const store::PackageCache& cache,
                                          const CloneSource& source);

// What carry_out() is about to do, for the caller to show and confirm.
struct Plan {
  std::filesystem::path prefix;
  std::vector<std::string> added_specs;    // "added / updated specs:"
  std::vector<std::string> removed_specs;  // "removed specs:"
  const solve::Transaction* transaction = nullptr;
  // Records of transaction->link that are not yet in the package cache.
  std::vector<conda::PackageRecord> to_fetch;
  // The transaction is empty and the environment exists: carry_out() stops after review.
  bool nothing_to_do = false;
};

enum class Verdict {
  kProceed,  // fetch and apply
  kStop,     // change nothing, successfully (a dry run)
  kCancel,   // change nothing: carry_out() fails with kConflict "cancelled: nothing was changed"
};

struct CarryOutHooks {
  // Shown the plan before anything is fetched; null proceeds.
  std::function<Verdict(const Plan&)> review;
  base::Progress* progress = nullptr;  // downloads report here; may be null
};

struct Outcome {
  bool applied = false;      // false: nothing to do, or review said kStop
  TransactionResult result;  // when applied: its warnings and messages
};

// Reviews, fetches change.transaction.link into `cache`, applies the change to
// context.prefix and runs change.after_apply. All or nothing: a failure leaves the
// environment as it was (env::apply()). Errors: fetch and apply errors, kConflict when
// review cancels.
[[nodiscard]] Result<Outcome> carry_out(const ChangeRequest& request, const Context& context,
                                        store::PackageCache& cache, const Change& change,
                                        const CarryOutHooks& hooks);

}  // namespace graft::env
