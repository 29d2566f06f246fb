#include "env/conda_lock.h"

#include <algorithm>
#include <set>
#include <utility>

#include <fmt/core.h>

#include "base/strings.h"
#include "base/yaml.h"
#include "env/explicit_file.h"

namespace graft::env {
namespace {

Status check_version(const base::YamlReader& yaml, const YAML::Node& root) {
  const YAML::Node version = root["version"];
  if (!version) {
    return fail(yaml.error_at(root,
                              "no 'version' key: not a conda-lock file (graft reads "
                              "conda-lock version 1)"));
  }
  GRAFT_ASSIGN_OR_RETURN(std::string text, yaml.string(version, "'version'"));
  if (text != "1") {
    return fail(yaml.error_at(version, fmt::format("unsupported lock file version '{}': graft "
                                                   "reads conda-lock version 1",
                                                   text)));
  }
  return ok();
}

Status read_metadata(const base::YamlReader& yaml, const YAML::Node& metadata, CondaLock& lock) {
  if (!metadata || metadata.IsNull()) return ok();
  if (!metadata.IsMap()) {
    return fail(yaml.error_at(
        metadata, fmt::format("'metadata' must be a map, got {}", base::yaml_kind(metadata))));
  }
  GRAFT_ASSIGN_OR_RETURN(lock.platforms, yaml.strings(metadata["platforms"], "'platforms'"));
  const YAML::Node channels = metadata["channels"];
  if (!channels || channels.IsNull()) return ok();
  if (!channels.IsSequence()) {
    return fail(yaml.error_at(channels, "'channels' must be a list of {url: ...} maps"));
  }
  for (const YAML::Node& channel : channels) {
    const YAML::Node url = channel.IsMap() ? channel["url"] : channel;
    GRAFT_ASSIGN_OR_RETURN(std::string value, yaml.string(url, "a channel's 'url'"));
    lock.channels.push_back(std::move(value));
  }
  return ok();
}

// A required scalar field of package entry `entry`.
Result<std::string> field(const base::YamlReader& yaml, const YAML::Node& entry,
                          const std::string& label, const char* key) {
  const YAML::Node value = entry[key];
  if (!value || value.IsNull()) {
    return fail(yaml.error_at(entry, fmt::format("package '{}' has no '{}'", label, key)));
  }
  return yaml.string(value, fmt::format("'{}' of package '{}'", key, label));
}

Status read_hash(const base::YamlReader& yaml, const YAML::Node& entry, LockedPackage& package) {
  const YAML::Node hash = entry["hash"];
  if (!hash || hash.IsNull()) {
    return fail(yaml.error_at(entry, fmt::format("package '{}' has no 'hash'", package.name)));
  }
  if (!hash.IsMap() || (!hash["md5"] && !hash["sha256"])) {
    return fail(yaml.error_at(
        hash, fmt::format("package '{}' has a hash without md5 or sha256", package.name)));
  }
  if (hash["md5"]) {
    GRAFT_ASSIGN_OR_RETURN(package.md5, yaml.string(hash["md5"], "'md5'"));
  }
  if (hash["sha256"]) {
    GRAFT_ASSIGN_OR_RETURN(package.sha256, yaml.string(hash["sha256"], "'sha256'"));
  }
  return ok();
}

Status read_dependencies(const base::YamlReader& yaml, const YAML::Node& node,
                         LockedPackage& package) {
  if (!node || node.IsNull()) return ok();
  if (!node.IsMap()) {
    return fail(yaml.error_at(
        node, fmt::format("'dependencies' of package '{}' must be a map", package.name)));
  }
  for (const auto& item : node) {
    GRAFT_ASSIGN_OR_RETURN(std::string name, yaml.string(item.first, "a dependency name"));
    std::string spec = item.second.IsNull() ? std::string() : item.second.as<std::string>("");
    package.depends.push_back(spec.empty() ? name : name + " " + spec);
  }
  return ok();
}

Result<LockedPackage> read_package(const base::YamlReader& yaml, const YAML::Node& entry) {
  if (!entry.IsMap()) return fail(yaml.error_at(entry, "a package must be a map"));
  LockedPackage package;
  const std::string label =
      entry["name"] && entry["name"].IsScalar() ? entry["name"].Scalar() : "?";
  GRAFT_ASSIGN_OR_RETURN(package.name, field(yaml, entry, label, "name"));
  GRAFT_ASSIGN_OR_RETURN(package.version, field(yaml, entry, label, "version"));
  GRAFT_ASSIGN_OR_RETURN(std::string manager, field(yaml, entry, label, "manager"));
  if (manager != "conda" && manager != "pip") {
    return fail(yaml.error_at(entry["manager"],
                              fmt::format("package '{}' has manager '{}': expected 'conda' or "
                                          "'pip'",
                                          label, manager)));
  }
  package.manager = manager == "pip" ? LockManager::kPip : LockManager::kConda;
  GRAFT_ASSIGN_OR_RETURN(package.platform, field(yaml, entry, label, "platform"));
  GRAFT_ASSIGN_OR_RETURN(package.url, field(yaml, entry, label, "url"));
  GRAFT_RETURN_IF_ERROR(read_hash(yaml, entry, package));
  GRAFT_RETURN_IF_ERROR(read_dependencies(yaml, entry["dependencies"], package));
  if (entry["category"]) {
    GRAFT_ASSIGN_OR_RETURN(package.category, field(yaml, entry, label, "category"));
  }
  if (entry["optional"]) package.optional = entry["optional"].as<std::string>("") == "true";
  return package;
}

}  // namespace

bool looks_like_conda_lock(std::string_view text) {
  for (std::string_view line : base::split(text, '\n')) {
    if (base::starts_with(line, "version:")) return true;
  }
  return false;
}

Result<CondaLock> parse_conda_lock(std::string_view text, std::string_view source) {
  const base::YamlReader yaml(text, source);
  GRAFT_ASSIGN_OR_RETURN(const YAML::Node root, yaml.load());
  if (!root.IsMap()) {
    return fail(yaml.error_at(
        root, fmt::format("a conda-lock file must be a map, got {}", base::yaml_kind(root))));
  }
  GRAFT_RETURN_IF_ERROR(check_version(yaml, root));
  CondaLock lock;
  GRAFT_RETURN_IF_ERROR(read_metadata(yaml, root["metadata"], lock));
  const YAML::Node packages = root["package"];
  if (!packages || packages.IsNull()) return lock;
  if (!packages.IsSequence()) {
    return fail(yaml.error_at(
        packages, fmt::format("'package' must be a list, got {}", base::yaml_kind(packages))));
  }
  for (const YAML::Node& entry : packages) {
    GRAFT_ASSIGN_OR_RETURN(LockedPackage package, read_package(yaml, entry));
    lock.packages.push_back(std::move(package));
  }
  return lock;
}

std::vector<LockedPackage> select_packages(const CondaLock& lock, std::string_view platform,
                                           const std::vector<std::string>& categories) {
  std::vector<LockedPackage> selected;
  std::set<std::pair<LockManager, std::string>> seen;
  for (const LockedPackage& package : lock.packages) {
    if (package.platform != platform) continue;
    if (std::find(categories.begin(), categories.end(), package.category) == categories.end()) {
      continue;
    }
    if (!seen.emplace(package.manager, package.name).second) continue;
    selected.push_back(package);
  }
  return selected;
}

Result<conda::PackageRecord> locked_record(const LockedPackage& package) {
  GRAFT_ASSIGN_OR_RETURN(conda::PackageRecord record, record_from_url(package.url));
  record.name = package.name;
  record.version = package.version;
  record.md5 = package.md5;
  record.sha256 = package.sha256;
  record.depends = package.depends;
  return record;
}

}  // namespace graft::env
