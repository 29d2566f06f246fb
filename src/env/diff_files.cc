// The file-by-file part of an environment diff; see diff.h and diff_files.h.
#include "env/diff_files.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

#include "base/fs.h"
#include "base/hash.h"
#include "base/parallel.h"
#include "base/strings.h"
#include "env/prefix_replace.h"
#include "env/verify.h"

namespace graft::env::detail {
namespace fs = std::filesystem;
namespace {

// Untracked files up to this size are compared after prefix substitution when their bytes
// differ; larger ones (data, models) are compared by hash only.
constexpr std::uint64_t kMaxSubstitutedSize = 64ull << 20;

enum class Kind { kMissing, kFile, kDirectory, kSymlink, kOther };

struct Probe {
  Kind kind = Kind::kMissing;
  dev_t device = 0;
  ino_t inode = 0;
  std::uint64_t size = 0;
  std::string target;  // symlinks
};

Probe probe(const fs::path& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) return {};
  Probe out{.device = info.st_dev,
            .inode = info.st_ino,
            .size = static_cast<std::uint64_t>(info.st_size)};
  if (S_ISREG(info.st_mode)) {
    out.kind = Kind::kFile;
  } else if (S_ISDIR(info.st_mode)) {
    out.kind = Kind::kDirectory;
  } else if (S_ISLNK(info.st_mode)) {
    out.kind = Kind::kSymlink;
    std::error_code error;
    out.target = fs::read_symlink(path, error).string();
  } else {
    out.kind = Kind::kOther;
  }
  return out;
}

std::string describe(const Probe& side) {
  switch (side.kind) {
    case Kind::kMissing: return "missing";
    case Kind::kFile: return "a file";
    case Kind::kDirectory: return "a directory";
    case Kind::kSymlink: return "a symlink to '" + side.target + "'";
    case Kind::kOther: return "a special file";
  }
  return "unknown";
}

// One path to compare; for tracked files the entries of both records.
struct Task {
  std::string path;     // relative to both prefixes
  std::string package;  // "" for untracked files
  conda::PathEntry a_entry, b_entry;
};

struct Context {
  fs::path a_prefix, b_prefix;
  std::atomic<std::size_t> hashed{0};
};

Difference changed(const Task& task, std::string a, std::string b, std::string why) {
  return {.kind = ChangeKind::kChanged,
          .key = task.path,
          .a = std::move(a),
          .b = std::move(b),
          .detail = std::move(why),
          .package = task.package};
}

// Whether A's bytes, with A's prefix replaced by B's, are B's bytes.
bool same_after_substitution(const Context& context, const Task& task, FileMode mode) {
  auto a = base::read_file(context.a_prefix / task.path);
  auto b = base::read_file(context.b_prefix / task.path);
  if (!a || !b) return false;
  const std::string from = context.a_prefix.string(), to = context.b_prefix.string();
  if (mode == FileMode::kBinary) {
    auto replaced = replace_prefix(*a, FileMode::kBinary, from, to);
    return replaced && *replaced == *b;
  }
  return base::replace_all(*a, from, to) == *b;
}

std::string short_hash(const std::string& hash) {
  return "sha256 " + hash.substr(0, 16);
}

std::optional<Difference> compare_tracked_contents(Context& context, const Task& task) {
  auto a_hash = base::file_digest_hex(context.a_prefix / task.path, base::DigestKind::kSha256);
  auto b_hash = base::file_digest_hex(context.b_prefix / task.path, base::DigestKind::kSha256);
  context.hashed += 2;
  if (!a_hash || !b_hash) {
    const Error& error = !a_hash ? a_hash.error() : b_hash.error();
    return changed(task, "", "", "cannot be read: " + error.message());
  }
  const std::string a_expected = expected_sha256(task.a_entry);
  const std::string b_expected = expected_sha256(task.b_entry);
  const bool a_drift = !a_expected.empty() && *a_hash != a_expected;
  const bool b_drift = !b_expected.empty() && *b_hash != b_expected;
  if (a_drift || b_drift) {
    const char* where = a_drift && b_drift ? "A and B" : a_drift ? "A" : "B";
    return changed(task, short_hash(*a_hash), short_hash(*b_hash),
                   std::string("differs from its record in ") + where);
  }
  // An entry point written at link time names its prefix's python in its shebang.
  const bool entry_point = task.a_entry.path_type == "unix_python_entry_point";
  if (task.a_entry.prefix_placeholder.empty() && !entry_point) {
    if (*a_hash == *b_hash) return std::nullopt;
    return changed(task, short_hash(*a_hash), short_hash(*b_hash), "content differs");
  }
  // A placeholder file holds its own prefix: equal bytes at two prefixes are a difference.
  if (!a_expected.empty() && !b_expected.empty() && !entry_point) return std::nullopt;
  const FileMode mode = task.a_entry.file_mode == "binary" ? FileMode::kBinary : FileMode::kText;
  if (same_after_substitution(context, task, mode)) return std::nullopt;
  return changed(task, short_hash(*a_hash), short_hash(*b_hash),
                 "content differs after prefix substitution");
}

std::optional<Difference> compare_untracked_contents(Context& context, const Task& task,
                                                     const Probe& a, const Probe& b) {
  if (a.size == b.size) {
    auto a_hash = base::file_digest_hex(context.a_prefix / task.path, base::DigestKind::kSha256);
    auto b_hash = base::file_digest_hex(context.b_prefix / task.path, base::DigestKind::kSha256);
    context.hashed += 2;
    if (a_hash && b_hash && *a_hash == *b_hash) return std::nullopt;
  }
  if (a.size <= kMaxSubstitutedSize && b.size <= kMaxSubstitutedSize &&
      same_after_substitution(context, task, FileMode::kText)) {
    return std::nullopt;
  }
  return changed(task, std::to_string(a.size) + " bytes", std::to_string(b.size) + " bytes",
                 "content differs");
}

std::optional<Difference> compare(Context& context, const Task& task) {
  const Probe a = probe(context.a_prefix / task.path);
  const Probe b = probe(context.b_prefix / task.path);
  if (a.kind != b.kind) {
    std::string why = a.kind == Kind::kMissing   ? "missing in A"
                      : b.kind == Kind::kMissing ? "missing in B"
                                                 : "a different kind of file";
    return changed(task, describe(a), describe(b), why);
  }
  if (a.kind == Kind::kSymlink) {
    const std::string a_target =
        base::replace_all(a.target, context.a_prefix.string(), context.b_prefix.string());
    if (a_target == b.target) return std::nullopt;
    return changed(task, describe(a), describe(b), "symlink target differs");
  }
  if (a.kind != Kind::kFile) return std::nullopt;
  if (a.device == b.device && a.inode == b.inode) return std::nullopt;  // one file, hard-linked
  if (task.package.empty()) return compare_untracked_contents(context, task, a, b);
  return compare_tracked_contents(context, task);
}

// A record's paths as linked, by path.
std::map<std::string, conda::PathEntry> linked_paths(const conda::PrefixRecord& record) {
  std::map<std::string, conda::PathEntry> out;
  for (conda::PathEntry& entry : linked_entries(record)) out[entry.path] = std::move(entry);
  return out;
}

void add_tracked_tasks(const conda::PrefixRecord& a, const conda::PrefixRecord& b,
                       std::vector<Task>& tasks) {
  const auto a_paths = linked_paths(a);
  const auto b_paths = linked_paths(b);
  const std::string package = conda::dist_name(a);
  for (const auto& [path, entry] : a_paths) {
    auto found = b_paths.find(path);
    // Paths on one side only follow from another package's change (noarch: python files
    // of another python), which the packages section shows.
    if (found == b_paths.end() || entry.path_type == "directory" || entry.path_type == "pyc_file") {
      continue;
    }
    tasks.push_back({.path = path, .package = package, .a_entry = entry, .b_entry = found->second});
  }
}

// Every file of `prefix` outside conda-meta/ that no record owns (directories left out).
Result<std::set<std::string>> untracked_paths(const fs::path& prefix,
                                              const std::vector<conda::PrefixRecord>& records,
                                              std::size_t& tracked) {
  std::set<std::string> owned;
  for (const auto& record : records) {
    owned.insert(record.files.begin(), record.files.end());
    if (!record.paths_data) continue;
    for (const auto& entry : record.paths_data->paths) owned.insert(entry.path);
  }
  for (const auto& record : records) tracked += record.files.size();
  GRAFT_ASSIGN_OR_RETURN(auto entries, base::walk(prefix));
  std::set<std::string> out;
  for (const auto& entry : entries) {
    std::string path = entry.relative.generic_string();
    if (entry.type == base::EntryType::kDirectory || path == "conda-meta" ||
        base::starts_with(path, "conda-meta/") || owned.count(path) != 0) {
      continue;
    }
    out.insert(std::move(path));
  }
  return out;
}

// Untracked paths on one side only are differences; those on both are compared.
void pair_untracked(const std::set<std::string>& a, const std::set<std::string>& b,
                    std::vector<Task>& tasks, std::vector<Difference>& out) {
  for (const auto& path : a) {
    if (b.count(path) != 0) {
      tasks.push_back({.path = path});
    } else {
      out.push_back({.kind = ChangeKind::kRemoved, .key = path});
    }
  }
  for (const auto& path : b) {
    if (a.count(path) == 0) out.push_back({.kind = ChangeKind::kAdded, .key = path});
  }
}

// Both sides' untracked paths; the two prefixes are walked at the same time.
Result<std::pair<std::set<std::string>, std::set<std::string>>> untracked_both(
    const FileDiffInput& input, FileDiffs& out) {
  Result<std::set<std::string>> b_walk = std::set<std::string>();
  std::jthread b_walker(
      [&] { b_walk = untracked_paths(input.b_prefix, *input.b_records, out.b_tracked); });
  auto a_walk = untracked_paths(input.a_prefix, *input.a_records, out.a_tracked);
  b_walker.join();
  if (!a_walk) return fail(a_walk.error());
  if (!b_walk) return fail(b_walk.error());
  return std::pair(std::move(*a_walk), std::move(*b_walk));
}

}  // namespace

