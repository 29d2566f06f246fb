// `graft run [-n NAME | -p PATH] [--cwd DIR] -- COMMAND [ARGS...]`: runs a command inside
// an environment (see env/run_plan.h). graft replaces itself with the command (execve), so
// its exit code, signals, stdin and terminal pass straight through.
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "base/fs.h"
#include "base/subprocess.h"
#include "cli/settings.h"
#include "cli/verb.h"
#include "env/locations.h"
#include "env/run_plan.h"

namespace graft::cli {
namespace {

struct RunFlags {
  env::PrefixChoice prefix;
  std::string cwd;
  std::vector<std::string> command;
};

int exec_plan(const env::RunPlan& plan) {
  if (!plan.working_directory.empty() && ::chdir(plan.working_directory.c_str()) != 0) {
    return report_error(Error(ErrorCode::kNotFound, "cannot enter '" +
                                                        plan.working_directory.string() +
                                                        "': " + base::errno_text(errno)));
  }
  std::vector<std::string> entries;
  for (const auto& [key, value] : plan.environment) entries.push_back(key + "=" + value);
  std::vector<char*> envp;
  for (std::string& entry : entries) envp.push_back(entry.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_storage = plan.argv;
  std::vector<char*> argv;
  for (std::string& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  ::execve(argv[0], argv.data(), envp.data());
  const int error_number = errno;
  report_error(Error(ErrorCode::kNotFound, "cannot run '" + plan.argv[0] + "': " +
                                               base::errno_text(error_number)));
  return error_number == ENOENT ? 127 : 126;  // the shell's codes for "not found"/"cannot run"
}

int run_run(const RunFlags& flags) {
  const auto environment = base::current_environment();
  auto prefix = resolve_prefix(flags.prefix);
  if (!prefix) return report_error(prefix.error());
  auto plan = env::plan_run({.prefix = *prefix,
                             .display_name = flags.prefix.name,
                             .command = flags.command,
                             .working_directory = flags.cwd,
                             .base_environment = environment});
  if (!plan) return report_error(plan.error());
  return exec_plan(*plan);
}

VerbRun setup_run(CLI::App& command) {
  auto flags = std::make_shared<RunFlags>();
  add_prefix_flags(command, flags->prefix);
  command.add_option("--cwd", flags->cwd, "directory to run the command in");
  // The command is the first word that is not one of our options (CLI11 fills `program`)
  // and everything after it, which prefix_command() leaves in remaining() in order. A "--"
  // before the command is left there too. Words after the command that look like our own
  // flags (-n, -p) are still taken as ours: put the command after "--" to avoid that.
  auto program = std::make_shared<std::string>();
  command.add_option("COMMAND", *program, "the command to run, then its arguments");
  command.prefix_command();
  command.fallthrough(false);  // everything after the command is the command's own
  command.footer("usage: graft run -n NAME [--cwd DIR] -- COMMAND [ARGS...]");
  CLI::App* app = &command;
  return [flags, app, program] {
    flags->command = {*program};
    for (const std::string& word : app->remaining()) {
      if (word == "--" && flags->command.size() == 1) continue;
      flags->command.push_back(word);
    }
    if (program->empty()) flags->command.clear();
    return run_run(*flags);
  };
}

}  // namespace

GRAFT_VERB({.name = "run", .help = "run a command inside an environment", .setup = setup_run});

}  // namespace graft::cli
