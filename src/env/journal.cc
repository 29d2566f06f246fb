#include "env/journal.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <system_error>

#include "base/fs.h"
#include "base/strings.h"
#include "env/prefix_fs.h"

namespace graft::env {
namespace fs = std::filesystem;
namespace {

void keep_first(Status& first, Status status) {
  if (first && !status) first = std::move(status);
}

bool process_alive(long pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

}  // namespace

Journal::Journal(fs::path prefix)
    : prefix_(std::move(prefix)),
      trash_(prefix_ / (std::string(kTrashPrefix) + std::to_string(::getpid()))) {}

void Journal::record_created(std::string relative) {
  std::lock_guard<std::mutex> lock(mutex_);
  created_.push_back(std::move(relative));
}

void Journal::record_created_directory(std::string relative) {
  std::lock_guard<std::mutex> lock(mutex_);
  created_directories_.push_back(std::move(relative));
}

Status Journal::move_aside(const std::string& relative) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!trash_made_) {
    GRAFT_RETURN_IF_ERROR(base::make_directories(trash_));
    trash_made_ = true;
  }
  const std::string name = std::to_string(moved_.size());
  GRAFT_RETURN_IF_ERROR(rename_from_beneath(prefix_, relative, trash_ / name));
  moved_.emplace_back(relative, name);
  return ok();
}

bool Journal::moved_aside(const std::string& relative) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::any_of(moved_.begin(), moved_.end(),
                     [&](const auto& entry) { return entry.first == relative; });
}

Status Journal::rollback() {
  std::lock_guard<std::mutex> lock(mutex_);
  Status first = ok();
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
    keep_first(first, unlink_beneath(prefix_, *it));
  }
  for (auto it = moved_.rbegin(); it != moved_.rend(); ++it) {
    keep_first(first, rename_to_beneath(trash_ / it->second, prefix_, it->first));
  }
  std::vector<std::string> directories = created_directories_;
  std::sort(directories.begin(), directories.end(), std::greater<>());
  // Not empty: something else lives there.
  prune_directories_beneath(prefix_, directories);
  created_.clear();
  created_directories_.clear();
  moved_.clear();
  if (trash_made_) keep_first(first, base::remove_tree(trash_));
  trash_made_ = false;
  return first;
}

Status Journal::commit() {
  std::lock_guard<std::mutex> lock(mutex_);
  created_.clear();
  created_directories_.clear();
  moved_.clear();
  if (!trash_made_) return ok();
  trash_made_ = false;
  return base::remove_tree(trash_);
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
