#include "env/link_scripts.h"

#include <algorithm>
#include <system_error>
#include <vector>

#include "base/fs.h"
#include "base/strings.h"
#include "base/subprocess.h"
#include "env/prefix_fs.h"

namespace graft::env {
namespace fs = std::filesystem;

namespace {

// `bash -x <script>`; post-link runs activated as conda does (activate=True): the prefix's
// etc/conda/activate.d/*.sh are sourced first, in name order.
std::vector<std::string> script_command(const fs::path& prefix, ScriptAction action,
                                        const fs::path& script) {
  std::vector<fs::path> activation;
  std::error_code error;
  if (action == ScriptAction::kPostLink) {
    for (fs::directory_iterator it(prefix / "etc/conda/activate.d", error), end;
         !error && it != end; it.increment(error)) {
      if (it->path().extension() == ".sh") activation.push_back(it->path());
    }
  }
  if (activation.empty()) return {"bash", "-x", script.string()};
  std::sort(activation.begin(), activation.end());
  std::string command;
  for (const fs::path& file : activation) command += ". " + base::shell_quote(file.string()) + "\n";
  command += "exec bash -x \"$0\"\n";
  return {"bash", "-c", command, script.string()};
}

}  // namespace

std::string_view script_action_name(ScriptAction action) {
  switch (action) {
    case ScriptAction::kPreLink: return "pre-link";
    case ScriptAction::kPostLink: return "post-link";
    case ScriptAction::kPreUnlink: return "pre-unlink";
  }
  return "post-link";
}

Result<ScriptOutcome> run_link_script(const conda::PackageRecord& record, ScriptAction action,
                                      const ScriptContext& context) {
  GRAFT_RETURN_IF_ERROR(check_package_names(record));
  ScriptOutcome outcome;
  const fs::path script = context.script_root / "bin" /
                          ("." + record.name + "-" + std::string(script_action_name(action)) + ".sh");
  std::error_code error;
  if (!fs::is_regular_file(script, error)) return outcome;
  outcome.ran = true;
  std::map<std::string, std::string> environment = context.base_environment;
  const std::string prefix = context.prefix.string();
  environment["PREFIX"] = prefix;
  environment["PKG_NAME"] = record.name;
  environment["PKG_VERSION"] = record.version;
  environment["PKG_BUILDNUM"] = std::to_string(record.build_number);
  environment["ROOT_PREFIX"] = context.root_prefix.string();
  environment["CONDA_PREFIX"] = prefix;
  const std::string path = environment["PATH"];
  environment["PATH"] = prefix + "/bin" + (path.empty() ? "" : ":" + path);
  if (action == ScriptAction::kPreLink) environment["SOURCE_DIR"] = prefix;
  base::ProcessOptions options{.argv = script_command(context.prefix, action, script),
                               .environment = std::move(environment),
                               .working_directory = script.parent_path()};
  GRAFT_ASSIGN_OR_RETURN(base::ProcessResult process, base::run_process(options));
  outcome.exit_code = process.exit_code;
  outcome.failed = process.exit_code != 0;
  outcome.output = process.stdout_text + process.stderr_text;
  const fs::path messages = context.prefix / ".messages.txt";
  if (auto text = base::read_file(messages)) {
    outcome.messages = std::move(*text);
    (void)base::remove_tree(messages);
  }
  return outcome;
}

Error script_failure(const conda::PackageRecord& record, ScriptAction action,
                     const ScriptOutcome& outcome) {
  std::string message = std::string(script_action_name(action)) + " script failed for package '" +
                        record.name + "-" + record.version + "-" + record.build +
                        "': exit code " + std::to_string(outcome.exit_code);
  if (!outcome.messages.empty()) message += "\n==> script messages <==\n" + outcome.messages;
  if (!outcome.output.empty()) message += "\n==> script output <==\n" + outcome.output;
  return Error(ErrorCode::kConflict, std::move(message))
      .with_hint("the package's script could not finish; nothing was changed");
}

}  // namespace graft::env
