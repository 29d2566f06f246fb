// graft create | install | update | remove: solve against channels, fetch into the package
// cache, link into the environment, all or nothing (env::apply). Flags mirror conda.
#include <algorithm>
#include <cstdio>
#include <limits>
#include <memory>
#include <set>

#include <fmt/core.h>

#include "base/fs.h"
#include "base/log.h"
#include "base/progress.h"
#include "base/strings.h"
#include "cli/channel_data.h"
#include "cli/checked_flags.h"
#include "cli/install.h"
#include "cli/json_output.h"
#include "cli/plan.h"
#include "cli/prompt.h"
#include "cli/settings.h"
#include "cli/verb.h"
#include "env/frozen.h"
#include "env/journal.h"
#include "env/locations.h"
#include "env/pinned.h"
#include "env/prefix_data.h"
#include "env/transaction.h"
#include "solve/virtual_packages.h"
#include "store/fetch.h"

namespace graft::cli {
namespace {
namespace fs = std::filesystem;

Result<fs::path> target_prefix(const InstallFlags& flags, const Settings& settings) {
  if (flags.action != Action::kCreate) {
    return env::resolve_existing_prefix({.name = flags.name,
                                         .path = flags.path,
                                         .root_prefix_flag = flags.root_prefix,
                                         .envs_dirs = settings.envs_dirs},
                                        settings.environment);
  }
  if (flags.name.empty() == flags.path.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "give the new environment a name with -n or a path with -p");
  }
  fs::path prefix = flags.path.empty() ? fs::path() : fs::absolute(flags.path).lexically_normal();
  if (!flags.name.empty()) {
    GRAFT_ASSIGN_OR_RETURN(prefix,
                           env::named_prefix(settings.root_prefix, settings.envs_dirs, flags.name));
  }
  std::error_code error;
  if (fs::exists(prefix, error) && !fs::is_empty(prefix, error)) {
    std::string label = flags.name.empty() ? prefix.string() : flags.name;
    return fail(
        Error(ErrorCode::kAlreadyExists,
              fmt::format("environment '{}' already exists at {}", label, prefix.string()))
            .with_hint("remove it first ('graft env remove -n NAME') or pick another name"));
  }
  return prefix;
}

Result<std::vector<conda::MatchSpec>> parse_specs(const std::vector<std::string>& texts) {
  std::vector<conda::MatchSpec> specs;
  for (const std::string& text : texts) {
    GRAFT_ASSIGN_OR_RETURN(conda::MatchSpec spec, conda::MatchSpec::parse(text));
    specs.push_back(std::move(spec));
  }
  return specs;
}

Result<std::vector<conda::MatchSpec>> pin_specs(const fs::path& prefix) {
  GRAFT_ASSIGN_OR_RETURN(std::vector<env::Pin> pins, env::read_pins(prefix));
  std::vector<conda::MatchSpec> specs;
  for (env::Pin& pin : pins) specs.push_back(std::move(pin.spec));
  return specs;
}

Status check_update_targets(const InstallFlags& flags, const Context& context) {
  if (flags.action != Action::kUpdate) return ok();
  for (const auto& spec : context.specs) {
    bool installed = false;
    for (const auto& record : context.installed)
      installed = installed || record.name == spec.name();
    if (!installed) {
      return fail(Error(ErrorCode::kNotFound, fmt::format("package '{}' is not installed in '{}'",
                                                          spec.name(), context.prefix.string()))
                      .with_hint("install it with 'graft install' instead"));
    }
  }
  return ok();
}

}  // namespace

Result<Context> gather(const InstallFlags& flags) {
  Context context;
  GRAFT_ASSIGN_OR_RETURN(context.settings, load_settings(flags.root_prefix));
  if (flags.channels.offline) context.settings.network = store::NetworkMode::kOffline;
  if (flags.channels.strict_channel_priority)
    context.settings.channel_priority = solve::ChannelPriority::kStrict;
  GRAFT_ASSIGN_OR_RETURN(context.prefix, target_prefix(flags, context.settings));
  if (flags.action != Action::kCreate) {
    GRAFT_ASSIGN_OR_RETURN(env::EnvLock lock, env::EnvLock::acquire(context.prefix));
    context.lock = std::make_shared<env::EnvLock>(std::move(lock));
    GRAFT_ASSIGN_OR_RETURN(env::Recovery recovery, env::recover_journal(context.prefix));
    if (recovery != env::Recovery::kNothing) {
      report_warning(env::recovery_message(context.prefix, recovery));
    }
    GRAFT_RETURN_IF_ERROR(env::check_not_frozen(context.prefix, flags.override_frozen));
    GRAFT_ASSIGN_OR_RETURN(context.installed, env::load_records(context.prefix));
  }
  GRAFT_ASSIGN_OR_RETURN(context.specs, parse_specs(flags.specs));
  return context;
}

