// Writing side of conda archives: `.tar.bz2` and `.conda` (see archive.h).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <vector>

#include "base/fs.h"
#include "base/strings.h"
#include "conda/archive_api.h"
#include "conda/archive.h"
#include "conda/archive_internal.h"

namespace graft::conda {
namespace {

namespace fs = std::filesystem;
using internal::archive_error;
using internal::WriteHandle;

constexpr std::size_t kBlockBytes = 256 * 1024;
constexpr std::string_view kMetadataJson = R"({"conda_pkg_format_version": 2})";

std::string in_quotes(std::string_view text) { return "'" + std::string(text) + "'"; }

struct EntryFree {
  void operator()(archive_entry* entry) const { la().archive_entry_free(entry); }
};
using EntryHandle = std::unique_ptr<archive_entry, EntryFree>;

Error io_error(std::string_view action, const fs::path& path, int error_number) {
  return Error(ErrorCode::kIo, std::string(action) + " " + in_quotes(path.string()) + ": " +
                                   base::errno_text(error_number));
}

// Streams the regular file `source` as the data of the current entry, `size` bytes long.
Status write_file_data(archive* writer, const fs::path& source, std::int64_t size) {
  int fd = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(io_error("cannot open", source, errno));
  std::vector<char> buffer(kBlockBytes);
  std::int64_t total = 0;
  Status status = ok();
  for (;;) {
    ssize_t count = ::read(fd, buffer.data(), buffer.size());
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) {
      status = fail(io_error("cannot read", source, errno));
      break;
    }
    if (count == 0) break;
    total += count;
    if (total > size || la().archive_write_data(writer, buffer.data(), count) != count) {
      status =
          fail(archive_error(writer, "cannot add " + in_quotes(source.string()), ErrorCode::kIo));
      break;
    }
  }
  ::close(fd);
  if (status && total != size) {
    return fail(ErrorCode::kIo, in_quotes(source.string()) + " changed while it was being packed");
  }
  return status;
}

// Adds one member (a regular file or a symlink).
Status add_member(archive* writer, const ArchiveMember& member) {
  const std::string& path = member.path;
  const fs::path& source = member.source;
  struct stat status {};
  if (::lstat(source.c_str(), &status) != 0) return fail(io_error("cannot stat", source, errno));
  EntryHandle entry(la().archive_entry_new());
  la().archive_entry_set_pathname(entry.get(), path.c_str());
  la().archive_entry_set_mtime(entry.get(), status.st_mtime, 0);
  la().archive_entry_set_uid(entry.get(), 0);
  la().archive_entry_set_gid(entry.get(), 0);
  if (S_ISLNK(status.st_mode)) {
    std::error_code error;
    fs::path target = fs::read_symlink(source, error);
    if (error) return fail(ErrorCode::kIo, "cannot read symlink " + in_quotes(source.string()));
    la().archive_entry_set_filetype(entry.get(), AE_IFLNK);
    la().archive_entry_set_perm(entry.get(), 0777);
    la().archive_entry_set_symlink(entry.get(), target.c_str());
  } else if (S_ISREG(status.st_mode)) {
    la().archive_entry_set_filetype(entry.get(), AE_IFREG);
    la().archive_entry_set_perm(entry.get(), status.st_mode & 0777);
    la().archive_entry_set_size(entry.get(), status.st_size);
  } else {
    return fail(ErrorCode::kInvalidArgument,
                in_quotes(source.string()) + " is not a regular file or a symlink");
  }
  if (la().archive_write_header(writer, entry.get()) < ARCHIVE_WARN) {
    return fail(archive_error(writer, "cannot add " + in_quotes(path), ErrorCode::kIo));
  }
  if (S_ISREG(status.st_mode))
    GRAFT_RETURN_IF_ERROR(write_file_data(writer, source, status.st_size));
  return ok();
}

struct Compression {
  const char* filter;  // "bzip2" or "zstd"
  int level;
};

Status write_tarball(const fs::path& file, const std::vector<ArchiveMember>& members,
                     Compression compression) {
  WriteHandle writer(la().archive_write_new());
  la().archive_write_set_format_pax_restricted(writer.get());
  int added = std::string_view(compression.filter) == "bzip2"
                  ? la().archive_write_add_filter_bzip2(writer.get())
                  : la().archive_write_add_filter_zstd(writer.get());
  std::string level = std::to_string(compression.level);
  if (added != ARCHIVE_OK ||
      la().archive_write_set_filter_option(writer.get(), compression.filter, "compression-level",
                                           level.c_str()) != ARCHIVE_OK) {
    return fail(archive_error(writer.get(), "cannot set up compression", ErrorCode::kInternal));
  }
  if (la().archive_write_open_filename(writer.get(), file.c_str()) != ARCHIVE_OK) {
    return fail(
        archive_error(writer.get(), "cannot create " + in_quotes(file.string()), ErrorCode::kIo));
  }
  for (const ArchiveMember& member : members)
    GRAFT_RETURN_IF_ERROR(add_member(writer.get(), member));
  if (la().archive_write_close(writer.get()) != ARCHIVE_OK) {
    return fail(
        archive_error(writer.get(), "cannot finish " + in_quotes(file.string()), ErrorCode::kIo));
  }
  return ok();
}

// One member of the outer zip of a `.conda`: either inline bytes or a file to stream.
struct ZipMember {
  std::string name;
  std::string_view inline_data;
  fs::path file;
};

Status add_zip_member(archive* writer, const ZipMember& member, std::int64_t mtime) {
  std::int64_t size = static_cast<std::int64_t>(member.inline_data.size());
  if (!member.file.empty()) {
    std::error_code error;
    size = static_cast<std::int64_t>(fs::file_size(member.file, error));
    if (error) return fail(ErrorCode::kIo, "cannot stat " + in_quotes(member.file.string()));
  }
  EntryHandle entry(la().archive_entry_new());
  la().archive_entry_set_pathname(entry.get(), member.name.c_str());
  la().archive_entry_set_filetype(entry.get(), AE_IFREG);
  la().archive_entry_set_perm(entry.get(), 0644);
  la().archive_entry_set_size(entry.get(), size);
  la().archive_entry_set_mtime(entry.get(), mtime, 0);
  if (la().archive_write_header(writer, entry.get()) < ARCHIVE_WARN) {
    return fail(archive_error(writer, "cannot add " + in_quotes(member.name), ErrorCode::kIo));
  }
  if (!member.file.empty()) return write_file_data(writer, member.file, size);
  if (la().archive_write_data(writer, member.inline_data.data(), member.inline_data.size()) !=
      size) {
    return fail(archive_error(writer, "cannot add " + in_quotes(member.name), ErrorCode::kIo));
  }
  return ok();
}

Status write_stored_zip(const fs::path& file, const std::vector<ZipMember>& members,
                        std::int64_t mtime) {
  WriteHandle writer(la().archive_write_new());
  la().archive_write_set_format_zip(writer.get());
  if (la().archive_write_set_format_option(writer.get(), "zip", "compression", "store") !=
      ARCHIVE_OK) {
    return fail(archive_error(writer.get(), "cannot set up zip", ErrorCode::kInternal));
  }
  if (la().archive_write_open_filename(writer.get(), file.c_str()) != ARCHIVE_OK) {
    return fail(
        archive_error(writer.get(), "cannot create " + in_quotes(file.string()), ErrorCode::kIo));
  }
  for (const ZipMember& member : members) {
    GRAFT_RETURN_IF_ERROR(add_zip_member(writer.get(), member, mtime));
  }
  if (la().archive_write_close(writer.get()) != ARCHIVE_OK) {
    return fail(
        archive_error(writer.get(), "cannot finish " + in_quotes(file.string()), ErrorCode::kIo));
  }
  return ok();
}

Status check_write_request(const std::vector<ArchiveMember>& members, const fs::path& output,
                           const WriteOptions& options) {
  GRAFT_ASSIGN_OR_RETURN(ArchiveFormat format, archive_format_of(output));
  if (format != options.format) {
    return fail(ErrorCode::kInvalidArgument,
                in_quotes(output.filename().string()) + " does not end in '" +
                    std::string(archive_extension(options.format)) + "'");
  }
  if (options.zstd_level < 1 || options.zstd_level > 22) {
    return fail(ErrorCode::kInvalidArgument, "zstd level " + std::to_string(options.zstd_level) +
                                                 " is out of range: use 1..22");
  }
  if (options.bzip2_level < 1 || options.bzip2_level > 9) {
    return fail(ErrorCode::kInvalidArgument, "bzip2 level " + std::to_string(options.bzip2_level) +
                                                 " is out of range: use 1..9");
  }
  for (const ArchiveMember& member : members) {
    if (auto checked = check_member_path(member.path); !checked) {
      return fail(ErrorCode::kInvalidArgument, checked.error().message());
    }
  }
  std::error_code error;
  if (options.overwrite == Overwrite::kRefuse && fs::exists(fs::symlink_status(output, error))) {
    return fail(ErrorCode::kAlreadyExists, in_quotes(output.string()) + " already exists");
  }
  return ok();
}

Status write_conda(const fs::path& file, const std::vector<ArchiveMember>& info,
                   const std::vector<ArchiveMember>& payload, const fs::path& scratch,
                   const WriteOptions& options) {
  std::string stem = archive_stem(file);
  fs::path info_tarball = scratch / ("info-" + stem + ".tar.zst");
  fs::path pkg_tarball = scratch / ("pkg-" + stem + ".tar.zst");
  Compression zstd{.filter = "zstd", .level = options.zstd_level};
  GRAFT_RETURN_IF_ERROR(write_tarball(info_tarball, info, zstd));
  GRAFT_RETURN_IF_ERROR(write_tarball(pkg_tarball, payload, zstd));
  std::vector<ZipMember> members = {
      {.name = "metadata.json", .inline_data = kMetadataJson, .file = {}},
      {.name = info_tarball.filename().string(), .inline_data = {}, .file = info_tarball},
      {.name = pkg_tarball.filename().string(), .inline_data = {}, .file = pkg_tarball},
  };
  return write_stored_zip(file, members, options.zip_mtime);
}

}  // namespace

