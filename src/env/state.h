// conda-meta/state: an environment's own variables, kept the way `conda env config vars`
// keeps them: `{"env_vars": {"K": "V", ...}}`, written as conda 25.7+ writes it (Python's
// json.dumps(state, indent=2, ensure_ascii=False): 2-space indent, no final newline),
// variables in the order they were first set. `unset` does not delete a
// variable: conda marks it "***unset***" and both conda and graft leave such variables out
// when activating. Other top-level keys of the file are kept as they are.
//
// Thread-safety: the functions touch only the given prefix's state file; callers serialize
// changes to one prefix. Writes are atomic (readers see the old file or the new one).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace graft::env {

// The value conda writes for an unset variable.
inline constexpr std::string_view kUnsetMarker = "***unset***";

// Variables in file order: (name, value).
using EnvVars = std::vector<std::pair<std::string, std::string>>;

// `<prefix>/conda-meta/state`.
[[nodiscard]] std::filesystem::path state_file(const std::filesystem::path& prefix);

// The variables activation sets, in file order, without the ones marked unset; non-string
// values read as their JSON text. An absent file has none. Errors: kCorrupt
// "'<file>' is not a valid state file: <why>" (with a hint), kIo.
[[nodiscard]] Result<EnvVars> read_env_vars(const std::filesystem::path& prefix);

// Checks a variable name, the one rule for `env config vars set` and environment.yml's
// `variables:`: not empty, no '=' (it ends the name in KEY=VALUE), no NUL, no leading or
// trailing whitespace (set trims it). kInvalidArgument: "variable name 'A=B' is not valid:
// it has a '='".
[[nodiscard]] Status check_variable_name(std::string_view name);

// Parses `conda env config vars set` words "KEY=VALUE" (split at the first '=', both sides
// trimmed as conda trims them; the value may be empty or hold more '='). Errors
// (kInvalidArgument): "'K' is not a valid variable assignment: expected KEY=VALUE",
// "'=V' is not a valid variable assignment: the name is empty" (check_variable_name).
[[nodiscard]] Result<EnvVars> parse_assignments(const std::vector<std::string>& words);

// Sets each variable: an existing one keeps its place and gets the new value, a new one is
// appended; later assignments of the same name win. Errors: kCorrupt (a malformed existing
// file: nothing is written), kNotFound (no conda-meta/ in `prefix`), kIo.
[[nodiscard]] Status set_env_vars(const std::filesystem::path& prefix, const EnvVars& variables);

// Marks each of `names` that is set as unset, as conda does. Returns the names that were
// not set (the file is not written when none was). Errors as set_env_vars.
[[nodiscard]] Result<std::vector<std::string>> unset_env_vars(
    const std::filesystem::path& prefix, const std::vector<std::string>& names);

}  // namespace graft::env
