// map_repodata: a hand-written pass over the bytes, not simdjson's stage 1: stage 1 keeps
// four bytes per structural character of the whole file (about as much again as the file
// for repodata), and the pass needs only where records start and end and one field of each.
// Strings are skipped with memchr (vectorized in glibc), so most bytes are never looked at
// one by one.
#include "conda/repodata_map.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <unordered_map>

#include <simdjson.h>

#include "conda/record_json.h"

namespace graft::conda {
namespace {

constexpr std::size_t kReleaseStep = 32U << 20;

bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

class Mapper {
 public:
  Mapper(std::string_view json, std::string_view display, const MapOptions& options)
      : text_(json), display_(display), options_(options) {}

  [[nodiscard]] Result<RepodataMap> run();

 private:
  struct Found {
    std::uint32_t name = 0;  // index into names_ (not yet sorted)
    MappedRecord record;
  };

  [[nodiscard]] Error error(std::string_view what) const;
  [[nodiscard]] bool at_end() const { return at_ >= text_.size(); }
  [[nodiscard]] char peek() const { return at_end() ? '\0' : text_[at_]; }
  void skip_space() {
    while (at_ < text_.size() && is_space(text_[at_])) ++at_;
  }
  [[nodiscard]] bool expect(char c) {
    skip_space();
    if (peek() != c) return false;
    ++at_;
    return true;
  }
  [[nodiscard]] bool skip_string();
  [[nodiscard]] bool skip_value();
  [[nodiscard]] bool skip_nested();
  [[nodiscard]] Status top_field(std::string_view key, RepodataMap& out);
  [[nodiscard]] Status section(Section section);
  [[nodiscard]] Status record(std::uint32_t& name);
  [[nodiscard]] std::uint32_t intern(std::string_view raw);
  [[nodiscard]] RepodataMap finish(RepodataMap out);

