// `graft env remove -n NAME | -p PATH [-y] [--dry-run] [--json] [--override-frozen]`:
// deletes a whole environment, as `conda env remove` does. Refuses the root prefix, the
// active environment, a frozen one (unless --override-frozen) and a directory that is not
// an environment; the removal itself is atomic (env::remove_environment).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/json_output.h"
#include "cli/prompt.h"
#include "cli/settings.h"
#include "cli/verb.h"
#include "env/env_lock.h"
#include "env/frozen.h"
#include "env/locations.h"
#include "env/prefix_data.h"

namespace graft::cli {
namespace {

namespace fs = std::filesystem;

struct EnvRemoveFlags {
  env::PrefixChoice prefix;
  bool yes = false;
  bool dry_run = false;
  bool json = false;
  bool override_frozen = false;
};

// The environment to remove, after every refusal that does not need its records.
Result<fs::path> target(const EnvRemoveFlags& flags, const env::Settings& settings) {
  env::PrefixChoice choice = flags.prefix;
  if (choice.name.empty() && choice.path.empty()) {
    return fail(Error(ErrorCode::kInvalidArgument, "no environment given: nothing to remove")
                    .with_hint("pass -n NAME or -p PATH"));
  }
  const fs::path root = env::normal_prefix(settings.root_prefix);
  if (choice.name == "base" || (!choice.path.empty() && env::normal_prefix(choice.path) == root)) {
    return fail(Error(ErrorCode::kInvalidArgument,
                      "cannot remove the root prefix '" + root.string() +
                          "': it holds the package cache and every named environment")
                    .with_hint("remove a named environment with -n NAME, or delete the root "
                               "prefix by hand"));
  }
  choice.envs_dirs = settings.envs_dirs;
  GRAFT_ASSIGN_OR_RETURN(fs::path prefix,
                         env::resolve_existing_prefix(choice, settings.environment));
  if (env::active_prefix(settings.environment) == prefix) {
    return fail(Error(ErrorCode::kConflict, "cannot remove the active environment '" +
                                                prefix.string() + "': it is in use")
                    .with_hint("deactivate it first (unset CONDA_PREFIX)"));
  }
  GRAFT_RETURN_IF_ERROR(env::check_not_frozen(prefix, flags.override_frozen));
  return prefix;
}

// "name-version-build" of every package, or none (with a warning) when a record is broken:
// a broken environment can still be removed.
std::vector<std::string> package_names(const fs::path& prefix) {
  std::vector<std::string> names;
  auto records = env::load_records(prefix);
  if (!records) {
    report_warning(records.error().message());
    return names;
  }
  for (const auto& record : *records) {
    names.push_back(record.name + "-" + record.version + "-" + record.build);
  }
  return names;
}

void print_plan(const fs::path& prefix, const std::vector<std::string>& packages) {
  std::string out = "\nRemove all packages in environment " + prefix.string() + ":\n\n";
  if (!packages.empty()) {
    out += "The following packages will be REMOVED:\n\n";
    for (const std::string& package : packages) out += "  " + package + "\n";
    out += "\n";
  }
  std::fputs(out.c_str(), stdout);
}

void print_json(const fs::path& prefix, const std::vector<std::string>& packages, bool dry_run) {
  const nlohmann::json result{{"success", true},
                              {"prefix", prefix.string()},
                              {"dry_run", dry_run},
                              {"removed_packages", packages}};
  std::fputs(json_text(result).c_str(), stdout);
}

int run_env_remove(const EnvRemoveFlags& flags) {
  auto settings = env::load_settings(flags.prefix.root_prefix_flag);
  if (!settings) return report_error(settings.error());
  auto prefix = target(flags, *settings);
  if (!prefix) return report_error(prefix.error());
  // Held until the environment is gone: no other graft process changes it meanwhile.
  auto lock = env::EnvLock::acquire(*prefix);
  if (!lock) return report_error(lock.error());
  const std::vector<std::string> packages = package_names(*prefix);
  if (!flags.json) print_plan(*prefix, packages);
  if (flags.dry_run) {
    if (flags.json) print_json(*prefix, packages, true);
    return 0;
  }
  if (!confirm_proceed(flags.yes || flags.json)) {
    return report_error(Error(ErrorCode::kConflict, "cancelled: nothing was changed"));
  }
  auto registry = env::environments_registry(settings->environment);
  if (auto removed = env::remove_environment(*prefix, registry ? *registry : fs::path());
      !removed) {
    return report_error(removed.error());
  }
  if (flags.json) {
    print_json(*prefix, packages, false);
  } else {
    std::fputs(("Removed environment '" + prefix->string() + "'\n").c_str(), stdout);
  }
  return 0;
}

VerbRun setup_env_remove(CLI::App& command) {
  auto flags = std::make_shared<EnvRemoveFlags>();
  add_prefix_flags(command, flags->prefix);
  command.add_flag("-y,--yes", flags->yes, "do not ask for confirmation");
  command.add_flag("--dry-run", flags->dry_run, "show what would be removed, remove nothing");
  command.add_flag("--json", flags->json, "print the outcome as JSON");
  command.add_flag("--override-frozen", flags->override_frozen, "remove a frozen environment anyway");
  return [flags] { return run_env_remove(*flags); };
}

}  // namespace

GRAFT_VERB({.name = "env remove", .help = "remove an environment and everything in it",
            .setup = setup_env_remove});

}  // namespace graft::cli
