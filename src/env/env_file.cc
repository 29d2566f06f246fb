#include "env/env_file.h"

#include <algorithm>
#include <cctype>

#include <fmt/core.h>

#include "base/strings.h"
#include "base/yaml.h"
#include "conda/match_spec.h"
#include "env/state.h"

namespace graft::env {
namespace {

const std::vector<std::string> kKeys = {"name", "channels", "dependencies", "variables", "prefix"};

// A dependency entry that is a map: `- pip: [...]`.
Status read_installer(const base::YamlReader& yaml, const YAML::Node& entry,
                      EnvironmentFile& file) {
  for (const auto& item : entry) {
    const YAML::Node key = item.first;
    const YAML::Node value = item.second;
    const std::string installer = key.IsScalar() ? key.Scalar() : std::string(base::yaml_kind(key));
    if (installer != "pip") {
      return fail(yaml.error_at(key, fmt::format("unsupported installer '{}' in 'dependencies': "
                                                 "graft installs conda and pip packages",
                                                 installer)));
    }
    GRAFT_ASSIGN_OR_RETURN(auto lines, yaml.strings(value, "'pip'"));
    file.pip.insert(file.pip.end(), lines.begin(), lines.end());
  }
  return ok();
}

Status read_dependencies(const base::YamlReader& yaml, const YAML::Node& node,
                         EnvironmentFile& file) {
  if (!node || node.IsNull()) return ok();
  if (!node.IsSequence()) {
    return fail(yaml.error_at(
        node, fmt::format("'dependencies' must be a list, got {}", base::yaml_kind(node))));
  }
  for (const YAML::Node& entry : node) {
    if (entry.IsMap()) {
      GRAFT_RETURN_IF_ERROR(read_installer(yaml, entry, file));
      continue;
    }
    GRAFT_ASSIGN_OR_RETURN(std::string spec, yaml.string(entry, "a dependency"));
    auto parsed = conda::MatchSpec::parse(spec);
    if (!parsed) return fail(yaml.error_at(entry, parsed.error().message()));
    file.dependencies.push_back(std::move(spec));
  }
  return ok();
}

Status read_variables(const base::YamlReader& yaml, const YAML::Node& node, EnvironmentFile& file) {
  if (!node || node.IsNull()) return ok();
  if (!node.IsMap()) {
    return fail(yaml.error_at(node, fmt::format("'variables' must be a map of names to values, "
                                                "got {}",
                                                base::yaml_kind(node))));
  }
  for (const auto& item : node) {
    GRAFT_ASSIGN_OR_RETURN(std::string name, yaml.string(item.first, "a variable name"));
    if (auto status = check_variable_name(name); !status) {
      return fail(yaml.error_at(item.first, status.error().message()));
    }
    const YAML::Node value = item.second;
    std::string text;
    if (!value.IsNull()) {
      GRAFT_ASSIGN_OR_RETURN(text, yaml.string(value, fmt::format("variable '{}'", name)));
    }
    file.variables.emplace_back(std::move(name), std::move(text));
  }
  return ok();
}

std::string unknown_key_warning(const base::YamlReader& yaml, const YAML::Node& key,
                                const std::string& name) {
  const std::string suggestion = base::closest_match(name, kKeys);
  std::string message = fmt::format("unknown key '{}' is ignored", name);
  message += suggestion.empty() ? fmt::format(": expected one of {}", base::join(kKeys, ", "))
                                : fmt::format(", did you mean '{}'?", suggestion);
  const std::string located = yaml.error_at(key, message).message();
  return located.substr(0, located.find('\n'));
}

Status read_top_level(const base::YamlReader& yaml, const YAML::Node& root, EnvironmentFile& file) {
  for (const auto& item : root) {
    const YAML::Node key = item.first;
    const YAML::Node value = item.second;
    GRAFT_ASSIGN_OR_RETURN(std::string name, yaml.string(key, "a key"));
    if (name == "name" || name == "prefix") {
      std::string text;
      if (!value.IsNull()) {
        GRAFT_ASSIGN_OR_RETURN(text, yaml.string(value, "'" + name + "'"));
      }
      (name == "name" ? file.name : file.prefix) = std::move(text);
    } else if (name == "channels") {
      GRAFT_ASSIGN_OR_RETURN(file.channels, yaml.strings(value, "'channels'"));
    } else if (name == "dependencies") {
      GRAFT_RETURN_IF_ERROR(read_dependencies(yaml, value, file));
    } else if (name == "variables") {
      GRAFT_RETURN_IF_ERROR(read_variables(yaml, value, file));
    } else {
      file.warnings.push_back(unknown_key_warning(yaml, key, name));
    }
  }
  return ok();
}

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

}  // namespace

Result<EnvironmentFile> parse_environment_file(std::string_view text, std::string_view source) {
  const base::YamlReader yaml(text, source);
  GRAFT_ASSIGN_OR_RETURN(YAML::Node root, yaml.load());
  if (!root || root.IsNull()) {
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("'{}' is empty: expected 'name', 'channels' and 'dependencies'", source));
  }
  if (!root.IsMap()) {
    return fail(yaml.error_at(
        root, fmt::format("the file must be a map of keys, got {}", base::yaml_kind(root))));
  }
  EnvironmentFile file;
  GRAFT_RETURN_IF_ERROR(read_top_level(yaml, root, file));
  return file;
}

std::string expand_variables(std::string_view text,
                             const std::map<std::string, std::string>& environment) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '$' || i + 1 == text.size()) {
      out += text[i++];
      continue;
    }
    const bool braced = text[i + 1] == '{';
    const std::size_t start = i + (braced ? 2 : 1);
    std::size_t end = start;
    while (end < text.size() && is_name_char(text[end])) ++end;
    const bool closed = !braced || (end < text.size() && text[end] == '}');
    const auto value = environment.find(std::string(text.substr(start, end - start)));
    if (end == start || !closed || value == environment.end()) {
      out += text[i++];
      continue;
    }
    out += value->second;
    i = end + (braced ? 1 : 0);
  }
  return out;
}

}  // namespace graft::env
