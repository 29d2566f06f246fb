#include "base/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "base/fs.h"

namespace graft::base {

Result<MappedFile> MappedFile::open(const std::filesystem::path& path, Populate populate) {
  MappedFile file;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat status {};
  if (fd >= 0 && ::fstat(fd, &status) == 0 && S_ISREG(status.st_mode) &&
      static_cast<std::size_t>(status.st_size) >= kMinMappedBytes) {
    const auto size = static_cast<std::size_t>(status.st_size);
    // MAP_POPULATE maps every cached page in one go instead of one fault per 16 pages.
    const int flags = MAP_PRIVATE | (populate == Populate::kAll ? MAP_POPULATE : 0);
    void* mapping = ::mmap(nullptr, size, PROT_READ, flags, fd, 0);
    if (mapping != MAP_FAILED) {
      file.mapping_ = mapping;
      file.mapped_size_ = size;
      file.bytes_ = std::string_view(static_cast<const char*>(mapping), size);
    }
  }
  if (fd >= 0) ::close(fd);
  if (file.mapping_ != nullptr) return file;
  // Small, empty, special or unmappable files (and every error, worded as read_file words it).
  GRAFT_ASSIGN_OR_RETURN(file.copy_, read_file(path));
  file.bytes_ = file.copy_;
  return file;
}

MappedFile::MappedFile(MappedFile&& other) noexcept {
  *this = std::move(other);
}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this == &other) return *this;
  release();
  mapping_ = std::exchange(other.mapping_, nullptr);
  mapped_size_ = std::exchange(other.mapped_size_, 0);
  copy_ = std::move(other.copy_);
  bytes_ = mapping_ != nullptr ? std::exchange(other.bytes_, {}) : std::string_view(copy_);
  other.copy_.clear();
  other.bytes_ = {};
  return *this;
}

void MappedFile::drop_pages_before(std::size_t end) const {
  if (mapping_ == nullptr) return;
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t length = std::min(end, mapped_size_) / page * page;
  if (length > 0) ::madvise(mapping_, length, MADV_DONTNEED);
}

MappedFile::~MappedFile() {
  release();
}

void MappedFile::release() {
  if (mapping_ != nullptr) ::munmap(mapping_, mapped_size_);
  mapping_ = nullptr;
  mapped_size_ = 0;
  bytes_ = {};
}

}  // namespace graft::base
