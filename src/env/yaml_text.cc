#include "env/yaml_text.h"

#include <fmt/core.h>

#include "base/strings.h"

namespace graft::env {

std::string_view yaml_kind(const YAML::Node& node) {
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  if (node.IsScalar()) return "a string";
  return "nothing";
}

Result<YAML::Node> YamlText::load() const {
  try {
    return YAML::Load(std::string(text_));
  } catch (const YAML::Exception& exception) {
    return fail(error_at(exception.mark, "invalid YAML: " + exception.msg));
  }
}

Error YamlText::error_at(const YAML::Mark& mark, std::string_view message) const {
  if (mark.is_null() || mark.line < 0) {
    return Error(ErrorCode::kInvalidArgument, fmt::format("{}: {}", source_, message));
  }
  const auto lines = base::split(text_, '\n');
  const auto index = static_cast<std::size_t>(mark.line);
  std::string located = fmt::format("{}:{}: {}", source_, index + 1, message);
  if (index < lines.size() && !base::trim(lines[index]).empty()) {
    std::string_view line = lines[index];
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const auto column = std::min(static_cast<std::size_t>(std::max(mark.column, 0)), line.size());
    located += fmt::format("\n{}\n{}^", line, std::string(column, ' '));
  }
  return Error(ErrorCode::kInvalidArgument, std::move(located));
}

Result<std::string> YamlText::scalar(const YAML::Node& node, std::string_view what) const {
  if (node.IsScalar()) return node.Scalar();
  return fail(error_at(node, fmt::format("{} must be a string, got {}", what, yaml_kind(node))));
}

Result<std::vector<std::string>> YamlText::scalars(const YAML::Node& node,
                                                   std::string_view what) const {
  std::vector<std::string> values;
  if (!node || node.IsNull()) return values;
  if (!node.IsSequence()) {
    return fail(
        error_at(node, fmt::format("{} must be a list of strings, got {}", what, yaml_kind(node))));
  }
  for (const YAML::Node& item : node) {
    if (!item.IsScalar()) {
      return fail(error_at(
          item, fmt::format("{} must be a list of strings, got {} in it", what, yaml_kind(item))));
    }
    values.push_back(item.Scalar());
  }
  return values;
}

}  // namespace graft::env