namespace {

Result<solve::Request> build_request(const InstallFlags& flags, const Context& context,
                                     const store::PackageCache& cache) {
  solve::Request request;
  for (const auto& record : context.installed) request.installed.push_back(record);
  request.options.channel_priority = context.settings.channel_priority;
  request.options.subdir = context.settings.platform;
  GRAFT_ASSIGN_OR_RETURN(request.pins, pin_specs(context.prefix));
  request.virtual_packages = solve::virtual_packages(context.settings.platform, solve::probe_host(),
                                                     context.settings.environment);
  if (flags.action == Action::kRemove) {
    request.remove = context.specs;
    if (flags.all) {
      for (const auto& record : context.installed) {
        GRAFT_ASSIGN_OR_RETURN(auto spec, conda::MatchSpec::parse(record.name));
        request.remove.push_back(std::move(spec));
      }
    }
    return request;
  }
  GRAFT_ASSIGN_OR_RETURN(auto channels, effective_channels(context.settings, flags.channels));
  if (flags.action == Action::kUpdate) {
    request.update = context.specs;
    request.update_all = flags.all;
  } else {
    request.install = context.specs;
  }
  GRAFT_RETURN_IF_ERROR(load_reachable_records(context.settings, cache, channels, request));
  return request;
}

// Links the fetched packages; unlinks the installed records the transaction replaces.
Result<env::TransactionResult> execute(const Context& context, const Change& change,
                                       const std::vector<fs::path>& extracted) {
  std::vector<env::PackageToLink> link;
  for (const fs::path& directory : extracted) {
    GRAFT_ASSIGN_OR_RETURN(env::PackageInfo info, env::read_package_info(directory));
    auto spec = change.requested_specs.find(info.record.name);
    std::string requested = spec == change.requested_specs.end() ? std::string() : spec->second;
    link.push_back({.info = std::move(info), .requested_spec = std::move(requested)});
  }
  std::vector<conda::PrefixRecord> unlink;
  for (const auto& old : change.transaction.unlink) {
    for (const auto& record : context.installed) {
      if (record.name == old.name && record.version == old.version && record.build == old.build) {
        unlink.push_back(record);
      }
    }
  }
  return env::apply(context.prefix, unlink, link, change.options);
}

// --force-reinstall, as conda's: each named package that stays installed as it is gets
// unlinked and linked again from the package cache (or its channel).
void add_reinstalls(const Context& context, solve::Transaction& transaction) {
  auto named = [&](const std::vector<conda::PackageRecord>& records, const std::string& name) {
    return std::any_of(records.begin(), records.end(),
                       [&](const auto& record) { return record.name == name; });
  };
  for (const conda::MatchSpec& spec : context.specs) {
    if (named(transaction.link, spec.name()) || named(transaction.unlink, spec.name())) continue;
    for (const conda::PrefixRecord& record : context.installed) {
      if (record.name != spec.name()) continue;
      transaction.unlink.push_back(record);
      transaction.link.push_back(record);
    }
  }
}

void print_done(const InstallFlags& flags, const Context& context,
                const env::TransactionResult& result) {
  for (const auto& warning : result.warnings) report_warning(warning);
  for (const auto& message : result.messages) std::fputs((message + "\n").c_str(), stdout);
  if (flags.json) {
    const nlohmann::ordered_json done = {{"success", true}, {"prefix", context.prefix.string()}};
    std::fputs(json_text(done).c_str(), stdout);
  } else if (flags.action == Action::kCreate) {
    std::fputs(fmt::format("#\n# To run a command in this environment, use\n#\n"
                           "#     $ graft run -p {} -- COMMAND\n#\n",
                           context.prefix.string())
                   .c_str(),
               stdout);
  }
}

}  // namespace

// The solver's change for create / install / update / remove.
Result<Change> solve_change(const InstallFlags& flags, const Context& context,
                            const store::PackageCache& cache) {
  bool needs_specs = !(flags.action == Action::kUpdate && flags.all) &&
                     !(flags.action == Action::kRemove && flags.all);
  if (needs_specs && context.specs.empty()) {
    return fail(ErrorCode::kInvalidArgument, "no package specs given: name at least one package");
  }
  GRAFT_RETURN_IF_ERROR(check_update_targets(flags, context));
  GRAFT_ASSIGN_OR_RETURN(solve::Request request, build_request(flags, context, cache));
  Change change;
  GRAFT_ASSIGN_OR_RETURN(change.transaction, solve::solve(request));
  for (const auto& line : change.transaction.choices) spdlog::debug("{}", line);
  if (flags.force_reinstall) add_reinstalls(context, change.transaction);
  change.options = default_options(flags, context);
  for (std::size_t s = 0; s < context.specs.size(); ++s) {
    change.requested_specs[context.specs[s].name()] = flags.specs[s];
  }
  (flags.action == Action::kRemove ? change.removed_specs : change.added_specs) = flags.specs;
  return change;
}

