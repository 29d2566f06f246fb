// Reading side of conda archives: member checks, info/ reads, safe extraction.
// The writing side is in archive_write.cc.
#include "conda/archive.h"

#include <unistd.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <system_error>
#include <utility>

#include "base/disk.h"
#include "base/fs.h"
#include "base/strings.h"
#include "conda/archive_api.h"
#include "conda/archive_internal.h"

namespace graft::conda {
namespace {

namespace fs = std::filesystem;
using internal::ReadHandle;

constexpr std::size_t kBlockBytes = 256 * 1024;

std::string in_quotes(std::string_view text) {
  return "'" + std::string(text) + "'";
}

enum class Flow { kContinue, kStop };

// Called once per tar member, with the reader positioned on the member's data. `path` is
// the member path without a leading "./" or trailing '/'.
using MemberVisitor =
    std::function<Result<Flow>(archive* tar, archive_entry* entry, std::string_view path)>;

std::string_view member_path(archive_entry* entry) {
  const char* raw = la().archive_entry_pathname(entry);
  std::string_view path = raw == nullptr ? std::string_view() : std::string_view(raw);
  while (base::starts_with(path, "./")) path.remove_prefix(2);
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}

Result<Flow> visit_tar(archive* tar, const MemberVisitor& visit) {
  for (;;) {
    archive_entry* entry = nullptr;
    int status = la().archive_read_next_header(tar, &entry);
    if (status == ARCHIVE_EOF) return Flow::kContinue;
    if (status < ARCHIVE_WARN) return fail(internal::archive_error(tar, "cannot read tar header"));
    GRAFT_ASSIGN_OR_RETURN(Flow flow, visit(tar, entry, member_path(entry)));
    if (flow == Flow::kStop) return Flow::kStop;
  }
}

// A package archive open for reading: libarchive reads from `fd`, closed after it.
struct OpenArchive {
  OpenArchive(int descriptor, ReadHandle handle) : fd(descriptor), reader(std::move(handle)) {}
  OpenArchive(OpenArchive&& other) noexcept
      : fd(std::exchange(other.fd, -1)), reader(std::move(other.reader)) {}
  OpenArchive& operator=(OpenArchive&&) = delete;
  ~OpenArchive() {
    reader.reset();
    if (fd >= 0) ::close(fd);
  }
  int fd = -1;
  ReadHandle reader;
};

// Opens only a regular file: a FIFO would block, /dev/zero would never end.
Result<OpenArchive> open_for_read(const fs::path& file, ArchiveFormat format) {
  auto fd = base::open_regular_file(file);
  if (!fd && fd.error().code() == ErrorCode::kNotFound) {
    return fail(ErrorCode::kNotFound, "package " + in_quotes(file.string()) + " does not exist");
  }
  if (!fd) return fail(std::move(fd).error());
  OpenArchive opened(*fd, ReadHandle(la().archive_read_new()));
  archive* reader = opened.reader.get();
  if (format == ArchiveFormat::kTarBz2) {
    la().archive_read_support_filter_bzip2(reader);
    la().archive_read_support_format_tar(reader);
  } else {
    la().archive_read_support_format_zip(reader);
  }
  if (la().archive_read_open_fd(reader, opened.fd, kBlockBytes) != ARCHIVE_OK) {
    return fail(internal::archive_error(reader, "cannot open archive"));
  }
  return opened;
}

// Feeds an inner tarball from the current member of the outer zip.
struct InnerSource {
  archive* zip = nullptr;
  std::vector<char> buffer = std::vector<char>(kBlockBytes);
};

la_ssize_t read_inner(archive* /*inner*/, void* data, const void** block) {
  auto* source = static_cast<InnerSource*>(data);
  *block = source->buffer.data();
  return la().archive_read_data(source->zip, source->buffer.data(), source->buffer.size());
}

Result<Flow> visit_inner_tarball(archive* zip, std::string_view name, const MemberVisitor& visit) {
  InnerSource source{.zip = zip};
  ReadHandle tar(la().archive_read_new());
  la().archive_read_support_filter_zstd(tar.get());
  la().archive_read_support_format_tar(tar.get());
  if (la().archive_read_open(tar.get(), &source, nullptr, read_inner, nullptr) != ARCHIVE_OK) {
    return fail(internal::archive_error(tar.get(), "cannot open member " + in_quotes(name)));
  }
  auto flow = visit_tar(tar.get(), visit);
  if (!flow) return fail(std::move(flow).error().with_context("member " + in_quotes(name)));
  return flow;
}

Result<Flow> visit_conda(archive* zip, ArchivePart part, const MemberVisitor& visit) {
  bool saw_info = false;
  for (;;) {
    archive_entry* entry = nullptr;
    int status = la().archive_read_next_header(zip, &entry);
    if (status == ARCHIVE_EOF) break;
    if (status < ARCHIVE_WARN) return fail(internal::archive_error(zip, "cannot read zip header"));
    std::string_view name = member_path(entry);
    bool is_info = base::starts_with(name, "info-") && base::ends_with(name, ".tar.zst");
    bool is_pkg = base::starts_with(name, "pkg-") && base::ends_with(name, ".tar.zst");
    if (!is_info && (!is_pkg || part == ArchivePart::kInfoOnly)) continue;
    saw_info = saw_info || is_info;
    GRAFT_ASSIGN_OR_RETURN(Flow flow, visit_inner_tarball(zip, name, visit));
    if (flow == Flow::kStop || (is_info && part == ArchivePart::kInfoOnly)) return Flow::kStop;
  }
  if (!saw_info) {
    return fail(ErrorCode::kCorrupt, "not a conda package: no 'info-*.tar.zst' member");
  }
  return Flow::kContinue;
}

// Calls `visit` for the members of a package, info tarball first when `part` asks only
// for info/. Errors carry the archive's name as context.
Status visit_package(const fs::path& file, ArchivePart part, const MemberVisitor& visit) {
  GRAFT_ASSIGN_OR_RETURN(ArchiveFormat format, archive_format_of(file));
  auto reader = open_for_read(file, format);
  if (!reader) {  // only libarchive's words (kCorrupt) leave the file unnamed
    if (reader.error().code() != ErrorCode::kCorrupt) return fail(std::move(reader).error());
    return fail(std::move(reader).error().with_context(in_quotes(file.string())));
  }
  archive* handle = reader->reader.get();
  Result<Flow> flow =
      format == ArchiveFormat::kConda ? visit_conda(handle, part, visit) : visit_tar(handle, visit);
  if (!flow) return fail(std::move(flow).error().with_context(in_quotes(file.string())));
  return ok();
}

Result<std::string> read_member_data(archive* tar, archive_entry* entry, std::string_view path) {
  if (la().archive_entry_size(entry) > static_cast<la_int64_t>(kMaxInfoFileBytes)) {
    return fail(ErrorCode::kCorrupt, in_quotes(path) + " is larger than 64 MiB");
  }
  std::string data;
  std::vector<char> buffer(64 * 1024);
  for (;;) {
    la_ssize_t count = la().archive_read_data(tar, buffer.data(), buffer.size());
    if (count < 0) return fail(internal::archive_error(tar, "cannot read " + in_quotes(path)));
    if (count == 0) return data;
    data.append(buffer.data(), static_cast<std::size_t>(count));
    if (data.size() > kMaxInfoFileBytes) {
      return fail(ErrorCode::kCorrupt, in_quotes(path) + " is larger than 64 MiB");
    }
  }
}

// The budget of an extraction of `file`: read from its info/paths.json (the info part
// comes first in real packages, so little is read); the legacy budget when it has none,
// which also bounds what is skipped while looking for it.
Result<internal::SizeBudget> size_budget(const fs::path& file, const ExtractLimits& limits) {
  std::error_code error;
  const std::uint64_t archive_bytes = fs::file_size(file, error);
  const internal::SizeBudget legacy =
      internal::SizeBudget::legacy(error ? 0 : archive_bytes, limits);
  std::optional<std::string> paths_json;
  std::uint64_t skipped = 0;
  auto visit = [&](::archive* tar, archive_entry* entry, std::string_view path) -> Result<Flow> {
    if (path == "info/paths.json" && la().archive_entry_filetype(entry) == AE_IFREG &&
        la().archive_entry_hardlink(entry) == nullptr) {
      GRAFT_ASSIGN_OR_RETURN(paths_json, read_member_data(tar, entry, path));
      return Flow::kStop;
    }
    skipped += static_cast<std::uint64_t>(std::max<la_int64_t>(0, la().archive_entry_size(entry)));
    GRAFT_RETURN_IF_ERROR(legacy.check(path, 0, skipped));
    return Flow::kContinue;
  };
  GRAFT_RETURN_IF_ERROR(visit_package(file, ArchivePart::kInfoOnly, visit));
  if (!paths_json) return legacy;
  auto budget = internal::SizeBudget::from_paths_json(*paths_json, archive_bytes, limits);
  if (!budget) return fail(std::move(budget).error().with_context(in_quotes(file.string())));
  return budget;
}

}  // namespace

Result<ArchiveFormat> archive_format_of(const fs::path& path) {
  std::string name = path.filename().string();
  if (base::ends_with(name, ".conda")) return ArchiveFormat::kConda;
  if (base::ends_with(name, ".tar.bz2")) return ArchiveFormat::kTarBz2;
  return fail(ErrorCode::kInvalidArgument,
              in_quotes(name) + " is not a conda package: expected a '.conda' or '.tar.bz2' file");
}

std::string_view archive_extension(ArchiveFormat format) {
  return format == ArchiveFormat::kConda ? ".conda" : ".tar.bz2";
}

std::string archive_stem(const fs::path& path) {
  std::string name = path.filename().string();
  for (ArchiveFormat format : {ArchiveFormat::kConda, ArchiveFormat::kTarBz2}) {
    std::string_view extension = archive_extension(format);
    if (name.size() > extension.size() && base::ends_with(name, extension)) {
      return name.substr(0, name.size() - extension.size());
    }
  }
  return "";
}

Status check_member_path(std::string_view path) {
  if (path.empty()) return fail(ErrorCode::kCorrupt, "a member has an empty path");
  if (path.find('\0') != std::string_view::npos) {
    return fail(ErrorCode::kCorrupt, in_quotes(path) + " has a NUL byte in its path");
  }
  if (path.front() == '/')
    return fail(ErrorCode::kCorrupt, in_quotes(path) + " is an absolute path");
  for (std::string_view component : base::split(path, '/')) {
    if (component.empty()) {
      return fail(ErrorCode::kCorrupt, in_quotes(path) + " has an empty path component");
    }
    if (component == "." || component == "..") {
      return fail(ErrorCode::kCorrupt,
                  in_quotes(path) + " has a '" + std::string(component) + "' component");
    }
  }
  return ok();
}

Status check_symlink_target(std::string_view link, std::string_view target) {
  std::string what = "symlink " + in_quotes(link) + " -> " + in_quotes(target);
  if (target.empty()) return fail(ErrorCode::kCorrupt, what + " has an empty target");
  if (target.front() == '/') {
    return fail(ErrorCode::kCorrupt, what + " points outside the package: the target is absolute");
  }
  std::size_t depth = base::split(link, '/').size() - 1;  // directories above the link
  bool descended = false;
  for (std::string_view component : base::split(target, '/')) {
    if (component.empty() || component == ".") continue;
    if (component != "..") {
      descended = true;
      continue;
    }
    if (descended) {
      return fail(ErrorCode::kCorrupt, what + " is unsafe: '..' after a named component");
    }
    if (depth == 0) return fail(ErrorCode::kCorrupt, what + " points outside the package");
    --depth;
  }
  return ok();
}

Result<std::map<std::string, std::string>> read_info_files(const fs::path& archive,
                                                           const std::vector<std::string>& wanted) {
  GRAFT_RETURN_IF_ERROR(archive_api());  // la() below relies on it
  std::set<std::string, std::less<>> wanted_set(wanted.begin(), wanted.end());
  std::map<std::string, std::string> files;
  auto visit = [&](::archive* tar, archive_entry* entry, std::string_view path) -> Result<Flow> {
    if (!base::starts_with(path, "info/") || la().archive_entry_filetype(entry) != AE_IFREG ||
        la().archive_entry_hardlink(entry) != nullptr) {
      return Flow::kContinue;
    }
    if (!wanted_set.empty() && !wanted_set.contains(path)) return Flow::kContinue;
    GRAFT_ASSIGN_OR_RETURN(std::string data, read_member_data(tar, entry, path));
    files[std::string(path)] = std::move(data);
    bool done = !wanted_set.empty() && files.size() == wanted_set.size();
    return done ? Flow::kStop : Flow::kContinue;
  };
  GRAFT_RETURN_IF_ERROR(visit_package(archive, ArchivePart::kInfoOnly, visit));
  return files;
}

Result<ExtractStats> extract_archive(const fs::path& archive, const fs::path& destination,
                                     const ExtractOptions& options) {
  GRAFT_RETURN_IF_ERROR(archive_format_of(archive));
  GRAFT_RETURN_IF_ERROR(archive_api());  // la() below relies on it
  GRAFT_ASSIGN_OR_RETURN(internal::SizeBudget budget, size_budget(archive, options.limits));
  GRAFT_ASSIGN_OR_RETURN(internal::Staging staging, internal::Staging::open(destination));
  internal::DiskExtractor extractor(staging.root(), options.part, std::move(budget));
  auto visit = [&](::archive* tar, archive_entry* entry, std::string_view path) -> Result<Flow> {
    GRAFT_RETURN_IF_ERROR(extractor.extract(tar, entry, path));
    return Flow::kContinue;
  };
  GRAFT_RETURN_IF_ERROR(visit_package(archive, options.part, visit));
  auto finished = extractor.finish();
  if (!finished) return fail(std::move(finished).error().with_context(in_quotes(archive.string())));
  staging.commit();
  return extractor.stats();
}

}  // namespace graft::conda
