// Internals shared by archive.cc, archive_extract.cc and archive_write.cc: libarchive
// handles, error wording, and the extraction machinery. Not part of the conda API.
#pragma once

#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "base/result.h"
#include "conda/archive.h"

struct archive;
struct archive_entry;

namespace graft::conda::internal {

struct ReadFree {
  void operator()(archive* handle) const;
};
struct WriteFree {
  void operator()(archive* handle) const;
};
// Owns an archive_read_new() / archive_write_new() / archive_write_disk_new() handle.
using ReadHandle = std::unique_ptr<archive, ReadFree>;
using WriteHandle = std::unique_ptr<archive, WriteFree>;

// kCorrupt "<what>: <libarchive's message>".
[[nodiscard]] Error archive_error(archive* handle, std::string_view what,
                                  ErrorCode code = ErrorCode::kCorrupt);

// The directory an extraction writes into. Removes what was written unless commit() is
// called: the whole directory when open() created it, its contents otherwise.
class Staging {
 public:
  // `destination` must be absent (its parent existing) or an empty directory.
  [[nodiscard]] static Result<Staging> open(const std::filesystem::path& destination);
  Staging(Staging&& other) noexcept;
  Staging& operator=(Staging&&) = delete;
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;
  ~Staging();

  // The destination, canonical (no symlinks), so libarchive's symlink checks hold.
  [[nodiscard]] const std::filesystem::path& root() const { return root_; }
  void commit() { committed_ = true; }

 private:
  Staging(std::filesystem::path root, bool created) : root_(std::move(root)), created_(created) {}
  std::filesystem::path root_;
  bool created_ = false;
  bool committed_ = false;
};

// How many bytes an extraction may write (see ExtractLimits): each member's declared size
// from info/paths.json, and a total for all members together.
class SizeBudget {
 public:
  // No limit (the default until a budget is set).
  SizeBudget() = default;
  // From the text of info/paths.json: each hardlink entry's size_in_bytes, and a total of
  // their sum plus limits.allowance_bytes (or the legacy total when an entry has no size).
  // kCorrupt when the text is not paths.json.
  [[nodiscard]] static Result<SizeBudget> from_paths_json(std::string_view text,
                                                          std::uint64_t archive_bytes,
                                                          const ExtractLimits& limits);
  // For a package without info/paths.json: limits.legacy_ratio times `archive_bytes`, at
  // least limits.legacy_floor_bytes.
  [[nodiscard]] static SizeBudget legacy(std::uint64_t archive_bytes, const ExtractLimits& limits);

  // kCorrupt when `member`, `member_bytes` long, is larger than declared, or when all
  // members together (`total_bytes`, this one included) pass the total.
  [[nodiscard]] Status check(std::string_view member, std::uint64_t member_bytes,
                             std::uint64_t total_bytes) const;

 private:
  std::map<std::string, std::uint64_t, std::less<>> declared_;  // path -> size_in_bytes
  std::uint64_t total_ = std::numeric_limits<std::uint64_t>::max();
  std::string basis_;  // why the total is what it is, for the error
};

// Writes checked tar members under a root with archive_write_disk.
class DiskExtractor {
 public:
  DiskExtractor(std::filesystem::path root, ArchivePart part, SizeBudget budget = {});

  // Checks and writes one member (its data read from `tar`). Members outside info/ are
  // skipped when part is kInfoOnly.
  [[nodiscard]] Status extract(archive* tar, archive_entry* entry, std::string_view path);
  // Applies deferred directory modes and times. Call once after the last member.
  [[nodiscard]] Status finish();
  [[nodiscard]] const ExtractStats& stats() const { return stats_; }

 private:
  [[nodiscard]] Result<bool> check(archive_entry* entry, std::string_view path);
  [[nodiscard]] Status write(archive* tar, archive_entry* entry, std::string_view member);
  [[nodiscard]] Status write_data(archive* tar, archive_entry* entry, const std::string& member);

  std::filesystem::path root_;
  ArchivePart part_;
  SizeBudget budget_;
  WriteHandle disk_;
  std::set<std::string, std::less<>> members_;
  std::set<std::string, std::less<>> regular_files_;
  ExtractStats stats_;
};

}  // namespace graft::conda::internal