env::TransactionOptions default_options(const InstallFlags& flags, const Context& context) {
  env::TransactionOptions options{.mode = flags.copy || context.settings.always_copy
                                              ? env::LinkMode::kCopy
                                              : env::LinkMode::kHardLink,
                                  .command = flags.command_line,
                                  .root_prefix = context.settings.root_prefix,
                                  .allow_softlinks = context.settings.allow_softlinks};
  (flags.action == Action::kRemove ? options.remove_specs : options.update_specs) = flags.specs;
  options.lock = context.lock.get();
  if (flags.action == Action::kCreate) options.target = env::Target::kNewOnly;
  auto registry = env::environments_registry(context.settings.environment);
  if (registry) options.registry = *registry;
  return options;
}

int carry_out(const InstallFlags& flags, const Context& context, store::PackageCache& cache,
              Change change) {
  PlanView plan{.prefix = context.prefix, .transaction = &change.transaction};
  plan.added_specs = change.added_specs;
  plan.removed_specs = change.removed_specs;
  for (const auto& record : change.transaction.link) {
    if (!cache.find_extracted(record)) plan.to_fetch.push_back(record);
  }
  if (change.transaction.empty() && flags.action != Action::kCreate) {
    if (flags.json)
      std::fputs(format_plan_json(plan, flags.dry_run).c_str(), stdout);
    else
      std::fputs("\n# All requested packages already installed.\n\n", stdout);
    return 0;
  }
  if (flags.json && flags.dry_run) {
    std::fputs(format_plan_json(plan, true).c_str(), stdout);
    return 0;
  }
  if (!flags.json) std::fputs(format_plan(plan).c_str(), stdout);
  if (flags.dry_run) return 0;
  if (!confirm_proceed(flags.yes || flags.json))
    return report_error(Error(ErrorCode::kConflict, "cancelled: nothing was changed"));
  base::Progress progress;
  store::FetchOptions fetch_options{.network = context.settings.network};
  fetch_options.download.progress = &progress;
  auto extracted = store::fetch_packages(cache, change.transaction.link, fetch_options);
  if (!extracted) return report_error(extracted.error());
  auto result = execute(context, change, *extracted);
  if (!result) return report_error(result.error());
  if (change.after_apply) {
    if (auto status = change.after_apply(); !status) return report_error(status.error());
  }
  print_done(flags, context, *result);
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
  auto change = solve_change(flags, *context, *cache);
  if (!change) return report_error(change.error());
  return carry_out(flags, *context, *cache, std::move(*change));
}

namespace {

VerbRun setup_install(CLI::App& command, Action action) {
  auto flags = std::make_shared<InstallFlags>();
  flags->action = action;
  command.add_option("-n,--name", flags->name, "environment name");
  command.add_option("-p,--prefix", flags->path, "environment path");
  add_root_prefix_flag(command, flags->root_prefix);
  command.add_option("specs", flags->specs, "package specs, e.g. 'numpy>=1.26' python=3.12");
  command.add_flag("--dry-run", flags->dry_run, "show what would change, change nothing");
  command.add_flag("--json", flags->json, "print conda's JSON");
  command.add_flag("-y,--yes", flags->yes, "do not ask for confirmation");
  if (action != Action::kRemove) {
    add_channel_flags(command, flags->channels);
    command.add_flag("--copy", flags->copy, "copy files instead of hard-linking them");
  } else {
    command.add_flag("--offline", flags->channels.offline, "do not use the network");
  }
  if (action == Action::kUpdate)
    command.add_flag("--all", flags->all, "update every installed package");
  if (action == Action::kRemove) command.add_flag("--all", flags->all, "remove every package");
  if (action == Action::kCreate) {
    command.add_option("--clone", flags->clone,
                       "copy this environment (a name, or a path with a '/')");
  }
  if (action == Action::kCreate || action == Action::kInstall) {
    command.add_option("--file", flags->files,
                       "read packages from FILE: @EXPLICIT URLs, a spec list or a conda-lock "
                       "file; repeatable (spec lists add up, explicit files join)");
    command.add_option("--category", flags->categories,
                       "install this category of a conda-lock file (default: main); "
                       "repeatable, as micromamba's");
  }
  if (action == Action::kInstall || action == Action::kUpdate) {
    command.add_flag("--force-reinstall", flags->force_reinstall,
                     "unlink and link the named packages again even when already installed");
  }
  if (action == Action::kInstall) {
    add_number_option(command, "--revision", flags->revision,
                      "restore revision N (see 'graft list --revisions')",
                      NumberRange<int>{0, std::numeric_limits<int>::max()});
  }
  if (action != Action::kCreate) {
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
            .setup = [](CLI::App& c) { return setup_install(c, Action::kCreate); }});
GRAFT_VERB({.name = "install",
            .help = "install packages into an environment",
            .setup = [](CLI::App& c) { return setup_install(c, Action::kInstall); }});
GRAFT_VERB({.name = "update",
            .help = "update packages of an environment",
            .setup = [](CLI::App& c) { return setup_install(c, Action::kUpdate); }});
GRAFT_VERB({.name = "remove",
            .help = "remove packages from an environment",
            .setup = [](CLI::App& c) { return setup_install(c, Action::kRemove); }});

}  // namespace
}  // namespace graft::cli
