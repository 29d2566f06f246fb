// scan_repodata: repodata.json read from simdjson's structural index (see repodata_scan.h).
//
// Stage 1 lists the offset of every structural character ({ } [ ] : ,) and of the first byte
// of every string and scalar; it has already checked UTF-8, unescaped control characters
// and unclosed strings. The walk checks the grammar (object and array punctuation, string
// and integer tokens ending right before the next structural); anything else is parsed
// alone by the DOM parser, which checks it as a full parse would.
#include "conda/repodata_scan.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "base/strings.h"
#include "conda/match_spec.h"
#include "conda/record_json.h"

namespace graft::conda::detail {
namespace {

constexpr std::size_t kKeepBufferBytes = 64U << 20;  // larger inputs release the buffers
constexpr std::size_t kMaxIntegerDigits = 18;        // always fits std::int64_t

bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

// What one pass over the input tells the walk: how many '{' it has (every record is an
// object, so this bounds the records) and whether any string may hold an escape.
struct InputSummary {
  std::size_t braces = 0;
  bool has_backslash = false;
};

InputSummary summarize(std::string_view text) {
  InputSummary summary;
  const char* const end = text.data() + text.size();
  const char* at = text.data();
  while ((at = static_cast<const char*>(  // memchr is vectorized: ~500 bytes per call here
              std::memchr(at, '{', static_cast<std::size_t>(end - at)))) != nullptr) {
    ++summary.braces;
    ++at;
  }
  summary.has_backslash = std::memchr(text.data(), '\\', text.size()) != nullptr;
  return summary;
}

// Walks one document's structural index. Every reader returns false when the input is not
// in the shape it reads; the record readers then leave the structural position unchanged.
class Walker {
 public:
  Walker(const Stage1Index& index, bool may_escape, const RepodataSource& source,
         std::string_view display)
      : text_(index.text()),
        may_escape_(may_escape),
        indexes_(index.offsets()),
        count_(index.size()),
        source_(source),
        display_(display) {}

  bool document(Repodata& out);
  // Re-applies the defaults when a field read after a section changed them (info after
  // "packages", repodata_version 2 after it); false when that changes a record's subdir.
  bool settle_defaults(Repodata& out) const;

 private:
  enum Section : unsigned { kInfo = 1, kVersion = 2, kPackages = 4, kConda = 8, kRemoved = 16 };

  char peek() const { return at_ < count_ ? text_[indexes_[at_]] : '\0'; }
  bool consume(char c) {
    if (peek() != c) return false;
    ++at_;
    return true;
  }
  // The scalar at the current structural: up to the next one, trailing whitespace dropped.
  std::string_view token() const {
    if (at_ + 1 >= count_) return {};
    const char* begin = text_ + indexes_[at_];
    const char* end = text_ + indexes_[at_ + 1];
    while (end > begin && is_space(end[-1])) --end;
    return {begin, static_cast<std::size_t>(end - begin)};
  }
  // A string without escapes (its text between the quotes). Inlined: it reads most tokens.
  [[gnu::always_inline]] bool plain_string(std::string_view& out) {
    if (peek() != '"') return false;
    const std::string_view quoted = token();
    if (quoted.size() < 2 || quoted.back() != '"') return false;
    const std::string_view inner(quoted.data() + 1, quoted.size() - 2);
    // Stage 1 marks whatever follows a closing quote, so the only quote inside is escaped.
    if (may_escape_ && std::memchr(inner.data(), '\\', inner.size()) != nullptr) return false;
    out = inner;
    ++at_;
    return true;
  }
  bool small_integer(std::uint64_t& out);
  bool escaped_string(std::string& out);
  // A list of plain strings, none longer than `longest` bytes.
  bool string_list(std::vector<std::string>& out, std::size_t longest = std::string::npos);
  bool parse_alone(simdjson::dom::element& out);
  bool top_field(std::string_view key, unsigned& seen, Repodata& out);
  bool info(Repodata& out);
  bool info_string(std::string_view name, std::string& out);
  bool section(std::vector<PackageRecord>& records);
  bool record(PackageRecord& record);
  bool field(std::string_view key, PackageRecord& record);
  bool fast_field(std::string_view key, RecordField field, PackageRecord& record);

