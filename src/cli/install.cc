// graft create | install | update | remove: solve against channels, fetch into the package
// cache, link into the environment, all or nothing (env/operation.h). Flags mirror conda.
#include <cstdio>
#include <limits>
#include <memory>

#include <fmt/core.h>

#include "base/progress.h"
#include "cli/checked_flags.h"
#include "cli/install.h"
#include "cli/json_output.h"
#include "cli/plan.h"
#include "cli/prompt.h"
#include "cli/settings.h"
#include "cli/verb.h"

namespace graft::cli {
namespace {

void print_done(const InstallFlags& flags, const env::Context& context,
                const env::TransactionResult& result) {
  for (const auto& warning : result.warnings) report_warning(warning);
  for (const auto& message : result.messages) std::fputs((message + "\n").c_str(), stdout);
  if (flags.json) {
    const nlohmann::ordered_json done = {{"success", true}, {"prefix", context.prefix.string()}};
    std::fputs(conda_json_text(done).c_str(), stdout);
  } else if (flags.action == env::Action::kCreate) {
    std::fputs(fmt::format("#\n# To run a command in this environment, use\n#\n"
                           "#     $ graft run -p {} -- COMMAND\n#\n",
                           context.prefix.string())
                   .c_str(),
               stdout);
  }
}

}  // namespace

Result<env::Context> gather(const InstallFlags& flags) {
  GRAFT_ASSIGN_OR_RETURN(env::Context context, env::gather(flags));
  if (context.recovery != env::Recovery::kNothing) {
    report_warning(env::recovery_message(context.prefix, context.recovery));
  }
  return context;
}

int carry_out(const InstallFlags& flags, const env::Context& context, store::PackageCache& cache,
              const env::Change& change) {
  auto review = [&](const env::Plan& plan) {
    if (plan.nothing_to_do) {
      if (flags.json)
        std::fputs(format_plan_json(plan, flags.dry_run).c_str(), stdout);
      else
        std::fputs("\n# All requested packages already installed.\n\n", stdout);
      return env::Verdict::kStop;
    }
    if (flags.json && flags.dry_run) {
      std::fputs(format_plan_json(plan, true).c_str(), stdout);
      return env::Verdict::kStop;
    }
    if (!flags.json) std::fputs(format_plan(plan).c_str(), stdout);
    if (flags.dry_run) return env::Verdict::kStop;
    return confirm_proceed(flags.yes || flags.json) ? env::Verdict::kProceed
                                                    : env::Verdict::kCancel;
  };
  base::Progress progress;
  auto outcome =
      env::carry_out(flags, context, cache, change, {.review = review, .progress = &progress});
  if (!outcome) return report_error(outcome.error());
  if (outcome->applied) print_done(flags, context, outcome->result);
  return 0;
}

int run_install(const InstallFlags& flags) {
  if (!flags.clone.empty()) return run_clone(flags);
  if (!flags.files.empty()) return run_from_file(flags);
  if (!flags.categories.empty()) {
    return report_error(Error(ErrorCode::kInvalidArgument,
                              "'--category' picks packages of a conda-lock file: give the file "
                              "with '--file'"));
  }
  if (flags.revision >= 0) return run_revision(flags);
  auto context = gather(flags);
  if (!context) return report_error(context.error());
  auto cache = store::PackageCache::open(context->settings.pkgs_dirs);
  if (!cache) return report_error(cache.error());
  auto change = env::solve_change(flags, *context, *cache);
  if (!change) return report_error(change.error());
  return carry_out(flags, *context, *cache, *change);
}

namespace {

VerbRun setup_install(CLI::App& command, env::Action action) {
  auto flags = std::make_shared<InstallFlags>();
  flags->action = action;
  command.add_option("-n,--name", flags->name, "environment name");
  command.add_option("-p,--prefix", flags->path, "environment path");
  add_root_prefix_flag(command, flags->root_prefix);
  command.add_option("specs", flags->specs, "package specs, e.g. 'numpy>=1.26' python=3.12");
  command.add_flag("--dry-run", flags->dry_run, "show what would change, change nothing");
  command.add_flag("--json", flags->json, "print conda's JSON");
  command.add_flag("-y,--yes", flags->yes, "do not ask for confirmation");
  if (action != env::Action::kRemove) {
    add_channel_flags(command, flags->channels);
    command.add_flag("--copy", flags->copy, "copy files instead of hard-linking them");
  } else {
    command.add_flag("--offline", flags->channels.offline, "do not use the network");
  }
  if (action == env::Action::kUpdate)
    command.add_flag("--all", flags->all, "update every installed package");
  if (action == env::Action::kRemove) command.add_flag("--all", flags->all, "remove every package");
  if (action == env::Action::kCreate) {
    command.add_option("--clone", flags->clone,
                       "copy this environment (a name, or a path with a '/')");
  }
  if (action == env::Action::kCreate || action == env::Action::kInstall) {
    command.add_option("--file", flags->files,
                       "read packages from FILE: @EXPLICIT URLs, a spec list or a conda-lock "
                       "file; repeatable (spec lists add up, explicit files join)");
    command.add_option("--category", flags->categories,
                       "install this category of a conda-lock file (default: main); "
                       "repeatable, as micromamba's");
  }
  if (action == env::Action::kInstall || action == env::Action::kUpdate) {
    command.add_flag("--force-reinstall", flags->force_reinstall,
                     "unlink and link the named packages again even when already installed");
  }
  if (action == env::Action::kInstall) {
    add_number_option(command, "--revision", flags->revision,
                      "restore revision N (see 'graft list --revisions')",
                      NumberRange<int>{0, std::numeric_limits<int>::max()});
  }
  if (action != env::Action::kCreate) {
    command.add_flag("--override-frozen", flags->override_frozen,
                     "change a frozen environment anyway");
  }
  return [flags] {
    flags->command_line = command_line();
    return run_install(*flags);
  };
}

GRAFT_VERB({.name = "create",
            .help = "create an environment from package specs",
            .setup = [](CLI::App& c) { return setup_install(c, env::Action::kCreate); }});
GRAFT_VERB({.name = "install",
            .help = "install packages into an environment",
            .setup = [](CLI::App& c) { return setup_install(c, env::Action::kInstall); }});
GRAFT_VERB({.name = "update",
            .help = "update packages of an environment",
            .setup = [](CLI::App& c) { return setup_install(c, env::Action::kUpdate); }});
GRAFT_VERB({.name = "remove",
            .help = "remove packages from an environment",
            .setup = [](CLI::App& c) { return setup_install(c, env::Action::kRemove); }});

}  // namespace
}  // namespace graft::cli
