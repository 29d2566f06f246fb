// MappedFile: the bytes of a file, mapped read-only into memory instead of copied. Reading a
// big conda-meta record (6.4 MB for a 20,000-file package) this way costs no copy out of
// the page cache and no fresh pages for a buffer: listings and exports parse it in place.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"

namespace graft::base {

enum class Populate {
  kAll,       // map every cached page at once (MAP_POPULATE): for files read whole
  kOnDemand,  // fault pages in as they are read: for big files read in a few places
};

// Owns a private read-only mapping of one file of at least kMinMappedBytes (smaller, empty
// or non-regular files are read into a string with read_file: mapping them saves
// nothing). Move-only; the bytes stay valid until it is destroyed. Reading bytes() from
// several threads is safe; moving while another thread reads is not.
// A mapping shows later writes to the file. graft replaces records by rename, which leaves
// an open mapping intact; a file truncated in place by another program while it is mapped
// (conda rewrites records in place) makes reading past the new end fault with SIGBUS, the
// same race read() loses less loudly with a half-written file.
class MappedFile {
 public:
  static constexpr std::size_t kMinMappedBytes = 64 * 1024;

  // Maps `path`. Errors are those of read_file, worded the same way ("cannot open
  // '<path>': ...", kNotFound when it does not exist, kIo otherwise).
  [[nodiscard]] static Result<MappedFile> open(const std::filesystem::path& path,
                                               Populate populate = Populate::kAll);

  // No file: bytes() is empty.
  [[nodiscard]] static MappedFile empty() { return MappedFile(); }

  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  // The file's contents (size in bytes = the file's size when opened).
  [[nodiscard]] std::string_view bytes() const { return bytes_; }

  // Says the bytes before `end` will not be read again soon: their pages leave this
  // process's resident set (the page cache keeps them; reading them again faults them back
  // in). Nothing for a file that was read into memory.
  void drop_pages_before(std::size_t end) const;

 private:
  MappedFile() = default;
  void release();

  void* mapping_ = nullptr;  // owned; nullptr when the bytes live in copy_
  std::size_t mapped_size_ = 0;
  std::string copy_;
  std::string_view bytes_;
};

}  // namespace graft::base