  const char* text_;
  bool may_escape_;  // false: the input has no '\\' at all
  const std::uint32_t* indexes_;
  std::uint32_t count_;
  std::uint32_t at_ = 0;
  const RepodataSource& source_;
  std::string_view display_;
  std::vector<RecordDefaults> applied_;  // the defaults each section's records were given
};

// Any string, unescaped by the DOM parser.
bool Walker::escaped_string(std::string& out) {
  simdjson::dom::element value;
  std::string_view text;
  if (peek() != '"' || !parse_alone(value) || value.get_string().get(text)) return false;
  out.assign(text);
  return true;
}

// "0" or up to kMaxIntegerDigits digits without a leading zero.
bool Walker::small_integer(std::uint64_t& out) {
  const std::string_view digits = token();
  if (digits.empty() || digits.size() > kMaxIntegerDigits) return false;
  if (digits.front() == '0' && digits.size() > 1) return false;
  std::uint64_t value = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  out = value;
  ++at_;
  return true;
}

// A list of strings without escapes; `out` replaced.
bool Walker::string_list(std::vector<std::string>& out, std::size_t longest) {
  const std::uint32_t start = at_;
  if (!consume('[')) return false;
  std::uint32_t end = at_;
  while (end < count_ && text_[indexes_[end]] != ']') ++end;
  out.clear();
  out.reserve((end - at_ + 1) / 2);
  if (consume(']')) return true;
  std::string_view item;
  do {
    if (!plain_string(item) || item.size() > longest) return at_ = start, false;
    out.emplace_back(item);
  } while (consume(','));
  if (!consume(']')) return at_ = start, false;
  return true;
}

// Parses the value at the current structural alone with the DOM parser and steps over it.
// `out` lives until the next call (on this thread).
bool Walker::parse_alone(simdjson::dom::element& out) {
  std::uint32_t end = at_;
  int depth = 0;
  do {
    if (end >= count_) return false;
    const char c = text_[indexes_[end++]];
    if (c == '{' || c == '[') ++depth;
    if (c == '}' || c == ']') --depth;
  } while (depth > 0);
  if (depth < 0 || end >= count_) return false;
  const char* begin = text_ + indexes_[at_];
  const std::size_t length = indexes_[end] - indexes_[at_];
  if (length > kKeepBufferBytes) return false;  // the DOM reader takes such documents
  thread_local simdjson::dom::parser parser;
  at_ = end;
  return parser.parse(begin, length, true).get(out) == simdjson::SUCCESS;
}

bool Walker::document(Repodata& out) {
  if (!consume('{')) return false;
  if (consume('}')) return at_ == count_;
  unsigned seen = 0;
  std::string_view key;
  do {
    if (!plain_string(key) || !consume(':') || !top_field(key, seen, out)) return false;
  } while (consume(','));
  return consume('}') && at_ == count_;
}

bool Walker::top_field(std::string_view key, unsigned& seen, Repodata& out) {
  unsigned which = 0;
  if (key == "info") which = kInfo;
  if (key == "repodata_version") which = kVersion;
  if (key == "packages") which = kPackages;
  if (key == "packages.conda") which = kConda;
  if (key == "removed") which = kRemoved;
  // "packages" records come first whatever the key order: after .conda ones, the DOM reads it.
  if ((seen & which) != 0 || (which == kPackages && !out.records.empty())) return false;
  seen |= which;
  simdjson::dom::element value;
  std::uint64_t version = 0;
  switch (which) {
    case kInfo: return info(out);
    case kVersion:
      if (small_integer(version))
        return out.repodata_version = static_cast<std::int64_t>(version), true;
      return parse_alone(value) &&
             read_integer(display_, "repodata_version", value, out.repodata_version).has_value();
    case kPackages:
    case kConda: applied_.push_back(record_defaults(source_, out)); return section(out.records);
    case kRemoved:
      if (string_list(out.removed)) return true;
      return parse_alone(value) &&
             read_string_list(display_, "removed", value, out.removed).has_value();
    default: return parse_alone(value);  // sections graft does not read, checked as JSON
  }
}

bool Walker::info(Repodata& out) {
  if (!consume('{')) return false;
  if (consume('}')) return true;
  std::string_view key;
  simdjson::dom::element value;
  do {
    if (!plain_string(key) || !consume(':')) return false;
    if (key == "subdir") {
      if (!info_string("info.subdir", out.subdir)) return false;
    } else if (key == "base_url") {
      if (!info_string("info.base_url", out.base_url)) return false;
    } else if (!parse_alone(value)) {
      return false;
    }
  } while (consume(','));
  return consume('}');
}

bool Walker::info_string(std::string_view name, std::string& out) {
  std::string_view text;
  if (plain_string(text)) return out.assign(text), true;
  simdjson::dom::element value;
  return parse_alone(value) && read_string(display_, name, value, out).has_value();
}

bool Walker::section(std::vector<PackageRecord>& records) {
  if (peek() != '{') {
    simdjson::dom::element value;
    return parse_alone(value) && value.is_null();
  }
  ++at_;
  if (consume('}')) return true;
  std::string_view fn;
  std::string unescaped;
  do {
    if (!plain_string(fn)) {
      if (!escaped_string(unescaped)) return false;
      fn = unescaped;
    }
    if (!consume(':')) return false;
    PackageRecord& added = records.emplace_back();
    if (!record(added)) return false;
    added.fn.assign(fn);
    apply_record_defaults(applied_.back(), added);
  } while (consume(','));
  return consume('}');
}

bool Walker::record(PackageRecord& record) {
  if (!consume('{')) return false;
  if (consume('}')) return true;
  std::string_view key;
  do {
    if (!plain_string(key) || !consume(':') || !field(key, record)) return false;
  } while (consume(','));
  return consume('}');
}

bool Walker::field(std::string_view key, PackageRecord& record) {
  const RecordField kind = classify_record_field(key);
  if (fast_field(key, kind, record)) return true;
  simdjson::dom::element value;
  if (!parse_alone(value)) return false;
  const Result<bool> known = read_record_field(display_, key, value, record);
  if (!known) return false;
  if (!*known) read_extra_field(key, value, record);
  return true;
}

// The common shapes of each field; false (nothing read) for the others.
bool Walker::fast_field(std::string_view key, RecordField field, PackageRecord& record) {
  std::string_view text;
  std::uint64_t number = 0;
  switch (field.kind) {
    case FieldKind::kText: return plain_string(text) && ((record.*field.text).assign(text), true);
    case FieldKind::kAlias:
      if (!plain_string(text)) return false;
      if ((record.*field.text).empty()) (record.*field.text).assign(text);
      return true;
    // An over-long spec takes the slow path, which reports it.
    case FieldKind::kDepends: return string_list(record.depends, kMaxMatchSpecLength);
    case FieldKind::kConstrains: return string_list(record.constrains, kMaxMatchSpecLength);
    case FieldKind::kBuildNumber:
      return small_integer(number) &&
             (record.build_number = static_cast<std::int64_t>(number), true);
    case FieldKind::kSize: return small_integer(number) && (record.size = number, true);
    case FieldKind::kTimestamp:
      return small_integer(number) &&
             (record.timestamp = normalize_timestamp(static_cast<double>(number)), true);
    case FieldKind::kTrackFeatures:
      return plain_string(text) && (split_features(text, record.track_features), true);
    case FieldKind::kFeatures: {
      if (!plain_string(text)) return false;
      std::vector<std::string> features;
      split_features(text, features);
      record.features = base::join(features, " ");
      return true;
    }
    case FieldKind::kNoarch:
      return plain_string(text) && (record.noarch = noarch_from_text(text), true);
    case FieldKind::kExtra:
      if (!plain_string(text)) return false;  // its minified JSON is the token itself
      record.extra.push_back(
          {std::string(extra_key(key)), std::string(text.data() - 1, text.size() + 2)});
      return true;
  }
  return false;
}

bool Walker::settle_defaults(Repodata& out) const {
  const RecordDefaults settled = record_defaults(source_, out);
  bool stale = false;
  for (const RecordDefaults& defaults : applied_) {
    if (defaults.subdir != settled.subdir) return false;
    stale = stale || defaults != settled;
  }
  if (stale) {
    for (PackageRecord& record : out.records) apply_record_defaults(settled, record);
  }
  return true;
}

}  // namespace

bool scan_repodata(std::string_view json, const RepodataSource& source, std::string_view display,
                   Repodata& out) {
  thread_local Stage1Index index;
  if (!index.build(json)) return false;
  // Every record is an object: the '{' count bounds the records (one allocation).
  const InputSummary summary = summarize(json);
  out.records.reserve(summary.braces);
  Walker walker(index, summary.has_backslash, source, display);
  const bool read = walker.document(out) && walker.settle_defaults(out);
  index.release_if_larger_than(kKeepBufferBytes);
  return read;
}

}  // namespace graft::conda::detail
