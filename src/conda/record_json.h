// Internal to the conda module: the JSON plumbing shared by record.cc, prefix_record.cc and
// repodata.cc. Not for other modules (it pulls in simdjson).
//
// JsonWriter produces exactly what Python's json.dumps(obj, indent=2) produces (the format
// conda writes conda-meta/*.json and repodata_record.json in, and conda-index repodata.json
// with sort_keys=True): ", " never appears, items end in ",\n", empty containers are "{}"
// and "[]", non-ASCII text is escaped as lower-case \uXXXX (surrogate pairs above U+FFFF).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "base/result.h"
#include "conda/record.h"

namespace graft::conda::detail {

enum class SortKeys { kNo, kYes };

// Appends to a caller-owned string. Not thread-safe; one writer per output.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void begin_object();
  void end_object();
  void begin_array();
  void end_array();
  void key(std::string_view name);
  void string(std::string_view text);
  void integer(std::int64_t number);
  void boolean(bool value);
  void string_list(const std::vector<std::string>& items);
  // Writes a stored JSON value (minified text from raw_value), re-indented for its
  // depth; objects inside get their keys sorted when `sort` is kYes.
  void raw(std::string_view json, SortKeys sort = SortKeys::kNo);

 private:
  void before_value();
  void newline_indent();
  void emit_element(simdjson::dom::element element, SortKeys sort);
  void emit_object(simdjson::dom::object object, SortKeys sort);

  std::string& out_;
  std::vector<int> counts_;  // items written so far in each open container
  bool after_key_ = false;
};

// Python's repr() of a double ("1.5", "1e-05", "1e+16", "2.0").
[[nodiscard]] std::string python_float(double value);

// A JSON syntax error in `bytes`, located by line and column:
// "<source>:<line>:<column>: invalid JSON: <reason>". Also reports non-UTF-8 input.
// "<source>:<line>:<column>: invalid JSON: <reason>" (kCorrupt) for byte `offset` of `bytes`.
[[nodiscard]] Error json_error_at(std::string_view source, std::string_view bytes,
                                  std::size_t offset, std::string_view reason);
[[nodiscard]] Error json_syntax_error(std::string_view source, std::string_view bytes,
                                      simdjson::error_code code);

// A value of the wrong JSON type: "<source>: field 'depends': expected a list of strings".
[[nodiscard]] Error field_error(std::string_view source, std::string_view field,
                                std::string_view expected);

// Parses `bytes` (with simdjson's DOM parser: its kernels are picked at run time, unlike
// On-Demand's, which are fixed by the compile flags) and calls `on_field(key, value)` for
// each field of the top-level object. Errors: json_syntax_error for malformed JSON,
// "<source>: expected a JSON object", and whatever `on_field` returns.
using FieldCallback = std::function<Status(std::string_view key, simdjson::dom::element value)>;
[[nodiscard]] Status for_each_field(std::string_view bytes, std::string_view source,
                                    const FieldCallback& on_field);

// Like for_each_field, but the values of the top-level fields whose raw (still escaped) keys
// are in `skip` are stepped over on simdjson's structural index (stage 1 only: no DOM is
// built for them) and `on_field` is not called for them; the other fields are parsed as
// for_each_field parses them, in order. For records where a few fields hold most of the
// bytes (conda-meta "files" and "paths_data"). Errors: as for_each_field, with the same
// wording; a syntax error inside a skipped value is reported only when stage 1 or bracket
// matching sees it (invalid UTF-8, an unclosed string, a mismatched bracket).
// Implemented in record_json_skip.cc.
[[nodiscard]] Status for_each_field_except(std::string_view bytes, std::string_view source,
                                           const std::vector<std::string_view>& skip,
                                           const FieldCallback& on_field);

// simdjson's stage 1 (its run-time selected kernel, the one the DOM parser uses) over one
// document: the offset of every structural character ({ } [ ] : ,) and of the first byte of
// every string and scalar, in order. Stage 1 also checks UTF-8, unescaped control characters
// and unclosed strings. Reused by one thread: buffers only grow until released. Not
// thread-safe.
class Stage1Index {
 public:
  // False when stage 1 rejects `bytes` or memory runs out. The index and text() are valid
  // until the next build() and while `bytes` lives.
  [[nodiscard]] bool build(std::string_view bytes);
  std::uint32_t size() const { return stage1_->n_structural_indexes; }
  const std::uint32_t* offsets() const { return stage1_->structural_indexes.get(); }
  std::uint32_t offset(std::uint32_t i) const { return offsets()[i]; }
  // The bytes indexed (the input, or a copy with readable padding).
  const char* text() const { return text_; }
  char at(std::uint32_t i) const { return text_[offset(i)]; }
  // Frees the buffers when they hold more than `bytes` bytes.
  void release_if_larger_than(std::size_t bytes);

