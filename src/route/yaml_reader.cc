#include "route/yaml_reader.h"

#include <algorithm>
#include <charconv>
#include <set>

#include <fmt/core.h>

#include "base/strings.h"

namespace graft::route {
namespace {

std::string_view kind_name(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Undefined: return "nothing";
  }
  return "nothing";
}

}  // namespace

YamlReader::YamlReader(std::string_view text, std::string_view file_name)
    : text_(text), file_name_(file_name) {}

Result<YAML::Node> YamlReader::load() const {
  try {
    return YAML::Load(std::string(text_));
  } catch (const YAML::Exception& error) {
    return fail(error_at(error.mark, fmt::format("invalid YAML: {}", error.msg)));
  }
}

std::string_view YamlReader::source_line(int line) const {
  std::string_view rest = text_;
  for (int i = 0; i < line; ++i) {
    std::size_t newline = rest.find('\n');
    if (newline == std::string_view::npos) return {};
    rest.remove_prefix(newline + 1);
  }
  std::string_view result = rest.substr(0, rest.find('\n'));
  if (!result.empty() && result.back() == '\r') result.remove_suffix(1);
  return result;
}

Error YamlReader::error_at(const YAML::Mark& mark, std::string_view message) const {
  if (mark.is_null() || mark.line < 0) {
    return Error(ErrorCode::kInvalidArgument, fmt::format("{}: {}", file_name_, message));
  }
  std::string text = fmt::format("{}:{}: {}", file_name_, mark.line + 1, message);
  std::string_view line = source_line(mark.line);
  if (!line.empty()) {
    std::string caret;
    for (int i = 0; i < mark.column && static_cast<std::size_t>(i) < line.size(); ++i) {
      caret += line[static_cast<std::size_t>(i)] == '\t' ? '\t' : ' ';
    }
    text += fmt::format("\n{}\n{}^", line, caret);
  }
  return Error(ErrorCode::kInvalidArgument, std::move(text));
}

Status YamlReader::located(const YAML::Node& node, Status status) const {
  if (status) return status;
  return fail(error_at(node, status.error().message()));
}

Status YamlReader::expect_map(const YAML::Node& node, std::string_view what) const {
  if (node.IsMap()) return ok();
  return fail(error_at(node, fmt::format("{} must be a map, got {}", what, kind_name(node))));
}

Status YamlReader::check_keys(const YAML::Node& map, std::string_view where,
                              const std::vector<std::string>& allowed) const {
  std::set<std::string, std::less<>> seen;
  std::string in = where.empty() ? "" : fmt::format(" in '{}'", where);
  for (const auto& entry : map) {
    // Copies: yaml-cpp's iterator yields a temporary pair of node handles.
    const YAML::Node key = entry.first;
    const YAML::Node value = entry.second;
    if (!key.IsScalar()) return fail(error_at(key, "keys must be plain words"));
    const std::string& name = key.Scalar();
    if (!seen.insert(name).second) {
      return fail(error_at(key, fmt::format("key '{}'{} is given twice", name, in)));
    }
    if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) {
      // A bare "key:" would otherwise be reported at the line after it.
      if (value.IsNull()) {
        return fail(error_at(key, fmt::format("'{}'{} has no value", name, in)));
      }
      continue;
    }
    std::string suggestion = base::closest_match(name, allowed);
    std::string message = fmt::format("unknown key '{}'{}", name, in);
    message += suggestion.empty() ? fmt::format(": expected one of {}", base::join(allowed, ", "))
                                  : fmt::format(", did you mean '{}'?", suggestion);
    return fail(error_at(key, message));
  }
  return ok();
}

Result<std::string> YamlReader::string(const YAML::Node& node, std::string_view what) const {
  if (node.IsScalar()) return node.Scalar();
  return fail(error_at(node, fmt::format("{} must be a string, got {}", what, kind_name(node))));
}

Result<std::uint64_t> YamlReader::unsigned_integer(const YAML::Node& node,
                                                   std::string_view what) const {
  std::string text = node.IsScalar() ? node.Scalar() : std::string(kind_name(node));
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  bool digits_only = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  if (!node.IsScalar() || !digits_only || end != text.data() + text.size()) {
    return fail(
        error_at(node, fmt::format("{} must be a non-negative integer, got {}", what, text)));
  }
  if (error != std::errc()) {
    return fail(error_at(node, fmt::format("{} is too large: {}", what, text)));
  }
  return value;
}

Result<bool> YamlReader::boolean(const YAML::Node& node, std::string_view what) const {
  if (node.IsScalar()) {
    std::string value = base::to_lower(node.Scalar());
    if (value == "true") return true;
    if (value == "false") return false;
  }
  std::string got = node.IsScalar() ? node.Scalar() : std::string(kind_name(node));
  return fail(error_at(node, fmt::format("{} must be true or false, got {}", what, got)));
}

Result<std::chrono::milliseconds> YamlReader::duration(const YAML::Node& node,
                                                       std::string_view what) const {
  GRAFT_ASSIGN_OR_RETURN(std::string text, string(node, what));
  auto parsed = parse_duration(text);
  if (!parsed) return fail(error_at(node, parsed.error().message()));
  return *parsed;
}

Result<Address> YamlReader::address(const YAML::Node& node, std::string_view what,
                                    PortPolicy policy) const {
  if (node.IsSequence() || node.IsMap()) {
    return fail(error_at(node, fmt::format("{} must be host:port, got {}: quote IPv6 "
                                           "addresses, e.g. '[::1]:8080'",
                                           what, kind_name(node))));
  }
  GRAFT_ASSIGN_OR_RETURN(std::string text, string(node, what));
  auto parsed = parse_address(text, policy);
  if (!parsed) return fail(error_at(node, parsed.error().message()));
  return *parsed;
}

}  // namespace graft::route
