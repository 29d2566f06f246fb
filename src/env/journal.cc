#include "env/journal.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <system_error>

#include "base/strings.h"
#include "env/prefix_fs.h"

namespace graft::env {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kHeader = "graft-journal 1";
constexpr std::string_view kCommitLine = "commit";

void keep_first(Status& first, Status status) {
  if (first && !status) first = std::move(status);
}

bool process_alive(long pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

fs::path journal_path(const fs::path& prefix) {
  return prefix / "conda-meta" / kJournalName;
}
fs::path history_path(const fs::path& prefix) {
  return prefix / "conda-meta" / "history";
}

// A path on one line: '\' and newline escaped.
std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      out += text[++i] == 'n' ? '\n' : text[i];
    } else {
      out += text[i];
    }
  }
  return out;
}

Status write_all(int fd, std::string_view bytes, const fs::path& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return fail(ErrorCode::kIo,
                  "cannot write '" + path.string() + "': " + base::errno_text(errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return ok();
}

void sync_directory(const fs::path& directory) {
  base::Fd fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() >= 0) ::fsync(fd.get());
}

bool exists_no_follow(const fs::path& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

Status truncate_history(const fs::path& prefix, std::uintmax_t size) {
  const fs::path history = history_path(prefix);
  std::error_code error;
  if (size == 0 && fs::exists(history, error)) {
    fs::remove(history, error);
  } else if (fs::file_size(history, error) > size && !error) {
    fs::resize_file(history, size, error);
  }
  if (error && error != std::errc::no_such_file_or_directory) {
    return fail(ErrorCode::kIo, "cannot restore '" + history.string() + "': " + error.message());
  }
  return ok();
}

// Undoes `undo` in `prefix`, newest step first. Moves whose file is not in `trash` (the
// process died before making them) are skipped.
Status undo_changes(const fs::path& prefix, const fs::path& trash, const UndoLog& undo) {
  Status first = ok();
  if (undo.history_size) keep_first(first, truncate_history(prefix, *undo.history_size));
  for (auto it = undo.created.rbegin(); it != undo.created.rend(); ++it) {
    keep_first(first, unlink_beneath(prefix, *it));
  }
  for (auto it = undo.moved.rbegin(); it != undo.moved.rend(); ++it) {
    if (!exists_no_follow(trash / it->second)) continue;
    keep_first(first, rename_to_beneath(trash / it->second, prefix, it->first));
  }
  std::vector<std::string> directories = undo.created_directories;
  std::sort(directories.begin(), directories.end(), std::greater<>());
  // Not empty: something else lives there.
  prune_directories_beneath(prefix, directories);
  return first;
}

struct ParsedJournal {
  fs::path trash;
  UndoLog undo;
  bool committed = false;
};

Result<ParsedJournal> parse_journal(const fs::path& prefix, const std::string& text) {
  const fs::path path = journal_path(prefix);
  auto corrupt = [&](std::string_view why) {
    return fail(Error(ErrorCode::kCorrupt,
                      "cannot read the journal '" + path.string() + "': " + std::string(why))
                    .with_hint("an interrupted change could not be undone: check the "
                               "environment with 'graft verify --repair'"));
  };
  ParsedJournal parsed;
  std::vector<std::string_view> lines = base::split(text, '\n');
  if (lines.empty() || lines.front() != kHeader) return corrupt("unknown format");
  // The last line may be cut short by the death of the writer: only whole lines count.
  if (!text.empty() && text.back() != '\n') lines.pop_back();
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (line.empty()) continue;
    const std::size_t space = line.find(' ');
    const std::string_view kind = line.substr(0, space);
    const std::string_view rest = space == std::string_view::npos ? "" : line.substr(space + 1);
    if (kind == kCommitLine) {
      parsed.committed = true;
    } else if (kind == "trash" && rest.starts_with(kTrashPrefix) && rest.find('/') == rest.npos) {
      parsed.trash = prefix / std::string(rest);
    } else if (kind == "H") {
      parsed.undo.history_size = std::strtoull(std::string(rest).c_str(), nullptr, 10);
    } else if (kind == "C" || kind == "D") {
      std::string relative = unescape(rest);
      GRAFT_RETURN_IF_ERROR(check_prefix_path(relative));
      (kind == "C" ? parsed.undo.created : parsed.undo.created_directories)
          .push_back(std::move(relative));
    } else if (kind == "M" && rest.find(' ') != rest.npos) {
      const std::string name(rest.substr(0, rest.find(' ')));
      std::string relative = unescape(rest.substr(rest.find(' ') + 1));
      GRAFT_RETURN_IF_ERROR(check_prefix_path(relative));
      GRAFT_RETURN_IF_ERROR(check_prefix_path(name));
      parsed.undo.moved.emplace_back(std::move(relative), name);
    } else {
      return corrupt("line " + std::to_string(i + 1) + " is not understood");
    }
  }
  if (parsed.trash.empty()) return corrupt("it names no trash directory");
  return parsed;
}

}  // namespace

Journal::Journal(fs::path prefix)
    : prefix_(std::move(prefix)),
      trash_(prefix_ / (std::string(kTrashPrefix) + std::to_string(::getpid()))) {}

