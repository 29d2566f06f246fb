#include "conda/prefix_record.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "base/strings.h"
#include "conda/record_json.h"

namespace graft::conda {
namespace {

using detail::field_error;
using detail::JsonWriter;
using simdjson::dom::element;

constexpr std::string_view kAppleDoubleMagic("\x00\x05\x16\x07", 4);
// The fields a lighter read leaves out: nearly all of a big package's record.
const std::vector<std::string_view> kInstallFields = {"files", "paths_data"};
const std::vector<std::string_view> kPathsData = {"paths_data"};

const std::vector<std::string_view>& skipped_fields(PrefixRecordParts parts) {
  static const std::vector<std::string_view> none;
  switch (parts) {
    case PrefixRecordParts::kPackageOnly: return kInstallFields;
    case PrefixRecordParts::kFiles: return kPathsData;
    case PrefixRecordParts::kAll: break;
  }
  return none;
}

std::string base_name(std::string_view path) {
  const std::size_t slash = path.find_last_of("/\\");
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

Status read_optional_uint(std::string_view source, std::string_view key, element value,
                          std::optional<std::uint64_t>& out) {
  out.reset();
  if (value.is_null()) return ok();
  std::uint64_t number = 0;
  if (value.get_uint64().get(number))
    return fail(field_error(source, key, "a non-negative integer"));
  out = number;
  return ok();
}

Status read_path_entry(std::string_view source, element value, PathEntry& entry) {
  simdjson::dom::object object;
  if (value.get_object().get(object))
    return fail(field_error(source, "paths_data", "a list of objects"));
  for (const simdjson::dom::key_value_pair field : object) {
    const std::string_view key = field.key;
    if (key == "_path") {
      GRAFT_RETURN_IF_ERROR(detail::read_string(source, "_path", field.value, entry.path));
    } else if (key == "prefix_placeholder") {
      GRAFT_RETURN_IF_ERROR(
          detail::read_string(source, key, field.value, entry.prefix_placeholder));
    } else if (key == "file_mode") {
      GRAFT_RETURN_IF_ERROR(detail::read_string(source, key, field.value, entry.file_mode));
    } else if (key == "path_type") {
      GRAFT_RETURN_IF_ERROR(detail::read_string(source, key, field.value, entry.path_type));
    } else if (key == "sha256") {
      GRAFT_RETURN_IF_ERROR(detail::read_string(source, key, field.value, entry.sha256));
    } else if (key == "sha256_in_prefix") {
      GRAFT_RETURN_IF_ERROR(detail::read_string(source, key, field.value, entry.sha256_in_prefix));
    } else if (key == "size_in_bytes") {
      GRAFT_RETURN_IF_ERROR(read_optional_uint(source, key, field.value, entry.size_in_bytes));
    } else if (key == "no_link" && !field.value.is_null()) {
      bool flag = false;
      if (field.value.get_bool().get(flag)) return fail(field_error(source, key, "true or false"));
      entry.no_link = flag;
    } else if (key != "no_link") {
      entry.extra.push_back({std::string(key), detail::raw_value(field.value)});
    }
  }
  return ok();
}

Status read_paths_data(std::string_view source, element value, std::optional<PathsData>& out) {
  out.reset();
  if (value.is_null()) return ok();
  simdjson::dom::object object;
  if (value.get_object().get(object)) return fail(field_error(source, "paths_data", "an object"));
  PathsData data;
  for (const simdjson::dom::key_value_pair field : object) {
    if (field.key == "paths_version") {
      GRAFT_RETURN_IF_ERROR(
          detail::read_integer(source, "paths_version", field.value, data.paths_version));
    } else if (field.key == "paths") {
      simdjson::dom::array paths;
      if (field.value.get_array().get(paths))
        return fail(field_error(source, "paths_data", "a list of objects"));
      data.paths.resize(paths.size());
      std::size_t index = 0;
      for (const element path : paths) {
        GRAFT_RETURN_IF_ERROR(read_path_entry(source, path, data.paths[index++]));
      }
    }
  }
  out = std::move(data);
  return ok();
}

// conda's LinkTypeField: 1..4, or a name such as "hardlink", "hard-link", "soft", "copy".
Result<LinkType> parse_link_type(std::string_view source, element value) {
  std::int64_t number = 0;
  if (!value.get_int64().get(number) && number >= 1 && number <= 4) {
    return static_cast<LinkType>(number);
  }
  std::string_view text;
  if (!value.get_string().get(text)) {
    std::string name;
    for (char c : text) {
      if (c != '-' && c != '_')
        name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (name == "hard" || name == "hardlink") return LinkType::kHardLink;
    if (name == "soft" || name == "softlink") return LinkType::kSoftLink;
    if (name == "copy") return LinkType::kCopy;
    if (name == "directory") return LinkType::kDirectory;
  }
  return fail(
      field_error(source, "link", "a link type (1-4, \"hardlink\", \"softlink\", \"copy\")"));
}

Status read_link(std::string_view source, element value, std::optional<Link>& out) {
  out.reset();
  if (value.is_null()) return ok();
  simdjson::dom::object object;
  if (value.get_object().get(object)) return fail(field_error(source, "link", "an object"));
  Link link;
  for (const simdjson::dom::key_value_pair field : object) {
    if (field.key == "source") {
      GRAFT_RETURN_IF_ERROR(detail::read_string(source, "link", field.value, link.source));
    } else if (field.key == "type" && !field.value.is_null()) {
      GRAFT_ASSIGN_OR_RETURN(link.type, parse_link_type(source, field.value));
    }
  }
  out = std::move(link);
  return ok();
}

Status read_requested_specs(std::string_view source, std::string_view key, element value,
                            std::optional<std::vector<std::string>>& out) {
  if (value.is_null()) return ok();
  std::vector<std::string> specs;
  GRAFT_RETURN_IF_ERROR(detail::read_string_list(source, key, value, specs));
  out = std::move(specs);
  return ok();
}

Status read_prefix_field(std::string_view source, std::string_view key, element value,
                         PrefixRecord& record) {
  if (key == "files") return detail::read_string_list(source, key, value, record.files);
  if (key == "paths_data") return read_paths_data(source, value, record.paths_data);
  if (key == "link") return read_link(source, value, record.link);
  if (key == "package_tarball_full_path") {
    return detail::read_string(source, key, value, record.package_tarball_full_path);
  }
  if (key == "extracted_package_dir") {
    return detail::read_string(source, key, value, record.extracted_package_dir);
  }
  if (key == "requested_spec")
    return detail::read_string(source, key, value, record.requested_spec);
  if (key == "requested_specs" || key == "_requested_specs") {
    return read_requested_specs(source, key, value, record.requested_specs);
  }
  GRAFT_ASSIGN_OR_RETURN(const bool known, detail::read_record_field(source, key, value, record));
  if (!known) detail::read_extra_field(key, value, record);
  return ok();
}

void write_path_entry(JsonWriter& writer, const PathEntry& entry) {
  const auto text = [&](std::string_view key, const std::string& value) {
    if (value.empty()) return;
    writer.key(key);
    writer.string(value);
  };
  writer.begin_object();
  writer.key("_path");
  writer.string(entry.path);
  text("prefix_placeholder", entry.prefix_placeholder);
  text("file_mode", entry.file_mode);
  if (entry.no_link) {
    writer.key("no_link");
    writer.boolean(*entry.no_link);
  }
  text("path_type", entry.path_type);
  text("sha256", entry.sha256);
  if (entry.size_in_bytes) {
    writer.key("size_in_bytes");
    writer.integer(static_cast<std::int64_t>(*entry.size_in_bytes));
  }
  const auto inode_paths = std::find_if(entry.extra.begin(), entry.extra.end(),
                                        [](const JsonField& f) { return f.key == "inode_paths"; });
  if (inode_paths != entry.extra.end()) {
    writer.key("inode_paths");
    writer.raw(inode_paths->json);
  }
  text("sha256_in_prefix", entry.sha256_in_prefix);
  for (const JsonField& field : entry.extra) {
    if (field.key == "inode_paths") continue;
    writer.key(field.key);
    writer.raw(field.json);
  }
  writer.end_object();
}

void write_install_fields(JsonWriter& writer, const PrefixRecord& record) {
  if (!record.package_tarball_full_path.empty()) {
    writer.key("package_tarball_full_path");
    writer.string(record.package_tarball_full_path);
  }
  if (!record.extracted_package_dir.empty()) {
    writer.key("extracted_package_dir");
    writer.string(record.extracted_package_dir);
  }
  writer.key("files");
  writer.string_list(record.files);
  if (record.paths_data) {
    writer.key("paths_data");
    writer.begin_object();
    writer.key("paths_version");
    writer.integer(record.paths_data->paths_version);
    writer.key("paths");
    writer.begin_array();
    for (const PathEntry& entry : record.paths_data->paths) write_path_entry(writer, entry);
    writer.end_array();
    writer.end_object();
  }
  if (record.link) {
    writer.key("link");
    writer.begin_object();
    writer.key("source");
    writer.string(record.link->source);
    if (record.link->type) {
      writer.key("type");
      writer.integer(static_cast<std::int64_t>(*record.link->type));
    }
    writer.end_object();
  }
}

}  // namespace

Result<PrefixRecord> parse_prefix_record(std::string_view json, std::string_view source,
                                         PrefixRecordParts parts) {
  if (base::starts_with(base_name(source), "._") || base::starts_with(json, kAppleDoubleMagic)) {
    return fail(
        Error(ErrorCode::kCorrupt,
              std::string(source) + ": macOS metadata file (AppleDouble), not a package record")
            .with_hint("delete it; macOS leaves such files when copying to other filesystems"));
  }
  PrefixRecord record;
  const std::vector<std::string_view>& skipped = skipped_fields(parts);
  const auto on_field = [&](std::string_view key, element value) {
    if (std::find(skipped.begin(), skipped.end(), key) != skipped.end()) {
      return ok();  // an escaped spelling of the key, which the skip below does not match
    }
    return read_prefix_field(source, key, value, record);
  };
  GRAFT_RETURN_IF_ERROR(skipped.empty()
                            ? detail::for_each_field(json, source, on_field)
                            : detail::for_each_field_except(json, source, skipped, on_field));
  if (!record.requested_specs && !record.requested_spec.empty()) {
    record.requested_specs = std::vector<std::string>{record.requested_spec};
  }
  detail::finish_record(record);
  return record;
}

std::string write_prefix_record(const PrefixRecord& record) {
  std::string out;
  out.reserve(1024 + 160 * record.files.size());
  JsonWriter writer(out);
  writer.begin_object();
  detail::write_record_fields(writer, record);
  if (!record.requested_spec.empty()) {
    writer.key("requested_spec");
    writer.string(record.requested_spec);
  }
  // conda's SolvedRecord.dump(): a non-empty _requested_specs moves to the end as
  // "requested_specs"; an empty one stays where it is under its own name.
  if (record.requested_specs && record.requested_specs->empty()) {
    writer.key("_requested_specs");
    writer.string_list({});
  }
  write_install_fields(writer, record);
  if (const JsonField* auth = detail::find_extra(record, "auth")) {
    writer.key("auth");
    writer.raw(auth->json);
  }
  if (record.requested_specs && !record.requested_specs->empty()) {
    writer.key("requested_specs");
    writer.string_list(*record.requested_specs);
  } else if (!record.requested_spec.empty()) {
    writer.key("requested_specs");
    writer.string_list({record.requested_spec});
  }
  detail::write_unknown_extras(writer, record);
  writer.end_object();
  return out;
}

PrefixRecord make_prefix_record(PackageRecord package) {
  PrefixRecord record;
  static_cast<PackageRecord&>(record) = std::move(package);
  detail::finish_record(record);
  return record;
}

std::string prefix_record_file_name(const PackageRecord& record) {
  return dist_name(record) + ".json";
}

bool is_prefix_record_file_name(std::string_view file_name) {
  return base::ends_with(file_name, ".json") && !base::starts_with(file_name, ".");
}

}  // namespace graft::conda
