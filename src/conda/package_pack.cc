// Disk half of `graft pack`: scans the source directory and writes the archive
// (the metadata texts come from package_builder.cc).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "base/fs.h"
#include "base/hash.h"
#include "base/strings.h"
#include "conda/package_builder.h"

namespace graft::conda {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string in_quotes(std::string_view text) { return "'" + std::string(text) + "'"; }

// Hashes a file and looks for `placeholder` and NUL bytes in one streaming pass.
Result<PackagedPath> scan_file(const fs::path& file, std::string_view placeholder) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail(ErrorCode::kIo, "cannot open " + in_quotes(file.string()) + ": " +
                                    base::errno_text(errno));
  }
  PackagedPath scanned;
  base::Hasher sha256(base::DigestKind::kSha256);
  std::vector<char> buffer(256 * 1024);
  std::string window;  // the tail of the previous block, then the current block
  for (;;) {
    ssize_t count = ::read(fd, buffer.data(), buffer.size());
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) {
      int error_number = errno;
      ::close(fd);
      return fail(ErrorCode::kIo, "cannot read " + in_quotes(file.string()) + ": " +
                                      base::errno_text(error_number));
    }
    if (count == 0) break;
    std::string_view block(buffer.data(), static_cast<std::size_t>(count));
    sha256.update(block);
    scanned.size += block.size();
    scanned.binary = scanned.binary || block.find('\0') != std::string_view::npos;
    if (placeholder.empty() || scanned.has_placeholder) continue;
    window.append(block);
    scanned.has_placeholder = window.find(placeholder) != std::string::npos;
    window.erase(0, window.size() - std::min(window.size(), placeholder.size() - 1));
  }
  ::close(fd);
  scanned.sha256 = sha256.finish_hex();
  return scanned;
}

// A symlink is described by the file it points to, as conda-build does: that file's
// sha256 and size, or the empty file's when it points to a directory or nowhere.
Result<PackagedPath> scan_symlink(const fs::path& source, const std::string& relative) {
  std::error_code error;
  fs::path target = fs::read_symlink(source / relative, error);
  if (error) return fail(ErrorCode::kIo, "cannot read symlink " + in_quotes(relative));
  if (auto safe = check_symlink_target(relative, target.string()); !safe) {
    return fail(ErrorCode::kInvalidArgument, safe.error().message());
  }
  PackagedPath scanned{.sha256 = std::string(kEmptySha256)};
  if (fs::is_regular_file(source / relative, error)) {
    GRAFT_ASSIGN_OR_RETURN(scanned, scan_file(source / relative, ""));
    scanned.binary = false;
  }
  scanned.symlink = true;
  return scanned;
}

Result<std::vector<PackagedPath>> scan_source(const fs::path& source,
                                              std::string_view placeholder) {
  GRAFT_ASSIGN_OR_RETURN(std::vector<base::WalkEntry> entries, base::walk(source));
  std::vector<PackagedPath> paths;
  for (const base::WalkEntry& entry : entries) {
    std::string relative = entry.relative.generic_string();
    if (relative == "info" || base::starts_with(relative, "info/")) {
      return fail(Error(ErrorCode::kInvalidArgument,
                        in_quotes(source.string()) + " holds 'info/': graft pack writes the "
                                                     "package metadata itself")
                      .with_hint("move 'info/' out of the directory"));
    }
    if (entry.type == base::EntryType::kDirectory) continue;
    if (entry.type == base::EntryType::kOther) {
      return fail(ErrorCode::kInvalidArgument, in_quotes((source / relative).string()) +
                                                   " is not a regular file, directory or symlink");
    }
    Result<PackagedPath> scanned = entry.type == base::EntryType::kFile
                                       ? scan_file(source / relative, placeholder)
                                       : scan_symlink(source, relative);
    if (!scanned) return fail(std::move(scanned).error());
    scanned->path = relative;
    paths.push_back(std::move(*scanned));
  }
  std::sort(paths.begin(), paths.end(),
            [](const PackagedPath& a, const PackagedPath& b) { return a.path < b.path; });
  return paths;
}

// Writes the info/ files into `directory` and returns them as archive members.
Result<std::vector<ArchiveMember>> write_metadata(const PackagePlan& plan,
                                                  const std::vector<PackagedPath>& paths,
                                                  const fs::path& directory) {
  std::vector<std::pair<std::string, std::string>> files = {
      {"files", files_list(paths)},
      {"has_prefix", has_prefix(plan, paths)},
      {"index.json", index_json(plan)},
      {"link.json", link_json(plan)},
      {"paths.json", paths_json(plan, paths)},
      {"about.json", about_json(plan)},
  };
  std::sort(files.begin(), files.end());
  std::vector<ArchiveMember> members;
  for (const auto& [name, content] : files) {
    if (content.empty() && name != "files") continue;
    fs::path file = directory / name;
    GRAFT_RETURN_IF_ERROR(base::write_file_atomic(file, content, base::Durability::kNoFsync));
    members.push_back({"info/" + name, file});
  }
  return members;
}

WriteOptions write_options(const PackOptions& options) {
  WriteOptions write{.format = options.format,
                     .zip_mtime = options.timestamp_ms / 1000,
                     .overwrite = options.overwrite};
  if (options.compression_level != 0) {
    (options.format == ArchiveFormat::kConda ? write.zstd_level : write.bzip2_level) =
        options.compression_level;
  }
  return write;
}

}  // namespace

Result<PackResult> pack_package(const PackOptions& options) {
  GRAFT_ASSIGN_OR_RETURN(PackagePlan plan, plan_package(options));
  std::error_code error;
  if (!fs::is_directory(options.source_dir, error)) {
    return fail(ErrorCode::kNotFound,
                "package directory " + in_quotes(options.source_dir.string()) + " does not exist");
  }
  fs::path output_dir = options.output_dir.empty() ? fs::path(".") : options.output_dir;
  if (!fs::is_directory(output_dir, error)) {
    return fail(ErrorCode::kNotFound,
                "output directory " + in_quotes(output_dir.string()) + " does not exist");
  }
  fs::path output = options.output_dir.empty() ? fs::path(plan.file_name)
                                                : options.output_dir / plan.file_name;
  if (options.overwrite == Overwrite::kRefuse && fs::exists(fs::symlink_status(output, error))) {
    return fail(ErrorCode::kAlreadyExists, in_quotes(output.string()) + " already exists");
  }
  GRAFT_ASSIGN_OR_RETURN(std::vector<PackagedPath> paths,
                         scan_source(options.source_dir, options.prefix_placeholder));
  GRAFT_ASSIGN_OR_RETURN(base::TempDir scratch, base::TempDir::create("graft-pack-"));
  GRAFT_ASSIGN_OR_RETURN(std::vector<ArchiveMember> members,
                         write_metadata(plan, paths, scratch.path()));
  PackResult result{.output = output, .index_json = index_json(plan), .files = paths.size()};
  for (const PackagedPath& path : paths) {
    members.push_back({path.path, options.source_dir / path.path});
    result.prefix_files += path.has_placeholder ? 1 : 0;
  }
  GRAFT_RETURN_IF_ERROR(write_archive(members, output, write_options(options)));
  return result;
}

}  // namespace graft::conda
