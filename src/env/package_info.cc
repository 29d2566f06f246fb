#include "env/package_info.h"

#include <system_error>

#include <simdjson.h>

#include "base/fs.h"
#include "base/strings.h"
#include "env/prefix_fs.h"

namespace graft::env {
namespace fs = std::filesystem;
namespace {

Error corrupt(const fs::path& file, std::string_view cause) {
  return Error(ErrorCode::kCorrupt, "'" + file.string() + "': " + std::string(cause));
}

Result<simdjson::dom::element> parse_json(simdjson::dom::parser& parser, const fs::path& file,
                                          const std::string& text) {
  simdjson::dom::element root;
  if (auto error = parser.parse(text).get(root); error) {
    return fail(corrupt(file, std::string("invalid JSON: ") + simdjson::error_message(error)));
  }
  return root;
}

// A placeholder is an absolute path with a named component ("/opt/anaconda1anaconda2anaconda3");
// "/" or a relative one can not be replaced meaningfully (it would match every path).
Status check_placeholder(const fs::path& file, std::string_view path,
                         std::string_view placeholder) {
  const bool absolute = !placeholder.empty() && placeholder.front() == '/';
  if (absolute && placeholder.find_first_not_of('/') != std::string_view::npos &&
      placeholder.find('\0') == std::string_view::npos) {
    return ok();
  }
  return fail(Error(ErrorCode::kCorrupt, "'" + file.string() + "': '" + std::string(path) +
                                             "' has prefix placeholder '" +
                                             std::string(placeholder) +
                                             "', which cannot be replaced: a placeholder is an "
                                             "absolute path such as '" +
                                             std::string(kDefaultPlaceholder) + "'")
                  .with_hint("the package was built wrongly: rebuild it with its build prefix "
                             "as the placeholder"));
}

Result<PackagePath> read_path_entry(simdjson::dom::object entry, const fs::path& file) {
  PackagePath path;
  std::string_view text;
  if (entry["_path"].get_string().get(text)) return fail(corrupt(file, "an entry has no '_path'"));
  path.path = std::string(text);
  if (auto status = check_prefix_path(path.path); !status) {
    return fail(corrupt(file, status.error().message()));
  }
  std::string_view type = "hardlink";
  if (entry["path_type"].get_string().get(type)) type = "hardlink";
  if (type == "softlink") {
    path.type = PathType::kSoftLink;
  } else if (type == "directory") {
    path.type = PathType::kDirectory;
  } else if (type != "hardlink") {
    return fail(corrupt(file, "'" + path.path + "' has unknown path_type '" +
                                  std::string(type) + "'"));
  }
  if (!entry["sha256"].get_string().get(text)) path.sha256 = std::string(text);
  std::uint64_t size = 0;
  if (!entry["size_in_bytes"].get_uint64().get(size)) {
    path.size = size;
    path.has_size = true;
  }
  if (!entry["prefix_placeholder"].get_string().get(text)) {
    path.prefix_placeholder = std::string(text);
    if (!text.empty()) GRAFT_RETURN_IF_ERROR(check_placeholder(file, path.path, text));
  }
  if (!entry["file_mode"].get_string().get(text) && text == "binary") {
    path.file_mode = FileMode::kBinary;
  }
  bool no_link = false;
  if (!entry["no_link"].get_bool().get(no_link)) path.no_link = no_link;
  return path;
}

Result<std::vector<PackagePath>> read_paths_json(const fs::path& file, const std::string& text) {
  simdjson::dom::parser parser;
  GRAFT_ASSIGN_OR_RETURN(simdjson::dom::element root, parse_json(parser, file, text));
  simdjson::dom::array entries;
  if (root["paths"].get_array().get(entries)) {
    return fail(corrupt(file, "expected an object with a 'paths' list"));
  }
  std::vector<PackagePath> paths;
  paths.reserve(entries.size());
  for (simdjson::dom::element element : entries) {
    simdjson::dom::object entry;
    if (element.get_object().get(entry)) return fail(corrupt(file, "a path entry is not an object"));
    GRAFT_ASSIGN_OR_RETURN(PackagePath path, read_path_entry(entry, file));
    paths.push_back(std::move(path));
  }
  return paths;
}

// has_prefix lines: "<placeholder> <mode> <path>" or just "<path>".
Status apply_has_prefix(const fs::path& file, std::string_view text,
                        std::vector<PackagePath>& paths) {
  for (std::string_view raw : base::split(text, '\n')) {
    const std::string_view line = base::trim(raw);
    if (line.empty()) continue;
    std::vector<std::string_view> words = base::split(line, ' ');
    std::string placeholder(kDefaultPlaceholder);
    FileMode mode = FileMode::kText;
    std::string_view target = line;
    if (words.size() >= 3) {
      placeholder = std::string(base::trim(words[0]));
      mode = base::trim(words[1]) == "binary" ? FileMode::kBinary : FileMode::kText;
      target = line.substr(words[0].size() + words[1].size() + 2);
    }
    if (auto status = check_prefix_path(base::trim(target)); !status) {
      return fail(corrupt(file, status.error().message()));
    }
    GRAFT_RETURN_IF_ERROR(check_placeholder(file, base::trim(target), placeholder));
    for (PackagePath& path : paths) {
      if (path.path == base::trim(target)) {
        path.prefix_placeholder = placeholder;
        path.file_mode = mode;
      }
    }
  }
  return ok();
}

Result<std::vector<PackagePath>> read_legacy_manifest(const fs::path& directory) {
  const fs::path info = directory / "info";
  GRAFT_ASSIGN_OR_RETURN(std::string files, base::read_file(info / "files"));
  std::vector<PackagePath> paths;
  for (std::string_view raw : base::split(files, '\n')) {
    const std::string_view line = base::trim(raw);
    if (line.empty()) continue;
    PackagePath path;
    path.path = std::string(line);
    if (auto status = check_prefix_path(path.path); !status) {
      return fail(corrupt(info / "files", status.error().message()));
    }
    std::error_code error;
    if (fs::is_symlink(fs::symlink_status(directory / path.path, error))) {
      path.type = PathType::kSoftLink;
    }
    paths.push_back(std::move(path));
  }
  if (auto has_prefix = base::read_file(info / "has_prefix")) {
    GRAFT_RETURN_IF_ERROR(apply_has_prefix(info / "has_prefix", *has_prefix, paths));
  }
  if (auto no_link = base::read_file(info / "no_link")) {
    for (std::string_view raw : base::split(*no_link, '\n')) {
      for (PackagePath& path : paths) {
        if (path.path == base::trim(raw)) path.no_link = true;
      }
    }
  }
  return paths;
}

Status read_link_json(const fs::path& file, PackageInfo& info) {
  auto text = base::read_file(file);
  if (!text) {
    return text.error().code() == ErrorCode::kNotFound ? ok() : Status(fail(text.error()));
  }
  simdjson::dom::parser parser;
  GRAFT_ASSIGN_OR_RETURN(simdjson::dom::element root, parse_json(parser, file, *text));
  simdjson::dom::object noarch;
  if (root["noarch"].get_object().get(noarch)) return ok();
  std::string_view type;
  if (!noarch["type"].get_string().get(type)) {
    info.noarch = std::string(type);
    info.link_noarch = info.noarch;
  }
  simdjson::dom::array entry_points;
  if (noarch["entry_points"].get_array().get(entry_points)) return ok();
  for (simdjson::dom::element element : entry_points) {
    std::string_view definition;
    if (element.get_string().get(definition)) {
      return fail(corrupt(file, "noarch.entry_points must be a list of strings"));
    }
    info.entry_points.emplace_back(definition);
  }
  return ok();
}

Result<conda::PackageRecord> read_record(const fs::path& info) {
  for (const char* name : {"repodata_record.json", "index.json"}) {
    auto text = base::read_file(info / name);
    if (!text) {
      if (text.error().code() == ErrorCode::kNotFound) continue;
      return fail(text.error());
    }
    return conda::parse_package_record(*text, (info / name).string());
  }
  return fail(ErrorCode::kNotFound, "'" + info.parent_path().string() +
                                        "' is not an extracted package: it has no "
                                        "info/repodata_record.json or info/index.json");
}

}  // namespace

std::string_view path_type_name(PathType type) {
  switch (type) {
    case PathType::kHardLink: return "hardlink";
    case PathType::kSoftLink: return "softlink";
    case PathType::kDirectory: return "directory";
  }
  return "hardlink";
}

Result<PackageInfo> read_package_info(const fs::path& directory) {
  PackageInfo info;
  info.directory = directory;
  const fs::path meta = directory / "info";
  GRAFT_ASSIGN_OR_RETURN(info.record, read_record(meta));
  auto paths_json = base::read_file(meta / "paths.json");
  if (paths_json) {
    GRAFT_ASSIGN_OR_RETURN(info.paths, read_paths_json(meta / "paths.json", *paths_json));
  } else if (paths_json.error().code() == ErrorCode::kNotFound) {
    GRAFT_ASSIGN_OR_RETURN(info.paths, read_legacy_manifest(directory));
  } else {
    return fail(paths_json.error());
  }
  GRAFT_RETURN_IF_ERROR(read_link_json(meta / "link.json", info));
  if (info.noarch.empty()) info.noarch = info.record.noarch;
  return info;
}

}  // namespace graft::env
