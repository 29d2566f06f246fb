// The undo log of a transaction on an existing environment: what was created, and what
// was moved aside (unlinked or clobbered files go to a trash directory inside the prefix,
// so a rename puts them back). rollback() restores the environment as it was; commit()
// empties the trash.
//
// After begin(), every step is also written to <prefix>/conda-meta/.graft-journal before
// it happens (a move, a created file) or right after (a made directory), so that when the
// process dies (SIGKILL, a crash) the next graft command that opens the environment can
// finish the job with recover_journal(): roll back, or complete a commit that was under
// way. The log is fsynced when it starts and when it commits; the steps in between are
// plain writes, which survive the death of the process (not of the machine).
//
// Thread-safety: the record_* and move_aside calls may come from linker threads at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/fs.h"
#include "base/result.h"

namespace graft::env {

// Prefix-relative name of the trash directories ("<prefix>/.graft-trash-<pid>").
inline constexpr std::string_view kTrashPrefix = ".graft-trash-";
// The durable log's name in conda-meta.
inline constexpr std::string_view kJournalName = ".graft-journal";

// What to undo; shared by Journal::rollback() and recover_journal().
struct UndoLog {
  std::vector<std::string> created;                        // files and symlinks
  std::vector<std::string> created_directories;            // removed when empty
  std::vector<std::pair<std::string, std::string>> moved;  // relative, name in trash
  std::optional<std::uintmax_t> history_size;              // conda-meta/history before
};

class Journal {
 public:
  // `prefix`: the environment. The trash is <prefix>/.graft-trash-<our pid>, created on
  // first use.
  explicit Journal(std::filesystem::path prefix);
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  [[nodiscard]] const std::filesystem::path& prefix() const { return prefix_; }

  // Starts the durable log (fsynced) and notes the size of conda-meta/history, so that a
  // history block appended later is taken back too. Errors: kIo.
  [[nodiscard]] Status begin();

  // A file or symlink the transaction is about to write at <prefix>/<relative>: call it
  // before writing, when nothing is at that path (rollback removes it). Errors: kIo (the
  // durable log cannot be written).
  [[nodiscard]] Status record_created(std::string relative);
  // A directory the transaction made (removed on rollback when empty).
  [[nodiscard]] Status record_created_directory(std::string relative);
  // Moves <prefix>/<relative> into the trash. Errors: kIo.
  [[nodiscard]] Status move_aside(const std::string& relative);
  // Whether <prefix>/<relative> was moved aside by this journal.
  [[nodiscard]] bool moved_aside(const std::string& relative) const;

  // Removes created files and directories (newest first), then renames moved-aside files
  // back and cuts conda-meta/history to its old size. Keeps going past failures and
  // reports the first one.
  [[nodiscard]] Status rollback();
  // Deletes the trash and the log; the changes stay.
  [[nodiscard]] Status commit();

 private:
  Status log(const std::string& line);  // mutex_ held
  void close_log();

  std::filesystem::path prefix_;
  std::filesystem::path trash_;
  mutable std::mutex mutex_;
  bool trash_made_ = false;
  base::Fd log_;
  UndoLog undo_;
};

enum class Recovery {
  kNothing,     // no journal: the environment is as its last command left it
  kRolledBack,  // a change that never finished was undone
  kCompleted,   // a change that had committed was tidied up (trash and log removed)
};

// Finishes the journal a dead graft process left in `prefix`, if any. The caller holds the
// environment's lock (EnvLock), so no live process owns the journal. Errors: kCorrupt (the
// log cannot be read back), kIo (a file could not be restored; the log is kept so the
// next attempt continues).
[[nodiscard]] Result<Recovery> recover_journal(const std::filesystem::path& prefix);

// Whether `prefix` has a journal left to recover (one stat).
[[nodiscard]] bool has_journal(const std::filesystem::path& prefix);

// What recover_journal() did, for the user: "environment '<prefix>': an interrupted change
// was rolled back" (kRolledBack), "...: an interrupted change was completed" (kCompleted);
// "" for kNothing.
[[nodiscard]] std::string recovery_message(const std::filesystem::path& prefix, Recovery recovery);

// Removes trash and staging directories left in `parent` by graft processes that no
// longer run (their names end in "-<pid>"). Best effort; never fails.
void remove_stale_leftovers(const std::filesystem::path& parent, std::string_view name_prefix);

}  // namespace graft::env
