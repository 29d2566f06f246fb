// The undo log of a transaction on an existing environment: what was created, and what
// was moved aside (unlinked or clobbered files go to a trash directory inside the prefix,
// so a rename puts them back). rollback() restores the environment as it was; commit()
// empties the trash.
//
// Thread-safe: the record_* and move_aside calls may come from linker threads at once.
#pragma once

#include <filesystem>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"

namespace graft::env {

// Prefix-relative name of the trash directories ("<prefix>/.graft-trash-<pid>").
inline constexpr std::string_view kTrashPrefix = ".graft-trash-";

class Journal {
 public:
  // `prefix`: the environment. The trash is <prefix>/.graft-trash-<our pid>, created on
  // first use.
  explicit Journal(std::filesystem::path prefix);
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  [[nodiscard]] const std::filesystem::path& prefix() const { return prefix_; }

  // A file or symlink the transaction wrote at <prefix>/<relative>.
  void record_created(std::string relative);
  // A directory the transaction made (removed on rollback when empty).
  void record_created_directory(std::string relative);
  // Moves <prefix>/<relative> into the trash. Errors: kIo.
  [[nodiscard]] Status move_aside(const std::string& relative);
  // Whether <prefix>/<relative> was moved aside by this journal.
  [[nodiscard]] bool moved_aside(const std::string& relative) const;

  // Removes created files and directories (newest first), then renames moved-aside files
  // back. Keeps going past failures and reports the first one.
  [[nodiscard]] Status rollback();
  // Deletes the trash; the changes stay.
  [[nodiscard]] Status commit();

 private:
  std::filesystem::path prefix_;
  std::filesystem::path trash_;
  mutable std::mutex mutex_;
  bool trash_made_ = false;
  std::vector<std::string> created_;
  std::vector<std::string> created_directories_;
  std::vector<std::pair<std::string, std::string>> moved_;  // relative, name in trash
};

// Removes trash and staging directories left in `parent` by graft processes that no
// longer run (their names end in "-<pid>"). Best effort; never fails.
void remove_stale_leftovers(const std::filesystem::path& parent, std::string_view name_prefix);

}  // namespace graft::env
