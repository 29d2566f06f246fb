// Safe extraction of tar members into a staging directory (see archive.h for the rules).

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <vector>

#include "base/fs.h"
#include "base/strings.h"
#include "conda/archive_api.h"
#include "conda/archive_internal.h"

namespace graft::conda::internal {
namespace {

namespace fs = std::filesystem;

std::string in_quotes(std::string_view text) {
  return "'" + std::string(text) + "'";
}

constexpr int kDiskFlags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
                           ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT;

// Whether libarchive's errno comes from a failed system call (a full disk, a quota). Its
// format and misuse codes (EILSEQ, EINVAL, -1) are not system failures.
bool is_system_failure(int number) {
  return number > 0 && number != EILSEQ && number != EINVAL;
}

// Makes every directory under `root` writable so a tree with read-only directories (set by
// a hostile archive) can still be removed.
void make_removable(const fs::path& root) {
  std::error_code error;
  fs::permissions(root, fs::perms::owner_all, fs::perm_options::add, error);
  for (fs::recursive_directory_iterator it(root, error), end; !error && it != end;
       it.increment(error)) {
    if (it->is_directory(error) && !it->is_symlink(error)) {
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, error);
    }
  }
}

}  // namespace

void ReadFree::operator()(archive* handle) const {
  la().archive_read_free(handle);
}
void WriteFree::operator()(archive* handle) const {
  la().archive_write_free(handle);
}

Error archive_error(archive* handle, std::string_view what, ErrorCode code) {
  const char* message = handle == nullptr ? nullptr : la().archive_error_string(handle);
  std::string text = std::string(what) + ": " + (message ? message : "unknown libarchive error");
  // A failed system call (a full disk, a quota) leaves its errno, which libarchive's own
  // words ("Write to restore size failed") do not always name.
  const int number = handle == nullptr ? 0 : la().archive_errno(handle);
  if (is_system_failure(number)) {
    const std::string cause = base::errno_text(number);
    if (text.find(cause) == std::string::npos) text += " (" + cause + ")";
  }
  return Error(code, std::move(text));
}

Result<Staging> Staging::open(const fs::path& destination) {
  std::error_code error;
  bool created = false;
  if (fs::exists(fs::symlink_status(destination, error))) {
    if (!fs::is_directory(fs::symlink_status(destination, error))) {
      return fail(ErrorCode::kAlreadyExists,
                  in_quotes(destination.string()) + " exists and is not a directory");
    }
    if (!fs::is_empty(destination, error)) {
      return fail(ErrorCode::kAlreadyExists,
                  "cannot extract into " + in_quotes(destination.string()) + ": it is not empty");
    }
  } else {
    if (!fs::create_directory(destination, error)) {
      return fail(ErrorCode::kIo,
                  "cannot create " + in_quotes(destination.string()) + ": " + error.message());
    }
    created = true;
  }
  fs::path root = fs::canonical(destination, error);
  if (error) {
    if (created) fs::remove(destination, error);
    return fail(ErrorCode::kIo, "cannot resolve " + in_quotes(destination.string()));
  }
  return Staging(root, created);
}

Staging::Staging(Staging&& other) noexcept
    : root_(std::move(other.root_)), created_(other.created_), committed_(other.committed_) {
  other.committed_ = true;  // the moved-from object owns nothing
}

Staging::~Staging() {
  if (committed_ || root_.empty()) return;
  make_removable(root_);
  std::error_code error;
  if (created_) {
    fs::remove_all(root_, error);
    return;
  }
  for (fs::directory_iterator it(root_, error), end; !error && it != end; it.increment(error)) {
    std::error_code ignored;
    fs::remove_all(it->path(), ignored);
  }
}

DiskExtractor::DiskExtractor(fs::path root, ArchivePart part, SizeBudget budget)
    : root_(std::move(root)),
      part_(part),
      budget_(std::move(budget)),
      disk_(la().archive_write_disk_new()) {
  la().archive_write_disk_set_options(disk_.get(), kDiskFlags);
}

