#include "env/transaction.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>
#include <system_error>

#include <fmt/core.h>

#include "base/fs.h"
#include "base/interrupt.h"
#include "base/subprocess.h"
#include "env/env_lock.h"
#include "env/history.h"
#include "env/journal.h"
#include "env/link_scripts.h"
#include "env/locations.h"
#include "env/prefix_data.h"

namespace graft::env {
namespace fs = std::filesystem;
namespace {

// What the steps of one apply() share.
struct Run {
  fs::path prefix;      // final path
  fs::path write_root;  // staging dir (new env) or the prefix
  const std::vector<conda::PrefixRecord>& unlink;
  const std::vector<PackageToLink>& link;
  const TransactionOptions& options;
  std::vector<conda::PrefixRecord> installed;  // before the change
  Journal* journal = nullptr;
  TransactionResult result;
};

Error made_meanwhile(const fs::path& prefix) {
  return Error(ErrorCode::kAlreadyExists,
               "environment '" + prefix.string() +
                   "' already exists: another graft process created it meanwhile")
      .with_hint("change it with 'graft install', or remove it first");
}

std::int64_t now_or(std::int64_t seconds) {
  if (seconds != 0) return seconds;
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// conda-meta/created_at as conda writes it: Python's str(time.time()), the shortest text
// that reads back as the same double ("1796190282.256741"; "1700000000.0" for a whole
// second).
std::string created_at_text(std::int64_t fixed_seconds) {
  const double seconds =
      fixed_seconds != 0
          ? static_cast<double>(fixed_seconds)
          : static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count()) /
                1e6;
  std::string text = fmt::format("{}", seconds);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

ScriptContext script_context(const Run& run, const fs::path& script_root) {
  return ScriptContext{.prefix = run.prefix,
                       .script_root = script_root,
                       .root_prefix = run.options.root_prefix,
                       .base_environment = run.options.script_environment.empty()
                                               ? base::current_environment()
                                               : run.options.script_environment};
}

Status run_scripts(Run& run, ScriptAction action) {
  for (const PackageToLink& package : run.link) {
    const fs::path root = action == ScriptAction::kPreLink ? package.info.directory : run.prefix;
    GRAFT_ASSIGN_OR_RETURN(ScriptOutcome outcome,
                           run_link_script(package.info.record, action, script_context(run, root)));
    if (!outcome.messages.empty()) run.result.messages.push_back(outcome.messages);
    if (outcome.failed) return fail(script_failure(package.info.record, action, outcome));
  }
  return ok();
}

void run_pre_unlink_scripts(Run& run) {
  for (const conda::PrefixRecord& record : run.unlink) {
    auto outcome = run_link_script(record, ScriptAction::kPreUnlink, script_context(run, run.prefix));
    if (!outcome) {
      run.result.warnings.push_back(outcome.error().message());
    } else if (outcome->failed) {
      run.result.warnings.push_back("pre-unlink script failed for package '" +
                                    package_label(record) +
                                    "'; consider notifying the package maintainer");
    }
  }
}

std::optional<PythonTarget> find_python(const Run& run) {
  for (const PackageToLink& package : run.link) {
    if (package.info.record.name == "python") {
      if (auto target = python_target(package.info.record)) return *target;
    }
  }
  std::set<std::string> leaving;
  for (const auto& record : run.unlink) leaving.insert(package_label(record));
  for (const auto& record : run.installed) {
    if (record.name == "python" && !leaving.contains(package_label(record))) {
      if (auto target = python_target(record)) return *target;
    }
  }
  return std::nullopt;
}

std::string clobber_warning(const Clobber& clobber, const Run& run) {
  std::string loser = clobber.loser;
  for (const auto& record : run.installed) {
    if (!loser.empty()) break;
    for (const std::string& file : record.files) {
      if (file == clobber.path) loser = record.name;
    }
  }
  if (loser.empty()) {
    return "'" + clobber.path + "' was already in the environment: replaced by the file of '" +
           clobber.winner + "'";
  }
  return "'" + clobber.path + "' is in both '" + loser + "' and '" + clobber.winner +
         "': the file of '" + clobber.winner + "' is kept";
}

// conda records the size of the files linking creates (.pyc files, entry points) once
// they exist; a .pyc python did not write stays without one.
void record_created_sizes(const fs::path& write_root, std::vector<conda::PrefixRecord>& records) {
  for (conda::PrefixRecord& record : records) {
    if (!record.paths_data) continue;
    for (conda::PathEntry& entry : record.paths_data->paths) {
      if (entry.path_type != "pyc_file" && entry.path_type != "unix_python_entry_point") continue;
      std::error_code error;
      const auto size = fs::file_size(write_root / entry.path, error);
      if (!error) entry.size_in_bytes = size;
    }
  }
}

Status link_and_record(Run& run) {
  std::optional<PythonTarget> python = find_python(run);
  LinkTarget target{.write_prefix = run.write_root, .final_prefix = run.prefix,
                    .mode = run.options.mode, .python = python, .threads = run.options.threads,
                    .allow_softlinks = run.options.allow_softlinks};
  GRAFT_ASSIGN_OR_RETURN(LinkResult linked, link_packages(run.link, target, run.journal));
  for (const Clobber& clobber : linked.clobbers) {
    run.result.warnings.push_back(clobber_warning(clobber, run));
  }
  if (python && !linked.python_files.empty()) {
    if (run.journal != nullptr) {
      for (const auto& record : linked.records) {
        for (const auto& entry : record.paths_data->paths) {
          if (entry.path_type == "pyc_file") {
            GRAFT_RETURN_IF_ERROR(run.journal->record_created(entry.path));
          }
        }
      }
    }
    GRAFT_ASSIGN_OR_RETURN(CompileOutcome compiled,
                           compile_python_files(run.write_root, linked.python_files, *python));
    if (compiled == CompileOutcome::kFailed) {
      run.result.warnings.push_back("python could not compile every .py file of the noarch: "
                                    "python packages; they will run without cached bytecode");
    }
  }
  record_created_sizes(run.write_root, linked.records);
  for (const conda::PrefixRecord& record : linked.records) {
    GRAFT_RETURN_IF_ERROR(write_record(run.write_root, record, run.journal));
  }
  run.result.linked = std::move(linked.records);
  return ok();
}

HistoryEntry history_entry(const Run& run) {
  HistoryEntry entry{.timestamp = history_timestamp(now_or(run.options.now_seconds)),
                     .command = run.options.command,
                     .remove_specs = run.options.remove_specs,
                     .update_specs = run.options.update_specs};
  for (const auto& record : run.unlink) entry.removed.push_back(history_dist(record));
  for (const auto& record : run.result.linked) entry.added.push_back(history_dist(record));
  return entry;
}

Status finish_new_environment(Run& run) {
  GRAFT_RETURN_IF_ERROR(link_and_record(run));
  if (run.options.before_commit) GRAFT_RETURN_IF_ERROR(run.options.before_commit(run.write_root));
  GRAFT_RETURN_IF_ERROR(append_history(run.write_root, history_entry(run)));
  GRAFT_RETURN_IF_ERROR(base::write_file_atomic(run.write_root / "conda-meta" / "created_at",
                                                created_at_text(run.options.now_seconds),
                                                base::Durability::kNoFsync));
  GRAFT_RETURN_IF_ERROR(base::check_interrupt());
  if (auto renamed = base::rename_path(run.write_root, run.prefix); !renamed) {
    std::error_code error;
    // Another graft process put an environment there while we built ours.
    if (fs::is_directory(run.prefix / "conda-meta", error)) return fail(made_meanwhile(run.prefix));
    return renamed;
  }
  return ok();
}

Result<TransactionResult> create_environment(Run& run) {
  run.write_root = staging_path(run.prefix);
  GRAFT_RETURN_IF_ERROR(base::remove_tree(run.write_root));
  GRAFT_RETURN_IF_ERROR(base::make_directories(run.write_root / "conda-meta"));
  // Locked from the start: the lock file moves into place with the directory, so the
  // post-link scripts run under it too.
  auto lock = EnvLock::try_acquire(run.write_root);
  if (!lock || !*lock) {
    (void)base::remove_tree(run.write_root);
    if (!lock) return fail(std::move(lock).error());
    return fail(ErrorCode::kInternal,
                "cannot lock the new staging directory '" + run.write_root.string() + "'");
  }
  auto built = run_scripts(run, ScriptAction::kPreLink);
  if (built) built = finish_new_environment(run);
  if (!built) {
    (void)base::remove_tree(run.write_root);
    return fail(std::move(built).error());
  }
  if (auto scripts = run_scripts(run, ScriptAction::kPostLink); !scripts) {
    // Take the half-made environment away again: rename first, so it vanishes at once.
    if (!base::rename_path(run.prefix, run.write_root)) (void)base::remove_tree(run.prefix);
    (void)base::remove_tree(run.write_root);
    return fail(std::move(scripts).error());
  }
  run.result.created = true;
  return std::move(run.result);
}

Status change_steps(Run& run) {
  run_pre_unlink_scripts(run);
  for (const conda::PrefixRecord& record : run.unlink) {
    GRAFT_RETURN_IF_ERROR(unlink_package(run.prefix, record, run.journal));
  }
  GRAFT_RETURN_IF_ERROR(run_scripts(run, ScriptAction::kPreLink));
  GRAFT_RETURN_IF_ERROR(link_and_record(run));
  if (run.options.before_commit) GRAFT_RETURN_IF_ERROR(run.options.before_commit(run.write_root));
  GRAFT_RETURN_IF_ERROR(run_scripts(run, ScriptAction::kPostLink));
  GRAFT_RETURN_IF_ERROR(append_history(run.prefix, history_entry(run)));
  return base::check_interrupt();  // the last moment to stop: the change commits next
}

// The caller's lock, or our own.
Result<std::optional<EnvLock>> hold_lock(const Run& run) {
  if (run.options.lock == nullptr) {
    GRAFT_ASSIGN_OR_RETURN(EnvLock lock, EnvLock::acquire(run.prefix));
    return std::optional<EnvLock>(std::move(lock));
  }
  if (run.options.lock->prefix() != run.prefix) {
    return fail(ErrorCode::kInternal, "the lock held is of '" +
                                          run.options.lock->prefix().string() + "', not of '" +
                                          run.prefix.string() + "'");
  }
  return std::optional<EnvLock>();
}

// Reads the installed records. Every record to unlink is still installed (the change was
// computed from what is there); a broken record is fine only when it is being unlinked
// (verify --repair).
Status load_installed(Run& run) {
  GRAFT_ASSIGN_OR_RETURN(PrefixRecords loaded, load_records_keeping_broken(run.prefix));
  std::set<std::string> present;
  for (const auto& record : loaded.records) present.insert(package_label(record));
  std::set<std::string> leaving;
  for (const auto& record : run.unlink) leaving.insert(package_label(record));
  for (BrokenRecord& broken : loaded.broken) {
    if (!leaving.contains(broken.dist)) {
      Error error = std::move(broken.error);
      if (error.hint().empty()) error.with_hint(repair_hint(run.prefix));
      return fail(std::move(error));
    }
    present.insert(broken.dist);
  }
  for (const std::string& label : leaving) {
    if (present.contains(label)) continue;
    return fail(Error(ErrorCode::kConflict, "package '" + label + "' is no longer installed in '" +
                                                run.prefix.string() + "'")
                    .with_hint("another graft process changed the environment: run the command "
                               "again"));
  }
  run.installed = std::move(loaded.records);
  return ok();
}

Result<TransactionResult> change_environment(Run& run) {
  run.write_root = run.prefix;
  GRAFT_ASSIGN_OR_RETURN(std::optional<EnvLock> own_lock, hold_lock(run));
  GRAFT_ASSIGN_OR_RETURN(Recovery recovery, recover_journal(run.prefix));
  if (recovery != Recovery::kNothing) {
    run.result.warnings.push_back(recovery_message(run.prefix, recovery));
  }
  remove_stale_leftovers(run.prefix, kTrashPrefix);
  GRAFT_RETURN_IF_ERROR(load_installed(run));
  Journal journal(run.prefix);
  run.journal = &journal;
  auto status = journal.begin();
  if (status) status = change_steps(run);
  if (!status) {
    if (auto undone = journal.rollback(); !undone) {
      return fail(std::move(status).error().with_hint(
          "rolling back failed too (" + undone.error().message() +
          "): run 'graft verify --repair -p " + run.prefix.string() + "'"));
    }
    return fail(std::move(status).error());
  }
  GRAFT_RETURN_IF_ERROR(journal.commit());
  return std::move(run.result);
}

bool is_empty_directory(const fs::path& path) {
  std::error_code error;
  return fs::is_directory(path, error) && fs::is_empty(path, error);
}

}  // namespace

fs::path staging_path(const fs::path& prefix) {
  return prefix.parent_path() /
         ("." + prefix.filename().string() + ".graft-staging-" + std::to_string(::getpid()));
}

Result<TransactionResult> apply(const fs::path& prefix_in,
                                const std::vector<conda::PrefixRecord>& unlink,
                                const std::vector<PackageToLink>& link,
                                const TransactionOptions& options) {
  const fs::path prefix = fs::absolute(prefix_in).lexically_normal();
  Run run{.prefix = prefix, .unlink = unlink, .link = link, .options = options};
  remove_stale_leftovers(prefix.parent_path(), "." + prefix.filename().string() + ".graft-staging-");
  std::error_code error;
  const bool exists = fs::exists(prefix, error);
  base::InterruptGuard interrupt_guard;
  Result<TransactionResult> result = [&]() -> Result<TransactionResult> {
    if (fs::is_directory(prefix / "conda-meta", error)) {
      if (options.target == Target::kNewOnly) return fail(made_meanwhile(prefix));
      return change_environment(run);
    }
    if (exists && !is_empty_directory(prefix)) {
      return fail(Error(ErrorCode::kAlreadyExists,
                        "'" + prefix.string() + "' exists and is not an environment")
                      .with_hint("pick another path or remove the directory"));
    }
    GRAFT_RETURN_IF_ERROR(base::make_directories(prefix.parent_path()));
    return create_environment(run);
  }();
  if (!result && base::interrupted()) {
    return fail(Error(ErrorCode::kUnavailable,
                      std::string(base::interrupt_signal() == SIGINT ? "interrupted (SIGINT)"
                                                                     : "terminated (SIGTERM)") +
                          ": the change of '" + prefix.string() + "' was rolled back")
                    .with_hint("nothing was changed; run the command again"));
  }
  if (result && !options.registry.empty()) {
    if (auto status = register_environment(options.registry, prefix); !status) {
      result->warnings.push_back(status.error().message());
    }
  }
  return result;
}

}  // namespace graft::env
