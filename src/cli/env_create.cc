// `graft env create -f environment.yml [-n NAME | -p PATH] [-y] [--dry-run] [--json]`:
// creates the environment an environment file describes through the create pipeline
// (gather, solve, carry_out), writes its `variables` into conda-meta/state atomically with
// the rest, then installs its `pip:` list with the environment's pip. All or nothing: a
// failing pip step removes the new environment again.
#include <algorithm>
#include <filesystem>
#include <memory>

#include <fmt/core.h>

#include "base/fs.h"
#include "base/subprocess.h"
#include "cli/install.h"
#include "cli/pip_step.h"
#include "cli/settings.h"
#include "cli/verb.h"
#include "env/env_file.h"
#include "env/state.h"

namespace graft::cli {
namespace {

namespace fs = std::filesystem;

struct EnvCreateFlags {
  std::string file = "environment.yml";
  InstallFlags install{{.action = env::Action::kCreate}};
};

// -n/-p win over the file's name and prefix.
Status choose_target(const env::EnvironmentFile& file, const std::string& source,
                     InstallFlags& flags) {
  if (!flags.name.empty() || !flags.path.empty()) return ok();
  if (!file.name.empty()) {
    flags.name = file.name;
  } else if (!file.prefix.empty()) {
    flags.path = file.prefix;
  } else {
    return fail(
        Error(ErrorCode::kInvalidArgument,
              fmt::format("'{}' names no environment: it has no 'name' or 'prefix'", source))
            .with_hint("give the new environment a name with -n or a path with -p"));
  }
  return ok();
}

// Channels: -c first, then the file's (with ${VARIABLES} expanded); "nodefaults" in the file
// means the condarc channels are not used.
void choose_channels(const env::EnvironmentFile& file, InstallFlags& flags) {
  const auto environment = base::current_environment();
  for (const std::string& channel : file.channels) {
    if (channel == "nodefaults") {
      flags.channels.override_channels = true;
      continue;
    }
    flags.channels.channels.push_back(env::expand_variables(channel, environment));
  }
}

Result<env::Change> make_change(const InstallFlags& flags, const env::Context& context,
                                const store::PackageCache& cache,
                                const env::EnvironmentFile& file) {
  env::Change change;
  if (!context.specs.empty()) {
    GRAFT_ASSIGN_OR_RETURN(change, env::solve_change(flags, context, cache));
  } else {
    change.options = env::default_options(flags, context);
  }
  if (!file.pip.empty()) {
    GRAFT_RETURN_IF_ERROR(check_python_for_pip(change.transaction, false));
  }
  if (!file.variables.empty()) {
    change.options.before_commit = [variables = file.variables](const fs::path& write_root) {
      return env::set_env_vars(write_root, variables);
    };
  }
  return change;
}

// Reads and parses the file (printing its warnings) and sets the target, channels and
// specs of flags.install from it.
Result<env::EnvironmentFile> load(EnvCreateFlags& flags) {
  auto text = base::read_file(flags.file);
  if (!text) {
    return fail(text.error().with_hint("name the environment file with -f FILE"));
  }
  GRAFT_ASSIGN_OR_RETURN(env::EnvironmentFile file, env::parse_environment_file(*text, flags.file));
  for (const std::string& warning : file.warnings) report_warning(warning);
  GRAFT_RETURN_IF_ERROR(choose_target(file, flags.file, flags.install));
  choose_channels(file, flags.install);
  flags.install.specs = file.dependencies;
  return file;
}

int run_env_create(EnvCreateFlags flags) {
  auto file = load(flags);
  if (!file) return report_error(file.error());
  const InstallFlags& install = flags.install;
  auto context = gather(install);
  if (!context) return report_error(context.error());
  auto cache = store::PackageCache::open(context->settings.pkgs_dirs);
  if (!cache) return report_error(cache.error());
  auto change = make_change(install, *context, *cache, *file);
  if (!change) return report_error(change.error());
  if (!file->pip.empty()) {
    change->after_apply = [&, registry = change->options.registry] {
      return run_pip({.prefix = context->prefix,
                      .requirements = file->pip,
                      .directory = fs::absolute(flags.file).parent_path(),
                      .quiet = install.json,
                      .remove_on_failure = true,
                      .registry = registry});
    };
  }
  return carry_out(install, *context, *cache, *change);
}

VerbRun setup_env_create(CLI::App& command) {
  auto flags = std::make_shared<EnvCreateFlags>();
  InstallFlags& install = flags->install;
  command.add_option("-f,--file", flags->file, "the environment file (default: environment.yml)");
  command.add_option("-n,--name", install.name, "environment name (overrides the file's)");
  command.add_option("-p,--prefix", install.path, "environment path (overrides the file's)");
  command.add_option("--root-prefix", install.root_prefix,
                     "graft's root prefix (default ~/.graft)");
  command.add_flag("--dry-run", install.dry_run, "show what would change, change nothing");
  command.add_flag("--json", install.json, "print conda's JSON");
  command.add_flag("-y,--yes", install.yes, "do not ask for confirmation");
  command.add_flag("--copy", install.copy, "copy files instead of hard-linking them");
  add_channel_flags(command, install.channels);
  return [flags] {
    flags->install.command_line = command_line();
    return run_env_create(*flags);
  };
}

}  // namespace

GRAFT_VERB({.name = "env create",
            .help = "create an environment from an environment file (environment.yml)",
            .setup = setup_env_create});

}  // namespace graft::cli
