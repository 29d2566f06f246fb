#include "base/yaml.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include <fmt/core.h>

#include "base/strings.h"

namespace graft::base {
namespace {

bool looks_like_number(std::string_view text) {
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) text.remove_prefix(1);
  if (text.empty()) return false;
  const bool digits = text.find_first_not_of("0123456789._eE+-") == std::string_view::npos;
  return digits && std::isdigit(static_cast<unsigned char>(text.front())) != 0;
}

// The line shown under a located message: at most kMessageQuoteLimit characters around
// `column`, and the caret's column within what is shown.
struct ShownLine {
  std::string text;
  std::size_t caret = 0;
};

ShownLine shown_line(std::string_view line, std::size_t column) {
  column = std::min(column, line.size());
  const std::size_t half = kMessageQuoteLimit / 2;
  std::size_t start = line.size() > kMessageQuoteLimit && column > half ? column - half : 0;
  // Start at a whole UTF-8 character (not on a 10xxxxxx continuation byte).
  while (start > 0 && start < column && (static_cast<unsigned char>(line[start]) & 0xC0) == 0x80) {
    ++start;
  }
  const std::string ellipsis = start > 0 ? "..." : "";
  return {ellipsis + abbreviate(line.substr(start)), column - start + ellipsis.size()};
}

}  // namespace

std::string_view yaml_kind(const YAML::Node& node) {
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  if (node.IsScalar()) {
    // A plain (unquoted) scalar's tag is "?"; '5' in quotes is a string.
    const bool plain = node.Tag() == "?";
    return plain && looks_like_number(node.Scalar()) ? "a number" : "a string";
  }
  return "nothing";
}

YamlReader::YamlReader(std::string_view text, std::string_view source)
    : text_(text), source_(source) {}

Status YamlReader::check_size() const {
  if (text_.size() > kMaxYamlBytes) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: the file is {} bytes long, the limit is {}", source_, text_.size(),
                            kMaxYamlBytes));
  }
  std::size_t start = 0;
  for (int line = 0; start < text_.size(); ++line) {
    const std::size_t end = std::min(text_.find('\n', start), text_.size());
    if (end - start > kMaxYamlLineBytes) {
      YAML::Mark mark;
      mark.line = line;
      return fail(error_at(mark, fmt::format("the line is {} bytes long, the limit is {}",
                                             end - start, kMaxYamlLineBytes)));
    }
    start = end + 1;
  }
  return ok();
}

Result<YAML::Node> YamlReader::load() const {
  GRAFT_RETURN_IF_ERROR(check_size());
  try {
    return YAML::Load(std::string(text_));
  } catch (const YAML::Exception& exception) {
    return fail(error_at(exception.mark, "invalid YAML: " + exception.msg));
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
    return Error(ErrorCode::kInvalidArgument, fmt::format("{}: {}", source_, message));
  }
  std::string located = fmt::format("{}:{}: {}", source_, mark.line + 1, message);
  const std::string_view line = source_line(mark.line);
  if (!trim(line).empty()) {
    const ShownLine shown = shown_line(line, static_cast<std::size_t>(std::max(mark.column, 0)));
    std::string caret;
    for (std::size_t i = 0; i < shown.caret && i < shown.text.size(); ++i)
      caret += shown.text[i] == '\t' ? '\t' : ' ';
    located += fmt::format("\n{}\n{}^", shown.text, caret);
  }
  return Error(ErrorCode::kInvalidArgument, std::move(located));
}

Status YamlReader::located(const YAML::Node& node, Status status) const {
  if (status) return status;
  return fail(error_at(node, status.error().message()));
}

Status YamlReader::expect_map(const YAML::Node& node, std::string_view what) const {
  if (node.IsMap()) return ok();
  return fail(error_at(node, fmt::format("{} must be a map, got {}", what, yaml_kind(node))));
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
      return fail(error_at(key, fmt::format("key '{}'{} is given twice", abbreviate(name), in)));
    }
    if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) {
      // A bare "key:" would otherwise be reported at the line after it.
      if (value.IsNull()) {
        return fail(error_at(key, fmt::format("'{}'{} has no value", name, in)));
      }
      continue;
    }
    std::string suggestion = closest_match(name, allowed);
    std::string message = fmt::format("unknown key '{}'{}", abbreviate(name), in);
    message += suggestion.empty() ? fmt::format(": expected one of {}", join(allowed, ", "))
                                  : fmt::format(", did you mean '{}'?", suggestion);
    return fail(error_at(key, message));
  }
  return ok();
}

Result<std::string> YamlReader::string(const YAML::Node& node, std::string_view what) const {
  if (node.IsScalar()) return node.Scalar();
  return fail(error_at(node, fmt::format("{} must be a string, got {}", what, yaml_kind(node))));
}

Result<std::vector<std::string>> YamlReader::strings(const YAML::Node& node,
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

Result<std::uint64_t> YamlReader::unsigned_integer(const YAML::Node& node,
                                                   std::string_view what) const {
  const std::string text = node.IsScalar() ? node.Scalar() : std::string(yaml_kind(node));
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  bool digits_only = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  if (!node.IsScalar() || !digits_only || end != text.data() + text.size()) {
    return fail(error_at(
        node, fmt::format("{} must be a non-negative integer, got {}", what, abbreviate(text))));
  }
  if (error != std::errc()) {
    return fail(error_at(node, fmt::format("{} is too large: {}", what, abbreviate(text))));
  }
  return value;
}

Result<bool> YamlReader::boolean(const YAML::Node& node, std::string_view what) const {
  if (node.IsScalar()) {
    const std::string value = to_lower(node.Scalar());
    if (value == "true" || value == "yes" || value == "on") return true;
    if (value == "false" || value == "no" || value == "off") return false;
  }
  const std::string got =
      node.IsScalar() ? abbreviate(node.Scalar()) : std::string(yaml_kind(node));
  return fail(error_at(node, fmt::format("{} must be true or false, got {}", what, got)));
}

}  // namespace graft::base
