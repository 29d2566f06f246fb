#include "env/clone.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_set>

#include "base/parallel.h"
#include "env/export.h"
#include "env/journal.h"
#include "env/prefix_data.h"
#include "env/prefix_fs.h"
#include "env/prefix_replace.h"

namespace graft::env {
namespace fs = std::filesystem;
namespace {

// Top-level names conda's walk_prefix() leaves out of a clone, plus conda-meta.
constexpr std::array<std::string_view, 6> kSkippedTopLevel = {
    "conda-meta", "pkgs", "envs", "conda-bld", ".conda_lock", ".nonadmin"};

// Text files larger than this are copied as they are (prefix replacement reads them whole).
constexpr std::uintmax_t kMaxRewrittenSize = 64u << 20;
// How much of a file decides whether it is text: a NUL byte in it means binary.
constexpr std::size_t kTextProbeSize = 8192;

bool skipped(std::string_view path) {
  const std::string_view top = path.substr(0, path.find('/'));
  if (top.starts_with(kTrashPrefix)) return true;
  return std::find(kSkippedTopLevel.begin(), kSkippedTopLevel.end(), top) != kSkippedTopLevel.end();
}

// An entry of the source that may be untracked: a file, symlink or empty directory.
struct Candidate {
  std::string path;  // relative to the prefix
  base::EntryType type = base::EntryType::kOther;
};

base::EntryType entry_type(int directory_fd, const dirent& entry) {
  unsigned char type = entry.d_type;
  if (type == DT_UNKNOWN) {  // filesystems without d_type: one lstat
    struct stat status {};
    if (::fstatat(directory_fd, entry.d_name, &status, AT_SYMLINK_NOFOLLOW) == 0) {
      type = S_ISDIR(status.st_mode)   ? DT_DIR
             : S_ISLNK(status.st_mode) ? DT_LNK
             : S_ISREG(status.st_mode) ? DT_REG
                                       : DT_UNKNOWN;
    }
  }
  switch (type) {
    case DT_DIR: return base::EntryType::kDirectory;
    case DT_LNK: return base::EntryType::kSymlink;
    case DT_REG: return base::EntryType::kFile;
    default: return base::EntryType::kOther;
  }
}

// Lists the directory open as `fd` (taking it over), `relative` to `prefix`, and everything
// below it into `out`: every non-directory entry and every empty directory. readdir's d_type:
// no stat per entry.
Status list_directory(const fs::path& prefix, int fd, const std::string& relative,
                      std::vector<Candidate>& out) {
  DIR* directory = fd < 0 ? nullptr : ::fdopendir(fd);
  if (directory == nullptr) {
    const int error_number = errno;
    if (fd >= 0) ::close(fd);
    return fail(ErrorCode::kIo, "cannot list '" + (prefix / relative).string() +
                                    "': " + base::errno_text(error_number));
  }
  std::unique_ptr<DIR, int (*)(DIR*)> closer(directory, ::closedir);
  bool empty = true;
  while (const dirent* entry = ::readdir(directory)) {
    const std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    empty = false;
    const std::string path =
        relative.empty() ? std::string(name) : relative + "/" + std::string(name);
    if (relative.empty() && skipped(path)) continue;
    const base::EntryType type = entry_type(::dirfd(directory), *entry);
    if (type == base::EntryType::kDirectory) {
      const int child = ::openat(::dirfd(directory), entry->d_name,
                                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      GRAFT_RETURN_IF_ERROR(list_directory(prefix, child, path, out));
    } else {
      out.push_back({.path = path, .type = type});
    }
  }
  if (empty && !relative.empty())
    out.push_back({.path = relative, .type = base::EntryType::kDirectory});
  return ok();
}

Result<std::vector<Candidate>> list_prefix(const fs::path& prefix) {
  std::vector<Candidate> out;
  const int fd = ::open(prefix.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  GRAFT_RETURN_IF_ERROR(list_directory(prefix, fd, "", out));
  return out;
}

// The candidates no record lists, sorted by path.
std::vector<base::WalkEntry> untracked_of(const std::vector<Candidate>& candidates,
                                          const std::vector<conda::PrefixRecord>& records) {
  std::unordered_set<std::string_view> tracked;
  for (const auto& record : records) tracked.insert(record.files.begin(), record.files.end());
  std::vector<base::WalkEntry> untracked;
  for (const Candidate& candidate : candidates) {
    if (!tracked.contains(candidate.path)) untracked.push_back({candidate.path, candidate.type});
  }
  std::sort(untracked.begin(), untracked.end(),
            [](const auto& a, const auto& b) { return a.relative < b.relative; });
  return untracked;
}

bool is_text(std::string_view data) {
  return data.substr(0, kTextProbeSize).find('\0') == std::string_view::npos;
}

// `target` re-pointed from under `from` to under `to`; unchanged when it lies elsewhere.
std::string repoint(const std::string& target, const std::string& from, const std::string& to) {
  if (target == from) return to;
  if (target.size() > from.size() && target.starts_with(from) && target[from.size()] == '/') {
    return to + target.substr(from.size());
  }
  return target;
}

// Writes `data` to the new file `name` in the open directory `directory`, with `mode`; never
// follows a symlink at `name` (an existing name is kAlreadyExists).
Status write_new_at(int directory, const std::string& name, std::string_view data, mode_t mode,
                    const fs::path& shown) {
  base::Fd file(::openat(directory, name.c_str(),
                         O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 07777));
  if (file.get() < 0) {
    return fail(ErrorCode::kIo,
                "cannot create '" + shown.string() + "': " + base::errno_text(errno));
  }
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t written = ::write(file.get(), data.data() + done, data.size() - done);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      return fail(ErrorCode::kIo,
                  "cannot write '" + shown.string() + "': " + base::errno_text(errno));
    }
    done += static_cast<std::size_t>(written);
  }
  if (::fchmod(file.get(), mode & 07777) != 0) {
    return fail(ErrorCode::kIo,
                "cannot set the mode of '" + shown.string() + "': " + base::errno_text(errno));
  }
  return ok();
}

Status copy_symlink(const UntrackedCopy& copy, const fs::path& from, int directory,
                    const std::string& name, const fs::path& shown) {
  std::error_code error;
  const fs::path target = fs::read_symlink(from, error);
  if (error) {
    return fail(ErrorCode::kIo, "cannot copy symlink '" + from.string() + "': " + error.message());
  }
  const std::string repointed =
      repoint(target.string(), copy.source.string(), copy.final_prefix.string());
  if (::symlinkat(repointed.c_str(), directory, name.c_str()) != 0) {
    return fail(ErrorCode::kIo,
                "cannot create symlink '" + shown.string() + "': " + base::errno_text(errno));
  }
  return ok();
}

Status copy_file(const UntrackedCopy& copy, const fs::path& from, int directory,
                 const std::string& name, const fs::path& shown) {
  struct stat status {};
  if (::lstat(from.c_str(), &status) != 0) {
    return fail(ErrorCode::kNotFound,
                "cannot copy '" + from.string() + "': " + base::errno_text(errno));
  }
  if (static_cast<std::uintmax_t>(status.st_size) > kMaxRewrittenSize) {
    return base::copy_file_contents_at(from, directory, name);
  }
  GRAFT_ASSIGN_OR_RETURN(std::string data, base::read_file(from));
  const std::string source = copy.source.string();
  if (!is_text(data) || data.find(source) == std::string::npos) {
    return base::copy_file_contents_at(from, directory, name);
  }
  auto replaced = replace_prefix(data, FileMode::kText, source, copy.final_prefix.string());
  if (!replaced)
    return fail(std::move(replaced).error().with_context("copying '" + from.string() + "'"));
  return write_new_at(directory, name, *replaced, status.st_mode, shown);
}

// Copies one untracked entry into the new environment. Its parents are opened without
// following a symlink: where a package of the new environment put a symlink (perhaps one
// leading outside it), the untracked entries beneath it are not copied, so nothing is ever
// written through it. A name a package already uses keeps the package's file.
Status copy_entry(const UntrackedCopy& copy, const PrefixRoot& root, const base::WalkEntry& entry) {
  if (entry.type != base::EntryType::kSymlink && entry.type != base::EntryType::kFile) return ok();
  const std::string relative = entry.relative.string();
  const auto [parent, name] = split_parent(relative);
  auto directory = root.open_directory(parent, Symlinks::kRefuse);
  if (!directory) {
    if (directory.error().code() == ErrorCode::kConflict) return ok();  // under a symlink
    return fail(directory.error());
  }
  const std::string leaf(name);
  struct stat existing {};
  if (::fstatat(directory->get(), leaf.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0) return ok();
  const fs::path from = copy.source / entry.relative;
  const fs::path shown = root.path() / entry.relative;
  if (entry.type == base::EntryType::kSymlink) {
    return copy_symlink(copy, from, directory->get(), leaf, shown);
  }
  return copy_file(copy, from, directory->get(), leaf, shown);
}

// Creates the untracked directories and the parents of the other entries, serially, never
// through a symlink (entries beneath one are left out by copy_entry).
Status make_parents(const std::vector<base::WalkEntry>& entries, const PrefixRoot& root) {
  fs::path last;
  for (const base::WalkEntry& entry : entries) {
    fs::path directory =
        entry.type == base::EntryType::kDirectory ? entry.relative : entry.relative.parent_path();
    if (directory.empty() || directory == last) continue;
    if (auto made = root.make_directories(directory.string());
        !made && made.error().code() != ErrorCode::kConflict) {
      return made;
    }
    last = std::move(directory);
  }
  return ok();
}

}  // namespace

Result<std::vector<base::WalkEntry>> find_untracked(
    const fs::path& prefix, const std::vector<conda::PrefixRecord>& records) {
  GRAFT_ASSIGN_OR_RETURN(std::vector<Candidate> candidates, list_prefix(prefix));
  return untracked_of(candidates, records);
}

Result<CloneSource> read_clone_source(const fs::path& prefix_in) {
  CloneSource source{.prefix = fs::absolute(prefix_in).lexically_normal()};
  std::error_code error;
  if (!fs::is_directory(source.prefix / "conda-meta", error)) {
    return fail(ErrorCode::kNotFound, "no environment at '" + source.prefix.string() +
                                          "': it has no conda-meta directory");
  }
  // Listing the prefix needs no records: it runs while they are read.
  Result<std::vector<Candidate>> candidates = fail(ErrorCode::kInternal, "not listed");
  std::thread lister([&] { candidates = list_prefix(source.prefix); });
  // paths_data (most of a big record) is not needed: the new records come from the packages.
  auto records = load_records(source.prefix, conda::PrefixRecordParts::kFiles);
  lister.join();
  if (!records) return fail(std::move(records).error());
  if (!candidates) return fail(std::move(candidates).error());
  source.records = std::move(*records);
  source.untracked = untracked_of(*candidates, source.records);
  auto history = base::read_file(source.prefix / "conda-meta" / "history");
  if (history) source.history_specs = history_specs(*history);
  return source;
}

Status copy_untracked(const UntrackedCopy& copy, const std::vector<base::WalkEntry>& entries,
                      const fs::path& write_root) {
  GRAFT_ASSIGN_OR_RETURN(const PrefixRoot root, PrefixRoot::open(write_root));
  GRAFT_RETURN_IF_ERROR(make_parents(entries, root));
  const unsigned threads = copy.threads == 0 ? base::default_file_threads() : copy.threads;
  return base::parallel_for(entries.size(), threads,
                            [&](std::size_t i) { return copy_entry(copy, root, entries[i]); });
}

Status copy_clone_metadata(const fs::path& source, const fs::path& write_root) {
  for (const char* name : {"pinned", "state"}) {
    const fs::path from = source / "conda-meta" / name;
    std::error_code error;
    if (!fs::is_regular_file(from, error)) continue;
    GRAFT_RETURN_IF_ERROR(base::make_directories(write_root / "conda-meta"));
    const fs::path to = write_root / "conda-meta" / name;
    (void)base::remove_tree(to);
    GRAFT_RETURN_IF_ERROR(base::copy_file_contents(from, to));
  }
  return ok();
}

std::function<Status(const fs::path&)> clone_before_commit(const CloneSource& source,
                                                           const fs::path& final_prefix,
                                                           unsigned threads) {
  auto entries = std::make_shared<const std::vector<base::WalkEntry>>(source.untracked);
  UntrackedCopy copy{.source = source.prefix,
                     .final_prefix = fs::absolute(final_prefix).lexically_normal(),
                     .threads = threads};
  return [entries, copy](const fs::path& write_root) -> Status {
    GRAFT_RETURN_IF_ERROR(copy_untracked(copy, *entries, write_root));
    return copy_clone_metadata(copy.source, write_root);
  };
}

std::string clone_requested_spec(const conda::PrefixRecord& record) {
  if (!record.requested_spec.empty()) return record.requested_spec;
  if (record.requested_specs && !record.requested_specs->empty()) {
    return record.requested_specs->back();
  }
  return "";
}

}  // namespace graft::env
