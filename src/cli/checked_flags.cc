#include "cli/checked_flags.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

#include <fmt/core.h>

#include "base/strings.h"

namespace graft::cli {
namespace {

// Parses the whole of `text` with std::from_chars; nullopt on anything left over.
template <typename T>
std::optional<T> whole(const std::string& text) {
  T value{};
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || stop != end) return std::nullopt;
  return value;
}

Error out_of_range(const std::string& flag, std::string_view kind, const std::string& range,
                   const std::string& text) {
  return Error(ErrorCode::kInvalidArgument, fmt::format("{} must be {} from {}, got '{}'", flag,
                                                        kind, range, base::abbreviate(text)));
}

}  // namespace

Result<std::int64_t> parse_integer_flag(const std::string& flag, const std::string& text,
                                        std::int64_t minimum, std::int64_t maximum) {
  const std::optional<std::int64_t> value = whole<std::int64_t>(text);
  if (!value || *value < minimum || *value > maximum) {
    return fail(
        out_of_range(flag, "a whole number", fmt::format("{} to {}", minimum, maximum), text));
  }
  return *value;
}

Result<double> parse_real_flag(const std::string& flag, const std::string& text, double minimum,
                               double maximum) {
  const std::optional<double> value = whole<double>(text);
  if (!value || !std::isfinite(*value) || *value < minimum || *value > maximum) {
    return fail(out_of_range(flag, "a number", fmt::format("{} to {}", minimum, maximum), text));
  }
  return *value;
}

Result<std::string> parse_choice_flag(const std::string& flag, const std::string& text,
                                      const std::vector<std::string>& choices) {
  if (std::find(choices.begin(), choices.end(), text) != choices.end()) return text;
  return fail(ErrorCode::kInvalidArgument,
              fmt::format("{} must be one of {}, got '{}'", flag, base::join(choices, ", "),
                          base::abbreviate(text)));
}

std::string flag_name(const std::string& names) {
  return names.substr(names.rfind(',') + 1);
}

CLI::Option* add_choice_option(CLI::App& command, const std::string& names, std::string& value,
                               const std::string& help, std::vector<std::string> choices) {
  const std::string type = base::join(choices, "|");
  auto store = [flag = flag_name(names), &value,
                choices = std::move(choices)](const std::string& text) {
    auto parsed = parse_choice_flag(flag, text, choices);
    if (!parsed) throw CLI::ValidationError(parsed.error().message());
    value = *parsed;
  };
  return command.add_option_function<std::string>(names, store, help)->type_name(type);
}

}  // namespace graft::cli