Result<bool> DiskExtractor::check(archive_entry* entry, std::string_view path) {
  GRAFT_RETURN_IF_ERROR(check_member_path(path));
  if (!members_.insert(std::string(path)).second) {
    return fail(ErrorCode::kCorrupt, in_quotes(path) + " appears twice");
  }
  if (const char* hardlink = la().archive_entry_hardlink(entry)) {
    std::string_view target = hardlink;
    while (base::starts_with(target, "./")) target.remove_prefix(2);
    GRAFT_RETURN_IF_ERROR(check_member_path(target));
    if (!regular_files_.contains(target)) {
      return fail(ErrorCode::kCorrupt, "hardlink " + in_quotes(path) + " -> " + in_quotes(target) +
                                           " does not name a file extracted before it");
    }
    return true;
  }
  switch (la().archive_entry_filetype(entry)) {
    case AE_IFREG: regular_files_.insert(std::string(path)); return true;
    case AE_IFDIR: return true;
    case AE_IFLNK: {
      const char* raw = la().archive_entry_symlink(entry);
      std::string_view target = raw == nullptr ? std::string_view() : std::string_view(raw);
      if (target.empty()) {
        stats_.skipped.push_back(in_quotes(path) + ": symlink with an empty target");
        return false;
      }
      GRAFT_RETURN_IF_ERROR(check_symlink_target(path, target));
      return true;
    }
    default:
      return fail(ErrorCode::kCorrupt, in_quotes(path) +
                                           " is a device, fifo or socket: conda packages hold "
                                           "only files, directories and symlinks");
  }
}

Status DiskExtractor::extract(archive* tar, archive_entry* entry, std::string_view path) {
  if (part_ == ArchivePart::kInfoOnly && !base::starts_with(path, "info/")) return ok();
  auto wanted = check(entry, path);
  if (!wanted) return fail(std::move(wanted).error().with_context("unsafe member"));
  if (!*wanted) return ok();
  return write(tar, entry, path);
}

Status DiskExtractor::write(archive* tar, archive_entry* entry, std::string_view member) {
  std::string path(member);  // `member` points into the entry, renamed below
  fs::path target = root_ / path;
  la().archive_entry_set_pathname(entry, target.c_str());
  if (const char* hardlink = la().archive_entry_hardlink(entry)) {
    std::string_view link = hardlink;
    while (base::starts_with(link, "./")) link.remove_prefix(2);
    la().archive_entry_set_hardlink(entry, (root_ / std::string(link)).c_str());
  }
  la().archive_entry_set_perm(entry, la().archive_entry_perm(entry) & 0777);
  // libarchive reports a failed write(2) (a full disk: a short write, then ENOSPC) as
  // ARCHIVE_WARN and carries on; so anything but ARCHIVE_OK is a failure here.
  if (la().archive_write_header(disk_.get(), entry) != ARCHIVE_OK) {
    // A refusal of libarchive's own (a path through a symlink) is the archive's fault.
    const bool system = is_system_failure(la().archive_errno(disk_.get()));
    return fail(archive_error(disk_.get(), "cannot write " + in_quotes(path),
                              system ? ErrorCode::kIo : ErrorCode::kCorrupt));
  }
  GRAFT_RETURN_IF_ERROR(write_data(tar, entry, path));
  if (la().archive_write_finish_entry(disk_.get()) != ARCHIVE_OK) {
    return fail(archive_error(disk_.get(), "cannot finish " + in_quotes(path), ErrorCode::kIo));
  }
  if (la().archive_entry_filetype(entry) != AE_IFDIR) ++stats_.entries;
  return ok();
}

// Copies the member's data, within the size budget, checking every write.
Status DiskExtractor::write_data(archive* tar, archive_entry* entry, const std::string& path) {
  if (la().archive_entry_size_is_set(entry) != 0) {  // refuse before decompressing a byte
    const auto declared =
        static_cast<std::uint64_t>(std::max<la_int64_t>(0, la().archive_entry_size(entry)));
    GRAFT_RETURN_IF_ERROR(budget_.check(path, declared, stats_.bytes + declared));
  }
  const void* block = nullptr;
  std::size_t size = 0;
  la_int64_t offset = 0;
  std::uint64_t written = 0;
  for (;;) {
    int status = la().archive_read_data_block(tar, &block, &size, &offset);
    if (status == ARCHIVE_EOF) return ok();
    if (status < ARCHIVE_WARN) return fail(archive_error(tar, "cannot read " + in_quotes(path)));
    written += size;
    GRAFT_RETURN_IF_ERROR(budget_.check(path, written, stats_.bytes + size));
    if (la().archive_write_data_block(disk_.get(), block, size, offset) != ARCHIVE_OK) {
      return fail(archive_error(disk_.get(), "cannot write " + in_quotes(path), ErrorCode::kIo));
    }
    stats_.bytes += size;
  }
}

Status DiskExtractor::finish() {
  if (la().archive_write_close(disk_.get()) != ARCHIVE_OK) {
    return fail(archive_error(disk_.get(), "cannot finish extraction", ErrorCode::kIo));
  }
  return ok();
}

}  // namespace graft::conda::internal
