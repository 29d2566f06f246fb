#include "env/settings.h"

#include <algorithm>

#include "base/fs.h"
#include "base/strings.h"
#include "base/subprocess.h"
#include "env/condarc.h"
#include "env/locations.h"

namespace graft::env {
namespace fs = std::filesystem;
namespace {

using Environment = std::map<std::string, std::string>;

std::string lookup(const Environment& environment, const std::string& key) {
  auto found = environment.find(key);
  return found == environment.end() ? std::string() : found->second;
}

// conda's search path, lowest precedence first.
std::vector<fs::path> condarc_paths(const Environment& environment, const fs::path& root) {
  std::vector<fs::path> paths = {"/etc/conda/.condarc", "/etc/conda/condarc", root / ".condarc"};
  if (std::string home = lookup(environment, "HOME"); !home.empty()) {
    for (const char* relative :
         {".config/conda/.condarc", ".config/conda/condarc", ".conda/.condarc", ".condarc"}) {
      paths.push_back(fs::path(home) / relative);
    }
  }
  if (std::string condarc = lookup(environment, "CONDARC"); !condarc.empty()) {
    paths.emplace_back(condarc);
  }
  return paths;
}

// Higher-precedence items first, then the earlier ones not already listed (conda's merge).
void merge_front(std::vector<std::string>& list, const std::vector<std::string>& higher) {
  std::vector<std::string> merged = higher;
  for (const std::string& item : list) {
    if (std::find(merged.begin(), merged.end(), item) == merged.end()) merged.push_back(item);
  }
  list = std::move(merged);
}

// pkgs_dirs and envs_dirs as written, before ~ is expanded and defaults are added.
struct DirectoryLists {
  std::vector<std::string> pkgs;
  std::vector<std::string> envs;
};

void apply_condarc(const Condarc& rc, Settings& settings, DirectoryLists& dirs) {
  if (rc.channels) merge_front(settings.channels, *rc.channels);
  if (rc.pkgs_dirs) merge_front(dirs.pkgs, *rc.pkgs_dirs);
  if (rc.envs_dirs) merge_front(dirs.envs, *rc.envs_dirs);
  if (rc.default_channels) settings.channel_context.default_channels = *rc.default_channels;
  if (rc.channel_alias) settings.channel_context.channel_alias = *rc.channel_alias;
  for (const auto& [name, url] : rc.custom_channels) {
    settings.channel_context.custom_channels[name] = url;
  }
  if (rc.always_copy) settings.always_copy = *rc.always_copy;
  if (rc.allow_softlinks) settings.allow_softlinks = *rc.allow_softlinks;
  if (rc.offline.value_or(false)) settings.network = store::NetworkMode::kOffline;
  if (rc.channel_priority) settings.channel_priority = *rc.channel_priority;
}

Status read_condarc(const fs::path& path, Settings& settings, DirectoryLists& dirs) {
  std::error_code error;
  if (!fs::is_regular_file(path, error)) return ok();
  GRAFT_ASSIGN_OR_RETURN(std::string text, base::read_file(path));
  GRAFT_ASSIGN_OR_RETURN(Condarc rc, parse_condarc(text, path.string()));
  apply_condarc(rc, settings, dirs);
  settings.condarc_files.push_back(path);
  return ok();
}

bool truthy(const std::string& value) {
  std::string lower = base::to_lower(value);
  return lower == "1" || lower == "true" || lower == "yes" || lower == "on";
}

std::vector<std::string> split_list(const std::string& value, char separator) {
  std::vector<std::string> items;
  for (auto part : base::split(value, separator)) {
    if (!base::trim(part).empty()) items.emplace_back(base::trim(part));
  }
  return items;
}

Status apply_environment(Settings& settings, DirectoryLists& dirs) {
  const Environment& environment = settings.environment;
  if (std::string value = lookup(environment, "CONDA_CHANNELS"); !value.empty()) {
    std::vector<std::string> channels;
    for (auto part : base::split(value, ',')) channels.emplace_back(base::trim(part));
    merge_front(settings.channels, channels);
  }
  if (std::string value = lookup(environment, "CONDA_PKGS_DIRS"); !value.empty()) {
    dirs.pkgs = split_list(value, ',');
  }
  // CONDA_ENVS_PATH is the older, ':'-separated spelling of CONDA_ENVS_DIRS.
  if (std::string value = lookup(environment, "CONDA_ENVS_PATH"); !value.empty()) {
    dirs.envs = split_list(value, ':');
  }
  if (std::string value = lookup(environment, "CONDA_ENVS_DIRS"); !value.empty()) {
    dirs.envs = split_list(value, ',');
  }
  if (std::string value = lookup(environment, "CONDA_CHANNEL_PRIORITY"); !value.empty()) {
    GRAFT_ASSIGN_OR_RETURN(settings.channel_priority,
                           parse_channel_priority(value, "CONDA_CHANNEL_PRIORITY"));
  }
  if (truthy(lookup(environment, "CONDA_OFFLINE"))) settings.network = store::NetworkMode::kOffline;
  if (truthy(lookup(environment, "CONDA_ALWAYS_COPY"))) settings.always_copy = true;
  if (truthy(lookup(environment, "CONDA_ALLOW_SOFTLINKS"))) settings.allow_softlinks = true;
  return ok();
}

fs::path expand_home(const std::string& path, const Environment& environment) {
  if (path == "~" || base::starts_with(path, "~/"))
    return lookup(environment, "HOME") + path.substr(1);
  return path;
}

}  // namespace

Result<Settings> load_settings(const std::string& root_prefix_flag) {
  Settings settings;
  settings.environment = base::current_environment();
  GRAFT_ASSIGN_OR_RETURN(settings.root_prefix, root_prefix(root_prefix_flag, settings.environment));
  settings.channel_context.home_directory = lookup(settings.environment, "HOME");
  std::error_code error;
  settings.channel_context.working_directory = fs::current_path(error).string();
  DirectoryLists dirs;
  for (const fs::path& path : condarc_paths(settings.environment, settings.root_prefix)) {
    GRAFT_RETURN_IF_ERROR(read_condarc(path, settings, dirs));
  }
  GRAFT_RETURN_IF_ERROR(apply_environment(settings, dirs));
  for (const std::string& dir : dirs.pkgs)
    settings.pkgs_dirs.push_back(expand_home(dir, settings.environment));
  if (settings.pkgs_dirs.empty()) settings.pkgs_dirs.push_back(settings.root_prefix / "pkgs");
  for (const std::string& dir : dirs.envs)
    settings.envs_dirs.push_back(expand_home(dir, settings.environment));
  if (settings.envs_dirs.empty()) settings.envs_dirs.push_back(settings.root_prefix / "envs");
  GRAFT_ASSIGN_OR_RETURN(settings.platform,
                         conda::running_platform(lookup(settings.environment, "CONDA_SUBDIR")));
  return settings;
}

Result<std::vector<std::string>> effective_channels(const Settings& settings,
                                                    const ChannelChoice& choice,
                                                    const std::vector<std::string>& spec_channels) {
  std::vector<std::string> channels = choice.channels;
  if (!choice.override_channels) {
    for (const std::string& channel : settings.channels) {
      if (std::find(channels.begin(), channels.end(), channel) == channels.end()) {
        channels.push_back(channel);
      }
    }
  }
  std::vector<std::string> known;  // canonical names of `channels`
  for (const std::string& channel : channels) {
    auto parsed = conda::parse_channel(channel, settings.channel_context);
    if (parsed) known.push_back(parsed->canonical_name);
  }
  for (const std::string& channel : spec_channels) {
    GRAFT_ASSIGN_OR_RETURN(conda::Channel parsed,
                           conda::parse_channel(channel, settings.channel_context));
    if (std::find(known.begin(), known.end(), parsed.canonical_name) != known.end()) continue;
    known.push_back(parsed.canonical_name);
    channels.push_back(channel);
  }
  if (channels.empty()) {
    return fail(Error(ErrorCode::kInvalidArgument, "no channels to search")
                    .with_hint("pass one with -c (a URL, a path, or a name like conda-forge), "
                               "or list them under 'channels:' in ~/.condarc"));
  }
  return channels;
}

}  // namespace graft::env
