#include "conda/record.h"

#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/core.h>

#include "base/strings.h"
#include "conda/match_spec.h"
#include "conda/record_json.h"

namespace graft::conda {
namespace detail {
namespace {

// Fields of conda's PackageRecord / PrefixRecord models that graft keeps in `extra`.
constexpr std::array<std::string_view, 9> kKnownExtras = {
    "legacy_bz2_md5", "legacy_bz2_size", "arch", "platform", "extra_depends",
    "flags",          "preferred_env",   "date", "auth"};

constexpr std::int64_t kLatestSecondsTimestamp = 253402300799;  // 9999-12-31, as conda uses

// "a b", "a,b" or ["a", "b"] -> {"a", "b"} (conda's _FeaturesField).
Status read_features(std::string_view source, std::string_view key, simdjson::dom::element value,
                     std::vector<std::string>& out) {
  if (!value.is_array()) {
    std::string text;
    GRAFT_RETURN_IF_ERROR(read_string(source, key, value, text));
    split_features(text, out);
    return ok();
  }
  std::vector<std::string> parts;
  GRAFT_RETURN_IF_ERROR(read_string_list(source, key, value, parts));
  out.clear();
  for (const std::string& part : parts) {
    const std::string_view trimmed = base::trim(part);
    if (!trimmed.empty()) out.emplace_back(trimmed);
  }
  return ok();
}

Status read_timestamp(std::string_view source, simdjson::dom::element value, std::int64_t& out) {
  if (value.is_null()) {
    out = 0;
    return ok();
  }
  double number = 0;
  if (value.get_double().get(number) || !std::isfinite(number)) {
    return fail(field_error(source, "timestamp", "a number"));
  }
  out = normalize_timestamp(number);
  return ok();
}

Status read_size(std::string_view source, simdjson::dom::element value, std::uint64_t& out) {
  if (value.is_null()) {
    out = 0;
    return ok();
  }
  if (value.get_uint64().get(out))
    return fail(field_error(source, "size", "a non-negative integer"));
  return ok();
}

Status read_noarch(std::string_view source, simdjson::dom::element value, std::string& out) {
  if (value.is_bool()) {
    bool flag = false;
    if (value.get_bool().get(flag)) return fail(field_error(source, "noarch", "a string"));
    out = flag ? "generic" : "";
    return ok();
  }
  std::string text;
  GRAFT_RETURN_IF_ERROR(read_string(source, "noarch", value, text));
  out = noarch_from_text(text);
  return ok();
}

// Fields whose key starts with 'b' ... 'f' (split from classify_record_field by first letter:
// this runs per field of every repodata entry).
RecordField classify_b_to_f(std::string_view key) {
  using P = PackageRecord;
  switch (key.front()) {
    case 'b':
      if (key == "build") return {FieldKind::kText, &P::build};
      if (key == "build_number") return {FieldKind::kBuildNumber};
      return key == "build_string" ? RecordField{FieldKind::kAlias, &P::build} : RecordField{};
    case 'c':
      if (key == "channel") return {FieldKind::kText, &P::channel};
      return key == "constrains" ? RecordField{FieldKind::kConstrains} : RecordField{};
    case 'd': return key == "depends" ? RecordField{FieldKind::kDepends} : RecordField{};
    case 'f':
      if (key == "fn") return {FieldKind::kText, &P::fn};
      if (key == "features") return {FieldKind::kFeatures};
      return key == "filename" ? RecordField{FieldKind::kAlias, &P::fn} : RecordField{};
    default: return {};
  }
}

RecordField classify_l_to_v(std::string_view key) {
  using P = PackageRecord;
  switch (key.front()) {
    case 'l':
      if (key == "license") return {FieldKind::kText, &P::license};
      return key == "license_family" ? RecordField{FieldKind::kText, &P::license_family}
                                     : RecordField{};
    case 'm': return key == "md5" ? RecordField{FieldKind::kText, &P::md5} : RecordField{};
    case 'n':
      if (key == "name") return {FieldKind::kText, &P::name};
      return key == "noarch" ? RecordField{FieldKind::kNoarch} : RecordField{};
    case 'p':
      if (key == "package_type") return {FieldKind::kText, &P::package_type};
      return key == "python_site_packages_path"
                 ? RecordField{FieldKind::kText, &P::python_site_packages_path}
                 : RecordField{};
    case 's':
      if (key == "sha256") return {FieldKind::kText, &P::sha256};
      if (key == "size") return {FieldKind::kSize};
      if (key == "subdir") return {FieldKind::kText, &P::subdir};
      return key == "schannel" ? RecordField{FieldKind::kAlias, &P::channel} : RecordField{};
    case 't':
      if (key == "timestamp") return {FieldKind::kTimestamp};
      return key == "track_features" ? RecordField{FieldKind::kTrackFeatures} : RecordField{};
    case 'u': return key == "url" ? RecordField{FieldKind::kText, &P::url} : RecordField{};
    case 'v': return key == "version" ? RecordField{FieldKind::kText, &P::version} : RecordField{};
    default: return {};
  }
}

// depends / constrains: MatchSpec strings, none longer than MatchSpec::parse reads, so a
// hostile record is refused here and not quoted whole by a later error.
Status read_spec_list(std::string_view source, std::string_view key, simdjson::dom::element value,
                      std::vector<std::string>& out) {
  GRAFT_RETURN_IF_ERROR(read_string_list(source, key, value, out));
  for (const std::string& spec : out) {
    if (spec.size() <= kMaxMatchSpecLength) continue;
    return fail(
        ErrorCode::kCorrupt,
        fmt::format("{}: field '{}': an entry is {} bytes long, the limit is {}: '{}'", source, key,
                    spec.size(), kMaxMatchSpecLength, base::abbreviate(spec, 60)));
  }
  return ok();
}

// The fields that are not plain strings.
Status read_special_field(std::string_view source, std::string_view key, FieldKind kind,
                          simdjson::dom::element value, PackageRecord& record) {
  switch (kind) {
    case FieldKind::kDepends: return read_spec_list(source, key, value, record.depends);
    case FieldKind::kConstrains: return read_spec_list(source, key, value, record.constrains);
    case FieldKind::kBuildNumber: return read_integer(source, key, value, record.build_number);
    case FieldKind::kSize: return read_size(source, value, record.size);
    case FieldKind::kTimestamp: return read_timestamp(source, value, record.timestamp);
    case FieldKind::kTrackFeatures: return read_features(source, key, value, record.track_features);
    case FieldKind::kFeatures: {
      std::vector<std::string> features;
      GRAFT_RETURN_IF_ERROR(read_features(source, key, value, features));
      record.features = base::join(features, " ");
      return ok();
    }
    case FieldKind::kNoarch: return read_noarch(source, value, record.noarch);
    default: return ok();
  }
}

}  // namespace

RecordField classify_record_field(std::string_view key) {
  if (key.empty()) return {};
  return key.front() <= 'f' ? classify_b_to_f(key) : classify_l_to_v(key);
}

std::int64_t normalize_timestamp(double number) {
  // conda stores seconds and writes milliseconds: values up to year 9999 are seconds.
  if (number != 0 && std::abs(number) < static_cast<double>(kLatestSecondsTimestamp)) {
    number *= 1000;
  }
  return static_cast<std::int64_t>(number);
}

void split_features(std::string_view text, std::vector<std::string>& out) {
  out.clear();
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find_first_of(", ", start), text.size());
    const std::string_view trimmed = base::trim(text.substr(start, end - start));
    if (!trimmed.empty()) out.emplace_back(trimmed);
    start = end + 1;
  }
}

