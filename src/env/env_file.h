// environment.yml, as `conda env create -f` reads it: `name`, `channels`, `dependencies`
// (conda specs, and one `- pip: [...]` list of pip requirement lines), `variables` (a map,
// values kept as written) and `prefix`. Unknown top-level keys are not errors: each one
// gives a warning (with a did-you-mean), as conda warns about them.
//
// Pure (the caller reads the file and runs pip): thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace graft::env {

struct EnvironmentFile {
  std::string name;                       // "" when absent
  std::vector<std::string> channels;      // as written (see expand_variables)
  std::vector<std::string> dependencies;  // conda MatchSpec strings, in file order
  std::vector<std::string> pip;           // pip requirement-file lines ("-e .", "x==1")
  std::vector<std::pair<std::string, std::string>> variables;  // in file order
  std::string prefix;                                          // "" when absent
  // "<source>:<line>: unknown key 'chanels' is ignored, did you mean 'channels'?"
  std::vector<std::string> warnings;
};

// Parses an environment file. `source` names it in errors. Errors (kInvalidArgument), each
// "<source>:<line>: <message>" with the line and a caret when the position is known:
//   "invalid YAML: ..."; "'<source>' is empty"; "the file must be a map of keys, got a list";
//   "'channels' must be a list of strings, got a map"; "'x' is not a valid package spec: ...";
//   "unsupported installer 'npm' in 'dependencies': graft installs conda and pip packages";
//   "'variables' must be a map of names to values, got a list"; "variable 'X' must be a string,
//   ...".
[[nodiscard]] Result<EnvironmentFile> parse_environment_file(std::string_view text,
                                                             std::string_view source);

// `text` with "${NAME}" and "$NAME" replaced by the variable's value in `environment`;
// undefined variables are left as written (as Python's os.path.expandvars does, which conda
// applies to channel URLs).
[[nodiscard]] std::string expand_variables(std::string_view text,
                                           const std::map<std::string, std::string>& environment);

}  // namespace graft::env