 private:
  bool reserve(std::size_t length);

  std::unique_ptr<simdjson::internal::dom_parser_implementation> stage1_;
  std::size_t capacity_ = 0;  // bytes stage1_ can index
  std::string padded_;        // the input plus padding, when its own padding is not readable
  const char* text_ = nullptr;
};

// Reads a string (null reads as ""), a list of strings (null reads as empty), an integer.
[[nodiscard]] Status read_string(std::string_view source, std::string_view key,
                                 simdjson::dom::element value, std::string& out);
[[nodiscard]] Status read_string_list(std::string_view source, std::string_view key,
                                      simdjson::dom::element value, std::vector<std::string>& out);
[[nodiscard]] Status read_integer(std::string_view source, std::string_view key,
                                  simdjson::dom::element value, std::int64_t& out);

// Minified JSON text of any value.
[[nodiscard]] std::string raw_value(simdjson::dom::element value);

// How read_record_field reads a field. kText fields are strings stored in `text` (null reads
// as ""); kAlias ones too, but only while that member is still empty ("build_string" for
// "build"); kExtra: not a PackageRecord field (kept in `extra`).
enum class FieldKind : std::uint8_t {
  kExtra,
  kText,
  kAlias,
  kDepends,
  kConstrains,
  kBuildNumber,
  kSize,
  kTimestamp,
  kTrackFeatures,
  kFeatures,
  kNoarch,
};
struct RecordField {
  FieldKind kind = FieldKind::kExtra;
  std::string PackageRecord::*text = nullptr;  // set for kText and kAlias
};
[[nodiscard]] RecordField classify_record_field(std::string_view key);

// conda's timestamp rule: a number below 9999-12-31 in seconds is seconds, made
// milliseconds; others are milliseconds already. Truncates toward zero.
[[nodiscard]] std::int64_t normalize_timestamp(double number);

// conda's _FeaturesField for a string: "a b", "a,b" or " a , b" -> {"a", "b"} (empty parts
// dropped). Replaces `out`.
void split_features(std::string_view text, std::vector<std::string>& out);

// conda's noarch for a string value: "true" -> "generic", "false" -> "", others as written.
[[nodiscard]] std::string noarch_from_text(std::string_view text);

// The name a field not modelled is kept under in `extra` ("extra-depends" -> "extra_depends").
[[nodiscard]] std::string_view extra_key(std::string_view key);

// Reads one repodata field into `record`. Returns true when `key` is a PackageRecord field
// (including aliases like "build_string"), false when the caller should keep it as extra.
// Errors: kCorrupt with field_error wording when the value has the wrong type.
[[nodiscard]] Result<bool> read_record_field(std::string_view source, std::string_view key,
                                             simdjson::dom::element value, PackageRecord& record);

// Stores a field that read_record_field did not take in record.extra (minified).
void read_extra_field(std::string_view key, simdjson::dom::element value, PackageRecord& record);

// Fills what conda derives when absent (package_type from noarch) and orders `extra` the
// way it is written (known fields in conda's order, then unknown ones as read).
void finish_record(PackageRecord& record);

// Writes the PackageRecord fields conda dumps, in conda's field order, including the extra
// fields conda knows (arch, platform, legacy_bz2_md5, ...), up to and including "size".
void write_record_fields(JsonWriter& writer, const PackageRecord& record);
// Writes the extras whose names conda's record models do not have, in stored order.
void write_unknown_extras(JsonWriter& writer, const PackageRecord& record);
// True when conda's PrefixRecord model has a field `key` that graft keeps in `extra`.
[[nodiscard]] bool is_known_extra(std::string_view key);
// The raw JSON of extra field `key`, or nullptr.
[[nodiscard]] const JsonField* find_extra(const PackageRecord& record, std::string_view key);

}  // namespace graft::conda::detail