std::string noarch_from_text(std::string_view text) {
  if (text == "true") return "generic";
  if (text == "false") return "";
  return std::string(text);
}

std::string_view extra_key(std::string_view key) {
  return key == "extra-depends" ? "extra_depends" : key;
}

Result<bool> read_record_field(std::string_view source, std::string_view key,
                               simdjson::dom::element value, PackageRecord& record) {
  const RecordField field = classify_record_field(key);
  switch (field.kind) {
    case FieldKind::kExtra: return false;
    case FieldKind::kText:
      GRAFT_RETURN_IF_ERROR(read_string(source, key, value, record.*field.text));
      break;
    case FieldKind::kAlias: {
      std::string text;
      GRAFT_RETURN_IF_ERROR(read_string(source, key, value, text));
      if ((record.*field.text).empty()) record.*field.text = std::move(text);
      break;
    }
    default: GRAFT_RETURN_IF_ERROR(read_special_field(source, key, field.kind, value, record));
  }
  return true;
}

void read_extra_field(std::string_view key, simdjson::dom::element value, PackageRecord& record) {
  record.extra.push_back({std::string(extra_key(key)), raw_value(value)});
}

void finish_record(PackageRecord& record) {
  if (record.package_type.empty() && !record.noarch.empty()) {
    record.package_type = "noarch_" + record.noarch;
  }
  // Extras in the order they are written (known ones at conda's positions, then unknown
  // ones as read), so a record read, written and read again compares equal.
  const auto rank = [](const JsonField& field) {
    const auto* known = std::find(kKnownExtras.begin(), kKnownExtras.end(), field.key);
    return static_cast<std::size_t>(known - kKnownExtras.begin());
  };
  std::stable_sort(record.extra.begin(), record.extra.end(),
                   [&](const JsonField& a, const JsonField& b) { return rank(a) < rank(b); });
}

