// The flags every environment verb shares (-n/-p/--root-prefix, the channel flags) and the
// resolution of -n/-p to an existing environment. The settings themselves (condarc and
// environment variables) are env/settings.h.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/result.h"
#include "env/locations.h"
#include "env/settings.h"

namespace graft::cli {

// "graft <version>": the tool named in the "# created-by:" line of the files graft writes.
[[nodiscard]] inline std::string graft_label() {
  return std::string("graft ") + GRAFT_VERSION;
}

// Resolves -n/-p to an existing environment like env::resolve_existing_prefix, looking
// names up in the settings' envs_dirs (reads the settings only when a name is given), and
// recovers it (recover_environment()).
[[nodiscard]] Result<std::filesystem::path> resolve_prefix(env::PrefixChoice choice);

// Finishes the change a killed graft process left half-done in `prefix`
// (env::recover_if_abandoned), saying so on stderr; a failure is a warning.
void recover_environment(const std::filesystem::path& prefix);

// --root-prefix, bound to `root_prefix_flag`.
void add_root_prefix_flag(CLI::App& command, std::string& root_prefix_flag);

// -n/--name, -p/--prefix and --root-prefix, the way every verb on an existing environment
// takes them, bound to `choice`.
void add_prefix_flags(CLI::App& command, env::PrefixChoice& choice);

// Flags shared by the verbs that read channels: -c, --override-channels, --offline,
// --strict-channel-priority. Adds them to `command`, bound to `choice`.
void add_channel_flags(CLI::App& command, env::ChannelChoice& choice);

}  // namespace graft::cli
