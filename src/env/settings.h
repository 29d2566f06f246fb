// What every environment operation needs to know before it starts: the root prefix, the
// package cache directories, the channels and how to treat them. Read once per command
// from the condarc files conda reads (YAML) and the environment variables conda honours;
// a command's flags are applied on top by its caller.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "conda/channel.h"
#include "solve/solver.h"
#include "store/download.h"

namespace graft::env {

struct Settings {
  std::filesystem::path root_prefix;             // see env/locations.h
  std::vector<std::filesystem::path> pkgs_dirs;  // condarc pkgs_dirs, else <root>/pkgs
  // condarc envs_dirs ($CONDA_ENVS_DIRS, $CONDA_ENVS_PATH), else <root>/envs: where -n NAME
  // environments are looked up, and the first one is where new ones are made.
  std::vector<std::filesystem::path> envs_dirs;
  std::vector<std::string> channels;      // condarc `channels` (default: none)
  conda::ChannelContext channel_context;  // channel_alias, custom/default channels
  solve::ChannelPriority channel_priority = solve::ChannelPriority::kFlexible;
  bool always_copy = false;                                  // condarc always_copy
  bool allow_softlinks = false;                              // condarc allow_softlinks
  store::NetworkMode network = store::NetworkMode::kOnline;  // condarc offline / --offline
  std::string platform;                              // CONDA_SUBDIR or the compiled platform
  std::map<std::string, std::string> environment;    // the process environment
  std::vector<std::filesystem::path> condarc_files;  // the files that were read
};

// Reads settings for a command. `root_prefix_flag` is --root-prefix ("" when not given).
// Errors: kInvalidArgument with "<file>:<line>: ..." for a malformed condarc, or a bad
// CONDA_SUBDIR.
[[nodiscard]] Result<Settings> load_settings(const std::string& root_prefix_flag);

// The channels a command asked for (conda's -c, --override-channels, --offline,
// --strict-channel-priority).
struct ChannelChoice {
  std::vector<std::string> channels;
  bool override_channels = false;
  bool offline = false;
  bool strict_channel_priority = false;
};

// The channels to use, highest priority first: choice.channels, then (unless
// override_channels) the condarc channels, then each channel a spec names
// ("conda-forge::numpy", "file:///srv/chan::app==1.0=0") that is not among them yet, as
// conda's solver adds them (names resolve like -c values: channel_alias, custom_channels).
// Errors: kInvalidArgument when none remain or a spec's channel does not parse.
[[nodiscard]] Result<std::vector<std::string>> effective_channels(
    const Settings& settings, const ChannelChoice& choice,
    const std::vector<std::string>& spec_channels = {});

}  // namespace graft::env