  std::string_view text_;
  std::string_view display_;
  const MapOptions& options_;
  std::size_t at_ = 0;
  std::size_t next_release_ = kReleaseStep;
  std::vector<std::string_view> names_;
  std::unordered_map<std::string_view, std::uint32_t> name_ids_;
  std::deque<std::string> owned_names_;  // each distinct name (names_ points here)
  std::vector<Found> found_;
};

Error Mapper::error(std::string_view what) const {
  if (at_end() && !text_.empty()) {
    return detail::json_error_at(display_, text_, at_,
                                 "the file ends before the document does (cut short?)");
  }
  return detail::json_error_at(display_, text_, at_, what);
}

bool Mapper::skip_string() {
  const std::size_t open = at_;
  std::size_t from = open + 1;
  for (;;) {
    const void* quote =
        from < text_.size() ? std::memchr(text_.data() + from, '"', text_.size() - from) : nullptr;
    if (quote == nullptr) return at_ = text_.size(), false;
    const auto close = static_cast<std::size_t>(static_cast<const char*>(quote) - text_.data());
    std::size_t backslashes = 0;
    while (close - backslashes > open + 1 && text_[close - backslashes - 1] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return at_ = close + 1, true;
    from = close + 1;
  }
}

bool Mapper::skip_nested() {
  std::size_t depth = 0;
  while (!at_end()) {
    const char c = text_[at_];
    if (c == '"') {
      if (!skip_string()) return false;
      continue;
    }
    if (c == '{' || c == '[') ++depth;
    if ((c == '}' || c == ']') && --depth == 0) return ++at_, true;
    ++at_;
  }
  return false;
}

bool Mapper::skip_value() {
  skip_space();
  const char c = peek();
  if (c == '"') return skip_string();
  if (c == '{' || c == '[') return skip_nested();
  const std::size_t start = at_;
  while (!at_end() && !is_space(text_[at_]) && text_[at_] != ',' && text_[at_] != '}' &&
         text_[at_] != ']') {
    ++at_;
  }
  return at_ > start;
}

std::uint32_t Mapper::intern(std::string_view raw) {
  std::string_view name = raw;
  std::string decoded_name;
  if (raw.find('\\') != std::string_view::npos) {
    // Rare: decode the escapes with simdjson (the token is a complete JSON string).
    thread_local simdjson::dom::parser parser;
    const std::string token = "\"" + std::string(raw) + "\"";
    std::string_view decoded;
    if (parser.parse(token).get_string().get(decoded)) decoded = raw;
    decoded_name.assign(decoded);
    name = decoded_name;
  }
  if (auto found = name_ids_.find(name); found != name_ids_.end()) return found->second;
  // Kept as a copy: the bytes of the file may have been released by the time names are
  // sorted, and reading them again would fault their pages back in.
  const std::string_view owned = owned_names_.emplace_back(name);
  const auto id = static_cast<std::uint32_t>(names_.size());
  names_.push_back(owned);
  name_ids_.emplace(owned, id);
  return id;
}

Status Mapper::record(std::uint32_t& name) {
  if (!expect('{')) return fail(error("expected a record object"));
  std::string_view raw_name;
  skip_space();
  if (peek() == '}') {
    ++at_;
  } else {
    for (;;) {
      skip_space();
      const std::size_t key = at_;
      if (peek() != '"' || !skip_string()) return fail(error("expected a field name"));
      if (!expect(':')) return fail(error("expected ':'"));
      skip_space();
      const std::size_t value = at_;
      if (!skip_value()) return fail(error("expected a value"));
      if (at_ - key >= 6 && text_.compare(key, 6, "\"name\"") == 0 && text_[value] == '"') {
        raw_name = text_.substr(value + 1, at_ - value - 2);
      }
      if (expect(',')) continue;
      if (expect('}')) break;
      return fail(error("expected ',' or '}'"));
    }
  }
  name = intern(raw_name);
  return ok();
}

Status Mapper::section(Section which) {
  skip_space();
  if (peek() != '{') {
    if (!skip_value()) return fail(error("expected an object of records"));
    return ok();  // null: no records (anything else is reported when records are read)
  }
  ++at_;
  if (expect('}')) return ok();
  for (;;) {
    skip_space();
    const std::size_t start = at_;
    if (peek() != '"' || !skip_string()) return fail(error("expected a file name"));
    if (!expect(':')) return fail(error("expected ':'"));
    std::uint32_t name = 0;
    GRAFT_RETURN_IF_ERROR(record(name));
    found_.push_back({.name = name,
                      .record = {.offset = start,
                                 .length = static_cast<std::uint32_t>(at_ - start),
                                 .section = which}});
    if (options_.release && at_ >= next_release_) {
      options_.release(start);
      next_release_ = at_ + kReleaseStep;
    }
    if (expect(',')) continue;
    if (expect('}')) return ok();
    return fail(error("expected ',' or '}'"));
  }
}

Status Mapper::top_field(std::string_view key, RepodataMap& out) {
  if (key == "packages") return section(Section::kPackages);
  if (key == "packages.conda") return section(Section::kConda);
  skip_space();
  const std::size_t start = at_;
  if (!skip_value()) return fail(error("expected a value"));
  if (key == "info") out.info_json.assign(text_.substr(start, at_ - start));
  if (key == "repodata_version") out.version_json.assign(text_.substr(start, at_ - start));
  return ok();
}

RepodataMap Mapper::finish(RepodataMap out) {
  std::vector<std::uint32_t> order(names_.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return names_[a] < names_[b]; });
  std::vector<std::uint32_t> sorted_id(names_.size());
  out.names.reserve(names_.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) {
    sorted_id[order[i]] = i;
    out.names.emplace_back(names_[order[i]]);
  }
  // A counting sort by name keeps each name's records in file order.
  out.first.assign(names_.size() + 1, 0);
  for (const Found& found : found_) ++out.first[sorted_id[found.name] + 1];
  for (std::size_t i = 1; i < out.first.size(); ++i) out.first[i] += out.first[i - 1];
  out.records.resize(found_.size());
  std::vector<std::uint32_t> next(out.first.begin(), out.first.end() - 1);
  for (const Found& found : found_) {
    const std::uint32_t name = sorted_id[found.name];
    MappedRecord& slot = out.records[next[name]++];
    slot = found.record;
    slot.name = name;
  }
  return out;
}

Result<RepodataMap> Mapper::run() {
  RepodataMap out;
  skip_space();
  if (peek() != '{') {
    if (at_end()) return fail(error("the file is empty"));
    return fail(ErrorCode::kCorrupt, std::string(display_) + ": expected a JSON object");
  }
  ++at_;
  if (!expect('}')) {
    for (;;) {
      skip_space();
      const std::size_t key = at_;
      if (peek() != '"' || !skip_string()) return fail(error("expected a key"));
      const std::string_view name = text_.substr(key + 1, at_ - key - 2);
      if (!expect(':')) return fail(error("expected ':'"));
      GRAFT_RETURN_IF_ERROR(top_field(name, out));
      if (expect(',')) continue;
      if (expect('}')) break;
      return fail(error("expected ',' or '}'"));
    }
  }
  skip_space();
  if (!at_end()) return fail(error("unexpected text after the document"));
  return finish(std::move(out));
}

}  // namespace

std::span<const MappedRecord> RepodataMap::named(std::string_view name) const {
  auto found = std::lower_bound(names.begin(), names.end(), name);
  if (found == names.end() || *found != name) return {};
  const auto index = static_cast<std::size_t>(found - names.begin());
  return std::span<const MappedRecord>(records).subspan(first[index],
                                                        first[index + 1] - first[index]);
}

Result<RepodataMap> map_repodata(std::string_view json, std::string_view display,
                                 const MapOptions& options) {
  return Mapper(json, display, options).run();
}

Result<Repodata> read_mapped_records(std::string_view json, const RepodataMap& map,
                                     std::vector<const MappedRecord*> selected,
                                     const RepodataSource& source) {
  std::sort(selected.begin(), selected.end(),
            [](const MappedRecord* a, const MappedRecord* b) { return a->offset < b->offset; });
  // A document of the selected entries only, read by the same reader as the whole file.
  std::size_t bytes = map.info_json.size() + map.version_json.size() + 96;
  for (const MappedRecord* record : selected) bytes += record->length + 1;
  std::string document;
  document.reserve(bytes);
  document += "{";
  if (!map.info_json.empty()) document.append("\"info\":").append(map.info_json).append(",");
  for (Section section : {Section::kPackages, Section::kConda}) {
    document += section == Section::kPackages ? "\"packages\":{" : ",\"packages.conda\":{";
    bool first = true;
    for (const MappedRecord* record : selected) {
      if (record->section != section) continue;
      if (record->offset + record->length > json.size()) {
        return fail(ErrorCode::kCorrupt,
                    source.display_name + ": the repodata map does not fit the file");
      }
      if (!first) document += ',';
      first = false;
      document.append(json.substr(record->offset, record->length));
    }
    document += "}";
  }
  if (!map.version_json.empty()) document.append(",\"repodata_version\":").append(map.version_json);
  document += "}";
  auto repodata = parse_repodata(document, source);
  if (repodata) return repodata;
  // Word the error against the real file (line and column there).
  if (auto whole = parse_repodata(json, source); !whole) return whole;
  return repodata;
}

}  // namespace graft::conda
