#include "env/condarc.h"

#include <fmt/core.h>

#include "base/strings.h"
#include "base/yaml.h"

namespace graft::env {
namespace {

using base::YamlReader;

// A list of non-empty strings; a single string is refused as conda refuses it.
Result<std::vector<std::string>> string_list(const YamlReader& reader, const YAML::Node& node,
                                             const std::string& key) {
  const std::string what = "'" + key + "'";
  auto list = reader.strings(node, what);
  if (!list) {
    Error error = std::move(list).error();
    if (node.IsScalar())
      error.with_hint(
          fmt::format("write a list: '{}: [{}]'", key, base::abbreviate(node.Scalar(), 60)));
    return fail(std::move(error));
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    if (base::trim((*list)[i]).empty()) {
      return fail(reader.error_at(node[i], fmt::format("{} must not hold an empty string", what)));
    }
  }
  return list;
}

Result<std::string> url(const YamlReader& reader, const YAML::Node& node, const std::string& what) {
  GRAFT_ASSIGN_OR_RETURN(std::string text, reader.string(node, what));
  const std::size_t scheme = text.find("://");
  if (scheme == std::string::npos || scheme == 0 || scheme + 3 == text.size()) {
    return fail(reader.error_at(
        node, fmt::format("{} must be a URL such as https://conda.anaconda.org, got '{}'", what,
                          base::abbreviate(text))));
  }
  return text;
}

Status read_custom_channels(const YamlReader& reader, const YAML::Node& node, Condarc& rc) {
  GRAFT_RETURN_IF_ERROR(reader.expect_map(node, "'custom_channels'"));
  for (const auto& entry : node) {
    const YAML::Node key = entry.first;
    const YAML::Node value = entry.second;
    GRAFT_ASSIGN_OR_RETURN(std::string name, reader.string(key, "a custom channel's name"));
    GRAFT_ASSIGN_OR_RETURN(rc.custom_channels[name],
                           url(reader, value, fmt::format("custom channel '{}'", name)));
  }
  return ok();
}

Status read_lists(const YamlReader& reader, const YAML::Node& root, Condarc& rc) {
  const std::pair<const char*, std::optional<std::vector<std::string>>*> lists[] = {
      {"channels", &rc.channels},
      {"default_channels", &rc.default_channels},
      {"pkgs_dirs", &rc.pkgs_dirs},
      {"envs_dirs", &rc.envs_dirs}};
  for (const auto& [key, field] : lists) {
    const YAML::Node node = root[key];
    if (!node || node.IsNull()) continue;
    GRAFT_ASSIGN_OR_RETURN(*field, string_list(reader, node, key));
  }
  return ok();
}

Status read_flags(const YamlReader& reader, const YAML::Node& root, Condarc& rc) {
  const std::pair<const char*, std::optional<bool>*> flags[] = {
      {"always_copy", &rc.always_copy},
      {"allow_softlinks", &rc.allow_softlinks},
      {"offline", &rc.offline}};
  for (const auto& [key, field] : flags) {
    const YAML::Node node = root[key];
    if (!node || node.IsNull()) continue;
    GRAFT_ASSIGN_OR_RETURN(*field, reader.boolean(node, fmt::format("'{}'", key)));
  }
  return ok();
}

Status read_condarc(const YamlReader& reader, const YAML::Node& root, Condarc& rc) {
  GRAFT_RETURN_IF_ERROR(read_lists(reader, root, rc));
  GRAFT_RETURN_IF_ERROR(read_flags(reader, root, rc));
  if (const YAML::Node node = root["channel_alias"]; node && !node.IsNull()) {
    GRAFT_ASSIGN_OR_RETURN(rc.channel_alias, url(reader, node, "'channel_alias'"));
  }
  if (const YAML::Node node = root["custom_channels"]; node && !node.IsNull()) {
    GRAFT_RETURN_IF_ERROR(read_custom_channels(reader, node, rc));
  }
  if (const YAML::Node node = root["channel_priority"]; node && !node.IsNull()) {
    GRAFT_ASSIGN_OR_RETURN(std::string text, reader.string(node, "'channel_priority'"));
    auto priority = parse_channel_priority(text, "'channel_priority'");
    if (!priority) return fail(reader.error_at(node, priority.error().message()));
    rc.channel_priority = *priority;
  }
  return ok();
}

}  // namespace

Result<solve::ChannelPriority> parse_channel_priority(const std::string& value,
                                                      const std::string& where) {
  if (value == "strict") return solve::ChannelPriority::kStrict;
  if (value == "flexible" || value == "true") return solve::ChannelPriority::kFlexible;
  if (value == "disabled" || value == "false") return solve::ChannelPriority::kDisabled;
  return fail(ErrorCode::kInvalidArgument,
              fmt::format("{} must be 'strict', 'flexible' or 'disabled', got '{}'", where,
                          base::abbreviate(value)));
}

Result<Condarc> parse_condarc(std::string_view text, std::string_view source) {
  const YamlReader reader(text, source);
  GRAFT_ASSIGN_OR_RETURN(YAML::Node root, reader.load());
  Condarc rc;
  if (!root || root.IsNull()) return rc;
  if (!root.IsMap()) {
    return fail(reader.error_at(
        root, fmt::format("a condarc must be a map of keys, got {}", base::yaml_kind(root))));
  }
  try {
    GRAFT_RETURN_IF_ERROR(read_condarc(reader, root, rc));
  } catch (const YAML::Exception& exception) {
    return fail(reader.error_at(exception.mark, "invalid YAML: " + exception.msg));
  }
  return rc;
}

}  // namespace graft::env