bool is_known_extra(std::string_view key) {
  for (std::string_view known : kKnownExtras) {
    if (key == known) return true;
  }
  return false;
}

const JsonField* find_extra(const PackageRecord& record, std::string_view key) {
  for (const JsonField& field : record.extra) {
    if (field.key == key) return &field;
  }
  return nullptr;
}

namespace {

// Writes `value` under `key` unless it is empty (conda omits unset fields).
void write_text(JsonWriter& writer, std::string_view key, const std::string& value) {
  if (value.empty()) return;
  writer.key(key);
  writer.string(value);
}

// Writes the stored extra field `key` when the record has it.
void write_stored(JsonWriter& writer, const PackageRecord& record, std::string_view key) {
  if (const JsonField* field = find_extra(record, key)) {
    writer.key(key);
    writer.raw(field->json);
  }
}

// name ... sha256: what identifies the package and its file.
void write_identity_fields(JsonWriter& writer, const PackageRecord& record) {
  write_text(writer, "name", record.name);
  write_text(writer, "version", record.version);
  write_text(writer, "build", record.build);
  writer.key("build_number");
  writer.integer(record.build_number);
  write_text(writer, "channel", record.channel);
  write_text(writer, "subdir", record.subdir);
  write_text(writer, "fn", record.fn);
  write_text(writer, "md5", record.md5);
  write_stored(writer, record, "legacy_bz2_md5");
  write_stored(writer, record, "legacy_bz2_size");
  write_text(writer, "url", record.url);
  write_text(writer, "sha256", record.sha256);
  write_stored(writer, record, "arch");
  write_stored(writer, record, "platform");
}

// depends ... size: what the solver and the linker use.
void write_metadata_fields(JsonWriter& writer, const PackageRecord& record) {
  writer.key("depends");
  writer.string_list(record.depends);
  writer.key("constrains");
  writer.string_list(record.constrains);
  write_stored(writer, record, "extra_depends");
  write_stored(writer, record, "flags");
  write_text(writer, "track_features", base::join(record.track_features, " "));
  write_text(writer, "features", record.features);
  write_text(writer, "noarch", record.noarch);
  write_stored(writer, record, "preferred_env");
  write_text(writer, "python_site_packages_path", record.python_site_packages_path);
  write_text(writer, "license", record.license);
  write_text(writer, "license_family", record.license_family);
  write_text(writer, "package_type",
             record.package_type.empty() && !record.noarch.empty() ? "noarch_" + record.noarch
                                                                   : record.package_type);
  if (record.timestamp != 0) {
    writer.key("timestamp");
    writer.integer(record.timestamp);
  }
  write_stored(writer, record, "date");
  if (record.size != 0) {
    writer.key("size");
    writer.integer(static_cast<std::int64_t>(record.size));
  }
}

}  // namespace

void write_record_fields(JsonWriter& writer, const PackageRecord& record) {
  write_identity_fields(writer, record);
  write_metadata_fields(writer, record);
}

void write_unknown_extras(JsonWriter& writer, const PackageRecord& record) {
  for (const JsonField& field : record.extra) {
    if (is_known_extra(field.key)) continue;
    writer.key(field.key);
    writer.raw(field.json);
  }
}

}  // namespace detail

std::string dist_name(const PackageRecord& record) {
  return record.name + "-" + record.version + "-" + record.build;
}

std::string strip_package_extension(std::string_view fn) {
  for (std::string_view extension : {".conda", ".tar.bz2"}) {
    if (base::ends_with(fn, extension))
      return std::string(fn.substr(0, fn.size() - extension.size()));
  }
  return std::string(fn);
}

Result<PackageRecord> parse_package_record(std::string_view json, std::string_view source) {
  PackageRecord record;
  GRAFT_RETURN_IF_ERROR(detail::for_each_field(
      json, source, [&](std::string_view key, simdjson::dom::element value) -> Status {
        GRAFT_ASSIGN_OR_RETURN(const bool known,
                               detail::read_record_field(source, key, value, record));
        if (!known) detail::read_extra_field(key, value, record);
        return ok();
      }));
  detail::finish_record(record);
  return record;
}

std::string write_package_record(const PackageRecord& record) {
  std::string out;
  detail::JsonWriter writer(out);
  writer.begin_object();
  detail::write_record_fields(writer, record);
  write_unknown_extras(writer, record);
  writer.end_object();
  return out;
}

}  // namespace graft::conda
