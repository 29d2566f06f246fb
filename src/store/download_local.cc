// The local half of downloads: temp files, digest checks and file:// copies.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "base/disk.h"
#include "base/fs.h"
#include "base/progress.h"
#include "store/download_internal.h"
#include "store/url.h"

namespace graft::store::detail {
namespace {

Error io_error(std::string_view what, const std::filesystem::path& path, int error_number) {
  return Error(ErrorCode::kIo,
               std::string(what) + " '" + path.string() + "': " + base::errno_text(error_number));
}

// The ETag a local file gets: its mtime (ns) and size, so any rewrite changes it.
std::string local_etag(const struct stat& info) {
  const auto mtime_ns =
      static_cast<long long>(info.st_mtim.tv_sec) * 1000000000LL + info.st_mtim.tv_nsec;
  std::array<char, 64> buffer{};
  std::snprintf(buffer.data(), buffer.size(), "\"%llx-%llx\"", mtime_ns,
                static_cast<long long>(info.st_size));
  return buffer.data();
}

// Opens only a regular file: a FIFO would block, /dev/zero would never end.
Result<int> open_source(const DownloadRequest& request, const std::filesystem::path& path) {
  auto fd = base::open_regular_file(path);
  if (!fd && fd.error().code() == ErrorCode::kNotFound) {
    return fail(ErrorCode::kNotFound,
                "'" + request.url + "' not found: " + base::errno_text(ENOENT));
  }
  return fd;
}

// Streams `fd` into `temp`, hashing on the way.
Status copy_stream(int fd, const DownloadRequest& request, const std::filesystem::path& source,
                   TempFile& temp, DigestPair& digests, DownloadResult& result,
                   base::ProgressTask* task) {
  std::array<char, 256 * 1024> buffer{};
  while (true) {
    const ssize_t got = ::read(fd, buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return fail(io_error("cannot read", source, errno));
    if (got == 0) return ok();
    const std::string_view bytes(buffer.data(), static_cast<std::size_t>(got));
    GRAFT_RETURN_IF_ERROR(check_growth(request, result.bytes + bytes.size()));
    GRAFT_RETURN_IF_ERROR(temp.write(bytes));
    digests.update(bytes);
    result.bytes += bytes.size();
    if (task != nullptr) task->advance(bytes.size());
  }
}

// Compares the digest in `result` with what `request` expects; kCorrupt on mismatch.
Status verify_checksum(const DownloadRequest& request, const DownloadResult& result) {
  std::string_view kind;
  std::string_view expected;
  std::string_view actual;
  if (!request.expected_sha256.empty()) {
    kind = "sha256", expected = request.expected_sha256, actual = result.sha256;
  } else if (!request.expected_md5.empty()) {
    kind = "md5", expected = request.expected_md5, actual = result.md5;
  } else {
    return ok();
  }
  if (expected == actual) return ok();
  return fail(Error(ErrorCode::kCorrupt, "checksum mismatch for '" + request.url + "': expected " +
                                             std::string(kind) + " '" + std::string(expected) +
                                             "', got '" + std::string(actual) + "'")
                  .with_hint("the file changed on the server or was damaged in transit; "
                             "nothing was kept, so retrying is safe"));
}

}  // namespace

Result<TempFile> TempFile::create(const std::filesystem::path& destination) {
  const std::filesystem::path directory =
      destination.has_parent_path() ? destination.parent_path() : ".";
  std::string pattern =
      (directory / (std::string(kTempPrefix) + destination.filename().string() + "-XXXXXX"))
          .string();
  const int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (fd < 0) return fail(io_error("cannot create a temporary file in", directory, errno));
  ::fchmod(fd, 0644);
  return TempFile(fd, std::filesystem::path(pattern));
}

TempFile::TempFile(TempFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::exchange(other.path_, {})) {}

TempFile::~TempFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!path_.empty()) ::unlink(path_.c_str());
}

Status TempFile::write(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t put = ::write(fd_, bytes.data(), bytes.size());
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) return fail(io_error("cannot write", path_, errno));
    bytes.remove_prefix(static_cast<std::size_t>(put));
  }
  return ok();
}

