#include "env/run_plan.h"

#include <unistd.h>

#include <algorithm>
#include <system_error>

#include "base/fs.h"
#include "base/strings.h"
#include "env/state.h"

namespace graft::env {
namespace fs = std::filesystem;
namespace {

std::vector<fs::path> activation_scripts(const fs::path& prefix) {
  std::vector<fs::path> scripts;
  std::error_code error;
  for (fs::directory_iterator it(prefix / "etc/conda/activate.d", error), end;
       !error && it != end; it.increment(error)) {
    if (it->path().extension() == ".sh") scripts.push_back(it->path());
  }
  std::sort(scripts.begin(), scripts.end());
  return scripts;
}

Result<std::string> resolve_command(const std::string& command, const std::string& path) {
  if (command.find('/') != std::string::npos) return command;
  for (std::string_view directory : base::split(path, ':')) {
    if (directory.empty()) continue;
    const fs::path candidate = fs::path(std::string(directory)) / command;
    std::error_code error;
    if (::access(candidate.c_str(), X_OK) == 0 && !fs::is_directory(candidate, error)) {
      return candidate.string();
    }
  }
  return fail(ErrorCode::kNotFound,
              "command '" + command + "' not found in the environment or on PATH");
}

}  // namespace

Result<RunPlan> plan_run(const RunRequest& request) {
  if (request.command.empty()) {
    return fail(Error(ErrorCode::kInvalidArgument, "no command given to run")
                    .with_hint("graft run -n NAME -- COMMAND [ARGS...]"));
  }
  RunPlan plan;
  plan.environment = request.base_environment;
  plan.working_directory = request.working_directory;
  const std::string prefix = request.prefix.string();
  const std::string old_path = plan.environment["PATH"];
  plan.environment["PATH"] = prefix + "/bin" + (old_path.empty() ? "" : ":" + old_path);
  plan.environment["CONDA_PREFIX"] = prefix;
  plan.environment["CONDA_DEFAULT_ENV"] =
      request.display_name.empty() ? prefix : request.display_name;
  plan.environment["CONDA_SHLVL"] = "1";
  GRAFT_ASSIGN_OR_RETURN(EnvVars variables, read_env_vars(request.prefix));
  for (auto& [key, value] : variables) plan.environment[key] = value;

  const std::vector<fs::path> scripts = activation_scripts(request.prefix);
  if (scripts.empty()) {
    GRAFT_ASSIGN_OR_RETURN(std::string program,
                           resolve_command(request.command[0], plan.environment["PATH"]));
    plan.argv = request.command;
    plan.argv[0] = std::move(program);
    return plan;
  }
  std::string script;
  for (const fs::path& file : scripts) script += ". " + base::shell_quote(file.string()) + "\n";
  script += "exec \"$@\"\n";
  plan.argv = {"/bin/sh", "-c", script, "graft-run"};
  plan.argv.insert(plan.argv.end(), request.command.begin(), request.command.end());
  return plan;
}

}  // namespace graft::env
