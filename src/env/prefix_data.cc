#include "env/prefix_data.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <system_error>

#include "base/fs.h"
#include "base/interrupt.h"
#include "base/mapped_file.h"
#include "env/prefix_fs.h"

namespace graft::env {
namespace fs = std::filesystem;

Result<PrefixRecords> load_records_keeping_broken(const fs::path& prefix,
                                                  conda::PrefixRecordParts parts) {
  PrefixRecords loaded;
  const fs::path meta = prefix / "conda-meta";
  std::error_code error;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(meta, error), end; !error && it != end; it.increment(error)) {
    if (conda::is_prefix_record_file_name(it->path().filename().string())) {
      files.push_back(it->path());
    }
  }
  if (error && error != std::errc::no_such_file_or_directory) {
    return fail(ErrorCode::kIo, "cannot list '" + meta.string() + "': " + error.message());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    auto record = [&]() -> Result<conda::PrefixRecord> {
      GRAFT_ASSIGN_OR_RETURN(base::MappedFile text, base::MappedFile::open(file));
      return conda::parse_prefix_record(text.bytes(), file.string(), parts);
    }();
    if (record) {
      loaded.records.push_back(std::move(*record));
    } else if (record.error().code() == ErrorCode::kCorrupt) {
      loaded.broken.push_back({.file = "conda-meta/" + file.filename().string(),
                               .dist = file.stem().string(),
                               .error = std::move(record).error()});
    } else {
      return fail(std::move(record).error());
    }
  }
  std::sort(loaded.records.begin(), loaded.records.end(), [](const auto& a, const auto& b) {
    return a.name != b.name ? a.name < b.name : a.version < b.version;
  });
  return loaded;
}

std::string repair_hint(const fs::path& prefix) {
  return "run 'graft verify --repair -p " + prefix.string() +
         "' to reinstall the package from the package cache or its channel";
}

Result<std::vector<conda::PrefixRecord>> load_records(const fs::path& prefix,
                                                      conda::PrefixRecordParts parts) {
  GRAFT_ASSIGN_OR_RETURN(PrefixRecords loaded, load_records_keeping_broken(prefix, parts));
  if (!loaded.broken.empty()) {
    Error error = std::move(loaded.broken.front().error);
    if (error.hint().empty()) error.with_hint(repair_hint(prefix));
    return fail(std::move(error));
  }
  return std::move(loaded.records);
}

Status write_record(const fs::path& prefix, const conda::PrefixRecord& record,
                    Journal* journal) {
  const fs::path meta = prefix / "conda-meta";
  GRAFT_RETURN_IF_ERROR(base::make_directories(meta));
  const std::string name = conda::prefix_record_file_name(record);
  if (journal != nullptr) GRAFT_RETURN_IF_ERROR(journal->record_created("conda-meta/" + name));
  return base::write_file_atomic(meta / name, conda::write_prefix_record(record),
                                 base::Durability::kNoFsync);
}

void prune_empty_directories(const fs::path& prefix, const std::vector<std::string>& paths) {
  std::set<std::string, std::greater<>> directories;
  for (const std::string& path : paths) {
    for (std::size_t slash = path.rfind('/'); slash != std::string::npos && slash > 0;
         slash = path.rfind('/', slash - 1)) {
      directories.insert(path.substr(0, slash));
    }
  }
  directories.erase("conda-meta");
  // Deepest first: "a/b/c" sorts after "a/b", so descending order visits children first.
  prune_directories_beneath(prefix,
                            std::vector<std::string>(directories.begin(), directories.end()));
}

namespace {

// Every path the record names stays inside the prefix, whatever was written into it.
Status check_record_paths(const fs::path& prefix, const conda::PrefixRecord& record) {
  auto unsafe = [&](const Status& status) {
    return fail(
        Error(ErrorCode::kCorrupt, "the record of '" + record.name + "' in '" +
                                       (prefix / "conda-meta").string() +
                                       "' names an unsafe path: " + status.error().message())
            .with_hint("the record was edited or damaged: fix or remove that entry; "
                       "nothing was removed"));
  };
  if (auto status = check_package_names(record); !status) return unsafe(status);
  for (const std::string& file : record.files) {
    if (auto status = check_prefix_path(file); !status) return unsafe(status);
  }
  return ok();
}

// Removes (or, with a journal, moves aside) <prefix>/<file>. A file whose parent is missing
// or leads outside the prefix through a symlink is not there to remove.
Status unlink_file(const std::string& file, DirectoryCursor& cursor, const fs::path& prefix,
                   Journal* journal) {
  auto parent = cursor.parent_of(file);
  if (!parent) return parent.error().code() == ErrorCode::kIo ? Status(fail(parent.error())) : ok();
  const std::string leaf(split_parent(file).second);
  if (journal != nullptr) {
    struct stat info;
    if (::fstatat(*parent, leaf.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) return ok();
    return journal->move_aside(file);
  }
  if (::unlinkat(*parent, leaf.c_str(), 0) != 0 && errno != ENOENT && errno != EISDIR) {
    return fail(ErrorCode::kIo,
                "cannot remove '" + (prefix / file).string() + "': " + base::errno_text(errno));
  }
  return ok();
}

}  // namespace

Status unlink_package(const fs::path& prefix, const conda::PrefixRecord& record,
                      Journal* journal) {
  GRAFT_RETURN_IF_ERROR(check_record_paths(prefix, record));
  GRAFT_ASSIGN_OR_RETURN(const PrefixRoot root, PrefixRoot::open(prefix));
  DirectoryCursor cursor(root, Symlinks::kFollowBeneath);
  for (const std::string& file : record.files) {
    if (journal != nullptr) GRAFT_RETURN_IF_ERROR(base::check_interrupt());
    GRAFT_RETURN_IF_ERROR(unlink_file(file, cursor, prefix, journal));
  }
  prune_empty_directories(prefix, record.files);
  const std::string meta = "conda-meta/" + conda::prefix_record_file_name(record);
  if (journal != nullptr) {
    std::error_code error;
    if (fs::exists(prefix / meta, error)) GRAFT_RETURN_IF_ERROR(journal->move_aside(meta));
    return ok();
  }
  return unlink_beneath(prefix, meta);
}

}  // namespace graft::env
