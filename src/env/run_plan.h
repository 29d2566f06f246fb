// What `graft run` executes: the command, its environment and directory, computed from an
// environment prefix the way `conda run` activates it: PATH gets <prefix>/bin first,
// CONDA_PREFIX, CONDA_DEFAULT_ENV and CONDA_SHLVL are set, the variables of
// conda-meta/state (env/state.h; variables marked unset are skipped) are
// exported, and when etc/conda/activate.d/*.sh scripts exist the command runs through
// `sh -c` so they are sourced first (in name order).
//
// plan_run() only reads the prefix; thread-safe.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/result.h"

namespace graft::env {

struct RunRequest {
  std::filesystem::path prefix;       // the environment
  std::string display_name;           // CONDA_DEFAULT_ENV: the -n name, or the prefix path
  std::vector<std::string> command;   // argv; must not be empty
  std::filesystem::path working_directory;  // empty: inherit
  std::map<std::string, std::string> base_environment;  // the caller's environment
};

struct RunPlan {
  std::vector<std::string> argv;  // argv[0] resolved against the new PATH when it has no '/'
  std::map<std::string, std::string> environment;
  std::filesystem::path working_directory;
};

// Errors: kInvalidArgument (empty command), kCorrupt from env/state.h's read_env_vars
// (malformed state file), kNotFound "command 'x' not found in the environment or on PATH".
[[nodiscard]] Result<RunPlan> plan_run(const RunRequest& request);

}  // namespace graft::env