Result<FileDiffs> diff_files(const FileDiffInput& input) {
  FileDiffs out;
  std::vector<Task> tasks;
  std::size_t a_files = 0;
  for (const auto& record : *input.a_records) a_files += record.files.size();
  tasks.reserve(a_files);
  std::map<std::string, const conda::PrefixRecord*> b_by_name;
  for (const auto& record : *input.b_records) b_by_name[record.name] = &record;
  for (const auto& record : *input.a_records) {
    if (input.same_packages.count(record.name) != 0) {
      add_tracked_tasks(record, *b_by_name.at(record.name), tasks);
    }
  }
  GRAFT_ASSIGN_OR_RETURN(auto untracked, untracked_both(input, out));
  const auto& [a_untracked, b_untracked] = untracked;
  out.a_untracked = a_untracked.size();
  out.b_untracked = b_untracked.size();
  pair_untracked(a_untracked, b_untracked, tasks, out.untracked);

  Context context{.a_prefix = input.a_prefix, .b_prefix = input.b_prefix};
  std::vector<std::optional<Difference>> results(tasks.size());
  const unsigned threads = input.threads == 0 ? base::default_file_threads() : input.threads;
  GRAFT_RETURN_IF_ERROR(base::parallel_for(tasks.size(), threads, [&](std::size_t i) -> Status {
    results[i] = compare(context, tasks[i]);
    return ok();
  }));
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (!results[i]) continue;
    (tasks[i].package.empty() ? out.untracked : out.files).push_back(std::move(*results[i]));
  }
  const auto by_key = [](const Difference& x, const Difference& y) { return x.key < y.key; };
  std::sort(out.files.begin(), out.files.end(), by_key);
  std::sort(out.untracked.begin(), out.untracked.end(), by_key);
  out.hashed = context.hashed.load();
  return out;
}

}  // namespace graft::env::detail
