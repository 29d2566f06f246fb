// The binary index cache: a conda::RepodataMap saved beside the repodata.json it maps, so
// that the next solve reads a few MB of offsets instead of passing over the whole JSON.
//
// Format (little-endian, all integers fixed-width):
//   "GRAFTMAP" | u32 format version | u32 0 | u64 JSON size | i64 JSON mtime (ns) |
//   u32 ETag length | ETag bytes | u64 payload size | u64 XXH3-64 of the payload | payload
// payload: the map's info_json and version_json (u32 length + bytes each), u32 name count,
// u32 record count, names (u32 length + bytes each), `first` (u32 each), records (u64
// offset, u32 length, u32 name, u8 section each).
// A file is used only when its format version is kIndexFormatVersion, its key (the JSON's
// size, mtime and ETag) equals the current one and the checksum and every length agree;
// anything else (missing, another version, stale, truncated, damaged) is reported as such
// and the caller maps the JSON again and rewrites the file.
//
// Thread-safety: functions are safe to call concurrently; writes are atomic (temp file +
// rename), so a reader sees the old file or the new one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <variant>

#include "base/result.h"
#include "conda/repodata_map.h"

namespace graft::solve {

inline constexpr std::uint32_t kIndexFormatVersion = 1;

// What ties a cache file to the JSON it maps.
struct IndexKey {
  std::uint64_t size = 0;     // bytes of the JSON
  std::int64_t mtime_ns = 0;  // its modification time
  std::string etag;           // the server's ETag when known, else ""

  friend bool operator==(const IndexKey&, const IndexKey&) = default;
};

// The key of the JSON at `path` (size and mtime from stat) with `etag`. Errors: kNotFound, kIo.
[[nodiscard]] Result<IndexKey> index_key(const std::filesystem::path& path, std::string etag = {});

enum class CacheMiss {
  kMissing,       // no cache file
  kOtherVersion,  // written by a graft with another format version
  kStale,         // made from another JSON (size, mtime or ETag differ)
  kCorrupt,       // truncated or damaged (checksum or lengths disagree)
};

[[nodiscard]] const char* describe(CacheMiss miss);

// The map cached at `path` for `key`, or why there is none. Errors: kIo (unreadable file).
[[nodiscard]] Result<std::variant<conda::RepodataMap, CacheMiss>> read_index_cache(
    const std::filesystem::path& path, const IndexKey& key);

// Writes `map` for `key` to `path` atomically. Errors: kIo.
[[nodiscard]] Status write_index_cache(const std::filesystem::path& path, const IndexKey& key,
                                       const conda::RepodataMap& map);

}  // namespace graft::solve
