// What every environment verb needs to know before it starts: the root prefix, the
// package cache directories, the channels and how to treat them. Read once per command
// from the condarc files conda reads (YAML), the environment variables conda honours, and
// the command's flags, in that order of increasing precedence.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/result.h"
#include "conda/channel.h"
#include "env/locations.h"
#include "solve/solver.h"
#include "store/download.h"

namespace graft::cli {

struct Settings {
  std::filesystem::path root_prefix;           // see env/locations.h
  std::vector<std::filesystem::path> pkgs_dirs;  // condarc pkgs_dirs, else <root>/pkgs
  // condarc envs_dirs ($CONDA_ENVS_DIRS, $CONDA_ENVS_PATH), else <root>/envs: where -n NAME
  // environments are looked up, and the first one is where new ones are made.
  std::vector<std::filesystem::path> envs_dirs;
  std::vector<std::string> channels;           // condarc `channels` (default: none)
  conda::ChannelContext channel_context;       // channel_alias, custom/default channels
  solve::ChannelPriority channel_priority = solve::ChannelPriority::kFlexible;
  bool always_copy = false;                    // condarc always_copy
  bool allow_softlinks = false;                // condarc allow_softlinks
  store::NetworkMode network = store::NetworkMode::kOnline;  // condarc offline / --offline
  std::string platform;                        // CONDA_SUBDIR or the compiled platform
  std::map<std::string, std::string> environment;  // the process environment
  std::vector<std::filesystem::path> condarc_files;  // the files that were read
};

// Reads settings for a command. `root_prefix_flag` is --root-prefix ("" when not given).
// Errors: kInvalidArgument with "<file>:<line>: ..." for a malformed condarc, or a bad
// CONDA_SUBDIR.
[[nodiscard]] Result<Settings> load_settings(const std::string& root_prefix_flag);

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
// --strict-channel-priority. Adds them to `command`, bound to `options`.
struct ChannelFlags {
  std::vector<std::string> channels;
  bool override_channels = false;
  bool offline = false;
  bool strict_channel_priority = false;
};
void add_channel_flags(CLI::App& command, ChannelFlags& flags);

// The channels to use, highest priority first: -c values, then (unless
// --override-channels) the condarc channels. Errors: kInvalidArgument when none remain.
[[nodiscard]] Result<std::vector<std::string>> effective_channels(const Settings& settings,
                                                                  const ChannelFlags& flags);

}  // namespace graft::cli
