#include "solve/index_cache.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "base/fs.h"
#include "base/hash.h"

namespace graft::solve {
namespace {

constexpr std::string_view kMagic = "GRAFTMAP";
constexpr std::size_t kRecordBytes = 8 + 4 + 4 + 1;

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  template <typename Integer>
  void integer(Integer value) {
    char bytes[sizeof(Integer)];
    std::memcpy(bytes, &value, sizeof value);  // graft runs on little-endian machines only
    out_.append(bytes, sizeof bytes);
  }
  void text(std::string_view value) {
    integer(static_cast<std::uint32_t>(value.size()));
    out_.append(value);
  }

 private:
  std::string& out_;
};

// Reads what Writer wrote; every read fails (and stays failed) past the end.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  template <typename Integer>
  bool integer(Integer& value) {
    if (in_.size() - at_ < sizeof value) return at_ = in_.size(), ok_ = false;
    std::memcpy(&value, in_.data() + at_, sizeof value);
    at_ += sizeof value;
    return true;
  }
  bool text(std::string& value) {
    std::uint32_t size = 0;
    if (!integer(size) || in_.size() - at_ < size) return ok_ = false;
    value.assign(in_.substr(at_, size));
    at_ += size;
    return true;
  }
  [[nodiscard]] std::string_view rest() const { return in_.substr(at_); }
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] bool done() const { return ok_ && at_ == in_.size(); }
  [[nodiscard]] std::size_t left() const { return in_.size() - at_; }

 private:
  std::string_view in_;
  std::size_t at_ = 0;
  bool ok_ = true;
};

std::string payload_of(const conda::RepodataMap& map) {
  std::string out;
  out.reserve(map.records.size() * kRecordBytes + map.names.size() * 24 + 64);
  Writer writer(out);
  writer.text(map.info_json);
  writer.text(map.version_json);
  writer.integer(static_cast<std::uint32_t>(map.names.size()));
  writer.integer(static_cast<std::uint32_t>(map.records.size()));
  for (const std::string& name : map.names) writer.text(name);
  for (std::uint32_t first : map.first) writer.integer(first);
  for (const conda::MappedRecord& record : map.records) {
    writer.integer(record.offset);
    writer.integer(record.length);
    writer.integer(record.name);
    writer.integer(static_cast<std::uint8_t>(record.section));
  }
  return out;
}

// The map in `payload`, or nullopt when any length or value is out of bounds.
std::optional<conda::RepodataMap> map_of(std::string_view payload) {
  Reader reader(payload);
  conda::RepodataMap map;
  std::uint32_t names = 0;
  std::uint32_t records = 0;
  if (!reader.text(map.info_json) || !reader.text(map.version_json) || !reader.integer(names) ||
      !reader.integer(records) || reader.left() / kRecordBytes < records ||
      reader.left() / 5 < names) {
    return std::nullopt;
  }
  map.names.resize(names);
  for (std::string& name : map.names) reader.text(name);
  map.first.resize(std::size_t{names} + 1);
  for (std::uint32_t& first : map.first) reader.integer(first);
  map.records.resize(records);
  for (conda::MappedRecord& record : map.records) {
    std::uint8_t section = 0;
    reader.integer(record.offset), reader.integer(record.length), reader.integer(record.name);
    reader.integer(section);
    if (section > 1 || record.name >= names) return std::nullopt;
    record.section = static_cast<conda::Section>(section);
  }
  if (!reader.done() || map.first.front() != 0 || map.first.back() != records ||
      !std::is_sorted(map.first.begin(), map.first.end())) {
    return std::nullopt;
  }
  return map;
}

}  // namespace

Result<IndexKey> index_key(const std::filesystem::path& path, std::string etag) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) {
    const int error = errno;
    return fail(error == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                "cannot read '" + path.string() + "': " + base::errno_text(error));
  }
  return IndexKey{.size = static_cast<std::uint64_t>(status.st_size),
                  .mtime_ns = static_cast<std::int64_t>(status.st_mtim.tv_sec) * 1'000'000'000 +
                              status.st_mtim.tv_nsec,
                  .etag = std::move(etag)};
}

const char* describe(CacheMiss miss) {
  switch (miss) {
    case CacheMiss::kMissing: return "no index cache";
    case CacheMiss::kOtherVersion: return "index cache of another format version";
    case CacheMiss::kStale: return "index cache of an older repodata";
    case CacheMiss::kCorrupt: return "index cache damaged or cut short";
  }
  return "index cache unusable";
}

Result<std::variant<conda::RepodataMap, CacheMiss>> read_index_cache(
    const std::filesystem::path& path, const IndexKey& key) {
  auto bytes = base::read_file(path);
  if (!bytes) {
    if (bytes.error().code() == ErrorCode::kNotFound) return CacheMiss::kMissing;
    return fail(std::move(bytes).error());
  }
  std::uint32_t version = 0;
  std::uint32_t reserved = 0;
  IndexKey found;
  std::uint64_t payload_size = 0;
  std::uint64_t checksum = 0;
  if (bytes->compare(0, kMagic.size(), kMagic) != 0) return CacheMiss::kCorrupt;
  Reader header(std::string_view(*bytes).substr(kMagic.size()));
  if (!header.integer(version) || !header.integer(reserved) || reserved != 0) {
    return CacheMiss::kCorrupt;
  }
  if (version != kIndexFormatVersion) return CacheMiss::kOtherVersion;
  if (!header.integer(found.size) || !header.integer(found.mtime_ns) || !header.text(found.etag) ||
      !header.integer(payload_size) || !header.integer(checksum)) {
    return CacheMiss::kCorrupt;
  }
  if (found != key) return CacheMiss::kStale;
  const std::string_view payload = header.rest();
  if (payload.size() != payload_size || base::xxh3_64(payload) != checksum)
    return CacheMiss::kCorrupt;
  std::optional<conda::RepodataMap> map = map_of(payload);
  if (!map) return CacheMiss::kCorrupt;
  return std::move(*map);
}

Status write_index_cache(const std::filesystem::path& path, const IndexKey& key,
                         const conda::RepodataMap& map) {
  const std::string payload = payload_of(map);
  std::string out(kMagic);
  Writer writer(out);
  writer.integer(kIndexFormatVersion);
  writer.integer(std::uint32_t{0});
  writer.integer(key.size);
  writer.integer(key.mtime_ns);
  writer.text(key.etag);
  writer.integer(static_cast<std::uint64_t>(payload.size()));
  writer.integer(base::xxh3_64(payload));
  out += payload;
  return base::write_file_atomic(path, out, base::Durability::kNoFsync);
}

}  // namespace graft::solve