Status write_archive(const std::vector<ArchiveMember>& members, const fs::path& output,
                     const WriteOptions& options) {
  GRAFT_RETURN_IF_ERROR(check_write_request(members, output, options));
  GRAFT_RETURN_IF_ERROR(archive_api());  // la() below relies on it
  std::vector<ArchiveMember> info;
  std::vector<ArchiveMember> payload;
  for (const ArchiveMember& member : members) {
    (base::starts_with(member.path, "info/") ? info : payload).push_back(member);
  }
  fs::path directory = output.parent_path().empty() ? fs::path(".") : output.parent_path();
  GRAFT_ASSIGN_OR_RETURN(base::TempDir scratch, base::TempDir::create(".graft-pack-", directory));
  fs::path staged = scratch.path() / output.filename();
  if (options.format == ArchiveFormat::kTarBz2) {
    std::vector<ArchiveMember> ordered = info;
    ordered.insert(ordered.end(), payload.begin(), payload.end());
    GRAFT_RETURN_IF_ERROR(write_tarball(staged, ordered,
                                        {.filter = "bzip2", .level = options.bzip2_level}));
  } else {
    GRAFT_RETURN_IF_ERROR(write_conda(staged, info, payload, scratch.path(), options));
  }
  return base::rename_path(staged, output);
}

}  // namespace graft::conda
