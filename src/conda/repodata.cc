#include "conda/repodata.h"

#include <algorithm>
#include <functional>
#include <unordered_set>
#include <utility>

#include "base/strings.h"
#include "conda/channel.h"
#include "conda/record_json.h"
#include "conda/repodata_scan.h"

namespace graft::conda {
namespace {

using simdjson::dom::element;

constexpr std::size_t kKeepParserBytes = 64U << 20;  // larger documents release the buffers

// Removes "." and ".." segments from a '/'-separated path.
std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> kept;
  for (std::string_view segment : base::split(path, '/')) {
    if (segment == ".") continue;
    if (segment == "..") {
      if (!kept.empty()) kept.pop_back();
      continue;
    }
    kept.push_back(segment);
  }
  std::string out;
  for (std::size_t i = 0; i < kept.size(); ++i) {
    if (i > 0) out += '/';
    out += kept[i];
  }
  if (!path.empty() && path.front() == '/' && (out.empty() || out.front() != '/'))
    out.insert(0, "/");
  return out;
}

Status parse_section(std::string_view display, element section, std::vector<PackageRecord>& out) {
  simdjson::dom::object packages;
  if (section.is_null()) return ok();
  if (section.get_object().get(packages)) {
    return fail(ErrorCode::kCorrupt, std::string(display) + ": package lists must be JSON objects");
  }
  out.reserve(out.size() + packages.size());
  for (const simdjson::dom::key_value_pair package : packages) {
    simdjson::dom::object fields;
    if (package.value.get_object().get(fields)) {
      return fail(ErrorCode::kCorrupt, std::string(display) + ": package '" +
                                           std::string(package.key) + "': expected a JSON object");
    }
    PackageRecord& record = out.emplace_back();
    for (const simdjson::dom::key_value_pair field : fields) {
      auto known = detail::read_record_field(display, field.key, field.value, record);
      if (!known) {
        return fail(ErrorCode::kCorrupt, std::string(display) + ": package '" +
                                             std::string(package.key) + "'" +
                                             known.error().message().substr(display.size()));
      }
      if (!*known) detail::read_extra_field(field.key, field.value, record);
    }
    record.fn = package.key;
  }
  return ok();
}

Status parse_info(std::string_view display, element info, Repodata& repodata) {
  simdjson::dom::object object;
  if (info.get_object().get(object)) {
    return fail(ErrorCode::kCorrupt, std::string(display) + ": 'info' must be a JSON object");
  }
  for (const simdjson::dom::key_value_pair field : object) {
    if (field.key == "subdir") {
      GRAFT_RETURN_IF_ERROR(
          detail::read_string(display, "info.subdir", field.value, repodata.subdir));
    } else if (field.key == "base_url") {
      GRAFT_RETURN_IF_ERROR(
          detail::read_string(display, "info.base_url", field.value, repodata.base_url));
    }
  }
  return ok();
}

void drop_tar_bz2_twins(std::vector<PackageRecord>& records) {
  std::unordered_set<std::string> conda_names;
  for (const PackageRecord& record : records) {
    if (base::ends_with(record.fn, ".conda"))
      conda_names.insert(strip_package_extension(record.fn));
  }
  if (conda_names.empty()) return;
  std::erase_if(records, [&](const PackageRecord& record) {
    return base::ends_with(record.fn, ".tar.bz2") &&
           conda_names.contains(strip_package_extension(record.fn));
  });
}

Status parse_document(std::string_view display, element root, Repodata& repodata) {
  simdjson::dom::object object;
  if (root.get_object().get(object)) {
    return fail(ErrorCode::kCorrupt, std::string(display) + ": expected a JSON object");
  }
  element info;
  if (!object["info"].get(info)) GRAFT_RETURN_IF_ERROR(parse_info(display, info, repodata));
  element version;
  if (!object["repodata_version"].get(version)) {
    GRAFT_RETURN_IF_ERROR(
        detail::read_integer(display, "repodata_version", version, repodata.repodata_version));
  }
  for (const char* name : {"packages", "packages.conda"}) {
    element section;
    if (object[name].get(section)) continue;
    GRAFT_RETURN_IF_ERROR(parse_section(display, section, repodata.records));
  }
  element removed;
  if (!object["removed"].get(removed)) {
    GRAFT_RETURN_IF_ERROR(detail::read_string_list(display, "removed", removed, repodata.removed));
  }
  return ok();
}

}  // namespace

std::string resolve_package_url(std::string_view subdir_url, std::string_view base_url,
                                std::string_view fn) {
  std::string base;
  const std::size_t scheme_end = subdir_url.find("://");
  if (base_url.empty()) {
    base = std::string(subdir_url);
  } else if (base_url.find("://") != std::string_view::npos) {
    base = std::string(base_url);
  } else if (scheme_end == std::string_view::npos) {
    base = normalize_path(std::string(subdir_url) + "/" + std::string(base_url));
  } else {
    // Relative to the subdir URL: keep scheme://authority, resolve the path.
    const std::size_t path_start =
        std::min(subdir_url.find('/', scheme_end + 3), subdir_url.size());
    const std::string_view authority = subdir_url.substr(0, path_start);
    const std::string path = base_url.front() == '/' ? std::string(base_url)
                                                     : std::string(subdir_url.substr(path_start)) +
                                                           "/" + std::string(base_url);
    base = std::string(authority) + normalize_path(path);
  }
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/" + std::string(fn);
}