Status Journal::begin() {
  std::lock_guard<std::mutex> lock(mutex_);
  const fs::path path = journal_path(prefix_);
  log_ = base::Fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644));
  if (log_.get() < 0) {
    return fail(ErrorCode::kIo, "cannot write '" + path.string() + "': " + base::errno_text(errno));
  }
  std::error_code error;
  undo_.history_size = fs::file_size(history_path(prefix_), error);
  if (error) undo_.history_size = 0;
  const std::string header = std::string(kHeader) + "\ntrash " + trash_.filename().string() +
                             "\nH " + std::to_string(*undo_.history_size) + "\n";
  GRAFT_RETURN_IF_ERROR(write_all(log_.get(), header, path));
  if (::fsync(log_.get()) != 0) {
    return fail(ErrorCode::kIo, "cannot write '" + path.string() + "': " + base::errno_text(errno));
  }
  sync_directory(path.parent_path());
  return ok();
}

Status Journal::log(const std::string& line) {
  if (log_.get() < 0) return ok();
  return write_all(log_.get(), line, journal_path(prefix_));
}

Status Journal::record_created(std::string relative) {
  std::lock_guard<std::mutex> lock(mutex_);
  GRAFT_RETURN_IF_ERROR(log("C " + escape(relative) + "\n"));
  undo_.created.push_back(std::move(relative));
  return ok();
}

Status Journal::record_created_directory(std::string relative) {
  std::lock_guard<std::mutex> lock(mutex_);
  GRAFT_RETURN_IF_ERROR(log("D " + escape(relative) + "\n"));
  undo_.created_directories.push_back(std::move(relative));
  return ok();
}

Status Journal::move_aside(const std::string& relative) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!trash_made_) {
    GRAFT_RETURN_IF_ERROR(base::make_directories(trash_));
    trash_made_ = true;
  }
  const std::string name = std::to_string(undo_.moved.size());
  GRAFT_RETURN_IF_ERROR(log("M " + name + " " + escape(relative) + "\n"));
  GRAFT_RETURN_IF_ERROR(rename_from_beneath(prefix_, relative, trash_ / name));
  undo_.moved.emplace_back(relative, name);
  return ok();
}

bool Journal::moved_aside(const std::string& relative) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::any_of(undo_.moved.begin(), undo_.moved.end(),
                     [&](const auto& entry) { return entry.first == relative; });
}

void Journal::close_log() {
  if (log_.get() < 0) return;
  log_ = base::Fd();
  std::error_code error;
  fs::remove(journal_path(prefix_), error);
}

Status Journal::rollback() {
  std::lock_guard<std::mutex> lock(mutex_);
  Status first = undo_changes(prefix_, trash_, undo_);
  undo_ = UndoLog{};
  if (trash_made_) keep_first(first, base::remove_tree(trash_));
  trash_made_ = false;
  // A failed undo keeps the log, so the next command tries again.
  if (first) close_log();
  return first;
}

Status Journal::commit() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (log_.get() >= 0) {
    GRAFT_RETURN_IF_ERROR(log(std::string(kCommitLine) + "\n"));
    (void)::fdatasync(log_.get());
  }
  undo_ = UndoLog{};
  Status removed = ok();
  if (trash_made_) removed = base::remove_tree(trash_);
  trash_made_ = false;
  close_log();
  return removed;
}

bool has_journal(const fs::path& prefix) {
  return exists_no_follow(journal_path(prefix));
}

Result<Recovery> recover_journal(const fs::path& prefix) {
  if (!has_journal(prefix)) return Recovery::kNothing;
  GRAFT_ASSIGN_OR_RETURN(std::string text, base::read_file(journal_path(prefix)));
  GRAFT_ASSIGN_OR_RETURN(ParsedJournal parsed, parse_journal(prefix, text));
  if (!parsed.committed) {
    GRAFT_RETURN_IF_ERROR(undo_changes(prefix, parsed.trash, parsed.undo));
  }
  GRAFT_RETURN_IF_ERROR(base::remove_tree(parsed.trash));
  std::error_code error;
  fs::remove(journal_path(prefix), error);
  return parsed.committed ? Recovery::kCompleted : Recovery::kRolledBack;
}

std::string recovery_message(const fs::path& prefix, Recovery recovery) {
  switch (recovery) {
    case Recovery::kNothing: return "";
    case Recovery::kRolledBack:
      return "environment '" + prefix.string() +
             "': a change interrupted by the death of its graft process was rolled back";
    case Recovery::kCompleted:
      return "environment '" + prefix.string() +
             "': a change whose graft process died after committing it was completed";
  }
  return "";
}

void remove_stale_leftovers(const fs::path& parent, std::string_view name_prefix) {
  std::error_code error;
  for (fs::directory_iterator it(parent, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (!base::starts_with(name, name_prefix)) continue;
    const std::size_t dash = name.rfind('-');
    if (dash == std::string::npos) continue;
    char* end_pointer = nullptr;
    const long pid = std::strtol(name.c_str() + dash + 1, &end_pointer, 10);
    if (end_pointer == name.c_str() + dash + 1 || *end_pointer != '\0') continue;
    if (!process_alive(pid)) (void)base::remove_tree(it->path());
  }
}

}  // namespace graft::env
