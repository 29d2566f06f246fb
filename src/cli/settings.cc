#include "cli/settings.h"

#include "base/subprocess.h"
#include "cli/verb.h"
#include "env/env_lock.h"
#include "env/journal.h"
#include "env/locations.h"

namespace graft::cli {
namespace fs = std::filesystem;

Result<fs::path> resolve_prefix(env::PrefixChoice choice) {
  fs::path prefix;
  if (choice.name.empty()) {
    GRAFT_ASSIGN_OR_RETURN(prefix,
                           env::resolve_existing_prefix(choice, base::current_environment()));
  } else {
    GRAFT_ASSIGN_OR_RETURN(env::Settings settings, env::load_settings(choice.root_prefix_flag));
    choice.envs_dirs = settings.envs_dirs;
    GRAFT_ASSIGN_OR_RETURN(prefix, env::resolve_existing_prefix(choice, settings.environment));
  }
  recover_environment(prefix);
  return prefix;
}

void recover_environment(const fs::path& prefix) {
  auto recovery = env::recover_if_abandoned(prefix);
  if (!recovery) {
    report_warning(recovery.error().message());
  } else if (*recovery != env::Recovery::kNothing) {
    report_warning(env::recovery_message(prefix, *recovery));
  }
}

void add_root_prefix_flag(CLI::App& command, std::string& root_prefix_flag) {
  command.add_option("--root-prefix", root_prefix_flag,
                     "root prefix (default: $GRAFT_ROOT_PREFIX, $CONDA_ROOT_PREFIX, ~/.graft)");
}

void add_prefix_flags(CLI::App& command, env::PrefixChoice& choice) {
  command.add_option("-n,--name", choice.name, "environment name (under <root>/envs)");
  command.add_option("-p,--prefix", choice.path, "environment path");
  add_root_prefix_flag(command, choice.root_prefix_flag);
}

void add_channel_flags(CLI::App& command, env::ChannelChoice& flags) {
  command.add_option("-c,--channel", flags.channels,
                     "channel to search, highest priority first (repeatable)")
      ->allow_extra_args(false);
  command.add_flag("--override-channels", flags.override_channels,
                   "use only the -c channels, not those from condarc");
  command.add_flag("--offline", flags.offline, "use only cached repodata and packages");
  command.add_flag("--strict-channel-priority", flags.strict_channel_priority,
                   "take each package name only from the highest-priority channel that has it");
}

}  // namespace graft::cli