namespace detail {

Status parse_repodata_dom(std::string_view json, std::string_view display, Repodata& out) {
  thread_local simdjson::dom::parser parser;
  element root;
  if (auto error = parser.parse(json.data(), json.size(), true).get(root)) {
    return fail(json_syntax_error(display, json, error));
  }
  Status status = parse_document(display, root, out);
  if (json.size() > kKeepParserBytes) parser = simdjson::dom::parser{};
  return status;
}

RecordDefaults record_defaults(const RepodataSource& source, const Repodata& repodata) {
  const std::string_view base_url =
      repodata.repodata_version < 2 ? std::string_view() : std::string_view(repodata.base_url);
  return {.url_prefix = resolve_package_url(source.subdir_url, base_url, ""),
          .channel = source.channel.empty() ? strip_url_token(source.subdir_url) : source.channel,
          .subdir = repodata.subdir};
}

void apply_record_defaults(const RecordDefaults& defaults, PackageRecord& record) {
  if (record.subdir.empty()) record.subdir = defaults.subdir;
  record.url.clear();
  record.url.reserve(defaults.url_prefix.size() + record.fn.size());
  record.url.append(defaults.url_prefix).append(record.fn);
  record.channel = defaults.channel;
  finish_record(record);
}

}  // namespace detail

Result<Repodata> parse_repodata(std::string_view json, const RepodataSource& source) {
  const std::string display =
      source.display_name.empty() ? source.subdir_url + "/repodata.json" : source.display_name;
  Repodata repodata;
  if (!detail::scan_repodata(json, source, display, repodata)) {
    repodata = Repodata{};
    GRAFT_RETURN_IF_ERROR(detail::parse_repodata_dom(json, display, repodata));
    const detail::RecordDefaults defaults = detail::record_defaults(source, repodata);
    for (PackageRecord& record : repodata.records) detail::apply_record_defaults(defaults, record);
  }
  if (repodata.repodata_version < 2) repodata.base_url.clear();
  if (source.duplicates == DuplicateArchives::kPreferConda) drop_tar_bz2_twins(repodata.records);
  return repodata;
}

namespace {

using FieldEmitter = std::pair<std::string_view, std::function<void()>>;

std::vector<FieldEmitter> repodata_fields(detail::JsonWriter& writer, const PackageRecord& record) {
  std::vector<FieldEmitter> fields;
  const auto text = [&](std::string_view key, const std::string& value) {
    if (!value.empty()) fields.emplace_back(key, [&writer, &value] { writer.string(value); });
  };
  text("build", record.build);
  fields.emplace_back("build_number", [&] { writer.integer(record.build_number); });
  if (!record.constrains.empty()) {
    fields.emplace_back("constrains", [&] { writer.string_list(record.constrains); });
  }
  fields.emplace_back("depends", [&] { writer.string_list(record.depends); });
  text("features", record.features);
  text("license", record.license);
  text("license_family", record.license_family);
  text("md5", record.md5);
  text("name", record.name);
  text("noarch", record.noarch);
  if (!record.package_type.empty() && record.package_type != "noarch_" + record.noarch) {
    text("package_type", record.package_type);
  }
  text("python_site_packages_path", record.python_site_packages_path);
  text("sha256", record.sha256);
  if (record.size != 0) {
    fields.emplace_back("size", [&] { writer.integer(static_cast<std::int64_t>(record.size)); });
  }
  text("subdir", record.subdir);
  if (record.timestamp != 0)
    fields.emplace_back("timestamp", [&] { writer.integer(record.timestamp); });
  if (!record.track_features.empty()) {
    fields.emplace_back("track_features",
                        [&] { writer.string(base::join(record.track_features, " ")); });
  }
  text("version", record.version);
  for (const JsonField& field : record.extra) {
    fields.emplace_back(field.key,
                        [&writer, &field] { writer.raw(field.json, detail::SortKeys::kYes); });
  }
  std::stable_sort(fields.begin(), fields.end(),
                   [](const FieldEmitter& a, const FieldEmitter& b) { return a.first < b.first; });
  return fields;
}

void write_section(detail::JsonWriter& writer, std::vector<const PackageRecord*> records) {
  std::sort(records.begin(), records.end(),
            [](const PackageRecord* a, const PackageRecord* b) { return a->fn < b->fn; });
  writer.begin_object();
  for (const PackageRecord* record : records) {
    writer.key(record->fn);
    writer.begin_object();
    for (const auto& [key, emit] : repodata_fields(writer, *record)) {
      writer.key(key);
      emit();
    }
    writer.end_object();
  }
  writer.end_object();
}

}  // namespace

std::string write_repodata(const RepodataIndex& index) {
  std::vector<const PackageRecord*> tar_bz2;
  std::vector<const PackageRecord*> conda;
  for (const PackageRecord& record : index.records) {
    (base::ends_with(record.fn, ".conda") ? conda : tar_bz2).push_back(&record);
  }
  std::vector<std::string> removed = index.removed;
  std::sort(removed.begin(), removed.end());
  std::string out;
  detail::JsonWriter writer(out);
  writer.begin_object();
  writer.key("info");
  writer.begin_object();
  writer.key("subdir");
  writer.string(index.subdir);
  writer.end_object();
  writer.key("packages");
  write_section(writer, std::move(tar_bz2));
  writer.key("packages.conda");
  write_section(writer, std::move(conda));
  writer.key("removed");
  writer.string_list(removed);
  writer.key("repodata_version");
  writer.integer(index.repodata_version);
  writer.end_object();
  out += '\n';
  return out;
}

}  // namespace graft::conda
