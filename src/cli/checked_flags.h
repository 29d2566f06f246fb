// Flags whose values are checked as they are parsed: a number out of its range
// (`--threads 100000`, `--threads -1`, `--grace 1e99`, `nan`, `inf`) or a word outside its
// choices is a parse error that names the flag and what is allowed (exit 2, as every parse
// error), never a wrapped-around count or a negative duration.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/result.h"

namespace graft::cli {

// A whole number in [minimum, maximum], written in decimal ("+5" and "5.0" are refused).
// Errors: kInvalidArgument "<flag> must be a whole number from MIN to MAX, got 'TEXT'".
[[nodiscard]] Result<std::int64_t> parse_integer_flag(const std::string& flag,
                                                      const std::string& text, std::int64_t minimum,
                                                      std::int64_t maximum);
// A finite decimal number in [minimum, maximum] ("nan", "inf" and "1e99" are refused).
// Errors: kInvalidArgument "<flag> must be a number from MIN to MAX, got 'TEXT'".
[[nodiscard]] Result<double> parse_real_flag(const std::string& flag, const std::string& text,
                                             double minimum, double maximum);

// One of `choices`. Errors: kInvalidArgument "<flag> must be one of a, b, got 'TEXT'".
[[nodiscard]] Result<std::string> parse_choice_flag(const std::string& flag,
                                                    const std::string& text,
                                                    const std::vector<std::string>& choices);

// The flag's name for messages: the last of `names` ("-c,--config" -> "--config").
[[nodiscard]] std::string flag_name(const std::string& names);

template <typename T>
struct NumberRange {
  T minimum;
  T maximum;
};

// Adds option `names` ("--threads", "-j,--jobs") storing into `value` (which must outlive
// the parse) only a number in `range`; any other value makes the parse fail with the message
// of parse_integer_flag / parse_real_flag.
template <typename T>
CLI::Option* add_number_option(CLI::App& command, const std::string& names, T& value,
                               const std::string& help, NumberRange<T> range) {
  static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>);
  const std::string flag = flag_name(names);
  auto store = [flag, &value, range](const std::string& text) {
    if constexpr (std::is_integral_v<T>) {
      auto parsed = parse_integer_flag(flag, text, static_cast<std::int64_t>(range.minimum),
                                       static_cast<std::int64_t>(range.maximum));
      if (!parsed) throw CLI::ValidationError(parsed.error().message());
      value = static_cast<T>(*parsed);
    } else {
      auto parsed = parse_real_flag(flag, text, range.minimum, range.maximum);
      if (!parsed) throw CLI::ValidationError(parsed.error().message());
      value = static_cast<T>(*parsed);
    }
  };
  return command.add_option_function<std::string>(names, store, help)
      ->type_name(std::is_integral_v<T> ? "INT" : "NUMBER");
}

// Adds option `names` storing into `value` (which must outlive the parse) only one of
// `choices`; any other value makes the parse fail with parse_choice_flag's message.
CLI::Option* add_choice_option(CLI::App& command, const std::string& names, std::string& value,
                               const std::string& help, std::vector<std::string> choices);

}  // namespace graft::cli