Status TempFile::truncate() {
  if (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) != 0) {
    return fail(io_error("cannot truncate", path_, errno));
  }
  return ok();
}

Status TempFile::commit(const std::filesystem::path& destination) {
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) return fail(io_error("cannot write", path_, errno));
  GRAFT_RETURN_IF_ERROR(base::rename_path(path_, destination));
  path_.clear();
  return ok();
}

Status check_growth(const DownloadRequest& request, std::uint64_t bytes) {
  if (request.expected_size > 0 && bytes > request.expected_size) {
    return fail(ErrorCode::kCorrupt, "'" + request.url + "' is larger than the " +
                                         std::to_string(request.expected_size) +
                                         " bytes its record declares");
  }
  if (request.max_bytes > 0 && bytes > request.max_bytes) {
    return fail(ErrorCode::kCorrupt, "'" + request.url + "' is larger than the limit of " +
                                         std::to_string(request.max_bytes) + " bytes");
  }
  return ok();
}

Status verify_digests(const DownloadRequest& request, const DownloadResult& result) {
  GRAFT_RETURN_IF_ERROR(verify_checksum(request, result));
  if (request.expected_size == 0 || result.bytes == request.expected_size) return ok();
  return fail(ErrorCode::kCorrupt, "'" + request.url + "' has " + std::to_string(result.bytes) +
                                       " bytes, not the " + std::to_string(request.expected_size) +
                                       " bytes its record declares");
}

// Places `source` at `destination` through a temporary name (base::link_or_copy: a hard
// link, else a reflink, else a copy); false when that fails: the caller streams it.
bool link_into_place(const std::filesystem::path& source,
                     const std::filesystem::path& destination) {
  static std::atomic<unsigned> counter{0};
  const std::filesystem::path temp =
      destination.parent_path() /
      (std::string(kTempPrefix) + destination.filename().string() + "-link-" +
       std::to_string(::getpid()) + "-" + std::to_string(counter++));
  auto placed = base::link_or_copy(source, temp);
  if (!placed || !base::rename_path(temp, destination)) {
    ::unlink(temp.c_str());
    return false;
  }
  return true;
}

Result<DownloadResult> copy_local(const DownloadRequest& request, const DownloadOptions& options) {
  GRAFT_ASSIGN_OR_RETURN(const std::filesystem::path source, local_path_of(request.url));
  GRAFT_ASSIGN_OR_RETURN(const int fd, open_source(request, source));
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0) return fail(io_error("cannot stat", source, errno));
  DownloadResult result;
  result.etag = local_etag(info);
  result.last_modified = http_date(std::chrono::system_clock::from_time_t(info.st_mtime));
  if (!request.if_none_match.empty() && request.if_none_match == result.etag) {
    result.not_modified = true;
    return result;
  }
  if (request.link_local && !wants_digests(request) && request.expected_size == 0 &&
      (request.max_bytes == 0 || static_cast<std::uint64_t>(info.st_size) <= request.max_bytes)) {
    if (link_into_place(source, request.destination)) {
      result.bytes = static_cast<std::uint64_t>(info.st_size);
      return result;
    }
  }
  base::ProgressTask* task = nullptr;
  if (options.progress != nullptr && options.progress->enabled()) {
    task = options.progress->add_task(request.label.empty() ? url_basename(request.url)
                                                            : request.label);
    task->set(0, static_cast<std::uint64_t>(info.st_size));
  }
  GRAFT_ASSIGN_OR_RETURN(TempFile temp, TempFile::create(request.destination));
  DigestPair digests{.enabled = wants_digests(request)};
  GRAFT_RETURN_IF_ERROR(copy_stream(fd, request, source, temp, digests, result, task));
  digests.finish(result);
  if (task != nullptr) task->finish();
  GRAFT_RETURN_IF_ERROR(verify_digests(request, result));
  GRAFT_RETURN_IF_ERROR(temp.commit(request.destination));
  return result;
}

}  // namespace graft::store::detail
